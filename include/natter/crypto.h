/* crypto: Olm and Megolm (the Matrix spec's m.olm.v1.curve25519-aes-sha2
 * and m.megolm.v1.aes-sha2), encrypted attachments, room-key files, secret
 * storage, cross-signing keys, key backup and canonical JSON,
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

/* SAS verification (the spec's m.sas.v1) with key agreement
 * curve25519-hkdf-sha256 and MAC method hkdf-hmac-sha256.v2, the methods
 * to offer and accept; the deprecated curve25519 and hkdf-hmac-sha256 are
 * not implemented. One side's ephemeral Curve25519 key pair for one
 * verification, and once the other side's key is set, the shared secret
 * and what is derived from it: the short authentication string's bytes
 * and the MACs of keys. */
struct crypto_sas;

struct crypto_sas *crypto_sas_new(void);
void crypto_sas_free(struct crypto_sas **s);
/* This side's public key, unpadded base64, for m.key.verification.key. */
const char *crypto_sas_public(const struct crypto_sas *s);
/* Agrees the shared secret with the other side's public key (base64, from
 * its m.key.verification.key); once only. */
int crypto_sas_set_their_key(struct crypto_sas *s, const char *their_key, char **cause);

/* The commitment of m.key.verification.accept: unpadded base64 of the
 * SHA-256 of the accepting side's public key (base64) followed by the
 * canonical JSON of the m.key.verification.start content. start_content
 * (len bytes) is any JSON text of that content: it is made canonical here.
 * NULL with a cause when it cannot be. The starter computes it again when
 * the accepter's key arrives and compares the two as strings. */
char *crypto_sas_commitment(const char *public_key, const char *start_content, size_t len,
    char **cause);

/* One side of a verification: its user id, device id and SAS public key
 * (base64, as its m.key.verification.key sent it); none NULL. */
struct crypto_sas_side {
	const char *user_id;
	const char *device_id;
	const char *key;
};
/* The info of the SAS bytes, the same on both sides: starter is the side
 * that sent m.key.verification.start, accepter the one that sent
 * m.key.verification.accept. "MATRIX_KEY_VERIFICATION_SAS|" then the
 * starter's user id, device id and key, the accepter's, and the
 * transaction id, each but the last followed by '|'. */
char *crypto_sas_info(const struct crypto_sas_side *starter,
    const struct crypto_sas_side *accepter, const char *transaction_id);
/* The info of a MAC that from sends to to: "MATRIX_KEY_VERIFICATION_MAC"
 * then from's user id and device id, to's, the transaction id and key_id
 * (a key's id, "ed25519:DEVICEID", or "KEY_IDS" for the MAC of the key
 * list), with no separators. The sides' keys are not part of it. The
 * receiver builds the same info with from and to as the sender had them. */
char *crypto_sas_mac_info(const struct crypto_sas_side *from, const struct crypto_sas_side *to,
    const char *transaction_id, const char *key_id);
/* The input of the KEY_IDS MAC: the n key ids sorted (byte order) and
 * joined by commas, without white space. */
char *crypto_sas_key_list(const char *const *key_ids, size_t n);

/* The SAS bytes: HKDF of the shared secret under info (crypto_sas_info);
 * -1 with a cause before their key is set. The emoji method uses all 6,
 * the decimal method the first 5. */
#define CRYPTO_SAS_BYTES 6
#define CRYPTO_SAS_EMOJI 7		/* emoji to show, indexes 0..63 */
#define CRYPTO_SAS_DECIMAL 3		/* numbers to show, 1000..9191 */
int crypto_sas_bytes(const struct crypto_sas *s, const char *info,
    uint8_t out[CRYPTO_SAS_BYTES], char **cause);
void crypto_sas_emoji(const uint8_t bytes[CRYPTO_SAS_BYTES], int idx[CRYPTO_SAS_EMOJI]);
void crypto_sas_decimal(const uint8_t bytes[CRYPTO_SAS_BYTES], int num[CRYPTO_SAS_DECIMAL]);
/* The spec's emoji table: emoji idx as UTF-8 (some with U+FE0F after
 * them) and its English name ("Dog"); NULL outside 0..63. */
const char *crypto_sas_emoji_char(int idx);
const char *crypto_sas_emoji_name(int idx);

/* hkdf-hmac-sha256.v2: the MAC of input (a key as base64, or the key
 * list) under info (crypto_sas_mac_info), unpadded base64; NULL with a
 * cause before their key is set. */
char *crypto_sas_mac(const struct crypto_sas *s, const char *input, const char *info,
    char **cause);
/* 1 when mac (base64, as received) is input's MAC under info, 0 when it
 * is not (compared in constant time); -1 with a cause when mac is not 32
 * bytes of base64 or their key is not set. */
int crypto_sas_mac_check(const struct crypto_sas *s, const char *input, const char *info,
    const char *mac, char **cause);


/* Recovery: the secret-storage key and its recovery key, secrets kept in
 * account data under it (the cross-signing seeds, the backup key), the
 * cross-signing key pairs, and the room-key backup's encryption. */
