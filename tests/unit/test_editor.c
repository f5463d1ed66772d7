#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/editor.h"
#include "natter/util.h"

#define E_ACUTE "e\u0301"				/* e + combining acute */
#define FAMILY "\U0001F468\u200D\U0001F469\u200D\U0001F467" /* 18 bytes, one cluster */
#define FLAG_FR "\U0001F1EB\U0001F1F7"
#define FLAG_DE "\U0001F1E9\U0001F1EA"
#define HEART "\u2764\uFE0F"

/* Sets the draft from s, '|' marking the cursor. */
static void
set(struct editor *ed, const char *s)
{
	const char *bar = strchr(s, '|');
	struct buf b = {0};

	assert_non_null(bar);
	buf_add(&b, s, (size_t)(bar - s));
	buf_puts(&b, bar + 1);
	editor_set_text(ed, b.data, b.len, NULL);
	editor_set_cursor(ed, (size_t)(bar - s));
	assert_int_equal(editor_cursor(ed), bar - s);
	buf_free(&b);
}

/* Asserts the draft is s, '|' marking the cursor. */
static void
check(const struct editor *ed, const char *s)
{
	struct buf b = {0};

	buf_add(&b, editor_text(ed), editor_cursor(ed));
	buf_putc(&b, '|');
	buf_puts(&b, editor_text(ed) + editor_cursor(ed));
	assert_string_equal(b.data, s);
	assert_int_equal(editor_len(ed), strlen(editor_text(ed)));
	buf_free(&b);
}

static void
act(struct editor *ed, enum editor_action a, int want)
{
	assert_int_equal(editor_do(ed, a, NULL), want);
}

static void
type(struct editor *ed, const char *s)
{
	assert_int_equal(editor_insert(ed, s, strlen(s), NULL), EDITOR_CHANGED);
}

static void
assert_mention(const struct editor *ed, size_t idx, size_t start, const char *text,
    const char *user_id)
{
	const struct editor_mention *m = editor_mention(ed, idx);

	assert_non_null(m);
	assert_int_equal(m->start, start);
	assert_int_equal(m->len, strlen(text));
	assert_memory_equal(editor_text(ed) + start, text, m->len);
	assert_string_equal(m->user_id, user_id);
}

static int
setup(void **state)
{
	*state = editor_new(NULL);
	return 0;
}

static int
teardown(void **state)
{
	struct editor *ed = *state;

	editor_free(&ed);
	assert_null(ed);
	return 0;
}

static void
test_ascii_insert_and_move(void **state)
{
	struct editor *ed = *state;

	check(ed, "|");
	act(ed, EDITOR_LEFT, EDITOR_UNCHANGED);
	type(ed, "hello");
	check(ed, "hello|");
	act(ed, EDITOR_RIGHT, EDITOR_UNCHANGED);
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	check(ed, "hel|lo");
	type(ed, "X");
	check(ed, "helX|lo");
	act(ed, EDITOR_DELETE, EDITOR_CHANGED);
	check(ed, "helX|o");
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "hel|o");
	act(ed, EDITOR_END, EDITOR_CHANGED);
	act(ed, EDITOR_DELETE, EDITOR_UNCHANGED);
	act(ed, EDITOR_HOME, EDITOR_CHANGED);
	act(ed, EDITOR_DELETE_BACK, EDITOR_UNCHANGED);
	check(ed, "|helo");
}

static void
test_accented_precomposed_and_combining(void **state)
{
	struct editor *ed = *state;

	set(ed, "caf|\u00e9 caf" E_ACUTE "!");
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	check(ed, "caf\u00e9| caf" E_ACUTE "!");
	act(ed, EDITOR_END, EDITOR_CHANGED);
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	check(ed, "caf\u00e9 caf" E_ACUTE "|!");
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	check(ed, "caf\u00e9 caf|" E_ACUTE "!");
	act(ed, EDITOR_DELETE, EDITOR_CHANGED);
	check(ed, "caf\u00e9 caf|!");
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	check(ed, "café| caf!");
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "caf| caf!");
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "ca| caf!");
}

static void
test_cjk(void **state)
{
	struct editor *ed = *state;

	type(ed, "日本語");
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	check(ed, "日本|語");
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "日|語");
	act(ed, EDITOR_DELETE, EDITOR_CHANGED);
	check(ed, "日|");
}

