#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <utf8proc.h>

#include "natter/sanitize.h"
#include "natter/util.h"

struct hostile {
	const char *what;
	const char *in;
	const char *out;	/* single-line output */
};

static const struct hostile hostile[] = {
	{"clear screen", "\x1b[2Jhi", "\u241b[2Jhi"},
	{"OSC 0 title then title report", "\x1b]0;rm -rf ~\x07\x1b[21t",
	    "\u241b]0;rm -rf ~\u2407\u241b[21t"},
	{"OSC 52 clipboard", "\x1b]52;c;cm0gLXJmIH4K\x07", "\u241b]52;c;cm0gLXJmIH4K\u2407"},
	{"OSC 8 link", "\x1b]8;;https://evil.example/\x1b\\bank\x1b]8;;\x1b\\",
	    "\u241b]8;;https://evil.example/\u241b\\bank\u241b]8;;\u241b\\"},
	{"alternate screen", "\x1b[?1049h", "\u241b[?1049h"},
	{"mouse mode", "\x1b[?1000h\x1b[?1006h", "\u241b[?1000h\u241b[?1006h"},
	{"C1 CSI", "\xc2\x9b" "2J\xc2\x9d" "0;t\xc2\x9c", "<U+009B>2J<U+009D>0;t<U+009C>"},
	{"C1 NEL", "a\xc2\x85" "b", "a<U+0085>b"},
	{"raw C1 byte", "\x9b" "2J", "\ufffd" "2J"},
	{"bare CR", "all good\rEVIL", "all good\u240dEVIL"},
	{"backspaces", "ls\b\b\b\brm -rf", "ls\u2408\u2408\u2408\u2408rm -rf"},
	{"DEL and BEL", "a\x7f\x07", "a\u2421\u2407"},
	{"escape cut at the end", "abc\x1b", "abc\u241b"},
	{"CSI cut at the end", "abc\x1b[", "abc\u241b["},
	{"sequence cut at the end", "abc\xe2\x80", "abc\ufffd\ufffd"},
	{"4-byte sequence cut", "\xf0\x9f\x98x", "\ufffd\ufffd\ufffdx"},
	{"RLO never closed", "invoice\u202Efdp.exe", "invoice<U+202E>fdp.exe"},
	{"LRE PDF", "\u202Ax\u202C", "<U+202A>x<U+202C>"},
	{"isolates never closed", "\u2067\u2068x\u2066", "<U+2067><U+2068>x<U+2066>"},
	{"marks", "\u200E\u200F\u061C", "<U+200E><U+200F><U+061C>"},
	{"line separators", "a\u2028b\u2029c", "a\u23ceb\u23cec"},
	{"newline and tab", "a\nb\tc", "a\u23ceb c"},
	{"CRLF", "a\r\nb", "a\u23ceb"},
	{"overlong", "\xc0\xaf\xe0\x80\xaf", "\ufffd\ufffd\ufffd\ufffd\ufffd"},
	{"surrogate", "\xed\xa0\x80", "\ufffd\ufffd\ufffd"},
	{"beyond U+10FFFF", "\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
	{"bad bytes", "\xff\xfe\x80", "\ufffd\ufffd\ufffd"},
	{"tags outside a flag", "a\U000E0041\U000E0001b", "ab"},
	{"zalgo",
	    "Z\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u030b\u030c"
	    "\u0336\u0337\u0338a",
	    "Z\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308a"},
	{"zero-width padding", "a\u200B\u200B\u200B\u200B\u200B\u200B\u200B\u200B\u200B\u200Bb",
	    "a\u200B\u200B\u200B\u200B\u200B\u200B\u200B\u200Bb"},
};

static const char *const ordinary[] = {
	"Hello, world! (100% sure) <tag> & \"quotes\" ~`|\\{}",
	"Привет, мир",
	"你好，世界",
	"こんにちは世界",
	"안녕하세요",
	"مرحبا بالعالم",
	"שלום עולם",
	"नमस्ते दुनिया क्षत्रिय",
	"สวัสดีชาวโลก",
	"Tiếng Việt",
	"Cafe\u0301 re\u0301sume\u0301",
	"\U0001F600 \U0001F44D\U0001F3FD \u2764\uFE0F 1\uFE0F\u20E3",
	"\U0001F469\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466",
	"\U0001F3F3\uFE0F\u200D\U0001F308 \U0001F1EB\U0001F1F7",
	"\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
	"zero\u200Bwidth space, zero\u200Cwidth non-joiner",
	"𝕳𝖊𝖑𝖑𝖔 \u00A0\u3000 ½ ﬁ",
};

/* Asserts what a terminal would care about: valid UTF-8, no escape or
 * other control (newlines only when multiline), no C1, no active bidi. */
static void
assert_inert(const char *s, int flags)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s), n;
	int32_t c;

	assert_true(san_utf8_valid(s, strlen(s)));
	for (; left > 0; p += n, left -= n) {
		n = utf8proc_iterate(p, left, &c);
		assert_true(n > 0);
		if (c == '\n' && (flags & SAN_MULTILINE))
			continue;
		assert_false(c < 0x20 || (c >= 0x7f && c <= 0x9f));
		assert_false(c == 0x061c || c == 0x200e || c == 0x200f);
		assert_false((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069));
		assert_false(c == 0x2028 || c == 0x2029);
	}
}

