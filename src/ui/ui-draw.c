/* Drawing: one full pass over a dirty screen. The room list, the
 * message pane, the status line and the compose box; every string from
 * the server was made inert by san_text before it gets here. */
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "natter/editor.h"
#include "natter/sanitize.h"
#include "natter/text.h"
#include "ui-private.h"

enum ui_color {
	UI_C_NORMAL = 0,
	UI_C_STATUS,
	UI_C_TIME,
	UI_C_SELF,
	UI_C_NOTICE,
	UI_C_META,
	UI_C_UNREAD,
	UI_C_HIGHLIGHT,
	UI_C_SECTION,
	UI_C_PENDING,
	UI_C_FAILED,
	UI_C_NICK0,
};

#define UI_NICKS 6

/* One screen line of the message pane. */
struct ui_line {
	char *time;		/* "14:03", on a message's first line only */
	char *name;		/* sender, likewise */
	int name_color;
	char *text;
	int color;
	int indent;		/* cells before text on continuation lines */
};

struct ui_lines {
	struct ui_line *v;
	size_t n;
};

static int ui_colors_ready;
static int ui_utf8;

static void
ui_colors_init(void)
{
	static const short nicks[UI_NICKS] = {
		COLOR_CYAN, COLOR_GREEN, COLOR_MAGENTA, COLOR_YELLOW, COLOR_BLUE, COLOR_RED,
	};

	ui_colors_ready = 1;
	ui_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (!has_colors() || (getenv("NO_COLOR") != NULL && *getenv("NO_COLOR") != '\0'))
		return;
	init_pair(UI_C_STATUS, COLOR_BLACK, COLOR_CYAN);
	init_pair(UI_C_TIME, COLOR_BLUE, -1);
	init_pair(UI_C_SELF, COLOR_GREEN, -1);
	init_pair(UI_C_NOTICE, COLOR_YELLOW, -1);
	init_pair(UI_C_META, COLOR_BLUE, -1);
	init_pair(UI_C_UNREAD, COLOR_WHITE, -1);
	init_pair(UI_C_HIGHLIGHT, COLOR_RED, -1);
	init_pair(UI_C_SECTION, COLOR_CYAN, -1);
	init_pair(UI_C_PENDING, COLOR_YELLOW, -1);
	init_pair(UI_C_FAILED, COLOR_RED, -1);
	for (int i = 0; i < UI_NICKS; i++)
		init_pair((short)(UI_C_NICK0 + i), nicks[i], -1);
}

static int
ui_attr(int color)
{
	int a = color == UI_C_NORMAL ? A_NORMAL : COLOR_PAIR(color);

	if (color == UI_C_STATUS || color == UI_C_SECTION || color == UI_C_HIGHLIGHT)
		a |= A_BOLD;
	if (color == UI_C_META || color == UI_C_PENDING)
		a |= A_DIM;
	return a;
}

/* A stable colour for a user: the same user is the same colour everywhere. */
static int
ui_nick_color(const char *user_id)
{
	unsigned h = 5381;

	for (const unsigned char *p = (const unsigned char *)user_id; *p != '\0'; p++)
		h = h * 33 + *p;
	return UI_C_NICK0 + (int)(h % UI_NICKS);
}

/* Writes s at (y, x), at most cells wide, clusters never cut; returns
 * the cells used. */
static int
ui_put(int y, int x, const char *s, int cells, int color)
{
	int used = 0;
	size_t len;

	if (cells <= 0 || s == NULL)
		return 0;
	len = text_fit(s, cells, &used);
	attrset(ui_attr(color));
	mvaddnstr(y, x, s, (int)len);
	attrset(A_NORMAL);
	return used;
}

static void
ui_fill(int y, int x, int cells, int color)
{
	attrset(ui_attr(color));
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
	int w = UI_LIST_WIDTH;

	if (!ui_list_shown(ui) || COLS < 20)
		return 0;
	return w > COLS / 2 ? COLS / 2 : w;
}

static const char *ui_section_names[UI_SECTION_COUNT] = {
	"Invites", "Favourites", "Direct", "Rooms", "Low priority",
};

