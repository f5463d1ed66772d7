/* The room list: rooms with names computed the spec's way, and direct
 * chats from m.direct (and invitations that say is_direct). */
#include <stdlib.h>
#include <string.h>

#include "natter/naming.h"
#include "natter/sanitize.h"
#include "natter/util.h"
#include "store-private.h"

#define STORE_HEROES_MAX 5

/* Heroes of one room, with the strings they point to. */
struct store_heroes {
	struct naming_member m[STORE_HEROES_MAX];
	char *id[STORE_HEROES_MAX];
	char *name[STORE_HEROES_MAX];
	size_t n;
};

static void
store_heroes_add(struct store_heroes *h, sqlite3_stmt *s)
{
	h->id[h->n] = store_column_text(s, 0);
	h->name[h->n] = store_column_text(s, 1);
	h->m[h->n].user_id = h->id[h->n];
	h->m[h->n].displayname = h->name[h->n];
	h->n++;
}

static void
store_heroes_clear(struct store_heroes *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->id[i]);
		free(h->name[i]);
	}
	h->n = 0;
}

/* Appends up to STORE_HEROES_MAX rows of a (room_id, self) query. */
static int
store_heroes_query(struct store *st, enum store_sql sql, const char *room_id,
    const char *self, struct store_heroes *h, char **cause)
{
	sqlite3_stmt *s;
	int r = 0;

	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, self);
	while (h->n < STORE_HEROES_MAX && (r = store_row(st, s, "cannot read members", cause)) == 1)
		store_heroes_add(h, s);
	store_done(s);
	return r == -1 ? -1 : 0;
}

/* The summary's heroes, else the first joined or invited members other
 * than self, else the first who left (for "Empty room (was ...)"). */
static int
store_heroes_get(struct store *st, const char *room_id, const char *self,
    struct store_heroes *h, char **cause)
{
	static const enum store_sql sqls[] = {
		STORE_SQL_HEROES_OF, STORE_SQL_MEMBERS_FIRST, STORE_SQL_MEMBERS_FORMER,
	};

	h->n = 0;
	for (size_t i = 0; i < NT_NELEMS(sqls) && h->n == 0; i++) {
		if (store_heroes_query(st, sqls[i], room_id, self, h, cause) != 0)
			return -1;
	}
	return 0;
}

static char *
store_room_name(struct store *st, const struct store_room *room, const char *name,
    int64_t invited, const char *self, char **cause)
{
	struct store_heroes h = {0};
	struct naming_room nr = {0};
	char *out;

	nr.name = name;
	nr.canonical_alias = room->canonical_alias;
	/* Most rooms are named: reading their heroes would be wasted. */
	if (!naming_room_named(&nr) &&
	    store_heroes_get(st, room->room_id, self, &h, cause) != 0) {
		store_heroes_clear(&h);
		return NULL;
	}
	nr.self = self;
	nr.heroes = h.m;
	nr.n_heroes = h.n;
	nr.joined_count = room->joined_count;
	nr.invited_count = invited;
	out = naming_room_name(&nr);
	store_heroes_clear(&h);
	return out;
}

/* Fills room from a row of STORE_ROOM_COLUMNS (see store-sql.c). */
static int
store_room_fill(struct store *st, sqlite3_stmt *s, const char *self, struct store_room *room,
    char **cause)
{
	const char *name = (const char *)sqlite3_column_text(s, 2);

	memset(room, 0, sizeof *room);
	room->room_id = store_column_text(s, 0);
	room->membership = (enum mx_membership)sqlite3_column_int(s, 1);
	room->topic = store_column_text(s, 3);
	room->canonical_alias = store_column_text(s, 4);
	room->unread = sqlite3_column_int64(s, 5);
	room->highlight = sqlite3_column_int64(s, 6);
	room->last_ts = sqlite3_column_int64(s, 7);
	room->favourite = sqlite3_column_int(s, 8);
	room->lowpriority = sqlite3_column_int(s, 9);
	room->joined_count = sqlite3_column_int64(s, 10);
	room->dm_user = store_column_text(s, 12);
	room->is_direct = room->dm_user != NULL;
	room->encrypted = sqlite3_column_int(s, 13);
	room->is_space = sqlite3_column_int(s, 14);
	room->name = store_room_name(st, room, name, sqlite3_column_int64(s, 11), self, cause);
	if (room->name == NULL) {
		store_room_clear(room);
		return -1;
	}
	return 0;
}

