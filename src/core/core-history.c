/* Older history: one /messages page at a time into the newest gap of a
 * room, each page one transaction. A page for the interface's scrolling,
 * pages until a window of the cache is whole (natter history), and pages
 * until whole rooms are (natter sync --backfill) are the same step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/event.h"
#include "natter/log.h"
#include "natter/loop.h"
#include "natter/sanitize.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_PAGES_MAX 50	/* pages one history window may take */
/* Pages in a row that add nothing before a server is thought to be
 * leading natter on rather than towards the start of the room. */
#define CORE_BACKFILL_IDLE_MAX 50

/* What a gap page hands back to the op that asked for it. */
typedef void (*core_page_cb)(struct core_op *op, int status, const char *why);

struct core_page {
	char *room_id;
	int64_t before;		/* the seq the gap ends at */
	core_page_cb cb;
};

/* A page into the gap, its encrypted events decrypted (or waiting for
 * their keys) in the same write: n events added, or -1. */
static int
core_page_keep(struct core *c, struct core_page *p, struct mx_messages *msgs, char **cause)
{
	int n;

	if (store_batch_begin(c->store, cause) == -1)
		return -1;
	if (core_megolm_page(c, p->room_id, msgs->chunk, msgs->n_chunk, cause) == -1 ||
	    (n = store_gap_fill(c->store, p->room_id, p->before, msgs, cause)) < 0) {
		store_batch_abort(c->store);
		return -1;
	}
	return store_batch_commit(c->store, cause) == -1 ? -1 : n;
}

static int core_page_start(struct core_op *op, const char *room_id, core_page_cb cb,
    char **cause);

/* Another page into the same gap (the unread counter's behind the sync,
 * the user's scrolling) was answered first and filled it: this answer is
 * not needed, and the page starts again from the room's newest gap now,
 * or ends having added nothing when there is none. */
static void
core_page_again(struct core_op *op, struct core_page *p)
{
	char *why = NULL;
	int rc;

	log_msg("history: %s: the gap was filled by another page; asking again", p->room_id);
	if ((rc = core_page_start(op, p->room_id, p->cb, &why)) == -1)
		p->cb(op, -1, why);
	else if (rc == 0)
		p->cb(op, 1, NULL);
	free(why);
}

static void
core_page_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_page *p = op->data;
	struct mx_messages *msgs;
	char *why = NULL;
	int n;

	op->call = NULL;
	if (!res->ok) {
		why = core_why(op->c, res);
		p->cb(op, -1, why);
	} else if ((n = store_gap_open(op->c->store, p->room_id, p->before, &why)) != 1) {
		if (n == 0)
			core_page_again(op, p);
		else
			p->cb(op, -1, why);
	} else {
		msgs = res->parsed;
		if ((n = core_page_keep(op->c, p, msgs, &why)) < 0)
			p->cb(op, -1, why);
		else {
			op->n = n;
			p->cb(op, 1, NULL);
		}
	}
	free(why);
}

static void
core_page_free(void *data)
{
	struct core_page *p = data;

	if (p != NULL)
		free(p->room_id);
	free(p);
}

/* Starts one page into the newest gap of room_id for op; cb hears 1 (the
 * gap moved or closed, op->n events added), 0 (no gap: nothing was asked)
 * or -1 (why). Returns -1 with a cause when the page cannot start; a room
 * without a gap answers 0 from the loop. */
static int
core_page_start(struct core_op *op, const char *room_id, core_page_cb cb, char **cause)
{
	struct core_page *p = op->data;
	char *token = NULL, *copy = xstrdup(room_id);	/* room_id may be p's own */
	int gap;

	if (p == NULL) {
		p = op->data = xcalloc(1, sizeof *p);
		op->free_data = core_page_free;
	}
	free(p->room_id);
	p->room_id = copy;
	p->cb = cb;
	op->n = 0;
	if ((gap = store_gap_next(op->c->store, p->room_id, &p->before, &token, cause)) == -1)
		return -1;
	if (gap == 0)
		return 0;
	op->call = mx_messages(op->c->mx, p->room_id, token, CORE_PAGE_LIMIT, 0, core_page_answer,
	    op, cause);
	free(token);
	return op->call != NULL ? 1 : -1;
}

