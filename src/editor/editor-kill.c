/* Killing into the kill ring and yanking back out of it. */
#include <string.h>

#include "editor-private.h"

struct editor_killring *
editor_killring_new(void)
{
	return xcalloc(1, sizeof(struct editor_killring));
}

void
editor_killring_free(struct editor_killring **ringp)
{
	struct editor_killring *r = *ringp;

	if (r == NULL)
		return;
	while (r->n > 0)
		editor_draft_free(&r->kills[--r->n]);
	xfree(ringp);
}

static int
editor_op_is_kill(int op)
{
	return op == EDITOR_KILL_WORD_BACK || op == EDITOR_KILL_ALNUM_BACK ||
	    op == EDITOR_KILL_WORD || op == EDITOR_KILL_LINE_START || op == EDITOR_KILL_LINE;
}

static void
editor_ring_push(struct editor_killring *r, const struct editor_draft *k)
{
	if (r->n == EDITOR_KILLS_MAX)
		editor_draft_free(&r->kills[--r->n]);
	memmove(&r->kills[1], &r->kills[0], r->n * sizeof r->kills[0]);
	r->kills[0] = *k;
	r->n++;
}

void
editor_killring_add(struct editor_killring *r, const char *text, size_t len)
{
	struct editor_draft k = {0};

	k.text = xstrndup(text, len);
	k.len = len;
	k.cap = len + 1;
	editor_ring_push(r, &k);
	r->last = NULL;
}

/* Kills [start, end): a new ring entry, or joined to the newest one (in
 * front of it when killing backwards) when this editor's last command was
 * a kill too. */
static int
editor_kill(struct editor *ed, size_t start, size_t end, int backward)
{
	struct editor_killring *r = ed->ring;
	struct editor_draft k;

	if (start == end) {
		r->last = NULL;
		return EDITOR_UNCHANGED;
	}
	editor_draft_cut(&k, &ed->d, start, end);
	if (editor_op_is_kill(ed->prev_op) && r->last == ed && r->n > 0) {
		editor_draft_join(&r->kills[0], &k, backward);
		editor_draft_free(&k);
	} else
		editor_ring_push(r, &k);
	r->last = ed;
	editor_splice_text(ed, start, end, "", 0, NULL);
	return EDITOR_CHANGED;
}

/* The start of the whitespace-delimited word before off. */
static size_t
editor_space_left(const struct editor *ed, size_t off)
{
	struct editor_rev r = {.s = ed->d.text, .len = ed->d.len};
	int word = 0;
	size_t p;

	while (off > 0) {
		p = editor_rev_prev(&r, off);
		if (!editor_is_space(r.s, r.len, p))
			word = 1;
		else if (word)
			break;
		off = p;
	}
	editor_rev_free(&r);
	return off;
}

int
editor_op_kill_word_back(struct editor *ed, char **cause)
{
	return editor_kill(ed, editor_space_left(ed, ed->d.cursor), ed->d.cursor, 1);
}

int
editor_op_kill_alnum_back(struct editor *ed, char **cause)
{
	return editor_kill(ed, editor_word_left(ed, ed->d.cursor), ed->d.cursor, 1);
}

int
editor_op_kill_word(struct editor *ed, char **cause)
{
	return editor_kill(ed, ed->d.cursor, editor_word_right(ed, ed->d.cursor), 0);
}

int
editor_op_kill_line_start(struct editor *ed, char **cause)
{
	size_t start = editor_line_start(ed->d.text, ed->d.cursor);

	if (start == ed->d.cursor && start > 0)
		start--;
	return editor_kill(ed, start, ed->d.cursor, 1);
}

int
editor_op_kill_line(struct editor *ed, char **cause)
{
	size_t end = editor_line_end(ed->d.text, ed->d.len, ed->d.cursor);

	if (end == ed->d.cursor && end < ed->d.len)
		end++;
	return editor_kill(ed, ed->d.cursor, end, 0);
}

static int
editor_yank_at(struct editor *ed, size_t start, size_t end, size_t idx, char **cause)
{
	const struct editor_draft *k = &ed->ring->kills[idx];

	if (editor_splice(ed, start, end, k, cause) < 0)
		return -1;
	ed->yanked = 1;
	ed->yank_start = start;
	ed->yank_end = start + k->len;
	ed->yank_idx = idx;
	return EDITOR_CHANGED;
}

int
editor_op_yank(struct editor *ed, char **cause)
{
	ed->yanked = 0;
	if (ed->ring->n == 0)
		return EDITOR_UNCHANGED;
	return editor_yank_at(ed, ed->d.cursor, ed->d.cursor, 0, cause);
}

int
editor_op_yank_pop(struct editor *ed, char **cause)
{
	size_t n = ed->ring->n;

	if (ed->prev_op != EDITOR_YANK && ed->prev_op != EDITOR_YANK_POP)
		ed->yanked = 0;
	if (!ed->yanked || n < 2 || ed->yank_end > ed->d.len)
		return EDITOR_UNCHANGED;
	return editor_yank_at(ed, ed->yank_start, ed->yank_end, (ed->yank_idx + 1) % n, cause);
}
