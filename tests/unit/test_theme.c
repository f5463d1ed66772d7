#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/theme.h"
#include "natter/util.h"

#define CONFIG_DIR FIXTURES_DIR "/config"
#define THEMES_DIR FIXTURES_DIR "/../../themes"

static const char *const shipped[] = {
	"default", "light", "high-contrast", "solarized-dark", "mono",
};

static void
collect(const char *msg, void *arg)
{
	buf_printf(arg, "%s\n", msg);
}

/* Looks names up in the source tree only: no user themes. */
static int
setup_env(void **state)
{
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	setenv("NATTER_THEMES_DIR", THEMES_DIR, 1);
	unsetenv("NO_COLOR");
	return 0;
}

static void
assert_color(const struct theme_color *c, int c256, int c16, int c8)
{
	assert_int_equal(c->c256, c256);
	assert_int_equal(c->c16, c16);
	assert_int_equal(c->c8, c8);
}

static struct theme_color
color(const char *spec)
{
	struct theme_color c;
	char *cause = NULL;

	if (theme_parse_color(spec, &c, &cause) == -1)
		fail_msg("%s: %s", spec, cause);
	return c;
}

static void
assert_same_theme(const struct theme *a, const struct theme *b)
{
	assert_memory_equal(a->style, b->style, sizeof a->style);
	assert_int_equal(a->nnicks, b->nnicks);
	assert_memory_equal(a->nicks, b->nicks, a->nnicks * sizeof a->nicks[0]);
}

static void
test_element_table_sorted(void **state)
{
	for (int e = 0; e < THEME_NELEMENTS; e++)
		assert_int_equal(theme_element_find(theme_element_name(e)), e);
	assert_int_equal(theme_element_find("list_selected"), THEME_LIST_SELECTED);
	assert_int_equal(theme_element_find("sparkle"), -1);
}

static void
test_color_names(void **state)
{
	struct theme_color c;

	c = color("default");
	assert_color(&c, -1, -1, -1);
	c = color("red");
	assert_color(&c, 1, 1, 1);
	c = color("white");
	assert_color(&c, 7, 7, 7);
	c = color("bright-red");
	assert_color(&c, 9, 9, 1);
	c = color("Bright-White");
	assert_color(&c, 15, 15, 7);
	/* Black text on a dark terminal would vanish: bright black falls back
	 * to the default on 8 colours. */
	c = color("bright-black");
	assert_color(&c, 8, 8, -1);
}

static void
test_color_numbers(void **state)
{
	struct theme_color c;
	char *cause = NULL;

	c = color("0");
	assert_color(&c, 0, 0, 0);
	c = color("12");
	assert_color(&c, 12, 12, 4);
	c = color("196");
	assert_color(&c, 196, 9, 1);
	c = color("21");
	assert_color(&c, 21, 4, 4);
	c = color("22");
	assert_color(&c, 22, 2, 2);
	c = color("232");
	assert_color(&c, 232, 0, 0);
	c = color("255");
	assert_color(&c, 255, 7, 7);
	assert_int_equal(theme_parse_color("256", &c, &cause), -1);
	assert_string_equal(cause, "colour number 256 is not 0-255");
	assert_int_equal(theme_parse_color("12a", &c, &cause), -1);
	assert_string_equal(cause, "colour number 12a is not 0-255");
	assert_int_equal(theme_parse_color("purple", &c, &cause), -1);
	assert_string_equal(cause, "unknown colour \"purple\"");
	free(cause);
}

