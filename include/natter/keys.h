/* keys: the actions of the terminal interface, the keys that trigger
 * them and the table that binds one to the other. A key is abstract (a
 * code and modifiers): the interface translates what curses reads into
 * struct key, and nothing here knows curses. */
#ifndef NATTER_KEYS_H
#define NATTER_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* Codes below KEYS_SPECIAL are Unicode characters; the named keys
 * follow it, so no code is ever both. */
#define KEYS_SPECIAL 0x110000
enum keys_code {
	KEYS_ENTER = KEYS_SPECIAL,
	KEYS_TAB,
	KEYS_BTAB,
	KEYS_ESC,
	KEYS_BACKSPACE,
	KEYS_UP,
	KEYS_DOWN,
	KEYS_LEFT,
	KEYS_RIGHT,
	KEYS_HOME,
	KEYS_END,
	KEYS_PGUP,
	KEYS_PGDN,
	KEYS_INS,
	KEYS_DEL,
	KEYS_F1,
	KEYS_F12 = KEYS_F1 + 11,
	KEYS_CODE_END
};
#define KEYS_F(n) (KEYS_F1 + (n) - 1)

#define KEYS_CTRL 0x1
#define KEYS_ALT 0x2

/* Control letters are stored lower case with KEYS_CTRL: C-a is {'a',
 * KEYS_CTRL}. C-i, C-m, C-j, C-[ and C-? are the bytes of Tab, Enter,
 * Esc and Backspace to a terminal and are stored as those keys. */
struct key {
	uint32_t code;
	int mods;
};

#define KEYS_SEQ_MAX 3
struct key_seq {
	struct key keys[KEYS_SEQ_MAX];
	size_t n;
};

/* Where an action applies: typing in the compose box, or moving over
 * the messages in select mode. Global actions apply in both. */
enum keys_mode {
	KEYS_MODE_COMPOSE = 0x1,
	KEYS_MODE_SELECT = 0x2,
};
#define KEYS_MODE_ANY (KEYS_MODE_COMPOSE | KEYS_MODE_SELECT)

/* In the order of their names, which is the order of the table. */
enum keys_action {
	KEYS_ACT_PREFIX = -2,	/* keys_match: the start of a longer sequence */
	KEYS_ACT_NONE = -1,
	KEYS_ACT_BACKSPACE,
	KEYS_ACT_CANCEL,
	KEYS_ACT_CHAR_LEFT,
	KEYS_ACT_CHAR_RIGHT,
	KEYS_ACT_COMPLETE,
	KEYS_ACT_COPY,
	KEYS_ACT_DELETE,
	KEYS_ACT_DELETE_CHAR,
	KEYS_ACT_EDIT,
	KEYS_ACT_EDITOR,
	KEYS_ACT_FLAG,
	KEYS_ACT_FOLD_SPACE,
	KEYS_ACT_HISTORY_NEXT,
	KEYS_ACT_HISTORY_PREV,
	KEYS_ACT_INVITE_ACCEPT,
	KEYS_ACT_INVITE_DECLINE,
	KEYS_ACT_JUMP_UNREAD,
	KEYS_ACT_KILL_LINE_END,
	KEYS_ACT_KILL_LINE_START,
	KEYS_ACT_KILL_WORD,
	KEYS_ACT_LINE_END,
	KEYS_ACT_LINE_START,
	KEYS_ACT_MARK,
	KEYS_ACT_NEWLINE,
	KEYS_ACT_OPEN,
	KEYS_ACT_QUIT,
	KEYS_ACT_REACT,
	KEYS_ACT_REDRAW,
	KEYS_ACT_REMIND,
	KEYS_ACT_REMIND_DONE,
	KEYS_ACT_REPLY,
	KEYS_ACT_ROOM_1,
	KEYS_ACT_ROOM_2,
	KEYS_ACT_ROOM_3,
	KEYS_ACT_ROOM_4,
	KEYS_ACT_ROOM_5,
	KEYS_ACT_ROOM_6,
	KEYS_ACT_ROOM_7,
	KEYS_ACT_ROOM_8,
	KEYS_ACT_ROOM_9,
	KEYS_ACT_ROOM_NEXT,
	KEYS_ACT_ROOM_NEXT_ACTIVE,
	KEYS_ACT_ROOM_PREV,
	KEYS_ACT_ROOM_SWITCHER,
	KEYS_ACT_SCROLL_BOTTOM,
	KEYS_ACT_SCROLL_DOWN,
	KEYS_ACT_SCROLL_TOP,
	KEYS_ACT_SCROLL_UP,
	KEYS_ACT_SEARCH,
	KEYS_ACT_SEARCH_NEXT,
	KEYS_ACT_SEARCH_PREV,
	KEYS_ACT_SELECT_MODE,
	KEYS_ACT_SELECT_NEXT,
	KEYS_ACT_SELECT_PREV,
	KEYS_ACT_SEND,
	KEYS_ACT_SNOOZE,
	KEYS_ACT_THREAD,
	KEYS_ACT_TOGGLE_LIST,
	KEYS_ACT_WORD_LEFT,
	KEYS_ACT_WORD_RIGHT,
	KEYS_ACT_YANK,
	KEYS_NACTIONS
};

struct keys_action_info {
	const char *name;	/* as written in [keys]: "room_switcher" */
	enum keys_action action;
	int modes;		/* KEYS_MODE_* where it applies */
	const char *keys;	/* the default keys, "" for none */
	const char *help;	/* one line for a help screen */
};

/* The action called name, or NULL. */
const struct keys_action_info *keys_action_find(const char *name);
/* The action's entry; action must be one of the actions. */
const struct keys_action_info *keys_action_info(enum keys_action action);

/* Parses one key or sequence: "C-x", "M-Enter", "C-x C-e". */
int keys_parse(const char *spec, struct key_seq *seq, char **cause);
/* The sequence as keys_parse reads it back, canonical ("C-M-x"). */
char *keys_format(const struct key_seq *seq);
/* Fills key from a character read from the terminal, control bytes
 * included (0x01 is C-a, 0x7f Backspace). The caller adds KEYS_ALT
 * when Esc came before it. */
void keys_from_char(uint32_t ch, struct key *key);

struct keys_table;

/* A table holding every action's default keys. */
struct keys_table *keys_table_new(void);
void keys_table_free(struct keys_table **table);

/* Gives action the keys in spec, a comma-separated list of sequences
 * ("none" or empty for none), in place of those it had. A sequence
 * another action of an overlapping mode had, or one that is a prefix of
 * it or it of them, is taken from that action: the newer binding wins.
 * On error the table is unchanged. */
int keys_bind(struct keys_table *table, const char *action, const char *spec, char **cause);

/* The action pressed triggers in mode; KEYS_ACT_PREFIX when it starts a
 * longer sequence (wait for the next key), KEYS_ACT_NONE otherwise. */
enum keys_action keys_match(const struct keys_table *table, enum keys_mode mode,
    const struct key_seq *pressed);

/* Copies up to max of the sequences bound to action into out; returns
 * how many there are. */
size_t keys_bound(const struct keys_table *table, enum keys_action action,
    struct key_seq *out, size_t max);

#endif
