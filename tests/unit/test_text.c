#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/text.h"
#include "natter/util.h"

#define ZWSP "\u200b"
#define ZWJ "\u200d"
#define VS16 "\ufe0f"
#define ACUTE "\u0301"

struct width_case {
	const char *what;
	const char *s;
	int width;
	int clusters;
};

static const struct width_case widths[] = {
	{"empty", "", 0, 0},
	{"ASCII", "hello, world", 12, 12},
	{"CJK ideographs", "日本語", 6, 3},
	{"hiragana and katakana", "ひらがなカタカナ", 16, 8},
	{"hangul syllables", "한국어", 6, 3},
	{"hangul jamo L+V as one syllable", "\u1100\u1161", 2, 1},
	{"fullwidth Latin", "ＡＢ", 4, 2},
	{"ideographic space", "\u3000", 2, 1},
	{"CJK extension B", "\U00020000", 2, 1},
	{"mixed", "a世b", 4, 3},
	{"emoji", "😀", 2, 1},
	{"emoji with skin tone", "👍🏽", 2, 1},
	{"lone skin tone modifier", "🏽", 2, 1},
	{"ZWJ technologist", "👩" ZWJ "💻", 2, 1},
	{"ZWJ family", "👨" ZWJ "👩" ZWJ "👧", 2, 1},
	{"ZWJ family of four, skin tones", "👨🏻" ZWJ "👩🏽" ZWJ "👧🏿" ZWJ "👦🏼", 2, 1},
	{"ZWJ without VS16 on a text base", "👁" ZWJ "🗨", 2, 1},
	{"rainbow flag", "🏳" VS16 ZWJ "🌈", 2, 1},
	{"heart on fire", "❤" VS16 ZWJ "🔥", 2, 1},
	{"heart with VS16", "❤" VS16, 2, 1},
	{"heart as text", "❤", 1, 1},
	{"smiley with VS16", "☺" VS16, 2, 1},
	{"smiley as text", "☺", 1, 1},
	{"wide emoji with VS15 stays wide", "⌚\ufe0e", 2, 1},
	{"VS16 on a letter changes nothing", "a" VS16, 1, 1},
	{"flag", "🇫🇷", 2, 1},
	{"two flags", "🇫🇷🇩🇪", 4, 2},
	{"flag and a lone regional indicator", "🇫🇷🇩", 3, 2},
	{"lone regional indicator", "🇫", 1, 1},
	{"keycap", "1" VS16 "\u20e3", 2, 1},
	{"keycap hash", "#" VS16 "\u20e3", 2, 1},
	{"keycap without VS16 is text", "1\u20e3", 1, 1},
	{"tag sequence flag (Scotland)", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
	    2, 1},
	{"black flag alone", "🏴", 2, 1},
	{"combining acute", "e" ACUTE, 1, 1},
	{"precomposed", "é", 1, 1},
	{"combining mark alone", ACUTE, 0, 1},
	{"zalgo", "Z\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u030b\u030c", 1, 1},
	{"zero-width space", ZWSP, 0, 1},
	{"zero-width spaces between letters", "a" ZWSP "b" ZWSP ZWSP, 2, 5},
	{"word joiner and BOM", "\u2060\ufeff", 0, 2},
	{"ZWJ alone", ZWJ, 0, 1},
	{"prepended concatenation mark joins the digit", "\u0600" "1", 1, 1},
	{"soft hyphen, shown by terminals", "\u00ad", 1, 1},
	{"ambiguous width as narrow", "…±", 2, 2},
	{"private use", "\ue000", 1, 1},
	{"unassigned emoji slot is wide", "\U0001FAFF", 2, 1},
	{"invalid byte", "\xff", 1, 1},
	{"cut sequence", "a\xe2\x80", 3, 3},
	{"overlong", "\xc0\xaf", 2, 2},
	{"surrogate", "\xed\xa0\x80", 3, 3},
	{"past U+10FFFF", "\xf4\x90\x80\x80", 4, 4},
	{"invalid byte then a mark", "\xff" ACUTE, 1, 2},
	{"tab", "\t", 1, 1},
	{"escape", "\x1b[2J", 4, 4},
	{"C1 CSI", "\xc2\x9b", 1, 1},
	{"RLO", "\u202e", 1, 1},
	{"newline", "a\nb", 2, 3},
	{"CRLF is one newline", "a\r\nb", 2, 3},
	{"bare CR", "a\rb", 3, 3},
};

