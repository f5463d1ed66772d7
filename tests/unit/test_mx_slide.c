/* The simplified sliding sync parser (mx_slide_parse) against answers
 * recorded from Synapse 1.160 (tests/fixtures/sync/record-slide.py) and
 * against a hand-made malformed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/event.h"
#include "natter/util.h"
#include "fixture-file.h"

/* The recorded account: alice and bob, alice recorded. */
#define ALICE "@alice-6f3fba7135:localhost"
#define BOB "@bob-01e84efa4d:localhost"
#define GROUP "!JcIVLDtOTkTgqrkSou:localhost"
#define SECRET "!TxLrliSuBBhckhBnbp:localhost"
#define INVITE "!UVJIllDyXRYoKIdjnK:localhost"
#define FAREWELL "!apBTofpFXgWFzCIceI:localhost"
#define DM "!tewwCrfbSQwJVQTujk:localhost"

static struct mx_sync *
slide_fixture(const char *name)
{
	return fixture_sync(name, mx_slide_parse);
}

static struct mx_sync *
slide_text(const char *json)
{
	char *cause = NULL;
	struct mx_sync *s = mx_slide_parse(json, strlen(json), &cause);

	if (s == NULL)
		fail_msg("%s", cause);
	return s;
}

static char *
slide_error(const char *json)
{
	char *cause = NULL;
	struct mx_sync *s = mx_slide_parse(json, strlen(json), &cause);

	if (s != NULL)
		fail_msg("parsed, expected an error: %.80s", json);
	assert_non_null(cause);
	return cause;
}

static const struct mx_room_update *
room(const struct mx_sync *s, const char *id)
{
	const struct mx_room_update *found = NULL;

	for (size_t i = 0; i < s->n_rooms; i++) {
		if (strcmp(s->rooms[i].room_id, id) != 0)
			continue;
		if (found != NULL)
			fail_msg("room %s listed twice", id);
		found = &s->rooms[i];
	}
	if (found == NULL)
		fail_msg("no room %s", id);
	return found;
}

static int
has_room(const struct mx_sync *s, const char *id)
{
	for (size_t i = 0; i < s->n_rooms; i++)
		if (strcmp(s->rooms[i].room_id, id) == 0)
			return 1;
	return 0;
}

static const struct mx_event *
state(const struct mx_room_update *ru, const char *type, const char *key)
{
	for (size_t i = 0; i < ru->n_state; i++) {
		const struct mx_event *ev = &ru->state[i];

		if (strcmp(ev->type, type) == 0 && ev->state_key != NULL &&
		    strcmp(ev->state_key, key) == 0)
			return ev;
	}
	return NULL;
}

static int
state_says(const struct mx_room_update *ru, const char *type, const char *key,
    const char *needle)
{
	const struct mx_event *ev = state(ru, type, key);

	return ev != NULL && ev->content != NULL && strstr(ev->content, needle) != NULL;
}

static const char *
receipt_of(const struct mx_room_update *ru, const char *user)
{
	for (size_t i = 0; i < ru->n_receipts; i++)
		if (strcmp(ru->receipts[i].user_id, user) == 0)
			return ru->receipts[i].event_id;
	return NULL;
}

static void
assert_bodies(const struct mx_room_update *ru, const char *const *bodies, size_t n)
{
	assert_int_equal(ru->n_timeline, n);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(ru->timeline[i].body);
		assert_string_equal(ru->timeline[i].body, bodies[i]);
	}
}

