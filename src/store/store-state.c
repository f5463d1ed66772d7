/* Current room state: the state table, members, and the name, topic and
 * alias kept on the room for the room list. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

static int
store_room_set(struct store *st, enum store_sql id, const char *room_id, const char *value,
    char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, id, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, value);
	return store_run(st, s, "cannot update a room", cause);
}

static int
store_member_put(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause)
{
	sqlite3_stmt *s;

	/* A member event with no usable membership must not unseat one. */
	if (ev->membership == MX_MEMBERSHIP_NONE || ev->state_key[0] == '\0')
		return 0;
	store_names_forget(st);
	if ((s = store_stmt(st, STORE_SQL_MEMBER_PUT, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, ev->state_key);
	sqlite3_bind_int(s, 3, (int)ev->membership);
	store_bind_text(s, 4, ev->displayname);
	return store_run(st, s, "cannot update a member", cause);
}

/* The columns of rooms that mirror one state event, or -1. */
static int
store_state_column(const char *type, const char *state_key)
{
	if (state_key[0] != '\0')
		return -1;
	if (strcmp(type, "m.room.name") == 0)
		return STORE_SQL_ROOM_NAME;
	if (strcmp(type, "m.room.topic") == 0)
		return STORE_SQL_ROOM_TOPIC;
	if (strcmp(type, "m.room.canonical_alias") == 0)
		return STORE_SQL_ROOM_ALIAS;
	return -1;
}

static int
store_state_put(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_STATE_PUT, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, ev->type);
	store_bind_text(s, 3, ev->state_key);
	store_bind_text(s, 4, ev->event_id);
	store_bind_text(s, 5, ev->content ? ev->content : "{}");
	return store_run(st, s, "cannot update room state", cause);
}

int
store_state_apply(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause)
{
	int column;

	if (ev->state_key == NULL || !store_event_usable(ev))
		return 0;
	if (store_state_put(st, room_id, ev, cause) != 0)
		return -1;
	if (strcmp(ev->type, "m.room.member") == 0)
		return store_member_put(st, room_id, ev, cause);
	switch ((column = store_state_column(ev->type, ev->state_key))) {
	case STORE_SQL_ROOM_NAME:
		return store_room_set(st, column, room_id, ev->name, cause);
	case STORE_SQL_ROOM_TOPIC:
		return store_room_set(st, column, room_id, ev->topic, cause);
	case STORE_SQL_ROOM_ALIAS:
		return store_room_set(st, column, room_id, ev->alias, cause);
	}
	return 0;
}

/* The event that set some current state was redacted: its content is
 * now the redacted one, and what the room showed from it is gone. */
int
store_state_redact(struct store *st, const char *room_id, const char *event_id,
    const char *content, char **cause)
{
	sqlite3_stmt *s;
	char *type, *state_key;
	int column, r;

	if ((s = store_stmt(st, STORE_SQL_STATE_REDACT, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, event_id);
	store_bind_text(s, 3, content);
	if ((r = store_row(st, s, "cannot update room state", cause)) != 1)
		return r;
	type = store_column_text(s, 0);
	state_key = store_column_text(s, 1);
	store_names_forget(st);
	while ((r = store_row(st, s, "cannot update room state", cause)) == 1)
		;
	if (r == 0 && strcmp(type, "m.room.member") == 0)
		r = store_room_set(st, STORE_SQL_MEMBER_FORGET_NAME, room_id, state_key, cause);
	else if (r == 0 && (column = store_state_column(type, state_key)) != -1)
		r = store_room_set(st, column, room_id, NULL, cause);
	free(type);
	free(state_key);
	return r;
}

int
store_room_last_ts(struct store *st, const char *room_id, int64_t ts, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_ROOM_LAST_TS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, ts);
	return store_run(st, s, "cannot update a room", cause);
}
