/* Drawing: one full pass over a dirty screen. The room list, the
 * message pane, the status line and the compose box; every string from
 * the server was made inert by san_text before it gets here. */
#include <ctype.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "natter/editor.h"
#include "natter/msg.h"
#include "natter/rich.h"
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/text.h"
#include "natter/theme.h"
#include "ui-private.h"

static int ui_utf8 = -1;
static attr_t ui_put_extra;	/* added to every element's attributes */

/* Writes s at (y, x), at most cells wide, cluster by cluster: curses
 * measures with wcwidth, which is wrong for emoji sequences, so the
 * position comes from text.h. Returns the cells used. */
int
ui_put(int y, int x, const char *s, int cells, int element)
{
	struct text_cluster tc;
	size_t len, off = 0;
	int used = 0;

	if (cells <= 0 || s == NULL)
		return 0;
	len = strlen(s);
	attrset((attr_t)ui_theme_attr(element) | ui_put_extra);
	while (off < len && text_cluster_next(s + off, len - off, &tc) > 0) {
		if (tc.newline || used + tc.width > cells)
			break;
		if (tc.width > 0) {
			mvaddnstr(y, x + used, tc.draw, (int)tc.drawlen);
			used += tc.width;
		}
		off += tc.len;
	}
	attrset(A_NORMAL);
	return used;
}

void
ui_fill(int y, int x, int cells, int color)
{
	attrset((attr_t)ui_theme_attr(color) | ui_put_extra);
	for (int i = 0; i < cells; i++)
		mvaddch(y, x + i, ' ');
	attrset(A_NORMAL);
}

int
ui_list_shown(const struct ui *ui)
{
	int wide = COLS >= UI_LIST_MIN_COLS;

	return ui->list_toggled ? !wide : wide;
}

/* The list's columns: its width, or half a narrow screen; none when
 * hidden or when the screen is too narrow for two panes. */
static int
ui_list_width(const struct ui *ui)
{
	int w = ui->settings != NULL ? ui->settings->ui.list_width : UI_LIST_WIDTH;

	if (!ui_list_shown(ui) || COLS < 20)
		return 0;
	return w > COLS / 2 ? COLS / 2 : w;
}

static const char *ui_section_names[UI_SECTION_COUNT] = {
	"VIP", "Invites", "Favourites", "Direct", "Spaces", "Rooms", "Low priority",
};

/* "5" unread, "5 @2" when two of them mention you. */
static void
ui_list_count(char *count, size_t size, int64_t unread, int64_t highlight)
{
	*count = '\0';
	if (unread > 0 && highlight > 0)
		snprintf(count, size, " %lld @%lld", (long long)unread, (long long)highlight);
	else if (unread > 0 || highlight > 0)
		snprintf(count, size, unread > 0 ? " %lld" : " @%lld",
		    (long long)(unread > 0 ? unread : highlight));
}

/* A section's heading; a space's says whether it is folded, and when it
 * is, how many of its rooms' messages are unread. */
static void
ui_list_heading(struct ui *ui, int y, int width, const struct ui_room *r)
{
	const struct ui_space *sp;
	char *text, count[48];

	if (r->section != UI_SECTION_SPACE) {
		ui_put(y, 0, ui_section_names[r->section], width, THEME_LIST_SECTION);
		return;
	}
	sp = &ui->spaces[r->space];
	text = xasprintf("%s %s", sp->folded ? (ui_utf8 ? "▸" : "+") : (ui_utf8 ? "▾" : "-"),
	    sp->name);
	ui_list_count(count, sizeof count, sp->folded ? sp->unread : 0,
	    sp->folded ? sp->highlight : 0);
	ui_put(y, 0, text, width - (int)strlen(count), THEME_LIST_SECTION);
	if (*count != '\0')
		ui_put(y, width - (int)strlen(count), count, (int)strlen(count),
		    sp->highlight > 0 ? THEME_LIST_HIGHLIGHT : THEME_LIST_UNREAD);
	free(text);
}