/* The first answer: every room of the account, with what names it. */
static void
test_initial_rooms(void **state_)
{
	struct mx_sync *s = slide_fixture("slide-initial.json");
	const struct mx_room_update *g, *d, *e, *inv, *f;
	static const char *const group_tail[] = {"hello from bob", "how are you?",
	    "fine, thanks"};

	(void)state_;
	assert_true(s->sliding);
	assert_string_equal(s->next_batch, "3/s111_1_3_6_5_1_3_5_0_1_1_1_1_1");
	assert_int_equal(s->list_count, 5);
	assert_int_equal(s->n_rooms, 5);
	assert_int_equal(s->n_skipped, 0);

	g = room(s, GROUP);
	assert_int_equal(g->membership, MX_MEMBERSHIP_JOIN);
	assert_true(state_says(g, "m.room.name", "", "Slide group"));
	assert_non_null(state(g, "m.room.create", ""));
	assert_non_null(state(g, "m.room.power_levels", ""));
	assert_true(state_says(g, "m.room.member", ALICE, "join"));
	assert_true(state_says(g, "m.room.member", BOB, "join"));
	/* The newest three, oldest first; more before them. */
	assert_bodies(g, group_tail, 3);
	assert_string_equal(g->timeline[0].sender, BOB);
	assert_string_equal(g->timeline[1].sender, ALICE);
	assert_true(g->timeline[0].ts <= g->timeline[1].ts);
	assert_true(g->timeline[1].ts <= g->timeline[2].ts);
	assert_true(g->limited);
	assert_string_equal(g->prev_batch, "t11-69_1_3_6_5_1_3_5_0_1_1_1_1_1");
	assert_false(g->expanded);
	assert_int_equal(g->n_live, 0);
	/* Synapse says 0 for every room: left out. */
	assert_int_equal(g->notification_count, -1);
	assert_int_equal(g->highlight_count, -1);
	assert_int_equal(g->joined_count, 2);
	assert_int_equal(g->invited_count, 0);
	assert_int_equal(g->n_heroes, 0);

	/* The direct chat: unnamed, named by its hero. */
	d = room(s, DM);
	assert_int_equal(d->membership, MX_MEMBERSHIP_JOIN);
	assert_null(state(d, "m.room.name", ""));
	assert_int_equal(d->n_heroes, 1);
	assert_string_equal(d->heroes[0], BOB);
	assert_true(state_says(d, "m.room.member", BOB, "join"));
	assert_int_equal(d->n_timeline, 3);
	assert_string_equal(d->timeline[0].type, "m.room.member");
	assert_string_equal(d->timeline[0].state_key, ALICE);
	assert_string_equal(d->timeline[2].body, "a direct word");

	e = room(s, SECRET);
	assert_true(state_says(e, "m.room.encryption", "", "m.megolm.v1.aes-sha2"));
	assert_true(state_says(e, "m.room.name", "", "Slide secret"));
	assert_string_equal(e->timeline[e->n_timeline - 1].type, "m.room.encrypted");
	assert_string_equal(e->timeline[e->n_timeline - 1].sender, BOB);

	/* The pending invite: its stripped state, nothing else. */
	inv = room(s, INVITE);
	assert_int_equal(inv->membership, MX_MEMBERSHIP_INVITE);
	assert_true(state_says(inv, "m.room.name", "", "Slide invite"));
	assert_true(state_says(inv, "m.room.member", ALICE, "invite"));
	assert_int_equal(inv->n_timeline, 0);
	assert_int_equal(inv->joined_count, -1);

	/* bob left; alice is still there. */
	f = room(s, FAREWELL);
	assert_int_equal(f->membership, MX_MEMBERSHIP_JOIN);
	assert_true(state_says(f, "m.room.member", BOB, "leave"));
	assert_true(state_says(f, "m.room.member", ALICE, "join"));
	assert_string_equal(f->timeline[f->n_timeline - 1].type, "m.room.member");
	assert_int_equal(f->joined_count, 1);
	mx_sync_free(&s);
	assert_null(s);
}

