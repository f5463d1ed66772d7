/* Scheduled messages. Each is an outbox row with its due time (an
 * absolute UTC instant). Where the homeserver offers delayed events
 * (MSC4140) it is handed over and the row only remembers the server's
 * delay_id; otherwise it waits here until the sender claims it, in one
 * statement, and sends it like any queued message, under the txnId it
 * had from the start, so that two natters of one profile send it once. */
#include <stdlib.h>
#include <string.h>

#include "natter/log.h"
#include "natter/loop.h"
#include "natter/settings.h"
#include "natter/util.h"
#include "core-private.h"

/* How long the timer for the next due message waits at most: a clock
 * set forward is noticed within this. */
#define CORE_SCHED_RECHECK_MS 30000

static void
core_sched_due(void *arg)
{
	struct core *c = arg;

	c->due_timer = 0;
	core_outbox_next(c);
}

void
core_sched_cancel_timer(struct core *c)
{
	if (c->loop != NULL && c->due_timer != 0)
		loop_timer_cancel(c->loop, c->due_timer);
	c->due_timer = 0;
}

static void core_sched_start(struct core *c, int64_t id, const char *room_id,
    core_done_cb done, void *arg);

/* Whether row it was being handed to the homeserver when a natter
 * stopped: marked so, and never answered. */
static int
core_sched_orphan(const struct store_outbox *it)
{
	return it->state == STORE_OUTBOX_LATER && it->delay_id != NULL && *it->delay_id == '\0';
}

/* How far the homeserver's clock may be from ours, for a row found in
 * its list: the due time it was handed for, as the server counts. */
#define CORE_SCHED_SKEW_MS (10 * 60 * 1000)

/* Whether the homeserver's due time (ms) is ours, give or take the clocks. */
static int
core_sched_near(double theirs, int64_t ours)
{
	double d = theirs - (double)ours;

	return d >= -CORE_SCHED_SKEW_MS && d <= CORE_SCHED_SKEW_MS;
}

/* Whether no row but skip is held as delay_id. */
static int
core_sched_untaken(const struct store_outbox *items, size_t n, size_t skip,
    const char *delay_id)
{
	for (size_t i = 0; i < n; i++)
		if (i != skip && items[i].delay_id != NULL &&
		    strcmp(items[i].delay_id, delay_id) == 0)
			return 0;
	return 1;
}

/* The delayed event of the homeserver's list that row i is: same room,
 * type and content, due at its time, and no other row's; or NULL. */
static const char *
core_sched_found(const cJSON *list, const struct store_outbox *items, size_t n, size_t i)
{
	const struct store_outbox *it = &items[i];
	cJSON *content = cJSON_Parse(it->content);
	const char *found = NULL;
	const cJSON *e;

	cJSON_ArrayForEach(e, list) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "delay_id");
		const cJSON *room = cJSON_GetObjectItemCaseSensitive(e, "room_id");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
		const cJSON *delay = cJSON_GetObjectItemCaseSensitive(e, "delay");
		const cJSON *since = cJSON_GetObjectItemCaseSensitive(e, "running_since");

		if (!cJSON_IsString(id) || !cJSON_IsString(room) || !cJSON_IsString(type) ||
		    strcmp(room->valuestring, it->room_id) != 0 ||
		    strcmp(type->valuestring, it->type) != 0 || content == NULL ||
		    !cJSON_Compare(content, cJSON_GetObjectItemCaseSensitive(e, "content"), 1) ||
		    !core_sched_untaken(items, n, i, id->valuestring))
			continue;
		if (cJSON_IsNumber(delay) && cJSON_IsNumber(since) &&
		    !core_sched_near(since->valuedouble + delay->valuedouble, it->due_ts))
			continue;
		found = id->valuestring;
		break;
	}
	cJSON_Delete(content);
	return found;
}

/* A row a stopped natter was handing over that the homeserver does not
 * hold (or would not say): handed again, unless its time has come and the
 * room has the copy the homeserver sent then. */
