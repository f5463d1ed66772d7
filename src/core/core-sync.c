/* Sync rounds and paging in older history: whatever the server sends
 * is written to the store first; nothing is shown before it is stored. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natter/core.h"
#include "natter/event.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_TIMELINE_LIMIT 50
#define CORE_PAGE_LIMIT 100
#define CORE_PAGES_MAX 50

/* The filter id, uploaded once per account and remembered. */
static char *
core_filter(struct core *c, char **cause)
{
	struct core_wait w = {0};
	char *id = store_meta_get(c->store, "filter_id");

	if (id != NULL)
		return id;
	if (mx_filter_upload(c->mx, CORE_TIMELINE_LIMIT, 0, core_wait_cb, &w, cause) == NULL)
		return NULL;
	if (core_wait(c, &w, cause) == 0 &&
	    store_meta_set(c->store, "filter_id", w.value, cause) == 0)
		id = xstrdup(w.value);
	core_wait_clear(&w);
	return id;
}

static size_t
count_events(const struct mx_sync *sync)
{
	size_t n = 0;

	for (size_t i = 0; i < sync->n_rooms; i++)
		n += sync->rooms[i].n_timeline;
	return n;
}

int
core_sync_apply(struct core *c, const char *body, size_t len, struct mx_sync **keep,
    size_t *n_events, char **cause)
{
	struct mx_sync *sync;
	char *why = NULL;
	int rc;

	if ((sync = mx_sync_parse(body, len, &why)) == NULL) {
		cause_set(cause, "the homeserver sent a sync that cannot be read: %s", why);
		free(why);
		return -1;
	}
	rc = store_apply_sync(c->store, sync, cause);
	if (rc == 0 && n_events != NULL)
		*n_events = count_events(sync);
	log_msg("sync: %zu rooms, %zu events, %zu malformed skipped%s", sync->n_rooms,
	    count_events(sync), sync->n_skipped, rc == 0 ? "" : ", not stored");
	if (rc == 0 && keep != NULL)
		*keep = sync;
	else
		mx_sync_free(&sync);
	return rc;
}

int
core_sync_once(struct core *c, long timeout_ms, size_t *n_events, char **cause)
{
	struct core_wait w = {0};
	char *filter, *since;
	int rc;

	if (n_events != NULL)
		*n_events = 0;
	if ((filter = core_filter(c, cause)) == NULL)
		return -1;
	since = store_sync_token(c->store);
	if (mx_sync(c->mx, since, filter, timeout_ms, 0, 0, core_wait_cb, &w, cause) == NULL)
		rc = -1;
	else if ((rc = core_wait(c, &w, cause)) == 0)
		rc = core_sync_apply(c, w.raw, w.raw_len, NULL, n_events, cause);
	core_wait_clear(&w);
	free(filter);
	free(since);
	if (rc == 0 && core_outbox_flush(c, cause) < 0)
		rc = -1;
	return rc;
}

int
core_gap_page(struct core *c, const char *room_id, int *added, char **cause)
{
	struct core_wait w = {0};
	struct mx_messages *msgs = NULL;
	int64_t before;
	char *token = NULL, *why = NULL;
	int rc;

	if (added != NULL)
		*added = 0;
	if ((rc = store_gap_next(c->store, room_id, &before, &token, cause)) <= 0)
		return rc;
	if (mx_messages(c->mx, room_id, token, CORE_PAGE_LIMIT, 0, core_wait_cb, &w,
	    cause) == NULL)
		rc = -1;
	else if ((rc = core_wait(c, &w, cause)) == 0) {
		if ((msgs = mx_messages_parse(w.raw, w.raw_len, &why)) == NULL)
			rc = cause_set(cause, "the homeserver sent history that cannot be read: %s",
			    why);
		else if ((rc = store_gap_fill(c->store, room_id, before, msgs, cause)) >= 0) {
			if (added != NULL)
				*added = rc;
			rc = 1;	/* the gap moved or closed, even with nothing new */
		}
	}
	mx_messages_free(&msgs);
	core_wait_clear(&w);
	free(token);
	free(why);
	return rc;
}

/* Whether the cached window misses events: fewer than asked for, or
 * the newest gap sits above its oldest message. */
static int
core_window_short(struct core *c, const char *room_id, const struct store_msg *msgs, size_t n,
    int limit)
{
	int64_t before;
	char *token = NULL;
	int gap = store_gap_next(c->store, room_id, &before, &token, NULL);

	free(token);
	if (gap != 1)
		return 0;
	return n < (size_t)limit || (n > 0 && before > msgs[0].seq);
}

int
core_history(struct core *c, const char *room_id, int64_t before_seq, int limit,
    struct store_msg **msgs, size_t *n, char **cause)
{
	for (int pages = 0;; pages++) {
		if (store_history(c->store, room_id, before_seq, limit, msgs, n, cause) == -1)
			return -1;
		if (!c->logged_in || pages == CORE_PAGES_MAX ||
		    !core_window_short(c, room_id, *msgs, *n, limit))
			return 0;
		store_msgs_free(msgs, *n);
		if (core_gap_page(c, room_id, NULL, cause) == -1) {
			/* Offline: what the cache has, and why there is no more. */
			if (store_history(c->store, room_id, before_seq, limit, msgs, n,
			    NULL) == -1)
				return -1;
			return 1;
		}
	}
}
