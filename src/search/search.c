/* Running a query over the cache. Filters become bound values; words
 * become one FTS5 expression. A word that is also somebody's name
 * matches their messages too: each such word (up to three) is tried
 * both ways, as text and as the sender, and the passes are merged.
 *
 * The index gives the newest SEARCH_CAP matches of each pass, which are
 * ranked by bm25 (relative to the best of the query) and recency, so a
 * word found in a hundred thousand messages still answers in
 * milliseconds, at the cost of never showing its oldest matches first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "natter/event.h"
#include "natter/sanitize.h"
#include "natter/search.h"
#include "natter/store.h"
#include "natter/util.h"

#define SEARCH_CAP 400
#define SEARCH_NAME_WORDS 3
#define SEARCH_NAMES_CAP 64
#define SEARCH_SNIPPET_WIDTH 100
#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_RELEVANCE 0.75		/* the rest of the score is recency */
#define SEARCH_BY_NAME 0.5		/* relevance of a match by sender name alone */
#define SEARCH_HALF_LIFE_DAYS 30.0

struct search_ids {
	char **ids;
	size_t n;
};

struct search_cand {
	int64_t id;
	int64_t ts;
	double relevance;	/* 0 to 1 */
	double score;
	char *event_id;
};

struct search_run {
	struct store *st;
	struct search_query *q;
	struct store_search filter;	/* rooms, dates, flags; per pass: match, senders */
	struct search_ids from;
	int from_set;
	struct search_ids names[SEARCH_NAME_WORDS];
	unsigned name_bit[SEARCH_NAME_WORDS];	/* positive-term bit of each */
	size_t n_names;
	struct search_cand *cands;
	size_t n_cands;
};

static void
search_ids_add(struct search_ids *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->ids[i], id) == 0)
			return;
	}
	s->ids = xreallocarray(s->ids, s->n + 1, sizeof *s->ids);
	s->ids[s->n++] = xstrdup(id);
}

static int
search_ids_has(const struct search_ids *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->ids[i], id) == 0)
			return 1;
	}
	return 0;
}

static void
search_ids_clear(struct search_ids *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->ids[i]);
	free(s->ids);
	memset(s, 0, sizeof *s);
}

static char *
search_ids_json(const struct search_ids *s)
{
	struct buf b = {0};

	buf_putc(&b, '[');
	for (size_t i = 0; i < s->n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		san_json_string(&b, s->ids[i]);
	}
	buf_putc(&b, ']');
	return buf_steal(&b);
}

/* The users a name (or the prefix of its last word) is or was used by. */
static int
search_names_of(struct store *st, const char *name, int prefix, struct search_ids *out,
    char **cause)
{
	struct search_term t = {.text = (char *)name, .prefix = prefix};
	struct search_query one = {.terms = &t, .n_terms = 1};
	char *match = search_fts_match(&one, 0), **ids;
	size_t n;

	if (name[0] == '@' && strchr(name, ':') != NULL)
		search_ids_add(out, name);
	if (match == NULL)
		return 0;
	if (store_search_names(st, match, SEARCH_NAMES_CAP, &ids, &n, cause) != 0) {
		free(match);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		search_ids_add(out, ids[i]);
		free(ids[i]);
	}
	free(ids);
	free(match);
	return 0;
}

static int
search_resolve_from(struct search_run *r, char **cause)
{
	const struct search_query *q = r->q;

	r->from_set = q->n_from > 0;
	for (size_t i = 0; i < q->n_from; i++) {
		if (q->from[i][0] == '@')
			search_ids_add(&r->from, q->from[i]);
		else if (search_names_of(r->st, q->from[i], 1, &r->from, cause) != 0)
			return -1;
	}
	return 0;
}

/* The rooms of in: (each must name one room) and of --room. Returns 1
 * when no room can match. */
static int
search_resolve_rooms(struct search_run *r, const char *only, struct search_ids *rooms,
    char **cause)
{
	const struct search_query *q = r->q;
	char *id;

	for (size_t i = 0; i < q->n_in; i++) {
		if ((id = store_room_resolve(r->st, q->in[i], cause)) == NULL)
			return -1;
		search_ids_add(rooms, id);
		free(id);
	}
	if (only == NULL)
		return 0;
	if (q->n_in > 0 && !search_ids_has(rooms, only))
		return 1;
	search_ids_clear(rooms);
	search_ids_add(rooms, only);
	return 0;
}