static void
ui_draw_list(struct ui *ui, int top, int height, int width)
{
	int y = top, last = -1;

	for (size_t i = 0; i < ui->n_rooms && y < top + height; i++) {
		struct ui_room *r = &ui->rooms[i];
		int sel = ui->current != NULL && strcmp(ui->current, r->room_id) == 0;
		int color = r->highlight > 0 ? UI_C_HIGHLIGHT : UI_C_NORMAL;
		char count[24] = "";

		if ((int)r->section != last) {
			last = (int)r->section;
			ui_put(y++, 0, ui_section_names[last], width, UI_C_SECTION);
			if (y >= top + height)
				break;
		}
		if (r->unread > 0)
			snprintf(count, sizeof count, " %lld", (long long)r->unread);
		if (sel)
			attron(A_REVERSE);
		ui_fill(y, 0, width, UI_C_NORMAL);
		if (sel)
			attron(A_REVERSE);
		ui_put(y, 1, r->name, width - 1 - (int)strlen(count), color);
		if (*count != '\0')
			ui_put(y, width - (int)strlen(count), count, (int)strlen(count),
			    r->highlight > 0 ? UI_C_HIGHLIGHT : UI_C_UNREAD);
		attroff(A_REVERSE);
		y++;
	}
	for (int row = top; row < top + height; row++) {
		if (ui_utf8)
			mvaddstr(row, width, "│");
		else
			mvaddch(row, width, ACS_VLINE);
	}
}

static void
ui_lines_free(struct ui_lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].time);
		free(l->v[i].name);
		free(l->v[i].text);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static struct ui_line *
ui_line_add(struct ui_lines *l, const char *text, size_t len, int color)
{
	struct ui_line *line;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	line = &l->v[l->n++];
	memset(line, 0, sizeof *line);
	line->text = xstrndup(text, len);
	line->color = color;
	return line;
}

/* Adds text wrapped into width cells less indent, the first line after
 * the message's prefix and the rest indented as far. Returns the index
 * of the first line (pointers would not survive the next add). */
static size_t
ui_lines_wrap(struct ui_lines *l, const char *text, int indent, int width, int color)
{
	struct text_line *wl = NULL;
	size_t n, head = l->n;
	int avail = width - indent;

	if (avail < 1)
		avail = 1;
	n = text_wrap(text, avail, &wl);
	for (size_t i = 0; i < n; i++)
		ui_line_add(l, text + wl[i].off, wl[i].len, color)->indent = indent;
	if (n == 0)
		ui_line_add(l, "", 0, color);
	free(wl);
	return head;
}

static void
ui_day(char *out, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(out, size, "%a %d %b %Y", &tm) == 0)
		snprintf(out, size, "?");
}

static char *
ui_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[16];

	if (ms <= 0 || localtime_r(&t, &tm) == NULL || strftime(buf, sizeof buf, "%H:%M", &tm) == 0)
		return xstrdup("     ");
	return xstrdup(buf);
}

/* The text a message shows, made inert. */
static char *
ui_msg_text(const struct store_msg *m)
{
	struct buf b = {0};
	char *raw, *safe;

	if (m->redacted)
		return xstrdup("(message deleted)");
	if (m->state_key != NULL && m->msgtype == NULL) {
		if (strcmp(m->type, "m.room.member") == 0)
			buf_printf(&b, "%s %s", m->state_key,
			    mx_membership_name(m->membership));
		else
			buf_printf(&b, "%s%s%s", m->type, m->body ? ": " : "",
			    m->body ? m->body : "");
	} else if (m->url != NULL)
		buf_printf(&b, "[%s] %s", m->msgtype != NULL && strncmp(m->msgtype, "m.", 2) == 0 ?
		    m->msgtype + 2 : "file", m->filename ? m->filename : "attachment");
	else if (m->body != NULL)
		buf_puts(&b, m->body);
	else
		buf_printf(&b, "[%s]", m->type);
	if (m->edited)
		buf_puts(&b, " (edited)");
	raw = buf_steal(&b);
	safe = san_text(raw, SAN_MULTILINE);
	free(raw);
	return safe;
}

