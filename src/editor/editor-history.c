/* A room's input history, browsed like readline's: the draft being
 * written is put aside while browsing and comes back at the bottom. */
#include <string.h>

#include "editor-private.h"

struct editor_history {
	struct editor_draft *v;		/* oldest first */
	size_t n;
	size_t pos;			/* n when not browsing */
	struct editor_draft saved;	/* the draft put aside */
};

struct editor_history *
editor_history_new(void)
{
	return xcalloc(1, sizeof(struct editor_history));
}

void
editor_history_free(struct editor_history **hp)
{
	struct editor_history *h = *hp;

	if (h == NULL)
		return;
	while (h->n > 0)
		editor_draft_free(&h->v[--h->n]);
	xfree(&h->v);
	editor_draft_free(&h->saved);
	xfree(hp);
}

static int
editor_blank(const struct editor_draft *d)
{
	size_t off;

	for (off = 0; off < d->len; off = editor_next(d->text, d->len, off)) {
		if (!editor_is_space(d->text, d->len, off))
			return 0;
	}
	return 1;
}

void
editor_history_push(struct editor_history *h, const struct editor *ed)
{
	const struct editor_draft *last = h->n > 0 ? &h->v[h->n - 1] : NULL;

	editor_draft_free(&h->saved);
	h->pos = h->n;
	if (editor_blank(&ed->d))
		return;
	if (last != NULL && last->len == ed->d.len &&
	    memcmp(last->text, ed->d.text, last->len) == 0)
		return;
	if (h->n == EDITOR_HISTORY_MAX) {
		editor_draft_free(&h->v[0]);
		memmove(h->v, h->v + 1, --h->n * sizeof *h->v);
	}
	h->v = xreallocarray(h->v, h->n + 1, sizeof *h->v);
	editor_draft_copy(&h->v[h->n++], &ed->d);
	h->pos = h->n;
}

/* Replaces the whole draft by d (one undoable change), the cursor at d's
 * cursor when keep_cursor, else at the end. */
static void
editor_history_load(struct editor *ed, const struct editor_draft *d, int keep_cursor)
{
	editor_splice(ed, 0, ed->d.len, d, NULL);
	if (keep_cursor)
		ed->d.cursor = editor_snap(ed->d.text, ed->d.len, d->cursor);
}

int
editor_history_prev(struct editor_history *h, struct editor *ed)
{
	editor_op_begin(ed, EDITOR_OP_HISTORY);
	if (h->pos == 0)
		return EDITOR_UNCHANGED;
	if (h->pos == h->n) {
		editor_draft_free(&h->saved);
		editor_draft_copy(&h->saved, &ed->d);
	}
	editor_history_load(ed, &h->v[--h->pos], 0);
	return EDITOR_CHANGED;
}

int
editor_history_next(struct editor_history *h, struct editor *ed)
{
	editor_op_begin(ed, EDITOR_OP_HISTORY);
	if (h->pos == h->n)
		return EDITOR_UNCHANGED;
	if (++h->pos < h->n) {
		editor_history_load(ed, &h->v[h->pos], 0);
		return EDITOR_CHANGED;
	}
	editor_history_load(ed, &h->saved, 1);
	editor_draft_free(&h->saved);
	return EDITOR_CHANGED;
}

int
editor_up(struct editor *ed, struct editor_history *h)
{
	int r = editor_do(ed, EDITOR_LINE_UP, NULL);

	if (r != EDITOR_UNCHANGED)
		return r;
	if (ed->d.len == 0 && h->pos == h->n)
		return EDITOR_UP_EMPTY;
	return editor_history_prev(h, ed);
}

int
editor_down(struct editor *ed, struct editor_history *h)
{
	int r = editor_do(ed, EDITOR_LINE_DOWN, NULL);

	if (r != EDITOR_UNCHANGED)
		return r;
	return editor_history_next(h, ed);
}
