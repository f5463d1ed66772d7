/* The default subject of an export, and sizes as a person reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export-private.h"
#include "natter/sanitize.h"

#define EXPORT_SUBJECT_QUERY_MAX 80	/* bytes of a search in the default subject */

static void
export_day(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d", &tm) == 0)
		snprintf(out, size, "?");
}

/* A room for a header: its name, or its id when the name is blank. */
static char *
export_room_title(const char *name, const char *id)
{
	char *s = mail_header_text(name);

	if (*s == '\0') {
		free(s);
		s = mail_header_text(id);
	}
	if (*s == '\0') {
		free(s);
		s = xstrdup("an unnamed room");
	}
	return s;
}

/* What the default subject names: the room, or the search and how many
 * rooms it spans, cut so that the dates still fit. */
static char *
export_subject_what(const struct export_thread *t)
{
	char *query, *s;
	size_t len;

	if (t->n_rooms == 0 && t->peer_name != NULL)
		return export_room_title(t->peer_name, t->room_id);
	if (t->n_rooms == 0)
		return export_room_title(t->room_name, t->room_id);
	if (t->query == NULL)
		return xasprintf("%zu rooms", t->n_rooms);
	query = mail_header_text(t->query);
	len = nt_utf8_cut(query, strlen(query), EXPORT_SUBJECT_QUERY_MAX);
	s = xasprintf("\u201c%.*s%s\u201d in %zu rooms", (int)len, query,
	    query[len] != '\0' ? "\u2026" : "", t->n_rooms);
	free(query);
	return s;
}

char *
export_default_subject(const struct export_thread *t)
{
	char first[32], last[32], *what = export_subject_what(t), *s;
	const char *lead = t->n_rooms > 0 && t->query != NULL ? "Search results for" :
	    t->n_rooms > 0 ? "Conversation in" : t->peer_name != NULL ? "Conversation with" :
	    "Conversation:";

	if (t->n == 0) {
		s = xasprintf("%s %s", lead, what);
		free(what);
		return s;
	}
	export_day(t->msgs[0].ts, first, sizeof first);
	export_day(export_newest(t)->ts, last, sizeof last);
	if (strcmp(first, last) == 0)
		s = xasprintf("%s %s, %s", lead, what, first);
	else
		s = xasprintf("%s %s, %s\u2013%s", lead, what, first, last);
	free(what);
	return s;
}
