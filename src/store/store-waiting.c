/* Messages of the user's that wait for an answer: questions and flagged
 * messages that those asked have neither answered nor read. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

int
store_text_asks(const char *text)
{
	const char *line = text, *p;

	for (; line != NULL && *line != '\0'; line = p != NULL ? p + 1 : NULL) {
		p = strchr(line, '\n');
		if (line[0] == '>')
			continue;
		for (const char *q = line; *q != '\0' && q != p; q++) {
			const char *after = q + 1;

			if (*q != '?')
				continue;
			while (*after == '?' || *after == '!' || *after == ')' || *after == '"' ||
			    *after == '\'')
				after++;
			if (*after == '\0' || *after == ' ' || *after == '\n' || *after == '\t')
				return 1;
		}
	}
	return 0;
}

/* Whether user answered after seq, or read it (a receipt on it or later). */
static int
store_wait_cleared(struct store *st, const char *room_id, const char *user, int64_t seq,
    char **cause)
{
	static const int queries[] = {STORE_SQL_BCAST_READ, STORE_SQL_BCAST_REPLY};
	sqlite3_stmt *s;
	int rc;

	for (size_t i = 0; i < NT_NELEMS(queries); i++) {
		if ((s = store_stmt(st, queries[i], cause)) == NULL)
			return -1;
		store_bind_text(s, 1, room_id);
		store_bind_text(s, 2, user);
		sqlite3_bind_int64(s, 3, seq);
		if ((rc = store_row(st, s, "cannot read receipts and answers", cause)) != 0) {
			if (rc == 1)
				store_done(s);
			return rc;
		}
	}
	return 0;
}

static int
store_wait_mentions(struct store *st, const char *event_id, char ***ids, size_t *n,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, STORE_SQL_WAIT_MENTIONS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	while ((rc = store_row(st, s, "cannot read mentions", cause)) == 1) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = store_column_text(s, 0);
	}
	return rc;
}

static int
store_wait_has(char *const *ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

/* Fills w's people: those asked who neither answered nor read it. */
static int
store_wait_people(struct store *st, const char *self, struct store_waiting *w, int64_t seq,
    char **cause)
{
	char **mentioned = NULL;
	size_t n_mentioned = 0;
	sqlite3_stmt *s;
	char *user, *name;
	int rc, direct;

	if (store_wait_mentions(st, w->event_id, &mentioned, &n_mentioned, cause) == -1)
		return -1;
	if ((s = store_stmt(st, STORE_SQL_BCAST_PEOPLE, cause)) == NULL)
		goto fail;
	store_bind_text(s, 1, w->room_id);
	store_bind_text(s, 2, self);
	sqlite3_bind_int(s, 3, MX_MEMBERSHIP_JOIN);
	while ((rc = store_row(st, s, "cannot read the members", cause)) == 1) {
		user = store_column_text(s, 0);
		name = store_column_text(s, 1);
		direct = sqlite3_column_int(s, 2);
		w->direct |= direct;
		if (direct || store_wait_has(mentioned, n_mentioned, user) ||
		    (w->flagged && n_mentioned == 0)) {
			w->people = xreallocarray(w->people, w->n_people + 1, sizeof *w->people);
			w->names = xreallocarray(w->names, w->n_people + 1, sizeof *w->names);
			w->people[w->n_people] = user;
			w->names[w->n_people++] = name;
		} else {
			free(user);
			free(name);
		}
	}
	if (rc == -1)
		goto fail;
	store_strings_free(&mentioned, n_mentioned);
	for (size_t i = 0; i < w->n_people;) {
		if ((rc = store_wait_cleared(st, w->room_id, w->people[i], seq, cause)) == -1)
			return -1;
		if (rc == 0) {
			i++;
			continue;
		}
		free(w->people[i]);
		free(w->names[i]);
		w->n_people--;
		memmove(&w->people[i], &w->people[i + 1], (w->n_people - i) * sizeof *w->people);
		memmove(&w->names[i], &w->names[i + 1], (w->n_people - i) * sizeof *w->names);
	}
	return 0;
fail:
	store_strings_free(&mentioned, n_mentioned);
	return -1;
}

static void
store_waiting_clear(struct store_waiting *w)
{
	free(w->room_id);
	free(w->event_id);
	free(w->body);
	store_strings_free(&w->people, w->n_people);
	for (size_t i = 0; i < w->n_people; i++)
		free(w->names[i]);
	free(w->names);
	memset(w, 0, sizeof *w);
}

/* The row s holds, as a waiting message when some of those asked owe it
 * an answer. */
static int
store_wait_row(struct store *st, sqlite3_stmt *s, const char *self, int flagged,
    struct store_waiting **out, size_t *n, char **cause)
{
	struct store_waiting w = {0};
	int64_t seq = sqlite3_column_int64(s, 2);
	int rc;

	w.room_id = store_column_text(s, 0);
	w.event_id = store_column_text(s, 1);
	w.ts = sqlite3_column_int64(s, 3);
	w.body = store_column_text(s, 4);
	w.flagged = flagged;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*out)[i].event_id, w.event_id) == 0) {
			(*out)[i].flagged |= flagged;
			store_waiting_clear(&w);
			return 0;
		}
	}
	if (!flagged && !store_text_asks(w.body)) {
		store_waiting_clear(&w);
		return 0;
	}
	if ((rc = store_wait_people(st, self, &w, seq, cause)) == -1 || w.n_people == 0) {
		store_waiting_clear(&w);
		return rc;
	}
	*out = xreallocarray(*out, *n + 1, sizeof **out);
	(*out)[(*n)++] = w;
	return 0;
}