static void
test_hex_falls_back_by_hue(void **state)
{
	/* xterm's own 16 colours come back as themselves. */
	static const char *const xterm[16] = {
		"#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd",
		"#e5e5e5", "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff",
		"#00ffff", "#ffffff",
	};
	struct theme_color c;
	char *cause = NULL;

	for (int i = 0; i < 16; i++) {
		c = color(xterm[i]);
		assert_int_equal(c.c16, i);
		assert_int_equal(c.c8, i == 8 ? -1 : i & 7);
	}
	/* Solarized blue is blue, not the cyan nearest RGB would give. */
	c = color("#268bd2");
	assert_color(&c, 32, 12, 4);
	c = color("#2aa198");
	assert_color(&c, 36, 6, 6);
	c = color("#859900");
	assert_color(&c, 100, 2, 2);
	c = color("#002b36");
	assert_color(&c, 234, 0, 0);
	c = color("#FDF6E3");
	assert_color(&c, 230, 15, 7);
	c = color("#808080");
	assert_color(&c, 244, 8, -1);
	c = color("#5f87af");
	assert_int_equal(c.c256, 67);

	assert_int_equal(theme_parse_color("#12345", &c, &cause), -1);
	assert_string_equal(cause, "bad colour \"#12345\": use #rrggbb");
	assert_int_equal(theme_parse_color("#12345g", &c, &cause), -1);
	assert_string_equal(cause, "bad colour \"#12345g\": use #rrggbb");
	free(cause);
}

static void
test_style_syntax(void **state)
{
	static const struct {
		const char *spec;
		const char *cause;
	} bad[] = {
		{"", "no colour or attribute given"},
		{"red green blue", "more than two colours in \"red green blue\": give FG [BG] "
		    "[ATTR...]"},
		{"red blink", "unknown colour or attribute \"blink\""},
		{"#fff bold", "bad colour \"#fff\": use #rrggbb"},
	};
	struct theme_style st;
	char *cause = NULL;

	assert_int_equal(theme_parse_style("bright-white blue bold underline", &st, &cause), 0);
	assert_color(&st.fg, 15, 15, 7);
	assert_color(&st.bg, 4, 4, 4);
	assert_int_equal(st.attrs, THEME_BOLD | THEME_UNDERLINE);
	assert_int_equal(theme_parse_style("  reverse  ITALIC dim ", &st, &cause), 0);
	assert_color(&st.fg, -1, -1, -1);
	assert_color(&st.bg, -1, -1, -1);
	assert_int_equal(st.attrs, THEME_REVERSE | THEME_ITALIC | THEME_DIM);
	assert_int_equal(theme_parse_style("default 236", &st, &cause), 0);
	assert_int_equal(st.bg.c256, 236);
	assert_int_equal(st.attrs, 0);
	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		assert_int_equal(theme_parse_style(bad[i].spec, &st, &cause), -1);
		assert_string_equal(cause, bad[i].cause);
	}
	assert_int_equal(st.bg.c256, 236);
	free(cause);
}

static void
test_color_pick(void **state)
{
	struct theme_color c = color("#268bd2");

	assert_int_equal(theme_color_pick(&c, 256), 32);
	assert_int_equal(theme_color_pick(&c, 88), 12);
	assert_int_equal(theme_color_pick(&c, 16), 12);
	assert_int_equal(theme_color_pick(&c, 8), 4);
	assert_int_equal(theme_color_pick(&c, 2), -1);
}

/* Every shipped theme loads cleanly and sets every element itself, so
 * none silently inherits a colour meant for another background. */
static void
test_shipped_themes_load_clean(void **state)
{
	for (size_t i = 0; i < NT_NELEMS(shipped); i++) {
		char *path = xasprintf("%s/%s.theme", THEMES_DIR, shipped[i]);
		char *text = nt_read_file(path, NULL, NULL);
		struct buf warnings = {0};
		struct theme t;

		assert_non_null(text);
		assert_int_equal(theme_load(path, &t, collect, &warnings), 0);
		assert_null(warnings.data);
		assert_string_equal(t.path, path);
		assert_true(t.nnicks > 0);
		for (int e = 0; e < THEME_NELEMENTS; e++) {
			char *line = xasprintf("\n%s ", theme_element_name(e));

			if (strstr(text, line) == NULL)
				fail_msg("%s does not set %s", path, theme_element_name(e));
			free(line);
		}
		theme_free(&t);
		free(text);
		free(path);
	}
}

static void
test_builtins_match_files(void **state)
{
	struct theme builtin, file;

	theme_init(&builtin);
	assert_int_equal(theme_load(THEMES_DIR "/default.theme", &file, NULL, NULL), 0);
	assert_same_theme(&builtin, &file);
	theme_free(&file);
	theme_free(&builtin);

	assert_int_equal(theme_init_builtin("no-such-theme", &builtin), -1);
	theme_free(&builtin);
	assert_int_equal(theme_init_builtin("mono", &builtin), 0);
	assert_int_equal(theme_load(THEMES_DIR "/mono.theme", &file, NULL, NULL), 0);
	assert_same_theme(&builtin, &file);
	for (int e = 0; e < THEME_NELEMENTS; e++) {
		assert_int_equal(file.style[e].fg.c256, -1);
		assert_int_equal(file.style[e].bg.c256, -1);
	}
	theme_free(&file);
	theme_free(&builtin);
}

