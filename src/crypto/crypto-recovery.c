/* The secret-storage key and what it keeps: the recovery key Element
 * shows for it (the spec's cryptographic key representation), keys from
 * passphrases (m.pbkdf2), secrets encrypted under it
 * (m.secret_storage.v1.aes-hmac-sha2) with the key's own check, and the
 * cross-signing key pairs whose seeds are such secrets.
 *
 * A secret for name under key K:
 *
 *   HKDF-SHA256(ikm K, salt zero, info name) -> AES-256 key | HMAC key
 *   ciphertext = AES-256-CTR(AES key, IV with bit 63 clear, secret)
 *   mac = HMAC-SHA256(HMAC key, ciphertext)
 *
 * The spec says a salt of 32 zero bytes, Element passes 8: HMAC pads its
 * key with zeros to a block, so both (and none) are the same key. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

#define RECOVERY_PREFIX_0 0x8B
#define RECOVERY_PREFIX_1 0x01
#define RECOVERY_BYTES (2 + CRYPTO_SECRET_KEY_LEN + 1)
#define RECOVERY_CHARS 48	/* base58 of RECOVERY_BYTES starting 0x8B 0x01: always 48 */
#define RECOVERY_GROUP 4
#define RECOVERY_CHARS_MAX 128	/* refused unread past this: no key is near it */
#define SSSS_IV 16

static const char recovery_b58[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* The n digits of in, big-endian in base from, as digits in base to, into
 * out; each leading zero stays one leading zero (base58 writes a '1' for
 * each leading zero byte). Returns the digits written. in is at most
 * RECOVERY_CHARS_MAX digits whose value fits in that many bytes, and out
 * has room for RECOVERY_CHARS_MAX: the recovery key's sizes are far below. */
static size_t
recovery_rebase(const uint8_t *in, size_t n, unsigned from, unsigned to, uint8_t *out)
{
	uint8_t num[RECOVERY_CHARS_MAX] = {0};	/* the value so far, in base to, least first */
	size_t zeros = 0, used = 0, o = 0;

	while (zeros < n && in[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < n; i++) {
		unsigned carry = in[i];
		size_t j;

		for (j = 0; j < used || carry != 0; j++) {
			carry += j < used ? from * num[j] : 0;
			num[j] = (uint8_t)(carry % to);
			carry /= to;
		}
		used = j;
	}
	for (size_t i = 0; i < zeros; i++)
		out[o++] = 0;
	while (used > 0)
		out[o++] = num[--used];
	OPENSSL_cleanse(num, sizeof num);
	return o;
}

char *
crypto_recovery_encode(const uint8_t key[CRYPTO_SECRET_KEY_LEN])
{
	uint8_t bin[RECOVERY_BYTES], digits[RECOVERY_CHARS_MAX];
	char *out = xmalloc(RECOVERY_CHARS_MAX + RECOVERY_CHARS_MAX / RECOVERY_GROUP + 1);
	size_t n, o = 0;

	bin[0] = RECOVERY_PREFIX_0;
	bin[1] = RECOVERY_PREFIX_1;
	memcpy(bin + 2, key, CRYPTO_SECRET_KEY_LEN);
	bin[RECOVERY_BYTES - 1] = 0;
	for (size_t i = 0; i < RECOVERY_BYTES - 1; i++)
		bin[RECOVERY_BYTES - 1] ^= bin[i];
	n = recovery_rebase(bin, sizeof bin, 256, 58, digits);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && i % RECOVERY_GROUP == 0)
			out[o++] = ' ';
		out[o++] = recovery_b58[digits[i]];
	}
	out[o] = '\0';
	OPENSSL_cleanse(bin, sizeof bin);
	OPENSSL_cleanse(digits, sizeof digits);
	return out;
}

static int
recovery_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int
recovery_bad_char(char c, char **cause)
{
	if (c == '0' || c == 'O' || c == 'I' || c == 'l')
		return cause_set(cause, "not a recovery key: it has \"%c\", which recovery keys "
		    "never use (they leave out 0, O, I and l)", c);
	if (c > ' ' && c < 0x7f)
		return cause_set(cause, "not a recovery key: it has \"%c\", which recovery keys "
		    "never use (only letters and digits)", c);
	return cause_set(cause, "not a recovery key: it has a character recovery keys never use "
	    "(only letters and digits)");
}

/* The base58 digits of text, white space dropped, into values; -1 with a
 * cause for a character outside the alphabet or a text far too long. */
static int
recovery_digits(const char *text, uint8_t *values, size_t *m, char **cause)
{
	size_t n = 0;

	for (const char *p = text; *p != '\0'; p++) {
		const char *at;

		if (recovery_space(*p))
			continue;
		at = strchr(recovery_b58, *p);
		if (at == NULL)
			return recovery_bad_char(*p, cause);
		if (n == RECOVERY_CHARS_MAX)
			return cause_set(cause, "not a recovery key: it is far longer than one "
			    "(%d letters and digits)", RECOVERY_CHARS);
		values[n++] = (uint8_t)(at - recovery_b58);
	}
	*m = n;
	return 0;
}

