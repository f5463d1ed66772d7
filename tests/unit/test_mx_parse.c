/* The /sync, /messages and single-event parser against recorded-style
 * responses and against the malformed input a server or a remote user can
 * send. */
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

#define BOARD "!GjNzUqPkbEaHOdbBvj:localhost"
#define DM "!QtykxKocfZaZOUrTwp:localhost"
#define INVITED "!kTvNbWOAqHrLmZyPcd:example.org"
#define OLD "!RdbmQnrXwYjAzTtUvs:localhost"
#define FFFD "\xef\xbf\xbd"

static char *
fixture(const char *name, size_t *len)
{
	return fixture_read("sync", name, len);
}

static struct mx_sync *
sync_fixture(const char *name)
{
	return fixture_sync(name, mx_sync_parse);
}

static struct mx_sync *
sync_text(const char *json, size_t len)
{
	char *cause = NULL;
	struct mx_sync *s = mx_sync_parse(json, len, &cause);

	if (s == NULL)
		fail_msg("%s", cause);
	return s;
}

/* The error a body produces; fails the test if it parses. */
static char *
sync_error(const char *json, size_t len)
{
	char *cause = NULL;
	struct mx_sync *s = mx_sync_parse(json, len, &cause);

	if (s != NULL)
		fail_msg("parsed, expected an error: %.80s", json);
	assert_non_null(cause);
	return cause;
}

static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
		    (*p & 0xf8) == 0xf0 ? 4 : 0;

		if (n == 0 || (n == 2 && *p < 0xc2) || (n == 3 && p[0] == 0xed && p[1] >= 0xa0))
			return 0;
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		}
		p += n;
	}
	return 1;
}

/* What event.h promises of every event that comes out. */
static void
assert_event_sane(const struct mx_event *ev)
{
	const char *fields[] = {
		ev->event_id, ev->type, ev->sender, ev->state_key, ev->content, ev->txn_id,
		ev->msgtype, ev->body, ev->formatted_body, ev->url, ev->filename, ev->mimetype,
		ev->rel_type, ev->rel_event, ev->key, ev->reply_to, ev->redacts,
		ev->displayname, ev->name, ev->topic, ev->alias,
	};

	assert_non_null(ev->event_id);
	assert_non_null(ev->type);
	assert_non_null(ev->sender);
	if (ev->content_plain) {
		assert_null(ev->content);
		assert_non_null(ev->msgtype);
		assert_non_null(ev->body);
	} else {
		assert_non_null(ev->content);
		assert_int_equal(ev->content[0], '{');
	}
	for (size_t i = 0; i < NT_NELEMS(fields); i++)
		assert_true(fields[i] == NULL || utf8_ok(fields[i]));
}

static void
assert_sync_sane(const struct mx_sync *s)
{
	for (size_t i = 0; i < s->n_rooms; i++) {
		const struct mx_room_update *ru = &s->rooms[i];

		assert_int_equal(ru->room_id[0], '!');
		for (size_t k = 0; k < ru->n_state; k++)
			assert_event_sane(&ru->state[k]);
		for (size_t k = 0; k < ru->n_timeline; k++)
			assert_event_sane(&ru->timeline[k]);
	}
}

static const struct mx_room_update *
room(const struct mx_sync *s, const char *room_id)
{
	for (size_t i = 0; i < s->n_rooms; i++) {
		if (strcmp(s->rooms[i].room_id, room_id) == 0)
			return &s->rooms[i];
	}
	fail_msg("no room %s", room_id);
	return NULL;
}

static const struct mx_event *
event_in(const struct mx_event *evs, size_t n, const char *event_id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(evs[i].event_id, event_id) == 0)
			return &evs[i];
	}
	fail_msg("no event %s", event_id);
	return NULL;
}

static const struct mx_event *
tl(const struct mx_sync *s, const char *room_id, const char *event_id)
{
	const struct mx_room_update *ru = room(s, room_id);

	return event_in(ru->timeline, ru->n_timeline, event_id);
}

/* rooms.join is cut out of the text and parsed a room at a time: what
 * comes of it is what a whole tree gave. Room texts with braces and
 * quotes in their strings, a room id written with an escape, a room
 * named twice (the first counts), one that is no object, and rooms,
 * invites and leaves around them. */
static void
test_joined_rooms_are_read_one_at_a_time_as_a_whole_tree_would(void **state)
{
	static const char json[] =
	    "{\"rooms\": {\"invite\": {\"!inv:x\": {\"invite_state\": {\"events\": []}}},\n"
	    " \"join\" : {\n"
	    "  \"!a:x\": {\"timeline\": {\"events\": [{\"type\": \"m.room.message\", "
	    "\"event_id\": \"$1\", \"sender\": \"@d:x\", \"origin_server_ts\": 1, "
	    "\"content\": {\"msgtype\": \"m.text\", \"body\": \"} {\\\"]\\\\\"}}]}} ,\n"
	    "  \"!\\u0062:x\": {\"timeline\": {\"limited\": true, \"prev_batch\": \"p\"}},\n"
	    "  \"!a:x\": {\"timeline\": {\"events\": []}},\n"
	    "  \"!c:x\": [1, 2]\n"
	    " }, \"leave\": {\"!l:x\": {}}},\n"
	    " \"next_batch\": \"s9\"}\n";
	char *cause = NULL;
	struct mx_sync *s = mx_sync_parse(json, strlen(json), &cause);

	(void)state;
	if (s == NULL)
		fail_msg("%s", cause);
	assert_string_equal(s->next_batch, "s9");
	assert_int_equal(s->n_rooms, 4);
	assert_string_equal(tl(s, "!a:x", "$1")->body, "} {\"]\\");
	assert_true(room(s, "!b:x")->limited);
	assert_string_equal(room(s, "!b:x")->prev_batch, "p");
	assert_int_equal(room(s, "!inv:x")->membership, MX_MEMBERSHIP_INVITE);
	assert_int_equal(room(s, "!l:x")->membership, MX_MEMBERSHIP_LEAVE);
	assert_int_equal(s->n_skipped, 2);	/* the second !a:x, and !c:x */
	mx_sync_free(&s);
}

/* A room that is not JSON fails the whole answer, as it always did, so
 * that its token never moves past what could not be read; so does an
 * answer cut short inside rooms.join. */
static void
test_a_broken_joined_room_fails_the_sync(void **state)
{
	static const char *broken[] = {
	    "{\"next_batch\": \"s\", \"rooms\": {\"join\": {\"!a:x\": {\"timeline\": tru}}}}",
	    "{\"next_batch\": \"s\", \"rooms\": {\"join\": {\"!a:x\": {\"timeline\": {}}",
	    "{\"next_batch\": \"s\", \"rooms\": {\"join\": {\"!a:x\" {}}}}",
	    "{\"next_batch\": \"s\", \"rooms\": {\"join\": {\"!a:x\": {}}}} trailing",
	};
	(void)state;
	for (size_t i = 0; i < NT_NELEMS(broken); i++) {
		char *cause = NULL;
		struct mx_sync *s = mx_sync_parse(broken[i], strlen(broken[i]), &cause);

		if (s != NULL)
			fail_msg("parsed: %s", broken[i]);
		assert_non_null(cause);
		free(cause);
	}
}

