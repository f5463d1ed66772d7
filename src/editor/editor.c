/* The editor: its draft, the one way text changes (editor_splice), and
 * the table that maps actions to operations. */
#include <stdlib.h>
#include <string.h>

#include "editor-private.h"

static int editor_op_newline(struct editor *, char **);

static int (*const editor_ops[])(struct editor *, char **) = {
	[EDITOR_LEFT] = editor_op_left,
	[EDITOR_RIGHT] = editor_op_right,
	[EDITOR_WORD_LEFT] = editor_op_word_left,
	[EDITOR_WORD_RIGHT] = editor_op_word_right,
	[EDITOR_HOME] = editor_op_home,
	[EDITOR_END] = editor_op_end,
	[EDITOR_LINE_UP] = editor_op_line_up,
	[EDITOR_LINE_DOWN] = editor_op_line_down,
	[EDITOR_DELETE_BACK] = editor_op_delete_back,
	[EDITOR_DELETE] = editor_op_delete,
	[EDITOR_KILL_WORD_BACK] = editor_op_kill_word_back,
	[EDITOR_KILL_ALNUM_BACK] = editor_op_kill_alnum_back,
	[EDITOR_KILL_WORD] = editor_op_kill_word,
	[EDITOR_KILL_LINE_START] = editor_op_kill_line_start,
	[EDITOR_KILL_LINE] = editor_op_kill_line,
	[EDITOR_YANK] = editor_op_yank,
	[EDITOR_YANK_POP] = editor_op_yank_pop,
	[EDITOR_TRANSPOSE] = editor_op_transpose,
	[EDITOR_NEWLINE] = editor_op_newline,
	[EDITOR_UNDO] = editor_op_undo,
};

struct editor *
editor_new(struct editor_killring *ring)
{
	struct editor *ed = xcalloc(1, sizeof *ed);

	ed->d.text = xcalloc(1, 1);
	ed->d.cap = 1;
	ed->ring = ring;
	if (ring == NULL) {
		ed->ring = editor_killring_new();
		ed->own_ring = 1;
	}
	ed->op = ed->prev_op = EDITOR_OP_NONE;
	return ed;
}

void
editor_free(struct editor **edp)
{
	struct editor *ed = *edp;

	if (ed == NULL)
		return;
	if (ed->own_ring)
		editor_killring_free(&ed->ring);
	else if (ed->ring->last == ed)
		ed->ring->last = NULL;
	editor_draft_free(&ed->d);
	editor_undo_free(ed);
	editor_comp_free(&ed->comp);
	xfree(edp);
}

const char *
editor_text(const struct editor *ed)
{
	return ed->d.text;
}

size_t
editor_len(const struct editor *ed)
{
	return ed->d.len;
}

size_t
editor_cursor(const struct editor *ed)
{
	return ed->d.cursor;
}

void
editor_op_begin(struct editor *ed, int op)
{
	ed->prev_op = ed->op;
	ed->op = op;
	ed->undo_saved = 0;
}

static void
editor_text_splice(struct editor_draft *d, size_t start, size_t end, const char *s, size_t n)
{
	size_t len = d->len - (end - start) + n;

	if (len + 1 > d->cap) {
		d->cap = len + 1 > d->cap * 2 ? len + 1 : d->cap * 2;
		d->text = xreallocarray(d->text, d->cap, 1);
	}
	memmove(d->text + start + n, d->text + end, d->len - end + 1);
	if (n > 0)
		memcpy(d->text + start, s, n);
	d->len = len;
}

/* Shifts the mentions after [start, end), now n bytes, and drops those
 * the edit touched; an insertion at a mention's edge leaves it alone. */
static void
editor_mentions_shift(struct editor_draft *d, size_t start, size_t end, size_t n)
{
	size_t i, kept = 0;
	struct editor_mention *m;

	for (i = 0; i < d->n_m; i++) {
		m = &d->m[i];
		if (end <= m->start)
			m->start = m->start - (end - start) + n;
		else if (start < m->start + m->len) {
			free(m->user_id);
			continue;
		}
		d->m[kept++] = *m;
	}
	d->n_m = kept;
}

