/* Private to the matrix module (src/matrix): the client and its calls,
 * shared by the call lifecycle, URL building and the session; and the
 * parser's checked access to cJSON trees built from untrusted server JSON. */
#ifndef NATTER_MX_PRIVATE_H
#define NATTER_MX_PRIVATE_H

#include <sys/queue.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct buf;

#include "natter/event.h"
#include "natter/matrix.h"

struct net_request;

struct mx_client {
	struct net *net;
	struct loop *loop;
	char *base;
	char *token;
	char *user;
	char *device;
	int attempts;
	LIST_HEAD(, mx_call) calls;
};

/* Runs on a call's final outcome before the callback; returns 1 when it
 * started another request on the same call instead. */
typedef int (*mx_hook)(struct mx_call *, struct mx_result *);

struct mx_call {
	struct mx_client *cl;
	LIST_ENTRY(mx_call) entry;

	char *method;
	char *url;
	char *body;
	char *upload_path;
	char *content_type;
	char *pick;
	int flags;
	long timeout_ms;
	long stall_s;
	size_t max_body;
	int sink_fd;
	size_t sunk;		/* bytes written to sink_fd by this attempt */
	int sink_errno;
	mx_parse_fn parse;
	void (*parsed_free)(void *parsed);

	int attempts;
	int max_attempts;
	struct net_request *req;
	uint64_t timer;

	mx_hook hook;
	mx_retry_cb on_retry;
	int stage;
	char *saved;		/* hook state: the base URL being discovered */
	char *error;		/* the text behind res->error, when made here */

	mx_cb cb;
	void *arg;
};

/* mx-call.c */
struct mx_call *mx_call_new(struct mx_client *cl, char *url, const struct mx_req *req, mx_cb cb,
    void *arg);
/* Starts the call's first attempt; frees it and returns NULL on failure. */
struct mx_call *mx_call_launch(struct mx_call *call, char **cause);
int mx_call_attempt(struct mx_call *call, char **cause);
void mx_call_free(struct mx_call *call);
/* Sets the call's own error text; safe when an argument is the old one. */
const char *mx_call_error(struct mx_call *call, const char *fmt, ...) NT_ATTR_PRINTF(2, 3);
const char *mx_json_string(const cJSON *obj, const char *key);

/* mx-url.c */
char *mx_vpath(char **cause, const char *fmt, va_list ap);
/* Skips host[:port] (a DNS name, IPv4 or [IPv6]); NULL if there is none. */
const char *mx_url_host(const char *p);
/* Checks an http(s) base URL and drops trailing slashes. */
char *mx_base_url(const char *url, char **cause);

/* Matrix ids (event, room, user, alias) are at most 255 bytes. */
#define MX_ID_MAX 255

/* Arrays and objects nested deeper than this are replaced by null before
 * cJSON sees the text, so neither its recursion nor ours can go further. */
#define MX_JSON_DEPTH_MAX 64

/* The largest integer canonical JSON allows, 2^53 - 1. */
#define MX_JSON_INT_MAX 9007199254740991LL

enum mx_event_mode {
	MX_EVENT_TIMELINE,	/* a room event: event_id, sender and type required */
	MX_EVENT_STATE,		/* as TIMELINE, and a state_key is required */
	MX_EVENT_STRIPPED,	/* invite_state: no event_id or ts of its own */
};

/* mx-parse-json.c */
cJSON *mx_json_parse(const char *json, size_t len, char **cause);
/* The two halves of mx_json_parse: the text mended (a copy, ending in a
 * NUL), and a mended text parsed. */
void mx_json_mend(const char *json, size_t len, struct buf *out);
/* 1 when the text needs no mending: it may be parsed as it is, if a NUL
 * follows it. */
int mx_json_clean(const char *json, size_t len);
cJSON *mx_json_parse_mended(const char *text, size_t len, char **cause);

/* One member of an object's text: its key as written (quotes and
 * escapes too) and its value's text. */
struct mx_json_member {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};
/* The members of the object that is the whole of s[0..len), in order,
 * without parsing their values; -1 when s is not shaped as an object. */
int mx_json_members(const char *s, size_t len, struct mx_json_member **out, size_t *n);
void mx_json_free(cJSON *root);
const char *mx_json_str(const cJSON *obj, const char *key);
char *mx_json_strdup(const cJSON *obj, const char *key);
const cJSON *mx_json_obj(const cJSON *obj, const char *key);
const cJSON *mx_json_arr(const cJSON *obj, const char *key);
int mx_json_int(const cJSON *obj, const char *key, int64_t *out);
int64_t mx_json_count(const cJSON *obj, const char *key);
int mx_utf8_seq(const unsigned char *s, size_t len);

/* mx-parse.c */
void mx_sync_rest_free(struct mx_sync_rest **rest);
void mx_room_update_clear(struct mx_room_update *ru);
cJSON *mx_json_root(const char *json, size_t len, const char *what, char **cause);
void *mx_grow(void *p, size_t n, size_t size);

/* mx-parse.c: the parts of a room or a sync that both protocols share. */
void mx_room_receipts(struct mx_room_update *ru, const cJSON *content);
void mx_room_typing(struct mx_room_update *ru, const cJSON *content);
void mx_room_account_data(struct mx_room_update *ru, const cJSON *events);
void mx_sync_direct(struct mx_sync *s, const cJSON *events);
char *mx_strings_add(char ***v, size_t *n, const char *s);
/* Which members of an object (n of them) repeat an earlier key: cJSON
 * keeps duplicates, and the first one wins. Free the result. */
char *mx_section_repeats(const cJSON *section, size_t n);

/* mx-parse-crypto.c: what a sync says for end-to-end encryption: the
 * to-device events, and the device lists and key counts (at the root of
 * a /v3/sync, in the e2ee extension of a sliding sync). */
void mx_sync_to_device(struct mx_sync *s, const cJSON *events);
void mx_sync_e2ee(struct mx_sync *s, const cJSON *obj);
char *mx_json_token(const cJSON *obj, const char *key);

/* mx-parse-id.c */
int mx_id_valid(const char *s, char sigil);
/* 1 for unpadded (or padded) standard base64 text of 1 to 4096 bytes. */
int mx_b64_valid(const char *s);
/* A base64 string member, copied, or NULL when absent or not base64. */
char *mx_json_b64(const cJSON *obj, const char *key);
/* A device id: 1-255 bytes of printable ASCII, no spaces. */
int mx_device_id_valid(const char *s);
int mx_type_valid(const char *s);
int mx_alias_valid(const char *s);
int mx_mxc_valid(const char *s);
char *mx_json_id(const cJSON *obj, const char *key, char sigil);

/* mx-parse-event.c */
int mx_event_from_json(const cJSON *j, enum mx_event_mode mode, const char *room_id,
    struct mx_event *ev, const char **why);
struct mx_event *mx_events_from_json(const cJSON *events, enum mx_event_mode mode,
    const char *room_id, size_t *n, size_t *skipped);

#endif /* NATTER_MX_PRIVATE_H */