static void
ui_draw_list(struct ui *ui, int top, int height, int width)
{
	int y = top, last = -1, last_space = -1, rows = height;
	int64_t known, total;
	char loading[64];

	for (int row = top; row < top + height; row++)
		ui_fill(row, 0, width + 1, THEME_LIST);
	/* While a sliding sync still takes in rooms, the last row says how
	 * far it is. */
	if (ui->core != NULL && height > 1 && core_rooms_loading(ui->core, &known, &total)) {
		snprintf(loading, sizeof loading, "%lld of %lld rooms", (long long)known,
		    (long long)total);
		ui_put(top + height - 1, 1, loading, width - 1, THEME_LIST_SECTION);
		height--;
	}
	y = ui_follow_draw(ui, y, top + height, width);
	for (size_t i = 0; i < ui->n_rooms && y < top + height; i++) {
		struct ui_room *r = &ui->rooms[i];
		int sel = ui->follow.sel < 0 && ui->current != NULL &&
		    strcmp(ui->current, r->room_id) == 0;
		int color = r->highlight > 0 ? THEME_LIST_HIGHLIGHT :
		    r->unread > 0 ? THEME_LIST_UNREAD : THEME_LIST;
		char count[48];

		if ((int)r->section != last ||
		    (r->section == UI_SECTION_SPACE && r->space != last_space)) {
			last = (int)r->section;
			last_space = r->space;
			ui_list_heading(ui, y++, width, r);
			if (y >= top + height)
				break;
		}
		if (!ui_room_listed(ui, i))
			continue;
		ui_list_count(count, sizeof count, r->unread, r->highlight);
		if (sel)
			color = THEME_LIST_SELECTED;
		else if (r->invited)
			color = THEME_LIST_INVITE;
		ui_fill(y, 0, width, sel ? THEME_LIST_SELECTED : THEME_LIST);
		if (r->vip)
			ui_put(y, 0, "*", 1, sel ? THEME_LIST_SELECTED : THEME_LIST_HIGHLIGHT);
		ui_put(y, 1, r->name, width - 1 - (int)strlen(count), color);
		if (*count != '\0')
			ui_put(y, width - (int)strlen(count), count, (int)strlen(count),
			    sel ? THEME_LIST_SELECTED : r->highlight > 0 ? THEME_LIST_HIGHLIGHT :
			    THEME_LIST_UNREAD);
		y++;
	}
	attrset((attr_t)ui_theme_attr(THEME_LIST));
	for (int row = top; row < top + rows; row++) {
		if (ui_utf8)
			mvaddstr(row, width, "│");
		else
			mvaddch(row, width, ACS_VLINE);
	}
	attrset(A_NORMAL);
}

/* Where a span to draw in its own element starts in s, or NULL: a web
 * link, or, in a message that mentions us, our user id or display name
 * (a whole word, any case; self_id and self_name are NULL otherwise).
 * *len is its length and *element its element. */
static const char *
ui_span_next(const char *s, const char *self_id, const char *self_name, size_t *len,
    int *element)
{
	const char *best = NULL, *words[] = {self_id, self_name};

	if ((best = rich_url_find(s, len)) != NULL)
		*element = THEME_LINK;
	for (size_t i = 0; i < NT_NELEMS(words); i++) {
		size_t wl = words[i] != NULL ? strlen(words[i]) : 0;

		for (const char *p = s; wl > 0 && (p = strcasestr(p, words[i])) != NULL; p++) {
			int before = p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '@');
			int after = isalnum((unsigned char)p[wl]);

			if (before || after)
				continue;
			if (best == NULL || p < best) {
				best = p;
				*len = wl;
				*element = THEME_MENTION;
			}
			break;
		}
	}
	return best;
}

/* Curses attributes for formatted text: code stands out reversed and
 * struck-out text is dim (curses has no strike-through). */
static attr_t
ui_rich_attrs(unsigned attrs)
{
	attr_t a = 0;

	if (attrs & RICH_BOLD)
		a |= A_BOLD;
	if (attrs & RICH_UNDERLINE)
		a |= A_UNDERLINE;
	if (attrs & RICH_STRIKE)
		a |= A_DIM;
	if (attrs & RICH_CODE)
		a |= A_REVERSE;
#ifdef A_ITALIC
	if (attrs & RICH_ITALIC)
		a |= A_ITALIC;
#endif
	return a;
}