static int
editor_mention_cmp(const void *a, const void *b)
{
	const struct editor_mention *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Adds the mentions of ins, which now sits at start. */
static void
editor_mentions_insert(struct editor_draft *d, size_t start, const struct editor_draft *ins)
{
	size_t i;
	struct editor_mention *m;

	if (ins->n_m == 0)
		return;
	d->m = xreallocarray(d->m, d->n_m + ins->n_m, sizeof *d->m);
	for (i = 0; i < ins->n_m; i++) {
		m = &d->m[d->n_m++];
		m->start = start + ins->m[i].start;
		m->len = ins->m[i].len;
		m->user_id = xstrdup(ins->m[i].user_id);
	}
	qsort(d->m, d->n_m, sizeof *d->m, editor_mention_cmp);
}

/* Puts the cursor back on a boundary and drops mentions whose edges are
 * no longer ones (a combining mark typed after a name changes it). */
static void
editor_fixup(struct editor_draft *d)
{
	size_t i, kept = 0, end;

	d->cursor = editor_snap(d->text, d->len, d->cursor);
	for (i = 0; i < d->n_m; i++) {
		end = d->m[i].start + d->m[i].len;
		if (!editor_is_boundary(d->text, d->len, d->m[i].start) ||
		    !editor_is_boundary(d->text, d->len, end)) {
			free(d->m[i].user_id);
			continue;
		}
		d->m[kept++] = d->m[i];
	}
	d->n_m = kept;
}

/* Replaces [start, end) of the draft by ins (text and mentions), the
 * cursor after it; refuses a draft longer than EDITOR_MAX_LEN. */
int
editor_splice(struct editor *ed, size_t start, size_t end, const struct editor_draft *ins,
    char **cause)
{
	struct editor_draft *d = &ed->d;

	if (d->len - (end - start) + ins->len > EDITOR_MAX_LEN)
		return cause_set(cause, "a message holds at most %d KiB; the draft is unchanged",
		    EDITOR_MAX_LEN / 1024);
	editor_undo_save(ed);
	editor_text_splice(d, start, end, ins->text, ins->len);
	editor_mentions_shift(d, start, end, ins->len);
	editor_mentions_insert(d, start, ins);
	d->cursor = start + ins->len;
	editor_fixup(d);
	return 0;
}

int
editor_splice_text(struct editor *ed, size_t start, size_t end, const char *s, size_t n,
    char **cause)
{
	struct editor_draft ins = {.text = (char *)s, .len = n};

	return editor_splice(ed, start, end, &ins, cause);
}

static int
editor_insert_clean(struct editor *ed, const char *s, size_t len, char **cause)
{
	struct buf b = {0};
	int r;

	editor_clean(&b, s, len, 0);
	if (b.len == 0)
		r = EDITOR_UNCHANGED;
	else if (editor_splice_text(ed, ed->d.cursor, ed->d.cursor, b.data, b.len, cause) < 0)
		r = -1;
	else
		r = EDITOR_CHANGED;
	buf_free(&b);
	return r;
}

int
editor_insert(struct editor *ed, const char *s, size_t len, char **cause)
{
	editor_op_begin(ed, EDITOR_OP_INSERT);
	return editor_insert_clean(ed, s, len, cause);
}

/* A paste given in pieces may split a \r\n: the \n that follows a
 * piece ending in \r is already in the draft. */
int
editor_paste(struct editor *ed, const char *s, size_t len, char **cause)
{
	int cr = ed->paste_cr;

	editor_op_begin(ed, EDITOR_OP_PASTE);
	ed->paste_cr = len > 0 && s[len - 1] == '\r';
	if (cr && ed->prev_op == EDITOR_OP_PASTE && len > 0 && s[0] == '\n') {
		s++;
		len--;
	}
	return editor_insert_clean(ed, s, len, cause);
}

/* Replaces the text by b, splicing only what differs so that mentions in
 * the common start and end survive. */
static int
editor_replace_all(struct editor *ed, const struct buf *b, char **cause)
{
	const char *old = ed->d.text, *new = b->data != NULL ? b->data : "";
	size_t olen = ed->d.len, nlen = b->len, pre = 0, suf = 0, was;

	while (pre < olen && pre < nlen && old[pre] == new[pre])
		pre++;
	while (suf < olen - pre && suf < nlen - pre && old[olen - suf - 1] == new[nlen - suf - 1])
		suf++;
	if (pre == olen && pre == nlen) {
		was = ed->d.cursor;
		ed->d.cursor = olen;
		return was != olen ? EDITOR_CHANGED : EDITOR_UNCHANGED;
	}
	if (editor_splice_text(ed, pre, olen - suf, new + pre, nlen - pre - suf, cause) < 0)
		return -1;
	ed->d.cursor = ed->d.len;
	return EDITOR_CHANGED;
}

static int
editor_set(struct editor *ed, const char *s, size_t len, int external, char **cause)
{
	struct buf b = {0};
	int r;

	editor_op_begin(ed, EDITOR_OP_SET);
	editor_clean(&b, s, len, 0);
	if (external && b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	r = editor_replace_all(ed, &b, cause);
	buf_free(&b);
	return r;
}

int
editor_set_text(struct editor *ed, const char *s, size_t len, char **cause)
{
	return editor_set(ed, s, len, 0, cause);
}

int
editor_set_external(struct editor *ed, const char *s, size_t len, char **cause)
{
	return editor_set(ed, s, len, 1, cause);
}

int
editor_clear(struct editor *ed)
{
	editor_op_begin(ed, EDITOR_OP_SET);
	if (ed->d.len == 0)
		return EDITOR_UNCHANGED;
	editor_splice_text(ed, 0, ed->d.len, "", 0, NULL);
	return EDITOR_CHANGED;
}

int
editor_set_cursor(struct editor *ed, size_t off)
{
	size_t old = ed->d.cursor;

	editor_op_begin(ed, EDITOR_OP_CURSOR);
	ed->d.cursor = editor_snap(ed->d.text, ed->d.len, off);
	return ed->d.cursor != old ? EDITOR_CHANGED : EDITOR_UNCHANGED;
}

static int
editor_op_newline(struct editor *ed, char **cause)
{
	if (editor_splice_text(ed, ed->d.cursor, ed->d.cursor, "\n", 1, cause) < 0)
		return -1;
	return EDITOR_CHANGED;
}

int
editor_do(struct editor *ed, enum editor_action act, char **cause)
{
	if ((size_t)act >= NT_NELEMS(editor_ops) || editor_ops[act] == NULL)
		return cause_set(cause, "no such editor action: %d", (int)act);
	editor_op_begin(ed, (int)act);
	return editor_ops[act](ed, cause);
}

size_t
editor_mention_count(const struct editor *ed)
{
	return ed->d.n_m;
}

const struct editor_mention *
editor_mention(const struct editor *ed, size_t idx)
{
	return idx < ed->d.n_m ? &ed->d.m[idx] : NULL;
}

int
editor_mention_add(struct editor *ed, size_t start, size_t len, const char *user_id,
    char **cause)
{
	struct editor_draft *d = &ed->d;
	struct editor_mention m = {.start = 0, .len = len, .user_id = (char *)user_id};
	struct editor_draft ins = {.m = &m, .n_m = 1};
	size_t i;

	if (user_id == NULL || *user_id == '\0')
		return cause_set(cause, "a mention needs a user id");
	if (len == 0 || start > d->len || len > d->len - start ||
	    !editor_is_boundary(d->text, d->len, start) ||
	    !editor_is_boundary(d->text, d->len, start + len))
		return cause_set(cause, "the mention of %s is not on whole characters of the draft",
		    user_id);
	for (i = 0; i < d->n_m; i++) {
		if (start < d->m[i].start + d->m[i].len && d->m[i].start < start + len)
			return cause_set(cause, "the mention of %s overlaps another", user_id);
	}
	editor_mentions_insert(d, start, &ins);
	return 0;
}
