/* The outbox: messages queued to send, each with the txnId that every
 * retry reuses so that the server stores it once. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

/* "nt" + 16 random hex digits + "-" + milliseconds: unique without
 * coordination between natter processes sharing a profile. */
static char *
store_txn_new(void)
{
	unsigned char r[8];
	char hex[2 * sizeof r + 1];

	nt_random(r, sizeof r);
	for (size_t i = 0; i < sizeof r; i++) {
		hex[2 * i] = "0123456789abcdef"[r[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[r[i] & 0xf];
	}
	hex[2 * sizeof r] = '\0';
	return xasprintf("nt%s-%lld", hex, (long long)nt_now_ms());
}

static int
store_outbox_insert(struct store *st, const char *room_id, const char *type,
    const char *content, int64_t due_ts, struct store_outbox *item, char **cause)
{
	sqlite3_stmt *s;
	char *txn;
	int64_t now = nt_now_ms();

	if (room_id == NULL || type == NULL || content == NULL)
		return cause_set(cause, "cannot queue a message without a room, type and content");
	if ((s = store_stmt(st, STORE_SQL_OUTBOX_ADD, cause)) == NULL)
		return -1;
	txn = store_txn_new();
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, txn);
	store_bind_text(s, 3, type);
	store_bind_text(s, 4, content);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int(s, 6, due_ts > 0 ? STORE_OUTBOX_LATER : STORE_OUTBOX_QUEUED);
	sqlite3_bind_int64(s, 7, due_ts);
	if (store_run(st, s, "cannot queue the message", cause) != 0) {
		free(txn);
		return -1;
	}
	if (item == NULL) {
		free(txn);
		return 0;
	}
	memset(item, 0, sizeof *item);
	item->id = sqlite3_last_insert_rowid(st->db);
	item->room_id = xstrdup(room_id);
	item->txn_id = txn;
	item->type = xstrdup(type);
	item->content = xstrdup(content);
	item->state = due_ts > 0 ? STORE_OUTBOX_LATER : STORE_OUTBOX_QUEUED;
	item->created_ts = now;
	item->due_ts = due_ts;
	return 0;
}

int
store_outbox_add(struct store *st, const char *room_id, const char *type,
    const char *content, struct store_outbox *item, char **cause)
{
	return store_outbox_insert(st, room_id, type, content, 0, item, cause);
}

int
store_outbox_schedule(struct store *st, const char *room_id, const char *type,
    const char *content, int64_t due_ts, struct store_outbox *item, char **cause)
{
	if (due_ts <= 0)
		return cause_set(cause, "a scheduled message needs a time");
	return store_outbox_insert(st, room_id, type, content, due_ts, item, cause);
}

static void
store_outbox_fill(sqlite3_stmt *s, struct store_outbox *item)
{
	item->id = sqlite3_column_int64(s, 0);
	item->room_id = store_column_text(s, 1);
	item->txn_id = store_column_text(s, 2);
	item->type = store_column_text(s, 3);
	item->content = store_column_text(s, 4);
	item->state = (enum store_outbox_state)sqlite3_column_int(s, 5);
	item->attempts = sqlite3_column_int(s, 6);
	item->last_error = store_column_text(s, 7);
	item->event_id = store_column_text(s, 8);
	item->created_ts = sqlite3_column_int64(s, 9);
	item->body = sqlite3_column_type(s, 10) == SQLITE_TEXT ? store_column_text(s, 10) : NULL;
	item->next_ts = sqlite3_column_int64(s, 11);
	item->due_ts = sqlite3_column_int64(s, 12);
	item->delay_id = store_column_text(s, 13);
}

/* The rows statement sql (bound to room_id and n2) gives. */
static int
store_outbox_rows(struct store *st, enum store_sql sql, const char *room_id, int64_t n2,
    struct store_outbox **items, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int r;

	*items = NULL;
	*n = 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, n2);
	while ((r = store_row(st, s, "cannot read the outbox", cause)) == 1) {
		*items = xreallocarray(*items, *n + 1, sizeof **items);
		store_outbox_fill(s, &(*items)[(*n)++]);
	}
	if (r == -1) {
		store_outbox_free(items, *n);
		*n = 0;
	}
	return r;
}

