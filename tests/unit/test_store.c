/* The SQLite cache: syncs applied as a user would then see them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "natter/event.h"
#include "natter/store.h"
#include "natter/util.h"
#include "../../src/store/store-private.h"
#include "cache-builder.h"

/* Runs SQL on the cache file through a second connection. */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

static struct store_room *
find_room(struct store_room *rooms, size_t n, const char *room_id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rooms[i].room_id, room_id) == 0)
			return &rooms[i];
	}
	fail_msg("room %s not listed", room_id);
	return NULL;
}

static void
assert_msg(struct store *st, const char *event_id, struct store_msg *m)
{
	char *cause = NULL;

	if (store_msg_get(st, event_id, m, &cause) != 0)
		fail_msg("store_msg_get %s: %s", event_id, cause);
}

static void
test_open_creates_private_file(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	char *wal = xasprintf("%s-wal", f->path);

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(wal);
	assert_int_equal(store_schema_version(f->st), (int)store_n_migrations);
	assert_null(store_sync_token(f->st));
}

static void
test_open_refuses_newer_cache(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	char *cause = NULL;

	store_close(&f->st);
	raw_exec(f->path, "PRAGMA user_version = 99");
	st = store_open(f->path, &cause);
	assert_null(st);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "newer natter"));
	assert_non_null(strstr(cause, "schema 99"));
	free(cause);
}

/* Opening an up-to-date cache takes no write lock: it does not wait for
 * another natter that is writing, and it can still read. */