/* The same answer read in slices of about one room: each slice replaces
 * the last, the invites and leaves come after the last joined room, and
 * what the slices held in all is what the whole parse held. The text is
 * kept while rooms are left, and a broken room fails its own slice. */
static void
test_a_sync_read_in_slices_holds_one_slice_at_a_time(void **state)
{
	static const char json[] =
	    "{\"next_batch\": \"s9\", \"rooms\": {\"invite\": {\"!inv:x\": {}},\n"
	    " \"join\": {\"!a:x\": {\"timeline\": {\"events\": [{\"type\": \"m.room.message\", "
	    "\"event_id\": \"$1\", \"sender\": \"@d:x\", \"origin_server_ts\": 1, "
	    "\"content\": {\"msgtype\": \"m.text\", \"body\": \"one\"}}]}},\n"
	    "  \"!b:x\": {}, \"!c:x\": [], \"!d:x\": {\"timeline\": tru }, \"!e:x\": {}}}}";
	char *text = xstrdup(json), *cause = NULL;
	struct mx_sync *s = mx_sync_read(&text, strlen(json), 1, &cause);

	(void)state;
	if (s == NULL)
		fail_msg("%s", cause);
	assert_null(text);		/* kept: rooms are left to read */
	assert_string_equal(s->next_batch, "s9");
	assert_int_equal(s->n_rooms, 1);
	assert_string_equal(s->rooms[0].room_id, "!a:x");
	assert_string_equal(s->rooms[0].timeline[0].body, "one");
	assert_int_equal(mx_sync_rooms_next(s, &cause), 1);
	assert_int_equal(s->n_rooms_before, 1);
	assert_int_equal(s->n_events_before, 1);
	assert_int_equal(s->n_rooms, 1);
	assert_string_equal(s->rooms[0].room_id, "!b:x");
	/* !c:x is no object: skipped; !d:x is not JSON: its slice fails. */
	assert_int_equal(mx_sync_rooms_next(s, &cause), 1);
	assert_int_equal(s->n_rooms, 0);
	assert_int_equal(s->n_skipped, 1);
	assert_int_equal(mx_sync_rooms_next(s, &cause), -1);
	assert_non_null(cause);
	xfree(&cause);
	mx_sync_free(&s);

	/* Without the broken room: the last slice ends with the invite. */
	text = xstrdup(json);
	memcpy(strstr(text, "tru "), "true", 4);
	s = mx_sync_read(&text, strlen(json), 1, &cause);
	assert_non_null(s);
	while (s->rest != NULL)
		assert_int_equal(mx_sync_rooms_next(s, &cause), 1);
	assert_int_equal(s->n_rooms_before, 3);		/* !a, !b, !d: !c is none */
	assert_int_equal(s->n_rooms, 2);
	assert_string_equal(s->rooms[0].room_id, "!e:x");
	assert_string_equal(s->rooms[1].room_id, "!inv:x");
	assert_int_equal(s->rooms[1].membership, MX_MEMBERSHIP_INVITE);
	assert_int_equal(mx_sync_rooms_next(s, &cause), 0);
	assert_int_equal(s->n_rooms, 2);
	mx_sync_free(&s);

	/* A small answer is read whole at once, its text freed. */
	text = xstrdup(json);
	memcpy(strstr(text, "tru "), "true", 4);
	s = mx_sync_read(&text, strlen(json), MX_SYNC_SLICE_BYTES, &cause);
	assert_non_null(s);
	assert_null(s->rest);
	assert_int_equal(s->n_rooms, 5);
	free(text);
	mx_sync_free(&s);
}

static void
test_plain_content_is_not_kept_twice(void **state)
{
	static const char json[] =
	    "{\"next_batch\":\"s\",\"rooms\":{\"join\":{\"!r:x\":{\"timeline\":{\"events\":["
	    "{\"type\":\"m.room.message\",\"event_id\":\"$a\",\"sender\":\"@u:x\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"plain\"}},"
	    "{\"type\":\"m.room.message\",\"event_id\":\"$b\",\"sender\":\"@u:x\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi @v\","
	    "\"m.mentions\":{\"user_ids\":[\"@v:x\"]}}},"
	    "{\"type\":\"m.room.message\",\"event_id\":\"$c\",\"sender\":\"@u:x\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"a\",\"body\":\"b\"}}"
	    "]}}}}}";
	struct mx_sync *s = sync_text(json, sizeof json - 1);
	struct mx_room_update *r = &s->rooms[0];

	assert_int_equal(r->n_timeline, 3);
	assert_true(r->timeline[0].content_plain);
	assert_null(r->timeline[0].content);
	assert_string_equal(r->timeline[0].body, "plain");
	/* Anything more than msgtype and body is kept as it came. */
	assert_false(r->timeline[1].content_plain);
	assert_non_null(strstr(r->timeline[1].content, "m.mentions"));
	assert_false(r->timeline[2].content_plain);
	mx_sync_free(&s);
}

static void
test_initial_shape(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");

	assert_sync_sane(s);
	assert_string_equal(s->next_batch, "s1042_77_0_12_34_1_9_88_0_1");
	assert_int_equal(s->n_rooms, 4);
	assert_int_equal(s->n_skipped, 0);
	assert_int_equal(room(s, BOARD)->membership, MX_MEMBERSHIP_JOIN);
	assert_int_equal(room(s, DM)->membership, MX_MEMBERSHIP_JOIN);
	assert_int_equal(room(s, INVITED)->membership, MX_MEMBERSHIP_INVITE);
	assert_int_equal(room(s, OLD)->membership, MX_MEMBERSHIP_LEAVE);
	assert_true(s->has_direct);
	assert_int_equal(s->n_direct, 1);
	assert_string_equal(s->direct[0].user_id, "@bob:localhost");
	assert_string_equal(s->direct[0].room_id, DM);
	mx_sync_free(&s);
	assert_null(s);
}

static void
test_initial_room_state(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_room_update *ru = room(s, BOARD);
	const struct mx_event *ev;

	assert_int_equal(ru->n_state, 8);
	ev = event_in(ru->state, ru->n_state, "$w7f1g3QxVNbkOe4u2mPjzvI8yTSd0a9lYcHrK5qWnXg");
	assert_string_equal(ev->name, "Board prep");
	assert_string_equal(ev->state_key, "");
	ev = event_in(ru->state, ru->n_state, "$DQ3i5Hc2VuF0mYt8eZ1sKp7nWbLx4gRjo9aTqN6yUfE");
	assert_string_equal(ev->topic, "Q4 board pack: agenda, minutes, actions");
	ev = event_in(ru->state, ru->n_state, "$aL9tK2mP5qR8sV1wY4zB7cE0fH3jN6pS9uX2vA5dG8k");
	assert_string_equal(ev->alias, "#board:localhost");
	ev = event_in(ru->state, ru->n_state, "$Yc2wE5rT8uI1oP4aS7dF0gH3jK6lZ9xC2vB5nM8qW1e");
	assert_int_equal(ev->membership, MX_MEMBERSHIP_JOIN);
	assert_string_equal(ev->state_key, "@bob:localhost");
	assert_string_equal(ev->displayname, "Bob");
	assert_int_equal(ev->ts, 1732550400070);
	mx_sync_free(&s);
}