static void
test_emoji_zwj_and_flags(void **state)
{
	struct editor *ed = *state;

	set(ed, "|a" FAMILY FLAG_FR FLAG_DE HEART "b");
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	check(ed, "a" FAMILY "|" FLAG_FR FLAG_DE HEART "b");
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	check(ed, "a" FAMILY FLAG_FR "|" FLAG_DE HEART "b");
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	check(ed, "a" FAMILY FLAG_FR FLAG_DE HEART "|b");
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "a" FAMILY FLAG_FR FLAG_DE "|b");
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "a" FAMILY "|" FLAG_DE "b");
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "a|" FLAG_DE "b");
}

static void
test_cursor_never_inside_cluster(void **state)
{
	struct editor *ed = *state;

	editor_set_text(ed, "x" E_ACUTE FAMILY, strlen("x" E_ACUTE FAMILY), NULL);
	editor_set_cursor(ed, 2);
	check(ed, "x" E_ACUTE "|" FAMILY);
	editor_set_cursor(ed, 8);
	check(ed, "x" E_ACUTE FAMILY "|");
	/* A base typed before a lone combining mark joins it. */
	set(ed, "|\u0301z");
	type(ed, "e");
	check(ed, E_ACUTE "|z");
	/* Deleting what kept two clusters apart joins them. */
	set(ed, "e|\n\u0301");
	act(ed, EDITOR_DELETE, EDITOR_CHANGED);
	check(ed, E_ACUTE "|");
}

static void
test_home_end_multiline(void **state)
{
	struct editor *ed = *state;

	set(ed, "first\nsec|ond\nthird");
	act(ed, EDITOR_HOME, EDITOR_CHANGED);
	check(ed, "first\n|second\nthird");
	act(ed, EDITOR_HOME, EDITOR_UNCHANGED);
	act(ed, EDITOR_END, EDITOR_CHANGED);
	check(ed, "first\nsecond|\nthird");
	act(ed, EDITOR_END, EDITOR_UNCHANGED);
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	act(ed, EDITOR_END, EDITOR_CHANGED);
	check(ed, "first\nsecond\nthird|");
}

static void
test_line_up_down_keeps_column(void **state)
{
	struct editor *ed = *state;

	set(ed, "abcde|f\nab\nabcdef");
	act(ed, EDITOR_LINE_UP, EDITOR_UNCHANGED);
	act(ed, EDITOR_LINE_DOWN, EDITOR_CHANGED);
	check(ed, "abcdef\nab|\nabcdef");
	act(ed, EDITOR_LINE_DOWN, EDITOR_CHANGED);
	check(ed, "abcdef\nab\nabcde|f");
	act(ed, EDITOR_LINE_DOWN, EDITOR_UNCHANGED);
	/* Columns are cells: a CJK character is two. */
	set(ed, "ab|cd\n日本語");
	act(ed, EDITOR_LINE_DOWN, EDITOR_CHANGED);
	check(ed, "abcd\n日|本語");
}

static void
test_newline_and_paste_keep_newlines(void **state)
{
	struct editor *ed = *state;
	const char paste[] = "one\r\ntwo\rthree\n";

	type(ed, "a");
	act(ed, EDITOR_NEWLINE, EDITOR_CHANGED);
	check(ed, "a\n|");
	assert_int_equal(editor_paste(ed, paste, strlen(paste), NULL), EDITOR_CHANGED);
	check(ed, "a\none\ntwo\nthree\n|");
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	check(ed, "a\n|");
	/* A paste that comes in pieces, even between \r and \n, undoes whole. */
	assert_int_equal(editor_paste(ed, "x\r", 2, NULL), EDITOR_CHANGED);
	assert_int_equal(editor_paste(ed, "\n", 1, NULL), EDITOR_UNCHANGED);
	assert_int_equal(editor_paste(ed, "y\r", 2, NULL), EDITOR_CHANGED);
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	assert_int_equal(editor_paste(ed, "\n", 1, NULL), EDITOR_CHANGED);
	check(ed, "a\nx\ny\n|\n");
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	check(ed, "a\nx\ny|\n");
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	check(ed, "a\n|");
}

static void
test_paste_invalid_utf8_and_controls(void **state)
{
	struct editor *ed = *state;
	const char paste[] = "a\xff" "b\x1b[31mc\0d\te\xc2\x85" "f\x7f\xe6\x97";

	assert_int_equal(editor_paste(ed, paste, sizeof paste - 1, NULL), EDITOR_CHANGED);
	check(ed, "a\ufffdb[31mcd\tef\ufffd\ufffd|");
	assert_int_equal(editor_insert(ed, "\x01\x02", 2, NULL), EDITOR_UNCHANGED);
	check(ed, "a\ufffdb[31mcd\tef\ufffd\ufffd|");
}

