/* The /search parser against responses recorded from Synapse and against
 * what a hostile server can send instead. */
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

#define QUARTERLY "!oBXPZZHbssKjUkJjbr:localhost"
#define TRAVEL "!JZoxFsAIjjZzBfWEzC:localhost"
#define FFFD "\xef\xbf\xbd"

static char *
fixture(const char *name, size_t *len)
{
	return fixture_read("server-search", name, len);
}

static void
search_fixture(const char *name, struct mx_search *s)
{
	size_t len;
	char *json = fixture(name, &len), *cause = NULL;

	if (mx_search_parse(json, len, s, &cause) != 0)
		fail_msg("%s: %s", name, cause);
	free(json);
}

/* The error a body produces; fails the test if it parses. */
static void
assert_search_error(const char *json, size_t len)
{
	struct mx_search s;
	char *cause = NULL;

	if (mx_search_parse(json, len, &s, &cause) == 0)
		fail_msg("parsed, expected an error: %.80s", json);
	assert_non_null(cause);
	assert_int_equal(s.n, 0);
	assert_null(s.results);
	assert_null(s.next_batch);
	free(cause);
}

static const struct mx_search_result *
hit(const struct mx_search *s, const char *event_id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->results[i].event.event_id, event_id) == 0)
			return &s->results[i];
	}
	fail_msg("no result %s", event_id);
	return NULL;
}

static void
test_ranked_answer(void **state)
{
	struct mx_search s;
	const struct mx_search_result *r;

	search_fixture("rank.json", &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.n_skipped, 0);
	assert_null(s.next_batch);
	r = &s.results[0];
	assert_string_equal(r->room_id, QUARTERLY);
	assert_string_equal(r->event.event_id, "$t3jXB8ZuzrNsZ5EBFL-8ROoDHzDfgwy3PtU3KV_qxC4");
	assert_string_equal(r->event.type, "m.room.message");
	assert_string_equal(r->event.body, "the budget review moves to Thursday");
	assert_true(r->event.ts == 1795631546590LL);
	assert_true(r->rank > 0.19 && r->rank < 0.21);
	r = &s.results[1];
	assert_string_equal(r->room_id, TRAVEL);
	assert_string_equal(r->event.txn_id, "natter-8699-9098545605824-2");
	mx_search_clear(&s);
	assert_null(s.results);
	assert_int_equal(s.n, 0);
	mx_search_clear(&s);
}

static void
test_page_with_next_batch(void **state)
{
	struct mx_search s;

	search_fixture("recent-page.json", &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.count, 2);
	assert_string_equal(s.next_batch, "YWxsCgoxNzk1NjMxNTQ2NTkwLDQx");
	assert_string_equal(s.results[0].room_id, QUARTERLY);
	assert_string_equal(s.results[1].room_id, QUARTERLY);
	mx_search_clear(&s);
	assert_null(s.next_batch);
}

static void
test_malformed_hits_are_left_out(void **state)
{
	struct mx_search s;

	search_fixture("malformed.json", &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.n_skipped, 8);
	assert_int_equal(s.count, -1);
	assert_null(s.next_batch);
	assert_string_equal(s.results[0].event.event_id, "$good");
	assert_string_equal(s.results[1].event.event_id, "$strrank");
	assert_string_equal(s.results[2].event.event_id, "$infrank");
	assert_string_equal(s.results[3].event.event_id, "$last");
	mx_search_clear(&s);
}

static void
test_malformed_fields(void **state)
{
	struct mx_search s;
	const struct mx_search_result *r;

	search_fixture("malformed.json", &s);
	/* the first of two hits with one event id wins, with its room */
	r = hit(&s, "$good");
	assert_string_equal(r->room_id, "!here:localhost");
	assert_string_equal(r->event.body, "budget kept");
	assert_true(r->rank == 2.5);
	/* a rank that is not a finite number counts as 0 */
	assert_true(hit(&s, "$strrank")->rank == 0);
	assert_true(hit(&s, "$infrank")->rank == 0);
	/* strings come out as UTF-8 without NUL; escapes stay for the sanitiser */
	assert_string_equal(hit(&s, "$strrank")->event.body,
	    "rank as a string\x1b[31m" FFFD "nul");
	assert_null(hit(&s, "$last")->event.reply_to);
	mx_search_clear(&s);
}

static void
test_root_errors(void **state)
{
	static const char *bodies[] = {
		"not json",
		"[]",
		"\"search_categories\"",
		"{}",
		"{\"search_categories\":[]}",
		"{\"search_categories\":{}}",
		"{\"search_categories\":{\"room_events\":[]}}",
		"{\"search_categories\":{\"room_events\":null}}",
		"{\"Search_categories\":{\"room_events\":{}}}",
		"{\"search_categories\":{\"room_events\":{}}} trailing",
	};

	for (size_t i = 0; i < NT_NELEMS(bodies); i++)
		assert_search_error(bodies[i], strlen(bodies[i]));
	assert_search_error("", 0);
	assert_search_error(NULL, 0);
}

static void
test_empty_answers(void **state)
{
	static const char *bodies[] = {
		"{\"search_categories\":{\"room_events\":{}}}",
		"{\"search_categories\":{\"room_events\":{\"results\":[]}}}",
		"{\"search_categories\":{\"room_events\":{\"results\":{\"0\":{}}}}}",
		"{\"search_categories\":{\"room_events\":{\"results\":null,\"count\":-5,"
		    "\"next_batch\":\"\"}}}",
	};
	struct mx_search s;
	char *cause = NULL;

	for (size_t i = 0; i < NT_NELEMS(bodies); i++) {
		if (mx_search_parse(bodies[i], strlen(bodies[i]), &s, &cause) != 0)
			fail_msg("%s: %s", bodies[i], cause);
		assert_int_equal(s.n, 0);
		assert_null(s.results);
		assert_int_equal(s.count, -1);
		assert_null(s.next_batch);
		mx_search_clear(&s);
	}
}

/* Cut short anywhere, a recorded answer is an error or a smaller answer. */
static void
test_truncated(void **state)
{
	size_t len;
	char *json = fixture("rank.json", &len);
	struct mx_search s;

	for (size_t cut = 0; cut < len; cut++) {
		char *cause = NULL;

		if (mx_search_parse(json, cut, &s, &cause) == 0)
			assert_true(s.n <= 3);
		mx_search_clear(&s);
		free(cause);
	}
	free(json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranked_answer),
		cmocka_unit_test(test_page_with_next_batch),
		cmocka_unit_test(test_malformed_hits_are_left_out),
		cmocka_unit_test(test_malformed_fields),
		cmocka_unit_test(test_root_errors),
		cmocka_unit_test(test_empty_answers),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
