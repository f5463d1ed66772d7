/* Direct chats: finding the one with a user, making it when there is
 * none, and listing it in the account's m.direct.
 *
 * m.direct is one JSON object that a client reads, changes and writes
 * back whole, so two writes at once lose one of the changes. It has one
 * writer here: chats to list wait as ops on c->direct_waiting, and each
 * round of the writer reads the map anew, adds every chat waiting then,
 * and writes it; chats that came during a round go in the next one. Two
 * asks for the same new chat at once make one room: the second waits
 * for the first. */
#include <stdlib.h>
#include <string.h>

#include "natter/log.h"
#include "natter/msg.h"
#include "natter/settings.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_DIRECT_WAITING 1	/* op->direct: for the next round */
#define CORE_DIRECT_WRITING 2	/* op->direct: in the round under way */

#define CORE_DM_MAKING 1	/* op->dm_role: creates the room for user_id */
#define CORE_DM_AWAITING 2	/* op->dm_role: waits for the op making it */

static void core_direct_kick(struct core *c);

/* The first op of the round under way that is still waiting for it. */
static struct core_op *
core_direct_first_written(struct core *c)
{
	struct core_op *op;

	LIST_FOREACH(op, &c->direct_waiting, direct_entry) {
		if (op->direct == CORE_DIRECT_WRITING)
			return op;
	}
	return NULL;
}

/* A round is over: each chat it carried goes on, known to the cache at
 * once when the write went through (the sync that brings the new map
 * may come later); then the chats that came meanwhile get a round. */
static void
core_direct_over(void *arg, int status, const char *result)
{
	struct core *c = arg;
	struct core_op *op;
	char *cause = NULL;

	c->direct_writer = NULL;
	if (status == CORE_CANCELLED)
		return;
	/* Each op goes on from the head of the list: going on may end ops
	 * and add new ones. */
	while ((op = core_direct_first_written(c)) != NULL) {
		LIST_REMOVE(op, direct_entry);
		op->direct = 0;
		if (status == CORE_DONE &&
		    store_direct_add(c->store, op->user_id, op->room_id, &cause) == -1) {
			log_msg("%s", cause);
			xfree(&cause);
		}
		op->listed(op);
	}
	core_direct_kick(c);
}

/* Ends a round that could not go on, from the loop. */
static void
core_direct_stop(struct core_op *w, char *cause)
{
	log_msg("%s: %s", w->what, cause != NULL ? cause : "cannot start");
	core_op_later(w, CORE_FAILED, cause);
	free(cause);
}

static void
core_direct_read(struct mx_result *res, void *arg)
{
	struct core_op *w = arg, *op;
	const char **users, **rooms;
	char *text, *cause = NULL;
	size_t n = 0;

	if (!res->ok && res->status != 404) {
		core_op_refused(w, res);
		return;
	}
	w->call = NULL;
	LIST_FOREACH(op, &w->c->direct_waiting, direct_entry)
		n += op->direct == CORE_DIRECT_WRITING;
	/* Those it was for are gone (cancelled): nothing to write. */
	if (n == 0) {
		core_op_end(w, CORE_DONE, NULL);
		return;
	}
	users = xreallocarray(NULL, n + 1, sizeof *users);
	rooms = xreallocarray(NULL, n + 1, sizeof *rooms);
	n = 0;
	LIST_FOREACH(op, &w->c->direct_waiting, direct_entry) {
		if (op->direct != CORE_DIRECT_WRITING)
			continue;
		users[n] = op->user_id;
		rooms[n++] = op->room_id;
	}
	text = msg_direct_add(res->ok ? res->json : NULL, users, rooms, n);
	if (res->ok)
		res->json = NULL;
	free(users);
	free(rooms);
	w->call = mx_account_data_put(w->c->mx, "m.direct", text, 0, core_op_answer, w, &cause);
	free(text);
	if (w->call == NULL)
		core_direct_stop(w, cause);
	else
		free(cause);
}

/* Starts a round for the chats waiting, unless one is under way: that
 * one starts the next when it ends. */
