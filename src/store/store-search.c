/* Candidates for natter search: the index or the timeline read with
 * every filter bound, never built into SQL. Ranking and snippets are
 * src/search's.
 *
 * The index holds tags beside the words (migration 5): the sender, the
 * room, a link, a file. Filters of those kinds join the words as tags,
 * so FTS5 reads the lists of rows of a word and a tag side by side from
 * the newest and stops at the cap; the SQL filters still check every
 * candidate, and a filter too wide for tags is left to them.
 *
 * A selective filter the tags do not cover (some days, or more rooms
 * than tags are asked for) first reads the ids of its rows from an
 * ordinary index into a sorted set; the index of words then reads its
 * matches within the set alone (natter_in), so a day's meetings cost a
 * walk down one doclist and no row of events for the matches of other
 * days.
 *
 * Relevance is natter_rank, FTS5's BM25 without its IDF factor: bm25()
 * counts the rows holding each phrase by reading the phrase's whole
 * doclist, 40 ms for a word in most messages, while every candidate
 * holds every word anyway, so IDF would only weigh one word's
 * repetitions against another's. Tags count for nothing. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

#define STORE_RANK_K1 1.2
#define STORE_RANK_B 0.75
#define STORE_RANK_COLUMNS 2
/* The most rows of a filter worth reading ahead: with words, to spare
 * reading the row of events of each match; without, to spare a scan of
 * the table, which is cheaper. */
#define STORE_SEARCH_SET_MAX 65536
#define STORE_SEARCH_LIST_SET_MAX 16384
#define STORE_SEARCH_SET_FEW 4096	/* rows the SQL filters check at once */
#define STORE_SEARCH_FIRST_ROWS 4	/* see store_search_matches */
#define STORE_SEARCH_TAGS_MAX 64	/* the most senders or rooms asked for as tags */
#define STORE_SEARCH_COMPLETIONS_MAX 16	/* OR-ed with a prefix; more: FTS5's prefix query */
#define STORE_SEARCH_DAYS_MAX 31	/* days asked for as tags at most */
#define STORE_DAY_MS 86400000LL

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

/* The rows a search may keep, from the indexes of its selective
 * filters: ascending ids, searched with bsearch by natter_in. */
struct store_ids {
	int64_t *ids;
	size_t n;
	int set;		/* 0 when no filter narrowed the search */
};

static int
store_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
store_ids_has(const struct store_ids *set, int64_t id)
{
	return set->n > 0 && bsearch(&id, set->ids, set->n, sizeof *set->ids, store_id_cmp) != NULL;
}

/* natter_in(set, rowid): 1 when the row is in the set, or there is none. */
static void
store_search_in(sqlite3_context *ctx, int n_args, sqlite3_value **args)
{
	const struct store_ids *set = sqlite3_value_pointer(args[0], "natter_ids");
	sqlite3_int64 id = sqlite3_value_int64(args[1]);

	(void)n_args;
	sqlite3_result_int(ctx, set == NULL || !set->set || store_ids_has(set, id));
}

/* The tokenizer of events_fts, as migration 10 created it. */
static int
store_words_open(struct store *st, fts5_api *api)
{
	static const char *args[] = {"unicode61", "remove_diacritics", "2"};
	void *ud;

	if (api->xFindTokenizer(api, STORE_FOLD_TOKENIZER, &ud, &st->words.api) != SQLITE_OK)
		return -1;
	return st->words.api.xCreate(ud, args, (int)NT_NELEMS(args), &st->words.tok) ==
	    SQLITE_OK ? 0 : -1;
}

