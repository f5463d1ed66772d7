/* Themes: colour and attribute specs, the fallback of any colour to 256,
 * 16 and 8 colour terminals, and theme files found by name. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "natter/config.h"
#include "natter/theme.h"
#include "natter/util.h"

#ifndef NATTER_DATADIR
#define NATTER_DATADIR "/usr/local/share/natter"
#endif

#define THEME_PALETTE_MAX 256

/* Sorted for bsearch, and in the order of enum theme_element. */
static const char *const theme_element_names[THEME_NELEMENTS] = {
	"compose", "compose_prompt", "day_separator", "edited", "emote", "error", "failed",
	"link", "list", "list_highlight", "list_invite", "list_section", "list_selected",
	"list_unread", "membership", "mention", "notice", "own_message", "pane", "pending",
	"reactions", "receipts", "redacted", "reply_quote", "search_match", "status",
	"status_offline", "timestamp", "typing", "unread_marker",
};

/* The built-in themes, the same as themes/default.theme and
 * themes/mono.theme (a test holds them to it). */
static const char *const theme_default_styles[THEME_NELEMENTS] = {
	[THEME_COMPOSE] = "default",
	[THEME_COMPOSE_PROMPT] = "cyan bold",
	[THEME_DAY_SEPARATOR] = "cyan",
	[THEME_EDITED] = "bright-black italic",
	[THEME_EMOTE] = "italic",
	[THEME_ERROR] = "bright-red bold",
	[THEME_FAILED] = "bright-red bold",
	[THEME_LINK] = "bright-blue underline",
	[THEME_LIST] = "default",
	[THEME_LIST_HIGHLIGHT] = "bright-magenta bold",
	[THEME_LIST_INVITE] = "yellow",
	[THEME_LIST_SECTION] = "cyan bold",
	[THEME_LIST_SELECTED] = "black cyan",
	[THEME_LIST_UNREAD] = "bright-white bold",
	[THEME_MEMBERSHIP] = "bright-black",
	[THEME_MENTION] = "bright-magenta bold",
	[THEME_NOTICE] = "bright-black italic",
	[THEME_OWN_MESSAGE] = "bright-white",
	[THEME_PANE] = "default",
	[THEME_PENDING] = "bright-black",
	[THEME_REACTIONS] = "yellow",
	[THEME_RECEIPTS] = "bright-black",
	[THEME_REDACTED] = "bright-black italic",
	[THEME_REPLY_QUOTE] = "bright-black",
	[THEME_SEARCH_MATCH] = "black yellow",
	[THEME_STATUS] = "bright-white blue",
	[THEME_STATUS_OFFLINE] = "bright-white red bold",
	[THEME_TIMESTAMP] = "bright-black",
	[THEME_TYPING] = "bright-black italic",
	[THEME_UNREAD_MARKER] = "bright-red",
};

static const char *const theme_mono_styles[THEME_NELEMENTS] = {
	[THEME_COMPOSE] = "default",
	[THEME_COMPOSE_PROMPT] = "bold",
	[THEME_DAY_SEPARATOR] = "bold",
	[THEME_EDITED] = "dim",
	[THEME_EMOTE] = "italic",
	[THEME_ERROR] = "bold",
	[THEME_FAILED] = "bold reverse",
	[THEME_LINK] = "underline",
	[THEME_LIST] = "default",
	[THEME_LIST_HIGHLIGHT] = "bold underline",
	[THEME_LIST_INVITE] = "underline",
	[THEME_LIST_SECTION] = "bold",
	[THEME_LIST_SELECTED] = "reverse",
	[THEME_LIST_UNREAD] = "bold",
	[THEME_MEMBERSHIP] = "dim",
	[THEME_MENTION] = "bold underline",
	[THEME_NOTICE] = "dim",
	[THEME_OWN_MESSAGE] = "default",
	[THEME_PANE] = "default",
	[THEME_PENDING] = "dim",
	[THEME_REACTIONS] = "default",
	[THEME_RECEIPTS] = "dim",
	[THEME_REDACTED] = "dim italic",
	[THEME_REPLY_QUOTE] = "dim",
	[THEME_SEARCH_MATCH] = "reverse",
	[THEME_STATUS] = "reverse",
	[THEME_STATUS_OFFLINE] = "bold reverse",
	[THEME_TIMESTAMP] = "dim",
	[THEME_TYPING] = "dim italic",
	[THEME_UNREAD_MARKER] = "reverse",
};

struct theme_builtin {
	const char *name;
	const char *const *styles;
	const char *palette;
};