static void
ui_lines_msg(struct ui *ui, struct ui_lines *l, const struct store_msg *m, int width)
{
	const char *self = app_self(ui->app);
	int emote = m->msgtype != NULL && strcmp(m->msgtype, "m.emote") == 0;
	int meta = m->state_key != NULL && m->msgtype == NULL;
	char *text = ui_msg_text(m), *name = san_text(m->sender_name, 0);
	int name_w = meta ? 0 : text_width(name) + 2, color = UI_C_NORMAL;
	size_t head;

	if (meta)
		color = UI_C_META;
	else if (m->msgtype != NULL && strcmp(m->msgtype, "m.notice") == 0)
		color = UI_C_NOTICE;
	if (name_w > width / 3)
		name_w = width / 3;
	head = ui_lines_wrap(l, text, 6 + name_w, width, color);
	l->v[head].time = ui_time(m->ts);
	if (!meta) {
		l->v[head].name = emote ? xasprintf("* %s", name) : xasprintf("%s:", name);
		l->v[head].name_color = self != NULL && strcmp(m->sender, self) == 0 ?
		    UI_C_SELF : ui_nick_color(m->sender);
	}
	if (m->reactions != NULL) {
		char *r = san_text(m->reactions, 0);

		ui_lines_wrap(l, r, 6 + name_w, width, UI_C_META);
		free(r);
	}
	free(name);
	free(text);
}