int
crypto_recovery_decode(const char *text, uint8_t key[CRYPTO_SECRET_KEY_LEN], char **cause)
{
	uint8_t values[RECOVERY_CHARS_MAX], bin[RECOVERY_CHARS_MAX], parity = 0;
	size_t m = 0, n = 0;
	int rc = -1;

	if (recovery_digits(text != NULL ? text : "", values, &m, cause) != 0)
		goto out;
	if (m == 0) {
		cause_set(cause, "not a recovery key: it is empty");
		goto out;
	}
	if (m != RECOVERY_CHARS) {
		cause_set(cause, "not a recovery key: it has %zu letters and digits, where a "
		    "recovery key has %d", m, RECOVERY_CHARS);
		goto out;
	}
	n = recovery_rebase(values, m, 58, 256, bin);
	if (n != RECOVERY_BYTES || bin[0] != RECOVERY_PREFIX_0 || bin[1] != RECOVERY_PREFIX_1) {
		cause_set(cause, "not a recovery key: it does not begin as one does (with \"Es\")");
		goto out;
	}
	for (size_t i = 0; i < RECOVERY_BYTES; i++)
		parity ^= bin[i];
	if (parity != 0) {
		cause_set(cause, "the recovery key has a typo (its check byte does not match)");
		goto out;
	}
	memcpy(key, bin + 2, CRYPTO_SECRET_KEY_LEN);
	rc = 0;
out:
	OPENSSL_cleanse(values, sizeof values);
	OPENSSL_cleanse(bin, sizeof bin);
	return rc;
}

int
crypto_ssss_from_passphrase(const char *passphrase, const char *salt, uint32_t iterations,
    uint32_t bits, uint8_t key[CRYPTO_SECRET_KEY_LEN], char **cause)
{
	if (iterations < 1 || iterations > CRYPTO_SSSS_ITERATIONS_MAX)
		return cause_set(cause, "the passphrase's key asks for %lu iterations of PBKDF2 "
		    "(natter does 1 to %d)", (unsigned long)iterations, CRYPTO_SSSS_ITERATIONS_MAX);
	if (bits != 0 && bits != CRYPTO_SECRET_KEY_LEN * 8)
		return cause_set(cause, "the passphrase's key asks for %lu bits (natter knows "
		    "only %d)", (unsigned long)bits, CRYPTO_SECRET_KEY_LEN * 8);
	crypto_pbkdf2_sha512(passphrase, strlen(passphrase), (const uint8_t *)salt, strlen(salt),
	    iterations, key, CRYPTO_SECRET_KEY_LEN);
	return 0;
}

void
crypto_ssss_box_clear(struct crypto_ssss_box *b)
{
	xfree(&b->iv);
	xfree(&b->ciphertext);
	xfree(&b->mac);
}

/* Encrypts len bytes of data for name under key with iv: the ciphertext
 * (len bytes) into cipher, and its MAC. */
static void
ssss_seal(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *name, const uint8_t iv[SSSS_IV],
    const uint8_t *data, size_t len, uint8_t *cipher, uint8_t mac[CRYPTO_SHA256_LEN])
{
	uint8_t k[64];	/* the AES key, then the HMAC key */

	crypto_hkdf_sha256(NULL, 0, key, CRYPTO_SECRET_KEY_LEN, name, k, sizeof k);
	crypto_aes_ctr(k, iv, data, len, cipher);
	crypto_hmac_sha256(k + 32, 32, cipher, len, mac);
	OPENSSL_cleanse(k, sizeof k);
}

static void
ssss_new_iv(uint8_t iv[SSSS_IV])
{
	crypto_random(iv, SSSS_IV);
	iv[8] &= 0x7f;	/* bit 63 clear, as the spec asks: no counter overflow */
}

void
crypto_ssss_encrypt(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *name,
    const char *secret, struct crypto_ssss_box *out)
{
	size_t len = strlen(secret);
	uint8_t iv[SSSS_IV], mac[CRYPTO_SHA256_LEN], *cipher = xmalloc(len + 1);

	ssss_new_iv(iv);
	ssss_seal(key, name, iv, (const uint8_t *)secret, len, cipher, mac);
	out->iv = crypto_b64_padded(iv, sizeof iv);
	out->ciphertext = crypto_b64_padded(cipher, len);
	out->mac = crypto_b64_padded(mac, sizeof mac);
	free(cipher);
}

