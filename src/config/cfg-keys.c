/* Key bindings: the sorted action table, the key syntax ("C-x C-e",
 * "M-Enter") and the table that maps sequences to actions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "natter/keys.h"
#include "natter/util.h"

#define KEYS_ALTERNATIVES_MAX 8

#define C KEYS_MODE_COMPOSE
#define S KEYS_MODE_SELECT
#define A KEYS_MODE_ANY

/* Sorted by name for bsearch, and in the order of enum keys_action. */
static const struct keys_action_info keys_actions[] = {
	{"backspace", KEYS_ACT_BACKSPACE, C, "Backspace, C-h",
	    "delete the character before the cursor"},
	{"cancel", KEYS_ACT_CANCEL, A, "Esc", "leave select mode, drop a reply or edit"},
	{"char_left", KEYS_ACT_CHAR_LEFT, C, "C-b, Left", "move the cursor left"},
	{"char_right", KEYS_ACT_CHAR_RIGHT, C, "Right", "move the cursor right"},
	{"complete", KEYS_ACT_COMPLETE, C, "Tab", "complete a name, room or command"},
	{"copy", KEYS_ACT_COPY, S, "c", "copy the selected message"},
	{"delete", KEYS_ACT_DELETE, S, "d", "delete (redact) the selected message"},
	{"delete_char", KEYS_ACT_DELETE_CHAR, C, "Del, C-d",
	    "delete the character under the cursor"},
	{"edit", KEYS_ACT_EDIT, S, "e", "edit the selected message"},
	{"editor", KEYS_ACT_EDITOR, C, "C-x C-e", "compose in $VISUAL or $EDITOR"},
	{"flag", KEYS_ACT_FLAG, S, "f",
	    "flag (or unflag) your selected message as waiting for an answer"},
	{"fold_space", KEYS_ACT_FOLD_SPACE, A, "M-c",
	    "fold or unfold the space the room in view is listed under"},
	{"history_next", KEYS_ACT_HISTORY_NEXT, C, "Down", "the next line typed"},
	{"history_prev", KEYS_ACT_HISTORY_PREV, C, "Up", "the previous line typed"},
	{"invite_accept", KEYS_ACT_INVITE_ACCEPT, A, "M-j",
	    "accept the invitation to the room in view"},
	{"invite_decline", KEYS_ACT_INVITE_DECLINE, A, "M-r",
	    "decline the invitation to the room in view"},
	{"jump_unread", KEYS_ACT_JUMP_UNREAD, A, "M-u", "jump to the first unread message"},
	{"kill_line_end", KEYS_ACT_KILL_LINE_END, C, "", "cut to the end of the line"},
	{"kill_line_start", KEYS_ACT_KILL_LINE_START, C, "C-u", "cut to the start of the line"},
	{"kill_word", KEYS_ACT_KILL_WORD, C, "C-w", "cut the word before the cursor"},
	{"line_end", KEYS_ACT_LINE_END, C, "C-e, End", "move to the end of the line"},
	{"line_start", KEYS_ACT_LINE_START, C, "C-a, Home", "move to the start of the line"},
	{"mark", KEYS_ACT_MARK, S, "m", "start or clear a marked range of messages (for /export)"},
	{"newline", KEYS_ACT_NEWLINE, C, "M-Enter", "start a new line in the message"},
	{"open", KEYS_ACT_OPEN, S, "o, Enter",
	    "open the link or attachment of the selected message"},
	{"quit", KEYS_ACT_QUIT, A, "C-q", "quit natter"},
	{"react", KEYS_ACT_REACT, S, "+", "react to the selected message"},
	{"redraw", KEYS_ACT_REDRAW, A, "C-l", "redraw the screen"},
	{"remind", KEYS_ACT_REMIND, S, "a", "remind me of the selected message at a time"},
	{"remind_done", KEYS_ACT_REMIND_DONE, S, "x",
	    "the reminder of the selected message is done"},
	{"reply", KEYS_ACT_REPLY, S, "r", "reply to the selected message"},
	{"room_1", KEYS_ACT_ROOM_1, A, "M-1", "go to room 1 of the list"},
	{"room_2", KEYS_ACT_ROOM_2, A, "M-2", "go to room 2 of the list"},
	{"room_3", KEYS_ACT_ROOM_3, A, "M-3", "go to room 3 of the list"},
	{"room_4", KEYS_ACT_ROOM_4, A, "M-4", "go to room 4 of the list"},
	{"room_5", KEYS_ACT_ROOM_5, A, "M-5", "go to room 5 of the list"},
	{"room_6", KEYS_ACT_ROOM_6, A, "M-6", "go to room 6 of the list"},
	{"room_7", KEYS_ACT_ROOM_7, A, "M-7", "go to room 7 of the list"},
	{"room_8", KEYS_ACT_ROOM_8, A, "M-8", "go to room 8 of the list"},
	{"room_9", KEYS_ACT_ROOM_9, A, "M-9", "go to room 9 of the list"},
	{"room_next", KEYS_ACT_ROOM_NEXT, A, "M-Down, C-n", "go to the next room"},
	{"room_next_active", KEYS_ACT_ROOM_NEXT_ACTIVE, A, "M-a",
	    "go to the next room with unread messages"},
	{"room_prev", KEYS_ACT_ROOM_PREV, A, "M-Up, C-p", "go to the previous room"},
	{"room_switcher", KEYS_ACT_ROOM_SWITCHER, A, "C-k",
	    "find a room by typing part of its name"},
	{"scroll_bottom", KEYS_ACT_SCROLL_BOTTOM, A, "M-End", "scroll to the newest message"},
	{"scroll_down", KEYS_ACT_SCROLL_DOWN, A, "PgDn", "scroll down a page"},
	{"scroll_top", KEYS_ACT_SCROLL_TOP, A, "M-Home", "scroll to the oldest message"},
	{"scroll_up", KEYS_ACT_SCROLL_UP, A, "PgUp", "scroll up a page"},
	{"search", KEYS_ACT_SEARCH, A, "C-f", "search the messages"},
	{"search_next", KEYS_ACT_SEARCH_NEXT, S, "n", "go to the next search result"},
	{"search_prev", KEYS_ACT_SEARCH_PREV, S, "N", "go to the previous search result"},
	{"select_mode", KEYS_ACT_SELECT_MODE, A, "M-s", "enter or leave select mode"},
	{"select_next", KEYS_ACT_SELECT_NEXT, S, "Down, j", "select the next message"},
	{"select_prev", KEYS_ACT_SELECT_PREV, S, "Up, k", "select the previous message"},
	{"send", KEYS_ACT_SEND, C, "Enter", "send the message"},
	{"snooze", KEYS_ACT_SNOOZE, S, "z", "remind me of the selected message again later"},
	{"thread", KEYS_ACT_THREAD, S, "t", "open the thread of the selected message"},
	{"toggle_list", KEYS_ACT_TOGGLE_LIST, A, "M-l", "show or hide the room list"},
	{"word_left", KEYS_ACT_WORD_LEFT, C, "M-b, C-Left", "move a word left"},
	{"word_right", KEYS_ACT_WORD_RIGHT, C, "M-f, C-Right", "move a word right"},
	{"yank", KEYS_ACT_YANK, C, "C-y", "paste what was cut last"},
};

