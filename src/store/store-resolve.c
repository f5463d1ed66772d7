/* Resolving what a user typed as ROOM to a room id. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/sanitize.h"
#include "natter/util.h"
#include "store-private.h"

#define STORE_RESOLVE_LIST_MAX 10

/* A case-folded copy for comparing names as a person would. */
static char *
store_fold(const char *s)
{
	utf8proc_uint8_t *out = NULL;
	char *p;

	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD) >= 0)
		return (char *)out;
	p = xstrdup(s);
	for (char *c = p; *c != '\0'; c++) {
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	}
	return p;
}

static int
store_room_active(const struct store_room *room)
{
	return room->membership == MX_MEMBERSHIP_JOIN || room->membership == MX_MEMBERSHIP_INVITE;
}

static int
store_resolve_ambiguous(const char *what, const struct store_room *rooms, const size_t *idx,
    size_t k, char **cause)
{
	struct buf b = {0};
	char *w, *name, *id;

	for (size_t i = 0; i < k && i < STORE_RESOLVE_LIST_MAX; i++) {
		name = san_text(rooms[idx[i]].name, 0);
		id = san_text(rooms[idx[i]].room_id, 0);
		buf_printf(&b, "%s%s (%s)", i == 0 ? "" : ", ", name, id);
		free(name);
		free(id);
	}
	if (k > STORE_RESOLVE_LIST_MAX)
		buf_printf(&b, " and %zu more", k - STORE_RESOLVE_LIST_MAX);
	w = san_text(what, 0);
	cause_set(cause, "\"%s\" is ambiguous: %s", w, b.data);
	free(w);
	buf_free(&b);
	return -1;
}

/* Rooms whose folded name is want (exact) or starts with it. */
static size_t
store_resolve_matches(const struct store_room *rooms, char **folded, size_t n,
    const char *want, int exact, int active_only, size_t *idx)
{
	size_t len = strlen(want), k = 0;

	for (size_t i = 0; i < n; i++) {
		if (active_only && !store_room_active(&rooms[i]))
			continue;
		if (exact ? strcmp(folded[i], want) == 0 : strncmp(folded[i], want, len) == 0)
			idx[k++] = i;
	}
	return k;
}

/* By name: exact before prefix, and rooms we are in (or invited to)
 * before rooms we left, so an old room never makes a name ambiguous. */
static char *
store_resolve_name(struct store *st, const char *what, char **cause)
{
	struct store_room *rooms;
	char **folded, *want, *id = NULL, *w;
	size_t n, k = 0, *idx;

	if (store_room_names(st, &rooms, &n, cause) != 0)
		return NULL;
	folded = xcalloc(n + 1, sizeof *folded);
	idx = xcalloc(n + 1, sizeof *idx);
	for (size_t i = 0; i < n; i++)
		folded[i] = store_fold(rooms[i].name);
	want = store_fold(what);
	for (int exact = 1; exact >= 0 && k == 0; exact--) {
		for (int active = 1; active >= 0 && k == 0; active--)
			k = store_resolve_matches(rooms, folded, n, want, exact, active, idx);
	}
	if (k == 1)
		id = xstrdup(rooms[idx[0]].room_id);
	else if (k > 1)
		store_resolve_ambiguous(what, rooms, idx, k, cause);
	else {
		w = san_text(what, 0);
		cause_set(cause, "no room matches \"%s\"", w);
		free(w);
	}
	for (size_t i = 0; i < n; i++)
		free(folded[i]);
	free(folded);
	free(idx);
	free(want);
	store_rooms_free(&rooms, n);
	return id;
}

static int
store_resolve_alias_many(struct store *st, const char *alias, char **ids, size_t n,
    char **cause)
{
	struct store_room *rooms = xcalloc(n, sizeof *rooms);
	size_t *idx = xcalloc(n, sizeof *idx);

	for (size_t i = 0; i < n; i++) {
		idx[i] = i;
		if (store_room_get(st, ids[i], &rooms[i], NULL) != 0) {
			rooms[i].room_id = xstrdup(ids[i]);
			rooms[i].name = xstrdup("?");
		}
	}
	store_resolve_ambiguous(alias, rooms, idx, n, cause);
	for (size_t i = 0; i < n; i++)
		store_room_clear(&rooms[i]);
	free(rooms);
	free(idx);
	return -1;
}

/* By canonical or alt alias: 1 found, 0 none, -1 error or ambiguous. */
static int
store_resolve_alias(struct store *st, const char *alias, char **id, char **cause)
{
	sqlite3_stmt *s;
	char **ids = NULL;
	size_t n = 0;
	int r;

	if ((s = store_stmt(st, STORE_SQL_ALIAS_ROOMS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, alias);
	while ((r = store_row(st, s, "cannot read aliases", cause)) == 1) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = store_column_text(s, 0);
	}
	if (r == 0 && n == 1) {
		*id = ids[0];
		free(ids);
		return 1;
	}
	if (r == 0 && n > 1)
		r = store_resolve_alias_many(st, alias, ids, n, cause);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return r;
}

static int
store_resolve_id(struct store *st, const char *room_id, char **id, char **cause)
{
	struct store_room room;

	if (store_room_get(st, room_id, &room, NULL) != 0)
		return 0;
	*id = room.room_id;
	room.room_id = NULL;
	store_room_clear(&room);
	return 1;
}

char *
store_room_resolve(struct store *st, const char *what, char **cause)
{
	char *id = NULL, *w;
	int r = 0;

	if (what == NULL || *what == '\0') {
		cause_set(cause, "no room given");
		return NULL;
	}
	if (what[0] == '@' && strchr(what, ':') != NULL) {
		if ((id = store_dm_room(st, what, NULL)) == NULL) {
			w = san_text(what, 0);
			cause_set(cause, "no direct chat with %s in the cache", w);
			free(w);
		}
		return id;
	}
	if (what[0] == '!')
		r = store_resolve_id(st, what, &id, cause);
	else if (what[0] == '#')
		r = store_resolve_alias(st, what, &id, cause);
	if (r != 0)
		return r == 1 ? id : NULL;
	/* A room name may start with ! or # too. */
	return store_resolve_name(st, what, cause);
}
