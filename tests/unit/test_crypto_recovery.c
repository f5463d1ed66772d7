/* Recovery keys, secret storage, cross-signing keys and key backup:
 * natter reads exactly what Element's own code wrote (the vectors of
 * tests/fixtures/crypto/recovery-vectors.mjs, made with matrix-js-sdk and
 * its Rust crypto), agrees with the spec's steps worked here with
 * libcrypto directly, reads back what it writes, and refuses every
 * broken input with a cause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "fixture-file.h"

/* The spec's base58 alphabet (appendices, cryptographic key representation). */
static const char spec_b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static cJSON *vectors;

static int
load_vectors(void **state)
{
	size_t len;
	char *text = fixture_read("crypto", "recovery-vectors.json", &len);

	(void)state;
	vectors = cJSON_ParseWithLength(text, len);
	free(text);
	return vectors == NULL ? -1 : 0;
}

static int
free_vectors(void **state)
{
	(void)state;
	cJSON_Delete(vectors);
	return 0;
}

static const cJSON *
member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		fail_msg("the vectors have no \"%s\"", key);
	return v;
}

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *v = member(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void
unhex(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* rc is -1 and *cause (read after rc was worked out) contains want. */
static void
assert_cause(int rc, char **cause, const char *want)
{
	assert_int_equal(rc, -1);
	assert_non_null(*cause);
	if (strstr(*cause, want) == NULL)
		fail_msg("refused with \"%s\", not \"...%s...\"", *cause, want);
	xfree(cause);
}

/* s without its base64 padding. */
static char *
unpadded(const char *s)
{
	char *u = xstrdup(s);
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '=')
		u[--n] = '\0';
	return u;
}

/* One part of a three-string box (struct crypto_ssss_box or
 * crypto_backup_box) broken: which, what it is made, and the cause. */
struct broken_part {
	size_t at;	/* offsetof the part */
	const char *value;
	const char *want;
};

static void
break_part(void *box, const struct broken_part *b)
{
	memcpy((char *)box + b->at, &b->value, sizeof b->value);
}

/* --- Recovery keys ------------------------------------------------------- */

/* Base58 written another way than natter's (long division of the
 * big-endian bytes), to make texts natter would never write. */
static char *
ref_b58(const uint8_t *in, size_t n)
{
	uint8_t *num = xmalloc(n + 1);
	char *rev = xmalloc(n * 2 + 2), *out = xmalloc(n * 2 + 2);
	size_t len = 0, zeros = 0, start = 0;

	memcpy(num, in, n);
	while (zeros < n && in[zeros] == 0)
		zeros++;
	start = zeros;
	while (start < n) {
		unsigned rem = 0;

		for (size_t i = start; i < n; i++) {
			unsigned cur = rem * 256 + num[i];

			num[i] = (uint8_t)(cur / 58);
			rem = cur % 58;
		}
		rev[len++] = spec_b58[rem];
		while (start < n && num[start] == 0)
			start++;
	}
	for (size_t i = 0; i < zeros; i++)
		out[i] = '1';
	for (size_t i = 0; i < len; i++)
		out[zeros + i] = rev[len - 1 - i];
	out[zeros + len] = '\0';
	free(num);
	free(rev);
	return out;
}

/* The text of prefix, key (n bytes) and a parity byte (fixed up by xor). */
static char *
recovery_text(uint8_t p0, uint8_t p1, const uint8_t *key, size_t n, uint8_t xor)
{
	uint8_t bin[64];
	uint8_t parity = 0;

	bin[0] = p0;
	bin[1] = p1;
	memcpy(bin + 2, key, n);
	for (size_t i = 0; i < n + 2; i++)
		parity ^= bin[i];
	bin[n + 2] = parity ^ xor;
	return ref_b58(bin, n + 3);
}

static void
assert_decodes(const char *text, const uint8_t key[CRYPTO_SECRET_KEY_LEN])
{
	uint8_t got[CRYPTO_SECRET_KEY_LEN] = {0};
	char *cause = NULL;

	if (crypto_recovery_decode(text, got, &cause) != 0)
		fail_msg("\"%s\": %s", text, cause);
	assert_memory_equal(got, key, CRYPTO_SECRET_KEY_LEN);
}

static void
assert_decode_refused(const char *text, const char *want)
{
	uint8_t key[CRYPTO_SECRET_KEY_LEN];
	char *cause = NULL;

	assert_cause(crypto_recovery_decode(text, key, &cause), &cause, want);
}

static void
test_sdk_recovery_keys(void **state)
{
	const cJSON *v;

	(void)state;
	cJSON_ArrayForEach(v, member(vectors, "recovery_keys")) {
		uint8_t key[CRYPTO_SECRET_KEY_LEN];
		const char *text = str(v, "text");
		char *mine, *squeezed, *spread;
		size_t o = 0;

		unhex(str(v, "key"), key, sizeof key);
		mine = crypto_recovery_encode(key);
		assert_string_equal(mine, text);
		free(mine);
		assert_decodes(text, key);
		/* White space anywhere, or none at all. */
		squeezed = xmalloc(strlen(text) + 1);
		for (const char *p = text; *p; p++)
			if (*p != ' ')
				squeezed[o++] = *p;
		squeezed[o] = '\0';
		assert_decodes(squeezed, key);
		spread = xasprintf("\n\t %.5s\r\n%s  \n", squeezed, squeezed + 5);
		assert_decodes(spread, key);
		free(spread);
		free(squeezed);
	}
}

/* The spec's steps: 0x8B 0x01, key, parity; base58 in its alphabet; a
 * space after every 4th character. */
static void
test_recovery_keys_follow_the_spec(void **state)
{
	(void)state;
	for (int round = 0; round < 200; round++) {
		uint8_t key[CRYPTO_SECRET_KEY_LEN];
		char *text, *ref;
		size_t n, chars = 0;

		crypto_random(key, sizeof key);
		if (round == 0)
			memset(key, 0, sizeof key);
		text = crypto_recovery_encode(key);
		ref = recovery_text(0x8B, 0x01, key, sizeof key, 0);
		n = strlen(text);
		for (size_t i = 0; i < n; i++) {
			if (i % 5 == 4) {
				assert_int_equal(text[i], ' ');
				continue;
			}
			assert_non_null(strchr(spec_b58, text[i]));
			assert_int_equal(text[i], ref[chars]);
			chars++;
		}
		assert_int_equal(chars, strlen(ref));
		assert_int_equal(chars, 48);
		assert_true(strncmp(text, "Es", 2) == 0);
		assert_decodes(text, key);
		free(ref);
		free(text);
	}
}

static void
test_broken_recovery_keys_say_what_is_wrong(void **state)
{
	uint8_t key[CRYPTO_SECRET_KEY_LEN];
	char *text, *bad;

	(void)state;
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(i * 37 + 11);
	/* The check byte off: every bit of it, one at a time. */
	for (int bit = 0; bit < 8; bit++) {
		text = recovery_text(0x8B, 0x01, key, sizeof key, (uint8_t)(1 << bit));
		assert_decode_refused(text, "the recovery key has a typo (its check byte does not "
		    "match)");
		free(text);
	}
	/* One character typed wrong. */
	text = crypto_recovery_encode(key);
	bad = xstrdup(text);
	bad[20] = bad[20] == 'z' ? 'y' : 'z';
	assert_decode_refused(bad, "has a typo");
	free(bad);
	/* A character left out, or one too many. */
	bad = xstrdup(text);
	memmove(bad + 20, bad + 21, strlen(bad + 20));
	assert_decode_refused(bad, "not a recovery key: it has 47 letters and digits, where a "
	    "recovery key has 48");
	free(bad);
	bad = xasprintf("%s2", text);
	assert_decode_refused(bad, "not a recovery key: it has 49 letters and digits");
	free(bad);
	/* Characters outside base58, ASCII and not. */
	for (const char *c = "0OIl"; *c; c++) {
		bad = xstrdup(text);
		bad[7] = *c;
		assert_decode_refused(bad, "which recovery keys never use (they leave out 0, O, I "
		    "and l)");
		free(bad);
	}
	bad = xstrdup(text);
	bad[3] = '-';
	assert_decode_refused(bad, "not a recovery key: it has \"-\"");
	free(bad);
	bad = xasprintf("é%s", text);
	assert_decode_refused(bad, "not a recovery key: it has a character recovery keys never "
	    "use");
	free(bad);
	free(text);
	/* Another prefix (a Bitcoin-style key of the same size), another length. */
	text = recovery_text(0x8B, 0x02, key, sizeof key, 0);
	assert_decode_refused(text, "not a recovery key: it does not begin as one does");
	free(text);
	text = recovery_text(0x80, 0x01, key, sizeof key, 0);
	assert_decode_refused(text, "not a recovery key");
	free(text);
	text = recovery_text(0x8B, 0x01, key, sizeof key - 1, 0);
	assert_decode_refused(text, "not a recovery key: it has 47 letters and digits");
	free(text);
	text = recovery_text(0x8B, 0x01, key, sizeof key - 8, 0);
	assert_decode_refused(text, "not a recovery key");
	free(text);
	text = recovery_text(0x00, 0x8B, key, sizeof key, 0);	/* a leading zero: "1" */
	assert_decode_refused(text, "not a recovery key");
	free(text);
	/* Empty, white space only, absent, and far too long. */
	assert_decode_refused("", "not a recovery key: it is empty");
	assert_decode_refused(" \n\t ", "not a recovery key: it is empty");
	assert_decode_refused(NULL, "not a recovery key: it is empty");
	bad = xmalloc(1001);
	memset(bad, 'z', 1000);
	bad[1000] = '\0';
	assert_decode_refused(bad, "not a recovery key: it is far longer than one");
	free(bad);
	assert_decode_refused("1111 1111 1111 1111 1111 1111 1111 1111 1111 1111 1111 1111",
	    "not a recovery key");
	/* The key is not touched by a refusal. */
	{
		uint8_t out[CRYPTO_SECRET_KEY_LEN];
		char *cause = NULL;

		memset(out, 0xAA, sizeof out);
		text = recovery_text(0x8B, 0x01, key, sizeof key, 1);
		assert_int_equal(crypto_recovery_decode(text, out, &cause), -1);
		free(cause);
		free(text);
		for (size_t i = 0; i < sizeof out; i++)
			assert_int_equal(out[i], 0xAA);
	}
}

/* --- Keys from passphrases ----------------------------------------------- */

static void
test_sdk_passphrases(void **state)
{
	const cJSON *v;

	(void)state;
	cJSON_ArrayForEach(v, member(vectors, "passphrases")) {
		uint8_t want[CRYPTO_SECRET_KEY_LEN], got[CRYPTO_SECRET_KEY_LEN];
		uint32_t iterations = (uint32_t)member(v, "iterations")->valuedouble;
		char *cause = NULL;

		unhex(str(v, "key"), want, sizeof want);
		assert_int_equal(crypto_ssss_from_passphrase(str(v, "passphrase"), str(v, "salt"),
		    iterations, (uint32_t)member(v, "bits")->valuedouble, got, &cause), 0);
		assert_memory_equal(got, want, sizeof want);
		/* bits absent is 256. */
		memset(got, 0, sizeof got);
		assert_int_equal(crypto_ssss_from_passphrase(str(v, "passphrase"), str(v, "salt"),
		    iterations, 0, got, &cause), 0);
		assert_memory_equal(got, want, sizeof want);
	}
}

static void
test_passphrase_limits(void **state)
{
	uint8_t key[CRYPTO_SECRET_KEY_LEN];
	char *cause = NULL;
	/* The well-known PBKDF2-HMAC-SHA512 vector ("password", "salt", 1), cut to 32 bytes. */
	static const uint8_t rfc[] = {
		0x86, 0x7f, 0x70, 0xcf, 0x1a, 0xde, 0x02, 0xcf, 0xf3, 0x75, 0x25, 0x99, 0xa3, 0xa5,
		0x3d, 0xc4, 0xaf, 0x34, 0xc7, 0xa6, 0x69, 0x81, 0x5a, 0xe5, 0xd5, 0x13, 0x55, 0x4e,
		0x1c, 0x8c, 0xf2, 0x52,
	};

	(void)state;
	assert_int_equal(crypto_ssss_from_passphrase("password", "salt", 1, 256, key, &cause), 0);
	assert_memory_equal(key, rfc, sizeof rfc);
	assert_cause(crypto_ssss_from_passphrase("p", "s", 0, 256, key, &cause), &cause,
	    "asks for 0 iterations of PBKDF2 (natter does 1 to 10000000)");
	assert_cause(crypto_ssss_from_passphrase("p", "s", CRYPTO_SSSS_ITERATIONS_MAX + 1, 256,
	    key, &cause), &cause, "asks for 10000001 iterations");
	assert_cause(crypto_ssss_from_passphrase("p", "s", 4294967295u, 0, key, &cause), &cause,
	    "asks for 4294967295 iterations");
	assert_cause(crypto_ssss_from_passphrase("p", "s", 1, 128, key, &cause), &cause,
	    "asks for 128 bits (natter knows only 256)");
	assert_cause(crypto_ssss_from_passphrase("p", "s", 1, 512, key, &cause), &cause,
	    "asks for 512 bits");
}

/* --- Secret storage ------------------------------------------------------- */

/* The spec's steps for a secret, with libcrypto's HKDF (a salt of 32
 * zero bytes, as the spec says), AES-256-CTR and HMAC directly. */
static void
ref_ssss(const uint8_t key[32], const char *name, const uint8_t iv[16], const uint8_t *data,
    size_t len, uint8_t *cipher, uint8_t mac[32])
{
	static const uint8_t salt[32];
	uint8_t keys[64];
	unsigned mac_len = 32;
	int n = 0;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, 32),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof salt),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)name, strlen(name)),
		OSSL_PARAM_construct_end(),
	};

	assert_int_equal(EVP_KDF_derive(kctx, keys, sizeof keys, params), 1);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, keys, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, cipher, &n, data, (int)len), 1);
	assert_non_null(HMAC(EVP_sha256(), keys + 32, 32, cipher, len, mac, &mac_len));
	EVP_CIPHER_CTX_free(c);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
}

