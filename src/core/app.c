/* The UI's core: a sync always in flight, and sends that never block.
 * Whatever a sync brings is stored before the UI hears of it. */
#include <stdlib.h>
#include <string.h>

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
};

static void app_sync_next(struct app *);
static void app_send_next(struct app *);

struct app *
app_open(const char *profile, const char *config, char **cause)
{
	struct app *app = xcalloc(1, sizeof *app);

	if (core_open(&app->core, profile, config, CORE_NEED_SESSION, cause) == -1) {
		free(app);
		return NULL;
	}
	app->filter = store_meta_get(app->core.store, "filter_id");
	return app;
}

void
app_free(struct app **appp)
{
	struct app *app = *appp;

	if (app == NULL)
		return;
	mx_call_cancel(&app->sync_call);
	mx_call_cancel(&app->send_call);
	loop_timer_cancel(app->core.loop, app->sync_timer);
	core_close(&app->core);
	free(app->filter);
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

static size_t
app_count_events(const struct mx_sync *sync)
{
	size_t n = 0;

	for (size_t i = 0; i < sync->n_rooms; i++)
		n += sync->rooms[i].n_timeline;
	return n;
}

static void
app_sync_done(struct mx_result *res, void *arg)
{
	struct app *app = arg;
	struct mx_sync *sync;
	char *cause = NULL;
	size_t n;

	app->sync_call = NULL;
	if (!res->ok) {
		app_sync_failed(app, res, res->error ? res->error : "no answer");
		return;
	}
	if ((sync = mx_sync_parse(res->raw, res->raw_len, &cause)) == NULL ||
	    store_apply_sync(app->core.store, sync, &cause) == -1) {
		app_sync_failed(app, NULL, cause);
		mx_sync_free(&sync);
		free(cause);
		return;
	}
	n = app_count_events(sync);
	mx_sync_free(&sync);
	app->sync_failures = 0;
	app_set_conn(app, APP_ONLINE, NULL);
	if (app->h.synced != NULL)
		app->h.synced(app->arg, n);
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
	return app_queue(app, room_id, "m.room.message",
	    msg_content_edit(text, "m.text", event_id), cause);
}

int
app_send_reaction(struct app *app, const char *room_id, const char *event_id, const char *key,
    char **cause)
{
	return app_queue(app, room_id, "m.reaction", msg_content_reaction(event_id, key), cause);
}
