/* Olm sessions: the triple Diffie-Hellman set-up and the double ratchet
 * of the Olm specification, with the limits the reference implementation
 * keeps (5 receiver chains, 40 skipped message keys, a gap of at most
 * 2000 messages in one chain). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

#define OLM_MAX_RECV 5
#define OLM_MAX_SKIPPED 40
#define OLM_MAX_GAP 2000

struct olm_chain {
	uint8_t ratchet[CRYPTO_KEY_LEN];	/* the ratchet key T_i, public */
	uint8_t key[CRYPTO_KEY_LEN];		/* the chain key C_i,index */
	uint32_t index;
};

struct olm_skipped {
	uint8_t ratchet[CRYPTO_KEY_LEN];
	uint32_t index;
	uint8_t key[CRYPTO_KEY_LEN];		/* the message key M_i,index */
};

struct crypto_olm {
	char id[CRYPTO_B64_MAX(CRYPTO_SHA256_LEN)];
	int received;			/* the other side has answered */
	uint8_t alice_identity[CRYPTO_KEY_LEN];
	uint8_t alice_base[CRYPTO_KEY_LEN];
	uint8_t bob_otk[CRYPTO_KEY_LEN];
	uint8_t root[CRYPTO_KEY_LEN];
	int has_sender;
	struct crypto_x25519 sender_ratchet;
	struct olm_chain sender;
	struct olm_chain recv[OLM_MAX_RECV];	/* newest first */
	size_t n_recv;
	struct olm_skipped skipped[OLM_MAX_SKIPPED];	/* oldest first */
	size_t n_skipped;
};

static struct crypto_olm *
crypto_olm_alloc(void)
{
	return xcalloc(1, sizeof(struct crypto_olm));
}

void
crypto_olm_free(struct crypto_olm **s)
{
	if (*s == NULL)
		return;
	OPENSSL_cleanse(*s, sizeof **s);
	xfree(s);
}

const char *
crypto_olm_id(const struct crypto_olm *s)
{
	return s->id;
}

/* The session id: SHA-256 of Alice's identity key, her base key and
 * Bob's one-time key, as the reference implementation computes it. */
static void
crypto_olm_set_id(struct crypto_olm *s)
{
	uint8_t keys[3 * CRYPTO_KEY_LEN], hash[CRYPTO_SHA256_LEN];

	memcpy(keys, s->alice_identity, CRYPTO_KEY_LEN);
	memcpy(keys + CRYPTO_KEY_LEN, s->alice_base, CRYPTO_KEY_LEN);
	memcpy(keys + 2 * CRYPTO_KEY_LEN, s->bob_otk, CRYPTO_KEY_LEN);
	crypto_sha256(keys, sizeof keys, hash);
	crypto_b64_put(s->id, hash, sizeof hash, 0);
}

/* R_0 || C_0,0 = HKDF(0, S, "OLM_ROOT", 64) from the three agreements. */
static int
crypto_olm_root(const struct crypto_x25519 *a, const uint8_t *a_pub,
    const struct crypto_x25519 *b, const uint8_t *b_pub, const struct crypto_x25519 *c,
    const uint8_t *c_pub, uint8_t root[32], uint8_t chain[32])
{
	uint8_t secret[3 * CRYPTO_KEY_LEN], out[64] = {0};
	int rc = 0;

	if (crypto_x25519_derive(a, a_pub, secret) != 0 ||
	    crypto_x25519_derive(b, b_pub, secret + 32) != 0 ||
	    crypto_x25519_derive(c, c_pub, secret + 64) != 0)
		rc = -1;
	else
		crypto_hkdf_sha256(NULL, 0, secret, sizeof secret, "OLM_ROOT", out, sizeof out);
	memcpy(root, out, 32);
	memcpy(chain, out + 32, 32);
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(out, sizeof out);
	return rc;
}

