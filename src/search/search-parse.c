/* The query language: words, "phrases", -negations and filters, read
 * from whatever the user typed, and the FTS5 expressions built from
 * them. Every term reaches FTS5 as a quoted string, so there is no text
 * that makes a syntax error: quotes, AND, NEAR(, *, ^ and col: are
 * ordinary characters here. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <utf8proc.h>

#include "natter/sanitize.h"
#include "natter/search.h"
#include "natter/util.h"

#define SEARCH_PREFIX_MIN 3	/* bytes of the last token that make it a prefix */

enum search_key {
	SEARCH_KEY_NONE,
	SEARCH_KEY_FROM,
	SEARCH_KEY_IN,
	SEARCH_KEY_BEFORE,
	SEARCH_KEY_AFTER,
	SEARCH_KEY_ON,
	SEARCH_KEY_HAS,
	SEARCH_KEY_IS,
};

static const struct {
	const char *name;
	enum search_key key;
	const char *wants;	/* said when the value is missing or wrong */
} search_keys[] = {
	{"from", SEARCH_KEY_FROM, "a user id or a display name (from:@dana:example.org, from:Dana)"},
	{"in", SEARCH_KEY_IN, "a room name, alias or id (in:#team:example.org)"},
	{"before", SEARCH_KEY_BEFORE, "a date: YYYY-MM-DD, today or yesterday"},
	{"after", SEARCH_KEY_AFTER, "a date: YYYY-MM-DD, today or yesterday"},
	{"on", SEARCH_KEY_ON, "a date: YYYY-MM-DD, today or yesterday"},
	{"has", SEARCH_KEY_HAS, "file or link"},
	{"is", SEARCH_KEY_IS, "dm"},
};

/* The parser's place in the text and what it has found. */
struct search_reader {
	const char *p;
	struct search_query *q;
	size_t n_items;
};

static int
search_is_space(unsigned char c)
{
	return c == ' ' || c < 0x20 || c == 0x7f;
}

/* Letters, digits and private-use characters: what FTS5's unicode61
 * tokenizer keeps. */
static int
search_is_token_cp(utf8proc_int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_CO:
		return 1;
	default:
		return 0;
	}
}

int
search_text_searchable(const char *text)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;

	while (*p != '\0') {
		n = utf8proc_iterate(p, -1, &c);
		if (n <= 0) {
			p++;
			continue;
		}
		if (search_is_token_cp(c))
			return 1;
		p += n;
	}
	return 0;
}

static int
search_add_term(struct search_reader *r, char *text, int phrase, int negated, int prefix)
{
	struct search_query *q = r->q;
	struct search_term *t;

	if (!search_text_searchable(text)) {
		free(text);
		return 0;
	}
	q->terms = xreallocarray(q->terms, q->n_terms + 1, sizeof *q->terms);
	t = &q->terms[q->n_terms++];
	t->text = text;
	t->phrase = phrase;
	t->negated = negated;
	t->prefix = prefix;
	return 0;
}

static void
search_push(char ***list, size_t *n, char *value)
{
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = value;
}

/* Reads a quoted value after the opening quote; an unclosed quote runs
 * to the end, as it does while the user is still typing. */
static char *
search_read_quoted(struct search_reader *r)
{
	const char *end = strchr(r->p, '"');
	char *text;

	if (end == NULL)
		end = r->p + strlen(r->p);
	text = xstrndup(r->p, (size_t)(end - r->p));
	r->p = *end == '"' ? end + 1 : end;
	return text;
}

static char *
search_read_word(struct search_reader *r)
{
	const char *start = r->p;

	while (*r->p != '\0' && !search_is_space((unsigned char)*r->p))
		r->p++;
	return xstrndup(start, (size_t)(r->p - start));
}

