/* The UI's core: a sync always in flight, and sends that never block.
 * Whatever a sync brings is stored before the UI hears of it. */
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/app.h"
#include "natter/core.h"
#include "natter/event.h"
#include "natter/log.h"
#include "natter/loop.h"
#include "natter/msg.h"
#include "natter/util.h"

struct app {
	struct core core;
	struct app_handlers h;
	void *arg;
	long timeout_ms;
	char *filter;

	struct mx_call *sync_call;
	uint64_t sync_timer;
	int sync_failures;
	enum app_conn conn;

	struct mx_call *send_call;
	int64_t send_id;

	LIST_HEAD(, app_op) ops;	/* actions under way */
	struct app_mark *marks;		/* the last event marked read, per room */
	size_t n_marks;

	char *typing_room;		/* where we last said we are typing */
	int64_t typing_ms;		/* when, on the monotonic clock */
};

/* An action under way: its call, or the timer that delivers a result
 * known at once, and whom it reports to. */
struct app_op {
	struct app *app;
	struct mx_call *call;
	uint64_t timer;
	app_done_cb done;
	void *arg;
	char *what;		/* "cannot join #x:y", put before a failure's reason */
	char *room_id;
	char *user_id;		/* app_dm: the other user */
	int64_t size;		/* app_upload: the file's */
	int64_t before;		/* app_history_more: the seq the gap ends at */
	int fd;			/* app_download: the file being written */
	int ok;			/* for the timer */
	char *result;		/* for done, when not the server's value */
	LIST_ENTRY(app_op) entry;
};

struct app_mark {
	char *room_id;
	char *event_id;
};

static void app_sync_next(struct app *);
static void app_send_next(struct app *);
static void app_ops_cancel(struct app *);

struct app *
app_open(const char *profile, const char *config, char **cause)
{
	struct app *app = xcalloc(1, sizeof *app);

	if (core_open(&app->core, profile, config, CORE_NEED_SESSION, cause) == -1) {
		free(app);
		return NULL;
	}
	app->filter = store_meta_get(app->core.store, "filter_id");
	LIST_INIT(&app->ops);
	return app;
}

void
app_free(struct app **appp)
{
	struct app *app = *appp;

	if (app == NULL)
		return;
	app_ops_cancel(app);
	mx_call_cancel(&app->sync_call);
	mx_call_cancel(&app->send_call);
	loop_timer_cancel(app->core.loop, app->sync_timer);
	core_close(&app->core);
	free(app->filter);
	for (size_t i = 0; i < app->n_marks; i++) {
		free(app->marks[i].room_id);
		free(app->marks[i].event_id);
	}
	free(app->marks);
	free(app->typing_room);
	xfree(appp);
}

struct loop *
app_loop(struct app *app)
{
	return app->core.loop;
}

struct store *
app_store(struct app *app)
{
	return app->core.store;
}

const char *
app_self(struct app *app)
{
	return app->core.session.user_id;
}

const char *
app_profile(struct app *app)
{
	return app->core.paths.profile;
}

const char *
app_download_dir(struct app *app)
{
	return app->core.paths.download_dir;
}

static void
app_set_conn(struct app *app, enum app_conn conn, const char *why)
{
	if (app->conn == conn && why == NULL)
		return;
	app->conn = conn;
	if (app->h.conn != NULL)
		app->h.conn(app->arg, conn, why);
}

static void
app_sync_retry(void *arg)
{
	struct app *app = arg;

	app->sync_timer = 0;
	app_sync_next(app);
}

/* A failed round: say so, and try again after a growing pause. */
static void
app_sync_failed(struct app *app, const struct mx_result *res, const char *why)
{
	int64_t ms = mx_backoff_ms(app->sync_failures++);

	log_msg("sync failed: %s (retry in %lld ms)", why, (long long)ms);
	if (res != NULL && res->status == 401) {
		app_set_conn(app, APP_LOGGED_OUT, "the homeserver no longer accepts this "
		    "session: log in again with `natter login`");
		return;
	}
	app_set_conn(app, APP_OFFLINE, why);
	app->sync_timer = loop_timer_add(app->core.loop, ms, app_sync_retry, app);
}

