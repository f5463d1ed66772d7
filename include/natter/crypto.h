/* crypto: Olm and Megolm (the Matrix spec's m.olm.v1.curve25519-aes-sha2
 * and m.megolm.v1.aes-sha2), encrypted attachments and canonical JSON,
 * on OpenSSL 3's libcrypto for every primitive. Pure functions and
 * objects in memory: no network, no SQL, no files. Secrets are wiped with
 * OPENSSL_cleanse when freed; MACs are compared with CRYPTO_memcmp.
 *
 * Keys and signatures cross this API as unpadded base64, as Matrix
 * writes them. Errors return -1/NULL with a cause a person can act on;
 * out-of-memory aborts. */
#ifndef NATTER_CRYPTO_H
#define NATTER_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_B64 43		/* chars of a 32-byte key in base64 */
#define CRYPTO_PICKLE_KEY_LEN 32	/* bytes of the key that seals pickles */

/* Base64 without padding (decoding also accepts padding). */
char *crypto_b64_encode(const uint8_t *data, size_t len);
int crypto_b64_decode(const char *s, uint8_t **out, size_t *len, char **cause);

/* Random bytes from the OS (OpenSSL's RAND_bytes); aborts if it fails. */
void crypto_random(uint8_t *out, size_t len);

/* The spec's canonical JSON of a JSON text: object keys sorted by code
 * point, no insignificant white space, UTF-8, integers only within
 * [-(2^53)+1, 2^53-1]; NULL with a cause for anything else (floats, a
 * duplicate key, bad UTF-8). */
char *crypto_canonical_json(const char *json, size_t len, char **cause);
/* The JSON text of an object to sign: json without its "signatures" and
 * "unsigned" members, canonical. */
char *crypto_signable_json(const char *json, size_t len, char **cause);

/* 1 when sig (base64) is key's (an Ed25519 public key, base64) signature
 * of msg; 0 when it is not; -1 with a cause when key or sig is malformed. */
int crypto_ed25519_verify(const char *key, const uint8_t *msg, size_t len, const char *sig,
    char **cause);

/* The account: this device's Curve25519 and Ed25519 identity keys, its
 * one-time keys and fallback key. */
struct crypto_account;

struct crypto_account *crypto_account_new(void);
void crypto_account_free(struct crypto_account **acct);
const char *crypto_account_curve25519(const struct crypto_account *acct);
const char *crypto_account_ed25519(const struct crypto_account *acct);
/* The Ed25519 signature of msg, base64. */
char *crypto_account_sign(const struct crypto_account *acct, const uint8_t *msg, size_t len);

/* A one-time or fallback key: its id (as in "signed_curve25519:ID") and
 * its public Curve25519 key, both base64. */
struct crypto_otk {
	char *id;
	char *key;
};
void crypto_otks_free(struct crypto_otk **otks, size_t n);
/* Makes n new one-time keys (kept until used or the account holds more
 * than CRYPTO_OTK_MAX: the oldest go first). */
#define CRYPTO_OTK_MAX 100
void crypto_account_generate_otks(struct crypto_account *acct, size_t n);
/* The one-time keys not yet marked published. */
size_t crypto_account_unpublished_otks(const struct crypto_account *acct,
    struct crypto_otk **otks);
/* A new fallback key (the previous one stays usable until the next call). */
void crypto_account_generate_fallback(struct crypto_account *acct);
/* The fallback key not yet marked published: 1 and *otk filled, or 0. */
int crypto_account_unpublished_fallback(const struct crypto_account *acct,
    struct crypto_otk *otk);
void crypto_account_mark_published(struct crypto_account *acct);

/* Olm: a pairwise session with one device, for to-device messages. */
struct crypto_olm;

#define CRYPTO_OLM_PREKEY 0	/* the message type of a pre-key message */
#define CRYPTO_OLM_NORMAL 1

/* A new outbound session to a device: its identity key and a one-time
 * (or fallback) key claimed from the server, both Curve25519, base64. */
struct crypto_olm *crypto_olm_outbound(const struct crypto_account *acct,
    const char *their_identity, const char *their_otk, char **cause);
/* A new inbound session from a pre-key message (body base64) sent by
 * their_identity; the one-time key it used is removed from the account
 * (a fallback key stays). */
struct crypto_olm *crypto_olm_inbound(struct crypto_account *acct, const char *their_identity,
    const char *body, char **cause);
/* 1 when a pre-key message (body) belongs to this session. */
int crypto_olm_matches(const struct crypto_olm *s, const char *their_identity,
    const char *body);
void crypto_olm_free(struct crypto_olm **s);
/* The session id, base64: the same on both sides. */
const char *crypto_olm_id(const struct crypto_olm *s);
/* Encrypts plain; *type is CRYPTO_OLM_PREKEY until the other side has
 * answered, then CRYPTO_OLM_NORMAL; *body is base64. */
int crypto_olm_encrypt(struct crypto_olm *s, const uint8_t *plain, size_t len, int *type,
    char **body);
/* Decrypts a message of this session; fails (nothing changed) when its
 * MAC does not hold or it cannot be read. *plain is NUL-terminated. */
int crypto_olm_decrypt(struct crypto_olm *s, int type, const char *body, uint8_t **plain,
    size_t *len, char **cause);

/* The spec's checks on a decrypted Olm payload (plain, len), before any
 * of it is believed: its sender is the to-device event's, its recipient
 * and recipient_keys.ed25519 are this user and acct, and keys.ed25519 is
 * the sending device's Ed25519 key (device_ed25519 when known from
 * /keys/query). A sender_device_keys object in it must belong to sender,
 * carry sender_key and that Ed25519 key, and be signed by it; without
 * either source of the device's keys the payload is refused. 0, and
 * *ed25519 (when not NULL) the device's Ed25519 key; or -1 with a cause. */
