/* app: what the terminal UI sees of the core. It keeps a sync always in
 * flight on the one loop, writes what arrives into the store and then
 * tells the UI; sends go through the outbox without blocking. Nothing
 * here exposes curl or cJSON: the UI reads state from the store. */
#ifndef NATTER_APP_H
#define NATTER_APP_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct loop;
struct store;

enum app_conn {
	APP_CONNECTING,		/* before the first sync answered */
	APP_ONLINE,		/* the last sync answered */
	APP_OFFLINE,		/* the last sync failed; retrying */
	APP_LOGGED_OUT,		/* the server refused the session */
};

struct app_handlers {
	/* A sync was stored: n_events new timeline events. */
	void (*synced)(void *arg, size_t n_events);
	/* The connection state changed; why is NULL or a reason. */
	void (*conn)(void *arg, enum app_conn state, const char *why);
	/* The outbox changed (a message sent, queued again or refused). */
	void (*outbox)(void *arg);
};

/* Opens a profile for the UI; fails unless logged in. */
struct app *app_open(const char *profile, const char *config, char **cause);
void app_free(struct app **app);

struct loop *app_loop(struct app *app);
struct store *app_store(struct app *app);
const char *app_self(struct app *app);
const char *app_profile(struct app *app);
const char *app_download_dir(struct app *app);

/* Starts syncing (long-poll timeout_ms) and calling h from the loop. */
void app_start(struct app *app, const struct app_handlers *h, void *arg, long timeout_ms);

/* Queues a text message (Markdown, emote, reply) and starts sending. */
int app_send_text(struct app *app, const char *room_id, const char *text, int emote,
    const char *reply_to, char **cause);
int app_send_edit(struct app *app, const char *room_id, const char *event_id, const char *text,
    char **cause);
int app_send_reaction(struct app *app, const char *room_id, const char *event_id,
    const char *key, char **cause);
/* Tries queued messages again (after a failure the user retries). */
void app_outbox_kick(struct app *app);

#endif
