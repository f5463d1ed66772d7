/* One room event from a cJSON tree into a struct mx_event: the fields
 * every event has, its relation, then what its type adds, found in a
 * sorted table. Unknown types keep their type and content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/rich.h"
#include "natter/util.h"
#include "mx-private.h"

/* 3000-01-01T00:00:00Z in ms: later timestamps are not believed. */
#define MX_TS_MAX 32503680000000LL

struct mx_type_handler {
	const char *type;
	int (*parse)(struct mx_event *, const cJSON *, const cJSON *, const char **);
	int empty_redacted;	/* an empty content means it was redacted */
};

static int parse_alias(struct mx_event *, const cJSON *, const cJSON *, const char **);
static int parse_encrypted(struct mx_event *, const cJSON *, const cJSON *, const char **);
static int parse_member(struct mx_event *, const cJSON *, const cJSON *, const char **);
static int parse_message(struct mx_event *, const cJSON *, const cJSON *, const char **);
static int parse_name(struct mx_event *, const cJSON *, const cJSON *, const char **);
static int parse_redaction(struct mx_event *, const cJSON *, const cJSON *, const char **);
static int parse_topic(struct mx_event *, const cJSON *, const cJSON *, const char **);

/* Sorted by type for bsearch. */
static const struct mx_type_handler mx_type_handlers[] = {
	{"m.reaction", NULL, 1},
	{"m.room.canonical_alias", parse_alias, 0},
	{"m.room.encrypted", parse_encrypted, 1},
	{"m.room.member", parse_member, 0},
	{"m.room.message", parse_message, 1},
	{"m.room.name", parse_name, 0},
	{"m.room.redaction", parse_redaction, 0},
	{"m.room.topic", parse_topic, 0},
	{"m.sticker", parse_message, 1},
};

/* Message types whose body may stand for a file name. Sorted. */
static const char *mx_media_msgtypes[] = {"m.audio", "m.file", "m.image", "m.video"};

static const struct {
	const char *name;
	enum mx_membership membership;
} mx_memberships[] = {
	{"ban", MX_MEMBERSHIP_BAN},
	{"invite", MX_MEMBERSHIP_INVITE},
	{"join", MX_MEMBERSHIP_JOIN},
	{"knock", MX_MEMBERSHIP_KNOCK},
	{"leave", MX_MEMBERSHIP_LEAVE},
};

static int
handler_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mx_type_handler *)elem)->type);
}

static int
string_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* True for state that describes the room itself (state_key ""). */
static int
room_state(const struct mx_event *ev)
{
	return ev->state_key != NULL && ev->state_key[0] == '\0';
}

static int
parse_alias(struct mx_event *ev, const cJSON *j, const cJSON *content, const char **why)
{
	const char *alias = mx_json_str(content, "alias");

	if (room_state(ev) && mx_alias_valid(alias))
		ev->alias = xstrdup(alias);
	return 0;
}

/* Megolm's fields; the key and session ids must be safe to use as keys
 * and in logs, so only base64 is taken. Anything else stays encrypted. */
static int
parse_encrypted(struct mx_event *ev, const cJSON *j, const cJSON *content, const char **why)
{
	ev->algorithm = mx_json_strdup(content, "algorithm");
	if (!streq(ev->algorithm, "m.megolm.v1.aes-sha2"))
		return 0;
	ev->sender_key = mx_json_b64(content, "sender_key");
	ev->session_id = mx_json_b64(content, "session_id");
	ev->ciphertext = mx_json_b64(content, "ciphertext");
	ev->device_id = mx_json_strdup(content, "device_id");
	return 0;
}

static int
parse_member(struct mx_event *ev, const cJSON *j, const cJSON *content, const char **why)
{
	const char *m = mx_json_str(content, "membership");

	if (!mx_id_valid(ev->state_key, '@')) {
		*why = "an m.room.member event has no user id as its state_key";
		return -1;
	}
	for (size_t i = 0; m != NULL && i < NT_NELEMS(mx_memberships); i++) {
		if (strcmp(m, mx_memberships[i].name) == 0)
			ev->membership = mx_memberships[i].membership;
	}
	ev->displayname = mx_json_strdup(content, "displayname");
	return 0;
}