static void
assert_secret(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *name,
    const struct crypto_ssss_box *box, const char *want)
{
	char *secret = NULL, *cause = NULL;

	if (crypto_ssss_decrypt(key, name, box, &secret, &cause) != 0)
		fail_msg("%s: %s", name, cause);
	assert_string_equal(secret, want);
	free(secret);
}

static void
assert_secret_refused(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *name,
    const struct crypto_ssss_box *box, const char *want)
{
	char *secret = (char *)"unchanged", *cause = NULL;

	assert_cause(crypto_ssss_decrypt(key, name, box, &secret, &cause), &cause, want);
	assert_null(secret);
}

static void
test_sdk_secrets_open(void **state)
{
	const cJSON *ssss = member(vectors, "secret_storage"), *v;
	uint8_t key[CRYPTO_SECRET_KEY_LEN];

	(void)state;
	unhex(str(ssss, "key"), key, sizeof key);
	cJSON_ArrayForEach(v, member(ssss, "secrets")) {
		const char *name = str(v, "name");
		struct crypto_ssss_box box = {
			(char *)str(v, "iv"), (char *)str(v, "ciphertext"), (char *)str(v, "mac"),
		};
		struct crypto_ssss_box bare = {
			unpadded(box.iv), unpadded(box.ciphertext), unpadded(box.mac),
		};
		uint8_t wrong[CRYPTO_SECRET_KEY_LEN];

		/* Element pads its base64 (the spec's "some existing implementations"). */
		assert_true(strlen(box.iv) % 4 == 0 && strlen(box.mac) % 4 == 0);
		assert_secret(key, name, &box, str(v, "secret"));
		assert_secret(key, name, &bare, str(v, "secret"));
		crypto_ssss_box_clear(&bare);
		/* Only its own name and key open it. */
		assert_secret_refused(key, "m.cross_signing.other", &box, "does not open with this "
		    "key (wrong key, or changed on the server)");
		memcpy(wrong, key, sizeof wrong);
		wrong[31] ^= 1;
		assert_secret_refused(wrong, name, &box, "does not open with this key");
	}
}

