/* Moving by clusters, words and lines; deleting and swapping clusters. */
#include <stdlib.h>
#include <string.h>

#include "editor-private.h"

static int
editor_move(struct editor *ed, size_t off)
{
	if (off == ed->d.cursor)
		return EDITOR_UNCHANGED;
	ed->d.cursor = off;
	return EDITOR_CHANGED;
}

/* The end of the word at or after off. */
size_t
editor_word_right(const struct editor *ed, size_t off)
{
	const char *s = ed->d.text;
	size_t len = ed->d.len;
	int cls;

	while (off < len && editor_word_class(s, len, off) == EDITOR_WORD_NONE)
		off = editor_next(s, len, off);
	if (off == len)
		return len;
	cls = editor_word_class(s, len, off);
	while (off < len && editor_word_class(s, len, off) == cls)
		off = editor_next(s, len, off);
	return off;
}

/* The start of the word before off. */
size_t
editor_word_left(const struct editor *ed, size_t off)
{
	struct editor_rev r = {.s = ed->d.text, .len = ed->d.len};
	int cls = EDITOR_WORD_NONE, c;
	size_t p;

	while (off > 0) {
		p = editor_rev_prev(&r, off);
		c = editor_word_class(r.s, r.len, p);
		if (cls != EDITOR_WORD_NONE && c != cls)
			break;
		cls = c;
		off = p;
	}
	editor_rev_free(&r);
	return off;
}

int
editor_op_left(struct editor *ed, char **cause)
{
	return editor_move(ed, editor_prev(ed->d.text, ed->d.len, ed->d.cursor));
}

int
editor_op_right(struct editor *ed, char **cause)
{
	return editor_move(ed, editor_next(ed->d.text, ed->d.len, ed->d.cursor));
}

int
editor_op_word_left(struct editor *ed, char **cause)
{
	return editor_move(ed, editor_word_left(ed, ed->d.cursor));
}

int
editor_op_word_right(struct editor *ed, char **cause)
{
	return editor_move(ed, editor_word_right(ed, ed->d.cursor));
}

int
editor_op_home(struct editor *ed, char **cause)
{
	return editor_move(ed, editor_line_start(ed->d.text, ed->d.cursor));
}

int
editor_op_end(struct editor *ed, char **cause)
{
	return editor_move(ed, editor_line_end(ed->d.text, ed->d.len, ed->d.cursor));
}

int
editor_op_delete_back(struct editor *ed, char **cause)
{
	size_t p;

	if (ed->d.cursor == 0)
		return EDITOR_UNCHANGED;
	p = editor_prev(ed->d.text, ed->d.len, ed->d.cursor);
	editor_splice_text(ed, p, ed->d.cursor, "", 0, NULL);
	return EDITOR_CHANGED;
}

int
editor_op_delete(struct editor *ed, char **cause)
{
	size_t q;

	if (ed->d.cursor == ed->d.len)
		return EDITOR_UNCHANGED;
	q = editor_next(ed->d.text, ed->d.len, ed->d.cursor);
	editor_splice_text(ed, ed->d.cursor, q, "", 0, NULL);
	return EDITOR_CHANGED;
}

/* Emacs' C-t: swaps the clusters before and at the cursor and moves past
 * both; at the end of a line, swaps the two before it. Never across a
 * newline. */
int
editor_op_transpose(struct editor *ed, char **cause)
{
	const char *s = ed->d.text;
	size_t len = ed->d.len, start = editor_line_start(s, ed->d.cursor);
	size_t a, b = ed->d.cursor, c;
	char *swap;

	if (b == start)
		return EDITOR_UNCHANGED;
	if (b == len || s[b] == '\n')
		b = editor_prev(s, len, b);
	if (b == start)
		return EDITOR_UNCHANGED;
	a = editor_prev(s, len, b);
	c = editor_next(s, len, b);
	swap = xmalloc(c - a);
	memcpy(swap, s + b, c - b);
	memcpy(swap + (c - b), s + a, b - a);
	editor_splice_text(ed, a, c, swap, c - a, NULL);
	free(swap);
	return EDITOR_CHANGED;
}
