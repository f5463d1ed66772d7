/* Syncing: the loop that keeps a sync always in flight, and single rounds
 * for the command line. Whatever the server sends is written to the store
 * first; the front end hears of it only then, in domain events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/event.h"
#include "natter/log.h"
#include "natter/loop.h"
#include "natter/util.h"
#include "core-private.h"

/* One round: the filter when there is none yet, then /sync from the
 * stored token, stored and told. end hears the outcome: res is the
 * failed answer, or NULL; why is NULL when the round went well. */
struct core_round {
	struct core *c;
	long timeout_ms;
	int flags;
	int64_t started;
	char *before;		/* the token the round started from */
	size_t n_events;
	int moved;		/* it brought news, or a new token, or took its time */
	struct mx_call *call;
	struct mx_sync *sync;	/* parsed, waiting for its senders' devices */
	int syncing;		/* call is the sync itself, not what follows it */
	char **users;		/* those senders */
	size_t n_users;
	void (*end)(struct core_round *r, const struct mx_result *res, const char *why);
	void *arg;
};

static void core_round_sync(struct core_round *r);
static void core_set_conn(struct core *c, enum core_conn conn, const char *why,
    int64_t retry_ms);

static size_t
core_count_events(const struct mx_sync *sync)
{
	size_t n = sync->n_events_before;

	for (size_t i = 0; i < sync->n_rooms; i++)
		n += sync->rooms[i].n_timeline;
	return n;
}

/* Each slice of a sync's rooms but the last, decrypted, written and told
 * before the next is read: a big sync is never held whole. They are told
 * before the write ends, the last slice after it; their notifications
 * wait for the write (core_notify_release). */
static int
core_sync_slices(struct core *c, struct mx_sync *sync, char **cause)
{
	if (sync->rest != NULL)
		core_notify_hold(c);
	while (sync->rest != NULL) {
		if ((c->acct != NULL && core_megolm_sync(c, sync, cause) == -1) ||
		    store_apply_rooms(c->store, sync, cause) == -1)
			return -1;
		if (c->acct != NULL)
			core_verify_rooms(c, sync);
		core_events_rooms(c, sync);
		if (mx_sync_rooms_next(sync, cause) == -1)
			return -1;
	}
	return 0;
}

/* A sync's encryption first (the room keys it brought, its messages
 * decrypted), then the sync, in one write: the token never moves past a
 * key that was not kept. */
static int
core_sync_store(struct core *c, struct mx_sync *sync, char **cause)
{
	if (sync->sliding)
		core_slide_prepare(c, sync);
	if (store_batch_begin(c->store, cause) == -1)
		return -1;
	if (c->acct != NULL) {
		for (size_t i = 0; i < sync->n_to_device; i++)
			if (strcmp(sync->to_device[i].type, "m.room.encrypted") == 0 &&
			    core_olm_receive(c, &sync->to_device[i], cause) == -1)
				goto fail;
			else if (strcmp(sync->to_device[i].type, "m.room_key_request") == 0 &&
			    core_keys_heard(c, &sync->to_device[i], cause) == -1)
				goto fail;
			else if (core_verify_heard(c, sync->to_device[i].sender,
			    sync->to_device[i].type, sync->to_device[i].content) == 1)
				continue;
			else if ((strcmp(sync->to_device[i].type, "m.room_key.withheld") == 0 ||
			    strcmp(sync->to_device[i].type, "org.matrix.room_key.withheld") == 0) &&
			    core_keys_withheld(c, &sync->to_device[i], cause) == -1)
				goto fail;
		if (core_crypto_lists(c, sync, cause) == -1)
			goto fail;
	}
	if (core_sync_slices(c, sync, cause) == -1 ||
	    (c->acct != NULL && core_megolm_sync(c, sync, cause) == -1))
		goto fail;
	if ((sync->sliding ? core_slide_store(c, sync, cause) :
	    store_apply_sync(c->store, sync, cause)) == -1)
		goto fail;
	if (store_batch_commit(c->store, cause) == -1) {
		core_notify_release(c, 0);
		return -1;
	}
	core_notify_release(c, 1);
	return 0;
fail:
	store_batch_abort(c->store);
	core_notify_release(c, 0);
	return -1;
}

