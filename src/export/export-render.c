/* The transcript of a thread, as plain text and as HTML. Both walk the
 * same entries, so they say the same things in the same order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export-private.h"
#include "natter/msg.h"
#include "natter/rich.h"
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/text.h"

#define EXPORT_QUOTE_MAX 80
#define EXPORT_RULE_MAX 72	/* columns of the line under a room's name */

enum export_kind {
	EXPORT_ENTRY_TEXT,	/* Name: text */
	EXPORT_ENTRY_EMOTE,	/* * Name does */
	EXPORT_ENTRY_STATE,	/* — Name joined */
};

/* One message as both transcripts show it; strings are inert. */
struct export_entry {
	enum export_kind kind;
	char day[SETTINGS_FORMAT_MAX + 1];	/* set when a new day starts here */
	char time[SETTINGS_FORMAT_MAX + 1];
	char *name;
	char *body;		/* may hold \n; NULL when note says it all */
	char *html;		/* the body formatted, safe HTML (rich_html_clean), or NULL */
	char *note;		/* "(deleted)", "[file] a.pdf (3 KB, attached)", ... */
	int edited;
	char *reply_name;	/* who the message answers, or NULL */
	char *reply_text;	/* a line of what they said, or why it is missing */
	char *reactions;
	int in_thread;		/* a reply of a thread, under its root */
	size_t replies;		/* a root: how many of its replies follow it */
	char *thread_text;	/* a reply away from its root: a line of the root,
				 * quoted, or why it is missing */
};

static void
export_entry_clear(struct export_entry *e)
{
	free(e->name);
	free(e->body);
	free(e->html);
	free(e->note);
	free(e->reply_name);
	free(e->reply_text);
	free(e->reactions);
	free(e->thread_text);
	memset(e, 0, sizeof *e);
}

static void
export_time(int64_t ms, const char *fmt, char *out, size_t size, struct tm *tm)
{
	time_t t = (time_t)(ms / 1000);

	if (localtime_r(&t, tm) == NULL || strftime(out, size, fmt, tm) == 0)
		snprintf(out, size, "?");
}

/* The first line of a quoted message, cut short. */
static char *
export_quote_text(const struct store_msg *q)
{
	const char *src;
	char *line, *safe;
	size_t len;

	if (q->redacted)
		return xstrdup("(deleted)");
	src = q->body != NULL ? q->body : q->filename != NULL ? q->filename : "…";
	len = strcspn(src, "\n");
	line = xstrndup(src, len);
	safe = san_text(line, 0);
	free(line);
	len = strlen(safe);
	if (len > EXPORT_QUOTE_MAX || src[strcspn(src, "\n")] == '\n') {
		len = nt_utf8_cut(safe, len, EXPORT_QUOTE_MAX);
		line = xasprintf("%.*s…", (int)len, safe);
		free(safe);
		return line;
	}
	return safe;
}

static char *
export_file_note(const struct store_msg *m, const struct export_file *f,
    const struct export_render *r)
{
	char size[32], cap[32], *name, *s;
	const char *kind = m->msgtype != NULL && strncmp(m->msgtype, "m.", 2) == 0 ?
	    m->msgtype + 2 : "file";

	name = san_text(m->filename != NULL ? m->filename : m->body != NULL ? m->body :
	    "attachment", 0);
	nt_size_text(f != NULL ? f->size : m->size, size, sizeof size);
	nt_size_text(r->cap, cap, sizeof cap);
	if (f == NULL || f->state == EXPORT_FILE_LISTED)
		s = xasprintf("[%s] %s (%s)", kind, name, size);
	else if (f->state == EXPORT_FILE_ATTACHED)
		s = xasprintf("[%s] %s (%s, attached)", kind, name, size);
	else if (f->state == EXPORT_FILE_OVER_CAP)
		s = xasprintf("[%s] %s (%s, not attached: over the %s limit for attachments)",
		    kind, name, size, cap);
	else {
		char *why = san_text(f->error != NULL ? f->error : "download failed", 0);

		s = xasprintf("[%s] %s (%s, not attached: %s)", kind, name, size, why);
		free(why);
	}
	free(name);
	return s;
}

