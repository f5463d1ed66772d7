/* Reminders as two natters merge them (core_remind_merge, whether the
 * server holds a copy: core_remind_covers), what asks a question
 * (store_text_asks), and [followup] wait. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "natter/core.h"
#include "natter/store.h"
#include "natter/util.h"

#define NOW 1796349000000LL
#define DAY_MS (24LL * 3600 * 1000)

/* An entry as natter writes it. */
static char *
entry(const char *id, int64_t updated, int done, int64_t due)
{
	return xasprintf("\"%s\":{\"kind\":\"remind\",\"room_id\":\"!r:x\",\"event_id\":\"$e%s\","
	    "\"due\":%lld,\"created\":1,\"updated\":%lld%s}", id, id, (long long)due,
	    (long long)updated, done ? ",\"done\":true" : "");
}

static char *
content(const char *a, const char *b)
{
	return xasprintf("{\"reminders\":{%s%s%s}}", a != NULL ? a : "",
	    a != NULL && b != NULL ? "," : "", b != NULL ? b : "");
}

/* The merged entry id, parsed (NULL when absent); *root to free. */
static const cJSON *
merged_entry(const char *merged, const char *id, cJSON **root)
{
	*root = cJSON_Parse(merged);
	assert_non_null(*root);
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(*root,
	    "reminders"), id);
}

static int64_t
number(const cJSON *e, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, name);

	assert_true(cJSON_IsNumber(v));
	return (int64_t)v->valuedouble;
}

static int
merged_count(const char *merged)
{
	cJSON *root = cJSON_Parse(merged);
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "reminders"));

	cJSON_Delete(root);
	return n;
}

static void
test_merge_keeps_both_sides(void **state)
{
	char *a1 = entry("aa", 10, 0, NOW), *b1 = entry("bb", 5, 0, NOW);
	char *a = content(a1, NULL), *b = content(b1, NULL);
	char *m = core_remind_merge(a, b, NOW), *m2 = core_remind_merge(b, a, NOW);

	assert_int_equal(merged_count(m), 2);
	assert_true(core_remind_covers(m2, m));
	assert_true(core_remind_covers(m, m2));
	assert_false(core_remind_covers(a, m));
	assert_false(core_remind_covers(b, m));
	assert_true(core_remind_covers(m, a));
	free(m2);
	free(m);
	m = core_remind_merge(NULL, b, NOW);
	assert_int_equal(merged_count(m), 1);
	free(m);
	m = core_remind_merge("not json", "{\"reminders\":[1,2]}", NOW);
	assert_string_equal(m, "{\"reminders\":{}}");
	free(m);
	free(a1);
	free(b1);
	free(a);
	free(b);
}

static void
test_merge_newer_wins_and_done_wins_a_tie(void **state)
{
	char *old = entry("aa", NOW - 20, 0, NOW);
	char *snoozed = entry("aa", NOW - 10, 0, NOW + DAY_MS);
	char *done = entry("aa", NOW - 20, 1, NOW);
	char *c_old = content(old, NULL), *c_snoozed = content(snoozed, NULL);
	char *c_done = content(done, NULL), *m;
	const cJSON *e;
	cJSON *root;

	m = core_remind_merge(c_old, c_snoozed, NOW);
	e = merged_entry(m, "aa", &root);
	assert_int_equal(number(e, "due"), NOW + DAY_MS);
	cJSON_Delete(root);
	assert_false(core_remind_covers(c_old, m));
	free(m);
	/* Either order: the older copy never undoes the newer change. */
	m = core_remind_merge(c_snoozed, c_old, NOW);
	e = merged_entry(m, "aa", &root);
	assert_int_equal(number(e, "updated"), NOW - 10);
	cJSON_Delete(root);
	free(m);
	m = core_remind_merge(c_old, c_done, NOW);
	e = merged_entry(m, "aa", &root);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "done")));
	cJSON_Delete(root);
	assert_false(core_remind_covers(c_old, m));
	free(m);
	free(old);
	free(snoozed);
	free(done);
	free(c_old);
	free(c_snoozed);
	free(c_done);
}

static void
test_merge_drops_bad_entries_and_old_done_ones(void **state)
{
	const char *bad = "{\"reminders\":{"
	    "\"a\":{\"kind\":\"remind\",\"room_id\":\"!r:x\",\"event_id\":\"$e\",\"updated\":1},"
	    "\"b\":{\"kind\":\"remind\",\"room_id\":\"r\",\"event_id\":\"$e\",\"due\":1,"
	    "\"updated\":1},"
	    "\"c\":{\"kind\":\"alarm\",\"room_id\":\"!r:x\",\"event_id\":\"$e\",\"due\":1,"
	    "\"updated\":1},"
	    "\"d\":{\"kind\":\"remind\",\"room_id\":\"!r:x\",\"event_id\":\"$e\",\"due\":\"1\","
	    "\"updated\":1},"
	    "\"e\":{\"kind\":\"flag\",\"room_id\":\"!r:x\",\"event_id\":\"$e\",\"updated\":-4},"
	    "\"f\":[],"
	    "\"h\\u001b[2J\":{\"kind\":\"flag\",\"room_id\":\"!r:x\",\"event_id\":\"$e\","
	    "\"updated\":1},"
	    "\"i\":{\"kind\":\"flag\",\"room_id\":\"!r:x\",\"event_id\":\"$e\\n\","
	    "\"updated\":1},"
	    "\"g\":{\"kind\":\"flag\",\"room_id\":\"!r:x\",\"event_id\":\"$e\",\"updated\":1}}}";
	char *recent = entry("rr", NOW - DAY_MS, 1, NOW), *old = entry("oo", NOW - 31 * DAY_MS, 1,
	    NOW), *c = content(recent, old), *m;
	const cJSON *e;
	cJSON *root;

	m = core_remind_merge(bad, NULL, NOW);
	assert_int_equal(merged_count(m), 1);
	assert_non_null(merged_entry(m, "g", &root));
	cJSON_Delete(root);
	free(m);
	m = core_remind_merge(c, NULL, NOW);
	assert_int_equal(merged_count(m), 1);
	e = merged_entry(m, "rr", &root);
	assert_non_null(e);
	cJSON_Delete(root);
	free(m);
	free(recent);
	free(old);
	free(c);
}

static void
test_text_asks(void **state)
{
	assert_true(store_text_asks("Can you send the deck?"));
	assert_true(store_text_asks("Did it go out? I need it by noon."));
	assert_true(store_text_asks("Really?!"));
	assert_true(store_text_asks("(is it Friday?)"));
	assert_true(store_text_asks("line one\nwhen is it?\nthanks"));
	assert_false(store_text_asks("See https://example.org/?q=1 for details"));
	assert_false(store_text_asks("The car is booked."));
	assert_false(store_text_asks("> <@bob:x> are you in?\nYes"));
	assert_false(store_text_asks(""));
	assert_false(store_text_asks(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_keeps_both_sides),
		cmocka_unit_test(test_merge_newer_wins_and_done_wins_a_tie),
		cmocka_unit_test(test_merge_drops_bad_entries_and_old_done_ones),
		cmocka_unit_test(test_text_asks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
