/* Internals shared by the editor's files. */
#ifndef NATTER_EDITOR_PRIVATE_H
#define NATTER_EDITOR_PRIVATE_H

#include <stdint.h>

#include "natter/editor.h"
#include "natter/util.h"

#define EDITOR_UNDO_MAX 100
#define EDITOR_KILLS_MAX 16

/* Operations other than editor actions, to tell one command from the
 * next (typing runs, repeated Tab, kills that append). */
enum {
	EDITOR_OP_NONE = 100,
	EDITOR_OP_INSERT,
	EDITOR_OP_PASTE,
	EDITOR_OP_COMPLETE,
	EDITOR_OP_SET,
	EDITOR_OP_HISTORY,
	EDITOR_OP_CURSOR,
};

/* A word is a run of clusters of one class other than NONE. */
enum {
	EDITOR_WORD_NONE,
	EDITOR_WORD_ALNUM,
	EDITOR_WORD_HAN,
	EDITOR_WORD_HIRAGANA,
	EDITOR_WORD_KATAKANA,
};

/* Text with its cursor and mentions (in text order): the live draft, an
 * undo step, a kill or a history entry. */
struct editor_draft {
	char *text;
	size_t len;
	size_t cap;
	size_t cursor;
	struct editor_mention *m;
	size_t n_m;
};

struct editor_killring {
	struct editor_draft kills[EDITOR_KILLS_MAX];	/* newest first */
	size_t n;
	const struct editor *last;	/* whose kill the next kill may join */
};

struct editor_cand {
	char *text;
	char *user_id;
};

struct editor_candidates {
	enum editor_complete_kind kind;
	char *prefix;		/* folded */
	struct editor_cand *v;
	size_t n;
};

struct editor {
	struct editor_draft d;
	struct editor_killring *ring;
	int own_ring;
	int op;			/* the operation under way */
	int prev_op;		/* the one before it */
	int undo_saved;		/* op has saved its undo step */
	int paste_cr;		/* the last paste ended with \r */
	struct editor_draft *undo;
	size_t n_undo;
	int width;
	int goal;		/* column kept by consecutive up and down */
	int yanked;
	size_t yank_start;
	size_t yank_end;
	size_t yank_idx;
	struct editor_candidates comp;
	size_t comp_idx;
	size_t comp_start;
	size_t comp_end;
};

/* Walks clusters backwards, remembering the boundaries of a stretch. */
struct editor_rev {
	const char *s;
	size_t len;
	size_t *b;
	size_t n;
	size_t cap;
};

/* editor-text.c */
size_t editor_cp(const char *s, size_t len, size_t off, int32_t *c);
size_t editor_next(const char *s, size_t len, size_t off);
size_t editor_prev(const char *s, size_t len, size_t off);
size_t editor_snap(const char *s, size_t len, size_t off);
int editor_is_boundary(const char *s, size_t len, size_t off);
size_t editor_rev_prev(struct editor_rev *r, size_t off);
void editor_rev_free(struct editor_rev *r);
size_t editor_line_start(const char *s, size_t off);
size_t editor_line_end(const char *s, size_t len, size_t off);
int editor_word_class(const char *s, size_t len, size_t off);
int editor_is_space(const char *s, size_t len, size_t off);
void editor_clean(struct buf *b, const char *s, size_t len, int oneline);

/* editor.c */
void editor_op_begin(struct editor *ed, int op);
int editor_splice(struct editor *ed, size_t start, size_t end, const struct editor_draft *ins,
    char **cause);
int editor_splice_text(struct editor *ed, size_t start, size_t end, const char *s, size_t n,
    char **cause);

/* editor-draft.c */
void editor_draft_copy(struct editor_draft *dst, const struct editor_draft *src);
void editor_draft_cut(struct editor_draft *dst, const struct editor_draft *src, size_t start,
    size_t end);
void editor_draft_join(struct editor_draft *d, const struct editor_draft *add, int front);
void editor_draft_free(struct editor_draft *d);
void editor_undo_save(struct editor *ed);
void editor_undo_free(struct editor *ed);
int editor_op_undo(struct editor *ed, char **cause);

/* editor-move.c */
size_t editor_word_left(const struct editor *ed, size_t off);
size_t editor_word_right(const struct editor *ed, size_t off);
int editor_op_left(struct editor *ed, char **cause);
int editor_op_right(struct editor *ed, char **cause);
int editor_op_word_left(struct editor *ed, char **cause);
int editor_op_word_right(struct editor *ed, char **cause);
int editor_op_home(struct editor *ed, char **cause);
int editor_op_end(struct editor *ed, char **cause);
int editor_op_delete_back(struct editor *ed, char **cause);
int editor_op_delete(struct editor *ed, char **cause);
int editor_op_transpose(struct editor *ed, char **cause);

/* editor-kill.c */
int editor_op_kill_word_back(struct editor *ed, char **cause);
int editor_op_kill_alnum_back(struct editor *ed, char **cause);
int editor_op_kill_word(struct editor *ed, char **cause);
int editor_op_kill_line_start(struct editor *ed, char **cause);
int editor_op_kill_line(struct editor *ed, char **cause);
int editor_op_yank(struct editor *ed, char **cause);
int editor_op_yank_pop(struct editor *ed, char **cause);

/* editor-layout.c */
int editor_op_line_up(struct editor *ed, char **cause);
int editor_op_line_down(struct editor *ed, char **cause);

/* editor-complete.c */
void editor_comp_free(struct editor_candidates *c);

#endif