/* What the extensions of the first answer bring. */
static void
test_initial_extensions(void **state_)
{
	struct mx_sync *s = slide_fixture("slide-initial.json");
	const struct mx_room_update *g = room(s, GROUP);

	(void)state_;
	/* Receipts: alice read bob's first message, bob the last. */
	assert_int_equal(g->n_receipts, 2);
	assert_string_equal(receipt_of(g, ALICE), g->timeline[0].event_id);
	assert_string_equal(receipt_of(g, BOB), g->timeline[2].event_id);
	assert_true(g->receipts[0].ts > 0);
	assert_true(g->has_typing);
	assert_int_equal(g->n_typing, 1);
	assert_string_equal(g->typing[0], BOB);
	assert_true(g->has_tags);
	assert_true(g->favourite);
	assert_false(g->lowpriority);
	assert_false(room(s, DM)->has_typing);
	assert_int_equal(room(s, DM)->n_receipts, 0);
	/* The room account data names all five; none comes twice. */
	assert_int_equal(s->n_rooms, 5);
	for (size_t i = 0; i < s->n_rooms; i++)
		assert_int_not_equal(s->rooms[i].membership, MX_MEMBERSHIP_NONE);

	assert_true(s->has_direct);
	assert_int_equal(s->n_direct, 1);
	assert_string_equal(s->direct[0].user_id, BOB);
	assert_string_equal(s->direct[0].room_id, DM);

	assert_int_equal(s->n_to_device, 1);
	assert_string_equal(s->to_device[0].type, "m.room.encrypted");
	assert_string_equal(s->to_device[0].sender, BOB);
	assert_string_equal(s->to_device[0].algorithm, "m.olm.v1.curve25519-aes-sha2");
	assert_int_equal(s->to_device[0].n_ciphertexts, 1);
	assert_string_equal(s->to_device_next, "3");

	assert_int_equal(s->otk_count, 0);
	assert_int_equal(s->fallback_unused, 0);
	assert_int_equal(s->n_devices_changed, 0);
	mx_sync_free(&s);
}

/* The next answer: the group's timeline grew (expanded), the direct chat
 * has one live event, and two rooms come by an extension only. */
static void
test_incremental(void **state_)
{
	struct mx_sync *s = slide_fixture("slide-incremental.json");
	const struct mx_room_update *g, *d, *e, *f;
	static const char *const group[] = {"hello from bob", "how are you?", "fine, thanks",
	    "more news 0", "more news 1", "more news 2", "more news 3", "the newest"};

	(void)state_;
	assert_string_equal(s->next_batch, "4/s117_1_4_8_6_1_3_5_0_1_1_1_1_1");
	assert_int_equal(s->list_count, 5);
	assert_int_equal(s->n_skipped, 0);
	assert_int_equal(s->n_rooms, 4);

	g = room(s, GROUP);
	assert_int_equal(g->membership, MX_MEMBERSHIP_JOIN);
	assert_true(g->expanded);
	assert_int_equal(g->n_live, 5);
	assert_bodies(g, group, 8);
	assert_true(g->limited);
	assert_non_null(g->prev_batch);
	/* No required_state change, no counts said. */
	assert_int_equal(g->n_state, 0);
	assert_int_equal(g->joined_count, -1);
	assert_string_equal(receipt_of(g, ALICE), g->timeline[7].event_id);
	assert_string_equal(receipt_of(g, BOB), g->timeline[2].event_id);
	/* bob stopped typing: an empty m.typing, not none. */
	assert_true(g->has_typing);
	assert_int_equal(g->n_typing, 0);

	d = room(s, DM);
	assert_false(d->expanded);
	assert_false(d->limited);
	assert_int_equal(d->n_live, 1);
	assert_int_equal(d->n_timeline, 1);
	assert_string_equal(d->timeline[0].body, "another direct word");

	/* bob's receipt in the encrypted room, alice's tag on the farewell
	 * room: those rooms come with nothing else. */
	e = room(s, SECRET);
	assert_int_equal(e->membership, MX_MEMBERSHIP_NONE);
	assert_int_equal(e->n_timeline, 0);
	assert_int_equal(e->n_state, 0);
	assert_int_equal(e->n_receipts, 1);
	assert_string_equal(e->receipts[0].user_id, BOB);
	assert_int_equal(e->joined_count, -1);
	assert_int_equal(e->n_live, -1);
	f = room(s, FAREWELL);
	assert_int_equal(f->membership, MX_MEMBERSHIP_NONE);
	assert_true(f->has_tags);
	assert_true(f->lowpriority);
	assert_false(f->favourite);
	assert_int_equal(f->n_receipts, 0);

	assert_false(s->has_direct);
	assert_int_equal(s->n_to_device, 0);
	assert_string_equal(s->to_device_next, "3");
	assert_int_equal(s->otk_count, 0);
	mx_sync_free(&s);
}