static void
test_word_movement_punctuation(void **state)
{
	struct editor *ed = *state;

	set(ed, "|Hello, world! foo_bar d\u00e9j" E_ACUTE);
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "Hello|, world! foo_bar d\u00e9j" E_ACUTE);
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "Hello, world|! foo_bar d\u00e9j" E_ACUTE);
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "Hello, world! foo|_bar d\u00e9j" E_ACUTE);
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "Hello, world! foo_bar d\u00e9j" E_ACUTE "|");
	act(ed, EDITOR_WORD_RIGHT, EDITOR_UNCHANGED);
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	check(ed, "Hello, world! foo_bar |d\u00e9j" E_ACUTE);
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	check(ed, "Hello, world! foo_|bar d\u00e9j" E_ACUTE);
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	check(ed, "Hello, |world! foo_bar d\u00e9j" E_ACUTE);
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	act(ed, EDITOR_WORD_LEFT, EDITOR_UNCHANGED);
	check(ed, "|Hello, world! foo_bar d\u00e9j" E_ACUTE);
}

static void
test_word_movement_cjk_and_emoji(void **state)
{
	struct editor *ed = *state;

	set(ed, "|日本語のテキストです");
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "日本語|のテキストです");
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "日本語の|テキストです");
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "日本語のテキスト|です");
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	check(ed, "日本語の|テキストです");
	set(ed, "hi| " FAMILY " there\nnext");
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "hi " FAMILY " there|\nnext");
	act(ed, EDITOR_WORD_RIGHT, EDITOR_CHANGED);
	check(ed, "hi " FAMILY " there\nnext|");
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	act(ed, EDITOR_WORD_LEFT, EDITOR_CHANGED);
	check(ed, "hi " FAMILY " |there\nnext");
}

static void
test_kill_line_and_yank(void **state)
{
	struct editor *ed = *state;

	set(ed, "ab|c d\nef");
	act(ed, EDITOR_KILL_LINE, EDITOR_CHANGED);
	check(ed, "ab|\nef");
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "abc d|\nef");
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "abc dc d|\nef");
	set(ed, "abc d|\nef");
	act(ed, EDITOR_KILL_LINE, EDITOR_CHANGED);
	check(ed, "abc d|ef");
	act(ed, EDITOR_END, EDITOR_CHANGED);
	act(ed, EDITOR_KILL_LINE, EDITOR_UNCHANGED);
}

static void
test_kill_line_start(void **state)
{
	struct editor *ed = *state;

	set(ed, "one\ntwo |three");
	act(ed, EDITOR_KILL_LINE_START, EDITOR_CHANGED);
	check(ed, "one\n|three");
	act(ed, EDITOR_KILL_LINE_START, EDITOR_CHANGED);
	check(ed, "one|three");
	act(ed, EDITOR_KILL_LINE_START, EDITOR_CHANGED);
	check(ed, "|three");
	act(ed, EDITOR_KILL_LINE_START, EDITOR_UNCHANGED);
	/* Three backward kills in a row: one ring entry, in text order. */
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "one\ntwo |three");
}

static void
test_kill_ring_appends_consecutive_kills(void **state)
{
	struct editor *ed = *state;

	set(ed, "one two three|");
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	check(ed, "one |");
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "one two three|");
	set(ed, "|alpha beta. gamma");
	act(ed, EDITOR_KILL_WORD, EDITOR_CHANGED);
	act(ed, EDITOR_KILL_WORD, EDITOR_CHANGED);
	act(ed, EDITOR_KILL_LINE, EDITOR_CHANGED);
	check(ed, "|");
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "alpha beta. gamma|");
}

static void
test_kill_after_move_is_new_entry_and_yank_pop(void **state)
{
	struct editor *ed = *state;

	set(ed, "one two three|");
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	act(ed, EDITOR_LEFT, EDITOR_CHANGED);
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	check(ed, "one | ");
	act(ed, EDITOR_YANK_POP, EDITOR_UNCHANGED);
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "one two| ");
	act(ed, EDITOR_YANK_POP, EDITOR_CHANGED);
	check(ed, "one three| ");
	act(ed, EDITOR_YANK_POP, EDITOR_CHANGED);
	check(ed, "one two| ");
	act(ed, EDITOR_RIGHT, EDITOR_CHANGED);
	act(ed, EDITOR_YANK_POP, EDITOR_UNCHANGED);
}