/* R_i || C_i,0 = HKDF(R_i-1, ECDH(T_i-1, T_i), "OLM_RATCHET", 64). */
static int
crypto_olm_advance_root(const uint8_t root[32], const struct crypto_x25519 *ours,
    const uint8_t theirs[32], uint8_t new_root[32], uint8_t chain[32])
{
	uint8_t dh[CRYPTO_KEY_LEN], out[64];

	if (crypto_x25519_derive(ours, theirs, dh) != 0)
		return -1;
	crypto_hkdf_sha256(root, CRYPTO_KEY_LEN, dh, sizeof dh, "OLM_RATCHET", out, sizeof out);
	memcpy(new_root, out, 32);
	memcpy(chain, out + 32, 32);
	OPENSSL_cleanse(dh, sizeof dh);
	OPENSSL_cleanse(out, sizeof out);
	return 0;
}

static void
crypto_olm_chain_step(struct olm_chain *c)
{
	static const uint8_t two = 0x02;

	crypto_hmac_sha256(c->key, CRYPTO_KEY_LEN, &two, 1, c->key);
	c->index++;
}

static void
crypto_olm_message_key(const struct olm_chain *c, uint8_t mk[CRYPTO_KEY_LEN])
{
	static const uint8_t one = 0x01;

	crypto_hmac_sha256(c->key, CRYPTO_KEY_LEN, &one, 1, mk);
}

struct crypto_olm *
crypto_olm_outbound(const struct crypto_account *acct, const char *their_identity,
    const char *their_otk, char **cause)
{
	const struct crypto_x25519 *me = crypto_account_identity(acct);
	uint8_t identity[CRYPTO_KEY_LEN];
	struct crypto_x25519 base;
	struct crypto_olm *s;
	int rc;

	if (crypto_b64_decode_into(their_identity, 0, identity, sizeof identity, NULL) != 0)
		return cause_set(cause, "the device's identity key is not a Curve25519 key"), NULL;
	s = crypto_olm_alloc();
	if (crypto_b64_decode_into(their_otk, 0, s->bob_otk, CRYPTO_KEY_LEN, NULL) != 0) {
		crypto_olm_free(&s);
		return cause_set(cause, "the claimed one-time key is not a Curve25519 key"), NULL;
	}
	crypto_x25519_generate(&base);
	rc = crypto_olm_root(me, s->bob_otk, &base, identity, &base, s->bob_otk, s->root,
	    s->sender.key);
	memcpy(s->alice_identity, me->pub, CRYPTO_KEY_LEN);
	memcpy(s->alice_base, base.pub, CRYPTO_KEY_LEN);
	OPENSSL_cleanse(&base, sizeof base);
	if (rc != 0) {
		crypto_olm_free(&s);
		return cause_set(cause, "the device's keys are not usable Curve25519 keys"), NULL;
	}
	crypto_x25519_generate(&s->sender_ratchet);
	memcpy(s->sender.ratchet, s->sender_ratchet.pub, CRYPTO_KEY_LEN);
	s->has_sender = 1;
	crypto_olm_set_id(s);
	return s;
}

/* Decodes base64 body into raw bytes. */
static uint8_t *
crypto_olm_body(const char *body, size_t *len, char **cause)
{
	uint8_t *raw;

	if (body == NULL || crypto_b64_decode(body, &raw, len, NULL) != 0) {
		cause_set(cause, "the Olm message is not base64");
		return NULL;
	}
	return raw;
}

/* The message key of m in chain c (which is not changed), when m is not
 * before c and not too far after it. */
static int
crypto_olm_chain_key_at(const struct olm_chain *c, uint32_t index, uint8_t mk[CRYPTO_KEY_LEN])
{
	struct olm_chain t = *c;

	if (index < c->index || index - c->index > OLM_MAX_GAP)
		return -1;
	while (t.index < index)
		crypto_olm_chain_step(&t);
	crypto_olm_message_key(&t, mk);
	OPENSSL_cleanse(&t, sizeof t);
	return 0;
}

