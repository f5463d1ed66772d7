/* The room list's model: the rooms of the cache in sections, VIPs'
 * rooms first, the rooms of each space under its name (folded or not),
 * spaces themselves left out: they are not rooms to chat in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/text.h"
#include "ui-private.h"

#define UI_FOLD_KEY "ui.folded:"	/* store meta: a folded space, by id */

static enum ui_section
ui_room_section(const struct store_room *r)
{
	/* An invitation to a direct chat is listed with the direct chats. */
	if (r->membership == MX_MEMBERSHIP_INVITE)
		return r->is_direct ? UI_SECTION_DIRECT : UI_SECTION_INVITES;
	if (r->favourite)
		return UI_SECTION_FAVOURITES;
	if (r->lowpriority)
		return UI_SECTION_LOW;
	return r->is_direct ? UI_SECTION_DIRECT : UI_SECTION_ROOMS;
}

static void
ui_spaces_free(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_spaces; i++) {
		free(ui->spaces[i].room_id);
		free(ui->spaces[i].name);
	}
	xfree(&ui->spaces);
	ui->n_spaces = 0;
}

void
ui_rooms_free(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_rooms; i++) {
		free(ui->rooms[i].room_id);
		free(ui->rooms[i].name);
		free(ui->rooms[i].alias);
		free(ui->rooms[i].dm_user);
		for (size_t j = 0; j < ui->rooms[i].n_spaces; j++)
			free(ui->rooms[i].spaces[j]);
		free(ui->rooms[i].spaces);
	}
	xfree(&ui->rooms);
	ui->n_rooms = 0;
	ui_spaces_free(ui);
}

static int
ui_space_cmp(const void *a, const void *b)
{
	const struct ui_space *x = a, *y = b;
	char *fx = text_fold_str(x->name), *fy = text_fold_str(y->name);
	int c = strcmp(fx, fy);

	free(fx);
	free(fy);
	return c != 0 ? c : strcmp(x->room_id, y->room_id);
}

static int
ui_space_folded(struct ui *ui, const char *space_id)
{
	char *key = xasprintf(UI_FOLD_KEY "%s", space_id), *v = store_meta_get(ui->store, key);
	int folded = v != NULL && strcmp(v, "1") == 0;

	free(v);
	free(key);
	return folded;
}

/* The spaces the account is in, by name. */
static void
ui_spaces_read(struct ui *ui, const struct store_room *rooms, size_t n)
{
	ui->spaces = xcalloc(n ? n : 1, sizeof *ui->spaces);
	for (size_t i = 0; i < n; i++) {
		struct ui_space *sp = &ui->spaces[ui->n_spaces];

		if (!rooms[i].is_space || rooms[i].membership != MX_MEMBERSHIP_JOIN)
			continue;
		sp->room_id = xstrdup(rooms[i].room_id);
		sp->name = san_text(rooms[i].name, 0);
		sp->folded = ui_space_folded(ui, sp->room_id);
		ui->n_spaces++;
	}
	qsort(ui->spaces, ui->n_spaces, sizeof *ui->spaces, ui_space_cmp);
}

static int
ui_space_index(const struct ui *ui, const char *space_id)
{
	for (size_t i = 0; i < ui->n_spaces; i++)
		if (strcmp(ui->spaces[i].room_id, space_id) == 0)
			return (int)i;
	return -1;
}

/* Which spaces room r is in (their names for Ctrl-K), and the first of
 * them by name, or -1. */
static int
ui_room_spaces(struct ui *ui, struct ui_room *r, const struct store_space_link *links,
    size_t n_links)
{
	int first = -1;

	for (size_t i = 0; i < n_links; i++) {
		int sp;

		if (strcmp(links[i].room_id, r->room_id) != 0 ||
		    (sp = ui_space_index(ui, links[i].space_id)) < 0)
			continue;
		r->spaces = xreallocarray(r->spaces, r->n_spaces + 1, sizeof *r->spaces);
		r->spaces[r->n_spaces++] = xstrdup(ui->spaces[sp].name);
		if (first < 0 || sp < first)
			first = sp;
	}
	return first;
}

static void
ui_room_fill(struct ui *ui, struct ui_room *r, const struct store_room *sr,
    const struct store_space_link *links, size_t n_links)
{
	int grouped = ui->settings == NULL || ui->settings->ui.spaces;

	r->room_id = xstrdup(sr->room_id);
	r->name = san_text(sr->name, 0);
	/* The switcher finds a room by these too. */
	r->alias = sr->canonical_alias != NULL ? san_text(sr->canonical_alias, 0) : NULL;
	r->dm_user = sr->dm_user != NULL ? san_text(sr->dm_user, 0) : NULL;
	r->section = ui_room_section(sr);
	r->space = ui_room_spaces(ui, r, links, n_links);
	r->vip = ui->core != NULL && core_room_vip(ui->core, sr);
	if (r->vip)
		r->section = UI_SECTION_VIP;
	else if (r->section == UI_SECTION_ROOMS && grouped && r->space >= 0)
		r->section = UI_SECTION_SPACE;
	r->invited = sr->membership == MX_MEMBERSHIP_INVITE;
	r->unread = sr->unread;
	r->highlight = sr->highlight;
	r->last_ts = sr->last_ts;
	r->encrypted = sr->encrypted;
	if (r->section == UI_SECTION_SPACE) {
		ui->spaces[r->space].unread += r->unread;
		ui->spaces[r->space].highlight += r->highlight;
	}
}

