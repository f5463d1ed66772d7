/* /help and F1: the commands and every key as bound now, over the pane.
 * Up, Down, PgUp and PgDn scroll it; any other key closes it. */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "natter/keys.h"
#include "natter/theme.h"
#include "ui-private.h"

#define UI_HELP_KEYS 4		/* keys shown for one action */

struct ui_help {
	char **lines;
	size_t n;
	size_t top;
};

static void
ui_help_add(struct ui_help *h, char *line)
{
	h->lines = xreallocarray(h->lines, h->n + 1, sizeof *h->lines);
	h->lines[h->n++] = line;
}

/* "C-k, M-x  room_switcher: open the room switcher" for each action. */
static void
ui_help_keys(struct ui *ui, struct ui_help *h)
{
	static const char *const modes[] = {"", "typing", "select mode", "anywhere"};

	for (int a = 0; a < KEYS_NACTIONS; a++) {
		const struct keys_action_info *info = keys_action_info((enum keys_action)a);
		struct key_seq seqs[UI_HELP_KEYS];
		size_t n = keys_bound(ui_keys(ui), (enum keys_action)a, seqs, UI_HELP_KEYS);
		struct buf keys = {0};

		for (size_t i = 0; i < n && i < UI_HELP_KEYS; i++) {
			char *k = keys_format(&seqs[i]);

			buf_printf(&keys, "%s%s", i > 0 ? ", " : "", k);
			free(k);
		}
		ui_help_add(h, xasprintf("%-16s %s: %s (%s)", n > 0 ? keys.data : "(no key)",
		    info->name, info->help, modes[info->modes & 3]));
		buf_free(&keys);
	}
}

void
ui_help_open(struct ui *ui)
{
	struct ui_help *h;
	char **cmds;
	size_t n;

	ui_help_free(ui);
	h = ui->over.help = xcalloc(1, sizeof *h);
	ui_help_add(h, xstrdup("Commands (//text sends text that starts with /):"));
	n = ui_cmd_help_lines(&cmds);
	for (size_t i = 0; i < n; i++)
		ui_help_add(h, cmds[i]);
	free(cmds);
	ui_help_add(h, xstrdup(""));
	ui_help_add(h, xstrdup("Keys, as bound now ([keys] in natter.conf(5) changes them):"));
	ui_help_keys(ui, h);
	ui_dirty(ui);
}

void
ui_help_free(struct ui *ui)
{
	struct ui_help *h = ui->over.help;

	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->lines);
	xfree(&ui->over.help);
}

/* A key while help is shown; returns 1 when it took it. */
int
ui_help_key(struct ui *ui, const struct key *k)
{
	struct ui_help *h = ui->over.help;
	size_t page = LINES > 8 ? (size_t)LINES - 8 : 1;

	if (h == NULL)
		return 0;
	if (k->mods == 0 && (k->code == KEYS_DOWN || k->code == 'j'))
		h->top++;
	else if (k->mods == 0 && (k->code == KEYS_UP || k->code == 'k'))
		h->top -= h->top > 0;
	else if (k->mods == 0 && (k->code == KEYS_PGDN || k->code == ' '))
		h->top += page;
	else if (k->mods == 0 && k->code == KEYS_PGUP)
		h->top = h->top > page ? h->top - page : 0;
	else
		ui_help_free(ui);
	ui_dirty(ui);
	return 1;
}

int
ui_help_shown(struct ui *ui)
{
	return ui->over.help != NULL;
}

void
ui_help_draw(struct ui *ui, int top, int height, int left, int width)
{
	struct ui_help *h = ui->over.help;
	int rows = height - 1;

	if (rows < 1)
		return;
	if (h->n > (size_t)rows && h->top > h->n - (size_t)rows)
		h->top = h->n - (size_t)rows;
	if (h->n <= (size_t)rows)
		h->top = 0;
	for (int row = 0; row < height; row++) {
		move(top + row, left);
		clrtoeol();
	}
	for (int row = 0; row < rows && h->top + (size_t)row < h->n; row++)
		ui_put(top + row, left + 1, h->lines[h->top + (size_t)row], width - 1, THEME_PANE);
	ui_put(top + rows, left + 1, "Up/Down/PgUp/PgDn scroll, any other key closes help",
	    width - 1, THEME_STATUS);
}
