#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/keys.h"
#include "natter/util.h"

static struct key_seq
parse(const char *spec)
{
	struct key_seq seq;
	char *cause = NULL;

	if (keys_parse(spec, &seq, &cause) == -1)
		fail_msg("%s: %s", spec, cause);
	return seq;
}

static enum keys_action
match(const struct keys_table *t, enum keys_mode mode, const char *spec)
{
	struct key_seq seq = parse(spec);

	return keys_match(t, mode, &seq);
}

static void
test_parse_every_syntax(void **state)
{
	static const struct {
		const char *spec;
		uint32_t code;
		int mods;
		const char *canonical;
	} cases[] = {
		{"C-x", 'x', KEYS_CTRL, "C-x"},
		{"C-X", 'x', KEYS_CTRL, "C-x"},
		{"M-x", 'x', KEYS_ALT, "M-x"},
		{"M-X", 'X', KEYS_ALT, "M-X"},
		{"C-M-x", 'x', KEYS_CTRL | KEYS_ALT, "C-M-x"},
		{"M-C-x", 'x', KEYS_CTRL | KEYS_ALT, "C-M-x"},
		{"Enter", KEYS_ENTER, 0, "Enter"},
		{"Return", KEYS_ENTER, 0, "Enter"},
		{"Tab", KEYS_TAB, 0, "Tab"},
		{"S-Tab", KEYS_BTAB, 0, "BTab"},
		{"Esc", KEYS_ESC, 0, "Esc"},
		{"Up", KEYS_UP, 0, "Up"},
		{"Down", KEYS_DOWN, 0, "Down"},
		{"Left", KEYS_LEFT, 0, "Left"},
		{"Right", KEYS_RIGHT, 0, "Right"},
		{"Home", KEYS_HOME, 0, "Home"},
		{"End", KEYS_END, 0, "End"},
		{"PgUp", KEYS_PGUP, 0, "PgUp"},
		{"pgdn", KEYS_PGDN, 0, "PgDn"},
		{"Ins", KEYS_INS, 0, "Ins"},
		{"Del", KEYS_DEL, 0, "Del"},
		{"Delete", KEYS_DEL, 0, "Del"},
		{"Escape", KEYS_ESC, 0, "Esc"},
		{"Insert", KEYS_INS, 0, "Ins"},
		{"PageUp", KEYS_PGUP, 0, "PgUp"},
		{"PageDown", KEYS_PGDN, 0, "PgDn"},
		{"BTab", KEYS_BTAB, 0, "BTab"},
		{"Space", ' ', 0, "Space"},
		{"Backspace", KEYS_BACKSPACE, 0, "Backspace"},
		{"F1", KEYS_F(1), 0, "F1"},
		{"F12", KEYS_F(12), 0, "F12"},
		{"M-Up", KEYS_UP, KEYS_ALT, "M-Up"},
		{"M-Down", KEYS_DOWN, KEYS_ALT, "M-Down"},
		{"M-Enter", KEYS_ENTER, KEYS_ALT, "M-Enter"},
		{"C-Left", KEYS_LEFT, KEYS_CTRL, "C-Left"},
		{"C-Space", ' ', KEYS_CTRL, "C-Space"},
		{"C-@", ' ', KEYS_CTRL, "C-Space"},
		{"C-i", KEYS_TAB, 0, "Tab"},
		{"C-m", KEYS_ENTER, 0, "Enter"},
		{"C-[", KEYS_ESC, 0, "Esc"},
		{"C-?", KEYS_BACKSPACE, 0, "Backspace"},
		{"C-_", '_', KEYS_CTRL, "C-_"},
		{"M--", '-', KEYS_ALT, "M--"},
		{"M-,", ',', KEYS_ALT, "M-,"},
		{"+", '+', 0, "+"},
		{"\xc3\xa9", 0xe9, 0, "\xc3\xa9"},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		struct key_seq seq = parse(cases[i].spec);
		char *back = keys_format(&seq);

		assert_int_equal(seq.n, 1);
		assert_int_equal(seq.keys[0].code, cases[i].code);
		assert_int_equal(seq.keys[0].mods, cases[i].mods);
		assert_string_equal(back, cases[i].canonical);
		free(back);
	}
}

