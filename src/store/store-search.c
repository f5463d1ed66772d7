/* Candidates for natter search: the index or the timeline read with
 * every filter bound, never built into SQL. Ranking and snippets are
 * src/search's.
 *
 * Relevance is natter_rank, FTS5's BM25 without its IDF factor: bm25()
 * counts the rows holding each phrase by reading the phrase's whole
 * doclist, 40 ms for a word in most messages, while every candidate
 * holds every word anyway, so IDF would only weigh one word's
 * repetitions against another's. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

#define STORE_RANK_K1 1.2
#define STORE_RANK_B 0.75
#define STORE_RANK_COLUMNS 2

static const double store_rank_weight[STORE_RANK_COLUMNS] = {1.0, 0.5};	/* text, filename */

static void
store_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int n_args,
    sqlite3_value **args)
{
	int n_inst = 0, phrase, col, off, len;
	sqlite3_int64 rows = 0, total;
	double score = 0, tf[STORE_RANK_COLUMNS] = {0}, avg, norm;

	if (api->xRowCount(fts, &rows) != SQLITE_OK || rows <= 0 ||
	    api->xInstCount(fts, &n_inst) != SQLITE_OK) {
		sqlite3_result_double(ctx, 0);
		return;
	}
	for (int i = 0; i < n_inst; i++) {
		if (api->xInst(fts, i, &phrase, &col, &off) == SQLITE_OK && col >= 0 &&
		    col < STORE_RANK_COLUMNS)
			tf[col] += 1;
	}
	for (col = 0; col < STORE_RANK_COLUMNS; col++) {
		if (tf[col] == 0 || api->xColumnTotalSize(fts, col, &total) != SQLITE_OK ||
		    api->xColumnSize(fts, col, &len) != SQLITE_OK)
			continue;
		avg = total > 0 ? (double)total / (double)rows : 1;
		norm = 1 - STORE_RANK_B + STORE_RANK_B * (double)len / avg;
		score += store_rank_weight[col] * tf[col] * (STORE_RANK_K1 + 1) /
		    (tf[col] + STORE_RANK_K1 * norm);
	}
	sqlite3_result_double(ctx, -score);
}

