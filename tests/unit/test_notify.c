#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "natter/notify.h"
#include "natter/sanitize.h"
#include "natter/util.h"

#define HM(h, m) ((h) * 60 + (m))
#define BOARD_ID "!board:example.org"
#define ME_ID "@sam:example.org"

enum {
	C_DIRECT = 0x1,
	C_NOTICE = 0x2,
	C_HIGHLIGHT = 0x4,
	C_OWN = 0x8,
	C_MUTED = 0x10,
	C_DISABLED = 0x20,
	C_NO_MENTIONS = 0x40,
	C_NO_DIRECT = 0x80,
	C_IN_VIEW = 0x100,
	C_FOCUS_IN = 0x200,
	C_FOCUS_OUT = 0x400,
	C_VIP = 0x800,		/* the sender is a VIP */
};

struct decide_case {
	const char *what;
	const char *body;
	int flags;
	const char *quiet;	/* "HH:MM-HH:MM", or NULL for none */
	int minute;
	enum notify_reason want;
};

static const char *const keywords[] = {"budget", "board meeting", "Zo\u00eb"};
static const char *const muted[] = {"!other:example.org", BOARD_ID};

static const struct decide_case decide_cases[] = {
	{"plain message in a group", "numbers are in", 0, NULL, HM(12, 0), NOTIFY_NO_MATCH},
	{"display name", "Sam Okafor, can you look?", 0, NULL, HM(12, 0), NOTIFY_MENTION},
	{"display name in lower case", "sam okafor: ping", 0, NULL, HM(12, 0), NOTIFY_MENTION},
	{"display name at the end", "thanks SAM OKAFOR", 0, NULL, HM(12, 0), NOTIFY_MENTION},
	{"user id", "ping @sam:example.org, please", 0, NULL, HM(12, 0), NOTIFY_MENTION},
	{"display name inside a word", "Sam Okaforson signed", 0, NULL, HM(12, 0),
	    NOTIFY_NO_MATCH},
	{"user id inside a word", "x@sam:example.orgy", 0, NULL, HM(12, 0), NOTIFY_NO_MATCH},
	{"m.mentions names us", "numbers are in", C_HIGHLIGHT, NULL, HM(12, 0), NOTIFY_MENTION},
	{"mentions off", "Sam Okafor, look", C_NO_MENTIONS | C_HIGHLIGHT, NULL, HM(12, 0),
	    NOTIFY_NO_MATCH},
	{"direct message", "hi", C_DIRECT, NULL, HM(12, 0), NOTIFY_DIRECT},
	{"direct messages off", "hi", C_DIRECT | C_NO_DIRECT, NULL, HM(12, 0), NOTIFY_NO_MATCH},
	{"mention in a direct chat", "Sam Okafor?", C_DIRECT, NULL, HM(12, 0), NOTIFY_MENTION},
	{"keyword", "the BUDGET is due", 0, NULL, HM(12, 0), NOTIFY_KEYWORD},
	{"keyword before punctuation", "budget?", 0, NULL, HM(12, 0), NOTIFY_KEYWORD},
	{"keyword inside a word", "budgetary matters", 0, NULL, HM(12, 0), NOTIFY_NO_MATCH},
	{"keyword phrase", "Board Meeting moved to 3", 0, NULL, HM(12, 0), NOTIFY_KEYWORD},
	{"keyword in other case, non-ASCII", "ask ZO\u00cb", 0, NULL, HM(12, 0), NOTIFY_KEYWORD},
	{"keyword split by a newline", "board\nmeeting", 0, NULL, HM(12, 0), NOTIFY_NO_MATCH},
	{"own message", "Sam Okafor here", C_OWN | C_DIRECT | C_HIGHLIGHT, NULL, HM(12, 0),
	    NOTIFY_NO_OWN},
	{"muted room, mention", "Sam Okafor?", C_MUTED | C_HIGHLIGHT, NULL, HM(12, 0),
	    NOTIFY_NO_MUTED},
	{"muted direct chat", "hi", C_MUTED | C_DIRECT, NULL, HM(12, 0), NOTIFY_NO_MUTED},
	{"notice in a direct chat", "build passed", C_NOTICE | C_DIRECT, NULL, HM(12, 0),
	    NOTIFY_NO_NOTICE},
	{"notice with a keyword", "budget report", C_NOTICE, NULL, HM(12, 0), NOTIFY_NO_NOTICE},
	{"notice that mentions us", "Sam Okafor: build failed", C_NOTICE, NULL, HM(12, 0),
	    NOTIFY_MENTION},
	{"quiet 22:00-07:00 at 23:30", "hi", C_DIRECT, "22:00-07:00", HM(23, 30),
	    NOTIFY_NO_QUIET},
	{"quiet 22:00-07:00 at 03:00", "hi", C_DIRECT, "22:00-07:00", HM(3, 0), NOTIFY_NO_QUIET},
	{"quiet 22:00-07:00 at 22:00", "hi", C_DIRECT, "22:00-07:00", HM(22, 0),
	    NOTIFY_NO_QUIET},
	{"quiet 22:00-07:00 at 00:00", "hi", C_DIRECT, "22:00-07:00", HM(0, 0), NOTIFY_NO_QUIET},
	{"quiet 22:00-07:00 at 07:00", "hi", C_DIRECT, "22:00-07:00", HM(7, 0), NOTIFY_DIRECT},
	{"quiet 22:00-07:00 at 21:59", "hi", C_DIRECT, "22:00-07:00", HM(21, 59), NOTIFY_DIRECT},
	{"quiet 22:00-07:00 at noon", "hi", C_DIRECT, "22:00-07:00", HM(12, 0), NOTIFY_DIRECT},
	{"quiet 12:30-13:30 at 13:00", "Sam Okafor", 0, "12:30-13:30", HM(13, 0),
	    NOTIFY_NO_QUIET},
	{"quiet 12:30-13:30 at 13:30", "Sam Okafor", 0, "12:30-13:30", HM(13, 30),
	    NOTIFY_MENTION},
	{"quiet, nothing to say anyway", "numbers", 0, "22:00-07:00", HM(23, 0), NOTIFY_NO_MATCH},
	{"in view, focused", "hi", C_DIRECT | C_IN_VIEW | C_FOCUS_IN, NULL, HM(12, 0),
	    NOTIFY_NO_SEEN},
	{"in view, focus unknown", "hi", C_DIRECT | C_IN_VIEW, NULL, HM(12, 0), NOTIFY_NO_SEEN},
	{"in view, terminal unfocused", "hi", C_DIRECT | C_IN_VIEW | C_FOCUS_OUT, NULL,
	    HM(12, 0), NOTIFY_DIRECT},
	{"another room in view, focused", "hi", C_DIRECT | C_FOCUS_IN, NULL, HM(12, 0),
	    NOTIFY_DIRECT},
	{"notifications disabled", "Sam Okafor?", C_DISABLED | C_DIRECT | C_HIGHLIGHT, NULL,
	    HM(12, 0), NOTIFY_NO_DISABLED},
	{"VIP in a group", "numbers are in", C_VIP, NULL, HM(12, 0), NOTIFY_VIP},
	{"VIP in a muted room", "numbers are in", C_VIP | C_MUTED, NULL, HM(12, 0), NOTIFY_VIP},
	{"VIP in quiet hours", "hi", C_VIP | C_DIRECT, "22:00-07:00", HM(23, 30), NOTIFY_VIP},
	{"VIP, muted room in quiet hours", "hi", C_VIP | C_MUTED, "22:00-07:00", HM(3, 0),
	    NOTIFY_VIP},
	{"VIP's notice", "build passed", C_VIP | C_NOTICE, NULL, HM(12, 0), NOTIFY_VIP},
	{"VIP mentioning us", "Sam Okafor?", C_VIP | C_HIGHLIGHT, NULL, HM(12, 0), NOTIFY_VIP},
	{"VIP with mentions and direct off", "hi", C_VIP | C_NO_MENTIONS | C_NO_DIRECT, NULL,
	    HM(12, 0), NOTIFY_VIP},
	{"VIP in view, focused", "hi", C_VIP | C_IN_VIEW | C_FOCUS_IN, NULL, HM(12, 0),
	    NOTIFY_NO_SEEN},
	{"VIP, notifications disabled", "hi", C_VIP | C_DISABLED, NULL, HM(12, 0),
	    NOTIFY_NO_DISABLED},
};

