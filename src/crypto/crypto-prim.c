/* libcrypto primitives at the fixed sizes Olm and Megolm use. A failure
 * of libcrypto itself on valid sizes (not bad input) aborts: it means the
 * library is broken, and going on could leak plaintext. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

static once_flag crypto_fetch_once = ONCE_FLAG_INIT;
static EVP_MAC *crypto_hmac;
static EVP_KDF *crypto_hkdf;
static EVP_MD *crypto_sha;
static EVP_CIPHER *crypto_cbc;

void
crypto_fail(const char *what)
{
	fprintf(stderr, "natter: libcrypto failed: %s\n", what);
	abort();
}

static void
crypto_fetch(void)
{
	crypto_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	crypto_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	crypto_sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	crypto_cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	if (!crypto_hmac || !crypto_hkdf || !crypto_sha || !crypto_cbc)
		crypto_fail("fetching HMAC, HKDF, SHA-256 or AES-256-CBC");
}

static void
crypto_ready(void)
{
	call_once(&crypto_fetch_once, crypto_fetch);
}

void
crypto_random(uint8_t *out, size_t len)
{
	if (len > 0 && RAND_bytes(out, (int)len) != 1)
		crypto_fail("RAND_bytes");
}

void
crypto_free_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void
crypto_sha256(const uint8_t *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	crypto_ready();
	if (EVP_Digest(data, len, out, NULL, crypto_sha, NULL) != 1)
		crypto_fail("SHA-256");
}

/* The HMAC context is kept (one per thread) with SHA-256 already set:
 * fetching the digest for each new context costs more than hashing a
 * short message. It is re-keyed with zeros after each use so that no key
 * outlives its call (libcrypto wipes a key it replaces). */
static _Thread_local EVP_MAC_CTX *crypto_hmac_ctx;

static EVP_MAC_CTX *
crypto_hmac_ready(void)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (crypto_hmac_ctx != NULL)
		return crypto_hmac_ctx;
	crypto_ready();
	crypto_hmac_ctx = EVP_MAC_CTX_new(crypto_hmac);
	if (crypto_hmac_ctx == NULL || EVP_MAC_CTX_set_params(crypto_hmac_ctx, params) != 1)
		crypto_fail("HMAC-SHA256 set-up");
	return crypto_hmac_ctx;
}

void
crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
    uint8_t out[CRYPTO_SHA256_LEN])
{
	static const uint8_t zeros[CRYPTO_SHA256_LEN];
	EVP_MAC_CTX *ctx = crypto_hmac_ready();
	size_t n = 0;

	if (EVP_MAC_init(ctx, key_len ? key : zeros, key_len, NULL) != 1 ||
	    EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, out, &n, CRYPTO_SHA256_LEN) != 1 || n != CRYPTO_SHA256_LEN ||
	    EVP_MAC_init(ctx, zeros, sizeof zeros, NULL) != 1)
		crypto_fail("HMAC-SHA256");
}

/* A new HKDF context in expand-only mode. Not kept like the HMAC one:
 * 3.0 keeps a stale info length in a reused context given an empty info. */
static EVP_KDF_CTX *
crypto_hkdf_new(void)
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_end(),
	};
	EVP_KDF_CTX *ctx;

	crypto_ready();
	ctx = EVP_KDF_CTX_new(crypto_hkdf);
	if (ctx == NULL || EVP_KDF_CTX_set_params(ctx, params) != 1)
		crypto_fail("HKDF-SHA256 set-up");
	return ctx;
}

/* HKDF-SHA256 as RFC 5869 defines it: the extract step is HMAC(salt,
 * ikm) through EVP_MAC, the expand step EVP_KDF's. Split because
 * libcrypto 3.0's HKDF frees its salt without wiping it, and Olm's salt
 * is the root key; the pseudo-random key it gets instead is wiped. No
 * salt means HashLen zero bytes. */
