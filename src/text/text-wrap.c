/* Greedy word wrapping by display width, in one pass over the clusters:
 * a long history is rewrapped on every resize, so the work is linear in
 * the bytes and the only allocation is the array of lines. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/text.h"
#include "natter/util.h"

/* Wider lines than this are wrapped as this, so that sums of cells never
 * overflow an int. */
#define TEXT_WRAP_MAX (INT_MAX / 2)

/* A small part of UAX #14, line breaking, enough for chat. */
enum text_wrap_class {
	TEXT_WRAP_OTHER,
	TEXT_WRAP_SPACE,	/* U+0020: a break after a run of them */
	TEXT_WRAP_ZWSP,		/* U+200B: a break after it */
	TEXT_WRAP_OPEN,		/* ( [ { 「 and the like: no break after */
	TEXT_WRAP_CLOSE,	/* , . ) 」 。 and the like: no break before */
};

struct text_wrap_state {
	struct text_line *lines;
	size_t n, cap;
	int count_only;		/* only count the lines */
	int width;
	size_t off, end;	/* the line being filled is [off, end) */
	int used;		/* and takes this many cells */
	int brk;		/* it has a break opportunity: */
	size_t brk_end;		/* the line would end here, */
	size_t brk_next;	/* and the next start here, */
	int brk_used;		/* with this many cells before brk_end */
	int brk_next_used;	/* and this many before brk_next */
	int lead;		/* the paragraph has had only spaces yet */
	int spaces;		/* the line ends with spaces after a word */
	int prev_wide;		/* the previous cluster was two cells */
	enum text_wrap_class prev_class;
};

/* Punctuation outside ASCII that matters to line breaking, sorted. */
static const struct text_wrap_punct {
	int32_t c;
	enum text_wrap_class cls;
} text_wrap_puncts[] = {
	{0x200b, TEXT_WRAP_ZWSP},	/* zero width space */
	{0x3001, TEXT_WRAP_CLOSE},	/* 、 */
	{0x3002, TEXT_WRAP_CLOSE},	/* 。 */
	{0x3008, TEXT_WRAP_OPEN},	/* 〈 */
	{0x3009, TEXT_WRAP_CLOSE},	/* 〉 */
	{0x300a, TEXT_WRAP_OPEN},	/* 《 */
	{0x300b, TEXT_WRAP_CLOSE},	/* 》 */
	{0x300c, TEXT_WRAP_OPEN},	/* 「 */
	{0x300d, TEXT_WRAP_CLOSE},	/* 」 */
	{0x300e, TEXT_WRAP_OPEN},	/* 『 */
	{0x300f, TEXT_WRAP_CLOSE},	/* 』 */
	{0x3010, TEXT_WRAP_OPEN},	/* 【 */
	{0x3011, TEXT_WRAP_CLOSE},	/* 】 */
	{0x30fc, TEXT_WRAP_CLOSE},	/* ー */
	{0xff01, TEXT_WRAP_CLOSE},	/* ！ */
	{0xff08, TEXT_WRAP_OPEN},	/* （ */
	{0xff09, TEXT_WRAP_CLOSE},	/* ） */
	{0xff0c, TEXT_WRAP_CLOSE},	/* ， */
	{0xff0e, TEXT_WRAP_CLOSE},	/* ． */
	{0xff1a, TEXT_WRAP_CLOSE},	/* ： */
	{0xff1b, TEXT_WRAP_CLOSE},	/* ； */
	{0xff1f, TEXT_WRAP_CLOSE},	/* ？ */
	{0xff3b, TEXT_WRAP_OPEN},	/* ［ */
	{0xff3d, TEXT_WRAP_CLOSE},	/* ］ */
	{0xff5b, TEXT_WRAP_OPEN},	/* ｛ */
	{0xff5d, TEXT_WRAP_CLOSE},	/* ｝ */
};

static int
text_wrap_punct_cmp(const void *key, const void *elem)
{
	int32_t c = *(const int32_t *)key;
	const struct text_wrap_punct *p = elem;

	return c < p->c ? -1 : c > p->c;
}

static enum text_wrap_class
text_wrap_class_ascii(char c)
{
	switch (c) {
	case ' ':
		return TEXT_WRAP_SPACE;
	case '(':
	case '[':
	case '{':
		return TEXT_WRAP_OPEN;
	case ')':
	case ']':
	case '}':
	case ',':
	case '.':
	case ';':
	case ':':
	case '!':
	case '?':
		return TEXT_WRAP_CLOSE;
	default:
		return TEXT_WRAP_OTHER;
	}
}

