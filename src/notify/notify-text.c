/* What a notification says: server text made inert, cut to size and,
 * for servers that read the body as markup, escaped. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/notify.h"
#include "natter/sanitize.h"
#include "natter/util.h"

#define NOTIFY_ELLIPSIS "\u2026"
#define NOTIFY_NO_SENDER "someone"

_Static_assert(2 * NOTIFY_NAME_MAX + sizeof " in " - 1 <= NOTIFY_SUMMARY_MAX,
    "a summary of two capped names fits NOTIFY_SUMMARY_MAX");

/* The largest cut of s at or below limit bytes: a grapheme boundary, or a
 * code point boundary when a single cluster is longer than limit. */
static size_t
notify_cut(const char *s, size_t limit)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c, prev = -1, gstate = 0;
	utf8proc_ssize_t n;
	size_t off = 0, grapheme = 0, point = 0;

	while (p[off] != '\0' && (n = utf8proc_iterate(p + off, -1, &c)) > 0) {
		if (prev != -1 && utf8proc_grapheme_break_stateful(prev, c, &gstate))
			grapheme = off;
		point = off;
		if (off + (size_t)n > limit)
			return grapheme > 0 ? grapheme : point;
		off += (size_t)n;
		prev = c;
	}
	return off;
}

char *
notify_cap(const char *s, size_t max)
{
	size_t len = strlen(s), room = strlen(NOTIFY_ELLIPSIS), cut;
	char *out;

	if (len <= max)
		return xstrdup(s);
	if (max < room)
		return xstrndup(s, notify_cut(s, max));
	cut = notify_cut(s, max - room);
	out = xmalloc(cut + room + 1);
	memcpy(out, s, cut);
	memcpy(out + cut, NOTIFY_ELLIPSIS, room + 1);
	return out;
}

/* &#39; rather than &apos;, which some HTML-based servers do not know. */
static const char *
notify_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

char *
notify_escape_markup(const char *s)
{
	struct buf b = {0};
	const char *e;

	for (; *s != '\0'; s++) {
		if ((e = notify_entity(*s)) != NULL)
			buf_puts(&b, e);
		else
			buf_putc(&b, *s);
	}
	return buf_steal(&b);
}

int
notify_use_markup(enum notify_markup setting, int server_markup)
{
	switch (setting) {
	case NOTIFY_MARKUP_ON:
		return 1;
	case NOTIFY_MARKUP_OFF:
		return 0;
	case NOTIFY_MARKUP_AUTO:
		break;
	}
	return server_markup != 0;
}

/* A name for the summary: one line, inert, capped; NULL when empty. */
static char *
notify_name(const char *name)
{
	char *safe, *out;

	if (name == NULL || *name == '\0')
		return NULL;
	safe = san_text(name, 0);
	out = notify_cap(safe, NOTIFY_NAME_MAX);
	free(safe);
	return out;
}

char *
notify_summary(const struct notify_msg *msg)
{
	char *sender, *room, *out;

	if ((sender = notify_name(msg->sender_name)) == NULL &&
	    (sender = notify_name(msg->sender_id)) == NULL)
		sender = xstrdup(NOTIFY_NO_SENDER);
	room = notify_name(msg->room_name);
	if (room == NULL && !msg->is_direct)
		room = notify_name(msg->room_id);
	if (msg->is_direct || room == NULL)
		out = xstrdup(sender);
	else
		out = xasprintf("%s in %s", sender, room);
	free(sender);
	free(room);
	return out;
}

char *
notify_body(const char *body, int markup)
{
	char *safe = san_text(body, SAN_MULTILINE), *capped, *out;

	capped = notify_cap(safe, NOTIFY_BODY_MAX);
	free(safe);
	if (!markup)
		return capped;
	out = notify_escape_markup(capped);
	free(capped);
	return out;
}