static void
export_entry_state(struct export_entry *e, const struct store_msg *m)
{
	const char *verb = msg_state_verb(m->type);

	e->kind = EXPORT_ENTRY_STATE;
	if (strcmp(m->type, "m.room.member") == 0) {
		if (m->state_key != NULL && strcmp(m->state_key, m->sender) != 0) {
			free(e->name);
			e->name = san_text(m->state_key, 0);
		}
		e->note = xstrdup(msg_member_verb(m->membership));
		return;
	}
	if (verb == NULL) {
		char *type = san_text(m->type, 0);

		e->note = xasprintf("set %s", type);
		free(type);
	} else
		e->note = xstrdup(verb);
	if (m->body != NULL) {
		char *body = san_text(m->body, 0), *note = xasprintf("%s: %s", e->note, body);

		free(body);
		free(e->note);
		e->note = note;
	}
}

/* The message m answers, if the thread has it from m's own room. */
static const struct store_msg *
export_reply_of(const struct export_index *ix, const struct store_msg *m)
{
	const struct store_msg *q = export_index_find(ix, m->reply_to);

	return q != NULL && strcmp(q->room_id, m->room_id) == 0 ? q : NULL;
}

/* How many replies of m's thread follow it, m being their root. */
static size_t
export_replies_after(const struct export_thread *t, size_t i, size_t end)
{
	size_t n = 0;

	while (i + 1 + n < end && t->msgs[i + 1 + n].thread_root != NULL &&
	    strcmp(t->msgs[i + 1 + n].thread_root, t->msgs[i].event_id) == 0)
		n++;
	return n;
}

/* Where entry i stands in a thread: under its root (which the gathering
 * put just before its replies), or away from it with a line of it. */
static void
export_entry_thread(const struct export_thread *t, const struct export_index *ix, size_t i,
    size_t first, size_t end, struct export_entry *e)
{
	const struct store_msg *m = &t->msgs[i], *root;
	size_t k = i;

	if (m->thread_root == NULL) {
		e->replies = export_replies_after(t, i, end);
		return;
	}
	while (k > first && t->msgs[k - 1].thread_root != NULL &&
	    strcmp(t->msgs[k - 1].thread_root, m->thread_root) == 0)
		k--;
	if (k > first && strcmp(t->msgs[k - 1].event_id, m->thread_root) == 0) {
		e->in_thread = 1;
		return;
	}
	root = export_index_find(ix, m->thread_root);
	if (root != NULL && strcmp(root->room_id, m->room_id) == 0) {
		char *quote = export_quote_text(root);

		e->thread_text = xasprintf("\"%s\"", quote);
		free(quote);
	} else
		e->thread_text = xstrdup("a message not in the cache");
}

/* Entry i; fresh when it starts a room, which starts a day too. */
static void
export_entry_fill(const struct export_thread *t, const struct export_index *ix,
    const struct export_room *room, size_t i, const struct export_render *r, struct tm *prev,
    struct export_entry *e)
{
	const struct store_msg *m = &t->msgs[i], *q;
	char *note;
	struct tm tm;