/* The VIP list of the cases that ask for one; Dana is not in the other. */
static const char *const vips[] = {"@ceo:example.org", "@dana:example.org"};
static const char *const other_vips[] = {"@ceo:example.org", "@dana:example.org.evil"};

static enum notify_reason
decide(const struct decide_case *c)
{
	struct notify_msg msg = {
		.room_id = BOARD_ID,
		.room_name = "Board Room",
		.sender_id = "@dana:example.org",
		.sender_name = "Dana Whitfield",
		.body = c->body,
	};
	struct notify_ctx ctx = {.my_id = ME_ID, .my_name = "Sam Okafor", .minute = c->minute};
	struct notify_rules rules;
	int h1, m1, h2, m2;

	notify_rules_default(&rules);
	rules.keywords = keywords;
	rules.nkeywords = NT_NELEMS(keywords);
	rules.enabled = !(c->flags & C_DISABLED);
	rules.mentions = !(c->flags & C_NO_MENTIONS);
	rules.direct = !(c->flags & C_NO_DIRECT);
	if (c->flags & C_MUTED)
		rules.muted = muted, rules.nmuted = NT_NELEMS(muted);
	if (c->flags & C_VIP)
		rules.vips = vips, rules.nvips = NT_NELEMS(vips);
	else
		rules.vips = other_vips, rules.nvips = NT_NELEMS(other_vips);
	if (c->quiet != NULL) {
		assert_int_equal(sscanf(c->quiet, "%d:%d-%d:%d", &h1, &m1, &h2, &m2), 4);
		rules.quiet_start = HM(h1, m1);
		rules.quiet_end = HM(h2, m2);
	}
	msg.is_direct = !!(c->flags & C_DIRECT);
	msg.is_notice = !!(c->flags & C_NOTICE);
	msg.mentions = (c->flags & C_HIGHLIGHT) ? NOTIFY_MENTIONS_US : NOTIFY_MENTIONS_NONE;
	if (c->flags & C_OWN)
		msg.sender_id = ME_ID;
	ctx.in_view = !!(c->flags & C_IN_VIEW);
	ctx.focus = (c->flags & C_FOCUS_IN) ? NOTIFY_FOCUS_IN :
	    (c->flags & C_FOCUS_OUT) ? NOTIFY_FOCUS_OUT : NOTIFY_FOCUS_UNKNOWN;
	return notify_decide(&msg, &rules, &ctx);
}

