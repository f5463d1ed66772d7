/* Megolm group sessions: the four-part ratchet R0..R3, AES-256-CBC with a
 * truncated HMAC-SHA256, an Ed25519 signature on every message, and the
 * session-sharing (version 2, signed) and export (version 1) formats. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

#define MEGOLM_PARTS 4
#define MEGOLM_RATCHET_LEN (MEGOLM_PARTS * CRYPTO_KEY_LEN)
#define MEGOLM_EXPORT_VERSION 1
#define MEGOLM_SHARE_VERSION 2
#define MEGOLM_EXPORT_LEN (1 + 4 + MEGOLM_RATCHET_LEN + CRYPTO_KEY_LEN)
#define MEGOLM_SHARE_LEN (MEGOLM_EXPORT_LEN + CRYPTO_SIG_LEN)

struct megolm_ratchet {
	uint8_t r[MEGOLM_PARTS][CRYPTO_KEY_LEN];
	uint32_t counter;
};

struct crypto_megolm_out {
	struct megolm_ratchet ratchet;
	struct crypto_ed25519 key;
	char id[CRYPTO_B64_MAX(CRYPTO_KEY_LEN)];
};

struct crypto_megolm_in {
	struct megolm_ratchet first;	/* the earliest ratchet known */
	struct megolm_ratchet latest;	/* the furthest one reached, to go on from */
	uint8_t pub[CRYPTO_KEY_LEN];
	EVP_PKEY *pkey;
	char id[CRYPTO_B64_MAX(CRYPTO_KEY_LEN)];
};

/* R_to = H_to(R_from), H_j being HMAC-SHA256 of the single byte j. */
static void
megolm_rehash(struct megolm_ratchet *m, int from, int to)
{
	uint8_t j = (uint8_t)to;

	crypto_hmac_sha256(m->r[from], CRYPTO_KEY_LEN, &j, 1, m->r[to]);
}

/* One step: the highest part whose period the new counter completes is
 * reseeded from itself, and every part after it from that part. */
static void
megolm_advance(struct megolm_ratchet *m)
{
	int h = 0;

	m->counter++;
	while (h < 3 && (m->counter & (0xffffffu >> (8 * h))) != 0)
		h++;
	for (int k = 3; k >= h; k--)
		megolm_rehash(m, h, k);
}

/* Jumps forward to target (>= counter) in at most 4 x 255 steps: part j
 * is rehashed once per period of 2^(8(3-j)) it passes, and the parts
 * after it are reseeded from it at the last one. */
static void
megolm_advance_to(struct megolm_ratchet *m, uint32_t target)
{
	for (int j = 0; j < MEGOLM_PARTS; j++) {
		unsigned shift = (unsigned)(3 - j) * 8;
		uint32_t steps = ((target >> shift) - (m->counter >> shift)) & 0xff;

		if (steps == 0)
			continue;
		while (--steps > 0)
			megolm_rehash(m, j, j);
		for (int k = 3; k >= j; k--)
			megolm_rehash(m, j, k);
		m->counter = target & (UINT32_MAX << shift);
	}
}

static void
megolm_put_export(uint8_t *out, const struct megolm_ratchet *m, const uint8_t pub[32],
    uint8_t version)
{
	out[0] = version;
	out[1] = (uint8_t)(m->counter >> 24);
	out[2] = (uint8_t)(m->counter >> 16);
	out[3] = (uint8_t)(m->counter >> 8);
	out[4] = (uint8_t)m->counter;
	memcpy(out + 5, m->r, MEGOLM_RATCHET_LEN);
	memcpy(out + 5 + MEGOLM_RATCHET_LEN, pub, CRYPTO_KEY_LEN);
}

static void
megolm_get_export(const uint8_t *in, struct megolm_ratchet *m, uint8_t pub[32])
{
	m->counter = (uint32_t)in[1] << 24 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 8 | in[4];
	memcpy(m->r, in + 5, MEGOLM_RATCHET_LEN);
	memcpy(pub, in + 5 + MEGOLM_RATCHET_LEN, CRYPTO_KEY_LEN);
}

static void
megolm_keys(const struct megolm_ratchet *m, struct crypto_msg_keys *k)
{
	crypto_derive_msg_keys(&m->r[0][0], MEGOLM_RATCHET_LEN, "MEGOLM_KEYS", k);
}

