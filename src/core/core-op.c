/* What every operation shares: starting, ending exactly once, failing
 * with a reason a person can act on, and the adapter that lets the
 * command line wait for one. */
#include <stdlib.h>
#include <string.h>

#include "natter/log.h"
#include "natter/loop.h"
#include "natter/util.h"
#include "core-private.h"

struct core_op *
core_op_new(struct core *c, core_done_cb done, void *arg, const char *what)
{
	struct core_op *op = xcalloc(1, sizeof *op);

	op->c = c;
	op->done = done;
	op->arg = arg;
	op->fd = -1;
	op->what = xstrdup(what != NULL ? what : "cannot do that");
	LIST_INSERT_HEAD(&c->ops, op, entry);
	return op;
}

static void
core_op_free(struct core_op *op)
{
	if (op->free_data != NULL)
		op->free_data(op->data);
	free(op->what);
	free(op->room_id);
	free(op->user_id);
	free(op->text);
	/* A login keeps the password here until its request is made. */
	if (op->result != NULL)
		explicit_bzero(op->result, strlen(op->result));
	free(op->result);
	free(op);
}

void
core_op_background(struct core_op *op)
{
	op->background = 1;
	op->c->n_background++;
}

void
core_background_begin(struct core *c)
{
	c->n_background++;
}

/* The last background op is gone: the ops waiting for that end. */
static void
core_op_idle(struct core *c)
{
	struct core_op *op, *next;

	for (op = LIST_FIRST(&c->ops); op != NULL; op = next) {
		next = LIST_NEXT(op, entry);
		if (op->idle_wait) {
			loop_timer_cancel(c->loop, op->timer);
			op->timer = 0;
			core_op_end(op, CORE_DONE, NULL);
			next = LIST_FIRST(&c->ops);
		}
	}
}

/* Takes op out of the core's lists, before its end is told. */
static void
core_op_unlink(struct core_op *op)
{
	LIST_REMOVE(op, entry);
	if (op->waiting)
		LIST_REMOVE(op, wait_entry);
	if (op->direct)
		LIST_REMOVE(op, direct_entry);
	if (op->background)
		op->c->n_background--;
}

void
core_op_end(struct core_op *op, int status, const char *result)
{
	struct core *c = op->c;
	int was_background = op->background;

	core_op_unlink(op);
	if (op->done != NULL)
		op->done(op->arg, status, result);
	core_op_free(op);
	if (was_background && c->n_background == 0 && status != CORE_CANCELLED)
		core_op_idle(c);
}

void
core_background_end(struct core *c)
{
	if (--c->n_background == 0)
		core_op_idle(c);
}

void
core_idle(struct core *c, core_done_cb done, void *arg)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot finish");

	op->idle_wait = 1;
	if (c->n_background == 0)
		core_op_later(op, CORE_DONE, NULL);
}

void
core_op_fail(struct core_op *op, const char *why)
{
	char *msg = xasprintf("%s: %s", op->what, why != NULL ? why : "no answer");

	log_msg("%s", msg);
	core_op_end(op, CORE_FAILED, msg);
	free(msg);
}

static void
core_op_due(void *arg)
{
	struct core_op *op = arg;

	op->timer = 0;
	core_op_end(op, op->status, op->result);
}

void
core_op_later(struct core_op *op, int status, const char *result)
{
	op->status = status;
	if (result != op->result) {
		free(op->result);
		op->result = result != NULL ? xstrdup(result) : NULL;
	}
	op->timer = loop_timer_add(op->c->loop, 0, core_op_due, op);
}

int
core_op_started(struct core_op *op, char **cause)
{
	char *why;

	if (op->call != NULL || op->timer != 0)
		return 0;
	if (cause != NULL) {
		why = *cause;
		*cause = NULL;
		cause_set(cause, "%s: %s", op->what, why != NULL ? why : "cannot start");
		free(why);
	}
	core_op_unlink(op);
	core_op_free(op);
	return -1;
}

int
core_errcode_is(const struct mx_result *res, const char *errcode)
{
	return res->errcode != NULL && strcmp(res->errcode, errcode) == 0;
}

int
core_may_pass(const struct mx_result *res)
{
	return res->network_error || res->unknown || res->status >= 500 || res->status == 429;
}

char *
core_why(const struct core *c, const struct mx_result *res)
{
	char *login, *why;

	if (res->status == 401 && core_errcode_is(res, "M_UNKNOWN_TOKEN")) {
		login = core_command(c, "login");
		why = xasprintf("the homeserver no longer accepts this session%s: log in again "
		    "with `%s`", res->soft_logout ? " (your cache is kept)" : "", login);
		free(login);
		return why;
	}
	if (res->network_error)
		return xasprintf("cannot reach the homeserver: %s",
		    res->error != NULL ? res->error : "network error");
	return xstrdup(res->error != NULL ? res->error : "the homeserver refused the request");
}

int
core_op_refused(struct core_op *op, const struct mx_result *res)
{
	char *why;

	op->call = NULL;
	if (res->ok)
		return 0;
	why = core_why(op->c, res);
	core_op_fail(op, why);
	free(why);
	return 1;
}

void
core_op_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;

	if (!core_op_refused(op, res))
		core_op_end(op, CORE_DONE, op->result != NULL ? op->result : res->value);
}

void
core_ops_cancel(struct core *c)
{
	struct core_op *op;

	while ((op = LIST_FIRST(&c->ops)) != NULL) {
		mx_call_cancel(&op->call);
		loop_timer_cancel(c->loop, op->timer);
		op->timer = 0;
		core_op_end(op, CORE_CANCELLED, NULL);
	}
}

void
core_result_cb(void *arg, int status, const char *result)
{
	struct core_result *r = arg;

	/* A waiter that gave up (a signal broke the loop) may be gone. */
	if (status == CORE_CANCELLED)
		return;
	r->done = 1;
	r->status = status;
	free(r->text);
	r->text = result != NULL ? xstrdup(result) : NULL;
}

int
core_wait(struct core *c, struct core_result *r)
{
	if (loop_run_until(c->loop, &r->done, -1) == -1 && !r->done)
		return -1;
	return r->status;
}

void
core_result_clear(struct core_result *r)
{
	xfree(&r->text);
	r->done = 0;
	r->status = 0;
}
