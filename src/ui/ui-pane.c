/* The message pane's model: the lines a room shows, built from the cache
 * (wrapped, with day separators, collapsed membership runs, reply quotes,
 * reactions, "seen by", the new-messages marker and gaps), and the pane's
 * place in them. No curses here: ui-draw.c draws what this decides. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "natter/loop.h"
#include "natter/msg.h"
#include "natter/rich.h"
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/text.h"
#include "natter/theme.h"
#include "ui-private.h"

#define UI_GAP_TEXT "── messages missing here: loading them… ──"
#define UI_THREAD_ORPHAN "↳ in a thread whose first message is not loaded"
#define UI_THREAD_HEAD "── thread: Esc returns to the room ──"

/* Message text starts after the time and a space. */
#define UI_INDENT(ui) (ui_time_width(ui) + 1)

static void
ui_lines_free(struct ui_lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].time);
		free(l->v[i].name);
		free(l->v[i].text);
		free(l->v[i].spans);
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

/* An indent cut to leave at least two cells of width, the widest
 * character. */
static int
ui_indent_fit(int indent, int width)
{
	if (indent > width - 2)
		indent = width > 2 ? width - 2 : 0;
	return indent;
}

/* Adds text wrapped into width cells less indent, every line starting
 * at the indent (the first after the message's time and sender), cut by
 * ui_indent_fit. Returns the index of the first line (pointers would not
 * survive the next add). */
static size_t
ui_lines_wrap(struct ui_lines *l, const char *text, int indent, int width, int color)
{
	struct text_line *wl = NULL;
	size_t n, head = l->n;

	indent = ui_indent_fit(indent, width);
	n = text_wrap(text, width - indent, &wl);
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

/* "[image] board.png (245.3 KB, 1920×1080)": an attachment's kind and
 * name, its size when known and a picture's dimensions when its info
 * gives them. */
static void
ui_attachment_text(struct buf *b, const struct store_msg *m)
{
	char size[32] = "";
	int w, h;

	buf_printf(b, "[%s] %s", m->msgtype != NULL && strncmp(m->msgtype, "m.", 2) == 0 ?
	    m->msgtype + 2 : "file", m->filename ? m->filename : "attachment");
	if (m->size >= 0)
		nt_size_text(m->size, size, sizeof size);
	if (msg_media_dimensions(m->content, &w, &h))
		buf_printf(b, " (%s%s%d\u00d7%d)", size, *size != '\0' ? ", " : "", w, h);
	else if (*size != '\0')
		buf_printf(b, " (%s)", size);
}

/* The text a message shows (its formatted text when rich is not NULL),
 * made inert. */
static char *
ui_msg_text(const struct store_msg *m, const struct rich *rich)
{
	struct buf b = {0};
	char *raw, *safe, *note = NULL;

	if (m->redacted)
		return xstrdup("(message deleted)");
	if (m->url != NULL)
		ui_attachment_text(&b, m);
	else if (m->body != NULL)
		buf_puts(&b, rich != NULL ? rich->text : m->body);
	else if ((note = msg_encrypted_note(m->encryption)) != NULL)
		buf_puts(&b, note);
	else
		buf_printf(&b, "[%s]", m->type);
	free(note);
	if (m->edited)
		buf_puts(&b, " (edited)");
	if (!m->redacted && msg_trust_note(m->sender_trust) != NULL)
		buf_printf(&b, " [%s]", msg_trust_note(m->sender_trust));
	raw = buf_steal(&b);
	safe = san_text(raw, SAN_MULTILINE);
	free(raw);
	return safe;
}

/* What a room event did, in display names: "Sam invited Dana Whitfield",
 * "Sam renamed the room to Board"; made inert. */
static char *
ui_state_text(struct ui *ui, const struct store_msg *m)
{
	struct msg_state_event e = {m->type, m->sender, m->sender_name, m->state_key, NULL,
		m->content, m->membership};
	char *target = NULL, *raw, *safe;

	if (strcmp(m->type, "m.room.member") == 0 && strcmp(m->state_key, m->sender) != 0)
		e.target_name = target = store_member_displayname(ui->store, ui->current,
		    m->state_key);
	if ((raw = msg_state_text(&e)) == NULL)
		raw = xasprintf("%s changed the room's settings", m->sender_name);
	safe = san_text(raw, 0);
	free(raw);
	free(target);
	return safe;
}

/* The sender before a message's text, "Dana:" or "* Dana" for an emote,
 * in at most cells cells: a name too long is cut, keeping the colon or
 * the star; NULL when not even one cell of the name fits. */
static char *
ui_sender_label(const char *name, int emote, int cells)
{
	char *label = emote ? xasprintf("* %s", name) : xasprintf("%s:", name), *cut;
	int deco = emote ? 2 : 1;

	if (text_width(label) <= cells)
		return label;
	free(label);
	if (cells - deco < 1)
		return NULL;
	cut = text_truncate(name, cells - deco);
	label = emote ? xasprintf("* %s", cut) : xasprintf("%s:", cut);
	free(cut);
	return label;
}

/* "↳ Dana: the first words of what this answers", one line from indent:
 * the first of the reply's, with its time and sender. */
static void
ui_lines_quote(struct ui *ui, struct ui_lines *l, const char *event_id, int indent, int width)
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
	indent = ui_indent_fit(indent, width);
	cut = text_truncate(safe, width - indent);
	ui_line_add(l, cut, strlen(cut), THEME_REPLY_QUOTE)->indent = indent;
	free(cut);
	free(safe);
	free(raw);
}

