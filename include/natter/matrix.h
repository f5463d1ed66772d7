/* matrix: the client side of the Matrix client-server API, over net.
 *
 * mx_call_start (and mx_request on top of it) is the one door to the
 * homeserver. It percent-encodes path segments, adds the access token and
 * applies the fault policy, so a caller sees one final outcome: 429 waits
 * for Retry-After (or retry_after_ms), network errors, 5xx and 2xx answers
 * that cannot be read (cut short: the server may have acted) are retried
 * with capped exponential backoff and full jitter (a 5xx's Retry-After
 * wins), other 4xx are not retried. Every wait is a loop timer. A
 * callback is never called from inside the function that started the call.
 *
 * The typed helpers build a path and body and hand back the JSON, or the
 * one field that matters in res->value. The bodies of /sync, /messages
 * and /search are read by event.h's parsers, inside the call, so that an
 * answer they cannot read is retried like one cut short: those helpers
 * hand over what the parser made of it in res->parsed. */
#ifndef NATTER_MATRIX_H
#define NATTER_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "natter/util.h"

struct net;
struct mx_client;
struct mx_call;

/* Flags for a call. */
#define MX_NOAUTH 0x01		/* send no access token */
#define MX_RAW 0x02		/* hand a 2xx body over unparsed, in res->raw */
#define MX_RETRY_FOREVER 0x04	/* retry transient failures until cancelled */
#define MX_NORETRY 0x08		/* make one attempt only */
#define MX_SINK 0x10		/* write a 2xx body to mx_req.sink_fd */

#define MX_ATTEMPTS_DEFAULT 5
#define MX_BACKOFF_BASE_MS 500
#define MX_BACKOFF_CAP_MS 30000
#define MX_RATELIMIT_CAP_MS 60000
#define MX_SYNC_SLACK_MS 30000	/* client-side timeout beyond the long-poll */

/* The final outcome of a call. Everything here lives until the callback
 * returns; a callback that keeps json or raw takes it and sets it NULL. */
struct mx_result {
	int ok;			/* 2xx and, unless MX_RAW, a JSON object (with the picked field) */
	long status;		/* HTTP status; 0 when no response arrived */
	cJSON *json;		/* the parsed body, or NULL */
	const char *value;	/* the picked field (event_id, room_id, ...) when ok */
	const char *errcode;	/* M_FORBIDDEN, M_LIMIT_EXCEEDED, ... or NULL */
	const char *error;	/* why it failed, for a person; NULL when ok */
	char *raw;		/* the body as received, NUL-terminated; may be NULL */
	size_t raw_len;
	void *parsed;		/* what mx_req.parse made of a 2xx body; a callback that
				 * keeps it sets it NULL */
	int network_error;	/* no complete response: connection, timeout, size limit */
	int unknown;		/* a 2xx that cannot be read (cut short, most likely): the
				 * server may have done what was asked */
	int soft_logout;	/* 401 M_UNKNOWN_TOKEN with soft_logout true */
	int attempts;		/* requests made, retries included */
};

typedef void (*mx_cb)(struct mx_result *res, void *arg);

/* homeserver is a base URL (http or https) or NULL until discovery. */
struct mx_client *mx_client_new(struct net *net, const char *homeserver, char **cause);
/* Cancels every call without calling its callback. Not from a callback. */
void mx_client_free(struct mx_client **cl);
int mx_client_set_homeserver(struct mx_client *cl, const char *url, char **cause);
/* NULL clears. */
void mx_client_set_token(struct mx_client *cl, const char *token);
void mx_client_set_user(struct mx_client *cl, const char *user_id);
void mx_client_set_device(struct mx_client *cl, const char *device_id);
/* Attempts a call makes without MX_NORETRY or MX_RETRY_FOREVER. */
void mx_client_set_attempts(struct mx_client *cl, int attempts);
const char *mx_client_homeserver(const struct mx_client *cl);
const char *mx_client_token(const struct mx_client *cl);
const char *mx_client_user(const struct mx_client *cl);
const char *mx_client_device(const struct mx_client *cl);

/* Percent-encodes s as one path segment or query value: everything but
 * ALPHA DIGIT - . _ ~ (and all of "." or ".."). */
char *mx_path_escape(const char *s);
/* Builds a path: each %s argument is escaped with mx_path_escape and must
 * not be NULL or empty; %d and %% are as in printf. */
char *mx_path(char **cause, const char *fmt, ...) NT_ATTR_PRINTF(2, 3);

