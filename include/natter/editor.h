/* editor: the line editor behind the compose box. Pure (no curses): the
 * UI maps keys to editor operations, draws the rows editor_layout() gives
 * and sends editor_text() with its editor_mention()s. An editor owns one
 * draft (text, cursor, mentions, undo list); the UI keeps one editor and
 * one editor_history per room, so a draft survives switching rooms, and
 * saves editor_text(), editor_cursor() and the mentions to survive a
 * restart. Editors share a kill ring when given the same one.
 *
 * The text is always valid UTF-8 without controls other than \n and \t,
 * at most EDITOR_MAX_LEN bytes. The cursor is a byte offset that is
 * always on a grapheme-cluster boundary (UAX #29), so é as e+U+0301, ZWJ
 * emoji sequences and flags move and delete as one.
 *
 * Operations return EDITOR_CHANGED (text or cursor changed: redraw),
 * EDITOR_UNCHANGED (nothing to do there: the UI may beep) or -1 with
 * *cause set (when cause is not NULL) and the draft unchanged. */
#ifndef NATTER_EDITOR_H
#define NATTER_EDITOR_H

#include <stddef.h>

#define EDITOR_MAX_LEN 65536	 /* bytes of text in a draft */
#define EDITOR_HISTORY_MAX 100	 /* entries kept by an editor_history */
#define EDITOR_TAB_STOP 8	 /* a tab reaches the next multiple of this */

enum {
	EDITOR_UNCHANGED = 0,
	EDITOR_CHANGED = 1,
	EDITOR_UP_EMPTY = 2,	/* see editor_up() */
};

/* What a key does, for editor_do(); the usual key in brackets. Words are
 * runs of letters, digits and marks; in CJK text a change of script
 * (kanji, hiragana, katakana) also ends a word. Kills go to the kill
 * ring; consecutive kills join into one entry, as in Emacs. */
enum editor_action {
	EDITOR_LEFT,		/* one cluster left [C-b, Left] */
	EDITOR_RIGHT,		/* one cluster right [C-f, Right] */
	EDITOR_WORD_LEFT,	/* to the start of this or the previous word [M-b] */
	EDITOR_WORD_RIGHT,	/* to the end of this or the next word [M-f] */
	EDITOR_HOME,		/* start of the current line [C-a, Home] */
	EDITOR_END,		/* end of the current line [C-e, End] */
	EDITOR_LINE_UP,		/* up a row, keeping the column [C-p] */
	EDITOR_LINE_DOWN,	/* down a row [C-n] */
	EDITOR_DELETE_BACK,	/* delete the cluster before the cursor [Backspace] */
	EDITOR_DELETE,		/* delete the cluster at the cursor [C-d, Delete] */
	EDITOR_KILL_WORD_BACK,	/* kill back to whitespace, like readline [C-w] */
	EDITOR_KILL_ALNUM_BACK,	/* kill back to the start of a word [M-Backspace] */
	EDITOR_KILL_WORD,	/* kill to the end of the next word [M-d] */
	EDITOR_KILL_LINE_START,	/* kill to the start of the line, or the
				 * newline before it when there [C-u] */
	EDITOR_KILL_LINE,	/* kill to the end of the line, or the newline
				 * when at its end [C-k] */
	EDITOR_YANK,		/* insert the newest kill [C-y] */
	EDITOR_YANK_POP,	/* right after a yank, swap it for the kill
				 * before [M-y] */
	EDITOR_TRANSPOSE,	/* swap the clusters around the cursor [C-t] */
	EDITOR_NEWLINE,		/* insert a newline [M-Enter] */
	EDITOR_UNDO,		/* undo the last change [C-_, C-/] */
};

/* A pill: the display name at text[start, start + len) stands for
 * user_id; the UI sends it as a link to https://matrix.to/#/user_id.
 * A mention is dropped as soon as an edit touches its text. */
struct editor_mention {
	size_t start;
	size_t len;
	char *user_id;
};

/* A row of the draft as drawn in a box of editor_set_width() cells:
 * text[start, start + len) (without the newline that may end it), which
 * takes cells cells. */
struct editor_row {
	size_t start;
	size_t len;
	int cells;
};

struct editor;
struct editor_killring;
struct editor_history;
struct editor_candidates;

/* A kill ring to share between editors, so that what is killed in one
 * room can be yanked in another. It must outlive the editors given it. */
struct editor_killring *editor_killring_new(void);
void editor_killring_free(struct editor_killring **ring);
/* Puts a copy of text in the ring as its newest kill, for C-y (a message
 * copied in select mode). */
void editor_killring_add(struct editor_killring *ring, const char *text, size_t len);

/* A new, empty editor using ring, or a kill ring of its own when NULL. */
struct editor *editor_new(struct editor_killring *ring);
void editor_free(struct editor **ed);

/* The draft: NUL-terminated, valid for reading until the next change. */
const char *editor_text(const struct editor *ed);
size_t editor_len(const struct editor *ed);
size_t editor_cursor(const struct editor *ed);

/* Sets the text (cleaned as by editor_paste()) as one undoable change,
 * the cursor at its end. Mentions in the parts of the old text that the
 * new one keeps at its start and end stay. */
int editor_set_text(struct editor *ed, const char *s, size_t len, char **cause);

/* editor_set_text() for the file $EDITOR wrote (Ctrl-X Ctrl-E, /edit):
 * the one newline the editor put at the end is dropped. On -1 (too long)
 * the UI should keep the file and say where it is. */