static void
test_kill_word_back_whitespace_vs_alnum(void **state)
{
	struct editor *ed = *state;

	set(ed, "see https://example.org/a-b|");
	act(ed, EDITOR_KILL_ALNUM_BACK, EDITOR_CHANGED);
	check(ed, "see https://example.org/a-|");
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	check(ed, "see |");
	set(ed, "日本語の|テキスト");
	act(ed, EDITOR_KILL_ALNUM_BACK, EDITOR_CHANGED);
	check(ed, "日本語|テキスト");
	act(ed, EDITOR_KILL_WORD, EDITOR_CHANGED);
	check(ed, "日本語|");
}

static void
test_transpose(void **state)
{
	struct editor *ed = *state;

	set(ed, "ab|cd");
	act(ed, EDITOR_TRANSPOSE, EDITOR_CHANGED);
	check(ed, "acb|d");
	act(ed, EDITOR_END, EDITOR_CHANGED);
	act(ed, EDITOR_TRANSPOSE, EDITOR_CHANGED);
	check(ed, "acdb|");
	set(ed, "x" FAMILY "|" E_ACUTE);
	act(ed, EDITOR_TRANSPOSE, EDITOR_CHANGED);
	check(ed, "x" E_ACUTE FAMILY "|");
	set(ed, "a\n|b");
	act(ed, EDITOR_TRANSPOSE, EDITOR_UNCHANGED);
}

static void
test_undo(void **state)
{
	struct editor *ed = *state;

	type(ed, "h");
	type(ed, "i");
	type(ed, " ");
	type(ed, "y");
	type(ed, "o");
	check(ed, "hi yo|");
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	check(ed, "hi |");
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "h|");
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	check(ed, "hi |");
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	check(ed, "|");
	act(ed, EDITOR_UNDO, EDITOR_UNCHANGED);
}

static void
test_size_cap(void **state)
{
	struct editor *ed = *state;
	char *big = xmalloc(EDITOR_MAX_LEN + 1);
	char *cause = NULL;

	memset(big, 'x', EDITOR_MAX_LEN + 1);
	assert_int_equal(editor_paste(ed, big, EDITOR_MAX_LEN - 1, NULL), EDITOR_CHANGED);
	assert_int_equal(editor_insert(ed, "ab", 2, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "64 KiB"));
	assert_int_equal(editor_len(ed), EDITOR_MAX_LEN - 1);
	type(ed, "a");
	assert_int_equal(editor_len(ed), EDITOR_MAX_LEN);
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	assert_int_equal(editor_paste(ed, big, EDITOR_MAX_LEN, NULL), EDITOR_CHANGED);
	assert_int_equal(editor_do(ed, EDITOR_YANK, &cause), -1);
	assert_int_equal(editor_do(ed, EDITOR_NEWLINE, &cause), -1);
	assert_int_equal(editor_len(ed), EDITOR_MAX_LEN);
	big[0] = 'y';
	assert_int_equal(editor_set_text(ed, big, EDITOR_MAX_LEN, NULL), EDITOR_CHANGED);
	assert_int_equal(editor_text(ed)[0], 'y');
	assert_int_equal(editor_insert(ed, "\xe6\x97\xa5", 3, NULL), -1);
	assert_int_equal(editor_set_text(ed, big, EDITOR_MAX_LEN + 1, &cause), -1);
	assert_int_equal(editor_len(ed), EDITOR_MAX_LEN);
	free(big);
	free(cause);
}

struct history_fixture {
	struct editor *ed;
	struct editor_history *h;
};

static void
send(struct editor *ed, struct editor_history *h, const char *text)
{
	editor_set_text(ed, text, strlen(text), NULL);
	editor_history_push(h, ed);
	editor_clear(ed);
}

static void
test_history_browse_restores_draft(void **state)
{
	struct editor *ed = *state;
	struct editor_history *h = editor_history_new();

	send(ed, h, "one");
	send(ed, h, "two\nlines");
	send(ed, h, "two\nlines");
	send(ed, h, "   ");
	send(ed, h, "three");
	set(ed, "dra|ft");
	assert_int_equal(editor_up(ed, h), EDITOR_CHANGED);
	check(ed, "three|");
	assert_int_equal(editor_up(ed, h), EDITOR_CHANGED);
	check(ed, "two\nlines|");
	assert_int_equal(editor_up(ed, h), EDITOR_CHANGED);
	check(ed, "two|\nlines");
	assert_int_equal(editor_up(ed, h), EDITOR_CHANGED);
	check(ed, "one|");
	assert_int_equal(editor_up(ed, h), EDITOR_UNCHANGED);
	assert_int_equal(editor_down(ed, h), EDITOR_CHANGED);
	check(ed, "two\nlines|");
	assert_int_equal(editor_down(ed, h), EDITOR_CHANGED);
	check(ed, "three|");
	assert_int_equal(editor_down(ed, h), EDITOR_CHANGED);
	check(ed, "dra|ft");
	assert_int_equal(editor_down(ed, h), EDITOR_UNCHANGED);
	editor_history_free(&h);
	assert_null(h);
}