/* Draws n bytes of a line's text from off in element, with the
 * attributes of the formatted text there; links and quotes in their own
 * elements unless element is already one of its own. Returns the cells
 * used. */
static int
ui_put_styled(int y, int x, const struct ui_line *line, size_t off, size_t n, int cells,
    int element)
{
	size_t end = off + n;
	int used = 0;

	while (off < end && used < cells) {
		size_t stop = end;
		unsigned attrs = 0;
		attr_t saved = ui_put_extra;
		int el = element;
		char *piece;

		for (size_t i = 0; i < line->n_spans; i++) {
			const struct rich_span *s = &line->spans[i];

			if (s->off + s->len <= off)
				continue;
			if (s->off > off)
				stop = s->off < end ? s->off : end;
			else {
				attrs = s->attrs;
				stop = s->off + s->len < end ? s->off + s->len : end;
			}
			break;
		}
		if (element == line->color && (attrs & RICH_LINK))
			el = THEME_LINK;
		else if (element == line->color && (attrs & RICH_QUOTE))
			el = THEME_REPLY_QUOTE;
		piece = xstrndup(line->text + off, stop - off);
		ui_put_extra |= ui_rich_attrs(attrs);
		used += ui_put(y, x + used, piece, cells - used, el);
		ui_put_extra = saved;
		free(piece);
		off = stop;
	}
	return used;
}

/* Draws a line's text: links and mentions of us in their elements, and
 * the "(edited)" that ends an edited message's last line. */
static void
ui_put_text(struct ui *ui, int y, int x, int cells, const struct ui_line *line,
    const char *self_name)
{
	static const char edited[] = "(edited)";
	const char *self = core_self(ui->core), *s = line->text, *span;
	size_t len = strlen(s), tail = 0, slen;
	int element = THEME_PANE;

	if (line->edited && len >= sizeof edited - 1 &&
	    strcmp(s + len - (sizeof edited - 1), edited) == 0)
		tail = sizeof edited - 1;
	while (cells > 0 && *s != '\0' && (size_t)(s - line->text) < len - tail) {
		char *piece;
		size_t n;

		span = ui_span_next(s, line->mention ? self : NULL,
		    line->mention ? self_name : NULL, &slen, &element);
		if (span == NULL || (size_t)(span - line->text) >= len - tail) {
			span = line->text + len - tail;
			slen = 0;
		}
		n = (size_t)(span - s);
		piece = xstrndup(s, n);
		x += ui_put_styled(y, x, line, (size_t)(s - line->text), n, cells, line->color);
		cells -= text_width(piece);
		free(piece);
		if (slen > 0 && cells > 0) {
			piece = xstrndup(span, slen);
			x += ui_put_styled(y, x, line, (size_t)(span - line->text), slen, cells,
			    element);
			cells -= text_width(piece);
			free(piece);
		}
		s = span + slen;
	}
	if (tail > 0 && cells > 0)
		ui_put(y, x, edited, cells, THEME_EDITED);
}

/* The selected message and the marked range as indices of the pane's
 * messages (-1 when not there), found once a draw. */
struct ui_pane_sel {
	int sel;
	int lo, hi;
};

static void
ui_pane_sel_find(struct ui *ui, struct ui_pane_sel *ps)
{
	int a = ui_pane_index(ui, ui->view.mark), b = ui_pane_index(ui, ui->view.mark_end);

	ps->sel = ui_pane_index(ui, ui->view.sel);
	ps->lo = a < b ? a : b;
	ps->hi = a < b ? b : a;
	if (ps->lo < 0)
		ps->lo = ps->hi = -1;
}

/* A line's attributes beyond its theme: the selection stands out, and
 * the times of marked messages. */
static attr_t
ui_line_extra(const struct ui_pane_sel *ps, const struct ui_line *line, int *time_only)
{
	*time_only = 0;
	if (line->msg < 0)
		return 0;
	if (line->msg == ps->sel)
		return A_REVERSE;
	if (line->msg >= ps->lo && line->msg <= ps->hi) {
		*time_only = 1;
		return A_REVERSE;
	}
	return 0;
}