static void
app_sync_done(struct mx_result *res, void *arg)
{
	struct app *app = arg;
	struct mx_sync *sync = NULL;
	char *cause = NULL;
	size_t n;

	app->sync_call = NULL;
	if (!res->ok) {
		app_sync_failed(app, res, res->error ? res->error : "no answer");
		return;
	}
	if (core_sync_apply(&app->core, res->raw, res->raw_len, &sync, &n, &cause) == -1) {
		app_sync_failed(app, NULL, cause);
		free(cause);
		return;
	}
	app->sync_failures = 0;
	app_set_conn(app, APP_ONLINE, NULL);
	if (app->h.synced != NULL)
		app->h.synced(app->arg, sync, n);
	mx_sync_free(&sync);
	app_send_next(app);
	app_sync_next(app);
}

static void
app_filter_done(struct mx_result *res, void *arg)
{
	struct app *app = arg;

	app->sync_call = NULL;
	if (!res->ok) {
		app_sync_failed(app, res, res->error ? res->error : "no answer");
		return;
	}
	app->filter = xstrdup(res->value);
	store_meta_set(app->core.store, "filter_id", app->filter, NULL);
	app_sync_next(app);
}

static void
app_sync_next(struct app *app)
{
	char *since, *cause = NULL;

	if (app->filter == NULL) {
		app->sync_call = mx_filter_upload(app->core.mx, 50, 0, app_filter_done, app, &cause);
	} else {
		since = store_sync_token(app->core.store);
		/* The first round answers at once so the screen fills quickly. */
		app->sync_call = mx_sync(app->core.mx, since, app->filter,
		    since != NULL && app->conn == APP_ONLINE ? app->timeout_ms : 0, 0,
		    MX_NORETRY, app_sync_done, app, &cause);
		free(since);
	}
	if (app->sync_call == NULL) {
		app_sync_failed(app, NULL, cause);
		free(cause);
	}
}

void
app_start(struct app *app, const struct app_handlers *h, void *arg, long timeout_ms)
{
	app->h = *h;
	app->arg = arg;
	app->timeout_ms = timeout_ms;
	app->conn = APP_CONNECTING;
	app_sync_next(app);
}

static void
app_send_done(struct mx_result *res, void *arg)
{
	struct app *app = arg;
	int64_t id = app->send_id;

	app->send_call = NULL;
	if (res->ok) {
		store_outbox_sent(app->core.store, id, res->value, NULL);
		log_msg("send %lld: %s", (long long)id, res->value);
	} else if (res->network_error || res->status >= 500 || res->status == 429) {
		/* Offline: the next successful sync tries again. */
		store_outbox_attempt(app->core.store, id, res->error, NULL);
		if (app->h.outbox != NULL)
			app->h.outbox(app->arg);
		return;
	} else
		store_outbox_failed(app->core.store, id, res->error, NULL);
	if (app->h.outbox != NULL)
		app->h.outbox(app->arg);
	app_send_next(app);
}

/* Sends the oldest queued message, one at a time, so order holds. */
static void
app_send_next(struct app *app)
{
	struct store_outbox *items;
	size_t n;
	char *cause = NULL;

	if (app->send_call != NULL ||
	    store_outbox_list(app->core.store, NULL, 0, &items, &n, NULL) == -1)
		return;
	if (n > 0) {
		app->send_id = items[0].id;
		app->send_call = mx_send(app->core.mx, items[0].room_id, items[0].type,
		    items[0].txn_id, items[0].content, 0, app_send_done, app, &cause);
		if (app->send_call == NULL) {
			store_outbox_failed(app->core.store, items[0].id, cause, NULL);
			free(cause);
		}
	}
	store_outbox_free(&items, n);
}

void
app_outbox_kick(struct app *app)
{
	app_send_next(app);
}

static int
app_queue(struct app *app, const char *room_id, const char *type, char *content, char **cause)
{
	struct store_outbox item;
	int rc = -1;

	if (store_room_encrypted(app->core.store, room_id) != 0)
		cause_set(cause, "this room is end-to-end encrypted and natter cannot encrypt "
		    "yet: nothing was sent");
	else if (store_outbox_add(app->core.store, room_id, type, content, &item, cause) == 0) {
		store_outbox_clear(&item);
		rc = 0;
	}
	free(content);
	if (rc == 0) {
		app_send_next(app);
		if (app->h.outbox != NULL)
			app->h.outbox(app->arg);
	}
	return rc;
}

int
app_send_text(struct app *app, const char *room_id, const char *text, int emote,
    const char *reply_to, char **cause)
{
	return app_queue(app, room_id, "m.room.message",
	    msg_content_text(text, emote ? "m.emote" : "m.text", reply_to), cause);
}