/* Stores a parsed sync (taken) with its encryption; what follows it for
 * encryption (messages that waited, keys to publish) then runs. */
static int
core_sync_keep(struct core *c, struct mx_sync *sync, struct mx_sync **keep, size_t *n_events,
    char **cause)
{
	int rc = core_sync_store(c, sync, cause);

	if (rc == 0 && n_events != NULL)
		*n_events = core_count_events(sync);
	log_msg("sync: %zu rooms (%zu slices), %zu events, %zu to-device, %zu malformed "
	    "skipped%s", sync->n_rooms_before + sync->n_rooms, sync->n_slices + !sync->n_slices,
	    core_count_events(sync), sync->n_to_device, sync->n_skipped,
	    rc == 0 ? "" : ", not stored");
	if (rc == 0 && c->acct != NULL) {
		core_olm_unwedge(c);
		core_keys_after_sync(c);
		core_verify_rooms(c, sync);
		core_verify_after_sync(c);
		core_secret_after_sync(c);
		core_backup_upload(c);
		core_crypto_publish(c);
	}
	if (rc == 0) {
		core_remind_after_sync(c, sync);
		core_sched_after_sync(c);
	}
	if (rc == 0 && keep != NULL)
		*keep = sync;
	else
		mx_sync_free(&sync);
	return rc;
}

static void
core_round_end(struct core_round *r, const struct mx_result *res, const char *why)
{
	r->call = NULL;
	xfree(&r->before);
	mx_sync_free(&r->sync);
	store_strings_free(&r->users, r->n_users);
	r->n_users = 0;
	r->end(r, res, why);
}

static int core_round_call(struct core_round *r, char **cause);

/* A sliding sync the server refused: a position it forgot starts the
 * connection again, and a server that no longer offers it is synced
 * with /v3/sync; either way the round goes on (1). 0 for any other
 * failure. */
static int
core_round_slide_failed(struct core_round *r, const struct mx_result *res)
{
	if (res->status == 400 && core_errcode_is(res, "M_UNKNOWN_POS"))
		core_slide_restart(r->c);
	else if (res->status == 404 || core_errcode_is(res, "M_UNRECOGNIZED")) {
		log_msg("sync: the homeserver does not answer sliding sync; using /v3/sync");
		r->c->protocol = CORE_PROTO_V3;
	} else
		return 0;
	core_round_sync(r);
	return 1;
}

/* The start of a round's mx callback: when the call failed, the round
 * ends with why (then 1). */
static int
core_round_refused(struct core_round *r, const struct mx_result *res)
{
	char *why;
	int syncing = r->syncing;

	r->call = NULL;
	r->syncing = 0;
	if (res->ok)
		return 0;
	if (syncing && r->c->protocol == CORE_PROTO_SLIDING && core_round_slide_failed(r, res))
		return 1;
	why = core_why(r->c, res);
	core_round_end(r, res, why);
	free(why);
	return 1;
}

/* A long poll that came back early with nothing new and the same token is
 * a server leading natter on; a short round may come back at once. */
static int
core_round_moved(struct core_round *r, size_t n)
{
	char *after = core_sync_token(r->c);
	int moved = n > 0 || r->before == NULL || after == NULL ||
	    strcmp(r->before, after) != 0 || r->timeout_ms == 0 ||
	    nt_mono_ms() - r->started >= r->timeout_ms / 2;

	free(after);
	return moved;
}

/* The parsed sync stored and told; the round is over. */
static void
core_round_store(struct core_round *r)
{
	struct core *c = r->c;
	struct mx_sync *sync = r->sync;
	char *why = NULL;
	size_t n = 0;

	r->sync = NULL;
	if (core_sync_keep(c, sync, &sync, &n, &why) == -1) {
		core_round_end(r, NULL, why);
		free(why);
		return;
	}
	r->n_events = n;
	r->moved = core_round_moved(r, n);
	/* A /v3/sync from no token is the account's first: every room is
	 * known, and the burst of writes it made is over. One from a token
	 * (a warm start's) brought only news. */
	if (sync->sliding)
		core_slide_answered(c, sync, r->before == NULL);
	else if (r->before == NULL) {
		log_msg("sync: every room known (%zu rooms)",
		    sync->n_rooms_before + sync->n_rooms);
		c->trim_due = 1;
	}
	core_events_sync(c, sync, n);
	/* After the screen was told, so that it is drawn before a slice. */
	if (c->drain_due)
		core_megolm_drain_start(c);
	c->drain_due = 0;
	core_unread_next(c);
	c->synced_once = 1;
	mx_sync_free(&sync);
	/* Once what the answer made is freed too. */
	if (c->trim_due)
		store_trim(c->store);
	c->trim_due = 0;
	core_round_end(r, NULL, NULL);
}