/* One line from indent in the colour of reply quotes, cut to width. */
static void
ui_lines_note(struct ui_lines *l, const char *text, int indent, int width)
{
	char *cut;

	indent = ui_indent_fit(indent, width);
	cut = text_truncate(text, width - indent);
	ui_line_add(l, cut, strlen(cut), THEME_REPLY_QUOTE)->indent = indent;
	free(cut);
}

/* Under a thread's root: "⤷ 2 replies, last Dana 17:27: the first words". */
static void
ui_lines_thread(struct ui *ui, struct ui_lines *l, const struct store_msg *m, int indent,
    int width)
{
	char *when = ui_time(ui, m->thread_last_ts), *line, *raw, *safe;

	line = msg_thread_summary(m->thread_replies, m->thread_last_name, when,
	    m->thread_last_body, width);
	free(when);
	if (line == NULL)
		return;
	raw = xasprintf("⤷ %s", line);
	safe = san_text(raw, 0);
	ui_lines_note(l, safe, indent, width);
	free(safe);
	free(raw);
	free(line);
}

static void
ui_lines_msg(struct ui *ui, struct ui_lines *l, const struct store_msg *m, int width)
{
	const char *self = core_self(ui->core);
	int emote = m->msgtype != NULL && strcmp(m->msgtype, "m.emote") == 0;
	int meta = m->state_key != NULL && m->msgtype == NULL;
	struct rich *rich = meta || m->redacted ? NULL : ui_msg_rich(m);
	char *text = meta && !m->redacted ? ui_state_text(ui, m) : ui_msg_text(m, rich);
	char *name = san_text(m->sender_name, 0);
	int name_w = 0, color = THEME_PANE;
	size_t head, first = l->n;

	if (meta)
		color = THEME_MEMBERSHIP;
	else if (m->redacted)
		color = THEME_REDACTED;
	else if (emote)
		color = THEME_EMOTE;
	else if (m->msgtype != NULL && strcmp(m->msgtype, "m.notice") == 0)
		color = THEME_NOTICE;
	/* "Dana: " or "* Dana ", in at most a third of the width. */
	if (!meta)
		name_w = text_width(name) + (emote ? 3 : 2);
	if (name_w > width / 3)
		name_w = width / 3;
	/* A reply's first line quotes what it answers, after its sender; a
	 * thread's reply shown in the room (its root is not cached) says so. */
	if (m->reply_to != NULL)
		ui_lines_quote(ui, l, m->reply_to, UI_INDENT(ui) + name_w, width);
	else if (m->thread_root != NULL && ui->view.thread == NULL)
		ui_lines_note(l, UI_THREAD_ORPHAN, UI_INDENT(ui) + name_w, width);
	head = ui_lines_wrap(l, text, UI_INDENT(ui) + name_w, width, color);
	ui_lines_rich(l, head, text, rich);
	rich_free(&rich);
	l->v[first].time = ui_time(ui, m->ts);
	if (!meta) {
		l->v[first].name = ui_sender_label(name, emote, l->v[first].indent - UI_INDENT(ui) - 1);
		l->v[first].name_color = self != NULL && strcmp(m->sender, self) == 0 ?
		    THEME_OWN_MESSAGE : ui_theme_nick(m->sender);
	}
	if (m->edited && !m->redacted)
		l->v[l->n - 1].edited = 1;
	if (!meta && core_msg_mentions_us(ui->core, m, l->self_name))
		for (size_t i = head; i < l->n; i++)
			l->v[i].mention = 1;
	if (m->n_reactions > 0) {
		char *plain = msg_reactions_text(m->reactions, m->n_reactions);
		char *r = san_text(plain, 0);

		ui_lines_wrap(l, r, UI_INDENT(ui) + name_w, width, THEME_REACTIONS);
		free(r);
		free(plain);
	}
	if (ui->view.thread == NULL)
		ui_lines_thread(ui, l, m, UI_INDENT(ui) + name_w, width);
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

/* What a queued message that has failed adds to "(sending…)": when the
 * next attempt is, or how many were made, and why the last one failed. */
static char *
ui_pending_retry(const struct store_outbox *item)
{
	int64_t left = item->next_ts - nt_now_ms();

	if (item->state != STORE_OUTBOX_QUEUED || item->last_error == NULL)
		return xstrdup("");
	if (item->next_ts != 0 && left > 0)
		return xasprintf(" retrying in %lld s: %s", (long long)(left + 999) / 1000,
		    item->last_error);
	return xasprintf(" tried %d time%s: %s", item->attempts, item->attempts == 1 ? "" : "s",
	    item->last_error);
}

/* Messages written here but not yet echoed by the server (sent or not),
 * each under our name as it will be once it has come back. */
static void
ui_lines_pending(struct ui *ui, struct ui_lines *l, int width)
{
	struct store_outbox *items;
	char *name;
	int name_w;
	size_t n;

	if (store_outbox_shown(ui->store, ui->current, nt_now_ms() - UI_ECHO_WAIT_MS, &items, &n,
	    NULL) == -1)
		return;
	if (l->self_name != NULL)
		name = xstrdup(l->self_name);
	else
		name = san_text(core_self(ui->core) != NULL ? core_self(ui->core) : "you", 0);
	name_w = text_width(name) + 2;
	if (name_w > width / 3)
		name_w = width / 3;
	for (size_t i = 0; i < n; i++) {
		int failed = items[i].state == STORE_OUTBOX_FAILED;
		char *body = san_text(items[i].body ? items[i].body : "", SAN_MULTILINE);
		char *retry = ui_pending_retry(&items[i]);
		const char *said = failed ? "  (not sent: " :
		    items[i].state == STORE_OUTBOX_SENT ? "  (sent)" : "  (sending…)";
		char *text = xasprintf("%s%s%s%s", body, said,
		    failed ? (items[i].last_error ? items[i].last_error : "refused") : "", retry);
		char *hint = failed ? "; /retry or /discard" : "";
		char *safe = san_text(text, SAN_MULTILINE);

		free(text);
		text = xasprintf("%s%s%s", safe, hint, failed ? ")" : "");
		free(safe);
		free(retry);
		free(body);
		size_t head = ui_lines_wrap(l, text, UI_INDENT(ui) + name_w, width,
		    failed ? THEME_FAILED : THEME_PENDING);

		l->v[head].time = ui_time(ui, items[i].created_ts);
		l->v[head].name = xasprintf("%s:", name);
		l->v[head].name_color = THEME_OWN_MESSAGE;
		free(text);
	}
	free(name);
	store_outbox_free(&items, n);
}

/* Messages scheduled in this room, greyed at the end of the pane with
 * when they go and where they wait. */
static void
ui_lines_scheduled(struct ui *ui, struct ui_lines *l, int width)
{
	struct store_outbox *items;
	char *name;
	int name_w;
	size_t n;

	if (store_outbox_scheduled(ui->store, ui->current, nt_now_ms(), &items, &n, NULL) == -1)
		return;
	name = l->self_name != NULL ? xstrdup(l->self_name) :
	    san_text(core_self(ui->core) != NULL ? core_self(ui->core) : "you", 0);
	name_w = text_width(name) + 2;
	if (name_w > width / 3)
		name_w = width / 3;
	for (size_t i = 0; i < n; i++) {
		char due[64], *text, *body = san_text(items[i].body ? items[i].body : "",
		    SAN_MULTILINE);
		time_t t = (time_t)(items[i].due_ts / 1000);
		struct tm tm;
		size_t head;

		if (localtime_r(&t, &tm) == NULL || strftime(due, sizeof due, "%a %d %b %H:%M",
		    &tm) == 0)
			snprintf(due, sizeof due, "?");
		text = xasprintf("%s  (scheduled #%lld for %s, %s)", body, (long long)items[i].id,
		    due, items[i].state == STORE_OUTBOX_HELD ? "on the homeserver" : "waits here");
		head = ui_lines_wrap(l, text, UI_INDENT(ui) + name_w, width, THEME_PENDING);
		l->v[head].time = ui_time(ui, items[i].due_ts);
		l->v[head].name = xasprintf("%s:", name);
		l->v[head].name_color = THEME_PENDING;
		free(text);
		free(body);
	}
	free(name);
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

/* "Dana joined, Sam invited Marcus": a run of membership changes as one
 * line; returns the index after the run. */
static size_t
ui_lines_members(struct ui *ui, struct ui_lines *l, const struct store_msg *msgs, size_t i,
    size_t n, int width)
{
	struct buf b = {0};
	size_t head, start = i;

	for (; i < n && ui_msg_membership(&msgs[i]); i++) {
		char *one = ui_state_text(ui, &msgs[i]);

		buf_printf(&b, "%s%s", i > start ? ", " : "", one);
		free(one);
	}
	head = ui_lines_wrap(l, b.data, UI_INDENT(ui), width, THEME_MEMBERSHIP);
	l->v[head].time = ui_time(ui, msgs[start].ts);
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

	if (room == NULL || !room->invited)
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

/* "── new messages ──" before m when the message read up to as the room
 * was opened is behind (*due), and m is from someone else: never above
 * one's own, which one has read. */
static void
ui_lines_marker(struct ui *ui, struct ui_lines *l, const struct store_msg *m, int *due)
{
	static const char marker[] = "── new messages ──";
	const char *self = core_self(ui->core);

	if (!*due || (self != NULL && strcmp(m->sender, self) == 0))
		return;
	*due = 0;
	ui->view.marker_line = l->n;
	ui_line_add(l, marker, strlen(marker), THEME_UNREAD_MARKER);
}

/* The room's newest gap, where a thread's replies may lie: one after its
 * root, or any when the root is not cached. *gap_seq: the first message
 * after it. */
static int
ui_thread_gap(struct ui *ui, const struct store_msg *msgs, size_t n, int64_t *gap_seq)
{
	char *token = NULL;
	int gap = store_gap_next(ui->store, ui->current, gap_seq, &token, NULL) == 1;

	free(token);
	if (gap && n > 0 && strcmp(msgs[0].event_id, ui->view.thread) == 0 &&
	    msgs[0].seq >= *gap_seq)
		return 0;
	return gap;
}

static void
ui_lines_gap(struct ui_lines *l)
{
	l->gap_line = l->n;
	ui_line_add(l, UI_GAP_TEXT, strlen(UI_GAP_TEXT), THEME_UNREAD_MARKER);
}

/* A thread: its root and replies, in order, under a heading. A gap the
 * replies may lie in is shown where it is, and filled as in the room. */
static void
ui_lines_build_thread(struct ui *ui, struct ui_lines *l, int width)
{
	struct store_msg *msgs;
	int64_t gap_seq = 0;
	size_t n;
	int gap;

	if (store_thread(ui->store, ui->view.thread, (int)ui->view.history, &msgs, &n,
	    NULL) == -1)
		return;
	ui->view.cache_short = 0;
	ui->view.marker_line = SIZE_MAX;
	gap = ui_thread_gap(ui, msgs, n, &gap_seq);
	ui_line_add(l, UI_THREAD_HEAD, strlen(UI_THREAD_HEAD), THEME_DAY_SEPARATOR);
	for (size_t i = 0; i < n; i++) {
		if (gap && msgs[i].seq >= gap_seq) {
			ui_lines_gap(l);
			gap = 0;
		}
		if (!ui_msg_hidden(&msgs[i]))
			ui_lines_msg(ui, l, &msgs[i], width);
	}
	if (gap)
		ui_lines_gap(l);
	store_msgs_free(&msgs, n);
	ui_lines_pending(ui, l, width);
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
	int marker_due = 0;

	l->gap_line = SIZE_MAX;
	if (ui->current == NULL)
		return;
	if (core_self(ui->core) != NULL &&
	    (me = store_member_displayname(ui->store, ui->current, core_self(ui->core))) != NULL) {
		l->self_name = san_text(me, 0);
		free(me);
	}
	if (ui->view.thread != NULL) {
		ui_lines_build_thread(ui, l, width);
		return;
	}
	if (store_history(ui->store, ui->current, INT64_MAX, (int)ui->view.history, &msgs, &n,
	    NULL) == -1)
		return;
	ui->view.cache_short = n < (size_t)ui->view.history;
	ui->view.marker_line = SIZE_MAX;
	/* A limited sync leaves the newest gap between two cached messages. */
	gap = store_gap_next(ui->store, ui->current, &gap_seq, &token, NULL) == 1;
	free(token);
	ui_seen_load(ui, &seen);
	while (i < n) {
		if (i > 0 && ui->view.marker != NULL &&
		    strcmp(msgs[i - 1].event_id, ui->view.marker) == 0)
			marker_due = 1;
		if (gap && i > 0 && msgs[i - 1].seq < gap_seq && msgs[i].seq >= gap_seq) {
			ui_lines_gap(l);
			gap = 0;
		}
		if (ui_msg_hidden(&msgs[i]) || (ui_msg_membership(&msgs[i]) &&
		    members == SETTINGS_MEMBERSHIP_NONE)) {
			i++;
			continue;
		}
		ui_lines_marker(ui, l, &msgs[i], &marker_due);
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
			i++;
		}
	}
	ui_seen_free(&seen);
	store_msgs_free(&msgs, n);
	ui_lines_pending(ui, l, width);
	ui_lines_scheduled(ui, l, width);
	ui_lines_invite(ui, l, width);
}

/* The pane's lines, built again only when what they show changed: the
 * room, its data (ui->view.gen), the history read, or the width. */
struct ui_pane_cache {
	struct ui_lines lines;
	char *room;
	unsigned gen;
	int64_t history;
	int width;
	int bottom;		/* the newest message in view, -1 when none */
	size_t first;		/* the line at the top of the pane */
};

static struct ui_lines *
ui_pane_lines(struct ui *ui, int width)
{
	struct ui_pane_cache *c = ui->view.cache;

	if (c == NULL)
		c = ui->view.cache = xcalloc(1, sizeof *c);
	if (c->room != NULL && ui->current != NULL && strcmp(c->room, ui->current) == 0 &&
	    c->gen == ui->view.gen && c->history == ui->view.history && c->width == width)
		return &c->lines;
	ui_lines_free(&c->lines);
	free(c->room);
	c->room = ui->current != NULL ? xstrdup(ui->current) : NULL;
	c->gen = ui->view.gen;
	c->history = ui->view.history;
	c->width = width;
	ui_lines_build(ui, &c->lines, width);
	return &c->lines;
}

static void
ui_pending_due(void *arg)
{
	struct ui *ui = arg;

	ui->view.pending_timer = 0;
	ui->view.gen++;
	ui_dirty(ui);
	if (nt_now_ms() < ui->view.pending_until)
		ui->view.pending_timer = loop_timer_add(ui->loop, 1000, ui_pending_due, ui);
}

void
ui_pending_watch(struct ui *ui, int64_t retry_ms)
{
	int64_t until = nt_now_ms() + retry_ms;

	if (retry_ms <= 0)
		return;
	if (until > ui->view.pending_until)
		ui->view.pending_until = until;
	if (ui->view.pending_timer == 0)
		ui->view.pending_timer = loop_timer_add(ui->loop, 1000, ui_pending_due, ui);
}

void
ui_pane_free(struct ui *ui)
{
	struct ui_pane_cache *c = ui->view.cache;

	loop_timer_cancel(ui->loop, ui->view.pending_timer);
	ui->view.pending_timer = 0;
	if (c == NULL)
		return;
	ui_lines_free(&c->lines);
	free(c->room);
	xfree(&ui->view.cache);
}

/* The selectable messages of the pane as last built, oldest first, and
 * in *bottom the newest one drawn (-1 when none). */
size_t
ui_pane_events(struct ui *ui, char *const **events, int *bottom)
{
	struct ui_pane_cache *c = ui->view.cache;

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
	int sel = ui_pane_index(ui, ui->view.sel), centre = ui->view.sel_follow == UI_FOLLOW_CENTRE;
	size_t start = SIZE_MAX, end = 0, below;

	ui->view.sel_follow = 0;
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

		ui->view.scroll = below > half ? (int)(below - half) : 0;
		return;
	}
	if ((size_t)ui->view.scroll > below)
		ui->view.scroll = (int)below;
	else if (l->n - start > (size_t)(ui->view.scroll + height))
		ui->view.scroll = (int)(l->n - start) - height;
}

void
ui_pane_update(struct ui *ui, int height, int width)
{
	struct ui_lines *l;
	size_t first, max;

	if (height <= 0 || width <= 0)
		return;
	l = ui_pane_lines(ui, width);
	if (ui->view.sel_follow)
		ui_pane_follow(ui, l, height);
	max = l->n > (size_t)height ? l->n - (size_t)height : 0;
	if ((size_t)ui->view.scroll > max)
		ui->view.scroll = (int)max;
	if (ui->view.jump_marker && ui->view.marker_line != SIZE_MAX) {
		/* The marker two lines from the top of the pane. */
		size_t below = l->n - ui->view.marker_line + 2;

		ui->view.scroll = below > (size_t)height ? (int)(below - (size_t)height) : 0;
	}
	ui->view.jump_marker = 0;
	first = l->n > (size_t)(height + ui->view.scroll) ? l->n - (size_t)(height + ui->view.scroll) : 0;
	ui->view.cache->first = first;
	ui->view.cache->bottom = -1;
	for (size_t i = first; i < l->n && i < first + (size_t)height; i++)
		if (l->v[i].msg > ui->view.cache->bottom)
			ui->view.cache->bottom = l->v[i].msg;
	/* What is in view decides what to load next: the top scrolled into
	 * view, or a pane the cache does not fill (a sliding sync brings a
	 * room's newest events only). */
	if (first == 0 && ui->view.scroll > 0)
		ui_history_more(ui, 0);
	else if (first == 0 && l->n < (size_t)height)
		ui_history_more(ui, 1);
	if (l->gap_line != SIZE_MAX && l->gap_line >= first && l->gap_line < first + (size_t)height)
		ui_gap_fetch(ui);
}

struct ui_pane_view
ui_pane_view(const struct ui *ui)
{
	struct ui_pane_view v = {NULL, 0};

	if (ui->view.cache != NULL) {
		v.lines = &ui->view.cache->lines;
		v.first = ui->view.cache->first;
	}
	return v;
}