/* Receipts in a thread (Element's, when a thread is read) are not read
 * positions in the room: only those of no thread, or "main", are kept. */
static void
test_thread_receipts_are_not_the_rooms(void **state)
{
	static const char json[] =
	    "{\"next_batch\": \"s\", \"rooms\": {\"join\": {\"!r:x\": {\"ephemeral\": "
	    "{\"events\": [{\"type\": \"m.receipt\", \"content\": {"
	    "\"$a\": {\"m.read\": {\"@plain:x\": {\"ts\": 1}, "
	    "\"@main:x\": {\"ts\": 2, \"thread_id\": \"main\"}}},"
	    "\"$b\": {\"m.read\": {\"@thread:x\": {\"ts\": 3, \"thread_id\": \"$root\"}, "
	    "\"@odd:x\": {\"ts\": 4, \"thread_id\": 7}}}}}]}}}}}";
	struct mx_sync *s = sync_text(json, sizeof json - 1);
	const struct mx_room_update *ru = &s->rooms[0];

	(void)state;
	assert_int_equal(ru->n_receipts, 2);
	assert_string_equal(ru->receipts[0].user_id, "@plain:x");
	assert_string_equal(ru->receipts[1].user_id, "@main:x");
	assert_string_equal(ru->receipts[1].event_id, "$a");
	mx_sync_free(&s);
}

static void
test_initial_room_extras(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_room_update *ru = room(s, BOARD);

	assert_true(ru->limited);
	assert_string_equal(ru->prev_batch, "t27-1042_0_0_0_0_0_0_0_0_0");
	assert_int_equal(ru->notification_count, 3);
	assert_int_equal(ru->highlight_count, 1);
	assert_int_equal(ru->n_heroes, 2);
	assert_string_equal(ru->heroes[0], "@bob:localhost");
	assert_string_equal(ru->heroes[1], "@carol:localhost");
	assert_int_equal(ru->joined_count, 3);
	assert_int_equal(ru->invited_count, 0);
	/* m.read only: the private receipt is not a public one */
	assert_int_equal(ru->n_receipts, 2);
	for (size_t i = 0; i < ru->n_receipts; i++)
		assert_string_equal(ru->receipts[i].event_id,
		    "$H7Fb3cK9mO6rQ2pS5uV8wY1zA4eG7iL0nT3jX6dE9pH");
	assert_string_equal(ru->receipts[0].user_id, "@bob:localhost");
	assert_int_equal(ru->receipts[0].ts, 1732550980000);
	assert_true(ru->has_typing);
	assert_int_equal(ru->n_typing, 1);
	assert_string_equal(ru->typing[0], "@carol:localhost");
	assert_true(ru->has_tags);
	assert_true(ru->favourite);
	assert_false(ru->lowpriority);
	mx_sync_free(&s);
}

static void
test_initial_timeline_order(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_room_update *ru = room(s, BOARD);

	assert_int_equal(ru->n_timeline, 17);
	assert_string_equal(ru->timeline[0].event_id,
	    "$r1TXtK9oUoT9ZPb0wWm0zVb6pU7y1hLqkJbCzkXzL3k");
	assert_string_equal(ru->timeline[16].event_id,
	    "$H7Fb3cK9mO6rQ2pS5uV8wY1zA4eG7iL0nT3jX6dE9pH");
	for (size_t i = 1; i < ru->n_timeline; i++)
		assert_true(ru->timeline[i - 1].ts < ru->timeline[i].ts);
	/* state in the timeline stays there, for the store to apply */
	assert_string_equal(ru->timeline[16].topic, "Q4 board pack: final");
	assert_string_equal(ru->timeline[16].state_key, "");
	mx_sync_free(&s);
}

static void
test_message_reply_and_echo(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_event *ev = tl(s, BOARD, "$s2Qm8nV4xZ1cB7aD0fG3hJ6kL9pR2tW5yE8uI1oP4aS");

	assert_string_equal(ev->type, "m.room.message");
	assert_string_equal(ev->sender, "@alice:localhost");
	assert_string_equal(ev->msgtype, "m.text");
	assert_non_null(strstr(ev->body, "Thanks, I will add the budget item."));
	assert_non_null(strstr(ev->formatted_body, "<b>budget</b>"));
	assert_string_equal(ev->reply_to, "$r1TXtK9oUoT9ZPb0wWm0zVb6pU7y1hLqkJbCzkXzL3k");
	assert_null(ev->rel_type);
	assert_string_equal(ev->txn_id, "m1732550560000.0");
	assert_null(ev->state_key);
	assert_int_equal(ev->size, -1);
	assert_false(ev->redacted);
	mx_sync_free(&s);
}

static void
test_message_edit(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_event *ev = tl(s, BOARD, "$t3Rn9oW5yA2dC8bE1gH4iK7lM0qS3uX6zF9vJ2pQ5bT");

	assert_string_equal(ev->rel_type, "m.replace");
	assert_string_equal(ev->rel_event, "$r1TXtK9oUoT9ZPb0wWm0zVb6pU7y1hLqkJbCzkXzL3k");
	assert_string_equal(ev->body, "Draft agenda (v2) is in the shared folder.");
	assert_string_equal(ev->msgtype, "m.text");
	/* the content keeps the fallback as sent */
	assert_non_null(strstr(ev->content, "\" * Draft agenda (v2)"));
	mx_sync_free(&s);
}

static void
test_reaction_thread_redaction(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_event *ev;

	ev = tl(s, BOARD, "$u4So0pX6zB3eD9cF2hI5jL8mN1rT4vY7aG0wK3qR6cU");
	assert_string_equal(ev->type, "m.reaction");
	assert_string_equal(ev->rel_type, "m.annotation");
	assert_string_equal(ev->rel_event, "$s2Qm8nV4xZ1cB7aD0fG3hJ6kL9pR2tW5yE8uI1oP4aS");
	assert_string_equal(ev->key, "\xf0\x9f\x91\x8d");
	assert_false(ev->redacted);
	ev = tl(s, BOARD, "$C2Aw8xF4hJ1mL7kN0pQ3rT6uV9zB2dG5iO8eS1yZ4kC");
	assert_string_equal(ev->rel_type, "m.thread");
	assert_string_equal(ev->rel_event, "$w6Uq2rZ8bD5gF1eH4jK7lN0oP3tV6xA9cI2yM5sT8eW");
	/* Its m.in_reply_to is only the fallback for clients without threads. */
	assert_null(ev->reply_to);
	ev = tl(s, BOARD, "$y8Ws4tB0dF7iH3gJ6lM9nP2qR5vX8zC1eK4aO7uV0gY");
	assert_true(ev->redacted);
	assert_string_equal(ev->content, "{}");
	assert_null(ev->body);
	ev = tl(s, BOARD, "$z9Xt5uC1eG8jI4hK7mN0oQ3rS6wY9aD2fL5bP8vW1hZ");
	assert_string_equal(ev->redacts, "$y8Ws4tB0dF7iH3gJ6lM9nP2qR5vX8zC1eK4aO7uV0gY");
	/* room v11: redacts moved into content */
	ev = tl(s, DM, "$O4Mi0jR6tV3yX9wZ2bC5dF8gH1lN4pS7uA0qE3kL6wO");
	assert_string_equal(ev->redacts, "$N3Lh9iQ5sU2xW8vY1aB4cE7fG0kM3oR6tZ9pD2jK5vN");
	mx_sync_free(&s);
}