static int
store_search_register(struct store *st, char **cause)
{
	fts5_api *api;
	sqlite3_stmt *s;

	if (st->rank_ready)
		return 0;
	api = store_fts5_api(st->db);
	if (api == NULL || api->xCreateFunction(api, "natter_rank", NULL, store_rank, NULL) !=
	    SQLITE_OK || store_words_open(st, api) != 0)
		return cause_set(cause, "%s: cannot search: this SQLite has no FTS5", st->path);
	if (sqlite3_create_function(st->db, "natter_in", 2, SQLITE_UTF8, NULL, store_search_in,
	    NULL, NULL) != SQLITE_OK)
		return store_error(st, "cannot search", cause);
	if ((s = store_stmt(st, STORE_SQL_SEARCH_TERMS_TABLE, cause)) == NULL ||
	    store_run(st, s, "cannot search", cause) != 0)
		return -1;
	st->rank_ready = 1;
	return 0;
}

void
store_search_close(struct store *st)
{
	if (st->words.tok != NULL)
		st->words.api.xDelete(st->words.tok);
	st->words.tok = NULL;
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

/* Reads the rows of one filter, bound by the caller, into the set: its
 * ids, or those it shares with the set so far. A filter keeping more than
 * STORE_SEARCH_SET_MAX rows narrows too little to be worth reading and
 * is left to the SQL filters. */
static int
store_ids_narrow(struct store *st, sqlite3_stmt *s, size_t max, struct store_ids *set,
    char **cause)
{
	int64_t *ids = NULL;
	size_t n = 0, k = 0, size = 0;
	int rc, sorted = 1;

	sqlite3_bind_int64(s, 2, (sqlite3_int64)max + 1);
	while ((rc = store_row(st, s, "cannot search", cause)) == 1) {
		if (n == size)
			ids = xreallocarray(ids, size = size * 2 + 1024, sizeof *ids);
		ids[n] = sqlite3_column_int64(s, 0);
		sorted = sorted && (n == 0 || ids[n - 1] < ids[n]);
		n++;
	}
	if (rc == -1 || n > max) {
		free(ids);
		return rc;
	}
	if (!sorted)
		qsort(ids, n, sizeof *ids, store_id_cmp);
	for (size_t i = 0; set->set && i < n; i++) {
		if (store_ids_has(set, ids[i]))
			ids[k++] = ids[i];
	}
	free(set->ids);
	set->ids = ids;
	set->n = set->set ? k : n;
	set->set = 1;
	return 0;
}

/* The times a search covers, within those of the cache's messages. */
struct store_span {
	int given;		/* the search names days */
	int64_t from, to;	/* [from, to), empty when to <= from */
	double rows;		/* the rows that may hold: its share of the cache's */
};

static int
store_search_span(struct store *st, const struct store_search *q, struct store_span *span,
    char **cause)
{
	sqlite3_stmt *s;
	int64_t first, last, rows;

	if ((span->given = q->since != INT64_MIN || q->until != INT64_MAX) == 0)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_SEARCH_SPAN, cause)) == NULL ||
	    store_row(st, s, "cannot search", cause) != 1)
		return -1;
	first = sqlite3_column_int64(s, 0);
	last = sqlite3_column_int64(s, 1);
	rows = sqlite3_column_int64(s, 2);
	store_done(s);
	span->from = q->since > first ? q->since : first;
	span->to = q->until <= last ? q->until : last + 1;
	span->rows = last < first || span->to <= span->from ? 0 :
	    (double)(span->to - span->from) / (double)(last - first + 1) * (double)rows;
	return 0;
}

/* One store_search under way. */
struct store_query {
	const struct store_search *q;
	const char *rooms;	/* JSON array of room ids, or NULL for all */
	struct store_span days;
	char *tags;		/* FTS5 expression of the filters' tags, or NULL */
	int rooms_tagged;	/* the rooms are among the tags */
	int days_tagged;	/* so are the days */
	struct store_ids set;	/* from the indexes of days and rooms not tagged */
};

/* Appends the tags of the ids of the JSON array json, OR-ed, each kind
 * and an id in hex as events_text makes them, unless there are none or
 * too many to be worth it. Returns 1 when added, 0 when not, or -1. */
