/* Direct chats: found through m.direct, created like other clients do
 * (is_direct on the room, then the user's m.direct account data). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/core.h"
#include "natter/msg.h"
#include "natter/util.h"

/* The user's m.direct map with room_id added for user_id. */
static int
core_direct_add(struct core *c, const char *user_id, const char *room_id, char **cause)
{
	struct core_wait w = {0};
	cJSON *map = NULL;
	char *text;
	int rc;

	if (mx_account_data_get(c->mx, "m.direct", 0, core_wait_cb, &w, cause) == NULL)
		return -1;
	if (core_wait(c, &w, cause) == 0 && cJSON_IsObject(w.json)) {
		map = w.json;
		w.json = NULL;
	} else if (w.status != 404) {
		core_wait_clear(&w);
		return -1;
	}
	core_wait_clear(&w);
	text = msg_direct_add(map, user_id, room_id);
	rc = -1;
	if (mx_account_data_put(c->mx, "m.direct", text, 0, core_wait_cb, &w, cause) != NULL)
		rc = core_wait(c, &w, cause);
	core_wait_clear(&w);
	free(text);
	return rc;
}

char *
core_dm(struct core *c, const char *user_id, int *created, char **cause)
{
	struct core_wait w = {0};
	const char *invite[] = {user_id};
	char *room_id;

	if (created != NULL)
		*created = 0;
	if ((room_id = store_dm_room(c->store, user_id)) != NULL)
		return room_id;
	if (mx_room_create(c->mx, NULL, invite, 1, 1, 0, core_wait_cb, &w, cause) == NULL)
		return NULL;
	if (core_wait(c, &w, cause) == 0)
		room_id = xstrdup(w.value);
	core_wait_clear(&w);
	if (room_id == NULL)
		return NULL;
	if (created != NULL)
		*created = 1;
	/* The room exists even if m.direct cannot be updated; a sync
	 * brings the new map into the cache for the next lookup. */
	if (core_direct_add(c, user_id, room_id, cause) == 0)
		core_sync_once(c, 0, NULL, NULL);
	return room_id;
}