/* List order: section, then space, then activity (the store's order,
 * kept in last_ts and broken by the order read). */
struct ui_order {
	struct ui_room room;
	size_t read;
};

static int
ui_order_cmp(const void *a, const void *b)
{
	const struct ui_order *x = a, *y = b;

	if (x->room.section != y->room.section)
		return (int)x->room.section - (int)y->room.section;
	if (x->room.section == UI_SECTION_SPACE && x->room.space != y->room.space)
		return x->room.space - y->room.space;
	return x->read < y->read ? -1 : x->read > y->read;
}

/* Reads the room list from the store. Left rooms and the spaces the
 * account is in are not listed. */
void
ui_rooms_reload(struct ui *ui)
{
	struct store_space_link *links;
	struct store_room *rooms;
	struct ui_order *order;
	size_t n, n_links, n_order = 0;

	if (store_rooms(ui->store, &rooms, &n, NULL) == -1)
		return;
	if (store_space_links(ui->store, &links, &n_links, NULL) == -1)
		n_links = 0;
	ui_rooms_free(ui);
	ui_spaces_read(ui, rooms, n);
	order = xcalloc(n ? n : 1, sizeof *order);
	for (size_t i = 0; i < n; i++) {
		if (rooms[i].membership == MX_MEMBERSHIP_LEAVE ||
		    rooms[i].membership == MX_MEMBERSHIP_BAN ||
		    (rooms[i].is_space && rooms[i].membership == MX_MEMBERSHIP_JOIN))
			continue;
		ui_room_fill(ui, &order[n_order].room, &rooms[i], links, n_links);
		order[n_order].read = i;
		n_order++;
	}
	qsort(order, n_order, sizeof *order, ui_order_cmp);
	ui->rooms = xcalloc(n_order ? n_order : 1, sizeof *ui->rooms);
	for (size_t i = 0; i < n_order; i++)
		ui->rooms[ui->n_rooms++] = order[i].room;
	free(order);
	store_space_links_free(&links, n_links);
	store_rooms_free(&rooms, n);
	/* At start, the first room listed: not one a folded space hides. */
	for (size_t i = 0; ui->current == NULL && i < ui->n_rooms; i++)
		if (ui_room_listed(ui, i))
			ui_room_select(ui, ui->rooms[i].room_id);
	if (ui->current == NULL && ui->n_rooms > 0)
		ui_room_select(ui, ui->rooms[0].room_id);
	ui_dirty(ui);
}

int
ui_room_listed(const struct ui *ui, size_t i)
{
	const struct ui_room *r = &ui->rooms[i];

	if (r->section != UI_SECTION_SPACE || !ui->spaces[r->space].folded)
		return 1;
	return ui->current != NULL && strcmp(ui->current, r->room_id) == 0;
}

/* Folds the space sp, or unfolds it; remembered in the cache. */
static void
ui_space_toggle(struct ui *ui, struct ui_space *sp)
{
	char *key;

	sp->folded = !sp->folded;
	key = xasprintf(UI_FOLD_KEY "%s", sp->room_id);
	if (sp->folded)
		store_meta_set(ui->store, key, "1", NULL);
	else
		store_meta_unset(ui->store, key, NULL);
	free(key);
	ui_note(ui, "%s %s", sp->folded ? "folded" : "unfolded", sp->name);
	ui_dirty(ui);
}

void
ui_space_fold(struct ui *ui)
{
	const struct ui_room *r = ui_room_find(ui, ui->current);

	if (r == NULL || r->section != UI_SECTION_SPACE) {
		ui_note(ui, "the room in view is not listed under a space");
		return;
	}
	ui_space_toggle(ui, &ui->spaces[r->space]);
}

/* The space named name (case and accents aside): the one so named, or
 * else the one whose name starts so. */
void
ui_space_fold_named(struct ui *ui, const char *name)
{
	char *want = text_fold_str(name), *safe;
	size_t want_len = strlen(want), exact = SIZE_MAX, prefix = SIZE_MAX, n_prefix = 0;

	for (size_t i = 0; i < ui->n_spaces; i++) {
		char *have = text_fold_str(ui->spaces[i].name);

		if (strcmp(have, want) == 0 && exact == SIZE_MAX)
			exact = i;
		else if (strncmp(have, want, want_len) == 0 && n_prefix++ == 0)
			prefix = i;
		free(have);
	}
	free(want);
	if (exact != SIZE_MAX || n_prefix == 1) {
		ui_space_toggle(ui, &ui->spaces[exact != SIZE_MAX ? exact : prefix]);
		return;
	}
	safe = san_text(name, 0);
	if (n_prefix > 1)
		ui_note(ui, "\"%s\" names more than one space: say more of its name", safe);
	else
		ui_note(ui, "no space you are in is named \"%s\"", safe);
	free(safe);
}