#undef C
#undef S
#undef A

/* Names of the named keys, canonical first, indexed by code. */
static const char *const keys_code_names[] = {
	"Enter", "Tab", "BTab", "Esc", "Backspace", "Up", "Down", "Left", "Right",
	"Home", "End", "PgUp", "PgDn", "Ins", "Del",
};

struct keys_name {
	const char *name;
	uint32_t code;
};

/* Every spelling accepted, sorted case-insensitively for bsearch. */
static const struct keys_name keys_names[] = {
	{"Backspace", KEYS_BACKSPACE}, {"BTab", KEYS_BTAB}, {"Del", KEYS_DEL},
	{"Delete", KEYS_DEL}, {"Down", KEYS_DOWN}, {"End", KEYS_END},
	{"Enter", KEYS_ENTER}, {"Esc", KEYS_ESC}, {"Escape", KEYS_ESC},
	{"Home", KEYS_HOME}, {"Ins", KEYS_INS}, {"Insert", KEYS_INS},
	{"Left", KEYS_LEFT}, {"PageDown", KEYS_PGDN}, {"PageUp", KEYS_PGUP},
	{"PgDn", KEYS_PGDN}, {"PgUp", KEYS_PGUP}, {"Return", KEYS_ENTER},
	{"Right", KEYS_RIGHT}, {"S-Tab", KEYS_BTAB}, {"Space", ' '},
	{"Tab", KEYS_TAB}, {"Up", KEYS_UP},
};

