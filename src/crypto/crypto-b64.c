/* Unpadded base64 as Matrix writes keys, and base64url for JWK keys.
 * Written here rather than with EVP_EncodeBlock/EVP_DecodeBlock because
 * those pad and skip white space. Unused trailing bits are ignored, as
 * other Matrix implementations do (the spec's own signing seed has them
 * set), so two spellings can decode to one key: compare keys decoded, or
 * as this module writes them, never as they arrived. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

static const char crypto_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char crypto_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
crypto_b64_put(char *out, const uint8_t *data, size_t len, int url)
{
	const char *a = url ? crypto_b64_url : crypto_b64_std;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];

		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
		*out++ = a[v & 63];
	}
	if (len - i == 1) {
		*out++ = a[data[i] >> 2];
		*out++ = a[(data[i] & 3) << 4];
	} else if (len - i == 2) {
		*out++ = a[data[i] >> 2];
		*out++ = a[((data[i] & 3) << 4) | data[i + 1] >> 4];
		*out++ = a[(data[i + 1] & 15) << 2];
	}
	*out = '\0';
}

char *
crypto_b64_encode(const uint8_t *data, size_t len)
{
	char *out = xmalloc(CRYPTO_B64_MAX(len));

	crypto_b64_put(out, data, len, 0);
	return out;
}

char *
crypto_b64_padded(const uint8_t *data, size_t len)
{
	char *out = xmalloc(CRYPTO_B64_MAX(len));
	size_t n;

	crypto_b64_put(out, data, len, 0);
	n = strlen(out);
	while (n % 4 != 0)
		out[n++] = '=';
	out[n] = '\0';
	return out;
}

static int
crypto_b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* The length of s without its padding, or -1 when the padding is wrong. */
static long
crypto_b64_body(const char *s)
{
	size_t n = strlen(s), pad = 0;

	while (pad < n && s[n - 1 - pad] == '=')
		pad++;
	if (pad > 2 || (pad > 0 && n % 4 != 0) || (n - pad) % 4 == 1)
		return -1;
	return (long)(n - pad);
}

static int
crypto_b64_decode_body(const char *s, size_t n, int url, uint8_t *out)
{
	uint32_t acc = 0;
	size_t bits = 0, o = 0;

	for (size_t i = 0; i < n; i++) {
		int v = crypto_b64_value(s[i], url);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return 0;
}

int
crypto_b64_decode_alpha(const char *s, int url, uint8_t **out, size_t *len, char **cause)
{
	long n = crypto_b64_body(s);
	size_t size;
	uint8_t *p;

	if (n < 0)
		return cause_set(cause, "not base64: bad length or padding");
	size = (size_t)n * 3 / 4;
	p = xmalloc(size);
	if (crypto_b64_decode_body(s, (size_t)n, url, p) != 0) {
		crypto_free_secret(p, size);
		return cause_set(cause, "not base64: a character outside the alphabet");
	}
	*out = p;
	*len = size;
	return 0;
}

int
crypto_b64_decode(const char *s, uint8_t **out, size_t *len, char **cause)
{
	return crypto_b64_decode_alpha(s, 0, out, len, cause);
}

/* Decodes s, which must be exactly want bytes, into out. */
int
crypto_b64_decode_into(const char *s, int url, uint8_t *out, size_t want, char **cause)
{
	uint8_t *p;
	size_t n;

	if (crypto_b64_decode_alpha(s, url, &p, &n, cause) != 0)
		return -1;
	if (n != want) {
		crypto_free_secret(p, n);
		return cause_set(cause, "%zu bytes of base64 where %zu were expected", n, want);
	}
	memcpy(out, p, n);
	crypto_free_secret(p, n);
	return 0;
}
