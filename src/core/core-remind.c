/* Reminders and flagged messages, kept in the account's data
 * (MX_REMINDERS_TYPE), so that every natter of the account sees them.
 *
 * The event is one JSON object that clients read, change and write back
 * whole, and two natters writing at once lose one change. So nothing is
 * ever taken out of it but by the same rule everywhere: an entry is
 * keyed by an id of random bytes; done is a mark, not a removal; each
 * change stamps the entry's "updated". A merge takes the union of ids and,
 * of an id in both, the newer stamp (done wins a tie). Every write reads
 * the server's copy first, merges, writes, and reads it again until it
 * holds all this natter has (a few rounds); every sync that brings the
 * event merges it, and writes back what it lacks. The cache keeps the
 * merged copy, and marks it dirty until the server was seen to hold it,
 * so a change made offline or lost to a racing write goes with the next
 * sync. Done entries are dropped 30 days after they were done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/log.h"
#include "natter/loop.h"
#include "natter/notify.h"
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/util.h"
#include "core-private.h"

#define REMIND_KEEP_DONE_MS ((int64_t)30 * 24 * 3600 * 1000)
#define REMIND_ROUNDS 4		/* writes tried before a racing writer wins */
#define REMIND_ID_BYTES 6
#define REMIND_NOTE_MAX 500
#define REMIND_META_DIRTY "reminders.dirty"
#define REMIND_META_NOTIFIED "reminders.notified"

enum remind_change {
	REMIND_NONE,
	REMIND_ADD,
	REMIND_DONE,
	REMIND_SNOOZE,
	REMIND_FLAG,
	REMIND_UNFLAG,
};

struct remind_op {
	enum remind_change change;
	int applied;
	int rounds;
	char *id;
	char *room_id;
	char *event_id;
	char *note;
	int64_t due_ms;
	char **id_out;		/* the id, once the change is made */
};

static void remind_fetch(struct core_op *op);
static void remind_written(struct mx_result *res, void *arg);

static int64_t
remind_num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9e15 ?
	    (int64_t)v->valuedouble : -1;
}

static int
remind_done_of(const cJSON *o)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "done"));
}

static int
remind_id_ok(const char *s, char sigil)
{
	size_t n = s != NULL ? strlen(s) : 0;

	/* Event ids of room versions 3 and later have no server part. */
	return n > 1 && n <= 255 && s[0] == sigil && (sigil == '$' || strchr(s, ':') != NULL) &&
	    strpbrk(s, " \t\r\n\x1b\x7f") == NULL && san_utf8_valid(s, n);
}

/* A reminder's own id: what natter makes (hex), or letters, digits, '-'
 * and '_' from another client. */
static int
remind_key_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && n <= 64 && strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") == n;
}

/* An entry of the server's is taken only when it has what natter needs. */
static int
remind_entry_ok(const cJSON *e)
{
	const char *kind = core_json_text(e, "kind");

	if (!cJSON_IsObject(e) || !remind_key_ok(e->string) || kind == NULL)
		return 0;
	if (strcmp(kind, "remind") != 0 && strcmp(kind, "flag") != 0)
		return 0;
	if (strcmp(kind, "remind") == 0 && remind_num(e, "due") < 0)
		return 0;
	return remind_id_ok(core_json_text(e, "room_id"), '!') &&
	    remind_id_ok(core_json_text(e, "event_id"), '$') && remind_num(e, "updated") >= 0;
}

/* The entries of a content ({"reminders": {id: entry}}), or an empty
 * object; never NULL. */
static cJSON *
remind_map(const char *json)
{
	cJSON *root = json != NULL ? cJSON_Parse(json) : NULL;
	cJSON *map = cJSON_DetachItemFromObjectCaseSensitive(root, "reminders");

	cJSON_Delete(root);
	if (!cJSON_IsObject(map)) {
		cJSON_Delete(map);
		map = cJSON_CreateObject();
	}
	return map;
}

