/* Writing a whole /sync response, and its token, in one transaction. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

/*
 * Timeline order: each event has a seq, increasing with time within its
 * room. A sync appends its new events densely after the room's highest
 * seq. A limited sync skipped events, so its first new event goes
 * STORE_SEQ_HOLE above the highest seq instead, and a gap row (room,
 * before_seq = that seq, token = prev_batch) says where to page back
 * from; a room seen for the first time starts at 0 with a gap before it
 * unless its timeline begins with m.room.create. store_gap_fill puts a
 * /messages page at before_seq - 1, - 2, ... (negative below a room's
 * first event) and closes the gap at an event already stored, at the
 * start of the room, or on reaching the seq of the event below it.
 */
#define STORE_SEQ_HOLE 1000000

/* The highest seq of a room: 1 with *max set, 0 when it has no events. */
static int
store_room_max_seq(struct store *st, const char *room_id, int64_t *max, char **cause)
{
	sqlite3_stmt *s;
	int any;

	if ((s = store_stmt(st, STORE_SQL_ROOM_MAX_SEQ, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	if (store_row(st, s, "cannot read the timeline", cause) != 1)
		return -1;
	any = sqlite3_column_type(s, 0) != SQLITE_NULL;
	*max = sqlite3_column_int64(s, 0);
	store_done(s);
	return any;
}

static int
store_gap_put(struct store *st, const char *room_id, int64_t before_seq, const char *token,
    char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_GAP_PUT, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, before_seq);
	store_bind_text(s, 3, token);
	return store_run(st, s, "cannot record a gap in history", cause);
}

/* Where this sync's first new event goes, recording a gap if the server
 * left events out before it. */
static int
store_sync_first_seq(struct store *st, const struct mx_room_update *ru, int64_t *seq,
    char **cause)
{
	const struct mx_event *first = &ru->timeline[0];
	int64_t max;
	int any, known, gap;

	if ((any = store_room_max_seq(st, ru->room_id, &max, cause)) == -1)
		return -1;
	*seq = any ? max + 1 : 0;
	if (!store_event_usable(first))
		return 0;
	if ((known = store_event_exists(st, first->event_id, cause)) == -1)
		return -1;
	if (known)
		return 0;
	if (any)
		gap = ru->limited;
	else
		gap = strcmp(first->type, "m.room.create") != 0;
	if (!gap)
		return 0;
	/* What the gap hides may have changed who is in the room. */
	if (any && (store_members_unsure(st, ru->room_id, cause) != 0))
		return -1;
	if (any)
		*seq = max + STORE_SEQ_HOLE;
	if (ru->prev_batch == NULL)
		return 0;
	return store_gap_put(st, ru->room_id, *seq, ru->prev_batch, cause);
}

/* A timeline may reach back past events the cache has: an expanded one
 * (sliding sync), or a new connection's first answer. What precedes the
 * newest of those is history, which the cache holds or a gap before it
 * pages in; it is left out, so that nothing lands after what came later.
 * The index of the first event to take (the newest known one, kept as
 * it is). */
static int
store_sync_known_from(struct store *st, const struct mx_room_update *ru, size_t *from,
    char **cause)
{
	int known;

	*from = 0;
	for (size_t i = ru->n_timeline; i-- > 1;) {
		if (!store_event_usable(&ru->timeline[i]))
			continue;
		if ((known = store_event_exists(st, ru->timeline[i].event_id, cause)) == -1)
			return -1;
		if (known) {
			*from = i;
			return 0;
		}
	}
	return 0;
}

static int
store_sync_timeline(struct store *st, const struct mx_room_update *ru, char **cause)
{
	struct mx_room_update part;
	const struct mx_event *ev;
	int64_t seq, last_ts = 0;
	size_t from;
	int added;

	if (ru->n_timeline == 0)
		return 0;
	if (store_sync_known_from(st, ru, &from, cause) != 0)
		return -1;
	part = *ru;
	part.timeline += from;
	part.n_timeline -= from;
	ru = &part;
	if (store_sync_first_seq(st, ru, &seq, cause) != 0)
		return -1;
	for (size_t i = 0; i < ru->n_timeline; i++) {
		ev = &ru->timeline[i];
		if (store_event_put(st, ru->room_id, ev, seq, &added, cause) != 0)
			return -1;
		if (!added)
			continue;
		seq++;
		if (store_state_apply(st, ru->room_id, ev, cause) != 0)
			return -1;
		if (ev->ts > last_ts)
			last_ts = ev->ts;
	}
	if (last_ts == 0)
		return 0;
	return store_room_last_ts(st, ru->room_id, last_ts, cause);
}

/* A room's unread, highlight, joined and invited counts; one below 0
 * keeps what the room had. */
static int
store_room_numbers(struct store *st, const char *room_id, int64_t unread, int64_t highlight,
    int64_t joined, int64_t invited, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_ROOM_COUNTS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, unread);
	sqlite3_bind_int64(s, 3, highlight);
	sqlite3_bind_int64(s, 4, joined);
	sqlite3_bind_int64(s, 5, invited);
	return store_run(st, s, "cannot update a room", cause);
}

int
store_room_counts(struct store *st, const char *room_id, int64_t unread, int64_t highlight,
    char **cause)
{
	return store_room_numbers(st, room_id, unread, highlight, -1, -1, cause);
}

static int
store_sync_summary(struct store *st, const struct mx_room_update *ru, char **cause)
{
	sqlite3_stmt *s;

	if (store_room_numbers(st, ru->room_id, ru->notification_count, ru->highlight_count,
	    ru->joined_count, ru->invited_count, cause) != 0)
		return -1;
	if (ru->n_heroes == 0)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_HEROES_DELETE, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, ru->room_id);
	if (store_run(st, s, "cannot update a room", cause) != 0)
		return -1;
	for (size_t i = 0; i < ru->n_heroes; i++) {
		if (ru->heroes[i] == NULL)
			continue;
		if ((s = store_stmt(st, STORE_SQL_HERO_INSERT, cause)) == NULL)
			return -1;
		store_bind_text(s, 1, ru->room_id);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		store_bind_text(s, 3, ru->heroes[i]);
		if (store_run(st, s, "cannot update a room", cause) != 0)
			return -1;
	}
	return 0;
}

