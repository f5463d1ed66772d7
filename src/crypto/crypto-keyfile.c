/* Room-key files as Element writes them ("-----BEGIN MEGOLM SESSION
 * DATA-----", the spec's key export format). Between the two armour lines,
 * padded base64 of:
 *
 *   0x01 | salt (16) | IV (16) | rounds (4, big-endian) | ciphertext | MAC (32)
 *
 * PBKDF2-HMAC-SHA512 of the passphrase and salt, rounds times, gives 64
 * bytes: an AES-256-CTR key over the plain text (a JSON array of
 * sessions), then an HMAC-SHA256 key over everything before the MAC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

#define KEYFILE_BEGIN "-----BEGIN MEGOLM SESSION DATA-----"
#define KEYFILE_END "-----END MEGOLM SESSION DATA-----"
#define KEYFILE_VERSION 1
#define KEYFILE_SALT 16
#define KEYFILE_IV 16
#define KEYFILE_HEAD (1 + KEYFILE_SALT + KEYFILE_IV + 4)
#define KEYFILE_LINE 96		/* base64 characters a line, as Element writes */

struct keyfile_keys {
	uint8_t aes[32];
	uint8_t mac[32];
};

static void
keyfile_derive(const char *passphrase, const uint8_t *salt, uint32_t rounds,
    struct keyfile_keys *k)
{
	uint8_t out[64];

	crypto_pbkdf2_sha512(passphrase, strlen(passphrase), salt, KEYFILE_SALT, rounds, out,
	    sizeof out);
	memcpy(k->aes, out, sizeof k->aes);
	memcpy(k->mac, out + sizeof k->aes, sizeof k->mac);
	OPENSSL_cleanse(out, sizeof out);
}

char *
crypto_keyfile_seal(const uint8_t *plain, size_t len, const char *passphrase, uint32_t rounds)
{
	size_t total = KEYFILE_HEAD + len + CRYPTO_SHA256_LEN;
	uint8_t *bin = xmalloc(total), *iv = bin + 1 + KEYFILE_SALT;
	struct keyfile_keys k;
	struct buf out = {0};
	char *b64;
	size_t n;

	bin[0] = KEYFILE_VERSION;
	crypto_random(bin + 1, KEYFILE_SALT);
	crypto_random(iv, KEYFILE_IV);
	iv[8] &= 0x7f;	/* bit 63 clear, as the spec asks: no counter overflow */
	bin[KEYFILE_HEAD - 4] = (uint8_t)(rounds >> 24);
	bin[KEYFILE_HEAD - 3] = (uint8_t)(rounds >> 16);
	bin[KEYFILE_HEAD - 2] = (uint8_t)(rounds >> 8);
	bin[KEYFILE_HEAD - 1] = (uint8_t)rounds;
	keyfile_derive(passphrase, bin + 1, rounds, &k);
	crypto_aes_ctr(k.aes, iv, plain, len, bin + KEYFILE_HEAD);
	crypto_hmac_sha256(k.mac, sizeof k.mac, bin, KEYFILE_HEAD + len, bin + total -
	    CRYPTO_SHA256_LEN);
	OPENSSL_cleanse(&k, sizeof k);

	b64 = crypto_b64_padded(bin, total);	/* padded, as Element writes */
	free(bin);
	n = strlen(b64);
	buf_puts(&out, KEYFILE_BEGIN "\n");
	for (size_t i = 0; i < n; i += KEYFILE_LINE) {
		buf_add(&out, b64 + i, n - i < KEYFILE_LINE ? n - i : KEYFILE_LINE);
		buf_puts(&out, "\n");
	}
	buf_puts(&out, KEYFILE_END "\n");
	free(b64);
	return buf_steal(&out);
}

/* The base64 between the armour lines, white space dropped; NULL when
 * the armour is not there. */
