/* Keeping the search index in step with events.
 *
 * SQLite 3.40's FTS5 writes its pending terms to disk at every statement
 * savepoint, and nearly every write opens one, so indexing row by row
 * (or from triggers) makes ingest several times slower. Instead, events
 * added by a write are indexed together as it commits, and a row indexed
 * before the write is taken out of the index before its text changes
 * and put back after. */
#include "natter/util.h"
#include "store-private.h"

int
store_write_begin(struct store *st, char **cause)
{
	sqlite3_stmt *s;

	if (store_begin(st, cause) != 0)
		return -1;
	if ((s = store_stmt(st, STORE_SQL_FTS_MAX_ID, cause)) == NULL ||
	    store_row(st, s, "cannot read the timeline", cause) != 1) {
		store_rollback(st);
		return -1;
	}
	st->fts_from = sqlite3_column_int64(s, 0) + 1;
	store_done(s);
	if ((s = store_stmt(st, STORE_SQL_ORPHANS_ANY, cause)) == NULL ||
	    store_row(st, s, "cannot read the timeline", cause) != 1) {
		store_rollback(st);
		return -1;
	}
	st->orphans = sqlite3_column_int(s, 0);
	store_done(s);
	return 0;
}

int
store_write_commit(struct store *st, char **cause)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_SQL_FTS_CATCH_UP, cause)) == NULL) {
		store_write_abort(st);
		return -1;
	}
	sqlite3_bind_int64(s, 1, st->fts_from);
	if (store_run(st, s, "cannot update the search index", cause) != 0) {
		store_write_abort(st);
		return -1;
	}
	st->fts_from = INT64_MAX;
	store_names_forget(st);
	return store_commit(st, cause);
}

void
store_write_abort(struct store *st)
{
	store_rollback(st);
	st->fts_from = INT64_MAX;
	store_names_forget(st);
}

static int
store_fts_row(struct store *st, enum store_sql sql, int64_t id, char **cause)
{
	sqlite3_stmt *s;

	/* Rows added by this write are indexed when it commits. */
	if (id >= st->fts_from)
		return 0;
	if ((s = store_stmt(st, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return store_run(st, s, "cannot update the search index", cause);
}

int
store_fts_unindex(struct store *st, int64_t id, char **cause)
{
	return store_fts_row(st, STORE_SQL_FTS_DELETE, id, cause);
}

int
store_fts_reindex(struct store *st, int64_t id, char **cause)
{
	return store_fts_row(st, STORE_SQL_FTS_INSERT, id, cause);
}
