/* natter's SAS against a second implementation, Debian's libolm (linked by
 * this test only; natter never links it): from fixed keys both give the
 * recorded bytes and MACs, and fresh key pairs, one natter's and one
 * libolm's, agree on the SAS bytes and the hkdf-hmac-sha256.v2 MACs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <olm/olm.h>
#include <olm/sas.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "../../src/crypto/crypto-private.h"
#include "sas-vectors.h"

/* What libolm 3.2.13 gives from sas-vectors.h's keys (and an RFC 5869
 * HKDF in Python's hmac module gives the same): the SAS bytes of the info
 * of Alice starting with Bob, the v2 MAC of MAC_INPUT under the info of
 * Alice's MAC of her key for Bob, and the v2 MAC of KEY_LIST under her
 * KEY_IDS info. */
static const uint8_t fixed_sas[CRYPTO_SAS_BYTES] = {0xca, 0x2d, 0x65, 0x46, 0x08, 0x83};
#define MAC_INPUT "VGhpcyBpcyBub3QgYSByZWFsIEVkMjU1MTkga2V5IGF0IGFsbA"
#define FIXED_MAC "MKpoPVMR7Ugli/MDt1tnmz/tLV+soYYNw54FD/JB/UU"
#define KEY_LIST "ed25519:ALICEDEVICE,ed25519:VGhpcyBpcyBub3QgYSByZWFsIG1hc3RlciBrZXkgZWl0aGVy"
#define FIXED_KEYS_MAC "8f8RqkEffcAx4A8j4/z9dKKv92yFlmMIYh+zw6sZCQ0"
/* libolm's deprecated hkdf-hmac-sha256 MAC of the same: its broken base64. */
#define V1_MAC "MKpob1MRTVIlVklsVmtsc1ZtdHNjMVp0ZEhOak1WcDA"

static void
check_olm(size_t rc, OlmSAS *sas)
{
	if (rc == olm_error())
		fail_msg("libolm: %s", olm_sas_last_error(sas));
}

/* A libolm SAS from the private key priv (random when NULL), with its
 * public key in pub. */
static OlmSAS *
lo_sas_new(const uint8_t *priv, char pub[CRYPTO_KEY_B64 + 1])
{
	OlmSAS *sas = olm_sas(xmalloc(olm_sas_size()));
	size_t rn = olm_create_sas_random_length(sas);
	uint8_t *r = xmalloc(rn);

	assert_int_equal(rn, CRYPTO_KEY_LEN);
	if (priv != NULL)
		memcpy(r, priv, rn);
	else
		crypto_random(r, rn);
	check_olm(olm_create_sas(sas, r, rn), sas);
	free(r);
	assert_int_equal(olm_sas_pubkey_length(sas), CRYPTO_KEY_B64);
	check_olm(olm_sas_get_pubkey(sas, pub, CRYPTO_KEY_B64), sas);
	pub[CRYPTO_KEY_B64] = '\0';
	return sas;
}

static void
lo_sas_free(OlmSAS *sas)
{
	olm_clear_sas(sas);
	free(sas);
}

static void
lo_set_their_key(OlmSAS *sas, const char *key)
{
	char *copy = xstrdup(key);	/* libolm decodes it in place */

	check_olm(olm_sas_set_their_key(sas, copy, strlen(copy)), sas);
	free(copy);
}

static void
lo_bytes(OlmSAS *sas, const char *info, uint8_t *out, size_t len)
{
	check_olm(olm_sas_generate_bytes(sas, info, strlen(info), out, len), sas);
}

/* libolm's MAC of input under info: v2 (fixed base64) or the old v1. */
static char *
lo_mac(OlmSAS *sas, const char *input, const char *info, int v2)
{
	size_t n = olm_sas_mac_length(sas);
	char *mac = xcalloc(1, n + 1);

	if (v2)
		check_olm(olm_sas_calculate_mac_fixed_base64(sas, input, strlen(input), info,
		    strlen(info), mac, n), sas);
	else
		check_olm(olm_sas_calculate_mac(sas, input, strlen(input), info, strlen(info), mac,
		    n), sas);
	return mac;
}

/* natter's and libolm's v2 MACs of input under info are both want. */
static void
assert_both_mac(const struct crypto_sas *n, OlmSAS *lo, const char *input, const char *info,
    const char *want)
{
	char *nmac = crypto_sas_mac(n, input, info, NULL), *lmac = lo_mac(lo, input, info, 1);

	assert_string_equal(nmac, want);
	assert_string_equal(lmac, want);
	free(nmac);
	free(lmac);
}

