/* Local search: the query language, whatever is typed, and what a user
 * finds in a cache built from syncs. */
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
#include <cjson/cJSON.h>

#include "natter/event.h"
#include "natter/search.h"
#include "natter/store.h"
#include "natter/util.h"
#include "cache-builder.h"

#define DAY_MS 86400000LL
/* 2024-03-10 12:00 UTC; the tests run with TZ=UTC. */
#define NOW_MS 1710072000000LL

/* A cache whose clock starts a month before NOW_MS. */
static int
search_setup(void **state)
{
	test_clock = NOW_MS - 30 * DAY_MS;
	return setup(state);
}

/* Runs a query; returns the hits' event ids joined by ' ', best first,
 * or "ERROR: cause". */
static char *
run_in(struct store *st, const char *room_id, int limit, const char *text)
{
	struct search_opts o = {.room_id = room_id, .limit = limit, .now_ms = NOW_MS};
	struct search_hit *hits;
	struct buf b = {0};
	char *cause = NULL;
	size_t n;

	if (search_run(st, text, &o, &hits, &n, &cause) != 0) {
		assert_non_null(cause);
		buf_printf(&b, "ERROR: %s", cause);
		free(cause);
		return buf_steal(&b);
	}
	assert_null(cause);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", hits[i].event_id);
	search_hits_free(&hits, n);
	return buf_steal(&b);
}

#define assert_search(st, text, want)                                                          \
	do {                                                                                   \
		char *got_ = run_in((st), NULL, 50, (text));                                   \
		if (strcmp(got_, (want)) != 0)                                                 \
			fail_msg("search [%s]: got [%s], want [%s]", (text), got_, (want));    \
		free(got_);                                                                    \
	} while (0)

/* A cache with two rooms and a direct chat, used by most tests below. */
static void
fill_office(struct store *st)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!team:x", MX_MEMBERSHIP_JOIN);
	struct mx_event *ev;

	ev_name(ST(ru), "$n1", "Team chat");
	ev_member(ST(ru), "@dana:x", "Dana Whitfield", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@marcus:x", "Marcus Okafor", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Sam", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@zoe:x", "zoe", MX_MEMBERSHIP_JOIN);	/* named as her id, as servers do */
	test_clock = NOW_MS - 20 * DAY_MS;	/* 2024-02-19 */
	ev_text(TL(ru), "$t1", "@dana:x", "the board meeting moved to Thursday");
	ev_text(TL(ru), "$t2", "@marcus:x", "meeting the board after lunch");
	ev_text(TL(ru), "$t3", "@marcus:x", "budget draft attached, see https://example.org/b");
	ev_file(TL(ru), "$t4", "@dana:x", "report", "quarterly-report.pdf");
	test_clock = NOW_MS - 10 * DAY_MS;	/* 2024-02-29 */
	ev_text(TL(ru), "$t5", "@dana:x", "budgetary matters for Zürich");
	ev_text(TL(ru), "$t6", "@marcus:x", "multi-agent plans for 20.04, why? AND NOT");
	ru = sync_room(s, "!dm:x", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), "@dana:x", "Dana Whitfield", MX_MEMBERSHIP_JOIN);
	ev_member(ST(ru), SELF, "Sam", MX_MEMBERSHIP_JOIN);
	test_clock = NOW_MS - 2 * DAY_MS;	/* 2024-03-08 */
	ev = ev_text(TL(ru), "$d1", "@dana:x", "lunch budget approved");
	free(ev->formatted_body);
	ev->formatted_body = xstrdup("lunch <a href=\"x\">budget</a> approved");
	ev_text(TL(ru), "$d2", SELF, "thanks, lunch at noon");
	sync_direct(s, "@dana:x", "!dm:x");
	apply_ok(st, &s);
}

/* Text a user might type, all of it: each is a query with hits (or
 * none) or a clear message, never a database error. */