/* core_history_page: one page, for scrolling. */
static void
core_page_one(struct core_op *op, int status, const char *why)
{
	char count[32];

	if (status == -1) {
		core_op_fail(op, why);
		return;
	}
	snprintf(count, sizeof count, "%lld", (long long)op->n);
	core_op_end(op, CORE_DONE, count);
}

int
core_history_page(struct core *c, const char *room_id, core_done_cb done, void *arg,
    char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot load older messages");
	int rc = core_page_start(op, room_id, core_page_one, cause);

	if (rc == 0)
		core_op_later(op, CORE_DONE, "0");
	return core_op_started(op, cause);
}

/* core_history_fill: pages until the window is whole. The cached window
 * misses events when it has fewer than asked for, or the newest gap sits
 * above its oldest message. */
static int
core_window_short(struct core *c, const char *room_id, int64_t before_seq, int limit)
{
	struct store_msg *msgs;
	size_t n;
	int64_t before;
	char *token = NULL;
	int gap = store_gap_next(c->store, room_id, &before, &token, NULL), shortfall;

	free(token);
	if (gap != 1 || store_history(c->store, room_id, before_seq, limit, &msgs, &n, NULL) == -1)
		return 0;
	shortfall = n < (size_t)limit || (n > 0 && before > msgs[0].seq);
	store_msgs_free(&msgs, n);
	return shortfall;
}

static void core_fill_step(struct core_op *op, int status, const char *why);

static void
core_fill_next(struct core_op *op)
{
	struct core_page *p = op->data;
	char *cause = NULL;
	int rc;

	if (op->flags++ == CORE_PAGES_MAX ||
	    !core_window_short(op->c, p->room_id, op->before, op->limit)) {
		core_op_end(op, CORE_DONE, NULL);
		return;
	}
	if ((rc = core_page_start(op, p->room_id, core_fill_step, &cause)) == -1)
		core_op_fail(op, cause);
	else if (rc == 0)
		core_op_end(op, CORE_DONE, NULL);
	free(cause);
}

static void
core_fill_step(struct core_op *op, int status, const char *why)
{
	if (status == -1)
		core_op_fail(op, why);
	else
		core_fill_next(op);
}

static void
core_fill_due(void *arg)
{
	struct core_op *op = arg;

	op->timer = 0;
	core_fill_next(op);
}

int
core_history_fill(struct core *c, const char *room_id, int64_t before_seq, int limit,
    core_done_cb done, void *arg, char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot load older messages");
	struct core_page *p = xcalloc(1, sizeof *p);

	p->room_id = xstrdup(room_id);
	op->data = p;
	op->free_data = core_page_free;
	op->before = before_seq;
	op->limit = limit;
	if (!c->logged_in) {
		/* Without a session the cache is all there is, and that is no failure. */
		core_op_later(op, CORE_DONE, NULL);
		return 0;
	}
	op->timer = loop_timer_add(c->loop, 0, core_fill_due, op);
	return 0;
}

/* core_backfill: every gap of every room asked for, a room at a time. */
struct core_backfill {
	struct core_page page;	/* first: the page step keeps its state here */
	core_backfill_cb progress;
	void *progress_arg;
	struct store_room *rooms;
	size_t n_rooms;
	struct core_backfill_progress p;
	int idle;
	int64_t since_ms, until_ms;	/* the time wanted: the rest may stay out */
};

static void
core_backfill_free(void *data)
{
	struct core_backfill *b = data;

	free(b->page.room_id);
	store_rooms_free(&b->rooms, b->n_rooms);
	free(b);
}

static void
core_backfill_report(struct core_backfill *b)
{
	if (b->progress != NULL)
		b->progress(&b->p, b->progress_arg);
}

/* Stops with a reason that names the room. */
static void
core_backfill_fail(struct core_op *op, const char *why)
{
	struct core_backfill *b = op->data;
	char *safe = san_text(b->p.name, 0), *msg = xasprintf("%s: %s", safe, why);

	log_msg("backfill: %s: %lld new events, stopped", b->p.room_id, (long long)b->p.added);
	core_op_end(op, CORE_FAILED, msg);
	free(msg);
	free(safe);
}

static void core_backfill_room(struct core_op *op);

/* Whether the cache lacks part of the time wanted of the room in hand:
 * 1, 0, or -1 with a cause. */