/* Checks m's MAC with message key mk and decrypts it; NULL if either fails. */
static uint8_t *
crypto_olm_open(const struct crypto_olm_msg *m, const uint8_t *raw, const uint8_t mk[32],
    size_t *len)
{
	struct crypto_msg_keys k;
	uint8_t mac[CRYPTO_SHA256_LEN], *plain = NULL;

	crypto_derive_msg_keys(mk, CRYPTO_KEY_LEN, "OLM_KEYS", &k);
	crypto_hmac_sha256(k.mac, sizeof k.mac, raw, m->signed_len, mac);
	if (CRYPTO_memcmp(mac, m->mac, CRYPTO_MAC_LEN) == 0)
		plain = crypto_aes_cbc_decrypt(&k, m->cipher, m->cipher_len, len);
	OPENSSL_cleanse(&k, sizeof k);
	return plain;
}

/* Bob's side of the set-up from a decoded pre-key message. */
static int
crypto_olm_bob(struct crypto_olm *s, const struct crypto_account *acct,
    const struct crypto_x25519 *otk, const struct crypto_prekey_msg *pm,
    const struct crypto_olm_msg *m)
{
	const struct crypto_x25519 *me = crypto_account_identity(acct);
	uint8_t probe[CRYPTO_KEY_LEN];

	memcpy(s->alice_identity, pm->identity, CRYPTO_KEY_LEN);
	memcpy(s->alice_base, pm->base_key, CRYPTO_KEY_LEN);
	memcpy(s->bob_otk, pm->otk, CRYPTO_KEY_LEN);
	if (crypto_olm_root(otk, pm->identity, me, pm->base_key, otk, pm->base_key, s->root,
	    s->recv[0].key) != 0)
		return -1;
	/* The first reply ratchets against T_0: refuse now a key that cannot be used. */
	if (crypto_x25519_derive(otk, m->ratchet_key, probe) != 0)
		return -1;
	OPENSSL_cleanse(probe, sizeof probe);
	memcpy(s->recv[0].ratchet, m->ratchet_key, CRYPTO_KEY_LEN);
	s->n_recv = 1;
	s->received = 1;
	crypto_olm_set_id(s);
	return 0;
}

/* Whether the pre-key message m proves the session's keys: decrypting
 * its inner message with the new receiver chain. */
static int
crypto_olm_inner_holds(const struct crypto_olm *s, const uint8_t *inner, size_t inner_len,
    const struct crypto_olm_msg *m)
{
	uint8_t mk[CRYPTO_KEY_LEN], *plain;
	size_t len;

	if (crypto_olm_chain_key_at(&s->recv[0], m->index, mk) != 0)
		return 0;
	plain = crypto_olm_open(m, inner, mk, &len);
	OPENSSL_cleanse(mk, sizeof mk);
	if (plain == NULL)
		return 0;
	crypto_free_secret(plain, len);
	return 1;
}

static struct crypto_olm *
crypto_olm_inbound_raw(struct crypto_account *acct, const uint8_t *identity,
    const uint8_t *raw, size_t len, char **cause)
{
	struct crypto_prekey_msg pm;
	struct crypto_olm_msg m;
	const struct crypto_x25519 *otk;
	struct crypto_olm *s;

	if (crypto_prekey_msg_decode(raw, len, &pm) != 0 ||
	    crypto_olm_msg_decode(pm.inner, pm.inner_len, &m) != 0)
		return cause_set(cause, "the Olm pre-key message cannot be read"), NULL;
	if (memcmp(pm.identity, identity, CRYPTO_KEY_LEN) != 0)
		return cause_set(cause, "the pre-key message is from another identity key"), NULL;
	otk = crypto_account_find_otk(acct, pm.otk);
	if (otk == NULL)
		return cause_set(cause, "the pre-key message is for a one-time key this account "
		    "does not have (used already, or never ours)"), NULL;
	s = crypto_olm_alloc();
	if (crypto_olm_bob(s, acct, otk, &pm, &m) != 0 ||
	    !crypto_olm_inner_holds(s, pm.inner, pm.inner_len, &m)) {
		crypto_olm_free(&s);
		return cause_set(cause, "the pre-key message does not decrypt (bad MAC or keys)"),
		    NULL;
	}
	crypto_account_remove_otk(acct, pm.otk);
	return s;
}