static void
ui_draw_pane(struct ui *ui, int top, int height, int left, int width)
{
	struct ui_pane_view v = ui_pane_view(ui);
	const struct ui_lines *l = v.lines;
	struct ui_pane_sel ps;

	if (l == NULL)
		return;
	ui_pane_sel_find(ui, &ps);
	for (int row = 0; row < height && v.first + (size_t)row < l->n; row++) {
		const struct ui_line *line = &l->v[v.first + (size_t)row];
		int x = left, time_only, text_x = left + (line->indent < width ? line->indent : 0);
		attr_t extra = ui_line_extra(&ps, line, &time_only);

		ui_put_extra = extra;
		if (extra && !time_only)
			ui_fill(top + row, left, width, THEME_PANE);
		/* The time and the sender in the indent, each with a space after. */
		if (line->time != NULL)
			x += ui_put(top + row, x, line->time, text_x - x - 1,
			    line->mention ? THEME_MENTION : THEME_TIMESTAMP) + 1;
		if (time_only)
			ui_put_extra = 0;
		if (line->name != NULL)
			ui_put(top + row, x, line->name, text_x - x - 1, line->name_color);
		ui_put_text(ui, top + row, text_x, left + width - text_x, line, l->self_name);
		ui_put_extra = 0;
	}
}

static const char *
ui_conn_name(enum core_conn c)
{
	switch (c) {
	case CORE_CONNECTING: return "connecting";
	case CORE_ONLINE: return "online";
	case CORE_OFFLINE: return "offline";
	case CORE_LOGGED_OUT: return "logged out";
	}
	return "?";
}

static int
ui_status_element(const struct ui *ui)
{
	return ui->status.conn == CORE_ONLINE ? THEME_STATUS : THEME_STATUS_OFFLINE;
}

/* A note is in the status line's colours, or the error colours when it
 * says something failed. */
static int
ui_note_element(const struct ui *ui)
{
	return ui->status.note_error ? THEME_ERROR : ui_status_element(ui);
}

/* A part of a text drawn over rows: from off on, in element. */
struct ui_span {
	size_t off;
	int element;
};

/* Rows text takes wrapped to the screen's width, at most max. */
static int
ui_rows(const char *text, int max)
{
	int h = text != NULL ? (int)text_wrap(text, COLS, NULL) : 0;

	return h > max ? max : h;
}

/* Draws text wrapped over height rows from top, each filled with fill,
 * its parts in their elements (spans in order, the first at 0); what
 * does not fit is cut. */
static void
ui_draw_rows(int top, int height, const char *text, const struct ui_span *spans, size_t n,
    int fill)
{
	struct text_line *lines = NULL;
	size_t nl = text_wrap(text, COLS, &lines);

	for (int row = 0; row < height; row++) {
		size_t off = (size_t)row < nl ? lines[row].off : 0;
		size_t end = (size_t)row < nl ? off + lines[row].len : 0;
		int x = 0;

		ui_fill(top + row, 0, COLS, fill);
		for (size_t i = 0; i < n && off < end; i++) {
			size_t to = i + 1 < n && spans[i + 1].off < end ? spans[i + 1].off : end;
			char *piece;

			if (to <= off)
				continue;
			piece = xstrndup(text + off, to - off);
			x += ui_put(top + row, x, piece, COLS - x, spans[i].element);
			free(piece);
			off = to;
		}
	}
	free(lines);
}

/* The status line's text: the profile, the connection, the unread count
 * and the mode, then who is typing and, with note, the note, each a span
 * of its own colours. */
