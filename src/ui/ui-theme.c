/* The theme on the screen: one curses colour pair per theme element and
 * per nick colour, picked for the colours the terminal has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "natter/settings.h"
#include "natter/theme.h"
#include "ui-private.h"

static struct theme ui_theme;
static int ui_theme_loaded;

static void
ui_theme_warn(const char *msg, void *arg)
{
	fprintf(stderr, "natter: theme: %s\n", msg);
	ui_warn(arg, "theme: %s", msg);
}

static int
ui_theme_attrs(int attrs)
{
	int a = A_NORMAL;

	if (attrs & THEME_BOLD)
		a |= A_BOLD;
	if (attrs & THEME_DIM)
		a |= A_DIM;
	if (attrs & THEME_UNDERLINE)
		a |= A_UNDERLINE;
	if (attrs & THEME_REVERSE)
		a |= A_REVERSE;
#ifdef A_ITALIC
	if (attrs & THEME_ITALIC)
		a |= A_ITALIC;
#endif
	return a;
}

static void
ui_theme_pair(short pair, const struct theme_color *fg, const struct theme_color *bg)
{
	int f = theme_color_pick(fg, COLORS), b = theme_color_pick(bg, COLORS);

	init_pair(pair, (short)(f < COLORS ? f : -1), (short)(b < COLORS ? b : -1));
}

/* The background an element is drawn on: its own, else that of the part
 * of the screen it is in (the list's for list_*, the compose box's for
 * its prompt), else the pane's, so that a theme's background is never
 * broken by the terminal's own. */
static const struct theme_color *
ui_theme_bg(int element)
{
	int area = THEME_PANE;

	if (ui_theme.style[element].bg.c256 != -1 || element == THEME_PANE)
		return &ui_theme.style[element].bg;
	if (strncmp(theme_element_name(element), "list_", 5) == 0)
		area = THEME_LIST;
	else if (element == THEME_COMPOSE_PROMPT)
		area = THEME_COMPOSE;
	return ui_theme_bg(area);
}

void
ui_theme_load(struct ui *ui)
{
	const char *name = ui->settings != NULL ? ui->settings->ui.theme : NULL;

	/* theme_load starts from the built-in default itself. */
	theme_load(name != NULL ? name : "default", &ui_theme, ui_theme_warn, ui);
	if (name == NULL && theme_no_color_wanted())
		theme_apply_no_color(&ui_theme);
	ui_theme_loaded = 1;
}

void
ui_theme_start(struct ui *ui)
{
	if (!ui_theme_loaded)
		ui_theme_load(ui);
	if (!has_colors())
		return;
	for (int e = 0; e < THEME_NELEMENTS; e++)
		ui_theme_pair((short)(e + 1), &ui_theme.style[e].fg, ui_theme_bg(e));
	for (size_t i = 0; i < ui_theme.nnicks && THEME_NELEMENTS + 1 + (int)i < COLOR_PAIRS;
	    i++)
		ui_theme_pair((short)(THEME_NELEMENTS + 1 + (int)i), &ui_theme.nicks[i],
		    ui_theme_bg(THEME_PANE));
}

void
ui_theme_end(void)
{
	if (ui_theme_loaded)
		theme_free(&ui_theme);
	ui_theme_loaded = 0;
}

int
ui_theme_attr(int element)
{
	int a;

	int pair;

	if (element >= UI_NICK_BASE) {
		a = ui_theme_attrs(ui_theme.style[THEME_PANE].attrs);
		pair = THEME_NELEMENTS + 1 + element - UI_NICK_BASE;
	} else {
		a = ui_theme_attrs(ui_theme.style[element].attrs);
		pair = element + 1;
	}
	if (has_colors())
		a |= (int)COLOR_PAIR(pair);
	return a;
}

/* A stable colour for a user: the same user is the same colour everywhere. */
int
ui_theme_nick(const char *user_id)
{
	const struct theme_color *c = theme_nick_color(&ui_theme, user_id);

	if (c == NULL || ui_theme.nnicks == 0 || theme_no_color_wanted())
		return THEME_PANE;
	return UI_NICK_BASE + (int)(c - ui_theme.nicks);
}
