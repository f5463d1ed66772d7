/* store_apply_slide and store_unread: a simplified sliding sync kept in
 * the cache as a user would then see it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "natter/event.h"
#include "natter/store.h"
#include "natter/util.h"
#include "cache-builder.h"
#include "fixture-file.h"

#define POS_KEY "slide.pos.test"

static struct mx_sync *
slide_new(const char *pos)
{
	struct mx_sync *s = sync_new(pos);

	s->sliding = 1;
	s->list_count = -1;
	s->otk_count = -1;
	s->fallback_unused = -1;
	return s;
}

static void
slide_ok(struct store *st, struct mx_sync **s)
{
	char *cause = NULL;

	if (store_apply_slide(st, *s, POS_KEY, &cause) != 0)
		fail_msg("store_apply_slide: %s", cause);
	mx_sync_free(s);
}

static void
assert_meta(struct store *st, const char *key, const char *want)
{
	char *got = store_meta_get(st, key);

	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* The event ids store_unread lists, newest first, '|'-joined. */
static char *
unread_ids(struct store *st, const char *room_id, const char *self, int limit)
{
	struct store_msg *msgs;
	struct buf b = {0};
	size_t n;
	char *cause = NULL;

	if (store_unread(st, room_id, self, limit, &msgs, &n, &cause) != 0)
		fail_msg("store_unread: %s", cause);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? "|" : "", msgs[i].event_id);
	store_msgs_free(&msgs, n);
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

static void
assert_unread(struct store *st, const char *room_id, const char *self, int limit,
    const char *want)
{
	char *got = unread_ids(st, room_id, self, limit);

	assert_string_equal(got, want);
	free(got);
}

static void
receipt_add(struct mx_room_update *ru, const char *user, const char *event_id, int64_t ts)
{
	ru->receipts = xreallocarray(ru->receipts, ru->n_receipts + 1, sizeof *ru->receipts);
	ru->receipts[ru->n_receipts++] = (struct mx_receipt){xstrdup(event_id), xstrdup(user), ts};
}

static struct store_room *
room_row(struct store_room *rooms, size_t n, const char *room_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rooms[i].room_id, room_id) == 0)
			return &rooms[i];
	return NULL;
}

/* The pos goes under its key, the to-device position under its own; an
 * answer without a to-device position keeps the last. /v3/sync's since
 * stays as it was. */
static void
test_slide_positions(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = slide_new("pos-1");

	s->to_device_next = xstrdup("td-1");
	slide_ok(f->st, &s);
	assert_meta(f->st, POS_KEY, "pos-1");
	assert_meta(f->st, STORE_META_SLIDE_TO_DEVICE, "td-1");
	assert_meta(f->st, "since", NULL);

	s = slide_new("pos-2");
	slide_ok(f->st, &s);
	assert_meta(f->st, POS_KEY, "pos-2");
	assert_meta(f->st, STORE_META_SLIDE_TO_DEVICE, "td-1");
}

/* A room first seen with its three newest events, then again with a
 * bigger timeline (expanded) that reaches two events further back and
 * brings two new: the stored order stays, the new ones come after, the
 * older ones are left to the gap. */