static char *
ui_status_text(struct ui *ui, int note, struct ui_span spans[3], size_t *n)
{
	struct buf b = {0};
	int64_t unread = 0;
	int el = ui_status_element(ui);

	for (size_t i = 0; i < ui->n_rooms; i++)
		unread += ui->rooms[i].unread;
	buf_printf(&b, " [%s] %s", core_profile(ui->core), ui_conn_name(ui->status.conn));
	if (ui->status.conn == CORE_OFFLINE && ui->status.retry_at != 0)
		buf_printf(&b, ", retrying in %lld s",
		    (long long)(ui->status.retry_at - nt_mono_ms() + 999) / 1000);
	else if (ui->status.conn == CORE_OFFLINE)
		buf_puts(&b, ", retrying\u2026");
	if (unread > 0)
		buf_printf(&b, "  unread %lld", (long long)unread);
	if (ui->view.sel != NULL) {
		char *hint = ui_select_hint(ui, ui->status.note == NULL);

		buf_printf(&b, "  %s", hint);
		free(hint);
	} else if (ui->view.mark != NULL) {
		int marked = ui_range_count(ui);

		if (marked > 0)
			buf_printf(&b, "  %d marked", marked);
		else
			buf_puts(&b, "  a range is marked");
	}
	if (ui->view.scroll > 0)
		buf_puts(&b, "  -- scrolled --");
	spans[0] = (struct ui_span){0, el};
	*n = 1;
	/* The typing note and an error stand out in their own colours. */
	if (ui->status.typing != NULL) {
		buf_puts(&b, "  ");
		spans[(*n)++] = (struct ui_span){b.len, THEME_TYPING};
		buf_puts(&b, ui->status.typing);
	}
	if (note && ui->status.note != NULL) {
		buf_puts(&b, "  ");
		spans[(*n)++] = (struct ui_span){b.len, ui_note_element(ui)};
		buf_puts(&b, ui->status.note);
	}
	return buf_steal(&b);
}

/* Rows of their own a note takes above the status line, being too long
 * to end it: at most UI_NOTE_MAX. */
static int
ui_note_rows(struct ui *ui)
{
	struct ui_span spans[3];
	size_t n;
	char *text;
	int rows = 0;

	if (ui->status.note == NULL)
		return 0;
	text = ui_status_text(ui, 1, spans, &n);
	if (text_width(text) > COLS)
		rows = ui_rows(ui->status.note, UI_NOTE_MAX);
	free(text);
	return rows;
}

/* The status line, and above it the note on rows of its own when it has
 * them. */
static void
ui_draw_status(struct ui *ui, int top, int note_h)
{
	struct ui_span spans[3], span = {0, ui_note_element(ui)};
	size_t n;
	char *text = ui_status_text(ui, note_h == 0, spans, &n);

	if (note_h > 0)
		ui_draw_rows(top, note_h, ui->status.note, &span, 1, spans[0].element);
	ui_draw_rows(top + note_h, 1, text, spans, n, spans[0].element);
	free(text);
}

static void
ui_draw_title(struct ui *ui, int left, int width)
{
	const struct ui_room *room = ui_room_find(ui, ui->current);
	const char *name = room != NULL ? room->name : "natter";
	int x;

	ui_fill(0, 0, COLS, THEME_STATUS);
	x = ui_put(0, left, name, width, THEME_STATUS);
	/* Whether what is typed here goes encrypted, before anything is sent. */
	if (room != NULL && room->encrypted)
		x += ui_put(0, left + x, "  (encrypted)", width - x, THEME_STATUS);
	if (ui->view.thread != NULL)
		ui_put(0, left + x, "  › thread", width - x, THEME_STATUS);
}

/* The compose box: the rows of the draft around the cursor. */
static void
ui_draw_compose(struct ui *ui, int top, int height)
{
	struct editor_row *rows = NULL;
	const char *text = editor_text(ui->compose.ed);
	int crow = 0, ccol = 0, first;
	size_t n;

	editor_set_width(ui->compose.ed, COLS > 3 ? COLS - 2 : 1);
	n = editor_layout(ui->compose.ed, &rows, &crow, &ccol);
	first = crow >= height ? crow - height + 1 : 0;
	for (int row = 0; row < height; row++)
		ui_fill(top + row, 0, COLS, THEME_COMPOSE);
	ui_put(top, 0, ">", 2, THEME_COMPOSE_PROMPT);
	for (int row = 0; row < height && (size_t)(first + row) < n; row++) {
		struct editor_row *r = &rows[first + row];
		char *piece = xstrndup(text + r->start, r->len);
		char *safe = san_text(piece, 0);

		ui_put(top + row, 2, safe, COLS - 2, THEME_COMPOSE);
		free(safe);
		free(piece);
	}
	move(top + crow - first, 2 + ccol < COLS ? 2 + ccol : COLS - 1);
	free(rows);
}