static void
core_round_devices(struct mx_result *res, void *arg)
{
	struct core_round *r = arg;
	char *why = NULL;

	if (core_round_refused(r, res))
		return;
	if (core_crypto_devices_store(r->c, res->raw, res->raw_len,
	    (const char *const *)r->users, r->n_users, &why) == -1) {
		core_round_end(r, NULL, why);
		free(why);
		return;
	}
	core_round_store(r);
}

/* Olm messages from devices natter does not know yet cannot be checked:
 * their senders' devices are asked for first. 1 when asked, 0 when
 * there is no need, -1 (cause) when the question cannot go. */
static int
core_round_ask_devices(struct core_round *r, char **cause)
{
	store_strings_free(&r->users, r->n_users);
	r->n_users = 0;
	if (r->c->acct == NULL ||
	    core_olm_unknown_senders(r->c, r->sync, &r->users, &r->n_users, cause) == -1)
		return r->c->acct == NULL ? 0 : -1;
	if (r->n_users == 0)
		return 0;
	r->call = mx_keys_query(r->c->mx, (const char *const *)r->users, r->n_users, 0,
	    core_round_devices, r, cause);
	return r->call != NULL ? 1 : -1;
}

static void
core_round_answer(struct mx_result *res, void *arg)
{
	struct core_round *r = arg;
	char *why = NULL;
	int asked;

	if (core_round_refused(r, res))
		return;
	r->sync = res->parsed;		/* the round's now: kept past this call */
	res->parsed = NULL;
	if ((asked = core_round_ask_devices(r, &why)) == -1) {
		core_round_end(r, NULL, why);
		free(why);
		return;
	}
	if (asked == 0)
		core_round_store(r);
}

static void
core_round_filter(struct mx_result *res, void *arg)
{
	struct core_round *r = arg;

	if (core_round_refused(r, res))
		return;
	free(r->c->filter);
	r->c->filter = xstrdup(res->value);
	store_meta_set(r->c->store, "filter_id", r->c->filter, NULL);
	core_round_sync(r);
}

/* A single round's call failed for now and tries again: the front end
 * hears it as the loop's failures are heard. */
static void
core_round_retrying(const struct mx_result *res, int64_t delay_ms, void *arg)
{
	struct core_round *r = arg;
	char *why = core_why(r->c, res);

	core_set_conn(r->c, CORE_OFFLINE, why, delay_ms);
	free(why);
}

/* What /versions said chooses the protocol; a server that answers it
 * with an error is synced with /v3/sync. No answer at all (offline, a
 * server error) fails the round, to be asked again. */
static void
core_round_versions(struct mx_result *res, void *arg)
{
	struct core_round *r = arg;

	if (!res->ok && core_may_pass(res)) {
		core_round_refused(r, res);
		return;
	}
	r->call = NULL;
	if (!res->ok)
		log_msg("sync: /versions failed (%s); using /v3/sync",
		    res->error != NULL ? res->error : "?");
	core_protocol_choose(r->c, res->ok ? res->json : NULL);
	core_round_sync(r);
}

/* Starts the round's next call: the protocol when it is not known yet;
 * with /v3/sync the filter when there is none yet; then the sync.
 * Returns -1 with a cause when it cannot start. */
