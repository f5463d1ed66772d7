/* What goes into a request's URL: percent-encoded path segments, checked
 * base URLs, transaction ids. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "natter/matrix.h"
#include "natter/util.h"
#include "mx-private.h"

static int
mx_is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

char *
mx_path_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	int dots = strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
	unsigned char c;

	/* "." and ".." as segments would be resolved away by URL normalising. */
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (!dots && mx_is_unreserved(c)) {
			buf_putc(&b, (char)c);
			continue;
		}
		buf_putc(&b, '%');
		buf_putc(&b, hex[c >> 4]);
		buf_putc(&b, hex[c & 15]);
	}
	return buf_steal(&b);
}

char *
mx_vpath(char **cause, const char *fmt, va_list ap)
{
	struct buf b = {0};
	const char *p, *s;
	char *e;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			buf_putc(&b, *p);
			continue;
		}
		switch (*++p) {
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL || *s == '\0') {
				buf_free(&b);
				cause_set(cause, "an empty identifier cannot be part of a request");
				return NULL;
			}
			e = mx_path_escape(s);
			buf_puts(&b, e);
			free(e);
			break;
		case 'd':
			buf_printf(&b, "%d", va_arg(ap, int));
			break;
		case '%':
			buf_putc(&b, '%');
			break;
		default:
			buf_free(&b);
			cause_set(cause, "bad request path format \"%s\"", fmt);
			return NULL;
		}
	}
	return buf_steal(&b);
}

char *
mx_path(char **cause, const char *fmt, ...)
{
	va_list ap;
	char *path;

	va_start(ap, fmt);
	path = mx_vpath(cause, fmt, ap);
	va_end(ap);
	return path;
}

char *
mx_txn_new(void)
{
	uint32_t r;

	nt_random(&r, sizeof r);
	return xasprintf("nt%" PRId64 ".%08" PRIx32, nt_now_ms(), r);
}

/* Skips host[:port] (a DNS name, IPv4 or [IPv6]); NULL if there is none. */
const char *
mx_url_host(const char *p)
{
	const char *start = p;
	size_t digits = 0;

	if (*p == '[') {
		while (*++p != '\0' && (strchr("0123456789abcdefABCDEF:.", *p) != NULL))
			;
		if (*p++ != ']' || p - start < 4)
			return NULL;
	} else {
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
			p++;
		if (p == start)
			return NULL;
	}
	if (*p == ':') {
		while (*++p >= '0' && *p <= '9')
			digits++;
		if (digits == 0 || digits > 5)
			return NULL;
	}
	return p;
}

/* Checks an http(s) base URL and drops trailing slashes. The cause does
 * not repeat the URL, which may come from a server. */
char *
mx_base_url(const char *url, char **cause)
{
	const char *p;
	size_t len;

	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else {
		cause_set(cause, "not an http or https URL");
		return NULL;
	}
	if ((p = mx_url_host(p)) == NULL || (*p != '\0' && *p != '/')) {
		cause_set(cause, "no valid host name in the URL");
		return NULL;
	}
	for (; *p != '\0'; p++) {
		if (!mx_is_unreserved((unsigned char)*p) && *p != '/' && *p != '%') {
			cause_set(cause, "the URL holds characters not allowed there");
			return NULL;
		}
	}
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	return xstrndup(url, len);
}

