/* Unread counts that reach past a gap.
 *
 * With sliding sync the core counts unread messages itself, from what
 * the cache holds (core_room_recount). A room whose window came after a
 * gap, and whose read receipt names an event the cache lacks, may have
 * more unread than it holds: "10" where 40 wait. Such a room's newest gap
 * is paged in behind the sync, a page at a time and a room at a time,
 * until the receipt's event is cached, the gap closes or
 * CORE_UNREAD_PAGES pages came; each page counts the room again. The
 * pages are the room's history too, there when it is read. */
#include <stdlib.h>
#include <string.h>

#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_UNREAD_PAGES 5

void
core_unread_check(struct core *c, const char *room_id)
{
	const char *self = core_self(c);

	if (self == NULL || !store_unread_reaches(c->store, room_id, self))
		return;
	for (size_t i = 0; i < c->n_unread_rooms; i++)
		if (strcmp(c->unread_rooms[i], room_id) == 0)
			return;
	c->unread_rooms = xreallocarray(c->unread_rooms, c->n_unread_rooms + 1,
	    sizeof *c->unread_rooms);
	c->unread_rooms[c->n_unread_rooms++] = xstrdup(room_id);
}

static void
core_unread_pop(struct core *c)
{
	free(c->unread_rooms[0]);
	memmove(c->unread_rooms, c->unread_rooms + 1,
	    --c->n_unread_rooms * sizeof *c->unread_rooms);
	c->unread_pages = 0;
}

static void
core_unread_paged(void *arg, int status, const char *result)
{
	struct core *c = arg;
	const char *room_id;
	char *cause = NULL;
	int more;

	if (status == CORE_CANCELLED)	/* the core is going */
		return;
	c->unread_busy = 0;
	room_id = c->unread_rooms[0];
	if (core_room_recount(c, room_id, &cause) == -1) {
		log_msg("unread: %s: %s", room_id, cause);
		free(cause);
	} else if (c->ev.rooms != NULL)
		c->ev.rooms(c->ev_arg, 0);
	if (status != CORE_DONE)
		log_msg("unread: %s: %s", room_id, result != NULL ? result : "?");
	more = status == CORE_DONE && result != NULL && strcmp(result, "0") != 0 &&
	    ++c->unread_pages < CORE_UNREAD_PAGES &&
	    store_unread_reaches(c->store, room_id, core_self(c));
	if (!more)
		core_unread_pop(c);
	core_unread_next(c);
	core_background_end(c);
}

void
core_unread_next(struct core *c)
{
	char *cause = NULL;

	while (!c->unread_busy && c->n_unread_rooms > 0) {
		c->unread_busy = 1;
		core_background_begin(c);
		if (core_history_page(c, c->unread_rooms[0], core_unread_paged, c, &cause) == 0)
			return;
		log_msg("unread: %s: %s", c->unread_rooms[0], cause);
		xfree(&cause);
		c->unread_busy = 0;
		core_unread_pop(c);
		core_background_end(c);
	}
}

void
core_unread_free(struct core *c)
{
	while (c->n_unread_rooms > 0)
		core_unread_pop(c);
	xfree(&c->unread_rooms);
}