	memset(e, 0, sizeof *e);
	export_entry_thread(t, ix, i, room->first, room->first + room->n, e);
	export_time(m->ts, r->time_format != NULL ? r->time_format : "%H:%M", e->time,
	    sizeof e->time, &tm);
	/* A thread's replies stay under their root, the day their own: dated
	 * when it is not the root's. */
	if (e->in_thread && (tm.tm_year != prev->tm_year || tm.tm_yday != prev->tm_yday))
		export_time(m->ts, "%Y-%m-%d %H:%M", e->time, sizeof e->time, &tm);
	else if (!e->in_thread && (i == room->first || tm.tm_year != prev->tm_year ||
	    tm.tm_yday != prev->tm_yday))
		export_time(m->ts, r->date_format != NULL ? r->date_format : "%A %d %B %Y",
		    e->day, sizeof e->day, &tm);
	if (!e->in_thread)
		*prev = tm;
	e->name = san_text(m->sender_name != NULL ? m->sender_name : m->sender, 0);
	if (m->state_key != NULL && m->msgtype == NULL) {
		export_entry_state(e, m);
		return;
	}
	e->kind = m->msgtype != NULL && strcmp(m->msgtype, "m.emote") == 0 ?
	    EXPORT_ENTRY_EMOTE : EXPORT_ENTRY_TEXT;
	if (m->redacted)
		e->note = xstrdup("(deleted)");
	else if (m->url != NULL)
		e->note = export_file_note(m, export_file_of(t, i), r);
	else if (m->body != NULL) {
		e->body = san_text(m->body, SAN_MULTILINE);
		e->html = m->formatted != NULL ? rich_html_clean(m->formatted) : NULL;
	} else if ((note = msg_encrypted_note(m->encryption)) != NULL) {
		e->note = san_text(note, 0);
		free(note);
	} else {
		char *type = san_text(m->type, 0);

		e->note = xasprintf("[%s]", type);
		free(type);
	}
	e->edited = m->edited && !m->redacted;
	if (m->reply_to != NULL) {
		if ((q = export_reply_of(ix, m)) != NULL) {
			e->reply_name = san_text(q->sender_name != NULL ? q->sender_name :
			    q->sender, 0);
			e->reply_text = export_quote_text(q);
		} else
			e->reply_text = xstrdup("a message not in the cache");
	}
	if (m->n_reactions > 0 && !m->redacted) {
		char *text = msg_reactions_text(m->reactions, m->n_reactions);

		e->reactions = san_text(text, 0);
		free(text);
	}
}

static void export_text_entry(struct buf *, const struct export_entry *);
static void export_html_entry(struct buf *, const struct export_entry *);
static void export_text_room(struct buf *, const struct export_room *);
static void export_html_room(struct buf *, const struct export_room *);

/* Makes each entry once and adds it to the text, the HTML or both; a
 * thread over several rooms has a heading for each. */
static void
export_walk(const struct export_thread *t, const struct export_render *r, struct buf *text,
    struct buf *html)
{
	const struct export_room whole = {t->room_id, t->room_name, 0, t->n};
	const struct export_room *rooms = t->n_rooms > 0 ? t->rooms : &whole;
	struct export_index ix;
	struct export_entry e;
	struct tm prev = {0};

	export_index_build(&ix, t);
	for (size_t k = 0; k < (t->n_rooms > 0 ? t->n_rooms : 1); k++) {
		if (text != NULL && t->n_rooms > 0)
			export_text_room(text, &rooms[k]);
		if (html != NULL && t->n_rooms > 0)
			export_html_room(html, &rooms[k]);
		for (size_t i = rooms[k].first; i < rooms[k].first + rooms[k].n; i++) {
			export_entry_fill(t, &ix, &rooms[k], i, r, &prev, &e);
			if (text != NULL)
				export_text_entry(text, &e);
			if (html != NULL)
				export_html_entry(html, &e);
			export_entry_clear(&e);
		}
	}
	export_index_free(&ix);
}

/* "Search results for “QUERY” in 3 rooms", or "Conversation in 3
 * rooms" without a query; inert. */
static char *
export_rooms_title(const struct export_thread *t)
{
	char *query, *s;

	if (t->query == NULL)
		return xasprintf("Conversation in %zu rooms", t->n_rooms);
	query = san_text(t->query, 0);
	s = xasprintf("Search results for \u201c%s\u201d in %zu rooms", query, t->n_rooms);
	free(query);
	return s;
}

static const char export_spaces[] = "                                                  ";

/* Continuation lines go under the text, past the time. */
static void
export_text_lines(struct buf *b, const char *s, size_t indent)
{
	size_t len;

	if (indent > sizeof export_spaces - 1)
		indent = sizeof export_spaces - 1;
	for (;;) {
		len = strcspn(s, "\n");
		buf_add(b, s, len);
		if (s[len] == '\0')
			break;
		buf_putc(b, '\n');
		buf_add(b, export_spaces, indent);
		s += len + 1;
	}
}