/* A new transaction id: unique for this device, safe in a path. */
char *mx_txn_new(void);
/* How long to wait after the n-th consecutive failure (0 based): a
 * random time up to min(MX_BACKOFF_CAP_MS, MX_BACKOFF_BASE_MS * 2^n). */
int64_t mx_backoff_ms(int n);

/* Reads a 2xx body (ending in a NUL past len) into what res->parsed
 * holds; NULL with a cause when it cannot. A parser that keeps the body
 * takes it, setting *body to NULL. */
typedef void *(*mx_parse_fn)(char **body, size_t len, char **cause);

/* One request. Strings are copied. Zero values mean the defaults. */
struct mx_req {
	const char *method;		/* NULL: GET */
	const char *path;		/* escaped path and query, from mx_path() */
	const char *body;		/* JSON text, or NULL */
	const char *upload_path;	/* or: send this file's bytes */
	const char *content_type;	/* of the upload */
	const char *pick;		/* string field of a 2xx body for res->value */
	int flags;
	int attempts;			/* 0: the client's (MX_ATTEMPTS_DEFAULT) */
	long timeout_ms;		/* per attempt; 0: NET_TIMEOUT_MS, -1: none */
	long stall_s;			/* 0: NET_STALL_S */
	size_t max_body;		/* 0: NET_BODY_MAX */
	int sink_fd;			/* with MX_SINK */
	mx_parse_fn parse;		/* with MX_RAW: a body it cannot read is an
					 * unknown outcome, retried; one it read
					 * is in res->parsed, and res->raw NULL */
	void (*parsed_free)(void *parsed);
};

/* Starts a call; returns NULL with a cause for what is wrong before
 * sending (no homeserver, not logged in, a bad path, an unreadable
 * file). The handle is valid until the callback is called. */
struct mx_call *mx_call_start(struct mx_client *cl, const struct mx_req *req, mx_cb cb, void *arg,
    char **cause);
/* Stops a call and any wait for a retry; the callback is not called. */
void mx_call_cancel(struct mx_call **call);
/* Hears each retry the fault policy plans for a call, with the call's
 * arg: the attempt that failed (res, as the callback would have had it)
 * and when the next one starts. It must not cancel the call. */
typedef void (*mx_retry_cb)(const struct mx_result *res, int64_t delay_ms, void *arg);
void mx_call_on_retry(struct mx_call *call, mx_retry_cb fn);

/* mx_call_start with the path built as by mx_path(). */
struct mx_call *mx_request(struct mx_client *cl, const char *method, const char *body, int flags,
    mx_cb cb, void *arg, char **cause, const char *path_fmt, ...) NT_ATTR_PRINTF(8, 9);

/* The session. A successful login sets the client's token, user and
 * device (value: user_id); a successful logout clears the token. */
struct mx_call *mx_login_password(struct mx_client *cl, const char *user, const char *password,
    int flags, mx_cb cb, void *arg, char **cause);
struct mx_call *mx_login_token(struct mx_client *cl, const char *login_token, int flags, mx_cb cb,
    void *arg, char **cause);
struct mx_call *mx_whoami(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause);
struct mx_call *mx_logout(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause);
/* Finds the homeserver of server (a server name, or an http(s) URL to
 * look under) through /.well-known/matrix/client and checks it answers
 * /_matrix/client/versions. value: the base URL. The client's own
 * homeserver is not changed. */
struct mx_call *mx_discover(struct mx_client *cl, const char *server, int flags, mx_cb cb,
    void *arg, char **cause);

/* Filters and sync. value: filter_id. Lazy-loads members. */
struct mx_call *mx_filter_upload(struct mx_client *cl, int timeline_limit, int flags, mx_cb cb,
    void *arg, char **cause);
/* The same filter as JSON text, to give a sync inline. */
char *mx_filter_inline(int timeline_limit);
/* res->parsed is the struct mx_sync (event.h); since and filter (an id
 * or inline JSON) may be NULL. */
struct mx_call *mx_sync(struct mx_client *cl, const char *since, const char *filter,
    long timeout_ms, int full_state, int flags, mx_cb cb, void *arg, char **cause);
/* Simplified sliding sync (MSC4186), where /versions lists
 * MX_SLIDE_FEATURE. One list of the account's rooms, most recently
 * active first, of which the window 0..range_end comes (with the state a
 * room list needs, members lazily), and every member of the direct
 * chats and encrypted rooms in it; the open room (room, may be NULL)
 * with room_timeline events; the extensions for to-device messages,
 * encryption, account data, receipts and typing. res->parsed is the
 * struct mx_sync (event.h) with sliding set. An unknown pos is answered
 * 400 M_UNKNOWN_POS: start again without one. */
