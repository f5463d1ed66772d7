/* Gaps in cached history and filling them from /messages pages (the seq
 * scheme is described in store-sync.c). */
#include <stdlib.h>
#include <string.h>

#include "natter/sanitize.h"
#include "natter/util.h"
#include "store-private.h"

int
store_gap_next(struct store *st, const char *room_id, int64_t *before_seq, char **token,
    char **cause)
{
	sqlite3_stmt *s;
	int r;

	*token = NULL;
	if ((s = store_stmt(st, STORE_SQL_GAP_NEWEST, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	if ((r = store_row(st, s, "cannot read gaps in history", cause)) != 1)
		return r;
	*before_seq = sqlite3_column_int64(s, 0);
	*token = store_column_text(s, 1);
	store_done(s);
	return 1;
}

/* The seq of the event just below the gap, or INT64_MIN when none. */
static int
store_gap_floor(struct store *st, const char *room_id, int64_t before_seq, int64_t *floor,
    char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_GAP_FLOOR, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, before_seq);
	if (store_row(st, s, "cannot read the timeline", cause) != 1)
		return -1;
	if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		*floor = INT64_MIN;
	else
		*floor = sqlite3_column_int64(s, 0);
	store_done(s);
	return 0;
}

int
store_gap_open(struct store *st, const char *room_id, int64_t before_seq, char **cause)
{
	sqlite3_stmt *s;
	int r;

	if ((s = store_stmt(st, STORE_SQL_GAP_GET, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, before_seq);
	r = store_row(st, s, "cannot read gaps in history", cause);
	store_done(s);
	return r;
}

static int
store_gap_exists(struct store *st, const char *room_id, int64_t before_seq, char **cause)
{
	char *safe;
	int r = store_gap_open(st, room_id, before_seq, cause);

	if (r == 0) {
		safe = san_text(room_id, 0);
		cause_set(cause, "no gap in the history of %s at %lld (already filled?)", safe,
		    (long long)before_seq);
		free(safe);
	}
	return r == 1 ? 0 : -1;
}

/* Closes the gap (delete) or moves it down to new_seq with token. */
static int
store_gap_update(struct store *st, const char *room_id, int64_t before_seq, int close,
    int64_t new_seq, const char *token, char **cause)
{
	sqlite3_stmt *s;

	s = store_stmt(st, close ? STORE_SQL_GAP_DELETE : STORE_SQL_GAP_MOVE, cause);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, before_seq);
	if (!close) {
		sqlite3_bind_int64(s, 3, new_seq);
		store_bind_text(s, 4, token);
	}
	return store_run(st, s, "cannot update a gap in history", cause);
}

/* Puts the page's events below before_seq, newest first, until one is
 * already stored or there is no seq left; *closed says the gap is done. */
static int
store_gap_insert(struct store *st, const char *room_id, int64_t before_seq,
    const struct mx_messages *msgs, int64_t *lowest, int *closed, char **cause)
{
	const struct mx_event *ev;
	int64_t floor, seq = before_seq - 1, last_ts = 0;
	int known, added, n = 0;

	if (store_gap_floor(st, room_id, before_seq, &floor, cause) != 0)
		return -1;
	*closed = 0;
	for (size_t i = 0; i < msgs->n_chunk; i++) {
		ev = &msgs->chunk[i];
		if (!store_event_usable(ev))
			continue;
		if ((known = store_event_exists(st, ev->event_id, cause)) == -1)
			return -1;
		if ((*closed = known || seq <= floor))
			break;
		if (store_event_put(st, room_id, ev, seq, &added, cause) != 0)
			return -1;
		*lowest = seq--;
		n++;
		if (ev->ts > last_ts)
			last_ts = ev->ts;
	}
	if (last_ts != 0 && store_room_last_ts(st, room_id, last_ts, cause) != 0)
		return -1;
	return n;
}

/* A page that is empty only because every event in it was malformed is
 * not the start of the room: the gap moves on to its end. */
static int
store_gap_skipped_page(const struct mx_messages *msgs)
{
	if (msgs->n_chunk != 0 || msgs->n_skipped == 0 || msgs->end == NULL)
		return 0;
	return msgs->start == NULL || strcmp(msgs->start, msgs->end) != 0;
}

int
store_gap_fill(struct store *st, const char *room_id, int64_t before_seq,
    const struct mx_messages *msgs, char **cause)
{
	int64_t lowest = before_seq;
	int n, closed, own = !st->batch;

	/* In a batch (a page's encryption with it), the caller commits. */
	if (own && store_write_begin(st, cause) != 0)
		return -1;
	if (store_gap_exists(st, room_id, before_seq, cause) != 0)
		goto fail;
	if ((n = store_gap_insert(st, room_id, before_seq, msgs, &lowest, &closed, cause)) < 0)
		goto fail;
	if (!closed && (msgs->n_chunk == 0 || msgs->end == NULL))
		closed = !store_gap_skipped_page(msgs);
	if (store_gap_update(st, room_id, before_seq, closed, lowest, msgs->end, cause) != 0)
		goto fail;
	if (own && store_write_commit(st, cause) != 0)
		return -1;
	return n;
fail:
	if (own)
		store_write_abort(st);
	return -1;
}

/* Whether the events a gap hides, between the times of its neighbours,
 * may fall in since_ms <= ts < until_ms. */
static int
store_gap_overlaps(const struct store_gap *g, int64_t since_ms, int64_t until_ms)
{
	return g->after_ts < until_ms && g->before_ts >= since_ms;
}

int
store_gaps(struct store *st, const char *room_id, int64_t since_ms, int64_t until_ms,
    struct store_gap **gaps, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	struct store_gap g;
	int r;

	*gaps = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_GAP_LIST, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	while ((r = store_row(st, s, "cannot read gaps in history", cause)) == 1) {
		g.before_seq = sqlite3_column_int64(s, 0);
		g.after_ts = sqlite3_column_type(s, 1) == SQLITE_NULL ? INT64_MIN :
		    sqlite3_column_int64(s, 1);
		g.before_ts = sqlite3_column_type(s, 2) == SQLITE_NULL ? INT64_MAX :
		    sqlite3_column_int64(s, 2);
		if (!store_gap_overlaps(&g, since_ms, until_ms))
			continue;
		*gaps = xreallocarray(*gaps, *n + 1, sizeof **gaps);
		(*gaps)[(*n)++] = g;
	}
	if (r == -1) {
		xfree(gaps);
		*n = 0;
	}
	return r;
}

int64_t
store_rooms_partial(struct store *st, const char *room_id, char **cause)
{
	sqlite3_stmt *s;
	int64_t n;

	if ((s = store_stmt(st, STORE_SQL_GAP_ROOMS, cause)) == NULL)
		return -1;
	sqlite3_bind_int(s, 1, MX_MEMBERSHIP_JOIN);
	store_bind_text(s, 2, room_id);
	if (store_row(st, s, "cannot read gaps in history", cause) != 1)
		return -1;
	n = sqlite3_column_int64(s, 0);
	store_done(s);
	return n;
}
