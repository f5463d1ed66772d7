/* natter's Olm and Megolm against a second implementation, Debian's
 * libolm (linked by this test only; natter never links it): each side
 * reads what the other wrote, in both directions, through ratchets, out
 * of order, and across the Megolm reseeds at 2^8 and 2^16. So too the
 * key backup (libolm's pk encryption) and cross-signing keys (pk signing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <olm/inbound_group_session.h>
#include <olm/olm.h>
#include <olm/outbound_group_session.h>
#include <olm/pk.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "../../src/crypto/crypto-private.h"

static const uint8_t pickle_key[CRYPTO_PICKLE_KEY_LEN] = "libolm cross-check pickle key..";

static uint8_t *
random_buf(size_t n)
{
	uint8_t *r = xmalloc(n);

	crypto_random(r, n);
	return r;
}

/* A copy of s for libolm, which decodes its inputs in place. */
static char *
dup_buf(const char *s)
{
	return xstrdup(s);
}

static void
check_olm(size_t rc, const char *err)
{
	if (rc == olm_error())
		fail_msg("libolm: %s", err);
}

/* A libolm account with its identity keys and one-time keys. */
struct lo_account {
	OlmAccount *acct;
	char curve25519[64];
	char ed25519[64];
};

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void
lo_account_new(struct lo_account *a)
{
	size_t rn;
	uint8_t *r;
	char buf[256];
	cJSON *j;

	a->acct = olm_account(xmalloc(olm_account_size()));
	rn = olm_create_account_random_length(a->acct);
	r = random_buf(rn);
	check_olm(olm_create_account(a->acct, r, rn), olm_account_last_error(a->acct));
	free(r);
	rn = olm_account_identity_keys(a->acct, buf, sizeof buf);
	check_olm(rn, olm_account_last_error(a->acct));
	j = cJSON_ParseWithLength(buf, rn);
	snprintf(a->curve25519, sizeof a->curve25519, "%s", json_str(j, "curve25519"));
	snprintf(a->ed25519, sizeof a->ed25519, "%s", json_str(j, "ed25519"));
	cJSON_Delete(j);
}

/* One new one-time key of a's, base64. */
static char *
lo_account_otk(struct lo_account *a)
{
	size_t rn = olm_account_generate_one_time_keys_random_length(a->acct, 1), n;
	uint8_t *r = random_buf(rn);
	char *buf, *key;
	cJSON *j;

	check_olm(olm_account_generate_one_time_keys(a->acct, 1, r, rn),
	    olm_account_last_error(a->acct));
	free(r);
	n = olm_account_one_time_keys_length(a->acct);
	buf = xmalloc(n);
	n = olm_account_one_time_keys(a->acct, buf, n);
	j = cJSON_ParseWithLength(buf, n);
	key = xstrdup(cJSON_GetObjectItemCaseSensitive(j, "curve25519")->child->valuestring);
	olm_account_mark_keys_as_published(a->acct);
	cJSON_Delete(j);
	free(buf);
	return key;
}

static void
lo_account_free(struct lo_account *a)
{
	olm_clear_account(a->acct);
	free(a->acct);
}

static OlmSession *
lo_session(void)
{
	return olm_session(xmalloc(olm_session_size()));
}

static void
lo_session_free(OlmSession *s)
{
	olm_clear_session(s);
	free(s);
}

static char *
lo_encrypt(OlmSession *s, const char *plain, int *type)
{
	size_t rn = olm_encrypt_random_length(s), n;
	uint8_t *r = random_buf(rn);
	char *msg;

	*type = (int)olm_encrypt_message_type(s);
	n = olm_encrypt_message_length(s, strlen(plain));
	msg = xcalloc(1, n + 1);
	check_olm(olm_encrypt(s, plain, strlen(plain), r, rn, msg, n), olm_session_last_error(s));
	free(r);
	return msg;
}