#define MX_SLIDE_FEATURE "org.matrix.simplified_msc3575"
/* GET /_matrix/client/versions: res->json. mx_versions_feature says
 * whether its unstable_features turns feature on. */
struct mx_call *mx_versions(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause);
int mx_versions_feature(const cJSON *versions, const char *feature);
struct mx_slide_req {
	const char *pos;		/* NULL: a new connection */
	long timeout_ms;		/* 0: answer at once */
	long range_end;
	int timeline;			/* events for each room of the window */
	const char *room;
	int room_timeline;
	const char *to_device_since;	/* the last to_device next_batch, or NULL */
};
struct mx_call *mx_slide(struct mx_client *cl, const struct mx_slide_req *req, int flags,
    mx_cb cb, void *arg, char **cause);
/* Backwards from `from` (NULL: the end); res->parsed is the struct
 * mx_messages (event.h). */
struct mx_call *mx_messages(struct mx_client *cl, const char *room_id, const char *from, int limit,
    int flags, mx_cb cb, void *arg, char **cause);
/* Every member event of the room now (joined, invited, left, banned);
 * res->parsed is a struct mx_messages (event.h) whose chunk holds them. */
struct mx_call *mx_members(struct mx_client *cl, const char *room_id, int flags, mx_cb cb,
    void *arg, char **cause);
/* Full-text search of room events, best ranked first: in room_id, or in
 * every joined room when NULL; next_batch (may be NULL) pages on.
 * res->parsed is the struct mx_search (event.h). */
struct mx_call *mx_search(struct mx_client *cl, const char *terms, const char *room_id,
    int limit, const char *next_batch, int flags, mx_cb cb, void *arg, char **cause);

/* Room events. content_json must be a JSON object. value: event_id. */
struct mx_call *mx_send(struct mx_client *cl, const char *room_id, const char *type,
    const char *txn_id, const char *content_json, int flags, mx_cb cb, void *arg, char **cause);
/* Delayed events (MSC4140, where /versions lists MX_DELAY_FEATURE): the
 * homeserver holds the event and sends it after delay_ms, even when no
 * client runs. value: delay_id. A delay beyond the server's maximum is
 * refused (403, its error says so). The txnId makes a retry harmless. */
#define MX_DELAY_FEATURE "org.matrix.msc4140"
struct mx_call *mx_send_delayed(struct mx_client *cl, const char *room_id, const char *type,
    const char *txn_id, const char *content_json, int64_t delay_ms, int flags, mx_cb cb,
    void *arg, char **cause);
/* Cancels a delayed event before it is sent (404 when it is not held). */
struct mx_call *mx_delayed_cancel(struct mx_client *cl, const char *delay_id, int flags,
    mx_cb cb, void *arg, char **cause);
/* The delayed events the homeserver holds for the user, from any of its
 * devices: res->json's "delayed_events", each with its "delay_id". */
struct mx_call *mx_delayed_list(struct mx_client *cl, int flags, mx_cb cb, void *arg,
    char **cause);
struct mx_call *mx_redact(struct mx_client *cl, const char *room_id, const char *event_id,
    const char *txn_id, const char *reason, int flags, mx_cb cb, void *arg, char **cause);
struct mx_call *mx_state_put(struct mx_client *cl, const char *room_id, const char *type,
    const char *state_key, const char *content_json, int flags, mx_cb cb, void *arg,
    char **cause);

/* Membership. value: room_id for join and create. */
struct mx_call *mx_join(struct mx_client *cl, const char *id_or_alias, int flags, mx_cb cb,
    void *arg, char **cause);
struct mx_call *mx_leave(struct mx_client *cl, const char *room_id, int flags, mx_cb cb,
    void *arg, char **cause);
struct mx_call *mx_invite(struct mx_client *cl, const char *room_id, const char *user_id,
    int flags, mx_cb cb, void *arg, char **cause);
/* name may be NULL. A direct room (MX_ROOM_DIRECT) uses the
 * trusted_private_chat preset; MX_ROOM_ENCRYPTED turns on Megolm from the
 * start. */
#define MX_ROOM_DIRECT 0x1
#define MX_ROOM_ENCRYPTED 0x2
struct mx_call *mx_room_create(struct mx_client *cl, const char *name,
    const char *const *invite, size_t n_invite, int room_flags, int flags, mx_cb cb, void *arg,
    char **cause);
/* value: room_id. */
struct mx_call *mx_alias_resolve(struct mx_client *cl, const char *alias, int flags, mx_cb cb,
    void *arg, char **cause);