void
crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
    const char *info, uint8_t *out, size_t out_len)
{
	static const uint8_t zeros[CRYPTO_SHA256_LEN];
	uint8_t prk[CRYPTO_SHA256_LEN];
	EVP_KDF_CTX *ctx = crypto_hkdf_new();
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, prk, sizeof prk),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
		    strlen(info)),
		OSSL_PARAM_construct_end(),
	};

	crypto_hmac_sha256(salt_len ? salt : zeros, salt_len ? salt_len : sizeof zeros, ikm,
	    ikm_len, prk);
	if (EVP_KDF_derive(ctx, out, out_len, params) != 1)
		crypto_fail("HKDF-SHA256");
	EVP_KDF_CTX_free(ctx);
	OPENSSL_cleanse(prk, sizeof prk);
}

/* The spec's HKDF(0, secret, info, 80): no salt, which HKDF reads as
 * a hash-length block of zeros. */
void
crypto_derive_msg_keys(const uint8_t *secret, size_t len, const char *info,
    struct crypto_msg_keys *k)
{
	uint8_t out[80];

	crypto_hkdf_sha256(NULL, 0, secret, len, info, out, sizeof out);
	memcpy(k->aes, out, 32);
	memcpy(k->mac, out + 32, 32);
	memcpy(k->iv, out + 64, 16);
	OPENSSL_cleanse(out, sizeof out);
}

static uint8_t *
crypto_aes_cbc(const struct crypto_msg_keys *k, int enc, const uint8_t *in, size_t len,
    size_t *out_len)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *out;
	int n = 0, m = 0, ok;

	crypto_ready();
	if (len > (size_t)INT32_MAX - CRYPTO_AES_BLOCK)
		return NULL;
	out = xmalloc(len + CRYPTO_AES_BLOCK);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_CipherInit_ex2(ctx, crypto_cbc, k->aes, k->iv, enc, NULL) != 1)
		crypto_fail("AES-256-CBC");
	ok = EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(ctx, out + n, &m) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		crypto_free_secret(out, len + CRYPTO_AES_BLOCK);
		return NULL;
	}
	*out_len = (size_t)n + (size_t)m;
	return out;
}

uint8_t *
crypto_aes_cbc_encrypt(const struct crypto_msg_keys *k, const uint8_t *plain, size_t len,
    size_t *out_len)
{
	uint8_t *out = crypto_aes_cbc(k, 1, plain, len, out_len);

	if (out == NULL)
		crypto_fail("AES-256-CBC encryption");
	return out;
}

uint8_t *
crypto_aes_cbc_decrypt(const struct crypto_msg_keys *k, const uint8_t *cipher, size_t len,
    size_t *out_len)
{
	if (len == 0 || len % CRYPTO_AES_BLOCK != 0)
		return NULL;
	return crypto_aes_cbc(k, 0, cipher, len, out_len);
}

/* AES-256-CTR is its own inverse: in to out (which may be in), len bytes.
 * The whole 128-bit IV counts up, as libcrypto does; WebCrypto as Element
 * Web uses it counts in the low 64 bits only, which is why every writer
 * clears bit 63 of the IV: the two then agree. */
void
crypto_aes_ctr(const uint8_t key[32], const uint8_t iv[CRYPTO_AES_BLOCK], const uint8_t *in,
    size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t done = 0;
	int n;

	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1)
		crypto_fail("AES-256-CTR");
	while (done < len) {
		size_t chunk = len - done > 1 << 20 ? 1 << 20 : len - done;

		if (EVP_EncryptUpdate(ctx, out + done, &n, in + done, (int)chunk) != 1 ||
		    (size_t)n != chunk)
			crypto_fail("AES-256-CTR");
		done += chunk;
	}
	EVP_CIPHER_CTX_free(ctx);
}

void
crypto_pbkdf2_sha512(const char *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
    uint32_t rounds, uint8_t *out, size_t out_len)
{
	if (pass_len > INT_MAX || salt_len > INT_MAX || rounds < 1 || rounds > INT_MAX ||
	    out_len > INT_MAX || PKCS5_PBKDF2_HMAC(pass, (int)pass_len, salt, (int)salt_len,
	    (int)rounds, EVP_sha512(), (int)out_len, out) != 1)
		crypto_fail("PBKDF2-HMAC-SHA512");
}

