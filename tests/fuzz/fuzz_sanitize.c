/* libFuzzer target: whatever bytes come in, san_text gives inert valid
 * UTF-8 and san_json_string a JSON literal that decodes to the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/sanitize.h"
#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Decodes with utf8proc, a decoder independent of the one under test;
 * returns the length read, or 0 for a bad sequence or the end. */
static size_t
next_cp(const char *s, int32_t *c)
{
	utf8proc_ssize_t n;

	if (*s == '\0')
		return 0;
	n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, c);
	return n > 0 ? (size_t)n : 0;
}

static int
utf8_ok(const char *s)
{
	int32_t c;
	size_t n;

	while ((n = next_cp(s, &c)) != 0)
		s += n;
	return *s == '\0';
}

static int
is_active(int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e ||
	    c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x2028 || c == 0x2029;
}

static int
is_mark(int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
	    cat == UTF8PROC_CATEGORY_ME || cat == UTF8PROC_CATEGORY_CF;
}

static void
check_text(const char *in, int flags)
{
	char *out = san_text(in, flags), *again;
	const char *s = out;
	int marks = 0;
	int32_t c;
	size_t n;

	check(utf8_ok(out) && san_utf8_valid(out, strlen(out)));
	for (; (n = next_cp(s, &c)) != 0; s += n) {
		check(!is_active(c) || (c == '\n' && (flags & SAN_MULTILINE)));
		if (c >= 0xe0000 && c <= 0xe007f)
			continue;
		marks = is_mark(c) ? marks + 1 : 0;
		check(marks <= 8);
	}
	again = san_text(out, flags);
	check(strcmp(again, out) == 0);
	free(again);
	free(out);
}

/* Text with nothing to replace, drop or cap must come out byte for byte. */
static void
check_plain(const char *in)
{
	const char *s = in;
	char *out;
	int32_t c;
	size_t n;

	for (; (n = next_cp(s, &c)) != 0; s += n) {
		if (is_active(c) || is_mark(c) || (c >= 0x2066 && c <= 0x206f) ||
		    (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe0000 && c <= 0xe007f))
			return;
	}
	if (*s != '\0')
		return;
	out = san_text(in, 0);
	check(strcmp(out, in) == 0);
	free(out);
}

static int
hex4(const char *p, int32_t *c)
{
	*c = 0;
	for (int i = 0; i < 4; i++) {
		char h = p[i];
		int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;

		if (v < 0)
			return 0;
		*c = *c * 16 + v;
	}
	return 1;
}

/* Decodes the escapes natter emits; 0 when p holds anything else. */
static size_t
unescape(const char *p, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	utf8proc_uint8_t u[4];
	int32_t c;

	if (p[0] != '\\')
		return 0;
	if (p[1] != '\0' && p[1] != 'u' && (e = strchr(from, p[1])) != NULL) {
		buf_putc(b, to[e - from]);
		return 2;
	}
	if (p[1] != 'u' || !hex4(p + 2, &c) || c == 0 || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	buf_add(b, u, (size_t)utf8proc_encode_char(c, u));
	return 6;
}

static void
check_json(const char *in)
{
	struct buf json = {0}, back = {0};
	const char *p;
	int32_t c;
	size_t n;

	san_json_string(&json, in);
	check(utf8_ok(json.data) && json.len >= 2 && json.data[0] == '"');
	for (p = json.data + 1; *p != '"' && *p != '\0'; p += n) {
		if (*p == '\\')
			check((n = unescape(p, &back)) != 0);
		else {
			check((n = next_cp(p, &c)) != 0 && !is_active(c));
			buf_add(&back, p, n);
		}
	}
	check(p == json.data + json.len - 1);
	buf_add(&back, "", 0);
	if (utf8_ok(in))
		check(strcmp(back.data, in) == 0);
	buf_free(&json);
	buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	check_text(s, 0);
	check_text(s, SAN_MULTILINE);
	check_plain(s);
	check_json(s);
	free(s);
	return 0;
}