static int
count_clusters(const char *s)
{
	struct text_cluster tc;
	size_t len = strlen(s);
	int n = 0;

	for (; len > 0; s += tc.len, len -= tc.len, n++)
		assert_true(text_cluster_next(s, len, &tc) > 0);
	return n;
}

static void
test_width_cases(void **state)
{
	for (size_t i = 0; i < NT_NELEMS(widths); i++) {
		const struct width_case *c = &widths[i];

		print_message("%s\n", c->what);
		assert_int_equal(text_width(c->s), c->width);
		assert_int_equal(count_clusters(c->s), c->clusters);
	}
	assert_int_equal(text_width(NULL), 0);
}

/* What the UI draws is never a control, and stacks at most a few marks. */
static void
test_cluster_draw(void **state)
{
	static const char zalgo[] = "Z\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308x";
	static const char *const inert[] = {"\xff", "\t", "\x1b", "\xc2\x9b", "\u202e", "\u2028", "\r"};
	struct text_cluster tc;

	assert_int_equal(text_cluster_next(zalgo, strlen(zalgo), &tc), 1 + 8 * 2);
	assert_int_equal(tc.width, 1);
	assert_int_equal(tc.drawlen, 1 + TEXT_MAX_MARKS * 2);
	assert_ptr_equal(tc.draw, zalgo);
	for (size_t i = 0; i < NT_NELEMS(inert); i++) {
		assert_int_equal(text_cluster_next(inert[i], strlen(inert[i]), &tc),
		    strlen(inert[i]));
		assert_int_equal(tc.width, 1);
		assert_string_equal(tc.draw, "\ufffd");
		assert_int_equal(tc.drawlen, 3);
	}
	assert_int_equal(text_cluster_next("\r\nx", 3, &tc), 2);
	assert_true(tc.newline);
	assert_int_equal(tc.drawlen, 0);
	assert_int_equal(text_cluster_next("1" VS16 "\u20e3", 7, &tc), 7);
	assert_int_equal(tc.drawlen, 7);
	assert_int_equal(text_cluster_next("x", 0, &tc), 0);
}

/* A cluster cut by the end of the readable bytes ends there. */
static void
test_cluster_len_bound(void **state)
{
	struct text_cluster tc;

	assert_int_equal(text_cluster_next("e" ACUTE, 1, &tc), 1);
	assert_int_equal(text_cluster_next("👩" ZWJ "💻", 4, &tc), 4);
	assert_int_equal(tc.width, 2);
	assert_int_equal(text_cluster_next("\xe6\x97\xa5", 2, &tc), 1);
	assert_int_equal(tc.width, 1);
}

static void
expect_fit(const char *s, int cells, size_t bytes, int used)
{
	int got = -1;

	assert_int_equal(text_fit(s, cells, &got), bytes);
	assert_int_equal(got, used);
}

static void
test_fit(void **state)
{
	expect_fit("hello", 3, 3, 3);
	expect_fit("hello", 10, 5, 5);
	expect_fit("日本語", 3, 3, 2);
	expect_fit("日本語", 4, 6, 4);
	expect_fit("a👩" ZWJ "💻b", 2, 1, 1);
	expect_fit("a👩" ZWJ "💻b", 3, 12, 3);
	expect_fit("🇫🇷🇩🇪", 3, 8, 2);
	expect_fit("ab" ZWSP "c", 2, 5, 2);
	expect_fit("e" ACUTE "e" ACUTE, 1, 3, 1);
	expect_fit("one\ntwo", 10, 3, 3);
	expect_fit("hello", 0, 0, 0);
	expect_fit(ZWSP "a", 0, 3, 0);
	expect_fit("hello", -5, 0, 0);
	expect_fit("", 5, 0, 0);
	expect_fit(NULL, 5, 0, 0);
	assert_int_equal(text_fit("abc", 2, NULL), 2);
}