static void
search_resolve_days(struct search_run *r, int64_t now_ms)
{
	const struct search_query *q = r->q;
	struct search_day next;
	int64_t t;

	r->filter.since = INT64_MIN;
	r->filter.until = INT64_MAX;
	if (q->after.set) {
		next = q->after;
		next.offset++;
		r->filter.since = search_day_start(&next, now_ms);
	}
	if (q->on.set) {
		next = q->on;
		next.offset++;
		if ((t = search_day_start(&q->on, now_ms)) > r->filter.since)
			r->filter.since = t;
		if ((t = search_day_start(&next, now_ms)) < r->filter.until)
			r->filter.until = t;
	}
	if (q->before.set && (t = search_day_start(&q->before, now_ms)) < r->filter.until)
		r->filter.until = t;
}

/* Finds the positive words that are also names, up to SEARCH_NAME_WORDS. */
static int
search_resolve_names(struct search_run *r, char **cause)
{
	const struct search_query *q = r->q;
	unsigned pos = 0;

	for (size_t i = 0; i < q->n_terms && pos < 32; i++) {
		struct search_ids *ids = &r->names[r->n_names];

		if (q->terms[i].negated)
			continue;
		if (r->n_names < SEARCH_NAME_WORDS &&
		    search_names_of(r->st, q->terms[i].text, q->terms[i].prefix, ids, cause) != 0)
			return -1;
		if (r->n_names < SEARCH_NAME_WORDS && ids->n > 0)
			r->name_bit[r->n_names++] = 1u << pos;
		pos++;
	}
	return 0;
}

/* The senders a pass may match: from: and every name word it skips. */
static int
search_pass_senders(const struct search_run *r, unsigned mask, struct search_ids *out)
{
	const struct search_ids *base = NULL;

	if (r->from_set)
		base = &r->from;
	for (size_t k = 0; k < r->n_names; k++) {
		if ((mask & (1u << k)) != 0 && base == NULL)
			base = &r->names[k];
	}
	if (base == NULL)
		return 0;
	for (size_t i = 0; i < base->n; i++) {
		int keep = !r->from_set || search_ids_has(&r->from, base->ids[i]);

		for (size_t k = 0; k < r->n_names && keep; k++) {
			if ((mask & (1u << k)) != 0)
				keep = search_ids_has(&r->names[k], base->ids[i]);
		}
		if (keep)
			search_ids_add(out, base->ids[i]);
	}
	return out->n == 0 ? -1 : 1;
}

static void
search_cand_add(struct search_run *r, const struct store_search_row *row, double relevance)
{
	struct search_cand *c;

	for (size_t i = 0; i < r->n_cands; i++) {
		if (r->cands[i].id == row->id) {
			if (relevance > r->cands[i].relevance)
				r->cands[i].relevance = relevance;
			return;
		}
	}
	r->cands = xreallocarray(r->cands, r->n_cands + 1, sizeof *r->cands);
	c = &r->cands[r->n_cands++];
	c->id = row->id;
	c->ts = row->ts;
	c->relevance = relevance;
	c->event_id = xstrdup(row->event_id);
}

/* Adds a pass's rows: by text, relative to its best match; by name alone,
 * a fixed SEARCH_BY_NAME; text and name together, a little below text. */
static void
search_pass_merge(struct search_run *r, struct store_search_row *rows, size_t n, int text,
    int by_name)
{
	double best = 0, rel;

	for (size_t i = 0; i < n; i++) {
		if (-rows[i].bm25 > best)
			best = -rows[i].bm25;
	}
	for (size_t i = 0; i < n; i++) {
		if (!text)
			rel = by_name ? SEARCH_BY_NAME : 0;
		else
			rel = best > 0 ? -rows[i].bm25 / best : 1;
		if (text && by_name)
			rel = SEARCH_BY_NAME + (1 - SEARCH_BY_NAME) * rel * 0.9;
		search_cand_add(r, &rows[i], rel);
	}
}