static void
test_parse_sequences(void **state)
{
	struct key_seq seq = parse("  C-x\tC-e ");
	char *back = keys_format(&seq);

	assert_int_equal(seq.n, 2);
	assert_int_equal(seq.keys[0].code, 'x');
	assert_int_equal(seq.keys[1].code, 'e');
	assert_int_equal(seq.keys[1].mods, KEYS_CTRL);
	assert_string_equal(back, "C-x C-e");
	free(back);
	seq = parse("C-x r M-Up");
	assert_int_equal(seq.n, 3);
}

static void
test_parse_errors_explain(void **state)
{
	static const struct {
		const char *spec;
		const char *cause;
	} cases[] = {
		{"", "no key given"},
		{"   ", "no key given"},
		{"Hyper", "unknown key name \"Hyper\""},
		{"Hyper-x", "unknown key name \"Hyper-x\""},
		{"F13", "unknown key name \"F13\""},
		{"F0", "unknown key name \"F0\""},
		{"C-", "\"C-\": a key must follow C-"},
		{"C-M-", "\"C-M-\": a key must follow M-"},
		{"C-C-x", "\"C-C-x\": C- given twice"},
		{"M-M-x", "\"M-M-x\": M- given twice"},
		{"C-1", "\"C-1\": a terminal cannot send Ctrl with that key"},
		{"C-Enter", "\"C-Enter\": a terminal cannot send Ctrl with that key"},
		{"C-Tab", "\"C-Tab\": a terminal cannot send Ctrl with that key"},
		{"C-x C-y C-z C-a", "\"C-x C-y C-z C-a\": a sequence has at most 3 keys"},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		struct key_seq seq;
		char *cause = NULL;

		assert_int_equal(keys_parse(cases[i].spec, &seq, &cause), -1);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
	}
}

static void
test_action_table_sorted(void **state)
{
	for (int a = 0; a < KEYS_NACTIONS; a++) {
		const struct keys_action_info *info = keys_action_info(a);

		assert_int_equal(info->action, a);
		assert_ptr_equal(keys_action_find(info->name), info);
		assert_non_null(info->help);
		assert_true(info->modes != 0);
	}
	assert_null(keys_action_find("launch"));
	assert_null(keys_action_find(""));
}

/* Every action holds each of its documented default keys. */
static void
test_defaults_all_bound(void **state)
{
	struct keys_table *t = keys_table_new();

	for (int a = 0; a < KEYS_NACTIONS; a++) {
		const struct keys_action_info *info = keys_action_info(a);
		char *list = xstrdup(info->keys), *one, *last = NULL;
		int mode = info->modes & KEYS_MODE_COMPOSE ? KEYS_MODE_COMPOSE : KEYS_MODE_SELECT;
		size_t n = 0;

		for (one = strtok_r(list, ",", &last); one != NULL;
		    one = strtok_r(NULL, ",", &last)) {
			assert_int_equal(match(t, mode, one), a);
			n++;
		}
		assert_int_equal(keys_bound(t, a, NULL, 0), n);
		free(list);
	}
	keys_table_free(&t);
	assert_null(t);
}

/* The choices natter.conf(5) documents: C-k opens the room switcher and
 * kill_line_end has no key; C-f searches and Right moves right. */
