/* Sealed pickles: base64 of a format byte, a 12-byte random nonce, the
 * AES-256-GCM ciphertext of (kind, version, body) and its 16-byte tag. The
 * GCM key is derived from the caller's pickle key with HKDF so the store
 * may use that key for other things without two uses meeting. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

#define CRYPTO_SEAL_FORMAT 1
#define CRYPTO_SEAL_NONCE 12
#define CRYPTO_SEAL_TAG 16
#define CRYPTO_SEAL_INFO "natter pickle v1"

void
crypto_wbuf_add(struct crypto_wbuf *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *d;

		while (cap < w->len + n)
			cap *= 2;
		d = xmalloc(cap);
		if (w->len > 0)
			memcpy(d, w->data, w->len);
		crypto_free_secret(w->data, w->cap);
		w->data = d;
		w->cap = cap;
	}
	if (n > 0)
		memcpy(w->data + w->len, p, n);
	w->len += n;
}

void
crypto_wbuf_u8(struct crypto_wbuf *w, uint8_t v)
{
	crypto_wbuf_add(w, &v, 1);
}

void
crypto_wbuf_u32(struct crypto_wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	crypto_wbuf_add(w, b, sizeof b);
}

void
crypto_wbuf_free(struct crypto_wbuf *w)
{
	crypto_free_secret(w->data, w->cap);
	memset(w, 0, sizeof *w);
}

void
crypto_rbuf_get(struct crypto_rbuf *r, void *out, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
}

uint8_t
crypto_rbuf_u8(struct crypto_rbuf *r)
{
	uint8_t v;

	crypto_rbuf_get(r, &v, 1);
	return v;
}

uint32_t
crypto_rbuf_u32(struct crypto_rbuf *r)
{
	uint8_t b[4];

	crypto_rbuf_get(r, b, sizeof b);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* AES-256-GCM under the key derived from the pickle key; 0 on success. */
static int
crypto_gcm(int enc, const uint8_t pickle_key[32], const uint8_t *nonce, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t *tag)
{
	uint8_t key[32], aad = CRYPTO_SEAL_FORMAT;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	crypto_hkdf_sha256(NULL, 0, pickle_key, 32, CRYPTO_SEAL_INFO, key, sizeof key);
	ok = ctx != NULL && len <= INT32_MAX &&
	    EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, enc, NULL) == 1 &&
	    EVP_CipherUpdate(ctx, NULL, &n, &aad, 1) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_SEAL_TAG, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(ctx, out + n, &m) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_SEAL_TAG, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(key, sizeof key);
	return ok ? 0 : -1;
}

char *
crypto_pickle_seal(struct crypto_wbuf *w, enum crypto_pickle_kind kind, const uint8_t key[32])
{
	struct crypto_wbuf plain = {0};
	size_t len;
	uint8_t *out;
	char *b64;

	crypto_wbuf_u8(&plain, (uint8_t)kind);
	crypto_wbuf_u8(&plain, CRYPTO_PICKLE_VERSION);
	crypto_wbuf_add(&plain, w->data, w->len);
	crypto_wbuf_free(w);
	len = 1 + CRYPTO_SEAL_NONCE + plain.len + CRYPTO_SEAL_TAG;
	out = xmalloc(len);
	out[0] = CRYPTO_SEAL_FORMAT;
	crypto_random(out + 1, CRYPTO_SEAL_NONCE);
	if (crypto_gcm(1, key, out + 1, plain.data, plain.len, out + 1 + CRYPTO_SEAL_NONCE,
	    out + len - CRYPTO_SEAL_TAG) != 0)
		abort();
	crypto_wbuf_free(&plain);
	b64 = crypto_b64_encode(out, len);
	free(out);
	return b64;
}