/* libolm's decryption of body, NUL-terminated, or NULL. */
static char *
lo_decrypt(OlmSession *s, int type, const char *body)
{
	char *copy = dup_buf(body), *plain;
	size_t max = olm_decrypt_max_plaintext_length(s, (size_t)type, copy, strlen(copy)), n;

	free(copy);
	if (max == olm_error())
		return NULL;
	plain = xcalloc(1, max + 1);
	copy = dup_buf(body);
	n = olm_decrypt(s, (size_t)type, copy, strlen(copy), plain, max);
	free(copy);
	if (n == olm_error()) {
		free(plain);
		return NULL;
	}
	plain[n] = '\0';
	return plain;
}

static char *
lo_session_id(OlmSession *s)
{
	size_t n = olm_session_id_length(s);
	char *id = xcalloc(1, n + 1);

	check_olm(olm_session_id(s, id, n), olm_session_last_error(s));
	return id;
}

static void
nt_to_lo(struct crypto_olm *from, OlmSession *to, const char *text)
{
	char *body, *plain;
	int type;

	crypto_olm_encrypt(from, (const uint8_t *)text, strlen(text), &type, &body);
	plain = lo_decrypt(to, type, body);
	if (plain == NULL)
		fail_msg("libolm refused natter's message: %s", olm_session_last_error(to));
	assert_string_equal(plain, text);
	free(plain);
	free(body);
}

static void
lo_to_nt(OlmSession *from, struct crypto_olm *to, const char *text)
{
	char *body, *cause = NULL;
	uint8_t *plain;
	size_t n;
	int type;

	body = lo_encrypt(from, text, &type);
	if (crypto_olm_decrypt(to, type, body, &plain, &n, &cause) != 0)
		fail_msg("natter refused libolm's message: %s", cause);
	assert_string_equal((char *)plain, text);
	free(plain);
	free(body);
}

/* natter sets up the session (Alice); libolm answers (Bob). */
static void
test_olm_natter_to_libolm(void **state)
{
	struct crypto_account *alice = crypto_account_new();
	struct lo_account bob;
	char *otk, *body, *cause = NULL, *plain, *id, *copy;
	struct crypto_olm *a;
	OlmSession *b = lo_session();
	int type;

	lo_account_new(&bob);
	otk = lo_account_otk(&bob);
	a = crypto_olm_outbound(alice, bob.curve25519, otk, &cause);
	assert_non_null(a);
	crypto_olm_encrypt(a, (const uint8_t *)"first", 5, &type, &body);
	assert_int_equal(type, CRYPTO_OLM_PREKEY);
	copy = dup_buf(body);
	check_olm(olm_create_inbound_session_from(b, bob.acct, crypto_account_curve25519(alice),
	    CRYPTO_KEY_B64, copy, strlen(copy)), olm_session_last_error(b));
	free(copy);
	check_olm(olm_remove_one_time_keys(bob.acct, b), olm_account_last_error(bob.acct));
	id = lo_session_id(b);
	assert_string_equal(id, crypto_olm_id(a));
	plain = lo_decrypt(b, type, body);
	assert_non_null(plain);
	assert_string_equal(plain, "first");
	nt_to_lo(a, b, "second, still a pre-key message");
	for (int i = 0; i < 4; i++) {
		lo_to_nt(b, a, "from libolm");
		lo_to_nt(b, a, "from libolm again");
		nt_to_lo(a, b, "from natter");
	}
	free(id);
	free(plain);
	free(body);
	free(otk);
	crypto_olm_free(&a);
	crypto_account_free(&alice);
	lo_session_free(b);
	lo_account_free(&bob);
}