/* A prefix of a common word makes FTS5 merge the doclists of every word
 * it starts, 150 ms for "the": the store is told which word is the
 * prefix, and tries it whole and with its completions first. */
static int
search_pass_rows(struct search_run *r, struct store_search *f, const char *match,
    unsigned skip, struct store_search_row **rows, size_t *n, char **cause)
{
	struct search_query *q = r->q;
	char *head = NULL, *tail = NULL;
	int rc;

	f->match = match;
	if (match != NULL && search_fts_split(q, skip, &head, &tail) == 0) {
		f->head = head;
		f->word = q->terms[q->n_terms - 1].text;
		f->tail = tail;
	}
	rc = store_search(r->st, f, rows, n, cause);
	free(head);
	free(tail);
	return rc;
}

static int
search_pass(struct search_run *r, unsigned mask, char **cause)
{
	struct search_ids senders = {0};
	struct store_search f = r->filter;
	struct store_search_row *rows;
	unsigned skip = 0;
	char *match, *exclude = NULL, *json = NULL;
	size_t n;
	int rc;

	for (size_t k = 0; k < r->n_names; k++)
		skip |= (mask & (1u << k)) != 0 ? r->name_bit[k] : 0;
	if ((rc = search_pass_senders(r, mask, &senders)) == -1)
		return 0;
	match = search_fts_match(r->q, skip);
	if (match == NULL)
		exclude = search_fts_excluded(r->q);
	f.exclude = exclude;
	f.senders = rc == 1 ? (json = search_ids_json(&senders)) : NULL;
	rc = search_pass_rows(r, &f, match, skip, &rows, &n, cause);
	if (rc == 0) {
		search_pass_merge(r, rows, n, match != NULL, mask != 0);
		store_search_rows_free(&rows, n);
	}
	search_ids_clear(&senders);
	free(match);
	free(exclude);
	free(json);
	return rc;
}