/* Messages written here but not yet echoed by the server. */
static void
ui_lines_pending(struct ui *ui, struct ui_lines *l, int width)
{
	struct store_outbox *items;
	size_t n;

	if (store_outbox_list(ui->store, ui->current, 1, &items, &n, NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		int failed = items[i].state == STORE_OUTBOX_FAILED;
		char *body = san_text(items[i].body ? items[i].body : "", SAN_MULTILINE);
		char *text = xasprintf("%s%s%s", body, failed ? "  (not sent: " : "  (sending…)",
		    failed ? (items[i].last_error ? items[i].last_error : "refused") : "");
		char *safe = san_text(text, SAN_MULTILINE);

		free(text);
		text = xasprintf("%s%s", safe, failed ? ")" : "");
		free(safe);
		free(body);
		size_t head = ui_lines_wrap(l, text, 6, width, failed ? UI_C_FAILED : UI_C_PENDING);

		l->v[head].time = ui_time(items[i].created_ts);
		free(text);
	}
	store_outbox_free(&items, n);
}

static void
ui_lines_build(struct ui *ui, struct ui_lines *l, int width)
{
	struct store_msg *msgs;
	size_t n;
	char last_day[32] = "", day[32];

	if (ui->current == NULL ||
	    store_history(ui->store, ui->current, INT64_MAX, (int)ui->history, &msgs, &n,
	    NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		ui_day(day, sizeof day, msgs[i].ts);
		if (strcmp(day, last_day) != 0) {
			char *sep = xasprintf("── %s ──", day);

			ui_line_add(l, sep, strlen(sep), UI_C_META);
			free(sep);
			strcpy(last_day, day);
		}
		ui_lines_msg(ui, l, &msgs[i], width);
	}
	store_msgs_free(&msgs, n);
	ui_lines_pending(ui, l, width);
}

static void
ui_draw_pane(struct ui *ui, int top, int height, int left, int width)
{
	struct ui_lines l = {0};
	size_t first;

	ui_lines_build(ui, &l, width);
	if ((size_t)ui->scroll > (l.n > (size_t)height ? l.n - (size_t)height : 0))
		ui->scroll = l.n > (size_t)height ? (int)(l.n - (size_t)height) : 0;
	first = l.n > (size_t)(height + ui->scroll) ? l.n - (size_t)(height + ui->scroll) : 0;
	for (int row = 0; row < height && first + (size_t)row < l.n; row++) {
		struct ui_line *line = &l.v[first + (size_t)row];
		int x = left;

		if (line->time != NULL)
			x += ui_put(top + row, x, line->time, width, UI_C_TIME) + 1;
		if (line->name != NULL)
			x += ui_put(top + row, x, line->name, left + width - x, line->name_color) + 1;
		if (line->time == NULL && line->name == NULL)
			x = left + (line->indent < width ? line->indent : 0);
		ui_put(top + row, x, line->text, left + width - x, line->color);
	}
	ui_lines_free(&l);
}

static const char *
ui_conn_name(enum app_conn c)
{
	switch (c) {
	case APP_CONNECTING: return "connecting";
	case APP_ONLINE: return "online";
	case APP_OFFLINE: return "offline";
	case APP_LOGGED_OUT: return "logged out";
	}
	return "?";
}

static void
ui_draw_status(struct ui *ui, int y)
{
	struct buf b = {0};
	int64_t unread = 0;

	for (size_t i = 0; i < ui->n_rooms; i++)
		unread += ui->rooms[i].unread;
	buf_printf(&b, " [%s] %s", app_profile(ui->app), ui_conn_name(ui->conn));
	if (unread > 0)
		buf_printf(&b, "  unread %lld", (long long)unread);
	if (ui->scroll > 0)
		buf_puts(&b, "  -- scrolled --");
	if (ui->note != NULL)
		buf_printf(&b, "  %s", ui->note);
	ui_fill(y, 0, COLS, UI_C_STATUS);
	ui_put(y, 0, b.data, COLS, UI_C_STATUS);
	buf_free(&b);
}

static void
ui_draw_title(struct ui *ui, int left, int width)
{
	const char *name = "natter";

	for (size_t i = 0; i < ui->n_rooms && ui->current != NULL; i++)
		if (strcmp(ui->rooms[i].room_id, ui->current) == 0)
			name = ui->rooms[i].name;
	ui_fill(0, 0, COLS, UI_C_STATUS);
	ui_put(0, left, name, width, UI_C_STATUS);
}

/* The compose box: the rows of the draft around the cursor. */
static void
ui_draw_compose(struct ui *ui, int top, int height)
{
	struct editor_row *rows = NULL;
	const char *text = editor_text(ui->ed);
	int crow = 0, ccol = 0, first;
	size_t n;

	editor_set_width(ui->ed, COLS > 3 ? COLS - 2 : 1);
	n = editor_layout(ui->ed, &rows, &crow, &ccol);
	first = crow >= height ? crow - height + 1 : 0;
	ui_put(top, 0, ">", 2, UI_C_SELF);
	for (int row = 0; row < height && (size_t)(first + row) < n; row++) {
		struct editor_row *r = &rows[first + row];
		char *piece = xstrndup(text + r->start, r->len);
		char *safe = san_text(piece, 0);

		ui_put(top + row, 2, safe, COLS - 2, UI_C_NORMAL);
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

	editor_set_width(ui->ed, COLS > 3 ? COLS - 2 : 1);
	h = (int)editor_layout(ui->ed, &rows, &crow, &ccol);
	free(rows);
	h = h < 1 ? 1 : h > UI_COMPOSE_MAX ? UI_COMPOSE_MAX : h;
	return LINES < h + 3 ? 1 : h;
}

void
ui_draw(struct ui *ui)
{
	int compose_h, list_w, pane_top = 1, pane_h;

	if (!ui_colors_ready)
		ui_colors_init();
	ui->dirty = 0;
	erase();
	compose_h = ui_compose_height(ui);
	pane_h = LINES - compose_h - 2;
	list_w = ui_list_width(ui);
	ui_draw_title(ui, list_w ? list_w + 1 : 0, COLS);
	if (pane_h > 0) {
		if (list_w > 0)
			ui_draw_list(ui, pane_top, pane_h, list_w);
		ui_draw_pane(ui, pane_top, pane_h, list_w ? list_w + 1 : 0,
		    COLS - (list_w ? list_w + 1 : 0));
	}
	ui_draw_status(ui, LINES - compose_h - 1);
	ui_draw_compose(ui, LINES - compose_h, compose_h);
	refresh();
}