static void
expect_truncate(const char *s, int cells, const char *want)
{
	char *got = text_truncate(s, cells);

	assert_string_equal(got, want);
	assert_true(text_width(got) <= (cells > 0 ? cells : 0));
	free(got);
}

static void
test_truncate(void **state)
{
	expect_truncate("hello world", 8, "hello w…");
	expect_truncate("hello world", 11, "hello world");
	expect_truncate("hello world", 100, "hello world");
	expect_truncate("日本語", 4, "日…");
	expect_truncate("日本語", 5, "日本…");
	expect_truncate("日本語", 6, "日本語");
	expect_truncate("🇫🇷🇩🇪🇮🇹", 4, "🇫🇷…");
	expect_truncate("👨" ZWJ "👩" ZWJ "👧 family", 2, "…");
	expect_truncate("first line\nsecond", 40, "first line…");
	expect_truncate("hello", 1, "…");
	expect_truncate("hello", 0, "");
	expect_truncate("hello", -1, "");
	expect_truncate("", 3, "");
	expect_truncate(NULL, 3, "");
}

/* Wraps s and compares the lines with want, NULL-terminated; checks the
 * widths against a fresh count and the line count without an array. */
static void
expect_wrap(const char *s, int width, const char *const *want)
{
	struct text_line *lines;
	size_t n = text_wrap(s, width, &lines), i;

	for (i = 0; i < n && want[i] != NULL; i++) {
		char *line = xstrndup(s != NULL ? s + lines[i].off : "", lines[i].len);

		assert_string_equal(line, want[i]);
		assert_int_equal(lines[i].width, text_width(line));
		free(line);
	}
	assert_int_equal(n, i);
	assert_null(want[i]);
	assert_int_equal(text_wrap(s, width, NULL), n);
	free(lines);
}

#define WRAP(s, width, ...) expect_wrap(s, width, (const char *const[]){__VA_ARGS__, NULL})

static void
test_wrap_words(void **state)
{
	WRAP("the quick brown fox", 10, "the quick", "brown fox");
	WRAP("the quick brown fox", 9, "the quick", "brown fox");
	WRAP("the quick brown fox", 8, "the", "quick", "brown", "fox");
	WRAP("the quick brown fox", 80, "the quick brown fox");
	WRAP("a b c d", 3, "a b", "c d");
	WRAP("hi, héllo wörld", 6, "hi,", "héllo", "wörld");
}

static void
test_wrap_long_word(void **state)
{
	WRAP("abcdefghij", 4, "abcd", "efgh", "ij");
	WRAP("hi abcdefghij", 4, "hi", "abcd", "efgh", "ij");
	WRAP("see https://example.org/a/very/long/path ok", 12, "see", "https://exam",
	    "ple.org/a/ve", "ry/long/path", "ok");
	WRAP("e" ACUTE "e" ACUTE "e" ACUTE, 2, "e" ACUTE "e" ACUTE, "e" ACUTE);
}

static void
test_wrap_spaces(void **state)
{
	WRAP("abc   ", 10, "abc");
	WRAP("abc      def", 5, "abc", "def");
	WRAP("abc def   ", 7, "abc def");
	WRAP("abc def   ", 4, "abc", "def");
	WRAP("   indented", 20, "   indented");
	WRAP("a  b", 10, "a  b");
	WRAP("   ", 10, "   ");
	WRAP("word" "                                        ", 4, "word");
}

static void
test_wrap_newlines(void **state)
{
	WRAP("", 10, "");
	WRAP(NULL, 10, "");
	WRAP("a\nb", 10, "a", "b");
	WRAP("a\n", 10, "a", "");
	WRAP("\n\n", 10, "", "", "");
	WRAP("one two\nthree four", 5, "one", "two", "three", "four");
	WRAP("a\r\nb", 10, "a", "b");
	WRAP("trailing   \nnext", 20, "trailing", "next");
}