/* Of two versions of one entry, the one a merge keeps. */
static const cJSON *
remind_newer(const cJSON *a, const cJSON *b)
{
	int64_t ua = remind_num(a, "updated"), ub = remind_num(b, "updated");

	if (ua != ub)
		return ua > ub ? a : b;
	if (remind_done_of(a) != remind_done_of(b))
		return remind_done_of(a) ? a : b;
	return remind_num(a, "due") >= remind_num(b, "due") ? a : b;
}

static void
remind_take(cJSON *into, const cJSON *from, int64_t now_ms)
{
	const cJSON *e, *have;

	cJSON_ArrayForEach(e, from) {
		if (!remind_entry_ok(e))
			continue;
		if (remind_done_of(e) && remind_num(e, "updated") + REMIND_KEEP_DONE_MS < now_ms)
			continue;
		have = cJSON_GetObjectItemCaseSensitive(into, e->string);
		if (have != NULL && remind_newer(have, e) == have)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(into, e->string);
		cJSON_AddItemToObject(into, e->string, cJSON_Duplicate(e, 1));
	}
}

char *
core_remind_merge(const char *a, const char *b, int64_t now_ms)
{
	cJSON *ma = remind_map(a), *mb = remind_map(b), *out = cJSON_CreateObject();
	cJSON *map = cJSON_AddObjectToObject(out, "reminders");
	char *text;

	remind_take(map, ma, now_ms);
	remind_take(map, mb, now_ms);
	text = cJSON_PrintUnformatted(out);
	cJSON_Delete(ma);
	cJSON_Delete(mb);
	cJSON_Delete(out);
	return text;
}

int
core_remind_covers(const char *server, const char *local)
{
	cJSON *ms = remind_map(server), *ml = remind_map(local);
	const cJSON *e, *s;
	int covers = 1;

	cJSON_ArrayForEach(e, ml) {
		s = cJSON_GetObjectItemCaseSensitive(ms, e->string);
		if (s == NULL || remind_num(s, "updated") != remind_num(e, "updated") ||
		    remind_done_of(s) != remind_done_of(e)) {
			covers = 0;
			break;
		}
	}
	cJSON_Delete(ms);
	cJSON_Delete(ml);
	return covers;
}

/* The entry of map named by id, or by a prefix of one id only. */
static cJSON *
remind_find(cJSON *map, const char *id, char **cause)
{
	cJSON *e, *found = NULL;
	size_t len = strlen(id);

	if ((e = cJSON_GetObjectItemCaseSensitive(map, id)) != NULL)
		return e;
	cJSON_ArrayForEach(e, map) {
		if (len == 0 || strncmp(e->string, id, len) != 0 || remind_done_of(e))
			continue;
		if (found != NULL) {
			cause_set(cause, "%s names more than one reminder: give more of its id",
			    id);
			return NULL;
		}
		found = e;
	}
	if (found == NULL)
		cause_set(cause, "no reminder %s (`natter reminders` lists them)", id);
	return found;
}

/* The flag on event_id that is not done, or NULL. */
static cJSON *
remind_flag_of(cJSON *map, const char *event_id)
{
	cJSON *e;

	cJSON_ArrayForEach(e, map) {
		const char *kind = core_json_text(e, "kind"), *ev = core_json_text(e, "event_id");

		if (kind != NULL && strcmp(kind, "flag") == 0 && ev != NULL &&
		    strcmp(ev, event_id) == 0 && !remind_done_of(e))
			return e;
	}
	return NULL;
}

static void
remind_stamp(cJSON *e, const char *name, int64_t v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(e, name);
	cJSON_AddNumberToObject(e, name, (double)v);
}

static cJSON *
remind_new_entry(cJSON *map, struct remind_op *r, const char *kind, int64_t now)
{
	unsigned char raw[REMIND_ID_BYTES];
	char id[2 * REMIND_ID_BYTES + 1];
	cJSON *e = cJSON_CreateObject();

	nt_random(raw, sizeof raw);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	cJSON_AddStringToObject(e, "kind", kind);
	cJSON_AddStringToObject(e, "room_id", r->room_id);
	cJSON_AddStringToObject(e, "event_id", r->event_id);
	remind_stamp(e, "created", now);
	remind_stamp(e, "updated", now);
	cJSON_AddItemToObject(map, id, e);
	free(r->id);
	r->id = xstrdup(id);
	return e;
}