static void
test_sdk_key_checks(void **state)
{
	const cJSON *v;

	(void)state;
	cJSON_ArrayForEach(v, member(member(vectors, "secret_storage"), "key_checks")) {
		uint8_t key[CRYPTO_SECRET_KEY_LEN], iv[16], zeros[32] = {0}, cipher[32], mac[32];
		char *cause = NULL, *b64, *bare;
		uint8_t *raw;
		size_t n;

		unhex(str(v, "key"), key, sizeof key);
		assert_int_equal(crypto_ssss_check_matches(key, str(v, "iv"), str(v, "mac"),
		    &cause), 1);
		assert_int_equal(crypto_ssss_check_matches(key, str(v, "iv_out"), str(v, "mac"),
		    &cause), 1);
		bare = unpadded(str(v, "mac"));
		assert_int_equal(crypto_ssss_check_matches(key, str(v, "iv"), bare, &cause), 1);
		free(bare);
		key[0] ^= 0x80;
		assert_int_equal(crypto_ssss_check_matches(key, str(v, "iv"), str(v, "mac"),
		    &cause), 0);
		key[0] ^= 0x80;
		/* The spec's step 3: the MAC of 32 zero bytes sealed under name "". */
		assert_int_equal(crypto_b64_decode(str(v, "iv"), &raw, &n, &cause), 0);
		assert_int_equal(n, 16);
		memcpy(iv, raw, 16);
		free(raw);
		ref_ssss(key, "", iv, zeros, sizeof zeros, cipher, mac);
		b64 = crypto_b64_encode(mac, sizeof mac);
		bare = unpadded(str(v, "mac"));
		assert_string_equal(b64, bare);
		free(bare);
		free(b64);
	}
}

