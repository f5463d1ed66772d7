/* Room and member display names as the Matrix spec computes them, with
 * look-alike member names told apart by their user ids. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/naming.h"
#include "natter/util.h"

#define NAMING_MAX_HEROES 5
#define NAMING_MAX_COUNT ((int64_t)1 << 40)
#define NAMING_NO_USER_ID "(no user id)"
#define NAMING_NORM (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD)

/* A name reduced to what a reader sees: invisible characters dropped,
 * NFKC, case-folded, common homoglyphs folded, whitespace collapsed. */
struct naming_skel {
	char *tmp;
	size_t tmp_len;
	size_t tmp_cap;
	int32_t *cp;
	size_t len;
	size_t cap;
};

/* Cyrillic and Greek letters that look like Latin ones, after case folding. */
static const int32_t naming_homoglyphs[][2] = {
	{0x0131, 'i'}, {0x0261, 'g'}, {0x03b1, 'a'}, {0x03b9, 'i'}, {0x03ba, 'k'},
	{0x03bd, 'v'}, {0x03bf, 'o'}, {0x03c1, 'p'}, {0x03c5, 'u'}, {0x03c7, 'x'},
	{0x0430, 'a'}, {0x0435, 'e'}, {0x043e, 'o'}, {0x0440, 'p'}, {0x0441, 'c'},
	{0x0443, 'y'}, {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'},
	{0x04bb, 'h'}, {0x04cf, 'l'}, {0x0501, 'd'}, {0x051b, 'q'}, {0x051d, 'w'},
};

static int
naming_is_space(int32_t c)
{
	if (c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85)
		return 1;
	/* The Braille blank renders as an empty cell in most fonts. */
	if (c == 0x2800)
		return 1;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return 1;
	default:
		return 0;
	}
}

static int
naming_is_invisible(int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF)
		return 1;
	return utf8proc_get_property(c)->ignorable;
}

static int
naming_homoglyph_cmp(const void *key, const void *elem)
{
	int32_t c = *(const int32_t *)key, e = *(const int32_t *)elem;

	return c < e ? -1 : c > e;
}

static int32_t
naming_fold(int32_t c)
{
	const int32_t *hit;

	if (c < 0x80)
		return c;
	hit = bsearch(&c, naming_homoglyphs, NT_NELEMS(naming_homoglyphs),
	    sizeof naming_homoglyphs[0], naming_homoglyph_cmp);
	return hit != NULL ? hit[1] : c;
}

static int
naming_ascii_kept(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Copies s to k->tmp without invisible characters, whitespace as ' ' and
 * bad bytes as U+FFFD; returns 1 when the result is all ASCII. */
static int
naming_filter(struct naming_skel *k, const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s), n;
	int32_t c;
	int ascii = 1;

	/* Each input byte gives at most three bytes (U+FFFD). */
	if (k->tmp_cap < 3 * (size_t)left) {
		k->tmp_cap = 3 * (size_t)left;
		k->tmp = xreallocarray(k->tmp, k->tmp_cap, 1);
	}
	k->tmp_len = 0;
	for (; left > 0; p += n, left -= n) {
		n = 1;
		if (naming_ascii_kept(*p)) {
			k->tmp[k->tmp_len++] = (char)*p;
			continue;
		}
		if ((n = utf8proc_iterate(p, left, &c)) <= 0) {
			c = 0xfffd;
			n = 1;
		}
		if (naming_is_space(c))
			c = ' ';
		else if (naming_is_invisible(c))
			continue;
		ascii = ascii && c < 0x80;
		k->tmp_len += (size_t)utf8proc_encode_char(c,
		    (utf8proc_uint8_t *)k->tmp + k->tmp_len);
	}
	return ascii;
}

