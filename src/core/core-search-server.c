/* Asking the homeserver's /search, for rooms beyond what the cache holds.
 * The answer is checked by the parser; here a hit from a room that was
 * not asked about is dropped as well, and what the server finds joins
 * the cache's own hits. */
#include <stdlib.h>
#include <string.h>

#include "natter/event.h"
#include "natter/log.h"
#include "natter/search.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_SEARCH_LIMIT_MAX 1000

/* What the op needs after the answer: the query, the caller's hits. */
struct core_search {
	char *query;
	struct search_opts o;
	char *room_id;		/* o.room_id's copy */
	struct search_hit **hits;
	size_t *n;
};

static void
core_search_free(void *data)
{
	struct core_search *s = data;

	free(s->query);
	free(s->room_id);
	free(s);
}

/* Keeps the first limit hits, and only those in room_id when given: a
 * hit from elsewhere counts as malformed. */
static void
core_search_keep(struct mx_search *s, const char *room_id, int limit)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct mx_search_result *r = &s->results[i];
		int here = room_id == NULL || strcmp(r->room_id, room_id) == 0;

		if (here && kept < (size_t)limit) {
			s->results[kept++] = *r;
			continue;
		}
		s->n_skipped += !here;
		free(r->room_id);
		mx_event_clear(&r->event);
	}
	s->n = kept;
}

static void
core_search_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_search *s = op->data;
	struct mx_search *found;
	char *why = NULL;

	op->call = NULL;
	if (!res->ok) {
		why = core_why(op->c, res);
		core_op_fail(op, why);
	} else {
		found = res->parsed;
		core_search_keep(found, op->room_id, op->limit);
		log_msg("search: %zu results from the homeserver, %zu left out", found->n,
		    found->n_skipped);
		if (search_merge_server(op->c->store, s->query, &s->o, found, s->hits, s->n,
		    &why) == -1)
			core_op_fail(op, why);
		else
			core_op_end(op, CORE_DONE, NULL);
	}
	free(why);
}

int
core_search_server(struct core *c, const char *query, const struct search_opts *o,
    struct search_hit **hits, size_t *n, core_done_cb done, void *arg, char **cause)
{
	struct core_search *s;
	struct core_op *op;
	char *terms, *room_id;
	int limit = o->limit;

	if (!c->logged_in)
		return cause_set(cause, "not logged in: there is no homeserver to ask");
	if (search_server_ask(c->store, query, o, &terms, &room_id, cause) != 0)
		return -1;
	if (terms == NULL) {
		free(room_id);
		return cause_set(cause, "the homeserver searches for words, and this query has "
		    "only filters");
	}
	if (room_id != NULL && store_room_encrypted(c->store, room_id) == 1) {
		free(terms);
		free(room_id);
		return cause_set(cause, "the homeserver cannot search an encrypted room");
	}
	if (limit < 1 || limit > CORE_SEARCH_LIMIT_MAX)
		limit = limit < 1 ? 1 : CORE_SEARCH_LIMIT_MAX;
	s = xcalloc(1, sizeof *s);
	s->query = xstrdup(query);
	s->o = *o;
	s->room_id = o->room_id != NULL ? xstrdup(o->room_id) : NULL;
	s->o.room_id = s->room_id;
	s->hits = hits;
	s->n = n;
	op = core_op_new(c, done, arg, "the homeserver was not asked");
	op->data = s;
	op->free_data = core_search_free;
	op->room_id = room_id;
	op->limit = limit;
	op->call = mx_search(c->mx, terms, room_id, limit, NULL, 0, core_search_answer, op, cause);
	free(terms);
	return core_op_started(op, cause);
}
