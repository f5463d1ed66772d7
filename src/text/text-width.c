/* Display width by grapheme cluster. utf8proc finds the clusters and gives
 * each character's width from tables of its own, so the figures depend
 * neither on the locale nor on the age of the C library's wcwidth. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/text.h"
#include "natter/util.h"

#define TEXT_REPLACEMENT "\xef\xbf\xbd"
#define TEXT_ZWJ 0x200d
#define TEXT_VS16 0xfe0f

/* What is known of a cluster while reading it one code point at a time. */
struct text_scan {
	int width;	/* of its first code point that has one */
	int marks;	/* combining marks read */
	size_t cut;	/* where the mark past TEXT_MAX_MARKS starts, or 0 */
	int regional;	/* regional indicators read */
	int emoji_base;	/* it starts with a pictograph or a keycap base */
	int emoji;	/* it is shown as an emoji, in two cells */
	int32_t last;	/* the code point read last */
};

/* Decodes the code point at p, n > 0 bytes readable; returns its length, or
 * 0 when p does not start well-formed UTF-8 (overlongs, surrogates too). */
static size_t
text_decode(const char *p, size_t n, int32_t *c)
{
	utf8proc_ssize_t r;

	r = utf8proc_iterate((const utf8proc_uint8_t *)p, n < 4 ? (utf8proc_ssize_t)n : 4, c);
	return r > 0 ? (size_t)r : 0;
}

/* What a terminal acts on or what reorders a line: san_text has replaced
 * these already, and any that remain are shown as U+FFFD. */
static int
text_is_active(int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e ||
	    c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x2028 || c == 0x2029;
}

static int
text_is_pictograph(const utf8proc_property_t *p)
{
	return p->boundclass == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC ||
	    p->boundclass == UTF8PROC_BOUNDCLASS_E_ZWG;
}

static int
text_is_regional(int32_t c)
{
	return c >= 0x1f1e6 && c <= 0x1f1ff;
}

/* Combining marks that stack on their base; variation selectors, which
 * only choose a glyph, are not counted. */
static int
text_is_mark(int32_t c, const utf8proc_property_t *p)
{
	if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef))
		return 0;
	return p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_ME;
}

/* utf8proc's width, except that unassigned code points where Unicode keeps
 * room for ideographs (planes 2 and 3) or emoji are wide, as a terminal
 * with newer tables draws what is assigned there later. */
static int
text_cp_width(int32_t c, const utf8proc_property_t *p)
{
	if (p->category == UTF8PROC_CATEGORY_CN && (c & 0xfffe) != 0xfffe &&
	    ((c >= 0x20000 && c <= 0x3fffd) || (c >= 0x1f680 && c <= 0x1f6ff) ||
		(c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x1fa70 && c <= 0x1faff)))
		return 2;
	return p->charwidth > 2 ? 2 : (int)p->charwidth;
}

static void
text_scan_start(struct text_scan *sc, int32_t c, const utf8proc_property_t *p)
{
	memset(sc, 0, sizeof *sc);
	sc->width = text_cp_width(c, p);
	sc->marks = text_is_mark(c, p);
	sc->regional = text_is_regional(c);
	sc->emoji_base = text_is_pictograph(p) || (c >= '0' && c <= '9') || c == '#' || c == '*';
	sc->last = c;
}

/* Adds c, which starts off bytes into the cluster. */
static void
text_scan_add(struct text_scan *sc, int32_t c, const utf8proc_property_t *p, size_t off)
{
	if (sc->width == 0)
		sc->width = text_cp_width(c, p);
	if (c == TEXT_VS16 && sc->emoji_base)
		sc->emoji = 1;
	else if (sc->last == TEXT_ZWJ && text_is_pictograph(p))
		sc->emoji = 1;
	else if (text_is_regional(c)) {
		if (++sc->regional == 2)
			sc->emoji = 1;
	} else if (text_is_mark(c, p) && ++sc->marks > TEXT_MAX_MARKS && sc->cut == 0)
		sc->cut = off;
	sc->last = c;
}

