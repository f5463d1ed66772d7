/* Room-key backup, m.megolm_backup.v1.curve25519-aes-sha2 (libolm's "pk"
 * encryption). Each room key is encrypted for the backup's public key:
 *
 *   shared = X25519(a new ephemeral key, the backup's public key)
 *   HKDF-SHA256(ikm shared, salt zero, info "") -> AES key | MAC key | IV
 *   ciphertext = AES-256-CBC with PKCS#7 (the room key's JSON)
 *   mac = HMAC-SHA256(MAC key, "") cut to 8 bytes
 *
 * The MAC was meant to cover the ciphertext; libolm passed it an empty
 * buffer, and every client since has done the same (the spec now says so).
 * It still tells a wrong private key, but not a changed ciphertext. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

char *
crypto_backup_public(const uint8_t priv[CRYPTO_SECRET_KEY_LEN])
{
	struct crypto_x25519 kp;
	char *pub;

	if (crypto_x25519_from_priv(&kp, priv) != 0)
		crypto_fail("X25519 public key");
	pub = crypto_b64_encode(kp.pub, sizeof kp.pub);
	OPENSSL_cleanse(&kp, sizeof kp);
	return pub;
}

void
crypto_backup_box_clear(struct crypto_backup_box *b)
{
	xfree(&b->ephemeral);
	xfree(&b->ciphertext);
	xfree(&b->mac);
}

/* The keys of a shared secret, and the MAC they give (of nothing). */
static void
backup_keys(const uint8_t shared[CRYPTO_KEY_LEN], struct crypto_msg_keys *k,
    uint8_t mac[CRYPTO_SHA256_LEN])
{
	crypto_derive_msg_keys(shared, CRYPTO_KEY_LEN, "", k);
	crypto_hmac_sha256(k->mac, sizeof k->mac, (const uint8_t *)"", 0, mac);
}

int
crypto_backup_encrypt(const char *public_key, const char *plain, size_t len,
    struct crypto_backup_box *out, char **cause)
{
	uint8_t pub[CRYPTO_KEY_LEN], shared[CRYPTO_KEY_LEN], mac[CRYPTO_SHA256_LEN], *cipher;
	struct crypto_x25519 eph;
	struct crypto_msg_keys k;
	size_t n;
	int ok;

	out->ephemeral = out->ciphertext = out->mac = NULL;
	if (public_key == NULL ||
	    crypto_b64_decode_into(public_key, 0, pub, sizeof pub, NULL) != 0)
		return cause_set(cause, "the backup's public key is not %d bytes of base64",
		    CRYPTO_KEY_LEN);
	crypto_x25519_generate(&eph);
	ok = crypto_x25519_derive(&eph, pub, shared) == 0;
	if (ok) {
		backup_keys(shared, &k, mac);
		cipher = crypto_aes_cbc_encrypt(&k, (const uint8_t *)plain, len, &n);
		out->ephemeral = crypto_b64_encode(eph.pub, sizeof eph.pub);
		out->ciphertext = crypto_b64_encode(cipher, n);
		out->mac = crypto_b64_encode(mac, CRYPTO_MAC_LEN);
		free(cipher);
		OPENSSL_cleanse(&k, sizeof k);
	}
	OPENSSL_cleanse(&eph, sizeof eph);
	OPENSSL_cleanse(shared, sizeof shared);
	if (!ok)
		return cause_set(cause, "the backup's public key is not usable (not a point of "
		    "Curve25519 that a key can be agreed with)");
	return 0;
}

int
crypto_backup_decrypt(const uint8_t priv[CRYPTO_SECRET_KEY_LEN],
    const struct crypto_backup_box *in, char **plain, size_t *len, char **cause)
{
	uint8_t eph[CRYPTO_KEY_LEN], shared[CRYPTO_KEY_LEN], mac[CRYPTO_MAC_LEN];
	uint8_t want[CRYPTO_SHA256_LEN], *cipher = NULL, *out;
	struct crypto_x25519 me;
	struct crypto_msg_keys k;
	size_t n = 0, out_len = 0;
	int agreed;

	*plain = NULL;
	*len = 0;
	if (in->ephemeral == NULL ||
	    crypto_b64_decode_into(in->ephemeral, 0, eph, sizeof eph, NULL) != 0)
		return cause_set(cause, "the backed-up room key is damaged (its ephemeral key is "
		    "not %d bytes of base64)", CRYPTO_KEY_LEN);
	if (in->mac == NULL || crypto_b64_decode_into(in->mac, 0, mac, sizeof mac, NULL) != 0)
		return cause_set(cause, "the backed-up room key is damaged (its mac is not %d "
		    "bytes of base64)", CRYPTO_MAC_LEN);
	if (in->ciphertext == NULL || crypto_b64_decode(in->ciphertext, &cipher, &n, NULL) != 0)
		return cause_set(cause, "the backed-up room key is damaged (its ciphertext is not "
		    "base64)");
	/* The agreement needs the private half alone: no public key made. */
	memcpy(me.priv, priv, CRYPTO_KEY_LEN);
	agreed = crypto_x25519_derive(&me, eph, shared) == 0;
	OPENSSL_cleanse(&me, sizeof me);
	if (!agreed) {
		free(cipher);
		return cause_set(cause, "the backed-up room key is damaged (its ephemeral key is "
		    "not usable)");
	}
	backup_keys(shared, &k, want);
	OPENSSL_cleanse(shared, sizeof shared);
	if (CRYPTO_memcmp(want, mac, sizeof mac) != 0) {
		OPENSSL_cleanse(&k, sizeof k);
		free(cipher);
		return cause_set(cause, "the backup key does not open this room key (its MAC does "
		    "not hold): the key is wrong, or is another backup's");
	}
	out = crypto_aes_cbc_decrypt(&k, cipher, n, &out_len);
	OPENSSL_cleanse(&k, sizeof k);
	free(cipher);
	if (out == NULL)
		return cause_set(cause, "the backed-up room key does not decrypt (it was changed "
		    "on the server, or is damaged)");
	/* out has a block more than the ciphertext, and padding takes at least a byte. */
	out[out_len] = '\0';
	if (memchr(out, '\0', out_len) != NULL) {
		crypto_free_secret(out, out_len);
		return cause_set(cause, "the backed-up room key is damaged (it holds a NUL byte)");
	}
	*plain = (char *)out;
	*len = out_len;
	return 0;
}
