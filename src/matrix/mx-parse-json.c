/* Turning untrusted JSON text into a cJSON tree that is safe to walk, and
 * type-checked access to it.
 *
 * Before cJSON runs, the text is copied once and mended so that every
 * string in the tree is valid UTF-8 without NUL: invalid bytes and raw
 * NULs become U+FFFD, and so do the escapes \u0000 and lone surrogates
 * (which cJSON would otherwise truncate at, or fail the whole body on).
 * Ids are checked later and refuse U+FFFD, so a mended id is invalid. The
 * copy also ends in a NUL, which cJSON 1.7.15 reads one byte past the end
 * of the given length for some truncated inputs. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "mx-private.h"

#define MX_UTF8_FFFD "\xef\xbf\xbd"

struct mx_scan {
	const char *s;
	size_t len;
	size_t i;		/* next byte to look at */
	size_t copied;		/* s[0..copied) is already in out */
	struct buf out;
	int dry;		/* only to know whether it needs mending: */
	int dirty;		/* it does */
};

/* Length of the valid UTF-8 sequence at s, or minus the length of the
 * invalid part to replace with one U+FFFD (its maximal subpart). */
int
mx_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return -1;
	for (int i = 1; i < n; i++) {
		if ((size_t)i >= len || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* Puts with in place of s[from..to) and goes on at to. */
static void
scan_replace(struct mx_scan *sc, size_t from, size_t to, const char *with)
{
	if (sc->dry) {
		sc->dirty = 1;
		sc->i = sc->copied = sc->len;	/* the answer is known: the end */
		return;
	}
	buf_add(&sc->out, sc->s + sc->copied, from - sc->copied);
	buf_puts(&sc->out, with);
	sc->i = sc->copied = to;
}

static long
scan_hex4(const char *p, size_t avail)
{
	long v = 0;

	if (avail < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = p[k];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/* At a backslash in a string: \u0000 and lone surrogates become \ufffd.
 * Malformed escapes are left for cJSON to reject. */
static void
scan_escape(struct mx_scan *sc)
{
	const char *p = sc->s + sc->i;
	size_t left = sc->len - sc->i;
	long cp, lo = -1;

	if (left < 2 || p[1] != 'u' || (cp = scan_hex4(p + 2, left - 2)) == -1) {
		sc->i += left < 2 ? left : 2;
		return;
	}
	if (left >= 12 && p[6] == '\\' && p[7] == 'u')
		lo = scan_hex4(p + 8, left - 8);
	if (cp >= 0xd800 && cp <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff)
		sc->i += 12;
	else if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		scan_replace(sc, sc->i, sc->i + 6, "\\ufffd");
	else
		sc->i += 6;
}

/* From after an opening quote to after the closing one. */
static void
scan_string(struct mx_scan *sc)
{
	const unsigned char *s = (const unsigned char *)sc->s;
	int n;

	while (sc->i < sc->len) {
		if (s[sc->i] == '"') {
			sc->i++;
			return;
		}
		if (s[sc->i] == '\\')
			scan_escape(sc);
		else if (s[sc->i] == '\0')
			scan_replace(sc, sc->i, sc->i + 1, MX_UTF8_FFFD);
		else if (s[sc->i] < 0x80)
			sc->i++;
		else if ((n = mx_utf8_seq(s + sc->i, sc->len - sc->i)) > 0)
			sc->i += (size_t)n;
		else
			scan_replace(sc, sc->i, sc->i + (size_t)-n, MX_UTF8_FFFD);
	}
}

/* From an opening bracket to after its match (or the end of the text). */
static void
scan_skip_value(struct mx_scan *sc)
{
	size_t depth = 0;
	char c;

	while (sc->i < sc->len) {
		c = sc->s[sc->i++];
		if (c == '"') {
			while (sc->i < sc->len && (c = sc->s[sc->i++]) != '"') {
				if (c == '\\' && sc->i < sc->len)
					sc->i++;
			}
		} else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return;
	}
}

/* Copies the text into sc->out, mended as the comment at the top says and
 * with values nested beyond MX_JSON_DEPTH_MAX replaced by null. */
static void
scan_text(struct mx_scan *sc)
{
	size_t depth = 0, at;
	char c;

	while (sc->i < sc->len) {
		c = sc->s[sc->i];
		if (c == '"') {
			sc->i++;
			scan_string(sc);
		} else if ((c == '{' || c == '[') && depth == MX_JSON_DEPTH_MAX) {
			at = sc->i;
			scan_skip_value(sc);
			scan_replace(sc, at, sc->i, "null");
		} else {
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && depth > 0)
				depth--;
			sc->i++;
		}
	}
	if (!sc->dry)
		buf_add(&sc->out, sc->s + sc->copied, sc->len - sc->copied);
}

/* cJSON makes a node and a string per value and frees them one by one;
 * for a large sync that is most of the parse. Trees from mx_json_parse
 * are carved from an arena instead and dropped whole by mx_json_free.
 * One tree at a time has the arena (natter has one thread); a second
 * one, should it come, uses malloc as usual. */
#define MX_ARENA_BLOCK ((size_t)1 << 20)

struct mx_arena_block {
	struct mx_arena_block *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

static struct {
	struct mx_arena_block *blocks;
	const cJSON *root;
	int busy;
} mx_arena;

static void *
mx_arena_alloc(size_t n)
{
	struct mx_arena_block *b = mx_arena.blocks;
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);

	if (b == NULL || b->size - b->used < need) {
		size_t size = need > MX_ARENA_BLOCK / 4 ? need : MX_ARENA_BLOCK;

		b = xmalloc(sizeof *b + size);
		b->size = size;
		b->used = 0;
		/* An oversized block goes behind the current one, which keeps
		 * serving small values. */
		if (need > MX_ARENA_BLOCK / 4 && mx_arena.blocks != NULL) {
			b->next = mx_arena.blocks->next;
			mx_arena.blocks->next = b;
		} else {
			b->next = mx_arena.blocks;
			mx_arena.blocks = b;
		}
	}
	b->used += need;
	return (char *)b->data + b->used - need;
}

static void
mx_arena_free(void *p)
{
}

static void
mx_arena_drop(void)
{
	while (mx_arena.blocks != NULL) {
		struct mx_arena_block *next = mx_arena.blocks->next;

		free(mx_arena.blocks);
		mx_arena.blocks = next;
	}
	mx_arena.root = NULL;
	mx_arena.busy = 0;
}

static cJSON *
mx_json_parse_text(const char *text, size_t len, const char **end)
{
	cJSON_Hooks arena = {mx_arena_alloc, mx_arena_free};
	int use_arena = !mx_arena.busy;
	cJSON *root;

	if (use_arena) {
		mx_arena.busy = 1;
		cJSON_InitHooks(&arena);
	}
	root = cJSON_ParseWithLengthOpts(text, len, end, 0);
	if (use_arena) {
		cJSON_InitHooks(NULL);
		if (root == NULL)
			mx_arena_drop();
		mx_arena.root = root;
	}
	return root;
}

void
mx_json_free(cJSON *root)
{
	if (root != NULL && root == mx_arena.root)
		mx_arena_drop();
	else
		cJSON_Delete(root);
}

void
mx_json_mend(const char *json, size_t len, struct buf *out)
{
	struct mx_scan sc = {.s = json, .len = len};

	scan_text(&sc);
	if (sc.out.data == NULL)
		buf_puts(&sc.out, "");
	*out = sc.out;
}

int
mx_json_clean(const char *json, size_t len)
{
	struct mx_scan sc = {.s = json, .len = len, .dry = 1};

	scan_text(&sc);
	return !sc.dirty;
}

cJSON *
mx_json_parse_mended(const char *text, size_t len, char **cause)
{
	const char *end = NULL;
	cJSON *root = mx_json_parse_text(text, len, &end);

	if (root == NULL)
		cause_set(cause, "the response is not valid JSON (at byte %zu of %zu)",
		    end != NULL ? (size_t)(end - text) : 0, len);
	else {
		/* The text may go on past len (a part of a bigger one). */
		while (end < text + len && strchr(" \t\r\n", *end) != NULL && *end != '\0')
			end++;
		if (end != text + len) {
			cause_set(cause, "the response has data after its JSON value");
			mx_json_free(root);
			root = NULL;
		}
	}
	return root;
}

/* Parses untrusted JSON text; NULL with a cause when it is not JSON.
 * Free the tree with mx_json_free. */
cJSON *
mx_json_parse(const char *json, size_t len, char **cause)
{
	struct buf text;
	cJSON *root;

	if (json == NULL || len == 0) {
		cause_set(cause, "the response body is empty");
		return NULL;
	}
	mx_json_mend(json, len, &text);
	root = mx_json_parse_mended(text.data, text.len, cause);
	buf_free(&text);
	return root;
}

/* The members of an object's text, walked without a tree: enough to cut
 * a big answer into parts that are parsed one at a time. Nothing here
 * checks a value; whoever parses it does. */
static size_t
span_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/* From an opening quote to after the closing one; len when unclosed. */
static size_t
span_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

/* After the value at i; len when it runs off the end. */
static size_t
span_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	if (i >= len)
		return len;
	if (s[i] == '"')
		return span_string(s, len, i);
	if (s[i] != '{' && s[i] != '[') {
		while (i < len && strchr(",}] \t\r\n", s[i]) == NULL)
			i++;
		return i;
	}
	while (i < len) {
		if (s[i] == '"') {
			i = span_string(s, len, i);
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
			return i + 1;
		i++;
	}
	return len;
}

int
mx_json_members(const char *s, size_t len, struct mx_json_member **out, size_t *n)
{
	size_t i = span_ws(s, len, 0);

	*out = NULL;
	*n = 0;
	if (i >= len || s[i] != '{')
		return -1;
	i = span_ws(s, len, i + 1);
	if (i < len && s[i] == '}')
		return span_ws(s, len, i + 1) == len ? 0 : -1;
	while (i < len && s[i] == '"') {
		struct mx_json_member m = {.key = s + i};

		i = span_string(s, len, i);
		m.key_len = (size_t)(s + i - m.key);
		i = span_ws(s, len, i);
		if (i >= len || s[i] != ':')
			break;
		i = span_ws(s, len, i + 1);
		m.value = s + i;
		i = span_value(s, len, i);
		m.value_len = (size_t)(s + i - m.value);
		if (i >= len || m.value_len == 0)
			break;
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = m;
		i = span_ws(s, len, i);
		if (i < len && s[i] == '}') {
			if (span_ws(s, len, i + 1) == len)
				return 0;
			break;
		}
		if (i >= len || s[i] != ',')
			break;
		i = span_ws(s, len, i + 1);
	}
	xfree(out);
	*n = 0;
	return -1;
}

/* The string at key, or NULL when absent or not a string. */
const char *
mx_json_str(const cJSON *obj, const char *key)
{
	const cJSON *j;

	if (!cJSON_IsObject(obj))
		return NULL;
	j = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

char *
mx_json_strdup(const cJSON *obj, const char *key)
{
	const char *s = mx_json_str(obj, key);

	return s != NULL ? xstrdup(s) : NULL;
}

const cJSON *
mx_json_obj(const cJSON *obj, const char *key)
{
	const cJSON *j;

	if (!cJSON_IsObject(obj))
		return NULL;
	j = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsObject(j) ? j : NULL;
}

const cJSON *
mx_json_arr(const cJSON *obj, const char *key)
{
	const cJSON *j;

	if (!cJSON_IsObject(obj))
		return NULL;
	j = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsArray(j) ? j : NULL;
}

/* The integer at key; -1 unless it is a number that is integral and
 * within the range canonical JSON allows (cJSON keeps only a double). */
int
mx_json_int(const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *j;
	double d;

	if (!cJSON_IsObject(obj))
		return -1;
	j = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(j))
		return -1;
	d = j->valuedouble;
	if (!(d >= -(double)MX_JSON_INT_MAX && d <= (double)MX_JSON_INT_MAX))
		return -1;
	if ((double)(int64_t)d != d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

/* A count or size: -1 when absent, malformed or negative. */
int64_t
mx_json_count(const cJSON *obj, const char *key)
{
	int64_t v;

	if (mx_json_int(obj, key, &v) != 0 || v < 0)
		return -1;
	return v;
}
