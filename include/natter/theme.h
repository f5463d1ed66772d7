/* theme: the colours and attributes of each element of the terminal
 * interface, read from a theme file. Colours are terminal colour
 * numbers; the interface maps a resolved theme onto curses, and nothing
 * here calls curses. */
#ifndef NATTER_THEME_H
#define NATTER_THEME_H

#include <stddef.h>

/* In the order of their names, which is the order of the table. */
enum theme_element {
	THEME_COMPOSE,
	THEME_COMPOSE_PROMPT,
	THEME_DAY_SEPARATOR,
	THEME_EDITED,
	THEME_EMOTE,
	THEME_ERROR,
	THEME_FAILED,
	THEME_LINK,
	THEME_LIST,
	THEME_LIST_HIGHLIGHT,
	THEME_LIST_INVITE,
	THEME_LIST_SECTION,
	THEME_LIST_SELECTED,
	THEME_LIST_UNREAD,
	THEME_MEMBERSHIP,
	THEME_MENTION,
	THEME_NOTICE,
	THEME_OWN_MESSAGE,
	THEME_PANE,
	THEME_PENDING,
	THEME_REACTIONS,
	THEME_RECEIPTS,
	THEME_REDACTED,
	THEME_REPLY_QUOTE,
	THEME_SEARCH_MATCH,
	THEME_STATUS,
	THEME_STATUS_OFFLINE,
	THEME_TIMESTAMP,
	THEME_TYPING,
	THEME_UNREAD_MARKER,
	THEME_NELEMENTS
};

#define THEME_BOLD 0x01
#define THEME_DIM 0x02
#define THEME_UNDERLINE 0x04
#define THEME_REVERSE 0x08
#define THEME_ITALIC 0x10

/* One colour for each size of palette: -1 is the terminal's default,
 * otherwise a colour number below 256, 16 or 8. */
struct theme_color {
	int c256;
	int c16;
	int c8;
};

struct theme_style {
	struct theme_color fg;
	struct theme_color bg;
	int attrs;		/* THEME_BOLD | ... */
};

struct theme {
	char *name;		/* the name or path it was loaded as */
	char *path;		/* the file read; NULL: built in */
	struct theme_style style[THEME_NELEMENTS];
	struct theme_color *nicks;	/* [nicks] palette */
	size_t nnicks;
};

/* The element's name in a theme file ("list_selected"). */
const char *theme_element_name(enum theme_element element);
/* The element called name, or -1. */
int theme_element_find(const char *name);

/* Parses a colour: default, a name (red, bright-red, ...), 0-255 or
 * #rrggbb, which is mapped to the nearest of each palette. */
int theme_parse_color(const char *s, struct theme_color *color, char **cause);
/* Parses "FG [BG] [ATTR...]"; either colour may be left out, "bold"
 * alone is default colours in bold. */
int theme_parse_style(const char *s, struct theme_style *style, char **cause);

/* The number to give curses on a terminal of colors colours; -1 is the
 * default colour. */
int theme_color_pick(const struct theme_color *color, int colors);

/* Fills theme with the built-in default; free with theme_free. */
void theme_init(struct theme *theme);
void theme_free(struct theme *theme);

/* Fills theme with the built-in theme NAME ("default", "mono"), whatever
 * theme files exist; -1 (and the default) when there is no such built-in. */
int theme_init_builtin(const char *name, struct theme *theme);

/* A theme name is 1-64 of [A-Za-z0-9_-]. */
int theme_name_valid(const char *name);

/* Loads a theme over the built-in default. A value with a '/' is a path
 * ("~/" is $HOME); a name is NAME.theme in $XDG_CONFIG_HOME/natter/themes,
 * then NATTER_DATADIR/themes, then $NATTER_THEMES_DIR. Bad lines are
 * reported through warn as "FILE:LINE: reason" and skipped; a theme that
 * cannot be found or read is reported and the built-in default is kept,
 * returning -1. NULL is "default". "default" and "mono" are built in too,
 * so they load without a warning when no file has them. */
int theme_load(const char *name, struct theme *theme, void (*warn)(const char *msg, void *arg),
    void *arg);

/* The colour of a sender, the same for a user id every time: a hash of
 * the id picks from the palette (the default colour when it is empty). */
const struct theme_color *theme_nick_color(const struct theme *theme, const char *user_id);

/* Whether $NO_COLOR asks for no colours: it is set and not empty. A
 * theme chosen in the config file overrides it (no-color.org). */
int theme_no_color_wanted(void);
/* Drops every colour and keeps the attributes; an element that is left
 * plain takes its attributes from the built-in mono theme, so the
 * selection, the status line and highlights still show. */
void theme_apply_no_color(struct theme *theme);

#endif
