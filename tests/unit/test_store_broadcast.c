/* store_broadcast_*: a broadcast kept with its targets, and its report
 * as the cache knows it (sent, read from receipts, first answer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "natter/core.h"
#include "natter/event.h"
#include "natter/store.h"
#include "natter/util.h"
#include "cache-builder.h"

/* A group room (me, ann, bob, cat) and a direct chat with dan, each with
 * a message before the broadcast. */
static void
rooms_made(struct store *st)
{
	struct mx_sync *s = sync_new("b1");
	struct mx_room_update *g, *d;

	sync_room(s, "!g:x", MX_MEMBERSHIP_JOIN);
	sync_room(s, "!d:x", MX_MEMBERSHIP_JOIN);
	g = &s->rooms[0];
	d = &s->rooms[1];
	ev_name(ST(g), "$n", "Board");
	ev_member(ST(g), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(g), "@ann:x", "Ann", MX_MEMBERSHIP_JOIN);
	ev_member(ST(g), "@bob:x", "Bob", MX_MEMBERSHIP_JOIN);
	ev_member(ST(g), "@cat:x", "Cat", MX_MEMBERSHIP_JOIN);
	ev_member(ST(g), "@gone:x", "Gone", MX_MEMBERSHIP_LEAVE);
	ev_text(TL(g), "$g0", "@bob:x", "before the broadcast");
	ev_member(ST(d), SELF, "Me", MX_MEMBERSHIP_JOIN);
	ev_member(ST(d), "@dan:x", "Dan", MX_MEMBERSHIP_JOIN);
	ev_text(TL(d), "$d0", "@dan:x", "hello");
	sync_direct(s, "@dan:x", "!d:x");
	apply_ok(st, &s);
}

static void
receipt(struct mx_room_update *ru, const char *user, const char *event_id, int64_t ts)
{
	ru->receipts = xreallocarray(ru->receipts, ru->n_receipts + 1, sizeof *ru->receipts);
	ru->receipts[ru->n_receipts].user_id = xstrdup(user);
	ru->receipts[ru->n_receipts].event_id = xstrdup(event_id);
	ru->receipts[ru->n_receipts++].ts = ts;
}

/* Queues the copy for room_id and records it as target of broadcast id. */
static int64_t
queued(struct store *st, int64_t id, const char *target, const char *room_id)
{
	struct store_outbox item;
	char *cause = NULL;
	int64_t outbox_id;

	assert_int_equal(store_outbox_add(st, room_id, "m.room.message", "{\"body\":\"x\"}", &item,
	    &cause), 0);
	assert_int_equal(store_broadcast_target(st, id, target, room_id, item.id, NULL, &cause), 0);
	outbox_id = item.id;
	store_outbox_clear(&item);
	return outbox_id;
}

static const struct store_bcast_recipient *
who(const struct store_bcast_recipient *r, size_t n, const char *user)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].user_id != NULL && strcmp(r[i].user_id, user) == 0)
			return &r[i];
	}
	fail_msg("%s is not in the report", user);
	return NULL;
}

/* The report in words, as both front ends give it. */
static void
report_words(const struct store_bcast_recipient *r, size_t n)
{
	struct buf b = {0};

	setenv("TZ", "UTC", 1);
	tzset();
	core_broadcast_fate(&b, who(r, n, "@ann:x"), 0);
	assert_string_equal(b.data, "sent 2023-11-14 22:13; read 2023-11-14 22:14; no reply");
	buf_free(&b);
	core_broadcast_fate(&b, who(r, n, "@ann:x"), 1);
	assert_string_equal(b.data,
	    "sent 2023-11-14 22:13 ($cast-g); read 2023-11-14 22:14; no reply");
	buf_free(&b);
	/* The answer's excerpt is made inert: no escape reaches a terminal. */
	core_broadcast_fate(&b, who(r, n, "@bob:x"), 0);
	assert_non_null(strstr(b.data, "; not read; replied "));
	assert_non_null(strstr(b.data, ": \"Noted "));
	assert_null(strchr(b.data, '\x1b'));
	buf_free(&b);
	core_broadcast_fate(&b, &r[4], 1);
	assert_string_equal(b.data, "not sent: no room called Nowhere");
	buf_free(&b);
	core_broadcast_tally(&b, r, n);
	assert_string_equal(b.data, "4 people: 2 read it, 1 replied");
	buf_free(&b);
}