/* natter writes its key check as Element does: padded, bit 63 of the IV
 * clear, and one that the spec's steps agree with. */
static void
test_a_new_key_check(void **state)
{
	(void)state;
	for (int round = 0; round < 32; round++) {
		uint8_t key[CRYPTO_SECRET_KEY_LEN], *iv, *mac, zeros[32] = {0}, cipher[32];
		uint8_t want[32];
		char *iv64, *mac64, *cause = NULL;
		size_t n;

		crypto_random(key, sizeof key);
		crypto_ssss_check(key, &iv64, &mac64);
		assert_int_equal(strlen(iv64), 24);
		assert_string_equal(iv64 + 22, "==");
		assert_int_equal(strlen(mac64), 44);
		assert_int_equal(mac64[43], '=');
		assert_int_equal(crypto_ssss_check_matches(key, iv64, mac64, &cause), 1);
		assert_int_equal(crypto_b64_decode(iv64, &iv, &n, &cause), 0);
		assert_int_equal(iv[8] & 0x80, 0);
		assert_int_equal(crypto_b64_decode(mac64, &mac, &n, &cause), 0);
		ref_ssss(key, "", iv, zeros, sizeof zeros, cipher, want);
		assert_memory_equal(mac, want, sizeof want);
		free(iv);
		free(mac);
		free(iv64);
		free(mac64);
	}
}

static void
test_broken_key_checks(void **state)
{
	uint8_t key[CRYPTO_SECRET_KEY_LEN] = {1};
	char *iv, *mac, *cause = NULL, *bad;

	(void)state;
	crypto_ssss_check(key, &iv, &mac);
	assert_cause(crypto_ssss_check_matches(key, "AAAA*AAAAAAAAAAAAAAAAA", mac, &cause), &cause,
	    "the secret-storage key's check is damaged (its iv is not 16 bytes of base64)");
	assert_cause(crypto_ssss_check_matches(key, "AAAAAAAAAAAAAAAAAAAA", mac, &cause), &cause,
	    "its iv is not 16 bytes");
	assert_cause(crypto_ssss_check_matches(key, NULL, mac, &cause), &cause, "its iv");
	assert_cause(crypto_ssss_check_matches(key, iv, "", &cause), &cause,
	    "its mac is not 32 bytes of base64");
	bad = xstrdup(mac);
	bad[10] = '!';
	assert_cause(crypto_ssss_check_matches(key, iv, bad, &cause), &cause, "its mac");
	/* A MAC of the right shape that is not this key's. */
	bad[10] = mac[10] == 'A' ? 'B' : 'A';
	assert_int_equal(crypto_ssss_check_matches(key, iv, bad, &cause), 0);
	free(bad);
	free(iv);
	free(mac);
}