/* Whatever is malformed is skipped and counted; the rest stays. */
static void
test_malformed(void **state_)
{
	struct mx_sync *s = slide_fixture("slide-malformed.json");
	const struct mx_room_update *r;

	(void)state_;
	assert_string_equal(s->next_batch, "m1");
	assert_int_equal(s->list_count, -1);
	assert_false(has_room(s, "not-a-room"));
	assert_false(has_room(s, "!array:example.org"));
	/* 3 rooms (not a room id, the repeated key, an array), 3 timeline
	 * events and 2 state events of !badevents, 2 to-device events. */
	assert_int_equal(s->n_skipped, 10);
	assert_int_equal(s->n_rooms, 5);

	/* The first of two equal keys wins; the typing event that the
	 * receipts extension names is not taken as receipts. */
	r = room(s, "!dup:example.org");
	assert_int_equal(r->n_timeline, 1);
	assert_string_equal(r->timeline[0].body, "first wins");
	assert_int_equal(r->n_receipts, 0);
	assert_false(r->has_typing);
	assert_false(r->has_tags);

	/* Heroes as strings and objects; the invalid left out. Fields of the
	 * wrong type count as absent. */
	r = room(s, "!heroes:example.org");
	assert_int_equal(r->n_heroes, 2);
	assert_string_equal(r->heroes[0], "@str:example.org");
	assert_string_equal(r->heroes[1], "@obj:example.org");
	assert_int_equal(r->membership, MX_MEMBERSHIP_JOIN);
	assert_int_equal(r->n_timeline, 0);
	assert_int_equal(r->n_state, 0);
	assert_false(r->limited);
	assert_null(r->prev_batch);
	assert_int_equal(r->joined_count, -1);
	assert_int_equal(r->invited_count, -1);
	assert_int_equal(r->n_live, -1);
	assert_int_equal(r->notification_count, -1);
	assert_int_equal(r->n_receipts, 0);

	r = room(s, "!invarray:example.org");
	assert_int_equal(r->membership, MX_MEMBERSHIP_INVITE);
	assert_int_equal(r->n_state, 2);
	assert_true(state_says(r, "m.room.name", "", "Array invite"));
	assert_int_equal(r->n_receipts, 0);
	r = room(s, "!invobject:example.org");
	assert_int_equal(r->membership, MX_MEMBERSHIP_INVITE);
	assert_int_equal(r->n_state, 1);
	assert_true(state_says(r, "m.room.name", "", "Object invite"));

	r = room(s, "!badevents:example.org");
	assert_int_equal(r->n_timeline, 1);
	assert_string_equal(r->timeline[0].body, "survivor");
	assert_int_equal(r->n_state, 0);

	/* Extensions of the wrong shape bring nothing. */
	assert_false(s->has_direct);
	assert_int_equal(s->n_to_device, 0);
	assert_null(s->to_device_next);
	assert_int_equal(s->otk_count, -1);
	assert_int_equal(s->fallback_unused, -1);
	for (size_t i = 0; i < s->n_rooms; i++)
		assert_int_not_equal(s->rooms[i].membership, MX_MEMBERSHIP_NONE);
	mx_sync_free(&s);
}

static void
test_errors(void **state_)
{
	char *cause;

	(void)state_;
	cause = slide_error("{\"rooms\": {}, \"extensions\": {}}");
	assert_non_null(strstr(cause, "pos"));
	free(cause);
	cause = slide_error("{\"pos\": 5}");
	assert_non_null(strstr(cause, "pos"));
	free(cause);
	cause = slide_error("{\"pos\": \"\"}");
	assert_non_null(strstr(cause, "pos"));
	free(cause);
	free(slide_error("[\"pos\", \"x\"]"));
	free(slide_error("\"pos\""));
	free(slide_error("null"));
	free(slide_error(""));
	free(slide_error("{\"pos\": \"x\""));
}

