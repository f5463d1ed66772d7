/* Server text made inert for a terminal and safe inside JSON. Decoding is
 * strict (no overlongs, surrogates or code points past U+10FFFF) and
 * independent of the locale, so what is checked is what is printed. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/sanitize.h"
#include "natter/util.h"

#define SAN_MAX_MARKS 8		/* combining marks kept on one base */
#define SAN_MAX_TAGS 8		/* tag characters kept in one emoji flag */
#define SAN_TAB "    "
#define SAN_RETURN_SYMBOL "\u23ce"
#define SAN_BLACK_FLAG 0x1f3f4
#define SAN_TAG_FIRST 0xe0000
#define SAN_TAG_CANCEL 0xe007f

struct san_text_state {
	struct buf out;
	int flags;
	int marks;	/* marks kept since the last base character */
	int tags;	/* tags kept in the current flag, -1 when not in one */
};

/* Decodes the code point at p, of which n > 0 bytes are readable; returns
 * its length, or 0 when p does not start a well-formed sequence. */
static size_t
san_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static void
san_put(struct buf *b, uint32_t c)
{
	unsigned char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (unsigned char)c, n = 1;
	} else if (c < 0x800) {
		u[0] = (unsigned char)(0xc0 | c >> 6), n = 2;
	} else if (c < 0x10000) {
		u[0] = (unsigned char)(0xe0 | c >> 12), n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | c >> 18), n = 4;
	}
	for (size_t i = n - 1; i > 0; i--, c >>= 6)
		u[i] = (unsigned char)(0x80 | (c & 0x3f));
	buf_add(b, u, n);
}

static int
san_is_c1(uint32_t c)
{
	return c >= 0x80 && c <= 0x9f;
}

/* Bidi controls, which can reorder the rest of a line, and the deprecated
 * or annotation format characters that change how other text shows. */
static int
san_is_format(uint32_t c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x206f) || (c >= 0xfff9 && c <= 0xfffb);
}

/* Characters drawn on top of the previous one, which a flood of can smear
 * over neighbouring cells or lines. */
static int
san_is_mark(uint32_t c)
{
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_CF:
		return 1;
	default:
		return 0;
	}
}

static void
san_text_base(struct san_text_state *st, const void *p, size_t n)
{
	buf_add(&st->out, p, n);
	st->marks = 0;
	st->tags = -1;
}

static void
san_text_picture(struct san_text_state *st, uint32_t c)
{
	san_put(&st->out, c);
	st->marks = 0;
	st->tags = -1;
}

static void
san_text_code(struct san_text_state *st, uint32_t c)
{
	char code[16];
	int n = snprintf(code, sizeof code, "<U+%04X>", (unsigned int)c);

	san_text_base(st, code, (size_t)n);
}

static void
san_text_newline(struct san_text_state *st)
{
	if (st->flags & SAN_MULTILINE)
		san_text_base(st, "\n", 1);
	else
		san_text_base(st, SAN_RETURN_SYMBOL, strlen(SAN_RETURN_SYMBOL));
}

/* C0 controls and DEL become their Control Pictures (U+2400 block). */
static void
san_text_control(struct san_text_state *st, uint32_t c)
{
	if (c == '\n')
		san_text_newline(st);
	else if (c == '\t' && (st->flags & SAN_MULTILINE))
		san_text_base(st, SAN_TAB, strlen(SAN_TAB));
	else if (c == '\t')
		san_text_base(st, " ", 1);
	else
		san_text_picture(st, c == 0x7f ? 0x2421 : 0x2400 + c);
}

/* Tag characters only mean something in an emoji flag such as England's
 * (U+1F3F4, tags, U+E007F); anywhere else they hide text, so they go. */
static void
san_text_tag(struct san_text_state *st, const void *p, size_t n, uint32_t c)
{
	if (st->tags < 0 || c < SAN_TAG_FIRST + 0x20)
		return;
	if (c == SAN_TAG_CANCEL) {
		buf_add(&st->out, p, n);
		st->tags = -1;
	} else if (st->tags < SAN_MAX_TAGS) {
		buf_add(&st->out, p, n);
		st->tags++;
	}
}