static void
test_history_cap(void **state)
{
	struct editor *ed = *state;
	struct editor_history *h = editor_history_new();
	char line[32];
	int i;

	for (i = 0; i < EDITOR_HISTORY_MAX + 50; i++) {
		snprintf(line, sizeof line, "line %d", i);
		send(ed, h, line);
	}
	for (i = 0; i < EDITOR_HISTORY_MAX; i++)
		assert_int_equal(editor_history_prev(h, ed), EDITOR_CHANGED);
	assert_int_equal(editor_history_prev(h, ed), EDITOR_UNCHANGED);
	check(ed, "line 50|");
	editor_history_free(&h);
}

static void
test_up_on_empty_line(void **state)
{
	struct editor *ed = *state;
	struct editor_history *h = editor_history_new();

	assert_int_equal(editor_up(ed, h), EDITOR_UP_EMPTY);
	send(ed, h, "sent");
	assert_int_equal(editor_up(ed, h), EDITOR_UP_EMPTY);
	check(ed, "|");
	/* The UI had no message to edit: it browses instead. */
	assert_int_equal(editor_history_prev(h, ed), EDITOR_CHANGED);
	check(ed, "sent|");
	act(ed, EDITOR_KILL_LINE_START, EDITOR_CHANGED);
	assert_int_equal(editor_up(ed, h), EDITOR_UNCHANGED);
	assert_int_equal(editor_down(ed, h), EDITOR_CHANGED);
	check(ed, "|");
	/* A multi-line draft moves between its lines first. */
	set(ed, "a\nb|");
	assert_int_equal(editor_up(ed, h), EDITOR_CHANGED);
	check(ed, "a|\nb");
	assert_int_equal(editor_up(ed, h), EDITOR_CHANGED);
	check(ed, "sent|");
	editor_history_free(&h);
}

struct member {
	const char *name;
	const char *user_id;
};

static const struct member members[] = {
	{"Alice", "@alice:example.org"},
	{"Alan Turing", "@alan:example.org"},
	{"Bob", "@bob:example.org"},
	{"Zo\u00eb", "@zoe:example.org"},
	{"Eve\nEvil", "@eve:example.org"},
};

static const char *const commands[] = {"join", "invite", "jump", "me"};

struct provider {
	int calls;
	enum editor_complete_kind kind;
	char prefix[64];
};

static void
provide(void *arg, enum editor_complete_kind kind, const char *prefix,
    struct editor_candidates *out)
{
	struct provider *p = arg;
	size_t i;

	p->calls++;
	p->kind = kind;
	snprintf(p->prefix, sizeof p->prefix, "%s", prefix);
	if (kind == EDITOR_COMPLETE_COMMAND) {
		for (i = 0; i < NT_NELEMS(commands); i++)
			editor_candidates_add(out, commands[i], NULL);
		return;
	}
	for (i = 0; i < NT_NELEMS(members); i++)
		editor_candidates_add(out, members[i].name, members[i].user_id);
	editor_candidates_add(out, "Alice", "@alice:example.org");
}

static int
tab(struct editor *ed, struct provider *p, int dir)
{
	return editor_complete(ed, dir, provide, p, NULL);
}

static void
test_complete_members_cycle(void **state)
{
	struct editor *ed = *state;
	struct provider p = {0};

	type(ed, "AL");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	assert_int_equal(p.kind, EDITOR_COMPLETE_MEMBER);
	assert_string_equal(p.prefix, "AL");
	check(ed, "Alice: |");
	assert_int_equal(editor_mention_count(ed), 1);
	assert_mention(ed, 0, 0, "Alice", "@alice:example.org");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	check(ed, "Alan Turing: |");
	assert_mention(ed, 0, 0, "Alan Turing", "@alan:example.org");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	check(ed, "Alice: |");
	assert_int_equal(tab(ed, &p, -1), EDITOR_CHANGED);
	check(ed, "Alan Turing: |");
	assert_int_equal(editor_mention_count(ed), 1);
	assert_int_equal(p.calls, 1);
	type(ed, "hi");
	check(ed, "Alan Turing: hi|");
	assert_int_equal(editor_mention_count(ed), 1);
}