/* The least answer: a pos and nothing else. */
static void
test_bare(void **state_)
{
	struct mx_sync *s = slide_text("{\"pos\": \"p\", \"rooms\": [], \"lists\": []}");

	(void)state_;
	assert_true(s->sliding);
	assert_string_equal(s->next_batch, "p");
	assert_int_equal(s->n_rooms, 0);
	assert_int_equal(s->list_count, -1);
	assert_int_equal(s->otk_count, -1);
	assert_null(s->to_device_next);
	mx_sync_free(&s);
}

/* An extension may name a room the answer's rooms left out: it comes
 * once, with MX_MEMBERSHIP_NONE, however many extensions name it. */
static void
test_extension_rooms(void **state_)
{
	struct mx_sync *s = slide_text("{\"pos\": \"p\", \"extensions\": {"
	    "\"receipts\": {\"rooms\": {\"!r:x.org\": {\"type\": \"m.receipt\", \"content\":"
	    " {\"$e\": {\"m.read\": {\"@u:x.org\": {\"ts\": 9}}}}}}},"
	    "\"typing\": {\"rooms\": {\"!r:x.org\": {\"type\": \"m.typing\", \"content\":"
	    " {\"user_ids\": [\"@u:x.org\", \"bad\"]}}}},"
	    "\"account_data\": {\"rooms\": {\"!r:x.org\": [{\"type\": \"m.tag\", \"content\":"
	    " {\"tags\": {\"m.favourite\": {}}}}]}}}}");
	const struct mx_room_update *r;

	(void)state_;
	assert_int_equal(s->n_rooms, 1);
	r = room(s, "!r:x.org");
	assert_int_equal(r->membership, MX_MEMBERSHIP_NONE);
	assert_int_equal(r->n_receipts, 1);
	assert_string_equal(r->receipts[0].user_id, "@u:x.org");
	assert_string_equal(r->receipts[0].event_id, "$e");
	assert_int_equal(r->receipts[0].ts, 9);
	assert_int_equal(r->n_typing, 1);
	assert_true(r->favourite);
	assert_int_equal(r->notification_count, -1);
	mx_sync_free(&s);
}

/* Three rooms in the answer, then rooms only the extensions name: the
 * room array must grow past its first size (BUG: mx_grow assumes a
 * power-of-two capacity that slide_rooms' exact allocation breaks). */
static void
test_extension_rooms_after_rooms(void **state_)
{
	struct buf b = {0};
	struct mx_sync *s;

	(void)state_;
	buf_printf(&b, "{\"pos\": \"p\", \"rooms\": {");
	for (int i = 0; i < 3; i++)
		buf_printf(&b, "%s\"!a%d:x.org\": {}", i ? ", " : "", i);
	buf_printf(&b, "}, \"extensions\": {\"receipts\": {\"rooms\": {");
	for (int i = 0; i < 6; i++)
		buf_printf(&b, "%s\"!b%d:x.org\": {\"type\": \"m.receipt\", \"content\":"
		    " {\"$e\": {\"m.read\": {\"@u:x.org\": {}}}}}", i ? ", " : "", i);
	buf_printf(&b, "}}}}");
	s = slide_text(b.data);
	assert_int_equal(s->n_rooms, 9);
	for (int i = 0; i < 6; i++) {
		char id[16];

		snprintf(id, sizeof id, "!b%d:x.org", i);
		assert_int_equal(room(s, id)->membership, MX_MEMBERSHIP_NONE);
		assert_int_equal(room(s, id)->n_receipts, 1);
	}
	assert_int_equal(room(s, "!a2:x.org")->membership, MX_MEMBERSHIP_JOIN);
	mx_sync_free(&s);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_rooms),
		cmocka_unit_test(test_initial_extensions),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bare),
		cmocka_unit_test(test_extension_rooms),
		/* Last: under ASan it aborts the program until the bug is fixed. */
		cmocka_unit_test(test_extension_rooms_after_rooms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