/* libolm sets up the session (Alice); natter answers (Bob). */
static void
test_olm_libolm_to_natter(void **state)
{
	struct crypto_account *bob = crypto_account_new();
	struct lo_account alice;
	struct crypto_otk *otks;
	OlmSession *a = lo_session();
	struct crypto_olm *b;
	char *body, *cause = NULL, *id;
	uint8_t *plain, *r;
	size_t n, rn;
	int type;

	lo_account_new(&alice);
	crypto_account_generate_otks(bob, 1);
	crypto_account_unpublished_otks(bob, &otks);
	rn = olm_create_outbound_session_random_length(a);
	r = random_buf(rn);
	check_olm(olm_create_outbound_session(a, alice.acct, crypto_account_curve25519(bob),
	    CRYPTO_KEY_B64, otks[0].key, strlen(otks[0].key), r, rn), olm_session_last_error(a));
	free(r);
	body = lo_encrypt(a, "hello natter", &type);
	assert_int_equal(type, CRYPTO_OLM_PREKEY);
	b = crypto_olm_inbound(bob, alice.curve25519, body, &cause);
	if (b == NULL)
		fail_msg("%s", cause);
	id = lo_session_id(a);
	assert_string_equal(id, crypto_olm_id(b));
	assert_true(crypto_olm_matches(b, alice.curve25519, body));
	assert_int_equal(crypto_olm_decrypt(b, type, body, &plain, &n, &cause), 0);
	assert_string_equal((char *)plain, "hello natter");
	free(plain);
	free(body);
	lo_to_nt(a, b, "another pre-key message");
	for (int i = 0; i < 4; i++) {
		nt_to_lo(b, a, "from natter");
		nt_to_lo(b, a, "from natter again");
		lo_to_nt(a, b, "from libolm");
	}
	free(id);
	crypto_otks_free(&otks, 1);
	crypto_olm_free(&b);
	crypto_account_free(&bob);
	lo_session_free(a);
	lo_account_free(&alice);
}

/* Messages read out of order both ways, across a ratchet step. */
static void
test_olm_out_of_order_both_ways(void **state)
{
	struct crypto_account *alice = crypto_account_new();
	struct lo_account bob;
	char *otk, *body[5], *cause = NULL, *copy, *p;
	struct crypto_olm *a;
	OlmSession *b = lo_session();
	int type[5];
	uint8_t *plain;
	size_t n;

	lo_account_new(&bob);
	otk = lo_account_otk(&bob);
	a = crypto_olm_outbound(alice, bob.curve25519, otk, &cause);
	crypto_olm_encrypt(a, (const uint8_t *)"0", 1, &type[0], &body[0]);
	copy = dup_buf(body[0]);
	check_olm(olm_create_inbound_session_from(b, bob.acct, crypto_account_curve25519(alice),
	    CRYPTO_KEY_B64, copy, strlen(copy)), olm_session_last_error(b));
	free(copy);
	p = lo_decrypt(b, type[0], body[0]);
	free(p);
	free(body[0]);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 5; i++)
			body[i] = lo_encrypt(b, (const char[]){(char)('a' + i), 0}, &type[i]);
		for (int i = 4; i >= 0; i -= 2) {
			assert_int_equal(crypto_olm_decrypt(a, type[i], body[i], &plain, &n, &cause),
			    0);
			assert_int_equal(plain[0], 'a' + i);
			free(plain);
		}
		for (int i = 1; i < 5; i += 2) {
			assert_int_equal(crypto_olm_decrypt(a, type[i], body[i], &plain, &n, &cause),
			    0);
			assert_int_equal(plain[0], 'a' + i);
			free(plain);
		}
		for (int i = 0; i < 5; i++) {
			free(body[i]);
			crypto_olm_encrypt(a, (const uint8_t[]){(uint8_t)('A' + i)}, 1, &type[i],
			    &body[i]);
		}
		for (int i = 4; i >= 0; i--) {
			p = lo_decrypt(b, type[i], body[i]);
			assert_non_null(p);
			assert_int_equal(p[0], 'A' + i);
			free(p);
			free(body[i]);
		}
	}
	free(otk);
	crypto_olm_free(&a);
	crypto_account_free(&alice);
	lo_session_free(b);
	lo_account_free(&bob);
}

