/* Tab completion of member names (as mentions), :shortcodes: and
 * /commands. */
#include <stdlib.h>
#include <string.h>

#include "natter/text.h"
#include "editor-private.h"

/* s folded as text_fold does: "sor" completes Søren. */
static char *
editor_fold(const char *s)
{
	return text_fold_str(s);
}

static int
editor_has_prefix(const char *s, const char *folded_prefix)
{
	char *f = editor_fold(s);
	int r = strncmp(f, folded_prefix, strlen(folded_prefix)) == 0;

	free(f);
	return r;
}

static int
editor_cand_matches(const struct editor_candidates *c, const char *text, const char *user_id)
{
	if (editor_has_prefix(text, c->prefix))
		return 1;
	if (c->kind != EDITOR_COMPLETE_MEMBER || user_id == NULL)
		return 0;
	return editor_has_prefix(user_id[0] == '@' ? user_id + 1 : user_id, c->prefix);
}

static int
editor_cand_known(const struct editor_candidates *c, const char *text, const char *user_id)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].text, text) != 0)
			continue;
		if (user_id == NULL ? c->v[i].user_id == NULL :
		    c->v[i].user_id != NULL && strcmp(c->v[i].user_id, user_id) == 0)
			return 1;
	}
	return 0;
}

void
editor_candidates_add(struct editor_candidates *c, const char *text, const char *user_id)
{
	struct buf b = {0};

	if (user_id != NULL && *user_id == '\0')
		user_id = NULL;
	if (text == NULL && (text = user_id) == NULL)
		return;
	editor_clean(&b, text, strlen(text), 1);
	if (b.len > 0 && editor_cand_matches(c, b.data, user_id) &&
	    !editor_cand_known(c, b.data, user_id)) {
		c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
		c->v[c->n].text = buf_steal(&b);
		c->v[c->n++].user_id = user_id != NULL ? xstrdup(user_id) : NULL;
	}
	buf_free(&b);
}

void
editor_comp_free(struct editor_candidates *c)
{
	while (c->n > 0) {
		c->n--;
		free(c->v[c->n].text);
		free(c->v[c->n].user_id);
	}
	xfree(&c->v);
	xfree(&c->prefix);
}

/* The start of the word before the cursor. */
static size_t
editor_comp_word(const struct editor *ed)
{
	struct editor_rev r = {.s = ed->d.text, .len = ed->d.len};
	size_t off = ed->d.cursor, p;

	while (off > 0) {
		p = editor_rev_prev(&r, off);
		if (editor_is_space(r.s, r.len, p))
			break;
		off = p;
	}
	editor_rev_free(&r);
	return off;
}

/* Asks cb for the candidates for the word before the cursor. */
static size_t
editor_comp_query(struct editor *ed, editor_complete_cb *cb, void *arg)
{
	struct editor_candidates *c = &ed->comp;
	size_t start = editor_comp_word(ed);
	char *word, *prefix;

	editor_comp_free(c);
	if (start == ed->d.cursor)
		return 0;
	prefix = word = xstrndup(ed->d.text + start, ed->d.cursor - start);
	c->kind = EDITOR_COMPLETE_MEMBER;
	if (start == 0 && *word == '/') {
		c->kind = EDITOR_COMPLETE_COMMAND;
		prefix++;
	} else if (*word == ':' && strchr(word + 1, ':') == NULL) {
		c->kind = EDITOR_COMPLETE_EMOJI;
		prefix++;
	} else if (*word == '@')
		prefix++;
	c->prefix = editor_fold(prefix);
	cb(arg, c->kind, prefix, c);
	free(word);
	ed->comp_start = start;
	ed->comp_end = ed->d.cursor;
	return c->n;
}

/* Puts the current candidate in place of the word or the candidate
 * before it. */
static int
editor_comp_apply(struct editor *ed, char **cause)
{
	const struct editor_cand *cand = &ed->comp.v[ed->comp_idx];
	int member = ed->comp.kind == EDITOR_COMPLETE_MEMBER;
	int emoji = ed->comp.kind == EDITOR_COMPLETE_EMOJI;
	struct editor_mention m = {0, strlen(cand->text), cand->user_id};
	struct editor_draft ins = {0};
	struct buf b = {0};
	int r;

	buf_puts(&b, member ? "" : emoji ? ":" : "/");
	buf_puts(&b, cand->text);
	if (emoji)
		buf_putc(&b, ':');
	if (member && ed->comp_start == 0)
		buf_putc(&b, ':');
	if (ed->d.text[ed->comp_end] != ' ')
		buf_putc(&b, ' ');
	ins.text = b.data;
	ins.len = b.len;
	if (member && cand->user_id != NULL) {
		ins.m = &m;
		ins.n_m = 1;
	}
	r = editor_splice(ed, ed->comp_start, ed->comp_end, &ins, cause);
	buf_free(&b);
	if (r < 0)
		return -1;
	ed->comp_end = ed->d.cursor;
	return EDITOR_CHANGED;
}

int
editor_complete(struct editor *ed, int dir, editor_complete_cb *cb, void *arg, char **cause)
{
	size_t n;

	editor_op_begin(ed, EDITOR_OP_COMPLETE);
	if (ed->prev_op == EDITOR_OP_COMPLETE && ed->comp.n > 0 && ed->d.cursor == ed->comp_end) {
		n = ed->comp.n;
		ed->comp_idx = (ed->comp_idx + (dir < 0 ? n - 1 : 1)) % n;
	} else {
		if ((n = editor_comp_query(ed, cb, arg)) == 0)
			return EDITOR_UNCHANGED;
		ed->comp_idx = dir < 0 ? n - 1 : 0;
	}
	return editor_comp_apply(ed, cause);
}
