/* SAS verification's cryptography, as the spec's m.sas.v1 has it with key
 * agreement curve25519-hkdf-sha256 and MAC method hkdf-hmac-sha256.v2:
 *
 *   secret  = X25519(our private key, their public key)
 *   SAS     = HKDF-SHA256(no salt, secret, info, 6 bytes)
 *   MAC key = HKDF-SHA256(no salt, secret, MAC info, 32 bytes)
 *   MAC     = base64(HMAC-SHA256(MAC key, input))
 *
 * "No salt" is HKDF's hash-length block of zeros; base64 is unpadded and
 * done right (hkdf-hmac-sha256, the v1 method, encoded the MAC wrongly and
 * is not offered, nor is the older curve25519 key agreement's info). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

struct crypto_sas {
	struct crypto_x25519 ours;
	uint8_t secret[CRYPTO_KEY_LEN];
	int have_secret;
	char pub[CRYPTO_B64_MAX(CRYPTO_KEY_LEN)];
};

/* The spec's table (data-definitions/sas-emoji.json, "emoji" and
 * "description"), emoji as the spec writes them, variation selectors
 * included. */
static const struct {
	const char *emoji;
	const char *name;
} sas_emoji[64] = {
	{"🐶", "Dog"},	/* 0: U+1F436 */
	{"🐱", "Cat"},	/* 1: U+1F431 */
	{"🦁", "Lion"},	/* 2: U+1F981 */
	{"🐎", "Horse"},	/* 3: U+1F40E */
	{"🦄", "Unicorn"},	/* 4: U+1F984 */
	{"🐷", "Pig"},	/* 5: U+1F437 */
	{"🐘", "Elephant"},	/* 6: U+1F418 */
	{"🐰", "Rabbit"},	/* 7: U+1F430 */
	{"🐼", "Panda"},	/* 8: U+1F43C */
	{"🐓", "Rooster"},	/* 9: U+1F413 */
	{"🐧", "Penguin"},	/* 10: U+1F427 */
	{"🐢", "Turtle"},	/* 11: U+1F422 */
	{"🐟", "Fish"},	/* 12: U+1F41F */
	{"🐙", "Octopus"},	/* 13: U+1F419 */
	{"🦋", "Butterfly"},	/* 14: U+1F98B */
	{"🌷", "Flower"},	/* 15: U+1F337 */
	{"🌳", "Tree"},	/* 16: U+1F333 */
	{"🌵", "Cactus"},	/* 17: U+1F335 */
	{"🍄", "Mushroom"},	/* 18: U+1F344 */
	{"🌏", "Globe"},	/* 19: U+1F30F */
	{"🌙", "Moon"},	/* 20: U+1F319 */
	{"☁️", "Cloud"},	/* 21: U+2601 U+FE0F */
	{"🔥", "Fire"},	/* 22: U+1F525 */
	{"🍌", "Banana"},	/* 23: U+1F34C */
	{"🍎", "Apple"},	/* 24: U+1F34E */
	{"🍓", "Strawberry"},	/* 25: U+1F353 */
	{"🌽", "Corn"},	/* 26: U+1F33D */
	{"🍕", "Pizza"},	/* 27: U+1F355 */
	{"🎂", "Cake"},	/* 28: U+1F382 */
	{"❤️", "Heart"},	/* 29: U+2764 U+FE0F */
	{"😀", "Smiley"},	/* 30: U+1F600 */
	{"🤖", "Robot"},	/* 31: U+1F916 */
	{"🎩", "Hat"},	/* 32: U+1F3A9 */
	{"👓", "Glasses"},	/* 33: U+1F453 */
	{"🔧", "Spanner"},	/* 34: U+1F527 */
	{"🎅", "Santa"},	/* 35: U+1F385 */
	{"👍", "Thumbs Up"},	/* 36: U+1F44D */
	{"☂️", "Umbrella"},	/* 37: U+2602 U+FE0F */
	{"⌛", "Hourglass"},	/* 38: U+231B */
	{"⏰", "Clock"},	/* 39: U+23F0 */
	{"🎁", "Gift"},	/* 40: U+1F381 */
	{"💡", "Light Bulb"},	/* 41: U+1F4A1 */
	{"📕", "Book"},	/* 42: U+1F4D5 */
	{"✏️", "Pencil"},	/* 43: U+270F U+FE0F */
	{"📎", "Paperclip"},	/* 44: U+1F4CE */
	{"✂️", "Scissors"},	/* 45: U+2702 U+FE0F */
	{"🔒", "Lock"},	/* 46: U+1F512 */
	{"🔑", "Key"},	/* 47: U+1F511 */
	{"🔨", "Hammer"},	/* 48: U+1F528 */
	{"☎️", "Telephone"},	/* 49: U+260E U+FE0F */
	{"🏁", "Flag"},	/* 50: U+1F3C1 */
	{"🚂", "Train"},	/* 51: U+1F682 */
	{"🚲", "Bicycle"},	/* 52: U+1F6B2 */
	{"✈️", "Aeroplane"},	/* 53: U+2708 U+FE0F */
	{"🚀", "Rocket"},	/* 54: U+1F680 */
	{"🏆", "Trophy"},	/* 55: U+1F3C6 */
	{"⚽", "Ball"},	/* 56: U+26BD */
	{"🎸", "Guitar"},	/* 57: U+1F3B8 */
	{"🎺", "Trumpet"},	/* 58: U+1F3BA */
	{"🔔", "Bell"},	/* 59: U+1F514 */
	{"⚓", "Anchor"},	/* 60: U+2693 */
	{"🎧", "Headphones"},	/* 61: U+1F3A7 */
	{"📁", "Folder"},	/* 62: U+1F4C1 */
	{"📌", "Pin"},	/* 63: U+1F4CC */
};