int
store_rooms(struct store *st, struct store_room **rooms, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	char *self;
	int r;

	*rooms = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_ROOMS_LIST, cause)) == NULL)
		return -1;
	self = store_meta_get(st, "self");
	while ((r = store_row(st, s, "cannot read rooms", cause)) == 1) {
		*rooms = xreallocarray(*rooms, *n + 1, sizeof **rooms);
		if (store_room_fill(st, s, self, &(*rooms)[*n], cause) != 0) {
			r = -1;
			break;
		}
		(*n)++;
	}
	store_done(s);
	free(self);
	if (r == -1) {
		store_rooms_free(rooms, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

/* The name of a room of a STORE_SQL_ROOM_NAMES row: its own, or as
 * store_room_get computes it from heroes. */
static char *
store_room_names_one(struct store *st, sqlite3_stmt *s, char **cause)
{
	struct naming_room nr = {0};
	struct store_room room;
	char *name;

	nr.name = (const char *)sqlite3_column_text(s, 2);
	nr.canonical_alias = (const char *)sqlite3_column_text(s, 3);
	if (naming_room_named(&nr))
		return naming_room_name(&nr);
	if (store_room_get(st, (const char *)sqlite3_column_text(s, 0), &room, cause) != 0)
		return NULL;
	name = room.name;
	room.name = NULL;
	store_room_clear(&room);
	return name;
}

int
store_room_names(struct store *st, struct store_room **rooms, size_t *n, char **cause)
{
	struct store_room *room;
	sqlite3_stmt *s;
	int r;

	*rooms = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_ROOM_NAMES, cause)) == NULL)
		return -1;
	while ((r = store_row(st, s, "cannot read rooms", cause)) == 1) {
		*rooms = xreallocarray(*rooms, *n + 1, sizeof **rooms);
		room = memset(&(*rooms)[(*n)++], 0, sizeof *room);
		room->room_id = store_column_text(s, 0);
		room->membership = (enum mx_membership)sqlite3_column_int(s, 1);
		if ((room->name = store_room_names_one(st, s, cause)) == NULL) {
			r = -1;
			break;
		}
	}
	store_done(s);
	if (r == -1) {
		store_rooms_free(rooms, *n);
		*n = 0;
	}
	return r == -1 ? -1 : 0;
}

int
store_room_get(struct store *st, const char *room_id, struct store_room *room, char **cause)
{
	sqlite3_stmt *s;
	char *self, *safe;
	int r;

	memset(room, 0, sizeof *room);
	if ((s = store_stmt(st, STORE_SQL_ROOM_ONE, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	if ((r = store_row(st, s, "cannot read rooms", cause)) != 1) {
		if (r == 0) {
			safe = san_text(room_id, 0);
			cause_set(cause, "no room %s in the cache", safe);
			free(safe);
		}
		return -1;
	}
	self = store_meta_get(st, "self");
	r = store_room_fill(st, s, self, room, cause);
	store_done(s);
	free(self);
	return r;
}

void
store_room_clear(struct store_room *room)
{
	free(room->room_id);
	free(room->name);
	free(room->topic);
	free(room->canonical_alias);
	free(room->dm_user);
	memset(room, 0, sizeof *room);
}

void
store_rooms_free(struct store_room **rooms, size_t n)
{
	if (*rooms == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_room_clear(&(*rooms)[i]);
	xfree(rooms);
}

char *
store_dm_room(struct store *st, const char *user_id, int *listed)
{
	sqlite3_stmt *s;
	char *room_id = NULL;

	if (listed != NULL)
		*listed = 0;
	if ((s = store_stmt(st, STORE_SQL_DM_ROOM, NULL)) == NULL)
		return NULL;
	store_bind_text(s, 1, user_id);
	if (store_row(st, s, "cannot read direct chats", NULL) == 1) {
		room_id = store_column_text(s, 0);
		if (listed != NULL)
			*listed = sqlite3_column_int(s, 1);
	}
	store_done(s);
	return room_id;
}

int
store_direct_add(struct store *st, const char *user_id, const char *room_id, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_DIRECT_PUT, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, user_id);
	store_bind_text(s, 2, room_id);
	return store_run(st, s, "cannot save a direct chat", cause);
}

int
store_room_encrypted(struct store *st, const char *room_id)
{
	return store_has(st, STORE_SQL_ROOM_ENCRYPTED, room_id, "cannot read room state", NULL);
}

const char *
store_membership_name(enum mx_membership m)
{
	switch (m) {
	case MX_MEMBERSHIP_JOIN:
		return "join";
	case MX_MEMBERSHIP_INVITE:
		return "invite";
	case MX_MEMBERSHIP_LEAVE:
		return "leave";
	case MX_MEMBERSHIP_BAN:
		return "ban";
	case MX_MEMBERSHIP_KNOCK:
		return "knock";
	case MX_MEMBERSHIP_NONE:
		break;
	}
	return "none";
}

int
store_space_links(struct store *st, struct store_space_link **links, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int r;

	*links = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_SPACE_LINKS, cause)) == NULL)
		return -1;
	while ((r = store_row(st, s, "cannot read spaces", cause)) == 1) {
		*links = xreallocarray(*links, *n + 1, sizeof **links);
		(*links)[*n].space_id = store_column_text(s, 0);
		(*links)[(*n)++].room_id = store_column_text(s, 1);
	}
	store_done(s);
	if (r == -1) {
		store_space_links_free(links, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

void
store_space_links_free(struct store_space_link **links, size_t n)
{
	for (size_t i = 0; *links != NULL && i < n; i++) {
		free((*links)[i].space_id);
		free((*links)[i].room_id);
	}
	xfree(links);
}
