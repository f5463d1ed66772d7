/* The editor's view of text: code points, grapheme clusters, words,
 * widths, and the cleaning of what comes in. */
#include <string.h>

#include <utf8proc.h>

#include "editor-private.h"

/* Decodes the code point at s[off]; returns its length (1 for a byte
 * that does not start a valid sequence, decoded as U+FFFD). */
size_t
editor_cp(const char *s, size_t len, size_t off, int32_t *c)
{
	utf8proc_ssize_t n;

	n = utf8proc_iterate((const utf8proc_uint8_t *)s + off, (utf8proc_ssize_t)(len - off), c);
	if (n <= 0) {
		*c = 0xfffd;
		return 1;
	}
	return (size_t)n;
}

/* The end of the cluster starting at off, which must be a boundary. */
size_t
editor_next(const char *s, size_t len, size_t off)
{
	utf8proc_int32_t state = 0;
	int32_t c1, c2;
	size_t n;

	if (off >= len)
		return len;
	off += editor_cp(s, len, off, &c1);
	while (off < len) {
		n = editor_cp(s, len, off, &c2);
		if (utf8proc_grapheme_break_stateful(c1, c2, &state))
			break;
		c1 = c2;
		off += n;
	}
	return off;
}

static size_t
editor_cp_back(const char *s, size_t off)
{
	while (off > 0 && ((unsigned char)s[--off] & 0xc0) == 0x80)
		;
	return off;
}

/* Whether UAX #29 breaks between c1 and c2 whatever came before them: not
 * known after ZWJ, Extend or a regional indicator (emoji sequences, flags). */
static int
editor_breaks(int32_t c1, int32_t c2)
{
	utf8proc_int32_t state = 0;

	switch (utf8proc_get_property(c1)->boundclass) {
	case UTF8PROC_BOUNDCLASS_EXTEND:
	case UTF8PROC_BOUNDCLASS_ZWJ:
	case UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR:
		return 0;
	default:
		return utf8proc_grapheme_break_stateful(c1, c2, &state);
	}
}

/* A boundary before off (> 0) found without scanning from the start of
 * the text: the start of a line, or a break that does not depend on what
 * came before. */
static size_t
editor_restart(const char *s, size_t len, size_t off)
{
	size_t p = editor_cp_back(s, off), q;
	int32_t c1, c2;

	while (p > 0) {
		q = editor_cp_back(s, p);
		if (s[q] == '\n')
			return p;
		editor_cp(s, len, q, &c1);
		editor_cp(s, len, p, &c2);
		if (editor_breaks(c1, c2))
			return p;
		p = q;
	}
	return 0;
}

/* The start of the cluster before off. */
size_t
editor_prev(const char *s, size_t len, size_t off)
{
	size_t p, q;

	if (off == 0)
		return 0;
	for (p = editor_restart(s, len, off); (q = editor_next(s, len, p)) < off; p = q)
		;
	return p;
}

/* The first boundary at or after off. */
size_t
editor_snap(const char *s, size_t len, size_t off)
{
	size_t p;

	if (off == 0 || off >= len)
		return off > len ? len : off;
	for (p = editor_restart(s, len, off + 1); p < off; p = editor_next(s, len, p))
		;
	return p;
}

int
editor_is_boundary(const char *s, size_t len, size_t off)
{
	return editor_snap(s, len, off) == off;
}

/* The boundary before off; repeated calls going back over a long stretch
 * without a restart point reuse the boundaries found the first time. */
size_t
editor_rev_prev(struct editor_rev *r, size_t off)
{
	size_t p;

	if (off == 0)
		return 0;
	if (r->n >= 2 && r->b[r->n - 1] == off)
		return r->b[--r->n - 1];
	r->n = 0;
	for (p = editor_restart(r->s, r->len, off); p < off; p = editor_next(r->s, r->len, p)) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->b = xreallocarray(r->b, r->cap, sizeof *r->b);
		}
		r->b[r->n++] = p;
	}
	return r->b[r->n - 1];
}

