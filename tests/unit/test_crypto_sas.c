/* SAS verification's cryptography: the spec's emoji table and decimal
 * formulas, the info strings laid out as the spec gives them, the
 * commitment, two natter sides agreeing, and every refusal. (The spec
 * gives no worked SAS values; tests/unit/test_crypto_sas_libolm.c checks
 * the bytes and MACs against libolm and fixed vectors.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "../../src/crypto/crypto-private.h"
#include "sas-vectors.h"

static void
assert_cause(char *cause, const char *want)
{
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("refused with \"%s\", not \"...%s...\"", cause, want);
	free(cause);
}

/* The whole table hashed as the lines "NUMBER EMOJI DESCRIPTION\n", the
 * digest taken of the spec's data-definitions/sas-emoji.json:
 *   jq -j '.[] | "\(.number) \(.emoji) \(.description)\n"' sas-emoji.json | sha256sum */
static const char emoji_table_sha256[] =
    "00f1e396936d3fb83ca783b0beb6f59826efb5b8aa91f1d1cb7a0dfe6800bd3f";

static void
test_emoji_table_is_the_specs(void **state)
{
	char *lines = xstrdup(""), *next, hex[2 * CRYPTO_SHA256_LEN + 1];
	uint8_t digest[CRYPTO_SHA256_LEN];
	int n = 0;

	(void)state;
	while (crypto_sas_emoji_char(n) != NULL) {
		assert_non_null(crypto_sas_emoji_name(n));
		next = xasprintf("%s%d %s %s\n", lines, n, crypto_sas_emoji_char(n),
		    crypto_sas_emoji_name(n));
		free(lines);
		lines = next;
		n++;
	}
	assert_int_equal(n, 64);
	assert_null(crypto_sas_emoji_name(64));
	assert_null(crypto_sas_emoji_char(-1));
	assert_null(crypto_sas_emoji_name(-1));
	crypto_sha256((const uint8_t *)lines, strlen(lines), digest);
	for (size_t i = 0; i < sizeof digest; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	assert_string_equal(hex, emoji_table_sha256);
	free(lines);

	/* A few entries by their code points, as the spec lists them. */
	assert_string_equal(crypto_sas_emoji_char(0), "\xf0\x9f\x90\xb6");	/* U+1F436 */
	assert_string_equal(crypto_sas_emoji_name(0), "Dog");
	assert_string_equal(crypto_sas_emoji_char(21), "\xe2\x98\x81\xef\xb8\x8f");	/* U+2601 U+FE0F */
	assert_string_equal(crypto_sas_emoji_name(21), "Cloud");
	assert_string_equal(crypto_sas_emoji_char(34), "\xf0\x9f\x94\xa7");	/* U+1F527, not a star */
	assert_string_equal(crypto_sas_emoji_name(34), "Spanner");
	assert_string_equal(crypto_sas_emoji_name(36), "Thumbs Up");
	assert_string_equal(crypto_sas_emoji_char(63), "\xf0\x9f\x93\x8c");	/* U+1F4CC */
	assert_string_equal(crypto_sas_emoji_name(63), "Pin");
}

static const uint8_t patterns[][CRYPTO_SAS_BYTES] = {
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	{0x01, 0x23, 0x45, 0x67, 0x89, 0xab},
	{0xca, 0x2d, 0x65, 0x46, 0x08, 0x83},
	{0x80, 0x00, 0x01, 0x00, 0x00, 0x01},
	{0x55, 0xaa, 0x55, 0xaa, 0x55, 0xaa},
};

static void
test_emoji_and_decimal_on_chosen_bytes(void **state)
{
	/* 01 23 45 67 89 ab in bits, 6 at a time:
	 *   000000 010010 001101 000101 011001 111000 100110 (101011 unused)
	 *   = 0 18 13 5 25 56 38
	 * the first 5 bytes 13 at a time:
	 *   0000000100100 0110100010101 1001111000100 (1 unused)
	 *   = 36 3349 5060, plus 1000 each. */
	static const int zero_e[] = {0, 0, 0, 0, 0, 0, 0}, zero_d[] = {1000, 1000, 1000};
	static const int ones_e[] = {63, 63, 63, 63, 63, 63, 63}, ones_d[] = {9191, 9191, 9191};
	static const int mixed_e[] = {0, 18, 13, 5, 25, 56, 38}, mixed_d[] = {1036, 4349, 6060};
	const int *want_e[] = {zero_e, ones_e, mixed_e}, *want_d[] = {zero_d, ones_d, mixed_d};

	(void)state;
	for (size_t p = 0; p < NT_NELEMS(want_e); p++) {
		int idx[CRYPTO_SAS_EMOJI], num[CRYPTO_SAS_DECIMAL];

		crypto_sas_emoji(patterns[p], idx);
		crypto_sas_decimal(patterns[p], num);
		assert_memory_equal(idx, want_e[p], sizeof idx);
		assert_memory_equal(num, want_d[p], sizeof num);
	}
}

/* The decimal method as the spec writes it, on bytes B0..B4. */
static void
test_decimal_is_the_specs_formula(void **state)
{
	(void)state;
	for (size_t p = 0; p < NT_NELEMS(patterns); p++) {
		const uint8_t *b = patterns[p];
		int num[CRYPTO_SAS_DECIMAL];

		crypto_sas_decimal(b, num);
		assert_int_equal(num[0], (b[0] << 5 | b[1] >> 3) + 1000);
		assert_int_equal(num[1], ((b[1] & 0x7) << 10 | b[2] << 2 | b[3] >> 6) + 1000);
		assert_int_equal(num[2], ((b[3] & 0x3f) << 7 | b[4] >> 1) + 1000);
	}
}

/* "Split the first 42 bits into 7 groups of 6 bits, similar to how one
 * would base64 encode something": the indexes are the first 7 base64
 * digits' values. */
static void
test_emoji_is_the_first_seven_base64_digits(void **state)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	for (size_t p = 0; p < NT_NELEMS(patterns); p++) {
		char *b64 = crypto_b64_encode(patterns[p], CRYPTO_SAS_BYTES);
		int idx[CRYPTO_SAS_EMOJI];

		crypto_sas_emoji(patterns[p], idx);
		for (int i = 0; i < CRYPTO_SAS_EMOJI; i++)
			assert_int_equal(idx[i], strchr(alphabet, b64[i]) - alphabet);
		free(b64);
	}
}