int
store_outbox_list(struct store *st, const char *room_id, int include_failed,
    struct store_outbox **items, size_t *n, char **cause)
{
	return store_outbox_rows(st, STORE_SQL_OUTBOX_LIST, room_id, include_failed != 0, items, n,
	    cause);
}

int
store_outbox_shown(struct store *st, const char *room_id, int64_t since_ms,
    struct store_outbox **items, size_t *n, char **cause)
{
	return store_outbox_rows(st, STORE_SQL_OUTBOX_SHOWN, room_id, since_ms, items, n, cause);
}

int
store_outbox_newest(struct store *st, const char *room_id, int64_t since_ms, int text_only,
    struct store_outbox *item, char **cause)
{
	sqlite3_stmt *s;
	int r;

	memset(item, 0, sizeof *item);
	if ((s = store_stmt(st, STORE_SQL_OUTBOX_NEWEST, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, since_ms);
	sqlite3_bind_int(s, 3, text_only != 0);
	if ((r = store_row(st, s, "cannot read the outbox", cause)) == 1)
		store_outbox_fill(s, item);
	store_done(s);
	return r;
}

char *
store_outbox_copy(struct store *st, const struct store_outbox *item, const char *sender,
    int64_t since_ms)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_OUTBOX_COPY, NULL);
	char *event_id = NULL;

	if (s == NULL)
		return NULL;
	store_bind_text(s, 1, item->room_id);
	store_bind_text(s, 2, sender);
	sqlite3_bind_int64(s, 3, since_ms);
	store_bind_text(s, 4, item->content);
	if (store_row(st, s, "cannot read the timeline", NULL) == 1)
		event_id = store_column_text(s, 0);
	store_done(s);
	return event_id;
}

int
store_outbox_scheduled(struct store *st, const char *room_id, int64_t now_ms,
    struct store_outbox **items, size_t *n, char **cause)
{
	return store_outbox_rows(st, STORE_SQL_OUTBOX_SCHEDULED, room_id, now_ms, items, n, cause);
}