static void
test_broadcast_report_read_replied_neither(void **state)
{
	struct fixture *f = *state;
	struct store_bcast_recipient *r;
	const struct store_bcast_recipient *p;
	struct store_broadcast *list;
	struct mx_room_update *g, *d;
	struct mx_sync *s;
	struct mx_event *ev;
	char *cause = NULL;
	int64_t id, og;
	size_t n;

	rooms_made(f->st);
	assert_int_equal(store_broadcast_add(f->st, "Offsite moved to Friday", &id, &cause), 0);
	og = queued(f->st, id, "Board", "!g:x");
	queued(f->st, id, "@dan:x", "!d:x");
	assert_int_equal(store_broadcast_target(f->st, id, "Nowhere", NULL, 0,
	    "no room called Nowhere", &cause), 0);

	/* Before any echo: both copies wait. */
	assert_int_equal(store_broadcast_report(f->st, id, SELF, &r, &n, &cause), 0);
	assert_int_equal(n, 5);
	assert_int_equal(who(r, n, "@ann:x")->sent, STORE_BCAST_QUEUED);
	assert_null(who(r, n, "@ann:x")->read_event);
	store_bcast_recipients_free(&r, n);

	s = sync_new("b2");
	sync_room(s, "!g:x", MX_MEMBERSHIP_JOIN);
	sync_room(s, "!d:x", MX_MEMBERSHIP_JOIN);
	g = &s->rooms[0];
	d = &s->rooms[1];
	ev = ev_text(TL(g), "$cast-g", SELF, "Offsite moved to Friday");
	{
		struct store_outbox item;

		assert_int_equal(store_outbox_get(f->st, og, &item, &cause), 0);
		ev->txn_id = xstrdup(item.txn_id);
		store_outbox_clear(&item);
	}
	ev_edit(TL(g), "$cat-edit", "@cat:x", "$g0", "an edit is no answer");
	ev_text(TL(g), "$bob-1", "@bob:x", "Noted \x1b[2J, thanks");
	ev_text(TL(g), "$bob-2", "@bob:x", "second answer");
	receipt(g, "@ann:x", "$bob-1", 1700000099000);
	receipt(g, "@cat:x", "$g0", 1700000098000);
	ev_text(TL(d), "$cast-d", SELF, "Offsite moved to Friday");
	receipt(d, "@dan:x", "$cast-d", 1700000097000);
	apply_ok(f->st, &s);
	/* The direct chat's copy went, as the server answered. */
	assert_int_equal(store_outbox_sent(f->st, og + 1, "$cast-d", &cause), 0);

	assert_int_equal(store_broadcast_report(f->st, id, SELF, &r, &n, &cause), 0);
	assert_int_equal(n, 5);
	assert_string_equal(r[0].target, "Board");
	assert_string_equal(r[0].room_name, "Board");

	p = who(r, n, "@ann:x");
	assert_int_equal(p->sent, STORE_BCAST_SENT);
	assert_string_equal(p->event_id, "$cast-g");
	assert_false(p->direct);
	assert_string_equal(p->user_name, "Ann");
	assert_string_equal(p->read_event, "$bob-1");
	assert_int_equal(p->read_ts, 1700000099000);
	assert_null(p->reply_event);

	p = who(r, n, "@bob:x");
	assert_null(p->read_event);
	assert_string_equal(p->reply_event, "$bob-1");
	assert_string_equal(p->reply_body, "Noted \x1b[2J, thanks");

	p = who(r, n, "@cat:x");
	assert_null(p->read_event);
	assert_null(p->reply_event);

	p = who(r, n, "@dan:x");
	assert_true(p->direct);
	assert_int_equal(p->sent, STORE_BCAST_SENT);
	assert_string_equal(p->read_event, "$cast-d");
	assert_null(p->reply_event);

	assert_null(r[4].user_id);
	assert_null(r[4].room_id);
	assert_int_equal(r[4].sent, STORE_BCAST_UNSENT);
	assert_string_equal(r[4].why, "no room called Nowhere");
	report_words(r, n);
	store_bcast_recipients_free(&r, n);

	assert_int_equal(store_broadcast_list(f->st, &list, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, id);
	assert_int_equal(list[0].targets, 3);
	assert_int_equal(list[0].sent, 2);
	assert_string_equal(list[0].body, "Offsite moved to Friday");
	store_broadcast_free(&list, n);
}

static void
test_broadcast_discarded_and_unknown(void **state)
{
	struct fixture *f = *state;
	struct store_bcast_recipient *r;
	struct store_broadcast b;
	char *cause = NULL;
	int64_t id, o;
	size_t n;

	rooms_made(f->st);
	assert_int_equal(store_broadcast_add(f->st, "hi", &id, &cause), 0);
	o = queued(f->st, id, "@dan:x", "!d:x");
	assert_int_equal(store_outbox_delete(f->st, o, &cause), 0);
	assert_int_equal(store_broadcast_report(f->st, id, SELF, &r, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].sent, STORE_BCAST_DISCARDED);
	store_bcast_recipients_free(&r, n);

	assert_int_equal(store_broadcast_get(f->st, id + 1, &b, &cause), -1);
	assert_non_null(strstr(cause, "no broadcast"));
	xfree(&cause);
	assert_int_equal(store_broadcast_report(f->st, id + 1, SELF, &r, &n, &cause), -1);
	free(cause);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_broadcast_report_read_replied_neither),
		T(test_broadcast_discarded_and_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