int
crypto_ssss_decrypt(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *name,
    const struct crypto_ssss_box *in, char **secret, char **cause)
{
	uint8_t iv[SSSS_IV], mac[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN], k[64];
	uint8_t *cipher = NULL;
	char *plain;
	size_t len = 0;

	*secret = NULL;
	if (in->iv == NULL || crypto_b64_decode_into(in->iv, 0, iv, sizeof iv, NULL) != 0)
		return cause_set(cause, "the secret %s is damaged (its iv is not %d bytes of "
		    "base64)", name, SSSS_IV);
	if (in->mac == NULL || crypto_b64_decode_into(in->mac, 0, mac, sizeof mac, NULL) != 0)
		return cause_set(cause, "the secret %s is damaged (its mac is not %d bytes of "
		    "base64)", name, CRYPTO_SHA256_LEN);
	if (in->ciphertext == NULL || crypto_b64_decode(in->ciphertext, &cipher, &len, NULL) != 0)
		return cause_set(cause, "the secret %s is damaged (its ciphertext is not base64)",
		    name);
	crypto_hkdf_sha256(NULL, 0, key, CRYPTO_SECRET_KEY_LEN, name, k, sizeof k);
	crypto_hmac_sha256(k + 32, 32, cipher, len, want);
	if (CRYPTO_memcmp(want, mac, sizeof mac) != 0) {
		OPENSSL_cleanse(k, sizeof k);
		free(cipher);
		return cause_set(cause, "the secret %s does not open with this key (wrong key, or "
		    "changed on the server)", name);
	}
	plain = xmalloc(len + 1);
	crypto_aes_ctr(k, iv, cipher, len, (uint8_t *)plain);
	plain[len] = '\0';
	OPENSSL_cleanse(k, sizeof k);
	free(cipher);
	if (memchr(plain, '\0', len) != NULL) {
		crypto_free_secret(plain, len + 1);
		return cause_set(cause, "the secret %s holds a NUL byte, which no secret natter "
		    "reads does", name);
	}
	*secret = plain;
	return 0;
}

/* The MAC of the key's check for iv: 32 zero bytes sealed under name "". */
static void
ssss_check_mac(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const uint8_t iv[SSSS_IV],
    uint8_t mac[CRYPTO_SHA256_LEN])
{
	static const uint8_t zeros[32];
	uint8_t cipher[sizeof zeros];

	ssss_seal(key, "", iv, zeros, sizeof zeros, cipher, mac);
	OPENSSL_cleanse(cipher, sizeof cipher);
}

void
crypto_ssss_check(const uint8_t key[CRYPTO_SECRET_KEY_LEN], char **iv, char **mac)
{
	uint8_t v[SSSS_IV], m[CRYPTO_SHA256_LEN];

	ssss_new_iv(v);
	ssss_check_mac(key, v, m);
	*iv = crypto_b64_padded(v, sizeof v);
	*mac = crypto_b64_padded(m, sizeof m);
}

int
crypto_ssss_check_matches(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *iv,
    const char *mac, char **cause)
{
	uint8_t v[SSSS_IV], m[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN];

	if (iv == NULL || crypto_b64_decode_into(iv, 0, v, sizeof v, NULL) != 0)
		return cause_set(cause, "the secret-storage key's check is damaged (its iv is not "
		    "%d bytes of base64)", SSSS_IV);
	if (mac == NULL || crypto_b64_decode_into(mac, 0, m, sizeof m, NULL) != 0)
		return cause_set(cause, "the secret-storage key's check is damaged (its mac is not "
		    "%d bytes of base64)", CRYPTO_SHA256_LEN);
	ssss_check_mac(key, v, want);
	return CRYPTO_memcmp(want, m, sizeof m) == 0;
}

void
crypto_cross_new(char **seed, char **pub)
{
	struct crypto_ed25519 k;

	crypto_ed25519_generate(&k);
	*seed = crypto_b64_encode(k.seed, sizeof k.seed);
	*pub = crypto_b64_encode(k.pub, sizeof k.pub);
	crypto_ed25519_clear(&k);
}

/* The key pair of a seed in base64; the caller clears it. */
static int
cross_key(const char *seed, struct crypto_ed25519 *k, char **cause)
{
	uint8_t raw[CRYPTO_KEY_LEN];
	int rc = 0;

	if (seed == NULL || crypto_b64_decode_into(seed, 0, raw, sizeof raw, NULL) != 0)
		return cause_set(cause, "the cross-signing key is not %d bytes of base64",
		    CRYPTO_KEY_LEN);
	if (crypto_ed25519_from_seed(k, raw) != 0)
		rc = cause_set(cause, "the cross-signing key is not usable");
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

char *
crypto_cross_public(const char *seed, char **cause)
{
	struct crypto_ed25519 k;
	char *pub;

	if (cross_key(seed, &k, cause) != 0)
		return NULL;
	pub = crypto_b64_encode(k.pub, sizeof k.pub);
	crypto_ed25519_clear(&k);
	return pub;
}

char *
crypto_cross_sign(const char *seed, const uint8_t *msg, size_t len, char **cause)
{
	struct crypto_ed25519 k;
	uint8_t sig[CRYPTO_SIG_LEN];

	if (cross_key(seed, &k, cause) != 0)
		return NULL;
	crypto_ed25519_sign(&k, msg, len, sig);
	crypto_ed25519_clear(&k);
	return crypto_b64_encode(sig, sizeof sig);
}