static void
test_decide_table(void **state)
{
	for (size_t i = 0; i < NT_NELEMS(decide_cases); i++) {
		const struct decide_case *c = &decide_cases[i];
		enum notify_reason got = decide(c);

		if (got != c->want)
			fail_msg("%s: got %s, want %s", c->what, notify_reason_name(got),
			    notify_reason_name(c->want));
	}
}

static void
test_decide_without_identity(void **state)
{
	struct notify_msg msg = {.room_id = BOARD_ID, .body = "hello", .is_direct = 1};
	struct notify_ctx ctx = {.focus = NOTIFY_FOCUS_UNKNOWN};
	struct notify_rules rules;

	notify_rules_default(&rules);
	assert_int_equal(notify_decide(&msg, &rules, &ctx), NOTIFY_DIRECT);
	msg.body = NULL;
	msg.is_direct = 0;
	msg.mentions = NOTIFY_MENTIONS_US;
	assert_int_equal(notify_decide(&msg, &rules, &ctx), NOTIFY_MENTION);
}

static void
test_has_word(void **state)
{
	assert_true(notify_has_word("budget", "budget"));
	assert_true(notify_has_word("(budget)", "BUDGET"));
	assert_true(notify_has_word("Dana's turn", "dana"));
	assert_true(notify_has_word("\u00c9milie, look", "\u00e9milie"));
	assert_true(notify_has_word("Stra\u00dfe", "STRASSE"));
	assert_true(notify_has_word("x budgets budget", "budget"));
	assert_false(notify_has_word("budget_2024", "budget"));
	assert_false(notify_has_word("rebudget", "budget"));
	assert_false(notify_has_word("budget\u00e9", "budget"));
	assert_false(notify_has_word("budget", ""));
	assert_false(notify_has_word("budget", NULL));
	assert_false(notify_has_word(NULL, "budget"));
	assert_false(notify_has_word("bud\xff" "get", "budget"));
}