/* Makes the op's change to map; -1 with a cause when it names nothing. */
static int
remind_apply(cJSON *map, struct remind_op *r, char **cause)
{
	int64_t now = nt_now_ms();
	cJSON *e = NULL;

	switch (r->change) {
	case REMIND_NONE:
		return 0;
	case REMIND_ADD:
		e = remind_new_entry(map, r, "remind", now);
		remind_stamp(e, "due", r->due_ms);
		if (r->note != NULL)
			cJSON_AddStringToObject(e, "note", r->note);
		return 0;
	case REMIND_FLAG:
		if ((e = remind_flag_of(map, r->event_id)) != NULL) {
			free(r->id);
			r->id = xstrdup(e->string);
			return 0;
		}
		remind_new_entry(map, r, "flag", now);
		return 0;
	case REMIND_UNFLAG:
		if ((e = remind_flag_of(map, r->event_id)) == NULL)
			return cause_set(cause, "that message is not flagged");
		break;
	case REMIND_DONE:
	case REMIND_SNOOZE:
		if ((e = remind_find(map, r->id, cause)) == NULL)
			return -1;
		break;
	}
	if (e == NULL)
		return cause_set(cause, "no such change to a reminder");
	free(r->id);
	r->id = xstrdup(e->string);
	if (r->change == REMIND_SNOOZE) {
		remind_stamp(e, "due", r->due_ms);
		cJSON_DeleteItemFromObjectCaseSensitive(e, "done");
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(e, "done");
		cJSON_AddTrueToObject(e, "done");
	}
	remind_stamp(e, "updated", now > remind_num(e, "updated") ? now :
	    remind_num(e, "updated") + 1);
	return 0;
}

static void
remind_op_free(void *data)
{
	struct remind_op *r = data;

	free(r->id);
	free(r->room_id);
	free(r->event_id);
	free(r->note);
	free(r);
}

static void
remind_changed(struct core *c)
{
	if (c->ev.reminders != NULL)
		c->ev.reminders(c->ev_arg);
	core_remind_arm(c);
}

struct remind_merging {
	const char *server;
	struct remind_op *r;	/* the change to make, or NULL */
	char *merged;
};

/* The cache's copy with the server's merged in and the change made, in
 * the cache's write (store_meta_update). */
static int
remind_merge_cb(const char *old, char **new, void *arg, char **cause)
{
	struct remind_merging *m = arg;
	char *merged = core_remind_merge(old, m->server, nt_now_ms());
	cJSON *root, *map;

	if (m->r != NULL && !m->r->applied) {
		root = cJSON_Parse(merged);
		map = cJSON_GetObjectItemCaseSensitive(root, "reminders");
		free(merged);
		if (remind_apply(map, m->r, cause) == -1) {
			cJSON_Delete(root);
			return -1;
		}
		merged = cJSON_PrintUnformatted(root);
		cJSON_Delete(root);
	}
	*new = merged;
	m->merged = xstrdup(merged);
	return 0;
}

/* The server's copy (NULL: unknown) merged into the cache's, with the
 * op's change made once, kept in the cache; the merged text, or NULL
 * when the op failed (it is over then). */
static char *
remind_local(struct core_op *op, const char *server)
{
	struct remind_op *r = op->data;
	struct core *c = op->c;
	struct remind_merging m = {server, r, NULL};
	char *cause = NULL;

	if (store_meta_update(c->store, STORE_META_REMINDERS, remind_merge_cb, &m, &cause) == -1 ||
	    (server != NULL &&
	    store_meta_set(c->store, STORE_META_REMINDERS_SERVER, server, &cause) == -1)) {
		xfree(&m.merged);
		core_op_fail(op, cause);
		free(cause);
		return NULL;
	}
	if (!r->applied) {
		r->applied = 1;
		if (r->id_out != NULL && r->id != NULL)
			*r->id_out = xstrdup(r->id);
	}
	remind_changed(c);
	return m.merged;
}

/* Writes the merged copy when the server lacks some of it, else the op
 * is over. */
