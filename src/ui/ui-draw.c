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
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/text.h"
#include "natter/theme.h"
#include "ui-private.h"

/* One screen line of the message pane. */
struct ui_line {
	char *time;		/* "14:03", on a message's first line only */
	char *name;		/* sender, likewise */
	int name_color;
	char *text;
	int color;
	int indent;		/* cells before text on continuation lines */
	int msg;		/* the selectable message it shows (its index in
				 * ui_lines.events), or -1 */
	int edited;		/* the message's last line, ending in "(edited)" */
};

#define UI_GAP_TEXT "── messages missing here: loading them… ──"

/* Message text starts after the time and a space. */
#define UI_INDENT(ui) (ui_time_width(ui) + 1)

int ui_time_width(const struct ui *ui);

struct ui_lines {
	struct ui_line *v;
	size_t n;
	char **events;		/* the selectable messages, oldest first */
	size_t n_events;
	char *self_name;	/* our display name in the room, made inert */
	size_t gap_line;	/* "messages missing here", or SIZE_MAX */
};

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
	"Invites", "Favourites", "Direct", "Rooms", "Low priority",
};

static void
ui_draw_list(struct ui *ui, int top, int height, int width)
{
	int y = top, last = -1;

	for (size_t i = 0; i < ui->n_rooms && y < top + height; i++) {
		struct ui_room *r = &ui->rooms[i];
		int sel = ui->current != NULL && strcmp(ui->current, r->room_id) == 0;
		int color = r->highlight > 0 ? THEME_LIST_HIGHLIGHT :
		    r->unread > 0 ? THEME_LIST_UNREAD : THEME_LIST;
		char count[48] = "";

		if ((int)r->section != last) {
			last = (int)r->section;
			ui_put(y++, 0, ui_section_names[last], width, THEME_LIST_SECTION);
			if (y >= top + height)
				break;
		}
		/* "5" unread, "5 @2" when two of them mention you. */
		if (r->unread > 0 && r->highlight > 0)
			snprintf(count, sizeof count, " %lld @%lld", (long long)r->unread,
			    (long long)r->highlight);
		else if (r->unread > 0 || r->highlight > 0)
			snprintf(count, sizeof count, r->unread > 0 ? " %lld" : " @%lld",
			    (long long)(r->unread > 0 ? r->unread : r->highlight));
		if (sel)
			color = THEME_LIST_SELECTED;
		else if (r->section == UI_SECTION_INVITES)
			color = THEME_LIST_INVITE;
		ui_fill(y, 0, width, sel ? THEME_LIST_SELECTED : THEME_LIST);
		ui_put(y, 1, r->name, width - 1 - (int)strlen(count), color);
		if (*count != '\0')
			ui_put(y, width - (int)strlen(count), count, (int)strlen(count),
			    sel ? THEME_LIST_SELECTED : r->highlight > 0 ? THEME_LIST_HIGHLIGHT :
			    THEME_LIST_UNREAD);
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
	for (size_t i = 0; i < l->n_events; i++)
		free(l->events[i]);
	free(l->events);
	l->events = NULL;
	l->n_events = 0;
	xfree(&l->self_name);
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
	line->msg = -1;
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

/* The settings' formats, or natter's own without a config. */
static const char *
ui_format(const struct ui *ui, int day)
{
	if (ui->settings == NULL)
		return day ? "%A %d %B %Y" : "%H:%M";
	return day ? ui->settings->ui.date_format : ui->settings->ui.time_format;
}

static void
ui_day(const struct ui *ui, char *out, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(out, size, ui_format(ui, 1), &tm) == 0)
		snprintf(out, size, "?");
}

/* A message's time, padded to the width every time takes. */
static char *
ui_time(const struct ui *ui, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[80];
	int w;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, ui_format(ui, 0), &tm) == 0)
		buf[0] = '\0';
	w = text_width(buf);
	return xasprintf("%s%*s", buf, ui_time_width(ui) > w ? ui_time_width(ui) - w : 0, "");
}

