/* core: the event/state layer between the protocol and the front ends.
 * It owns a profile's session, cache, loop and homeserver client; writes
 * what the server sends into the store before anything shows it; and
 * puts every message the user sends into the outbox before the first
 * attempt. The command line and the terminal UI both stand on it. */
#ifndef NATTER_CORE_H
#define NATTER_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "natter/config.h"
#include "natter/matrix.h"
#include "natter/store.h"

struct loop;
struct net;

struct core {
	struct cfg_paths paths;
	struct cfg_session session;	/* empty until logged in */
	int logged_in;
	struct store *store;
	struct loop *loop;
	struct net *net;
	struct mx_client *mx;
};

#define CORE_NEED_SESSION 0x1	/* fail unless logged in */

/* Opens profile (NULL: "default"): its directory, cache and session. */
int core_open(struct core *c, const char *profile, const char *config, int flags, char **cause);
void core_close(struct core *c);

/* The outcome of one call, kept past its callback. */
struct core_wait {
	int done;
	int ok;
	long status;
	int soft_logout;
	int network_error;
	char *value;
	char *errcode;
	char *error;
	cJSON *json;
	char *raw;
	size_t raw_len;
};

/* Pass as the callback of an mx_* call, with a zeroed core_wait. */
void core_wait_cb(struct mx_result *res, void *arg);
/* Runs the loop until the call is done; -1 with a cause unless it went
 * well. Clear w afterwards either way. */
int core_wait(struct core *c, struct core_wait *w, char **cause);
void core_wait_clear(struct core_wait *w);

/* Logs in and saves the session (0600). server may be NULL to find it
 * from the user id's domain. */
int core_login(struct core *c, const char *server, const char *user, const char *password,
    char **cause);
/* Logs in with an m.login.token (from SSO or another session). */
int core_login_token(struct core *c, const char *server, const char *token, char **cause);
int core_logout(struct core *c, char **cause);

/* Parses a /sync body and stores it with its token in one transaction.
 * With keep, the parsed sync is handed over (free with mx_sync_free). */
struct mx_sync;
int core_sync_apply(struct core *c, const char *body, size_t len, struct mx_sync **keep,
    size_t *n_events, char **cause);

/* One /sync round (timeout_ms long-poll) into the store, then the
 * outbox. n_events counts new timeline events (may be NULL). */
int core_sync_once(struct core *c, long timeout_ms, size_t *n_events, char **cause);

/* Messages older than before_seq (INT64_MAX: newest), like
 * store_history, but first pages in what the cache lacks from the
 * server when online. Returns 1 with a cause when the server could not
 * be asked and only the cache answered. */
int core_history(struct core *c, const char *room_id, int64_t before_seq, int limit,
    struct store_msg **msgs, size_t *n, char **cause);

/* What core_backfill says after each page that added events to a room,
 * and once the room is done.
 * name is the room's display name as the cache has it (server text). */
struct core_backfill_progress {
	const char *room_id;
	const char *name;
	size_t index;		/* which room, from 0 */
	size_t n_rooms;
	int64_t added;		/* new events in this room so far */
	int done;		/* the cache holds the room back to its creation */
};
typedef void (*core_backfill_cb)(const struct core_backfill_progress *p, void *arg);

/* Pages the whole history of room_id (NULL: every joined room) into the
 * cache, filling every gap back to m.room.create; cb (may be NULL) hears
 * of the progress. Each page is one transaction, so an interrupted run
 * leaves a consistent cache and the next run goes on from there; a room
 * already complete costs no request. Stops at the first room that fails,
 * with a cause naming it. */
int core_backfill(struct core *c, const char *room_id, core_backfill_cb cb, void *arg,
    char **cause);

/* Asks the homeserver's /search for terms in room_id (NULL: all joined
 * rooms), at most limit results, best first. The server does not search
 * encrypted rooms; asking for one is an error. Clear out with
 * mx_search_clear, whatever the outcome. */
int core_search_server(struct core *c, const char *terms, const char *room_id, int limit,
    struct mx_search *out, char **cause);

/* Queues content (JSON) for room_id and tries to send it. Returns 0
 * when sent (event_id set), 1 when queued for a later attempt (cause
 * says why), -1 when refused for good. */
int core_send(struct core *c, const char *room_id, const char *type, const char *content,
    char **event_id, char **cause);
/* Redaction is not an event with content: sent at once, not queued. */
int core_redact(struct core *c, const char *room_id, const char *event_id, char **cause);
/* Sends every queued message; returns how many are still waiting. */
int core_outbox_flush(struct core *c, char **cause);

/* The room a user meant: store_room_resolve, then the server for an
 * alias not in the cache. With dm_create, a user id without a direct
 * chat gets one. */
char *core_room_resolve(struct core *c, const char *what, int dm_create, char **cause);
/* Creates a new 0600 file in dir (made 0700 if missing) named after
 * name, adding "N-" in front rather than replacing a file; returns the
 * fd and its path, or -1 with a cause. */
int core_download_file(const char *dir, const char *name, char **path, char **cause);

/* The direct chat with user_id, created (and m.direct updated) if none. */
char *core_dm(struct core *c, const char *user_id, int *created, char **cause);

#endif
