/* The typed helpers of matrix.h: each builds a path and a body and hands
 * them to mx_call_start, which owns the fault policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/event.h"
#include "natter/matrix.h"
#include "natter/util.h"

#define API_V3 "/_matrix/client/v3"
#define API_MEDIA_STALL_S 60L
/* Reading history or searching a big room may keep a server busy. */
#define API_READ_TIMEOUT_MS 60000L
#define API_READ_STALL_S 30L
/* Joining over federation can take minutes, and a room created twice
 * because the first answer was slow is worse than waiting for it. */
#define API_SLOW_TIMEOUT_MS 180000L
#define API_SLOW_STALL_S 120L

static char *
api_print(const cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json);

	if (text == NULL) {
		fputs("natter: out of memory\n", stderr);
		abort();
	}
	return text;
}

/* Starts req with body and path, both taken over; a NULL path means
 * building it failed and the cause is set already. */
static struct mx_call *
api_start(struct mx_client *cl, struct mx_req *req, char *path, cJSON *body, mx_cb cb,
    void *arg, char **cause)
{
	struct mx_call *call = NULL;
	char *text = NULL;

	if (path != NULL) {
		text = body != NULL ? api_print(body) : NULL;
		req->path = path;
		req->body = text;
		call = mx_call_start(cl, req, cb, arg, cause);
	}
	cJSON_Delete(body);
	free(text);
	free(path);
	return call;
}

static struct mx_call *
api_call(struct mx_client *cl, const char *method, char *path, cJSON *body, const char *pick,
    int flags, mx_cb cb, void *arg, char **cause)
{
	struct mx_req req;

	memset(&req, 0, sizeof req);
	req.method = method;
	req.pick = pick;
	req.flags = flags;
	return api_start(cl, &req, path, body, cb, arg, cause);
}

/* api_call for a request the server may take minutes over. */
static struct mx_call *
api_call_slow(struct mx_client *cl, char *path, cJSON *body, const char *pick, int flags,
    mx_cb cb, void *arg, char **cause)
{
	struct mx_req req;

	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.pick = pick;
	req.flags = flags;
	req.timeout_ms = API_SLOW_TIMEOUT_MS;
	req.stall_s = API_SLOW_STALL_S;
	return api_start(cl, &req, path, body, cb, arg, cause);
}

/* The parsers of event.h as the calls use them, on raw bodies. */
static void *
api_sync_read(char **body, size_t len, char **cause)
{
	return mx_sync_read(body, len, MX_SYNC_SLICE_BYTES, cause);
}

static void
api_sync_free(void *parsed)
{
	struct mx_sync *sync = parsed;

	mx_sync_free(&sync);
}

static void *
api_slide_read(char **body, size_t len, char **cause)
{
	return mx_slide_parse(*body, len, cause);
}

static void *
api_messages_read(char **body, size_t len, char **cause)
{
	return mx_messages_parse(*body, len, cause);
}

static void
api_messages_free(void *parsed)
{
	struct mx_messages *msgs = parsed;

	mx_messages_free(&msgs);
}

static void *
api_members_read(char **body, size_t len, char **cause)
{
	return mx_members_parse(*body, len, cause);
}

