/* Shortcodes to emoji, and completing them. */
#include <stdlib.h>
#include <string.h>

#include "natter/emoji.h"
#include "natter/util.h"
#include "emoji-private.h"

static int
emoji_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
	    c == '-';
}

/* The first entry whose name is not below key[0, len) by strcmp order. */
static size_t
emoji_lower_bound(const char *key, size_t len)
{
	size_t lo = 0, hi = emoji_table_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = emoji_table[mid].name;
		int c = strncmp(name, key, len);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *
emoji_find(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > EMOJI_NAME_MAX)
		return NULL;
	i = emoji_lower_bound(name, len);
	if (i < emoji_table_len && strncmp(emoji_table[i].name, name, len) == 0 &&
	    emoji_table[i].name[len] == '\0')
		return emoji_table[i].emoji;
	return NULL;
}

size_t
emoji_shortcode_at(const char *s, const char **emoji)
{
	size_t len = 1;

	*emoji = NULL;
	if (s[0] != ':')
		return 0;
	while (emoji_is_name_char(s[len]) && len <= EMOJI_NAME_MAX + 1)
		len++;
	if (s[len] != ':' || (*emoji = emoji_find(s + 1, len - 1)) == NULL)
		return 0;
	return len + 1;
}

const char *
emoji_of_shortcode(const char *s)
{
	const char *emoji;
	size_t len;

	s += strspn(s, " \t\n");
	if ((len = emoji_shortcode_at(s, &emoji)) == 0 || s[len + strspn(s + len, " \t\n")] != '\0')
		return NULL;
	return emoji;
}

static int
emoji_rank_cmp(const void *a, const void *b)
{
	const struct emoji_entry *x = *(const struct emoji_entry *const *)a;
	const struct emoji_entry *y = *(const struct emoji_entry *const *)b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

size_t
emoji_complete(const char *prefix, const char **names, const char **emoji, size_t max)
{
	char key[EMOJI_NAME_MAX + 1];
	const struct emoji_entry **hits;
	size_t len = strlen(prefix), first, n = 0, kept = 0;

	if (len > EMOJI_NAME_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++)
		key[i] = (char)(prefix[i] >= 'A' && prefix[i] <= 'Z' ? prefix[i] - 'A' + 'a' :
		    prefix[i]);
	first = emoji_lower_bound(key, len);
	while (first + n < emoji_table_len && strncmp(emoji_table[first + n].name, key, len) == 0)
		n++;
	hits = xcalloc(n ? n : 1, sizeof *hits);
	for (size_t i = 0; i < n; i++)
		hits[i] = &emoji_table[first + i];
	qsort(hits, n, sizeof *hits, emoji_rank_cmp);
	/* One name an emoji: the one used most (:thumbsup:, not also
	 * :thumbs_up:). */
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < kept && strcmp(hits[j]->emoji, hits[i]->emoji) != 0)
			j++;
		if (j == kept)
			hits[kept++] = hits[i];
	}
	for (size_t i = 0; i < kept && i < max; i++) {
		if (names != NULL)
			names[i] = hits[i]->name;
		if (emoji != NULL)
			emoji[i] = hits[i]->emoji;
	}
	free(hits);
	return kept;
}
