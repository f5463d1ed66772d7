/* store_waiting: the user's questions and flagged messages that those
 * asked have neither answered nor read, as the cache knows it. */
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

/* A group room (me, ann, bob) and a direct chat with dan; in them my
 * question to dan, a plain note to him, a question mentioning ann, and a
 * question in the group that mentions nobody. */
static int64_t
asked(struct store *st)
{
	struct mx_sync *s = sync_new("b1");
	struct mx_room_update *g, *d;
	struct mx_event *ev;
	int64_t first;

	sync_room(s, "!g:x", MX_MEMBERSHIP_JOIN);
	sync_room(s, "!d:x", MX_MEMBERSHIP_JOIN);
	g = &s->rooms[0];
	d = &s->rooms[1];
	ev_name(ST(g), "$n", "Board");
	ev_member(ST(g), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(g), "@ann:x", "Ann", MX_MEMBERSHIP_JOIN);
	ev_member(ST(g), "@bob:x", "Bob", MX_MEMBERSHIP_JOIN);
	ev_member(ST(d), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(d), "@dan:x", "Dan", MX_MEMBERSHIP_JOIN);
	first = ev_text(TL(d), "$q1", SELF, "Did the pack go out? By noon please.")->ts;
	ev_text(TL(d), "$s1", SELF, "The car is booked.");
	ev = ev_text(TL(g), "$q2", SELF, "Ann, can you review it?");
	free(ev->content);
	ev->content = xstrdup("{\"msgtype\":\"m.text\",\"body\":\"Ann, can you review it?\","
	    "\"m.mentions\":{\"user_ids\":[\"@ann:x\",7]}}");
	ev_text(TL(g), "$q3", SELF, "Anyone free at four?");
	ev_text(TL(g), "$b1", "@bob:x", "Is it Friday?");
	sync_direct(s, "@dan:x", "!d:x");
	apply_ok(st, &s);
	return first;
}

static void
receipt(struct mx_room_update *ru, const char *user, const char *event_id)
{
	ru->receipts = xreallocarray(ru->receipts, ru->n_receipts + 1, sizeof *ru->receipts);
	ru->receipts[ru->n_receipts].user_id = xstrdup(user);
	ru->receipts[ru->n_receipts].event_id = xstrdup(event_id);
	ru->receipts[ru->n_receipts++].ts = test_clock;
}

/* The waiting messages' ids, "$a $b", and who each waits for. */
static char *
waiting(struct store *st, int64_t before, const char *flag)
{
	const char *flags[] = {flag};
	struct store_waiting *w;
	struct buf b = {0};
	char *cause = NULL;
	size_t n;

	assert_int_equal(store_waiting(st, SELF, 0, before, flags, flag != NULL, &w, &n, &cause),
	    0);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s%s%s:", i > 0 ? " " : "", w[i].event_id,
		    w[i].flagged ? "!" : "");
		for (size_t j = 0; j < w[i].n_people; j++)
			buf_printf(&b, "%s%s", j > 0 ? "," : "", w[i].people[j]);
	}
	store_waiting_free(&w, n);
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

static void
assert_waiting(struct store *st, int64_t before, const char *flag, const char *want)
{
	char *got = waiting(st, before, flag);

	assert_string_equal(got, want);
	free(got);
}

static void
test_questions_and_flags_wait_for_those_asked(void **state)
{
	struct fixture *f = *state;
	int64_t first = asked(f->st);
	struct mx_sync *s;

	assert_waiting(f->st, INT64_MAX, NULL, "$q1:@dan:x $q2:@ann:x");
	assert_waiting(f->st, INT64_MAX, "$s1", "$q1:@dan:x $s1!:@dan:x $q2:@ann:x");
	/* Not yet older than the wait: nothing. */
	assert_waiting(f->st, first - 1, "$s1", "");
	/* Someone else's message cannot be flagged as mine. */
	assert_waiting(f->st, INT64_MAX, "$b1", "$q1:@dan:x $q2:@ann:x");

	/* bob is not asked: his receipt changes nothing; dan's answer clears
	 * both messages of the chat. */
	s = sync_new("b2");
	sync_room(s, "!g:x", MX_MEMBERSHIP_JOIN);
	sync_room(s, "!d:x", MX_MEMBERSHIP_JOIN);
	receipt(&s->rooms[0], "@bob:x", "$q3");
	ev_text(TL(&s->rooms[1]), "$a1", "@dan:x", "Yes.");
	apply_ok(f->st, &s);
	assert_waiting(f->st, INT64_MAX, "$s1", "$q2:@ann:x");

	/* ann read a later message: she has read the question too. */
	s = sync_new("b3");
	receipt(sync_room(s, "!g:x", MX_MEMBERSHIP_JOIN), "@ann:x", "$b1");
	apply_ok(f->st, &s);
	assert_waiting(f->st, INT64_MAX, "$s1", "");
}

static void
test_a_flagged_message_that_mentions_nobody_asks_everyone(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s;

	asked(f->st);
	/* bob wrote after it: his answer; ann has neither answered nor read. */
	assert_waiting(f->st, INT64_MAX, "$q3", "$q1:@dan:x $q2:@ann:x $q3!:@ann:x");
	s = sync_new("b2");
	receipt(sync_room(s, "!g:x", MX_MEMBERSHIP_JOIN), "@ann:x", "$q3");
	apply_ok(f->st, &s);
	assert_waiting(f->st, INT64_MAX, "$q3", "$q1:@dan:x");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_questions_and_flags_wait_for_those_asked),
		T(test_a_flagged_message_that_mentions_nobody_asks_everyone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