/* Where a thread's replies start: under the text of their root. */
#define EXPORT_THREAD_INDENT 6

static void
export_text_entry(struct buf *b, const struct export_entry *e)
{
	size_t lead = e->in_thread ? EXPORT_THREAD_INDENT : 0;
	size_t indent = lead + strlen(e->time) + 1;

	if (e->day[0] != '\0')
		buf_printf(b, "\n%s\n\n", e->day);
	buf_printf(b, "%*s%s ", (int)lead, "", e->time);
	if (e->kind == EXPORT_ENTRY_STATE) {
		buf_printf(b, "\u2014 %s %s\n", e->name, e->note);
		return;
	}
	if (e->kind == EXPORT_ENTRY_EMOTE)
		buf_printf(b, "* %s ", e->name);
	else
		buf_printf(b, "%s: ", e->name);
	export_text_lines(b, e->body != NULL ? e->body : e->note, indent);
	if (e->edited)
		buf_puts(b, " (edited)");
	buf_putc(b, '\n');
	if (e->reply_text != NULL) {
		buf_printf(b, "%*s(in reply to ", (int)indent, "");
		if (e->reply_name != NULL)
			buf_printf(b, "%s: \"%s\")\n", e->reply_name, e->reply_text);
		else
			buf_printf(b, "%s)\n", e->reply_text);
	}
	if (e->thread_text != NULL)
		buf_printf(b, "%*s(in a thread of: %s)\n", (int)indent, "", e->thread_text);
	if (e->reactions != NULL)
		buf_printf(b, "%*sreactions: %s\n", (int)indent, "", e->reactions);
	if (e->replies > 0)
		buf_printf(b, "%*sthread, %zu repl%s:\n", (int)indent, "", e->replies,
		    e->replies == 1 ? "y" : "ies");
}

static void
export_intro_text(struct buf *b, const struct export_thread *t)
{
	size_t n = export_count_messages(t);
	char *name, *id;

	if (t->n_rooms > 0) {
		name = export_rooms_title(t);
		buf_printf(b, "%s, %zu message%s.\n", name, n, n == 1 ? "" : "s");
		free(name);
		return;
	}
	name = san_text(t->peer_name != NULL ? t->peer_name : t->room_name, 0);
	id = san_text(t->room_id, 0);
	buf_printf(b, "Conversation %s %s (%s), %zu message%s.\n",
	    t->peer_name != NULL ? "with" : "in", name, id, n, n == 1 ? "" : "s");
	free(name);
	free(id);
	if (t->coverage != NULL) {
		name = san_text(t->coverage, 0);
		buf_printf(b, "Note: %s\n", name);
		free(name);
	}
}

/* The room's name and id, underlined. */
static void
export_text_room(struct buf *b, const struct export_room *r)
{
	char *name = san_text(r->room_name, 0), *id = san_text(r->room_id, 0);
	char *head = xasprintf("%s (%s)", name, id);
	int width = text_width(head);

	buf_printf(b, "\n%s\n", head);
	for (int i = 0; i < width && i < EXPORT_RULE_MAX; i++)
		buf_putc(b, '=');
	buf_putc(b, '\n');
	free(head);
	free(name);
	free(id);
}


/* Escapes n bytes of text that is inert already (an entry's strings). */
static void
export_html_addn(struct buf *b, const char *s, size_t n)
{
	const char *end = s + n;
	size_t len;

	while (s < end) {
		for (len = 0; s + len < end && strchr("&<>\"'", s[len]) == NULL; len++)
			;
		buf_add(b, s, len);
		if (s + len == end)
			return;
		switch (s[len]) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_puts(b, "&#39;"); break;
		}
		s += len + 1;
	}
}

static void
export_html_add(struct buf *b, const char *s)
{
	export_html_addn(b, s, strlen(s));
}