static void
test_secrets_round_trip(void **state)
{
	static const char *const secrets[] = {
		"", "x", "EBceJSwzOkFIT1ZdZGtyeYCHjpWco6qxuL/GzdTb4uk",
		"a secret that is longer than two blocks of AES, with UTF-8: Søren ✓ ✓ ✓",
	};
	uint8_t key[CRYPTO_SECRET_KEY_LEN];

	(void)state;
	crypto_random(key, sizeof key);
	for (size_t i = 0; i < NT_NELEMS(secrets); i++) {
		struct crypto_ssss_box box;
		uint8_t *iv, *cipher, want[32], mine[256], *mac;
		size_t n, len;
		char *cause = NULL;

		crypto_ssss_encrypt(key, "m.megolm_backup.v1", secrets[i], &box);
		assert_secret(key, "m.megolm_backup.v1", &box, secrets[i]);
		/* The spec's steps make the same MAC; the IV leaves its counter room. */
		assert_int_equal(crypto_b64_decode(box.iv, &iv, &n, &cause), 0);
		assert_int_equal(n, 16);
		assert_int_equal(iv[8] & 0x80, 0);
		assert_int_equal(crypto_b64_decode(box.ciphertext, &cipher, &len, &cause), 0);
		assert_int_equal(len, strlen(secrets[i]));
		ref_ssss(key, "m.megolm_backup.v1", iv, (const uint8_t *)secrets[i], len, mine,
		    want);
		assert_memory_equal(mine, cipher, len);
		assert_int_equal(crypto_b64_decode(box.mac, &mac, &n, &cause), 0);
		assert_memory_equal(mac, want, sizeof want);
		assert_int_equal(strlen(box.ciphertext) % 4, 0);	/* padded, as Element */
		free(iv);
		free(cipher);
		free(mac);
		crypto_ssss_box_clear(&box);
		assert_null(box.iv);
		assert_null(box.ciphertext);
		assert_null(box.mac);
	}
}

#define SSSS_AT(part) offsetof(struct crypto_ssss_box, part)
static const struct broken_part broken_secret[] = {
	{SSSS_AT(iv), "AAAAAAAAAAAAAAAAAAAAAA=", "the secret n is damaged (its iv is not 16 bytes "
	    "of base64)"},
	{SSSS_AT(iv), "AAAAAAAAAAAAAAAAAAAA", "its iv is not 16 bytes"},
	{SSSS_AT(iv), NULL, "its iv"},
	{SSSS_AT(mac), "not base64 at all!", "the secret n is damaged (its mac is not 32 bytes "
	    "of base64)"},
	{SSSS_AT(mac), "RF3s+E7RkTQTGF2d8Deol0FkQvgII2aJDf3/Jp5m", "its mac"},
	{SSSS_AT(ciphertext), "abc$", "the secret n is damaged (its ciphertext is not base64)"},
	{SSSS_AT(ciphertext), "a", "its ciphertext is not base64"},
	{SSSS_AT(ciphertext), NULL, "its ciphertext"},
};

static void
test_changed_secrets_are_refused(void **state)
{
	uint8_t key[CRYPTO_SECRET_KEY_LEN];
	struct crypto_ssss_box box, bad;
	uint8_t *raw, iv[16], cipher[3], mac[32];
	size_t n;
	char *cause = NULL;

	(void)state;
	crypto_random(key, sizeof key);
	crypto_ssss_encrypt(key, "m.cross_signing.master", "a secret of a few blocks, to flip",
	    &box);
	/* A bit of the ciphertext, then of the MAC, then of the IV (the MAC
	 * does not cover the IV: the text comes out wrong, but comes out). */
	assert_int_equal(crypto_b64_decode(box.ciphertext, &raw, &n, &cause), 0);
	raw[5] ^= 0x04;
	bad = (struct crypto_ssss_box){box.iv, crypto_b64_encode(raw, n), box.mac};
	assert_secret_refused(key, "m.cross_signing.master", &bad, "the secret "
	    "m.cross_signing.master does not open with this key (wrong key, or changed on the "
	    "server)");
	free(bad.ciphertext);
	free(raw);
	assert_int_equal(crypto_b64_decode(box.mac, &raw, &n, &cause), 0);
	raw[31] ^= 0x01;
	bad = (struct crypto_ssss_box){box.iv, box.ciphertext, crypto_b64_encode(raw, n)};
	assert_secret_refused(key, "m.cross_signing.master", &bad, "does not open");
	free(bad.mac);
	free(raw);
	/* Truncated or garbage base64 in each part, and parts missing. */
	for (size_t i = 0; i < NT_NELEMS(broken_secret); i++) {
		bad = box;
		break_part(&bad, &broken_secret[i]);
		assert_secret_refused(key, "n", &bad, broken_secret[i].want);
	}
	crypto_ssss_box_clear(&box);
	/* A secret holding a NUL, sealed by the spec's steps. */
	crypto_random(iv, sizeof iv);
	iv[8] &= 0x7f;
	ref_ssss(key, "n", iv, (const uint8_t *)"a\0b", 3, cipher, mac);
	bad = (struct crypto_ssss_box){crypto_b64_encode(iv, 16), crypto_b64_encode(cipher, 3),
	    crypto_b64_encode(mac, 32)};
	assert_secret_refused(key, "n", &bad, "the secret n holds a NUL byte");
	crypto_ssss_box_clear(&bad);
}