static void
test_lookup_by_name(void **state)
{
	struct buf warnings = {0};
	struct theme t;

	assert_int_equal(theme_load("solarized-dark", &t, collect, &warnings), 0);
	assert_null(warnings.data);
	assert_string_equal(t.name, "solarized-dark");
	assert_non_null(strstr(t.path, "/solarized-dark.theme"));
	assert_int_equal(t.style[THEME_PANE].bg.c256, 234);
	theme_free(&t);

	/* The user's own theme of a name comes first. */
	setenv("XDG_CONFIG_HOME", CONFIG_DIR "/xdg", 1);
	assert_int_equal(theme_load("light", &t, collect, &warnings), 0);
	assert_null(warnings.data);
	assert_string_equal(t.path, CONFIG_DIR "/xdg/natter/themes/light.theme");
	assert_color(&t.style[THEME_STATUS].fg, 1, 1, 1);
	assert_color(&t.style[THEME_STATUS].bg, -1, -1, -1);
	theme_free(&t);
	setup_env(state);

	assert_int_equal(theme_load(NULL, &t, collect, &warnings), 0);
	assert_null(warnings.data);
	assert_string_equal(t.name, "default");
	theme_free(&t);
}

/* A natter run from its build tree (as scripts/demo runs it, and as
 * this test runs) finds the themes of its source tree, with nothing
 * installed and NATTER_THEMES_DIR unset. */
static void
test_lookup_from_the_build_tree(void **state)
{
	struct buf warnings = {0};
	struct theme t;

	unsetenv("NATTER_THEMES_DIR");
	assert_int_equal(theme_load("light", &t, collect, &warnings), 0);
	assert_null(warnings.data);
	assert_string_equal(t.path, NATTER_SOURCE_THEMES "/light.theme");
	theme_free(&t);
	setup_env(state);
}

static void
test_missing_theme_keeps_default(void **state)
{
	struct buf warnings = {0};
	struct theme t, builtin;

	theme_init(&builtin);
	assert_int_equal(theme_load("dusk", &t, collect, &warnings), -1);
	assert_non_null(strstr(warnings.data, "theme \"dusk\" not found (looked in /nonexistent/"
	    "natter/themes, "));
	assert_non_null(strstr(warnings.data, ", " THEMES_DIR ")\n"));
	assert_same_theme(&t, &builtin);
	assert_null(t.path);
	theme_free(&t);
	buf_free(&warnings);

	assert_int_equal(theme_load("../dusk", &t, collect, &warnings), -1);
	assert_string_equal(warnings.data, "../dusk: No such file or directory\n");
	theme_free(&t);
	buf_free(&warnings);

	assert_int_equal(theme_load("dusk.theme", &t, collect, &warnings), -1);
	assert_string_equal(warnings.data, "bad theme name \"dusk.theme\": use letters, digits, "
	    "'_' and '-', or a path with '/'\n");
	assert_same_theme(&t, &builtin);
	theme_free(&t);
	buf_free(&warnings);
	theme_free(&builtin);
}