static void
test_info_strings_as_the_spec_lays_them_out(void **state)
{
	char *info, *list;
	const char *ids[] = {"ed25519:ZZZ", "ed25519:AAA", "ed25519:Abc", "ed25519:AA"};

	(void)state;
	info = crypto_sas_info(&alice, &bob, TXN);
	assert_string_equal(info, "MATRIX_KEY_VERIFICATION_SAS|"
	    "@alice:example.org|ALICEDEVICE|" ALICE_PUB "|"
	    "@bob:example.org|BOBDEVICE|" BOB_PUB "|" TXN);
	free(info);
	/* Who started orders it, not who asks. */
	info = crypto_sas_info(&bob, &alice, TXN);
	assert_string_equal(info, "MATRIX_KEY_VERIFICATION_SAS|"
	    "@bob:example.org|BOBDEVICE|" BOB_PUB "|"
	    "@alice:example.org|ALICEDEVICE|" ALICE_PUB "|" TXN);
	free(info);

	info = crypto_sas_mac_info(&alice, &bob, TXN, "ed25519:ALICEDEVICE");
	assert_string_equal(info, "MATRIX_KEY_VERIFICATION_MAC"
	    "@alice:example.orgALICEDEVICE@bob:example.orgBOBDEVICE" TXN "ed25519:ALICEDEVICE");
	free(info);
	info = crypto_sas_mac_info(&bob, &alice, TXN, "KEY_IDS");
	assert_string_equal(info, "MATRIX_KEY_VERIFICATION_MAC"
	    "@bob:example.orgBOBDEVICE@alice:example.orgALICEDEVICE" TXN "KEY_IDS");
	free(info);

	list = crypto_sas_key_list(ids, NT_NELEMS(ids));
	assert_string_equal(list, "ed25519:AA,ed25519:AAA,ed25519:Abc,ed25519:ZZZ");
	free(list);
	list = crypto_sas_key_list(ids, 1);
	assert_string_equal(list, "ed25519:ZZZ");
	free(list);
	list = crypto_sas_key_list(ids, 0);
	assert_string_equal(list, "");
	free(list);
}

/* The start content of the spec's example, with this spec's protocols. */
#define START_CANONICAL "{\"from_device\":\"BobDevice1\",\"hashes\":[\"sha256\"]," \
	"\"key_agreement_protocols\":[\"curve25519-hkdf-sha256\"]," \
	"\"message_authentication_codes\":[\"hkdf-hmac-sha256.v2\"],\"method\":\"m.sas.v1\"," \
	"\"short_authentication_string\":[\"decimal\",\"emoji\"]," \
	"\"transaction_id\":\"" TXN "\"}"