static void
test_wrap_cjk(void **state)
{
	WRAP("日本語のテキスト", 6, "日本語", "のテキ", "スト");
	WRAP("日本語のテキスト", 5, "日本", "語の", "テキ", "スト");
	WRAP("日本語。次", 6, "日本", "語。次");
	WRAP("「日本」です", 6, "「日", "本」で", "す");
	WRAP("abc日本", 4, "abc", "日本");
	WRAP("中文，不要", 4, "中", "文，", "不要");
	WRAP("a" ZWSP "b" ZWSP "c", 2, "a" ZWSP "b" ZWSP, "c");
}

/* No line starts with closing punctuation or ends with opening. */
static void
test_wrap_punctuation(void **state)
{
	static const char *const close[] = {"、", "。", "〉", "》", "」", "』", "】", "ー", "！",
	    "）", "，", "．", "：", "；", "？", "］", "｝"};
	static const char *const open[] = {"〈", "《", "「", "『", "【", "（", "［", "｛"};

	for (size_t i = 0; i < NT_NELEMS(close); i++) {
		char *s = xasprintf("日本%s", close[i]), *want = xasprintf("本%s", close[i]);

		WRAP(s, 4, "日", want);
		free(s);
		free(want);
	}
	for (size_t i = 0; i < NT_NELEMS(open); i++) {
		char *s = xasprintf("日%s本", open[i]), *want = xasprintf("%s本", open[i]);

		WRAP(s, 4, "日", want);
		free(s);
		free(want);
	}
	WRAP("日本語,", 6, "日本", "語,");
	WRAP("日(本", 4, "日", "(本");
}

static void
test_wrap_emoji(void **state)
{
	WRAP("👨" ZWJ "👩" ZWJ "👧👨" ZWJ "👩" ZWJ "👧", 3, "👨" ZWJ "👩" ZWJ "👧",
	    "👨" ZWJ "👩" ZWJ "👧");
	WRAP("🇫🇷🇩🇪🇮🇹", 5, "🇫🇷🇩🇪", "🇮🇹");
	WRAP("ok 👍🏽 ❤" VS16 " ❤", 4, "ok", "👍🏽", "❤" VS16 " ❤");
}

static void
test_wrap_narrow(void **state)
{
	WRAP("ab", 1, "a", "b");
	WRAP("a b", 1, "a", "b");
	WRAP("日本", 1, "日", "本");
	WRAP("a日b", 1, "a", "日", "b");
	WRAP("👩" ZWJ "💻", 1, "👩" ZWJ "💻");
	WRAP("ab", 0, "a", "b");
	WRAP("ab", -3, "a", "b");
	WRAP("abc de", 2, "ab", "c", "de");
	WRAP("日本語", 2, "日", "本", "語");
	WRAP("a日", 2, "a", "日");
	WRAP("🇫🇷 ok", 2, "🇫🇷", "ok");
}

static void
test_wrap_reports_wide_cluster(void **state)
{
	struct text_line *lines;
	size_t n = text_wrap(ZWSP "日x", 1, &lines);

	assert_int_equal(n, 3);
	assert_int_equal(lines[0].width, 0);
	assert_int_equal(lines[1].width, 2);
	assert_int_equal(lines[1].len, 3);
	assert_int_equal(lines[2].width, 1);
	free(lines);
}

/* Invariants of any wrap: lines in order, covering everything but the
 * spaces and newlines they broke at, on cluster boundaries, no wider than
 * asked but for a lone cluster wider than the line. */
static void
check_line(const char *s, size_t len, const struct text_line *l, int width)
{
	struct text_cluster tc;
	size_t off = l->off, end = l->off + l->len;
	int w = 0, clusters = 0;

	while (off < end) {
		text_cluster_next(s + off, len - off, &tc);
		assert_false(tc.newline);
		off += tc.len;
		w += tc.width;
		clusters++;
	}
	assert_int_equal(off, end);
	assert_int_equal(w, l->width);
	assert_true(w <= (width < 1 ? 1 : width) || clusters == 1);
	if (l->len == 0)
		assert_true(s[end] == '\0' || s[end] == '\n' || s[end] == '\r');
}

/* Steps over the gap between lines: spaces, at most one newline; returns
 * the spaces. */
