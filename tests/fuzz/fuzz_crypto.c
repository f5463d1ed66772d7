/* libFuzzer target: whatever arrives where a Matrix peer's ciphertext,
 * key or JSON goes, the crypto module refuses it with a cause or reads it
 * consistently, and never crashes. The first byte picks the entry point:
 * 0 canonical JSON (whose output must be its own canonical form), 1 the
 * Olm, pre-key and Megolm decoders on raw bytes (every field inside the
 * input), 2 Megolm decryption, 3 Olm decryption and inbound set-up,
 * 4 base64 and pickles, 5 what comes with recovery and verification: a
 * recovery key typed, secret storage and key backup ciphertexts, and SAS
 * keys, start contents and MACs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "../../src/crypto/crypto-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	check(p >= data && n <= size && p + n <= data + size);
}

static void
fuzz_json(const uint8_t *data, size_t size)
{
	char *cause = NULL, *out = crypto_canonical_json((const char *)data, size, &cause), *again;

	if (out == NULL) {
		check(cause != NULL);
		free(cause);
		cause = NULL;
	} else {
		again = crypto_canonical_json(out, strlen(out), &cause);
		check(again != NULL && strcmp(again, out) == 0);
		free(again);
		free(out);
	}
	out = crypto_signable_json((const char *)data, size, &cause);
	free(out);
	free(cause);
}

static void
fuzz_decoders(const uint8_t *data, size_t size)
{
	struct crypto_olm_msg m;
	struct crypto_prekey_msg pm;
	struct crypto_megolm_msg g;

	if (size == 0)
		return;
	if (crypto_olm_msg_decode(data, size, &m) == 0) {
		check_inside(m.ratchet_key, CRYPTO_KEY_LEN, data, size);
		check_inside(m.cipher, m.cipher_len, data, size);
		check(m.mac == data + m.signed_len && m.signed_len + CRYPTO_MAC_LEN == size);
	}
	if (crypto_prekey_msg_decode(data, size, &pm) == 0) {
		check_inside(pm.otk, CRYPTO_KEY_LEN, data, size);
		check_inside(pm.base_key, CRYPTO_KEY_LEN, data, size);
		check_inside(pm.identity, CRYPTO_KEY_LEN, data, size);
		check_inside(pm.inner, pm.inner_len, data, size);
	}
	if (crypto_megolm_msg_decode(data, size, &g) == 0) {
		check_inside(g.cipher, g.cipher_len, data, size);
		check(g.sig_len + CRYPTO_SIG_LEN == size && g.mac_len + CRYPTO_MAC_LEN == g.sig_len);
	}
}

/* Sessions made once: a Megolm reader, an account with a one-time key,
 * and an Olm session with it. */
struct fuzz_state {
	struct crypto_megolm_in *megolm;
	struct crypto_account *acct;
	struct crypto_olm *olm;
};

static struct fuzz_state *
fuzz_state(void)
{
	static struct fuzz_state st;
	struct crypto_megolm_out *out;
	struct crypto_account *peer;
	struct crypto_otk *otks;
	char *key, *cause = NULL;

	if (st.acct != NULL)
		return &st;
	out = crypto_megolm_out_new();
	key = crypto_megolm_out_key(out);
	st.megolm = crypto_megolm_in_new(key, &cause);
	free(key);
	crypto_megolm_out_free(&out);
	st.acct = crypto_account_new();
	peer = crypto_account_new();
	crypto_account_generate_otks(st.acct, 1);
	crypto_account_unpublished_otks(st.acct, &otks);
	st.olm = crypto_olm_outbound(peer, crypto_account_curve25519(st.acct), otks[0].key, &cause);
	crypto_otks_free(&otks, 1);
	crypto_account_free(&peer);
	check(st.megolm != NULL && st.olm != NULL);
	return &st;
}

static void
fuzz_megolm(const uint8_t *data, size_t size)
{
	char *body = crypto_b64_encode(data, size), *cause = NULL;
	struct crypto_megolm_in *in;
	uint8_t *plain = NULL;
	size_t len;
	uint32_t index;

	check(crypto_megolm_decrypt(fuzz_state()->megolm, body, &plain, &len, &index, &cause) ==
	    -1 && cause != NULL);
	free(cause);
	cause = NULL;
	in = crypto_megolm_in_new(body, &cause);
	crypto_megolm_in_free(&in);
	free(cause);
	free(body);
}