/* Rows the compose box wants: the draft's, within limits. */
static int
ui_compose_height(struct ui *ui)
{
	struct editor_row *rows = NULL;
	int crow, ccol, h;

	editor_set_width(ui->compose.ed, COLS > 3 ? COLS - 2 : 1);
	h = (int)editor_layout(ui->compose.ed, &rows, &crow, &ccol);
	free(rows);
	h = h < 1 ? 1 : h > UI_COMPOSE_MAX ? UI_COMPOSE_MAX : h;
	return LINES < h + 3 ? 1 : h;
}

static void
ui_draw_warning(struct ui *ui, int top, int height)
{
	static const struct ui_span span = {0, THEME_ERROR};
	char *text = ui_warning_text(ui);

	if (text != NULL)
		ui_draw_rows(top, height, text, &span, 1, THEME_ERROR);
	free(text);
}

/* Rows of the warning and of a long note: the rows they need, wrapped,
 * within limits, as long as the pane keeps a row. */
static void
ui_geometry_bars(struct ui *ui, struct ui_geometry *g)
{
	char *warning = ui_warning_text(ui);
	int room = LINES - g->compose_h - 3;

	g->note_h = ui_note_rows(ui);
	if (g->note_h > room)
		g->note_h = 0;
	g->warn_h = ui_rows(warning, UI_WARN_MAX);
	if (g->warn_h > room - g->note_h)
		g->warn_h = 0;
	free(warning);
}

void
ui_geometry(struct ui *ui, struct ui_geometry *g)
{
	g->compose_h = ui_compose_height(ui);
	ui_geometry_bars(ui, g);
	g->list_w = ui_list_width(ui);
	g->pane_top = 1;
	g->pane_h = LINES - g->compose_h - 2 - g->note_h - g->warn_h;
	g->pane_left = g->list_w ? g->list_w + 1 : 0;
	g->pane_w = COLS - g->pane_left;
}

void
ui_redraw(struct ui *ui)
{
	struct ui_geometry g;

	ui_geometry(ui, &g);
	ui_pane_update(ui, g.pane_h, g.pane_w);
	ui->dirty = 0;
	ui_draw(ui, &g);
}

void
ui_draw(struct ui *ui, const struct ui_geometry *g)
{
	int top = g->pane_top, h = g->pane_h, left = g->pane_left, w = g->pane_w;

	if (ui_utf8 == -1)
		ui_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	/* Every cell not drawn on, and every gap, has the pane's colours. */
	bkgdset((chtype)' ' | ((chtype)ui_theme_attr(THEME_PANE) & A_COLOR));
	erase();
	ui_draw_title(ui, left, COLS);
	if (h > 0) {
		if (g->list_w > 0)
			ui_draw_list(ui, top, h, g->list_w);
		ui_draw_pane(ui, top, h, left, w);
	}
	ui_draw_warning(ui, top + (h > 0 ? h : 0), g->warn_h);
	ui_draw_status(ui, LINES - g->compose_h - 1 - g->note_h, g->note_h);
	ui_draw_compose(ui, LINES - g->compose_h, g->compose_h);
	if (ui_report_shown(ui) && h > 0)
		ui_report_draw(ui, top, h, left, w);
	if (ui_help_shown(ui) && h > 0)
		ui_help_draw(ui, top, h, left, w);
	if (ui_search_shown(ui) && h > 0)
		ui_search_draw(ui, top, h, left, w);
	if (ui->over.switching && h > 0)
		ui_switch_draw(ui, top, h, left, w);
	/* Last: it takes the keys, so it must be what is seen. */
	if (ui_verify_shown(ui) && h > 0)
		ui_verify_draw(ui, top, h, left, w);
	refresh();
}