static void
core_direct_kick(struct core *c)
{
	struct core_op *w, *op;
	char *cause = NULL;

	if (c->direct_writer != NULL || LIST_EMPTY(&c->direct_waiting))
		return;
	w = core_op_new(c, core_direct_over, c, "cannot list the direct chat in m.direct");
	c->direct_writer = w;
	LIST_FOREACH(op, &c->direct_waiting, direct_entry)
		op->direct = CORE_DIRECT_WRITING;
	w->call = mx_account_data_get(c->mx, "m.direct", 0, core_direct_read, w, &cause);
	if (w->call == NULL)
		core_direct_stop(w, cause);
	else
		free(cause);
}

void
core_direct_add(struct core_op *op, void (*listed)(struct core_op *))
{
	op->listed = listed;
	op->direct = CORE_DIRECT_WAITING;
	LIST_INSERT_HEAD(&op->c->direct_waiting, op, direct_entry);
	core_direct_kick(op->c);
}

/* The op making the direct chat with user_id, or waiting for it. */
static struct core_op *
core_dm_find(struct core *c, const char *user_id, int role)
{
	struct core_op *op;

	LIST_FOREACH(op, &c->ops, entry) {
		if (op->dm_role == role && strcmp(op->user_id, user_id) == 0)
			return op;
	}
	return NULL;
}

/* Ends op, and first those that waited for the chat it made. */
static void
core_dm_finish(struct core_op *op, int status, const char *result)
{
	struct core_op *waiter;

	if (op->dm_role == CORE_DM_MAKING) {
		while ((waiter = core_dm_find(op->c, op->user_id, CORE_DM_AWAITING)) != NULL)
			core_op_end(waiter, status, result);
	}
	core_op_end(op, status, result);
}

static void
core_dm_end(void *arg, int status, const char *why)
{
	struct core_op *op = arg;

	if (status == CORE_CANCELLED)
		return;
	if (status == CORE_FAILED)
		log_msg("%s: the new chat is not in the cache yet: %s", op->what, why);
	core_dm_finish(op, CORE_DONE, op->room_id);
}

/* The room is in m.direct (or the failure to list it logged: it counts
 * as made all the same); the command line brings it into the cache, the
 * sync loop does so itself. */
static void
core_dm_listed(struct core_op *op)
{
	char *cause = NULL;

	if (op->c->round != NULL) {
		core_dm_finish(op, CORE_DONE, op->room_id);
		return;
	}
	if (core_sync_once(op->c, 0, core_dm_end, op, &cause) == -1) {
		log_msg("%s: %s", op->what, cause);
		core_dm_finish(op, CORE_DONE, op->room_id);
	}
	free(cause);
}

static void
core_dm_created(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *why, *msg;

	op->call = NULL;
	if (!res->ok) {
		why = core_why(op->c, res);
		msg = xasprintf("%s: %s", op->what, why);
		log_msg("%s", msg);
		core_dm_finish(op, CORE_FAILED, msg);
		free(msg);
		free(why);
		return;
	}
	op->room_id = xstrdup(res->value);
	if (op->created != NULL)
		*op->created = 1;
	core_direct_add(op, core_dm_listed);
}

/* A user the homeserver says has no profile (404, as the spec has it for
 * a user it does not know; Synapse says M_UNKNOWN) gets no chat: a room
 * made for a typo would wait for nobody. Any other answer (profiles kept
 * private, no network) lets it be made. */
static void
core_dm_profiled(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	const char *invite[] = {op->user_id};
	char *cause = NULL, *msg;

	op->call = NULL;
	if (!res->ok && res->status == 404) {
		msg = xasprintf("%s: there is no such user", op->what);
		core_dm_finish(op, CORE_FAILED, msg);
		free(msg);
		return;
	}
	op->call = mx_room_create(op->c->mx, NULL, invite, 1, op->flags, 0, core_dm_created, op,
	    &cause);
	if (op->call == NULL) {
		msg = xasprintf("%s: %s", op->what, cause);
		core_dm_finish(op, CORE_FAILED, msg);
		free(msg);
	}
	free(cause);
}