static void
test_defaults_resolve_conflicts(void **state)
{
	struct keys_table *t = keys_table_new();

	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-k"), KEYS_ACT_ROOM_SWITCHER);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "C-k"), KEYS_ACT_ROOM_SWITCHER);
	assert_int_equal(keys_bound(t, KEYS_ACT_KILL_LINE_END, NULL, 0), 0);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-f"), KEYS_ACT_SEARCH);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "Right"), KEYS_ACT_CHAR_RIGHT);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-b"), KEYS_ACT_CHAR_LEFT);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "M-a"), KEYS_ACT_ROOM_NEXT_ACTIVE);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "M-5"), KEYS_ACT_ROOM_5);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "Tab"), KEYS_ACT_COMPLETE);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "M-Enter"), KEYS_ACT_NEWLINE);
	/* One key, two modes. */
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "Enter"), KEYS_ACT_SEND);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "Enter"), KEYS_ACT_OPEN);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "Up"), KEYS_ACT_HISTORY_PREV);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "Up"), KEYS_ACT_SELECT_PREV);
	/* A letter is text while composing, an action in select mode. */
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "r"), KEYS_ACT_NONE);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "r"), KEYS_ACT_REPLY);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "C-w"), KEYS_ACT_NONE);
	keys_table_free(&t);
}

static void
test_rebind_replaces(void **state)
{
	struct keys_table *t = keys_table_new();
	struct key_seq out[4];
	char *cause = NULL, *text;

	assert_int_equal(keys_bind(t, "quit", "C-c, F10", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-c"), KEYS_ACT_QUIT);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "F10"), KEYS_ACT_QUIT);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-q"), KEYS_ACT_NONE);
	assert_int_equal(keys_bound(t, KEYS_ACT_QUIT, out, NT_NELEMS(out)), 2);
	text = keys_format(&out[0]);
	assert_string_equal(text, "C-c");
	free(text);

	assert_int_equal(keys_bind(t, "quit", "none", &cause), 0);
	assert_int_equal(keys_bound(t, KEYS_ACT_QUIT, NULL, 0), 0);
	assert_int_equal(keys_bind(t, "redraw", "", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-l"), KEYS_ACT_NONE);
	keys_table_free(&t);
}

/* The newer binding wins: the key leaves the action that had it. */
static void
test_conflict_newer_wins(void **state)
{
	struct keys_table *t = keys_table_new();
	char *cause = NULL;

	assert_int_equal(keys_bind(t, "kill_line_end", "C-k", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-k"), KEYS_ACT_KILL_LINE_END);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "C-k"), KEYS_ACT_NONE);
	assert_int_equal(keys_bound(t, KEYS_ACT_ROOM_SWITCHER, NULL, 0), 0);

	/* Compose and select do not overlap: j moves to reply only in select. */
	assert_int_equal(keys_bind(t, "reply", "j", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "j"), KEYS_ACT_REPLY);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "Down"), KEYS_ACT_SELECT_NEXT);
	assert_int_equal(keys_bound(t, KEYS_ACT_SELECT_NEXT, NULL, 0), 1);

	/* A global action takes the key from both modes. */
	assert_int_equal(keys_bind(t, "redraw", "Enter", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "Enter"), KEYS_ACT_REDRAW);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "Enter"), KEYS_ACT_REDRAW);
	assert_int_equal(keys_bound(t, KEYS_ACT_SEND, NULL, 0), 0);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "o"), KEYS_ACT_OPEN);
	keys_table_free(&t);
}

