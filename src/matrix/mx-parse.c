/* Parsing /sync and /messages responses and single events (event.h).
 *
 * Everything here is untrusted: a field of the wrong type counts as
 * absent, a malformed event is skipped and counted, and a room whose id
 * is not a room id is skipped whole; nothing short of a body that is not
 * a JSON object with the required token stops the parse.
 *
 * Stripped state (rooms.invite.*.invite_state) has no event id, and the
 * one an inviting server may add is not checked by ours. Such events get
 * "~ROOM/TYPE/STATE_KEY": stable across syncs, so the store replaces
 * rather than adds, and never equal to a real event id, which starts
 * with '$'. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "mx-private.h"

struct room_key {
	const char *key;
	size_t idx;
};

/* Grows an array of n elements when n is 0 or a power of two, so that
 * adding one at a time stays linear without a capacity field. */
void *
mx_grow(void *p, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		p = xreallocarray(p, n == 0 ? 1 : n * 2, size);
	return p;
}

static int
type_is(const cJSON *ev, const char *type)
{
	const char *t = mx_json_str(ev, "type");

	return t != NULL && strcmp(t, type) == 0;
}

char *
mx_strings_add(char ***v, size_t *n, const char *s)
{
	*v = mx_grow(*v, *n, sizeof **v);
	return (*v)[(*n)++] = xstrdup(s);
}

/* A pagination token, or NULL when absent or empty. */
char *
mx_json_token(const cJSON *obj, const char *key)
{
	const char *s = mx_json_str(obj, key);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* A receipt in one thread (Element sends them when a thread is read)
 * says nothing of the room's main timeline, where natter keeps read
 * positions: only those with no thread_id, or "main", count. */
static int
receipt_of_room(const cJSON *u)
{
	const cJSON *thread = cJSON_GetObjectItemCaseSensitive(u, "thread_id");

	return thread == NULL ||
	    (cJSON_IsString(thread) && strcmp(thread->valuestring, "main") == 0);
}

void
mx_room_receipts(struct mx_room_update *ru, const cJSON *content)
{
	const cJSON *e, *read, *u;
	struct mx_receipt *r;
	int64_t ts;

	cJSON_ArrayForEach(e, content) {
		if (!mx_id_valid(e->string, '$') || (read = mx_json_obj(e, "m.read")) == NULL)
			continue;
		cJSON_ArrayForEach(u, read) {
			if (!mx_id_valid(u->string, '@') || !cJSON_IsObject(u) ||
			    !receipt_of_room(u))
				continue;
			ru->receipts = mx_grow(ru->receipts, ru->n_receipts, sizeof *ru->receipts);
			r = &ru->receipts[ru->n_receipts++];
			r->event_id = xstrdup(e->string);
			r->user_id = xstrdup(u->string);
			r->ts = mx_json_int(u, "ts", &ts) == 0 && ts > 0 ? ts : 0;
		}
	}
}

/* The latest m.typing replaces any before it. */
void
mx_room_typing(struct mx_room_update *ru, const cJSON *content)
{
	const cJSON *users = mx_json_arr(content, "user_ids"), *u;

	if (users == NULL)
		return;
	for (size_t i = 0; i < ru->n_typing; i++)
		free(ru->typing[i]);
	xfree(&ru->typing);
	ru->n_typing = 0;
	ru->has_typing = 1;
	cJSON_ArrayForEach(u, users) {
		if (cJSON_IsString(u) && mx_id_valid(u->valuestring, '@'))
			mx_strings_add(&ru->typing, &ru->n_typing, u->valuestring);
	}
}

static void
room_ephemeral(struct mx_room_update *ru, const cJSON *events)
{
	const cJSON *ev, *content;
	const char *type;

	cJSON_ArrayForEach(ev, events) {
		type = mx_json_str(ev, "type");
		if (type == NULL || (content = mx_json_obj(ev, "content")) == NULL)
			continue;
		if (strcmp(type, "m.receipt") == 0)
			mx_room_receipts(ru, content);
		else if (strcmp(type, "m.typing") == 0)
			mx_room_typing(ru, content);
	}
}

void
mx_room_account_data(struct mx_room_update *ru, const cJSON *events)
{
	const cJSON *ev, *tags;

	cJSON_ArrayForEach(ev, events) {
		if (!type_is(ev, "m.tag"))
			continue;
		tags = mx_json_obj(mx_json_obj(ev, "content"), "tags");
		if (tags == NULL)
			continue;
		ru->has_tags = 1;
		ru->favourite = mx_json_obj(tags, "m.favourite") != NULL;
		ru->lowpriority = mx_json_obj(tags, "m.lowpriority") != NULL;
	}
}

static void
room_summary(struct mx_room_update *ru, const cJSON *summary)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, mx_json_arr(summary, "m.heroes")) {
		if (cJSON_IsString(h) && mx_id_valid(h->valuestring, '@'))
			mx_strings_add(&ru->heroes, &ru->n_heroes, h->valuestring);
	}
	ru->joined_count = mx_json_count(summary, "m.joined_member_count");
	ru->invited_count = mx_json_count(summary, "m.invited_member_count");
}