/* An invitation to a direct chat with the user is accepted, not
 * answered with a second chat. */
static void
core_dm_joined(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;

	if (!core_op_refused(op, res))
		core_direct_add(op, core_dm_listed);
}

static void
core_dm_known(struct core_op *op)
{
	core_op_end(op, CORE_DONE, op->room_id);
}

/* Goes on with a direct chat the cache knows, as a start function does
 * (0, or -1 with a cause); 1 when room_id is one the user left, to be
 * made anew. */
static int
core_dm_existing(struct core_op *op, char *room_id, int listed, char **cause)
{
	struct store_room room;
	enum mx_membership m = MX_MEMBERSHIP_JOIN;

	/* m.direct may name a room before a sync brought it. */
	if (store_room_get(op->c->store, room_id, &room, NULL) == 0) {
		m = room.membership;
		store_room_clear(&room);
	}
	if (m != MX_MEMBERSHIP_JOIN && m != MX_MEMBERSHIP_INVITE) {
		free(room_id);
		return 1;
	}
	op->room_id = room_id;
	if (m == MX_MEMBERSHIP_INVITE) {
		op->call = mx_join(op->c->mx, room_id, 0, core_dm_joined, op, cause);
		return core_op_started(op, cause);
	}
	/* One that m.direct lost is listed again. */
	if (!listed)
		core_direct_add(op, core_dm_known);
	else
		core_op_later(op, CORE_DONE, room_id);
	return 0;
}

int
core_dm(struct core *c, const char *user_id, int *created, core_done_cb done, void *arg,
    char **cause)
{
	char *what = xasprintf("cannot start a direct chat with %s", user_id);
	struct core_op *op = core_op_new(c, done, arg, what);
	int room_flags = MX_ROOM_DIRECT, listed, rc;
	char *room_id;

	free(what);
	if (created != NULL)
		*created = 0;
	op->user_id = xstrdup(user_id);
	if ((room_id = store_dm_room(c->store, user_id, &listed)) != NULL &&
	    (rc = core_dm_existing(op, room_id, listed, cause)) != 1)
		return rc;
	if (core_dm_find(c, user_id, CORE_DM_MAKING) != NULL) {
		op->dm_role = CORE_DM_AWAITING;
		return 0;
	}
	op->dm_role = CORE_DM_MAKING;
	op->created = created;
	/* As Element does, unless the config says otherwise. */
	if (c->acct != NULL && (c->settings == NULL || c->settings->crypto.encrypt_dms))
		room_flags |= MX_ROOM_ENCRYPTED;
	op->flags = room_flags;
	op->call = mx_profile_get(c->mx, user_id, 0, core_dm_profiled, op, cause);
	return core_op_started(op, cause);
}

/* The invitation accepted was to a direct chat: listed in m.direct, as
 * the one who made it listed it in theirs. */
static void
core_join_done(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;

	if (core_op_refused(op, res))
		return;
	if (op->user_id == NULL || res->value == NULL) {
		core_op_end(op, CORE_DONE, res->value);
		return;
	}
	op->room_id = xstrdup(res->value);
	core_direct_add(op, core_dm_known);
}

int
core_join(struct core *c, const char *id_or_alias, core_done_cb done, void *arg, char **cause)
{
	char *what = xasprintf("cannot join %s", id_or_alias);
	struct core_op *op = core_op_new(c, done, arg, what);
	struct store_room room;

	free(what);
	if (id_or_alias[0] == '!' && store_room_get(c->store, id_or_alias, &room, NULL) == 0) {
		if (room.membership == MX_MEMBERSHIP_INVITE && room.dm_user != NULL)
			op->user_id = xstrdup(room.dm_user);
		store_room_clear(&room);
	}
	op->call = mx_join(c->mx, id_or_alias, 0, core_join_done, op, cause);
	return core_op_started(op, cause);
}
