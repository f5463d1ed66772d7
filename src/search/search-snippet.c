/* Snippets: a window of a message around its first match, made inert
 * by the sanitiser first and only then marked, so that no server text
 * can forge or break a highlight. Words are compared as the index
 * compares them (natter_fold): both folded by text_fold. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "natter/sanitize.h"
#include "natter/search.h"
#include "natter/text.h"
#include "natter/util.h"

struct search_span {
	size_t start, end;	/* bytes */
	size_t cp;		/* code points before start */
	int matched;
};

struct search_words {
	char **folded;
	int *prefix;
	size_t n;
};

static int
search_is_word_cp(utf8proc_int32_t c)
{
	const char *cat = utf8proc_category_string(c);

	return cat[0] == 'L' || cat[0] == 'N' || cat[0] == 'M' || strcmp(cat, "Co") == 0;
}

static char *
search_fold(const char *s, size_t len)
{
	return text_fold(s, len);
}

/* Splits s into word spans; returns how many, the array in *spans. */
static size_t
search_split(const char *s, struct search_span **spans)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t n = 0, off = 0, cp = 0;
	utf8proc_int32_t c;
	utf8proc_ssize_t len;
	int in_word = 0;

	*spans = NULL;
	while (p[off] != '\0') {
		len = utf8proc_iterate(p + off, -1, &c);
		if (len <= 0) {
			len = 1;
			c = ' ';
		}
		if (search_is_word_cp(c) && !in_word) {
			*spans = xreallocarray(*spans, n + 1, sizeof **spans);
			(*spans)[n].start = off;
			(*spans)[n].cp = cp;
			(*spans)[n++].matched = 0;
			in_word = 1;
		} else if (!search_is_word_cp(c) && in_word) {
			(*spans)[n - 1].end = off;
			in_word = 0;
		}
		off += (size_t)len;
		cp++;
	}
	if (in_word)
		(*spans)[n - 1].end = off;
	return n;
}

static void
search_words_add(struct search_words *w, const char *text, int prefix)
{
	struct search_span *spans;
	size_t n = search_split(text, &spans);

	for (size_t i = 0; i < n; i++) {
		w->folded = xreallocarray(w->folded, w->n + 1, sizeof *w->folded);
		w->prefix = xreallocarray(w->prefix, w->n + 1, sizeof *w->prefix);
		w->folded[w->n] = search_fold(text + spans[i].start, spans[i].end - spans[i].start);
		w->prefix[w->n++] = prefix && i + 1 == n;
	}
	free(spans);
}

static void
search_words_free(struct search_words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->folded[i]);
	free(w->folded);
	free(w->prefix);
}

static int
search_words_match(const struct search_words *w, const char *word, size_t len)
{
	char *f = search_fold(word, len);
	int hit = 0;

	for (size_t i = 0; i < w->n && !hit; i++) {
		if (w->prefix[i])
			hit = strncmp(f, w->folded[i], strlen(w->folded[i])) == 0;
		else
			hit = strcmp(f, w->folded[i]) == 0;
	}
	free(f);
	return hit;
}

/* The first span of the window: a quarter of it before the first match. */
static size_t
search_window_first(const struct search_span *spans, size_t n, size_t width)
{
	size_t first = 0, i;

	while (first < n && !spans[first].matched)
		first++;
	if (first == n)
		return 0;
	for (i = first; i > 0 && spans[first].cp - spans[i - 1].cp <= width / 4; i--)
		;
	return i;
}

static void
search_mark(struct buf *b, const char *safe, const struct search_span *spans, size_t n,
    size_t from, size_t to)
{
	size_t at = from;

	for (size_t i = 0; i < n; i++) {
		if (!spans[i].matched || spans[i].start < from || spans[i].end > to)
			continue;
		buf_add(b, safe + at, spans[i].start - at);
		buf_puts(b, SEARCH_MARK_ON);
		buf_add(b, safe + spans[i].start, spans[i].end - spans[i].start);
		buf_puts(b, SEARCH_MARK_OFF);
		at = spans[i].end;
	}
	buf_add(b, safe + at, to - at);
}

char *
search_snippet(const struct search_query *q, const char *text, size_t width)
{
	struct search_words words = {0};
	struct search_span *spans;
	struct buf b = {0};
	char *safe = san_text(text != NULL ? text : "", 0);
	size_t n, first, last, from, to;

	for (size_t i = 0; q != NULL && i < q->n_terms; i++) {
		if (!q->terms[i].negated)
			search_words_add(&words, q->terms[i].text, q->terms[i].prefix);
	}
	n = search_split(safe, &spans);
	for (size_t i = 0; i < n; i++)
		spans[i].matched = search_words_match(&words, safe + spans[i].start,
		    spans[i].end - spans[i].start);
	first = search_window_first(spans, n, width);
	for (last = first; last + 1 < n && spans[last + 1].cp - spans[first].cp < width; last++)
		;
	from = n == 0 || first == 0 ? 0 : spans[first].start;
	to = n == 0 || last + 1 == n ? strlen(safe) : spans[last].end;
	if (from > 0)
		buf_puts(&b, "…");
	search_mark(&b, safe, spans, n, from, to);
	if (to < strlen(safe))
		buf_puts(&b, "…");
	search_words_free(&words);
	free(spans);
	free(safe);
	return buf_steal(&b);
}

int
search_text_matches(const struct search_query *q, const char *text)
{
	char *snippet = search_snippet(q, text, SIZE_MAX / 2);
	int hit = strstr(snippet, SEARCH_MARK_ON) != NULL;

	free(snippet);
	return hit;
}