static const char *
crypto_pickle_kind_name(int kind)
{
	switch (kind) {
	case CRYPTO_PICKLE_ACCOUNT:
		return "an account";
	case CRYPTO_PICKLE_OLM:
		return "an Olm session";
	case CRYPTO_PICKLE_MEGOLM_OUT:
		return "an outbound Megolm session";
	case CRYPTO_PICKLE_MEGOLM_IN:
		return "an inbound Megolm session";
	case CRYPTO_PICKLE_SECRET:
		return "a secret";
	}
	return "something unknown";
}

/* Checks the kind and version at the start of an opened pickle. */
static int
crypto_pickle_check(const uint8_t *plain, size_t len, enum crypto_pickle_kind kind,
    char **cause)
{
	if (len < 2)
		return cause_set(cause, "the pickle is empty");
	if (plain[0] != kind)
		return cause_set(cause, "the pickle holds %s, not %s",
		    crypto_pickle_kind_name(plain[0]), crypto_pickle_kind_name(kind));
	if (plain[1] != CRYPTO_PICKLE_VERSION)
		return cause_set(cause, "the pickle's version %u is not one this natter reads",
		    plain[1]);
	return 0;
}

int
crypto_pickle_open(const char *pickle, enum crypto_pickle_kind kind, const uint8_t key[32],
    uint8_t **plain, size_t *len, char **cause)
{
	uint8_t *raw, *out;
	size_t n, clen;

	if (crypto_b64_decode(pickle, &raw, &n, NULL) != 0)
		return cause_set(cause, "the pickle is not base64");
	if (n < 1 + CRYPTO_SEAL_NONCE + CRYPTO_SEAL_TAG || raw[0] != CRYPTO_SEAL_FORMAT) {
		free(raw);
		return cause_set(cause, "the pickle is not in a format natter reads");
	}
	clen = n - 1 - CRYPTO_SEAL_NONCE - CRYPTO_SEAL_TAG;
	out = xmalloc(clen + CRYPTO_AES_BLOCK);
	if (crypto_gcm(0, key, raw + 1, raw + 1 + CRYPTO_SEAL_NONCE, clen, out,
	    raw + n - CRYPTO_SEAL_TAG) != 0) {
		free(raw);
		crypto_free_secret(out, clen + CRYPTO_AES_BLOCK);
		return cause_set(cause, "the pickle key is wrong or the pickle is damaged");
	}
	free(raw);
	if (crypto_pickle_check(out, clen, kind, cause) != 0) {
		crypto_free_secret(out, clen + CRYPTO_AES_BLOCK);
		return -1;
	}
	*plain = out;
	*len = clen;
	return 0;
}

/* A secret is sealed with its name in front (name, NUL, secret), so that
 * one cannot be passed off as another by swapping rows. */
char *
crypto_secret_seal(const char *name, const char *secret, const uint8_t key[CRYPTO_PICKLE_KEY_LEN])
{
	struct crypto_wbuf w = {0};

	crypto_wbuf_add(&w, name, strlen(name) + 1);
	crypto_wbuf_add(&w, secret, strlen(secret));
	return crypto_pickle_seal(&w, CRYPTO_PICKLE_SECRET, key);
}

char *
crypto_secret_open(const char *sealed, const char *name,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN], char **cause)
{
	size_t len, n = strlen(name) + 1;
	uint8_t *plain;
	char *secret;

	if (crypto_pickle_open(sealed, CRYPTO_PICKLE_SECRET, key, &plain, &len, cause) != 0)
		return NULL;
	if (len < 2 + n || memcmp(plain + 2, name, n) != 0 ||
	    memchr(plain + 2 + n, '\0', len - 2 - n) != NULL) {
		crypto_free_secret(plain, len);
		cause_set(cause, "the sealed secret is not %s", name);
		return NULL;
	}
	secret = xmalloc(len - 2 - n + 1);
	memcpy(secret, plain + 2 + n, len - 2 - n);
	secret[len - 2 - n] = '\0';
	crypto_free_secret(plain, len);
	return secret;
}
