/* What reaches a mail header: addresses checked strictly, and text from
 * the server or the user made into one inert line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export-private.h"
#include "natter/sanitize.h"

#define EXPORT_LOCAL_MAX 64
#define EXPORT_DOMAIN_MAX 253
#define EXPORT_ADDR_MAX 254
#define EXPORT_SUBJECT_QUERY_MAX 80	/* bytes of a search in the default subject */

/* RFC 5322 atext, the characters of a dot-atom besides the dots. */
static int
export_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
export_local_valid(const char *s, size_t len)
{
	if (len == 0 || len > EXPORT_LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !export_atext(s[i]))
			return 0;
	}
	return 1;
}

/* Host names only: labels of letters, digits and inner hyphens. */
static int
export_domain_valid(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > EXPORT_DOMAIN_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')
			label++;
		else
			return 0;
	}
	return 1;
}

int
export_addr_valid(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && strlen(addr) <= EXPORT_ADDR_MAX &&
	    export_local_valid(addr, (size_t)(at - addr)) && export_domain_valid(at + 1);
}

static char *
export_trim(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return xstrndup(s, len);
}

/* A display name typed by the user: no angle brackets, and nothing the
 * sanitiser would replace (controls, C1 and bidi controls among them),
 * which would reach the header as "<U+0085>". */
static int
export_name_valid(const char *name)
{
	char *safe;
	int same;

	if (strpbrk(name, "<>") != NULL || !san_utf8_valid(name, strlen(name)))
		return 0;
	safe = san_text(name, 0);
	same = strcmp(safe, name) == 0;
	free(safe);
	return same;
}

static int
export_addr_bad(const char *s, char **cause)
{
	char *safe = san_text(s, 0);

	cause_set(cause, "not a mail address: \"%s\"", safe);
	free(safe);
	return -1;
}

int
export_addr_parse(const char *s, struct export_addr *a, char **cause)
{
	const char *lt = strchr(s, '<');
	size_t len = strlen(s);
	char *name = NULL, *addr;

	memset(a, 0, sizeof *a);
	if (lt != NULL) {
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0 || s[len - 1] != '>' || strchr(lt + 1, '<') != NULL)
			return export_addr_bad(s, cause);
		addr = export_trim(lt + 1, (size_t)(s + len - 1 - (lt + 1)));
		name = export_trim(s, (size_t)(lt - s));
	} else
		addr = export_trim(s, len);
	if (!export_addr_valid(addr) || (name != NULL && !export_name_valid(name))) {
		free(name);
		free(addr);
		return export_addr_bad(s, cause);
	}
	a->addr = addr;
	if (name != NULL && *name != '\0')
		a->name = export_header_text(name);
	free(name);
	return 0;
}

int
export_addrs_parse(const char *list, struct export_addr **v, size_t *n, char **cause)
{
	char *copy = xstrdup(list), *item, *save = NULL;
	struct export_addr a;
	int rc = 0;

	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		if (item[strspn(item, " \t")] == '\0')
			continue;
		if ((rc = export_addr_parse(item, &a, cause)) == -1)
			break;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = a;
	}
	free(copy);
	return rc;
}

void
export_addr_clear(struct export_addr *a)
{
	xfree(&a->name);
	xfree(&a->addr);
}

void
export_addrs_free(struct export_addr **v, size_t n)
{
	if (*v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		export_addr_clear(&(*v)[i]);
	xfree(v);
}

char *
export_header_text(const char *s)
{
	char *safe = san_text(s != NULL ? s : "", 0), *p = safe, *out;
	size_t len;

	/* san_text leaves tabs as spaces; runs of blanks are folding's business. */
	while (*p == ' ')
		p++;
	len = nt_utf8_cut(p, strlen(p), EXPORT_HEADER_MAX);
	while (len > 0 && p[len - 1] == ' ')
		len--;
	out = xstrndup(p, len);
	free(safe);
	return out;
}

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
	char *s = export_header_text(name);

	if (*s == '\0') {
		free(s);
		s = export_header_text(id);
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

	if (t->n_rooms == 0)
		return export_room_title(t->room_name, t->room_id);
	if (t->query == NULL)
		return xasprintf("%zu rooms", t->n_rooms);
	query = export_header_text(t->query);
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
	    t->n_rooms > 0 ? "Conversation in" : "Conversation:";

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

void
export_size_text(int64_t bytes, char *out, size_t size)
{
	if (bytes < 0)
		snprintf(out, size, "size unknown");
	else if (bytes < 1024)
		snprintf(out, size, "%lld bytes", (long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(out, size, "%.1f KB", (double)bytes / 1024);
	else
		snprintf(out, size, "%.1f MB", (double)bytes / (1024 * 1024));
}