/* The user's account data of one type. */
struct mx_call *mx_account_data_get(struct mx_client *cl, const char *type, int flags, mx_cb cb,
    void *arg, char **cause);
struct mx_call *mx_account_data_put(struct mx_client *cl, const char *type,
    const char *content_json, int flags, mx_cb cb, void *arg, char **cause);

/* End-to-end encryption. keys/upload takes the whole body (device keys,
 * one-time and fallback keys, signed by the caller) and answers with
 * one_time_key_counts in res->json. keys/query asks for every device of
 * users; keys/claim for one one-time key of each (user, device) pair;
 * both answer raw, for event.h's parsers. sendToDevice sends messages_json
 * ({user: {device: content}}) under a transaction id a retry reuses. */
struct mx_call *mx_keys_upload(struct mx_client *cl, const char *body_json, int flags, mx_cb cb,
    void *arg, char **cause);
struct mx_call *mx_keys_query(struct mx_client *cl, const char *const *users, size_t n,
    int flags, mx_cb cb, void *arg, char **cause);
struct mx_call *mx_keys_claim(struct mx_client *cl, const char *const *users,
    const char *const *devices, size_t n, int flags, mx_cb cb, void *arg, char **cause);
struct mx_call *mx_send_to_device(struct mx_client *cl, const char *type, const char *txn_id,
    const char *messages_json, int flags, mx_cb cb, void *arg, char **cause);

/* Cross-signing and the key backup. signatures/upload takes the body
 * ({user: {device or key id: signed object}}); failures come in res->json.
 * room_keys/version describes the current backup raw (event.h's
 * mx_backup_version_parse; 404 M_NOT_FOUND when there is none);
 * room_keys/keys reads a version's sessions raw (mx_backup_parse) or adds
 * to them (body {rooms: {room: {sessions: {id: key data}}}}). */
struct mx_call *mx_keys_signatures_upload(struct mx_client *cl, const char *body_json,
    int flags, mx_cb cb, void *arg, char **cause);
/* Uploads cross-signing keys (body: master_key, self_signing_key,
 * user_signing_key); password and the session of a 401 answer (both may
 * be NULL) complete user-interactive auth. */
struct mx_call *mx_device_signing_upload(struct mx_client *cl, const char *body_json,
    const char *password, const char *session, int flags, mx_cb cb, void *arg, char **cause);
/* A new backup version (body: algorithm, auth_data); value: version. */
struct mx_call *mx_backup_version_new(struct mx_client *cl, const char *body_json, int flags,
    mx_cb cb, void *arg, char **cause);
struct mx_call *mx_backup_version(struct mx_client *cl, int flags, mx_cb cb, void *arg,
    char **cause);
struct mx_call *mx_backup_keys_get(struct mx_client *cl, const char *version, int flags,
    mx_cb cb, void *arg, char **cause);
struct mx_call *mx_backup_keys_put(struct mx_client *cl, const char *version,
    const char *body_json, int flags, mx_cb cb, void *arg, char **cause);

/* Read state: a public m.read receipt, and the fully-read marker with a
 * receipt (either may be NULL, not both). */
struct mx_call *mx_receipt(struct mx_client *cl, const char *room_id, const char *event_id,
    int flags, mx_cb cb, void *arg, char **cause);
struct mx_call *mx_read_markers(struct mx_client *cl, const char *room_id,
    const char *fully_read, const char *read, int flags, mx_cb cb, void *arg, char **cause);
/* Says whether we are typing in a room, for timeout_ms when typing. */
struct mx_call *mx_typing(struct mx_client *cl, const char *room_id, const char *user_id,
    int typing, long timeout_ms, int flags, mx_cb cb, void *arg, char **cause);

/* Media. Upload sends a file (value: content_uri). Download fetches an
 * mxc:// URI through the authenticated endpoint into fd (a file: a retry
 * happens only while nothing was written) or, with fd -1, into res->raw.
 * max_bytes 0 means NET_BODY_MAX. */
struct mx_call *mx_upload(struct mx_client *cl, const char *path, const char *filename,
    const char *content_type, int flags, mx_cb cb, void *arg, char **cause);
struct mx_call *mx_download(struct mx_client *cl, const char *mxc, int fd, size_t max_bytes,
    int flags, mx_cb cb, void *arg, char **cause);

/* The profile object (displayname, avatar_url) of a user, in res->json. */
struct mx_call *mx_profile_get(struct mx_client *cl, const char *user_id, int flags, mx_cb cb,
    void *arg, char **cause);

#endif