void
export_html_escape(struct buf *b, const char *s)
{
	char *safe = san_text(s != NULL ? s : "", SAN_MULTILINE);

	export_html_add(b, safe);
	free(safe);
}

#define EXPORT_CSS_DAY "font-size:15px;color:#444;border-bottom:1px solid #ddd;" \
	"margin:18px 0 6px;padding-bottom:2px"
#define EXPORT_CSS_ROOM "font-size:17px;color:#222;border-bottom:2px solid #bbb;" \
	"margin:28px 0 4px;padding-bottom:2px"
#define EXPORT_CSS_ROOM_ID "color:#888;font-size:13px;font-weight:normal"
#define EXPORT_CSS_MSG "margin:3px 0"
#define EXPORT_CSS_TIME "color:#888;font-variant-numeric:tabular-nums"
#define EXPORT_CSS_DIM "color:#888"
#define EXPORT_CSS_NOTE "color:#a33;margin:6px 0"
#define EXPORT_CSS_QUOTE "margin:2px 0 2px 3.2em;padding-left:8px;border-left:3px solid #ccc;" \
	"color:#555"
#define EXPORT_CSS_SUB "margin:2px 0 2px 3.2em;color:#666"
#define EXPORT_CSS_THREAD "margin:3px 0 3px 3.2em;padding-left:8px;border-left:3px solid #ccc"

/* Each line of the body starts a line of the HTML source, so the body's
 * own lines reach the mail as they are. */
static void
export_html_body(struct buf *b, const char *body)
{
	size_t len;

	buf_putc(b, '\n');
	for (;;) {
		len = strcspn(body, "\n");
		export_html_addn(b, body, len);
		if (body[len] == '\0')
			break;
		buf_puts(b, "<br>\n");
		body += len + 1;
	}
}

static void
export_html_entry(struct buf *b, const struct export_entry *e)
{
	if (e->day[0] != '\0') {
		buf_puts(b, "<h2 style=\"" EXPORT_CSS_DAY "\">");
		export_html_add(b, e->day);
		buf_puts(b, "</h2>\n");
	}
	buf_puts(b, e->in_thread ? "<div style=\"" EXPORT_CSS_THREAD "\">" :
	    "<div style=\"" EXPORT_CSS_MSG "\">");
	buf_puts(b, "<span style=\"" EXPORT_CSS_TIME "\">");
	export_html_add(b, e->time);
	buf_puts(b, "</span> ");
	if (e->kind == EXPORT_ENTRY_STATE) {
		buf_puts(b, "<span style=\"" EXPORT_CSS_DIM "\">\u2014 ");
		export_html_add(b, e->name);
		buf_putc(b, ' ');
		export_html_add(b, e->note);
		buf_puts(b, "</span></div>\n");
		return;
	}
	buf_puts(b, e->kind == EXPORT_ENTRY_EMOTE ? "<i>* <b>" : "<b>");
	export_html_add(b, e->name);
	buf_puts(b, e->kind == EXPORT_ENTRY_EMOTE ? "</b>" : "</b>:");
	if (e->html != NULL) {
		buf_putc(b, '\n');
		buf_puts(b, e->html);
	} else if (e->body != NULL)
		export_html_body(b, e->body);
	else {
		buf_puts(b, " <span style=\"" EXPORT_CSS_DIM "\">");
		export_html_add(b, e->note);
		buf_puts(b, "</span>");
	}
	if (e->kind == EXPORT_ENTRY_EMOTE)
		buf_puts(b, "</i>");
	if (e->edited)
		buf_puts(b, " <span style=\"" EXPORT_CSS_DIM "\">(edited)</span>");
	buf_putc(b, '\n');
	if (e->reply_text != NULL) {
		buf_puts(b, "<div style=\"" EXPORT_CSS_QUOTE "\">in reply to ");
		if (e->reply_name != NULL) {
			buf_puts(b, "<b>");
			export_html_add(b, e->reply_name);
			buf_puts(b, "</b>: ");
		}
		export_html_add(b, e->reply_text);
		buf_puts(b, "</div>\n");
	}
	if (e->thread_text != NULL) {
		buf_puts(b, "<div style=\"" EXPORT_CSS_QUOTE "\">in a thread of: ");
		export_html_add(b, e->thread_text);
		buf_puts(b, "</div>\n");
	}
	if (e->reactions != NULL) {
		buf_puts(b, "<div style=\"" EXPORT_CSS_SUB "\">");
		export_html_add(b, e->reactions);
		buf_puts(b, "</div>\n");
	}
	if (e->replies > 0)
		buf_printf(b, "<div style=\"" EXPORT_CSS_SUB "\">thread, %zu repl%s:</div>\n",
		    e->replies, e->replies == 1 ? "y" : "ies");
	buf_puts(b, "</div>\n");
}