struct keys_binding {
	enum keys_action action;
	struct key_seq seq;
};

struct keys_table {
	struct keys_binding *list;
	size_t n;
	size_t cap;
};

static int
keys_action_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keys_action_info *)elem)->name);
}

const struct keys_action_info *
keys_action_find(const char *name)
{
	return bsearch(name, keys_actions, NT_NELEMS(keys_actions), sizeof keys_actions[0],
	    keys_action_cmp);
}

const struct keys_action_info *
keys_action_info(enum keys_action action)
{
	return &keys_actions[action];
}

static int
keys_name_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct keys_name *)elem)->name);
}

/* A key without modifiers: one character, a name or F1-F12. */
static int
keys_parse_base(const char *s, uint32_t *code, char **cause)
{
	const struct keys_name *name;
	utf8proc_int32_t cp;
	utf8proc_ssize_t len;
	int64_t n;

	len = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp);
	if (len > 0 && s[len] == '\0') {
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return cause_set(cause, "a control character is not a key: use C-x");
		*code = (uint32_t)cp;
		return 0;
	}
	name = bsearch(s, keys_names, NT_NELEMS(keys_names), sizeof keys_names[0],
	    keys_name_cmp);
	if (name != NULL) {
		*code = name->code;
		return 0;
	}
	if ((s[0] == 'F' || s[0] == 'f') && isdigit((unsigned char)s[1]) &&
	    nt_parse_int64(s + 1, &n) == 0 && n >= 1 && n <= 12) {
		*code = KEYS_F(n);
		return 0;
	}
	return cause_set(cause, "unknown key name \"%s\"", s);
}

/* Ctrl goes with what a terminal can send: a letter, Space, @ [ \ ] ^ _
 * ? and the cursor, editing and function keys. */
static int
keys_apply_ctrl(struct key *key, const char *tok, char **cause)
{
	uint32_t c = key->code;

	if (c < 0x80 && isalpha((int)c))
		c = (uint32_t)tolower((int)c);
	switch (c) {
	case 'i': key->code = KEYS_TAB; break;
	case 'j': case 'm': key->code = KEYS_ENTER; break;
	case '[': key->code = KEYS_ESC; break;
	case '?': key->code = KEYS_BACKSPACE; break;
	case '@': key->code = ' '; key->mods |= KEYS_CTRL; break;
	case ' ': case '\\': case ']': case '^': case '_':
		key->mods |= KEYS_CTRL;
		break;
	default:
		if ((c >= 'a' && c <= 'z') || (c >= KEYS_UP && c < KEYS_CODE_END)) {
			key->code = c;
			key->mods |= KEYS_CTRL;
			break;
		}
		return cause_set(cause, "\"%s\": a terminal cannot send Ctrl with that key", tok);
	}
	return 0;
}

static int
keys_parse_key(const char *tok, struct key *key, char **cause)
{
	const char *p = tok;
	int ctrl = 0, mod;

	key->mods = 0;
	while ((p[0] == 'C' || p[0] == 'M') && p[1] == '-') {
		if (p[2] == '\0')
			return cause_set(cause, "\"%s\": a key must follow %c-", tok, p[0]);
		mod = p[0] == 'C' ? KEYS_CTRL : KEYS_ALT;
		if ((mod == KEYS_CTRL ? ctrl : key->mods & KEYS_ALT) != 0)
			return cause_set(cause, "\"%s\": %c- given twice", tok, p[0]);
		if (mod == KEYS_CTRL)
			ctrl = 1;
		else
			key->mods |= KEYS_ALT;
		p += 2;
	}
	if (keys_parse_base(p, &key->code, cause) == -1)
		return -1;
	return ctrl ? keys_apply_ctrl(key, tok, cause) : 0;
}