static void *
api_search_read(char **body, size_t len, char **cause)
{
	struct mx_search *s = xcalloc(1, sizeof *s);

	if (mx_search_parse(*body, len, s, cause) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

static void
api_search_free(void *parsed)
{
	mx_search_clear(parsed);
	free(parsed);
}

/* Content given as JSON text must be an object: it is checked here so
 * that nothing malformed leaves natter. */
static cJSON *
api_content(const char *json, char **cause)
{
	cJSON *content = NULL;

	if (json != NULL)
		content = cJSON_ParseWithLength(json, strlen(json));
	if (!cJSON_IsObject(content)) {
		cJSON_Delete(content);
		cause_set(cause, "the content is not a JSON object");
		return NULL;
	}
	return content;
}

static const char *
api_user(struct mx_client *cl, char **cause)
{
	const char *user = mx_client_user(cl);

	if (user == NULL)
		cause_set(cause, "no user id is known: log in first");
	return user;
}

/* Appends ?key=value or &key=value; a NULL or empty value is left out. */
static void
api_query(struct buf *b, const char *key, const char *value)
{
	char *e;

	if (value == NULL || *value == '\0')
		return;
	e = mx_path_escape(value);
	buf_printf(b, "%c%s=%s", strchr(b->data, '?') != NULL ? '&' : '?', key, e);
	free(e);
}

/* A call whose 2xx body parse reads (MX_RAW), with body (JSON, or NULL);
 * path and body are taken over. */
static struct mx_call *
api_raw(struct mx_client *cl, const char *method, struct buf *path, cJSON *body,
    long timeout_ms, long stall_s, int flags, mx_parse_fn parse, void (*parsed_free)(void *),
    mx_cb cb, void *arg, char **cause)
{
	struct mx_req req;

	memset(&req, 0, sizeof req);
	req.method = method;
	req.flags = flags | MX_RAW;
	req.parse = parse;
	req.parsed_free = parsed_free;
	req.timeout_ms = timeout_ms;
	req.stall_s = stall_s;
	return api_start(cl, &req, path->data, body, cb, arg, cause);
}

static cJSON *
api_filter(int timeline_limit)
{
	cJSON *body = cJSON_CreateObject(), *room, *state, *timeline;

	room = cJSON_AddObjectToObject(body, "room");
	state = cJSON_AddObjectToObject(room, "state");
	cJSON_AddTrueToObject(state, "lazy_load_members");
	timeline = cJSON_AddObjectToObject(room, "timeline");
	cJSON_AddNumberToObject(timeline, "limit", timeline_limit);
	return body;
}

struct mx_call *
mx_filter_upload(struct mx_client *cl, int timeline_limit, int flags, mx_cb cb, void *arg,
    char **cause)
{
	const char *user;

	if ((user = api_user(cl, cause)) == NULL)
		return NULL;
	return api_call(cl, "POST", mx_path(cause, API_V3 "/user/%s/filter", user),
	    api_filter(timeline_limit), "filter_id", flags, cb, arg, cause);
}

char *
mx_filter_inline(int timeline_limit)
{
	cJSON *body = api_filter(timeline_limit);
	char *text = api_print(body);

	cJSON_Delete(body);
	return text;
}

struct mx_call *
mx_sync(struct mx_client *cl, const char *since, const char *filter, long timeout_ms,
    int full_state, int flags, mx_cb cb, void *arg, char **cause)
{
	struct buf b = {0};

	if (timeout_ms < 0)
		timeout_ms = 0;
	buf_printf(&b, API_V3 "/sync?timeout=%ld", timeout_ms);
	api_query(&b, "since", since);
	api_query(&b, "filter", filter);
	if (full_state)
		buf_puts(&b, "&full_state=true");
	/* The server may hold the request for timeout_ms before a byte comes. */
	timeout_ms += MX_SYNC_SLACK_MS;
	return api_raw(cl, NULL, &b, NULL, timeout_ms, timeout_ms / 1000, flags, api_sync_read,
	    api_sync_free, cb, arg, cause);
}

struct mx_call *
mx_versions(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause)
{
	return api_call(cl, "GET", xstrdup("/_matrix/client/versions"), NULL, NULL, flags, cb,
	    arg, cause);
}

int
mx_versions_feature(const cJSON *versions, const char *feature)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(versions, "unstable_features");

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, feature));
}

/* A required_state entry: [type, state_key]. */
static void
api_state_want(cJSON *list, const char *type, const char *state_key)
{
	cJSON *pair = cJSON_CreateArray();

	cJSON_AddItemToArray(pair, cJSON_CreateString(type));
	cJSON_AddItemToArray(pair, cJSON_CreateString(state_key));
	cJSON_AddItemToArray(list, pair);
}