int
app_send_edit(struct app *app, const char *room_id, const char *event_id, const char *text,
    char **cause)
{
	struct store_msg m;
	char *content;

	/* An edit keeps the kind of message it replaces (an emote stays one). */
	if (store_msg_get(app->core.store, event_id, &m, NULL) == 0) {
		content = msg_content_edit(text, m.msgtype ? m.msgtype : "m.text", event_id);
		store_msg_clear(&m);
	} else
		content = msg_content_edit(text, "m.text", event_id);
	return app_queue(app, room_id, "m.room.message", content, cause);
}

int
app_send_reaction(struct app *app, const char *room_id, const char *event_id, const char *key,
    char **cause)
{
	return app_queue(app, room_id, "m.reaction", msg_content_reaction(event_id, key), cause);
}

static struct app_op *
app_op_new(struct app *app, app_done_cb done, void *arg)
{
	struct app_op *op = xcalloc(1, sizeof *op);

	op->app = app;
	op->done = done;
	op->arg = arg;
	LIST_INSERT_HEAD(&app->ops, op, entry);
	return op;
}

static void
app_op_free(struct app_op *op)
{
	free(op->what);
	free(op->room_id);
	free(op->user_id);
	free(op->result);
	free(op);
}

/* Ends op: done hears the outcome (result may point into op), then op
 * is gone. */
static void
app_op_end(struct app_op *op, int ok, const char *result)
{
	LIST_REMOVE(op, entry);
	if (op->done != NULL)
		op->done(op->arg, ok, result);
	app_op_free(op);
}

/* Ends op with why its call failed, after what it was doing. */
static void
app_op_fail(struct app_op *op, const char *why)
{
	char *msg = xasprintf("%s: %s", op->what, why != NULL ? why : "no answer");

	log_msg("%s", msg);
	app_op_end(op, 0, msg);
	free(msg);
}

static void
app_op_due(void *arg)
{
	struct app_op *op = arg;

	op->timer = 0;
	app_op_end(op, op->ok, op->result);
}

/* Ends op from the loop although the result is known now, so that done
 * never runs inside the function that started the action. */
static void
app_op_later(struct app_op *op, int ok, const char *result)
{
	op->ok = ok;
	free(op->result);
	op->result = result != NULL ? xstrdup(result) : NULL;
	op->timer = loop_timer_add(op->app->core.loop, 0, app_op_due, op);
}

/* 0 when op's first call started; else op is dropped, done is never
 * called, and the cause says what could not be done. */
static int
app_op_started(struct app_op *op, char **cause)
{
	char *why;

	if (op->call != NULL)
		return 0;
	if (cause != NULL) {
		why = *cause;
		*cause = NULL;
		cause_set(cause, "%s: %s", op->what, why != NULL ? why : "cannot start");
		free(why);
	}
	LIST_REMOVE(op, entry);
	app_op_free(op);
	return -1;
}

/* The answer to a one-call action: op->result when set, else the
 * server's value. */
static void
app_op_answer(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;

	op->call = NULL;
	if (!res->ok)
		app_op_fail(op, res->error);
	else
		app_op_end(op, 1, op->result != NULL ? op->result : res->value);
}

static void
app_ops_cancel(struct app *app)
{
	struct app_op *op;

	while ((op = LIST_FIRST(&app->ops)) != NULL) {
		mx_call_cancel(&op->call);
		loop_timer_cancel(app->core.loop, op->timer);
		op->timer = 0;
		app_op_end(op, -1, NULL);
	}
}

/* A room as a person knows it: its name, and its id when the cache
 * has no name for it. From the server: for san_text before display. */
static char *
app_room_label(struct app *app, const char *room_id)
{
	struct store_room room;
	char *label;

	if (store_room_get(app->core.store, room_id, &room, NULL) == -1)
		return xstrdup(room_id);
	label = room.name != NULL && *room.name != '\0' ? xstrdup(room.name) : xstrdup(room_id);
	store_room_clear(&room);
	return label;
}

int
app_join(struct app *app, const char *id_or_alias, app_done_cb done, void *arg, char **cause)
{
	struct app_op *op = app_op_new(app, done, arg);

	op->what = xasprintf("cannot join %s", id_or_alias);
	op->call = mx_join(app->core.mx, id_or_alias, 0, app_op_answer, op, cause);
	return app_op_started(op, cause);
}

int
app_leave(struct app *app, const char *room_id, app_done_cb done, void *arg, char **cause)
{
	struct app_op *op = app_op_new(app, done, arg);
	char *label = app_room_label(app, room_id);

	op->what = xasprintf("cannot leave %s", label);
	op->result = xstrdup(room_id);
	op->call = mx_leave(app->core.mx, room_id, 0, app_op_answer, op, cause);
	free(label);
	return app_op_started(op, cause);
}