static size_t
text_cluster_set(struct text_cluster *tc, const char *draw, size_t drawlen, size_t len, int width)
{
	tc->len = len;
	tc->draw = draw;
	tc->drawlen = drawlen;
	tc->width = width;
	tc->newline = 0;
	return len;
}

/* Reads on from the code point c, n bytes long, until utf8proc finds a
 * cluster break or the text turns invalid or active. Only a Prepend
 * character (U+0600 and the like) joins with the ASCII after it. */
static size_t
text_cluster_scan(const char *s, size_t len, int32_t c, size_t n, struct text_cluster *tc)
{
	const utf8proc_property_t *p = utf8proc_get_property(c);
	struct text_scan sc;
	utf8proc_int32_t state = 0;
	int32_t next;
	size_t off, m;

	text_scan_start(&sc, c, p);
	for (off = n; off < len; off += m) {
		if ((unsigned char)s[off] < 0x80 && p->boundclass != UTF8PROC_BOUNDCLASS_PREPEND)
			break;
		m = text_decode(s + off, len - off, &next);
		if (m == 0 || text_is_active(next) || utf8proc_grapheme_break_stateful(c, next, &state))
			break;
		p = utf8proc_get_property(next);
		text_scan_add(&sc, next, p, off);
		c = next;
	}
	return text_cluster_set(tc, s, sc.cut != 0 ? sc.cut : off, off, sc.emoji ? 2 : sc.width);
}

size_t
text_cluster_next(const char *s, size_t len, struct text_cluster *tc)
{
	const unsigned char *u = (const unsigned char *)s;
	int32_t c;
	size_t n;

	if (len == 0)
		return text_cluster_set(tc, s, 0, 0, 0);
	/* Printable ASCII before ASCII is a cluster of its own: most text. */
	if (u[0] >= 0x20 && u[0] < 0x7f && (len == 1 || u[1] < 0x80))
		return text_cluster_set(tc, s, 1, 1, 1);
	if ((n = text_decode(s, len, &c)) == 0)
		return text_cluster_set(tc, TEXT_REPLACEMENT, 3, 1, 1);
	if (c == '\n' || (c == '\r' && len > 1 && s[1] == '\n')) {
		text_cluster_set(tc, s, 0, c == '\n' ? 1 : 2, 0);
		tc->newline = 1;
		return tc->len;
	}
	if (text_is_active(c))
		return text_cluster_set(tc, TEXT_REPLACEMENT, 3, n, 1);
	return text_cluster_scan(s, len, c, n, tc);
}

int
text_width(const char *s)
{
	struct text_cluster tc;
	size_t len = s != NULL ? strlen(s) : 0;
	int w = 0;

	for (; len > 0; s += tc.len, len -= tc.len) {
		text_cluster_next(s, len, &tc);
		w = w > INT_MAX - tc.width ? INT_MAX : w + tc.width;
	}
	return w;
}

size_t
text_fit(const char *s, int cells, int *used)
{
	struct text_cluster tc;
	size_t len = s != NULL ? strlen(s) : 0, off = 0;
	int w = 0;

	while (off < len) {
		text_cluster_next(s + off, len - off, &tc);
		if (tc.newline || tc.width > cells - w)
			break;
		w += tc.width;
		off += tc.len;
	}
	if (used != NULL)
		*used = w;
	return off;
}

char *
text_truncate(const char *s, int cells)
{
	struct buf b = {0};
	size_t len = s != NULL ? strlen(s) : 0;

	if (cells <= 0)
		return xstrdup("");
	if (text_fit(s, cells, NULL) == len)
		return xstrdup(s != NULL ? s : "");
	buf_add(&b, s, text_fit(s, cells - 1, NULL));
	buf_puts(&b, TEXT_ELLIPSIS);
	return buf_steal(&b);
}
