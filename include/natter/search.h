/* search: the query language of local full-text search and running it
 * over the cache. It owns the parser (pure: no SQLite), the FTS5
 * expressions built from its terms, ranking and snippets. Whatever a
 * user types is either a query or a clear message; no text of theirs
 * ever reaches SQLite as query syntax. */
#ifndef NATTER_SEARCH_H
#define NATTER_SEARCH_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Highlight marks in search_hit.snippet around each match. The snippet
 * has been through san_text, which never lets these bytes through, so
 * server text cannot forge a highlight. */
#define SEARCH_MARK_ON "\x02"
#define SEARCH_MARK_OFF "\x03"

#define SEARCH_MAX_LEN 1000	/* bytes of query text */
#define SEARCH_MAX_TERMS 32	/* words, phrases and filters */
#define SEARCH_LIMIT_MAX 1000

/* A word or "phrase" of the query. A word that holds punctuation
 * (multi-agent, 20.04) is matched as the phrase of its parts. */
struct search_term {
	char *text;		/* as typed, without quotes or the leading - */
	int phrase;		/* typed in quotes */
	int negated;		/* -word or -"phrase": messages without it */
	int prefix;		/* the last word, still being typed: a prefix */
};

/* A day of before:/after:/on:, as typed: a date, or days from today
 * (today 0, yesterday -1) when relative. */
struct search_day {
	int set;
	int relative;
	int year, month, day;
	int offset;
};

enum {
	SEARCH_EITHER = -1,	/* has:/is: not given */
	SEARCH_WITHOUT = 0,	/* -has:link */
	SEARCH_ONLY = 1,	/* has:link */
};

struct search_query {
	struct search_term *terms;
	size_t n_terms;
	char **from;		/* user ids or display names, any of them */
	size_t n_from;
	char **in;		/* rooms as typed, any of them */
	size_t n_in;
	struct search_day before, after, on;
	int has_file, has_link, is_dm;	/* SEARCH_EITHER, _WITHOUT or _ONLY */
};

/* Parses what the user typed. Returns 0, or -1 with a cause that says
 * what to change (empty query, unknown has: value, bad date, ...). */
int search_parse(const char *text, struct search_query *q, char **cause);
void search_query_clear(struct search_query *q);

/* 1 when text holds a letter or digit, the only characters the index
 * keeps: "*", "--" or an emoji alone match nothing. */
int search_text_searchable(const char *text);

/* The FTS5 MATCH expression of the query's terms: each one an FTS5
 * string, "..." with " doubled, so AND, NEAR, *, ^ and : are words.
 * The i-th positive term is left out when bit i of skip is set (these
 * match by sender name instead); negated terms follow NOT. Returns NULL
 * when no positive term is left. */
char *search_fts_match(const struct search_query *q, unsigned skip);
/* search_fts_match around its last term, when that is a word typed as
 * a prefix that skip keeps: the expression is *head, the word as an
 * FTS5 string followed by " *", and *tail. Returns 0, or -1 when the
 * last term is no such word. */
int search_fts_split(const struct search_query *q, unsigned skip, char **head, char **tail);
/* The negated terms alone, OR-ed, or NULL when there are none. */
char *search_fts_excluded(const struct search_query *q);
/* The positive terms' words, anything else made a space, or NULL. */
char *search_server_words(const struct search_query *q);

/* Local midnight starting a day, in ms since the epoch. */
int64_t search_day_start(const struct search_day *d, int64_t now_ms);

struct search_opts {
	const char *room_id;	/* only this room, or NULL for all */
	int limit;		/* hits wanted; 0 means 20 */
	int64_t now_ms;		/* for recency and today/yesterday; 0 means now */
};

struct search_hit {
	char *room_id;
	char *room_name;
	char *event_id;
	char *sender;
	char *sender_name;
	int64_t ts;
	char *body;		/* latest text, as stored (not sanitised) */
	char *filename;		/* of a file message, or NULL */
	char *snippet;		/* sanitised, matches between SEARCH_MARK_ON/OFF */
	double score;		/* higher is better */
	int from_server;	/* found by the homeserver's /search only */
	char *thread_root;	/* the root of the thread it is a reply in, or NULL */
	char *thread_text;	/* that root's text when cached (not sanitised), or NULL */
};

/* Runs text over the cache: hits best first (relevance with recency),
 * or newest first when the query has only filters and negations. */
int search_run(struct store *st, const char *text, const struct search_opts *o,
    struct search_hit **hits, size_t *n, char **cause);
void search_hits_free(struct search_hit **hits, size_t n);

/* What to ask the homeserver's /search for text and o: *terms, the
 * query's positive words and phrases with their punctuation made spaces
 * (the server applies no filters), NULL when it has none; *room_id, the
 * one room it is confined to (o->room_id, or a single in:), else NULL
 * for all. Returns -1 with a cause when text is not a query. */
int search_server_ask(struct store *st, const char *text, const struct search_opts *o,
    char **terms, char **room_id, char **cause);

struct mx_search;

/* Merges the homeserver's results for text into the local hits of
 * search_run(text, o). A result the cache holds is left to the local
 * search, which found it or ranked it lower; the others that pass the
 * query's filters (rooms, is:dm, from:, dates, has:, -words, checked
 * here) become hits marked from_server. Local hits and server hits
 * alternate, each in their own order, until o->limit. */
int search_merge_server(struct store *st, const char *text, const struct search_opts *o,
    const struct mx_search *server, struct search_hit **hits, size_t *n, char **cause);

/* The highlighted snippet of text for the query: san_text'ed, cut to
 * about width characters around the first match. */
char *search_snippet(const struct search_query *q, const char *text, size_t width);
/* 1 when text holds a word (or the prefix) of a positive term. */
int search_text_matches(const struct search_query *q, const char *text);

#endif