static int
core_backfill_short(struct core_op *op, char **cause)
{
	struct core_backfill *b = op->data;
	struct store_gap *gaps;
	size_t n;

	if (store_gaps(op->c->store, b->p.room_id, b->since_ms, b->until_ms, &gaps, &n,
	    cause) == -1)
		return -1;
	free(gaps);
	return n > 0;
}

static void
core_backfill_step(struct core_op *op, int status, const char *why)
{
	struct core_backfill *b = op->data;

	if (status == -1) {
		core_backfill_fail(op, why);
		return;
	}
	b->p.added += op->n;
	b->idle = op->n > 0 ? 0 : b->idle + 1;
	if (b->idle == CORE_BACKFILL_IDLE_MAX) {
		core_backfill_fail(op, "the homeserver keeps sending history pages with nothing "
		    "new");
		return;
	}
	if (op->n > 0)
		core_backfill_report(b);
	core_backfill_room(op);
}

/* The next page of the room in hand; when it is whole, the next room. */
static void
core_backfill_room(struct core_op *op)
{
	struct core_backfill *b = op->data;
	char *cause = NULL;
	int rc;

	while (b->p.index < b->n_rooms) {
		const struct store_room *r = &b->rooms[b->p.index];

		b->p.room_id = r->room_id;
		b->p.name = r->name;
		if ((rc = core_backfill_short(op, &cause)) == 1)
			rc = core_page_start(op, r->room_id, core_backfill_step, &cause);
		if (rc == 1)
			return;
		if (rc == -1) {
			core_backfill_fail(op, cause);
			free(cause);
			return;
		}
		b->p.done = 1;
		core_backfill_report(b);
		log_msg("backfill: %s: %lld new events, complete", r->room_id,
		    (long long)b->p.added);
		b->p.index++;
		b->p.added = 0;
		b->p.done = 0;
		b->idle = 0;
	}
	core_op_end(op, CORE_DONE, NULL);
}

static void
core_backfill_due(void *arg)
{
	struct core_op *op = arg;

	op->timer = 0;
	core_backfill_room(op);
}

/* The rooms to fill: room_id alone, or every joined room. */
static int
core_backfill_rooms(struct core *c, const char *room_id, struct core_backfill *b, char **cause)
{
	size_t kept = 0;

	if (room_id != NULL) {
		b->rooms = xcalloc(1, sizeof *b->rooms);
		if (store_room_get(c->store, room_id, b->rooms, cause) == -1) {
			xfree(&b->rooms);
			return -1;
		}
		b->n_rooms = 1;
		return 0;
	}
	if (store_rooms(c->store, &b->rooms, &b->n_rooms, cause) == -1)
		return -1;
	for (size_t i = 0; i < b->n_rooms; i++) {
		if (b->rooms[i].membership == MX_MEMBERSHIP_JOIN)
			b->rooms[kept++] = b->rooms[i];
		else
			store_room_clear(&b->rooms[i]);
	}
	b->n_rooms = kept;
	return 0;
}

int
core_backfill(struct core *c, const char *room_id, core_backfill_cb progress,
    void *progress_arg, core_done_cb done, void *arg, char **cause)
{
	return core_backfill_span(c, room_id, INT64_MIN, INT64_MAX, progress, progress_arg, done,
	    arg, cause);
}

int
core_backfill_span(struct core *c, const char *room_id, int64_t since_ms, int64_t until_ms,
    core_backfill_cb progress, void *progress_arg, core_done_cb done, void *arg, char **cause)
{
	struct core_backfill *b;
	struct core_op *op;

	if (!c->logged_in)
		return cause_set(cause, "not logged in: there is no homeserver to ask");
	b = xcalloc(1, sizeof *b);
	if (core_backfill_rooms(c, room_id, b, cause) == -1) {
		free(b);
		return -1;
	}
	b->since_ms = since_ms;
	b->until_ms = until_ms;
	b->progress = progress;
	b->progress_arg = progress_arg;
	b->p.n_rooms = b->n_rooms;
	op = core_op_new(c, done, arg, "cannot fill in history");
	op->data = b;
	op->free_data = core_backfill_free;
	op->timer = loop_timer_add(c->loop, 0, core_backfill_due, op);
	return 0;
}