static char *
keyfile_body(const char *text, size_t len, char **cause)
{
	const char *p = text, *end = text + len, *stop;
	struct buf b64 = {0};

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if ((size_t)(end - p) < sizeof KEYFILE_BEGIN - 1 ||
	    memcmp(p, KEYFILE_BEGIN, sizeof KEYFILE_BEGIN - 1) != 0) {
		cause_set(cause, "not a room key file (it does not start with \"%s\")",
		    KEYFILE_BEGIN);
		return NULL;
	}
	p += sizeof KEYFILE_BEGIN - 1;
	for (stop = p; stop < end; stop++)
		if (*stop == '-')
			break;
	if ((size_t)(end - stop) < sizeof KEYFILE_END - 1 ||
	    memcmp(stop, KEYFILE_END, sizeof KEYFILE_END - 1) != 0) {
		cause_set(cause, "the room key file is cut short (no \"%s\" line)", KEYFILE_END);
		return NULL;
	}
	for (; p < stop; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if (*p == '\0') {
			buf_free(&b64);
			cause_set(cause, "the room key file holds a NUL byte");
			return NULL;
		}
		buf_add(&b64, p, 1);
	}
	if (b64.len == 0) {
		cause_set(cause, "the room key file is empty");
		return NULL;
	}
	return buf_steal(&b64);
}

int
crypto_keyfile_open(const char *text, size_t len, const char *passphrase, uint8_t **plain,
    size_t *plain_len, char **cause)
{
	uint8_t *bin = NULL, mac[CRYPTO_SHA256_LEN];
	struct keyfile_keys k;
	char *b64, *err = NULL;
	size_t n = 0, body;
	uint32_t rounds;

	*plain = NULL;
	*plain_len = 0;
	if ((b64 = keyfile_body(text, len, cause)) == NULL)
		return -1;
	if (crypto_b64_decode(b64, &bin, &n, &err) == -1) {
		free(b64);
		cause_set(cause, "the room key file is not base64: %s", err);
		free(err);
		return -1;
	}
	free(b64);
	if (n < KEYFILE_HEAD + CRYPTO_SHA256_LEN) {
		free(bin);
		return cause_set(cause, "the room key file is cut short (%zu bytes)", n);
	}
	if (bin[0] != KEYFILE_VERSION) {
		cause_set(cause, "the room key file is of version %u, which natter cannot read",
		    bin[0]);
		free(bin);
		return -1;
	}
	rounds = (uint32_t)bin[KEYFILE_HEAD - 4] << 24 | (uint32_t)bin[KEYFILE_HEAD - 3] << 16 |
	    (uint32_t)bin[KEYFILE_HEAD - 2] << 8 | bin[KEYFILE_HEAD - 1];
	if (rounds == 0 || rounds > CRYPTO_KEYFILE_ROUNDS_MAX) {
		free(bin);
		return cause_set(cause, "the room key file asks for %lu rounds of PBKDF2 "
		    "(natter does 1 to %d)", (unsigned long)rounds, CRYPTO_KEYFILE_ROUNDS_MAX);
	}
	body = n - KEYFILE_HEAD - CRYPTO_SHA256_LEN;
	keyfile_derive(passphrase, bin + 1, rounds, &k);
	crypto_hmac_sha256(k.mac, sizeof k.mac, bin, KEYFILE_HEAD + body, mac);
	if (CRYPTO_memcmp(mac, bin + n - CRYPTO_SHA256_LEN, sizeof mac) != 0) {
		OPENSSL_cleanse(&k, sizeof k);
		free(bin);
		return cause_set(cause, "wrong passphrase, or the room key file was changed");
	}
	*plain = xmalloc(body + 1);
	crypto_aes_ctr(k.aes, bin + 1 + KEYFILE_SALT, bin + KEYFILE_HEAD, body, *plain);
	(*plain)[body] = '\0';
	*plain_len = body;
	OPENSSL_cleanse(&k, sizeof k);
	free(bin);
	return 0;
}