static void
test_commitment(void **state)
{
	/* printf %s "$BOB_PUB$START_CANONICAL" | sha256sum | xxd -r -p | base64, less its = */
	static const char want[] = "3xbGZNwnUY8yRxEJnIvZ6DlOiONSeXyfX3l90UfjShs";
	static const char loose[] = "{ \"transaction_id\": \"" TXN "\", \"method\": \"m.sas.v1\",\n"
	    "  \"short_authentication_string\": [\"decimal\", \"emoji\"],\n"
	    "  \"message_authentication_codes\": [\"hkdf-hmac-sha256.v2\"],\n"
	    "  \"key_agreement_protocols\": [\"curve25519-hkdf-sha256\"],\n"
	    "  \"hashes\": [\"sha256\"], \"from_device\": \"BobDevice1\" }";
	char *c, *cause = NULL;

	(void)state;
	c = crypto_sas_commitment(BOB_PUB, START_CANONICAL, strlen(START_CANONICAL), &cause);
	assert_string_equal(c, want);
	free(c);
	/* The same content written otherwise is made canonical first. */
	c = crypto_sas_commitment(BOB_PUB, loose, strlen(loose), &cause);
	assert_string_equal(c, want);
	free(c);
	/* Another key, another commitment. */
	c = crypto_sas_commitment(ALICE_PUB, START_CANONICAL, strlen(START_CANONICAL), &cause);
	assert_string_not_equal(c, want);
	free(c);
	assert_null(crypto_sas_commitment(BOB_PUB, "{\"a\":", 5, &cause));
	assert_non_null(cause);
	free(cause);
}

/* A key pair from a chosen private key has RFC 7748's public key
 * (8520f009...aa9b4e6a for Alice, de9edb7d...6f882b4f for Bob), and the
 * two agree. */
static void
test_fixed_keys_are_rfc_7748s(void **state)
{
	struct crypto_sas *a = crypto_sas_from_priv(alice_priv);
	struct crypto_sas *b = crypto_sas_from_priv(bob_priv);
	uint8_t ba[CRYPTO_SAS_BYTES], bb[CRYPTO_SAS_BYTES];
	char *cause = NULL;

	(void)state;
	assert_string_equal(crypto_sas_public(a), ALICE_PUB);
	assert_string_equal(crypto_sas_public(b), BOB_PUB);
	assert_int_equal(crypto_sas_set_their_key(a, BOB_PUB, &cause), 0);
	assert_int_equal(crypto_sas_set_their_key(b, ALICE_PUB, &cause), 0);
	assert_int_equal(crypto_sas_bytes(a, "info", ba, &cause), 0);
	assert_int_equal(crypto_sas_bytes(b, "info", bb, &cause), 0);
	assert_memory_equal(ba, bb, sizeof ba);
	crypto_sas_free(&a);
	crypto_sas_free(&b);
}

/* Two natter sides exchange keys and agree on the bytes and the MACs. */
static void
test_two_sides_agree(void **state)
{
	struct crypto_sas *a = crypto_sas_new(), *b = crypto_sas_new();
	struct crypto_sas_side sa = alice, sb = bob;
	uint8_t ba[CRYPTO_SAS_BYTES], bb[CRYPTO_SAS_BYTES];
	char *info, *other, *mac, *cause = NULL;

	(void)state;
	assert_int_equal(strlen(crypto_sas_public(a)), CRYPTO_KEY_B64);
	assert_string_not_equal(crypto_sas_public(a), crypto_sas_public(b));
	assert_int_equal(crypto_sas_set_their_key(a, crypto_sas_public(b), &cause), 0);
	assert_int_equal(crypto_sas_set_their_key(b, crypto_sas_public(a), &cause), 0);
	sa.key = crypto_sas_public(a);
	sb.key = crypto_sas_public(b);
	info = crypto_sas_info(&sa, &sb, TXN);
	assert_int_equal(crypto_sas_bytes(a, info, ba, &cause), 0);
	assert_int_equal(crypto_sas_bytes(b, info, bb, &cause), 0);
	assert_memory_equal(ba, bb, sizeof ba);
	free(info);

	/* Alice MACs her key for Bob; Bob checks it with the same info. */
	info = crypto_sas_mac_info(&sa, &sb, TXN, "ed25519:ALICEDEVICE");
	mac = crypto_sas_mac(a, "alice's ed25519 key", info, &cause);
	assert_int_equal(strlen(mac), CRYPTO_KEY_B64);
	assert_int_equal(crypto_sas_mac_check(b, "alice's ed25519 key", info, mac, &cause), 1);
	assert_int_equal(crypto_sas_mac_check(b, "mallory's ed25519 key", info, mac, &cause), 0);
	/* The same MAC under the other direction's info does not hold. */
	other = crypto_sas_mac_info(&sb, &sa, TXN, "ed25519:ALICEDEVICE");
	assert_int_equal(crypto_sas_mac_check(b, "alice's ed25519 key", other, mac, &cause), 0);
	free(other);
	/* Nor does it with any of its bytes changed, the first or the last. */
	for (size_t i = 0; i < CRYPTO_KEY_B64; i += CRYPTO_KEY_B64 - 2) {
		char was = mac[i];

		mac[i] = was == 'A' ? 'B' : 'A';
		assert_int_equal(crypto_sas_mac_check(b, "alice's ed25519 key", info, mac,
		    &cause), 0);
		mac[i] = was;
	}
	assert_int_equal(crypto_sas_mac_check(b, "alice's ed25519 key", info, mac, &cause), 1);
	free(mac);
	free(info);
	crypto_sas_free(&a);
	crypto_sas_free(&b);
	assert_null(a);
	crypto_sas_free(&a);
}