/* Cells a time takes, measured once on a wide example (22:58). */
int
ui_time_width(const struct ui *ui)
{
	static int width = -1;
	struct tm tm = {.tm_hour = 22, .tm_min = 58, .tm_sec = 58, .tm_mday = 28,
		.tm_mon = 11, .tm_year = 126, .tm_wday = 3};
	char buf[80];

	if (width < 0) {
		if (strftime(buf, sizeof buf, ui_format(ui, 0), &tm) == 0)
			buf[0] = '\0';
		width = text_width(buf);
	}
	return width;
}

/* The text a message shows, made inert. */
static char *
ui_msg_text(const struct store_msg *m)
{
	struct buf b = {0};
	char *raw, *safe;

	if (m->redacted)
		return xstrdup("(message deleted)");
	if (m->state_key != NULL && strcmp(m->type, "m.room.member") == 0) {
		buf_printf(&b, "%s %s", strcmp(m->state_key, m->sender) == 0 ? m->sender_name :
		    m->state_key, msg_member_verb(m->membership));
	} else if (m->state_key != NULL && m->msgtype == NULL) {
		const char *verb = msg_state_verb(m->type);

		buf_printf(&b, "%s %s%s%s", m->sender_name,
		    verb != NULL ? verb : "changed the room's settings",
		    m->body ? ": " : "", m->body ? m->body : "");
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

/* "↳ Dana: the first words of what this answers", one line. */
static void
ui_lines_quote(struct ui *ui, struct ui_lines *l, const char *event_id, int width)
{
	struct store_msg q;
	char *raw, *safe, *cut;

	if (store_msg_get(ui->store, event_id, &q, NULL) == -1)
		raw = xstrdup("↳ (a message not in the cache)");
	else {
		raw = xasprintf("↳ %s: %s", q.sender_name, q.redacted ? "(message deleted)" :
		    q.body != NULL ? q.body : "…");
		store_msg_clear(&q);
	}
	safe = san_text(raw, 0);
	cut = text_truncate(safe, width - UI_INDENT(ui) > 1 ? width - UI_INDENT(ui) : 1);
	ui_line_add(l, cut, strlen(cut), THEME_REPLY_QUOTE)->indent = UI_INDENT(ui);
	free(cut);
	free(safe);
	free(raw);
}

static void
ui_lines_msg(struct ui *ui, struct ui_lines *l, const struct store_msg *m, int width)
{
	const char *self = core_self(ui->core);
	int emote = m->msgtype != NULL && strcmp(m->msgtype, "m.emote") == 0;
	int meta = m->state_key != NULL && m->msgtype == NULL;
	char *text = ui_msg_text(m), *name = san_text(m->sender_name, 0);
	int name_w = meta ? 0 : text_width(name) + 2, color = THEME_PANE;
	size_t head, first;

	if (meta)
		color = THEME_MEMBERSHIP;
	else if (m->redacted)
		color = THEME_REDACTED;
	else if (emote)
		color = THEME_EMOTE;
	else if (m->msgtype != NULL && strcmp(m->msgtype, "m.notice") == 0)
		color = THEME_NOTICE;
	if (name_w > width / 3)
		name_w = width / 3;
	first = l->n;
	if (m->reply_to != NULL)
		ui_lines_quote(ui, l, m->reply_to, width);
	head = ui_lines_wrap(l, text, UI_INDENT(ui) + name_w, width, color);
	l->v[head].time = ui_time(ui, m->ts);
	if (!meta) {
		l->v[head].name = emote ? xasprintf("* %s", name) : xasprintf("%s:", name);
		l->v[head].name_color = self != NULL && strcmp(m->sender, self) == 0 ?
		    THEME_OWN_MESSAGE : ui_theme_nick(m->sender);
	}
	if (m->edited && !m->redacted)
		l->v[l->n - 1].edited = 1;
	if (m->n_reactions > 0) {
		char *plain = msg_reactions_text(m->reactions, m->n_reactions);
		char *r = san_text(plain, 0);

		ui_lines_wrap(l, r, UI_INDENT(ui) + name_w, width, THEME_REACTIONS);
		free(r);
		free(plain);
	}
	if (!meta) {
		l->events = xreallocarray(l->events, l->n_events + 1, sizeof *l->events);
		l->events[l->n_events] = xstrdup(m->event_id);
		for (size_t i = first; i < l->n; i++)
			l->v[i].msg = (int)l->n_events;
		l->n_events++;
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
		char *hint = failed ? "; /retry or /discard" : "";
		char *safe = san_text(text, SAN_MULTILINE);

		free(text);
		text = xasprintf("%s%s%s", safe, hint, failed ? ")" : "");
		free(safe);
		free(body);
		size_t head = ui_lines_wrap(l, text, UI_INDENT(ui), width, failed ? THEME_FAILED : THEME_PENDING);

		l->v[head].time = ui_time(ui, items[i].created_ts);
		free(text);
	}
	store_outbox_free(&items, n);
}

static int
ui_msg_hidden(const struct store_msg *m)
{
	return m->state_key != NULL && msg_state_hidden(m->type);
}

static int
ui_msg_membership(const struct store_msg *m)
{
	return m->state_key != NULL && strcmp(m->type, "m.room.member") == 0;
}

/* "Dana joined, Sam was invited": a run of membership changes as one
 * line; returns the index after the run. */
static size_t
ui_lines_members(struct ui *ui, struct ui_lines *l, const struct store_msg *msgs, size_t i,
    size_t n, int width)
{
	struct buf b = {0};
	char *safe;
	size_t head, start = i;

	for (; i < n && ui_msg_membership(&msgs[i]); i++) {
		const struct store_msg *m = &msgs[i];
		const char *who = strcmp(m->state_key, m->sender) == 0 ? m->sender_name :
		    m->state_key;

		buf_printf(&b, "%s%s %s", i > start ? ", " : "", who,
		    msg_member_verb(m->membership));
	}
	safe = san_text(b.data, 0);
	head = ui_lines_wrap(l, safe, UI_INDENT(ui), width, THEME_MEMBERSHIP);
	l->v[head].time = ui_time(ui, msgs[start].ts);
	free(safe);
	buf_free(&b);
	return i;
}

/* "✓ Seen by Dana, Marcus" under the message others have read up to. */
struct ui_seen {
	struct store_receipt *r;
	size_t n;
	struct store_member *members;
	size_t n_members;
};

static void
ui_seen_load(struct ui *ui, struct ui_seen *seen)
{
	memset(seen, 0, sizeof *seen);
	if (store_receipts(ui->store, ui->current, &seen->r, &seen->n, NULL) == -1 ||
	    store_members(ui->store, ui->current, &seen->members, &seen->n_members, NULL) == -1)
		seen->n = 0;
}

static void
ui_seen_free(struct ui_seen *seen)
{
	store_receipts_free(&seen->r, seen->n);
	store_members_free(&seen->members, seen->n_members);
}

static const char *
ui_seen_name(const struct ui_seen *seen, const char *user_id)
{
	for (size_t i = 0; i < seen->n_members; i++)
		if (strcmp(seen->members[i].user_id, user_id) == 0)
			return seen->members[i].name;
	return user_id;
}

static void
ui_lines_seen(struct ui *ui, struct ui_lines *l, const struct ui_seen *seen,
    const char *event_id, int width)
{
	const char *self = core_self(ui->core);
	struct buf b = {0};
	char *safe;

	for (size_t i = 0; i < seen->n; i++) {
		if (strcmp(seen->r[i].event_id, event_id) != 0 ||
		    (self != NULL && strcmp(seen->r[i].user_id, self) == 0))
			continue;
		buf_printf(&b, "%s%s", b.len == 0 ? "✓ Seen by " : ", ",
		    ui_seen_name(seen, seen->r[i].user_id));
	}
	if (b.len == 0)
		return;
	safe = san_text(b.data, 0);
	ui_lines_wrap(l, safe, UI_INDENT(ui), width, THEME_RECEIPTS);
	free(safe);
	buf_free(&b);
}

/* Under an invitation: how to answer it. */
static void
ui_lines_invite(struct ui *ui, struct ui_lines *l, int width)
{
	const struct ui_room *room = ui_room_find(ui, ui->current);
	char *yes, *no, *text;

	if (room == NULL || room->section != UI_SECTION_INVITES)
		return;
	yes = ui_key_name(ui, KEYS_ACT_INVITE_ACCEPT);
	no = ui_key_name(ui, KEYS_ACT_INVITE_DECLINE);
	text = xasprintf("You are invited to %s. %s%saccepts, %s%sdeclines.", room->name,
	    yes != NULL ? yes : "/join", yes != NULL ? " (or /join) " : " ",
	    no != NULL ? no : "/leave", no != NULL ? " (or /leave) " : " ");
	ui_lines_wrap(l, text, UI_INDENT(ui), width, THEME_LIST_INVITE);
	free(text);
	free(no);
	free(yes);
}

static void
ui_lines_build(struct ui *ui, struct ui_lines *l, int width)
{
	struct store_msg *msgs;
	struct ui_seen seen;
	size_t n, i = 0;
	char last_day[80] = "", day[80], *token = NULL, *me;
	int members = ui->settings != NULL ? (int)ui->settings->ui.show_membership :
	    SETTINGS_MEMBERSHIP_COLLAPSED, gap;
	int64_t gap_seq = 0;

	l->gap_line = SIZE_MAX;
	if (ui->current == NULL ||
	    store_history(ui->store, ui->current, INT64_MAX, (int)ui->history, &msgs, &n,
	    NULL) == -1)
		return;
	ui->cache_short = n < (size_t)ui->history;
	ui->marker_line = SIZE_MAX;
	/* A limited sync leaves the newest gap between two cached messages. */
	gap = store_gap_next(ui->store, ui->current, &gap_seq, &token, NULL) == 1;
	free(token);
	ui_seen_load(ui, &seen);
	if (core_self(ui->core) != NULL &&
	    (me = store_member_displayname(ui->store, ui->current, core_self(ui->core))) != NULL) {
		l->self_name = san_text(me, 0);
		free(me);
	}
	while (i < n) {
		if (gap && i > 0 && msgs[i - 1].seq < gap_seq && msgs[i].seq >= gap_seq) {
			l->gap_line = l->n;
			ui_line_add(l, UI_GAP_TEXT, strlen(UI_GAP_TEXT), THEME_UNREAD_MARKER);
			gap = 0;
		}
		if (ui_msg_hidden(&msgs[i]) || (ui_msg_membership(&msgs[i]) &&
		    members == SETTINGS_MEMBERSHIP_NONE)) {
			i++;
			continue;
		}
		ui_day(ui, day, sizeof day, msgs[i].ts);
		if (strcmp(day, last_day) != 0) {
			char *sep = xasprintf("── %s ──", day);

			ui_line_add(l, sep, strlen(sep), THEME_DAY_SEPARATOR);
			free(sep);
			strcpy(last_day, day);
		}
		if (ui_msg_membership(&msgs[i]) && members == SETTINGS_MEMBERSHIP_COLLAPSED)
			i = ui_lines_members(ui, l, msgs, i, n, width);
		else {
			ui_lines_msg(ui, l, &msgs[i], width);
			ui_lines_seen(ui, l, &seen, msgs[i].event_id, width);
			if (ui->marker != NULL && i + 1 < n &&
			    strcmp(msgs[i].event_id, ui->marker) == 0) {
				ui->marker_line = l->n;
				ui_line_add(l, "── new messages ──", strlen("── new messages ──"),
				    THEME_UNREAD_MARKER);
			}
			i++;
		}
	}
	ui_seen_free(&seen);
	store_msgs_free(&msgs, n);
	ui_lines_pending(ui, l, width);
	ui_lines_invite(ui, l, width);
}

/* The pane's lines, built again only when what they show changed: the
 * room, its data (ui->gen), the history read, or the width. */
struct ui_pane_cache {
	struct ui_lines lines;
	char *room;
	unsigned gen;
	int64_t history;
	int width;
	int bottom;		/* the newest message drawn, -1 when none */
};

static struct ui_lines *
ui_pane_lines(struct ui *ui, int width)
{
	struct ui_pane_cache *c = ui->pane;

	if (c == NULL)
		c = ui->pane = xcalloc(1, sizeof *c);
	if (c->room != NULL && ui->current != NULL && strcmp(c->room, ui->current) == 0 &&
	    c->gen == ui->gen && c->history == ui->history && c->width == width)
		return &c->lines;
	ui_lines_free(&c->lines);
	free(c->room);
	c->room = ui->current != NULL ? xstrdup(ui->current) : NULL;
	c->gen = ui->gen;
	c->history = ui->history;
	c->width = width;
	ui_lines_build(ui, &c->lines, width);
	return &c->lines;
}

void
ui_pane_free(struct ui *ui)
{
	struct ui_pane_cache *c = ui->pane;

	if (c == NULL)
		return;
	ui_lines_free(&c->lines);
	free(c->room);
	xfree(&ui->pane);
}

/* The selectable messages of the pane as last built, oldest first, and
 * in *bottom the newest one drawn (-1 when none). */
size_t
ui_pane_events(struct ui *ui, char *const **events, int *bottom)
{
	struct ui_pane_cache *c = ui->pane;

	if (c == NULL || c->room == NULL || ui->current == NULL ||
	    strcmp(c->room, ui->current) != 0) {
		*events = NULL;
		*bottom = -1;
		return 0;
	}
	*events = c->lines.events;
	*bottom = c->bottom;
	return c->lines.n_events;
}

/* The index of an event among the pane's messages, or -1. */
int
ui_pane_index(struct ui *ui, const char *event_id)
{
	char *const *events;
	int bottom;
	size_t n = ui_pane_events(ui, &events, &bottom);

	for (size_t i = 0; event_id != NULL && i < n; i++)
		if (strcmp(events[i], event_id) == 0)
			return (int)i;
	return -1;
}

/* Scrolls so that the selected message is in view: just, or in the
 * middle of the pane for UI_FOLLOW_CENTRE. */
static void
ui_pane_follow(struct ui *ui, const struct ui_lines *l, int height)
{
	int sel = ui_pane_index(ui, ui->sel), centre = ui->sel_follow == UI_FOLLOW_CENTRE;
	size_t start = SIZE_MAX, end = 0, below;

	ui->sel_follow = 0;
	for (size_t i = 0; sel >= 0 && i < l->n; i++) {
		if (l->v[i].msg == sel) {
			start = start == SIZE_MAX ? i : start;
			end = i + 1;
		}
	}
	if (start == SIZE_MAX)
		return;
	below = l->n - end;
	if (centre) {
		size_t half = (size_t)height / 2;

		ui->scroll = below > half ? (int)(below - half) : 0;
		return;
	}
	if ((size_t)ui->scroll > below)
		ui->scroll = (int)below;
	else if (l->n - start > (size_t)(ui->scroll + height))
		ui->scroll = (int)(l->n - start) - height;
}

/* Where a span to draw in its own element starts in s, or NULL: a web
 * link, or a mention of us by user id or display name (a whole word,
 * any case). *len is its length and *element its element. */
static const char *
ui_span_next(const char *s, const char *self_id, const char *self_name, size_t *len,
    int *element)
{
	const char *best = NULL, *words[] = {self_id, self_name};

	for (const char *p = s; (p = strstr(p, "http")) != NULL; p++) {
		if (strncmp(p, "https://", 8) == 0 || strncmp(p, "http://", 7) == 0) {
			best = p;
			*len = strcspn(p, " \t<>\"");
			*element = THEME_LINK;
			break;
		}
	}
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

		span = ui_span_next(s, self, self_name, &slen, &element);
		if (span == NULL || (size_t)(span - line->text) >= len - tail) {
			span = line->text + len - tail;
			slen = 0;
		}
		n = (size_t)(span - s);
		piece = xstrndup(s, n);
		x += ui_put(y, x, piece, cells, line->color);
		cells -= text_width(piece);
		free(piece);
		if (slen > 0 && cells > 0) {
			piece = xstrndup(span, slen);
			x += ui_put(y, x, piece, cells, element);
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
	int a = ui_pane_index(ui, ui->mark), b = ui_pane_index(ui, ui->mark_end);

	ps->sel = ui_pane_index(ui, ui->sel);
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
	struct ui_lines *lp = ui_pane_lines(ui, width), l = *lp;
	struct ui_pane_sel ps;
	size_t first;

	ui->pane->bottom = -1;
	ui_pane_sel_find(ui, &ps);
	if (ui->sel_follow)
		ui_pane_follow(ui, &l, height);
	if ((size_t)ui->scroll > (l.n > (size_t)height ? l.n - (size_t)height : 0))
		ui->scroll = l.n > (size_t)height ? (int)(l.n - (size_t)height) : 0;
	if (ui->jump_marker && ui->marker_line != SIZE_MAX) {
		/* The marker two lines from the top of the pane. */
		size_t below = l.n - ui->marker_line + 2;

		ui->scroll = below > (size_t)height ? (int)(below - (size_t)height) : 0;
	}
	ui->jump_marker = 0;
	first = l.n > (size_t)(height + ui->scroll) ? l.n - (size_t)(height + ui->scroll) : 0;
	if (first == 0 && ui->scroll > 0)
		ui_history_more(ui);
	if (l.gap_line != SIZE_MAX && l.gap_line >= first && l.gap_line < first + (size_t)height)
		ui_gap_fetch(ui);
	for (int row = 0; row < height && first + (size_t)row < l.n; row++) {
		struct ui_line *line = &l.v[first + (size_t)row];
		int x = left, time_only;
		attr_t extra = ui_line_extra(&ps, line, &time_only);

		if (line->msg > ui->pane->bottom)
			ui->pane->bottom = line->msg;
		ui_put_extra = extra;
		if (extra && !time_only)
			ui_fill(top + row, left, width, THEME_PANE);
		if (line->time != NULL)
			x += ui_put(top + row, x, line->time, width, THEME_TIMESTAMP) + 1;
		if (time_only)
			ui_put_extra = 0;
		if (line->name != NULL)
			x += ui_put(top + row, x, line->name, left + width - x, line->name_color) + 1;
		if (line->time == NULL && line->name == NULL)
			x = left + (line->indent < width ? line->indent : 0);
		ui_put_text(ui, top + row, x, left + width - x, line, l.self_name);
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

static void
ui_draw_status(struct ui *ui, int y)
{
	struct buf b = {0};
	int64_t unread = 0;
	int el = ui->conn == CORE_ONLINE ? THEME_STATUS : THEME_STATUS_OFFLINE, x;

	for (size_t i = 0; i < ui->n_rooms; i++)
		unread += ui->rooms[i].unread;
	buf_printf(&b, " [%s] %s", core_profile(ui->core), ui_conn_name(ui->conn));
	if (unread > 0)
		buf_printf(&b, "  unread %lld", (long long)unread);
	if (ui->sel != NULL) {
		char *hint = ui_select_hint(ui, ui->note == NULL);

		buf_printf(&b, "  %s", hint);
		free(hint);
	} else if (ui->mark != NULL) {
		int marked = ui_range_count(ui);

		if (marked > 0)
			buf_printf(&b, "  %d marked", marked);
		else
			buf_puts(&b, "  a range is marked");
	}
	if (ui->scroll > 0)
		buf_puts(&b, "  -- scrolled --");
	ui_fill(y, 0, COLS, el);
	x = ui_put(y, 0, b.data, COLS, el);
	/* The typing note and an error stand out in their own colours. */
	if (ui->typing != NULL)
		x += ui_put(y, x + 2, ui->typing, COLS - x - 2, THEME_TYPING) + 2;
	if (ui->note != NULL)
		ui_put(y, x + 2, ui->note, COLS - x - 2, ui->note_error ? THEME_ERROR : el);
	buf_free(&b);
}

static void
ui_draw_title(struct ui *ui, int left, int width)
{
	const struct ui_room *room = ui_room_find(ui, ui->current);
	const char *name = room != NULL ? room->name : "natter";

	ui_fill(0, 0, COLS, THEME_STATUS);
	ui_put(0, left, name, width, THEME_STATUS);
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

	if (ui_utf8 == -1)
		ui_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
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
	if (ui_help_shown(ui) && pane_h > 0)
		ui_help_draw(ui, pane_top, pane_h, list_w ? list_w + 1 : 0,
		    COLS - (list_w ? list_w + 1 : 0));
	if (ui_search_shown(ui) && pane_h > 0)
		ui_search_draw(ui, pane_top, pane_h, list_w ? list_w + 1 : 0,
		    COLS - (list_w ? list_w + 1 : 0));
	if (ui->switching && pane_h > 0)
		ui_switch_draw(ui, pane_top, pane_h, list_w ? list_w + 1 : 0,
		    COLS - (list_w ? list_w + 1 : 0));
	refresh();
}