int
app_invite(struct app *app, const char *room_id, const char *user_id, app_done_cb done,
    void *arg, char **cause)
{
	struct app_op *op = app_op_new(app, done, arg);
	char *label = app_room_label(app, room_id);

	op->what = xasprintf("cannot invite %s to %s", user_id, label);
	op->result = xstrdup(room_id);
	op->call = mx_invite(app->core.mx, room_id, user_id, 0, app_op_answer, op, cause);
	free(label);
	return app_op_started(op, cause);
}

/* json as compact text (free with cJSON_free); json is freed. */
static char *
app_json_print(cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json);

	cJSON_Delete(json);
	if (text == NULL) {
		fputs("natter: out of memory\n", stderr);
		abort();
	}
	return text;
}

/* A JSON object of one string member, for a request body or content. */
static char *
app_json_string(const char *key, const char *value)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddStringToObject(obj, key, value);
	return app_json_print(obj);
}

int
app_topic(struct app *app, const char *room_id, const char *text, app_done_cb done, void *arg,
    char **cause)
{
	struct app_op *op = app_op_new(app, done, arg);
	char *label = app_room_label(app, room_id);
	char *content = app_json_string("topic", text);

	op->what = xasprintf("cannot set the topic of %s", label);
	op->result = xstrdup(room_id);
	op->call = mx_state_put(app->core.mx, room_id, "m.room.topic", "", content, 0,
	    app_op_answer, op, cause);
	cJSON_free(content);
	free(label);
	return app_op_started(op, cause);
}

int
app_nick(struct app *app, const char *displayname, app_done_cb done, void *arg, char **cause)
{
	struct app_op *op;
	char *body;

	if (app_self(app) == NULL)
		return cause_set(cause, "the session names no user: log in again");
	op = app_op_new(app, done, arg);
	body = app_json_string("displayname", displayname);
	op->what = xasprintf("cannot change your name to %s", displayname);
	op->result = xstrdup(displayname);
	op->call = mx_request(app->core.mx, "PUT", body, 0, app_op_answer, op, cause,
	    "/_matrix/client/v3/profile/%s/displayname", app_self(app));
	cJSON_free(body);
	return app_op_started(op, cause);
}

int
app_redact(struct app *app, const char *room_id, const char *event_id, app_done_cb done,
    void *arg, char **cause)
{
	struct app_op *op = app_op_new(app, done, arg);
	char *label = app_room_label(app, room_id);
	char *txn = mx_txn_new();

	op->what = xasprintf("cannot delete the message in %s", label);
	op->result = xstrdup(event_id);
	op->call = mx_redact(app->core.mx, room_id, event_id, txn, NULL, 0, app_op_answer, op,
	    cause);
	free(txn);
	free(label);
	return app_op_started(op, cause);
}

int
app_resolve(struct app *app, const char *what, app_done_cb done, void *arg, char **cause)
{
	struct app_op *op;
	char *id, *why = NULL;

	if ((id = store_room_resolve(app->core.store, what, &why)) != NULL) {
		app_op_later(app_op_new(app, done, arg), 1, id);
		free(id);
		return 0;
	}
	if (what[0] != '#' || strchr(what, ':') == NULL) {
		cause_set(cause, "%s", why);
		free(why);
		return -1;
	}
	free(why);
	op = app_op_new(app, done, arg);
	op->what = xasprintf("cannot look up %s", what);
	op->call = mx_alias_resolve(app->core.mx, what, 0, app_op_answer, op, cause);
	return app_op_started(op, cause);
}

static void
app_upload_done(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;
	const char *name = op->result;
	char *content, *why = NULL;

	op->call = NULL;
	if (!res->ok) {
		app_op_fail(op, res->error);
		return;
	}
	content = msg_content_file(name, res->value, msg_mimetype_guess(name), op->size);
	if (app_queue(op->app, op->room_id, "m.room.message", content, &why) == -1)
		app_op_fail(op, why);
	else
		app_op_end(op, 1, name);
	free(why);
}

