/* Parsing a simplified sliding sync answer (MSC4186, as Synapse speaks
 * it) into the struct mx_sync a /v3/sync makes, so that the store and
 * the core take both alike.
 *
 * A room's answer is one object: required_state, timeline, limited,
 * prev_batch, the member counts, heroes as objects, invite_state for an
 * invite. Extensions carry what /v3/sync has at its root or in a room's
 * ephemeral and account data: to_device (with its own next_batch), e2ee,
 * account_data (global and per room), receipts and typing (per room, one
 * event each). A room that only an extension names comes with the
 * membership MX_MEMBERSHIP_NONE.
 *
 * As in mx-parse.c everything is untrusted: a field of the wrong type
 * counts as absent, a malformed event is skipped and counted, a room
 * whose id is not a room id is skipped whole. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "mx-private.h"

/* The list whose count is the account's number of rooms (core-slide.c
 * names its lists so). */
#define SLIDE_LIST "rooms"

static void
slide_heroes(struct mx_room_update *ru, const cJSON *heroes)
{
	const cJSON *h;
	const char *id;

	cJSON_ArrayForEach(h, heroes) {
		/* Objects here; user ids as in /v3/sync are taken too. */
		id = cJSON_IsString(h) ? h->valuestring : mx_json_str(h, "user_id");
		if (id != NULL && mx_id_valid(id, '@'))
			mx_strings_add(&ru->heroes, &ru->n_heroes, id);
	}
}

static enum mx_membership
slide_membership(const cJSON *j)
{
	const char *m = mx_json_str(j, "membership");

	if (m == NULL)
		return MX_MEMBERSHIP_JOIN;
	if (strcmp(m, "invite") == 0)
		return MX_MEMBERSHIP_INVITE;
	if (strcmp(m, "leave") == 0)
		return MX_MEMBERSHIP_LEAVE;
	if (strcmp(m, "ban") == 0)
		return MX_MEMBERSHIP_BAN;
	if (strcmp(m, "knock") == 0)
		return MX_MEMBERSHIP_KNOCK;
	return MX_MEMBERSHIP_JOIN;
}

/* An invite's stripped state: an array (Synapse's invite_state, the
 * MSC's stripped_state), or /v3/sync's {"events": [...]}. */
static const cJSON *
slide_stripped(const cJSON *j)
{
	const char *keys[] = {"invite_state", "stripped_state"};
	const cJSON *v;

	for (size_t i = 0; i < NT_NELEMS(keys); i++) {
		v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
		if (cJSON_IsArray(v))
			return v;
		if (mx_json_arr(v, "events") != NULL)
			return mx_json_arr(v, "events");
	}
	return NULL;
}

static void
slide_room(struct mx_room_update *ru, const cJSON *j, size_t *skipped)
{
	const cJSON *stripped = slide_stripped(j), *tl;

	memset(ru, 0, sizeof *ru);
	ru->room_id = xstrdup(j->string);
	ru->notification_count = ru->highlight_count = -1;
	ru->joined_count = mx_json_count(j, "joined_count");
	ru->invited_count = mx_json_count(j, "invited_count");
	ru->n_live = -1;
	if (stripped != NULL) {
		ru->membership = MX_MEMBERSHIP_INVITE;
		ru->state = mx_events_from_json(stripped, MX_EVENT_STRIPPED, ru->room_id,
		    &ru->n_state, skipped);
		return;
	}
	ru->membership = slide_membership(j);
	ru->state = mx_events_from_json(mx_json_arr(j, "required_state"), MX_EVENT_STATE,
	    ru->room_id, &ru->n_state, skipped);
	if ((tl = mx_json_arr(j, "timeline")) == NULL)
		tl = mx_json_arr(j, "timeline_events");
	ru->timeline = mx_events_from_json(tl, MX_EVENT_TIMELINE, ru->room_id, &ru->n_timeline,
	    skipped);
	ru->limited = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "limited"));
	ru->expanded = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "expanded_timeline")) ||
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "unstable_expanded_timeline"));
	ru->prev_batch = mx_json_token(j, "prev_batch");
	ru->n_live = mx_json_count(j, "num_live");
	slide_heroes(ru, mx_json_arr(j, "heroes"));
}