static void
remind_merge_write(struct core_op *op, const char *server)
{
	struct remind_op *r = op->data;
	struct core *c = op->c;
	char *merged, *cause = NULL;

	if ((merged = remind_local(op, server)) == NULL)
		return;
	if (core_remind_covers(server, merged)) {
		free(merged);
		if (store_meta_unset(c->store, REMIND_META_DIRTY, &cause) == -1) {
			log_msg("reminders: %s", cause);
			free(cause);
		}
		core_op_end(op, CORE_DONE, r->id);
		return;
	}
	if (r->rounds++ >= REMIND_ROUNDS) {
		free(merged);
		store_meta_set(c->store, REMIND_META_DIRTY, "1", NULL);
		core_op_end(op, CORE_QUEUED, "another natter of the account kept writing its "
		    "reminders: this one's go with the next sync");
		return;
	}
	store_meta_set(c->store, REMIND_META_DIRTY, "1", NULL);
	op->call = mx_account_data_put(c->mx, MX_REMINDERS_TYPE, merged, 0, remind_written,
	    op, &cause);
	free(merged);
	if (op->call == NULL) {
		core_op_fail(op, cause);
		free(cause);
	}
}

/* The homeserver cannot be reached: the change is made here (unless it
 * was), and the cache marked dirty, so the next sync writes it. */
static void
remind_keep_here(struct core_op *op, const struct mx_result *res)
{
	struct core *c = op->c;
	char *why = core_why(c, res), *text;

	if (!((struct remind_op *)op->data)->applied) {
		if ((text = remind_local(op, NULL)) == NULL) {
			free(why);
			return;
		}
		free(text);
	}
	store_meta_set(c->store, REMIND_META_DIRTY, "1", NULL);
	text = xasprintf("kept here until the homeserver answers (%s)", why);
	core_op_end(op, CORE_QUEUED, text);
	free(text);
	free(why);
}

static void
remind_read(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct remind_op *r = op->data;
	char *server = NULL;

	op->call = NULL;
	if (!res->ok && res->status != 404) {
		/* Offline: the change is kept here and goes with a later sync. */
		if (r->change != REMIND_NONE && core_may_pass(res)) {
			remind_keep_here(op, res);
			return;
		}
		core_op_refused(op, res);
		return;
	}
	if (res->ok)
		server = cJSON_PrintUnformatted(res->json);
	remind_merge_write(op, server != NULL ? server : "{}");
	free(server);
}

static void
remind_written(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;

	op->call = NULL;
	if (!res->ok && core_may_pass(res)) {
		remind_keep_here(op, res);
		return;
	}
	if (core_op_refused(op, res))
		return;
	/* Read it again: a natter that wrote at the same moment may have
	 * written over this one's. */
	remind_fetch(op);
}

static void
remind_fetch(struct core_op *op)
{
	char *cause = NULL;

	op->call = mx_account_data_get(op->c->mx, MX_REMINDERS_TYPE, 0, remind_read, op, &cause);
	if (op->call == NULL) {
		core_op_fail(op, cause);
		free(cause);
	}
}

static int
remind_start(struct core *c, struct remind_op *r, int background, core_done_cb done, void *arg,
    char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, r->change == REMIND_NONE ?
	    "cannot read the reminders of the account" :
	    "cannot change the reminders of the account");

	op->data = r;
	op->free_data = remind_op_free;
	if (background)
		core_op_background(op);
	op->call = mx_account_data_get(c->mx, MX_REMINDERS_TYPE, 0, remind_read, op, cause);
	return core_op_started(op, cause);
}

static struct remind_op *
remind_op_new(enum remind_change change, const char *room_id, const char *event_id)
{
	struct remind_op *r = xcalloc(1, sizeof *r);

	r->change = change;
	r->room_id = room_id != NULL ? xstrdup(room_id) : NULL;
	r->event_id = event_id != NULL ? xstrdup(event_id) : NULL;
	return r;
}