/* The class of a cluster, s of len bytes, is that of its first character. */
static enum text_wrap_class
text_wrap_class(const char *s, size_t len)
{
	const struct text_wrap_punct *p;
	int32_t c;

	if (len == 1)
		return text_wrap_class_ascii(*s);
	if (utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &c) <= 0)
		return TEXT_WRAP_OTHER;
	p = bsearch(&c, text_wrap_puncts, NT_NELEMS(text_wrap_puncts), sizeof *p,
	    text_wrap_punct_cmp);
	return p != NULL ? p->cls : TEXT_WRAP_OTHER;
}

static void
text_wrap_emit(struct text_wrap_state *w, size_t off, size_t end, int used)
{
	if (!w->count_only) {
		if (w->n == w->cap) {
			w->cap = w->cap == 0 ? 4 : w->cap * 2;
			w->lines = xreallocarray(w->lines, w->cap, sizeof *w->lines);
		}
		w->lines[w->n].off = off;
		w->lines[w->n].len = end - off;
		w->lines[w->n].width = used;
	}
	w->n++;
}

/* Ends the paragraph, without the spaces it ends with; the next starts at
 * next. */
static void
text_wrap_end(struct text_wrap_state *w, size_t next)
{
	if (w->spaces)
		text_wrap_emit(w, w->off, w->brk_end, w->brk_used);
	else
		text_wrap_emit(w, w->off, w->end, w->used);
	w->off = w->end = next;
	w->used = 0;
	w->brk = w->spaces = w->prev_wide = 0;
	w->lead = 1;
	w->prev_class = TEXT_WRAP_OTHER;
}

/* A space after a word never overflows the line: the line breaks before
 * the run of spaces if what follows does not fit. */
static void
text_wrap_space(struct text_wrap_state *w, size_t off)
{
	if (!w->spaces) {
		w->brk_end = off;
		w->brk_used = w->used;
		w->spaces = 1;
	}
	w->end = w->brk_next = off + 1;
	if (w->used <= w->width)
		w->used++;
	w->brk_next_used = w->used;
	w->brk = 1;
	w->prev_wide = 0;
	w->prev_class = TEXT_WRAP_SPACE;
}

static void
text_wrap_mark(struct text_wrap_state *w, size_t off)
{
	w->brk = 1;
	w->brk_end = w->brk_next = off;
	w->brk_used = w->brk_next_used = w->used;
}

/* Ends the line at its last break opportunity, or else just before off. */
static void
text_wrap_break(struct text_wrap_state *w, size_t off)
{
	if (w->brk) {
		text_wrap_emit(w, w->off, w->brk_end, w->brk_used);
		w->off = w->brk_next;
		w->used -= w->brk_next_used;
		w->brk = 0;
	} else {
		text_wrap_emit(w, w->off, off, w->used);
		w->off = off;
		w->used = 0;
	}
}

static void
text_wrap_cluster(struct text_wrap_state *w, size_t off, const struct text_cluster *tc,
    enum text_wrap_class cls)
{
	int wide = tc->width == 2;

	if (!w->spaces && w->end > w->off && (w->prev_class == TEXT_WRAP_ZWSP ||
	    ((wide || w->prev_wide) && w->prev_class != TEXT_WRAP_OPEN && cls != TEXT_WRAP_CLOSE)))
		text_wrap_mark(w, off);
	/* At most twice: at the break opportunity, then inside the word. */
	while (w->end > w->off && w->used + tc->width > w->width)
		text_wrap_break(w, off);
	w->end = off + tc->len;
	w->used += tc->width;
	w->spaces = 0;
	w->lead = w->lead && cls == TEXT_WRAP_SPACE;
	w->prev_wide = wide;
	w->prev_class = cls;
}

size_t
text_wrap(const char *s, int width, struct text_line **lines)
{
	struct text_wrap_state w = {.lead = 1, .count_only = lines == NULL};
	struct text_cluster tc;
	size_t len = s != NULL ? strlen(s) : 0, off;

	w.width = width < 1 ? 1 : width > TEXT_WRAP_MAX ? TEXT_WRAP_MAX : width;
	for (off = 0; off < len; off += tc.len) {
		text_cluster_next(s + off, len - off, &tc);
		if (tc.newline)
			text_wrap_end(&w, off + tc.len);
		else if (s[off] == ' ' && tc.len == 1 && !w.lead)
			text_wrap_space(&w, off);
		else
			text_wrap_cluster(&w, off, &tc, text_wrap_class(s + off, tc.len));
	}
	text_wrap_end(&w, len);
	if (lines != NULL)
		*lines = w.lines;
	return w.n;
}