static void
slide_rooms(struct mx_sync *s, const cJSON *rooms)
{
	int count = cJSON_GetArraySize(rooms);
	const cJSON *j;
	char *repeat;
	size_t i = 0;

	if (rooms == NULL || count <= 0)
		return;
	s->rooms = xreallocarray(NULL, (size_t)count, sizeof *s->rooms);
	repeat = mx_section_repeats(rooms, (size_t)count);
	cJSON_ArrayForEach(j, rooms) {
		if (!repeat[i] && cJSON_IsObject(j) && mx_id_valid(j->string, '!'))
			slide_room(&s->rooms[s->n_rooms++], j, &s->n_skipped);
		else
			s->n_skipped++;
		i++;
	}
	free(repeat);
}

/* The room an extension speaks of: one of the answer's, or a new entry
 * that changes nothing but what the extension brings. NULL for an id
 * that is not a room id. */
static struct mx_room_update *
slide_room_for(struct mx_sync *s, const char *room_id)
{
	struct mx_room_update *ru;

	if (!mx_id_valid(room_id, '!'))
		return NULL;
	for (size_t i = 0; i < s->n_rooms; i++)
		if (strcmp(s->rooms[i].room_id, room_id) == 0)
			return &s->rooms[i];
	/* One at a time: the answer's rooms filled an array of their own
	 * size, which mx_grow's powers of two know nothing of. */
	s->rooms = xreallocarray(s->rooms, s->n_rooms + 1, sizeof *s->rooms);
	ru = &s->rooms[s->n_rooms++];
	memset(ru, 0, sizeof *ru);
	ru->room_id = xstrdup(room_id);
	ru->membership = MX_MEMBERSHIP_NONE;
	ru->notification_count = ru->highlight_count = -1;
	ru->joined_count = ru->invited_count = -1;
	ru->n_live = -1;
	return ru;
}

/* receipts and typing: {"rooms": {room_id: event}}, the event's type
 * m.receipt or m.typing. */
static void
slide_ephemeral(struct mx_sync *s, const cJSON *ext, const char *type,
    void (*take)(struct mx_room_update *, const cJSON *))
{
	const cJSON *ev, *content;
	const char *t;
	struct mx_room_update *ru;

	cJSON_ArrayForEach(ev, mx_json_obj(ext, "rooms")) {
		t = mx_json_str(ev, "type");
		content = mx_json_obj(ev, "content");
		if (t == NULL || strcmp(t, type) != 0 || content == NULL)
			continue;
		if ((ru = slide_room_for(s, ev->string)) != NULL)
			take(ru, content);
	}
}

static void
slide_account_data(struct mx_sync *s, const cJSON *ext)
{
	const cJSON *events;
	struct mx_room_update *ru;

	mx_sync_direct(s, mx_json_arr(ext, "global"));
	cJSON_ArrayForEach(events, mx_json_obj(ext, "rooms")) {
		if (!cJSON_IsArray(events))
			continue;
		if ((ru = slide_room_for(s, events->string)) != NULL)
			mx_room_account_data(ru, events);
	}
}

static void
slide_extensions(struct mx_sync *s, const cJSON *ext)
{
	const cJSON *td = mx_json_obj(ext, "to_device"), *e2ee = mx_json_obj(ext, "e2ee");

	mx_sync_to_device(s, mx_json_arr(td, "events"));
	s->to_device_next = mx_json_token(td, "next_batch");
	s->otk_count = -1;
	s->fallback_unused = -1;
	if (e2ee != NULL)
		mx_sync_e2ee(s, e2ee);
	slide_account_data(s, mx_json_obj(ext, "account_data"));
	slide_ephemeral(s, mx_json_obj(ext, "receipts"), "m.receipt", mx_room_receipts);
	slide_ephemeral(s, mx_json_obj(ext, "typing"), "m.typing", mx_room_typing);
}

struct mx_sync *
mx_slide_parse(const char *json, size_t len, char **cause)
{
	cJSON *root = mx_json_root(json, len, "sliding sync", cause);
	const char *pos;
	struct mx_sync *s;

	if (root == NULL)
		return NULL;
	pos = mx_json_str(root, "pos");
	if (pos == NULL || *pos == '\0') {
		cause_set(cause, "the sliding sync response has no pos");
		mx_json_free(root);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->sliding = 1;
	s->next_batch = xstrdup(pos);
	s->list_count = mx_json_count(mx_json_obj(mx_json_obj(root, "lists"), SLIDE_LIST),
	    "count");
	slide_rooms(s, mx_json_obj(root, "rooms"));
	slide_extensions(s, mx_json_obj(root, "extensions"));
	mx_json_free(root);
	return s;
}