static int
skip_gap(const char *s, size_t len, size_t pos, size_t to)
{
	struct text_cluster tc;
	int newlines = 0, spaces = 0;

	while (pos < to) {
		text_cluster_next(s + pos, len - pos, &tc);
		assert_true(tc.newline || (tc.len == 1 && s[pos] == ' '));
		newlines += tc.newline;
		spaces += !tc.newline;
		pos += tc.len;
	}
	assert_int_equal(pos, to);
	assert_true(newlines <= 1);
	return spaces;
}

/* The lines and the spaces left out between them add up to the text. */
static void
check_wrap(const char *s, int width)
{
	struct text_line *lines;
	size_t n = text_wrap(s, width, &lines), pos = 0, len = strlen(s);
	int sum = 0;

	assert_true(n >= 1);
	assert_int_equal(text_wrap(s, width, NULL), n);
	for (size_t i = 0; i < n; i++) {
		assert_true(lines[i].off >= pos && lines[i].off + lines[i].len <= len);
		sum += skip_gap(s, len, pos, lines[i].off);
		check_line(s, len, &lines[i], width);
		sum += lines[i].width;
		pos = lines[i].off + lines[i].len;
	}
	for (; pos < len; pos++, sum++)
		assert_int_equal(s[pos], ' ');
	assert_int_equal(sum, text_width(s));
	free(lines);
}

static const char *const pieces[] = {
	"a", "b", "word", "longerword", " ", "  ", "\n", "\r\n", ",", "(", ")", "-", "日", "本",
	"。", "「", "」", "한", "😀", "👍🏽", "👩" ZWJ "💻", "👨" ZWJ "👩" ZWJ "👧", "❤" VS16,
	"❤", "🇫", "🇷", "1" VS16 "\u20e3", "🏴\U000E0067\U000E0062\U000E0073\U000E0063"
	"\U000E0074\U000E007F", ACUTE, "\u0302\u0303\u0304\u0305\u0306", ZWSP, ZWJ, VS16,
	"\xff", "\xe2\x80", "\xf0\x9f", "\t", "\x1b", "\u202e", "\u00ad", "\u1100", "\u1161",
};

static uint32_t
next_random(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Random strings from pieces that make the hard cases meet each other. */
static void
test_wrap_property(void **state)
{
	uint32_t seed = 0x6e617474;

	for (int round = 0; round < 2000; round++) {
		struct buf b = {0};
		size_t count = next_random(&seed) % 40;

		buf_add(&b, "", 0);
		for (size_t i = 0; i < count; i++)
			buf_puts(&b, pieces[next_random(&seed) % NT_NELEMS(pieces)]);
		for (int width = -1; width <= 24; width++)
			check_wrap(b.data, width);
		check_wrap(b.data, 80);
		buf_free(&b);
	}
}

/* Wrapping stays one pass: a megabyte of text and a cluster of 100,000
 * marks each wrap at every narrow width without being split. */
static void
test_wrap_large(void **state)
{
	struct buf b = {0};
	struct text_line *lines;
	size_t n;

	for (int i = 0; i < 100000; i++)
		buf_puts(&b, "word 日本 ");
	n = text_wrap(b.data, 9, NULL);
	assert_int_equal(n, 100000);
	buf_free(&b);
	buf_puts(&b, "x");
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, ACUTE);
	buf_puts(&b, "y");
	for (int width = 1; width <= 3; width++) {
		n = text_wrap(b.data, width, &lines);
		assert_int_equal(n, width == 1 ? 2 : 1);
		assert_int_equal(lines[0].len, b.len - (width == 1 ? 1 : 0));
		free(lines);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width_cases),
		cmocka_unit_test(test_cluster_draw),
		cmocka_unit_test(test_cluster_len_bound),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_wrap_words),
		cmocka_unit_test(test_wrap_long_word),
		cmocka_unit_test(test_wrap_spaces),
		cmocka_unit_test(test_wrap_newlines),
		cmocka_unit_test(test_wrap_cjk),
		cmocka_unit_test(test_wrap_punctuation),
		cmocka_unit_test(test_wrap_emoji),
		cmocka_unit_test(test_wrap_narrow),
		cmocka_unit_test(test_wrap_reports_wide_cluster),
		cmocka_unit_test(test_wrap_property),
		cmocka_unit_test(test_wrap_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