static void
test_media_messages(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_event *ev;

	ev = tl(s, BOARD, "$w6Uq2rZ8bD5gF1eH4jK7lN0oP3tV6xA9cI2yM5sT8eW");
	assert_string_equal(ev->msgtype, "m.file");
	assert_string_equal(ev->url, "mxc://localhost/XbQhRcTgYmZpLwKvNsJdFeAa");
	assert_string_equal(ev->filename, "board-pack-Q4.pdf");
	assert_string_equal(ev->mimetype, "application/pdf");
	assert_int_equal(ev->size, 482113);
	ev = tl(s, BOARD, "$x7Vr3sA9cE6hG2fI5kL8mO1pQ4uW7yB0dJ3zN6tU9fX");
	assert_string_equal(ev->filename, "seating-plan.png");
	assert_string_equal(ev->body, "seating.png");
	assert_int_equal(ev->size, 120334);
	ev = tl(s, BOARD, "$F5Dz1aI7kM4pO0nQ3sT6uW9xY2cE5gJ8lR1hV4bC7nF");
	assert_string_equal(ev->type, "m.sticker");
	assert_null(ev->msgtype);
	assert_string_equal(ev->url, "mxc://localhost/StIcKeRtHuMbSuP");
	assert_string_equal(ev->mimetype, "image/webp");
	/* a text message's body is not a file name */
	ev = tl(s, BOARD, "$D3Bx9yG5iK2nM8lO1qR4sU7vW0aC3eH6jP9fT2zA5lD");
	assert_string_equal(ev->msgtype, "m.notice");
	assert_null(ev->filename);
	assert_null(ev->url);
	mx_sync_free(&s);
}

static void
test_unknown_types_kept(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_event *ev;

	ev = tl(s, BOARD, "$A0Yu6vD2fH9kJ5iL8nO1pR4sT7xZ0bE3gM6cQ9wX2iA");
	assert_string_equal(ev->type, "org.example.poll.start");
	assert_string_equal(ev->content,
	    "{\"question\":\"Lunch at 12 or 1?\",\"answers\":[\"12\",\"1\"]}");
	assert_null(ev->body);
	ev = tl(s, BOARD, "$B1Zv7wE3gI0lK6jM9oP2qS5tU8yA1cF4hN7dR0xY3jB");
	assert_string_equal(ev->msgtype, "org.example.location.pin");
	assert_string_equal(ev->body, "Meeting room 4B");
	assert_non_null(strstr(ev->content, "\"geo\":\"geo:51.5,-0.12\""));
	mx_sync_free(&s);
}

static void
test_membership_changes(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_room_update *ru = room(s, DM);
	const struct mx_event *ev;

	assert_int_equal(ru->n_timeline, 7);
	assert_int_equal(ru->n_state, 0);
	assert_false(ru->limited);
	ev = event_in(ru->timeline, ru->n_timeline, "$K0Ie6fN2pR9uT5sV8xY1zB4cD7hJ0lO3qW6mA9gH2sK");
	assert_int_equal(ev->membership, MX_MEMBERSHIP_INVITE);
	assert_string_equal(ev->sender, "@bob:localhost");
	assert_string_equal(ev->state_key, "@alice:localhost");
	ev = tl(s, BOARD, "$G6Ea2bJ8lN5qP1oR4tU7vX0yZ3dF6hK9mS2iW5cD8oG");
	assert_string_equal(ev->displayname, "Carol (Finance)");
	ru = room(s, OLD);
	assert_int_equal(ru->n_state, 1);
	assert_string_equal(ru->state[0].name, "Old offsite");
	assert_int_equal(ru->n_timeline, 2);
	assert_int_equal(ru->timeline[1].membership, MX_MEMBERSHIP_LEAVE);
	assert_null(ru->timeline[1].displayname);
	mx_sync_free(&s);
}

static void
test_invite_stripped_state(void **state)
{
	struct mx_sync *s = sync_fixture("initial.json");
	const struct mx_room_update *ru = room(s, INVITED);
	const struct mx_event *ev;

	assert_int_equal(ru->n_state, 5);
	assert_int_equal(ru->n_timeline, 0);
	assert_int_equal(ru->notification_count, -1);
	ev = event_in(ru->state, ru->n_state, "~" INVITED "/m.room.name/");
	assert_string_equal(ev->name, "Partner sync");
	assert_int_equal(ev->ts, 0);
	/* the invite itself: its event id is not trusted, its ts is kept */
	ev = event_in(ru->state, ru->n_state, "~" INVITED "/m.room.member/@alice:localhost");
	assert_int_equal(ev->membership, MX_MEMBERSHIP_INVITE);
	assert_string_equal(ev->sender, "@dave:example.org");
	assert_int_equal(ev->ts, 1732551100000);
	mx_sync_free(&s);
}

static void
test_incremental(void **state)
{
	struct mx_sync *s = sync_fixture("incremental.json");
	const struct mx_room_update *ru;

	assert_int_equal(s->n_rooms, 1);
	assert_false(s->has_direct);
	ru = room(s, DM);
	assert_int_equal(ru->n_timeline, 1);
	assert_string_equal(ru->timeline[0].body, "Thursday works too.");
	/* an empty typing list says nobody types any more */
	assert_true(ru->has_typing);
	assert_int_equal(ru->n_typing, 0);
	assert_false(ru->has_tags);
	assert_int_equal(ru->joined_count, -1);
	assert_int_equal(ru->notification_count, 2);
	mx_sync_free(&s);
}

static const char *malformed_survivors[] = {
	"$good1", "$numtype", "$relarray", "$nullcontent", "$strcontent", "$ts-future",
	"$ts-negative", "$ts-string", "$ts-fraction", "$ts-2e53", "$ts-huge", "$size-neg",
	"$size-big", "$size-str", "$mxc-path", "$empty", "$dupkeys", "$nulbody", "$surrogate",
	"$badunsigned", "$badtxn", "$noformat", "$badedit", "$edit-badtarget",
	"$reaction-nokey", "$reaction-relnull", "$reply-bad", "$redact-bad", "$member-odd",
	"$alias-bad", "$name-keyed", "$topic-num", "$good2",
};

static void
test_malformed_survivors(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const struct mx_room_update *ru = room(s, "!good:localhost");

	assert_sync_sane(s);
	assert_int_equal(ru->n_timeline, NT_NELEMS(malformed_survivors));
	for (size_t i = 0; i < ru->n_timeline; i++)
		assert_string_equal(ru->timeline[i].event_id, malformed_survivors[i]);
	assert_int_equal(ru->n_state, 2);
	assert_string_equal(ru->state[0].name, "Good room");
	assert_string_equal(ru->state[1].event_id, "$state-member");
	/* 19 timeline, 1 state, 2 invite_state events; 3 rooms */
	assert_int_equal(s->n_skipped, 25);
	assert_int_equal(s->n_rooms, 5);
	mx_sync_free(&s);
}