static void
test_complete_mid_message_user_id_accents(void **state)
{
	struct editor *ed = *state;
	struct provider p = {0};

	set(ed, "thanks @bo| there");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	assert_string_equal(p.prefix, "bo");
	check(ed, "thanks Bob| there");
	assert_mention(ed, 0, 7, "Bob", "@bob:example.org");
	set(ed, "and zoe|");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	check(ed, "and Zo\u00eb |");
	assert_mention(ed, 0, 4, "Zo\u00eb", "@zoe:example.org");
	set(ed, "cc @alan:ex|");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	check(ed, "cc Alan Turing |");
	set(ed, "@eve|");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	check(ed, "Eve Evil: |");
	set(ed, "cc @|");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	assert_string_equal(p.prefix, "");
	check(ed, "cc Alice |");
	assert_int_equal(tab(ed, &p, -1), EDITOR_CHANGED);
	check(ed, "cc Eve Evil |");
	set(ed, "nobody|");
	assert_int_equal(tab(ed, &p, 1), EDITOR_UNCHANGED);
	check(ed, "nobody|");
	set(ed, "space |");
	assert_int_equal(tab(ed, &p, 1), EDITOR_UNCHANGED);
}

static void
test_complete_commands(void **state)
{
	struct editor *ed = *state;
	struct provider p = {0};

	type(ed, "/J");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	assert_int_equal(p.kind, EDITOR_COMPLETE_COMMAND);
	assert_string_equal(p.prefix, "J");
	check(ed, "/join |");
	assert_int_equal(editor_mention_count(ed), 0);
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	check(ed, "/jump |");
	assert_int_equal(tab(ed, &p, 1), EDITOR_CHANGED);
	check(ed, "/join |");
	/* A slash further on is no command. */
	set(ed, "say /jo|");
	assert_int_equal(tab(ed, &p, 1), EDITOR_UNCHANGED);
	assert_int_equal(p.kind, EDITOR_COMPLETE_MEMBER);
	check(ed, "say /jo|");
}

static void
test_mention_survives_edits_elsewhere(void **state)
{
	struct editor *ed = *state;
	struct provider p = {0};

	set(ed, "hi bo|");
	tab(ed, &p, 1);
	type(ed, "and you");
	check(ed, "hi Bob and you|");
	act(ed, EDITOR_HOME, EDITOR_CHANGED);
	type(ed, "oh, ");
	assert_mention(ed, 0, 7, "Bob", "@bob:example.org");
	act(ed, EDITOR_KILL_WORD, EDITOR_CHANGED);
	check(ed, "oh, | Bob and you");
	assert_mention(ed, 0, 5, "Bob", "@bob:example.org");
	act(ed, EDITOR_END, EDITOR_CHANGED);
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	type(ed, "!");
	check(ed, "oh,  Bob and!|");
	assert_mention(ed, 0, 5, "Bob", "@bob:example.org");
	/* Killed and yanked back, the pill comes with its text. */
	act(ed, EDITOR_HOME, EDITOR_CHANGED);
	act(ed, EDITOR_KILL_LINE, EDITOR_CHANGED);
	assert_int_equal(editor_mention_count(ed), 0);
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	assert_int_equal(editor_mention_count(ed), 2);
	assert_mention(ed, 1, 18, "Bob", "@bob:example.org");
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	assert_int_equal(editor_mention_count(ed), 1);
}

static void
test_mention_dropped_when_its_text_changes(void **state)
{
	struct editor *ed = *state;
	struct provider p = {0};

	set(ed, "hi bo|");
	tab(ed, &p, 1);
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	check(ed, "hi Bob|");
	assert_int_equal(editor_mention_count(ed), 1);
	act(ed, EDITOR_DELETE_BACK, EDITOR_CHANGED);
	assert_int_equal(editor_mention_count(ed), 0);
	act(ed, EDITOR_UNDO, EDITOR_CHANGED);
	check(ed, "hi Bob |");
	assert_int_equal(editor_mention_count(ed), 1);
	editor_set_cursor(ed, 4);
	type(ed, "x");
	assert_int_equal(editor_mention_count(ed), 0);
	/* A combining mark typed after the name changes its last letter. */
	set(ed, "hi bo|");
	tab(ed, &p, 1);
	editor_set_cursor(ed, 6);
	type(ed, "\u0301");
	check(ed, "hi Bo" "b\u0301|" " ");
	assert_int_equal(editor_mention_count(ed), 0);
}

