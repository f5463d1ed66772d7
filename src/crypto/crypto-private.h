/* The crypto module's own pieces: libcrypto primitives with fixed sizes,
 * key pairs, the Olm/Megolm message codec and the pickle buffers. */
#ifndef NATTER_CRYPTO_PRIVATE_H
#define NATTER_CRYPTO_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define CRYPTO_KEY_LEN 32
#define CRYPTO_SIG_LEN 64
#define CRYPTO_SHA256_LEN 32
#define CRYPTO_MAC_LEN 8	/* Olm and Megolm truncate HMAC-SHA256 to 8 bytes */
#define CRYPTO_AES_BLOCK 16
#define CRYPTO_B64_MAX(n) (((n) + 2) / 3 * 4 + 1)

struct crypto_x25519 {
	uint8_t priv[CRYPTO_KEY_LEN];
	uint8_t pub[CRYPTO_KEY_LEN];
};

/* An Ed25519 key: its 32-byte seed, public key, and libcrypto's key
 * object kept ready because signing is the hot path of Megolm. */
struct crypto_ed25519 {
	uint8_t seed[CRYPTO_KEY_LEN];
	uint8_t pub[CRYPTO_KEY_LEN];
	EVP_PKEY *pkey;
};

/* The AES key, HMAC key and IV that HKDF derives from a message key. */
struct crypto_msg_keys {
	uint8_t aes[32];
	uint8_t mac[32];
	uint8_t iv[16];
};

/* libcrypto failing on valid sizes (never on bad input): aborts. */
_Noreturn void crypto_fail(const char *what);
/* Base64 (standard or URL alphabet) into a caller's buffer. */
void crypto_b64_put(char *out, const uint8_t *data, size_t len, int url);
int crypto_b64_decode_into(const char *s, int url, uint8_t *out, size_t want, char **cause);
int crypto_b64_decode_alpha(const char *s, int url, uint8_t **out, size_t *len, char **cause);
/* Standard base64 with its padding, as Element writes secret storage. */
char *crypto_b64_padded(const uint8_t *data, size_t len);

void crypto_sha256(const uint8_t *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
    uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
    const char *info, uint8_t *out, size_t out_len);
void crypto_derive_msg_keys(const uint8_t *secret, size_t len, const char *info,
    struct crypto_msg_keys *k);

/* AES-256-CBC with PKCS#7 padding; decryption fails on bad padding. */
uint8_t *crypto_aes_cbc_encrypt(const struct crypto_msg_keys *k, const uint8_t *plain,
    size_t len, size_t *out_len);
uint8_t *crypto_aes_cbc_decrypt(const struct crypto_msg_keys *k, const uint8_t *cipher,
    size_t len, size_t *out_len);

/* AES-256-CTR, in to out (which may be in). */
void crypto_aes_ctr(const uint8_t key[32], const uint8_t iv[CRYPTO_AES_BLOCK], const uint8_t *in,
    size_t len, uint8_t *out);
/* PBKDF2-HMAC-SHA512 (rounds >= 1), as key files and secret storage use it. */
void crypto_pbkdf2_sha512(const char *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
    uint32_t rounds, uint8_t *out, size_t out_len);

int crypto_x25519_from_priv(struct crypto_x25519 *kp, const uint8_t priv[CRYPTO_KEY_LEN]);
void crypto_x25519_generate(struct crypto_x25519 *kp);
int crypto_x25519_derive(const struct crypto_x25519 *ours, const uint8_t theirs[CRYPTO_KEY_LEN],
    uint8_t out[CRYPTO_KEY_LEN]);

int crypto_ed25519_from_seed(struct crypto_ed25519 *k, const uint8_t seed[CRYPTO_KEY_LEN]);
void crypto_ed25519_generate(struct crypto_ed25519 *k);
void crypto_ed25519_clear(struct crypto_ed25519 *k);
void crypto_ed25519_sign(const struct crypto_ed25519 *k, const uint8_t *msg, size_t len,
    uint8_t sig[CRYPTO_SIG_LEN]);
EVP_PKEY *crypto_ed25519_public(const uint8_t pub[CRYPTO_KEY_LEN]);
/* 1 when sig holds for msg under pkey, else 0. */
int crypto_ed25519_check(EVP_PKEY *pkey, const uint8_t *msg, size_t len,
    const uint8_t sig[CRYPTO_SIG_LEN]);