/* What each room of the list brings: the state that names it and that
 * encryption and mentions read, the links of spaces to their rooms (the
 * room list groups rooms by space), this user's membership, and the
 * members of the timeline's senders. */
static cJSON *
api_slide_state(void)
{
	static const char *const types[] = {"m.room.create", "m.room.name", "m.room.topic",
	    "m.room.canonical_alias", "m.room.encryption", "m.room.history_visibility",
	    "m.room.power_levels", "m.room.join_rules"};
	cJSON *list = cJSON_CreateArray();

	for (size_t i = 0; i < NT_NELEMS(types); i++)
		api_state_want(list, types[i], "");
	api_state_want(list, "m.space.child", "*");
	api_state_want(list, "m.room.member", "$LAZY");
	api_state_want(list, "m.room.member", "$ME");
	return list;
}

static cJSON *
api_slide_list(cJSON *lists, const char *name, long range_end, int timeline)
{
	cJSON *l = cJSON_AddObjectToObject(lists, name), *ranges, *range;

	ranges = cJSON_AddArrayToObject(l, "ranges");
	range = cJSON_CreateArray();
	cJSON_AddItemToArray(range, cJSON_CreateNumber(0));
	cJSON_AddItemToArray(range, cJSON_CreateNumber((double)range_end));
	cJSON_AddItemToArray(ranges, range);
	cJSON_AddNumberToObject(l, "timeline_limit", timeline);
	return l;
}

/* Direct chats and encrypted rooms of the window with all their
 * members: their names and the devices a room key goes to need them. */
static void
api_slide_members(cJSON *lists, const char *name, const char *filter, long range_end,
    int timeline)
{
	cJSON *l = api_slide_list(lists, name, range_end, timeline);
	cJSON *state = cJSON_AddArrayToObject(l, "required_state");

	api_state_want(state, "m.room.member", "*");
	cJSON_AddTrueToObject(cJSON_AddObjectToObject(l, "filters"), filter);
}

static void
api_slide_ext(cJSON *ext, const char *name)
{
	cJSON_AddTrueToObject(cJSON_AddObjectToObject(ext, name), "enabled");
}

struct mx_call *
mx_slide(struct mx_client *cl, const struct mx_slide_req *r, int flags, mx_cb cb, void *arg,
    char **cause)
{
	struct buf path = {0};
	cJSON *body = cJSON_CreateObject(), *lists, *l, *ext, *td, *sub;
	long timeout_ms = r->timeout_ms < 0 ? 0 : r->timeout_ms;

	buf_printf(&path, "/_matrix/client/unstable/%s/sync?timeout=%ld", MX_SLIDE_FEATURE,
	    timeout_ms);
	api_query(&path, "pos", r->pos);
	cJSON_AddStringToObject(body, "conn_id", "natter");
	lists = cJSON_AddObjectToObject(body, "lists");
	l = api_slide_list(lists, "rooms", r->range_end, r->timeline);
	cJSON_AddItemToObject(l, "required_state", api_slide_state());
	api_slide_members(lists, "direct", "is_dm", r->range_end, r->timeline);
	api_slide_members(lists, "encrypted", "is_encrypted", r->range_end, r->timeline);
	if (r->room != NULL) {
		sub = cJSON_AddObjectToObject(cJSON_AddObjectToObject(body, "room_subscriptions"),
		    r->room);
		cJSON_AddNumberToObject(sub, "timeline_limit", r->room_timeline);
		cJSON_AddItemToObject(sub, "required_state", api_slide_state());
	}
	ext = cJSON_AddObjectToObject(body, "extensions");
	td = cJSON_AddObjectToObject(ext, "to_device");
	cJSON_AddTrueToObject(td, "enabled");
	if (r->to_device_since != NULL)
		cJSON_AddStringToObject(td, "since", r->to_device_since);
	api_slide_ext(ext, "e2ee");
	api_slide_ext(ext, "account_data");
	api_slide_ext(ext, "receipts");
	api_slide_ext(ext, "typing");
	/* As /v3/sync: the server may hold the request for timeout_ms. */
	timeout_ms += MX_SYNC_SLACK_MS;
	return api_raw(cl, "POST", &path, body, timeout_ms, timeout_ms / 1000, flags,
	    api_slide_read, api_sync_free, cb, arg, cause);
}