int
keys_parse(const char *spec, struct key_seq *seq, char **cause)
{
	char *copy = xstrdup(spec), *tok, *last = NULL;
	int rc = 0;

	memset(seq, 0, sizeof *seq);
	for (tok = strtok_r(copy, " \t", &last); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, " \t", &last)) {
		if (seq->n == KEYS_SEQ_MAX)
			rc = cause_set(cause, "\"%s\": a sequence has at most %d keys", spec,
			    KEYS_SEQ_MAX);
		else
			rc = keys_parse_key(tok, &seq->keys[seq->n++], cause);
	}
	if (rc == 0 && seq->n == 0)
		rc = cause_set(cause, "no key given");
	free(copy);
	return rc;
}

static void
keys_format_key(struct buf *b, const struct key *key)
{
	char utf8[4];
	utf8proc_ssize_t len;

	if (key->mods & KEYS_CTRL)
		buf_puts(b, "C-");
	if (key->mods & KEYS_ALT)
		buf_puts(b, "M-");
	if (key->code == ' ')
		buf_puts(b, "Space");
	else if (key->code >= KEYS_F1 && key->code <= KEYS_F12)
		buf_printf(b, "F%d", (int)(key->code - KEYS_F1 + 1));
	else if (key->code >= KEYS_SPECIAL && key->code < KEYS_F1)
		buf_puts(b, keys_code_names[key->code - KEYS_SPECIAL]);
	else if ((len = utf8proc_encode_char((utf8proc_int32_t)key->code,
	    (utf8proc_uint8_t *)utf8)) > 0)
		buf_add(b, utf8, (size_t)len);
	else
		buf_puts(b, "?");
}

char *
keys_format(const struct key_seq *seq)
{
	struct buf b = {0};

	for (size_t i = 0; i < seq->n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		keys_format_key(&b, &seq->keys[i]);
	}
	return buf_steal(&b);
}

void
keys_from_char(uint32_t ch, struct key *key)
{
	key->mods = 0;
	key->code = ch;
	switch (ch) {
	case 0x00: key->code = ' '; key->mods = KEYS_CTRL; break;
	case '\t': key->code = KEYS_TAB; break;
	case '\n': case '\r': key->code = KEYS_ENTER; break;
	case 0x1b: key->code = KEYS_ESC; break;
	case 0x7f: key->code = KEYS_BACKSPACE; break;
	default:
		if (ch < 0x20) {
			key->code = ch < 0x1b ? ch - 1 + 'a' : ch - 0x1c + '\\';
			key->mods = KEYS_CTRL;
		}
		break;
	}
}

/* Whether a is b or the start of it. */
static int
keys_seq_starts(const struct key_seq *a, const struct key_seq *b)
{
	if (a->n > b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		if (a->keys[i].code != b->keys[i].code || a->keys[i].mods != b->keys[i].mods)
			return 0;
	}
	return 1;
}

static void
keys_remove(struct keys_table *t, size_t i)
{
	memmove(&t->list[i], &t->list[i + 1], (t->n - i - 1) * sizeof t->list[0]);
	t->n--;
}

/* Adds a binding, taking its keys from actions of an overlapping mode:
 * the same sequence, one it starts, or one that starts it. */
static void
keys_add(struct keys_table *t, enum keys_action action, const struct key_seq *seq)
{
	int modes = keys_actions[action].modes;

	for (size_t i = t->n; i-- > 0;) {
		const struct keys_binding *b = &t->list[i];

		if ((keys_actions[b->action].modes & modes) == 0)
			continue;
		if (keys_seq_starts(seq, &b->seq) || keys_seq_starts(&b->seq, seq))
			keys_remove(t, i);
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->list = xreallocarray(t->list, t->cap, sizeof t->list[0]);
	}
	t->list[t->n].action = action;
	t->list[t->n++].seq = *seq;
}