static int
store_sync_receipts(struct store *st, const struct mx_room_update *ru, char **cause)
{
	const struct mx_receipt *rc;
	sqlite3_stmt *s;

	for (size_t i = 0; i < ru->n_receipts; i++) {
		rc = &ru->receipts[i];
		if (rc->user_id == NULL || rc->event_id == NULL)
			continue;
		if ((s = store_stmt(st, STORE_SQL_RECEIPT_PUT, cause)) == NULL)
			return -1;
		store_bind_text(s, 1, ru->room_id);
		store_bind_text(s, 2, rc->user_id);
		store_bind_text(s, 3, rc->event_id);
		sqlite3_bind_int64(s, 4, rc->ts);
		if (store_run(st, s, "cannot save a read receipt", cause) != 0)
			return -1;
	}
	return 0;
}

static int store_sync_room_tags(struct store *st, const struct mx_room_update *ru,
    char **cause);

static int
store_sync_room_row(struct store *st, const struct mx_room_update *ru, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_ROOM_UPSERT, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, ru->room_id);
	sqlite3_bind_int(s, 2, (int)ru->membership);
	if (store_run(st, s, "cannot save a room", cause) != 0)
		return -1;
	return store_sync_room_tags(st, ru, cause);
}

static int
store_sync_room_tags(struct store *st, const struct mx_room_update *ru, char **cause)
{
	sqlite3_stmt *s;

	if (!ru->has_tags)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_ROOM_TAGS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, ru->room_id);
	sqlite3_bind_int(s, 2, ru->favourite != 0);
	sqlite3_bind_int(s, 3, ru->lowpriority != 0);
	return store_run(st, s, "cannot save a room", cause);
}

