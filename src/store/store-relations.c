/* Relations between events: edits folded into the message they edit and
 * redactions applied to their target, whichever of the two arrives
 * first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/util.h"
#include "store-private.h"

/* The parts of a stored event that relations need. */
struct store_target {
	int64_t id;
	char *room_id;
	char *sender;
	char *type;
	char *content;
	int redacted;
	char *rel_type;
	char *rel_event;
};

/* Content keys that survive a redaction (the spec's algorithm, v11). */
static const struct {
	const char *type;
	const char *keys[10];
} store_redact_keep[] = {
	{"m.room.member", {"membership", "join_authorised_via_users_server"}},
	{"m.room.join_rules", {"join_rule", "allow"}},
	{"m.room.history_visibility", {"history_visibility"}},
	{"m.room.redaction", {"redacts"}},
	{"m.room.power_levels",
	    {"ban", "events", "events_default", "invite", "kick", "redact", "state_default",
		"users", "users_default"}},
};

static void
store_target_clear(struct store_target *t)
{
	free(t->room_id);
	free(t->sender);
	free(t->type);
	free(t->content);
	free(t->rel_type);
	free(t->rel_event);
	memset(t, 0, sizeof *t);
}

/* Loads a stored event: 1 when found, 0 when not (yet) in the cache. */
static int
store_target_get(struct store *st, const char *event_id, struct store_target *t, char **cause)
{
	sqlite3_stmt *s;
	int r;

	memset(t, 0, sizeof *t);
	if ((s = store_stmt(st, STORE_SQL_EVENT_TARGET, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	if ((r = store_row(st, s, "cannot read an event", cause)) != 1)
		return r;
	t->id = sqlite3_column_int64(s, 0);
	t->room_id = store_column_text(s, 1);
	t->sender = store_column_text(s, 2);
	t->type = store_column_text(s, 3);
	t->content = store_column_text(s, 4);
	t->redacted = sqlite3_column_int(s, 5);
	t->rel_type = store_column_text(s, 6);
	t->rel_event = store_column_text(s, 7);
	store_done(s);
	return 1;
}

static int
store_redact_keeps(const char *type, const char *key)
{
	if (strcmp(type, "m.room.create") == 0)
		return 1;
	for (size_t i = 0; i < NT_NELEMS(store_redact_keep); i++) {
		if (strcmp(store_redact_keep[i].type, type) != 0)
			continue;
		for (size_t k = 0; k < NT_NELEMS(store_redact_keep[i].keys); k++) {
			if (store_streq(store_redact_keep[i].keys[k], key))
				return 1;
		}
	}
	return 0;
}

/* The content a redaction leaves: only the keys the spec keeps. */
static char *
store_redact_content(const char *type, const char *content)
{
	cJSON *obj, *item, *next;
	char *json, *out;

	obj = content == NULL ? NULL : cJSON_ParseWithLength(content, strlen(content));
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return xstrdup("{}");
	}
	for (item = obj->child; item != NULL; item = next) {
		next = item->next;
		if (item->string == NULL || !store_redact_keeps(type, item->string))
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, item));
	}
	json = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	out = xstrdup(json != NULL ? json : "{}");
	cJSON_free(json);
	return out;
}

/* Notes that an edit or redaction waits for target_id to arrive. */
static int
store_orphan_add(struct store *st, const char *target_id, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_ORPHAN_ADD, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, target_id);
	st->orphans = 1;
	return store_run(st, s, "cannot store a relation", cause);
}

/* A power level: a number, or a numeric string as old rooms have. */
static int64_t
store_power_value(const cJSON *obj, const char *key, int64_t dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	int64_t n;

	if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
		return (int64_t)fmax(-9007199254740992.0, fmin(v->valuedouble, 9007199254740992.0));
	if (cJSON_IsString(v) && nt_parse_int64(v->valuestring, &n) == 0)
		return n;
	return dflt;
}

