/* Broadcasts and their reports: where each copy went, and whether each
 * person it reached read it (a read receipt on it or on a later event of
 * the room) and answered (their first message after it). */
#include <stdlib.h>
#include <string.h>

#include "natter/event.h"
#include "natter/util.h"
#include "store-private.h"

int
store_broadcast_add(struct store *st, const char *body, int64_t *id, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_BCAST_ADD, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, nt_now_ms());
	store_bind_text(s, 2, body);
	if (store_run(st, s, "cannot record the broadcast", cause) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_broadcast_target(struct store *st, int64_t id, const char *target, const char *room_id,
    int64_t outbox_id, const char *error, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_BCAST_TARGET_ADD, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, target);
	store_bind_text(s, 3, room_id);
	if (outbox_id > 0)
		sqlite3_bind_int64(s, 4, outbox_id);
	store_bind_text(s, 5, error);
	return store_run(st, s, "cannot record a target of the broadcast", cause);
}

/* Broadcast one (0: all), newest first. */
static int
store_broadcast_rows(struct store *st, int64_t one, struct store_broadcast **b, size_t *n,
    char **cause)
{
	sqlite3_stmt *s;
	int r;

	*b = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_BCAST_LIST, cause)) == NULL)
		return -1;
	if (one > 0)
		sqlite3_bind_int64(s, 1, one);
	while ((r = store_row(st, s, "cannot read the broadcasts", cause)) == 1) {
		*b = xreallocarray(*b, *n + 1, sizeof **b);
		(*b)[*n].id = sqlite3_column_int64(s, 0);
		(*b)[*n].created_ts = sqlite3_column_int64(s, 1);
		(*b)[*n].body = store_column_text(s, 2);
		(*b)[*n].targets = sqlite3_column_int(s, 3);
		(*b)[(*n)++].sent = sqlite3_column_int(s, 4);
	}
	if (r == -1) {
		store_broadcast_free(b, *n);
		*n = 0;
	}
	return r;
}

int
store_broadcast_list(struct store *st, struct store_broadcast **b, size_t *n, char **cause)
{
	return store_broadcast_rows(st, 0, b, n, cause);
}

int
store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *b, char **cause)
{
	struct store_broadcast *rows;
	size_t n;

	memset(b, 0, sizeof *b);
	if (store_broadcast_rows(st, id, &rows, &n, cause) == -1)
		return -1;
	if (n == 0)
		return cause_set(cause, "there is no broadcast %lld", (long long)id);
	*b = rows[0];
	free(rows);
	return 0;
}

void
store_broadcast_clear(struct store_broadcast *b)
{
	xfree(&b->body);
}