struct crypto_sas *
crypto_sas_from_priv(const uint8_t priv[CRYPTO_KEY_LEN])
{
	struct crypto_sas *s = xcalloc(1, sizeof *s);

	if (crypto_x25519_from_priv(&s->ours, priv) != 0)
		crypto_fail("X25519 public key");
	crypto_b64_put(s->pub, s->ours.pub, CRYPTO_KEY_LEN, 0);
	return s;
}

struct crypto_sas *
crypto_sas_new(void)
{
	uint8_t priv[CRYPTO_KEY_LEN];
	struct crypto_sas *s;

	crypto_random(priv, sizeof priv);
	s = crypto_sas_from_priv(priv);
	OPENSSL_cleanse(priv, sizeof priv);
	return s;
}

void
crypto_sas_free(struct crypto_sas **s)
{
	crypto_free_secret(*s, sizeof **s);
	*s = NULL;
}

const char *
crypto_sas_public(const struct crypto_sas *s)
{
	return s->pub;
}

int
crypto_sas_set_their_key(struct crypto_sas *s, const char *their_key, char **cause)
{
	uint8_t theirs[CRYPTO_KEY_LEN];

	if (s->have_secret)
		return cause_set(cause, "the other device's SAS key is already set");
	if (their_key == NULL ||
	    crypto_b64_decode_into(their_key, 0, theirs, sizeof theirs, NULL) != 0)
		return cause_set(cause, "the other device's SAS key is not 32 bytes of base64");
	if (crypto_x25519_derive(&s->ours, theirs, s->secret) != 0) {
		OPENSSL_cleanse(s->secret, sizeof s->secret);
		return cause_set(cause, "the other device's SAS key is not usable "
		    "(a low-order point)");
	}
	s->have_secret = 1;
	return 0;
}

char *
crypto_sas_commitment(const char *public_key, const char *start_content, size_t len,
    char **cause)
{
	char *canon = crypto_canonical_json(start_content, len, cause), *hashed, *out;
	uint8_t digest[CRYPTO_SHA256_LEN];

	if (canon == NULL)
		return NULL;
	hashed = xasprintf("%s%s", public_key, canon);
	crypto_sha256((const uint8_t *)hashed, strlen(hashed), digest);
	out = crypto_b64_encode(digest, sizeof digest);
	free(hashed);
	free(canon);
	return out;
}

char *
crypto_sas_info(const struct crypto_sas_side *starter, const struct crypto_sas_side *accepter,
    const char *transaction_id)
{
	return xasprintf("MATRIX_KEY_VERIFICATION_SAS|%s|%s|%s|%s|%s|%s|%s", starter->user_id,
	    starter->device_id, starter->key, accepter->user_id, accepter->device_id,
	    accepter->key, transaction_id);
}

char *
crypto_sas_mac_info(const struct crypto_sas_side *from, const struct crypto_sas_side *to,
    const char *transaction_id, const char *key_id)
{
	return xasprintf("MATRIX_KEY_VERIFICATION_MAC%s%s%s%s%s%s", from->user_id,
	    from->device_id, to->user_id, to->device_id, transaction_id, key_id);
}

