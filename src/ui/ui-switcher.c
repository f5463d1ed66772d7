/* Ctrl-K: a fuzzy switcher over the rooms. Typed letters narrow the
 * list; Enter jumps to the highlighted room, Esc goes back. */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "natter/keys.h"
#include "natter/text.h"
#include "natter/theme.h"
#include "ui-private.h"

#define UI_SWITCH_QUERY 128

/* The bytes of the UTF-8 character at s (1 for a stray byte). */
static size_t
ui_switch_char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* How well query matches name, both folded (text_fold: "soren" and
 * "søren" match Søren), higher is better, 0 not at all: a prefix, then
 * a word start, then anywhere, then the letters in order, tighter and
 * starting at a word first. */
static int
ui_switch_score_folded(const char *name, const char *query)
{
	size_t qlen = strlen(query), cl;
	const char *p, *q = query, *first = NULL;

	if (qlen == 0 || strncmp(name, query, qlen) == 0)
		return 3000;
	for (const char *w = name; *w != '\0'; w++)
		if ((w == name || w[-1] == ' ') && strncmp(w, query, qlen) == 0)
			return 2000;
	if (strstr(name, query) != NULL)
		return 1500;
	for (p = name; *p != '\0' && *q != '\0'; p += cl) {
		cl = ui_switch_char_len(p);
		if (cl != ui_switch_char_len(q) || strncmp(p, q, cl) != 0)
			continue;
		if (first == NULL)
			first = p;
		q += cl;
	}
	if (*q != '\0')
		return 0;
	return 1000 - (int)(p - first) + (first == name || first[-1] == ' ' ? 100 : 0);
}

static int
ui_switch_score(const char *name, const char *folded_query)
{
	char *folded = text_fold_str(name);
	int score = ui_switch_score_folded(folded, folded_query);

	free(folded);
	return score;
}

struct ui_switch_hit {
	size_t idx;
	int score;
};

static int
ui_switch_cmp(const void *a, const void *b)
{
	const struct ui_switch_hit *x = a, *y = b;

	if (x->score != y->score)
		return y->score - x->score;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The rooms matching the query, best first, at most max. */
size_t
ui_switch_matches(struct ui *ui, size_t *out, size_t max)
{
	struct ui_switch_hit *hits = xcalloc(ui->n_rooms ? ui->n_rooms : 1, sizeof *hits);
	char *query = text_fold_str(ui->over.switch_query);
	size_t n = 0;

	for (size_t i = 0; i < ui->n_rooms; i++) {
		const struct ui_room *r = &ui->rooms[i];
		int score = ui_switch_score(r->name, query);

		/* An alias or a partner's id counts a little less than the name. */
		for (int k = 0; k < 2; k++) {
			const char *other = k == 0 ? r->alias : r->dm_user;
			int s = other != NULL ? ui_switch_score(other + (*other == '#' ||
			    *other == '@'), query) - 50 : 0;

			if (s > score)
				score = s;
		}
		/* The name of a space it is in lists it too, after rooms whose
		 * own name matches. */
		for (size_t k = 0; k < r->n_spaces; k++) {
			int s = ui_switch_score(r->spaces[k], query) - 100;

			if (s > score)
				score = s;
		}

		if (score > 0)
			hits[n++] = (struct ui_switch_hit){i, score};
	}
	qsort(hits, n, sizeof *hits, ui_switch_cmp);
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = hits[i].idx;
	free(query);
	free(hits);
	return n;
}

void
ui_switch_open(struct ui *ui)
{
	ui->over.switching = 1;
	ui->over.switch_query[0] = '\0';
	ui->over.switch_sel = 0;
	ui_dirty(ui);
}

static void
ui_switch_choose(struct ui *ui)
{
	size_t idx[64], n = ui_switch_matches(ui, idx, NT_NELEMS(idx));

	ui->over.switching = 0;
	if (n > 0)
		ui_room_select(ui, ui->rooms[idx[ui->over.switch_sel < n ? ui->over.switch_sel : 0]].room_id);
	else
		ui_note(ui, "no room matches");
}

/* A key while the switcher is open; returns 1 when it took it. */
int
ui_switch_key(struct ui *ui, const struct key *k)
{
	if (!ui->over.switching)
		return 0;
	if (k->code == KEYS_ESC || (k->mods == KEYS_CTRL && (k->code == 'g' || k->code == 'k')))
		ui->over.switching = 0;
	else if (k->code == KEYS_ENTER)
		ui_switch_choose(ui);
	else if (k->code == KEYS_BACKSPACE) {
		ui_query_backspace(ui->over.switch_query);
		ui->over.switch_sel = 0;
	} else if (k->code == KEYS_DOWN || (k->mods == KEYS_CTRL && k->code == 'n'))
		ui->over.switch_sel++;
	else if ((k->code == KEYS_UP || (k->mods == KEYS_CTRL && k->code == 'p')) &&
	    ui->over.switch_sel > 0)
		ui->over.switch_sel--;
	else if (k->mods == 0 && k->code >= 0x20 && k->code < KEYS_SPECIAL) {
		ui_query_type(ui->over.switch_query, sizeof ui->over.switch_query, k->code);
		ui->over.switch_sel = 0;
	}
	ui_dirty(ui);
	return 1;
}

/* Draws the matches over the pane and the query in the compose row. */
void
ui_switch_draw(struct ui *ui, int top, int height, int left, int width)
{
	size_t idx[64], n = ui_switch_matches(ui, idx, NT_NELEMS(idx));

	if (ui->over.switch_sel >= n && n > 0)
		ui->over.switch_sel = n - 1;
	for (int row = 0; row < height; row++) {
		move(top + row, left);
		clrtoeol();
	}
	for (size_t i = 0; i < n && (int)i < height; i++) {
		int el = i == ui->over.switch_sel ? THEME_LIST_SELECTED : THEME_LIST;

		const struct ui_room *r = &ui->rooms[idx[i]];
		char *line = r->n_spaces > 0 ? xasprintf("%s  (%s)", r->name, r->spaces[0]) :
		    xstrdup(r->name);

		ui_fill(top + (int)i, left, width, el);
		ui_put(top + (int)i, left + 1, line, width - 1, el);
		free(line);
	}
	move(LINES - 1, 0);
	clrtoeol();
	ui_put(LINES - 1, 0, "Switch to:", 11, THEME_COMPOSE_PROMPT);
	ui_put(LINES - 1, 11, ui->over.switch_query, COLS - 11, THEME_COMPOSE);
}