int
store_outbox_get(struct store *st, int64_t id, struct store_outbox *item, char **cause)
{
	sqlite3_stmt *s;
	int r;

	memset(item, 0, sizeof *item);
	if ((s = store_stmt(st, STORE_SQL_OUTBOX_GET, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_row(st, s, "cannot read the outbox", cause)) == 1)
		store_outbox_fill(s, item);
	else if (r == 0)
		cause_set(cause, "no outbox entry %lld", (long long)id);
	store_done(s);
	return r == 1 ? 0 : -1;
}

/* Runs an outbox update on row id, which must exist. */
static int
store_outbox_update(struct store *st, enum store_sql sql, int64_t id, const char *text,
    int64_t when, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sql != STORE_SQL_OUTBOX_DELETE && sql != STORE_SQL_OUTBOX_HANDING)
		store_bind_text(s, 2, text);
	if (sql == STORE_SQL_OUTBOX_ATTEMPT)
		sqlite3_bind_int64(s, 3, when);
	if (store_run(st, s, "cannot update the outbox", cause) != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return cause_set(cause, "no message %lld in the outbox", (long long)id);
	return 0;
}

int
store_outbox_attempt(struct store *st, int64_t id, const char *error, int64_t next_ts,
    char **cause)
{
	return store_outbox_update(st, STORE_SQL_OUTBOX_ATTEMPT, id, error, next_ts, cause);
}

int
store_outbox_sent(struct store *st, int64_t id, const char *event_id, char **cause)
{
	return store_outbox_update(st, STORE_SQL_OUTBOX_SENT, id, event_id, 0, cause);
}

int
store_outbox_failed(struct store *st, int64_t id, const char *error, char **cause)
{
	return store_outbox_update(st, STORE_SQL_OUTBOX_FAILED, id, error, 0, cause);
}

int
store_outbox_retry(struct store *st, int64_t id, char **cause)
{
	return store_outbox_update(st, STORE_SQL_OUTBOX_RETRY, id, NULL, 0, cause);
}

int
store_outbox_delete(struct store *st, int64_t id, char **cause)
{
	return store_outbox_update(st, STORE_SQL_OUTBOX_DELETE, id, NULL, 0, cause);
}

int
store_outbox_note(struct store *st, int64_t id, const char *note, char **cause)
{
	return store_outbox_update(st, STORE_SQL_OUTBOX_NOTE, id, note, 0, cause);
}

/* A scheduled message moved by statement sql (?1 its id, ?2 text), which
 * changes nothing when it is no longer waiting: then that, with gone. */
static int
store_outbox_move(struct store *st, int sql, int64_t id, const char *text, const char *gone,
    char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, text);
	if (store_run(st, s, "cannot update the outbox", cause) != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return cause_set(cause, "scheduled message %lld is no longer waiting%s",
		    (long long)id, gone);
	return 0;
}

int
store_outbox_held(struct store *st, int64_t id, const char *delay_id, char **cause)
{
	return store_outbox_move(st, STORE_SQL_OUTBOX_HELD, id, delay_id, "", cause);
}

int
store_outbox_handing(struct store *st, int64_t id, char **cause)
{
	return store_outbox_update(st, STORE_SQL_OUTBOX_HANDING, id, NULL, 0, cause);
}

int
store_outbox_claim(struct store *st, int64_t now_ms, char **cause)
{
	sqlite3_stmt *s;

	int n;

	if ((s = store_stmt(st, STORE_SQL_OUTBOX_CLAIM, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	if (store_run(st, s, "cannot take the scheduled messages that are due", cause) != 0)
		return -1;
	n = sqlite3_changes(st->db);
	if ((s = store_stmt(st, STORE_SQL_OUTBOX_GONE, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	if (store_run(st, s, "cannot update the outbox", cause) != 0)
		return -1;
	return n;
}

int64_t
store_outbox_next_due(struct store *st)
{
	sqlite3_stmt *s;
	int64_t due = 0;

	if ((s = store_stmt(st, STORE_SQL_OUTBOX_NEXT_DUE, NULL)) == NULL)
		return 0;
	if (store_row(st, s, "cannot read the outbox", NULL) == 1)
		due = sqlite3_column_int64(s, 0);
	store_done(s);
	return due;
}

int
store_outbox_unschedule(struct store *st, int64_t id, const char *delay_id, char **cause)
{
	return store_outbox_move(st, STORE_SQL_OUTBOX_UNSCHEDULE, id, delay_id,
	    ": it has gone or is going", cause);
}

int
store_outbox_reschedule(struct store *st, int64_t id, const char *delay_id, int64_t due_ts,
    const char *content, const char *why, char **cause)
{
	sqlite3_stmt *s;
	char *txn;
	int rc;

	if ((s = store_stmt(st, STORE_SQL_OUTBOX_RESCHEDULE, cause)) == NULL)
		return -1;
	txn = store_txn_new();
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, due_ts);
	store_bind_text(s, 3, content);
	store_bind_text(s, 4, txn);
	store_bind_text(s, 5, why);
	store_bind_text(s, 6, delay_id);
	rc = store_run(st, s, "cannot update the outbox", cause);
	free(txn);
	if (rc != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return cause_set(cause, "scheduled message %lld is no longer waiting: it has gone "
		    "or is going", (long long)id);
	return 0;
}

void
store_outbox_clear(struct store_outbox *item)
{
	char **fields[] = {
		&item->room_id, &item->txn_id, &item->type, &item->content, &item->last_error,
		&item->event_id, &item->body, &item->delay_id,
	};

	for (size_t i = 0; i < NT_NELEMS(fields); i++)
		xfree(fields[i]);
	memset(item, 0, sizeof *item);
}

void
store_outbox_free(struct store_outbox **items, size_t n)
{
	if (*items == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_outbox_clear(&(*items)[i]);
	xfree(items);
}