/* --- Cross-signing keys --------------------------------------------------- */

/* The signable JSON of o (a cross-signing key as uploaded). */
static char *
signable(const cJSON *o)
{
	char *json = cJSON_PrintUnformatted(o), *cause = NULL;
	char *canon = crypto_signable_json(json, strlen(json), &cause);

	if (canon == NULL)
		fail_msg("%s", cause);
	free(json);
	return canon;
}

static void
test_sdk_cross_signing_keys(void **state)
{
	const cJSON *cross = member(vectors, "cross_signing");
	const char *user = str(cross, "user_id");
	const char *master_seed = str(member(cross, "master"), "seed");
	const char *master_pub = str(member(cross, "master"), "public");
	char *master_id = xasprintf("ed25519:%s", master_pub);

	(void)state;
	for (const char *const *kind = (const char *const[]){"master", "self_signing",
	    "user_signing", NULL}; *kind; kind++) {
		const cJSON *k = member(cross, *kind);
		char *pub, *sig, *canon, *cause = NULL;
		const char *want;

		pub = crypto_cross_public(str(k, "seed"), &cause);
		assert_non_null(pub);
		assert_string_equal(pub, str(k, "public"));
		free(pub);
		/* Ed25519 is deterministic: the master key signs each key as the
		 * Rust crypto did, to the byte. */
		canon = signable(member(k, "key"));
		want = str(member(member(member(k, "key"), "signatures"), user), master_id);
		sig = crypto_cross_sign(master_seed, (const uint8_t *)canon, strlen(canon), &cause);
		assert_non_null(sig);
		assert_string_equal(sig, want);
		assert_int_equal(crypto_ed25519_verify(master_pub, (const uint8_t *)canon,
		    strlen(canon), sig, &cause), 1);
		free(sig);
		free(canon);
	}
	free(master_id);
}

static void
test_cross_signing_keys(void **state)
{
	char *seed, *pub, *again, *sig, *cause = NULL, *other_seed, *other_pub;
	const char *msg = "{\"keys\":{},\"usage\":[\"self_signing\"],\"user_id\":\"@a:b\"}";

	(void)state;
	crypto_cross_new(&seed, &pub);
	assert_int_equal(strlen(seed), CRYPTO_KEY_B64);
	assert_int_equal(strlen(pub), CRYPTO_KEY_B64);
	/* The public key of a seed is stable. */
	for (int i = 0; i < 3; i++) {
		again = crypto_cross_public(seed, &cause);
		assert_string_equal(again, pub);
		free(again);
	}
	sig = crypto_cross_sign(seed, (const uint8_t *)msg, strlen(msg), &cause);
	assert_non_null(sig);
	assert_int_equal(strlen(sig), 86);
	assert_int_equal(crypto_ed25519_verify(pub, (const uint8_t *)msg, strlen(msg), sig,
	    &cause), 1);
	assert_int_equal(crypto_ed25519_verify(pub, (const uint8_t *)msg, strlen(msg) - 1, sig,
	    &cause), 0);
	crypto_cross_new(&other_seed, &other_pub);
	assert_string_not_equal(other_seed, seed);
	assert_int_equal(crypto_ed25519_verify(other_pub, (const uint8_t *)msg, strlen(msg), sig,
	    &cause), 0);
	free(sig);
	/* Seeds that are not 32 bytes of base64. */
	assert_null(crypto_cross_public("not a key", &cause));
	assert_cause(-1, &cause, "the cross-signing key is not 32 bytes of base64");
	cause = NULL;
	assert_null(crypto_cross_public(NULL, &cause));
	assert_cause(-1, &cause, "not 32 bytes");
	cause = NULL;
	seed[40] = '\0';
	assert_null(crypto_cross_sign(seed, (const uint8_t *)msg, strlen(msg), &cause));
	assert_cause(-1, &cause, "the cross-signing key is not 32 bytes of base64");
	free(seed);
	free(pub);
	free(other_seed);
	free(other_pub);
}

/* --- Key backup ----------------------------------------------------------- */

static void
test_sdk_backup_opens(void **state)
{
	const cJSON *backup = member(vectors, "backup"), *v;
	uint8_t priv[CRYPTO_SECRET_KEY_LEN], *raw;
	char *pub, *b64, *cause = NULL;
	size_t n;
	int count = 0;

	(void)state;
	unhex(str(backup, "private_key"), priv, sizeof priv);
	pub = crypto_backup_public(priv);
	assert_string_equal(pub, str(backup, "public_key"));
	free(pub);
	/* In secret storage, the key is its unpadded base64. */
	b64 = crypto_b64_encode(priv, sizeof priv);
	assert_string_equal(b64, str(backup, "private_key_base64"));
	free(b64);
	assert_int_equal(crypto_b64_decode(str(backup, "private_key_base64"), &raw, &n, &cause), 0);
	assert_memory_equal(raw, priv, sizeof priv);
	free(raw);
	cJSON_ArrayForEach(v, member(backup, "sessions")) {
		struct crypto_backup_box box = {
			(char *)str(v, "ephemeral"), (char *)str(v, "ciphertext"),
			(char *)str(v, "mac"),
		};
		const char *want = str(v, "plain");
		char *plain;
		size_t len;
		uint8_t wrong[CRYPTO_SECRET_KEY_LEN];

		if (crypto_backup_decrypt(priv, &box, &plain, &len, &cause) != 0)
			fail_msg("%s", cause);
		assert_int_equal(len, strlen(want));
		assert_string_equal(plain, want);
		free(plain);
		memcpy(wrong, priv, sizeof wrong);
		wrong[9] ^= 0x10;
		plain = (char *)"unchanged";
		assert_cause(crypto_backup_decrypt(wrong, &box, &plain, &len, &cause), &cause,
		    "the backup key does not open this room key (its MAC does not hold): the key "
		    "is wrong, or is another backup's");
		assert_null(plain);
		assert_int_equal(len, 0);
		count++;
	}
	assert_int_equal(count, 3);
}