static int
core_round_call(struct core_round *r, char **cause)
{
	struct core *c = r->c;

	if (c->protocol == CORE_PROTO_UNKNOWN)
		r->call = mx_versions(c->mx, r->flags, core_round_versions, r, cause);
	else if (c->protocol == CORE_PROTO_SLIDING) {
		free(r->before);
		r->before = core_sync_token(c);
		r->started = nt_mono_ms();
		r->call = core_slide_call(c, r->timeout_ms, r->flags, core_round_answer, r, cause);
		r->syncing = r->call != NULL;
	} else if (c->filter == NULL)
		r->call = mx_filter_upload(c->mx, CORE_TIMELINE_LIMIT, r->flags, core_round_filter,
		    r, cause);
	else {
		/* A first sync is the server's slowest and natter's biggest
		 * answer: a few events a room, as sliding sync's window has. */
		char *first = NULL;

		free(r->before);
		r->before = store_sync_token(c->store);
		if (r->before == NULL)
			first = mx_filter_inline(CORE_FIRST_TIMELINE);
		r->started = nt_mono_ms();
		r->call = mx_sync(c->mx, r->before, first != NULL ? first : c->filter,
		    r->before != NULL ? r->timeout_ms : 0, 0, r->flags, core_round_answer, r, cause);
		r->syncing = r->call != NULL;
		free(first);
	}
	if (r->call == NULL)
		return -1;
	mx_call_on_retry(r->call, core_round_retrying);
	return 0;
}

/* The sync after the filter, from the filter's callback. */
static void
core_round_sync(struct core_round *r)
{
	char *cause = NULL;

	if (core_round_call(r, &cause) == -1) {
		core_round_end(r, NULL, cause);
		free(cause);
	}
}

static void
core_round_free(void *data)
{
	struct core_round *r = data;

	mx_call_cancel(&r->call);
	free(r->before);
	mx_sync_free(&r->sync);
	store_strings_free(&r->users, r->n_users);
	free(r);
}

/* The sync loop: one round after another, with a growing pause after a
 * failure or a round that brought nothing too soon. After a failure the
 * pause stops growing at MX_BACKOFF_BASE_MS << CORE_SYNC_BACKOFF_STEPS (8
 * s), so that a homeserver back from a restart is found within seconds;
 * a request every few seconds is nothing to one that is down. */
#define CORE_SYNC_BACKOFF_STEPS 4

static void core_loop_next(struct core *c);

static void
core_set_conn(struct core *c, enum core_conn conn, const char *why, int64_t retry_ms)
{
	if (c->conn == conn && why == NULL)
		return;
	c->conn = conn;
	if (c->ev.conn != NULL)
		c->ev.conn(c->ev_arg, conn, why, retry_ms);
}

static void
core_loop_due(void *arg)
{
	struct core *c = arg;

	c->sync_timer = 0;
	core_loop_next(c);
}

static void
core_loop_end(struct core_round *r, const struct mx_result *res, const char *why)
{
	struct core *c = r->c;
	int64_t ms = 0;

	if (why != NULL) {
		ms = mx_backoff_ms(c->sync_failures < CORE_SYNC_BACKOFF_STEPS ?
		    c->sync_failures : CORE_SYNC_BACKOFF_STEPS);
		c->sync_failures++;
		log_msg("sync failed: %s (retry in %lld ms)", why, (long long)ms);
		if (res != NULL && res->status == 401) {
			core_set_conn(c, CORE_LOGGED_OUT, why, 0);
			return;
		}
		core_set_conn(c, CORE_OFFLINE, why, ms);
	} else {
		c->sync_failures = 0;
		c->sync_idle = r->moved ? 0 : c->sync_idle + 1;
		if (!r->moved)
			ms = mx_backoff_ms(c->sync_idle - 1);
		core_set_conn(c, CORE_ONLINE, NULL, 0);
		core_outbox_next(c);
	}
	c->sync_timer = loop_timer_add(c->loop, ms, core_loop_due, c);
}

static void
core_loop_next(struct core *c)
{
	struct core_round *r = c->round;
	char *cause = NULL;

	/* The first round answers at once so the screen fills quickly. */
	r->timeout_ms = c->conn == CORE_ONLINE ? c->timeout_ms : 0;
	if (core_round_call(r, &cause) == -1) {
		core_loop_end(r, NULL, cause);
		free(cause);
	}
}

/* The room in view changed under a sliding sync's long poll: it is
 * asked again at once, subscribed to that room (the server allows a
 * request to be cancelled and made again with the same pos). */
