/* Shared by the unit tests that build a cache from syncs (test_store,
 * test_search, ...): a temporary cache as the cmocka fixture, builders of
 * syncs, events and /messages pages, and a room's history as text.
 * Header-only; each test includes it once. */
#ifndef NATTER_TEST_CACHE_BUILDER_H
#define NATTER_TEST_CACHE_BUILDER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "natter/event.h"
#include "natter/store.h"
#include "natter/util.h"

#define SELF "@me:x"

struct fixture {
	char dir[64];
	char *path;
	struct store *st;
};

/* The timestamp of the next event built, 1 s after the one before. */
static int64_t test_clock = 1700000000000;

static inline struct mx_sync *
sync_new(const char *next_batch)
{
	struct mx_sync *s = xcalloc(1, sizeof *s);

	s->next_batch = xstrdup(next_batch);
	return s;
}

static inline struct mx_room_update *
sync_room(struct mx_sync *s, const char *room_id, enum mx_membership m)
{
	struct mx_room_update *ru;

	s->rooms = xreallocarray(s->rooms, s->n_rooms + 1, sizeof *s->rooms);
	ru = &s->rooms[s->n_rooms++];
	memset(ru, 0, sizeof *ru);
	ru->room_id = xstrdup(room_id);
	ru->membership = m;
	ru->notification_count = ru->highlight_count = -1;
	ru->joined_count = ru->invited_count = -1;
	return ru;
}

static inline void
sync_direct(struct mx_sync *s, const char *user_id, const char *room_id)
{
	s->has_direct = 1;
	s->direct = xreallocarray(s->direct, s->n_direct + 1, sizeof *s->direct);
	s->direct[s->n_direct].user_id = xstrdup(user_id);
	s->direct[s->n_direct++].room_id = xstrdup(room_id);
}

static inline void
room_heroes(struct mx_room_update *ru, const char *a, const char *b)
{
	ru->heroes = xcalloc(2, sizeof *ru->heroes);
	ru->heroes[ru->n_heroes++] = xstrdup(a);
	if (b != NULL)
		ru->heroes[ru->n_heroes++] = xstrdup(b);
}

static inline char *
content_json(const char *k1, const char *v1, const char *k2, const char *v2)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (k1 != NULL)
		cJSON_AddStringToObject(o, k1, v1);
	if (k2 != NULL)
		cJSON_AddStringToObject(o, k2, v2);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static inline struct mx_event *
ev_push(struct mx_event **evs, size_t *n, const char *id, const char *type, const char *sender)
{
	struct mx_event *ev;

	*evs = xreallocarray(*evs, *n + 1, sizeof **evs);
	ev = &(*evs)[(*n)++];
	memset(ev, 0, sizeof *ev);
	ev->event_id = xstrdup(id);
	ev->type = xstrdup(type);
	ev->sender = xstrdup(sender);
	ev->ts = test_clock += 1000;
	ev->size = -1;
	ev->content = xstrdup("{}");
	return ev;
}

#define TL(ru) &(ru)->timeline, &(ru)->n_timeline
#define ST(ru) &(ru)->state, &(ru)->n_state
#define CHUNK(m) &(m)->chunk, &(m)->n_chunk

static inline struct mx_event *
ev_text(struct mx_event **evs, size_t *n, const char *id, const char *sender, const char *body)
{
	struct mx_event *ev = ev_push(evs, n, id, "m.room.message", sender);

	free(ev->content);
	ev->content = content_json("msgtype", "m.text", "body", body);
	ev->msgtype = xstrdup("m.text");
	ev->body = xstrdup(body);
	return ev;
}

/* An m.file message: body and file name, as clients send them. */
static inline struct mx_event *
ev_file(struct mx_event **evs, size_t *n, const char *id, const char *sender,
    const char *body, const char *filename)
{
	struct mx_event *ev = ev_text(evs, n, id, sender, body);

	free(ev->msgtype);
	ev->msgtype = xstrdup("m.file");
	ev->filename = xstrdup(filename);
	ev->url = xstrdup("mxc://x/file");
	return ev;
}

static inline struct mx_event *
ev_edit(struct mx_event **evs, size_t *n, const char *id, const char *sender,
    const char *target, const char *body)
{
	struct mx_event *ev = ev_text(evs, n, id, sender, body);

	ev->rel_type = xstrdup("m.replace");
	ev->rel_event = xstrdup(target);
	return ev;
}

static inline struct mx_event *
ev_react(struct mx_event **evs, size_t *n, const char *id, const char *sender,
    const char *target, const char *key)
{
	struct mx_event *ev = ev_push(evs, n, id, "m.reaction", sender);

	ev->rel_type = xstrdup("m.annotation");
	ev->rel_event = xstrdup(target);
	ev->key = xstrdup(key);
	return ev;
}

