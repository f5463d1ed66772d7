/* The draft laid out in rows of the compose box, and moving between them. */
#include <stdlib.h>
#include <string.h>

#include "editor-private.h"

struct editor_rows {
	struct editor_row *v;
	size_t n;
	size_t cap;
};

void
editor_set_width(struct editor *ed, int cells)
{
	ed->width = cells > 0 ? cells : 0;
}

static void
editor_rows_insert(struct editor_rows *rs, size_t at, size_t start, size_t end, int cells)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 8;
		rs->v = xreallocarray(rs->v, rs->cap, sizeof *rs->v);
	}
	memmove(&rs->v[at + 1], &rs->v[at], (rs->n - at) * sizeof *rs->v);
	rs->v[at].start = start;
	rs->v[at].len = end - start;
	rs->v[at].cells = cells;
	rs->n++;
}

/* The end of the cluster at p and its cells at col in a row of width
 * cells, where a tab stops at the row's end. */
static size_t
editor_layout_next(const char *s, size_t len, size_t p, int col, int width, int *w)
{
	size_t q = editor_cluster_next(s, len, p, col, w);

	if (s[p] == '\t' && width > 0 && col < width && col + *w > width)
		*w = width - col;
	return q;
}

/* Lays out the line [p, end) in rows of at most width cells, breaking
 * after the last space that fits, else after the last cluster. */
static void
editor_layout_line(const char *s, size_t len, size_t p, size_t end, int width,
    struct editor_rows *rs)
{
	size_t start = p, brk = p, q;
	int col = 0, brk_col = 0, w;

	while (p < end) {
		q = editor_layout_next(s, len, p, col, width, &w);
		if (width > 0 && col > 0 && col + w > width) {
			if (brk > start)
				p = brk;
			editor_rows_insert(rs, rs->n, start, p, brk > start ? brk_col : col);
			start = brk = p;
			col = 0;
			continue;
		}
		col += w;
		if (editor_is_space(s, len, p)) {
			brk = q;
			brk_col = col;
		}
		p = q;
	}
	editor_rows_insert(rs, rs->n, start, end, col);
}

/* The columns that [start, off) of a row takes. */
static int
editor_row_cells(const char *s, size_t len, size_t start, size_t off, int width)
{
	int col = 0, w;

	while (start < off) {
		start = editor_layout_next(s, len, start, col, width, &w);
		col += w;
	}
	return col;
}

static int
editor_row_hard(const struct editor *ed, const struct editor_row *row)
{
	size_t end = row->start + row->len;

	return end == ed->d.len || ed->d.text[end] == '\n';
}

/* Finds the cursor's row: the one it is in, or at the end of when that
 * row ends at a newline or the end of the text (a wrapped row's end is
 * the next row's start). */
static void
editor_layout_cursor(const struct editor *ed, struct editor_rows *rs, int *row, int *col)
{
	size_t i, c = ed->d.cursor, end;

	for (i = 0; i < rs->n; i++) {
		end = rs->v[i].start + rs->v[i].len;
		if (c >= rs->v[i].start &&
		    (c < end || (c == end && editor_row_hard(ed, &rs->v[i]))))
			break;
	}
	*row = (int)i;
	*col = editor_row_cells(ed->d.text, ed->d.len, rs->v[i].start, c, ed->width);
	if (ed->width > 0 && *col >= ed->width) {
		editor_rows_insert(rs, i + 1, c, c, 0);
		*row = (int)i + 1;
		*col = 0;
	}
}

size_t
editor_layout(const struct editor *ed, struct editor_row **rows, int *cursor_row,
    int *cursor_col)
{
	struct editor_rows rs = {0};
	const char *s = ed->d.text;
	size_t len = ed->d.len, p = 0, end;

	do {
		end = editor_line_end(s, len, p);
		editor_layout_line(s, len, p, end, ed->width, &rs);
		p = end + 1;
	} while (end < len);
	editor_layout_cursor(ed, &rs, cursor_row, cursor_col);
	*rows = rs.v;
	return rs.n;
}

/* The offset in row nearest to column goal without passing it; the end
 * of a wrapped row is not in it. */
static size_t
editor_row_offset(const struct editor *ed, const struct editor_row *row, int goal)
{
	size_t p = row->start, end = row->start + row->len, q;
	int col = 0, w, hard = editor_row_hard(ed, row);

	while (p < end) {
		q = editor_layout_next(ed->d.text, ed->d.len, p, col, ed->width, &w);
		if (col + w > goal || (!hard && q == end))
			break;
		col += w;
		p = q;
	}
	return p;
}

static int
editor_vmove(struct editor *ed, int dir)
{
	struct editor_row *rows;
	size_t n;
	int row, col, r = EDITOR_UNCHANGED;

	n = editor_layout(ed, &rows, &row, &col);
	if (ed->prev_op != EDITOR_LINE_UP && ed->prev_op != EDITOR_LINE_DOWN)
		ed->goal = col;
	if (row + dir >= 0 && (size_t)(row + dir) < n) {
		ed->d.cursor = editor_row_offset(ed, &rows[row + dir], ed->goal);
		r = EDITOR_CHANGED;
	}
	free(rows);
	return r;
}

int
editor_op_line_up(struct editor *ed, char **cause)
{
	return editor_vmove(ed, -1);
}

int
editor_op_line_down(struct editor *ed, char **cause)
{
	return editor_vmove(ed, 1);
}