void
store_broadcast_free(struct store_broadcast **b, size_t n)
{
	if (*b == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_broadcast_clear(&(*b)[i]);
	xfree(b);
}

/* A target as the targets query has it, before it is split by person. */
struct store_bcast_target {
	struct store_bcast_recipient r;
	int64_t seq;
	int has_seq;
};

static void
store_bcast_target_fill(sqlite3_stmt *s, struct store_bcast_target *t)
{
	struct store_bcast_recipient *r = &t->r;

	memset(t, 0, sizeof *t);
	r->target = store_column_text(s, 0);
	r->room_id = store_column_text(s, 1);
	r->room_name = store_column_text(s, 11);
	if (sqlite3_column_type(s, 3) == SQLITE_NULL) {
		r->sent = STORE_BCAST_UNSENT;
		r->why = store_column_text(s, 2);
	} else if (sqlite3_column_type(s, 4) == SQLITE_NULL)
		r->sent = STORE_BCAST_DISCARDED;
	else {
		switch (sqlite3_column_int(s, 5)) {
		case STORE_OUTBOX_SENT: r->sent = STORE_BCAST_SENT; break;
		case STORE_OUTBOX_FAILED: r->sent = STORE_BCAST_REFUSED; break;
		default: r->sent = STORE_BCAST_QUEUED; break;
		}
		r->event_id = store_column_text(s, 6);
		r->why = store_column_text(s, 7);
		r->sent_ts = sqlite3_column_type(s, 9) == SQLITE_NULL ?
		    sqlite3_column_int64(s, 8) : sqlite3_column_int64(s, 9);
		t->has_seq = sqlite3_column_type(s, 10) != SQLITE_NULL;
		t->seq = sqlite3_column_int64(s, 10);
	}
}

static void
store_bcast_recipient_clear(struct store_bcast_recipient *r)
{
	free(r->target);
	free(r->room_id);
	free(r->room_name);
	free(r->user_id);
	free(r->user_name);
	free(r->event_id);
	free(r->why);
	free(r->read_event);
	free(r->reply_event);
	free(r->reply_body);
	memset(r, 0, sizeof *r);
}

static struct store_bcast_recipient
store_bcast_copy(const struct store_bcast_recipient *r)
{
	struct store_bcast_recipient c = *r;

	c.target = xstrdup(r->target);
	c.room_id = r->room_id != NULL ? xstrdup(r->room_id) : NULL;
	c.room_name = r->room_name != NULL ? xstrdup(r->room_name) : NULL;
	c.event_id = r->event_id != NULL ? xstrdup(r->event_id) : NULL;
	c.why = r->why != NULL ? xstrdup(r->why) : NULL;
	return c;
}

/* Whether, and when, the person read the copy, and their answer. */
static int
store_bcast_seen(struct store *st, struct store_bcast_recipient *r, int64_t seq, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, STORE_SQL_BCAST_READ, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, r->room_id);
	store_bind_text(s, 2, r->user_id);
	sqlite3_bind_int64(s, 3, seq);
	if ((rc = store_row(st, s, "cannot read receipts", cause)) == 1) {
		r->read_event = store_column_text(s, 0);
		r->read_ts = sqlite3_column_int64(s, 1);
		store_done(s);
	}
	if (rc == -1 || (s = store_stmt(st, STORE_SQL_BCAST_REPLY, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, r->room_id);
	store_bind_text(s, 2, r->user_id);
	sqlite3_bind_int64(s, 3, seq);
	if ((rc = store_row(st, s, "cannot read the answers", cause)) == 1) {
		r->reply_event = store_column_text(s, 0);
		r->reply_ts = sqlite3_column_int64(s, 1);
		r->reply_body = store_column_text(s, 2);
		store_done(s);
	}
	return rc == -1 ? -1 : 0;
}

/* The rows of one target: a row a person, or one without anybody. */
static int
store_bcast_people(struct store *st, const struct store_bcast_target *t, const char *self,
    struct store_bcast_recipient **r, size_t *n, char **cause)
{
	struct store_bcast_recipient *p;
	sqlite3_stmt *s;
	size_t first = *n;
	int rc = 0;

	if (t->r.room_id != NULL) {
		if ((s = store_stmt(st, STORE_SQL_BCAST_PEOPLE, cause)) == NULL)
			return -1;
		store_bind_text(s, 1, t->r.room_id);
		store_bind_text(s, 2, self != NULL ? self : "");
		sqlite3_bind_int(s, 3, MX_MEMBERSHIP_JOIN);
		while ((rc = store_row(st, s, "cannot read the members", cause)) == 1) {
			*r = xreallocarray(*r, *n + 1, sizeof **r);
			p = &(*r)[(*n)++];
			*p = store_bcast_copy(&t->r);
			p->user_id = store_column_text(s, 0);
			p->user_name = store_column_text(s, 1);
			p->direct = sqlite3_column_int(s, 2);
		}
		if (rc == -1)
			return -1;
	}
	if (*n == first) {
		*r = xreallocarray(*r, *n + 1, sizeof **r);
		(*r)[(*n)++] = store_bcast_copy(&t->r);
		return 0;
	}
	for (size_t i = first; t->has_seq && i < *n; i++) {
		if (store_bcast_seen(st, &(*r)[i], t->seq, cause) == -1)
			return -1;
	}
	return 0;
}

int
store_broadcast_report(struct store *st, int64_t id, const char *self,
    struct store_bcast_recipient **r, size_t *n, char **cause)
{
	struct store_bcast_target *t = NULL;
	struct store_broadcast b;
	sqlite3_stmt *s;
	size_t n_t = 0;
	int rc;

	*r = NULL;
	*n = 0;
	if (store_broadcast_get(st, id, &b, cause) == -1)
		return -1;
	store_broadcast_clear(&b);
	if ((s = store_stmt(st, STORE_SQL_BCAST_TARGETS, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = store_row(st, s, "cannot read the broadcast", cause)) == 1) {
		t = xreallocarray(t, n_t + 1, sizeof *t);
		store_bcast_target_fill(s, &t[n_t++]);
	}
	for (size_t i = 0; rc == 0 && i < n_t; i++)
		rc = store_bcast_people(st, &t[i], self, r, n, cause);
	for (size_t i = 0; i < n_t; i++)
		store_bcast_recipient_clear(&t[i].r);
	free(t);
	if (rc == -1) {
		store_bcast_recipients_free(r, *n);
		*n = 0;
	}
	return rc == -1 ? -1 : 0;
}

void
store_bcast_recipients_free(struct store_bcast_recipient **r, size_t n)
{
	if (*r == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_bcast_recipient_clear(&(*r)[i]);
	xfree(r);
}
