/* libFuzzer target: whatever bytes come in, clusters are whole and inert
 * to draw, and wrapping at every width from 1 to 80 gives lines in order,
 * on cluster boundaries, no wider than asked (but for a lone cluster wider
 * than the line), that with the spaces and newlines between them make up
 * the whole text; fitting and truncating stay within their cells. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/text.h"
#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
is_active(utf8proc_int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e ||
	    c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x2028 || c == 0x2029;
}

/* Decoded with utf8proc, independently of the code under test. */
static void
check_inert(const char *p, size_t n)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t r;

	for (; n > 0; p += r, n -= (size_t)r) {
		r = utf8proc_iterate((const utf8proc_uint8_t *)p, (utf8proc_ssize_t)n, &c);
		check(r > 0);
		check(!is_active(c));
	}
}

/* Every cluster of the first len bytes, NULs included. */
static void
check_clusters(const char *s, size_t len)
{
	struct text_cluster tc;
	size_t n;

	for (; len > 0; s += n, len -= n) {
		n = text_cluster_next(s, len, &tc);
		check(n > 0 && n <= len && n == tc.len);
		check(tc.width >= 0 && tc.width <= 2);
		check(tc.draw == s ? tc.drawlen <= n : tc.drawlen == 3);
		check(!tc.newline || (tc.drawlen == 0 && tc.width == 0));
		check_inert(tc.draw, tc.drawlen);
	}
	check(text_cluster_next(s, 0, &tc) == 0);
}

/* Walks the gap before a line, up to to of the len bytes of s: spaces and
 * at most one newline; returns the spaces. */
static int
check_gap(const char *s, size_t len, size_t pos, size_t to)
{
	struct text_cluster tc;
	int newlines = 0, spaces = 0;

	while (pos < to) {
		text_cluster_next(s + pos, len - pos, &tc);
		check(tc.newline || (tc.len == 1 && s[pos] == ' '));
		newlines += tc.newline;
		spaces += !tc.newline;
		pos += tc.len;
	}
	check(pos == to && newlines <= 1);
	return spaces;
}

/* Walks a line cluster by cluster, as the string itself would be read. */
static void
check_line(const char *s, size_t len, const struct text_line *l, int width)
{
	struct text_cluster tc;
	size_t off = l->off, end = l->off + l->len;
	int w = 0, clusters = 0;

	while (off < end) {
		text_cluster_next(s + off, len - off, &tc);
		check(!tc.newline);
		off += tc.len;
		w += tc.width;
		clusters++;
	}
	check(off == end && w == l->width);
	check(w <= (width < 1 ? 1 : width) || clusters == 1);
	check(l->len > 0 || s[end] == '\0' || s[end] == '\n' || s[end] == '\r');
}

static void
check_wrap(const char *s, size_t len, int width, int total)
{
	struct text_line *lines;
	size_t n = text_wrap(s, width, &lines), pos = 0;
	int sum = 0;

	check(n >= 1 && n <= len + 1 && text_wrap(s, width, NULL) == n);
	for (size_t i = 0; i < n; i++) {
		check(lines[i].off >= pos && lines[i].off + lines[i].len <= len);
		sum += check_gap(s, len, pos, lines[i].off);
		check_line(s, len, &lines[i], width);
		sum += lines[i].width;
		pos = lines[i].off + lines[i].len;
	}
	sum += check_gap(s, len, pos, len);
	check(memchr(s + pos, '\n', len - pos) == NULL && sum == total);
	free(lines);
}

static void
check_fit(const char *s, size_t len, int cells)
{
	struct text_cluster tc;
	int used = -1;
	size_t n = text_fit(s, cells, &used);
	char *t = xstrndup(s, n), *cut;

	check(n <= len && used >= 0 && used <= (cells > 0 ? cells : 0));
	check(text_width(t) == used);
	if (n < len) {
		text_cluster_next(s + n, len - n, &tc);
		check(tc.newline || tc.width > cells - used);
	}
	cut = text_truncate(s, cells);
	check(text_width(cut) <= (cells > 0 ? cells : 0));
	check(n < len || strcmp(cut, s) == 0 || cells <= 0);
	free(cut);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	size_t len;
	int total;

	memcpy(s, data, size);
	s[size] = '\0';
	check_clusters(s, size);
	len = strlen(s);
	total = text_width(s);
	for (int width = 1; width <= 80; width++)
		check_wrap(s, len, width, total);
	check_wrap(s, len, 0, total);
	for (int cells = -1; cells <= 12; cells++)
		check_fit(s, len, cells);
	free(s);
	return 0;
}