static int
search_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* Reads up to max digits; returns how many there were. */
static int
search_digits(const char **p, int max, int *out)
{
	int n = 0;

	*out = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		*out = *out * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

static int
search_parse_day(const char *v, struct search_day *d)
{
	const char *p = v;

	memset(d, 0, sizeof *d);
	d->set = 1;
	if (strcasecmp(v, "today") == 0 || strcasecmp(v, "yesterday") == 0) {
		d->relative = 1;
		d->offset = tolower((unsigned char)v[0]) == 't' ? 0 : -1;
		return 0;
	}
	if (search_digits(&p, 4, &d->year) != 4 || *p++ != '-' ||
	    search_digits(&p, 2, &d->month) == 0 || *p++ != '-' ||
	    search_digits(&p, 2, &d->day) == 0 || *p != '\0')
		return -1;
	if (d->year < 1970 || d->month < 1 || d->month > 12 || d->day < 1 ||
	    d->day > search_days_in_month(d->year, d->month))
		return -1;
	return 0;
}

static int
search_filter_fail(size_t k, const char *value, char **cause)
{
	char *safe = san_text(value, 0);

	if (*value == '\0')
		cause_set(cause, "%s: needs %s", search_keys[k].name, search_keys[k].wants);
	else
		cause_set(cause, "%s:%s is not understood; %s: takes %s", search_keys[k].name, safe,
		    search_keys[k].name, search_keys[k].wants);
	free(safe);
	return -1;
}

static int
search_filter_flag(int *flag, int negated, size_t k, const char *value, const char *want,
    char **cause)
{
	if (strcasecmp(value, want) != 0)
		return search_filter_fail(k, value, cause);
	*flag = negated ? SEARCH_WITHOUT : SEARCH_ONLY;
	return 0;
}

/* One key:value; value is taken over (freed here). */
static int
search_apply_filter(struct search_reader *r, size_t k, char *value, int negated, char **cause)
{
	struct search_query *q = r->q;
	enum search_key key = search_keys[k].key;
	struct search_day *day;
	int rc = 0;

	if (negated && key != SEARCH_KEY_HAS && key != SEARCH_KEY_IS) {
		free(value);
		return cause_set(cause, "-%s: cannot be negated; only has: and is: can (-has:link)",
		    search_keys[k].name);
	}
	if (*value == '\0' || (key != SEARCH_KEY_FROM && key != SEARCH_KEY_IN &&
	    !search_text_searchable(value))) {
		rc = search_filter_fail(k, value, cause);
		free(value);
		return rc;
	}
	switch (key) {
	case SEARCH_KEY_FROM: search_push(&q->from, &q->n_from, value); return 0;
	case SEARCH_KEY_IN: search_push(&q->in, &q->n_in, value); return 0;
	case SEARCH_KEY_HAS:
		if (strcasecmp(value, "link") == 0)
			rc = search_filter_flag(&q->has_link, negated, k, value, "link", cause);
		else
			rc = search_filter_flag(&q->has_file, negated, k, value, "file", cause);
		break;
	case SEARCH_KEY_IS: rc = search_filter_flag(&q->is_dm, negated, k, value, "dm", cause); break;
	default:
		day = key == SEARCH_KEY_BEFORE ? &q->before : key == SEARCH_KEY_AFTER ? &q->after :
		    &q->on;
		if (search_parse_day(value, day) != 0)
			rc = search_filter_fail(k, value, cause);
		break;
	}
	free(value);
	return rc;
}

/* The filter key that starts the text at p (before its ':'), if any. */
static int
search_filter_key(const char *p, size_t *k, const char **value)
{
	const char *colon = p;

	while (*colon != '\0' && *colon != ':' && !search_is_space((unsigned char)*colon))
		colon++;
	if (*colon != ':')
		return 0;
	for (size_t i = 0; i < NT_NELEMS(search_keys); i++) {
		size_t len = strlen(search_keys[i].name);

		if ((size_t)(colon - p) == len && strncasecmp(p, search_keys[i].name, len) == 0) {
			*k = i;
			*value = colon + 1;
			return 1;
		}
	}
	return 0;
}

/* Bytes of the word's last run of letters and digits: the token a prefix
 * would be made of. */
static size_t
search_last_token_len(const char *word)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)word;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	size_t len = 0;
	int in_token = 0;

	while (*p != '\0') {
		n = utf8proc_iterate(p, -1, &c);
		if (n > 0 && search_is_token_cp(c)) {
			len = in_token ? len + (size_t)n : (size_t)n;
			in_token = 1;
		} else
			in_token = 0;
		p += n > 0 ? n : 1;
	}
	return len;
}