struct crypto_olm *
crypto_olm_inbound(struct crypto_account *acct, const char *their_identity, const char *body,
    char **cause)
{
	uint8_t identity[CRYPTO_KEY_LEN], *raw;
	struct crypto_olm *s;
	size_t len;

	if (their_identity == NULL ||
	    crypto_b64_decode_into(their_identity, 0, identity, sizeof identity, NULL) != 0)
		return cause_set(cause, "the sender's identity key is not a Curve25519 key"), NULL;
	if ((raw = crypto_olm_body(body, &len, cause)) == NULL)
		return NULL;
	s = crypto_olm_inbound_raw(acct, identity, raw, len, cause);
	free(raw);
	return s;
}

static int
crypto_olm_prekey_is_ours(const struct crypto_olm *s, const struct crypto_prekey_msg *pm)
{
	return memcmp(pm->identity, s->alice_identity, CRYPTO_KEY_LEN) == 0 &&
	    memcmp(pm->base_key, s->alice_base, CRYPTO_KEY_LEN) == 0 &&
	    memcmp(pm->otk, s->bob_otk, CRYPTO_KEY_LEN) == 0;
}

int
crypto_olm_matches(const struct crypto_olm *s, const char *their_identity, const char *body)
{
	uint8_t identity[CRYPTO_KEY_LEN], *raw;
	struct crypto_prekey_msg pm;
	size_t len;
	int ok;

	if (their_identity == NULL ||
	    crypto_b64_decode_into(their_identity, 0, identity, sizeof identity, NULL) != 0 ||
	    (raw = crypto_olm_body(body, &len, NULL)) == NULL)
		return 0;
	ok = crypto_prekey_msg_decode(raw, len, &pm) == 0 &&
	    memcmp(pm.identity, identity, CRYPTO_KEY_LEN) == 0 && crypto_olm_prekey_is_ours(s, &pm);
	free(raw);
	return ok;
}

/* Starts a new sender chain against the newest receiver chain's key. */
static void
crypto_olm_new_sender(struct crypto_olm *s)
{
	crypto_x25519_generate(&s->sender_ratchet);
	if (s->n_recv == 0 || crypto_olm_advance_root(s->root, &s->sender_ratchet,
	    s->recv[0].ratchet, s->root, s->sender.key) != 0)
		abort();	/* Alice always has a sender chain; Bob's T_0 was checked. */
	memcpy(s->sender.ratchet, s->sender_ratchet.pub, CRYPTO_KEY_LEN);
	s->sender.index = 0;
	s->has_sender = 1;
}

/* The normal message for plain, MAC appended, under the next message key. */
static uint8_t *
crypto_olm_seal(struct crypto_olm *s, const uint8_t *plain, size_t len, size_t *out_len)
{
	struct crypto_msg_keys k;
	uint8_t mk[CRYPTO_KEY_LEN], mac[CRYPTO_SHA256_LEN], *cipher, *msg;
	size_t clen, n;

	crypto_olm_message_key(&s->sender, mk);
	crypto_derive_msg_keys(mk, sizeof mk, "OLM_KEYS", &k);
	cipher = crypto_aes_cbc_encrypt(&k, plain, len, &clen);
	msg = crypto_olm_msg_encode(s->sender.ratchet, s->sender.index, cipher, clen, &n);
	crypto_hmac_sha256(k.mac, sizeof k.mac, msg, n, mac);
	memcpy(msg + n, mac, CRYPTO_MAC_LEN);
	*out_len = n + CRYPTO_MAC_LEN;
	crypto_olm_chain_step(&s->sender);
	free(cipher);
	OPENSSL_cleanse(&k, sizeof k);
	OPENSSL_cleanse(mk, sizeof mk);
	return msg;
}

int
crypto_olm_encrypt(struct crypto_olm *s, const uint8_t *plain, size_t len, int *type,
    char **body)
{
	uint8_t *msg, *pre;
	size_t n, pn;

	if (!s->has_sender)
		crypto_olm_new_sender(s);
	msg = crypto_olm_seal(s, plain, len, &n);
	if (s->received) {
		*type = CRYPTO_OLM_NORMAL;
		*body = crypto_b64_encode(msg, n);
	} else {
		pre = crypto_prekey_msg_encode(s->bob_otk, s->alice_base, s->alice_identity, msg, n,
		    &pn);
		*type = CRYPTO_OLM_PREKEY;
		*body = crypto_b64_encode(pre, pn);
		free(pre);
	}
	free(msg);
	return 0;
}

