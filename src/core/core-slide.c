/* Simplified sliding sync (MSC4186): which protocol the sync loop speaks,
 * and the window of rooms that grows until every room is known.
 *
 * The homeserver's /versions says whether it offers sliding sync; the
 * [sync] protocol setting may insist on either. The first answer brings
 * the CORE_SLIDE_FIRST most recently active rooms, enough for the list
 * on screen; each answer after it CORE_SLIDE_STEP more, asked with no
 * wait, until the window holds the account's count of rooms. Then the
 * loop long-polls as with /v3/sync, the window kept CORE_SLIDE_STEP past
 * the count so that new rooms fall inside it.
 *
 * Each front end has its own connection (conn_id) and keeps its pos in
 * the cache under its own key: the interface and a command line run at
 * the same time must not use each other's positions. An answer's
 * M_UNKNOWN_POS starts the connection again; the cache keeps
 * what it had.
 *
 * Synapse sends 0 for every room's unread counts here, so the core
 * counts them itself after each answer: messages from others after the
 * user's read receipt and own last message, and those of them that
 * mention the user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/event.h"
#include "natter/log.h"
#include "natter/settings.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_SLIDE_FIRST 40
#define CORE_SLIDE_STEP 100
#define CORE_UNREAD_MAX 999	/* unread counted at most, a room */

static void core_slide_window(struct core *c);

enum core_protocol
core_protocol(const struct core *c)
{
	return c->protocol;
}

int
core_rooms_loading(const struct core *c, int64_t *known, int64_t *total)
{
	if (c->protocol != CORE_PROTO_SLIDING || c->slide_count < 0 || c->slide_known)
		return 0;
	*total = c->slide_count;
	*known = c->slide_have < c->slide_count ? c->slide_have : c->slide_count;
	return 1;
}

/* Chooses the protocol from what /versions said (json, NULL when it
 * could not be asked) and the setting. */
void
core_protocol_choose(struct core *c, const cJSON *versions)
{
	enum settings_sync_protocol want = c->settings != NULL ? c->settings->sync.protocol :
	    SETTINGS_SYNC_AUTO;

	if (want == SETTINGS_SYNC_V3)
		c->protocol = CORE_PROTO_V3;
	else if (want == SETTINGS_SYNC_SLIDING)
		c->protocol = CORE_PROTO_SLIDING;
	else
		c->protocol = versions != NULL && mx_versions_feature(versions, MX_SLIDE_FEATURE) ?
		    CORE_PROTO_SLIDING : CORE_PROTO_V3;
	core_slide_window(c);
	core_sched_versions(c, versions);
	log_msg("sync: %s", c->protocol == CORE_PROTO_SLIDING ?
	    "simplified sliding sync (" MX_SLIDE_FEATURE ")" : "/v3/sync");
}

/* The cache's key for what (pos, end) of this front end's connection. */
static char *
core_slide_meta_key(const struct core *c, const char *what)
{
	return xasprintf("slide.%s.%s", what, c->slide_conn != NULL ? c->slide_conn : "natter");
}

/* The window to start with: on a connection that knew every room, all
 * of them again (the server sends only what changed since its pos); on
 * a new one, a screen's worth. */
static void
core_slide_window(struct core *c)
{
	char *key = core_slide_meta_key(c, "pos"), *end_key = core_slide_meta_key(c, "end");
	char *pos = store_meta_get(c->store, key), *end = store_meta_get(c->store, end_key);
	int64_t n;

	c->slide_end = CORE_SLIDE_FIRST - 1;
	c->slide_count = -1;
	c->slide_have = 0;
	c->slide_known = 0;
	if (pos != NULL && end != NULL && nt_parse_int64(end, &n) == 0 && n >= c->slide_end &&
	    n < 1000000)
		c->slide_end = (long)n;
	free(key);
	free(end_key);
	free(pos);
	free(end);
}

char *
core_sync_token(struct core *c)
{
	char *key, *pos;

	if (c->protocol != CORE_PROTO_SLIDING)
		return store_sync_token(c->store);
	key = core_slide_meta_key(c, "pos");
	pos = store_meta_get(c->store, key);
	free(key);
	return pos;
}

int
core_slide_growing(const struct core *c)
{
	return c->slide_count < 0 || c->slide_have < c->slide_count;
}

struct mx_call *
core_slide_call(struct core *c, long timeout_ms, int flags, mx_cb cb, void *arg, char **cause)
{
	struct mx_slide_req req = {0};
	struct mx_call *call;
	char *pos = core_sync_token(c);
	char *td = store_meta_get(c->store, STORE_META_SLIDE_TO_DEVICE);

	req.pos = pos;
	req.timeout_ms = pos == NULL || core_slide_growing(c) ? 0 : timeout_ms;
	req.range_end = c->slide_end;
	req.timeline = CORE_FIRST_TIMELINE;
	req.room = c->view_room;
	req.room_timeline = CORE_TIMELINE_LIMIT;
	req.to_device_since = td;
	call = mx_slide(c->mx, &req, flags, cb, arg, cause);
	if (call != NULL) {
		free(c->slide_room);
		c->slide_room = c->view_room != NULL ? xstrdup(c->view_room) : NULL;
		c->slide_asked = c->slide_end;
	}
	free(pos);
	free(td);
	return call;
}

/* A room of a sliding sync says the user's membership only through the
 * user's own member event, when it changed: a room left or banned from
 * is found there. */
