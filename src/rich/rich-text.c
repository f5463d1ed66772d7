/* Plain text rules: reply fallbacks and where a web link ends. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "natter/rich.h"

/* A line of the fallback: "> text", or ">" alone for an empty quoted line. */
static int
rich_quote_line(const char *p)
{
	return p[0] == '>' && (p[1] == ' ' || p[1] == '\n');
}

size_t
rich_reply_body_skip(const char *body)
{
	const char *p = body;

	if (strncmp(p, "> <", 3) != 0 && strncmp(p, "> * <", 5) != 0)
		return 0;
	while (rich_quote_line(p)) {
		if ((p = strchr(p, '\n')) == NULL)
			return 0;
		p++;
	}
	if (*p == '\n')
		p++;
	return *p == '\0' ? 0 : (size_t)(p - body);
}

size_t
rich_reply_html_skip(const char *html)
{
	static const char open[] = "<mx-reply>", close[] = "</mx-reply>";
	const char *end;

	if (strncasecmp(html, open, sizeof open - 1) != 0)
		return 0;
	if ((end = strcasestr(html, close)) == NULL)
		return strlen(html);
	return (size_t)(end - html) + sizeof close - 1;
}

/* Characters that end a link where they stand: space, controls, <>". */
static int
rich_url_stop(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"';
}

static size_t
rich_count(const char *s, size_t len, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

size_t
rich_url_len(const char *s)
{
	size_t len, scheme;

	if (strncmp(s, "https://", 8) == 0)
		scheme = 8;
	else if (strncmp(s, "http://", 7) == 0)
		scheme = 7;
	else
		return 0;
	for (len = scheme; s[len] != '\0' && !rich_url_stop((unsigned char)s[len]); len++)
		;
	while (len > scheme) {
		char c = s[len - 1];

		if (strchr(".,:;!?'*_~", c) != NULL ||
		    (c == ')' && rich_count(s, len, ')') > rich_count(s, len, '(')) ||
		    (c == ']' && rich_count(s, len, ']') > rich_count(s, len, '[')))
			len--;
		else
			break;
	}
	return len > scheme ? len : 0;
}

const char *
rich_url_find(const char *text, size_t *len)
{
	for (const char *p = text; (p = strstr(p, "http")) != NULL; p++) {
		if (p > text && isalnum((unsigned char)p[-1]))
			continue;
		if ((*len = rich_url_len(p)) > 0)
			return p;
	}
	return NULL;
}