/* Server text that must stay one line, escaped. */
static void
export_html_line(struct buf *b, const char *s)
{
	char *safe = san_text(s, 0);

	export_html_add(b, safe);
	free(safe);
}

static void
export_html_room(struct buf *b, const struct export_room *r)
{
	buf_puts(b, "<h2 style=\"" EXPORT_CSS_ROOM "\">");
	export_html_line(b, r->room_name);
	buf_puts(b, " <span style=\"" EXPORT_CSS_ROOM_ID "\">");
	export_html_line(b, r->room_id);
	buf_puts(b, "</span></h2>\n");
}

/* The document's head and the start of its body, under title. */
static void
export_html_open(struct buf *b, const char *title)
{
	buf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	export_html_escape(b, title);
	buf_puts(b, "</title></head>\n<body style=\"font-family:sans-serif;font-size:14px;"
	    "line-height:1.45;color:#222\">\n<h1 style=\"font-size:18px;margin:0 0 4px\">");
}

static void
export_intro_html(struct buf *b, const struct export_thread *t)
{
	size_t n = export_count_messages(t);
	char *title;

	if (t->n_rooms > 0) {
		title = export_rooms_title(t);
		export_html_open(b, title);
		export_html_add(b, title);
		buf_printf(b, "</h1>\n<p style=\"" EXPORT_CSS_DIM ";margin:0\">%zu message%s</p>\n",
		    n, n == 1 ? "" : "s");
		free(title);
		return;
	}
	export_html_open(b, t->peer_name != NULL ? t->peer_name : t->room_name);
	buf_puts(b, t->peer_name != NULL ? "Conversation with " : "Conversation in ");
	export_html_escape(b, t->peer_name != NULL ? t->peer_name : t->room_name);
	buf_puts(b, "</h1>\n<p style=\"" EXPORT_CSS_DIM ";margin:0\">");
	export_html_escape(b, t->room_id);
	buf_printf(b, ", %zu message%s</p>\n", n, n == 1 ? "" : "s");
	if (t->coverage != NULL) {
		buf_puts(b, "<p style=\"" EXPORT_CSS_NOTE "\">Note: ");
		export_html_line(b, t->coverage);
		buf_puts(b, "</p>\n");
	}
}

void
export_render_pair(const struct export_thread *t, const struct export_render *r, char **text,
    char **html)
{
	struct buf bt = {0}, bh = {0};

	if (text != NULL)
		export_intro_text(&bt, t);
	if (html != NULL)
		export_intro_html(&bh, t);
	export_walk(t, r, text != NULL ? &bt : NULL, html != NULL ? &bh : NULL);
	if (html != NULL) {
		buf_puts(&bh, "</body></html>\n");
		*html = buf_steal(&bh);
	}
	if (text != NULL)
		*text = buf_steal(&bt);
}

char *
export_render_text(const struct export_thread *t, const struct export_render *r)
{
	char *text;

	export_render_pair(t, r, &text, NULL);
	return text;
}

char *
export_render_html(const struct export_thread *t, const struct export_render *r)
{
	char *html;

	export_render_pair(t, r, NULL, &html);
	return html;
}
