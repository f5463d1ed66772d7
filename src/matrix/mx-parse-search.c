/* Parsing a /search response (event.h). As for /sync, everything is
 * untrusted: each hit's event goes through the one event parser, a hit
 * without a valid event or room id is skipped and counted, and a hit
 * repeating an earlier event id is dropped, so a merge never shows one
 * message twice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "mx-private.h"

struct search_key {
	const char *event_id;
	size_t idx;
};

/* One element of results[]: {rank, result: event with room_id}. */
static int
search_result(const cJSON *j, struct mx_search_result *r)
{
	const cJSON *ev = mx_json_obj(j, "result");
	const cJSON *rank = cJSON_GetObjectItemCaseSensitive(j, "rank");
	const char *why;

	memset(r, 0, sizeof *r);
	if (ev == NULL || (r->room_id = mx_json_id(ev, "room_id", '!')) == NULL)
		return -1;
	if (mx_event_from_json(ev, MX_EVENT_TIMELINE, r->room_id, &r->event, &why) != 0) {
		xfree(&r->room_id);
		return -1;
	}
	if (cJSON_IsNumber(rank) && isfinite(rank->valuedouble))
		r->rank = rank->valuedouble;
	return 0;
}

static int
search_key_cmp(const void *a, const void *b)
{
	const struct search_key *ka = a, *kb = b;
	int c = strcmp(ka->event_id, kb->event_id);

	if (c != 0)
		return c;
	return ka->idx < kb->idx ? -1 : ka->idx > kb->idx;
}

static void
search_result_clear(struct mx_search_result *r)
{
	xfree(&r->room_id);
	mx_event_clear(&r->event);
}

/* Drops every hit whose event id came earlier, keeping the order. */
static void
search_drop_repeats(struct mx_search *s)
{
	struct search_key *keys;
	char *repeat;
	size_t i, kept = 0;

	if (s->n < 2)
		return;
	keys = xreallocarray(NULL, s->n, sizeof *keys);
	repeat = xcalloc(s->n, 1);
	for (i = 0; i < s->n; i++) {
		keys[i].event_id = s->results[i].event.event_id;
		keys[i].idx = i;
	}
	qsort(keys, s->n, sizeof *keys, search_key_cmp);
	for (i = 1; i < s->n; i++) {
		if (strcmp(keys[i].event_id, keys[i - 1].event_id) == 0)
			repeat[keys[i].idx] = 1;
	}
	for (i = 0; i < s->n; i++) {
		if (repeat[i]) {
			search_result_clear(&s->results[i]);
			s->n_skipped++;
		} else
			s->results[kept++] = s->results[i];
	}
	s->n = kept;
	free(repeat);
	free(keys);
}

static void
search_results(struct mx_search *s, const cJSON *results)
{
	int max = cJSON_IsArray(results) ? cJSON_GetArraySize(results) : 0;
	const cJSON *j;

	if (max <= 0)
		return;
	s->results = xreallocarray(NULL, (size_t)max, sizeof *s->results);
	cJSON_ArrayForEach(j, results) {
		if (search_result(j, &s->results[s->n]) == 0)
			s->n++;
		else
			s->n_skipped++;
	}
	if (s->n == 0)
		xfree(&s->results);
	search_drop_repeats(s);
}

int
mx_search_parse(const char *json, size_t len, struct mx_search *out, char **cause)
{
	cJSON *root = mx_json_root(json, len, "search", cause);
	const cJSON *events;

	memset(out, 0, sizeof *out);
	out->count = -1;
	if (root == NULL)
		return -1;
	events = mx_json_obj(mx_json_obj(root, "search_categories"), "room_events");
	if (events == NULL) {
		mx_json_free(root);
		return cause_set(cause, "the search response has no room_events");
	}
	search_results(out, mx_json_arr(events, "results"));
	out->count = mx_json_count(events, "count");
	out->next_batch = mx_json_token(events, "next_batch");
	mx_json_free(root);
	return 0;
}

void
mx_search_clear(struct mx_search *s)
{
	for (size_t i = 0; i < s->n; i++)
		search_result_clear(&s->results[i]);
	xfree(&s->results);
	xfree(&s->next_batch);
	s->n = s->n_skipped = 0;
	s->count = -1;
}