/* Signatures: each side verifies the other's, and neither a changed one. */
static void
test_signatures_both_ways(void **state)
{
	struct crypto_account *nt = crypto_account_new();
	struct lo_account lo;
	OlmUtility *u = olm_utility(xmalloc(olm_utility_size()));
	const char *msg = "{\"algorithms\":[\"m.olm.v1.curve25519-aes-sha2\"],\"user_id\":\"@a:b\"}";
	char *sig = crypto_account_sign(nt, (const uint8_t *)msg, strlen(msg)), *copy, *cause = NULL;
	char lsig[128] = {0};

	copy = dup_buf(sig);
	assert_int_not_equal(olm_ed25519_verify(u, crypto_account_ed25519(nt), CRYPTO_KEY_B64, msg,
	    strlen(msg), copy, strlen(copy)), olm_error());
	free(copy);
	copy = dup_buf(sig);
	copy[3] = copy[3] == 'A' ? 'B' : 'A';
	assert_int_equal(olm_ed25519_verify(u, crypto_account_ed25519(nt), CRYPTO_KEY_B64, msg,
	    strlen(msg), copy, strlen(copy)), olm_error());
	free(copy);

	lo_account_new(&lo);
	check_olm(olm_account_sign(lo.acct, msg, strlen(msg), lsig, olm_account_signature_length(
	    lo.acct)), olm_account_last_error(lo.acct));
	assert_int_equal(crypto_ed25519_verify(lo.ed25519, (const uint8_t *)msg, strlen(msg), lsig,
	    &cause), 1);
	assert_int_equal(crypto_ed25519_verify(lo.ed25519, (const uint8_t *)msg, strlen(msg) - 1,
	    lsig, &cause), 0);
	assert_int_equal(crypto_ed25519_verify(crypto_account_ed25519(nt), (const uint8_t *)msg,
	    strlen(msg), lsig, &cause), 0);
	free(sig);
	olm_clear_utility(u);
	free(u);
	crypto_account_free(&nt);
	lo_account_free(&lo);
}

static OlmInboundGroupSession *
lo_group_in(const char *key, int exported)
{
	OlmInboundGroupSession *s = olm_inbound_group_session(
	    xmalloc(olm_inbound_group_session_size()));
	char *copy = dup_buf(key);
	size_t rc = exported ? olm_import_inbound_group_session(s, (uint8_t *)copy, strlen(copy))
			     : olm_init_inbound_group_session(s, (uint8_t *)copy, strlen(copy));

	check_olm(rc, olm_inbound_group_session_last_error(s));
	free(copy);
	return s;
}

static void
lo_group_in_free(OlmInboundGroupSession *s)
{
	olm_clear_inbound_group_session(s);
	free(s);
}

/* libolm's decryption of a Megolm body at the expected index. */
static void
lo_group_reads(OlmInboundGroupSession *s, const char *body, const char *want, uint32_t index)
{
	char *copy = dup_buf(body);
	size_t max = olm_group_decrypt_max_plaintext_length(s, (uint8_t *)copy, strlen(copy)), n;
	uint8_t *plain;
	uint32_t got;

	free(copy);
	check_olm(max, olm_inbound_group_session_last_error(s));
	plain = xcalloc(1, max + 1);
	copy = dup_buf(body);
	n = olm_group_decrypt(s, (uint8_t *)copy, strlen(copy), plain, max, &got);
	check_olm(n, olm_inbound_group_session_last_error(s));
	assert_int_equal(got, index);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(plain, want, n);
	free(copy);
	free(plain);
}

static char *
lo_group_export(OlmInboundGroupSession *s, uint32_t index)
{
	size_t n = olm_export_inbound_group_session_length(s);
	char *out = xcalloc(1, n + 1);

	check_olm(olm_export_inbound_group_session(s, (uint8_t *)out, n, index),
	    olm_inbound_group_session_last_error(s));
	return out;
}

/* An outbound session at index, through a natter pickle. */
static struct crypto_megolm_out *
nt_group_out_at(uint32_t index)
{
	struct crypto_wbuf w = {0};
	struct crypto_megolm_out *s;
	uint8_t secret[128 + 32];
	char *p, *cause = NULL;

	crypto_random(secret, sizeof secret);
	crypto_wbuf_add(&w, secret, 128);
	crypto_wbuf_u32(&w, index);
	crypto_wbuf_add(&w, secret + 128, 32);
	p = crypto_pickle_seal(&w, CRYPTO_PICKLE_MEGOLM_OUT, pickle_key);
	s = crypto_megolm_out_unpickle(p, pickle_key, &cause);
	assert_non_null(s);
	free(p);
	return s;
}

/* natter's outbound session read by libolm: from the session key at
 * index 0, after it advanced, and across the 2^8 and 2^16 reseeds; and
 * the exports of both sides agree byte for byte. */