/* The last word is still being typed, unless a space follows it; a
 * trailing * asks for a prefix anywhere. A prefix of one or two ASCII
 * letters stands for so many words that FTS5 merges most of the index
 * (50 ms for "b"): as it is typed, such a word is matched whole until
 * its third byte (one CJK character is three). */
static int
search_word_prefix(const struct search_reader *r, const char *word)
{
	size_t len = strlen(word);

	if (len > 0 && word[len - 1] == '*')
		return 1;
	return *r->p == '\0' && search_last_token_len(word) >= SEARCH_PREFIX_MIN;
}

static int
search_read_item(struct search_reader *r, char **cause)
{
	const char *value;
	char *text;
	size_t k;
	int negated = 0;

	if (++r->n_items > SEARCH_MAX_TERMS)
		return cause_set(cause, "too many words in the query (at most %d)", SEARCH_MAX_TERMS);
	if (r->p[0] == '-' && r->p[1] != '\0' && !search_is_space((unsigned char)r->p[1])) {
		negated = 1;
		r->p++;
	}
	if (*r->p == '"') {
		r->p++;
		return search_add_term(r, search_read_quoted(r), 1, negated, 0);
	}
	if (search_filter_key(r->p, &k, &value)) {
		r->p = value;
		if (*r->p == '"') {
			r->p++;
			text = search_read_quoted(r);
		} else
			text = search_read_word(r);
		return search_apply_filter(r, k, text, negated, cause);
	}
	text = search_read_word(r);
	return search_add_term(r, text, 0, negated, !negated && search_word_prefix(r, text));
}

/* Only the last positive word is a prefix, and only if nothing else
 * (a phrase, a filter) came after it. */
static void
search_settle_prefix(struct search_query *q, int last_was_word)
{
	for (size_t i = 0; i + 1 < q->n_terms; i++) {
		size_t len = strlen(q->terms[i].text);

		if (len == 0 || q->terms[i].text[len - 1] != '*')
			q->terms[i].prefix = 0;
	}
	if (q->n_terms > 0 && !last_was_word)
		q->terms[q->n_terms - 1].prefix = 0;
}

static int
search_check_text(const char *text, char **cause)
{
	size_t len = strlen(text);

	if (len > SEARCH_MAX_LEN)
		return cause_set(cause, "the query is too long (%zu bytes; at most %d)", len,
		    SEARCH_MAX_LEN);
	if (!san_utf8_valid(text, len))
		return cause_set(cause, "the query is not valid UTF-8 text");
	if (text[strspn(text, " \t\r\n")] == '\0')
		return cause_set(cause, "type some words to search for");
	return 0;
}

static int
search_query_empty(const struct search_query *q)
{
	return q->n_terms == 0 && q->n_from == 0 && q->n_in == 0 && !q->before.set &&
	    !q->after.set && !q->on.set && q->has_file == SEARCH_EITHER &&
	    q->has_link == SEARCH_EITHER && q->is_dm == SEARCH_EITHER;
}

int
search_parse(const char *text, struct search_query *q, char **cause)
{
	struct search_reader r = {.p = text, .q = q};
	size_t terms_before;
	int last_was_word = 0;

	memset(q, 0, sizeof *q);
	q->has_file = q->has_link = q->is_dm = SEARCH_EITHER;
	if (text == NULL)
		text = r.p = "";
	if (search_check_text(text, cause) != 0)
		return -1;
	for (;;) {
		while (*r.p != '\0' && search_is_space((unsigned char)*r.p))
			r.p++;
		if (*r.p == '\0')
			break;
		terms_before = q->n_terms;
		if (search_read_item(&r, cause) != 0) {
			search_query_clear(q);
			return -1;
		}
		last_was_word = q->n_terms > terms_before && q->terms[q->n_terms - 1].prefix;
	}
	search_settle_prefix(q, last_was_word);
	if (search_query_empty(q)) {
		char *safe = san_text(text, 0);

		cause_set(cause, "nothing to search for in \"%s\": the search matches words made "
		    "of letters and digits", safe);
		free(safe);
		return -1;
	}
	return 0;
}

void
search_query_clear(struct search_query *q)
{
	for (size_t i = 0; i < q->n_terms; i++)
		free(q->terms[i].text);
	free(q->terms);
	for (size_t i = 0; i < q->n_from; i++)
		free(q->from[i]);
	free(q->from);
	for (size_t i = 0; i < q->n_in; i++)
		free(q->in[i]);
	free(q->in);
	memset(q, 0, sizeof *q);
	q->has_file = q->has_link = q->is_dm = SEARCH_EITHER;
}