/* A joined or left room: state, timeline and what comes with them. */
static void
room_parse_full(struct mx_room_update *ru, const cJSON *j, size_t *skipped)
{
	const cJSON *tl = mx_json_obj(j, "timeline");
	const cJSON *unread = mx_json_obj(j, "unread_notifications");

	ru->state = mx_events_from_json(mx_json_arr(mx_json_obj(j, "state"), "events"),
	    MX_EVENT_STATE, ru->room_id, &ru->n_state, skipped);
	ru->timeline = mx_events_from_json(mx_json_arr(tl, "events"), MX_EVENT_TIMELINE,
	    ru->room_id, &ru->n_timeline, skipped);
	ru->limited = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tl, "limited"));
	ru->prev_batch = mx_json_token(tl, "prev_batch");
	ru->notification_count = mx_json_count(unread, "notification_count");
	ru->highlight_count = mx_json_count(unread, "highlight_count");
	room_summary(ru, mx_json_obj(j, "summary"));
	room_ephemeral(ru, mx_json_arr(mx_json_obj(j, "ephemeral"), "events"));
	mx_room_account_data(ru, mx_json_arr(mx_json_obj(j, "account_data"), "events"));
}

static void
room_parse(struct mx_room_update *ru, const char *room_id, const cJSON *j, enum mx_membership m,
    size_t *skipped)
{
	memset(ru, 0, sizeof *ru);
	ru->room_id = xstrdup(room_id);
	ru->membership = m;
	ru->notification_count = ru->highlight_count = -1;
	ru->joined_count = ru->invited_count = -1;
	ru->n_live = -1;
	if (m == MX_MEMBERSHIP_INVITE)
		ru->state = mx_events_from_json(mx_json_arr(mx_json_obj(j, "invite_state"),
		    "events"), MX_EVENT_STRIPPED, ru->room_id, &ru->n_state, skipped);
	else
		room_parse_full(ru, j, skipped);
}

static int
room_key_cmp(const void *a, const void *b)
{
	const struct room_key *ka = a, *kb = b;
	int c = strcmp(ka->key, kb->key);

	if (c != 0)
		return c;
	return ka->idx < kb->idx ? -1 : ka->idx > kb->idx;
}

/* Which of n keys (NULL: none) repeat one before them. */
static char *
mx_keys_repeats(const char *const *ids, size_t n)
{
	struct room_key *keys = xreallocarray(NULL, n, sizeof *keys);
	char *repeat = xcalloc(n, 1);
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (ids[i] != NULL)
			keys[m++] = (struct room_key){ids[i], i};
	qsort(keys, m, sizeof *keys, room_key_cmp);
	for (size_t i = 1; i < m; i++) {
		if (strcmp(keys[i].key, keys[i - 1].key) == 0)
			repeat[keys[i].idx] = 1;
	}
	free(keys);
	return repeat;
}

char *
mx_section_repeats(const cJSON *section, size_t n)
{
	const char **ids = xreallocarray(NULL, n, sizeof *ids);
	const cJSON *j;
	char *repeat;
	size_t i = 0;

	cJSON_ArrayForEach(j, section)
		ids[i++] = j->string;
	repeat = mx_keys_repeats(ids, n);
	free(ids);
	return repeat;
}

/* rooms.join, rooms.invite or rooms.leave. */
static void
sync_section(struct mx_sync *s, const cJSON *section, enum mx_membership m)
{
	int count = cJSON_GetArraySize(section);
	const cJSON *j;
	char *repeat;
	size_t i = 0;

	if (section == NULL || count <= 0)
		return;
	s->rooms = xreallocarray(s->rooms, s->n_rooms + (size_t)count, sizeof *s->rooms);
	repeat = mx_section_repeats(section, (size_t)count);
	cJSON_ArrayForEach(j, section) {
		if (!repeat[i] && cJSON_IsObject(j) && mx_id_valid(j->string, '!'))
			room_parse(&s->rooms[s->n_rooms++], j->string, j, m, &s->n_skipped);
		else
			s->n_skipped++;	/* a malformed room counts as one */
		i++;
	}
	free(repeat);
}

