/* Checks for the identifiers a server sends: event, room and user ids,
 * aliases, event types and mxc:// URIs. */
#include <string.h>

#include "natter/util.h"
#include "mx-private.h"

/* Characters no id may hold: controls, spaces, invisible format
 * characters that would let one id pass for another, and U+FFFD, which
 * marks bytes that were not valid UTF-8. Sorted. */
static const struct {
	uint32_t lo, hi;
} mx_id_banned[] = {
	{0x0000, 0x0020}, {0x007f, 0x00a0}, {0x00ad, 0x00ad}, {0x061c, 0x061c},
	{0x1680, 0x1680}, {0x180e, 0x180e}, {0x2000, 0x200f}, {0x2028, 0x202f},
	{0x205f, 0x206f}, {0x3000, 0x3000}, {0xfeff, 0xfeff}, {0xfff9, 0xfffd},
};

/* Decodes the character at *pp and moves past it; invalid UTF-8 (which
 * mx_json_parse has already mended) decodes as U+FFFD. */
static uint32_t
id_next(const char **pp)
{
	const unsigned char *p = (const unsigned char *)*pp;
	int n = mx_utf8_seq(p, 4);
	uint32_t cp;

	if (n <= 0) {
		*pp += 1;
		return 0xfffd;
	}
	*pp += n;
	if (n == 1)
		return p[0];
	cp = p[0] & (0x7f >> n);
	for (int i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

static int
id_char_ok(uint32_t cp)
{
	if (cp > 0x20 && cp < 0x7f)
		return 1;
	for (size_t i = 0; i < NT_NELEMS(mx_id_banned); i++) {
		if (cp < mx_id_banned[i].lo)
			return 1;
		if (cp <= mx_id_banned[i].hi)
			return 0;
	}
	return 1;
}

/* Non-empty, at most MX_ID_MAX bytes, only characters id_char_ok allows. */
static int
id_text_ok(const char *s)
{
	const char *p = s;
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len > MX_ID_MAX)
		return 0;
	while (*p != '\0') {
		if (!id_char_ok(id_next(&p)))
			return 0;
	}
	return 1;
}

/* An id starting with sigil; user ids and aliases also need :server. */
int
mx_id_valid(const char *s, char sigil)
{
	const char *colon;

	if (!id_text_ok(s) || s[0] != sigil || s[1] == '\0')
		return 0;
	if (sigil != '@' && sigil != '#')
		return 1;
	colon = strchr(s, ':');
	return colon != NULL && colon > s + 1 && colon[1] != '\0';
}

int
mx_type_valid(const char *s)
{
	return id_text_ok(s);
}

int
mx_alias_valid(const char *s)
{
	return mx_id_valid(s, '#');
}

static int
mxc_char(char c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr(extra, c) != NULL);
}

/* mxc://SERVER/MEDIAID, with nothing in either part that could walk out
 * of a URL path or a directory when a download is built from it. */
int
mx_mxc_valid(const char *s)
{
	const char *p;

	if (s == NULL || strncmp(s, "mxc://", 6) != 0 || strlen(s) > MX_ID_MAX ||
	    strstr(s, "..") != NULL)
		return 0;
	p = s + 6;
	if (!mxc_char(*p, "["))
		return 0;
	while (mxc_char(*p, ".:[]-"))
		p++;
	if (*p++ != '/' || *p == '\0')
		return 0;
	while (mxc_char(*p, "_-"))
		p++;
	return *p == '\0';
}

/* A copy of the id at key when it is valid, else NULL. */
char *
mx_json_id(const cJSON *obj, const char *key, char sigil)
{
	const char *s = mx_json_str(obj, key);

	return mx_id_valid(s, sigil) ? xstrdup(s) : NULL;
}

int
mx_b64_valid(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0, pad = 0;

	if (len == 0 || len > 4096)
		return 0;
	while (pad < 2 && len > pad && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/'))
			return 0;
	}
	return len - pad > 0;
}

char *
mx_json_b64(const cJSON *obj, const char *key)
{
	const char *s = mx_json_str(obj, key);

	return mx_b64_valid(s) ? xstrdup(s) : NULL;
}

int
mx_device_id_valid(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > MX_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}