/* A plain character is text in the compose box, so only select-mode
 * actions may start with one. */
static int
keys_check_plain(const struct keys_action_info *info, const struct key_seq *seq,
    const char *spec, char **cause)
{
	const struct key *k = &seq->keys[0];

	if ((info->modes & KEYS_MODE_COMPOSE) == 0 || k->mods != 0 || k->code >= KEYS_SPECIAL)
		return 0;
	return cause_set(cause, "\"%s\" is typed text: bind %s to a key with C- or M-", spec,
	    info->name);
}

/* Splits spec at its commas; a comma that starts an alternative or
 * follows '-' ("M-,") is the comma key. */
static int
keys_split(const char *spec, const struct keys_action_info *info, struct key_seq *seqs,
    size_t *n, char **cause)
{
	const char *p = spec, *start;
	char *one;
	int rc = 0;

	*n = 0;
	if (strcmp(spec, "none") == 0)
		return 0;
	while (rc == 0 && *(p += strspn(p, " \t")) != '\0') {
		start = p++;
		while (*p != '\0' && !(*p == ',' && p[-1] != '-'))
			p++;
		if (*n == KEYS_ALTERNATIVES_MAX)
			return cause_set(cause, "more than %d keys for %s", KEYS_ALTERNATIVES_MAX,
			    info->name);
		one = xstrndup(start, (size_t)(p - start));
		if ((rc = keys_parse(one, &seqs[*n], cause)) == 0)
			rc = keys_check_plain(info, &seqs[(*n)++], one, cause);
		free(one);
		if (*p == ',')
			p++;
	}
	return rc;
}

int
keys_bind(struct keys_table *t, const char *action, const char *spec, char **cause)
{
	const struct keys_action_info *info = keys_action_find(action);
	struct key_seq seqs[KEYS_ALTERNATIVES_MAX];
	size_t n;

	if (info == NULL)
		return cause_set(cause, "unknown action \"%s\"", action);
	if (keys_split(spec, info, seqs, &n, cause) == -1)
		return -1;
	for (size_t i = t->n; i-- > 0;) {
		if (t->list[i].action == info->action)
			keys_remove(t, i);
	}
	for (size_t i = 0; i < n; i++)
		keys_add(t, info->action, &seqs[i]);
	return 0;
}

struct keys_table *
keys_table_new(void)
{
	struct keys_table *t = xcalloc(1, sizeof *t);
	char *cause = NULL;

	for (size_t i = 0; i < NT_NELEMS(keys_actions); i++) {
		if (keys_bind(t, keys_actions[i].name, keys_actions[i].keys, &cause) == -1) {
			fprintf(stderr, "natter: default keys of %s: %s\n", keys_actions[i].name,
			    cause);
			abort();
		}
	}
	return t;
}

void
keys_table_free(struct keys_table **tp)
{
	struct keys_table *t = *tp;

	if (t == NULL)
		return;
	free(t->list);
	free(t);
	*tp = NULL;
}

enum keys_action
keys_match(const struct keys_table *t, enum keys_mode mode, const struct key_seq *pressed)
{
	enum keys_action found = KEYS_ACT_NONE;

	if (pressed->n == 0)
		return KEYS_ACT_NONE;
	for (size_t i = 0; i < t->n; i++) {
		const struct keys_binding *b = &t->list[i];

		if ((keys_actions[b->action].modes & (int)mode) == 0 ||
		    !keys_seq_starts(pressed, &b->seq))
			continue;
		if (b->seq.n == pressed->n)
			return b->action;
		found = KEYS_ACT_PREFIX;
	}
	return found;
}

size_t
keys_bound(const struct keys_table *t, enum keys_action action, struct key_seq *out,
    size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->list[i].action != action)
			continue;
		if (n < max)
			out[n] = t->list[i].seq;
		n++;
	}
	return n;
}