void
core_sync_refocus(struct core *c)
{
	struct core_round *r = c->round;

	if (r == NULL || !r->syncing || !core_slide_refocus_due(c))
		return;
	mx_call_cancel(&r->call);
	r->syncing = 0;
	core_loop_next(c);
}

void
core_listen(struct core *c, const struct core_events *ev, void *arg)
{
	if (ev != NULL)
		c->ev = *ev;
	else
		memset(&c->ev, 0, sizeof c->ev);
	c->ev_arg = arg;
}

void
core_start(struct core *c, const struct core_events *ev, void *arg, long timeout_ms)
{
	if (ev != NULL)
		core_listen(c, ev, arg);
	else
		c->ev_arg = arg;
	c->timeout_ms = timeout_ms;
	if (c->round != NULL)
		return;
	c->drain_due = 1;	/* what an earlier run left to decrypt */
	c->slide_conn = "natter";
	c->round = xcalloc(1, sizeof *c->round);
	c->round->c = c;
	c->round->flags = MX_NORETRY;
	c->round->end = core_loop_end;
	core_loop_next(c);
}

void
core_sync_cancel(struct core *c)
{
	if (c->round != NULL)
		core_round_free(c->round);
	c->round = NULL;
	if (c->loop != NULL)
		loop_timer_cancel(c->loop, c->sync_timer);
	c->sync_timer = 0;
	if (c->loop != NULL)
		core_remind_free(c);
	c->remind_armed = 0;
}

void
core_stop(struct core *c, core_done_cb done, void *arg)
{
	core_sync_cancel(c);
	core_idle(c, done, arg);
}

/* core_sync_once: a round, then the outbox, then this device's keys on
 * the server and what the round started for encryption (keys forwarded
 * or asked for), then done. */
static void
core_once_idle(void *arg, int status, const char *why)
{
	struct core_op *op = arg;
	char count[32];

	(void)why;
	if (status == CORE_CANCELLED)
		return;
	snprintf(count, sizeof count, "%lld", (long long)op->n);
	core_op_end(op, CORE_DONE, count);
}

static void
core_once_published(void *arg, int status, const char *why)
{
	struct core_op *op = arg;

	if (status == CORE_CANCELLED)
		return;
	if (status == CORE_FAILED)
		log_msg("sync: the keys were not published: %s", why);
	core_idle(op->c, core_once_idle, op);
}

static void
core_once_flushed(void *arg, int status, const char *why)
{
	struct core_op *op = arg;
	char count[32];

	if (status == CORE_CANCELLED)
		return;
	if (status == CORE_QUEUED)
		log_msg("sync: messages still wait in the outbox: %s", why);
	if (op->c->acct != NULL) {
		core_crypto_published(op->c, core_once_published, op);
		return;
	}
	snprintf(count, sizeof count, "%lld", (long long)op->n);
	core_op_end(op, CORE_DONE, count);
}

static void
core_once_end(struct core_round *r, const struct mx_result *res, const char *why)
{
	struct core_op *op = r->arg;
	char *cause = NULL;

	if (why != NULL) {
		core_op_fail(op, why);
		return;
	}
	op->n += (int64_t)r->n_events;
	/* A sliding window that does not hold every room yet grows, round
	 * after round, before the command goes on. */
	if (op->c->protocol == CORE_PROTO_SLIDING && core_slide_growing(op->c)) {
		r->timeout_ms = 0;
		if (core_round_call(r, &cause) == -1) {
			core_op_fail(op, cause);
			free(cause);
		}
		return;
	}
	if (core_outbox_flush(op->c, core_once_flushed, op, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
	}
}

int
core_sync_once(struct core *c, long timeout_ms, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot sync");
	struct core_round *r = xcalloc(1, sizeof *r);

	c->drain_due = 1;	/* what an earlier run left to decrypt */
	if (c->round == NULL)
		c->slide_conn = "natter-cli";
	r->c = c;
	r->timeout_ms = timeout_ms;
	r->end = core_once_end;
	r->arg = op;
	op->data = r;
	op->free_data = core_round_free;
	if (core_round_call(r, cause) == -1)
		return core_op_started(op, cause);
	return 0;
}