/* The spec's steps (and its warning) for a backed-up key, with libcrypto
 * directly: X25519, HKDF with a salt of 32 zero bytes and info "", and a
 * MAC of the empty string, not of the ciphertext. */
static void
ref_backup_mac(const uint8_t priv[32], const char *ephemeral, const char *ciphertext,
    uint8_t mac_empty[32], uint8_t mac_cipher[32])
{
	static const uint8_t salt[32];
	uint8_t eph[32], shared[32], keys[80], *raw, *cipher;
	size_t n = sizeof shared, len;
	unsigned mac_len = 32;
	char *cause = NULL;
	EVP_PKEY *me = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	EVP_PKEY *them;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(me, NULL);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared, sizeof shared),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof salt),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)"", 0),
		OSSL_PARAM_construct_end(),
	};

	assert_int_equal(crypto_b64_decode(ephemeral, &raw, &len, &cause), 0);
	assert_int_equal(len, 32);
	memcpy(eph, raw, 32);
	free(raw);
	them = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, eph, 32);
	assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(ctx, them), 1);
	assert_int_equal(EVP_PKEY_derive(ctx, shared, &n), 1);
	assert_int_equal(EVP_KDF_derive(kctx, keys, sizeof keys, params), 1);
	assert_non_null(HMAC(EVP_sha256(), keys + 32, 32, (const uint8_t *)"", 0, mac_empty,
	    &mac_len));
	assert_int_equal(crypto_b64_decode(ciphertext, &cipher, &len, &cause), 0);
	assert_non_null(HMAC(EVP_sha256(), keys + 32, 32, cipher, len, mac_cipher, &mac_len));
	free(cipher);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(them);
	EVP_PKEY_free(me);
}

static void
test_backup_mac_is_of_the_empty_string(void **state)
{
	const cJSON *backup = member(vectors, "backup"), *v;
	uint8_t priv[CRYPTO_SECRET_KEY_LEN], empty[32], over[32];
	char *b64;

	(void)state;
	unhex(str(backup, "private_key"), priv, sizeof priv);
	cJSON_ArrayForEach(v, member(backup, "sessions")) {
		ref_backup_mac(priv, str(v, "ephemeral"), str(v, "ciphertext"), empty, over);
		b64 = crypto_b64_encode(empty, 8);
		assert_string_equal(b64, str(v, "mac"));
		free(b64);
		b64 = crypto_b64_encode(over, 8);
		assert_string_not_equal(b64, str(v, "mac"));
		free(b64);
	}
}

static void
test_backup_round_trip(void **state)
{
	uint8_t priv[CRYPTO_SECRET_KEY_LEN], empty[32], over[32];
	const char *json = "{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"sender_key\":\"Søren\","
	    "\"session_key\":\"AQAAAAAAAAA\",\"sender_claimed_keys\":{},"
	    "\"forwarding_curve25519_key_chain\":[]}";
	char *pub, *cause = NULL;

	(void)state;
	crypto_random(priv, sizeof priv);
	pub = crypto_backup_public(priv);
	assert_int_equal(strlen(pub), CRYPTO_KEY_B64);
	for (size_t len = 0; len <= strlen(json); len += len < 40 ? 1 : 17) {
		struct crypto_backup_box box;
		char *plain, *mac;
		size_t got;

		assert_int_equal(crypto_backup_encrypt(pub, json, len, &box, &cause), 0);
		assert_int_equal(strlen(box.ephemeral), CRYPTO_KEY_B64);
		assert_int_equal(strlen(box.mac), 11);
		assert_null(strchr(box.ciphertext, '='));
		assert_int_equal(crypto_backup_decrypt(priv, &box, &plain, &got, &cause), 0);
		assert_int_equal(got, len);
		assert_memory_equal(plain, json, len);
		assert_int_equal(plain[len], '\0');
		free(plain);
		ref_backup_mac(priv, box.ephemeral, box.ciphertext, empty, over);
		mac = crypto_b64_encode(empty, 8);
		assert_string_equal(mac, box.mac);
		free(mac);
		crypto_backup_box_clear(&box);
		assert_null(box.ephemeral);
	}
	free(pub);
}

static void
assert_backup_refused(const uint8_t priv[CRYPTO_SECRET_KEY_LEN],
    const struct crypto_backup_box *box, const char *want)
{
	char *plain = (char *)"unchanged", *cause = NULL;
	size_t len = 7;

	assert_cause(crypto_backup_decrypt(priv, box, &plain, &len, &cause), &cause, want);
	assert_null(plain);
	assert_int_equal(len, 0);
}