static void
test_fixed_keys_give_the_recorded_values(void **state)
{
	struct crypto_sas *na = crypto_sas_from_priv(alice_priv);
	char lo_pub[CRYPTO_KEY_B64 + 1];
	OlmSAS *lb = lo_sas_new(bob_priv, lo_pub);
	char *info = crypto_sas_info(&alice, &bob, TXN);
	char *mac_info = crypto_sas_mac_info(&alice, &bob, TXN, "ed25519:ALICEDEVICE");
	char *keys_info = crypto_sas_mac_info(&alice, &bob, TXN, "KEY_IDS");
	uint8_t nb[CRYPTO_SAS_BYTES], lob[CRYPTO_SAS_BYTES];
	char *lmac, *cause = NULL;

	(void)state;
	assert_string_equal(crypto_sas_public(na), ALICE_PUB);
	assert_string_equal(lo_pub, BOB_PUB);
	assert_int_equal(crypto_sas_set_their_key(na, lo_pub, &cause), 0);
	lo_set_their_key(lb, crypto_sas_public(na));

	assert_int_equal(crypto_sas_bytes(na, info, nb, &cause), 0);
	lo_bytes(lb, info, lob, sizeof lob);
	assert_memory_equal(nb, fixed_sas, sizeof nb);
	assert_memory_equal(lob, fixed_sas, sizeof lob);

	assert_both_mac(na, lb, MAC_INPUT, mac_info, FIXED_MAC);
	assert_both_mac(na, lb, KEY_LIST, keys_info, FIXED_KEYS_MAC);

	/* v1's MAC is another string, and natter does not take it for v2's. */
	lmac = lo_mac(lb, MAC_INPUT, mac_info, 0);
	assert_string_equal(lmac, V1_MAC);
	assert_int_equal(crypto_sas_mac_check(na, MAC_INPUT, mac_info, lmac, &cause), 0);
	free(lmac);

	free(info);
	free(mac_info);
	free(keys_info);
	crypto_sas_free(&na);
	lo_sas_free(lb);
}

/* One verification between a natter side and a libolm side, natter the
 * starter or not: the same SAS bytes (and libolm's 5 for the decimal
 * method are natter's first 5), the same MACs both ways. */
static void
cross_check(int natter_starts)
{
	struct crypto_sas *n = crypto_sas_new();
	char lo_pub[CRYPTO_KEY_B64 + 1];
	OlmSAS *lo = lo_sas_new(NULL, lo_pub);
	struct crypto_sas_side ns = alice, ls = bob;
	uint8_t nb[CRYPTO_SAS_BYTES], lb[CRYPTO_SAS_BYTES], l5[5];
	char *info, *mac_info, *nmac, *lmac, *cause = NULL;

	ns.key = crypto_sas_public(n);
	ls.key = lo_pub;
	assert_int_equal(crypto_sas_set_their_key(n, lo_pub, &cause), 0);
	lo_set_their_key(lo, crypto_sas_public(n));

	info = natter_starts ? crypto_sas_info(&ns, &ls, TXN) : crypto_sas_info(&ls, &ns, TXN);
	assert_int_equal(crypto_sas_bytes(n, info, nb, &cause), 0);
	lo_bytes(lo, info, lb, sizeof lb);
	lo_bytes(lo, info, l5, sizeof l5);
	assert_memory_equal(nb, lb, sizeof nb);
	assert_memory_equal(nb, l5, sizeof l5);
	free(info);

	/* natter's MAC of its key, checked the way libolm's side would. */
	mac_info = crypto_sas_mac_info(&ns, &ls, TXN, "ed25519:ALICEDEVICE");
	nmac = crypto_sas_mac(n, ns.key, mac_info, &cause);
	lmac = lo_mac(lo, ns.key, mac_info, 1);
	assert_string_equal(nmac, lmac);
	free(nmac);
	free(lmac);
	free(mac_info);
	/* libolm's MAC of its key list, checked by natter. */
	mac_info = crypto_sas_mac_info(&ls, &ns, TXN, "KEY_IDS");
	lmac = lo_mac(lo, KEY_LIST, mac_info, 1);
	assert_int_equal(crypto_sas_mac_check(n, KEY_LIST, mac_info, lmac, &cause), 1);
	assert_int_equal(crypto_sas_mac_check(n, "ed25519:ALICEDEVICE", mac_info, lmac, &cause),
	    0);
	free(lmac);
	free(mac_info);

	crypto_sas_free(&n);
	lo_sas_free(lo);
}

static void
test_fresh_keys_agree_both_ways(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++)
		cross_check(i % 2);
}

/* libolm refuses bytes before their key too, as natter does. */
static void
test_both_refuse_bytes_before_their_key(void **state)
{
	char lo_pub[CRYPTO_KEY_B64 + 1];
	OlmSAS *lo = lo_sas_new(NULL, lo_pub);
	struct crypto_sas *n = crypto_sas_new();
	uint8_t out[CRYPTO_SAS_BYTES];
	char *cause = NULL;

	(void)state;
	assert_int_equal(olm_sas_generate_bytes(lo, "info", 4, out, sizeof out), olm_error());
	assert_int_equal(crypto_sas_bytes(n, "info", out, &cause), -1);
	free(cause);
	crypto_sas_free(&n);
	lo_sas_free(lo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_keys_give_the_recorded_values),
		cmocka_unit_test(test_fresh_keys_agree_both_ways),
		cmocka_unit_test(test_both_refuse_bytes_before_their_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