static int
store_rank_register(struct store *st, char **cause)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s;

	if (st->rank_ready)
		return 0;
	if (sqlite3_prepare_v2(st->db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
		return store_error(st, "cannot search", cause);
	sqlite3_bind_pointer(s, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	sqlite3_finalize(s);
	if (api == NULL || api->xCreateFunction(api, "natter_rank", NULL, store_rank, NULL) !=
	    SQLITE_OK)
		return cause_set(cause, "%s: cannot search: this SQLite has no FTS5", st->path);
	st->rank_ready = 1;
	return 0;
}

static void
store_search_bind(sqlite3_stmt *s, const struct store_search *q, const char *rooms)
{
	store_bind_text(s, 2, rooms);
	store_bind_text(s, 3, q->senders);
	sqlite3_bind_int64(s, 4, q->since);
	sqlite3_bind_int64(s, 5, q->until);
	sqlite3_bind_int(s, 6, q->has_file);
	sqlite3_bind_int(s, 7, q->has_link);
	sqlite3_bind_int(s, 8, q->is_dm);
	sqlite3_bind_int(s, 9, q->cap);
}

static void
store_search_row_add(sqlite3_stmt *s, struct store_search_row **rows, size_t *n)
{
	struct store_search_row *r;

	*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
	r = &(*rows)[(*n)++];
	r->id = sqlite3_column_int64(s, 0);
	r->ts = sqlite3_column_int64(s, 1);
	r->bm25 = sqlite3_column_double(s, 2);
	r->event_id = store_column_text(s, 3);
}

/* The rooms a search is confined to as JSON: those given, or with is:dm
 * the direct chats. NULL for all rooms. */
static char *
store_search_rooms(struct store *st, const struct store_search *q, char **cause)
{
	sqlite3_stmt *s;
	char *rooms;

	if (q->rooms != NULL || q->is_dm != 1)
		return xstrdup(q->rooms != NULL ? q->rooms : "");
	if ((s = store_stmt(st, STORE_SQL_SEARCH_DM_ROOMS, cause)) == NULL ||
	    store_row(st, s, "cannot search", cause) != 1)
		return NULL;
	rooms = store_column_text(s, 0);
	store_done(s);
	return rooms;
}

/* The first and last rows of the rooms searched: reading the index or
 * the timeline between them only. */
static int
store_search_range(struct store *st, const char *rooms, int64_t *lo, int64_t *hi,
    char **cause)
{
	sqlite3_stmt *s;

	*lo = 0;
	*hi = INT64_MAX;
	if (rooms == NULL)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_SEARCH_ID_RANGE, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, rooms);
	if (store_row(st, s, "cannot search", cause) != 1)
		return -1;
	if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		*hi = -1;
	else {
		*lo = sqlite3_column_int64(s, 0);
		*hi = sqlite3_column_int64(s, 1);
	}
	store_done(s);
	return 0;
}

static int
store_search_match(struct store *st, const struct store_search *q, const char *rooms,
    struct store_search_row **rows, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int64_t lo, hi;
	int rc;

	if (store_rank_register(st, cause) != 0 ||
	    store_search_range(st, rooms, &lo, &hi, cause) != 0)
		return -1;
	if ((s = store_stmt(st, STORE_SQL_SEARCH_MATCH, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, q->match);
	store_search_bind(s, q, rooms);
	sqlite3_bind_int64(s, 10, lo);
	sqlite3_bind_int64(s, 11, hi);
	while ((rc = store_row(st, s, "cannot search", cause)) == 1)
		store_search_row_add(s, rows, n);
	return rc;
}

/* The next excluded row at or below id: rows come newest first from both
 * sides, so each is read once. */
static int
store_search_excluded(struct store *st, sqlite3_stmt *ex, int64_t *next, int64_t id,
    char **cause)
{
	int rc;

	while (ex != NULL && *next > id) {
		if ((rc = store_row(st, ex, "cannot search", cause)) == -1)
			return -1;
		*next = rc == 1 ? sqlite3_column_int64(ex, 0) : INT64_MIN;
	}
	return ex != NULL && *next == id;
}

/* One batch of the newest messages below *below; returns how many the
 * batch held (kept or not), or -1. */
static int
store_search_batch(struct store *st, const struct store_search *q, const char *rooms,
    const int64_t *range, int64_t *below, sqlite3_stmt *ex, int64_t *next_ex,
    struct store_search_row **rows, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int rc = 0, seen = 0, out;

	s = store_stmt(st, rooms != NULL ? STORE_SQL_SEARCH_ROOMS_LIST : STORE_SQL_SEARCH_LIST,
	    cause);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, *below);
	store_search_bind(s, q, rooms);
	sqlite3_bind_int64(s, 10, range[0]);
	sqlite3_bind_int64(s, 11, range[1]);
	while (*n < (size_t)q->cap && (rc = store_row(st, s, "cannot search", cause)) == 1) {
		seen++;
		*below = sqlite3_column_int64(s, 0);
		if ((out = store_search_excluded(st, ex, next_ex, *below, cause)) == -1) {
			store_done(s);
			return -1;
		}
		if (!out)
			store_search_row_add(s, rows, n);
	}
	store_done(s);
	return rc == -1 ? -1 : seen;
}

static int
store_search_list(struct store *st, const struct store_search *q, const char *rooms,
    struct store_search_row **rows, size_t *n, char **cause)
{
	sqlite3_stmt *ex = NULL;
	int64_t below = INT64_MAX, next_ex = INT64_MAX, range[2];
	int seen;

	if (store_search_range(st, rooms, &range[0], &range[1], cause) != 0)
		return -1;
	if (q->exclude != NULL) {
		if ((ex = store_stmt(st, STORE_SQL_SEARCH_EXCLUDED, cause)) == NULL)
			return -1;
		store_bind_text(ex, 1, q->exclude);
	}
	do {
		seen = store_search_batch(st, q, rooms, range, &below, ex, &next_ex, rows, n,
		    cause);
	} while (seen == q->cap && *n < (size_t)q->cap);
	if (ex != NULL)
		store_done(ex);
	return seen == -1 ? -1 : 0;
}

int
store_search(struct store *st, const struct store_search *q, struct store_search_row **rows,
    size_t *n, char **cause)
{
	char *rooms;
	int rc;

	*rows = NULL;
	*n = 0;
	if ((rooms = store_search_rooms(st, q, cause)) == NULL)
		return -1;
	if (q->match != NULL)
		rc = store_search_match(st, q, *rooms != '\0' ? rooms : NULL, rows, n, cause);
	else
		rc = store_search_list(st, q, *rooms != '\0' ? rooms : NULL, rows, n, cause);
	free(rooms);
	if (rc == -1) {
		store_search_rows_free(rows, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

void
store_search_rows_free(struct store_search_row **rows, size_t n)
{
	if (*rows == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((*rows)[i].event_id);
	xfree(rows);
}

int
store_search_names(struct store *st, const char *match, size_t cap, char ***user_ids,
    size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*user_ids = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_SEARCH_NAMES, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, match);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)cap);
	while ((rc = store_row(st, s, "cannot search names", cause)) == 1) {
		*user_ids = xreallocarray(*user_ids, *n + 1, sizeof **user_ids);
		(*user_ids)[(*n)++] = store_column_text(s, 0);
	}
	if (rc == -1) {
		for (size_t i = 0; i < *n; i++)
			free((*user_ids)[i]);
		xfree(user_ids);
		*n = 0;
		return -1;
	}
	return 0;
}