static void
test_megolm_natter_to_libolm(void **state)
{
	static const uint32_t starts[] = {0, 250, 65530};

	for (size_t i = 0; i < NT_NELEMS(starts); i++) {
		struct crypto_megolm_out *out = nt_group_out_at(starts[i]);
		char *key = crypto_megolm_out_key(out), *cause = NULL, *nt_exp, *lo_exp;
		OlmInboundGroupSession *in = lo_group_in(key, 0);
		struct crypto_megolm_in *mine = crypto_megolm_in_new(key, &cause);
		char id[64] = {0};

		olm_inbound_group_session_id(in, (uint8_t *)id, sizeof id - 1);
		assert_string_equal(id, crypto_megolm_out_id(out));
		assert_int_equal(olm_inbound_group_session_first_known_index(in), starts[i]);
		for (uint32_t k = 0; k < 12; k++) {
			char text[32], *m;

			snprintf(text, sizeof text, "{\"n\":%u}", starts[i] + k);
			m = crypto_megolm_encrypt(out, (const uint8_t *)text, strlen(text));
			if (k % 3 == 0)
				lo_group_reads(in, m, text, starts[i] + k);
			free(m);
		}
		nt_exp = crypto_megolm_in_export(mine, starts[i] + 300, &cause);
		lo_exp = lo_group_export(in, starts[i] + 300);
		assert_string_equal(nt_exp, lo_exp);
		free(nt_exp);
		free(lo_exp);
		free(key);
		lo_group_in_free(in);
		crypto_megolm_in_free(&mine);
		crypto_megolm_out_free(&out);
	}
}

static char *
lo_group_encrypt(OlmOutboundGroupSession *s, const char *text)
{
	size_t n = olm_group_encrypt_message_length(s, strlen(text));
	char *m = xcalloc(1, n + 1);

	check_olm(olm_group_encrypt(s, (const uint8_t *)text, strlen(text), (uint8_t *)m, n),
	    olm_outbound_group_session_last_error(s));
	return m;
}

static void
nt_group_reads(struct crypto_megolm_in *s, const char *body, const char *want, uint32_t index)
{
	char *cause = NULL;
	uint8_t *plain;
	size_t n;
	uint32_t got;

	if (crypto_megolm_decrypt(s, body, &plain, &n, &got, &cause) != 0)
		fail_msg("natter refused libolm's Megolm message %u: %s", index, cause);
	assert_int_equal(got, index);
	assert_string_equal((char *)plain, want);
	free(plain);
}

/* libolm's outbound session read by natter at index 0, then out of order
 * past 2^8 and 2^16; natter's export imports into libolm and decrypts. */
static void
test_megolm_libolm_to_natter(void **state)
{
	OlmOutboundGroupSession *out = olm_outbound_group_session(
	    xmalloc(olm_outbound_group_session_size()));
	size_t rn = olm_init_outbound_group_session_random_length(out);
	uint8_t *r = random_buf(rn);
	char key[512] = {0}, *cause = NULL, *keep[3], *exp;
	static const uint32_t keep_at[] = {257, 65536, 65539};
	struct crypto_megolm_in *in, *imp;
	OlmInboundGroupSession *lo_imp;
	size_t kept = 0;

	check_olm(olm_init_outbound_group_session(out, r, rn),
	    olm_outbound_group_session_last_error(out));
	free(r);
	olm_outbound_group_session_key(out, (uint8_t *)key, sizeof key - 1);
	in = crypto_megolm_in_new(key, &cause);
	assert_non_null(in);
	for (uint32_t i = 0; i <= 65539; i++) {
		char text[32], *m;

		snprintf(text, sizeof text, "m%u", i);
		m = lo_group_encrypt(out, text);
		if (i == 0)
			nt_group_reads(in, m, text, 0);
		if (kept < NT_NELEMS(keep_at) && i == keep_at[kept])
			keep[kept++] = m;
		else
			free(m);
	}
	nt_group_reads(in, keep[2], "m65539", 65539);
	nt_group_reads(in, keep[0], "m257", 257);
	nt_group_reads(in, keep[1], "m65536", 65536);
	exp = crypto_megolm_in_export(in, 257, &cause);
	lo_imp = lo_group_in(exp, 1);
	assert_int_equal(olm_inbound_group_session_first_known_index(lo_imp), 257);
	lo_group_reads(lo_imp, keep[1], "m65536", 65536);
	imp = crypto_megolm_in_import(exp, &cause);
	nt_group_reads(imp, keep[0], "m257", 257);
	for (size_t i = 0; i < NT_NELEMS(keep); i++)
		free(keep[i]);
	free(exp);
	crypto_megolm_in_free(&in);
	crypto_megolm_in_free(&imp);
	lo_group_in_free(lo_imp);
	olm_clear_outbound_group_session(out);
	free(out);
}