static void
test_slide_expanded_overlap(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = slide_new("pos-1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	int64_t before;
	char *token = NULL, *cause = NULL;

	ru->limited = 1;
	ru->prev_batch = xstrdup("p1");
	ev_text(TL(ru), "$c", "@bob:x", "c");
	ev_text(TL(ru), "$d", SELF, "d");
	ev_text(TL(ru), "$e", "@bob:x", "e");
	slide_ok(f->st, &s);
	assert_history(f->st, "!r:x", "c|d|e");

	s = slide_new("pos-2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ru->expanded = 1;
	ru->limited = 1;
	ru->prev_batch = xstrdup("p2");
	ru->n_live = 2;
	/* a and b are older than c: built with earlier timestamps. */
	test_clock -= 100000;
	ev_text(TL(ru), "$a", "@bob:x", "a");
	ev_text(TL(ru), "$b", "@bob:x", "b");
	test_clock += 200000;
	ev_text(TL(ru), "$c", "@bob:x", "c");
	ev_text(TL(ru), "$d", SELF, "d");
	ev_text(TL(ru), "$e", "@bob:x", "e");
	ev_text(TL(ru), "$f", "@bob:x", "f");
	ev_text(TL(ru), "$g", "@bob:x", "g");
	slide_ok(f->st, &s);
	assert_history(f->st, "!r:x", "c|d|e|f|g");
	/* The first answer's gap still says where a and b are. */
	assert_int_equal(store_gap_next(f->st, "!r:x", &before, &token, &cause), 1);
	assert_string_equal(token, "p1");
	free(token);

	/* Expanded again with nothing new: nothing moves. */
	s = slide_new("pos-3");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ru->expanded = 1;
	ev_text(TL(ru), "$e", "@bob:x", "e");
	ev_text(TL(ru), "$f", "@bob:x", "f");
	ev_text(TL(ru), "$g", "@bob:x", "g");
	slide_ok(f->st, &s);
	assert_history(f->st, "!r:x", "c|d|e|f|g");
}

/* An expanded timeline of a room the cache has no event of is taken
 * whole. */
static void
test_slide_expanded_new_room(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = slide_new("pos-1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);

	ru->expanded = 1;
	ru->limited = 1;
	ru->prev_batch = xstrdup("p1");
	ev_text(TL(ru), "$a", "@bob:x", "a");
	ev_text(TL(ru), "$b", "@bob:x", "b");
	slide_ok(f->st, &s);
	assert_history(f->st, "!r:x", "a|b");
}

/* Receipts and tags of a room the cache lacks make no room. */
static void
test_slide_extension_room_unknown(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = slide_new("pos-1");
	struct mx_room_update *ru = sync_room(s, "!ghost:x", MX_MEMBERSHIP_NONE);
	struct store_room *rooms;
	struct store_receipt *r;
	size_t n;
	char *cause = NULL;

	receipt_add(ru, "@bob:x", "$e", 10);
	ru->has_tags = 1;
	ru->favourite = 1;
	slide_ok(f->st, &s);
	assert_int_equal(store_rooms(f->st, &rooms, &n, &cause), 0);
	assert_int_equal(n, 0);
	store_rooms_free(&rooms, n);
	assert_int_equal(store_receipts(f->st, "!ghost:x", &r, &n, &cause), 0);
	assert_int_equal(n, 0);
	store_receipts_free(&r, n);
	assert_meta(f->st, POS_KEY, "pos-1");
}

/* Receipts and tags of rooms the cache has change them, not their
 * membership. */
static void
test_slide_extension_room_known(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = slide_new("pos-1");
	struct mx_room_update *ru;
	struct store_room *rooms, *row;
	struct store_receipt *r;
	size_t n;
	char *cause = NULL;

	ru = sync_room(s, "!inv:x", MX_MEMBERSHIP_INVITE);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_INVITE);
	ru = sync_room(s, "!joined:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$j1", "@bob:x", "hi");
	ru->has_tags = 1;
	ru->favourite = 1;
	slide_ok(f->st, &s);

	s = slide_new("pos-2");
	ru = sync_room(s, "!inv:x", MX_MEMBERSHIP_NONE);
	ru->has_tags = 1;
	ru->lowpriority = 1;
	ru = sync_room(s, "!joined:x", MX_MEMBERSHIP_NONE);
	receipt_add(ru, "@bob:x", "$j1", 20);
	slide_ok(f->st, &s);

	assert_int_equal(store_rooms(f->st, &rooms, &n, &cause), 0);
	assert_int_equal(n, 2);
	row = room_row(rooms, n, "!inv:x");
	assert_non_null(row);
	assert_int_equal(row->membership, MX_MEMBERSHIP_INVITE);
	assert_true(row->lowpriority);
	row = room_row(rooms, n, "!joined:x");
	assert_non_null(row);
	assert_int_equal(row->membership, MX_MEMBERSHIP_JOIN);
	/* No m.tag in the second answer: the favourite stays. */
	assert_true(row->favourite);
	store_rooms_free(&rooms, n);
	assert_int_equal(store_receipts(f->st, "!joined:x", &r, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].event_id, "$j1");
	store_receipts_free(&r, n);
	assert_history(f->st, "!joined:x", "hi");
}

/* A room with everything store_unread must tell apart. */
static void
unread_room(struct fixture *f)
{
	struct mx_sync *s = slide_new("pos-1");
	struct mx_room_update *ru = sync_room(s, "!u:x", MX_MEMBERSHIP_JOIN);

	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$1", "@bob:x", "one");
	ev_text(TL(ru), "$2", SELF, "mine");
	ev_text(TL(ru), "$3", "@bob:x", "three");
	ev_edit(TL(ru), "$3e", "@bob:x", "$3", "three, edited");
	ev_react(TL(ru), "$r", "@bob:x", "$2", "+1");
	ev_text(TL(ru), "$4", "@carol:x", "four");
	ev_text(TL(ru), "$5", "@bob:x", "five");
	ev_redact(TL(ru), "$5x", "@bob:x", "$5");
	ev_text(TL(ru), "$6", "@carol:x", "six");
	slide_ok(f->st, &s);
}

static void
test_unread_after_own_message(void **state)
{
	struct fixture *f = *state;

	unread_room(f);
	/* No receipt: after self's own last message; the edit, the reaction,
	 * the redaction and the redacted message do not count. */
	assert_unread(f->st, "!u:x", SELF, 100, "$6|$4|$3");
	assert_unread(f->st, "!u:x", SELF, 2, "$6|$4");
	/* carol wrote last; dave never wrote nor read: all of it. */
	assert_unread(f->st, "!u:x", "@carol:x", 100, "");
	assert_unread(f->st, "!u:x", "@dave:x", 100, "$6|$4|$3|$2|$1");
}

static void
test_unread_after_receipt(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s;
	struct mx_room_update *ru;

	unread_room(f);
	s = slide_new("pos-2");
	ru = sync_room(s, "!u:x", MX_MEMBERSHIP_NONE);
	receipt_add(ru, SELF, "$4", 30);
	slide_ok(f->st, &s);
	assert_unread(f->st, "!u:x", SELF, 100, "$6");

	/* A receipt older than self's last message: that message counts. */
	s = slide_new("pos-3");
	ru = sync_room(s, "!u:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$7", SELF, "me again");
	ev_text(TL(ru), "$8", "@bob:x", "eight");
	slide_ok(f->st, &s);
	assert_unread(f->st, "!u:x", SELF, 100, "$8");

	/* Read to the end. */
	s = slide_new("pos-4");
	ru = sync_room(s, "!u:x", MX_MEMBERSHIP_NONE);
	receipt_add(ru, SELF, "$8", 40);
	slide_ok(f->st, &s);
	assert_unread(f->st, "!u:x", SELF, 100, "");
	assert_unread(f->st, "!nothing:x", SELF, 100, "");
}

static struct mx_sync *
slide_fixture(const char *name)
{
	return fixture_sync(name, mx_slide_parse);
}

/* The recorded answers (tests/fixtures/sync/record-slide.py) one after
 * the other, as alice's natter would keep them. */
#define ALICE "@alice-6f3fba7135:localhost"
#define GROUP "!JcIVLDtOTkTgqrkSou:localhost"
#define SECRET "!TxLrliSuBBhckhBnbp:localhost"
#define FAREWELL "!apBTofpFXgWFzCIceI:localhost"
#define DM "!tewwCrfbSQwJVQTujk:localhost"

static void
test_slide_recorded(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = slide_fixture("slide-initial.json");
	struct store_room *rooms, *row;
	size_t n;
	char *cause = NULL;

	slide_ok(f->st, &s);
	assert_history(f->st, GROUP, "hello from bob|how are you?|fine, thanks");
	/* alice read bob's first message and wrote after it. */
	assert_unread(f->st, GROUP, ALICE, 100, "$jVRC4-mmpZpu1Qnnpe01pRI4mlIFMvb8O6z5AH7Jnzs");
	assert_meta(f->st, STORE_META_SLIDE_TO_DEVICE, "3");
	assert_meta(f->st, POS_KEY, "3/s111_1_3_6_5_1_3_5_0_1_1_1_1_1");

	s = slide_fixture("slide-incremental.json");
	slide_ok(f->st, &s);
	assert_history(f->st, GROUP, "hello from bob|how are you?|fine, thanks|more news 0|"
	    "more news 1|more news 2|more news 3|the newest");
	assert_unread(f->st, GROUP, ALICE, 100, "");
	assert_history(f->st, DM, "m.room.member|m.room.member|a direct word|"
	    "another direct word");
	assert_int_equal(store_rooms(f->st, &rooms, &n, &cause), 0);
	assert_int_equal(n, 5);
	row = room_row(rooms, n, SECRET);
	assert_non_null(row);
	assert_int_equal(row->membership, MX_MEMBERSHIP_JOIN);
	assert_string_equal(row->name, "Slide secret");
	row = room_row(rooms, n, FAREWELL);
	assert_non_null(row);
	assert_int_equal(row->membership, MX_MEMBERSHIP_JOIN);
	assert_true(row->lowpriority);
	row = room_row(rooms, n, GROUP);
	assert_true(row->favourite);
	assert_string_equal(row->name, "Slide group");
	store_rooms_free(&rooms, n);
	assert_meta(f->st, POS_KEY, "4/s117_1_4_8_6_1_3_5_0_1_1_1_1_1");
}

/* A new connection (no pos: after M_UNKNOWN_POS, say) sends a room's
 * timeline again, not marked expanded, and it may reach back past the
 * cache's newest events to ones the cache never had (an earlier expanded
 * answer left them to the gap). Those older events must not land after
 * the stored ones. */
static void
test_slide_new_connection_older_events(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = slide_new("pos-1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);

	ru->limited = 1;
	ru->prev_batch = xstrdup("p1");
	ev_text(TL(ru), "$c", "@bob:x", "c");
	ev_text(TL(ru), "$d", "@bob:x", "d");
	slide_ok(f->st, &s);

	s = slide_new("pos-new");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ru->limited = 1;
	ru->prev_batch = xstrdup("p2");
	ru->n_live = 0;
	test_clock -= 100000;
	ev_text(TL(ru), "$b", "@bob:x", "b");
	test_clock += 200000;
	ev_text(TL(ru), "$c", "@bob:x", "c");
	ev_text(TL(ru), "$d", "@bob:x", "d");
	ev_text(TL(ru), "$e", "@bob:x", "e");
	slide_ok(f->st, &s);
	assert_history(f->st, "!r:x", "c|d|e");

	/* The same again with the newest stored event first: nothing moves. */
	s = slide_new("pos-new2");
	ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$e", "@bob:x", "e");
	ev_text(TL(ru), "$f", "@bob:x", "f");
	slide_ok(f->st, &s);
	assert_history(f->st, "!r:x", "c|d|e|f");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_slide_positions),
		T(test_slide_expanded_overlap),
		T(test_slide_expanded_new_room),
		T(test_slide_extension_room_unknown),
		T(test_slide_extension_room_known),
		T(test_unread_after_own_message),
		T(test_unread_after_receipt),
		T(test_slide_recorded),
		T(test_slide_new_connection_older_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