static int
store_waiting_cmp(const void *a, const void *b)
{
	const struct store_waiting *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

int
store_waiting(struct store *st, const char *self, int64_t since_ts, int64_t before_ts,
    const char *const *flagged, size_t n_flagged, struct store_waiting **w, size_t *n,
    char **cause)
{
	char *why = NULL;
	sqlite3_stmt *s;
	int rc = 0;

	*w = NULL;
	*n = 0;
	if (store_read_begin(st, cause) == -1)
		return -1;
	for (size_t i = 0; i < n_flagged && rc == 0; i++) {
		if ((s = store_stmt(st, STORE_SQL_WAIT_ONE, &why)) == NULL) {
			rc = -1;
			break;
		}
		store_bind_text(s, 1, flagged[i]);
		store_bind_text(s, 2, self);
		sqlite3_bind_int64(s, 3, before_ts);
		if ((rc = store_row(st, s, "cannot read a flagged message", &why)) == 1) {
			rc = store_wait_row(st, s, self, 1, w, n, &why);
			store_done(s);
		}
	}
	if (rc == 0 && (s = store_stmt(st, STORE_SQL_WAIT_ASKED, &why)) == NULL)
		rc = -1;
	if (rc == 0) {
		store_bind_text(s, 1, self);
		sqlite3_bind_int64(s, 2, before_ts);
		sqlite3_bind_int64(s, 3, since_ts);
		sqlite3_bind_int(s, 4, MX_MEMBERSHIP_JOIN);
		while (rc == 0 && (rc = store_row(st, s, "cannot read your messages", &why)) == 1)
			rc = store_wait_row(st, s, self, 0, w, n, &why);
		if (rc == -1)
			store_done(s);
	}
	store_read_end(st);
	if (rc == -1) {
		store_waiting_free(w, *n);
		*n = 0;
		cause_set(cause, "%s", why != NULL ? why : "cannot read your messages");
		free(why);
		return -1;
	}
	if (*n > 1)
		qsort(*w, *n, sizeof **w, store_waiting_cmp);
	return 0;
}

void
store_waiting_free(struct store_waiting **w, size_t n)
{
	if (*w == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_waiting_clear(&(*w)[i]);
	xfree(w);
}