/* A term as an FTS5 string: in quotes, inner quotes doubled. */
static void
search_fts_string(struct buf *b, const struct search_term *t)
{
	buf_putc(b, '"');
	for (const char *p = t->text; *p != '\0'; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
	if (t->prefix)
		buf_puts(b, " *");
}

char *
search_fts_excluded(const struct search_query *q)
{
	struct buf b = {0};

	for (size_t i = 0; i < q->n_terms; i++) {
		if (!q->terms[i].negated)
			continue;
		if (b.len > 0)
			buf_puts(&b, " OR ");
		search_fts_string(&b, &q->terms[i]);
	}
	return b.len > 0 ? buf_steal(&b) : NULL;
}

/* Appends the positive terms among the first n that skip keeps, joined
 * by AND; returns how many. */
static size_t
search_fts_positive(struct buf *b, const struct search_query *q, unsigned skip, size_t n)
{
	size_t pos = 0, added = 0;

	for (size_t i = 0; i < n; i++) {
		if (q->terms[i].negated)
			continue;
		if (pos++ < 32 && (skip & (1u << (pos - 1))) != 0)
			continue;
		if (added++ > 0)
			buf_puts(b, " AND ");
		search_fts_string(b, &q->terms[i]);
	}
	return added;
}

static void
search_fts_not(struct buf *b, const struct search_query *q)
{
	char *excluded;

	if ((excluded = search_fts_excluded(q)) != NULL) {
		buf_printf(b, " NOT (%s)", excluded);
		free(excluded);
	}
}

char *
search_fts_match(const struct search_query *q, unsigned skip)
{
	struct buf b = {0};

	buf_putc(&b, '(');
	if (search_fts_positive(&b, q, skip, q->n_terms) == 0) {
		buf_free(&b);
		return NULL;
	}
	buf_putc(&b, ')');
	search_fts_not(&b, q);
	return buf_steal(&b);
}

int
search_fts_split(const struct search_query *q, unsigned skip, char **head, char **tail)
{
	const struct search_term *last = q->n_terms > 0 ? &q->terms[q->n_terms - 1] : NULL;
	struct buf b = {0};
	size_t pos = 0;

	if (last == NULL || !last->prefix || last->negated)
		return -1;
	for (size_t i = 0; i + 1 < q->n_terms; i++)
		pos += !q->terms[i].negated;
	if (pos < 32 && (skip & (1u << pos)) != 0)
		return -1;
	buf_putc(&b, '(');
	if (search_fts_positive(&b, q, skip, q->n_terms - 1) > 0)
		buf_puts(&b, " AND ");
	*head = buf_steal(&b);
	buf_putc(&b, ')');
	search_fts_not(&b, q);
	*tail = buf_steal(&b);
	return 0;
}

/* Appends text with everything but letters and digits made one space. */
static void
search_put_words(struct buf *b, const char *text)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	int space = b->len > 0;

	while (*p != '\0') {
		n = utf8proc_iterate(p, -1, &c);
		if (n > 0 && search_is_token_cp(c)) {
			if (space)
				buf_putc(b, ' ');
			buf_printf(b, "%.*s", (int)n, (const char *)p);
			space = 0;
		} else
			space = b->len > 0;
		p += n > 0 ? n : 1;
	}
}

char *
search_server_words(const struct search_query *q)
{
	struct buf b = {0};

	for (size_t i = 0; i < q->n_terms; i++) {
		if (!q->terms[i].negated)
			search_put_words(&b, q->terms[i].text);
	}
	return b.len > 0 ? buf_steal(&b) : NULL;
}

int64_t
search_day_start(const struct search_day *d, int64_t now_ms)
{
	struct tm tm = {0};
	time_t t;

	if (d->relative) {
		t = (time_t)(now_ms / 1000);
		localtime_r(&t, &tm);
		tm.tm_mday += d->offset;
	} else {
		tm.tm_year = d->year - 1900;
		tm.tm_mon = d->month - 1;
		tm.tm_mday = d->day + d->offset;
	}
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}
