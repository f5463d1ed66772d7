/* Room members and the names they are shown by. */
#include <stdlib.h>
#include <string.h>

#include "natter/naming.h"
#include "natter/util.h"
#include "store-private.h"

/* The joined and invited members of a room, sorted by user id, with a
 * spare slot at the end for naming anyone else against them. */
struct store_namer {
	struct store *st;
	char *room_id;
	struct naming_member *m;
	char **strings;
	size_t n;
};

static int
store_namer_load(struct store_namer *nm, char **cause)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int r;

	if ((s = store_stmt(nm->st, STORE_SQL_MEMBERS_NAMING, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, nm->room_id);
	while ((r = store_row(nm->st, s, "cannot read members", cause)) == 1) {
		if (nm->n + 2 > cap) {
			cap = cap == 0 ? 16 : cap * 2;
			nm->m = xreallocarray(nm->m, cap, sizeof *nm->m);
			nm->strings = xreallocarray(nm->strings, 2 * cap, sizeof *nm->strings);
		}
		nm->strings[2 * nm->n] = store_column_text(s, 0);
		nm->strings[2 * nm->n + 1] = store_column_text(s, 1);
		nm->m[nm->n].user_id = nm->strings[2 * nm->n];
		nm->m[nm->n].displayname = nm->strings[2 * nm->n + 1];
		nm->n++;
	}
	if (nm->m == NULL)
		nm->m = xcalloc(1, sizeof *nm->m);
	return r;
}

struct store_namer *
store_namer_new(struct store *st, const char *room_id, char **cause)
{
	struct store_namer *nm = xcalloc(1, sizeof *nm);

	nm->st = st;
	nm->room_id = xstrdup(room_id);
	if (store_namer_load(nm, cause) != 0)
		store_namer_free(&nm);
	return nm;
}

void
store_namer_free(struct store_namer **nmp)
{
	struct store_namer *nm = *nmp;

	if (nm == NULL)
		return;
	for (size_t i = 0; i < 2 * nm->n; i++)
		free(nm->strings[i]);
	free(nm->strings);
	free(nm->m);
	free(nm->room_id);
	xfree(nmp);
}

static int
store_namer_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct naming_member *)elem)->user_id);
}

char *
store_member_displayname(struct store *st, const char *room_id, const char *user_id)
{
	return store_text_of(st, STORE_SQL_MEMBER_DISPLAYNAME, room_id, user_id,
	    "cannot read members");
}

char *
store_namer_name(struct store_namer *nm, const char *user_id)
{
	const struct naming_member *hit;
	char *displayname, *name;

	hit = bsearch(user_id, nm->m, nm->n, sizeof *nm->m, store_namer_cmp);
	if (hit != NULL)
		return naming_member_name(nm->m, nm->n, (size_t)(hit - nm->m));
	displayname = store_member_displayname(nm->st, nm->room_id, user_id);
	nm->m[nm->n].user_id = user_id;
	nm->m[nm->n].displayname = displayname;
	name = naming_member_name(nm->m, nm->n + 1, nm->n);
	free(displayname);
	return name;
}

static void
store_member_fill(struct store_namer *nm, sqlite3_stmt *s, struct store_member *m)
{
	m->user_id = store_column_text(s, 0);
	m->displayname = store_column_text(s, 1);
	m->membership = (enum mx_membership)sqlite3_column_int(s, 2);
	m->name = store_namer_name(nm, m->user_id);
}

int
store_members(struct store *st, const char *room_id, struct store_member **members,
    size_t *n, char **cause)
{
	struct store_namer *nm;
	sqlite3_stmt *s;
	int r;

	*members = NULL;
	*n = 0;
	if ((nm = store_namer_new(st, room_id, cause)) == NULL)
		return -1;
	if ((s = store_stmt(st, STORE_SQL_MEMBERS_LIST, cause)) == NULL) {
		store_namer_free(&nm);
		return -1;
	}
	store_bind_text(s, 1, room_id);
	while ((r = store_row(st, s, "cannot read members", cause)) == 1) {
		*members = xreallocarray(*members, *n + 1, sizeof **members);
		store_member_fill(nm, s, &(*members)[(*n)++]);
	}
	store_namer_free(&nm);
	if (r == -1) {
		store_members_free(members, *n);
		*n = 0;
	}
	return r;
}

void
store_members_free(struct store_member **members, size_t n)
{
	if (*members == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*members)[i].user_id);
		free((*members)[i].displayname);
		free((*members)[i].name);
	}
	xfree(members);
}

/* The meta key saying that room_id's member list is whole. */
static char *
store_members_key(const char *room_id)
{
	return xasprintf("members.whole.%s", room_id);
}

int
store_members_whole(struct store *st, const char *room_id)
{
	char *key = store_members_key(room_id), *v = store_meta_get(st, key);
	int whole = v != NULL;

	free(key);
	free(v);
	return whole;
}

int
store_members_load(struct store *st, const char *room_id, const struct mx_event *evs,
    size_t n, char **cause)
{
	char *key = store_members_key(room_id);
	int own = !st->batch;

	if (own && store_write_begin(st, cause) != 0) {
		free(key);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (evs[i].state_key != NULL && strcmp(evs[i].type, "m.room.member") == 0 &&
		    store_state_apply(st, room_id, &evs[i], cause) != 0)
			goto fail;
	if (store_meta_set(st, key, "1", cause) != 0)
		goto fail;
	free(key);
	return own ? store_write_commit(st, cause) : 0;
fail:
	free(key);
	if (own)
		store_write_abort(st);
	return -1;
}

int
store_members_unsure(struct store *st, const char *room_id, char **cause)
{
	char *key = store_members_key(room_id);
	int r = store_meta_unset(st, key, cause);

	free(key);
	return r;
}