static void
test_local_minute(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(notify_local_minute(0), 0);
	assert_int_equal(notify_local_minute(25 * 3600 + 7 * 60 + 59), HM(1, 7));
}

static void
test_reason_names(void **state)
{
	for (int r = NOTIFY_NO_SEEN; r <= NOTIFY_VIP; r++)
		assert_string_not_equal(notify_reason_name((enum notify_reason)r), "unknown");
	assert_string_equal(notify_reason_name(NOTIFY_MENTION), "mention");
}

static char *
summary(const char *sender_id, const char *sender_name, const char *room_name, int direct)
{
	struct notify_msg msg = {
		.room_id = BOARD_ID,
		.room_name = room_name,
		.is_direct = direct,
		.sender_id = sender_id,
		.sender_name = sender_name,
	};
	char *out = notify_summary(&msg);

	assert_true(san_utf8_valid(out, strlen(out)));
	assert_true(strlen(out) <= NOTIFY_SUMMARY_MAX);
	return out;
}

static void
test_summary(void **state)
{
	static const struct {
		const char *id, *name, *room;
		int direct;
		const char *want;
	} cases[] = {
		{"@dana:x", "Dana Whitfield", "Board Room", 0, "Dana Whitfield in Board Room"},
		{"@dana:x", "Dana Whitfield", "Dana Whitfield", 1, "Dana Whitfield"},
		{"@dana:x", NULL, "Board Room", 0, "@dana:x in Board Room"},
		{"@dana:x", "", NULL, 0, "@dana:x in " BOARD_ID},
		{NULL, NULL, "Board Room", 0, "someone in Board Room"},
		{"@dana:x", "\x1b[2J\x1b]0;pwned\x07" "Dana", "Board", 0,
		    "\u241b[2J\u241b]0;pwned\u2407Dana in Board"},
		{"@dana:x", "Dana\u202Emoorb", "Board", 0, "Dana<U+202E>moorb in Board"},
		{"@dana:x", "Dana\nIT Support", "Board\r\nRoom", 0,
		    "Dana\u23ceIT Support in Board\u23ceRoom"},
		{"@dana:x", "<b>Dana</b> & \"co\"", "R&D", 0, "<b>Dana</b> & \"co\" in R&D"},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *out = summary(cases[i].id, cases[i].name, cases[i].room, cases[i].direct);

		assert_string_equal(out, cases[i].want);
		free(out);
	}
}

static void
test_summary_long_names(void **state)
{
	char name[400], *out;

	memset(name, 0, sizeof name);
	for (size_t i = 0; i + 2 < sizeof name - 1; i += 2)
		memcpy(name + i, "\u00e9", 2);
	out = summary("@x:y", name, name, 0);
	assert_non_null(strstr(out, "\u2026 in \u00e9"));
	assert_int_equal(strncmp(out + strlen(out) - 3, "\u2026", 3), 0);
	free(out);
}

static void
test_body(void **state)
{
	static const struct {
		const char *in;
		int markup;
		const char *want;
	} cases[] = {
		{"<b>Tom & Jerry</b> \x1b[31m", 1, "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; \u241b[31m"},
		{"<b>Tom & Jerry</b> \x1b[31m", 0, "<b>Tom & Jerry</b> \u241b[31m"},
		{"Alice <a@b> wrote", 1, "Alice &lt;a@b&gt; wrote"},
		{"<a href=\"https://evil.example\">System update</a>", 1,
		    "&lt;a href=&quot;https://evil.example&quot;&gt;System update&lt;/a&gt;"},
		{"line one\nline two\r\nthree", 1, "line one\nline two\nthree"},
		{"a\rb\bc", 0, "a\u240db\u2408c"},
		{"invoice\u202Efdp.exe", 0, "invoice<U+202E>fdp.exe"},
		{"\xc2\x9b" "2J\x9b", 0, "<U+009B>2J\ufffd"},
		{"", 1, ""},
		{NULL, 1, ""},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *out = notify_body(cases[i].in, cases[i].markup);

		assert_string_equal(out, cases[i].want);
		free(out);
	}
}

