/* libFuzzer target: whatever bytes a user types, search_parse gives a
 * query or a clear message (inert text); a query's terms are searchable,
 * its days real and only its last word a prefix unless it ends in *; and
 * every FTS5 expression built from it is one FTS5 itself reads without a
 * syntax error. The words for the server are letters and digits with
 * single spaces, and a snippet is inert, valid UTF-8 with its marks in
 * pairs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <utf8proc.h>

#include "natter/search.h"
#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* Valid UTF-8 without control characters but the snippet marks, which
 * come in pairs when marks is set; decoded with utf8proc. */
static void
check_inert(const char *s, int marks)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	int open = 0;

	for (; *s != '\0'; s += n) {
		n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &c);
		check(n > 0);
		if (marks && (c == SEARCH_MARK_ON[0] || c == SEARCH_MARK_OFF[0])) {
			check(open == (c == SEARCH_MARK_OFF[0]));
			open = !open;
			continue;
		}
		check(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f));
	}
	check(!open);
}

/* An in-memory FTS5 table like the cache's, with one row. */
static sqlite3_stmt *
fts_statement(void)
{
	static sqlite3 *db;
	static sqlite3_stmt *s;

	if (s != NULL)
		return s;
	check(sqlite3_open(":memory:", &db) == SQLITE_OK);
	check(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(text, filename,"
	    " tokenize='unicode61 remove_diacritics 2');"
	    "INSERT INTO t VALUES ('the board meeting moved to Thursday', 'q3-report.pdf')",
	    NULL, NULL, NULL) == SQLITE_OK);
	check(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &s, NULL) ==
	    SQLITE_OK);
	return s;
}

static void
check_fts(char *expr)
{
	sqlite3_stmt *s = fts_statement();

	if (expr == NULL)
		return;
	sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
	check(sqlite3_step(s) == SQLITE_ROW);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	free(expr);
}

static void
check_days(const struct search_day *d)
{
	if (!d->set)
		return;
	if (d->relative) {
		check(d->offset == 0 || d->offset == -1);
		return;
	}
	check(d->year >= 1970 && d->year <= 9999 && d->month >= 1 && d->month <= 12);
	check(d->day >= 1 && d->day <= 31);
}

static void
check_query(const struct search_query *q)
{
	check(q->n_terms + q->n_from + q->n_in > 0 || q->before.set || q->after.set ||
	    q->on.set || q->has_file != SEARCH_EITHER || q->has_link != SEARCH_EITHER ||
	    q->is_dm != SEARCH_EITHER);
	check(q->n_terms + q->n_from + q->n_in <= SEARCH_MAX_TERMS);
	for (size_t i = 0; i < q->n_terms; i++) {
		const struct search_term *t = &q->terms[i];
		size_t len = strlen(t->text);

		check(search_text_searchable(t->text));
		check(!(t->negated && t->prefix));
		check(!t->prefix || i == q->n_terms - 1 || t->text[len - 1] == '*');
	}
	for (size_t i = 0; i < q->n_from; i++)
		check(q->from[i][0] != '\0');
	for (size_t i = 0; i < q->n_in; i++)
		check(q->in[i][0] != '\0');
	check_days(&q->before);
	check_days(&q->after);
	check_days(&q->on);
}

/* Letters and digits, one space between words, none at the ends. */
static void
check_server_words(const struct search_query *q)
{
	char *w = search_server_words(q);
	size_t len;

	if (w == NULL)
		return;
	len = strlen(w);
	check(len > 0 && w[0] != ' ' && w[len - 1] != ' ' && strstr(w, "  ") == NULL);
	check(search_text_searchable(w));
	check_inert(w, 0);
	free(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1), *cause = NULL, *snip;
	struct search_query q;

	memcpy(text, data, size);
	text[size] = '\0';
	if (search_parse(text, &q, &cause) != 0) {
		check(cause != NULL && cause[0] != '\0');
		check_inert(cause, 0);
		free(cause);
		free(text);
		return 0;
	}
	check(cause == NULL);
	check_query(&q);
	for (unsigned skip = 0; skip < 4; skip++)
		check_fts(search_fts_match(&q, skip));
	check_fts(search_fts_match(&q, ~0u));
	check_fts(search_fts_excluded(&q));
	check_server_words(&q);
	snip = search_snippet(&q, "The board meeting (Q3-report) moved to Thursday, café", 40);
	check_inert(snip, 1);
	free(snip);
	snip = search_snippet(&q, text, 30);
	check_inert(snip, 1);
	free(snip);
	search_query_clear(&q);
	free(text);
	return 0;
}