static int
sas_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *
crypto_sas_key_list(const char *const *key_ids, size_t n)
{
	const char **sorted = xcalloc(n + 1, sizeof *sorted);
	size_t len = 1, at = 0;
	char *out;

	for (size_t i = 0; i < n; i++) {
		sorted[i] = key_ids[i];
		len += strlen(key_ids[i]) + 1;
	}
	qsort(sorted, n, sizeof *sorted, sas_strcmp);
	out = xmalloc(len);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(sorted[i]);

		if (i > 0)
			out[at++] = ',';
		memcpy(out + at, sorted[i], k);
		at += k;
	}
	out[at] = '\0';
	free(sorted);
	return out;
}

/* HKDF-SHA256 of the shared secret under info, with no salt. */
static int
sas_hkdf(const struct crypto_sas *s, const char *info, uint8_t *out, size_t len, char **cause)
{
	if (!s->have_secret)
		return cause_set(cause, "the other device's SAS key is not set yet");
	crypto_hkdf_sha256(NULL, 0, s->secret, sizeof s->secret, info, out, len);
	return 0;
}

int
crypto_sas_bytes(const struct crypto_sas *s, const char *info, uint8_t out[CRYPTO_SAS_BYTES],
    char **cause)
{
	return sas_hkdf(s, info, out, CRYPTO_SAS_BYTES, cause);
}

/* The first 42 bits, 6 at a time, most significant first. */
void
crypto_sas_emoji(const uint8_t bytes[CRYPTO_SAS_BYTES], int idx[CRYPTO_SAS_EMOJI])
{
	uint64_t v = 0;

	for (int i = 0; i < CRYPTO_SAS_BYTES; i++)
		v = v << 8 | bytes[i];
	for (int i = 0; i < CRYPTO_SAS_EMOJI; i++)
		idx[i] = (int)((v >> (42 - 6 * i)) & 63);
}

/* The first 39 bits, 13 at a time, each plus 1000. */
void
crypto_sas_decimal(const uint8_t bytes[CRYPTO_SAS_BYTES], int num[CRYPTO_SAS_DECIMAL])
{
	uint64_t v = 0;

	for (int i = 0; i < 5; i++)
		v = v << 8 | bytes[i];
	for (int i = 0; i < CRYPTO_SAS_DECIMAL; i++)
		num[i] = (int)((v >> (27 - 13 * i)) & 0x1fff) + 1000;
}

const char *
crypto_sas_emoji_char(int idx)
{
	return idx >= 0 && idx < (int)NT_NELEMS(sas_emoji) ? sas_emoji[idx].emoji : NULL;
}

const char *
crypto_sas_emoji_name(int idx)
{
	return idx >= 0 && idx < (int)NT_NELEMS(sas_emoji) ? sas_emoji[idx].name : NULL;
}

/* The raw HMAC-SHA256 of input under the key HKDF makes of info. */
static int
sas_mac_raw(const struct crypto_sas *s, const char *input, const char *info,
    uint8_t mac[CRYPTO_SHA256_LEN], char **cause)
{
	uint8_t key[CRYPTO_SHA256_LEN];

	if (sas_hkdf(s, info, key, sizeof key, cause) != 0)
		return -1;
	crypto_hmac_sha256(key, sizeof key, (const uint8_t *)input, strlen(input), mac);
	OPENSSL_cleanse(key, sizeof key);
	return 0;
}

char *
crypto_sas_mac(const struct crypto_sas *s, const char *input, const char *info, char **cause)
{
	uint8_t mac[CRYPTO_SHA256_LEN];

	if (sas_mac_raw(s, input, info, mac, cause) != 0)
		return NULL;
	return crypto_b64_encode(mac, sizeof mac);
}

int
crypto_sas_mac_check(const struct crypto_sas *s, const char *input, const char *info,
    const char *mac, char **cause)
{
	uint8_t want[CRYPTO_SHA256_LEN], got[CRYPTO_SHA256_LEN];

	if (mac == NULL || crypto_b64_decode_into(mac, 0, got, sizeof got, NULL) != 0)
		return cause_set(cause, "the SAS MAC is not 32 bytes of base64");
	if (sas_mac_raw(s, input, info, want, cause) != 0)
		return -1;
	return CRYPTO_memcmp(want, got, sizeof want) == 0;
}
