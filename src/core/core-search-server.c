/* Asking the homeserver's /search, for rooms beyond what the cache holds.
 * The answer is checked by the parser; here a hit from a room that was
 * not asked about is dropped as well. */
#include <stdlib.h>
#include <string.h>

#include "natter/core.h"
#include "natter/log.h"
#include "natter/util.h"

#define CORE_SEARCH_LIMIT_MAX 1000

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

int
core_search_server(struct core *c, const char *terms, const char *room_id, int limit,
    struct mx_search *out, char **cause)
{
	struct core_wait w = {0};
	char *why = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	out->count = -1;
	if (!c->logged_in)
		return cause_set(cause, "not logged in: there is no homeserver to ask");
	if (room_id != NULL && store_room_encrypted(c->store, room_id) == 1)
		return cause_set(cause, "the homeserver cannot search an encrypted room");
	if (limit < 1 || limit > CORE_SEARCH_LIMIT_MAX)
		limit = limit < 1 ? 1 : CORE_SEARCH_LIMIT_MAX;
	if (mx_search(c->mx, terms, room_id, limit, NULL, 0, core_wait_cb, &w, cause) == NULL)
		return -1;
	if ((rc = core_wait(c, &w, cause)) == 0 &&
	    (rc = mx_search_parse(w.raw, w.raw_len, out, &why)) == -1)
		cause_set(cause, "the homeserver sent search results that cannot be read: %s", why);
	core_wait_clear(&w);
	free(why);
	if (rc == 0) {
		core_search_keep(out, room_id, limit);
		log_msg("search: %zu results from the homeserver, %zu left out", out->n,
		    out->n_skipped);
	}
	return rc;
}