int
core_remind(struct core *c, const char *room_id, const char *event_id, int64_t due_ms,
    const char *note, char **id, core_done_cb done, void *arg, char **cause)
{
	struct remind_op *r;

	if (!remind_id_ok(room_id, '!') || !remind_id_ok(event_id, '$'))
		return cause_set(cause, "%s is not an event id", event_id);
	if (note != NULL && strlen(note) > REMIND_NOTE_MAX)
		return cause_set(cause, "a note has at most %d bytes", REMIND_NOTE_MAX);
	r = remind_op_new(REMIND_ADD, room_id, event_id);
	r->due_ms = due_ms;
	r->note = note != NULL && *note != '\0' ? xstrdup(note) : NULL;
	r->id_out = id;
	return remind_start(c, r, 0, done, arg, cause);
}

int
core_remind_done(struct core *c, const char *id, core_done_cb done, void *arg, char **cause)
{
	struct remind_op *r = remind_op_new(REMIND_DONE, NULL, NULL);

	r->id = xstrdup(id);
	return remind_start(c, r, 0, done, arg, cause);
}

int
core_remind_snooze(struct core *c, const char *id, int64_t due_ms, core_done_cb done,
    void *arg, char **cause)
{
	struct remind_op *r = remind_op_new(REMIND_SNOOZE, NULL, NULL);

	r->id = xstrdup(id);
	r->due_ms = due_ms;
	return remind_start(c, r, 0, done, arg, cause);
}

int
core_flag(struct core *c, const char *room_id, const char *event_id, int on,
    core_done_cb done, void *arg, char **cause)
{
	if (!remind_id_ok(room_id, '!') || !remind_id_ok(event_id, '$'))
		return cause_set(cause, "%s is not an event id", event_id);
	return remind_start(c, remind_op_new(on ? REMIND_FLAG : REMIND_UNFLAG, room_id,
	    event_id), 0, done, arg, cause);
}

int
core_reminders_fetch(struct core *c, core_done_cb done, void *arg, char **cause)
{
	return remind_start(c, remind_op_new(REMIND_NONE, NULL, NULL), 0, done, arg, cause);
}

static int
remind_cmp(const void *a, const void *b)
{
	const struct core_reminder *x = a, *y = b;

	if (x->due_ms != y->due_ms)
		return x->due_ms < y->due_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

int
core_reminders(struct core *c, int which, struct core_reminder **out, size_t *n)
{
	char *local = store_meta_get(c->store, STORE_META_REMINDERS);
	cJSON *map = remind_map(local), *e;
	struct core_reminder *r;
	int flag;

	free(local);
	*out = NULL;
	*n = 0;
	cJSON_ArrayForEach(e, map) {
		if (!remind_entry_ok(e) || remind_done_of(e))
			continue;
		flag = strcmp(core_json_text(e, "kind"), "flag") == 0;
		if (flag != (which == CORE_REMIND_FLAGS))
			continue;
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		r = &(*out)[(*n)++];
		r->id = xstrdup(e->string);
		r->room_id = xstrdup(core_json_text(e, "room_id"));
		r->event_id = xstrdup(core_json_text(e, "event_id"));
		r->note = core_json_text(e, "note") != NULL ? xstrdup(core_json_text(e, "note")) :
		    NULL;
		r->due_ms = flag ? 0 : remind_num(e, "due");
		r->created_ms = remind_num(e, "created");
	}
	cJSON_Delete(map);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, remind_cmp);
	return 0;
}

void
core_reminders_free(struct core_reminder **r, size_t n)
{
	if (*r == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*r)[i].id);
		free((*r)[i].room_id);
		free((*r)[i].event_id);
		free((*r)[i].note);
	}
	xfree(r);
}

static void
remind_bg_done(void *arg, int status, const char *why)
{
	struct core *c = arg;

	if (status == CORE_CANCELLED)
		return;
	c->remind_writing = 0;
	if (status != CORE_DONE)
		log_msg("reminders: %s", why != NULL ? why : "not written");
}

/* After a sync was stored: the server's reminders it brought merged into
 * the cache's, and what the server lacks written back. */