/* The media fields of a message: url, file name, mime type and size. */
static void
message_media(struct mx_event *ev, const cJSON *content)
{
	const cJSON *info = mx_json_obj(content, "info");
	const char *url = mx_json_str(content, "url");
	int media;

	/* An encrypted file's url is inside "file", with its key (see
	 * mx_file_key_parse). */
	if (url == NULL)
		url = mx_json_str(mx_json_obj(content, "file"), "url");
	if (mx_mxc_valid(url))
		ev->url = xstrdup(url);
	media = streq(ev->type, "m.sticker") ||
	    (ev->msgtype != NULL && bsearch(ev->msgtype, mx_media_msgtypes,
	    NT_NELEMS(mx_media_msgtypes), sizeof *mx_media_msgtypes, string_cmp) != NULL);
	ev->filename = mx_json_strdup(content, "filename");
	if (ev->filename == NULL && media && ev->body != NULL)
		ev->filename = xstrdup(ev->body);
	ev->mimetype = mx_json_strdup(info, "mimetype");
	ev->size = mx_json_count(info, "size");
}

/* A reply from a client that follows a spec before v1.13 quotes what it
 * answers in front of its text; the quote is the sender's word for what
 * was said, so it is dropped (the spec's rules) and the cache's own copy
 * shown instead. */
static void
message_strip_fallback(struct mx_event *ev)
{
	size_t skip;

	if (ev->body != NULL && (skip = rich_reply_body_skip(ev->body)) > 0)
		memmove(ev->body, ev->body + skip, strlen(ev->body + skip) + 1);
	if (ev->formatted_body != NULL && (skip = rich_reply_html_skip(ev->formatted_body)) > 0)
		memmove(ev->formatted_body, ev->formatted_body + skip,
		    strlen(ev->formatted_body + skip) + 1);
	if (ev->formatted_body != NULL && ev->formatted_body[0] == '\0')
		xfree(&ev->formatted_body);
}

/* m.room.message and m.sticker; an edit shows its m.new_content. */
static int
parse_message(struct mx_event *ev, const cJSON *j, const cJSON *content, const char **why)
{
	const cJSON *nc = mx_json_obj(content, "m.new_content");

	if (streq(ev->rel_type, "m.replace") && nc != NULL)
		content = nc;
	ev->msgtype = mx_json_strdup(content, "msgtype");
	ev->body = mx_json_strdup(content, "body");
	if (streq(mx_json_str(content, "format"), "org.matrix.custom.html"))
		ev->formatted_body = mx_json_strdup(content, "formatted_body");
	if (ev->reply_to != NULL && content != nc)
		message_strip_fallback(ev);
	message_media(ev, content);
	/* Most messages are just this; nobody need keep their JSON twice. */
	ev->content_plain = content != nc && ev->msgtype != NULL && ev->body != NULL &&
	    cJSON_GetArraySize(content) == 2;
	return 0;
}

static int
parse_name(struct mx_event *ev, const cJSON *j, const cJSON *content, const char **why)
{
	if (room_state(ev))
		ev->name = mx_json_strdup(content, "name");
	return 0;
}

/* Room versions up to 10 put redacts at the top; v11 moved it to content. */
static int
parse_redaction(struct mx_event *ev, const cJSON *j, const cJSON *content, const char **why)
{
	ev->redacts = mx_json_id(j, "redacts", '$');
	if (ev->redacts == NULL)
		ev->redacts = mx_json_id(content, "redacts", '$');
	return 0;
}

static int
parse_topic(struct mx_event *ev, const cJSON *j, const cJSON *content, const char **why)
{
	if (room_state(ev))
		ev->topic = mx_json_strdup(content, "topic");
	return 0;
}

/* m.relates_to: a relation needs a valid target (and a reaction its key);
 * a reply needs a valid event id. Anything else is left out. An
 * encrypted event's relation is in its clear content, so a thread's
 * reply is known as one before it is decrypted. */
static void
event_relation(struct mx_event *ev, const cJSON *content)
{
	const cJSON *rel = mx_json_obj(content, "m.relates_to");
	const char *type = mx_json_str(rel, "rel_type");

	ev->reply_to = mx_json_id(mx_json_obj(rel, "m.in_reply_to"), "event_id", '$');
	/* A thread's reply names the thread's latest event only for clients
	 * that show no threads: no reply of its own. */
	if (streq(type, "m.thread") && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rel,
	    "is_falling_back")))
		xfree(&ev->reply_to);
	if (!mx_type_valid(type))
		return;
	ev->rel_event = mx_json_id(rel, "event_id", '$');
	if (streq(type, "m.annotation"))
		ev->key = mx_json_strdup(rel, "key");
	if (ev->rel_event == NULL || (streq(type, "m.annotation") && ev->key == NULL)) {
		xfree(&ev->rel_event);
		xfree(&ev->key);
		return;
	}
	ev->rel_type = xstrdup(type);
}