static char *
check_text(const char *in, int flags)
{
	char *out = san_text(in, flags), *again;

	assert_non_null(out);
	assert_inert(out, flags);
	again = san_text(out, flags);
	assert_string_equal(again, out);
	free(again);
	return out;
}

static void
test_text_hostile(void **state)
{
	for (size_t i = 0; i < NT_NELEMS(hostile); i++) {
		char *single = check_text(hostile[i].in, 0);
		char *multi = check_text(hostile[i].in, SAN_MULTILINE);

		if (strcmp(single, hostile[i].out) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", hostile[i].what, single,
			    hostile[i].out);
		free(single);
		free(multi);
	}
}

/* An excerpt is one line, inert, cut between characters. */
static void
test_excerpt(void **state)
{
	char *e;

	(void)state;
	e = san_excerpt("short", 20);
	assert_string_equal(e, "short");
	free(e);
	e = san_excerpt("Noted\x1b[2J\nthanks", 40);
	assert_null(strchr(e, '\x1b'));
	assert_null(strchr(e, '\n'));
	free(e);
	e = san_excerpt("S\xc3\xb8ren says hi", 2);
	assert_string_equal(e, "S\xe2\x80\xa6");
	free(e);
}

static void
test_text_multiline(void **state)
{
	static const char *const cases[][2] = {
		{"a\nb\tc", "a\nb    c"},
		{"a\r\nb\r\n", "a\nb\n"},
		{"a\rb", "a\u240db"},
		{"a\u2028b\u2029c", "a\nb\nc"},
		{"\x1b[2J\n\x1b[H", "\u241b[2J\n\u241b[H"},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *out = check_text(cases[i][0], SAN_MULTILINE);

		assert_string_equal(out, cases[i][1]);
		free(out);
	}
}

static void
test_text_ordinary_unchanged(void **state)
{
	for (size_t i = 0; i < NT_NELEMS(ordinary); i++) {
		char *single = check_text(ordinary[i], 0);
		char *multi = check_text(ordinary[i], SAN_MULTILINE);

		assert_string_equal(single, ordinary[i]);
		assert_string_equal(multi, ordinary[i]);
		free(single);
		free(multi);
	}
}

static void
test_text_empty_and_null(void **state)
{
	char *out = san_text("", 0);

	assert_string_equal(out, "");
	free(out);
	out = san_text(NULL, SAN_MULTILINE);
	assert_string_equal(out, "");
	free(out);
}

static void
test_text_flag_tags_capped(void **state)
{
	struct buf in = {0};
	char *out;

	buf_puts(&in, "\U0001F3F4");
	for (int i = 0; i < 50; i++)
		buf_puts(&in, "\U000E0061");
	buf_puts(&in, "\U000E007F");
	out = check_text(in.data, 0);
	assert_int_equal(strlen(out), 4 + 9 * 4);
	free(out);
	buf_free(&in);
}

static void
test_text_zalgo_flood(void **state)
{
	struct buf in = {0};
	char *out;

	for (int i = 0; i < 1000; i++) {
		buf_putc(&in, 'x');
		for (int j = 0; j < 50; j++)
			buf_puts(&in, j % 2 ? "\u0489" : "\u200D\u0301");
	}
	out = check_text(in.data, 0);
	/* Each x keeps at most eight marks or joiners of up to three bytes. */
	assert_true(strlen(out) <= 1000 * (1 + 8 * 3));
	free(out);
	buf_free(&in);
}