static void
core_slide_membership(struct core *c, struct mx_room_update *ru)
{
	const char *self = core_self(c);
	const struct mx_event *ev;

	if (self == NULL || ru->membership != MX_MEMBERSHIP_JOIN)
		return;
	for (size_t i = 0; i < ru->n_state + ru->n_timeline; i++) {
		ev = i < ru->n_state ? &ru->state[i] : &ru->timeline[i - ru->n_state];
		if (ev->state_key != NULL && strcmp(ev->type, "m.room.member") == 0 &&
		    strcmp(ev->state_key, self) == 0 && ev->membership != MX_MEMBERSHIP_NONE)
			ru->membership = ev->membership == MX_MEMBERSHIP_BAN ? MX_MEMBERSHIP_LEAVE :
			    ev->membership;
	}
}

void
core_slide_prepare(struct core *c, struct mx_sync *sync)
{
	for (size_t i = 0; i < sync->n_rooms; i++)
		core_slide_membership(c, &sync->rooms[i]);
}

/* Whether the room's counts may have changed: new events, or a receipt
 * of the user's. */
static int
core_slide_recount_due(const struct core *c, const struct mx_room_update *ru)
{
	const char *self = core_self(c);

	if (ru->membership != MX_MEMBERSHIP_JOIN && ru->membership != MX_MEMBERSHIP_NONE)
		return 0;
	if (ru->n_timeline > 0)
		return 1;
	for (size_t i = 0; self != NULL && i < ru->n_receipts; i++)
		if (strcmp(ru->receipts[i].user_id, self) == 0)
			return 1;
	return 0;
}

int
core_room_recount(struct core *c, const char *room_id, char **cause)
{
	const char *self = core_self(c);
	struct store_msg *msgs;
	char *my_name;
	size_t n;
	int64_t highlight = 0;

	if (self == NULL)
		return 0;
	if (store_unread(c->store, room_id, self, CORE_UNREAD_MAX, &msgs, &n, cause) == -1)
		return -1;
	my_name = store_member_displayname(c->store, room_id, self);
	for (size_t i = 0; i < n; i++)
		highlight += core_msg_mentions_us(c, &msgs[i], my_name);
	free(my_name);
	store_msgs_free(&msgs, n);
	return store_room_counts(c->store, room_id, (int64_t)n, highlight, cause);
}

int
core_slide_counts(struct core *c, const struct mx_sync *sync, char **cause)
{
	for (size_t i = 0; i < sync->n_rooms; i++) {
		if (!core_slide_recount_due(c, &sync->rooms[i]))
			continue;
		if (core_room_recount(c, sync->rooms[i].room_id, cause) == -1)
			return -1;
		core_unread_check(c, sync->rooms[i].room_id);
	}
	return 0;
}

void
core_slide_answered(struct core *c, const struct mx_sync *sync, int fresh)
{
	c->slide_wrote |= fresh;
	if (sync->list_count >= 0)
		c->slide_count = sync->list_count;
	c->slide_have = c->slide_asked + 1;
	if (c->slide_count < 0)
		return;
	if (c->slide_asked + 1 < c->slide_count) {
		/* Grow only past a window answered, never ahead of it. What
		 * one window wrote is not held while the next comes. */
		if (c->slide_end == c->slide_asked)
			c->slide_end += CORE_SLIDE_STEP;
		c->trim_due = c->slide_wrote = 1;
		return;
	}
	if (!c->slide_known) {
		c->slide_known = 1;
		log_msg("sync: every room known (%lld rooms)", (long long)c->slide_count);
		/* After the windows' burst of writes; a warm start's first
		 * answer, which brought only news, leaves the memory be. */
		c->trim_due = c->slide_wrote;
	}
	if (c->slide_end < c->slide_count - 1 + CORE_SLIDE_STEP / 2) {
		char *end_key = core_slide_meta_key(c, "end"), end[32];

		c->slide_end = c->slide_count - 1 + CORE_SLIDE_STEP;
		snprintf(end, sizeof end, "%ld", c->slide_end);
		store_meta_set(c->store, end_key, end, NULL);
		free(end_key);
	}
}

void
core_slide_restart(struct core *c)
{
	char *key = core_slide_meta_key(c, "pos");

	log_msg("sync: the homeserver forgot the sliding sync connection; starting it again");
	store_meta_unset(c->store, key, NULL);
	free(key);
	core_slide_window(c);
}

int
core_slide_refocus_due(const struct core *c)
{
	if (c->protocol != CORE_PROTO_SLIDING || c->view_room == NULL)
		return 0;
	return c->slide_room == NULL || strcmp(c->view_room, c->slide_room) != 0;
}

void
core_slide_free(struct core *c)
{
	xfree(&c->slide_room);
}

int
core_slide_store(struct core *c, const struct mx_sync *sync, char **cause)
{
	char *key = core_slide_meta_key(c, "pos");
	int rc = store_apply_slide(c->store, sync, key, cause);

	free(key);
	if (rc == 0)
		rc = core_slide_counts(c, sync, cause);
	return rc;
}

static void
core_protocol_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core *c = op->c;

	op->call = NULL;
	if (!res->ok && c->settings != NULL && c->settings->sync.protocol == SETTINGS_SYNC_AUTO) {
		core_op_fail(op, res->error != NULL ? res->error : "no answer");
		return;
	}
	core_protocol_choose(c, res->ok ? res->json : NULL);
	core_op_end(op, CORE_DONE, c->protocol == CORE_PROTO_SLIDING ? "sliding" : "v3");
}

int
core_protocol_ask(struct core *c, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot ask which sync the homeserver offers");

	op->call = mx_versions(c->mx, 0, core_protocol_answer, op, cause);
	return core_op_started(op, cause);
}