static void
test_hostile_queries(void **state)
{
	struct fixture *f = *state;
	static const char *queries[] = {
		"\"", "'", "\"\"", "a\"b", "-", "--", "*", "**a", "AND", "NOT x", "x OR", "OR",
		"(", ")", "()", "NEAR(a b)", "NEAR", "col:val", "text:foo", "filename:x", "^a",
		".", "...", "@bob:x", "#room:x", "\\", "🎉", "👍🏽 budget", "a'b", "it's", "why?",
		"20.04", "multi-agent", "-\"", "-\"\"", "\"unbalanced phrase", "\"a\" \"b",
		"-budget", "-\"board meeting\"", "a AND b OR c NOT d", "\"AND\"", "{x}", "[x]",
		"x:", ":", "::", "a:b:c", "+x", "x^2", "$t1", "%", "_", "%_%", "'; DROP TABLE x;--",
		"\x01\x02\x1b[2J", "tab\there", "line\nbreak", "ünïcödé", "Zürich", "ZURICH",
		"日本語", "budg", "b", "x*", "*x*", "board meeting", "from:dana", "has:link",
		"is:dm", "-has:link budget", "on:today", "after:yesterday", "before:2024-03-01",
		"\"\\\"\"", "\xe2\x80\xae", "NEAR(\"a\" \"b\", 2)", "{text}: x", "- x", "x -",
	};
	static const char *clear[] = {
		"", "   ", "\"", "\"\"", "-", "--", "*", ".", "...", "🎉", "-\"", "(", "\\",
		"from:", "in:", "has:", "has:nothing", "is:group", "before:someday", "on:2024-02-30",
		"after:2024-13-01", "-from:dana", "-in:team", "in:nowhere-at-all", "\xff\xfe",
	};
	char big[10 * 1024 + 1], many[200];

	fill_office(f->st);
	for (size_t i = 0; i < NT_NELEMS(queries); i++) {
		char *got = run_in(f->st, NULL, 50, queries[i]);

		if (strstr(got, "fts5") != NULL || strstr(got, "sqlite") != NULL ||
		    strstr(got, "syntax") != NULL || strstr(got, "SQL") != NULL)
			fail_msg("query [%s] reached the database as syntax: %s", queries[i], got);
		free(got);
	}
	for (size_t i = 0; i < NT_NELEMS(clear); i++) {
		char *got = run_in(f->st, NULL, 50, clear[i]);

		if (strncmp(got, "ERROR: ", 7) != 0 || strstr(got, "fts5") != NULL ||
		    strstr(got, "sqlite") != NULL)
			fail_msg("query [%s] wanted a clear message, got [%s]", clear[i], got);
		free(got);
	}
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_search(f->st, big, "ERROR: the query is too long (10240 bytes; at most 1000)");
	many[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(many, "ab ");
	assert_search(f->st, many, "ERROR: too many words in the query (at most 32)");
	assert_search(f->st, "", "ERROR: type some words to search for");
	assert_search(f->st, "has:nothing",
	    "ERROR: has:nothing is not understood; has: takes file or link");
}

/* Punctuation and operators are plain text, found where they were typed. */
static void
test_operators_are_words(void **state)
{
	struct fixture *f = *state;

	fill_office(f->st);
	assert_search(f->st, "AND ", "$t6");
	assert_search(f->st, "NOT ", "$t6");
	assert_search(f->st, "multi-agent", "$t6");
	assert_search(f->st, "20.04", "$t6");
	assert_search(f->st, "why?", "$t6");
	assert_search(f->st, "\"for 20.04\"", "$t6");
	assert_search(f->st, "meeting OR thanks", "");
	assert_search(f->st, "\"AND NOT\"", "$t6");
	assert_search(f->st, "zurich", "$t5");
	assert_search(f->st, "🎉 zürich", "$t5");
}

static void
test_parse_parts(void **state)
{
	struct search_query q;
	char *cause = NULL, *match;

	assert_int_equal(search_parse("budget \"board meeting\" -draft -\"a b\" from:Dana "
	    "in:\"Team chat\" before:2024-01-02 -has:link is:dm bud", &q, &cause), 0);
	assert_int_equal(q.n_terms, 5);
	assert_string_equal(q.terms[0].text, "budget");
	assert_false(q.terms[0].prefix);
	assert_true(q.terms[1].phrase);
	assert_string_equal(q.terms[1].text, "board meeting");
	assert_true(q.terms[2].negated);
	assert_true(q.terms[3].negated && q.terms[3].phrase);
	assert_true(q.terms[4].prefix);
	assert_string_equal(q.from[0], "Dana");
	assert_string_equal(q.in[0], "Team chat");
	assert_int_equal(q.before.year * 10000 + q.before.month * 100 + q.before.day, 20240102);
	assert_int_equal(q.has_link, SEARCH_WITHOUT);
	assert_int_equal(q.has_file, SEARCH_EITHER);
	assert_int_equal(q.is_dm, SEARCH_ONLY);
	match = search_fts_match(&q, 0);
	assert_string_equal(match, "(\"budget\" AND \"board meeting\" AND \"bud\" *)"
	    " NOT (\"draft\" OR \"a b\")");
	free(match);
	match = search_fts_match(&q, 1u << 0 | 1u << 2);
	assert_string_equal(match, "(\"board meeting\") NOT (\"draft\" OR \"a b\")");
	free(match);
	search_query_clear(&q);

	/* A space after the last word: it is complete. */
	assert_int_equal(search_parse("budg ", &q, &cause), 0);
	assert_false(q.terms[0].prefix);
	search_query_clear(&q);
	assert_int_equal(search_parse("a\"b NEAR(xy", &q, &cause), 0);
	match = search_fts_match(&q, 0);
	assert_string_equal(match, "(\"a\"\"b\" AND \"NEAR(xy\")");
	free(match);
	search_query_clear(&q);
	/* The last word is a prefix from its last token's third byte on,
	 * or with a *, however short. */
	assert_int_equal(search_parse("a'b NEAR(xyz)", &q, &cause), 0);
	match = search_fts_match(&q, 0);
	assert_string_equal(match, "(\"a'b\" AND \"NEAR(xyz)\" *)");
	free(match);
	search_query_clear(&q);
	assert_int_equal(search_parse("a'b", &q, &cause), 0);
	assert_false(q.terms[0].prefix);
	search_query_clear(&q);
	assert_int_equal(search_parse("b*", &q, &cause), 0);
	assert_true(q.terms[0].prefix);
	search_query_clear(&q);
	assert_int_equal(search_parse("東", &q, &cause), 0);
	assert_true(q.terms[0].prefix);
	search_query_clear(&q);
	assert_int_equal(search_parse("-budget", &q, &cause), 0);
	assert_null(search_fts_match(&q, 0));
	match = search_fts_excluded(&q);
	assert_string_equal(match, "\"budget\"");
	free(match);
	search_query_clear(&q);
	assert_int_equal(search_parse("before:2024-02-30", &q, &cause), -1);
	assert_string_equal(cause, "before:2024-02-30 is not understood; before: takes a date:"
	    " YYYY-MM-DD, today or yesterday");
	free(cause);
	cause = NULL;
	assert_int_equal(search_parse("-from:dana x", &q, &cause), -1);
	assert_non_null(strstr(cause, "cannot be negated"));
	free(cause);
}

/* Three times in a short message beats once in a long one, whatever
 * their age within days; at equal relevance the newer comes first. */
static void
test_ranking(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	char id[32];

	test_clock = NOW_MS - 5 * DAY_MS;
	for (int i = 0; i < 20; i++) {
		snprintf(id, sizeof id, "$f%d", i);
		ev_text(TL(ru), id, "@dana:x", "filler words about other things entirely");
	}
	ev_text(TL(ru), "$short", "@dana:x", "invoice invoice invoice");
	test_clock = NOW_MS - 4 * DAY_MS;
	ev_text(TL(ru), "$long", "@dana:x", "a long message which mentions the invoice only "
	    "once among very many other words about the weather travel plans hotels and "
	    "flights and lunch menus and what everyone did over the weekend");
	ev_text(TL(ru), "$same1", "@dana:x", "visa renewal");
	test_clock = NOW_MS - 1 * DAY_MS;
	ev_text(TL(ru), "$same2", "@dana:x", "visa renewal");
	apply_ok(f->st, &s);
	assert_search(f->st, "invoice", "$short $long");
	assert_search(f->st, "visa renewal", "$same2 $same1");
}

static void
test_filters(void **state)
{
	struct fixture *f = *state;

	fill_office(f->st);
	assert_search(f->st, "board from:@dana:x", "$t1");
	assert_search(f->st, "board from:Marcus", "$t2");
	assert_search(f->st, "board from:\"Marcus Okafor\"", "$t2");
	assert_search(f->st, "board from:marc", "$t2");
	assert_search(f->st, "board from:nobody", "");
	assert_search(f->st, "budget in:\"Team chat\"", "$t3");
	assert_search(f->st, "budget in:!dm:x", "$d1");
	assert_search(f->st, "lunch in:team", "$t2");
	assert_search(f->st, "budget is:dm", "$d1");
	assert_search(f->st, "lunch -is:dm", "$t2");
	assert_search(f->st, "has:file", "$t4");
	assert_search(f->st, "budget has:link", "$d1 $t3");
	assert_search(f->st, "budget -has:link", "");
	assert_search(f->st, "lunch on:2024-03-08", "$d1 $d2");
	assert_search(f->st, "lunch before:2024-03-08", "$t2");
	assert_search(f->st, "lunch after:2024-03-07", "$d1 $d2");
	assert_search(f->st, "lunch after:2024-03-08", "");
	assert_search(f->st, "lunch on:yesterday", "");
	assert_search(f->st, "board -lunch", "$t1");
	assert_search(f->st, "board -\"after lunch\"", "$t1");
}

/* Only filters or only negations: the matching messages, newest first. */
static void
test_filters_alone(void **state)
{
	struct fixture *f = *state;
	char *got;

	fill_office(f->st);
	assert_search(f->st, "from:Dana", "$d1 $t5 $t4 $t1");
	assert_search(f->st, "in:team -board -budgetary -multi", "$t4 $t3");
	assert_search(f->st, "is:dm", "$d2 $d1");
	got = run_in(f->st, NULL, 2, "-nothing-like-this");
	assert_string_equal(got, "$d2 $d1");
	free(got);
	got = run_in(f->st, "!team:x", 50, "lunch");
	assert_string_equal(got, "$t2");
	free(got);
}

static void
test_phrase_and_prefix(void **state)
{
	struct fixture *f = *state;

	fill_office(f->st);
	assert_search(f->st, "\"board meeting\"", "$t1");
	assert_search(f->st, "board meeting", "$t2 $t1");
	assert_search(f->st, "budg", "$d1 $t5 $t3");
	assert_search(f->st, "budg ", "");
	assert_search(f->st, "budget ", "$d1 $t3");
	assert_search(f->st, "budg* lunch", "$d1");
	assert_search(f->st, "\"board meet\"", "");
}

static void
test_edits_and_redactions(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s2");
	struct mx_room_update *ru = sync_room(s, "!team:x", MX_MEMBERSHIP_JOIN);
	struct mx_event *ev;

	fill_office(f->st);
	ev = ev_text(TL(ru), "$e1", "@marcus:x", "meeting the board after dinner");
	ev->rel_type = xstrdup("m.replace");
	ev->rel_event = xstrdup("$t2");
	ev = ev_push(TL(ru), "$r1", "m.room.redaction", "@dana:x");
	ev->redacts = xstrdup("$t1");
	apply_ok(f->st, &s);
	assert_search(f->st, "dinner", "$t2");
	assert_search(f->st, "lunch in:team", "");
	assert_search(f->st, "thursday", "");
	assert_search(f->st, "board", "$t2");
}

static void
test_files_and_names(void **state)
{
	struct fixture *f = *state;
	struct search_opts o = {.limit = 10, .now_ms = NOW_MS};
	struct search_hit *hits;
	char *cause = NULL;
	size_t n;

	fill_office(f->st);
	assert_search(f->st, "quarterly", "$t4");
	assert_search(f->st, "whitfield", "$d1 $t5 $t4 $t1");
	assert_search(f->st, "okafor meeting", "$t2");
	assert_search(f->st, "dana budget", "$d1 $t5");
	assert_search(f->st, "@marcus:x budget", "$t3");
	assert_int_equal(search_run(f->st, "quarterly", &o, &hits, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(hits[0].snippet, SEARCH_MARK_ON "quarterly" SEARCH_MARK_OFF
	    "-report.pdf");
	assert_string_equal(hits[0].room_name, "Team chat");
	assert_string_equal(hits[0].sender_name, "Dana Whitfield");
	assert_string_equal(hits[0].room_id, "!team:x");
	search_hits_free(&hits, n);
}

/* Rooms stored one after the other, as a first sync stores them, each
 * with a message every twelve hours for 100 days: the filters read from
 * indexes (days, files, rooms) find a day's messages across every room. */
static void
test_filters_across_rooms(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	int64_t start = NOW_MS - 150 * DAY_MS - DAY_MS / 2;
	struct buf want_words = {0}, want_day = {0}, want_files = {0};
	char id[32], day[32], query[64], room[16];
	struct tm tm;
	time_t t = (time_t)((start + 51 * DAY_MS) / 1000);

	for (int r = 0; r < 3; r++) {
		struct mx_room_update *ru;

		snprintf(room, sizeof room, "!r%d:x", r);
		ru = sync_room(s, room, MX_MEMBERSHIP_JOIN);
		for (int i = 0; i < 200; i++) {
			snprintf(id, sizeof id, "$r%d_%d", r, i);
			test_clock = start + i * (DAY_MS / 2) + r * 60000;
			if (i % 4 == 3)
				ev_file(TL(ru), id, "@dana:x", "plan", "plan.pdf");
			else
				ev_text(TL(ru), id, "@dana:x", i % 3 == 0 ? "status meeting notes" :
				    "other chatter");
		}
	}
	apply_ok(f->st, &s);
	for (int i = 103; i >= 102; i--) {
		for (int r = 2; r >= 0; r--) {
			snprintf(id, sizeof id, "$r%d_%d", r, i);
			buf_printf(&want_day, "%s%s", want_day.len > 0 ? " " : "", id);
			if (i % 3 == 0 && i % 4 != 3)
				buf_printf(&want_words, "%s%s", want_words.len > 0 ? " " : "", id);
			if (i % 4 == 3)
				buf_printf(&want_files, "%s%s", want_files.len > 0 ? " " : "", id);
		}
	}
	gmtime_r(&t, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	snprintf(query, sizeof query, "meeting on:%s", day);
	assert_search(f->st, query, want_words.data);
	snprintf(query, sizeof query, "on:%s", day);
	assert_search(f->st, query, want_day.data);
	snprintf(query, sizeof query, "has:file plan on:%s", day);
	assert_search(f->st, query, want_files.data);
	snprintf(query, sizeof query, "in:!r1:x on:%s meeting", day);
	assert_search(f->st, query, "$r1_102");
	assert_search(f->st, "has:file plan in:!r2:x before:2023-10-14", "$r2_3");
	assert_search(f->st, "is:dm on:2023-10-12", "");
	buf_free(&want_words);
	buf_free(&want_day);
	buf_free(&want_files);
}

/* The local midnight starting day "YYYY-MM-DD" + offset days, in ms. */
static int64_t
local_day_ms(const char *date, int offset)
{
	struct tm tm = {0};

	assert_non_null(strptime(date, "%Y-%m-%d", &tm));
	tm.tm_mday += offset;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* A span of days short enough to be asked for as tags (UTC days), and
 * one too long for that: both find exactly the messages of the span in
 * local time, newest first, here 5:30 east of UTC. */
static void
test_day_spans(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	int64_t start = NOW_MS - 150 * DAY_MS, since, until;
	static const int spans[][2] = {{40, 50}, {20, 65}, {60, 61}};
	char id[32], query[96], after[16], before[16], room[16], *got;
	time_t t;

	setenv("TZ", "XST-5:30", 1);
	tzset();
	for (int r = 0; r < 2; r++) {
		struct mx_room_update *ru;

		snprintf(room, sizeof room, "!r%d:x", r);
		ru = sync_room(s, room, MX_MEMBERSHIP_JOIN);
		for (int i = 0; i < 200; i++) {
			snprintf(id, sizeof id, "$r%d_%d", r, i);
			test_clock = start + i * (DAY_MS / 2) + r * 60000;
			ev_text(TL(ru), id, "@dana:x", i % 3 == 0 ? "status meeting" : "chatter");
		}
	}
	apply_ok(f->st, &s);
	for (size_t k = 0; k < NT_NELEMS(spans); k++) {
		struct buf want = {0};

		t = (time_t)((start + spans[k][0] * DAY_MS) / 1000);
		strftime(after, sizeof after, "%Y-%m-%d", localtime(&t));
		t = (time_t)((start + spans[k][1] * DAY_MS) / 1000);
		strftime(before, sizeof before, "%Y-%m-%d", localtime(&t));
		since = local_day_ms(after, 1);
		until = local_day_ms(before, 0);
		for (int i = 199; i >= 0; i--) {
			for (int r = 1; r >= 0; r--) {
				int64_t ts = start + i * (DAY_MS / 2) + r * 60000;

				if (i % 3 == 0 && ts >= since && ts < until)
					buf_printf(&want, "%s$r%d_%d", want.len ? " " : "", r, i);
			}
		}
		snprintf(query, sizeof query, "meeting after:%s before:%s", after, before);
		got = run_in(f->st, NULL, 1000, query);
		if (strcmp(got, want.len > 0 ? want.data : "") != 0)
			fail_msg("search [%s]: got [%s], want [%s]", query, got, want.data);
		free(got);
		buf_free(&want);
	}
	setenv("TZ", "UTC", 1);
	tzset();
}

/* The last word typed is a prefix: whole, with the few words of the
 * index it completes to, or (more than 16, or a word of several parts)
 * through FTS5's own prefix query; each finds every completion. */
static void
test_prefix_completions(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, "!r:x", MX_MEMBERSHIP_JOIN);
	struct buf want = {0};
	char id[32], text[32], *got;

	ev_text(TL(ru), "$z", "@dana:x", "the Zürich office");
	ev_text(TL(ru), "$r1", "@dana:x", "report");
	ev_text(TL(ru), "$r2", "@dana:x", "reports");
	ev_text(TL(ru), "$r3", "@dana:x", "reporting");
	ev_text(TL(ru), "$m", "@dana:x", "multi-agent plans");
	for (int i = 1; i <= 20; i++) {
		snprintf(id, sizeof id, "$a%d", i);
		snprintf(text, sizeof text, "alpha%02d", i);
		ev_text(TL(ru), id, "@dana:x", text);
	}
	apply_ok(f->st, &s);
	assert_search(f->st, "zuri", "$z");
	assert_search(f->st, "Züri", "$z");
	assert_search(f->st, "repor", "$r3 $r2 $r1");
	assert_search(f->st, "report", "$r3 $r2 $r1");
	assert_search(f->st, "report ", "$r1");
	assert_search(f->st, "multi-age", "$m");
	for (int i = 20; i >= 1; i--)
		buf_printf(&want, "%s$a%d", i < 20 ? " " : "", i);
	got = run_in(f->st, NULL, 50, "alpha");
	assert_string_equal(got, want.data);
	free(got);
	buf_free(&want);
}

/* The tags that narrow a search in the index (senders, rooms, links,
 * files) are not words: typed, they find nothing. */
static void
test_tags_are_not_words(void **state)
{
	struct fixture *f = *state;
	char hex[64] = "0s";

	fill_office(f->st);
	assert_search(f->st, "0link", "");
	assert_search(f->st, "0file", "");
	for (const char *p = "@dana:x"; *p != '\0'; p++)
		snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%02X", (unsigned char)*p);
	assert_search(f->st, hex, "");
	assert_search(f->st, "0s", "");
}

/* More direct chats than a search asks the index for by tag: is:dm then
 * narrows by the rooms' rows, and finds the same. */
static void
test_filters_many_rooms(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru;
	struct buf want = {0};
	char room[32], user[32], id[32], *got;

	for (int r = 0; r < 70; r++) {
		snprintf(room, sizeof room, "!dm%d:x", r);
		snprintf(user, sizeof user, "@u%d:x", r);
		snprintf(id, sizeof id, "$m%d", r);
		ru = sync_room(s, room, MX_MEMBERSHIP_JOIN);
		ev_text(TL(ru), id, user, "hello there");
		sync_direct(s, user, room);
	}
	ru = sync_room(s, "!group:x", MX_MEMBERSHIP_JOIN);
	ev_text(TL(ru), "$g", "@u1:x", "hello all");
	apply_ok(f->st, &s);
	for (int r = 69; r >= 0; r--)
		buf_printf(&want, "%s$m%d", want.len > 0 ? " " : "", r);
	got = run_in(f->st, NULL, 100, "is:dm");
	assert_string_equal(got, want.data);
	free(got);
	got = run_in(f->st, NULL, 100, "hello -is:dm");
	assert_string_equal(got, "$g");
	free(got);
	buf_free(&want);
}

/* Server text cannot fake a highlight or reach the terminal raw. */
static void
test_snippets(void **state)
{
	struct search_query q;
	char *cause = NULL, *snip;
	struct buf long_text = {0};

	assert_int_equal(search_parse("budg", &q, &cause), 0);
	snip = search_snippet(&q, "fake \x02mark\x03 \x1b[2J Budget café", 100);
	assert_null(strchr(snip + 0, '\x1b'));
	assert_non_null(strstr(snip, SEARCH_MARK_ON "Budget" SEARCH_MARK_OFF));
	assert_int_equal(strstr(snip, SEARCH_MARK_ON) - snip,
	    strrchr(snip, SEARCH_MARK_ON[0]) - snip);
	free(snip);
	for (int i = 0; i < 60; i++)
		buf_printf(&long_text, "word%d ", i);
	buf_puts(&long_text, "budget at the end of a long text ");
	for (int i = 0; i < 60; i++)
		buf_printf(&long_text, "tail%d ", i);
	snip = search_snippet(&q, long_text.data, 60);
	assert_true(strncmp(snip, "…", strlen("…")) == 0);
	assert_non_null(strstr(snip, SEARCH_MARK_ON "budget" SEARCH_MARK_OFF " at the end"));
	assert_true(strlen(snip) < 120);
	assert_string_equal(snip + strlen(snip) - strlen("…"), "…");
	free(snip);
	buf_free(&long_text);
	search_query_clear(&q);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, search_setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hostile_queries),
		T(test_operators_are_words),
		cmocka_unit_test(test_parse_parts),
		T(test_ranking),
		T(test_filters),
		T(test_filters_alone),
		T(test_phrase_and_prefix),
		T(test_filters_across_rooms),
		T(test_edits_and_redactions),
		T(test_files_and_names),
		T(test_day_spans),
		T(test_prefix_completions),
		T(test_tags_are_not_words),
		T(test_filters_many_rooms),
		cmocka_unit_test(test_snippets),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