struct crypto_megolm_out *
crypto_megolm_out_new(void)
{
	struct crypto_megolm_out *s = xcalloc(1, sizeof *s);

	crypto_random(&s->ratchet.r[0][0], MEGOLM_RATCHET_LEN);
	crypto_ed25519_generate(&s->key);
	crypto_b64_put(s->id, s->key.pub, CRYPTO_KEY_LEN, 0);
	return s;
}

void
crypto_megolm_out_free(struct crypto_megolm_out **s)
{
	if (*s == NULL)
		return;
	crypto_ed25519_clear(&(*s)->key);
	OPENSSL_cleanse(*s, sizeof **s);
	xfree(s);
}

const char *
crypto_megolm_out_id(const struct crypto_megolm_out *s)
{
	return s->id;
}

uint32_t
crypto_megolm_out_index(const struct crypto_megolm_out *s)
{
	return s->ratchet.counter;
}

char *
crypto_megolm_out_key(const struct crypto_megolm_out *s)
{
	uint8_t buf[MEGOLM_SHARE_LEN];
	char *b64;

	megolm_put_export(buf, &s->ratchet, s->key.pub, MEGOLM_SHARE_VERSION);
	crypto_ed25519_sign(&s->key, buf, MEGOLM_EXPORT_LEN, buf + MEGOLM_EXPORT_LEN);
	b64 = crypto_b64_encode(buf, sizeof buf);
	OPENSSL_cleanse(buf, sizeof buf);
	return b64;
}

char *
crypto_megolm_encrypt(struct crypto_megolm_out *s, const uint8_t *plain, size_t len)
{
	struct crypto_msg_keys k;
	uint8_t mac[CRYPTO_SHA256_LEN], *cipher, *msg;
	size_t clen, n;
	char *b64;

	megolm_keys(&s->ratchet, &k);
	cipher = crypto_aes_cbc_encrypt(&k, plain, len, &clen);
	msg = crypto_megolm_msg_encode(s->ratchet.counter, cipher, clen, &n);
	free(cipher);
	crypto_hmac_sha256(k.mac, sizeof k.mac, msg, n, mac);
	memcpy(msg + n, mac, CRYPTO_MAC_LEN);
	n += CRYPTO_MAC_LEN;
	crypto_ed25519_sign(&s->key, msg, n, msg + n);
	b64 = crypto_b64_encode(msg, n + CRYPTO_SIG_LEN);
	free(msg);
	OPENSSL_cleanse(&k, sizeof k);
	megolm_advance(&s->ratchet);
	return b64;
}

static struct crypto_megolm_in *
crypto_megolm_in_make(const uint8_t *blob, char **cause)
{
	struct crypto_megolm_in *s = xcalloc(1, sizeof *s);

	megolm_get_export(blob, &s->first, s->pub);
	s->latest = s->first;
	s->pkey = crypto_ed25519_public(s->pub);
	if (s->pkey == NULL) {
		crypto_megolm_in_free(&s);
		return cause_set(cause, "the Megolm session's Ed25519 key is not usable"), NULL;
	}
	crypto_b64_put(s->id, s->pub, CRYPTO_KEY_LEN, 0);
	return s;
}

/* The raw bytes of a session key or export of version and length want. */
static uint8_t *
crypto_megolm_blob(const char *b64, uint8_t version, size_t want, const char *what,
    char **cause)
{
	uint8_t *raw;
	size_t len;

	if (b64 == NULL || crypto_b64_decode(b64, &raw, &len, NULL) != 0) {
		cause_set(cause, "the Megolm %s is not base64", what);
		return NULL;
	}
	if (len != want || raw[0] != version) {
		crypto_free_secret(raw, len);
		cause_set(cause, "the Megolm %s is not in version %u's format", what, version);
		return NULL;
	}
	return raw;
}

struct crypto_megolm_in *
crypto_megolm_in_new(const char *session_key, char **cause)
{
	struct crypto_megolm_in *s;
	uint8_t *raw;

	raw = crypto_megolm_blob(session_key, MEGOLM_SHARE_VERSION, MEGOLM_SHARE_LEN,
	    "session key", cause);
	if (raw == NULL)
		return NULL;
	s = crypto_megolm_in_make(raw, cause);
	if (s != NULL && !crypto_ed25519_check(s->pkey, raw, MEGOLM_EXPORT_LEN,
	    raw + MEGOLM_EXPORT_LEN)) {
		crypto_megolm_in_free(&s);
		cause_set(cause, "the Megolm session key's signature does not hold");
	}
	crypto_free_secret(raw, MEGOLM_SHARE_LEN);
	return s;
}