static void
test_malformed_wrong_types(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const char *r = "!good:localhost";
	const struct mx_event *ev;

	ev = tl(s, r, "$numtype");
	assert_null(ev->msgtype);
	assert_string_equal(ev->body, "msgtype is a number");
	assert_null(ev->formatted_body);
	ev = tl(s, r, "$relarray");
	assert_null(ev->rel_type);
	assert_null(ev->rel_event);
	assert_string_equal(tl(s, r, "$nullcontent")->content, "{}");
	assert_string_equal(tl(s, r, "$strcontent")->content, "{}");
	assert_null(tl(s, r, "$strcontent")->body);
	ev = tl(s, r, "$empty");
	assert_true(ev->redacted);
	assert_null(ev->body);
	ev = tl(s, r, "$badunsigned");
	assert_false(ev->redacted);
	ev = tl(s, r, "$badtxn");
	assert_null(ev->txn_id);
	assert_false(ev->redacted);
	assert_null(tl(s, r, "$noformat")->formatted_body);
	assert_string_equal(tl(s, r, "$noformat")->body, "plain");
	mx_sync_free(&s);
}

static void
test_malformed_numbers(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const char *r = "!good:localhost";
	const char *zero_ts[] = {
		"$ts-future", "$ts-negative", "$ts-string", "$ts-fraction", "$ts-2e53", "$ts-huge",
	};

	assert_int_equal(tl(s, r, "$good1")->ts, 1732550400000);
	for (size_t i = 0; i < NT_NELEMS(zero_ts); i++)
		assert_int_equal(tl(s, r, zero_ts[i])->ts, 0);
	assert_int_equal(tl(s, r, "$size-neg")->size, -1);
	assert_null(tl(s, r, "$size-neg")->mimetype);
	assert_int_equal(tl(s, r, "$size-big")->size, -1);
	assert_int_equal(tl(s, r, "$size-str")->size, -1);
	assert_int_equal(tl(s, r, "$mxc-path")->size, -1);
	mx_sync_free(&s);
}

static void
test_malformed_media_urls(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const char *r = "!good:localhost";

	assert_string_equal(tl(s, r, "$size-neg")->url, "mxc://localhost/AbCd");
	assert_string_equal(tl(s, r, "$size-neg")->filename, "a.bin");
	assert_null(tl(s, r, "$size-big")->url);
	assert_string_equal(tl(s, r, "$size-big")->filename, "b.bin");
	assert_null(tl(s, r, "$size-str")->url);
	assert_null(tl(s, r, "$mxc-path")->url);
	mx_sync_free(&s);
}

static void
test_malformed_relations(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const char *r = "!good:localhost";
	const struct mx_event *ev;

	ev = tl(s, r, "$badedit");
	assert_string_equal(ev->rel_type, "m.replace");
	assert_string_equal(ev->body, " * fallback");
	ev = tl(s, r, "$edit-badtarget");
	assert_null(ev->rel_type);
	assert_string_equal(ev->body, " * x");
	ev = tl(s, r, "$reaction-nokey");
	assert_null(ev->rel_type);
	assert_null(ev->key);
	assert_false(ev->redacted);
	assert_null(tl(s, r, "$reaction-relnull")->rel_type);
	assert_null(tl(s, r, "$reply-bad")->reply_to);
	assert_string_equal(tl(s, r, "$redact-bad")->redacts, "$good1");
	mx_sync_free(&s);
}

static void
test_malformed_state_fields(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const char *r = "!good:localhost";
	const struct mx_event *ev;

	ev = tl(s, r, "$member-odd");
	assert_int_equal(ev->membership, MX_MEMBERSHIP_NONE);
	assert_null(ev->displayname);
	assert_null(tl(s, r, "$alias-bad")->alias);
	assert_null(tl(s, r, "$name-keyed")->name);
	assert_null(tl(s, r, "$topic-num")->topic);
	mx_sync_free(&s);
}

static void
test_malformed_strings(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const char *r = "!good:localhost";

	/* duplicate keys: the first wins, as everywhere in cJSON */
	assert_string_equal(tl(s, r, "$dupkeys")->body, "first body");
	/* \u0000 would cut the string short; it shows as U+FFFD instead */
	assert_string_equal(tl(s, r, "$nulbody")->body, "before" FFFD "after");
	assert_string_equal(tl(s, r, "$surrogate")->body,
	    "lone " FFFD " high, lone " FFFD " low, pair \xf0\x9f\x98\x80");
	assert_true(tl(s, r, "$nulbody")->content_plain);
	mx_sync_free(&s);
}

static void
test_malformed_rooms(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const struct mx_room_update *ru = room(s, "!good:localhost");

	assert_false(ru->limited);
	assert_null(ru->prev_batch);
	assert_int_equal(ru->notification_count, -1);
	assert_int_equal(ru->highlight_count, -1);
	assert_int_equal(ru->n_heroes, 1);
	assert_string_equal(ru->heroes[0], "@bob:localhost");
	assert_int_equal(ru->joined_count, -1);
	assert_int_equal(ru->invited_count, -1);
	assert_int_equal(ru->n_receipts, 1);
	assert_string_equal(ru->receipts[0].event_id, "$good2");
	assert_string_equal(ru->receipts[0].user_id, "@bob:localhost");
	assert_false(ru->has_typing);
	assert_false(ru->has_tags);
	ru = room(s, "!wrongtypes:localhost");
	assert_int_equal(ru->n_timeline + ru->n_state, 0);
	assert_true(ru->has_tags);
	assert_true(ru->lowpriority);
	ru = room(s, "!emptyroom:localhost");
	assert_int_equal(ru->n_timeline + ru->n_state + ru->n_heroes + ru->n_receipts, 0);
	assert_int_equal(ru->notification_count, -1);
	mx_sync_free(&s);
}

static void
test_malformed_invite_and_direct(void **state)
{
	struct mx_sync *s = sync_fixture("malformed.json");
	const struct mx_room_update *ru = room(s, "!inv:localhost");

	assert_int_equal(ru->n_state, 2);
	/* an event id the inviting server made up is not used */
	assert_string_equal(ru->state[0].event_id, "~!inv:localhost/m.room.name/");
	assert_string_equal(ru->state[0].name, "Invite room");
	assert_int_equal(ru->state[1].membership, MX_MEMBERSHIP_INVITE);
	assert_int_equal(room(s, "!inv2:localhost")->n_state, 0);
	assert_true(s->has_direct);
	assert_int_equal(s->n_direct, 1);
	assert_string_equal(s->direct[0].user_id, "@bob:localhost");
	assert_string_equal(s->direct[0].room_id, "!dm1:localhost");
	mx_sync_free(&s);
}

static void
test_root_errors(void **state)
{
	const char *bad[] = {
		"[]", "\"s1\"", "42", "null", "{}", "{\"next_batch\":5}", "{\"next_batch\":null}",
		"{\"next_batch\":\"\"}", "{\"next_batch\":[\"s1\"]}", "{\"Next_Batch\":\"s1\"}",
		"{\"next_batch\":\"s1\"} {}", "{\"next_batch\":\"s1\",}", "", "   ",
		"{\"next_batch\":\"s1\"", "{\"next_batch\":NaN}",
	};

	char *cause;

	for (size_t i = 0; i < NT_NELEMS(bad); i++)
		free(sync_error(bad[i], strlen(bad[i])));
	cause = sync_error("{}", 2);
	assert_non_null(strstr(cause, "next_batch"));
	free(cause);
	cause = sync_error("[1]", 3);
	assert_non_null(strstr(cause, "not a JSON object"));
	free(cause);
	assert_null(mx_sync_parse(NULL, 0, NULL));
}