static void
test_open_while_another_writes(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	sqlite3 *db;
	char *cause = NULL, *v;

	store_meta_set(f->st, "since", "s9", NULL);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	if ((st = store_open(f->path, &cause)) == NULL)
		fail_msg("%s", cause);
	v = store_sync_token(st);
	assert_string_equal(v, "s9");
	free(v);
	store_close(&st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

static void
test_open_refuses_non_database(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/junk.db", f->dir);
	FILE *fp = fopen(path, "w");
	char *cause = NULL;

	fputs("this is not a database, but it is long enough to look like one to a "
	      "reader that only checks the size of the header at the start of it\n",
	    fp);
	fclose(fp);
	assert_null(store_open(path, &cause));
	assert_non_null(strstr(cause, "junk.db"));
	free(cause);
	unlink(path);
	free(path);
}

/* A cache from this natter opened by a later one that added step 2. */
static void
test_open_migrates_older_cache(void **state)
{
	struct fixture *f = *state;
	const char *steps[32];
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	char *cause = NULL, *v;

	ev_text(TL(ru), "$1", "@alice:x", "kept across upgrades");
	apply_ok(f->st, &s);
	store_close(&f->st);
	assert_true(store_n_migrations + 1 < NT_NELEMS(steps));
	for (size_t i = 0; i < store_n_migrations; i++)
		steps[i] = store_migrations[i];
	steps[store_n_migrations] = "CREATE TABLE broken (; ";
	assert_null(store_open_steps(f->path, steps, store_n_migrations + 1, &cause));
	assert_non_null(strstr(cause, "cannot upgrade"));
	free(cause);
	cause = NULL;
	steps[store_n_migrations] = "ALTER TABLE rooms ADD COLUMN muted INTEGER NOT NULL"
				    " DEFAULT 0; INSERT INTO meta VALUES ('upgraded', 'yes')";
	f->st = store_open_steps(f->path, steps, store_n_migrations + 1, &cause);
	if (f->st == NULL)
		fail_msg("upgrade: %s", cause);
	assert_int_equal(store_schema_version(f->st), (int)store_n_migrations + 1);
	v = store_meta_get(f->st, "upgraded");
	assert_string_equal(v, "yes");
	free(v);
	v = store_sync_token(f->st);
	assert_string_equal(v, "s1");
	free(v);
	assert_history(f->st, "!r:x", "kept across upgrades");
	assert_fts_in_step(f->path);
	assert_int_equal(store_fts_count(f->st, "upgrades"), 1);
}

static void
test_open_migrates_empty_file(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/empty.db", f->dir);
	char *cause = NULL;
	struct store *st;
	FILE *fp = fopen(path, "w");

	fclose(fp);
	st = store_open(path, &cause);
	if (st == NULL)
		fail_msg("%s", cause);
	assert_int_equal(store_schema_version(st), (int)store_n_migrations);
	store_close(&st);
	remove_db(path);
	free(path);
}

/* The event ids store_search finds, newest first, joined by ' '. */
static char *
search_ids(struct store *st, const struct store_search *q)
{
	struct store_search_row *rows;
	struct buf b = {0};
	char *cause = NULL;
	size_t n;

	if (store_search(st, q, &rows, &n, &cause) != 0)
		fail_msg("store_search: %s", cause);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", rows[i].event_id);
	store_search_rows_free(&rows, n);
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

/* A cache of schema 4 (no tags in the search index) gets them as it is
 * opened, and from:, has:link and has:file then find its messages. */
static void
test_open_migrates_search_tags(void **state)
{
	struct fixture *f = *state;
	struct store_search q = {.since = INT64_MIN, .until = INT64_MAX, .has_file = -1,
	    .has_link = -1, .is_dm = -1, .cap = 10};
	char *cause = NULL, *got;

	store_close(&f->st);
	remove_db(f->path);
	assert_true(store_n_migrations > 4);
	if ((f->st = store_open_steps(f->path, store_migrations, 4, &cause)) == NULL)
		fail_msg("schema 4: %s", cause);
	store_close(&f->st);
	raw_exec(f->path, "INSERT INTO rooms(room_id, membership) VALUES ('!r:x', 1);"
	    "INSERT INTO events(room_id, seq, event_id, type, sender, msgtype, body, indexed)"
	    " VALUES ('!r:x', 1, '$link', 'm.room.message', '@a:x', 'm.text',"
	    " 'notes at https://example.org/n', 1),"
	    " ('!r:x', 2, '$file', 'm.room.message', '@b:x', 'm.file', 'notes.pdf', 1),"
	    " ('!r:x', 3, '$text', 'm.room.message', '@a:x', 'm.text', 'more notes', 1);"
	    "INSERT INTO events(room_id, seq, event_id, type, sender, filename, indexed)"
	    " SELECT '!r:x', 4, '$x', 'm.room.member', '@c:x', NULL, 0;"
	    "INSERT INTO events_fts(events_fts) VALUES ('rebuild');");
	if ((f->st = store_open(f->path, &cause)) == NULL)
		fail_msg("upgrade: %s", cause);
	assert_int_equal(store_schema_version(f->st), (int)store_n_migrations);
	assert_fts_in_step(f->path);
	q.senders = "[\"@a:x\"]";
	got = search_ids(f->st, &q);
	assert_string_equal(got, "$text $link");
	free(got);
	q.senders = NULL;
	q.has_link = 1;
	q.match = "\"notes\"";
	got = search_ids(f->st, &q);
	assert_string_equal(got, "$link");
	free(got);
	q.has_link = -1;
	q.has_file = 1;
	got = search_ids(f->st, &q);
	assert_string_equal(got, "$file");
	free(got);
}

/* A cache of schema 9 holds a reply as older clients sent it, with the
 * question it answers quoted in front; opened by this natter, the reply
 * shows only its own words, a search for the quoted words finds only the
 * question, and an edited message has its edit's HTML. */
static void
test_open_migrates_reply_fallbacks(void **state)
{
	struct fixture *f = *state;
	struct store_search q = {.since = INT64_MIN, .until = INT64_MAX, .has_file = -1,
	    .has_link = -1, .is_dm = -1, .cap = 10, .match = "\"headcount\""};
	struct store_msg m;
	char *cause = NULL, *got;

	store_close(&f->st);
	remove_db(f->path);
	assert_true(store_n_migrations > 9);
	if ((f->st = store_open_steps(f->path, store_migrations, 9, &cause)) == NULL)
		fail_msg("schema 9: %s", cause);
	store_close(&f->st);
	raw_exec(f->path, "INSERT INTO rooms(room_id, membership) VALUES ('!r:x', 1);"
	    "INSERT INTO events(room_id, seq, event_id, type, sender, msgtype, body,"
	    " formatted_body, reply_to, indexed) VALUES"
	    " ('!r:x', 1, '$q', 'm.room.message', '@dana:x', 'm.text',"
	    " 'Do we have a final headcount?', NULL, NULL, 1),"
	    " ('!r:x', 2, '$reply', 'm.room.message', '@sam:x', 'm.text',"
	    " '> <@dana:x> Do we have a final headcount?' || char(10) || char(10) ||"
	    " '214 in person.', '<mx-reply><blockquote><a href=\"https://matrix.to/#/!r:x/$q\">"
	    "In reply to</a> Do we have a final headcount?</blockquote></mx-reply>"
	    "214 in <b>person</b>.', '$q', 1),"
	    " ('!r:x', 3, '$typed', 'm.room.message', '@sam:x', 'm.text',"
	    " '> a quote I typed' || char(10) || 'headcount too', NULL, '$q', 1);"
	    "INSERT INTO events(room_id, seq, event_id, type, sender, msgtype, body,"
	    " formatted_body, edited, new_body, indexed) VALUES"
	    " ('!r:x', 4, '$old', 'm.room.message', '@sam:x', 'm.text', 'plan',"
	    " '<i>plan</i>', 1, 'final plan', 1);"
	    "INSERT INTO events(room_id, seq, event_id, type, sender, msgtype, body,"
	    " formatted_body, rel_type, rel_event, indexed) VALUES"
	    " ('!r:x', 5, '$edit', 'm.room.message', '@sam:x', 'm.text', 'final plan',"
	    " '<b>final</b> plan', 'm.replace', '$old', 0);"
	    "INSERT INTO events_fts(events_fts) VALUES ('rebuild');");
	if ((f->st = store_open(f->path, &cause)) == NULL)
		fail_msg("upgrade: %s", cause);
	assert_int_equal(store_schema_version(f->st), (int)store_n_migrations);
	assert_fts_in_step(f->path);
	assert_msg(f->st, "$reply", &m);
	assert_string_equal(m.body, "214 in person.");
	assert_string_equal(m.formatted, "214 in <b>person</b>.");
	store_msg_clear(&m);
	got = search_ids(f->st, &q);
	assert_string_equal(got, "$typed $q");
	free(got);
	q.match = "\"reply\"";
	got = search_ids(f->st, &q);
	assert_string_equal(got, "");
	free(got);
	assert_msg(f->st, "$old", &m);
	assert_string_equal(m.body, "final plan");
	assert_string_equal(m.formatted, "<b>final</b> plan");
	store_msg_clear(&m);
}

/* A formatted message shows the HTML of its latest edit, and plain text
 * again once an edit is plain. */
static void
test_edit_brings_its_html(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_msg m;

	ev_text(TL(ru), "$t", "@sam:x", "**plan**")->formatted_body = xstrdup("<b>plan</b>");
	ev_edit(TL(ru), "$e1", "@sam:x", "$t", "*final* plan")->formatted_body =
	    xstrdup("<i>final</i> plan");
	apply_ok(f->st, &s);
	assert_msg(f->st, "$t", &m);
	assert_string_equal(m.body, "*final* plan");
	assert_string_equal(m.formatted, "<i>final</i> plan");
	store_msg_clear(&m);
	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_edit(TL(ru), "$e2", "@sam:x", "$t", "plain now");
	apply_ok(f->st, &s);
	assert_msg(f->st, "$t", &m);
	assert_string_equal(m.body, "plain now");
	assert_null(m.formatted);
	store_msg_clear(&m);
}

/* Three rooms as a first sync brings them, and the list a user sees. */
static struct mx_sync *
sync_three_rooms(void)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru;

	ru = sync_room(s, "!named:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_name(ST(ru), "$n1", "Project Falcon");
	ev_text(TL(ru), "$f1", "@alice:x", "falcon news");
	ru->notification_count = 3;
	ru->highlight_count = 1;
	ru->has_tags = 1;
	ru->favourite = 1;

	ru = sync_room(s, "!dm:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@bob:x", "Bob", MX_MEMBERSHIP_JOIN);
	room_heroes(ru, "@bob:x", NULL);
	ru->joined_count = 2;
	ru->invited_count = 0;
	ev_text(TL(ru), "$d1", "@bob:x", "hi there");

	ru = sync_room(s, "!group:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@zed:x", "Zed", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@carol:x", "Carol", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@gone:x", "Gone", MX_MEMBERSHIP_LEAVE);
	ev_text(TL(ru), "$g1", "@zed:x", "newest of all");
	sync_direct(s, "@bob:x", "!dm:x");
	return s;
}

static void
test_sync_room_list(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_three_rooms();
	struct store_room *rooms, *r;
	size_t n;
	char *cause = NULL, *token;

	apply_ok(f->st, &s);
	assert_int_equal(store_rooms(f->st, &rooms, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rooms[0].room_id, "!group:x");
	assert_string_equal(rooms[0].name, "Carol and Zed");
	assert_string_equal(rooms[1].room_id, "!dm:x");
	assert_string_equal(rooms[2].room_id, "!named:x");
	r = find_room(rooms, n, "!named:x");
	assert_string_equal(r->name, "Project Falcon");
	assert_int_equal(r->unread, 3);
	assert_int_equal(r->highlight, 1);
	assert_true(r->favourite);
	assert_false(r->is_direct);
	r = find_room(rooms, n, "!dm:x");
	assert_string_equal(r->name, "Bob");
	assert_true(r->is_direct);
	assert_string_equal(r->dm_user, "@bob:x");
	assert_int_equal(r->joined_count, 2);
	store_rooms_free(&rooms, n);
	token = store_sync_token(f->st);
	assert_string_equal(token, "s1");
	free(token);
}

/* A state event of room ru with the given content. */
static void
space_state(struct mx_room_update *ru, const char *id, const char *type, const char *key,
    const char *content)
{
	struct mx_event *ev = ev_state(ST(ru), id, type, "@alice:x", key);

	free(ev->content);
	ev->content = xstrdup(content);
}

static void
assert_links(struct store *st, const char *want)
{
	struct store_space_link *links;
	struct buf b = {0};
	char *cause = NULL;
	size_t n;

	assert_int_equal(store_space_links(st, &links, &n, &cause), 0);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s>%s ", links[i].space_id, links[i].room_id);
	assert_string_equal(b.data != NULL ? b.data : "", want);
	buf_free(&b);
	store_space_links_free(&links, n);
}

/* A space's rooms: those it lists and those that name it their parent,
 * each with a via; not those of a left space or of a room that is no
 * space, and not once the space drops them. */
static void
test_space_links(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru;
	struct store_room *rooms;
	size_t n;
	char *cause = NULL;

	ru = sync_room(s, "!sp:x", MX_MEMBERSHIP_JOIN);
	space_state(ru, "$c1", "m.room.create", "", "{\"type\":\"m.space\"}");
	ev_name(ST(ru), "$n1", "Engineering");
	space_state(ru, "$k1", "m.space.child", "!a:x", "{\"via\":[\"x\"]}");
	space_state(ru, "$k2", "m.space.child", "!gone:x", "{\"via\":[]}");
	space_state(ru, "$k3", "m.space.child", "!odd:x", "{\"via\":\"x\"}");
	space_state(ru, "$k4", "m.space.child", "!broken:x", "not json");
	ru = sync_room(s, "!a:x", MX_MEMBERSHIP_JOIN);
	ru = sync_room(s, "!b:x", MX_MEMBERSHIP_JOIN);
	space_state(ru, "$p1", "m.space.parent", "!sp:x", "{\"via\":[\"x\"]}");
	space_state(ru, "$p2", "m.space.parent", "!plain:x", "{\"via\":[\"x\"]}");
	ru = sync_room(s, "!plain:x", MX_MEMBERSHIP_JOIN);
	space_state(ru, "$c2", "m.room.create", "", "{\"type\":5}");
	space_state(ru, "$k5", "m.space.child", "!a:x", "{\"via\":[\"x\"]}");
	ru = sync_room(s, "!old:x", MX_MEMBERSHIP_LEAVE);
	space_state(ru, "$c3", "m.room.create", "", "{\"type\":\"m.space\"}");
	space_state(ru, "$k6", "m.space.child", "!a:x", "{\"via\":[\"x\"]}");
	apply_ok(f->st, &s);
	/* !b:x names !sp:x its parent: not enough, !sp:x must list it. */
	assert_links(f->st, "!sp:x>!a:x ");
	assert_int_equal(store_rooms(f->st, &rooms, &n, &cause), 0);
	assert_true(find_room(rooms, n, "!sp:x")->is_space);
	assert_string_equal(find_room(rooms, n, "!sp:x")->name, "Engineering");
	assert_true(find_room(rooms, n, "!old:x")->is_space);
	assert_false(find_room(rooms, n, "!plain:x")->is_space);
	assert_false(find_room(rooms, n, "!a:x")->is_space);
	store_rooms_free(&rooms, n);

	/* The space drops !a:x: an empty content (what removing a child
	 * sends) ends the link. */
	s = sync_new("s2");
	ru = sync_room(s, "!sp:x", MX_MEMBERSHIP_JOIN);
	space_state(ru, "$k7", "m.space.child", "!a:x", "{}");
	space_state(ru, "$k8", "m.space.child", "!b:x", "{\"via\":[\"x\"]}");
	apply_ok(f->st, &s);
	assert_links(f->st, "!sp:x>!b:x ");
}

/* Counts absent from a sync leave the old ones; present ones replace. */
static void
test_sync_counts_only_when_given(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_three_rooms();
	struct mx_room_update *ru;
	struct store_room room;
	char *cause = NULL;

	apply_ok(f->st, &s);
	s = sync_new("s2");
	ru = sync_room(s, "!named:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$f2", "@alice:x", "more");
	apply_ok(f->st, &s);
	assert_int_equal(store_room_get(f->st, "!named:x", &room, &cause), 0);
	assert_int_equal(room.unread, 3);
	assert_true(room.favourite);
	store_room_clear(&room);

	s = sync_new("s3");
	ru = sync_room(s, "!named:x", MX_MEMBERSHIP_JOIN);
	ru->notification_count = 0;
	ru->highlight_count = 0;
	ru->has_tags = 1;
	apply_ok(f->st, &s);
	assert_int_equal(store_room_get(f->st, "!named:x", &room, &cause), 0);
	assert_int_equal(room.unread, 0);
	assert_false(room.favourite);
	store_room_clear(&room);
	assert_int_equal(store_room_get(f->st, "!nope:x", &room, &cause), -1);
	assert_non_null(strstr(cause, "!nope:x"));
	free(cause);
}

/* Content that is just msgtype and body is not stored twice, and reads
 * back the same. */
static void
test_plain_content_reads_back(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct mx_event *ev = ev_text(TL(ru), "$1", "@alice:x", "say \"hi\"");
	struct store_msg m;

	xfree(&ev->content);
	ev->content_plain = 1;
	apply_ok(f->st, &s);
	assert_msg(f->st, "$1", &m);
	assert_string_equal(m.content, "{\"msgtype\":\"m.text\",\"body\":\"say \\\"hi\\\"\"}");
	assert_string_equal(m.body, "say \"hi\"");
	store_msg_clear(&m);
	assert_int_equal(store_fts_count(f->st, "hi"), 1);
}

static void
test_sync_dedups_redelivery(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s;
	struct mx_room_update *ru;
	char *token;

	for (int round = 0; round < 2; round++) {
		s = sync_new(round == 0 ? "s1" : "s1b");
		ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
		ev_text(TL(ru), "$1", "@alice:x", "one");
		ev_text(TL(ru), "$2", "@alice:x", "two");
		ev_text(TL(ru), "$2", "@alice:x", "two");
		apply_ok(f->st, &s);
	}
	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$2", "@alice:x", "two");
	ev_text(TL(ru), "$3", "@alice:x", "three");
	apply_ok(f->st, &s);
	assert_history(f->st, "!r:x", "one|two|three");
	assert_int_equal(store_fts_count(f->st, "two"), 1);
	token = store_sync_token(f->st);
	assert_string_equal(token, "s2");
	free(token);
}

/* An event the parser should never have let through costs only itself. */
static void
test_sync_skips_unusable_event(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct mx_event *ev;
	char *token;

	ev_text(TL(ru), "$1", "@a:x", "before");
	ev = ev_text(TL(ru), "$2", "@a:x", "broken");
	xfree(&ev->event_id);
	ev = ev_member(TL(ru), "@b:x", "B", MX_MEMBERSHIP_JOIN);
	xfree(&ev->type);
	ev_text(TL(ru), "$3", "@a:x", "after");
	ru->receipts = xcalloc(1, sizeof *ru->receipts);
	ru->receipts[0].user_id = xstrdup("@a:x");
	ru->n_receipts = 1;
	apply_ok(f->st, &s);
	assert_history(f->st, "!r:x", "before|after");
	token = store_sync_token(f->st);
	assert_string_equal(token, "s1");
	free(token);
}

/* With everyone else gone, the room is named after who was there. */
static void
test_room_name_when_alone(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_room room;
	char *cause = NULL;

	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@gone:x", "Gone", MX_MEMBERSHIP_LEAVE);
	apply_ok(f->st, &s);
	assert_int_equal(store_room_get(f->st, "!r:x", &room, &cause), 0);
	assert_string_equal(room.name, "Empty room (was Gone)");
	assert_int_equal(room.joined_count, 1);
	store_room_clear(&room);
}

/* A sync that echoes our message, then has an event a fault breaks. */
static struct mx_sync *
sync_breaking(const char *txn_id)
{
	struct mx_sync *s = sync_new("s2");
	struct mx_room_update *ru;

	ru = sync_room(s, "!a:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$a1", SELF, "sent from here")->txn_id = xstrdup(txn_id);
	ru = sync_room(s, "!b:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$b1", "@bob:x", "fine");
	ev_text(TL(ru), "$boom", "@bob:x", "breaks");
	sync_direct(s, "@bob:x", "!b:x");
	return s;
}

/* A write that fails halfway leaves no trace: no events, no rooms, the
 * old token, the outbox untouched; and the next sync goes through. */
static void
test_sync_failure_applies_nothing(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct store_outbox item, *items;
	struct store_room *rooms;
	size_t n;
	char *cause = NULL, *token;

	apply_ok(f->st, &s);
	assert_int_equal(store_outbox_add(f->st, "!a:x", "m.room.message", "{}", &item, NULL), 0);
	raw_exec(f->path, "CREATE TRIGGER fault BEFORE INSERT ON events WHEN new.event_id ="
			  " '$boom' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
	s = sync_breaking(item.txn_id);
	assert_int_equal(store_apply_sync(f->st, s, &cause), -1);
	assert_non_null(strstr(cause, "injected fault"));
	free(cause);
	cause = NULL;

	token = store_sync_token(f->st);
	assert_string_equal(token, "s1");
	free(token);
	assert_int_equal(store_rooms(f->st, &rooms, &n, &cause), 0);
	assert_int_equal(n, 0);
	store_rooms_free(&rooms, n);
	assert_int_equal(store_fts_count(f->st, "fine"), 0);
	assert_null(store_dm_room(f->st, "@bob:x", NULL));
	assert_int_equal(store_outbox_list(f->st, NULL, 0, &items, &n, &cause), 0);
	assert_int_equal(n, 1);
	store_outbox_free(&items, n);

	raw_exec(f->path, "DROP TRIGGER fault");
	assert_int_equal(store_apply_sync(f->st, s, &cause), 0);
	mx_sync_free(&s);
	assert_history(f->st, "!b:x", "fine|breaks");
	assert_fts_in_step(f->path);
	assert_int_equal(store_outbox_list(f->st, NULL, 0, &items, &n, &cause), 0);
	assert_int_equal(n, 0);
	store_outbox_clear(&item);
}

static void
test_edit_replaces_text(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_msg m;

	ev_text(TL(ru), "$1", "@alice:x", "meet the wombat");
	ev_text(TL(ru), "$2", "@bob:x", "ok");
	apply_ok(f->st, &s);
	assert_int_equal(store_fts_count(f->st, "wombat"), 1);

	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_edit(TL(ru), "$e1", "@alice:x", "$1", "meet the platypus");
	ev_edit(TL(ru), "$e2", "@bob:x", "$1", "bob rewrites alice");
	apply_ok(f->st, &s);
	assert_history(f->st, "!r:x", "meet the platypus|ok");
	assert_int_equal(store_fts_count(f->st, "wombat"), 0);
	assert_int_equal(store_fts_count(f->st, "platypus"), 1);
	assert_int_equal(store_fts_count(f->st, "rewrites"), 0);
	assert_msg(f->st, "$1", &m);
	assert_true(m.edited);
	assert_string_equal(m.body, "meet the platypus");
	store_msg_clear(&m);
	assert_msg(f->st, "$2", &m);
	assert_false(m.edited);
	store_msg_clear(&m);
	assert_fts_in_step(f->path);
}

/* An edit seen before its target (as back-pagination brings them). */
static void
test_edit_before_target(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct mx_messages *page;
	int64_t before;
	char *token = NULL, *cause = NULL;

	ru->limited = 1;
	ru->prev_batch = xstrdup("p1");
	ev_edit(TL(ru), "$e", "@alice:x", "$old", "second thoughts");
	ev_react(TL(ru), "$r", "@bob:x", "$old", "👍");
	apply_ok(f->st, &s);
	assert_int_equal(store_gap_next(f->st, "!r:x", &before, &token, &cause), 1);
	page = page_new("p1", NULL);
	ev_text(CHUNK(page), "$old", "@alice:x", "first thoughts");
	assert_int_equal(store_gap_fill(f->st, "!r:x", before, page, &cause), 1);
	mx_messages_free(&page);
	free(token);
	assert_history(f->st, "!r:x", "second thoughts");
	assert_int_equal(store_fts_count(f->st, "first"), 0);
	assert_int_equal(store_fts_count(f->st, "second"), 1);
	assert_fts_in_step(f->path);
}

static void
test_redaction_removes_text(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_msg m;

	ev_text(TL(ru), "$1", "@alice:x", "the secret llama");
	ev_text(TL(ru), "$2", "@bob:x", "the public alpaca");
	apply_ok(f->st, &s);
	assert_int_equal(store_fts_count(f->st, "llama"), 1);
	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_redact(TL(ru), "$x1", "@alice:x", "$1");
	ev_redact(TL(ru), "$x2", "@mallory:x", "$2");
	apply_ok(f->st, &s);
	assert_int_equal(store_fts_count(f->st, "llama"), 0);
	assert_int_equal(store_fts_count(f->st, "alpaca"), 1);
	assert_history(f->st, "!r:x", "<redacted>|the public alpaca");
	assert_msg(f->st, "$1", &m);
	assert_true(m.redacted);
	assert_null(m.body);
	assert_null(m.msgtype);
	assert_string_equal(m.content, "{}");
	store_msg_clear(&m);
	assert_fts_in_step(f->path);
}

/* Redactions by moderators, of edits, before their target, and of
 * state that the room list shows. */
static void
test_redaction_cases(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct mx_event *ev;
	struct store_room room;
	char *cause = NULL;

	ev = ev_state(ST(ru), "$pl", "m.room.power_levels", "@alice:x", "");
	free(ev->content);
	ev->content = xstrdup("{\"users\":{\"@mod:x\":\"50\",\"@alice:x\":100},\"redact\":50}");
	ev_name(TL(ru), "$n", "Rude Name");
	ev_text(TL(ru), "$1", "@bob:x", "spam spam");
	ev_redact(TL(ru), "$x1", "@mod:x", "$1");
	ev_redact(TL(ru), "$x2", "@carol:x", "$later");
	ev_text(TL(ru), "$2", "@carol:x", "original words");
	ev_edit(TL(ru), "$e2", "@carol:x", "$2", "edited words");
	ev_redact(TL(ru), "$x3", "@carol:x", "$e2");
	ev_text(TL(ru), "$later", "@carol:x", "oops wrong room");
	ev_redact(TL(ru), "$x4", "@mod:x", "$n");
	apply_ok(f->st, &s);
	assert_int_equal(store_fts_count(f->st, "spam"), 0);
	assert_int_equal(store_fts_count(f->st, "oops"), 0);
	assert_int_equal(store_fts_count(f->st, "original"), 1);
	assert_int_equal(store_fts_count(f->st, "edited"), 0);
	assert_history(f->st, "!r:x", "<redacted>|<redacted>|original words|<redacted>");
	assert_int_equal(store_room_get(f->st, "!r:x", &room, &cause), 0);
	assert_string_not_equal(room.name, "Rude Name");
	store_room_clear(&room);
	assert_fts_in_step(f->path);
}

/* A redacted member event keeps the membership and loses the name. */
static void
test_redacted_member_event(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_member *members;
	struct store_msg m;
	size_t n;
	char *cause = NULL, *id;

	id = xstrdup(ev_member(TL(ru), "@bob:x", "Bobby Tables", MX_MEMBERSHIP_JOIN)->event_id);
	ev_text(TL(ru), "$1", "@bob:x", "hello");
	ev_redact(TL(ru), "$x", "@bob:x", id);
	apply_ok(f->st, &s);
	assert_int_equal(store_members(f->st, "!r:x", &members, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(members[0].membership, MX_MEMBERSHIP_JOIN);
	assert_null(members[0].displayname);
	store_members_free(&members, n);
	assert_msg(f->st, "$1", &m);
	assert_string_equal(m.sender_name, "@bob:x");
	store_msg_clear(&m);
	assert_msg(f->st, id, &m);
	assert_string_equal(m.content, "{\"membership\":\"join\"}");
	store_msg_clear(&m);
	free(id);
}

static void
test_reactions_aggregated(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_msg *msgs;
	size_t n;
	char *cause = NULL, *text;

	ev_text(TL(ru), "$1", "@alice:x", "lunch?");
	ev_react(TL(ru), "$r1", "@bob:x", "$1", "✅");
	ev_react(TL(ru), "$r2", "@bob:x", "$1", "👍");
	ev_react(TL(ru), "$r3", "@carol:x", "$1", "👍");
	ev_react(TL(ru), "$r4", "@carol:x", "$1", "👍");
	ev_react(TL(ru), "$r5", "@dave:x", "$1", "kangaroo");
	ev_react(TL(ru), "$r6", "@erin:x", "$1", "🎉");
	ev_redact(TL(ru), "$x", "@erin:x", "$r6");
	apply_ok(f->st, &s);
	assert_int_equal(store_history(f->st, "!r:x", INT64_MAX, 50, &msgs, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(msgs[0].body, "lunch?");
	assert_int_equal(msgs[0].n_reactions, 3);
	assert_string_equal(msgs[0].reactions[0].key, "👍");
	assert_int_equal(msgs[0].reactions[0].count, 2);
	assert_string_equal(msgs[0].reactions[2].key, "kangaroo");
	assert_int_equal(msgs[0].reactions[2].count, 1);
	text = msg_reactions_text(msgs[0].reactions, msgs[0].n_reactions);
	assert_string_equal(text, "👍 2, ✅ 1, kangaroo 1");
	free(text);
	store_msgs_free(&msgs, n);
	assert_int_equal(store_fts_count(f->st, "kangaroo"), 0);
	assert_fts_in_step(f->path);
}

static void
test_sender_names(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_msg *msgs;
	struct store_member *members;
	size_t n;
	char *cause = NULL;

	ev_member(ST(ru), "@a1:x", "Alice", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@a2:x", "Alice", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@bob:x", "Bob", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@old:x", "Old Timer", MX_MEMBERSHIP_LEAVE);
	ev_text(TL(ru), "$1", "@a1:x", "one");
	ev_text(TL(ru), "$2", "@bob:x", "two");
	ev_text(TL(ru), "$3", "@old:x", "three");
	ev_text(TL(ru), "$4", "@stranger:x", "four");
	apply_ok(f->st, &s);
	assert_int_equal(store_history(f->st, "!r:x", INT64_MAX, 50, &msgs, &n, &cause), 0);
	assert_int_equal(n, 4);
	assert_string_equal(msgs[0].sender_name, "Alice (@a1:x)");
	assert_string_equal(msgs[1].sender_name, "Bob");
	assert_string_equal(msgs[2].sender_name, "Old Timer");
	assert_string_equal(msgs[3].sender_name, "@stranger:x");
	store_msgs_free(&msgs, n);
	assert_int_equal(store_fts_count(f->st, "Timer"), 1);

	assert_int_equal(store_members(f->st, "!r:x", &members, &n, &cause), 0);
	assert_int_equal(n, 4);
	assert_string_equal(members[0].user_id, "@a1:x");
	assert_string_equal(members[0].name, "Alice (@a1:x)");
	assert_string_equal(members[0].displayname, "Alice");
	assert_int_equal(members[3].membership, MX_MEMBERSHIP_LEAVE);
	store_members_free(&members, n);
}

/* Search finds a message by the name its sender had when sending it. */
static void
test_search_by_name_at_sending(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);

	ev_member(ST(ru), "@bob:x", "Bob", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$1", "@bob:x", "first");
	ev_member(TL(ru), "@bob:x", "Robert", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$2", "@bob:x", "second");
	apply_ok(f->st, &s);
	assert_int_equal(store_fts_count(f->st, "Bob"), 1);
	assert_int_equal(store_fts_count(f->st, "Robert"), 1);
	assert_fts_in_step(f->path);
}

static void
test_receipts_keep_newest(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store_receipt *r;
	size_t n;
	char *cause = NULL;

	ru->receipts = xcalloc(3, sizeof *ru->receipts);
	ru->receipts[0] = (struct mx_receipt){xstrdup("$2"), xstrdup("@bob:x"), 200};
	ru->receipts[1] = (struct mx_receipt){xstrdup("$1"), xstrdup("@bob:x"), 100};
	ru->receipts[2] = (struct mx_receipt){xstrdup("$1"), xstrdup("@carol:x"), 150};
	ru->n_receipts = 3;
	apply_ok(f->st, &s);
	assert_int_equal(store_receipts(f->st, "!r:x", &r, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].user_id, "@bob:x");
	assert_string_equal(r[0].event_id, "$2");
	assert_int_equal(r[0].ts, 200);
	assert_string_equal(r[1].user_id, "@carol:x");
	store_receipts_free(&r, n);
}

static void
expect_gap(struct store *st, const char *room_id, int64_t *before, const char *token)
{
	char *got = NULL, *cause = NULL;

	assert_int_equal(store_gap_next(st, room_id, before, &got, &cause), 1);
	assert_string_equal(got, token);
	free(got);
}

/* Two limited syncs: a gap before the room's first event and a hole
 * between the syncs. Returns the top gap's before_seq. */
static int64_t
sync_with_holes(struct fixture *f, int64_t *hole)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	int64_t top;

	ru->limited = 1;
	ru->prev_batch = xstrdup("p1");
	ev_text(TL(ru), "$5", "@a:x", "5");
	ev_text(TL(ru), "$6", "@a:x", "6");
	apply_ok(f->st, &s);
	expect_gap(f->st, "!r:x", &top, "p1");
	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$7", "@a:x", "7");
	apply_ok(f->st, &s);
	s = sync_new("s3");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ru->limited = 1;
	ru->prev_batch = xstrdup("p3");
	ev_text(TL(ru), "$11", "@a:x", "11");
	ev_text(TL(ru), "$12", "@a:x", "12");
	apply_ok(f->st, &s);
	expect_gap(f->st, "!r:x", hole, "p3");
	assert_true(*hole > top);
	return top;
}

/* A member list loaded whole stays so across syncs that miss nothing,
 * and is unsure again after a gap, which may hide who came and went. */
static void
test_members_whole_until_a_gap(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct mx_event *loaded = NULL;
	struct store_member *m;
	size_t n_loaded = 0, n;
	char *cause = NULL;

	ev_text(TL(ru), "$1", "@a:x", "1");
	apply_ok(f->st, &s);
	assert_int_equal(store_members_whole(f->st, "!r:x"), 0);
	ev_member(&loaded, &n_loaded, "@quiet:x", "Quiet", MX_MEMBERSHIP_JOIN);
	assert_int_equal(store_members_load(f->st, "!r:x", loaded, n_loaded, &cause), 0);
	assert_int_equal(store_members_whole(f->st, "!r:x"), 1);
	assert_int_equal(store_members(f->st, "!r:x", &m, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].user_id, "@quiet:x");
	store_members_free(&m, n);

	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$2", "@a:x", "2");
	apply_ok(f->st, &s);
	assert_int_equal(store_members_whole(f->st, "!r:x"), 1);

	s = sync_new("s3");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ru->limited = 1;
	ru->prev_batch = xstrdup("p3");
	ev_text(TL(ru), "$9", "@a:x", "9");
	apply_ok(f->st, &s);
	assert_int_equal(store_members_whole(f->st, "!r:x"), 0);
	for (size_t i = 0; i < n_loaded; i++)
		mx_event_clear(&loaded[i]);
	free(loaded);
}

/* The hole fills page by page and closes on reaching stored events. */
static void
test_gap_fills_in_order(void **state)
{
	struct fixture *f = *state;
	struct mx_messages *page;
	int64_t top, hole, before;
	char *cause = NULL;

	top = sync_with_holes(f, &hole);
	page = page_new("p3", "p4");
	ev_text(CHUNK(page), "$10", "@a:x", "10");
	ev_text(CHUNK(page), "$9", "@a:x", "9");
	assert_int_equal(store_gap_fill(f->st, "!r:x", hole, page, &cause), 2);
	mx_messages_free(&page);
	expect_gap(f->st, "!r:x", &before, "p4");
	assert_int_equal(before, hole - 2);
	assert_history(f->st, "!r:x", "5|6|7|9|10|11|12");

	page = page_new("p4", "p5");
	ev_text(CHUNK(page), "$8", "@a:x", "8");
	ev_text(CHUNK(page), "$7", "@a:x", "7");
	ev_text(CHUNK(page), "$6", "@a:x", "6");
	assert_int_equal(store_gap_fill(f->st, "!r:x", before, page, &cause), 1);
	assert_int_equal(store_gap_fill(f->st, "!r:x", before, page, &cause), -1);
	assert_non_null(strstr(cause, "no gap"));
	free(cause);
	mx_messages_free(&page);
	expect_gap(f->st, "!r:x", &before, "p1");
	assert_int_equal(before, top);
	assert_history(f->st, "!r:x", "5|6|7|8|9|10|11|12");
}

/* Paging back from the first sync's gap reaches the room's creation. */
static void
test_gap_pages_back_to_start(void **state)
{
	struct fixture *f = *state;
	struct mx_messages *page;
	int64_t hole, before;
	char *cause = NULL, *token = NULL;

	before = sync_with_holes(f, &hole);
	page = page_new("p1", "p0");
	ev_text(CHUNK(page), "$4", "@a:x", "4");
	ev_text(CHUNK(page), "$3", "@a:x", "3");
	assert_int_equal(store_gap_fill(f->st, "!r:x", before, page, &cause), 2);
	mx_messages_free(&page);
	page = page_new("p0", NULL);
	ev_state(CHUNK(page), "$2", "m.room.member", "@a:x", "@a:x");
	ev_state(CHUNK(page), "$1", "m.room.create", "@a:x", "");
	assert_int_equal(store_gap_fill(f->st, "!r:x", before - 2, page, &cause), 2);
	mx_messages_free(&page);
	assert_history(f->st, "!r:x", "m.room.create|m.room.member|3|4|5|6|7|11|12");
	/* Only the hole between the syncs is left. */
	expect_gap(f->st, "!r:x", &before, "p3");
	assert_int_equal(before, hole);
	page = page_new("p3", NULL);
	assert_int_equal(store_gap_fill(f->st, "!r:x", hole, page, &cause), 0);
	mx_messages_free(&page);
	assert_int_equal(store_gap_next(f->st, "!r:x", &before, &token, &cause), 0);
	assert_null(token);
	assert_fts_in_step(f->path);
}

static int64_t
msg_ts(struct store *st, const char *event_id)
{
	struct store_msg m;
	int64_t ts;

	assert_int_equal(store_msg_get(st, event_id, &m, NULL), 0);
	ts = m.ts;
	store_msg_clear(&m);
	return ts;
}

/* The gaps a span of time may lose events to, with the times around
 * them; and the joined rooms that have any. */
static void
test_gaps_of_a_span(void **state)
{
	struct fixture *f = *state;
	struct store_gap *g;
	size_t n;
	int64_t hole, top = sync_with_holes(f, &hole);
	int64_t t5 = msg_ts(f->st, "$5"), t7 = msg_ts(f->st, "$7"), t11 = msg_ts(f->st, "$11");

	assert_int_equal(store_gaps(f->st, "!r:x", INT64_MIN, INT64_MAX, &g, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].before_seq, hole);
	assert_int_equal(g[0].after_ts, t7);
	assert_int_equal(g[0].before_ts, t11);
	assert_int_equal(g[1].before_seq, top);
	assert_int_equal(g[1].after_ts, INT64_MIN);
	assert_int_equal(g[1].before_ts, t5);
	free(g);
	/* After the hole: nothing is missing. */
	assert_int_equal(store_gaps(f->st, "!r:x", t11 + 1, INT64_MAX, &g, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(g);
	/* From after $5 to before $7: the cache holds it all. */
	assert_int_equal(store_gaps(f->st, "!r:x", t5 + 1, t7, &g, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(g);
	/* From $5 on, what went before it may be; up to $7 included, the hole. */
	assert_int_equal(store_gaps(f->st, "!r:x", t5, t7, &g, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].before_seq, top);
	free(g);
	assert_int_equal(store_gaps(f->st, "!r:x", t5 + 1, t7 + 1, &g, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].before_seq, hole);
	free(g);
	assert_int_equal(store_rooms_partial(f->st, NULL, NULL), 1);
	assert_int_equal(store_rooms_partial(f->st, "!r:x", NULL), 1);
	assert_int_equal(store_rooms_partial(f->st, "!other:x", NULL), 0);
}

/* Gaps that end for other reasons: an empty page, a full hole, a room
 * whose timeline starts at its creation, a re-delivered limited batch. */
static void
test_gaps_edge_cases(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru;
	struct mx_messages *page;
	int64_t before;
	char *cause = NULL, *token = NULL;

	ru = sync_room(s, "!new:x", MX_MEMBERSHIP_JOIN);
	ru->prev_batch = xstrdup("p");
	ev_state(TL(ru), "$c", "m.room.create", "@a:x", "");
	ru = sync_room(s, "!old:x", MX_MEMBERSHIP_JOIN);
	ru->limited = 1;
	ru->prev_batch = xstrdup("q1");
	ev_text(TL(ru), "$o1", "@a:x", "o1");
	apply_ok(f->st, &s);
	assert_int_equal(store_gap_next(f->st, "!new:x", &before, &token, &cause), 0);

	/* The same limited batch again makes no new hole. */
	s = sync_new("s2");
	ru = sync_room(s, "!old:x", MX_MEMBERSHIP_JOIN);
	ru->limited = 1;
	ru->prev_batch = xstrdup("q2");
	ev_text(TL(ru), "$o1", "@a:x", "o1");
	ev_text(TL(ru), "$o2", "@a:x", "o2");
	apply_ok(f->st, &s);
	expect_gap(f->st, "!old:x", &before, "q1");

	/* A page of only malformed events moves on; an empty one ends. */
	page = page_new("q1", "q3");
	page->n_skipped = 2;
	assert_int_equal(store_gap_fill(f->st, "!old:x", before, page, &cause), 0);
	mx_messages_free(&page);
	expect_gap(f->st, "!old:x", &before, "q3");
	page = page_new("q3", "q4");
	assert_int_equal(store_gap_fill(f->st, "!old:x", before, page, &cause), 0);
	mx_messages_free(&page);
	assert_int_equal(store_gap_next(f->st, "!old:x", &before, &token, &cause), 0);
	assert_history(f->st, "!old:x", "o1|o2");
}

static void
test_gap_closes_when_out_of_seq(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct mx_messages *page;
	int64_t before;
	char *cause = NULL, *token = NULL, id[32];

	ev_state(TL(ru), "$c", "m.room.create", "@a:x", "");
	apply_ok(f->st, &s);
	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ru->limited = 1;
	ru->prev_batch = xstrdup("p");
	ev_text(TL(ru), "$new", "@a:x", "new");
	apply_ok(f->st, &s);
	expect_gap(f->st, "!r:x", &before, "p");
	raw_exec(f->path, "UPDATE gaps SET before_seq = 3; UPDATE events SET seq = 3"
			  " WHERE event_id = '$new'");
	page = page_new("p", "p2");
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "$p%d", i);
		ev_text(CHUNK(page), id, "@a:x", id + 1);
	}
	assert_int_equal(store_gap_fill(f->st, "!r:x", 3, page, &cause), 2);
	mx_messages_free(&page);
	assert_int_equal(store_gap_next(f->st, "!r:x", &before, &token, &cause), 0);
	assert_history(f->st, "!r:x", "m.room.create|p1|p0|new");
}

static void
assert_txn_id(const char *txn)
{
	assert_int_equal(strlen(txn), 2 + 16 + 1 + 13);
	assert_memory_equal(txn, "nt", 2);
	assert_int_equal(strspn(txn + 2, "0123456789abcdef"), 16);
	assert_int_equal(txn[18], '-');
	assert_int_equal(strspn(txn + 19, "0123456789"), 13);
}

/* Queued messages list oldest first, with their attempts and errors. */
static void
test_outbox_queue(void **state)
{
	struct fixture *f = *state;
	struct store_outbox a, b, *items;
	size_t n;
	char *cause = NULL;

	assert_int_equal(store_outbox_add(f->st, "!r:x", "m.room.message", "{\"body\":\"1\"}", &a,
			     &cause),
	    0);
	assert_int_equal(store_outbox_add(f->st, "!r:x", "m.room.message", "{\"body\":\"2\"}", &b,
			     &cause),
	    0);
	assert_txn_id(a.txn_id);
	assert_string_not_equal(a.txn_id, b.txn_id);
	assert_int_equal(store_outbox_attempt(f->st, a.id, "502 Bad Gateway", 1234, &cause), 0);
	assert_int_equal(store_outbox_list(f->st, "!r:x", 0, &items, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].id, a.id);
	assert_string_equal(items[0].txn_id, a.txn_id);
	assert_string_equal(items[0].content, "{\"body\":\"1\"}");
	assert_string_equal(items[0].body, "1");
	assert_int_equal(items[0].attempts, 1);
	assert_string_equal(items[0].last_error, "502 Bad Gateway");
	assert_int_equal(items[0].next_ts, 1234);
	assert_int_equal(items[1].id, b.id);
	assert_int_equal(items[1].attempts, 0);
	store_outbox_free(&items, n);
	assert_int_equal(store_outbox_list(f->st, "!other:x", 1, &items, &n, &cause), 0);
	assert_int_equal(n, 0);
	store_outbox_clear(&a);
	store_outbox_clear(&b);
}

/* The echo of a sent message, or a refusal, takes it off the queue. */
/* Scheduled rows wait apart from the queue until due; a claim moves
 * each once, and a row that went can no longer be cancelled. */
static void
test_outbox_scheduled(void **state)
{
	struct fixture *f = *state;
	struct store_outbox a, b, got, *items;
	size_t n;
	char *cause = NULL;

	assert_int_equal(store_outbox_schedule(f->st, "!r:x", "m.room.message",
	    "{\"body\":\"later\"}", 2000, &a, &cause), 0);
	assert_int_equal(store_outbox_schedule(f->st, "!r:x", "m.room.message",
	    "{\"body\":\"held\"}", 1000, &b, &cause), 0);
	assert_int_equal(store_outbox_held(f->st, b.id, "syd_1", &cause), 0);
	assert_int_equal(store_outbox_list(f->st, NULL, 1, &items, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_scheduled(f->st, NULL, 500, &items, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].id, b.id);
	assert_int_equal(items[0].state, STORE_OUTBOX_HELD);
	assert_string_equal(items[0].delay_id, "syd_1");
	assert_string_equal(items[1].body, "later");
	assert_int_equal(items[1].due_ts, 2000);
	store_outbox_free(&items, n);
	/* Past its time, what the server held has gone. */
	assert_int_equal(store_outbox_scheduled(f->st, NULL, 1500, &items, &n, &cause), 0);
	assert_int_equal(n, 1);
	store_outbox_free(&items, n);
	/* Being handed to the server, it is not the sender's; once said to
	 * wait here, it is again. A second answer with the same id is no error. */
	assert_int_equal(store_outbox_held(f->st, b.id, "syd_1", &cause), 0);
	assert_int_equal(store_outbox_held(f->st, b.id, "syd_2", &cause), -1);
	xfree(&cause);
	assert_int_equal(store_outbox_handing(f->st, a.id, &cause), 0);
	assert_int_equal(store_outbox_next_due(f->st), 0);
	assert_int_equal(store_outbox_claim(f->st, 5000, &cause), 0);
	assert_int_equal(store_outbox_note(f->st, a.id, "offline", &cause), 0);
	assert_int_equal(store_outbox_next_due(f->st), 2000);
	assert_int_equal(store_outbox_claim(f->st, 1999, &cause), 0);
	assert_int_equal(store_outbox_claim(f->st, 2000, &cause), 1);
	assert_int_equal(store_outbox_claim(f->st, 2000, &cause), 0);
	assert_int_equal(store_outbox_get(f->st, b.id, &got, &cause), 0);
	assert_int_equal(got.state, STORE_OUTBOX_SENT);
	store_outbox_clear(&got);
	assert_int_equal(store_outbox_next_due(f->st), 0);
	assert_int_equal(store_outbox_list(f->st, NULL, 0, &items, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].txn_id, a.txn_id);
	store_outbox_free(&items, n);
	assert_int_equal(store_outbox_unschedule(f->st, a.id, NULL, &cause), -1);
	assert_non_null(strstr(cause, "no longer waiting"));
	xfree(&cause);
	/* A held row changes only under the delay id that was cancelled. */
	store_outbox_clear(&b);
	assert_int_equal(store_outbox_schedule(f->st, "!r:x", "m.room.message", "{}", 9000, &b,
	    &cause), 0);
	assert_int_equal(store_outbox_held(f->st, b.id, "syd_1", &cause), 0);
	assert_int_equal(store_outbox_reschedule(f->st, b.id, "other", 3000, "{}", NULL, &cause),
	    -1);
	xfree(&cause);
	assert_int_equal(store_outbox_reschedule(f->st, b.id, "syd_1", 3000,
	    "{\"body\":\"new\"}", "why", &cause), 0);
	assert_int_equal(store_outbox_get(f->st, b.id, &got, &cause), 0);
	assert_int_equal(got.state, STORE_OUTBOX_LATER);
	assert_int_equal(got.due_ts, 3000);
	assert_null(got.delay_id);
	assert_string_not_equal(got.txn_id, b.txn_id);
	assert_string_equal(got.last_error, "why");
	store_outbox_clear(&got);
	assert_int_equal(store_outbox_unschedule(f->st, b.id, NULL, &cause), 0);
	assert_int_equal(store_outbox_get(f->st, b.id, &got, &cause), -1);
	xfree(&cause);
	store_outbox_clear(&a);
	store_outbox_clear(&b);
}

static void
test_outbox_echo_and_failure(void **state)
{
	struct fixture *f = *state;
	struct store_outbox a, b, *items;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	size_t n;
	char *cause = NULL;

	assert_int_equal(store_outbox_add(f->st, "!r:x", "m.room.message", "{}", &a, &cause), 0);
	assert_int_equal(store_outbox_add(f->st, "!r:x", "m.room.message", "{}", &b, &cause), 0);
	ev_text(TL(ru), "$echo", SELF, "first")->txn_id = xstrdup(a.txn_id);
	apply_ok(f->st, &s);
	assert_int_equal(store_outbox_failed(f->st, b.id, "M_FORBIDDEN", &cause), 0);
	assert_int_equal(store_outbox_list(f->st, NULL, 0, &items, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_list(f->st, NULL, 1, &items, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].id, b.id);
	assert_int_equal(items[0].state, STORE_OUTBOX_FAILED);
	assert_string_equal(items[0].last_error, "M_FORBIDDEN");
	store_outbox_free(&items, n);
	/* Retried, it is queued again; only a failed row can be retried. */
	assert_int_equal(store_outbox_retry(f->st, b.id, &cause), 0);
	assert_int_equal(store_outbox_list(f->st, NULL, 0, &items, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].state, STORE_OUTBOX_QUEUED);
	assert_null(items[0].last_error);
	store_outbox_free(&items, n);
	assert_int_equal(store_outbox_retry(f->st, b.id, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(store_outbox_failed(f->st, b.id, "M_FORBIDDEN", &cause), 0);
	assert_int_equal(store_outbox_delete(f->st, b.id, &cause), 0);
	assert_int_equal(store_outbox_delete(f->st, b.id, &cause), -1);
	assert_non_null(strstr(cause, "no message"));
	free(cause);
	store_outbox_clear(&a);
	store_outbox_clear(&b);
}

static void
test_outbox_sent_by_id(void **state)
{
	struct fixture *f = *state;
	struct store_outbox a, *items;
	size_t n;
	char *cause = NULL;

	assert_int_equal(store_outbox_add(f->st, "!r:x", "m.room.message", "{}", &a, &cause), 0);
	assert_int_equal(store_outbox_sent(f->st, a.id, "$sent", &cause), 0);
	assert_int_equal(store_outbox_list(f->st, NULL, 1, &items, &n, &cause), 0);
	assert_int_equal(n, 0);
	store_outbox_clear(&a);
}

static struct mx_sync *
sync_for_resolve(void)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru;
	struct mx_event *ev;

	ru = sync_room(s, "!b:x", MX_MEMBERSHIP_JOIN);
	ev_name(TL(ru), "$nb", "Team Beta");
	ru = sync_room(s, "!a:x", MX_MEMBERSHIP_JOIN);
	ev_name(TL(ru), "$na", "Team Alpha");
	ru = sync_room(s, "!rnd:x", MX_MEMBERSHIP_JOIN);
	ev_name(ST(ru), "$nr", "Random");
	ev = ev_state(ST(ru), "$al", "m.room.canonical_alias", "@a:x", "");
	free(ev->content);
	ev->content = xstrdup("{\"alias\":\"#random:x\",\"alt_aliases\":[\"#rnd:x\"]}");
	ev->alias = xstrdup("#random:x");
	ru = sync_room(s, "!left:x", MX_MEMBERSHIP_LEAVE);
	ev_name(ST(ru), "$nl", "Team Alpha");
	ru = sync_room(s, "!dm:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@bob:x", "Bob", MX_MEMBERSHIP_JOIN);
	sync_direct(s, "@bob:x", "!dm:x");
	sync_direct(s, "@bob:x", "!olddm:x");
	return s;
}

static void
expect_resolve(struct store *st, const char *what, const char *want)
{
	char *cause = NULL, *id = store_room_resolve(st, what, &cause);

	if (id == NULL)
		fail_msg("resolve %s: %s", what, cause);
	assert_string_equal(id, want);
	free(id);
}

static void
expect_resolve_error(struct store *st, const char *what, const char *want)
{
	char *cause = NULL;

	assert_null(store_room_resolve(st, what, &cause));
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_resolve(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_for_resolve();

	apply_ok(f->st, &s);
	expect_resolve(f->st, "!a:x", "!a:x");
	expect_resolve(f->st, "#random:x", "!rnd:x");
	expect_resolve(f->st, "#RANDOM:x", "!rnd:x");
	expect_resolve(f->st, "#rnd:x", "!rnd:x");
	expect_resolve(f->st, "@bob:x", "!dm:x");
	expect_resolve(f->st, "team alpha", "!a:x");
	expect_resolve(f->st, "TEAM B", "!b:x");
	expect_resolve(f->st, "rand", "!rnd:x");
	expect_resolve(f->st, "bob", "!dm:x");
	expect_resolve_error(f->st, "team",
	    "\"team\" is ambiguous: Team Alpha (!a:x), Team Beta (!b:x)");
	expect_resolve_error(f->st, "foo", "no room matches \"foo\"");
	expect_resolve_error(f->st, "!nope:x", "no room matches \"!nope:x\"");
	expect_resolve_error(f->st, "@carol:x", "no direct chat with @carol:x in the cache");
	expect_resolve_error(f->st, "", "no room given");
}

/* A member event that says is_direct, as the invitee's does. */
static void
ev_member_direct(struct mx_event **evs, size_t *n, const char *user, enum mx_membership m)
{
	struct mx_event *ev = ev_member(evs, n, user, NULL, m);

	free(ev->content);
	ev->content = xasprintf("{\"membership\":\"%s\",\"is_direct\":true}",
	    store_membership_name(m));
}

/* Rooms of two that m.direct does not list: the one a lost write left
 * out, a named room, one of three, an invitation that says is_direct. */
static struct mx_sync *
sync_unlisted_chats(void)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru;

	ru = sync_room(s, "!lost:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@bob:x", "Bob", MX_MEMBERSHIP_JOIN);
	ru->joined_count = 2;
	ru->invited_count = 0;
	ev_text(TL(ru), "$l1", "@bob:x", "hello");

	ru = sync_room(s, "!project:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@carol:x", "Carol", MX_MEMBERSHIP_JOIN);
	ev_name(ST(ru), "$pn", "Project");
	ev_text(TL(ru), "$p1", "@carol:x", "project news");

	ru = sync_room(s, "!three:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@carol:x", "Carol", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@dave:x", "Dave", MX_MEMBERSHIP_INVITE);
	ev_text(TL(ru), "$t1", "@carol:x", "three of us");

	/* Made by a client that named it but said is_direct, Carol invited. */
	ru = sync_room(s, "!madeforcarol:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member_direct(ST(ru), "@carol:x", MX_MEMBERSHIP_INVITE);
	ev_name(ST(ru), "$mn", "Carol and me");

	ru = sync_room(s, "!invite:x", MX_MEMBERSHIP_INVITE);
	ev_member(ST(ru), "@erin:x", "Erin", MX_MEMBERSHIP_JOIN);
	ev_member_direct(ST(ru), SELF, MX_MEMBERSHIP_INVITE);
	return s;
}

static void
expect_dm(struct store *st, const char *user, const char *want, int want_listed)
{
	int listed = -1;
	char *id = store_dm_room(st, user, &listed);

	if (want == NULL) {
		assert_null(id);
		return;
	}
	if (id == NULL)
		fail_msg("no direct chat with %s", user);
	assert_string_equal(id, want);
	assert_int_equal(listed, want_listed);
	free(id);
}

/* m.direct's room comes first; without one, a room of just the two of
 * you that is a direct chat by is_direct or by having no name. */
static void
test_direct_chat_found_without_m_direct(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_unlisted_chats();
	char *cause = NULL;

	apply_ok(f->st, &s);
	expect_dm(f->st, "@bob:x", "!lost:x", 0);
	expect_dm(f->st, "@carol:x", "!madeforcarol:x", 0);
	expect_dm(f->st, "@dave:x", NULL, 0);
	expect_dm(f->st, "@erin:x", "!invite:x", 0);
	expect_resolve(f->st, "@bob:x", "!lost:x");

	/* A chat just made is known before a sync brings it. */
	assert_int_equal(store_direct_add(f->st, "@zed:x", "!new:x", &cause), 0);
	expect_dm(f->st, "@zed:x", "!new:x", 1);
	/* A sync that brings m.direct replaces what natter wrote itself. */
	s = sync_new("s2");
	sync_direct(s, "@bob:x", "!lost:x");
	apply_ok(f->st, &s);
	expect_dm(f->st, "@bob:x", "!lost:x", 1);
	expect_dm(f->st, "@zed:x", NULL, 0);
}

/* An invitation that says is_direct is a direct chat with whoever
 * invited, before m.direct lists it. */
static void
test_direct_invitation_is_a_direct_chat(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_unlisted_chats();
	struct store_room room;
	char *cause = NULL;

	apply_ok(f->st, &s);
	assert_int_equal(store_room_get(f->st, "!invite:x", &room, &cause), 0);
	assert_int_equal(room.membership, MX_MEMBERSHIP_INVITE);
	assert_true(room.is_direct);
	assert_string_equal(room.dm_user, "@erin:x");
	store_room_clear(&room);
	/* The invitee's is_direct makes no joined room a direct chat. */
	assert_int_equal(store_room_get(f->st, "!madeforcarol:x", &room, &cause), 0);
	assert_false(room.is_direct);
	store_room_clear(&room);
	assert_int_equal(store_room_get(f->st, "!lost:x", &room, &cause), 0);
	assert_false(room.is_direct);
	store_room_clear(&room);
}

/* Room names quoted back in an error cannot drive the terminal. */
static void
test_resolve_cause_is_inert(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru;
	char *cause = NULL;

	ru = sync_room(s, "!e1:x", MX_MEMBERSHIP_JOIN);
	ev_name(ST(ru), "$n1", "Evil \x1b]0;owned\x07\x1b[2J one");
	ru = sync_room(s, "!e2:x", MX_MEMBERSHIP_JOIN);
	ev_name(ST(ru), "$n2", "Evil \xe2\x80\xae two");
	apply_ok(f->st, &s);
	assert_null(store_room_resolve(f->st, "evil", &cause));
	assert_non_null(strstr(cause, "is ambiguous"));
	assert_null(strchr(cause, '\x1b'));
	assert_null(strchr(cause, '\x07'));
	assert_null(strstr(cause, "\xe2\x80\xae"));
	free(cause);
}

/* Bodies and queries that are FTS5 syntax if pasted into a query. */
static void
test_fts_query_text(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	const char *queries[] = {
		"multi-agent", "a'b", "\"", "@x", "#x", "20.04", "why?", "AND", "NOT", "*",
		"NEAR(a b)", "body:x", "^x", "a\"b", "",
	};
	struct mx_event *ev;

	ev_text(TL(ru), "$1", "@a:x", "multi-agent plans for 20.04, why? AND NOT");
	ev = ev_push(TL(ru), "$2", "m.room.message", "@a:x");
	ev->msgtype = xstrdup("m.file");
	ev->body = xstrdup("report.pdf");
	ev->filename = xstrdup("quarterly-report.pdf");
	apply_ok(f->st, &s);
	for (size_t i = 0; i < NT_NELEMS(queries); i++)
		assert_true(store_fts_count(f->st, queries[i]) >= 0);
	assert_int_equal(store_fts_count(f->st, "multi-agent"), 1);
	assert_int_equal(store_fts_count(f->st, "20.04"), 1);
	assert_int_equal(store_fts_count(f->st, "why?"), 1);
	assert_int_equal(store_fts_count(f->st, "quarterly"), 1);
	assert_int_equal(store_fts_count(f->st, "AND"), 1);
}

/* CPU time of this process, steadier than the wall clock on a busy host. */
static int64_t
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A first sync of rooms with five members and per messages each. */
static struct mx_sync *
sync_bulk(int rooms, int per)
{
	struct mx_sync *s = sync_new("bulk");
	struct mx_room_update *ru;
	char id[64], body[64], name[16];

	for (int r = 0; r < rooms; r++) {
		snprintf(id, sizeof id, "!room%d:x", r);
		ru = sync_room(s, id, MX_MEMBERSHIP_JOIN);
		ru->limited = 1;
		ru->prev_batch = xstrdup("t");
		ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
		for (int m = 0; m < 4; m++) {
			snprintf(id, sizeof id, "@user%d:x", m);
			snprintf(name, sizeof name, "User %d", m);
			ev_member(ST(ru), id, name, MX_MEMBERSHIP_JOIN);
		}
		for (int e = 0; e < per; e++) {
			snprintf(id, sizeof id, "$e%d-%d", r, e);
			snprintf(body, sizeof body, "message %d in room %d about budgets", e, r);
			ev_text(TL(ru), id, "@user1:x", body);
		}
	}
	return s;
}

/* A first sync of many rooms: everything lands, and the rate is shown. */
static void
test_bulk_first_sync(void **state)
{
	struct fixture *f = *state;
	const char *env = getenv("NATTER_STORE_BENCH_ROOMS");
	int rooms = env ? atoi(env) : 40, per = 200;
	struct mx_sync *s = sync_bulk(rooms, per);
	struct store_room *list;
	struct store_msg *msgs;
	char *cause = NULL;
	int64_t t0, t1, wall;
	size_t n;

	wall = nt_mono_ms();
	t0 = cpu_us();
	assert_int_equal(store_apply_sync(f->st, s, &cause), 0);
	t1 = cpu_us();
	wall = nt_mono_ms() - wall;
	mx_sync_free(&s);
	print_message("ingest: %d events in %.0f ms of CPU, %lld ms wall (%.0f events/s of CPU)\n",
	    rooms * per, (double)(t1 - t0) / 1000, (long long)wall,
	    rooms * per * 1e6 / (double)(t1 - t0 ? t1 - t0 : 1));
	t0 = cpu_us();
	assert_int_equal(store_rooms(f->st, &list, &n, &cause), 0);
	t1 = cpu_us();
	print_message("store_rooms: %zu rooms in %.1f ms of CPU\n", n, (double)(t1 - t0) / 1000);
	assert_int_equal(n, (size_t)rooms);
	assert_string_equal(list[0].name, "User 0, User 1, User 2 and User 3");
	store_rooms_free(&list, n);
	assert_int_equal(store_fts_count(f->st, "budgets"), rooms * per);
	assert_int_equal(store_history(f->st, "!room0:x", INT64_MAX, 500, &msgs, &n, &cause), 0);
	assert_int_equal(n, (size_t)per);
	assert_string_equal(msgs[0].body, "message 0 in room 0 about budgets");
	store_msgs_free(&msgs, n);
	assert_fts_in_step(f->path);
}

/* A read sees the cache as it was when it began, whatever another
 * natter writes meanwhile; the next read sees the write. */
static void
test_read_sees_one_state(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct store *other;
	struct store_msg m;
	char *cause = NULL;

	ev_text(TL(ru), "$1", "@alice:x", "first");
	apply_ok(f->st, &s);
	if ((other = store_open(f->path, &cause)) == NULL)
		fail_msg("second connection: %s", cause);
	assert_int_equal(store_read_begin(f->st, NULL), 0);
	assert_history(f->st, "!r:x", "first");
	s = sync_new("s2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$2", "@alice:x", "second");
	apply_ok(other, &s);
	assert_history(f->st, "!r:x", "first");
	assert_int_equal(store_msg_get(f->st, "$2", &m, NULL), -1);
	store_read_end(f->st);
	assert_history(f->st, "!r:x", "first|second");
	assert_int_equal(store_read_begin(f->st, NULL), 0);
	assert_int_equal(store_read_begin(f->st, NULL), 0);
	store_read_end(f->st);
	store_read_end(f->st);
	store_close(&other);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_private_file),
		T(test_open_refuses_newer_cache),
		T(test_open_while_another_writes),
		T(test_open_refuses_non_database),
		T(test_open_migrates_older_cache),
		T(test_open_migrates_empty_file),
		T(test_open_migrates_search_tags),
		T(test_open_migrates_reply_fallbacks),
		T(test_edit_brings_its_html),
		T(test_sync_room_list),
		T(test_space_links),
		T(test_sync_counts_only_when_given),
		T(test_plain_content_reads_back),
		T(test_sync_dedups_redelivery),
		T(test_sync_skips_unusable_event),
		T(test_room_name_when_alone),
		T(test_sync_failure_applies_nothing),
		T(test_edit_replaces_text),
		T(test_edit_before_target),
		T(test_redaction_removes_text),
		T(test_redaction_cases),
		T(test_redacted_member_event),
		T(test_reactions_aggregated),
		T(test_sender_names),
		T(test_search_by_name_at_sending),
		T(test_receipts_keep_newest),
		T(test_members_whole_until_a_gap),
		T(test_gap_fills_in_order),
		T(test_gap_pages_back_to_start),
		T(test_gaps_of_a_span),
		T(test_gaps_edge_cases),
		T(test_gap_closes_when_out_of_seq),
		T(test_outbox_queue),
		T(test_outbox_scheduled),
		T(test_outbox_echo_and_failure),
		T(test_outbox_sent_by_id),
		T(test_resolve),
		T(test_direct_chat_found_without_m_direct),
		T(test_direct_invitation_is_a_direct_chat),
		T(test_resolve_cause_is_inert),
		T(test_fts_query_text),
		T(test_bulk_first_sync),
		T(test_read_sees_one_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
