/* Folding for matching what people type: Søren is found by "soren",
 * Ærø by "aero", Straße by "strasse". utf8proc folds case and
 * compatibility forms and takes accents apart; the letters that have no
 * decomposition (ø, æ, ł, đ, þ) are written out from a table of our own.
 * Marks are dropped only from Latin, Greek and Cyrillic letters: in other
 * scripts (the kana's voicing marks, Indic vowel signs) they make another
 * letter, not an accented one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "natter/text.h"
#include "natter/util.h"

#define TEXT_FOLD_DECOMPOSE (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | \
	UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* Lower-case letters (after case folding) that do not decompose, as the
 * letters people type for them; by code point, for bsearch. */
static const struct text_fold_letter {
	int32_t c;
	char to[3];
} text_fold_letters[] = {
	{0x00df, "ss"},		/* ß */
	{0x00e6, "ae"},		/* æ */
	{0x00f0, "d"},		/* ð */
	{0x00f8, "o"},		/* ø */
	{0x00fe, "th"},		/* þ */
	{0x0111, "d"},		/* đ */
	{0x0127, "h"},		/* ħ */
	{0x0131, "i"},		/* ı, dotless i */
	{0x0138, "k"},		/* ĸ */
	{0x0142, "l"},		/* ł */
	{0x014b, "n"},		/* ŋ */
	{0x0153, "oe"},		/* œ */
	{0x0167, "t"},		/* ŧ */
	{0x0180, "b"},		/* ƀ */
	{0x0192, "f"},		/* ƒ */
	{0x01e5, "g"},		/* ǥ */
	{0x0250, "a"},		/* ɐ */
	{0x0253, "b"},		/* ɓ */
	{0x0254, "o"},		/* ɔ */
	{0x0256, "d"},		/* ɖ */
	{0x0257, "d"},		/* ɗ */
	{0x0259, "e"},		/* ə, schwa (Azerbaijani) */
	{0x025b, "e"},		/* ɛ */
	{0x0268, "i"},		/* ɨ */
	{0x0272, "n"},		/* ɲ */
	{0x0289, "u"},		/* ʉ */
	{0x1d6b, "ue"},		/* ᵫ */
};

static int
text_fold_letter_cmp(const void *key, const void *elem)
{
	int32_t c = *(const int32_t *)key, e = ((const struct text_fold_letter *)elem)->c;

	return c < e ? -1 : c > e;
}

static const char *
text_fold_letter(int32_t c)
{
	const struct text_fold_letter *l;

	if (c < 0xdf)
		return NULL;
	l = bsearch(&c, text_fold_letters, NT_NELEMS(text_fold_letters),
	    sizeof *text_fold_letters, text_fold_letter_cmp);
	return l != NULL ? l->to : NULL;
}

/* Letters whose marks are accents: Latin, IPA, Greek, Cyrillic and their
 * extensions. */
static int
text_fold_accented(int32_t base)
{
	return base < 0x0530 || (base >= 0x1d00 && base < 0x1dc0) ||
	    (base >= 0x1e00 && base < 0x2000) || (base >= 0x2c60 && base < 0x2c80) ||
	    (base >= 0xa640 && base < 0xa6a0) || (base >= 0xa720 && base < 0xa800) ||
	    (base >= 0xab30 && base < 0xab70);
}

static int
text_fold_is_mark(int32_t c)
{
	utf8proc_category_t cat = utf8proc_category(c);

	return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME;
}

/* The folded code points of cps[0, n), in place; returns how many. The
 * array has room for two for each one (no letter writes out more). */
static size_t
text_fold_cps(int32_t *cps, size_t n)
{
	int32_t *out = xcalloc(n * 2 + 1, sizeof *out), base = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t c = cps[i];
		const char *to;

		if (text_fold_is_mark(c)) {
			if (!text_fold_accented(base))
				out[k++] = c;
			continue;
		}
		base = c;
		if ((to = text_fold_letter(c)) != NULL) {
			for (; *to != '\0'; to++)
				out[k++] = (unsigned char)*to;
		} else
			out[k++] = c;
	}
	memcpy(cps, out, k * sizeof *out);
	free(out);
	return k;
}

static char *
text_fold_ascii(const char *s, size_t len)
{
	char *out = xstrndup(s, len);

	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

char *
text_fold(const char *s, size_t len)
{
	utf8proc_ssize_t n;
	int32_t *cps;
	size_t i;

	len = strnlen(s, len);
	for (i = 0; i < len && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == len)
		return text_fold_ascii(s, len);
	n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, NULL, 0,
	    TEXT_FOLD_DECOMPOSE);
	if (n < 0)
		return text_fold_ascii(s, len);
	/* Twice as long for the letters written out, and room for the
	 * UTF-8 that utf8proc_reencode writes over it. */
	cps = xcalloc((size_t)n * 2 + 1, sizeof *cps);
	n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
	    (utf8proc_int32_t *)cps, n, TEXT_FOLD_DECOMPOSE);
	n = (utf8proc_ssize_t)text_fold_cps(cps, (size_t)n);
	n = utf8proc_reencode((utf8proc_int32_t *)cps, n, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0) {
		free(cps);
		return text_fold_ascii(s, len);
	}
	((char *)cps)[n] = '\0';
	return (char *)cps;
}

char *
text_fold_str(const char *s)
{
	return text_fold(s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}