static struct olm_chain *
crypto_olm_find_chain(struct crypto_olm *s, const uint8_t ratchet[CRYPTO_KEY_LEN])
{
	for (size_t i = 0; i < s->n_recv; i++)
		if (memcmp(s->recv[i].ratchet, ratchet, CRYPTO_KEY_LEN) == 0)
			return &s->recv[i];
	return NULL;
}

static long
crypto_olm_find_skipped(const struct crypto_olm *s, const struct crypto_olm_msg *m)
{
	for (size_t i = 0; i < s->n_skipped; i++)
		if (s->skipped[i].index == m->index &&
		    memcmp(s->skipped[i].ratchet, m->ratchet_key, CRYPTO_KEY_LEN) == 0)
			return (long)i;
	return -1;
}

static void
crypto_olm_drop_skipped(struct crypto_olm *s, size_t i)
{
	memmove(s->skipped + i, s->skipped + i + 1, (s->n_skipped - i - 1) * sizeof s->skipped[0]);
	s->n_skipped--;
	OPENSSL_cleanse(s->skipped + s->n_skipped, sizeof s->skipped[0]);
}

/* Moves chain c on to index + 1, keeping the keys of the messages it skips. */
static void
crypto_olm_chain_commit(struct crypto_olm *s, struct olm_chain *c, uint32_t index)
{
	while (c->index < index) {
		struct olm_skipped *k;

		if (s->n_skipped == OLM_MAX_SKIPPED)
			crypto_olm_drop_skipped(s, 0);
		k = &s->skipped[s->n_skipped++];
		memcpy(k->ratchet, c->ratchet, CRYPTO_KEY_LEN);
		k->index = c->index;
		crypto_olm_message_key(c, k->key);
		crypto_olm_chain_step(c);
	}
	crypto_olm_chain_step(c);
}

/* A message under a ratchet key not seen before: a new receiver chain. */
static uint8_t *
crypto_olm_decrypt_new_chain(struct crypto_olm *s, const struct crypto_olm_msg *m,
    const uint8_t *raw, size_t *len, char **cause)
{
	struct olm_chain c = {0};
	uint8_t root[CRYPTO_KEY_LEN], mk[CRYPTO_KEY_LEN], *plain = NULL;

	if (!s->has_sender)
		return cause_set(cause, "the Olm message has an unknown ratchet key"), NULL;
	memcpy(c.ratchet, m->ratchet_key, CRYPTO_KEY_LEN);
	if (crypto_olm_advance_root(s->root, &s->sender_ratchet, m->ratchet_key, root, c.key) != 0)
		return cause_set(cause, "the Olm message's ratchet key is not usable"), NULL;
	if (crypto_olm_chain_key_at(&c, m->index, mk) == 0)
		plain = crypto_olm_open(m, raw, mk, len);
	if (plain == NULL) {
		cause_set(cause, "the Olm message does not decrypt (bad MAC, or too far ahead)");
	} else {
		memcpy(s->root, root, CRYPTO_KEY_LEN);
		if (s->n_recv == OLM_MAX_RECV)
			s->n_recv--;
		memmove(s->recv + 1, s->recv, s->n_recv * sizeof s->recv[0]);
		s->recv[0] = c;
		s->n_recv++;
		crypto_olm_chain_commit(s, &s->recv[0], m->index);
		OPENSSL_cleanse(&s->sender_ratchet, sizeof s->sender_ratchet);
		OPENSSL_cleanse(&s->sender, sizeof s->sender);
		s->has_sender = 0;
	}
	OPENSSL_cleanse(root, sizeof root);
	OPENSSL_cleanse(mk, sizeof mk);
	OPENSSL_cleanse(&c, sizeof c);
	return plain;
}