void
core_remind_after_sync(struct core *c, const struct mx_sync *sync)
{
	char *dirty = store_meta_get(c->store, REMIND_META_DIRTY), *cause = NULL;

	if (sync->reminders == NULL && dirty == NULL) {
		if (!c->remind_armed)
			core_remind_arm(c);
		return;
	}
	free(dirty);
	if (c->remind_writing)
		return;
	if (sync->reminders != NULL) {
		struct remind_merging m = {sync->reminders, NULL, NULL};

		if (store_meta_update(c->store, STORE_META_REMINDERS, remind_merge_cb, &m,
		    &cause) == -1) {
			log_msg("reminders: %s", cause);
			xfree(&cause);
		}
		remind_changed(c);
		if (m.merged != NULL && core_remind_covers(sync->reminders, m.merged)) {
			free(m.merged);
			store_meta_unset(c->store, REMIND_META_DIRTY, NULL);
			return;
		}
		free(m.merged);
	}
	c->remind_writing = 1;
	if (remind_start(c, remind_op_new(REMIND_NONE, NULL, NULL), 1, remind_bg_done, c,
	    &cause) == -1) {
		c->remind_writing = 0;
		log_msg("reminders: %s", cause);
		free(cause);
	}
}

/* The due time each reminder notified at, this natter's own memory. */
static cJSON *
remind_notified(struct core *c)
{
	char *text = store_meta_get(c->store, REMIND_META_NOTIFIED);
	cJSON *o = text != NULL ? cJSON_Parse(text) : NULL;

	free(text);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
	}
	return o;
}

static void
remind_raise(struct core *c, const struct core_reminder *r)
{
	struct store_room room = {0};
	struct store_msg m = {0};
	struct notify_msg n = {0};
	char *body;

	store_room_get(c->store, r->room_id, &room, NULL);
	store_msg_get(c->store, r->event_id, &m, NULL);
	body = r->note != NULL ? xasprintf("%s%s%s", r->note, m.body != NULL ? ": " : "",
	    m.body != NULL ? m.body : "") : xstrdup(m.body != NULL ? m.body : "");
	n.room_id = r->room_id;
	n.room_name = room.name != NULL ? room.name : r->room_id;
	/* "Reminder in Dana Whitfield" for a direct chat too. */
	n.is_direct = 0;
	n.sender_id = m.sender;
	n.sender_name = "Reminder";
	n.body = body;
	c->ev.notify(c->ev_arg, &n);
	free(body);
	store_msg_clear(&m);
	store_room_clear(&room);
}

static void
remind_due(void *arg)
{
	struct core *c = arg;

	c->remind_timer = 0;
	core_remind_arm(c);
	if (c->ev.reminders != NULL)
		c->ev.reminders(c->ev_arg);
}

void
core_remind_arm(struct core *c)
{
	struct core_reminder *r;
	cJSON *notified;
	int64_t now = nt_now_ms(), next = INT64_MAX;
	size_t n;
	int raised = 0;
	char *text;

	if (c->ev.notify == NULL || c->round == NULL)
		return;
	c->remind_armed = 1;
	loop_timer_cancel(c->loop, c->remind_timer);
	c->remind_timer = 0;
	core_reminders(c, CORE_REMIND_REMINDERS, &r, &n);
	notified = remind_notified(c);
	for (size_t i = 0; i < n; i++) {
		if (r[i].due_ms > now) {
			next = r[i].due_ms < next ? r[i].due_ms : next;
			continue;
		}
		if (remind_num(notified, r[i].id) == r[i].due_ms)
			continue;
		if (c->settings == NULL || c->settings->notify.enabled)
			remind_raise(c, &r[i]);
		remind_stamp(notified, r[i].id, r[i].due_ms);
		raised = 1;
	}
	if (raised) {
		text = cJSON_PrintUnformatted(notified);
		store_meta_set(c->store, REMIND_META_NOTIFIED, text, NULL);
		free(text);
	}
	cJSON_Delete(notified);
	core_reminders_free(&r, n);
	if (next != INT64_MAX)
		c->remind_timer = loop_timer_add(c->loop, next - now, remind_due, c);
}

void
core_remind_free(struct core *c)
{
	if (c->loop != NULL)
		loop_timer_cancel(c->loop, c->remind_timer);
	c->remind_timer = 0;
}