static void
test_root_ok_edges(void **state)
{
	struct mx_sync *s;
	const char dup[] = "{\"next_batch\":\"first\",\"next_batch\":\"second\"}\n";
	/* the length given is what counts, not a NUL */
	const char longer[] = "{\"next_batch\":\"s9\"}garbage beyond the length";

	s = sync_text(dup, strlen(dup));
	assert_string_equal(s->next_batch, "first");
	assert_int_equal(s->n_rooms, 0);
	assert_false(s->has_direct);
	mx_sync_free(&s);
	s = sync_text(longer, 19);
	assert_string_equal(s->next_batch, "s9");
	mx_sync_free(&s);
}

/* Every proper prefix of a real sync is an error, never a crash. */
static void
test_truncated(void **state)
{
	size_t len;
	char *json = fixture("initial.json", &len);

	while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '}'))
		len--;
	for (size_t n = 0; n < len; n += 1 + n / 64) {
		char *copy = xmalloc(n + 1);

		memcpy(copy, json, n);
		free(sync_error(copy, n));
		free(copy);
	}
	free(json);
}

static char *
nested(size_t depth, const char *open, const char *inner, const char *close)
{
	struct buf b = {0};

	for (size_t i = 0; i < depth; i++)
		buf_puts(&b, open);
	buf_puts(&b, inner);
	for (size_t i = 0; i < depth && close != NULL; i++)
		buf_puts(&b, close);
	return buf_steal(&b);
}

static char *
sync_with_content(const char *content)
{
	return xasprintf("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"!r:x\":{\"timeline\":"
	    "{\"events\":[{\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$e1\","
	    "\"content\":%s},{\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$e2\","
	    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"after\"}}]}}}}}", content);
}

static void
test_deep_nesting(void **state)
{
	char *deep, *json;
	struct mx_sync *s;

	deep = nested(10000, "[", "", "]");
	free(sync_error(deep, strlen(deep)));
	free(deep);
	deep = nested(10000, "{\"a\":", "1", NULL);
	free(sync_error(deep, strlen(deep)));
	free(deep);
	/* one user's deep content must not stop the sync: it is cut short */
	deep = nested(10000, "{\"a\":", "{\"body\":\"deep\"}", "}");
	json = sync_with_content(deep);
	s = sync_text(json, strlen(json));
	assert_int_equal(s->rooms[0].n_timeline, 2);
	assert_non_null(strstr(s->rooms[0].timeline[0].content, "null"));
	assert_true(strlen(s->rooms[0].timeline[0].content) < 1000);
	assert_string_equal(s->rooms[0].timeline[1].body, "after");
	mx_sync_free(&s);
	free(json);
	free(deep);
}

static void
test_invalid_utf8(void **state)
{
	const char json[] = "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
	    "\"!r:x\":{\"timeline\":{\"events\":["
	    "{\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$e1\",\"content\":"
	    "{\"msgtype\":\"m.text\",\"body\":\"a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82\"}},"
	    "{\"type\":\"m.room.message\",\"sender\":\"@\xfe:x\",\"event_id\":\"$e2\",\"content\":{}},"
	    "{\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$e\xe2\x82\",\"content\":{}},"
	    "{\"type\":\"m.room.name\",\"sender\":\"@a:x\",\"event_id\":\"$e4\",\"state_key\":\"\","
	    "\"content\":{\"name\":\"caf\xc3\xa9 \xf0\x9f\x8d\xb5\"}}]}},"
	    "\"!\x80:x\":{}}}}";
	struct mx_sync *s = sync_text(json, sizeof json - 1);
	const struct mx_room_update *ru = &s->rooms[0];

	assert_sync_sane(s);
	assert_int_equal(s->n_rooms, 1);
	assert_int_equal(ru->n_timeline, 2);
	assert_string_equal(ru->timeline[0].body,
	    "a" FFFD "b" FFFD FFFD "c" FFFD FFFD FFFD "d" FFFD);
	assert_true(ru->timeline[0].content_plain);
	assert_string_equal(ru->timeline[1].name, "caf\xc3\xa9 \xf0\x9f\x8d\xb5");
	assert_int_equal(s->n_skipped, 3);
	mx_sync_free(&s);
}

static void
test_raw_nul(void **state)
{
	const char json[] = "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"!r:x\":{\"timeline\":"
	    "{\"events\":[{\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$e1\0x\","
	    "\"content\":{}},{\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$e2\","
	    "\"content\":{\"body\":\"one\0two\"}}]}}}}}";
	struct mx_sync *s = sync_text(json, sizeof json - 1);

	assert_int_equal(s->rooms[0].n_timeline, 1);
	assert_string_equal(s->rooms[0].timeline[0].body, "one" FFFD "two");
	assert_int_equal(s->n_skipped, 1);
	mx_sync_free(&s);
	free(sync_error("{\"next_batch\":\"s1\"}\0", 20));
}

static void
test_huge_body(void **state)
{
	struct buf b = {0};
	struct mx_sync *s;
	char *content, *json;

	for (int i = 0; i < 1024 * 1024 / 8; i++)
		buf_puts(&b, "\\u00e9xyz");
	content = xasprintf("{\"msgtype\":\"m.text\",\"body\":\"%s\"}", b.data);
	json = sync_with_content(content);
	free(content);
	s = sync_text(json, strlen(json));
	assert_int_equal(s->rooms[0].n_timeline, 2);
	assert_int_equal(strlen(s->rooms[0].timeline[0].body), 1024 * 1024 / 8 * 5);
	assert_true(utf8_ok(s->rooms[0].timeline[0].body));
	mx_sync_free(&s);
	free(json);
	buf_free(&b);
}

static int
url_kept(const char *url)
{
	char *content = xasprintf("{\"msgtype\":\"m.image\",\"body\":\"x\",\"url\":\"%s\"}", url);
	char *json = sync_with_content(content);
	struct mx_sync *s = sync_text(json, strlen(json));
	int kept = s->rooms[0].timeline[0].url != NULL;

	mx_sync_free(&s);
	free(json);
	free(content);
	return kept;
}

static void
test_mxc_rules(void **state)
{
	const char *good[] = {
		"mxc://localhost/AbC-12_x", "mxc://matrix.org/abc", "mxc://[::1]:8448/abc",
		"mxc://example.org:8448/Z",
	};
	const char *bad[] = {
		"mxc://localhost/../x", "mxc://../etc/passwd", "mxc://./abc", "mxc://localhost/a.b",
		"mxc://localhost/a/b", "mxc://localhost/", "mxc:///abc", "mxc://a b/c",
		"mxc://localhost/a%2e%2e", "MXC://localhost/abc", "https://localhost/abc",
		"mxc://localhost/abc?x=1", "mxc://-host/abc", "mxc://host\\\\x/abc", "",
	};
	struct buf b = {0};

	for (size_t i = 0; i < NT_NELEMS(good); i++)
		assert_true(url_kept(good[i]));
	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		if (url_kept(bad[i]))
			fail_msg("kept %s", bad[i]);
	}
	buf_puts(&b, "mxc://localhost/");
	while (b.len < 255)
		buf_putc(&b, 'a');
	assert_true(url_kept(b.data));
	buf_putc(&b, 'a');
	assert_false(url_kept(b.data));
	buf_free(&b);
}