static void
core_sched_rehand(struct core *c, const struct store_outbox *it)
{
	char *copy = NULL;

	if (it->due_ts <= nt_now_ms() && core_self(c) != NULL)
		copy = store_outbox_copy(c->store, it, core_self(c),
		    it->due_ts - CORE_SCHED_SKEW_MS);
	if (copy != NULL && store_outbox_sent(c->store, it->id, copy, NULL) == 0) {
		log_msg("scheduled %lld: natter stopped while handing it to the homeserver, "
		    "which sent it at its time as %s", (long long)it->id, copy);
		free(copy);
		return;
	}
	free(copy);
	log_msg("scheduled %lld: natter stopped while handing it to the homeserver; "
	    "handing it again", (long long)it->id);
	core_sched_start(c, it->id, it->room_id, NULL, NULL);
}

/* The homeserver's list came (or could not): each row a stopped natter
 * was handing over is held, if the list has it, or handed again; one
 * past its time waits for the first sync, which brings what the
 * homeserver sent. */
static void
core_sched_orphans_listed(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core *c = op->c;
	const cJSON *list = NULL;
	struct store_outbox *items;
	char *cause = NULL;
	size_t n;

	op->call = NULL;
	if (res->ok && !cJSON_IsArray(list = cJSON_GetObjectItemCaseSensitive(res->json,
	    "delayed_events")))
		list = NULL;
	if (list == NULL)
		log_msg("scheduled: the homeserver's list of delayed events %s",
		    res->ok ? "cannot be read" : "could not be had");
	if (store_outbox_scheduled(c->store, NULL, 0, &items, &n, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *found;

		if (!core_sched_orphan(&items[i]))
			continue;
		found = list != NULL ? core_sched_found(list, items, n, i) : NULL;
		if (found != NULL && store_outbox_held(c->store, items[i].id, found, NULL) == 0) {
			log_msg("scheduled %lld: natter stopped while handing it to the "
			    "homeserver, which holds it as %s", (long long)items[i].id, found);
			free(items[i].delay_id);
			items[i].delay_id = xstrdup(found);
			continue;
		}
		if (items[i].due_ts <= nt_now_ms() && !c->synced_once) {
			c->sched_late = xreallocarray(c->sched_late, c->n_sched_late + 1,
			    sizeof *c->sched_late);
			c->sched_late[c->n_sched_late++] = items[i].id;
			continue;
		}
		core_sched_rehand(c, &items[i]);
	}
	store_outbox_free(&items, n);
	core_op_end(op, CORE_DONE, NULL);
}

void
core_sched_after_sync(struct core *c)
{
	struct store_outbox it;

	for (size_t i = 0; i < c->n_sched_late; i++) {
		if (store_outbox_get(c->store, c->sched_late[i], &it, NULL) == -1)
			continue;
		if (core_sched_orphan(&it))
			core_sched_rehand(c, &it);
		store_outbox_clear(&it);
	}
	xfree(&c->sched_late);
	c->n_sched_late = 0;
}

/* Rows a natter stopped while handing them to the homeserver, once a
 * process. The server may hold them: its list says. Those it does not
 * are handed again under their txnId, which a server that still knows
 * the txnId answers with the delay_id it gave, making none anew (Synapse
 * remembers a txnId for about 30 minutes: the list covers the rest). */
static void
core_sched_orphans(struct core *c)
{
	struct store_outbox *items;
	struct core_op *op;
	char *cause = NULL;
	size_t n, orphans = 0;

	if (c->sched_orphans_done)
		return;
	c->sched_orphans_done = 1;
	if (store_outbox_scheduled(c->store, NULL, 0, &items, &n, NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++)
		orphans += core_sched_orphan(&items[i]);
	store_outbox_free(&items, n);
	if (orphans == 0)
		return;
	op = core_op_new(c, NULL, NULL, "cannot take up the scheduled messages being handed over");
	core_op_background(op);
	op->call = mx_delayed_list(c->mx, 0, core_sched_orphans_listed, op, &cause);
	if (op->call == NULL) {
		log_msg("scheduled: %s", cause);
		free(cause);
		core_sched_orphans_listed(&(struct mx_result){0}, op);
	}
}

void
core_sched_claim(struct core *c)
{
	int64_t now = nt_now_ms(), next, wait;
	char *cause = NULL;
	int n;

	core_sched_orphans(c);
	if ((n = store_outbox_claim(c->store, now, &cause)) == -1) {
		log_msg("scheduled: %s", cause);
		free(cause);
	} else if (n > 0) {
		log_msg("scheduled: %d due, sending", n);
		if (c->ev.outbox != NULL)
			c->ev.outbox(c->ev_arg, 0, CORE_QUEUED, NULL, 0);
	}
	core_sched_cancel_timer(c);
	if (c->loop == NULL || (next = store_outbox_next_due(c->store)) <= 0)
		return;
	wait = next - now;
	wait = wait < 0 ? 0 : wait > CORE_SCHED_RECHECK_MS ? CORE_SCHED_RECHECK_MS : wait;
	c->due_timer = loop_timer_add(c->loop, wait, core_sched_due, c);
}

void
core_sched_versions(struct core *c, const cJSON *versions)
{
	if (versions == NULL)
		return;
	c->delay_known = 1;
	c->delay_ok = mx_versions_feature(versions, MX_DELAY_FEATURE);
}

static enum settings_scheduled
core_sched_setting(const struct core *c)
{
	return c->settings != NULL ? c->settings->send.scheduled : SETTINGS_SCHEDULED_AUTO;
}

/* The row stays here, no longer being handed to the server; why (may be
 * NULL) says why not on the server. */
static void
core_sched_here(struct core_op *op, const char *why)
{
	char *cause = NULL;

	log_msg("scheduled %lld: waits here: %s", (long long)op->n, why != NULL ? why : "as set");
	if (store_outbox_note(op->c->store, op->n, why, &cause) == -1) {
		log_msg("scheduled %lld: %s", (long long)op->n, cause);
		free(cause);
	}
	core_outbox_next(op->c);
	core_op_end(op, CORE_DONE, op->result);
}

/* It cannot be scheduled as asked: a new row goes, and the op fails; a
 * changed one (op->flags) is not lost but waits here, saying why. */
static void
core_sched_refused(struct core_op *op, const char *why)
{
	if (op->flags) {
		core_sched_here(op, why);
		return;
	}
	store_outbox_unschedule(op->c->store, op->n, NULL, NULL);
	core_op_fail(op, why);
}

/* Whether a refusal is the server's limit on delays (or delays being
 * off), which the local outbox can stand in for. */
static int
core_sched_limit(const struct mx_result *res)
{
	return res->status == 403 && res->error != NULL &&
	    (strstr(res->error, "delay") != NULL || strstr(res->error, "Delay") != NULL);
}

static void
core_sched_held(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *why, *cause = NULL;

	op->call = NULL;
	if (res->ok) {
		core_test_crash("after-hand");
		log_msg("scheduled %lld: the homeserver holds it as %s", (long long)op->n,
		    res->value);
		if (store_outbox_held(op->c->store, op->n, res->value, &cause) == -1) {
			core_op_fail(op, cause);
			free(cause);
			return;
		}
		core_op_end(op, CORE_DONE, op->result);
		return;
	}
	why = core_why(op->c, res);
	if (core_sched_setting(op->c) == SETTINGS_SCHEDULED_SERVER)
		core_sched_refused(op, why);
	else if (core_sched_limit(res)) {
		free(cause);
		cause = xasprintf("the homeserver would not hold it (%s)", why);
		core_sched_here(op, cause);
	} else if (core_may_pass(res)) {
		cause = xasprintf("the homeserver could not take it (%s)", why);
		core_sched_here(op, cause);
	} else
		core_sched_refused(op, why);
	free(cause);
	free(why);
}

/* Hands row op->n to the homeserver, to send when it is due. */
static void
core_sched_hand(struct core_op *op)
{
	struct core *c = op->c;
	struct store_outbox item;
	char *cause = NULL;
	int64_t delay;

	if (store_outbox_get(c->store, op->n, &item, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	delay = item.due_ts - nt_now_ms();
	/* Marked first: a natter stopped before the answer is stored leaves a
	 * row that the next one hands again rather than sends itself. */
	if (store_outbox_handing(c->store, op->n, &cause) == -1) {
		store_outbox_clear(&item);
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	op->call = mx_send_delayed(c->mx, item.room_id, item.type, item.txn_id, item.content,
	    delay > 0 ? delay : 1, 0, core_sched_held, op, &cause);
	store_outbox_clear(&item);
	if (op->call == NULL) {
		core_sched_here(op, cause);
		free(cause);
	}
}

/* Where a row waiting here goes: to the server, when it can and may. */
static void
core_sched_place(struct core_op *op)
{
	struct core *c = op->c;
	enum settings_scheduled want = core_sched_setting(c);

	if (want == SETTINGS_SCHEDULED_LOCAL)
		core_sched_here(op, NULL);
	else if (store_room_encrypted(c->store, op->room_id) == 1)
		core_sched_here(op, "the room is end-to-end encrypted, and the homeserver cannot "
		    "encrypt a message it sends later");
	else if (!c->delay_ok && want == SETTINGS_SCHEDULED_SERVER)
		core_sched_refused(op, "the homeserver does not offer delayed events (MSC4140), "
		    "and [send] scheduled = server");
	else if (!c->delay_ok)
		core_sched_here(op, "the homeserver does not offer delayed events (MSC4140)");
	else
		core_sched_hand(op);
}

static void
core_sched_versions_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *why, *note;

	op->call = NULL;
	if (res->ok) {
		core_sched_versions(op->c, res->json);
		core_sched_place(op);
		return;
	}
	why = core_why(op->c, res);
	note = xasprintf("could not ask the homeserver whether it holds messages for later (%s)",
	    why);
	if (core_sched_setting(op->c) == SETTINGS_SCHEDULED_SERVER)
		core_sched_refused(op, note);
	else
		core_sched_here(op, note);
	free(note);
	free(why);
}

/* Places row id once /versions has said what the server offers; with
 * no done, in the background (natter sync --once waits for it). Ends
 * through done, at once when nothing need be asked. */
static void
core_sched_start(struct core *c, int64_t id, const char *room_id, core_done_cb done,
    void *arg)
{
	char *cause = NULL;

	struct core_op *op = core_op_new(c, done, arg, "cannot schedule the message");

	if (done == NULL)
		core_op_background(op);
	op->n = id;
	op->room_id = xstrdup(room_id);
	op->result = xasprintf("%lld", (long long)id);
	if (c->delay_known || core_sched_setting(c) == SETTINGS_SCHEDULED_LOCAL) {
		core_sched_place(op);
		return;
	}
	op->call = mx_versions(c->mx, 0, core_sched_versions_answer, op, &cause);
	if (op->call == NULL) {
		log_msg("scheduled %lld: %s", (long long)id, cause);
		free(cause);
		core_sched_place(op);
	}
}

int
core_schedule(struct core *c, const char *room_id, const struct core_draft *d, int64_t due_ms,
    core_done_cb done, void *arg, char **cause)
{
	struct store_outbox item;
	char *content;
	int rc;

	if (core_refuse_encrypted(c, room_id, cause) == -1)
		return -1;
	content = core_draft_content(c, d);
	rc = store_outbox_schedule(c->store, room_id, "m.room.message", content, due_ms, &item,
	    cause);
	free(content);
	if (rc == -1)
		return -1;
	core_sched_start(c, item.id, room_id, done, arg);
	store_outbox_clear(&item);
	return 0;
}

/* A change to scheduled message op->n: what to do once the server no
 * longer holds it (op->text: the delay id cancelled, or NULL). */
struct core_sched_change {
	int cancel;		/* cancel it, rather than change it */
	int64_t due_ms;
	char *content;
};

static void
core_sched_change_free(void *data)
{
	struct core_sched_change *ch = data;

	free(ch->content);
	free(ch);
}

static void
core_sched_apply(struct core_op *op)
{
	struct core_sched_change *ch = op->data;
	char *cause = NULL;

	if (ch->cancel) {
		if (store_outbox_unschedule(op->c->store, op->n, op->text, &cause) == -1)
			core_op_fail(op, cause);
		else
			core_op_end(op, CORE_DONE, op->result);
	} else if (store_outbox_reschedule(op->c->store, op->n, op->text, ch->due_ms,
	    ch->content, NULL, &cause) == -1)
		core_op_fail(op, cause);
	else if (op->c->delay_known || core_sched_setting(op->c) == SETTINGS_SCHEDULED_LOCAL)
		core_sched_place(op);
	else if ((op->call = mx_versions(op->c->mx, 0, core_sched_versions_answer, op,
	    &cause)) == NULL)
		core_sched_place(op);
	free(cause);
}

static void
core_sched_cancelled(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *why;

	op->call = NULL;
	if (res->ok) {
		core_sched_apply(op);
		return;
	}
	/* Not held any more: it was sent, or cancelled by another natter. */
	if (res->status == 404) {
		store_outbox_unschedule(op->c->store, op->n, op->text, NULL);
		core_op_fail(op, "too late: the homeserver no longer holds it (it has been sent, "
		    "or was cancelled elsewhere)");
		return;
	}
	why = core_why(op->c, res);
	core_op_fail(op, why);
	free(why);
}

static int
core_sched_change(struct core *c, int64_t id, struct core_sched_change *ch, core_done_cb done,
    void *arg, char **cause)
{
	struct store_outbox item;
	struct core_op *op;

	if (store_outbox_get(c->store, id, &item, NULL) == -1 ||
	    (item.state != STORE_OUTBOX_LATER && item.state != STORE_OUTBOX_HELD) ||
	    (item.state == STORE_OUTBOX_HELD && item.due_ts <= nt_now_ms())) {
		if (item.id != 0)
			store_outbox_clear(&item);
		core_sched_change_free(ch);
		return cause_set(cause, "no scheduled message %lld waits (see natter scheduled)",
		    (long long)id);
	}
	/* Changed now, it could be held on the server all the same. */
	if (item.state == STORE_OUTBOX_LATER && item.delay_id != NULL) {
		store_outbox_clear(&item);
		core_sched_change_free(ch);
		return cause_set(cause, "scheduled message %lld is being handed to the homeserver "
		    "(or natter stopped while it was): try again after `natter sync --once`",
		    (long long)id);
	}
	op = core_op_new(c, done, arg, ch->cancel ? "cannot cancel the scheduled message" :
	    "cannot change the scheduled message");
	op->n = id;
	op->flags = 1;
	op->room_id = xstrdup(item.room_id);
	op->result = xasprintf("%lld", (long long)id);
	op->data = ch;
	op->free_data = core_sched_change_free;
	if (ch->due_ms == 0)
		ch->due_ms = item.due_ts;
	if (ch->content == NULL)
		ch->content = xstrdup(item.content);
	if (item.state == STORE_OUTBOX_LATER) {
		store_outbox_clear(&item);
		core_sched_apply(op);
		return 0;
	}
	op->text = xstrdup(item.delay_id);
	store_outbox_clear(&item);
	op->call = mx_delayed_cancel(c->mx, op->text, 0, core_sched_cancelled, op, cause);
	return core_op_started(op, cause);
}

int
core_schedule_cancel(struct core *c, int64_t id, core_done_cb done, void *arg, char **cause)
{
	struct core_sched_change *ch = xcalloc(1, sizeof *ch);

	ch->cancel = 1;
	return core_sched_change(c, id, ch, done, arg, cause);
}

int
core_schedule_edit(struct core *c, int64_t id, int64_t due_ms, const char *text,
    core_done_cb done, void *arg, char **cause)
{
	struct core_sched_change *ch = xcalloc(1, sizeof *ch);

	ch->due_ms = due_ms;
	if (text != NULL) {
		struct core_draft d = {.text = text};

		ch->content = core_draft_content(c, &d);
	}
	return core_sched_change(c, id, ch, done, arg, cause);
}

/* The rows the homeserver held when it was asked: each (id, delay_id),
 * so that one changed meanwhile (a new delay_id) is not taken for gone. */
struct core_sched_held {
	int64_t *ids;
	char **delay_ids;
	size_t n;
};

static void
core_sched_held_free(void *data)
{
	struct core_sched_held *h = data;

	if (h == NULL)
		return;
	free(h->ids);
	store_strings_free(&h->delay_ids, h->n);
	free(h);
}

/* A message due this soon may have just been sent, and left the list so. */
#define CORE_SCHED_LIST_MARGIN_MS 10000

static int
core_sched_snapshot(struct core *c, struct core_sched_held *h, char **cause)
{
	struct store_outbox *items;
	int64_t now = nt_now_ms();
	size_t n;

	if (store_outbox_scheduled(c->store, NULL, now, &items, &n, cause) == -1)
		return -1;
	h->ids = xcalloc(n + 1, sizeof *h->ids);
	h->delay_ids = xcalloc(n + 1, sizeof *h->delay_ids);
	for (size_t i = 0; i < n; i++) {
		if (items[i].state != STORE_OUTBOX_HELD || items[i].delay_id == NULL ||
		    *items[i].delay_id == '\0' || items[i].due_ts <= now + CORE_SCHED_LIST_MARGIN_MS)
			continue;
		h->ids[h->n] = items[i].id;
		h->delay_ids[h->n++] = xstrdup(items[i].delay_id);
	}
	store_outbox_free(&items, n);
	return 0;
}

static int
core_sched_listed(const cJSON *list, const char *delay_id)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, list) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "delay_id");

		if (cJSON_IsString(id) && strcmp(id->valuestring, delay_id) == 0)
			return 1;
	}
	return 0;
}