/* natter's reminders: the content of the last such event, as JSON text;
 * the core checks what it holds. */
static void
mx_sync_reminders(struct mx_sync *s, const cJSON *events)
{
	const cJSON *ev, *content = NULL;

	cJSON_ArrayForEach(ev, events) {
		if (type_is(ev, MX_REMINDERS_TYPE) && mx_json_obj(ev, "content") != NULL)
			content = mx_json_obj(ev, "content");
	}
	if (content == NULL)
		return;
	free(s->reminders);
	s->reminders = cJSON_PrintUnformatted(content);
}

/* m.direct: {user_id: [room_id, ...]}; the last such event of the
 * account data's events counts. */
void
mx_sync_direct(struct mx_sync *s, const cJSON *events)
{
	const cJSON *ev, *content = NULL, *user, *room;
	struct mx_direct *d;

	cJSON_ArrayForEach(ev, events) {
		if (type_is(ev, "m.direct") && mx_json_obj(ev, "content") != NULL)
			content = mx_json_obj(ev, "content");
	}
	mx_sync_reminders(s, events);
	if (content == NULL)
		return;
	s->has_direct = 1;
	cJSON_ArrayForEach(user, content) {
		if (!cJSON_IsArray(user) || !mx_id_valid(user->string, '@'))
			continue;
		cJSON_ArrayForEach(room, user) {
			if (!cJSON_IsString(room) || !mx_id_valid(room->valuestring, '!'))
				continue;
			s->direct = mx_grow(s->direct, s->n_direct, sizeof *s->direct);
			d = &s->direct[s->n_direct++];
			d->user_id = xstrdup(user->string);
			d->room_id = xstrdup(room->valuestring);
		}
	}
}

/* Parses and checks the root object of a response. */
cJSON *
mx_json_root(const char *json, size_t len, const char *what, char **cause)
{
	cJSON *root = mx_json_parse(json, len, cause);

	if (root != NULL && !cJSON_IsObject(root)) {
		cause_set(cause, "the %s response is not a JSON object", what);
		mx_json_free(root);
		return NULL;
	}
	return root;
}

static int
mx_key_is(const struct mx_json_member *m, const char *name)
{
	size_t n = strlen(name);

	return m->key_len == n + 2 && memcmp(m->key + 1, name, n) == 0;
}

/* Where rooms.join's object is in a sync's (mended) text, found without
 * parsing it. 1 when found, then text[*from..*to) is it. */
static int
sync_join_span(const char *text, size_t len, size_t *from, size_t *to)
{
	struct mx_json_member *top, *rooms;
	size_t n_top, n_rooms;
	int found = 0;

	if (mx_json_members(text, len, &top, &n_top) != 0)
		return 0;
	for (size_t i = 0; i < n_top; i++) {
		if (!mx_key_is(&top[i], "rooms"))
			continue;
		if (mx_json_members(top[i].value, top[i].value_len, &rooms, &n_rooms) != 0)
			break;
		for (size_t j = 0; j < n_rooms && !found; j++) {
			if (mx_key_is(&rooms[j], "join") && rooms[j].value[0] == '{') {
				*from = (size_t)(rooms[j].value - text);
				*to = *from + rooms[j].value_len;
				found = 1;
			}
		}
		free(rooms);
		break;		/* the first "rooms" is the one a tree would have */
	}
	free(top);
	return found;
}

/* What of a /v3/sync's answer is still to be read: the text of its
 * joined rooms (each parsed alone, its tree dropped before the next: the
 * tree of a whole first sync is several times its text), then its
 * invites and leaves, which come last as a whole tree has them. */
struct mx_sync_rest {
	char *text;			/* the answer (mended), kept whole */
	struct mx_json_member *join;	/* rooms.join's members, in text */
	char **ids;			/* their keys, NULL where not a string */
	char *repeat;			/* which repeat an earlier key */
	size_t n_join, next;
	size_t slice;			/* bytes of room text a slice reads */
	struct mx_room_update *tail;	/* invites and leaves */
	size_t n_tail;
};

void
mx_sync_rest_free(struct mx_sync_rest **rest)
{
	struct mx_sync_rest *p = *rest;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_join; i++)
		free(p->ids[i]);
	free(p->ids);
	free(p->repeat);
	free(p->join);
	free(p->text);
	for (size_t i = 0; i < p->n_tail; i++)
		mx_room_update_clear(&p->tail[i]);
	free(p->tail);
	xfree(rest);
}