struct mx_call *
mx_messages(struct mx_client *cl, const char *room_id, const char *from, int limit, int flags,
    mx_cb cb, void *arg, char **cause)
{
	struct buf b = {0};
	char *path;

	path = mx_path(cause, API_V3 "/rooms/%s/messages?dir=b&limit=%d", room_id, limit);
	if (path == NULL)
		return NULL;
	buf_puts(&b, path);
	free(path);
	api_query(&b, "from", from);
	return api_raw(cl, NULL, &b, NULL, API_READ_TIMEOUT_MS, API_READ_STALL_S, flags,
	    api_messages_read, api_messages_free, cb, arg, cause);
}

struct mx_call *
mx_members(struct mx_client *cl, const char *room_id, int flags, mx_cb cb, void *arg,
    char **cause)
{
	struct buf b = {0};
	char *path = mx_path(cause, API_V3 "/rooms/%s/members", room_id);

	if (path == NULL)
		return NULL;
	buf_puts(&b, path);
	free(path);
	return api_raw(cl, NULL, &b, NULL, API_READ_TIMEOUT_MS, API_READ_STALL_S, flags,
	    api_members_read, api_messages_free, cb, arg, cause);
}

struct mx_call *
mx_search(struct mx_client *cl, const char *terms, const char *room_id, int limit,
    const char *next_batch, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *body, *events, *filter;
	struct buf b = {0};
	struct mx_req req;

	if (terms == NULL || *terms == '\0') {
		cause_set(cause, "nothing to search for");
		return NULL;
	}
	body = cJSON_CreateObject();
	events = cJSON_AddObjectToObject(cJSON_AddObjectToObject(body, "search_categories"),
	    "room_events");
	cJSON_AddStringToObject(events, "search_term", terms);
	cJSON_AddStringToObject(events, "order_by", "rank");
	filter = cJSON_AddObjectToObject(events, "filter");
	cJSON_AddNumberToObject(filter, "limit", limit);
	if (room_id != NULL)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(filter, "rooms"),
		    cJSON_CreateString(room_id));
	buf_puts(&b, API_V3 "/search");
	api_query(&b, "next_batch", next_batch);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.flags = flags | MX_RAW;
	req.timeout_ms = API_READ_TIMEOUT_MS;
	req.stall_s = API_READ_STALL_S;
	req.parse = api_search_read;
	req.parsed_free = api_search_free;
	return api_start(cl, &req, buf_steal(&b), body, cb, arg, cause);
}

struct mx_call *
mx_send(struct mx_client *cl, const char *room_id, const char *type, const char *txn_id,
    const char *content_json, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *content;

	if ((content = api_content(content_json, cause)) == NULL)
		return NULL;
	return api_call(cl, "PUT", mx_path(cause, API_V3 "/rooms/%s/send/%s/%s", room_id, type,
	    txn_id), content, "event_id", flags, cb, arg, cause);
}

struct mx_call *
mx_send_delayed(struct mx_client *cl, const char *room_id, const char *type, const char *txn_id,
    const char *content_json, int64_t delay_ms, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *content;
	char *path, *full;

	if ((content = api_content(content_json, cause)) == NULL)
		return NULL;
	path = mx_path(cause, API_V3 "/rooms/%s/send/%s/%s", room_id, type, txn_id);
	if (path == NULL) {
		cJSON_Delete(content);
		return NULL;
	}
	full = xasprintf("%s?%s.delay=%lld", path, MX_DELAY_FEATURE,
	    (long long)(delay_ms > 0 ? delay_ms : 0));
	free(path);
	return api_call(cl, "PUT", full, content, "delay_id", flags, cb, arg, cause);
}

