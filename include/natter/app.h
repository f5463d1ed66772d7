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
struct mx_sync;
struct store;

enum app_conn {
	APP_CONNECTING,		/* before the first sync answered */
	APP_ONLINE,		/* the last sync answered */
	APP_OFFLINE,		/* the last sync failed; retrying */
	APP_LOGGED_OUT,		/* the server refused the session */
};

struct app_handlers {
	/* A sync was stored: n_events new timeline events, all in sync
	 * (borrowed for the call; its strings are the server's, unsanitised). */
	void (*synced)(void *arg, const struct mx_sync *sync, size_t n_events);
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

/* How an action below ends. Each returns -1 with a cause when it cannot
 * start (then done is never called), or 0, and then done is called
 * exactly once: from the loop when it is over, ok 1 with the result the
 * action names or ok 0 with a reason a person can act on; or from
 * app_free with ok -1 and result NULL, when done must only release arg.
 * result is valid during the call only. It can hold text from the server
 * (room ids, error messages): whoever shows it passes it through
 * san_text first, as ui_note does. */
typedef void (*app_done_cb)(void *arg, int ok, const char *result);

/* Joins a room by id or alias (an invite is accepted so); result: its id. */
int app_join(struct app *app, const char *id_or_alias, app_done_cb done, void *arg,
    char **cause);
/* Leaves a room; result: room_id. */
int app_leave(struct app *app, const char *room_id, app_done_cb done, void *arg, char **cause);
/* Invites user_id into a room; result: room_id. */
int app_invite(struct app *app, const char *room_id, const char *user_id, app_done_cb done,
    void *arg, char **cause);
/* The direct chat with user_id: the one m.direct names, else a new room
 * (is_direct, inviting the user) then added to m.direct, as other clients
 * do. result: its id; a sync soon brings it into the store. */
int app_dm(struct app *app, const char *user_id, app_done_cb done, void *arg, char **cause);
/* Sets a room's topic (m.room.topic); result: room_id. */
int app_topic(struct app *app, const char *room_id, const char *text, app_done_cb done,
    void *arg, char **cause);
/* Sets the user's display name; result: the name. */
int app_nick(struct app *app, const char *displayname, app_done_cb done, void *arg,
    char **cause);
/* Deletes (redacts) an event; result: event_id. */
int app_redact(struct app *app, const char *room_id, const char *event_id, app_done_cb done,
    void *arg, char **cause);
/* Uploads the file at path, then queues it as a message through the
 * outbox; result: the file's name. A path that is not a readable file
 * fails at once. */
int app_upload(struct app *app, const char *room_id, const char *path, app_done_cb done,
    void *arg, char **cause);
/* What a user typed as ROOM (see store_room_resolve), or an alias the
 * cache lacks through the homeserver's directory; result: the room id. */
int app_resolve(struct app *app, const char *what, app_done_cb done, void *arg, char **cause);

/* Pages in the next stretch of older history the cache lacks (the
 * newest gap of the room); result: how many events came, "0" when the
 * cache already reaches the start of the room. */
int app_history_more(struct app *app, const char *room_id, app_done_cb done, void *arg,
    char **cause);

/* Saves the attachment of event_id in the profile's media directory
 * under a safe, new name; result: the file's path. */
int app_download(struct app *app, const char *event_id, app_done_cb done, void *arg,
    char **cause);

/* Moves the fully-read marker and the read receipt to event_id, unless
 * it is the last event marked in room_id. Failures are only logged. */
void app_mark_read(struct app *app, const char *room_id, const char *event_id);

/* Tells the room's members we are typing (typing 1) or have stopped (0,
 * or typing in another room). Repeated calls while typing send a notice
 * at most every APP_TYPING_RENEW_MS; each says APP_TYPING_MS. */
#define APP_TYPING_MS 30000L
#define APP_TYPING_RENEW_MS 20000L
void app_typing(struct app *app, const char *room_id, int typing);

#endif