static void
core_sched_refreshed(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_sched_held *h = op->data;
	const cJSON *list;
	char *said;
	int gone = 0;

	op->call = NULL;
	if (!res->ok && (res->status == 404 || core_errcode_is(res, "M_UNRECOGNIZED"))) {
		core_op_end(op, CORE_DONE, NULL);	/* no delayed events there */
		return;
	}
	if (core_op_refused(op, res))
		return;
	list = cJSON_GetObjectItemCaseSensitive(res->json, "delayed_events");
	if (!cJSON_IsArray(list)) {
		core_op_fail(op, "the homeserver's list of scheduled messages cannot be read");
		return;
	}
	for (size_t i = 0; i < h->n; i++) {
		if (core_sched_listed(list, h->delay_ids[i]) ||
		    store_outbox_unschedule(op->c->store, h->ids[i], h->delay_ids[i], NULL) != 0)
			continue;
		log_msg("scheduled %lld: the homeserver no longer holds it: cancelled, or sent, "
		    "from another device", (long long)h->ids[i]);
		gone++;
	}
	if (gone == 0) {
		core_op_end(op, CORE_DONE, NULL);
		return;
	}
	if (op->c->ev.outbox != NULL)
		op->c->ev.outbox(op->c->ev_arg, 0, CORE_QUEUED, NULL, 0);
	said = xasprintf("%d scheduled message%s no longer on the homeserver: cancelled, or "
	    "sent, from another device", gone, gone == 1 ? " is" : "s are");
	core_op_end(op, CORE_DONE, said);
	free(said);
}

int
core_schedule_refresh(struct core *c, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op = core_op_new(c, done, arg,
	    "cannot ask the homeserver which scheduled messages it holds");
	struct core_sched_held *h = xcalloc(1, sizeof *h);

	op->data = h;
	op->free_data = core_sched_held_free;
	if (core_sched_snapshot(c, h, cause) == -1)
		return core_op_started(op, cause);
	if (h->n == 0)
		core_op_later(op, CORE_DONE, NULL);
	else
		/* One attempt: offline, the list shows what natter knows at once. */
		op->call = mx_delayed_list(c->mx, MX_NORETRY, core_sched_refreshed, op, cause);
	return core_op_started(op, cause);
}