int editor_set_external(struct editor *ed, const char *s, size_t len, char **cause);

/* Empties the draft (undoable, e.g. after sending). */
int editor_clear(struct editor *ed);

/* Moves the cursor to off, or the end of the cluster off is in. */
int editor_set_cursor(struct editor *ed, size_t off);

/* Inserts text at the cursor: typed (a word of typing undoes at a time)
 * or pasted (bracketed paste: newlines stay in the draft and never send;
 * \r\n and \r become \n). A paste may come in pieces: consecutive
 * pastes undo together, and a \r\n split between two stays one newline.
 * Invalid UTF-8 becomes U+FFFD; controls other than \n and \t are
 * dropped. Text that would make the draft longer than EDITOR_MAX_LEN is
 * refused whole (-1). */
int editor_insert(struct editor *ed, const char *s, size_t len, char **cause);
int editor_paste(struct editor *ed, const char *s, size_t len, char **cause);

/* Does act. Only insertions (yank, newline) can fail. */
int editor_do(struct editor *ed, enum editor_action act, char **cause);

/* The mentions in the draft, in text order. */
size_t editor_mention_count(const struct editor *ed);
const struct editor_mention *editor_mention(const struct editor *ed, size_t idx);

/* Restores a saved mention: 0, or -1 when the range is not whole
 * clusters of the text or overlaps another mention. */
int editor_mention_add(struct editor *ed, size_t start, size_t len, const char *user_id,
    char **cause);

/* Sets the width in cells of the compose box, for editor_layout() and
 * moving up and down; 0 (the default) does not wrap. */
void editor_set_width(struct editor *ed, int cells);

/* Lays the draft out in rows: a row ends at a newline or, in a box of
 * width cells, after the last space that fits, else after the last
 * cluster that fits; a tab there stops at the row's end. A full row with
 * the cursor at its end is followed by an empty row holding the cursor.
 * Returns the number of rows (at least 1) in *rows, a new array, and the
 * cursor's row and column. */
size_t editor_layout(const struct editor *ed, struct editor_row **rows, int *cursor_row,
    int *cursor_col);

/* For drawing: the end of the grapheme cluster starting at s[off] and,
 * in *cells, its width when drawn at column col. A tab reaches the next
 * multiple of EDITOR_TAB_STOP (draw spaces); a newline takes 0 cells; an
 * emoji cluster (presentation selector, ZWJ sequence, flag) takes 2; any
 * other cluster its widest code point, but at least 1, so the UI must
 * draw an invisible one (U+200B, a lone combining mark) as a stand-in. */
size_t editor_cluster_next(const char *s, size_t len, size_t off, int col, int *cells);

/* A room's sent lines, newest last: at most EDITOR_HISTORY_MAX, no empty
 * one, none the same as the one before. */
struct editor_history *editor_history_new(void);
void editor_history_free(struct editor_history **h);

/* Adds the draft (with its mentions) about to be sent; ends browsing. */
void editor_history_push(struct editor_history *h, const struct editor *ed);

/* Replaces the draft by the previous (older) or next entry, the cursor
 * at its end. The draft being written is kept when browsing starts and
 * comes back when going down past the newest entry; changes made to a
 * recalled entry are lost when moving to another. EDITOR_UNCHANGED at
 * either end. */
int editor_history_prev(struct editor_history *h, struct editor *ed);
int editor_history_next(struct editor_history *h, struct editor *ed);

/* Up and Down: move between the rows of the draft, then through the
 * history. Up on an empty draft, not browsing, returns EDITOR_UP_EMPTY
 * and changes nothing: the UI starts editing the last message the user
 * sent in the room, or, when there is none, calls editor_history_prev(). */
int editor_up(struct editor *ed, struct editor_history *h);
int editor_down(struct editor *ed, struct editor_history *h);

enum editor_complete_kind {
	EDITOR_COMPLETE_MEMBER,	 /* a word, or @word: display names and user ids */
	EDITOR_COMPLETE_COMMAND, /* /word as the first word of the draft */
	EDITOR_COMPLETE_EMOJI,	 /* :word: emoji shortcodes, most used first */
};

/* Called by editor_complete() with the word before the cursor (without
 * its '@', '/' or ':'); it calls editor_candidates_add() for each candidate,
 * best first (e.g. recent speakers first). It may add them all: the
 * editor keeps those whose text (or, for members, user id) starts with
 * prefix, ignoring case and accents. */
typedef void editor_complete_cb(void *arg, enum editor_complete_kind kind, const char *prefix,
    struct editor_candidates *out);

/* text is a display name (as the room shows it) with its user id, or a
 * command name without '/' or a shortcode without colons, and user_id
 * NULL. */
void editor_candidates_add(struct editor_candidates *out, const char *text, const char *user_id);

/* Tab (dir 1) and Shift-Tab (dir -1): replaces the word before the cursor
 * by the first (last) candidate, then, pressed again, by the next (or
 * previous) one, round. A member becomes a mention followed by ": " at
 * the start of the draft, " " elsewhere; a command becomes "/name "; a
 * word starting with ':' a shortcode ":name: " (sending makes it its
 * emoji); no space is added before one already there. "@" alone offers
 * every member. EDITOR_UNCHANGED when there is no word or no candidate. */
int editor_complete(struct editor *ed, int dir, editor_complete_cb *cb, void *arg,
    char **cause);

#endif
