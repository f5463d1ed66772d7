/* text: how many terminal cells UTF-8 text takes, and how it is cut and
 * wrapped into lines, one grapheme cluster at a time (utf8proc, not the
 * C library's wcwidth). No curses here: the UI draws what this lays out.
 *
 * Widths are those of a terminal that gives each cluster the cells of its
 * first character: 2 for East Asian Wide and Fullwidth and for emoji
 * shown as emoji, 1 for ambiguous-width and other characters, 0 for marks
 * and invisible format characters (U+200B) on their own. A cluster shown as
 * an emoji counts 2 whatever it holds: a pictograph with VS16 (❤️, 1️⃣),
 * a ZWJ sequence (👩‍💻), a flag (🇫🇷, 🏴 and tags), skin tones. Text should
 * have passed san_text; anything else still lays out without harm, since
 * invalid UTF-8 and controls count as U+FFFD, one cell. */
#ifndef NATTER_TEXT_H
#define NATTER_TEXT_H

#include <stddef.h>

/* Combining marks drawn on one cluster: ncurses keeps CCHARW_MAX - 1 = 4
 * on a cell, and more only smear over the neighbours. */
#define TEXT_MAX_MARKS 4

/* Added by text_truncate where it cuts; one cell. */
#define TEXT_ELLIPSIS "\u2026"

/* One grapheme cluster, as text_cluster_next reads it. */
struct text_cluster {
	size_t len;		/* bytes it takes in the string */
	const char *draw;	/* what to show: the cluster, or U+FFFD for
				   invalid UTF-8 and controls; never a control */
	size_t drawlen;		/* bytes of draw: 0 for a newline, and marks
				   past TEXT_MAX_MARKS left out */
	int width;		/* cells: 0, 1 or 2 */
	int newline;		/* "\n" or "\r\n": a hard line break */
};

/* One line of text_wrap, a slice of the string it wrapped. */
struct text_line {
	size_t off;	/* where it starts */
	size_t len;	/* bytes, without the spaces or newline it broke at */
	int width;	/* cells */
};

/* Reads the cluster at the start of s, of which len bytes are readable,
 * into *tc and returns its length: 0 only when len is 0. An invalid byte is
 * a cluster of its own, so the string is always read to its end. */
size_t text_cluster_next(const char *s, size_t len, struct text_cluster *tc);

/* Cells that s takes on one line, newlines counting 0; never negative. */
int text_width(const char *s);

/* Returns the bytes of the longest run of whole clusters at the start of s
 * that fits in cells, stopping at a newline; sets *used (when not NULL)
 * to its cells. Clusters of width 0 after the last that fits are kept. */
size_t text_fit(const char *s, int cells, int *used);

/* Returns a new copy of s cut to one line of at most cells cells, with
 * TEXT_ELLIPSIS where anything was cut (a newline counts as a cut). */
char *text_truncate(const char *s, int cells);

/* Wraps s to lines of width cells and returns their number, at least 1;
 * with lines not NULL, stores them in a new array (free with free()).
 * Lines break after spaces, around wide characters (CJK text has no
 * spaces) but not before 。」, or after 「(, after U+200B, and inside a word
 * only when it is longer than a line; each "\n" ends a line, so "" is one
 * empty line and "a\n" two. Spaces where a line breaks or a paragraph
 * ends are in no line; spaces that start a paragraph are kept. No cluster
 * is ever split: widths below 1 wrap as 1,
 * and a cluster wider than the line (2 cells at width 1) gets a line of
 * its own whose width says so, for the UI to clip. Time is linear in the
 * length of s, with one allocation now and then for the array. */
size_t text_wrap(const char *s, int width, struct text_line **lines);

/* Returns a new string: the len bytes at s (up to a NUL) folded for
 * matching what people type, so that "soren" finds Søren: case folded
 * (Unicode's full folding, ß → ss), compatibility forms replaced (ﬁ → fi),
 * accents dropped from Latin, Greek and Cyrillic letters (é → e, but
 * Japanese が stays が), and the letters that do not decompose written
 * as people type them without the key (ø → o, æ → ae, œ → oe, ł → l,
 * đ ð → d, þ → th, ı → i). Default-ignorable characters (soft hyphens,
 * ZWJ) go. Matching folded text against a folded query ignores all that;
 * the folded text is for comparing, never for showing. Invalid UTF-8
 * folds only its ASCII letters. */
char *text_fold(const char *s, size_t len);
/* text_fold of a whole string; NULL folds as "". */
char *text_fold_str(const char *s);

#endif