struct crypto_megolm_in *
crypto_megolm_in_import(const char *exported, char **cause)
{
	struct crypto_megolm_in *s;
	uint8_t *raw;

	raw = crypto_megolm_blob(exported, MEGOLM_EXPORT_VERSION, MEGOLM_EXPORT_LEN,
	    "exported key", cause);
	if (raw == NULL)
		return NULL;
	s = crypto_megolm_in_make(raw, cause);
	crypto_free_secret(raw, MEGOLM_EXPORT_LEN);
	return s;
}

void
crypto_megolm_in_free(struct crypto_megolm_in **s)
{
	if (*s == NULL)
		return;
	EVP_PKEY_free((*s)->pkey);
	OPENSSL_cleanse(*s, sizeof **s);
	xfree(s);
}

const char *
crypto_megolm_in_id(const struct crypto_megolm_in *s)
{
	return s->id;
}

uint32_t
crypto_megolm_in_first_index(const struct crypto_megolm_in *s)
{
	return s->first.counter;
}

/* The ratchet at index (>= the first known) into *out. */
static void
crypto_megolm_in_at(const struct crypto_megolm_in *s, uint32_t index, struct megolm_ratchet *out)
{
	*out = index >= s->latest.counter ? s->latest : s->first;
	megolm_advance_to(out, index);
}

char *
crypto_megolm_in_export(const struct crypto_megolm_in *s, uint32_t index, char **cause)
{
	struct megolm_ratchet m;
	uint8_t buf[MEGOLM_EXPORT_LEN];
	char *b64;

	if (index < s->first.counter)
		return cause_set(cause, "the Megolm session is known only from index %u",
		    s->first.counter), NULL;
	crypto_megolm_in_at(s, index, &m);
	megolm_put_export(buf, &m, s->pub, MEGOLM_EXPORT_VERSION);
	b64 = crypto_b64_encode(buf, sizeof buf);
	OPENSSL_cleanse(buf, sizeof buf);
	OPENSSL_cleanse(&m, sizeof m);
	return b64;
}

/* Checks the MAC of a verified message and decrypts it with ratchet m. */
static uint8_t *
crypto_megolm_open(const struct megolm_ratchet *m, const struct crypto_megolm_msg *msg,
    const uint8_t *raw, size_t *len)
{
	struct crypto_msg_keys k;
	uint8_t mac[CRYPTO_SHA256_LEN], *plain = NULL;

	megolm_keys(m, &k);
	crypto_hmac_sha256(k.mac, sizeof k.mac, raw, msg->mac_len, mac);
	if (CRYPTO_memcmp(mac, msg->mac, CRYPTO_MAC_LEN) == 0)
		plain = crypto_aes_cbc_decrypt(&k, msg->cipher, msg->cipher_len, len);
	OPENSSL_cleanse(&k, sizeof k);
	return plain;
}

static uint8_t *
crypto_megolm_decrypt_raw(struct crypto_megolm_in *s, const uint8_t *raw, size_t raw_len,
    size_t *len, uint32_t *index, char **cause)
{
	struct crypto_megolm_msg msg;
	struct megolm_ratchet m;
	uint8_t *plain;

	if (crypto_megolm_msg_decode(raw, raw_len, &msg) != 0)
		return cause_set(cause, "the Megolm message cannot be read"), NULL;
	if (!crypto_ed25519_check(s->pkey, raw, msg.sig_len, msg.sig))
		return cause_set(cause, "the Megolm message's signature does not hold"), NULL;
	*index = msg.index;
	if (msg.index < s->first.counter)
		return cause_set(cause, "the Megolm message (index %u) is from before the "
		    "first index this session knows (%u)", msg.index, s->first.counter), NULL;
	crypto_megolm_in_at(s, msg.index, &m);
	plain = crypto_megolm_open(&m, &msg, raw, len);
	if (plain == NULL)
		cause_set(cause, "the Megolm message does not decrypt (bad MAC)");
	else if (msg.index >= s->latest.counter)
		s->latest = m;
	OPENSSL_cleanse(&m, sizeof m);
	return plain;
}