static const struct theme_builtin theme_builtins[] = {
	{"default", theme_default_styles,
	    "red, green, yellow, blue, magenta, cyan, bright-red, bright-green, "
	    "bright-yellow, bright-blue, bright-magenta, bright-cyan"},
	{"mono", theme_mono_styles, "default"},
};

struct theme_name {
	const char *name;
	int value;
};

/* Sorted case-insensitively for bsearch. */
static const struct theme_name theme_color_names[] = {
	{"black", 0}, {"blue", 4}, {"bright-black", 8}, {"bright-blue", 12},
	{"bright-cyan", 14}, {"bright-green", 10}, {"bright-magenta", 13},
	{"bright-red", 9}, {"bright-white", 15}, {"bright-yellow", 11}, {"cyan", 6},
	{"default", -1}, {"green", 2}, {"magenta", 5}, {"red", 1}, {"white", 7},
	{"yellow", 3},
};

static const struct theme_name theme_attr_names[] = {
	{"bold", THEME_BOLD}, {"dim", THEME_DIM}, {"italic", THEME_ITALIC},
	{"reverse", THEME_REVERSE}, {"underline", THEME_UNDERLINE},
};

static const int theme_cube[6] = {0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff};

static int
theme_element_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

const char *
theme_element_name(enum theme_element element)
{
	return theme_element_names[element];
}

int
theme_element_find(const char *name)
{
	const char *const *found;

	found = bsearch(name, theme_element_names, THEME_NELEMENTS, sizeof theme_element_names[0],
	    theme_element_cmp);
	return found == NULL ? -1 : (int)(found - theme_element_names);
}

static int
theme_name_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct theme_name *)elem)->name);
}

static const struct theme_name *
theme_name_find(const struct theme_name *table, size_t n, const char *name)
{
	return bsearch(name, table, n, sizeof table[0], theme_name_cmp);
}

/* The red, green and blue of colour n of xterm's 256, from 16 up. */
static void
theme_xterm_rgb(int n, int rgb[3])
{
	if (n >= 232) {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (n - 232);
		return;
	}
	n -= 16;
	rgb[0] = theme_cube[n / 36];
	rgb[1] = theme_cube[n / 6 % 6];
	rgb[2] = theme_cube[n % 6];
}

static int
theme_to_cube(int v)
{
	return v < 48 ? 0 : v < 114 ? 1 : (v - 35) / 40;
}

static int
theme_dist(int r, int g, int b, const int rgb[3])
{
	return (r - rgb[0]) * (r - rgb[0]) + (g - rgb[1]) * (g - rgb[1]) +
	    (b - rgb[2]) * (b - rgb[2]);
}

/* The nearest of the 6x6x6 cube and the grey ramp, as tmux finds it;
 * 0-15 are left out because terminals redefine them. */
static int
theme_rgb_to_256(int r, int g, int b)
{
	int q[3] = {theme_to_cube(r), theme_to_cube(g), theme_to_cube(b)};
	int cube[3] = {theme_cube[q[0]], theme_cube[q[1]], theme_cube[q[2]]};
	int avg = (r + g + b) / 3, grey_idx, grey[3];

	grey_idx = avg > 238 ? 23 : (avg > 3 ? avg - 3 : 0) / 10;
	grey[0] = grey[1] = grey[2] = 8 + 10 * grey_idx;
	if (theme_dist(r, g, b, grey) < theme_dist(r, g, b, cube))
		return 232 + grey_idx;
	return 16 + 36 * q[0] + 6 * q[1] + q[2];
}

