/* Broadcasts: each copy goes through the outbox like any message, and
 * the cache keeps which outbox row was whose, for the report. */
#include <stdlib.h>

#include "core-private.h"
#include "natter/log.h"
#include "natter/store.h"

int
core_broadcast_new(struct core *c, const char *text, int64_t *id, char **cause)
{
	return store_broadcast_add(c->store, text, id, cause);
}

/* A record that cannot be written loses only the report's line. */
static void
core_broadcast_record(struct core *c, int64_t id, const char *target, const char *room_id,
    int64_t outbox_id, const char *why)
{
	char *cause = NULL;

	if (store_broadcast_target(c->store, id, target, room_id, outbox_id, why, &cause) == -1) {
		log_msg("broadcast %lld: %s", (long long)id, cause);
		free(cause);
	}
}

int
core_broadcast_send(struct core *c, int64_t id, const char *target, const char *room_id,
    const char *text, int emote, core_done_cb done, void *arg, char **cause)
{
	char *why = NULL;

	c->queued = 0;
	if (core_send_text(c, room_id, text, emote, NULL, done, arg, &why) == -1) {
		core_broadcast_record(c, id, target, room_id, 0, why);
		cause_set(cause, "%s", why);
		free(why);
		return -1;
	}
	core_broadcast_record(c, id, target, room_id, c->queued, NULL);
	return 0;
}

void
core_broadcast_unsent(struct core *c, int64_t id, const char *target, const char *room_id,
    const char *why)
{
	core_broadcast_record(c, id, target, room_id, 0, why);
}