#define ZERO_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"	/* a low-order point */
#define BACKUP_AT(part) offsetof(struct crypto_backup_box, part)
static const struct broken_part broken_backup[] = {
	{BACKUP_AT(ephemeral), "short", "the backed-up room key is damaged (its ephemeral key is "
	    "not 32 bytes of base64)"},
	{BACKUP_AT(ephemeral), NULL, "its ephemeral key"},
	{BACKUP_AT(ephemeral), ZERO_KEY, "its ephemeral key is not usable"},
	{BACKUP_AT(mac), "AAAAAAAAAAAAAAA", "the backed-up room key is damaged (its mac is not 8 "
	    "bytes of base64)"},
	{BACKUP_AT(mac), "AAAA#AAAAAA", "its mac"},
	{BACKUP_AT(mac), NULL, "its mac"},
	{BACKUP_AT(ciphertext), "AAAAA", "the backed-up room key is damaged (its ciphertext is "
	    "not base64)"},
	{BACKUP_AT(ciphertext), "AAAA AAAA", "its ciphertext"},
	{BACKUP_AT(ciphertext), NULL, "its ciphertext"},
};

static void
test_broken_backups_say_what_is_wrong(void **state)
{
	uint8_t priv[CRYPTO_SECRET_KEY_LEN], *raw;
	const char *json = "{\"session_key\":\"a key long enough for a few AES blocks\"}";
	struct crypto_backup_box box, bad;
	char *pub, *cause = NULL;
	size_t n;

	(void)state;
	crypto_random(priv, sizeof priv);
	pub = crypto_backup_public(priv);
	assert_int_equal(crypto_backup_encrypt(pub, json, strlen(json), &box, &cause), 0);
	/* A bit of the last padding byte (through the block before it). */
	assert_int_equal(crypto_b64_decode(box.ciphertext, &raw, &n, &cause), 0);
	raw[n - 17] ^= 0x01;
	bad = (struct crypto_backup_box){box.ephemeral, crypto_b64_encode(raw, n), box.mac};
	assert_backup_refused(priv, &bad, "the backed-up room key does not decrypt (it was "
	    "changed on the server, or is damaged)");
	free(bad.ciphertext);
	/* Cut short: not whole blocks, or nothing. */
	bad.ciphertext = crypto_b64_encode(raw, n - 3);
	assert_backup_refused(priv, &bad, "does not decrypt");
	free(bad.ciphertext);
	bad.ciphertext = (char *)"";
	assert_backup_refused(priv, &bad, "does not decrypt");
	free(raw);
	/* The MAC, and the ephemeral key, changed. */
	bad = box;
	bad.mac = (char *)"AAAAAAAAAAA";
	assert_backup_refused(priv, &bad, "the backup key does not open this room key");
	assert_int_equal(crypto_b64_decode(box.ephemeral, &raw, &n, &cause), 0);
	raw[3] ^= 0x40;
	bad = (struct crypto_backup_box){crypto_b64_encode(raw, n), box.ciphertext, box.mac};
	assert_backup_refused(priv, &bad, "the backup key does not open this room key");
	free(bad.ephemeral);
	free(raw);
	/* Garbage or truncated base64, and parts missing. */
	for (size_t i = 0; i < NT_NELEMS(broken_backup); i++) {
		bad = box;
		break_part(&bad, &broken_backup[i]);
		assert_backup_refused(priv, &bad, broken_backup[i].want);
	}
	crypto_backup_box_clear(&box);
	/* Encrypting for a public key that is not one. */
	memset(&box, 0x55, sizeof box);
	assert_cause(crypto_backup_encrypt("not a key", json, strlen(json), &box, &cause), &cause,
	    "the backup's public key is not 32 bytes of base64");
	assert_null(box.ephemeral);
	assert_null(box.ciphertext);
	assert_null(box.mac);
	assert_cause(crypto_backup_encrypt(NULL, json, strlen(json), &box, &cause), &cause,
	    "not 32 bytes");
	assert_cause(crypto_backup_encrypt(ZERO_KEY, json, strlen(json), &box, &cause), &cause,
	    "the backup's public key is not usable");
	assert_null(box.ephemeral);
	free(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdk_recovery_keys),
		cmocka_unit_test(test_recovery_keys_follow_the_spec),
		cmocka_unit_test(test_broken_recovery_keys_say_what_is_wrong),
		cmocka_unit_test(test_sdk_passphrases),
		cmocka_unit_test(test_passphrase_limits),
		cmocka_unit_test(test_sdk_secrets_open),
		cmocka_unit_test(test_sdk_key_checks),
		cmocka_unit_test(test_a_new_key_check),
		cmocka_unit_test(test_broken_key_checks),
		cmocka_unit_test(test_secrets_round_trip),
		cmocka_unit_test(test_changed_secrets_are_refused),
		cmocka_unit_test(test_sdk_cross_signing_keys),
		cmocka_unit_test(test_cross_signing_keys),
		cmocka_unit_test(test_sdk_backup_opens),
		cmocka_unit_test(test_backup_mac_is_of_the_empty_string),
		cmocka_unit_test(test_backup_round_trip),
		cmocka_unit_test(test_broken_backups_say_what_is_wrong),
	};

	return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