struct crypto_olm_origin {
	const char *sender;		/* the to-device event's sender */
	const char *sender_key;		/* its cleartext sender_key (Curve25519) */
	const char *device_ed25519;	/* from /keys/query, or NULL if not known */
	const char *self;		/* this user's id */
};
int crypto_olm_payload_check(const struct crypto_account *acct, const char *plain, size_t len,
    const struct crypto_olm_origin *o, char **ed25519, char **cause);

/* Megolm: a room's group session. The outbound side encrypts; every
 * reader holds an inbound copy, made from the outbound session's key. */
struct crypto_megolm_out;
struct crypto_megolm_in;

struct crypto_megolm_out *crypto_megolm_out_new(void);
void crypto_megolm_out_free(struct crypto_megolm_out **s);
const char *crypto_megolm_out_id(const struct crypto_megolm_out *s);
uint32_t crypto_megolm_out_index(const struct crypto_megolm_out *s);
/* The session key to share in m.room_key (at the current index), base64. */
char *crypto_megolm_out_key(const struct crypto_megolm_out *s);
/* Encrypts plain (the event JSON) and advances the ratchet; body base64. */
char *crypto_megolm_encrypt(struct crypto_megolm_out *s, const uint8_t *plain, size_t len);

/* An inbound session from an m.room_key session key (signed by the
 * sender's Ed25519 key inside it), or from an exported key (a forwarded
 * key or one from a backup or a key file: no signature). */
struct crypto_megolm_in *crypto_megolm_in_new(const char *session_key, char **cause);
struct crypto_megolm_in *crypto_megolm_in_import(const char *exported, char **cause);
void crypto_megolm_in_free(struct crypto_megolm_in **s);
const char *crypto_megolm_in_id(const struct crypto_megolm_in *s);
uint32_t crypto_megolm_in_first_index(const struct crypto_megolm_in *s);
/* The key at index (>= the first known), for forwarding or backup. */
char *crypto_megolm_in_export(const struct crypto_megolm_in *s, uint32_t index, char **cause);
/* Decrypts body (base64): *plain NUL-terminated, *index the message's
 * index. -1 when the signature or MAC does not hold; -2 (with *index)
 * when the message is older than the first index this copy of the session
 * knows: a copy that reaches further back can read it. Replays (the same
 * index for another event) are the caller's to refuse: it keeps the event
 * id of each index. */
int crypto_megolm_decrypt(struct crypto_megolm_in *s, const char *body, uint8_t **plain,
    size_t *len, uint32_t *index, char **cause);

/* Pickles: an object serialised and sealed (authenticated encryption)
 * with a 32-byte key, for the store; NULL with a cause when the key is
 * wrong or the pickle damaged. Each pickle says its own kind and version. */
char *crypto_account_pickle(const struct crypto_account *acct,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN]);
struct crypto_account *crypto_account_unpickle(const char *pickle,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN], char **cause);
char *crypto_olm_pickle(const struct crypto_olm *s, const uint8_t key[CRYPTO_PICKLE_KEY_LEN]);
struct crypto_olm *crypto_olm_unpickle(const char *pickle,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN], char **cause);
char *crypto_megolm_out_pickle(const struct crypto_megolm_out *s,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN]);
struct crypto_megolm_out *crypto_megolm_out_unpickle(const char *pickle,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN], char **cause);
char *crypto_megolm_in_pickle(const struct crypto_megolm_in *s,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN]);
struct crypto_megolm_in *crypto_megolm_in_unpickle(const char *pickle,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN], char **cause);

/* Secrets of the account (cross-signing keys, the backup key: text)
 * sealed under their name for the store, and opened; opening refuses a
 * secret sealed under another name. */
char *crypto_secret_seal(const char *name, const char *secret,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN]);
char *crypto_secret_open(const char *sealed, const char *name,
    const uint8_t key[CRYPTO_PICKLE_KEY_LEN], char **cause);

/* Encrypted attachments (the spec's v2 EncryptedFile): AES-256-CTR with a
 * random key and IV, and the SHA-256 of the ciphertext. */
struct crypto_file {
	char *key;		/* JWK "k": 32 bytes, base64url */
	char *iv;		/* 16 bytes (the low 8 zero), base64 */
	char *sha256;		/* of the ciphertext, base64 */
};
void crypto_file_clear(struct crypto_file *f);
/* Encrypts the file at in_fd into out_fd and fills f. */
int crypto_file_encrypt(int in_fd, int out_fd, struct crypto_file *f, char **cause);
/* Checks the ciphertext at in_fd against f's hash, then decrypts it into
 * out_fd; nothing is written when the hash does not hold. in_fd is read
 * twice, so it must be a file (seekable), not a pipe. */
int crypto_file_decrypt(int in_fd, int out_fd, const struct crypto_file *f, char **cause);

/* Room-key files in the format Element uses (passphrase, PBKDF2-HMAC-SHA512,
 * AES-256-CTR, HMAC-SHA256; the spec's key export): the armoured text of
 * plain under passphrase, and back. Opening refuses a file that asks for
 * more than CRYPTO_KEYFILE_ROUNDS_MAX rounds (minutes of work); a wrong
 * passphrase and a changed file are one error. plain gets a NUL after it. */
#define CRYPTO_KEYFILE_ROUNDS 500000	/* as Element writes */
#define CRYPTO_KEYFILE_ROUNDS_MAX 10000000
char *crypto_keyfile_seal(const uint8_t *plain, size_t len, const char *passphrase,
    uint32_t rounds);
int crypto_keyfile_open(const char *text, size_t len, const char *passphrase, uint8_t **plain,
    size_t *plain_len, char **cause);


#endif