/* A message in a known receiver chain: skipped earlier, or ahead. */
static uint8_t *
crypto_olm_decrypt_chain(struct crypto_olm *s, struct olm_chain *c,
    const struct crypto_olm_msg *m, const uint8_t *raw, size_t *len, char **cause)
{
	uint8_t mk[CRYPTO_KEY_LEN], *plain = NULL;
	long k;

	if (m->index < c->index) {
		if ((k = crypto_olm_find_skipped(s, m)) < 0)
			return cause_set(cause, "the Olm message was decrypted before, or its key "
			    "is no longer kept"), NULL;
		if ((plain = crypto_olm_open(m, raw, s->skipped[k].key, len)) != NULL)
			crypto_olm_drop_skipped(s, (size_t)k);
	} else if (crypto_olm_chain_key_at(c, m->index, mk) == 0 &&
	    (plain = crypto_olm_open(m, raw, mk, len)) != NULL) {
		crypto_olm_chain_commit(s, c, m->index);
	}
	OPENSSL_cleanse(mk, sizeof mk);
	if (plain == NULL)
		cause_set(cause, "the Olm message does not decrypt (bad MAC, or too far ahead)");
	return plain;
}

static uint8_t *
crypto_olm_decrypt_msg(struct crypto_olm *s, const uint8_t *raw, size_t raw_len, size_t *len,
    char **cause)
{
	struct crypto_olm_msg m;
	struct olm_chain *c;
	uint8_t *plain;

	if (crypto_olm_msg_decode(raw, raw_len, &m) != 0)
		return cause_set(cause, "the Olm message cannot be read"), NULL;
	c = crypto_olm_find_chain(s, m.ratchet_key);
	plain = c != NULL ? crypto_olm_decrypt_chain(s, c, &m, raw, len, cause)
			  : crypto_olm_decrypt_new_chain(s, &m, raw, len, cause);
	if (plain != NULL)
		s->received = 1;
	return plain;
}

/* The bytes of the inner message of body (of type), into *inner. */
static uint8_t *
crypto_olm_unwrap(const struct crypto_olm *s, int type, const char *body, const uint8_t **inner,
    size_t *inner_len, char **cause)
{
	struct crypto_prekey_msg pm;
	uint8_t *raw;
	size_t len;

	if (type != CRYPTO_OLM_PREKEY && type != CRYPTO_OLM_NORMAL)
		return cause_set(cause, "unknown Olm message type %d", type), NULL;
	if ((raw = crypto_olm_body(body, &len, cause)) == NULL)
		return NULL;
	*inner = raw;
	*inner_len = len;
	if (type == CRYPTO_OLM_NORMAL)
		return raw;
	if (crypto_prekey_msg_decode(raw, len, &pm) != 0 || !crypto_olm_prekey_is_ours(s, &pm)) {
		free(raw);
		return cause_set(cause, "the pre-key message is not for this Olm session"), NULL;
	}
	*inner = pm.inner;
	*inner_len = pm.inner_len;
	return raw;
}

int
crypto_olm_decrypt(struct crypto_olm *s, int type, const char *body, uint8_t **plain,
    size_t *len, char **cause)
{
	const uint8_t *inner;
	uint8_t *raw, *p;
	size_t inner_len, n;

	if ((raw = crypto_olm_unwrap(s, type, body, &inner, &inner_len, cause)) == NULL)
		return -1;
	p = crypto_olm_decrypt_msg(s, inner, inner_len, &n, cause);
	free(raw);
	if (p == NULL)
		return -1;
	p[n] = '\0';	/* the buffer has a spare block past the plaintext */
	*plain = p;
	*len = n;
	return 0;
}

static void
crypto_olm_chain_put(struct crypto_wbuf *w, const struct olm_chain *c)
{
	crypto_wbuf_add(w, c->ratchet, CRYPTO_KEY_LEN);
	crypto_wbuf_add(w, c->key, CRYPTO_KEY_LEN);
	crypto_wbuf_u32(w, c->index);
}