static void
test_refusals(void **state)
{
	struct crypto_sas *s = crypto_sas_new(), *other = crypto_sas_new();
	uint8_t out[CRYPTO_SAS_BYTES];
	char *cause = NULL;

	(void)state;
	/* Nothing is derived before their key is set. */
	assert_int_equal(crypto_sas_bytes(s, "info", out, &cause), -1);
	assert_cause(cause, "not set yet");
	cause = NULL;
	assert_null(crypto_sas_mac(s, "input", "info", &cause));
	assert_cause(cause, "not set yet");
	cause = NULL;
	assert_int_equal(crypto_sas_mac_check(s, "input", "info", ALICE_PUB, &cause), -1);
	assert_cause(cause, "not set yet");

	/* Malformed keys: not base64, the wrong length, none at all. */
	cause = NULL;
	assert_int_equal(crypto_sas_set_their_key(s, "not base64 at all!", &cause), -1);
	assert_cause(cause, "not 32 bytes of base64");
	cause = NULL;
	assert_int_equal(crypto_sas_set_their_key(s, "AAAA", &cause), -1);
	assert_cause(cause, "not 32 bytes of base64");
	cause = NULL;
	assert_int_equal(crypto_sas_set_their_key(s, ALICE_PUB "AAAA", &cause), -1);
	assert_cause(cause, "not 32 bytes of base64");
	cause = NULL;
	assert_int_equal(crypto_sas_set_their_key(s, NULL, &cause), -1);
	assert_cause(cause, "not 32 bytes of base64");
	/* A low-order point (zero) would make the secret all zeros. */
	cause = NULL;
	assert_int_equal(crypto_sas_set_their_key(s,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &cause), -1);
	assert_cause(cause, "low-order");
	cause = NULL;
	assert_int_equal(crypto_sas_bytes(s, "info", out, &cause), -1);
	assert_cause(cause, "not set yet");

	/* Set once, and only once. */
	cause = NULL;
	assert_int_equal(crypto_sas_set_their_key(s, crypto_sas_public(other), &cause), 0);
	assert_null(cause);
	assert_int_equal(crypto_sas_set_their_key(s, ALICE_PUB, &cause), -1);
	assert_cause(cause, "already set");

	/* A received MAC that is not 32 bytes of base64. */
	cause = NULL;
	assert_int_equal(crypto_sas_mac_check(s, "input", "info", "AAAA", &cause), -1);
	assert_cause(cause, "not 32 bytes of base64");
	cause = NULL;
	assert_int_equal(crypto_sas_mac_check(s, "input", "info", NULL, &cause), -1);
	assert_cause(cause, "not 32 bytes of base64");
	crypto_sas_free(&s);
	crypto_sas_free(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emoji_table_is_the_specs),
		cmocka_unit_test(test_emoji_and_decimal_on_chosen_bytes),
		cmocka_unit_test(test_decimal_is_the_specs_formula),
		cmocka_unit_test(test_emoji_is_the_first_seven_base64_digits),
		cmocka_unit_test(test_info_strings_as_the_spec_lays_them_out),
		cmocka_unit_test(test_commitment),
		cmocka_unit_test(test_fixed_keys_are_rfc_7748s),
		cmocka_unit_test(test_two_sides_agree),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