void
editor_rev_free(struct editor_rev *r)
{
	xfree(&r->b);
	r->n = r->cap = 0;
}

size_t
editor_line_start(const char *s, size_t off)
{
	while (off > 0 && s[off - 1] != '\n')
		off--;
	return off;
}

size_t
editor_line_end(const char *s, size_t len, size_t off)
{
	const char *nl = memchr(s + off, '\n', len - off);

	return nl != NULL ? (size_t)(nl - s) : len;
}

static int
editor_cp_class(int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_NO)
		return EDITOR_WORD_NONE;
	if (c >= 0x3040 && c <= 0x309f)
		return EDITOR_WORD_HIRAGANA;
	if ((c >= 0x30a0 && c <= 0x30ff) || (c >= 0x31f0 && c <= 0x31ff) ||
	    (c >= 0xff66 && c <= 0xff9f))
		return EDITOR_WORD_KATAKANA;
	if ((c >= 0x3005 && c <= 0x3007) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0x20000 && c <= 0x3134f))
		return EDITOR_WORD_HAN;
	return EDITOR_WORD_ALNUM;
}

/* The word class of the cluster at off: that of its first code point. */
int
editor_word_class(const char *s, size_t len, size_t off)
{
	int32_t c;

	editor_cp(s, len, off, &c);
	return editor_cp_class(c);
}

int
editor_is_space(const char *s, size_t len, size_t off)
{
	int32_t c;

	editor_cp(s, len, off, &c);
	return c == ' ' || c == '\t' || c == '\n' || utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

/* Appends the code point to b the way the draft keeps it, or not at all. */
static void
editor_clean_cp(struct buf *b, int32_t c, int oneline)
{
	utf8proc_uint8_t enc[4];

	if (c == '\n' || c == '\t') {
		buf_putc(b, oneline ? ' ' : (char)c);
		return;
	}
	if (c < 0x20 || (c >= 0x7f && c < 0xa0))
		return;
	buf_add(b, enc, (size_t)utf8proc_encode_char(c, enc));
}

/* Appends s to b as draft text: invalid UTF-8 as U+FFFD, \r\n and \r as
 * \n, other controls dropped; newlines and tabs as spaces when oneline. */
void
editor_clean(struct buf *b, const char *s, size_t len, int oneline)
{
	size_t off = 0;
	int32_t c;

	while (off < len) {
		off += editor_cp(s, len, off, &c);
		if (c == '\r') {
			if (off < len && s[off] == '\n')
				off++;
			c = '\n';
		}
		editor_clean_cp(b, c, oneline);
	}
}

static int
editor_is_keycap(int32_t c)
{
	return c == '#' || c == '*' || (c >= '0' && c <= '9');
}

static int
editor_cluster_cells(const char *s, size_t off, size_t end)
{
	int32_t c, first;
	int w = 0, cw, emoji = 0, ri = 0;

	editor_cp(s, end, off, &first);
	while (off < end) {
		off += editor_cp(s, end, off, &c);
		cw = utf8proc_charwidth(c);
		w = cw > w ? cw : w;
		if (c == 0xfe0f || c == 0x20e3)
			emoji = 1;
		if (c >= 0x1f1e6 && c <= 0x1f1ff)
			ri++;
	}
	if (ri == 2 || (emoji && (utf8proc_get_property(first)->boundclass ==
	    UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC || editor_is_keycap(first))))
		return 2;
	return w > 0 ? w : 1;
}

size_t
editor_cluster_next(const char *s, size_t len, size_t off, int col, int *cells)
{
	size_t end = editor_next(s, len, off);

	if (off >= len)
		*cells = 0;
	else if (s[off] == '\n')
		*cells = 0;
	else if (s[off] == '\t')
		*cells = EDITOR_TAB_STOP - col % EDITOR_TAB_STOP;
	else
		*cells = editor_cluster_cells(s, off, end);
	return end;
}
