/* Drafts as values (copied, cut, joined) and the undo list built of them. */
#include <stdlib.h>
#include <string.h>

#include "editor-private.h"

static void
editor_mentions_copy(struct editor_draft *dst, const struct editor_mention *m, size_t n,
    size_t shift)
{
	size_t i;

	dst->m = xreallocarray(dst->m, dst->n_m + n, sizeof *dst->m);
	for (i = 0; i < n; i++) {
		dst->m[dst->n_m].start = m[i].start + shift;
		dst->m[dst->n_m].len = m[i].len;
		dst->m[dst->n_m++].user_id = xstrdup(m[i].user_id);
	}
}

/* Makes dst (uninitialised) a deep copy of src. */
void
editor_draft_copy(struct editor_draft *dst, const struct editor_draft *src)
{
	memset(dst, 0, sizeof *dst);
	dst->text = xstrndup(src->text, src->len);
	dst->len = src->len;
	dst->cap = src->len + 1;
	dst->cursor = src->cursor;
	if (src->n_m > 0)
		editor_mentions_copy(dst, src->m, src->n_m, 0);
}

/* Makes dst (uninitialised) the text [start, end) of src with the
 * mentions wholly inside it. */
void
editor_draft_cut(struct editor_draft *dst, const struct editor_draft *src, size_t start,
    size_t end)
{
	size_t i;

	memset(dst, 0, sizeof *dst);
	dst->text = xstrndup(src->text + start, end - start);
	dst->len = end - start;
	dst->cap = dst->len + 1;
	for (i = 0; i < src->n_m; i++) {
		if (src->m[i].start >= start && src->m[i].start + src->m[i].len <= end)
			editor_mentions_copy(dst, &src->m[i], 1, 0);
	}
	for (i = 0; i < dst->n_m; i++)
		dst->m[i].start -= start;
}

/* Adds add's text and mentions at the end of d, or at its front. */
void
editor_draft_join(struct editor_draft *d, const struct editor_draft *add, int front)
{
	char *text = xmalloc(d->len + add->len + 1);
	size_t i;

	if (front) {
		memcpy(text, add->text, add->len);
		memcpy(text + add->len, d->text, d->len);
		for (i = 0; i < d->n_m; i++)
			d->m[i].start += add->len;
	} else {
		memcpy(text, d->text, d->len);
		memcpy(text + d->len, add->text, add->len);
	}
	editor_mentions_copy(d, add->m, add->n_m, front ? 0 : d->len);
	d->len += add->len;
	d->cap = d->len + 1;
	text[d->len] = '\0';
	free(d->text);
	d->text = text;
}

void
editor_draft_free(struct editor_draft *d)
{
	size_t i;

	for (i = 0; i < d->n_m; i++)
		free(d->m[i].user_id);
	free(d->m);
	free(d->text);
	memset(d, 0, sizeof *d);
}

/* A run of deletions or of pastes (a paste may come in pieces) undoes as
 * one step; so does a run of typing, up to where it goes on after a space
 * (a word at a time). */
static int
editor_undo_joins(const struct editor *ed)
{
	size_t c = ed->d.cursor;

	if (ed->op != ed->prev_op || ed->n_undo == 0)
		return 0;
	if (ed->op == EDITOR_OP_INSERT)
		return c == 0 || !editor_is_space(ed->d.text, ed->d.len, editor_prev(ed->d.text,
		    ed->d.len, c));
	return ed->op == EDITOR_OP_PASTE || ed->op == EDITOR_DELETE_BACK ||
	    ed->op == EDITOR_DELETE;
}

/* Saves the draft before the first change of an operation. */
void
editor_undo_save(struct editor *ed)
{
	if (ed->undo_saved)
		return;
	ed->undo_saved = 1;
	if (editor_undo_joins(ed))
		return;
	if (ed->n_undo == EDITOR_UNDO_MAX) {
		editor_draft_free(&ed->undo[0]);
		memmove(ed->undo, ed->undo + 1, --ed->n_undo * sizeof *ed->undo);
	}
	ed->undo = xreallocarray(ed->undo, ed->n_undo + 1, sizeof *ed->undo);
	editor_draft_copy(&ed->undo[ed->n_undo++], &ed->d);
}

void
editor_undo_free(struct editor *ed)
{
	while (ed->n_undo > 0)
		editor_draft_free(&ed->undo[--ed->n_undo]);
	xfree(&ed->undo);
}

int
editor_op_undo(struct editor *ed, char **cause)
{
	if (ed->n_undo == 0)
		return EDITOR_UNCHANGED;
	editor_draft_free(&ed->d);
	ed->d = ed->undo[--ed->n_undo];
	return EDITOR_CHANGED;
}
