/* Paging a room's whole history into the cache: every gap, newest first,
 * one /messages page (one transaction) at a time, until none is left. */
#include <stdlib.h>
#include <string.h>

#include "natter/core.h"
#include "natter/log.h"
#include "natter/sanitize.h"
#include "natter/util.h"
#include "core-private.h"

/* Pages in a row that add nothing before a server is thought to be
 * leading natter on rather than towards the start of the room. */
#define CORE_BACKFILL_IDLE_MAX 50

struct core_backfill {
	struct core *c;
	core_backfill_cb cb;
	void *arg;
	struct core_backfill_progress p;
};

static void
core_backfill_report(struct core_backfill *b)
{
	if (b->cb != NULL)
		b->cb(&b->p, b->arg);
}

/* Fills every gap of one room; 0 when its history is complete. */
static int
core_backfill_room(struct core_backfill *b, char **cause)
{
	int rc, added, idle = 0;

	b->p.added = 0;
	b->p.done = 0;
	while ((rc = core_gap_page(b->c, b->p.room_id, &added, cause)) == 1) {
		b->p.added += added;
		idle = added > 0 ? 0 : idle + 1;
		if (idle == CORE_BACKFILL_IDLE_MAX)
			return cause_set(cause, "the homeserver keeps sending history pages with "
			    "nothing new");
		if (added > 0)
			core_backfill_report(b);
	}
	if (rc == 0) {
		b->p.done = 1;
		core_backfill_report(b);
	}
	log_msg("backfill: %s: %lld new events%s", b->p.room_id, (long long)b->p.added,
	    rc == 0 ? ", complete" : ", stopped");
	return rc;
}

/* One room of the list, with a cause that says which room failed. */
static int
core_backfill_one(struct core_backfill *b, const struct store_room *r, char **cause)
{
	char *why = NULL, *safe;
	int rc;

	b->p.room_id = r->room_id;
	b->p.name = r->name;
	if ((rc = core_backfill_room(b, &why)) == -1) {
		safe = san_text(r->name, 0);
		cause_set(cause, "%s: %s", safe, why);
		free(safe);
	}
	free(why);
	return rc;
}

/* The rooms to fill: room_id alone, or every joined room. */
static int
core_backfill_rooms(struct core *c, const char *room_id, struct store_room **rooms, size_t *n,
    char **cause)
{
	size_t kept = 0;

	if (room_id != NULL) {
		*rooms = xcalloc(1, sizeof **rooms);
		*n = 0;
		if (store_room_get(c->store, room_id, *rooms, cause) == -1) {
			xfree(rooms);
			return -1;
		}
		*n = 1;
		return 0;
	}
	if (store_rooms(c->store, rooms, n, cause) == -1)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if ((*rooms)[i].membership == MX_MEMBERSHIP_JOIN)
			(*rooms)[kept++] = (*rooms)[i];
		else
			store_room_clear(&(*rooms)[i]);
	}
	*n = kept;
	return 0;
}

int
core_backfill(struct core *c, const char *room_id, core_backfill_cb cb, void *arg, char **cause)
{
	struct core_backfill b = {.c = c, .cb = cb, .arg = arg};
	struct store_room *rooms;
	size_t n;
	int rc = 0;

	if (!c->logged_in)
		return cause_set(cause, "not logged in: there is no homeserver to ask");
	if (core_backfill_rooms(c, room_id, &rooms, &n, cause) == -1)
		return -1;
	b.p.n_rooms = n;
	for (size_t i = 0; i < n && rc == 0; i++) {
		b.p.index = i;
		rc = core_backfill_one(&b, &rooms[i], cause);
	}
	store_rooms_free(&rooms, n);
	return rc;
}