/* type, sender, state_key and event_id: without them there is no event.
 * Stripped state gets an event_id no server can send (see mx-parse.c). */
static const char *
event_ids(struct mx_event *ev, const cJSON *j, enum mx_event_mode mode, const char *room_id)
{
	const char *type = mx_json_str(j, "type");

	if (!mx_type_valid(type))
		return "an event has no valid type";
	ev->type = xstrdup(type);
	if ((ev->sender = mx_json_id(j, "sender", '@')) == NULL)
		return "an event has no valid sender";
	ev->state_key = mx_json_strdup(j, "state_key");
	if (ev->state_key == NULL && mode != MX_EVENT_TIMELINE)
		return "a state event has no state_key";
	if (mode == MX_EVENT_STRIPPED)
		ev->event_id = xasprintf("~%s/%s/%s", room_id, type, ev->state_key);
	else if ((ev->event_id = mx_json_id(j, "event_id", '$')) == NULL)
		return "an event has no valid event_id";
	return NULL;
}

/* The fields every event has apart from its ids. */
static void
event_common(struct mx_event *ev, const cJSON *j, const cJSON *content)
{
	const cJSON *unsign = mx_json_obj(j, "unsigned");
	int64_t ts;

	if (mx_json_int(j, "origin_server_ts", &ts) == 0 && ts > 0 && ts <= MX_TS_MAX)
		ev->ts = ts;
	ev->txn_id = mx_json_strdup(unsign, "transaction_id");
	ev->redacted = mx_json_obj(unsign, "redacted_because") != NULL;
}

/* Fills ev from the event object j. On error ev is left cleared and *why
 * says what was wrong; room_id names the room for stripped state. */
int
mx_event_from_json(const cJSON *j, enum mx_event_mode mode, const char *room_id,
    struct mx_event *ev, const char **why)
{
	const struct mx_type_handler *h;
	const cJSON *content = mx_json_obj(j, "content");

	memset(ev, 0, sizeof *ev);
	ev->size = -1;
	if (!cJSON_IsObject(j))
		*why = "an event is not a JSON object";
	else
		*why = event_ids(ev, j, mode, room_id);
	if (*why != NULL) {
		mx_event_clear(ev);
		return -1;
	}
	event_common(ev, j, content);
	event_relation(ev, content);
	h = bsearch(ev->type, mx_type_handlers, NT_NELEMS(mx_type_handlers),
	    sizeof *mx_type_handlers, handler_cmp);
	if (h != NULL && h->parse != NULL && h->parse(ev, j, content, why) != 0) {
		mx_event_clear(ev);
		return -1;
	}
	if (h != NULL && h->empty_redacted && ev->state_key == NULL &&
	    (content == NULL || content->child == NULL))
		ev->redacted = 1;
	if (!ev->content_plain) {
		ev->content = content != NULL ? cJSON_PrintUnformatted(content) : xstrdup("{}");
		if (ev->content == NULL)
			abort();	/* cJSON ran out of memory */
	}
	return 0;
}

/* The valid events of a JSON array, in order; the others are counted in
 * *skipped. NULL when there are none. */
struct mx_event *
mx_events_from_json(const cJSON *events, enum mx_event_mode mode, const char *room_id,
    size_t *n, size_t *skipped)
{
	struct mx_event *evs;
	const cJSON *j;
	const char *why;
	int max = cJSON_IsArray(events) ? cJSON_GetArraySize(events) : 0;

	*n = 0;
	if (max <= 0)
		return NULL;
	evs = xreallocarray(NULL, (size_t)max, sizeof *evs);
	cJSON_ArrayForEach(j, events) {
		if (mx_event_from_json(j, mode, room_id, &evs[*n], &why) == 0)
			(*n)++;
		else
			(*skipped)++;
	}
	if (*n == 0)
		xfree(&evs);
	return evs;
}