static int
sender_kept(const char *sender)
{
	char *json = xasprintf("{\"next_batch\":\"s\",\"rooms\":{\"join\":{\"!r:x\":{\"timeline\":"
	    "{\"events\":[{\"type\":\"m.room.message\",\"event_id\":\"$e\",\"sender\":\"%s\"}]}}}}}",
	    sender);
	struct mx_sync *s = sync_text(json, strlen(json));
	int kept = s->n_rooms == 1 && s->rooms[0].n_timeline == 1;

	mx_sync_free(&s);
	free(json);
	return kept;
}

static void
test_id_rules(void **state)
{
	const char *good[] = {
		"@bob:localhost", "@b:x", "@\xc3\xa9ric:example.org", "@bob:[::1]:8448",
		"@_irc_bridge/x=y:example.org",
	};
	const char *bad[] = {
		"", "@", "bob:localhost", "@bob", "@:localhost", "@bob:", "@bo b:localhost",
		"@bob\\t:localhost", "@bob\\n:localhost", "@bob\\u007f:x", "@bob\\u0085:x",
		"@bob\\u00a0:x", "@bob\\u200b:x", "@bob\\u202e:x", "@bob\\u2028:x", "@bob\\ufeff:x",
		"@bob\\u3000:x", "@bob\\ufffd:x", "$event", "!room:x",
	};
	struct buf b = {0};

	for (size_t i = 0; i < NT_NELEMS(good); i++)
		assert_true(sender_kept(good[i]));
	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		if (sender_kept(bad[i]))
			fail_msg("kept sender %s", bad[i]);
	}
	buf_puts(&b, "@");
	while (b.len < 253)
		buf_putc(&b, 'u');
	buf_puts(&b, ":x");
	assert_true(sender_kept(b.data));
	buf_putc(&b, 'x');
	assert_false(sender_kept(b.data));
	buf_free(&b);
}

static void
test_integer_limits(void **state)
{
	const struct {
		const char *size;
		int64_t want;
	} cases[] = {
		{"0", 0}, {"9007199254740991", 9007199254740991LL}, {"9007199254740992", -1},
		{"1e3", 1000}, {"-0", 0}, {"1.0", 1}, {"1e308", -1}, {"-1e400", -1}, {"true", -1},
		{"\"5\"", -1}, {"null", -1}, {"[5]", -1}, {"{}", -1},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *content = xasprintf("{\"msgtype\":\"m.file\",\"body\":\"f\",\"info\":"
		    "{\"size\":%s}}", cases[i].size);
		char *json = sync_with_content(content);
		struct mx_sync *s = sync_text(json, strlen(json));

		if (s->rooms[0].timeline[0].size != cases[i].want)
			fail_msg("size %s gave %lld", cases[i].size,
			    (long long)s->rooms[0].timeline[0].size);
		mx_sync_free(&s);
		free(json);
		free(content);
	}
}

static void
test_messages_page(void **state)
{
	size_t len;
	char *json = fixture("messages.json", &len), *cause = NULL;
	struct mx_messages *m = mx_messages_parse(json, len, &cause);

	assert_non_null(m);
	assert_int_equal(m->n_chunk, 3);
	assert_int_equal(m->n_skipped, 1);
	assert_string_equal(m->chunk[0].body, "third");
	assert_string_equal(m->chunk[2].body, "first");
	assert_int_equal(m->n_state, 1);
	assert_string_equal(m->state[0].displayname, "Carol");
	assert_string_equal(m->start, "t27-1042_0_0_0_0_0_0_0_0_0");
	assert_string_equal(m->end, "t24-1002_0_0_0_0_0_0_0_0_0");
	for (size_t i = 0; i < m->n_chunk; i++)
		assert_event_sane(&m->chunk[i]);
	mx_messages_free(&m);
	assert_null(m);
	free(json);
}

static void
test_messages_last_and_errors(void **state)
{
	size_t len;
	char *json = fixture("messages-last.json", &len), *cause = NULL;
	struct mx_messages *m = mx_messages_parse(json, len, &cause);
	const char *bad[] = {
		"[]", "{}", "{\"chunk\":[]}", "{\"chunk\":{},\"start\":\"t\"}", "{\"start\":\"t\"}",
		"{\"chunk\":[],\"start\":1}", "{\"chunk\":[",
	};

	assert_non_null(m);
	assert_int_equal(m->n_chunk, 0);
	assert_null(m->chunk);
	assert_null(m->end);
	assert_string_equal(m->start, "t1-1_0_0_0_0_0_0_0_0_0");
	mx_messages_free(&m);
	free(json);
	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		assert_null(mx_messages_parse(bad[i], strlen(bad[i]), &cause));
		assert_non_null(cause);
	}
	free(cause);
}

static void
test_single_event(void **state)
{
	size_t len;
	char *json = fixture("event.json", &len), *cause = NULL;
	struct mx_event ev;
	const char *bad = "{\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"content\":{}}";

	assert_int_equal(mx_event_parse_json(json, len, &ev, &cause), 0);
	assert_string_equal(ev.event_id, "$Y4Ws0tB6dF3iH9gJ2lM5nP8qR1vX4zC7eK0aO3uV6gY");
	assert_string_equal(ev.body, "Single event via /event");
	assert_string_equal(ev.rel_type, "m.thread");
	assert_int_equal(ev.ts, 1732551200000);
	assert_event_sane(&ev);
	mx_event_clear(&ev);
	assert_null(ev.event_id);
	free(json);
	assert_int_equal(mx_event_parse_json(bad, strlen(bad), &ev, &cause), -1);
	assert_non_null(strstr(cause, "event_id"));
	assert_null(ev.event_id);
	assert_int_equal(mx_event_parse_json("[]", 2, &ev, &cause), -1);
	assert_int_equal(mx_event_parse_json("{", 1, &ev, &cause), -1);
	assert_non_null(strstr(cause, "JSON"));
	free(cause);
}

/* A reply as clients before spec v1.13 sent it: what it answers quoted in
 * front of its text and its HTML. The quote goes; a message that only
 * looks so, without being a reply, keeps it, and so does an edit. */