static double
theme_linear(int v)
{
	double c = v / 255.0;

	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double
theme_lab_f(double t)
{
	return t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0;
}

/* CIE LCh (lightness, chroma, hue in degrees) of an sRGB colour. */
static void
theme_lch(int r, int g, int b, double lch[3])
{
	double lr = theme_linear(r), lg = theme_linear(g), lb = theme_linear(b);
	double fx = theme_lab_f((0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047);
	double fy = theme_lab_f(0.2126 * lr + 0.7152 * lg + 0.0722 * lb);
	double fz = theme_lab_f((0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883);
	double a = 500 * (fx - fy), bb = 200 * (fy - fz);

	lch[0] = 116 * fy - 16;
	lch[1] = hypot(a, bb);
	lch[2] = fmod(atan2(bb, a) * 180 / M_PI + 360, 360);
}

/* Nearest RGB sends Solarized blue to cyan and its green to yellow, so
 * the 16 and 8 colours are picked by perceptual hue: sectors of the LCh
 * hue circle that take each of xterm's 16 colours back to itself, and
 * its lightness for the bright half. Greys go by lightness alone. */
static void
theme_rgb_fallback(int r, int g, int b, struct theme_color *c)
{
	static const struct {
		double below;
		int base;
		double bright;
	} sectors[] = {
		{15, 5, 54}, {70, 1, 48}, {107, 3, 88}, {165, 2, 80},
		{230, 6, 83}, {315, 4, 39}, {361, 5, 54},
	};
	double lch[3];
	size_t i;

	theme_lch(r, g, b, lch);
	if (lch[1] < 18) {
		c->c16 = lch[0] < 26 ? 0 : lch[0] < 72 ? 8 : lch[0] < 95 ? 7 : 15;
		c->c8 = lch[0] < 26 ? 0 : lch[0] < 72 ? -1 : 7;
		return;
	}
	for (i = 0; lch[2] >= sectors[i].below; i++)
		;
	c->c8 = sectors[i].base;
	c->c16 = lch[0] > sectors[i].bright ? c->c8 + 8 : c->c8;
}

/* Colour n of 256 (-1 default) with its 16 and 8 colour fallbacks; the
 * bright half of 16 falls back to the normal half, bright black to the
 * default, since black on a dark terminal would hide the text. */
static void
theme_color_index(int n, struct theme_color *c)
{
	int rgb[3];

	c->c256 = n;
	if (n < 16) {
		c->c16 = n;
		c->c8 = n < 8 ? n : n == 8 ? -1 : n - 8;
		return;
	}
	theme_xterm_rgb(n, rgb);
	theme_rgb_fallback(rgb[0], rgb[1], rgb[2], c);
}

static int
theme_parse_hex(const char *s, struct theme_color *c, char **cause)
{
	int rgb[3];

	if (strlen(s) != 7 || strspn(s + 1, "0123456789abcdefABCDEF") != 6)
		return cause_set(cause, "bad colour \"%s\": use #rrggbb", s);
	for (int i = 0; i < 3; i++) {
		char pair[3] = {s[1 + 2 * i], s[2 + 2 * i], '\0'};

		rgb[i] = (int)strtol(pair, NULL, 16);
	}
	c->c256 = theme_rgb_to_256(rgb[0], rgb[1], rgb[2]);
	theme_rgb_fallback(rgb[0], rgb[1], rgb[2], c);
	return 0;
}

int
theme_parse_color(const char *s, struct theme_color *c, char **cause)
{
	const struct theme_name *name;
	int64_t n;

	if (s[0] == '#')
		return theme_parse_hex(s, c, cause);
	if (isdigit((unsigned char)s[0])) {
		if (nt_parse_int64(s, &n) == -1 || n > 255)
			return cause_set(cause, "colour number %s is not 0-255", s);
		theme_color_index((int)n, c);
		return 0;
	}
	name = theme_name_find(theme_color_names, NT_NELEMS(theme_color_names), s);
	if (name == NULL)
		return cause_set(cause, "unknown colour \"%s\"", s);
	theme_color_index(name->value, c);
	return 0;
}

/* Adds one word of a style: an attribute, else the next colour. */
static int
theme_style_word(const char *word, struct theme_style *st, int *ncolors, const char *s,
    char **cause)
{
	const struct theme_name *attr;
	struct theme_color c;

	attr = theme_name_find(theme_attr_names, NT_NELEMS(theme_attr_names), word);
	if (attr != NULL) {
		st->attrs |= attr->value;
		return 0;
	}
	if (theme_name_find(theme_color_names, NT_NELEMS(theme_color_names), word) == NULL &&
	    !isdigit((unsigned char)word[0]) && word[0] != '#')
		return cause_set(cause, "unknown colour or attribute \"%s\"", word);
	if (theme_parse_color(word, &c, cause) == -1)
		return -1;
	if (*ncolors == 2)
		return cause_set(cause, "more than two colours in \"%s\": give FG [BG] [ATTR...]",
		    s);
	if ((*ncolors)++ == 0)
		st->fg = c;
	else
		st->bg = c;
	return 0;
}

int
theme_parse_style(const char *s, struct theme_style *style, char **cause)
{
	struct theme_style st = {{-1, -1, -1}, {-1, -1, -1}, 0};
	char *copy = xstrdup(s), *word, *last = NULL;
	int ncolors = 0, rc = 0;

	for (word = strtok_r(copy, " \t", &last); word != NULL && rc == 0;
	    word = strtok_r(NULL, " \t", &last))
		rc = theme_style_word(word, &st, &ncolors, s, cause);
	if (rc == 0 && st.attrs == 0 && ncolors == 0)
		rc = cause_set(cause, "no colour or attribute given");
	free(copy);
	if (rc == 0)
		*style = st;
	return rc;
}

int
theme_color_pick(const struct theme_color *c, int colors)
{
	if (colors >= 256)
		return c->c256;
	if (colors >= 16)
		return c->c16;
	if (colors >= 8)
		return c->c8;
	return -1;
}

/* Parses "c1, c2, ..." into a new palette. */
static int
theme_parse_palette(const char *s, struct theme_color **out, size_t *nout, char **cause)
{
	char *copy = xstrdup(s), *item, *last = NULL, *end;
	struct theme_color *list = xreallocarray(NULL, THEME_PALETTE_MAX, sizeof *list);
	size_t n = 0;
	int rc = 0;

	for (item = strtok_r(copy, ",", &last); item != NULL && rc == 0;
	    item = strtok_r(NULL, ",", &last)) {
		item += strspn(item, " \t");
		for (end = item + strlen(item); end > item && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		if (*item == '\0')
			continue;
		if (n == THEME_PALETTE_MAX)
			rc = cause_set(cause, "palette has more than %d colours",
			    THEME_PALETTE_MAX);
		else
			rc = theme_parse_color(item, &list[n++], cause);
	}
	if (rc == 0 && n == 0)
		rc = cause_set(cause, "palette lists no colour");
	free(copy);
	if (rc == -1) {
		free(list);
		return -1;
	}
	free(*out);
	*out = list;
	*nout = n;
	return 0;
}

/* Built-in specs are constants: one that does not parse is a bug. */
static void
theme_set_builtin(struct theme *t, const struct theme_builtin *b)
{
	char *cause = NULL;

	for (int i = 0; i < THEME_NELEMENTS; i++) {
		if (theme_parse_style(b->styles[i], &t->style[i], &cause) == -1) {
			fprintf(stderr, "natter: theme %s: %s: %s\n", b->name,
			    theme_element_names[i], cause);
			abort();
		}
	}
	if (theme_parse_palette(b->palette, &t->nicks, &t->nnicks, &cause) == -1)
		abort();
	free(t->name);
	t->name = xstrdup(b->name);
}

void
theme_init(struct theme *t)
{
	memset(t, 0, sizeof *t);
	theme_set_builtin(t, &theme_builtins[0]);
}

void
theme_free(struct theme *t)
{
	xfree(&t->name);
	xfree(&t->path);
	xfree(&t->nicks);
	t->nnicks = 0;
}

int
theme_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 64 &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

#if defined(NATTER_BUILD_DIR) && defined(NATTER_SOURCE_THEMES)
/* Whether the program running is one of the build tree it was built in,
 * not an installed copy. */
static int
theme_in_build_tree(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t len = strlen(NATTER_BUILD_DIR);

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	return strncmp(exe, NATTER_BUILD_DIR, len) == 0 && exe[len] == '/';
}
#endif

/* The directories a theme name is looked up in, in order; returns how
 * many were filled. A program run from its build tree finds the themes
 * of its source tree before any installed ones. */
static size_t
theme_dirs(char *dirs[4])
{
	const char *config = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *tree = getenv("NATTER_THEMES_DIR");
	size_t n = 0;

	if (config != NULL && config[0] == '/')
		dirs[n++] = xasprintf("%s/natter/themes", config);
	else if (home != NULL && home[0] == '/')
		dirs[n++] = xasprintf("%s/.config/natter/themes", home);
#if defined(NATTER_BUILD_DIR) && defined(NATTER_SOURCE_THEMES)
	if (theme_in_build_tree())
		dirs[n++] = xstrdup(NATTER_SOURCE_THEMES);
#endif
	dirs[n++] = xstrdup(NATTER_DATADIR "/themes");
	if (tree != NULL && tree[0] != '\0')
		dirs[n++] = xstrdup(tree);
	return n;
}

/* The file of a theme name; NULL with a cause when there is none. */
static char *
theme_find_name(const char *name, char **cause)
{
	char *dirs[4], *path = NULL;
	size_t n = theme_dirs(dirs);
	struct buf looked = {0};

	for (size_t i = 0; i < n; i++) {
		if (path == NULL) {
			path = xasprintf("%s/%s.theme", dirs[i], name);
			if (access(path, F_OK) == -1)
				xfree(&path);
		}
		buf_printf(&looked, "%s%s", i > 0 ? ", " : "", dirs[i]);
		free(dirs[i]);
	}
	if (path == NULL)
		cause_set(cause, "theme \"%s\" not found (looked in %s)", name, looked.data);
	buf_free(&looked);
	return path;
}

/* The file a theme value names: a path when it has a '/', else a name. */
static char *
theme_find(const char *name, char **cause)
{
	const char *home = getenv("HOME");
	char *path;

	if (strchr(name, '/') == NULL) {
		if (!theme_name_valid(name)) {
			cause_set(cause, "bad theme name \"%s\": use letters, digits, '_' and "
			    "'-', or a path with '/'", name);
			return NULL;
		}
		return theme_find_name(name, cause);
	}
	if (strncmp(name, "~/", 2) == 0 && home != NULL && home[0] == '/')
		path = xasprintf("%s/%s", home, name + 2);
	else
		path = xstrdup(name);
	if (access(path, F_OK) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		xfree(&path);
	}
	return path;
}

struct theme_ctx {
	struct theme *theme;
	void (*warn)(const char *, void *);
	void *arg;
};

static int
theme_line(const char *section, const char *key, const char *value, void *arg, char **cause)
{
	struct theme_ctx *ctx = arg;
	struct theme *t = ctx->theme;
	int element;

	if (strcmp(section, "colors") == 0) {
		if ((element = theme_element_find(key)) == -1)
			return cause_set(cause, "unknown element \"%s\"", key);
		return theme_parse_style(value, &t->style[element], cause);
	}
	if (strcmp(section, "nicks") == 0) {
		if (strcmp(key, "palette") != 0)
			return cause_set(cause, "unknown key \"%s\" in [nicks]", key);
		return theme_parse_palette(value, &t->nicks, &t->nnicks, cause);
	}
	if (*section == '\0')
		return cause_set(cause, "\"%s\" comes before any [section]", key);
	return cause_set(cause, "unknown section [%s]", section);
}

static void
theme_warn(const char *msg, void *arg)
{
	struct theme_ctx *ctx = arg;

	if (ctx->warn != NULL)
		ctx->warn(msg, ctx->arg);
}

static const struct theme_builtin *
theme_builtin_find(const char *name)
{
	for (size_t i = 0; i < NT_NELEMS(theme_builtins); i++) {
		if (strcmp(theme_builtins[i].name, name) == 0)
			return &theme_builtins[i];
	}
	return NULL;
}

int
theme_init_builtin(const char *name, struct theme *t)
{
	const struct theme_builtin *builtin = theme_builtin_find(name);

	theme_init(t);
	if (builtin == NULL)
		return -1;
	theme_set_builtin(t, builtin);
	return 0;
}

int
theme_load(const char *name, struct theme *t, void (*warn)(const char *, void *), void *arg)
{
	struct theme_ctx ctx = {t, warn, arg};
	const struct theme_builtin *builtin;
	char *path, *cause = NULL;

	theme_init(t);
	if (name == NULL)
		name = "default";
	if ((path = theme_find(name, &cause)) == NULL) {
		if ((builtin = theme_builtin_find(name)) != NULL) {
			free(cause);
			theme_set_builtin(t, builtin);
			return 0;
		}
	} else if (cfg_file_parse(path, theme_line, &ctx, theme_warn, &cause) == 0) {
		free(t->name);
		t->name = xstrdup(name);
		t->path = path;
		return 0;
	}
	free(path);
	theme_warn(cause, &ctx);
	free(cause);
	return -1;
}

/* FNV-1a: small, and fixed, so a user keeps their colour across runs. */
const struct theme_color *
theme_nick_color(const struct theme *t, const char *user_id)
{
	static const struct theme_color plain = {-1, -1, -1};
	uint32_t h = 2166136261u;

	if (t->nnicks == 0)
		return &plain;
	for (const unsigned char *p = (const unsigned char *)user_id; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return &t->nicks[h % t->nnicks];
}

int
theme_no_color_wanted(void)
{
	const char *v = getenv("NO_COLOR");

	return v != NULL && v[0] != '\0';
}

void
theme_apply_no_color(struct theme *t)
{
	static const struct theme_color plain = {-1, -1, -1};
	struct theme_style mono;

	for (int i = 0; i < THEME_NELEMENTS; i++) {
		t->style[i].fg = t->style[i].bg = plain;
		if (t->style[i].attrs == 0 &&
		    theme_parse_style(theme_mono_styles[i], &mono, NULL) == 0)
			t->style[i].attrs = mono.attrs;
	}
	xfree(&t->nicks);
	t->nnicks = 0;
}