static void
test_bad_theme_warns_and_keeps_defaults(void **state)
{
	const char *path = CONFIG_DIR "/bad.theme";
	const char *expect =
	    CONFIG_DIR "/bad.theme:3: \"stray\" comes before any [section]\n"
	    CONFIG_DIR "/bad.theme:5: more than two colours in \"red green blue\": give FG [BG] "
	    "[ATTR...]\n"
	    CONFIG_DIR "/bad.theme:6: unknown colour or attribute \"purple\"\n"
	    CONFIG_DIR "/bad.theme:7: colour number 300 is not 0-255\n"
	    CONFIG_DIR "/bad.theme:8: bad colour \"#12345\": use #rrggbb\n"
	    CONFIG_DIR "/bad.theme:9: unknown colour or attribute \"blink\"\n"
	    CONFIG_DIR "/bad.theme:10: no colour or attribute given\n"
	    CONFIG_DIR "/bad.theme:11: unknown element \"sparkle\"\n"
	    CONFIG_DIR "/bad.theme:14: unknown colour \"mauve\"\n"
	    CONFIG_DIR "/bad.theme:15: unknown key \"colours\" in [nicks]\n"
	    CONFIG_DIR "/bad.theme:17: unknown section [extras]\n";
	struct buf warnings = {0};
	struct theme t, builtin;

	theme_init(&builtin);
	assert_int_equal(theme_load(path, &t, collect, &warnings), 0);
	assert_string_equal(warnings.data, expect);
	assert_color(&t.style[THEME_ERROR].fg, 3, 3, 3);
	assert_int_equal(t.style[THEME_ERROR].attrs, THEME_BOLD);
	t.style[THEME_ERROR] = builtin.style[THEME_ERROR];
	assert_same_theme(&t, &builtin);
	theme_free(&t);
	theme_free(&builtin);
	buf_free(&warnings);
}

static void
test_no_color_keeps_attributes(void **state)
{
	struct theme t;

	assert_false(theme_no_color_wanted());
	setenv("NO_COLOR", "", 1);
	assert_false(theme_no_color_wanted());
	setenv("NO_COLOR", "1", 1);
	assert_true(theme_no_color_wanted());
	unsetenv("NO_COLOR");

	theme_init(&t);
	theme_apply_no_color(&t);
	for (int e = 0; e < THEME_NELEMENTS; e++) {
		assert_color(&t.style[e].fg, -1, -1, -1);
		assert_color(&t.style[e].bg, -1, -1, -1);
	}
	/* Kept: the default theme's own attributes. */
	assert_int_equal(t.style[THEME_LIST_UNREAD].attrs, THEME_BOLD);
	assert_int_equal(t.style[THEME_LINK].attrs, THEME_UNDERLINE);
	/* Added: the selection and status line were colour alone. */
	assert_int_equal(t.style[THEME_LIST_SELECTED].attrs, THEME_REVERSE);
	assert_int_equal(t.style[THEME_STATUS].attrs, THEME_REVERSE);
	assert_int_equal(t.style[THEME_SEARCH_MATCH].attrs, THEME_REVERSE);
	assert_int_equal(t.style[THEME_PANE].attrs, 0);
	assert_color(theme_nick_color(&t, "@alice:example.org"), -1, -1, -1);
	theme_free(&t);
}

/* FNV-1a of the user id: changing it would recolour everyone. */
static void
test_nick_color_stable(void **state)
{
	struct theme t;

	theme_init(&t);
	assert_int_equal(t.nnicks, 12);
	assert_ptr_equal(theme_nick_color(&t, "@alice:example.org"), &t.nicks[1]);
	assert_ptr_equal(theme_nick_color(&t, "@bob:example.org"), &t.nicks[6]);
	assert_ptr_equal(theme_nick_color(&t, "@carol:example.org"), &t.nicks[8]);
	assert_color(theme_nick_color(&t, "@alice:example.org"), 2, 2, 2);
	assert_color(theme_nick_color(&t, "@bob:example.org"), 9, 9, 1);
	theme_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_element_table_sorted),
		cmocka_unit_test(test_color_names),
		cmocka_unit_test(test_color_numbers),
		cmocka_unit_test(test_hex_falls_back_by_hue),
		cmocka_unit_test(test_style_syntax),
		cmocka_unit_test(test_color_pick),
		cmocka_unit_test_setup(test_shipped_themes_load_clean, setup_env),
		cmocka_unit_test_setup(test_builtins_match_files, setup_env),
		cmocka_unit_test_setup(test_lookup_by_name, setup_env),
		cmocka_unit_test_setup(test_lookup_from_the_build_tree, setup_env),
		cmocka_unit_test_setup(test_missing_theme_keeps_default, setup_env),
		cmocka_unit_test_setup(test_bad_theme_warns_and_keeps_defaults, setup_env),
		cmocka_unit_test_setup(test_no_color_keeps_attributes, setup_env),
		cmocka_unit_test(test_nick_color_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