static void
test_set_text_and_external_keep_mentions(void **state)
{
	struct editor *ed = *state;
	const char edited[] = "Alice: hello there\n";
	char *cause = NULL;

	editor_set_text(ed, "Alice: hi", 9, NULL);
	assert_int_equal(editor_mention_add(ed, 0, 5, "@alice:example.org", NULL), 0);
	assert_int_equal(editor_mention_add(ed, 1, 3, "@x:example.org", &cause), -1);
	assert_non_null(cause);
	assert_int_equal(editor_mention_add(ed, 0, 20, "@x:example.org", NULL), -1);
	assert_int_equal(editor_set_external(ed, edited, strlen(edited), NULL), EDITOR_CHANGED);
	check(ed, "Alice: hello there|");
	assert_mention(ed, 0, 0, "Alice", "@alice:example.org");
	assert_int_equal(editor_set_text(ed, "Alicia: yo", 10, NULL), EDITOR_CHANGED);
	assert_int_equal(editor_mention_count(ed), 0);
	assert_int_equal(editor_clear(ed), EDITOR_CHANGED);
	assert_int_equal(editor_clear(ed), EDITOR_UNCHANGED);
	free(cause);
}

static void
test_history_keeps_mentions(void **state)
{
	struct editor *ed = *state;
	struct editor_history *h = editor_history_new();
	struct provider p = {0};

	set(ed, "thanks bo|");
	tab(ed, &p, 1);
	editor_history_push(h, ed);
	editor_clear(ed);
	assert_int_equal(editor_mention_count(ed), 0);
	assert_int_equal(editor_history_prev(h, ed), EDITOR_CHANGED);
	check(ed, "thanks Bob |");
	assert_mention(ed, 0, 7, "Bob", "@bob:example.org");
	editor_history_free(&h);
}

/* What the UI saves of a draft at exit gives the same draft back. */
static void
test_draft_restored_after_restart(void **state)
{
	struct editor *ed = *state, *again = editor_new(NULL);
	struct provider p = {0};
	const struct editor_mention *m;

	set(ed, "bo|");
	tab(ed, &p, 1);
	type(ed, "see " E_ACUTE "\nthis");
	editor_set_cursor(ed, 11);
	m = editor_mention(ed, 0);
	editor_set_text(again, editor_text(ed), editor_len(ed), NULL);
	assert_int_equal(editor_mention_add(again, m->start, m->len, m->user_id, NULL), 0);
	editor_set_cursor(again, editor_cursor(ed));
	check(again, "Bob: see " E_ACUTE "|\nthis");
	assert_mention(again, 0, 0, "Bob", "@bob:example.org");
	editor_free(&again);
}