static void
test_reply_fallback_stripped(void **state)
{
	const char *reply = "{\"type\":\"m.room.message\",\"sender\":\"@sam:x\","
	    "\"event_id\":\"$reply\",\"content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"> <@dana:x> Do we have a final headcount?\\n\\n214 in person.\","
	    "\"format\":\"org.matrix.custom.html\",\"formatted_body\":\"<mx-reply><blockquote>"
	    "<a href=\\\"https://matrix.to/#/!r:x/$q\\\">In reply to</a> <a href=\\\"https://"
	    "matrix.to/#/@dana:x\\\">@dana:x</a><br>Do we have a final headcount?</blockquote>"
	    "</mx-reply>214 in <b>person</b>.\",\"m.relates_to\":{\"m.in_reply_to\":"
	    "{\"event_id\":\"$q\"}}}}";
	const char *quote = "{\"type\":\"m.room.message\",\"sender\":\"@sam:x\","
	    "\"event_id\":\"$quote\",\"content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"> <@dana:x> said this\\n\\nand I agree\"}}";
	const char *whole = "{\"type\":\"m.room.message\",\"sender\":\"@sam:x\","
	    "\"event_id\":\"$whole\",\"content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"> <@dana:x> only\\n\\nyes\",\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"<mx-reply>only</mx-reply>\",\"m.relates_to\":"
	    "{\"m.in_reply_to\":{\"event_id\":\"$q\"}}}}";
	struct mx_event ev;
	char *cause = NULL;

	assert_int_equal(mx_event_parse_json(reply, strlen(reply), &ev, &cause), 0);
	assert_string_equal(ev.reply_to, "$q");
	assert_string_equal(ev.body, "214 in person.");
	assert_string_equal(ev.formatted_body, "214 in <b>person</b>.");
	assert_non_null(strstr(ev.content, "headcount"));
	mx_event_clear(&ev);
	assert_int_equal(mx_event_parse_json(quote, strlen(quote), &ev, &cause), 0);
	assert_string_equal(ev.body, "> <@dana:x> said this\n\nand I agree");
	mx_event_clear(&ev);
	assert_int_equal(mx_event_parse_json(whole, strlen(whole), &ev, &cause), 0);
	assert_string_equal(ev.body, "yes");
	assert_null(ev.formatted_body);
	mx_event_clear(&ev);
}

/* A thread's reply: its m.in_reply_to is a reply only when it is not
 * there for clients that show no threads (is_falling_back). */
static void
test_thread_reply_fallback(void **state)
{
	const char *plain = "{\"type\":\"m.room.message\",\"sender\":\"@sam:x\","
	    "\"event_id\":\"$t1\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"ok\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$root\","
	    "\"is_falling_back\":true,\"m.in_reply_to\":{\"event_id\":\"$latest\"}}}}";
	const char *reply = "{\"type\":\"m.room.encrypted\",\"sender\":\"@sam:x\","
	    "\"event_id\":\"$t2\",\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$root\","
	    "\"is_falling_back\":false,\"m.in_reply_to\":{\"event_id\":\"$t1\"}}}}";
	struct mx_event ev;
	char *cause = NULL;

	assert_int_equal(mx_event_parse_json(plain, strlen(plain), &ev, &cause), 0);
	assert_string_equal(ev.rel_type, "m.thread");
	assert_string_equal(ev.rel_event, "$root");
	assert_null(ev.reply_to);
	mx_event_clear(&ev);
	assert_int_equal(mx_event_parse_json(reply, strlen(reply), &ev, &cause), 0);
	assert_string_equal(ev.rel_type, "m.thread");
	assert_string_equal(ev.rel_event, "$root");
	assert_string_equal(ev.reply_to, "$t1");
	mx_event_clear(&ev);
}

/* A synthetic sync of n events in rooms of 100, for the timing below. */
static char *
big_sync(size_t n, size_t *len)
{
	struct buf b = {0};

	buf_puts(&b, "{\"next_batch\":\"s_big\",\"rooms\":{\"join\":{");
	for (size_t i = 0; i < n; i++) {
		if (i % 100 == 0)
			buf_printf(&b, "%s\"!room%zu:localhost\":{\"timeline\":{\"limited\":false,"
			    "\"events\":[", i == 0 ? "" : "]}},", i / 100);
		buf_printf(&b, "%s{\"type\":\"m.room.message\",\"sender\":\"@user%zu:localhost\","
		    "\"content\":{\"msgtype\":\"m.text\",\"body\":\"message number %zu with a "
		    "bit of text, caf\xc3\xa9\",\"m.relates_to\":{\"m.in_reply_to\":"
		    "{\"event_id\":\"$ev%zu\"}}},\"origin_server_ts\":%zu,\"unsigned\":{\"age\":5},"
		    "\"event_id\":\"$ev%zuAbCdEfGhIjKlMnOpQrStUvWxYz0123456\"}",
		    i % 100 == 0 ? "" : ",", i % 7, i, i / 2, 1732550400000 + i, i);
	}
	buf_puts(&b, "]}}}}}");
	*len = b.len;
	return buf_steal(&b);
}

static void
test_big_sync(void **state)
{
	size_t len, n = 100000, total = 0;
	char *json = big_sync(n, &len);
	int64_t t0 = nt_mono_ms(), ms;
	struct mx_sync *s = sync_text(json, len);

	ms = nt_mono_ms() - t0;
	for (size_t i = 0; i < s->n_rooms; i++)
		total += s->rooms[i].n_timeline;
	assert_int_equal(total, n);
	assert_int_equal(s->n_rooms, n / 100);
	assert_string_equal(s->rooms[n / 100 - 1].timeline[99].body,
	    "message number 99999 with a bit of text, caf\xc3\xa9");
	print_message("parsed %zu events (%zu bytes) in %lld ms (%.0f events/s)\n", n, len,
	    (long long)ms, ms > 0 ? n * 1000.0 / ms : 0.0);
	mx_sync_free(&s);
	free(json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_joined_rooms_are_read_one_at_a_time_as_a_whole_tree_would),
		cmocka_unit_test(test_a_broken_joined_room_fails_the_sync),
		cmocka_unit_test(test_a_sync_read_in_slices_holds_one_slice_at_a_time),
		cmocka_unit_test(test_plain_content_is_not_kept_twice),
		cmocka_unit_test(test_initial_shape),
		cmocka_unit_test(test_initial_room_state),
		cmocka_unit_test(test_thread_receipts_are_not_the_rooms),
		cmocka_unit_test(test_initial_room_extras),
		cmocka_unit_test(test_initial_timeline_order),
		cmocka_unit_test(test_message_reply_and_echo),
		cmocka_unit_test(test_message_edit),
		cmocka_unit_test(test_reaction_thread_redaction),
		cmocka_unit_test(test_media_messages),
		cmocka_unit_test(test_unknown_types_kept),
		cmocka_unit_test(test_membership_changes),
		cmocka_unit_test(test_invite_stripped_state),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_malformed_survivors),
		cmocka_unit_test(test_malformed_wrong_types),
		cmocka_unit_test(test_malformed_numbers),
		cmocka_unit_test(test_malformed_media_urls),
		cmocka_unit_test(test_malformed_relations),
		cmocka_unit_test(test_malformed_state_fields),
		cmocka_unit_test(test_malformed_strings),
		cmocka_unit_test(test_malformed_rooms),
		cmocka_unit_test(test_malformed_invite_and_direct),
		cmocka_unit_test(test_root_errors),
		cmocka_unit_test(test_root_ok_edges),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_raw_nul),
		cmocka_unit_test(test_huge_body),
		cmocka_unit_test(test_mxc_rules),
		cmocka_unit_test(test_id_rules),
		cmocka_unit_test(test_integer_limits),
		cmocka_unit_test(test_messages_page),
		cmocka_unit_test(test_messages_last_and_errors),
		cmocka_unit_test(test_single_event),
		cmocka_unit_test(test_reply_fallback_stripped),
		cmocka_unit_test(test_thread_reply_fallback),
		cmocka_unit_test(test_big_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