static void
san_text_other(struct san_text_state *st, const void *p, size_t n, uint32_t c)
{
	if (san_is_mark(c)) {
		if (st->marks < SAN_MAX_MARKS) {
			buf_add(&st->out, p, n);
			st->marks++;
			st->tags = -1;
		}
	} else {
		san_text_base(st, p, n);
		if (c == SAN_BLACK_FLAG)
			st->tags = 0;
	}
}

/* Appends the code point c, read as the n bytes at p. Whatever is dropped
 * leaves the state alone, so that sanitising twice changes nothing. */
static void
san_text_cp(struct san_text_state *st, const void *p, size_t n, uint32_t c)
{
	if (c < 0x20 || c == 0x7f)
		san_text_control(st, c);
	else if (c < 0x7f)
		san_text_base(st, p, n);
	else if (san_is_c1(c) || san_is_format(c))
		san_text_code(st, c);
	else if (c == 0x2028 || c == 0x2029)
		san_text_newline(st);
	else if (c >= SAN_TAG_FIRST && c <= SAN_TAG_CANCEL)
		san_text_tag(st, p, n, c);
	else
		san_text_other(st, p, n, c);
}

char *
san_text(const char *s, int flags)
{
	struct san_text_state st = {.flags = flags, .tags = -1};
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t left = strlen((const char *)p), n;
	uint32_t c;

	for (; left > 0; p += n, left -= n) {
		n = san_decode(p, left, &c);
		if (n == 0) {
			n = 1;
			san_text_picture(&st, 0xfffd);
		} else if (c == '\r' && p[1] == '\n')
			continue;
		else
			san_text_cp(&st, p, n, c);
	}
	return buf_steal(&st.out);
}

char *
san_excerpt(const char *s, size_t max)
{
	char *safe = san_text(s, 0), *out;
	size_t len = strlen(safe), cut;

	if (len <= max)
		return safe;
	cut = nt_utf8_cut(safe, len, max);
	out = xasprintf("%.*s\xe2\x80\xa6", (int)cut, safe);
	free(safe);
	return out;
}

static const char *
san_json_short(uint32_t c)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		return NULL;
	}
}

static void
san_json_cp(struct buf *b, const void *p, size_t n, uint32_t c)
{
	const char *e;

	if ((e = san_json_short(c)) != NULL)
		buf_puts(b, e);
	else if (c < 0x20 || c == 0x7f || san_is_c1(c) || san_is_format(c) || c == 0x2028 ||
	    c == 0x2029)
		buf_printf(b, "\\u%04x", (unsigned int)c);
	else
		buf_add(b, p, n);
}

void
san_json_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t left = strlen((const char *)p), n;
	uint32_t c;

	buf_putc(b, '"');
	for (; left > 0; p += n, left -= n) {
		if ((n = san_decode(p, left, &c)) == 0) {
			n = 1;
			buf_puts(b, "\\ufffd");
		} else
			san_json_cp(b, p, n, c);
	}
	buf_putc(b, '"');
}

int
san_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	uint32_t c;

	if (s == NULL)
		return len == 0;
	for (; len > 0; p += n, len -= n) {
		if (*p == '\0' || (n = san_decode(p, len, &c)) == 0)
			return 0;
	}
	return 1;
}

char *
san_filename(const char *name)
{
	const char *base = name;
	char *safe, *p, *out;
	size_t len;

	for (const char *q = name; *q != '\0'; q++)
		if (*q == '/' || *q == '\\')
			base = q + 1;
	safe = san_text(base, 0);
	for (p = safe; *p == '.' || *p == ' ';)
		p++;
	len = nt_utf8_cut(p, strlen(p), SAN_FILENAME_MAX);
	out = len > 0 ? xstrndup(p, len) : xstrdup("attachment");
	free(safe);
	return out;
}