int
crypto_x25519_from_priv(struct crypto_x25519 *kp, const uint8_t priv[CRYPTO_KEY_LEN])
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, CRYPTO_KEY_LEN);
	size_t n = CRYPTO_KEY_LEN;
	int ok;

	if (pk == NULL)
		return -1;
	ok = EVP_PKEY_get_raw_public_key(pk, kp->pub, &n) == 1 && n == CRYPTO_KEY_LEN;
	EVP_PKEY_free(pk);
	if (!ok)
		return -1;
	if (kp->priv != priv)
		memcpy(kp->priv, priv, CRYPTO_KEY_LEN);
	return 0;
}

void
crypto_x25519_generate(struct crypto_x25519 *kp)
{
	crypto_random(kp->priv, CRYPTO_KEY_LEN);
	if (crypto_x25519_from_priv(kp, kp->priv) != 0)
		crypto_fail("X25519 key generation");
}

/* Fails when theirs is a low-order point (libcrypto refuses an all-zero
 * shared secret). */
int
crypto_x25519_derive(const struct crypto_x25519 *ours, const uint8_t theirs[CRYPTO_KEY_LEN],
    uint8_t out[CRYPTO_KEY_LEN])
{
	EVP_PKEY *me = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, ours->priv,
	    CRYPTO_KEY_LEN);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, theirs,
	    CRYPTO_KEY_LEN);
	EVP_PKEY_CTX *ctx = me != NULL ? EVP_PKEY_CTX_new(me, NULL) : NULL;
	size_t n = CRYPTO_KEY_LEN;
	int ok;

	ok = ctx != NULL && peer != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, peer) == 1 && EVP_PKEY_derive(ctx, out, &n) == 1 &&
	    n == CRYPTO_KEY_LEN;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(me);
	return ok ? 0 : -1;
}

int
crypto_ed25519_from_seed(struct crypto_ed25519 *k, const uint8_t seed[CRYPTO_KEY_LEN])
{
	size_t n = CRYPTO_KEY_LEN;

	k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, CRYPTO_KEY_LEN);
	if (k->pkey == NULL)
		return -1;
	if (EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &n) != 1 || n != CRYPTO_KEY_LEN) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return -1;
	}
	if (k->seed != seed)
		memcpy(k->seed, seed, CRYPTO_KEY_LEN);
	return 0;
}

void
crypto_ed25519_generate(struct crypto_ed25519 *k)
{
	crypto_random(k->seed, CRYPTO_KEY_LEN);
	if (crypto_ed25519_from_seed(k, k->seed) != 0)
		crypto_fail("Ed25519 key generation");
}

void
crypto_ed25519_clear(struct crypto_ed25519 *k)
{
	EVP_PKEY_free(k->pkey);
	OPENSSL_cleanse(k, sizeof *k);
}

void
crypto_ed25519_sign(const struct crypto_ed25519 *k, const uint8_t *msg, size_t len,
    uint8_t sig[CRYPTO_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = CRYPTO_SIG_LEN;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &n, msg, len) != 1 || n != CRYPTO_SIG_LEN)
		crypto_fail("Ed25519 signing");
	EVP_MD_CTX_free(ctx);
}

EVP_PKEY *
crypto_ed25519_public(const uint8_t pub[CRYPTO_KEY_LEN])
{
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, CRYPTO_KEY_LEN);
}

int
crypto_ed25519_check(EVP_PKEY *pkey, const uint8_t *msg, size_t len,
    const uint8_t sig[CRYPTO_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		crypto_fail("EVP_MD_CTX_new");
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, CRYPTO_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

int
crypto_ed25519_verify(const char *key, const uint8_t *msg, size_t len, const char *sig,
    char **cause)
{
	uint8_t pub[CRYPTO_KEY_LEN], raw[CRYPTO_SIG_LEN];
	EVP_PKEY *pk;
	int ok;

	if (key == NULL || crypto_b64_decode_into(key, 0, pub, sizeof pub, NULL) != 0)
		return cause_set(cause, "the Ed25519 key is not 32 bytes of base64");
	if (sig == NULL || crypto_b64_decode_into(sig, 0, raw, sizeof raw, NULL) != 0)
		return cause_set(cause, "the Ed25519 signature is not 64 bytes of base64");
	pk = crypto_ed25519_public(pub);
	if (pk == NULL)
		return cause_set(cause, "the Ed25519 key is not usable");
	ok = crypto_ed25519_check(pk, msg, len, raw);
	EVP_PKEY_free(pk);
	return ok;
}
