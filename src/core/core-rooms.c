/* What a user does to rooms: leave, invite, topic, name, delete,
 * finding a room by what they typed, read markers and typing notices
 * (joining and direct chats are in core-direct.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

/* A JSON object of one string member, for a request body or content. */
static char *
core_json_string(const char *key, const char *value)
{
	cJSON *obj = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(obj, key, value);
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (text == NULL) {
		fputs("natter: out of memory\n", stderr);
		abort();
	}
	return text;
}

/* A new op whose what names the room by its label: "cannot leave %s". */
static struct core_op *
core_room_op(struct core *c, const char *fmt, const char *room_id, core_done_cb done, void *arg)
{
	char *label = core_room_label(c, room_id);
	char *what = xasprintf(fmt, label);
	struct core_op *op = core_op_new(c, done, arg, what);

	free(what);
	free(label);
	return op;
}

int
core_leave(struct core *c, const char *room_id, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op = core_room_op(c, "cannot leave %s", room_id, done, arg);

	op->result = xstrdup(room_id);
	op->call = mx_leave(c->mx, room_id, 0, core_op_answer, op, cause);
	return core_op_started(op, cause);
}

int
core_invite(struct core *c, const char *room_id, const char *user_id, core_done_cb done,
    void *arg, char **cause)
{
	char *label = core_room_label(c, room_id);
	char *what = xasprintf("cannot invite %s to %s", user_id, label);
	struct core_op *op = core_op_new(c, done, arg, what);

	free(what);
	free(label);
	op->result = xstrdup(room_id);
	op->call = mx_invite(c->mx, room_id, user_id, 0, core_op_answer, op, cause);
	return core_op_started(op, cause);
}

int
core_topic(struct core *c, const char *room_id, const char *text, core_done_cb done, void *arg,
    char **cause)
{
	struct core_op *op = core_room_op(c, "cannot set the topic of %s", room_id, done, arg);
	char *content = core_json_string("topic", text);

	op->result = xstrdup(room_id);
	op->call = mx_state_put(c->mx, room_id, "m.room.topic", "", content, 0, core_op_answer, op,
	    cause);
	cJSON_free(content);
	return core_op_started(op, cause);
}

int
core_nick(struct core *c, const char *displayname, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op;
	char *body, *what;

	if (core_self(c) == NULL)
		return cause_set(cause, "the session names no user: log in again");
	what = xasprintf("cannot change your name to %s", displayname);
	op = core_op_new(c, done, arg, what);
	free(what);
	body = core_json_string("displayname", displayname);
	op->result = xstrdup(displayname);
	op->call = mx_request(c->mx, "PUT", body, 0, core_op_answer, op, cause,
	    "/_matrix/client/v3/profile/%s/displayname", core_self(c));
	cJSON_free(body);
	return core_op_started(op, cause);
}

int
core_redact(struct core *c, const char *room_id, const char *event_id, core_done_cb done,
    void *arg, char **cause)
{
	struct core_op *op = core_room_op(c, "cannot delete the message in %s", room_id, done, arg);
	char *txn = mx_txn_new();

	op->result = xstrdup(event_id);
	op->call = mx_redact(c->mx, room_id, event_id, txn, NULL, 0, core_op_answer, op, cause);
	free(txn);
	return core_op_started(op, cause);
}

int
core_resolve(struct core *c, const char *what, int flags, core_done_cb done, void *arg,
    char **cause)
{
	struct core_op *op;
	char *id, *why = NULL, *label;

	if (what[0] == '@' && (flags & CORE_RESOLVE_DM) && c->logged_in)
		return core_dm(c, what, NULL, done, arg, cause);
	if ((id = store_room_resolve(c->store, what, &why)) != NULL) {
		core_op_later(core_op_new(c, done, arg, NULL), CORE_DONE, id);
		free(id);
		return 0;
	}
	if (what[0] != '#' || strchr(what, ':') == NULL || !c->logged_in) {
		cause_set(cause, "%s", why);
		free(why);
		return -1;
	}
	free(why);
	label = xasprintf("cannot look up %s", what);
	op = core_op_new(c, done, arg, label);
	free(label);
	op->call = mx_alias_resolve(c->mx, what, 0, core_op_answer, op, cause);
	return core_op_started(op, cause);
}

static struct core_mark *
core_mark_find(struct core *c, const char *room_id)
{
	for (size_t i = 0; i < c->n_marks; i++)
		if (strcmp(c->marks[i].room_id, room_id) == 0)
			return &c->marks[i];
	return NULL;
}

/* Forgets a mark that did not reach the server, so asking again retries. */
static void
core_mark_forget(struct core *c, const char *room_id, const char *event_id)
{
	struct core_mark *m = core_mark_find(c, room_id);

	if (m != NULL && m->event_id != NULL && strcmp(m->event_id, event_id) == 0)
		xfree(&m->event_id);
}

static void
core_mark_done(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;

	if (!res->ok)
		core_mark_forget(op->c, op->room_id, op->result);
	core_op_answer(res, arg);
}

int
core_mark_read(struct core *c, const char *room_id, const char *event_id, core_done_cb done,
    void *arg, char **cause)
{
	struct core_mark *m = core_mark_find(c, room_id);
	char *what = xasprintf("cannot mark %s read", event_id);
	struct core_op *op = core_op_new(c, done, arg, what);

	free(what);
	op->room_id = xstrdup(room_id);
	op->result = xstrdup(event_id);
	if (m != NULL && m->event_id != NULL && strcmp(m->event_id, event_id) == 0) {
		core_op_later(op, CORE_DONE, op->result);
		return 0;
	}
	if (m == NULL) {
		c->marks = xreallocarray(c->marks, c->n_marks + 1, sizeof *c->marks);
		m = &c->marks[c->n_marks++];
		m->room_id = xstrdup(room_id);
		m->event_id = NULL;
	}
	free(m->event_id);
	m->event_id = xstrdup(event_id);
	op->call = mx_read_markers(c->mx, room_id, event_id, event_id, 0, core_mark_done, op,
	    cause);
	if (op->call == NULL)
		core_mark_forget(c, room_id, event_id);
	return core_op_started(op, cause);
}

void
core_marks_free(struct core *c)
{
	for (size_t i = 0; i < c->n_marks; i++) {
		free(c->marks[i].room_id);
		free(c->marks[i].event_id);
	}
	xfree(&c->marks);
	c->n_marks = 0;
}

static void
core_typing_send(struct core *c, const char *room_id, int typing)
{
	struct core_op *op = core_op_new(c, NULL, NULL, "cannot send the typing notice");
	char *cause = NULL;

	op->call = mx_typing(c->mx, room_id, core_self(c), typing, CORE_TYPING_MS, MX_NORETRY,
	    core_op_answer, op, &cause);
	if (core_op_started(op, &cause) == -1)
		log_msg("%s", cause);
	free(cause);
}

void
core_typing(struct core *c, const char *room_id, int typing)
{
	int64_t now = nt_mono_ms();
	int same = c->typing_room != NULL && room_id != NULL &&
	    strcmp(c->typing_room, room_id) == 0;

	if (core_self(c) == NULL)
		return;
	if (c->typing_room != NULL && (!typing || !same)) {
		core_typing_send(c, c->typing_room, 0);
		xfree(&c->typing_room);
	}
	if (!typing || room_id == NULL || (same && now - c->typing_ms < CORE_TYPING_RENEW_MS))
		return;
	core_typing_send(c, room_id, 1);
	free(c->typing_room);
	c->typing_room = xstrdup(room_id);
	c->typing_ms = now;
}
