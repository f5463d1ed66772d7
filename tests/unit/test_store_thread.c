/* Threads (m.thread) in the cache: replies shown under their root as a
 * count and the latest, listed together when the thread is opened. */
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

#include "natter/event.h"
#include "natter/store.h"
#include "natter/util.h"
#include "cache-builder.h"

static struct mx_event *
ev_thread(struct mx_event **evs, size_t *n, const char *id, const char *sender,
    const char *root, const char *body)
{
	struct mx_event *ev = ev_text(evs, n, id, sender, body);

	ev->rel_type = xstrdup("m.thread");
	ev->rel_event = xstrdup(root);
	return ev;
}

/* A room with a root of two replies, a message after them, and a reply
 * whose root is not cached. */
static void
thread_made(struct store *st, int limited)
{
	struct mx_sync *s = sync_new("t1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);

	if (limited) {
		ru->limited = 1;
		ru->prev_batch = xstrdup("p1");
	}

	ev_member(ST(ru), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@dana:x", "Dana", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@sam:x", "Sam", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$root", "@dana:x", "Offsite agenda?");
	ev_thread(TL(ru), "$t1", "@sam:x", "$root", "Draft attached");
	ev_text(TL(ru), "$main", "@sam:x", "Lunch at one");
	ev_thread(TL(ru), "$t2", "@dana:x", "$root", "Looks good\nsecond line");
	ev_thread(TL(ru), "$lost", "@sam:x", "$elsewhere", "About the budget");
	apply_ok(st, &s);
}

static void
test_replies_stay_under_their_root(void **state)
{
	struct fixture *f = *state;
	struct store_msg m;
	char *cause = NULL;

	thread_made(f->st, 0);
	assert_history(f->st, "!r:x", "Offsite agenda?|Lunch at one|About the budget");
	assert_int_equal(store_msg_get(f->st, "$root", &m, &cause), 0);
	assert_null(m.thread_root);
	assert_int_equal(m.thread_replies, 2);
	assert_string_equal(m.thread_last_sender, "@dana:x");
	assert_string_equal(m.thread_last_name, "Dana");
	assert_string_equal(m.thread_last_body, "Looks good\nsecond line");
	store_msg_clear(&m);
	assert_int_equal(store_msg_get(f->st, "$lost", &m, &cause), 0);
	assert_string_equal(m.thread_root, "$elsewhere");
	assert_int_equal(m.thread_replies, 0);
	store_msg_clear(&m);
	assert_int_equal(store_msg_get(f->st, "$main", &m, &cause), 0);
	assert_int_equal(m.thread_replies, 0);
	assert_null(m.thread_last_sender);
	store_msg_clear(&m);
}

static void
test_thread_lists_root_and_replies(void **state)
{
	struct fixture *f = *state;
	struct store_msg *msgs;
	char *cause = NULL, *latest;
	size_t n;

	thread_made(f->st, 0);
	assert_int_equal(store_thread(f->st, "$root", 100, &msgs, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(msgs[0].event_id, "$root");
	assert_string_equal(msgs[1].event_id, "$t1");
	assert_string_equal(msgs[1].thread_root, "$root");
	assert_string_equal(msgs[1].sender_name, "Sam");
	assert_string_equal(msgs[2].event_id, "$t2");
	store_msgs_free(&msgs, n);
	/* The last replies when there are more than the limit. */
	assert_int_equal(store_thread(f->st, "$root", 1, &msgs, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(msgs[0].event_id, "$t2");
	store_msgs_free(&msgs, n);

	latest = store_thread_latest(f->st, "$root");
	assert_string_equal(latest, "$t2");
	free(latest);
	latest = store_thread_latest(f->st, "$main");
	assert_string_equal(latest, "$main");
	free(latest);
	assert_null(store_thread_latest(f->st, "$nowhere"));
}

/* The root arriving later (older history paged in) takes the reply
 * that waited for it out of the timeline. */
static void
test_root_arriving_later_gathers_its_reply(void **state)
{
	struct fixture *f = *state;
	struct mx_messages *page;
	int64_t before;
	char *token = NULL, *cause = NULL;

	thread_made(f->st, 1);
	assert_int_equal(store_gap_next(f->st, "!r:x", &before, &token, &cause), 1);
	page = page_new("p1", NULL);
	ev_text(CHUNK(page), "$elsewhere", "@dana:x", "Budget for Q1");
	assert_int_equal(store_gap_fill(f->st, "!r:x", before, page, &cause), 1);
	mx_messages_free(&page);
	free(token);
	assert_history(f->st, "!r:x", "Budget for Q1|Offsite agenda?|Lunch at one");
}

/* Threads do not nest: replies naming each other, or themselves, as
 * their root stay in the room's timeline rather than vanish. */
static void
test_a_reply_cannot_hide_behind_a_reply(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("n1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);

	ev_thread(TL(ru), "$a", "@sam:x", "$b", "first of a loop");
	ev_thread(TL(ru), "$b", "@sam:x", "$a", "second of a loop");
	ev_thread(TL(ru), "$self", "@sam:x", "$self", "its own root");
	apply_ok(f->st, &s);
	assert_history(f->st, "!r:x", "first of a loop|second of a loop|its own root");
}

/* A reply in an encrypted room is known as one before it is read: its
 * relation is in the clear, and decrypting it keeps the relation. */
static void
test_encrypted_reply_keeps_its_thread(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("e1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct mx_event *enc, dec = {0};
	struct store_msg m;
	char *cause = NULL;

	ev_text(TL(ru), "$root", "@dana:x", "Offsite agenda?");
	enc = ev_push(TL(ru), "$enc", "m.room.encrypted", "@sam:x");
	enc->rel_type = xstrdup("m.thread");
	enc->rel_event = xstrdup("$root");
	apply_ok(f->st, &s);
	assert_history(f->st, "!r:x", "Offsite agenda?");

	dec.event_id = xstrdup("$enc");
	dec.type = xstrdup("m.room.message");
	dec.sender = xstrdup("@sam:x");
	dec.ts = 5;
	dec.size = -1;
	dec.msgtype = xstrdup("m.text");
	dec.body = xstrdup("secret draft");
	dec.content = xstrdup("{\"msgtype\":\"m.text\",\"body\":\"secret draft\"}");
	dec.encryption = xstrdup("ok");
	assert_int_equal(store_event_decrypted(f->st, "!r:x", &dec, &cause), 0);
	mx_event_clear(&dec);
	assert_history(f->st, "!r:x", "Offsite agenda?");
	assert_int_equal(store_msg_get(f->st, "$enc", &m, &cause), 0);
	assert_string_equal(m.thread_root, "$root");
	assert_string_equal(m.body, "secret draft");
	store_msg_clear(&m);
	assert_int_equal(store_msg_get(f->st, "$root", &m, &cause), 0);
	assert_int_equal(m.thread_replies, 1);
	assert_string_equal(m.thread_last_body, "secret draft");
	store_msg_clear(&m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_replies_stay_under_their_root),
		T(test_thread_lists_root_and_replies),
		T(test_root_arriving_later_gathers_its_reply),
		T(test_a_reply_cannot_hide_behind_a_reply),
		T(test_encrypted_reply_keeps_its_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