/* libolm's export imports into natter, and natter's into libolm, and
 * each then reads the other's messages. */
static void
test_megolm_exports_both_ways(void **state)
{
	struct crypto_megolm_out *out = crypto_megolm_out_new();
	char *key = crypto_megolm_out_key(out), *cause = NULL, *lo_exp, *nt_exp, *m;
	OlmInboundGroupSession *lo = lo_group_in(key, 0), *lo_imp;
	struct crypto_megolm_in *nt_imp, *nt = crypto_megolm_in_new(key, &cause);

	for (int i = 0; i < 5; i++)
		free(crypto_megolm_encrypt(out, (const uint8_t *)"skip", 4));
	lo_exp = lo_group_export(lo, 3);
	nt_imp = crypto_megolm_in_import(lo_exp, &cause);
	assert_non_null(nt_imp);
	assert_int_equal(crypto_megolm_in_first_index(nt_imp), 3);
	nt_exp = crypto_megolm_in_export(nt, 4, &cause);
	lo_imp = lo_group_in(nt_exp, 1);
	m = crypto_megolm_encrypt(out, (const uint8_t *)"five", 4);
	nt_group_reads(nt_imp, m, "five", 5);
	lo_group_reads(lo_imp, m, "five", 5);
	free(m);
	free(lo_exp);
	free(nt_exp);
	free(key);
	lo_group_in_free(lo);
	lo_group_in_free(lo_imp);
	crypto_megolm_in_free(&nt);
	crypto_megolm_in_free(&nt_imp);
	crypto_megolm_out_free(&out);
}

/* A libolm pk decryption of the backup private key priv; *pub its public key. */
static OlmPkDecryption *
lo_backup_key(const uint8_t priv[CRYPTO_SECRET_KEY_LEN], char pub[CRYPTO_KEY_B64 + 1])
{
	OlmPkDecryption *d = olm_pk_decryption(xmalloc(olm_pk_decryption_size()));

	assert_int_equal(olm_pk_private_key_length(), CRYPTO_SECRET_KEY_LEN);
	check_olm(olm_pk_key_from_private(d, pub, olm_pk_key_length(), priv,
	    CRYPTO_SECRET_KEY_LEN), olm_pk_decryption_last_error(d));
	pub[CRYPTO_KEY_B64] = '\0';
	return d;
}

/* Backed-up room keys: natter's public key is libolm's, and each side
 * opens what the other encrypted, at lengths around the AES block. */
