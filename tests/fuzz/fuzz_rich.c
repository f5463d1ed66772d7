/* libFuzzer target: whatever HTML comes in as a formatted_body, the text
 * for the terminal is inert (no control but \n, no bidi control), its
 * spans lie in order inside it, its links are http, https or mailto; the
 * HTML for mail has only the allowed tags and attributes, and no control
 * either; the reply and link rules stay inside the string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "natter/rich.h"
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
	return (c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	    c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

/* Decoded with utf8proc, independently of the code under test. */
static void
check_inert(const char *p)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t r;
	size_t n = strlen(p);

	for (; n > 0; p += r, n -= (size_t)r) {
		r = utf8proc_iterate((const utf8proc_uint8_t *)p, (utf8proc_ssize_t)n, &c);
		check(r > 0);
		check(!is_active(c));
	}
}

static void
check_rich(const char *html)
{
	struct rich *r = rich_from_html(html);
	size_t at = 0, len;

	if (r == NULL)
		return;
	len = strlen(r->text);
	check(len > 0);
	check_inert(r->text);
	for (size_t i = 0; i < r->n_spans; i++) {
		check(r->spans[i].off >= at && r->spans[i].len > 0 && r->spans[i].attrs != 0);
		at = r->spans[i].off + r->spans[i].len;
		check(at <= len);
	}
	for (size_t i = 0; i < r->n_links; i++)
		check(strncasecmp(r->links[i], "http://", 7) == 0 ||
		    strncasecmp(r->links[i], "https://", 8) == 0 ||
		    strncasecmp(r->links[i], "mailto:", 7) == 0);
	rich_free(&r);
	check(r == NULL);
}

/* Every < of the mail HTML opens or closes an allowed tag: text is
 * escaped, so anything else is a tag that got through. */
static void
check_clean(const char *html)
{
	static const char *const tags[] = {
		"a", "b", "blockquote", "br", "caption", "code", "del", "details", "div", "em",
		"font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s",
		"span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th",
		"thead", "tr", "u", "ul",
	};
	char *out = rich_html_clean(html);

	if (out == NULL)
		return;
	check_inert(out);
	for (const char *p = out; (p = strchr(p, '<')) != NULL; p++) {
		const char *name = p + 1 + (p[1] == '/');
		size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
		int known = 0;

		for (size_t i = 0; i < NT_NELEMS(tags); i++)
			known |= strlen(tags[i]) == n && strncmp(name, tags[i], n) == 0;
		check(known);
		if (p[1] == '/' || name[n] == '>')
			continue;
		if (strncmp(name, "a href=\"", 8) == 0)
			check(strncasecmp(name + 8, "http://", 7) == 0 ||
			    strncasecmp(name + 8, "https://", 8) == 0 ||
			    strncasecmp(name + 8, "mailto:", 7) == 0);
		else
			check(strncmp(name, "ol start=\"", 10) == 0);
		check(strchr(name, '>') != NULL);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1), *link;
	const char *p;
	size_t len;

	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	check_rich(s);
	check_clean(s);
	check(rich_reply_body_skip(s) <= len && rich_reply_html_skip(s) <= len);
	if ((p = rich_url_find(s, &len)) != NULL)
		check(len > 0 && p + len <= s + strlen(s) && strcspn(p, " <>\"\n\t") >= len);
	if ((link = rich_link_first(s, s)) != NULL)
		check(strncmp(link, "http", 4) == 0);
	free(link);
	free(s);
	return 0;
}