static void
fuzz_olm(const uint8_t *data, size_t size)
{
	struct fuzz_state *st = fuzz_state();
	char *body = crypto_b64_encode(data, size), *cause = NULL;
	struct crypto_olm *s;
	uint8_t *plain;
	size_t len;

	check(crypto_olm_decrypt(st->olm, size % 2, body, &plain, &len, &cause) == -1);
	free(cause);
	cause = NULL;
	s = crypto_olm_inbound(st->acct, crypto_account_curve25519(st->acct), body, &cause);
	check(s == NULL && cause != NULL);
	free(cause);
	crypto_olm_matches(st->olm, crypto_account_curve25519(st->acct), body);
	free(body);
}

static void
fuzz_text(const uint8_t *data, size_t size)
{
	static const uint8_t key[CRYPTO_PICKLE_KEY_LEN];
	char *s = xstrndup((const char *)data, size), *cause = NULL;
	struct crypto_megolm_in *in;
	uint8_t *out;
	size_t n;

	if (crypto_b64_decode(s, &out, &n, &cause) == 0)
		free(out);
	free(cause);
	cause = NULL;
	check(crypto_account_unpickle(s, key, &cause) == NULL);
	free(cause);
	cause = NULL;
	in = crypto_megolm_in_import(s, &cause);
	crypto_megolm_in_free(&in);
	free(cause);
	free(s);
}

/* Splits s at its first two newlines into three parts (the rest empty). */
static void
split3(char *s, char *part[3])
{
	for (int i = 0; i < 3; i++) {
		part[i] = s;
		if ((s = strchr(s, '\n')) != NULL)
			*s++ = '\0';
		else
			s = part[i] + strlen(part[i]);
	}
}

static void
fuzz_secrets(const uint8_t *data, size_t size)
{
	static const uint8_t key[CRYPTO_SECRET_KEY_LEN] = {7, 7, 7};
	uint8_t got[CRYPTO_SECRET_KEY_LEN], again[CRYPTO_SECRET_KEY_LEN];
	char *s = xmalloc(size + 1), *copy, *part[3], *cause = NULL, *out = NULL, *text;
	struct crypto_ssss_box box;
	struct crypto_backup_box bbox;
	struct crypto_sas *sas = crypto_sas_new();
	size_t n;

	memcpy(s, data, size);
	s[size] = '\0';
	if (crypto_recovery_decode(s, got, &cause) == 0) {
		text = crypto_recovery_encode(got);
		check(crypto_recovery_decode(text, again, NULL) == 0 &&
		    memcmp(got, again, sizeof got) == 0);
		free(text);
	} else
		check(cause != NULL);
	xfree(&cause);
	copy = xstrdup(s);
	split3(copy, part);
	box = (struct crypto_ssss_box){part[0], part[1], part[2]};
	if (crypto_ssss_decrypt(key, "m.cross_signing.master", &box, &out, &cause) == 0)
		free(out);
	xfree(&cause);
	bbox = (struct crypto_backup_box){part[0], part[1], part[2]};
	if (crypto_backup_decrypt(key, &bbox, &out, &n, &cause) == 0)
		free(out);
	xfree(&cause);
	check(crypto_ssss_check_matches(key, part[0], part[1], &cause) != 1);
	xfree(&cause);
	if (crypto_sas_set_their_key(sas, part[0], &cause) == 0)
		check(crypto_sas_mac_check(sas, part[1], "info", part[2], &cause) != 1);
	xfree(&cause);
	out = crypto_sas_commitment(crypto_sas_public(sas), s, size, &cause);
	free(out);
	free(cause);
	crypto_sas_free(&sas);
	free(copy);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0:
		fuzz_json(data + 1, size - 1);
		break;
	case 1:
		fuzz_decoders(data + 1, size - 1);
		break;
	case 2:
		fuzz_megolm(data + 1, size - 1);
		break;
	case 3:
		fuzz_olm(data + 1, size - 1);
		break;
	case 4:
		fuzz_text(data + 1, size - 1);
		break;
	default:
		fuzz_secrets(data + 1, size - 1);
	}
	return 0;
}