int
app_upload(struct app *app, const char *room_id, const char *path, app_done_cb done, void *arg,
    char **cause)
{
	const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	struct app_op *op;
	struct stat sb;

	if (stat(path, &sb) == -1)
		return cause_set(cause, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cause_set(cause, "%s is not a file: only files can be sent", path);
	/* Checked now, or the file would be uploaded for nothing. */
	if (store_room_encrypted(app->core.store, room_id) != 0)
		return cause_set(cause, "this room is end-to-end encrypted and natter cannot "
		    "encrypt yet: nothing was sent");
	op = app_op_new(app, done, arg);
	op->what = xasprintf("cannot send %s", name);
	op->room_id = xstrdup(room_id);
	op->result = xstrdup(name);
	op->size = (int64_t)sb.st_size;
	op->call = mx_upload(app->core.mx, path, name, msg_mimetype_guess(name), 0,
	    app_upload_done, op, cause);
	return app_op_started(op, cause);
}

/* The room exists whether or not m.direct could be updated: a failure
 * here is logged and the action still succeeds. */
static void
app_dm_listed(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;

	op->call = NULL;
	if (!res->ok)
		log_msg("%s: cannot update m.direct: %s", op->what, res->error);
	app_op_end(op, 1, op->room_id);
}

static void
app_dm_direct(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;
	char *text, *cause = NULL;

	op->call = NULL;
	if (!res->ok && res->status != 404) {
		log_msg("%s: cannot read m.direct: %s", op->what, res->error);
		app_op_end(op, 1, op->room_id);
		return;
	}
	text = msg_direct_add(res->ok ? res->json : NULL, op->user_id, op->room_id);
	if (res->ok)
		res->json = NULL;
	op->call = mx_account_data_put(op->app->core.mx, "m.direct", text, 0, app_dm_listed, op,
	    &cause);
	free(text);
	if (op->call == NULL) {
		log_msg("%s: cannot update m.direct: %s", op->what, cause);
		app_op_end(op, 1, op->room_id);
	}
	free(cause);
}

static void
app_dm_created(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;
	char *cause = NULL;

	op->call = NULL;
	if (!res->ok) {
		app_op_fail(op, res->error);
		return;
	}
	op->room_id = xstrdup(res->value);
	op->call = mx_account_data_get(op->app->core.mx, "m.direct", 0, app_dm_direct, op, &cause);
	if (op->call == NULL) {
		log_msg("%s: cannot read m.direct: %s", op->what, cause);
		app_op_end(op, 1, op->room_id);
	}
	free(cause);
}

int
app_dm(struct app *app, const char *user_id, app_done_cb done, void *arg, char **cause)
{
	const char *invite[] = {user_id};
	struct app_op *op = app_op_new(app, done, arg);
	char *room_id;

	if ((room_id = store_dm_room(app->core.store, user_id)) != NULL) {
		app_op_later(op, 1, room_id);
		free(room_id);
		return 0;
	}
	op->what = xasprintf("cannot start a direct chat with %s", user_id);
	op->user_id = xstrdup(user_id);
	op->call = mx_room_create(app->core.mx, NULL, invite, 1, 1, 0, app_dm_created, op, cause);
	return app_op_started(op, cause);
}

static struct app_mark *
app_mark_find(struct app *app, const char *room_id)
{
	for (size_t i = 0; i < app->n_marks; i++)
		if (strcmp(app->marks[i].room_id, room_id) == 0)
			return &app->marks[i];
	return NULL;
}

/* Forgets a mark that did not reach the server, so asking again retries. */
static void
app_mark_forget(struct app *app, const char *room_id, const char *event_id)
{
	struct app_mark *m = app_mark_find(app, room_id);

	if (m != NULL && m->event_id != NULL && strcmp(m->event_id, event_id) == 0)
		xfree(&m->event_id);
}

static void
app_mark_done(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;

	op->call = NULL;
	if (res->ok)
		app_op_end(op, 1, op->result);
	else {
		app_mark_forget(op->app, op->room_id, op->result);
		app_op_fail(op, res->error);
	}
}

void
app_mark_read(struct app *app, const char *room_id, const char *event_id)
{
	struct app_mark *m = app_mark_find(app, room_id);
	struct app_op *op;
	char *cause = NULL;

	if (m != NULL && m->event_id != NULL && strcmp(m->event_id, event_id) == 0)
		return;
	if (m == NULL) {
		app->marks = xreallocarray(app->marks, app->n_marks + 1, sizeof *app->marks);
		m = &app->marks[app->n_marks++];
		m->room_id = xstrdup(room_id);
		m->event_id = NULL;
	}
	free(m->event_id);
	m->event_id = xstrdup(event_id);
	op = app_op_new(app, NULL, NULL);
	op->what = xasprintf("cannot mark %s read", event_id);
	op->room_id = xstrdup(room_id);
	op->result = xstrdup(event_id);
	op->call = mx_read_markers(app->core.mx, room_id, event_id, event_id, 0, app_mark_done, op,
	    &cause);
	if (app_op_started(op, &cause) == -1) {
		log_msg("%s", cause);
		app_mark_forget(app, room_id, event_id);
	}
	free(cause);
}

static void
app_typing_done(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;

	op->call = NULL;
	if (res->ok)
		app_op_end(op, 1, NULL);
	else
		app_op_fail(op, res->error);
}

static void
app_typing_send(struct app *app, const char *room_id, int typing)
{
	struct app_op *op = app_op_new(app, NULL, NULL);
	char *cause = NULL;

	op->what = xstrdup("cannot send the typing notice");
	op->call = mx_typing(app->core.mx, room_id, app_self(app), typing, APP_TYPING_MS,
	    MX_NORETRY, app_typing_done, op, &cause);
	if (app_op_started(op, &cause) == -1)
		log_msg("%s", cause);
	free(cause);
}

void
app_typing(struct app *app, const char *room_id, int typing)
{
	int64_t now = nt_mono_ms();
	int same = app->typing_room != NULL && room_id != NULL &&
	    strcmp(app->typing_room, room_id) == 0;

	if (app_self(app) == NULL)
		return;
	if (app->typing_room != NULL && (!typing || !same)) {
		app_typing_send(app, app->typing_room, 0);
		xfree(&app->typing_room);
	}
	if (!typing || room_id == NULL ||
	    (same && now - app->typing_ms < APP_TYPING_RENEW_MS))
		return;
	app_typing_send(app, room_id, 1);
	free(app->typing_room);
	app->typing_room = xstrdup(room_id);
	app->typing_ms = now;
}

static void
app_history_answer(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;
	struct mx_messages *msgs;
	char *why = NULL;
	int n;

	op->call = NULL;
	if (!res->ok) {
		app_op_fail(op, res->error);
		return;
	}
	if ((msgs = mx_messages_parse(res->raw, res->raw_len, &why)) == NULL ||
	    (n = store_gap_fill(op->app->core.store, op->room_id, op->before, msgs, &why)) < 0) {
		app_op_fail(op, why);
	} else {
		char count[32];

		snprintf(count, sizeof count, "%d", n);
		app_op_end(op, 1, count);
	}
	mx_messages_free(&msgs);
	free(why);
}

int
app_history_more(struct app *app, const char *room_id, app_done_cb done, void *arg,
    char **cause)
{
	struct app_op *op;
	int64_t before;
	char *token = NULL;
	int gap = store_gap_next(app->core.store, room_id, &before, &token, cause);

	if (gap == -1)
		return -1;
	op = app_op_new(app, done, arg);
	op->what = xstrdup("cannot load older messages");
	op->room_id = xstrdup(room_id);
	if (gap == 0) {
		app_op_later(op, 1, "0");
		return 0;
	}
	op->before = before;
	op->call = mx_messages(app->core.mx, room_id, token, 100, 0, app_history_answer, op, cause);
	free(token);
	return app_op_started(op, cause);
}

static void
app_download_answer(struct mx_result *res, void *arg)
{
	struct app_op *op = arg;

	op->call = NULL;
	close(op->fd);
	if (!res->ok) {
		unlink(op->result);
		app_op_fail(op, res->error);
	} else
		app_op_end(op, 1, op->result);
}

int
app_download(struct app *app, const char *event_id, app_done_cb done, void *arg,
    char **cause)
{
	struct store_msg m;
	struct app_op *op;
	char *path = NULL;
	int fd;

	if (store_msg_get(app->core.store, event_id, &m, cause) == -1)
		return -1;
	if (m.url == NULL) {
		store_msg_clear(&m);
		return cause_set(cause, "that message has no attachment");
	}
	fd = core_download_file(app->core.paths.download_dir,
	    m.filename != NULL ? m.filename : "attachment", &path, cause);
	if (fd == -1) {
		store_msg_clear(&m);
		return -1;
	}
	op = app_op_new(app, done, arg);
	op->what = xstrdup("cannot download the attachment");
	op->result = path;
	op->fd = fd;
	op->call = mx_download(app->core.mx, m.url, fd, 0, 0, app_download_answer, op, cause);
	store_msg_clear(&m);
	if (op->call == NULL) {
		close(fd);
		unlink(path);
	}
	return app_op_started(op, cause);
}