/* Bytes of a secret-storage key, a backup key, a cross-signing seed. */
#define CRYPTO_SECRET_KEY_LEN 32

/* The recovery key Element shows (the spec's cryptographic key
 * representation): base58, Bitcoin's alphabet, of 0x8B 0x01, the 32-byte
 * key and a parity byte (the XOR of all bytes before it), in groups of 4
 * characters separated by spaces. Decoding ignores white space anywhere;
 * a wrong alphabet, length or prefix is "not a recovery key: ...", a
 * parity byte that does not match is a typo. */
char *crypto_recovery_encode(const uint8_t key[CRYPTO_SECRET_KEY_LEN]);
int crypto_recovery_decode(const char *text, uint8_t key[CRYPTO_SECRET_KEY_LEN], char **cause);

/* A secret-storage key from a passphrase (m.pbkdf2): PBKDF2-HMAC-SHA512
 * of the passphrase with salt (a string, used as is), iterations times,
 * bits/8 bytes (bits 0, for absent, is 256). Refuses iterations outside
 * 1 to CRYPTO_SSSS_ITERATIONS_MAX (minutes of work) and bits other than 256. */
#define CRYPTO_SSSS_ITERATIONS_MAX 10000000
int crypto_ssss_from_passphrase(const char *passphrase, const char *salt, uint32_t iterations,
    uint32_t bits, uint8_t key[CRYPTO_SECRET_KEY_LEN], char **cause);

/* m.secret_storage.v1.aes-hmac-sha2: a secret encrypted under a storage
 * key for the secret's name (as "m.cross_signing.master").
 * HKDF-SHA256(key, a zero salt, info name) gives an AES-256-CTR key and
 * an HMAC-SHA256 key; the IV is random with bit 63 clear; the MAC is over
 * the ciphertext. All three are written in padded base64, as Element
 * writes them (the spec allows either); both spellings are read. */
struct crypto_ssss_box {
	char *iv;
	char *ciphertext;
	char *mac;
};
void crypto_ssss_box_clear(struct crypto_ssss_box *b);
void crypto_ssss_encrypt(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *name,
    const char *secret, struct crypto_ssss_box *out);
/* *secret NUL-terminated (a secret holding a NUL byte is refused); a MAC
 * that does not hold is "the secret NAME does not open with this key". */
int crypto_ssss_decrypt(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *name,
    const struct crypto_ssss_box *in, char **secret, char **cause);
/* The key's check in m.secret_storage.key.ID: the MAC of 32 zero bytes
 * encrypted under name "" (the ciphertext is not kept). _check makes a
 * fresh one (a new IV); _check_matches is 1 when key fits (iv, mac), 0
 * when it does not, -1 with a cause when iv or mac is malformed. */
void crypto_ssss_check(const uint8_t key[CRYPTO_SECRET_KEY_LEN], char **iv, char **mac);
int crypto_ssss_check_matches(const uint8_t key[CRYPTO_SECRET_KEY_LEN], const char *iv,
    const char *mac, char **cause);

/* Cross-signing keys (master, self-signing, user-signing): Ed25519 key
 * pairs whose private part, in secret storage, is the unpadded base64 of
 * the 32-byte seed. */
void crypto_cross_new(char **seed, char **pub);		/* a new pair, both base64 */
char *crypto_cross_public(const char *seed, char **cause);	/* the public key of a seed */
/* The Ed25519 signature of msg, base64. */
char *crypto_cross_sign(const char *seed, const uint8_t *msg, size_t len, char **cause);

/* m.megolm_backup.v1.curve25519-aes-sha2: the backup's private key is a
 * Curve25519 private key (in secret storage, the unpadded base64 of its
 * 32 bytes); auth_data.public_key is its public key, base64. Each room key
 * is encrypted for the public key: X25519 of an ephemeral key with it,
 * HKDF-SHA256(zero salt, info "") to 80 bytes (AES key, MAC key, IV),
 * AES-256-CBC with PKCS#7 of the plain JSON, and as MAC the first 8 bytes
 * of HMAC-SHA256 of the empty string (libolm's bug, kept by every client
 * and now the spec's). All three unpadded base64. */
char *crypto_backup_public(const uint8_t priv[CRYPTO_SECRET_KEY_LEN]);
struct crypto_backup_box {
	char *ephemeral;
	char *ciphertext;
	char *mac;
};
void crypto_backup_box_clear(struct crypto_backup_box *b);
int crypto_backup_encrypt(const char *public_key, const char *plain, size_t len,
    struct crypto_backup_box *out, char **cause);
/* *plain NUL-terminated. The MAC shows a wrong key but covers none of the
 * data: a change to the ciphertext shows as bad padding, or else only as
 * plain text that is not the JSON it should be, which the caller's parse
 * must catch. */
int crypto_backup_decrypt(const uint8_t priv[CRYPTO_SECRET_KEY_LEN],
    const struct crypto_backup_box *in, char **plain, size_t *len, char **cause);

#endif