static int
store_tags_add(struct store *st, struct buf *tags, const char *json, const char *kind,
    char **cause)
{
	sqlite3_stmt *s;
	int64_t n;

	if (json == NULL)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_SEARCH_TAGS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, json);
	store_bind_text(s, 2, kind);
	if (store_row(st, s, "cannot search", cause) != 1)
		return -1;
	n = sqlite3_column_int64(s, 0);
	if (n > 0 && n <= STORE_SEARCH_TAGS_MAX)
		buf_printf(tags, "%stags : (%s)", tags->len > 0 ? " AND " : "",
		    (const char *)sqlite3_column_text(s, 1));
	store_done(s);
	return n > 0 && n <= STORE_SEARCH_TAGS_MAX;
}

/* Appends the tags of the days of the span (UTC days since 1970, as
 * events_text counts them), OR-ed, unless there are too many. */
static int
store_tags_days(struct buf *tags, const struct store_span *span)
{
	int64_t first = span->from / STORE_DAY_MS, last = (span->to - 1) / STORE_DAY_MS;

	if (!span->given || span->to <= span->from || last - first >= STORE_SEARCH_DAYS_MAX)
		return 0;
	buf_printf(tags, "%stags : (", tags->len > 0 ? " AND " : "");
	for (int64_t day = first; day <= last; day++)
		buf_printf(tags, "%s\"0d%lld\"", day > first ? " OR " : "", (long long)day);
	buf_putc(tags, ')');
	return 1;
}

/* The tags a search's filters ask for: senders, rooms, days, links and
 * files. */
static int
store_search_tags(struct store *st, struct store_query *sq, char **cause)
{
	struct buf tags = {0};
	int rc;

	if (store_tags_add(st, &tags, sq->q->senders, "0s", cause) == -1 ||
	    (rc = store_tags_add(st, &tags, sq->rooms, "0r", cause)) == -1) {
		buf_free(&tags);
		return -1;
	}
	sq->rooms_tagged = rc;
	sq->days_tagged = store_tags_days(&tags, &sq->days);
	if (sq->q->has_link == 1)
		buf_printf(&tags, "%stags : \"0link\"", tags.len > 0 ? " AND " : "");
	if (sq->q->has_file == 1)
		buf_printf(&tags, "%stags : \"0file\"", tags.len > 0 ? " AND " : "");
	if (tags.len > 0)
		sq->tags = buf_steal(&tags);
	buf_free(&tags);
	return 0;
}

/* What the index is asked: the words, in text and file names only, and
 * the tags; without words, the tags without the excluded words. */
static char *
store_search_expr(const struct store_query *sq, const char *words, const char *exclude)
{
	if (words != NULL && sq->tags != NULL)
		return xasprintf("{text filename} : (%s) AND %s", words, sq->tags);
	if (words != NULL)
		return xasprintf("{text filename} : (%s)", words);
	if (exclude != NULL)
		return xasprintf("(%s) NOT {text filename} : (%s)", sq->tags, exclude);
	return xstrdup(sq->tags);
}

/* The set of a search's selective filters that tags do not cover: its
 * rooms (when too many for tags) and days (when too many, and yet few
 * rows), read until one leaves few rows; the SQL filters check the rest.
 * Rooms always narrow through their own rows: a scan of the table for
 * them may read most of it. */