static void
test_body_capped_before_escaping(void **state)
{
	char in[1001], *out;
	size_t len;

	memset(in, '&', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	out = notify_body(in, 1);
	len = strlen(out);
	assert_int_equal(len, (NOTIFY_BODY_MAX - 3) * 5 + 3);
	assert_string_equal(out + len - 8, "&amp;\u2026");
	free(out);
	out = notify_body(in, 0);
	assert_int_equal(strlen(out), NOTIFY_BODY_MAX);
	free(out);
}

static void
test_escape_markup(void **state)
{
	static const char *const cases[][2] = {
		{"&", "&amp;"},
		{"<b>", "&lt;b&gt;"},
		{"Alice <a@b>", "Alice &lt;a@b&gt;"},
		{"\"it's\"", "&quot;it&#39;s&quot;"},
		{"&amp;", "&amp;amp;"},
		{"<span font=\"72\">", "&lt;span font=&quot;72&quot;&gt;"},
		{"caf\u00e9 \u2603", "caf\u00e9 \u2603"},
		{"", ""},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *out = notify_escape_markup(cases[i][0]);

		assert_string_equal(out, cases[i][1]);
		free(out);
	}
}

static void
test_use_markup(void **state)
{
	assert_true(notify_use_markup(NOTIFY_MARKUP_AUTO, 1));
	assert_false(notify_use_markup(NOTIFY_MARKUP_AUTO, 0));
	assert_true(notify_use_markup(NOTIFY_MARKUP_ON, 0));
	assert_false(notify_use_markup(NOTIFY_MARKUP_OFF, 1));
}

static void
assert_cap(const char *in, size_t max, const char *want)
{
	char *out = notify_cap(in, max);

	assert_true(strlen(out) <= max);
	assert_true(san_utf8_valid(out, strlen(out)));
	assert_string_equal(out, want);
	free(out);
}

static void
test_cap(void **state)
{
	assert_cap("hello", 5, "hello");
	assert_cap("hello!", 5, "he\u2026");
	assert_cap("", 0, "");
	assert_cap("\u00e9\u00e9\u00e9\u00e9", 7, "\u00e9\u00e9\u2026");
	assert_cap("\u00e9\u00e9\u00e9\u00e9", 6, "\u00e9\u2026");
	assert_cap("\u00e9\u00e9\u00e9\u00e9", 2, "\u00e9");
	assert_cap("\u00e9\u00e9\u00e9\u00e9", 1, "");
	assert_cap("\u4f60\u597d\u4e16\u754c", 8, "\u4f60\u2026");
	assert_cap("e\u0301e\u0301e\u0301e\u0301", 8, "e\u0301\u2026");
	assert_cap("x\U0001F469\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466y", 20,
	    "x\u2026");
	assert_cap("\U0001F1EB\U0001F1F7\U0001F1E9\U0001F1EA", 14, "\U0001F1EB\U0001F1F7\u2026");
}

static void
test_cap_one_long_cluster(void **state)
{
	struct buf in = {0};
	char *out;

	for (int i = 0; i < 40; i++)
		buf_puts(&in, "\U0001F469\u200D");
	out = notify_cap(in.data, 100);
	assert_true(strlen(out) <= 100);
	assert_true(strlen(out) > 50);
	assert_true(san_utf8_valid(out, strlen(out)));
	free(out);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_table),
		cmocka_unit_test(test_decide_without_identity),
		cmocka_unit_test(test_has_word),
		cmocka_unit_test(test_local_minute),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_long_names),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_body_capped_before_escaping),
		cmocka_unit_test(test_escape_markup),
		cmocka_unit_test(test_use_markup),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_one_long_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