char *
crypto_olm_pickle(const struct crypto_olm *s, const uint8_t key[CRYPTO_PICKLE_KEY_LEN])
{
	struct crypto_wbuf w = {0};

	crypto_wbuf_u8(&w, (uint8_t)s->received);
	crypto_wbuf_add(&w, s->alice_identity, CRYPTO_KEY_LEN);
	crypto_wbuf_add(&w, s->alice_base, CRYPTO_KEY_LEN);
	crypto_wbuf_add(&w, s->bob_otk, CRYPTO_KEY_LEN);
	crypto_wbuf_add(&w, s->root, CRYPTO_KEY_LEN);
	crypto_wbuf_u8(&w, (uint8_t)s->has_sender);
	if (s->has_sender) {
		crypto_wbuf_add(&w, s->sender_ratchet.priv, CRYPTO_KEY_LEN);
		crypto_olm_chain_put(&w, &s->sender);
	}
	crypto_wbuf_u8(&w, (uint8_t)s->n_recv);
	for (size_t i = 0; i < s->n_recv; i++)
		crypto_olm_chain_put(&w, &s->recv[i]);
	crypto_wbuf_u8(&w, (uint8_t)s->n_skipped);
	for (size_t i = 0; i < s->n_skipped; i++) {
		crypto_wbuf_add(&w, s->skipped[i].ratchet, CRYPTO_KEY_LEN);
		crypto_wbuf_u32(&w, s->skipped[i].index);
		crypto_wbuf_add(&w, s->skipped[i].key, CRYPTO_KEY_LEN);
	}
	return crypto_pickle_seal(&w, CRYPTO_PICKLE_OLM, key);
}

static void
crypto_olm_chain_get(struct crypto_rbuf *r, struct olm_chain *c)
{
	crypto_rbuf_get(r, c->ratchet, CRYPTO_KEY_LEN);
	crypto_rbuf_get(r, c->key, CRYPTO_KEY_LEN);
	c->index = crypto_rbuf_u32(r);
}

static int
crypto_olm_read(struct crypto_olm *s, struct crypto_rbuf *r)
{
	s->received = crypto_rbuf_u8(r) != 0;
	crypto_rbuf_get(r, s->alice_identity, CRYPTO_KEY_LEN);
	crypto_rbuf_get(r, s->alice_base, CRYPTO_KEY_LEN);
	crypto_rbuf_get(r, s->bob_otk, CRYPTO_KEY_LEN);
	crypto_rbuf_get(r, s->root, CRYPTO_KEY_LEN);
	s->has_sender = crypto_rbuf_u8(r) != 0;
	if (s->has_sender) {
		crypto_rbuf_get(r, s->sender_ratchet.priv, CRYPTO_KEY_LEN);
		crypto_olm_chain_get(r, &s->sender);
		if (r->bad || crypto_x25519_from_priv(&s->sender_ratchet,
		    s->sender_ratchet.priv) != 0)
			return -1;
	}
	if ((s->n_recv = crypto_rbuf_u8(r)) > OLM_MAX_RECV)
		return -1;
	for (size_t i = 0; i < s->n_recv; i++)
		crypto_olm_chain_get(r, &s->recv[i]);
	if ((s->n_skipped = crypto_rbuf_u8(r)) > OLM_MAX_SKIPPED)
		return -1;
	for (size_t i = 0; i < s->n_skipped; i++) {
		crypto_rbuf_get(r, s->skipped[i].ratchet, CRYPTO_KEY_LEN);
		s->skipped[i].index = crypto_rbuf_u32(r);
		crypto_rbuf_get(r, s->skipped[i].key, CRYPTO_KEY_LEN);
	}
	return r->bad || r->left != 0 || (!s->has_sender && s->n_recv == 0) ? -1 : 0;
}

struct crypto_olm *
crypto_olm_unpickle(const char *pickle, const uint8_t key[CRYPTO_PICKLE_KEY_LEN], char **cause)
{
	struct crypto_rbuf r = {0};
	struct crypto_olm *s;
	uint8_t *plain;
	size_t len;

	if (crypto_pickle_open(pickle, CRYPTO_PICKLE_OLM, key, &plain, &len, cause) != 0)
		return NULL;
	s = crypto_olm_alloc();
	r.p = plain + 2;
	r.left = len - 2;
	if (crypto_olm_read(s, &r) != 0) {
		crypto_olm_free(&s);
		cause_set(cause, "the Olm session pickle is damaged");
	} else {
		crypto_olm_set_id(s);
	}
	crypto_free_secret(plain, len);
	return s;
}