/* The room's power levels, or NULL when it has none; -1 on error. */
static int
store_power_levels(struct store *st, const char *room_id, cJSON **pl, char **cause)
{
	sqlite3_stmt *s;
	const char *text;
	int r;

	*pl = NULL;
	if ((s = store_stmt(st, STORE_SQL_POWER_LEVELS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	if ((r = store_row(st, s, "cannot read power levels", cause)) != 1)
		return r;
	text = (const char *)sqlite3_column_text(s, 0);
	*pl = text == NULL ? NULL : cJSON_ParseWithLength(text, strlen(text));
	store_done(s);
	return 0;
}

static int64_t
store_power_of(const cJSON *pl, const char *user_id)
{
	return store_power_value(cJSON_GetObjectItemCaseSensitive(pl, "users"), user_id,
	    store_power_value(pl, "users_default", 0));
}

/* Whether redactor may redact an event of sender: their own, or with the
 * room's redact power level. 1 yes, 0 no, -1 error. */
static int
store_may_redact(struct store *st, const char *room_id, const char *redactor,
    const char *sender, char **cause)
{
	cJSON *pl;
	int r;

	if (strcmp(redactor, sender) == 0)
		return 1;
	if (store_power_levels(st, room_id, &pl, cause) == -1)
		return -1;
	r = store_power_of(pl, redactor) >= store_power_value(pl, "redact", 50);
	cJSON_Delete(pl);
	return r;
}

int
store_may_notify_room(struct store *st, const char *room_id, const char *sender, char **cause)
{
	cJSON *pl;
	int r;

	if (store_power_levels(st, room_id, &pl, cause) == -1)
		return -1;
	r = store_power_of(pl, sender) >= store_power_value(
	    cJSON_GetObjectItemCaseSensitive(pl, "notifications"), "room", 50);
	cJSON_Delete(pl);
	return r;
}

/* Recomputes the text a message shows from its newest edit of the same
 * sender and type (origin_server_ts, then event id, as the spec orders
 * them). */
int
store_edit_refresh(struct store *st, const char *target_id, char **cause)
{
	struct store_target t;
	sqlite3_stmt *s;
	char *body = NULL, *html = NULL;
	int r, edited;

	if ((r = store_target_get(st, target_id, &t, cause)) != 1)
		return r == 0 ? store_orphan_add(st, target_id, cause) : -1;
	if (t.redacted || store_streq(t.rel_type, "m.replace")) {
		store_target_clear(&t);
		return 0;
	}
	if ((s = store_stmt(st, STORE_SQL_EDIT_LATEST, cause)) == NULL)
		goto fail;
	store_bind_text(s, 1, target_id);
	store_bind_text(s, 2, t.room_id);
	store_bind_text(s, 3, t.sender);
	store_bind_text(s, 4, t.type);
	if ((edited = store_row(st, s, "cannot read edits", cause)) == -1)
		goto fail;
	if (edited) {
		body = store_column_text(s, 0);
		html = store_column_text(s, 1);
	}
	store_done(s);
	if (store_fts_unindex(st, t.id, cause) != 0 ||
	    (s = store_stmt(st, STORE_SQL_EVENT_SET_EDIT, cause)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, t.id);
	store_bind_text(s, 2, body);
	sqlite3_bind_int(s, 3, edited);
	store_bind_text(s, 4, html);
	r = store_run(st, s, "cannot apply an edit", cause);
	if (r == 0)
		r = store_fts_reindex(st, t.id, cause);
	free(html);
	free(body);
	store_target_clear(&t);
	return r;
fail:
	free(html);
	free(body);
	store_target_clear(&t);
	return -1;
}

static int
store_redact_apply(struct store *st, const struct store_target *t, const char *target_id,
    char **cause)
{
	sqlite3_stmt *s;
	char *content;
	int r;

	if (store_fts_unindex(st, t->id, cause) != 0 ||
	    (s = store_stmt(st, STORE_SQL_EVENT_REDACT, cause)) == NULL)
		return -1;
	content = store_redact_content(t->type, t->content);
	sqlite3_bind_int64(s, 1, t->id);
	store_bind_text(s, 2, content);
	r = store_run(st, s, "cannot apply a redaction", cause);
	if (r == 0)
		r = store_state_redact(st, t->room_id, target_id, content, cause);
	free(content);
	if (r == 0 && store_streq(t->rel_type, "m.replace") && t->rel_event != NULL)
		r = store_edit_refresh(st, t->rel_event, cause);
	return r;
}

/* Redacts target_id if it is stored, in the same room, and redactor may. */
int
store_redact(struct store *st, const char *room_id, const char *redactor,
    const char *target_id, char **cause)
{
	struct store_target t;
	int r;

	if ((r = store_target_get(st, target_id, &t, cause)) != 1)
		return r == 0 ? store_orphan_add(st, target_id, cause) : -1;
	if (!t.redacted && strcmp(t.room_id, room_id) == 0) {
		r = store_may_redact(st, room_id, redactor, t.sender, cause);
		if (r == 1)
			r = store_redact_apply(st, &t, target_id, cause);
	}
	store_target_clear(&t);
	return r < 0 ? -1 : 0;
}

/* Applies the redactions that arrived before their target did. */
static int
store_redact_pending(struct store *st, const char *room_id, const char *event_id,
    char **cause)
{
	sqlite3_stmt *s;
	char **senders = NULL;
	size_t n = 0;
	int r;

	if ((s = store_stmt(st, STORE_SQL_REDACTIONS_OF, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	store_bind_text(s, 2, room_id);
	while ((r = store_row(st, s, "cannot read redactions", cause)) == 1) {
		senders = xreallocarray(senders, n + 1, sizeof *senders);
		senders[n++] = store_column_text(s, 0);
	}
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = store_redact(st, room_id, senders[i], event_id, cause);
		free(senders[i]);
	}
	free(senders);
	return r;
}

/* Folds in the edits and redactions stored before this event arrived. */
int
store_relations_fold(struct store *st, const char *room_id, const char *event_id,
    char **cause)
{
	sqlite3_stmt *s;
	int edits, redactions;

	if ((s = store_stmt(st, STORE_SQL_EVENT_PENDING, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	if (store_row(st, s, "cannot read relations", cause) != 1)
		return -1;
	edits = sqlite3_column_int(s, 0);
	redactions = sqlite3_column_int(s, 1);
	store_done(s);
	if (redactions && store_redact_pending(st, room_id, event_id, cause) != 0)
		return -1;
	if (edits && store_edit_refresh(st, event_id, cause) != 0)
		return -1;
	return 0;
}