/* Fills k->cp with the NFKC case fold of k->tmp. */
static void
naming_normalize(struct naming_skel *k, int ascii)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)k->tmp;
	utf8proc_ssize_t n;

	if (k->cap < k->tmp_len + 1) {
		k->cap = k->tmp_len + 16;
		k->cp = xreallocarray(k->cp, k->cap, sizeof *k->cp);
	}
	if (ascii) {
		for (k->len = 0; k->len < k->tmp_len; k->len++) {
			int32_t c = (unsigned char)p[k->len];

			k->cp[k->len] = (c >= 'A' && c <= 'Z') ? c + 'a' - 'A' : c;
		}
		return;
	}
	while ((n = utf8proc_decompose(p, (utf8proc_ssize_t)k->tmp_len, k->cp,
	    (utf8proc_ssize_t)k->cap, NAMING_NORM)) > (utf8proc_ssize_t)k->cap) {
		k->cap = (size_t)n;
		k->cp = xreallocarray(k->cp, k->cap, sizeof *k->cp);
	}
	if (n > 0)
		n = utf8proc_normalize_utf32(k->cp, n, NAMING_NORM);
	k->len = n > 0 ? (size_t)n : 0;
}

/* Builds the skeleton of s into k, reusing k's storage. */
static void
naming_skel_make(struct naming_skel *k, const char *s)
{
	size_t out = 0;
	int space = 0;

	k->len = 0;
	if (s == NULL)
		return;
	naming_normalize(k, naming_filter(k, s));
	for (size_t i = 0; i < k->len; i++) {
		int32_t c = k->cp[i];

		if (c == ' ' || (c >= 0x80 && naming_is_space(c)))
			space = 1;
		else if (c < 0x80 || !naming_is_invisible(c)) {
			if (space && out > 0)
				k->cp[out++] = ' ';
			k->cp[out++] = naming_fold(c);
			space = 0;
		}
	}
	k->len = out;
}

static void
naming_skel_free(struct naming_skel *k)
{
	xfree(&k->tmp);
	xfree(&k->cp);
	k->len = k->cap = k->tmp_len = k->tmp_cap = 0;
}

static int
naming_skel_eq(const struct naming_skel *a, const struct naming_skel *b)
{
	return a->len == b->len && memcmp(a->cp, b->cp, a->len * sizeof *a->cp) == 0;
}

/* True when the name holds something shaped like a user id ("@x:y"), which
 * could pass for another user or for an already disambiguated name. */
static int
naming_skel_has_id(const struct naming_skel *k)
{
	size_t i = 0;

	while (i < k->len && k->cp[i] != '@')
		i++;
	while (i < k->len && k->cp[i] != ':')
		i++;
	return i < k->len;
}

/* True when s shows something once invisible characters are gone. */
static int
naming_visible(const char *s)
{
	struct naming_skel k = {0};
	int visible;

	if (s == NULL || *s == '\0')
		return 0;
	naming_skel_make(&k, s);
	visible = k.len > 0;
	naming_skel_free(&k);
	return visible;
}

static const char *
naming_user_id(const struct naming_member *m)
{
	if (m->user_id == NULL || *m->user_id == '\0')
		return NAMING_NO_USER_ID;
	return m->user_id;
}

static int
naming_same_user(const struct naming_member *a, const struct naming_member *b)
{
	return a->user_id != NULL && b->user_id != NULL && strcmp(a->user_id, b->user_id) == 0;
}

/* Compares s with the skeleton k without building its own when s is all
 * ASCII, as most names are; -1 when it is not. */
static int
naming_ascii_eq(const char *s, const struct naming_skel *k)
{
	const unsigned char *p;
	size_t i = 0;
	int space = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p >= 0x80)
			return -1;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		int32_t c = (*p >= 'A' && *p <= 'Z') ? *p + 'a' - 'A' : *p;

		if (c == ' ' || (c >= '\t' && c <= '\r'))
			space = 1;
		else if (naming_ascii_kept(*p)) {
			if (space && i > 0 && (i >= k->len || k->cp[i++] != ' '))
				return 0;
			if (i >= k->len || k->cp[i++] != c)
				return 0;
			space = 0;
		}
	}
	return i == k->len;
}

