/* The Matrix spec's canonical JSON, on cJSON. cJSON is lenient where
 * signatures must not be (it skips any control byte as white space, takes
 * numbers like "01" or "1." and raw control characters and bad UTF-8 in
 * strings, and cuts a string at \u0000), so the text is first checked
 * token by token; cJSON then builds the tree that is written back sorted. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

#define JSON_MAX_SAFE 9007199254740991ULL	/* 2^53 - 1 */

/* The length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/* Checks the string starting after its opening quote; returns the bytes
 * up to and including the closing quote, or 0. */
static size_t
json_check_string(const unsigned char *s, size_t n, char **cause)
{
	size_t i = 0, k;

	while (i < n && s[i] != '"') {
		if (s[i] < 0x20)
			return cause_set(cause, "a control character inside a string"), 0;
		if (s[i] == '\\' && i + 5 < n && memcmp(s + i + 1, "u0000", 5) == 0)
			return cause_set(cause, "a string holds \\u0000"), 0;
		if (s[i] == '\\') {
			i += 2;
			continue;
		}
		if ((k = json_utf8_len(s + i, n - i)) == 0)
			return cause_set(cause, "a string is not valid UTF-8"), 0;
		i += k;
	}
	return i < n ? i + 1 : (cause_set(cause, "a string is not closed"), 0);
}

/* Reads the digits of a JSON number into d (significant digits, no
 * leading zeros) and *exp10; 0 when the number's grammar is wrong. */
static size_t
json_scan_number(const unsigned char *s, size_t n, struct buf *d, long *exp10)
{
	size_t i = s[0] == '-' ? 1 : 0;
	long e = 0, sign = 1;

	if (i >= n || !(s[i] >= '0' && s[i] <= '9') || (s[i] == '0' && i + 1 < n &&
	    s[i + 1] >= '0' && s[i + 1] <= '9'))
		return 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (d->len > 0 || s[i] != '0')
			buf_putc(d, (char)s[i]);
	if (i < n && s[i] == '.') {
		if (++i >= n || !(s[i] >= '0' && s[i] <= '9'))
			return 0;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, (*exp10)--)
			if (d->len > 0 || s[i] != '0')
				buf_putc(d, (char)s[i]);
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			sign = s[i++] == '-' ? -1 : 1;
		if (i >= n || !(s[i] >= '0' && s[i] <= '9'))
			return 0;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
		*exp10 += sign * e;
	}
	return i;
}

/* Checks a number: an integer in [-(2^53)+1, 2^53-1], however written
 * (the spec's own example turns 1e10 into 10000000000). */
static size_t
json_check_number(const unsigned char *s, size_t n, char **cause)
{
	struct buf d = {0};
	long exp10 = 0;
	size_t len = json_scan_number(s, n, &d, &exp10);
	unsigned long long v = 0;
	int ok = len > 0;

	while (ok && d.len > 0 && exp10 < 0 && d.data[d.len - 1] == '0') {
		d.len--;
		exp10++;
	}
	if (ok && d.len > 0 && exp10 < 0)
		ok = cause_set(cause, "a number is not an integer") + 1;
	else if (ok && d.len > 0 && (long)d.len + exp10 > 16)
		ok = cause_set(cause, "an integer is out of the range [-(2^53)+1, 2^53-1]") + 1;
	for (size_t i = 0; ok && i < d.len + (size_t)(d.len > 0 ? exp10 : 0); i++)
		v = v * 10 + (unsigned long long)(i < d.len ? d.data[i] - '0' : 0);
	if (ok && v > JSON_MAX_SAFE)
		ok = cause_set(cause, "an integer is out of the range [-(2^53)+1, 2^53-1]") + 1;
	if (len == 0)
		cause_set(cause, "a number is not written as JSON allows");
	buf_free(&d);
	return ok ? len : 0;
}

/* Checks what cJSON does not: only JSON's white space between tokens,
 * numbers by JSON's grammar and in range, strings in UTF-8 without raw
 * control characters or \u0000. Structure is left to cJSON. */
static int
json_check_tokens(const unsigned char *s, size_t n, char **cause)
{
	static const char plain[] = "{}[]:, \t\r\n";
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '"') {
			if ((k = json_check_string(s + i + 1, n - i - 1, cause)) == 0)
				return -1;
			i += k + 1;
		} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			if ((k = json_check_number(s + i, n - i, cause)) == 0)
				return -1;
			i += k;
		} else if (s[i] >= 'a' && s[i] <= 'z') {
			i++;
		} else if (s[i] != '\0' && strchr(plain, s[i]) != NULL) {
			i++;
		} else {
			return cause_set(cause, "byte 0x%02x is not allowed there in JSON", s[i]);
		}
	}
	return 0;
}