static inline struct mx_event *
ev_redact(struct mx_event **evs, size_t *n, const char *id, const char *sender,
    const char *target)
{
	struct mx_event *ev = ev_push(evs, n, id, "m.room.redaction", sender);

	ev->redacts = xstrdup(target);
	return ev;
}

static inline struct mx_event *
ev_state(struct mx_event **evs, size_t *n, const char *id, const char *type,
    const char *sender, const char *state_key)
{
	struct mx_event *ev = ev_push(evs, n, id, type, sender);

	ev->state_key = xstrdup(state_key);
	return ev;
}

static inline struct mx_event *
ev_member(struct mx_event **evs, size_t *n, const char *user, const char *displayname,
    enum mx_membership m)
{
	char id[128];
	struct mx_event *ev;

	snprintf(id, sizeof id, "$m-%s-%d-%lld", user, (int)m, (long long)test_clock);
	ev = ev_state(evs, n, id, "m.room.member", user, user);
	free(ev->content);
	ev->content = content_json("membership", store_membership_name(m),
	    displayname ? "displayname" : NULL, displayname);
	ev->membership = m;
	ev->displayname = displayname ? xstrdup(displayname) : NULL;
	return ev;
}

static inline struct mx_event *
ev_name(struct mx_event **evs, size_t *n, const char *id, const char *name)
{
	struct mx_event *ev = ev_state(evs, n, id, "m.room.name", "@alice:x", "");

	free(ev->content);
	ev->content = content_json("name", name, NULL, NULL);
	ev->name = xstrdup(name);
	return ev;
}

static inline struct mx_messages *
page_new(const char *start, const char *end)
{
	struct mx_messages *m = xcalloc(1, sizeof *m);

	m->start = start ? xstrdup(start) : NULL;
	m->end = end ? xstrdup(end) : NULL;
	return m;
}

static inline void
apply_ok(struct store *st, struct mx_sync **s)
{
	char *cause = NULL;

	if (store_apply_sync(st, *s, &cause) != 0)
		fail_msg("store_apply_sync: %s", cause);
	mx_sync_free(s);
}

/* The bodies of a room's history, oldest first, joined by '|' (a
 * redacted message "<redacted>", other events their type). */
static inline char *
history_text(struct store *st, const char *room_id)
{
	struct store_msg *msgs;
	struct buf b = {0};
	size_t n;
	char *cause = NULL;

	if (store_history(st, room_id, INT64_MAX, 1000, &msgs, &n, &cause) != 0)
		fail_msg("store_history: %s", cause);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i ? "|" : "",
		    msgs[i].body ? msgs[i].body : msgs[i].redacted ? "<redacted>" : msgs[i].type);
	}
	store_msgs_free(&msgs, n);
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

static inline void
assert_history(struct store *st, const char *room_id, const char *want)
{
	char *got = history_text(st, room_id);

	assert_string_equal(got, want);
	free(got);
}

static inline int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	char *cause = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/natter-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/cache.db", f->dir);
	f->st = store_open(f->path, &cause);
	if (f->st == NULL)
		fail_msg("store_open: %s", cause);
	assert_int_equal(store_meta_set(f->st, "self", SELF, &cause), 0);
	*state = f;
	return 0;
}

static inline void
remove_db(const char *path)
{
	const char *suffixes[] = {"", "-wal", "-shm"};
	char *p;

	for (size_t i = 0; i < NT_NELEMS(suffixes); i++) {
		p = xasprintf("%s%s", path, suffixes[i]);
		unlink(p);
		free(p);
	}
}

static inline int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(&f->st);
	remove_db(f->path);
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* The search index holds exactly the text (and tags) a fresh index of
 * the current events would: every token of every message, and nothing
 * stale. */
static inline void
assert_fts_in_step(const char *path)
{
	static const char setup_sql[] =
	    "CREATE VIRTUAL TABLE temp.fresh USING fts5(text, filename, tags,"
	    " tokenize='natter_fold unicode61 remove_diacritics 2');"
	    "INSERT INTO temp.fresh(rowid, text, filename, tags)"
	    " SELECT id, text, filename, tags FROM events_text;"
	    "CREATE VIRTUAL TABLE temp.have USING fts5vocab(main, events_fts, instance);"
	    "CREATE VIRTUAL TABLE temp.want USING fts5vocab(temp, fresh, instance);";
	static const char diff_sql[] =
	    "SELECT count(*) FROM (SELECT * FROM temp.have EXCEPT SELECT * FROM temp.want"
	    " UNION ALL SELECT * FROM (SELECT * FROM temp.want EXCEPT SELECT * FROM temp.have))";
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, setup_sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, diff_sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

#endif