int
crypto_megolm_decrypt(struct crypto_megolm_in *s, const char *body, uint8_t **plain,
    size_t *len, uint32_t *index, char **cause)
{
	uint8_t *raw, *p;
	size_t raw_len, n;
	uint32_t i = UINT32_MAX;	/* set once the signature holds */

	if (body == NULL || crypto_b64_decode(body, &raw, &raw_len, NULL) != 0)
		return cause_set(cause, "the Megolm message is not base64");
	p = crypto_megolm_decrypt_raw(s, raw, raw_len, &n, &i, cause);
	free(raw);
	if (p == NULL && i < s->first.counter) {
		*index = i;
		return -2;
	}
	if (p == NULL)
		return -1;
	p[n] = '\0';	/* the buffer has a spare block past the plaintext */
	*plain = p;
	*len = n;
	*index = i;
	return 0;
}

static void
megolm_ratchet_put(struct crypto_wbuf *w, const struct megolm_ratchet *m)
{
	crypto_wbuf_add(w, m->r, MEGOLM_RATCHET_LEN);
	crypto_wbuf_u32(w, m->counter);
}

static void
megolm_ratchet_get(struct crypto_rbuf *r, struct megolm_ratchet *m)
{
	crypto_rbuf_get(r, m->r, MEGOLM_RATCHET_LEN);
	m->counter = crypto_rbuf_u32(r);
}

char *
crypto_megolm_out_pickle(const struct crypto_megolm_out *s,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN])
{
	struct crypto_wbuf w = {0};

	megolm_ratchet_put(&w, &s->ratchet);
	crypto_wbuf_add(&w, s->key.seed, CRYPTO_KEY_LEN);
	return crypto_pickle_seal(&w, CRYPTO_PICKLE_MEGOLM_OUT, key);
}

struct crypto_megolm_out *
crypto_megolm_out_unpickle(const char *pickle, const uint8_t key[CRYPTO_PICKLE_KEY_LEN],
    char **cause)
{
	struct crypto_rbuf r = {0};
	struct crypto_megolm_out *s;
	uint8_t *plain, seed[CRYPTO_KEY_LEN];
	size_t len;

	if (crypto_pickle_open(pickle, CRYPTO_PICKLE_MEGOLM_OUT, key, &plain, &len, cause) != 0)
		return NULL;
	s = xcalloc(1, sizeof *s);
	r.p = plain + 2;
	r.left = len - 2;
	megolm_ratchet_get(&r, &s->ratchet);
	crypto_rbuf_get(&r, seed, sizeof seed);
	if (r.bad || r.left != 0 || crypto_ed25519_from_seed(&s->key, seed) != 0) {
		crypto_megolm_out_free(&s);
		cause_set(cause, "the outbound Megolm session pickle is damaged");
	} else {
		crypto_b64_put(s->id, s->key.pub, CRYPTO_KEY_LEN, 0);
	}
	OPENSSL_cleanse(seed, sizeof seed);
	crypto_free_secret(plain, len);
	return s;
}

char *
crypto_megolm_in_pickle(const struct crypto_megolm_in *s,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN])
{
	struct crypto_wbuf w = {0};

	megolm_ratchet_put(&w, &s->first);
	megolm_ratchet_put(&w, &s->latest);
	crypto_wbuf_add(&w, s->pub, CRYPTO_KEY_LEN);
	return crypto_pickle_seal(&w, CRYPTO_PICKLE_MEGOLM_IN, key);
}

struct crypto_megolm_in *
crypto_megolm_in_unpickle(const char *pickle, const uint8_t key[CRYPTO_PICKLE_KEY_LEN],
    char **cause)
{
	struct crypto_rbuf r = {0};
	struct crypto_megolm_in *s;
	uint8_t *plain;
	size_t len;

	if (crypto_pickle_open(pickle, CRYPTO_PICKLE_MEGOLM_IN, key, &plain, &len, cause) != 0)
		return NULL;
	s = xcalloc(1, sizeof *s);
	r.p = plain + 2;
	r.left = len - 2;
	megolm_ratchet_get(&r, &s->first);
	megolm_ratchet_get(&r, &s->latest);
	crypto_rbuf_get(&r, s->pub, CRYPTO_KEY_LEN);
	if (r.bad || r.left != 0 || s->latest.counter < s->first.counter ||
	    (s->pkey = crypto_ed25519_public(s->pub)) == NULL) {
		crypto_megolm_in_free(&s);
		cause_set(cause, "the inbound Megolm session pickle is damaged");
	} else {
		crypto_b64_put(s->id, s->pub, CRYPTO_KEY_LEN, 0);
	}
	crypto_free_secret(plain, len);
	return s;
}