static int
store_sync_room(struct store *st, const struct mx_room_update *ru, char **cause)
{
	int known;

	/* Receipts, typing or tags alone (sliding sync) change a room the
	 * cache has, and never its membership. */
	if (ru->membership == MX_MEMBERSHIP_NONE) {
		if ((known = store_room_known(st, ru->room_id, cause)) != 1)
			return known;
		if (store_sync_room_tags(st, ru, cause) != 0)
			return -1;
		return store_sync_receipts(st, ru, cause);
	}
	if (store_sync_room_row(st, ru, cause) != 0)
		return -1;
	if (store_sync_summary(st, ru, cause) != 0)
		return -1;
	for (size_t i = 0; i < ru->n_state; i++) {
		if (store_state_apply(st, ru->room_id, &ru->state[i], cause) != 0)
			return -1;
	}
	if (store_sync_timeline(st, ru, cause) != 0)
		return -1;
	return store_sync_receipts(st, ru, cause);
}

static int
store_sync_direct(struct store *st, const struct mx_sync *sync, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_DIRECT_CLEAR, cause)) == NULL)
		return -1;
	if (store_run(st, s, "cannot save direct chats", cause) != 0)
		return -1;
	for (size_t i = 0; i < sync->n_direct; i++) {
		if (sync->direct[i].user_id == NULL || sync->direct[i].room_id == NULL)
			continue;
		if ((s = store_stmt(st, STORE_SQL_DIRECT_PUT, cause)) == NULL)
			return -1;
		store_bind_text(s, 1, sync->direct[i].user_id);
		store_bind_text(s, 2, sync->direct[i].room_id);
		if (store_run(st, s, "cannot save direct chats", cause) != 0)
			return -1;
	}
	return 0;
}

static int
store_sync_rooms(struct store *st, const struct mx_sync *sync, char **cause)
{
	for (size_t i = 0; i < sync->n_rooms; i++) {
		if (sync->rooms[i].room_id == NULL)
			continue;
		if (store_sync_room(st, &sync->rooms[i], cause) != 0)
			return -1;
	}
	return 0;
}

/* The sync's rooms and m.direct, then its token under key: last, so
 * that the token never runs ahead of what it delivered. A sliding sync
 * also keeps its to-device position. */
static int
store_apply(struct store *st, const struct mx_sync *sync, const char *key, char **cause)
{
	int own = !st->batch;

	if (sync->next_batch == NULL)
		return cause_set(cause, "the sync response has no next_batch token");
	if (own && store_write_begin(st, cause) != 0)
		return -1;
	if (store_sync_rooms(st, sync, cause) != 0)
		goto fail;
	if (sync->has_direct && store_sync_direct(st, sync, cause) != 0)
		goto fail;
	if (sync->reminders != NULL &&
	    store_meta_set(st, STORE_META_REMINDERS_SERVER, sync->reminders, cause) != 0)
		goto fail;
	if (sync->to_device_next != NULL &&
	    store_meta_set(st, STORE_META_SLIDE_TO_DEVICE, sync->to_device_next, cause) != 0)
		goto fail;
	if (store_meta_set(st, key, sync->next_batch, cause) != 0)
		goto fail;
	return own ? store_write_commit(st, cause) : 0;
fail:
	if (own)
		store_write_abort(st);
	return -1;
}

int
store_apply_sync(struct store *st, const struct mx_sync *sync, char **cause)
{
	return store_apply(st, sync, "since", cause);
}

int
store_apply_rooms(struct store *st, const struct mx_sync *sync, char **cause)
{
	if (!st->batch)
		return cause_set(cause, "a slice of a sync is written only with the rest of it");
	return store_sync_rooms(st, sync, cause);
}

int
store_apply_slide(struct store *st, const struct mx_sync *sync, const char *pos_key,
    char **cause)
{
	return store_apply(st, sync, pos_key, cause);
}