/* True when a member other than idx shows a name with the skeleton k. */
static int
naming_clashes(const struct naming_member *members, size_t n, size_t idx,
    const struct naming_skel *k)
{
	struct naming_skel other = {0};
	int clash = 0;

	for (size_t j = 0; j < n && !clash; j++) {
		const char *dn = members[j].displayname;

		if (j == idx || dn == NULL || *dn == '\0' ||
		    naming_same_user(&members[j], &members[idx]))
			continue;
		if ((clash = naming_ascii_eq(dn, k)) == -1) {
			naming_skel_make(&other, dn);
			clash = naming_skel_eq(k, &other);
		}
	}
	naming_skel_free(&other);
	return clash;
}

char *
naming_member_name(const struct naming_member *members, size_t n, size_t idx)
{
	const struct naming_member *m;
	struct naming_skel k = {0};
	char *name;

	if (members == NULL || idx >= n)
		return xstrdup(NAMING_NO_USER_ID);
	m = &members[idx];
	if (m->displayname == NULL || *m->displayname == '\0')
		return xstrdup(naming_user_id(m));
	naming_skel_make(&k, m->displayname);
	if (k.len == 0)
		name = xstrdup(naming_user_id(m));
	else if (naming_skel_has_id(&k) || naming_clashes(members, n, idx, &k))
		name = xasprintf("%s (%s)", m->displayname, naming_user_id(m));
	else
		name = xstrdup(m->displayname);
	naming_skel_free(&k);
	return name;
}

/* Appends "Alice", "Alice and Bob", "Alice, Bob and Carol" or
 * "Alice, Bob and 3 others" for the first shown of the nh heroes. */
static void
naming_list(struct buf *b, const struct naming_member *h, size_t nh, size_t shown,
    int64_t others)
{
	for (size_t i = 0; i < shown; i++) {
		char *name = naming_member_name(h, nh, i);

		if (i > 0)
			buf_puts(b, i + 1 == shown && others == 0 ? " and " : ", ");
		buf_puts(b, name);
		free(name);
	}
	if (others > 0)
		buf_printf(b, " and %lld other%s", (long long)others, others == 1 ? "" : "s");
}

static int64_t
naming_count(int64_t n)
{
	if (n < 0)
		return 0;
	return n > NAMING_MAX_COUNT ? NAMING_MAX_COUNT : n;
}

static char *
naming_from_heroes(const struct naming_room *room)
{
	struct naming_member *h = xcalloc(room->n_heroes, sizeof *h);
	struct buf b = {0};
	size_t nh = 0, shown;
	int64_t total, others;

	for (size_t i = 0; room->heroes != NULL && i < room->n_heroes; i++) {
		const char *uid = room->heroes[i].user_id;

		if (uid != NULL && *uid != '\0' && (room->self == NULL || strcmp(uid, room->self) != 0))
			h[nh++] = room->heroes[i];
	}
	shown = nh < NAMING_MAX_HEROES ? nh : NAMING_MAX_HEROES;
	total = naming_count(room->joined_count) + naming_count(room->invited_count);
	others = total - 1 - (int64_t)shown;
	if (total <= 1) {
		buf_puts(&b, "Empty room");
		if (shown > 0) {
			buf_puts(&b, " (was ");
			naming_list(&b, h, nh, shown, 0);
			buf_putc(&b, ')');
		}
	} else if (shown == 0)
		buf_printf(&b, "Unnamed room (%lld members)", (long long)total);
	else
		naming_list(&b, h, nh, shown, others > 0 ? others : 0);
	free(h);
	return buf_steal(&b);
}

int
naming_room_named(const struct naming_room *room)
{
	return naming_visible(room->name) || naming_visible(room->canonical_alias);
}

char *
naming_room_name(const struct naming_room *room)
{
	if (naming_visible(room->name))
		return xstrdup(room->name);
	if (naming_visible(room->canonical_alias))
		return xstrdup(room->canonical_alias);
	return naming_from_heroes(room);
}