static void
test_backup_both_ways(void **state)
{
	static const char json[] = "{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"session_key\":"
	    "\"AQAAAAAAAAA\",\"sender_key\":\"Søren ✓\",\"forwarding_curve25519_key_chain\":[]}";
	uint8_t priv[CRYPTO_SECRET_KEY_LEN];
	char lo_pub[CRYPTO_KEY_B64 + 1], *pub, *cause = NULL;
	OlmPkDecryption *d;
	OlmPkEncryption *e = olm_pk_encryption(xmalloc(olm_pk_encryption_size()));

	(void)state;
	crypto_random(priv, sizeof priv);
	d = lo_backup_key(priv, lo_pub);
	pub = crypto_backup_public(priv);
	assert_string_equal(pub, lo_pub);
	check_olm(olm_pk_encryption_set_recipient_key(e, pub, strlen(pub)),
	    olm_pk_encryption_last_error(e));
	for (size_t len = 0; len < sizeof json; len += len < 40 ? 1 : 13) {
		struct crypto_backup_box box;
		size_t clen = olm_pk_ciphertext_length(e, len), mlen = olm_pk_mac_length(e), n;
		char *cipher = xmalloc(clen + 1), *mac = xmalloc(mlen + 1);
		char eph[CRYPTO_KEY_B64 + 1] = {0}, *plain, *copy;
		uint8_t *random = random_buf(olm_pk_encrypt_random_length(e)), *lo_plain;

		/* natter to libolm. */
		assert_int_equal(crypto_backup_encrypt(pub, json, len, &box, &cause), 0);
		copy = dup_buf(box.ciphertext);
		lo_plain = xmalloc(olm_pk_max_plaintext_length(d, strlen(copy)) + 1);
		n = olm_pk_decrypt(d, box.ephemeral, strlen(box.ephemeral), box.mac,
		    strlen(box.mac), copy, strlen(copy), lo_plain,
		    olm_pk_max_plaintext_length(d, strlen(copy)));
		check_olm(n, olm_pk_decryption_last_error(d));
		assert_int_equal(n, len);
		assert_memory_equal(lo_plain, json, len);
		free(lo_plain);
		free(copy);
		crypto_backup_box_clear(&box);

		/* libolm to natter. */
		check_olm(olm_pk_encrypt(e, json, len, cipher, clen, mac, mlen, eph, CRYPTO_KEY_B64,
		    random, olm_pk_encrypt_random_length(e)), olm_pk_encryption_last_error(e));
		cipher[clen] = '\0';
		mac[mlen] = '\0';
		box = (struct crypto_backup_box){eph, cipher, mac};
		if (crypto_backup_decrypt(priv, &box, &plain, &n, &cause) != 0)
			fail_msg("%s", cause);
		assert_int_equal(n, len);
		assert_memory_equal(plain, json, len);
		free(plain);
		free(random);
		free(cipher);
		free(mac);
	}
	free(pub);
	olm_clear_pk_encryption(e);
	free(e);
	olm_clear_pk_decryption(d);
	free(d);
}

/* Cross-signing keys: the public key of a seed, and its signatures (Ed25519
 * is deterministic), are libolm's to the byte. */
static void
test_cross_signing_as_libolm(void **state)
{
	const char *msg = "{\"keys\":{},\"usage\":[\"master\"],\"user_id\":\"@a:b\"}";
	OlmPkSigning *s = olm_pk_signing(xmalloc(olm_pk_signing_size()));

	(void)state;
	for (int i = 0; i < 8; i++) {
		uint8_t seed[CRYPTO_SECRET_KEY_LEN];
		char lo_pub[CRYPTO_KEY_B64 + 1] = {0}, lo_sig[128] = {0}, *seed64, *pub, *sig;
		char *cause = NULL;

		crypto_random(seed, sizeof seed);
		assert_int_equal(olm_pk_signing_seed_length(), sizeof seed);
		check_olm(olm_pk_signing_key_from_seed(s, lo_pub,
		    olm_pk_signing_public_key_length(), seed, sizeof seed),
		    olm_pk_signing_last_error(s));
		check_olm(olm_pk_sign(s, (const uint8_t *)msg, strlen(msg), (uint8_t *)lo_sig,
		    olm_pk_signature_length()), olm_pk_signing_last_error(s));
		seed64 = crypto_b64_encode(seed, sizeof seed);
		pub = crypto_cross_public(seed64, &cause);
		assert_string_equal(pub, lo_pub);
		sig = crypto_cross_sign(seed64, (const uint8_t *)msg, strlen(msg), &cause);
		assert_string_equal(sig, lo_sig);
		free(sig);
		free(pub);
		free(seed64);
	}
	olm_clear_pk_signing(s);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_olm_natter_to_libolm),
		cmocka_unit_test(test_olm_libolm_to_natter),
		cmocka_unit_test(test_olm_out_of_order_both_ways),
		cmocka_unit_test(test_signatures_both_ways),
		cmocka_unit_test(test_megolm_natter_to_libolm),
		cmocka_unit_test(test_megolm_libolm_to_natter),
		cmocka_unit_test(test_megolm_exports_both_ways),
		cmocka_unit_test(test_backup_both_ways),
		cmocka_unit_test(test_cross_signing_as_libolm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