static void
json_put_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\b') {
			buf_puts(b, "\\b");
		} else if (c == '\t') {
			buf_puts(b, "\\t");
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c == '\f') {
			buf_puts(b, "\\f");
		} else if (c == '\r') {
			buf_puts(b, "\\r");
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

static int
json_key_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

/* An object's members, sorted by key: UTF-8 byte order is code point
 * order. */
static const cJSON **
json_sorted_members(const cJSON *v, size_t *n)
{
	const cJSON **kids;
	size_t i = 0;

	*n = 0;
	for (const cJSON *c = v->child; c != NULL; c = c->next)
		(*n)++;
	kids = xcalloc(*n, sizeof *kids);
	for (const cJSON *c = v->child; c != NULL; c = c->next)
		kids[i++] = c;
	qsort(kids, *n, sizeof *kids, json_key_cmp);
	return kids;
}

/* Refuses a key that appears twice in any object (cJSON keeps both). */
static int
json_check_keys(const cJSON *v, char **cause)
{
	const cJSON **kids;
	size_t n;
	int rc = 0;

	if (cJSON_IsArray(v))
		for (const cJSON *c = v->child; c != NULL && rc == 0; c = c->next)
			rc = json_check_keys(c, cause);
	if (!cJSON_IsObject(v))
		return rc;
	kids = json_sorted_members(v, &n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0 && strcmp(kids[i - 1]->string, kids[i]->string) == 0)
			rc = cause_set(cause, "the key \"%.40s\" appears twice", kids[i]->string);
		else
			rc = json_check_keys(kids[i], cause);
	}
	free(kids);
	return rc;
}

static int json_put(struct buf *b, const cJSON *v, char **cause);

static int
json_put_object(struct buf *b, const cJSON *v, char **cause)
{
	size_t n;
	const cJSON **kids = json_sorted_members(v, &n);
	int rc = 0;

	buf_putc(b, '{');
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			buf_putc(b, ',');
		json_put_string(b, kids[i]->string);
		buf_putc(b, ':');
		rc = json_put(b, kids[i], cause);
	}
	buf_putc(b, '}');
	free(kids);
	return rc;
}

static int
json_put(struct buf *b, const cJSON *v, char **cause)
{
	int rc = 0;

	if (cJSON_IsObject(v))
		return json_put_object(b, v, cause);
	if (cJSON_IsArray(v)) {
		buf_putc(b, '[');
		for (const cJSON *c = v->child; c != NULL && rc == 0; c = c->next) {
			if (c != v->child)
				buf_putc(b, ',');
			rc = json_put(b, c, cause);
		}
		buf_putc(b, ']');
	} else if (cJSON_IsString(v)) {
		json_put_string(b, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		buf_printf(b, "%lld", (long long)v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		buf_puts(b, "null");
	} else {
		rc = cause_set(cause, "a value of an unknown JSON type");
	}
	return rc;
}

/* Parses json after checking its tokens; NULL with a cause if it is not
 * one whole JSON value. */
static cJSON *
json_parse(const char *json, size_t len, char **cause)
{
	const char *end = NULL;
	cJSON *v;

	if (json == NULL || json_check_tokens((const unsigned char *)json, len, cause) != 0)
		return NULL;
	v = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (v == NULL) {
		cause_set(cause, "not valid JSON");
		return NULL;
	}
	while (end < json + len && strchr(" \t\r\n", *end) != NULL && *end != '\0')
		end++;
	if (end != json + len) {
		cJSON_Delete(v);
		cause_set(cause, "something follows the JSON value");
		return NULL;
	}
	if (json_check_keys(v, cause) != 0) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

static char *
json_write(const cJSON *v, char **cause)
{
	struct buf b = {0};

	if (json_put(&b, v, cause) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

char *
crypto_canonical_json(const char *json, size_t len, char **cause)
{
	cJSON *v = json_parse(json, len, cause);
	char *out;

	if (v == NULL)
		return NULL;
	out = json_write(v, cause);
	cJSON_Delete(v);
	return out;
}

char *
crypto_signable_json(const char *json, size_t len, char **cause)
{
	cJSON *v = json_parse(json, len, cause);
	char *out;

	if (v == NULL)
		return NULL;
	if (!cJSON_IsObject(v)) {
		cJSON_Delete(v);
		cause_set(cause, "only a JSON object can be signed");
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(v, "signatures");
	cJSON_DeleteItemFromObjectCaseSensitive(v, "unsigned");
	out = json_write(v, cause);
	cJSON_Delete(v);
	return out;
}