struct mx_call *
mx_delayed_cancel(struct mx_client *cl, const char *delay_id, int flags, mx_cb cb, void *arg,
    char **cause)
{
	cJSON *body = cJSON_CreateObject();

	/* The form with the action in the body: every Synapse with MSC4140
	 * has it, where the newer .../cancel path came later. */
	cJSON_AddStringToObject(body, "action", "cancel");
	return api_call(cl, "POST", mx_path(cause, "/_matrix/client/unstable/" MX_DELAY_FEATURE
	    "/delayed_events/%s", delay_id), body, NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_delayed_list(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause)
{
	return api_call(cl, "GET", xstrdup("/_matrix/client/unstable/" MX_DELAY_FEATURE
	    "/delayed_events"), NULL, NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_redact(struct mx_client *cl, const char *room_id, const char *event_id, const char *txn_id,
    const char *reason, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *body = cJSON_CreateObject();

	if (reason != NULL)
		cJSON_AddStringToObject(body, "reason", reason);
	return api_call(cl, "PUT", mx_path(cause, API_V3 "/rooms/%s/redact/%s/%s", room_id,
	    event_id, txn_id), body, "event_id", flags, cb, arg, cause);
}

struct mx_call *
mx_state_put(struct mx_client *cl, const char *room_id, const char *type, const char *state_key,
    const char *content_json, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *content;
	char *path;

	if ((content = api_content(content_json, cause)) == NULL)
		return NULL;
	/* The spec makes the trailing slash optional for an empty state key. */
	if (state_key == NULL || *state_key == '\0')
		path = mx_path(cause, API_V3 "/rooms/%s/state/%s", room_id, type);
	else
		path = mx_path(cause, API_V3 "/rooms/%s/state/%s/%s", room_id, type, state_key);
	return api_call(cl, "PUT", path, content, "event_id", flags, cb, arg, cause);
}

struct mx_call *
mx_join(struct mx_client *cl, const char *id_or_alias, int flags, mx_cb cb, void *arg,
    char **cause)
{
	return api_call_slow(cl, mx_path(cause, API_V3 "/join/%s", id_or_alias),
	    cJSON_CreateObject(), "room_id", flags, cb, arg, cause);
}

struct mx_call *
mx_leave(struct mx_client *cl, const char *room_id, int flags, mx_cb cb, void *arg, char **cause)
{
	return api_call_slow(cl, mx_path(cause, API_V3 "/rooms/%s/leave", room_id),
	    cJSON_CreateObject(), NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_invite(struct mx_client *cl, const char *room_id, const char *user_id, int flags, mx_cb cb,
    void *arg, char **cause)
{
	cJSON *body;

	if (user_id == NULL || *user_id == '\0') {
		cause_set(cause, "no user to invite");
		return NULL;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "user_id", user_id);
	return api_call_slow(cl, mx_path(cause, API_V3 "/rooms/%s/invite", room_id), body, NULL,
	    flags, cb, arg, cause);
}

struct mx_call *
mx_room_create(struct mx_client *cl, const char *name, const char *const *invite,
    size_t n_invite, int room_flags, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *body = cJSON_CreateObject(), *list, *state;
	int is_direct = (room_flags & MX_ROOM_DIRECT) != 0;
	size_t i;

	if (name != NULL)
		cJSON_AddStringToObject(body, "name", name);
	cJSON_AddStringToObject(body, "preset",
	    is_direct ? "trusted_private_chat" : "private_chat");
	cJSON_AddBoolToObject(body, "is_direct", is_direct != 0);
	list = cJSON_AddArrayToObject(body, "invite");
	for (i = 0; i < n_invite; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(invite[i]));
	if (room_flags & MX_ROOM_ENCRYPTED) {
		state = cJSON_CreateObject();
		cJSON_AddStringToObject(state, "type", "m.room.encryption");
		cJSON_AddStringToObject(state, "state_key", "");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(state, "content"), "algorithm",
		    "m.megolm.v1.aes-sha2");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "initial_state"), state);
	}
	return api_call_slow(cl, xstrdup(API_V3 "/createRoom"), body, "room_id", flags, cb, arg,
	    cause);
}

struct mx_call *
mx_alias_resolve(struct mx_client *cl, const char *alias, int flags, mx_cb cb, void *arg,
    char **cause)
{
	return api_call(cl, "GET", mx_path(cause, API_V3 "/directory/room/%s", alias), NULL,
	    "room_id", flags, cb, arg, cause);
}

struct mx_call *
mx_account_data_get(struct mx_client *cl, const char *type, int flags, mx_cb cb, void *arg,
    char **cause)
{
	const char *user;

	if ((user = api_user(cl, cause)) == NULL)
		return NULL;
	return api_call(cl, "GET", mx_path(cause, API_V3 "/user/%s/account_data/%s", user, type),
	    NULL, NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_account_data_put(struct mx_client *cl, const char *type, const char *content_json, int flags,
    mx_cb cb, void *arg, char **cause)
{
	const char *user;
	cJSON *content;

	if ((user = api_user(cl, cause)) == NULL)
		return NULL;
	if ((content = api_content(content_json, cause)) == NULL)
		return NULL;
	return api_call(cl, "PUT", mx_path(cause, API_V3 "/user/%s/account_data/%s", user, type),
	    content, NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_keys_upload(struct mx_client *cl, const char *body_json, int flags, mx_cb cb, void *arg,
    char **cause)
{
	cJSON *body;

	if ((body = api_content(body_json, cause)) == NULL)
		return NULL;
	return api_call(cl, "POST", mx_path(cause, API_V3 "/keys/upload"), body, NULL, flags, cb,
	    arg, cause);
}

struct mx_call *
mx_keys_query(struct mx_client *cl, const char *const *users, size_t n, int flags, mx_cb cb,
    void *arg, char **cause)
{
	cJSON *body = cJSON_CreateObject(), *keys = cJSON_AddObjectToObject(body, "device_keys");

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToObject(keys, users[i], cJSON_CreateArray());
	cJSON_AddNumberToObject(body, "timeout", 10000);
	return api_call(cl, "POST", mx_path(cause, API_V3 "/keys/query"), body, NULL,
	    flags | MX_RAW, cb, arg, cause);
}

struct mx_call *
mx_keys_claim(struct mx_client *cl, const char *const *users, const char *const *devices,
    size_t n, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *body = cJSON_CreateObject(), *otk = cJSON_AddObjectToObject(body, "one_time_keys");

	for (size_t i = 0; i < n; i++) {
		cJSON *user = cJSON_GetObjectItemCaseSensitive(otk, users[i]);

		if (user == NULL)
			user = cJSON_AddObjectToObject(otk, users[i]);
		cJSON_AddStringToObject(user, devices[i], "signed_curve25519");
	}
	cJSON_AddNumberToObject(body, "timeout", 10000);
	return api_call(cl, "POST", mx_path(cause, API_V3 "/keys/claim"), body, NULL,
	    flags | MX_RAW, cb, arg, cause);
}

struct mx_call *
mx_send_to_device(struct mx_client *cl, const char *type, const char *txn_id,
    const char *messages_json, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *messages, *body;

	if ((messages = api_content(messages_json, cause)) == NULL)
		return NULL;
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "messages", messages);
	return api_call(cl, "PUT", mx_path(cause, API_V3 "/sendToDevice/%s/%s", type, txn_id), body,
	    NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_keys_signatures_upload(struct mx_client *cl, const char *body_json, int flags, mx_cb cb,
    void *arg, char **cause)
{
	cJSON *body;

	if ((body = api_content(body_json, cause)) == NULL)
		return NULL;
	return api_call(cl, "POST", mx_path(cause, API_V3 "/keys/signatures/upload"), body, NULL,
	    flags, cb, arg, cause);
}

/* With a password, the upload answers user-interactive auth's
 * m.login.password stage in the session a first attempt was given. */
struct mx_call *
mx_device_signing_upload(struct mx_client *cl, const char *body_json, const char *password,
    const char *session, int flags, mx_cb cb, void *arg, char **cause)
{
	const char *user;
	cJSON *body, *auth, *id;

	if ((user = api_user(cl, cause)) == NULL)
		return NULL;
	if ((body = api_content(body_json, cause)) == NULL)
		return NULL;
	if (password != NULL) {
		auth = cJSON_AddObjectToObject(body, "auth");
		cJSON_AddStringToObject(auth, "type", "m.login.password");
		id = cJSON_AddObjectToObject(auth, "identifier");
		cJSON_AddStringToObject(id, "type", "m.id.user");
		cJSON_AddStringToObject(id, "user", user);
		cJSON_AddStringToObject(auth, "password", password);
		if (session != NULL)
			cJSON_AddStringToObject(auth, "session", session);
	}
	return api_call(cl, "POST", mx_path(cause, API_V3 "/keys/device_signing/upload"), body,
	    NULL, flags | MX_NORETRY, cb, arg, cause);
}

struct mx_call *
mx_backup_version_new(struct mx_client *cl, const char *body_json, int flags, mx_cb cb,
    void *arg, char **cause)
{
	cJSON *body;

	if ((body = api_content(body_json, cause)) == NULL)
		return NULL;
	return api_call(cl, "POST", mx_path(cause, API_V3 "/room_keys/version"), body, "version",
	    flags, cb, arg, cause);
}

struct mx_call *
mx_backup_version(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause)
{
	return api_call(cl, "GET", mx_path(cause, API_V3 "/room_keys/version"), NULL, NULL,
	    flags | MX_RAW, cb, arg, cause);
}

/* A backup of many thousand keys is megabytes the server takes a while
 * to gather. */
struct mx_call *
mx_backup_keys_get(struct mx_client *cl, const char *version, int flags, mx_cb cb, void *arg,
    char **cause)
{
	struct mx_req req;

	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.flags = flags | MX_RAW;
	req.timeout_ms = API_SLOW_TIMEOUT_MS;
	req.stall_s = API_SLOW_STALL_S;
	return api_start(cl, &req, mx_path(cause, API_V3 "/room_keys/keys?version=%s", version),
	    NULL, cb, arg, cause);
}

struct mx_call *
mx_backup_keys_put(struct mx_client *cl, const char *version, const char *body_json,
    int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *body;

	if ((body = api_content(body_json, cause)) == NULL)
		return NULL;
	return api_call(cl, "PUT", mx_path(cause, API_V3 "/room_keys/keys?version=%s", version),
	    body, NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_receipt(struct mx_client *cl, const char *room_id, const char *event_id, int flags, mx_cb cb,
    void *arg, char **cause)
{
	return api_call(cl, "POST", mx_path(cause, API_V3 "/rooms/%s/receipt/m.read/%s", room_id,
	    event_id), cJSON_CreateObject(), NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_read_markers(struct mx_client *cl, const char *room_id, const char *fully_read,
    const char *read, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *body;

	if (fully_read == NULL && read == NULL) {
		cause_set(cause, "no read marker to set");
		return NULL;
	}
	body = cJSON_CreateObject();
	if (fully_read != NULL)
		cJSON_AddStringToObject(body, "m.fully_read", fully_read);
	if (read != NULL)
		cJSON_AddStringToObject(body, "m.read", read);
	return api_call(cl, "POST", mx_path(cause, API_V3 "/rooms/%s/read_markers", room_id), body,
	    NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_typing(struct mx_client *cl, const char *room_id, const char *user_id, int typing,
    long timeout_ms, int flags, mx_cb cb, void *arg, char **cause)
{
	cJSON *body = cJSON_CreateObject();

	cJSON_AddBoolToObject(body, "typing", typing);
	if (typing)
		cJSON_AddNumberToObject(body, "timeout", (double)timeout_ms);
	return api_call(cl, "PUT", mx_path(cause, API_V3 "/rooms/%s/typing/%s", room_id, user_id),
	    body, NULL, flags, cb, arg, cause);
}

struct mx_call *
mx_upload(struct mx_client *cl, const char *path, const char *filename, const char *content_type,
    int flags, mx_cb cb, void *arg, char **cause)
{
	struct mx_req req;
	struct mx_call *call;
	const char *slash;

	if (filename == NULL)
		filename = (slash = strrchr(path, '/')) != NULL ? slash + 1 : path;
	memset(&req, 0, sizeof req);
	req.method = "POST";
	if ((req.path = mx_path(cause, "/_matrix/media/v3/upload?filename=%s", filename)) == NULL)
		return NULL;
	req.upload_path = path;
	req.content_type = content_type != NULL ? content_type : "application/octet-stream";
	req.pick = "content_uri";
	req.flags = flags;
	req.timeout_ms = -1;	/* a big file on a slow link: the stall limit watches */
	req.stall_s = API_MEDIA_STALL_S;
	call = mx_call_start(cl, &req, cb, arg, cause);
	free((char *)req.path);
	return call;
}

static int
api_mxc_char(char c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr(extra, c) != NULL);
}

/* Splits mxc://SERVER/MEDIA, allowing only the characters the spec gives
 * server names and media ids, so that neither can reach another path. */
static int
api_mxc(const char *mxc, char **server, char **media, char **cause)
{
	const char *p, *s;

	if (strncmp(mxc, "mxc://", 6) != 0)
		return cause_set(cause, "not an mxc:// URI");
	for (s = p = mxc + 6; api_mxc_char(*p, ".-:[]"); p++)
		;
	if (p == s || p - s > 255 || *p != '/')
		return cause_set(cause, "the mxc:// URI has no valid server name");
	for (s = ++p; api_mxc_char(*p, "-_"); p++)
		;
	if (p == s || p - s > 255 || *p != '\0')
		return cause_set(cause, "the mxc:// URI has no valid media id");
	*server = xstrndup(mxc + 6, (size_t)(s - 1 - (mxc + 6)));
	*media = xstrdup(s);
	return 0;
}

struct mx_call *
mx_download(struct mx_client *cl, const char *mxc, int fd, size_t max_bytes, int flags,
    mx_cb cb, void *arg, char **cause)
{
	struct mx_req req;
	struct mx_call *call;
	char *server = NULL, *media = NULL, *path;

	if (api_mxc(mxc, &server, &media, cause) == -1)
		return NULL;
	path = mx_path(cause, "/_matrix/client/v1/media/download/%s/%s", server, media);
	free(server);
	free(media);
	if (path == NULL)
		return NULL;
	memset(&req, 0, sizeof req);
	req.path = path;
	req.flags = flags | (fd >= 0 ? MX_SINK : MX_RAW);
	req.sink_fd = fd;
	req.timeout_ms = -1;
	req.stall_s = API_MEDIA_STALL_S;
	req.max_body = max_bytes;
	call = mx_call_start(cl, &req, cb, arg, cause);
	free(path);
	return call;
}

struct mx_call *
mx_profile_get(struct mx_client *cl, const char *user_id, int flags, mx_cb cb, void *arg,
    char **cause)
{
	return api_call(cl, "GET", mx_path(cause, API_V3 "/profile/%s", user_id), NULL, NULL,
	    flags, cb, arg, cause);
}
