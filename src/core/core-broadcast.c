/* Broadcasts: each copy goes through the outbox like any message, and
 * the cache keeps which outbox row was whose, for the report. */
#include <stdio.h>
#include <stdlib.h>

#include "core-private.h"
#include "natter/log.h"
#include "natter/sanitize.h"
#include "natter/store.h"
#include "natter/util.h"

#define CORE_REPLY_EXCERPT_MAX 60	/* bytes of an answer a report shows */

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

int
core_members_loaded(struct core_op *op, const char *room_id, const struct mx_result *res,
    size_t *n)
{
	const struct mx_messages *m = res->parsed;
	char *cause = NULL;

	if (store_members_load(op->c->store, room_id, m->chunk, m->n_chunk, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
		return -1;
	}
	*n = m->n_chunk;
	return 0;
}

static void
core_members_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char n_text[32];
	size_t n;

	if (core_op_refused(op, res) || core_members_loaded(op, op->room_id, res, &n) == -1)
		return;
	snprintf(n_text, sizeof n_text, "%zu", n);
	core_op_end(op, CORE_DONE, n_text);
}

int
core_members_fetch(struct core *c, const char *room_id, core_done_cb done, void *arg,
    char **cause)
{
	char *label = core_room_label(c, room_id), *what;
	struct core_op *op;

	what = xasprintf("cannot list the members of %s", label);
	op = core_op_new(c, done, arg, what);
	free(what);
	free(label);
	op->room_id = xstrdup(room_id);
	if (store_members_whole(c->store, room_id)) {
		core_op_later(op, CORE_DONE, "0");
		return 0;
	}
	op->call = mx_members(c->mx, room_id, 0, core_members_answer, op, cause);
	return core_op_started(op, cause);
}

static void
core_broadcast_time(struct buf *b, const char *what, int64_t ms)
{
	char when[32];

	nt_local_time(ms, "%Y-%m-%d %H:%M", "(no time given)", when, sizeof when);
	buf_printf(b, "%s %s", what, when);
}

void
core_broadcast_fate(struct buf *b, const struct store_bcast_recipient *r, int event_id)
{
	char *excerpt;

	switch (r->sent) {
	case STORE_BCAST_SENT:
		core_broadcast_time(b, "sent", r->sent_ts);
		if (event_id)
			buf_printf(b, " (%s)", r->event_id);
		break;
	case STORE_BCAST_QUEUED:
		buf_printf(b, "not sent yet, in the outbox (%s)", r->why != NULL ? r->why :
		    "waiting for its turn");
		break;
	case STORE_BCAST_REFUSED:
		buf_printf(b, "refused by the server: %s", r->why != NULL ? r->why : "no reason");
		break;
	case STORE_BCAST_DISCARDED:
		buf_puts(b, "not sent: discarded from the outbox");
		break;
	default:
		buf_printf(b, "not sent: %s", r->why != NULL ? r->why : "no reason");
		break;
	}
	if (r->sent != STORE_BCAST_SENT || r->user_id == NULL)
		return;
	if (r->read_event != NULL)
		core_broadcast_time(b, "; read", r->read_ts);
	else
		buf_puts(b, "; not read");
	if (r->reply_event == NULL) {
		buf_puts(b, "; no reply");
		return;
	}
	core_broadcast_time(b, "; replied", r->reply_ts);
	excerpt = san_excerpt(r->reply_body != NULL ? r->reply_body : "", CORE_REPLY_EXCERPT_MAX);
	buf_printf(b, ": \"%s\"", excerpt);
	free(excerpt);
}

void
core_broadcast_tally(struct buf *b, const struct store_bcast_recipient *r, size_t n)
{
	size_t people = 0, read = 0, replied = 0;

	for (size_t i = 0; i < n; i++) {
		people += r[i].user_id != NULL;
		read += r[i].read_event != NULL;
		replied += r[i].reply_event != NULL;
	}
	buf_printf(b, "%zu %s: %zu read it, %zu replied", people, people == 1 ? "person" :
	    "people", read, replied);
}