static void
test_sequence_prefix(void **state)
{
	struct keys_table *t = keys_table_new();
	char *cause = NULL;

	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x"), KEYS_ACT_PREFIX);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x C-e"), KEYS_ACT_EDITOR);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x C-f"), KEYS_ACT_NONE);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x C-e C-e"), KEYS_ACT_NONE);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "C-x"), KEYS_ACT_NONE);

	assert_int_equal(keys_bind(t, "scroll_top", "C-x g, C-x C-x", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_SELECT, "C-x"), KEYS_ACT_PREFIX);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x C-x"), KEYS_ACT_SCROLL_TOP);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x C-e"), KEYS_ACT_EDITOR);

	/* A key that starts sequences cannot also be bound alone. */
	assert_int_equal(keys_bind(t, "toggle_list", "C-x", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x"), KEYS_ACT_TOGGLE_LIST);
	assert_int_equal(keys_bound(t, KEYS_ACT_EDITOR, NULL, 0), 0);
	assert_int_equal(keys_bound(t, KEYS_ACT_SCROLL_TOP, NULL, 0), 0);
	assert_int_equal(keys_bind(t, "editor", "C-x C-e", &cause), 0);
	assert_int_equal(keys_bound(t, KEYS_ACT_TOGGLE_LIST, NULL, 0), 0);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-x"), KEYS_ACT_PREFIX);
	keys_table_free(&t);
}

static void
test_bind_errors_leave_table(void **state)
{
	static const struct {
		const char *action;
		const char *spec;
		const char *cause;
	} cases[] = {
		{"launch", "C-l", "unknown action \"launch\""},
		{"quit", "q", "\"q\" is typed text: bind quit to a key with C- or M-"},
		{"send", "Space", "\"Space\" is typed text: bind send to a key with C- or M-"},
		{"quit", "C-c, Hyper", "unknown key name \"Hyper\""},
		{"quit", "C-a, C-b, C-c, C-d, C-e, C-f, C-g, C-h, C-i",
		    "more than 8 keys for quit"},
	};
	struct keys_table *t = keys_table_new();

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *cause = NULL;

		assert_int_equal(keys_bind(t, cases[i].action, cases[i].spec, &cause), -1);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
	}
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-q"), KEYS_ACT_QUIT);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-c"), KEYS_ACT_NONE);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "C-a"), KEYS_ACT_LINE_START);
	keys_table_free(&t);
}

static void
test_comma_is_a_key(void **state)
{
	struct keys_table *t = keys_table_new();
	char *cause = NULL;

	assert_int_equal(keys_bind(t, "react", ",", &cause), 0);
	assert_int_equal(match(t, KEYS_MODE_SELECT, ","), KEYS_ACT_REACT);
	assert_int_equal(keys_bind(t, "word_left", "M-,,M-<", &cause), 0);
	assert_int_equal(keys_bound(t, KEYS_ACT_WORD_LEFT, NULL, 0), 2);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "M-,"), KEYS_ACT_WORD_LEFT);
	assert_int_equal(match(t, KEYS_MODE_COMPOSE, "M-<"), KEYS_ACT_WORD_LEFT);
	keys_table_free(&t);
}

/* What the terminal sends is what the config file names. */
static void
test_from_char_matches_syntax(void **state)
{
	static const struct {
		uint32_t ch;
		const char *spec;
	} cases[] = {
		{0x00, "C-Space"}, {0x08, "C-h"}, {0x09, "Tab"}, {0x0a, "Enter"},
		{0x0d, "Enter"}, {0x0b, "C-k"}, {0x1b, "Esc"}, {0x1c, "C-\\"},
		{0x1f, "C-_"}, {0x7f, "Backspace"}, {'a', "a"}, {'A', "A"},
		{0xe9, "\xc3\xa9"},
	};
	struct key key;

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		struct key_seq seq = parse(cases[i].spec);

		keys_from_char(cases[i].ch, &key);
		assert_int_equal(key.code, seq.keys[0].code);
		assert_int_equal(key.mods, seq.keys[0].mods);
	}
	for (char c = 'a'; c <= 'z'; c++) {
		char spec[] = {'C', '-', c, '\0'};
		struct key_seq seq = parse(spec);

		keys_from_char((uint32_t)(c - 'a' + 1), &key);
		assert_int_equal(key.code, seq.keys[0].code);
		assert_int_equal(key.mods, seq.keys[0].mods);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_syntax),
		cmocka_unit_test(test_parse_sequences),
		cmocka_unit_test(test_parse_errors_explain),
		cmocka_unit_test(test_action_table_sorted),
		cmocka_unit_test(test_defaults_all_bound),
		cmocka_unit_test(test_defaults_resolve_conflicts),
		cmocka_unit_test(test_rebind_replaces),
		cmocka_unit_test(test_conflict_newer_wins),
		cmocka_unit_test(test_sequence_prefix),
		cmocka_unit_test(test_bind_errors_leave_table),
		cmocka_unit_test(test_comma_is_a_key),
		cmocka_unit_test(test_from_char_matches_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