/* rooms.join's members and their keys. -1 (cause) when it is not shaped
 * as an object, as a tree would not be. */
static int
sync_rest_join(struct mx_sync_rest *p, const char *text, size_t from, size_t to, char **cause)
{
	if (mx_json_members(text + from, to - from, &p->join, &p->n_join) != 0)
		return cause_set(cause, "the sync response is not valid JSON (rooms.join)");
	p->ids = xcalloc(p->n_join + 1, sizeof *p->ids);
	for (size_t i = 0; i < p->n_join; i++) {
		cJSON *key = cJSON_ParseWithLength(p->join[i].key, p->join[i].key_len);

		if (cJSON_IsString(key))
			p->ids[i] = xstrdup(key->valuestring);
		cJSON_Delete(key);
	}
	p->repeat = mx_keys_repeats((const char *const *)p->ids, p->n_join);
	return 0;
}

/* The next slice of rooms in s->rooms, in place of the last: joined rooms
 * until slice bytes of their text are read (one at least), and after
 * the last of them the invites and leaves. -1 (cause) when a room is not
 * JSON, as the whole would not be. */
static int
sync_slice(struct mx_sync *s, char **cause)
{
	struct mx_sync_rest *p = s->rest;
	size_t bytes = 0, n = 0;

	for (size_t i = 0; i < s->n_rooms; i++) {
		s->n_events_before += s->rooms[i].n_timeline;
		mx_room_update_clear(&s->rooms[i]);
	}
	s->n_rooms_before += s->n_rooms;
	s->n_rooms = 0;
	s->n_slices++;
	while (p->next + n < p->n_join && (n == 0 || bytes < p->slice))
		bytes += p->join[p->next + n++].value_len;
	s->rooms = xreallocarray(s->rooms, n + p->n_tail + 1, sizeof *s->rooms);
	for (; n > 0; n--) {
		const struct mx_json_member *m = &p->join[p->next];
		const char *id = p->ids[p->next];
		cJSON *j;

		if (p->repeat[p->next++] || id == NULL || !mx_id_valid(id, '!') ||
		    m->value[0] != '{') {
			s->n_skipped++;	/* a malformed room counts as one */
			continue;
		}
		/* The room's text lies inside the answer, which goes on past
		 * it: cJSON's reading a byte past it stays in it. */
		if ((j = mx_json_parse_mended(m->value, m->value_len, cause)) == NULL)
			return -1;
		room_parse(&s->rooms[s->n_rooms++], id, j, MX_MEMBERSHIP_JOIN, &s->n_skipped);
		mx_json_free(j);
	}
	if (p->next == p->n_join) {
		for (size_t i = 0; i < p->n_tail; i++)
			s->rooms[s->n_rooms++] = p->tail[i];
		p->n_tail = 0;
		mx_sync_rest_free(&s->rest);
	}
	return 0;
}

/* Everything of a sync but its joined rooms, from the text with
 * rooms.join left out (then {}): a tree of the small rest. */
static int
sync_head(struct mx_sync *s, const char *text, size_t len, size_t from, size_t to,
    char **cause)
{
	struct buf rest = {0};
	const cJSON *rooms;
	const char *next;
	cJSON *root;

	if (to == from)		/* no rooms.join to leave out: the text as it is */
		root = mx_json_parse_mended(text, len, cause);
	else {
		buf_add(&rest, text, from);
		buf_puts(&rest, "{}");
		buf_add(&rest, text + to, len - to);
		root = mx_json_parse_mended(rest.data, rest.len, cause);
		buf_free(&rest);
	}
	if (root == NULL)
		return -1;
	if (!cJSON_IsObject(root))
		cause_set(cause, "the sync response is not a JSON object");
	else if ((next = mx_json_str(root, "next_batch")) == NULL || *next == '\0')
		cause_set(cause, "the sync response has no next_batch token");
	else
		s->next_batch = xstrdup(next);
	if (s->next_batch == NULL) {
		mx_json_free(root);
		return -1;
	}
	rooms = mx_json_obj(root, "rooms");
	sync_section(s, mx_json_obj(rooms, "join"), MX_MEMBERSHIP_JOIN);
	sync_section(s, mx_json_obj(rooms, "invite"), MX_MEMBERSHIP_INVITE);
	sync_section(s, mx_json_obj(rooms, "leave"), MX_MEMBERSHIP_LEAVE);
	mx_sync_direct(s, mx_json_arr(mx_json_obj(root, "account_data"), "events"));
	mx_sync_to_device(s, mx_json_arr(mx_json_obj(root, "to_device"), "events"));
	mx_sync_e2ee(s, root);
	mx_json_free(root);
	/* The rooms the tree held come after those of rooms.join. */
	if (s->rest != NULL) {
		s->rest->tail = s->rooms;
		s->rest->n_tail = s->n_rooms;
		s->rooms = NULL;
		s->n_rooms = 0;
	}
	return 0;
}