struct crypto_account;
const struct crypto_x25519 *crypto_account_identity(const struct crypto_account *acct);
const struct crypto_x25519 *crypto_account_find_otk(const struct crypto_account *acct,
    const uint8_t pub[CRYPTO_KEY_LEN]);
void crypto_account_remove_otk(struct crypto_account *acct, const uint8_t pub[CRYPTO_KEY_LEN]);

/* The Olm and Megolm wire formats. */
#define CRYPTO_MSG_VERSION 3

struct crypto_olm_msg {
	const uint8_t *ratchet_key;	/* 32 bytes */
	uint32_t index;
	const uint8_t *cipher;
	size_t cipher_len;
	const uint8_t *mac;		/* CRYPTO_MAC_LEN bytes over [0, mac) */
	size_t signed_len;		/* bytes the MAC covers */
};

struct crypto_prekey_msg {
	const uint8_t *otk;		/* Bob's one-time key */
	const uint8_t *base_key;	/* Alice's single-use key */
	const uint8_t *identity;	/* Alice's identity key */
	const uint8_t *inner;		/* a whole Olm message */
	size_t inner_len;
};

struct crypto_megolm_msg {
	uint32_t index;
	const uint8_t *cipher;
	size_t cipher_len;
	const uint8_t *mac;
	const uint8_t *sig;
	size_t mac_len;			/* bytes the MAC covers */
	size_t sig_len;			/* bytes the signature covers */
};

int crypto_olm_msg_decode(const uint8_t *b, size_t len, struct crypto_olm_msg *m);
int crypto_prekey_msg_decode(const uint8_t *b, size_t len, struct crypto_prekey_msg *m);
int crypto_megolm_msg_decode(const uint8_t *b, size_t len, struct crypto_megolm_msg *m);
/* Writers: the payload without MAC (or signature); the caller appends those. */
uint8_t *crypto_olm_msg_encode(const uint8_t ratchet_key[32], uint32_t index,
    const uint8_t *cipher, size_t cipher_len, size_t *len);
uint8_t *crypto_prekey_msg_encode(const uint8_t otk[32], const uint8_t base_key[32],
    const uint8_t identity[32], const uint8_t *inner, size_t inner_len, size_t *len);
uint8_t *crypto_megolm_msg_encode(uint32_t index, const uint8_t *cipher, size_t cipher_len,
    size_t *len);

/* A byte buffer for secrets: growing it wipes the old copy. */
struct crypto_wbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void crypto_wbuf_add(struct crypto_wbuf *w, const void *p, size_t n);
void crypto_wbuf_u8(struct crypto_wbuf *w, uint8_t v);
void crypto_wbuf_u32(struct crypto_wbuf *w, uint32_t v);
void crypto_wbuf_free(struct crypto_wbuf *w);

/* A bounds-checked reader; once a read fails every later one fails. */
struct crypto_rbuf {
	const uint8_t *p;
	size_t left;
	int bad;
};

uint8_t crypto_rbuf_u8(struct crypto_rbuf *r);
uint32_t crypto_rbuf_u32(struct crypto_rbuf *r);
void crypto_rbuf_get(struct crypto_rbuf *r, void *out, size_t n);

/* Pickle kinds, sealed into the pickle with their format version. */
enum crypto_pickle_kind {
	CRYPTO_PICKLE_ACCOUNT = 1,
	CRYPTO_PICKLE_OLM = 2,
	CRYPTO_PICKLE_MEGOLM_OUT = 3,
	CRYPTO_PICKLE_MEGOLM_IN = 4,
	CRYPTO_PICKLE_SECRET = 5,
};
#define CRYPTO_PICKLE_VERSION 1

/* Seals w's bytes (wiping them) into a base64 pickle of kind. */
char *crypto_pickle_seal(struct crypto_wbuf *w, enum crypto_pickle_kind kind,
    const uint8_t key[32]);
/* Opens a pickle of kind; *plain is wiped and freed by the caller. */
int crypto_pickle_open(const char *pickle, enum crypto_pickle_kind kind, const uint8_t key[32],
    uint8_t **plain, size_t *len, char **cause);
void crypto_free_secret(void *p, size_t len);

/* A SAS key pair from a chosen private key: crypto_sas_new's, and the
 * tests' fixed vectors. */
struct crypto_sas *crypto_sas_from_priv(const uint8_t priv[CRYPTO_KEY_LEN]);

#endif