static void
test_shared_kill_ring(void **state)
{
	struct editor_killring *ring = editor_killring_new();
	struct editor *a = editor_new(ring), *b = editor_new(ring);

	set(a, "keep this|");
	act(a, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	act(b, EDITOR_YANK, EDITOR_CHANGED);
	check(b, "this|");
	/* A kill in another room is not joined to a's. */
	act(b, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	act(a, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	act(a, EDITOR_YANK, EDITOR_CHANGED);
	check(a, "keep |");
	editor_free(&a);
	act(b, EDITOR_YANK, EDITOR_CHANGED);
	check(b, "keep |");
	editor_free(&b);
	editor_killring_free(&ring);
	assert_null(ring);
}

/* A copied message is the newest kill; the kill before it is one M-y away. */
static void
test_killring_add(void **state)
{
	struct editor_killring *ring = editor_killring_new();
	struct editor *ed = editor_new(ring);

	set(ed, "old words|");
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	editor_killring_add(ring, "copied text", strlen("copied text"));
	act(ed, EDITOR_KILL_WORD_BACK, EDITOR_CHANGED);
	check(ed, "|");
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "old |");
	editor_clear(ed);
	editor_killring_add(ring, "copied text", strlen("copied text"));
	act(ed, EDITOR_YANK, EDITOR_CHANGED);
	check(ed, "copied text|");
	act(ed, EDITOR_YANK_POP, EDITOR_CHANGED);
	check(ed, "old |");
	editor_free(&ed);
	editor_killring_free(&ring);
}

static int
cells(const char *s, int col)
{
	int w;

	assert_int_equal(editor_cluster_next(s, strlen(s), 0, col, &w), strlen(s));
	return w;
}

static void
test_cluster_cells(void **state)
{
	assert_int_equal(cells("a", 0), 1);
	assert_int_equal(cells("\u00e9", 0), 1);
	assert_int_equal(cells(E_ACUTE, 0), 1);
	assert_int_equal(cells("日", 0), 2);
	assert_int_equal(cells(FAMILY, 0), 2);
	assert_int_equal(cells(FLAG_FR, 0), 2);
	assert_int_equal(cells(HEART, 0), 2);
	assert_int_equal(cells("\u2764", 0), 1);
	assert_int_equal(cells("1\uFE0F\u20E3", 0), 2);
	assert_int_equal(cells("\u200B", 0), 1);
	assert_int_equal(cells("\t", 3), 5);
	assert_int_equal(cells("\t", 8), 8);
}

static void
assert_row(const struct editor *ed, const struct editor_row *row, const char *text, int c)
{
	assert_int_equal(row->len, strlen(text));
	assert_memory_equal(editor_text(ed) + row->start, text, row->len);
	assert_int_equal(row->cells, c);
}

static void
test_layout_wraps_words_and_wide_characters(void **state)
{
	struct editor *ed = *state;
	struct editor_row *rows;
	int row, col;
	size_t n;

	set(ed, "hello world| foo\n日本語日本語");
	editor_set_width(ed, 12);
	n = editor_layout(ed, &rows, &row, &col);
	assert_int_equal(n, 3);
	assert_row(ed, &rows[0], "hello world ", 12);
	assert_row(ed, &rows[1], "foo", 3);
	assert_row(ed, &rows[2], "日本語日本語", 12);
	assert_int_equal(row, 0);
	assert_int_equal(col, 11);
	free(rows);
	editor_set_width(ed, 7);
	n = editor_layout(ed, &rows, &row, &col);
	assert_int_equal(n, 5);
	assert_row(ed, &rows[0], "hello ", 6);
	assert_row(ed, &rows[1], "world ", 6);
	assert_row(ed, &rows[2], "foo", 3);
	assert_row(ed, &rows[3], "日本語", 6);
	assert_int_equal(row, 1);
	assert_int_equal(col, 5);
	free(rows);
	act(ed, EDITOR_LINE_DOWN, EDITOR_CHANGED);
	check(ed, "hello world foo|\n日本語日本語");
	act(ed, EDITOR_LINE_DOWN, EDITOR_CHANGED);
	check(ed, "hello world foo\n日本|語日本語");
	act(ed, EDITOR_LINE_UP, EDITOR_CHANGED);
	act(ed, EDITOR_LINE_UP, EDITOR_CHANGED);
	check(ed, "hello world| foo\n日本語日本語");
}

static void
test_layout_cursor_after_full_row(void **state)
{
	struct editor *ed = *state;
	struct editor_row *rows;
	int row, col;
	size_t n;

	n = editor_layout(ed, &rows, &row, &col);
	assert_int_equal(n, 1);
	assert_int_equal(row, 0);
	assert_int_equal(col, 0);
	free(rows);
	set(ed, "abcd\tx|");
	editor_set_width(ed, 4);
	n = editor_layout(ed, &rows, &row, &col);
	assert_int_equal(n, 3);
	assert_row(ed, &rows[0], "abcd", 4);
	assert_row(ed, &rows[1], "\t", 4);
	assert_row(ed, &rows[2], "x", 1);
	assert_int_equal(row, 2);
	assert_int_equal(col, 1);
	free(rows);
	set(ed, "abcd|\nx");
	n = editor_layout(ed, &rows, &row, &col);
	assert_int_equal(n, 3);
	assert_row(ed, &rows[1], "", 0);
	assert_int_equal(row, 1);
	assert_int_equal(col, 0);
	free(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ascii_insert_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accented_precomposed_and_combining, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cjk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emoji_zwj_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_never_inside_cluster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_end_multiline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_up_down_keeps_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_and_paste_keep_newlines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paste_invalid_utf8_and_controls, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_word_movement_punctuation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_word_movement_cjk_and_emoji, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_line_and_yank, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_line_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_ring_appends_consecutive_kills, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kill_after_move_is_new_entry_and_yank_pop,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_word_back_whitespace_vs_alnum, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transpose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_browse_restores_draft, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_up_on_empty_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_members_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_mid_message_user_id_accents, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_complete_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mention_survives_edits_elsewhere, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mention_dropped_when_its_text_changes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_set_text_and_external_keep_mentions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history_keeps_mentions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draft_restored_after_restart, setup,
		    teardown),
		cmocka_unit_test(test_shared_kill_ring),
		cmocka_unit_test(test_killring_add),
		cmocka_unit_test(test_cluster_cells),
		cmocka_unit_test_setup_teardown(test_layout_wraps_words_and_wide_characters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_layout_cursor_after_full_row, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