/* Every Unicode scalar value, in batches, comes out inert. */
static void
test_text_every_code_point(void **state)
{
	struct buf in = {0};
	unsigned char u[4];

	for (int32_t c = 1; c <= 0x10ffff; c++) {
		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		buf_add(&in, u, (size_t)utf8proc_encode_char(c, u));
		if ((c & 0xfff) == 0xfff || c == 0x10ffff) {
			free(check_text(in.data, 0));
			free(check_text(in.data, SAN_MULTILINE));
			in.len = 0;
		}
	}
	buf_free(&in);
}

static char *
json_of(const char *s)
{
	struct buf b = {0};

	san_json_string(&b, s);
	assert_true(san_utf8_valid(b.data, b.len));
	return buf_steal(&b);
}

static void
test_json_escapes(void **state)
{
	static const char *const cases[][2] = {
		{"", "\"\""},
		{"plain", "\"plain\""},
		{"a\"b\\c/d", "\"a\\\"b\\\\c/d\""},
		{"\n\t\r\b\f", "\"\\n\\t\\r\\b\\f\""},
		{"\x01\x1b[2J\x1f\x7f", "\"\\u0001\\u001b[2J\\u001f\\u007f\""},
		{"\xc2\x85\xc2\x9b", "\"\\u0085\\u009b\""},
		{"\u202Eevil\u2066\u200F\u061C", "\"\\u202eevil\\u2066\\u200f\\u061c\""},
		{"a\u2028b\u2029", "\"a\\u2028b\\u2029\""},
		{"bad\xff\xc0\xaf", "\"bad\\ufffd\\ufffd\\ufffd\""},
		{"cut\xe2\x82", "\"cut\\ufffd\\ufffd\""},
		{"\u00e9\U0001F600", "\"\u00e9\U0001F600\""},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *json = json_of(cases[i][0]);

		assert_string_equal(json, cases[i][1]);
		free(json);
	}
}

static void
test_json_appends(void **state)
{
	struct buf b = {0};

	buf_puts(&b, "{\"body\":");
	san_json_string(&b, "hi");
	buf_putc(&b, '}');
	assert_string_equal(b.data, "{\"body\":\"hi\"}");
	buf_free(&b);
}

static void
assert_json_round_trip(const char *json, const char *want)
{
	cJSON *v = cJSON_ParseWithLength(json, strlen(json));

	assert_non_null(v);
	assert_true(cJSON_IsString(v));
	assert_string_equal(v->valuestring, want);
	cJSON_Delete(v);
}

static void
test_json_round_trip(void **state)
{
	struct buf all = {0};
	char *json;

	for (int c = 1; c < 0x20; c++)
		buf_putc(&all, (char)c);
	buf_puts(&all, "\"\\/\x7f\xc2\x80\xc2\x9f\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068"
	    "\u2069\u200E\u200F\u061C\u2028\u2029");
	for (size_t i = 0; i < NT_NELEMS(ordinary); i++)
		buf_puts(&all, ordinary[i]);
	json = json_of(all.data);
	assert_json_round_trip(json, all.data);
	free(json);
	json = json_of("ok\xff\xed\xa0\x80!");
	assert_json_round_trip(json, "ok\ufffd\ufffd\ufffd\ufffd!");
	free(json);
	buf_free(&all);
}

static void
test_utf8_valid(void **state)
{
	assert_true(san_utf8_valid("", 0));
	assert_true(san_utf8_valid("abc", 3));
	assert_true(san_utf8_valid("\u00e9\u20ac\U0001F600\U0010FFFF", 13));
	assert_true(san_utf8_valid("abc\xff", 3));
	assert_false(san_utf8_valid("ab\0c", 4));
	assert_false(san_utf8_valid("\u20ac", 2));
	assert_false(san_utf8_valid("\xc0\x80", 2));
	assert_false(san_utf8_valid("\xe0\x9f\xbf", 3));
	assert_false(san_utf8_valid("\xf0\x8f\xbf\xbf", 4));
	assert_false(san_utf8_valid("\xed\xa0\x80", 3));
	assert_false(san_utf8_valid("\xed\xbf\xbf", 3));
	assert_false(san_utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(san_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(san_utf8_valid("\x80", 1));
	assert_false(san_utf8_valid("\xc3(", 2));
	assert_false(san_utf8_valid(NULL, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_text_multiline),
		cmocka_unit_test(test_text_ordinary_unchanged),
		cmocka_unit_test(test_text_empty_and_null),
		cmocka_unit_test(test_text_flag_tags_capped),
		cmocka_unit_test(test_text_zalgo_flood),
		cmocka_unit_test(test_text_every_code_point),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_appends),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_excerpt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