struct mx_sync *
mx_sync_read(char **json, size_t len, size_t slice, char **cause)
{
	struct mx_sync *s = xcalloc(1, sizeof *s);
	struct buf mended = {0};
	char *text = *json;
	size_t from = 0, to = 0;

	if (text == NULL || len == 0) {
		cause_set(cause, "the response body is empty");
		goto fail;
	}
	if (!mx_json_clean(text, len)) {
		mx_json_mend(text, len, &mended);
		text = mended.data;
		len = mended.len;
	}
	if (sync_join_span(text, len, &from, &to)) {
		s->rest = xcalloc(1, sizeof *s->rest);
		s->rest->slice = slice;
		if (sync_rest_join(s->rest, text, from, to, cause) == -1)
			goto fail;
	}
	if (sync_head(s, text, len, from, to, cause) == -1)
		goto fail;
	if (s->rest != NULL) {
		/* The text is kept: the caller's, or the mended copy. */
		s->rest->text = text;
		if (text == *json)
			*json = NULL;
		else
			mended.data = NULL;
		if (sync_slice(s, cause) == -1)
			goto fail;
	}
	buf_free(&mended);
	return s;
fail:
	mx_sync_free(&s);
	buf_free(&mended);
	return NULL;
}

int
mx_sync_rooms_next(struct mx_sync *s, char **cause)
{
	if (s->rest == NULL)
		return 0;
	return sync_slice(s, cause) == -1 ? -1 : 1;
}

struct mx_sync *
mx_sync_parse(const char *json, size_t len, char **cause)
{
	char *copy = NULL;
	struct mx_sync *s;

	/* A copy ending in a NUL, as a body read off the network does. */
	if (json != NULL) {
		copy = xmalloc(len + 1);
		memcpy(copy, json, len);
		copy[len] = '\0';
	}
	s = mx_sync_read(&copy, len, SIZE_MAX, cause);

	free(copy);
	return s;
}

/* A chunk of events: a /messages page (paged: with its tokens and the
 * state it brings) or a /members answer (its member state events). */
static struct mx_messages *
mx_chunk_parse(const char *json, size_t len, const char *what, int paged, char **cause)
{
	cJSON *root = mx_json_root(json, len, what, cause);
	struct mx_messages *m;

	if (root == NULL)
		return NULL;
	if (mx_json_arr(root, "chunk") == NULL || (paged && mx_json_str(root, "start") == NULL)) {
		cause_set(cause, "the %s response has no chunk array%s", what,
		    paged ? " or start token" : "");
		mx_json_free(root);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->chunk = mx_events_from_json(mx_json_arr(root, "chunk"),
	    paged ? MX_EVENT_TIMELINE : MX_EVENT_STATE, NULL, &m->n_chunk, &m->n_skipped);
	if (paged) {
		m->state = mx_events_from_json(mx_json_arr(root, "state"), MX_EVENT_STATE, NULL,
		    &m->n_state, &m->n_skipped);
		m->start = mx_json_strdup(root, "start");
		m->end = mx_json_token(root, "end");
	}
	mx_json_free(root);
	return m;
}

struct mx_messages *
mx_messages_parse(const char *json, size_t len, char **cause)
{
	return mx_chunk_parse(json, len, "messages", 1, cause);
}

struct mx_messages *
mx_members_parse(const char *json, size_t len, char **cause)
{
	return mx_chunk_parse(json, len, "members", 0, cause);
}

int
mx_event_parse_json(const char *json, size_t len, struct mx_event *ev, char **cause)
{
	cJSON *root = mx_json_parse(json, len, cause);
	const char *why;
	int rc;

	memset(ev, 0, sizeof *ev);
	ev->size = -1;
	if (root == NULL)
		return -1;
	rc = mx_event_from_json(root, MX_EVENT_TIMELINE, NULL, ev, &why);
	if (rc != 0)
		cause_set(cause, "%s", why);
	mx_json_free(root);
	return rc;
}