static int
search_cand_cmp(const void *a, const void *b)
{
	const struct search_cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts > y->ts ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static void
search_rank(struct search_run *r, int64_t now_ms)
{
	for (size_t i = 0; i < r->n_cands; i++) {
		struct search_cand *c = &r->cands[i];
		double age_days = (double)(now_ms - c->ts) / 86400000.0;
		double recency = 1.0 / (1.0 + fmax(age_days, 0) / SEARCH_HALF_LIFE_DAYS);

		c->score = SEARCH_RELEVANCE * c->relevance + (1 - SEARCH_RELEVANCE) * recency;
	}
	if (r->n_cands > 1)
		qsort(r->cands, r->n_cands, sizeof *r->cands, search_cand_cmp);
}

/* A hit in a thread names its root, and the root's text when cached. */
static void
search_hit_thread(struct store *st, struct search_hit *h, const char *root)
{
	struct store_msg m;

	if (root == NULL)
		return;
	h->thread_root = xstrdup(root);
	if (store_msg_get(st, root, &m, NULL) == 0) {
		h->thread_text = m.body != NULL ? xstrdup(m.body) : NULL;
		store_msg_clear(&m);
	}
}

static void
search_hit_fill(struct search_run *r, struct search_hit *h, const struct search_cand *c,
    struct store_msg *m)
{
	struct store_room room;
	const char *text = m->body != NULL ? m->body : m->filename;

	if (m->body != NULL && m->filename != NULL && !search_text_matches(r->q, m->body) &&
	    search_text_matches(r->q, m->filename))
		text = m->filename;
	h->room_id = xstrdup(m->room_id);
	if (store_room_get(r->st, m->room_id, &room, NULL) == 0) {
		h->room_name = xstrdup(room.name != NULL ? room.name : m->room_id);
		store_room_clear(&room);
	} else
		h->room_name = xstrdup(m->room_id);
	h->event_id = xstrdup(m->event_id);
	h->sender = xstrdup(m->sender);
	h->sender_name = xstrdup(m->sender_name != NULL ? m->sender_name : m->sender);
	h->ts = m->ts;
	h->body = m->body != NULL ? xstrdup(m->body) : NULL;
	h->filename = m->filename != NULL ? xstrdup(m->filename) : NULL;
	h->snippet = search_snippet(r->q, text, SEARCH_SNIPPET_WIDTH);
	h->score = c->score;
	search_hit_thread(r->st, h, m->thread_root);
}

static int
search_hits_make(struct search_run *r, size_t limit, struct search_hit **hits, size_t *n,
    char **cause)
{
	struct store_msg m;

	*hits = xcalloc(limit > 0 ? limit : 1, sizeof **hits);
	for (size_t i = 0; i < r->n_cands && *n < limit; i++) {
		if (store_msg_get(r->st, r->cands[i].event_id, &m, cause) != 0) {
			search_hits_free(hits, *n);
			*n = 0;
			return -1;
		}
		search_hit_fill(r, &(*hits)[(*n)++], &r->cands[i], &m);
		store_msg_clear(&m);
	}
	return 0;
}

static void
search_run_clear(struct search_run *r)
{
	search_ids_clear(&r->from);
	for (size_t k = 0; k < SEARCH_NAME_WORDS; k++)
		search_ids_clear(&r->names[k]);
	for (size_t i = 0; i < r->n_cands; i++)
		free(r->cands[i].event_id);
	free(r->cands);
	free((char *)r->filter.rooms);
}

/* Everything the passes share: rooms, senders, days and flags. Returns 1
 * when nothing can match. */
static int
search_prepare(struct search_run *r, const struct search_opts *o, int64_t now_ms,
    char **cause)
{
	struct search_ids rooms = {0};
	int rc;

	if ((rc = search_resolve_rooms(r, o != NULL ? o->room_id : NULL, &rooms, cause)) != 0) {
		search_ids_clear(&rooms);
		return rc;
	}
	if (rooms.n > 0)
		r->filter.rooms = search_ids_json(&rooms);
	search_ids_clear(&rooms);
	if (search_resolve_from(r, cause) != 0 || search_resolve_names(r, cause) != 0)
		return -1;
	if (r->from_set && r->from.n == 0)
		return 1;
	search_resolve_days(r, now_ms);
	r->filter.has_file = r->q->has_file;
	r->filter.has_link = r->q->has_link;
	r->filter.is_dm = r->q->is_dm;
	r->filter.cap = SEARCH_CAP;
	return r->filter.since >= r->filter.until;
}

int
search_run(struct store *st, const char *text, const struct search_opts *o,
    struct search_hit **hits, size_t *n, char **cause)
{
	struct search_query q;
	struct search_run r = {.st = st, .q = &q};
	int64_t now_ms = o != NULL && o->now_ms > 0 ? o->now_ms : nt_now_ms();
	size_t limit = o != NULL && o->limit > 0 ? (size_t)o->limit : SEARCH_DEFAULT_LIMIT;
	int rc;

	*hits = NULL;
	*n = 0;
	if (limit > SEARCH_LIMIT_MAX)
		limit = SEARCH_LIMIT_MAX;
	if (search_parse(text, &q, cause) != 0)
		return -1;
	if (store_read_begin(st, cause) != 0) {
		search_query_clear(&q);
		return -1;
	}
	rc = search_prepare(&r, o, now_ms, cause);
	for (unsigned mask = 0; rc == 0 && mask < (1u << r.n_names); mask++)
		rc = search_pass(&r, mask, cause);
	if (rc == 0) {
		search_rank(&r, now_ms);
		rc = search_hits_make(&r, limit, hits, n, cause);
	} else if (rc == 1) {
		*hits = xcalloc(1, sizeof **hits);
		rc = 0;
	}
	store_read_end(st);
	search_run_clear(&r);
	search_query_clear(&q);
	return rc;
}

void
search_hits_free(struct search_hit **hits, size_t n)
{
	if (*hits == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct search_hit *h = &(*hits)[i];

		free(h->room_id);
		free(h->room_name);
		free(h->event_id);
		free(h->sender);
		free(h->sender_name);
		free(h->body);
		free(h->filename);
		free(h->snippet);
		free(h->thread_root);
		free(h->thread_text);
	}
	xfree(hits);
}

/* The filters of a query for checking the server's results: rooms (ids,
 * empty for all), senders and days, as search_prepare resolves them. */
static int
search_server_scope(struct search_run *r, const struct search_opts *o, int64_t now_ms,
    struct search_ids *rooms, char **cause)
{
	int rc = search_resolve_rooms(r, o != NULL ? o->room_id : NULL, rooms, cause);

	if (rc == 0 && search_resolve_from(r, cause) != 0)
		rc = -1;
	search_resolve_days(r, now_ms);
	if (rc == 0 && ((r->from_set && r->from.n == 0) || r->filter.since >= r->filter.until))
		rc = 1;
	return rc;
}

int
search_server_ask(struct store *st, const char *text, const struct search_opts *o,
    char **terms, char **room_id, char **cause)
{
	struct search_query q;
	struct search_run r = {.st = st, .q = &q};
	struct search_ids rooms = {0};
	int rc;

	*terms = *room_id = NULL;
	if (search_parse(text, &q, cause) != 0)
		return -1;
	if ((rc = search_resolve_rooms(&r, o != NULL ? o->room_id : NULL, &rooms, cause)) == 0) {
		*terms = search_server_words(&q);
		if (rooms.n == 1)
			*room_id = xstrdup(rooms.ids[0]);
	}
	search_ids_clear(&rooms);
	search_query_clear(&q);
	return rc == -1 ? -1 : 0;
}

static int
search_msgtype_file(const char *msgtype)
{
	static const char *files[] = {"m.file", "m.image", "m.video", "m.audio"};

	for (size_t i = 0; msgtype != NULL && i < NT_NELEMS(files); i++) {
		if (strcmp(msgtype, files[i]) == 0)
			return 1;
	}
	return 0;
}

/* As the cache's filter: a URL in the text or a link in its HTML. */
static int
search_event_link(const struct mx_event *ev)
{
	const char *body = ev->body != NULL ? ev->body : "";

	return strcasestr(body, "http://") != NULL || strcasestr(body, "https://") != NULL ||
	    (ev->formatted_body != NULL && strcasestr(ev->formatted_body, "<a href") != NULL);
}

static int
search_flag_keeps(int flag, int has)
{
	return flag == SEARCH_EITHER || flag == has;
}

/* Whether a message only the server found passes what the query asks
 * beyond its words; excluded holds the -words as positive terms. */
static int
search_server_keeps(struct search_run *r, const struct search_ids *rooms,
    const struct search_query *excluded, const struct mx_search_result *res)
{
	const struct mx_event *ev = &res->event;
	const struct search_query *q = r->q;
	struct store_room room;
	int dm = 0;

	if (strcmp(ev->type, "m.room.message") != 0 || ev->redacted || ev->body == NULL ||
	    (ev->rel_type != NULL && strcmp(ev->rel_type, "m.replace") == 0))
		return 0;
	if ((rooms->n > 0 && !search_ids_has(rooms, res->room_id)) ||
	    (r->from_set && !search_ids_has(&r->from, ev->sender)) ||
	    ev->ts < r->filter.since || ev->ts >= r->filter.until)
		return 0;
	if (!search_flag_keeps(q->has_file, search_msgtype_file(ev->msgtype)) ||
	    !search_flag_keeps(q->has_link, search_event_link(ev)) ||
	    (excluded->n_terms > 0 && search_text_matches(excluded, ev->body)))
		return 0;
	if (q->is_dm != SEARCH_EITHER && store_room_get(r->st, res->room_id, &room, NULL) == 0) {
		dm = room.is_direct;
		store_room_clear(&room);
	}
	return search_flag_keeps(q->is_dm, dm);
}

/* The display name the cache knows for a sender in a room, or NULL. */
static char *
search_member_name(struct store *st, const char *room_id, const char *user_id)
{
	struct store_member *m;
	char *name = NULL;
	size_t n;

	if (store_members(st, room_id, &m, &n, NULL) != 0)
		return NULL;
	for (size_t i = 0; i < n && name == NULL; i++) {
		if (strcmp(m[i].user_id, user_id) == 0 && m[i].name != NULL)
			name = xstrdup(m[i].name);
	}
	store_members_free(&m, n);
	return name;
}

static void
search_server_hit(struct search_run *r, struct search_hit *h, const struct mx_search_result *res)
{
	const struct mx_event *ev = &res->event;
	struct store_room room;

	memset(h, 0, sizeof *h);
	h->room_id = xstrdup(res->room_id);
	if (store_room_get(r->st, res->room_id, &room, NULL) == 0) {
		h->room_name = xstrdup(room.name != NULL ? room.name : res->room_id);
		store_room_clear(&room);
	} else
		h->room_name = xstrdup(res->room_id);
	h->event_id = xstrdup(ev->event_id);
	h->sender = xstrdup(ev->sender);
	if ((h->sender_name = search_member_name(r->st, res->room_id, ev->sender)) == NULL)
		h->sender_name = xstrdup(ev->sender);
	h->ts = ev->ts;
	h->body = xstrdup(ev->body);
	h->filename = ev->filename != NULL ? xstrdup(ev->filename) : NULL;
	h->snippet = search_snippet(r->q, ev->body, SEARCH_SNIPPET_WIDTH);
	h->score = res->rank;
	h->from_server = 1;
	if (ev->rel_type != NULL && strcmp(ev->rel_type, "m.thread") == 0)
		search_hit_thread(r->st, h, ev->rel_event);
}

/* The server's results the cache does not hold and the query keeps. */
static void
search_server_hits(struct search_run *r, const struct search_ids *rooms,
    const struct mx_search *server, struct search_hit *out, size_t *n, size_t limit)
{
	struct search_query excluded = *r->q;
	struct search_term *neg = xcalloc(r->q->n_terms + 1, sizeof *neg);
	struct store_msg m;

	excluded.terms = neg;
	excluded.n_terms = 0;
	for (size_t i = 0; i < r->q->n_terms; i++) {
		if (r->q->terms[i].negated) {
			neg[excluded.n_terms] = r->q->terms[i];
			neg[excluded.n_terms++].negated = 0;
		}
	}
	for (size_t i = 0; i < server->n && *n < limit; i++) {
		if (store_msg_get(r->st, server->results[i].event.event_id, &m, NULL) == 0) {
			store_msg_clear(&m);
			continue;
		}
		if (search_server_keeps(r, rooms, &excluded, &server->results[i]))
			search_server_hit(r, &out[(*n)++], &server->results[i]);
	}
	free(neg);
}

int
search_merge_server(struct store *st, const char *text, const struct search_opts *o,
    const struct mx_search *server, struct search_hit **hits, size_t *n, char **cause)
{
	struct search_query q;
	struct search_run r = {.st = st, .q = &q};
	struct search_ids rooms = {0};
	int64_t now_ms = o != NULL && o->now_ms > 0 ? o->now_ms : nt_now_ms();
	size_t limit = o != NULL && o->limit > 0 ? (size_t)o->limit : SEARCH_DEFAULT_LIMIT;
	struct search_hit *extra, *merged;
	size_t n_extra = 0, k = 0, i = 0, j = 0;
	int rc;

	if (limit > SEARCH_LIMIT_MAX)
		limit = SEARCH_LIMIT_MAX;
	if (search_parse(text, &q, cause) != 0)
		return -1;
	if ((rc = search_server_scope(&r, o, now_ms, &rooms, cause)) == -1)
		goto done;
	extra = xcalloc(limit, sizeof *extra);
	if (rc == 0)
		search_server_hits(&r, &rooms, server, extra, &n_extra, limit);
	merged = xcalloc(limit, sizeof *merged);
	while (k < limit && (i < *n || j < n_extra)) {
		struct search_hit *from = i < *n && (j == n_extra || i <= j) ? &(*hits)[i++] :
		    &extra[j++];

		merged[k++] = *from;
		memset(from, 0, sizeof *from);
	}
	search_hits_free(hits, *n);
	search_hits_free(&extra, n_extra);
	*hits = merged;
	*n = k;
	rc = 0;
done:
	search_ids_clear(&rooms);
	search_run_clear(&r);
	search_query_clear(&q);
	return rc;
}