static int
store_search_set(struct store *st, struct store_query *sq, char **cause)
{
	const struct store_search *q = sq->q;
	size_t max = q->match != NULL ? STORE_SEARCH_SET_MAX : STORE_SEARCH_LIST_SET_MAX;
	struct store_ids *set = &sq->set;
	sqlite3_stmt *s;
	int few = sq->days.given && !sq->days_tagged && sq->days.rows <= (double)max;

	if (sq->rooms != NULL && !sq->rooms_tagged) {
		if ((s = store_stmt(st, STORE_SQL_SEARCH_IDS_ROOMS, cause)) == NULL)
			return -1;
		store_bind_text(s, 1, sq->rooms);
		if (store_ids_narrow(st, s, STORE_SEARCH_SET_MAX, set, cause) != 0)
			return -1;
	}
	if (few && (!set->set || set->n > STORE_SEARCH_SET_FEW)) {
		if ((s = store_stmt(st, STORE_SQL_SEARCH_IDS_DAYS, cause)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, q->since);
		sqlite3_bind_int64(s, 3, q->until);
		if (store_ids_narrow(st, s, max, set, cause) != 0)
			return -1;
	}
	return 0;
}

/* Runs a statement of the index (STORE_SQL_SEARCH_MATCH or _TAGGED)
 * over expr, within the set, adding its rows. */
static int
store_search_index(struct store *st, enum store_sql id, const struct store_query *sq,
    const char *expr, struct store_search_row **rows, size_t *n, char **cause)
{
	const struct store_ids *set = &sq->set;
	sqlite3_stmt *s;
	int rc;

	if (store_search_register(st, cause) != 0)
		return -1;
	if ((s = store_stmt(st, id, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, expr);
	store_search_bind(s, sq->q, sq->rooms);
	sqlite3_bind_int64(s, 10, set->set ? set->ids[0] : 0);
	sqlite3_bind_int64(s, 11, set->set ? set->ids[set->n - 1] : INT64_MAX);
	sqlite3_bind_pointer(s, 12, (void *)set, "natter_ids", NULL);
	while ((rc = store_row(st, s, "cannot search", cause)) == 1)
		store_search_row_add(s, rows, n);
	return rc;
}

static int
store_token_add(void *arg, int flags, const char *token, int len, int start, int end)
{
	char **first = arg;

	(void)flags;
	(void)start;
	(void)end;
	if (*first == NULL)
		*first = xasprintf("%.*s", len, token);
	else
		**first = '\0';	/* a second token: no one token */
	return SQLITE_OK;
}

/* The token the index makes of word, or NULL when it makes none or more. */
static char *
store_word_token(struct store *st, const char *word)
{
	char *token = NULL;

	if (st->words.api.xTokenize(st->words.tok, &token, FTS5_TOKENIZE_QUERY |
	    FTS5_TOKENIZE_PREFIX, word, (int)strlen(word), store_token_add) != SQLITE_OK ||
	    (token != NULL && *token == '\0'))
		xfree(&token);
	return token;
}

/* The first word of the index after *from and before to, or NULL; *from
 * then follows it. */
static int
store_completion(struct store *st, char **from, const char *to, char **word, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*word = NULL;
	if ((s = store_stmt(st, STORE_SQL_SEARCH_COMPLETION, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, *from);
	store_bind_text(s, 2, to);
	if ((rc = store_row(st, s, "cannot search", cause)) == 1) {
		*word = store_column_text(s, 0);
		store_done(s);
		free(*from);
		*from = xasprintf("%s\x01", *word);
	}
	return rc == -1 ? -1 : 0;
}

/* The index's words that token starts, itself left out: at most max,
 * each found by a seek past the one before. */
static int
store_completions(struct store *st, const char *token, size_t max, char ***words, size_t *n,
    char **cause)
{
	char *from = xasprintf("%s\x01", token), *to = xasprintf("%s\xf4\x8f\xbf\xbf", token);
	char *word;
	int rc = 0;

	*words = NULL;
	*n = 0;
	while (*n < max && (rc = store_completion(st, &from, to, &word, cause)) == 0 &&
	    word != NULL) {
		*words = xreallocarray(*words, *n + 1, sizeof **words);
		(*words)[(*n)++] = word;
	}
	free(from);
	free(to);
	return rc;
}

static void
store_words_free(char **words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

/* The match with its prefix word whole, or OR-ed with n others. */
static char *
store_search_word_expr(const struct store_search *q, char *const *others, size_t n)
{
	char *phrase = store_fts_phrase(q->word), *p;
	struct buf b = {0};

	buf_puts(&b, q->head);
	if (n == 0)
		buf_puts(&b, phrase);
	else {
		buf_printf(&b, "(%s", phrase);
		for (size_t i = 0; i < n; i++) {
			buf_printf(&b, " OR %s", p = store_fts_phrase(others[i]));
			free(p);
		}
		buf_putc(&b, ')');
	}
	buf_puts(&b, q->tail);
	free(phrase);
	return buf_steal(&b);
}

/* What also finds the words the prefix completes to: the word OR-ed
 * with the few the index holds, each read lazily from the newest; FTS5's
 * prefix query, which merges whole lists of rows, only when they are
 * many or the word is more than one token. NULL when there are none. */
static int
store_search_widen(struct store *st, const struct store_search *q, char **expr, char **cause)
{
	char *token = store_word_token(st, q->word), **others;
	size_t n;

	*expr = NULL;
	if (token == NULL) {
		*expr = xstrdup(q->match);
		return 0;
	}
	if (store_completions(st, token, STORE_SEARCH_COMPLETIONS_MAX + 1, &others, &n,
	    cause) == -1) {
		free(token);
		return -1;
	}
	if (n > STORE_SEARCH_COMPLETIONS_MAX)
		*expr = xstrdup(q->match);
	else if (n > 0)
		*expr = store_search_word_expr(q, others, n);
	store_words_free(others, n);
	free(token);
	return 0;
}

static int
store_search_match(struct store *st, const struct store_query *sq, const char *words,
    struct store_search_row **rows, size_t *n, char **cause)
{
	char *expr = store_search_expr(sq, words, NULL);
	int rc = store_search_index(st, STORE_SQL_SEARCH_MATCH, sq, expr, rows, n, cause);

	free(expr);
	return rc;
}

/* With a prefix: the word whole first, which often fills the cap from
 * the newest rows alone; unless it did, the word widened to what it
 * completes to. A set of fewer rows than STORE_SEARCH_FIRST_ROWS times
 * the cap rarely holds that many matches of one word, and the first
 * pass would only read the word's whole doclist once more. */
static int
store_search_matches(struct store *st, const struct store_query *sq,
    struct store_search_row **rows, size_t *n, char **cause)
{
	const struct store_search *q = sq->q;
	int rc, first = !sq->set.set || sq->set.n >= STORE_SEARCH_FIRST_ROWS * (size_t)q->cap;
	char *expr;

	if (q->word == NULL)
		return store_search_match(st, sq, q->match, rows, n, cause);
	if (first) {
		expr = store_search_word_expr(q, NULL, 0);
		rc = store_search_match(st, sq, expr, rows, n, cause);
		free(expr);
		if (rc != 0 || *n >= (size_t)q->cap)
			return rc;
	}
	if (store_search_widen(st, q, &expr, cause) != 0)
		return -1;
	if (expr == NULL && first)
		return 0;
	store_search_rows_free(rows, *n);
	*n = 0;
	if (expr == NULL)
		expr = store_search_word_expr(q, NULL, 0);
	rc = store_search_match(st, sq, expr, rows, n, cause);
	free(expr);
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

/* Adds the row the statement s finds, unless it is excluded. */
static int
store_search_keep(struct store *st, sqlite3_stmt *s, sqlite3_stmt *ex, int64_t *next_ex,
    struct store_search_row **rows, size_t *n, char **cause)
{
	int out = store_search_excluded(st, ex, next_ex, sqlite3_column_int64(s, 0), cause);

	if (out == 0)
		store_search_row_add(s, rows, n);
	return out == -1 ? -1 : 0;
}

/* One batch of the newest messages below *below; returns how many the
 * batch held (kept or not), or -1. */
static int
store_search_batch(struct store *st, const struct store_query *sq, int64_t *below,
    sqlite3_stmt *ex, int64_t *next_ex, struct store_search_row **rows, size_t *n,
    char **cause)
{
	sqlite3_stmt *s;
	int rc = 0, seen = 0;

	if ((s = store_stmt(st, STORE_SQL_SEARCH_LIST, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, *below);
	store_search_bind(s, sq->q, sq->rooms);
	sqlite3_bind_int64(s, 10, 0);
	sqlite3_bind_int64(s, 11, INT64_MAX);
	while (*n < (size_t)sq->q->cap && (rc = store_row(st, s, "cannot search", cause)) == 1) {
		seen++;
		*below = sqlite3_column_int64(s, 0);
		if (store_search_keep(st, s, ex, next_ex, rows, n, cause) != 0) {
			store_done(s);
			return -1;
		}
	}
	store_done(s);
	return rc == -1 ? -1 : seen;
}

/* Without words and with a set: its rows newest first, each checked. */
static int
store_search_list_set(struct store *st, const struct store_query *sq, sqlite3_stmt *ex,
    int64_t *next_ex, struct store_search_row **rows, size_t *n, char **cause)
{
	const struct store_ids *set = &sq->set;
	sqlite3_stmt *s;
	int rc = 0;

	if ((s = store_stmt(st, STORE_SQL_SEARCH_ROW, cause)) == NULL)
		return -1;
	store_search_bind(s, sq->q, sq->rooms);
	for (size_t i = set->n; i > 0 && *n < (size_t)sq->q->cap && rc == 0; i--) {
		sqlite3_bind_int64(s, 1, set->ids[i - 1]);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			rc = store_search_keep(st, s, ex, next_ex, rows, n, cause);
		else
			rc = rc == SQLITE_DONE ? 0 : store_error(st, "cannot search", cause);
		sqlite3_reset(s);
	}
	store_done(s);
	return rc;
}

/* Without words or tags: the timeline newest first, filtered. */
static int
store_search_list(struct store *st, const struct store_query *sq,
    struct store_search_row **rows, size_t *n, char **cause)
{
	sqlite3_stmt *ex = NULL;
	int64_t below = INT64_MAX, next_ex = INT64_MAX;
	int seen;

	if (sq->q->exclude != NULL) {
		if ((ex = store_stmt(st, STORE_SQL_SEARCH_EXCLUDED, cause)) == NULL)
			return -1;
		store_bind_text(ex, 1, sq->q->exclude);
	}
	if (sq->set.set)
		seen = store_search_list_set(st, sq, ex, &next_ex, rows, n, cause);
	else {
		do {
			seen = store_search_batch(st, sq, &below, ex, &next_ex, rows, n, cause);
		} while (seen == sq->q->cap && *n < (size_t)sq->q->cap);
	}
	if (ex != NULL)
		store_done(ex);
	return seen == -1 ? -1 : 0;
}

/* Without words but with tags: the index's rows of the tags. */
static int
store_search_tagged(struct store *st, const struct store_query *sq,
    struct store_search_row **rows, size_t *n, char **cause)
{
	char *expr = store_search_expr(sq, NULL, sq->q->exclude);
	int rc = store_search_index(st, STORE_SQL_SEARCH_TAGGED, sq, expr, rows, n, cause);

	free(expr);
	return rc;
}

static int
store_search_run(struct store *st, struct store_query *sq, struct store_search_row **rows,
    size_t *n, char **cause)
{
	if (store_search_register(st, cause) != 0 ||
	    store_search_span(st, sq->q, &sq->days, cause) != 0 ||
	    store_search_tags(st, sq, cause) != 0 || store_search_set(st, sq, cause) != 0)
		return -1;
	if (sq->set.set && sq->set.n == 0)
		return 0;
	if (sq->q->match != NULL)
		return store_search_matches(st, sq, rows, n, cause);
	if (sq->tags != NULL)
		return store_search_tagged(st, sq, rows, n, cause);
	return store_search_list(st, sq, rows, n, cause);
}

int
store_search(struct store *st, const struct store_search *q, struct store_search_row **rows,
    size_t *n, char **cause)
{
	struct store_query sq = {.q = q};
	char *json;
	int rc;

	*rows = NULL;
	*n = 0;
	store_map(st);
	if ((json = store_search_rooms(st, q, cause)) == NULL)
		return -1;
	sq.rooms = *json != '\0' ? json : NULL;
	rc = store_search_run(st, &sq, rows, n, cause);
	free(sq.set.ids);
	free(sq.tags);
	free(json);
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
