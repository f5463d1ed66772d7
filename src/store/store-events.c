/* Timeline events: inserting one, with its outbox echo, relations and
 * the sender name the search index gets. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

/* Folds in what waited for this event, if anything does. */
static int
store_event_adopt(struct store *st, const char *room_id, const char *event_id, char **cause)
{
	sqlite3_stmt *s;

	if (!st->orphans)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_ORPHAN_TAKE, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	if (store_run(st, s, "cannot store a relation", cause) != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	return store_relations_fold(st, room_id, event_id, cause);
}

/* Whether the event's text goes into the search index: messages, but
 * not edits (their text goes into their target) nor redacted ones. */
static int
store_event_indexed(const struct mx_event *ev)
{
	if (ev->redacted || (ev->body == NULL && ev->filename == NULL))
		return 0;
	if (!store_streq(ev->type, "m.room.message") && !store_streq(ev->type, "m.sticker"))
		return 0;
	return !store_streq(ev->rel_type, "m.replace");
}

void
store_names_forget(struct store *st)
{
	struct store_name_cache *c = &st->names;

	for (size_t i = 0; i < c->n; i++) {
		free(c->user_id[i]);
		free(c->name[i]);
	}
	free(c->room_id);
	memset(c, 0, sizeof *c);
}

/* The sender's display name now, for the search index; borrowed until
 * the cache changes. Member events empty the cache. */
static const char *
store_sender_name(struct store *st, const char *room_id, const char *sender)
{
	struct store_name_cache *c = &st->names;
	size_t i;

	if (c->room_id == NULL || strcmp(c->room_id, room_id) != 0) {
		store_names_forget(st);
		c->room_id = xstrdup(room_id);
	}
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->user_id[i], sender) == 0)
			return c->name[i];
	}
	if (c->n < STORE_NAMES_MAX)
		i = c->n++;
	else {
		i = c->next++ % STORE_NAMES_MAX;
		free(c->user_id[i]);
		free(c->name[i]);
	}
	c->user_id[i] = xstrdup(sender);
	c->name[i] = store_member_displayname(st, room_id, sender);
	return c->name[i];
}

static void
store_event_bind(sqlite3_stmt *s, const char *room_id, const struct mx_event *ev, int64_t seq)
{
	const char *texts[] = {
		ev->event_id, ev->type, ev->sender, ev->state_key,
	};
	const char *content[] = {
		ev->content_plain ? NULL : ev->content ? ev->content : "{}", ev->msgtype, ev->body,
		ev->formatted_body,
		ev->url, ev->filename, ev->mimetype,
	};
	const char *rel[] = {
		ev->rel_type, ev->rel_event, ev->key, ev->reply_to, ev->redacts, ev->txn_id,
	};

	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, seq);
	for (size_t i = 0; i < NT_NELEMS(texts); i++)
		store_bind_text(s, 3 + (int)i, texts[i]);
	sqlite3_bind_int64(s, 7, ev->ts);
	for (size_t i = 0; i < NT_NELEMS(content); i++)
		store_bind_text(s, 8 + (int)i, content[i]);
	sqlite3_bind_int64(s, 15, ev->size);
	for (size_t i = 0; i < NT_NELEMS(rel); i++)
		store_bind_text(s, 16 + (int)i, rel[i]);
	sqlite3_bind_int(s, 22, (int)ev->membership);
	sqlite3_bind_int(s, 23, ev->redacted != 0);
}

static int
store_event_insert(struct store *st, const char *room_id, const struct mx_event *ev,
    int64_t seq, int *added, char **cause)
{
	sqlite3_stmt *s;
	const char *sender_name = NULL;
	int indexed = store_event_indexed(ev), r;

	if (indexed)
		sender_name = store_sender_name(st, room_id, ev->sender);
	if ((s = store_stmt(st, STORE_SQL_EVENT_INSERT, cause)) == NULL)
		return -1;
	store_event_bind(s, room_id, ev, seq);
	store_bind_text(s, 24, sender_name);
	sqlite3_bind_int(s, 25, indexed);
	store_bind_text(s, 26, ev->encryption);
	store_bind_text(s, 27, ev->sender_key);
	r = store_run(st, s, "cannot store an event", cause);
	*added = r == 0 && sqlite3_changes(st->db) > 0;
	return r;
}

static int
store_outbox_echo(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_OUTBOX_ECHO, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, ev->txn_id);
	store_bind_text(s, 2, room_id);
	store_bind_text(s, 3, ev->event_id);
	return store_run(st, s, "cannot update the outbox", cause);
}

/* The parser promises these; one event breaking the promise must not
 * cost the whole sync. */
int
store_event_usable(const struct mx_event *ev)
{
	return ev->event_id != NULL && ev->type != NULL && ev->sender != NULL;
}

int
store_event_put(struct store *st, const char *room_id, const struct mx_event *ev,
    int64_t seq, int *added, char **cause)
{
	*added = 0;
	if (!store_event_usable(ev))
		return 0;
	if (store_event_insert(st, room_id, ev, seq, added, cause) != 0)
		return -1;
	if (!*added)
		return 0;
	if (ev->txn_id != NULL && store_outbox_echo(st, room_id, ev, cause) != 0)
		return -1;
	if (store_streq(ev->rel_type, "m.replace") && ev->rel_event != NULL &&
	    store_edit_refresh(st, ev->rel_event, cause) != 0)
		return -1;
	if (store_streq(ev->type, "m.room.redaction") && ev->redacts != NULL &&
	    store_redact(st, room_id, ev->sender, ev->redacts, cause) != 0)
		return -1;
	return store_event_adopt(st, room_id, ev->event_id, cause);
}

/* 1 when statement `which`, given key, finds a row, 0 when not, -1 on
 * error (what it could not do in the cause). */
int
store_has(struct store *st, enum store_sql which, const char *key, const char *what,
    char **cause)
{
	sqlite3_stmt *s;
	int r;

	if ((s = store_stmt(st, which, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, key);
	r = store_row(st, s, what, cause);
	store_done(s);
	return r;
}

/* 1 when an event with this id is stored, 0 when not, -1 on error. */
int
store_event_exists(struct store *st, const char *event_id, char **cause)
{
	return store_has(st, STORE_SQL_EVENT_EXISTS, event_id, "cannot read an event", cause);
}

int
store_room_known(struct store *st, const char *room_id, char **cause)
{
	return store_has(st, STORE_SQL_ROOM_KNOWN, room_id, "cannot read a room", cause);
}
