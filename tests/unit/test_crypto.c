/* The crypto module against published vectors (RFC 7748, RFC 8032,
 * RFC 5869, RFC 4231, the Matrix spec's canonical JSON and signing
 * examples, the reference Megolm ratchet values), and its own round trips
 * and refusals. The cross-check with libolm is test_crypto_libolm.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "../../src/crypto/crypto-private.h"

static const uint8_t pickle_key[CRYPTO_PICKLE_KEY_LEN] = "0123456789abcdef0123456789abcde";

static size_t
unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[256];

	assert_int_equal(unhex(want, w), len);
	assert_memory_equal(got, w, len);
}

static void
test_x25519_rfc7748(void **state)
{
	struct crypto_x25519 a, b, k;
	uint8_t priv[32], u[32], out[32];

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", priv);
	assert_int_equal(crypto_x25519_from_priv(&a, priv), 0);
	assert_hex(a.pub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", priv);
	assert_int_equal(crypto_x25519_from_priv(&b, priv), 0);
	assert_hex(b.pub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_int_equal(crypto_x25519_derive(&a, b.pub, out), 0);
	assert_hex(out, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	assert_int_equal(crypto_x25519_derive(&b, a.pub, out), 0);
	assert_hex(out, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", priv);
	unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", u);
	memcpy(k.priv, priv, 32);
	assert_int_equal(crypto_x25519_derive(&k, u, out), 0);
	assert_hex(out, 32, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

static void
test_x25519_refuses_low_order_point(void **state)
{
	struct crypto_x25519 a;
	uint8_t zero[32] = {0}, out[32];

	crypto_x25519_generate(&a);
	assert_int_equal(crypto_x25519_derive(&a, zero, out), -1);
}

static void
check_ed25519(const char *seed_hex, const char *pub_hex, const char *msg_hex,
    const char *sig_hex)
{
	struct crypto_ed25519 k = {0};
	uint8_t seed[32], msg[64], sig[64];
	size_t n = unhex(msg_hex, msg);
	char *pub64, *sig64, *cause = NULL;

	unhex(seed_hex, seed);
	assert_int_equal(crypto_ed25519_from_seed(&k, seed), 0);
	assert_hex(k.pub, 32, pub_hex);
	crypto_ed25519_sign(&k, msg, n, sig);
	assert_hex(sig, 64, sig_hex);
	pub64 = crypto_b64_encode(k.pub, 32);
	sig64 = crypto_b64_encode(sig, 64);
	assert_int_equal(crypto_ed25519_verify(pub64, msg, n, sig64, &cause), 1);
	msg[0] ^= 1;
	assert_int_equal(crypto_ed25519_verify(pub64, msg, n > 0 ? n : 1, sig64, &cause), 0);
	free(pub64);
	free(sig64);
	crypto_ed25519_clear(&k);
}

static void
test_ed25519_rfc8032(void **state)
{
	check_ed25519("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
	check_ed25519("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
	check_ed25519("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	    "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
}

static void
test_ed25519_verify_malformed(void **state)
{
	char *cause = NULL;
	uint8_t msg[1] = {0};

	assert_int_equal(crypto_ed25519_verify("short", msg, 1, "AAAA", &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(crypto_ed25519_verify("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",
	    msg, 1, "not base64!", &cause), -1);
	free(cause);
}

static void
test_hkdf_rfc5869(void **state)
{
	uint8_t ikm[22], salt[13], out[42];
	const char info[] = "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9";

	memset(ikm, 0x0b, sizeof ikm);
	for (size_t i = 0; i < sizeof salt; i++)
		salt[i] = (uint8_t)i;
	crypto_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info, out, sizeof out);
	assert_hex(out, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865");
	crypto_hkdf_sha256(NULL, 0, ikm, sizeof ikm, "", out, sizeof out);
	assert_hex(out, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8");
}

static void
test_hmac_sha256_rfc4231_and_sha256(void **state)
{
	uint8_t key[20], out[32];

	memset(key, 0x0b, sizeof key);
	crypto_hmac_sha256(key, sizeof key, (const uint8_t *)"Hi There", 8, out);
	assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	crypto_hmac_sha256(NULL, 0, NULL, 0, out);
	assert_hex(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	crypto_sha256((const uint8_t *)"abc", 3, out);
	assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_aes_cbc_pkcs7(void **state)
{
	struct crypto_msg_keys k = {0};
	uint8_t zero[16] = {0}, *c, *p;
	size_t n, m;

	c = crypto_aes_cbc_encrypt(&k, zero, sizeof zero, &n);
	assert_hex(c, n, "dc95c078a2408989ad48a21492842087f3c003ddc4a7b8a94baedffc3d214c38");
	p = crypto_aes_cbc_decrypt(&k, c, n, &m);
	assert_non_null(p);
	assert_int_equal(m, 16);
	assert_memory_equal(p, zero, 16);
	free(p);
	c[n - 1] ^= 1;
	assert_null(crypto_aes_cbc_decrypt(&k, c, n, &m));
	assert_null(crypto_aes_cbc_decrypt(&k, c, n - 1, &m));
	free(c);
}

static void
test_base64(void **state)
{
	uint8_t *out;
	size_t n;
	char *s, *cause = NULL;

	s = crypto_b64_encode((const uint8_t *)"abcd", 4);
	assert_string_equal(s, "YWJjZA");
	free(s);
	assert_int_equal(crypto_b64_decode("YWJjZA", &out, &n, NULL), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "abcd", 4);
	free(out);
	assert_int_equal(crypto_b64_decode("YWJjZA==", &out, &n, NULL), 0);
	assert_int_equal(n, 4);
	free(out);
	assert_int_equal(crypto_b64_decode("", &out, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(out);
	assert_int_equal(crypto_b64_decode("YWJjZB", &out, &n, NULL), 0);
	assert_memory_equal(out, "abcd", 4);
	free(out);
	assert_int_equal(crypto_b64_decode("YWJjZ", &out, &n, NULL), -1);
	assert_int_equal(crypto_b64_decode("YW=JjZA", &out, &n, NULL), -1);
	assert_int_equal(crypto_b64_decode("YWJj ZA", &out, &n, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
assert_canonical(const char *in, const char *want)
{
	char *cause = NULL, *got = crypto_canonical_json(in, strlen(in), &cause);

	if (got == NULL)
		fail_msg("%s: %s", in, cause);
	assert_string_equal(got, want);
	free(got);
}

static void
test_canonical_json_spec_examples(void **state)
{
	assert_canonical("{}", "{}");
	assert_canonical("{\n    \"one\": 1,\n    \"two\": \"Two\"\n}", "{\"one\":1,\"two\":\"Two\"}");
	assert_canonical("{\n    \"b\": \"2\",\n    \"a\": \"1\"\n}", "{\"a\":\"1\",\"b\":\"2\"}");
	assert_canonical("{\"b\":\"2\",\"a\":\"1\"}", "{\"a\":\"1\",\"b\":\"2\"}");
	assert_canonical("{\"auth\": {\"success\": true, \"mxid\": \"@john.doe:example.com\", "
	    "\"profile\": {\"display_name\": \"John Doe\", \"three_pids\": [{\"medium\": "
	    "\"email\", \"address\": \"john.doe@example.org\"}, {\"medium\": \"msisdn\", "
	    "\"address\": \"123456789\"}]}}}",
	    "{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":"
	    "\"John Doe\",\"three_pids\":[{\"address\":\"john.doe@example.org\",\"medium\":"
	    "\"email\"},{\"address\":\"123456789\",\"medium\":\"msisdn\"}]},\"success\":true}}");
	assert_canonical("{\"a\": \"日本語\"}", "{\"a\":\"日本語\"}");
	assert_canonical("{\"本\": 2, \"日\": 1}", "{\"日\":1,\"本\":2}");
	assert_canonical("{\"a\": \"\\u65E5\"}", "{\"a\":\"日\"}");
	assert_canonical("{\"a\": null}", "{\"a\":null}");
	assert_canonical("{\"a\": -0, \"b\": 1e10}", "{\"a\":0,\"b\":10000000000}");
}

static void
test_canonical_json_escapes_and_order(void **state)
{
	assert_canonical("[\"\\u0001\\b\\t\\n\\f\\r\\u001F\\\"\\\\\\/\\u007f\\u00e9\"]",
	    "[\"\\u0001\\b\\t\\n\\f\\r\\u001f\\\"\\\\/\x7f\xc3\xa9\"]");
	assert_canonical("{\"\\ud83d\\ude00\":1,\"\xef\xbf\xbf\":2,\"~\":3}",
	    "{\"~\":3,\"\xef\xbf\xbf\":2,\"\xf0\x9f\x98\x80\":1}");
	assert_canonical("[9007199254740991,-9007199254740991,1.5e1,100e-2,0.0]",
	    "[9007199254740991,-9007199254740991,15,1,0]");
	assert_canonical(" [ true , false ] \n", "[true,false]");
}

static void
assert_refused(const char *in, size_t len)
{
	char *cause = NULL;

	assert_null(crypto_canonical_json(in, len, &cause));
	assert_non_null(cause);
	free(cause);
}

static void
test_canonical_json_refusals(void **state)
{
	static const char *bad[] = {
		"{\"a\":1,\"a\":2}", "{\"x\":{\"a\":1,\"a\":1}}", "[{\"b\":1,\"b\":1}]",
		"1.5", "[0.1]", "[1e-1]", "9007199254740992", "-9007199254740992", "1e16",
		"[01]", "[1.]", "[.5]", "[+1]", "[-]", "[\"\\u0000\"]", "[\"a\nb\"]",
		"[\"\xff\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "{} {}", "[1]x",
		"\x01[]", "[\"\\ud800\"]", "", "nul", "{\"a\"}", "[1e99999999999]",
	};

	for (size_t i = 0; i < NT_NELEMS(bad); i++)
		assert_refused(bad[i], strlen(bad[i]));
	assert_refused("[\"a\0b\"]", 7);
	assert_refused("[1]\0", 4);
}

/* The spec's appendix: JSON signed with the seed it gives. */
static void
test_signing_spec_examples(void **state)
{
	static const struct {
		const char *json, *sig;
	} ex[] = {
		{"{}", "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4a"
		    "hLwYGYZzuHGZKM5ZAQ"},
		{"{\"one\": 1, \"two\": \"Two\", \"unsigned\": {\"age\": 3}, \"signatures\": {}}",
		    "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD1"
		    "3EIMJpvhJI+6Bw"},
	};
	struct crypto_ed25519 k = {0};
	uint8_t seed[32], sig[64];
	char *pub, *cause = NULL;

	assert_int_equal(crypto_b64_decode_into("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1", 0,
	    seed, 32, NULL), 0);
	assert_int_equal(crypto_ed25519_from_seed(&k, seed), 0);
	pub = crypto_b64_encode(k.pub, 32);
	for (size_t i = 0; i < NT_NELEMS(ex); i++) {
		char *text = crypto_signable_json(ex[i].json, strlen(ex[i].json), &cause), *got;

		assert_non_null(text);
		crypto_ed25519_sign(&k, (const uint8_t *)text, strlen(text), sig);
		got = crypto_b64_encode(sig, 64);
		assert_string_equal(got, ex[i].sig);
		assert_int_equal(crypto_ed25519_verify(pub, (const uint8_t *)text, strlen(text),
		    ex[i].sig, &cause), 1);
		free(got);
		free(text);
	}
	free(pub);
	crypto_ed25519_clear(&k);
}

/* The spec's server-key example reduced to what its signature covers
 * (the example's signature itself is illustrative and verifies over no
 * text: checked with a second Ed25519 implementation). */
static void
test_signable_spec_server_key(void **state)
{
	const char *json = "{\"name\": \"example.org\", \"signing_keys\": {\"ed25519:1\": "
	    "\"XSl0kuyvrXNj6A+7/tkrB9sxSbRi08Of5uRhxOqZtEQ\"}, \"unsigned\": {\"age_ts\": "
	    "922834800000}, \"signatures\": {\"example.org\": {\"ed25519:1\": \"s76RUgajp8w172am0z"
	    "Qb/iPTHsRnb4SkrzGoeCOSFfcBY2V/1c8QfrmdXHpvnc2jK5BD1WiJIxiMW95fMjK7Bw\"}}}";
	char *cause = NULL, *text = crypto_signable_json(json, strlen(json), &cause);

	assert_non_null(text);
	assert_string_equal(text, "{\"name\":\"example.org\",\"signing_keys\":{\"ed25519:1\":"
	    "\"XSl0kuyvrXNj6A+7/tkrB9sxSbRi08Of5uRhxOqZtEQ\"}}");
	free(text);
}

static void
test_signable_refuses_duplicate_signatures(void **state)
{
	const char *json = "{\"a\":1,\"signatures\":{},\"signatures\":{}}";
	char *cause = NULL;

	assert_null(crypto_signable_json(json, strlen(json), &cause));
	free(cause);
	cause = NULL;
	assert_null(crypto_signable_json("[1]", 3, &cause));
	free(cause);
}

/* An export (version 1) of the reference ratchet bytes at index 0. */
static char *
megolm_export_of(const char *ratchet, uint32_t index)
{
	uint8_t blob[165] = {1};
	struct crypto_ed25519 k;

	blob[1] = (uint8_t)(index >> 24);
	blob[2] = (uint8_t)(index >> 16);
	blob[3] = (uint8_t)(index >> 8);
	blob[4] = (uint8_t)index;
	memcpy(blob + 5, ratchet, 128);
	crypto_ed25519_generate(&k);
	memcpy(blob + 133, k.pub, 32);
	crypto_ed25519_clear(&k);
	return crypto_b64_encode(blob, sizeof blob);
}

static void
assert_megolm_ratchet(const struct crypto_megolm_in *s, uint32_t index, const char *hex)
{
	char *cause = NULL, *e = crypto_megolm_in_export(s, index, &cause);
	uint8_t *raw;
	size_t n;

	assert_non_null(e);
	assert_int_equal(crypto_b64_decode(e, &raw, &n, NULL), 0);
	assert_int_equal(n, 165);
	assert_int_equal(raw[1] << 24 | raw[2] << 16 | raw[3] << 8 | raw[4], index);
	assert_hex(raw + 5, 128, hex);
	free(raw);
	free(e);
}

/* The reference implementation's ratchet values (its test_megolm.cpp). */
static void
test_megolm_ratchet_vectors(void **state)
{
	const char *seed = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
	    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
	const char *abc = "303132333435363738394142434445463031323334353637383941424344454630313"
	    "23334353637383941424344454630313233343536373839414243444546303132333435363738394142"
	    "434445463031323334353637383941424344454630313233343536373839414243444546";
	char *e = megolm_export_of(seed, 0), *cause = NULL, *hex1;
	struct crypto_megolm_in *s = crypto_megolm_in_import(e, &cause);

	assert_non_null(s);
	hex1 = xasprintf("%.*s%s", 192, abc, "ba9cd955741d1c162323ec825e7c5ce889bbb423a18f23828"
	    "fb2090d6e2af86a");
	assert_megolm_ratchet(s, 1, hex1);
	assert_megolm_ratchet(s, 0x1000000,
	    "54022d7dc0298e1637e21c97153092f933c056ff74fe1b922d971f2482c2859c"
	    "7004c01ee49bd6efe0073525af9b1632c5be726d12349cc5bd472bdc2df6540f"
	    "3112591194fda617e568c683101eaecd7eddd6de1fbc0767ae34da1a09a54eab"
	    "ba9cd955741d1c162323ec825e7c5ce889bbb423a18f23828fb2090d6e2af86a");
	assert_megolm_ratchet(s, 0x1041506,
	    "54022d7dc0298e1637e21c97153092f933c056ff74fe1b922d971f2482c2859c"
	    "55588df5b7a48878428927868164589f3663447b51edc3595b036ca604c46dcd"
	    "5c54850bfa98a1fd79a9df1cbe8fc5681937d30c85c8c31f7bb828816cf9ff3b"
	    "956cbf807e65126a49558d45c84a2e4cd56f03e24416b98e1cfd97c206aa907a");
	free(hex1);
	free(e);
	crypto_megolm_in_free(&s);
}

/* An outbound session whose ratchet is at index, made through a pickle. */
static struct crypto_megolm_out *
megolm_out_at(uint32_t index)
{
	struct crypto_wbuf w = {0};
	struct crypto_megolm_out *s;
	uint8_t ratchet[128], seed[32];
	char *p, *cause = NULL;

	crypto_random(ratchet, sizeof ratchet);
	crypto_random(seed, sizeof seed);
	crypto_wbuf_add(&w, ratchet, sizeof ratchet);
	crypto_wbuf_u32(&w, index);
	crypto_wbuf_add(&w, seed, sizeof seed);
	p = crypto_pickle_seal(&w, CRYPTO_PICKLE_MEGOLM_OUT, pickle_key);
	s = crypto_megolm_out_unpickle(p, pickle_key, &cause);
	assert_non_null(s);
	assert_int_equal(crypto_megolm_out_index(s), index);
	free(p);
	return s;
}

/* Stepping one message at a time (the sender) gives what jumping from
 * the first index does (a reader), across the 2^8, 2^16 and 2^24 reseeds;
 * and every message there decrypts. */
static void
test_megolm_steps_match_jumps(void **state)
{
	static const uint32_t starts[] = {0, 250, 65530, 16777210, 0x12fffffa};

	for (size_t i = 0; i < NT_NELEMS(starts); i++) {
		struct crypto_megolm_out *out = megolm_out_at(starts[i]);
		char *key = crypto_megolm_out_key(out), *cause = NULL;
		struct crypto_megolm_in *first = crypto_megolm_in_new(key, &cause);
		struct crypto_megolm_in *reader = crypto_megolm_in_new(key, &cause);

		for (uint32_t k = 0; k < 12; k++) {
			char *step = crypto_megolm_out_key(out), *m, *want, *got;
			struct crypto_megolm_in *t = crypto_megolm_in_new(step, &cause);
			uint8_t *plain;
			size_t len;
			uint32_t index;

			want = crypto_megolm_in_export(t, starts[i] + k, &cause);
			got = crypto_megolm_in_export(first, starts[i] + k, &cause);
			assert_string_equal(want, got);
			m = crypto_megolm_encrypt(out, (const uint8_t *)"x", 1);
			assert_int_equal(crypto_megolm_decrypt(reader, m, &plain, &len, &index,
			    &cause), 0);
			assert_int_equal(index, starts[i] + k);
			free(plain);
			free(m);
			free(want);
			free(got);
			free(step);
			crypto_megolm_in_free(&t);
		}
		free(key);
		crypto_megolm_in_free(&first);
		crypto_megolm_in_free(&reader);
		crypto_megolm_out_free(&out);
	}
}

static void
test_megolm_round_trip_and_refusals(void **state)
{
	struct crypto_megolm_out *out = crypto_megolm_out_new();
	char *key = crypto_megolm_out_key(out), *cause = NULL, *m0, *m1, *late_key;
	struct crypto_megolm_in *in = crypto_megolm_in_new(key, &cause), *late;
	uint8_t *plain, *raw;
	size_t len, n;
	uint32_t index;

	assert_non_null(in);
	assert_string_equal(crypto_megolm_in_id(in), crypto_megolm_out_id(out));
	m0 = crypto_megolm_encrypt(out, (const uint8_t *)"{\"body\":\"zero\"}", 15);
	late_key = crypto_megolm_out_key(out);
	m1 = crypto_megolm_encrypt(out, (const uint8_t *)"one", 3);
	assert_int_equal(crypto_megolm_out_index(out), 2);
	assert_int_equal(crypto_megolm_decrypt(in, m1, &plain, &len, &index, &cause), 0);
	assert_int_equal(index, 1);
	assert_string_equal((char *)plain, "one");
	free(plain);
	assert_int_equal(crypto_megolm_decrypt(in, m0, &plain, &len, &index, &cause), 0);
	assert_int_equal(index, 0);
	assert_int_equal(len, 15);
	assert_string_equal((char *)plain, "{\"body\":\"zero\"}");
	free(plain);

	late = crypto_megolm_in_new(late_key, &cause);
	assert_int_equal(crypto_megolm_in_first_index(late), 1);
	assert_int_equal(crypto_megolm_decrypt(late, m0, &plain, &len, &index, &cause), -2);
	assert_non_null(strstr(cause, "before"));
	assert_int_equal(index, 0);
	assert_null(crypto_megolm_in_export(late, 0, &cause));

	assert_int_equal(crypto_b64_decode(m1, &raw, &n, NULL), 0);
	for (size_t at = 0; at < n; at += 7) {
		char *bad;

		raw[at] ^= 0x40;
		bad = crypto_b64_encode(raw, n);
		assert_int_equal(crypto_megolm_decrypt(in, bad, &plain, &len, &index, &cause), -1);
		raw[at] ^= 0x40;
		free(bad);
	}
	for (size_t cut = 0; cut < n; cut += 5) {
		char *bad = crypto_b64_encode(raw, cut);

		assert_int_equal(crypto_megolm_decrypt(in, bad, &plain, &len, &index, &cause), -1);
		free(bad);
	}
	assert_int_equal(crypto_megolm_decrypt(in, "!!", &plain, &len, &index, &cause), -1);
	free(raw);
	free(cause);
	free(key);
	free(late_key);
	free(m0);
	free(m1);
	crypto_megolm_in_free(&in);
	crypto_megolm_in_free(&late);
	crypto_megolm_out_free(&out);
}

/* A message signed by another key but with a valid MAC is refused: the
 * signature, not the MAC, says who sent it. */
static void
test_megolm_refuses_tampered_signature_and_key(void **state)
{
	struct crypto_megolm_out *out = crypto_megolm_out_new();
	char *key = crypto_megolm_out_key(out), *cause = NULL, *m, *bad;
	struct crypto_megolm_in *in;
	uint8_t *raw, *plain;
	size_t n, len;
	uint32_t index;

	assert_int_equal(crypto_b64_decode(key, &raw, &n, NULL), 0);
	raw[n - 1] ^= 1;
	bad = crypto_b64_encode(raw, n);
	assert_null(crypto_megolm_in_new(bad, &cause));
	assert_non_null(strstr(cause, "signature"));
	free(bad);
	free(raw);
	in = crypto_megolm_in_new(key, &cause);
	m = crypto_megolm_encrypt(out, (const uint8_t *)"hi", 2);
	assert_int_equal(crypto_b64_decode(m, &raw, &n, NULL), 0);
	raw[n - 10] ^= 0x80;
	bad = crypto_b64_encode(raw, n);
	assert_int_equal(crypto_megolm_decrypt(in, bad, &plain, &len, &index, &cause), -1);
	assert_non_null(strstr(cause, "signature"));
	assert_null(crypto_megolm_in_new(m, &cause));
	assert_null(crypto_megolm_in_import(key, &cause));
	free(bad);
	free(raw);
	free(m);
	free(key);
	free(cause);
	crypto_megolm_in_free(&in);
	crypto_megolm_out_free(&out);
}

static void
test_megolm_export_import_and_pickles(void **state)
{
	struct crypto_megolm_out *out = crypto_megolm_out_new(), *out2;
	char *key = crypto_megolm_out_key(out), *cause = NULL, *exp, *p, *m;
	struct crypto_megolm_in *in = crypto_megolm_in_new(key, &cause), *imp, *in2;
	uint8_t wrong[CRYPTO_PICKLE_KEY_LEN] = {1}, *plain;
	size_t len;
	uint32_t index;

	for (int i = 0; i < 3; i++)
		free(crypto_megolm_encrypt(out, (const uint8_t *)"x", 1));
	exp = crypto_megolm_in_export(in, 2, &cause);
	imp = crypto_megolm_in_import(exp, &cause);
	assert_non_null(imp);
	assert_int_equal(crypto_megolm_in_first_index(imp), 2);
	assert_string_equal(crypto_megolm_in_id(imp), crypto_megolm_out_id(out));

	p = crypto_megolm_out_pickle(out, pickle_key);
	assert_null(crypto_megolm_out_unpickle(p, wrong, &cause));
	assert_non_null(strstr(cause, "wrong"));
	assert_null(crypto_megolm_in_unpickle(p, pickle_key, &cause));
	assert_non_null(strstr(cause, "outbound Megolm"));
	out2 = crypto_megolm_out_unpickle(p, pickle_key, &cause);
	assert_non_null(out2);
	assert_int_equal(crypto_megolm_out_index(out2), 3);
	free(p);
	p = crypto_megolm_in_pickle(imp, pickle_key);
	in2 = crypto_megolm_in_unpickle(p, pickle_key, &cause);
	assert_non_null(in2);
	m = crypto_megolm_encrypt(out2, (const uint8_t *)"after", 5);
	assert_int_equal(crypto_megolm_decrypt(in2, m, &plain, &len, &index, &cause), 0);
	assert_int_equal(index, 3);
	assert_string_equal((char *)plain, "after");
	free(plain);
	free(m);
	free(p);
	free(exp);
	free(key);
	free(cause);
	crypto_megolm_in_free(&in);
	crypto_megolm_in_free(&imp);
	crypto_megolm_in_free(&in2);
	crypto_megolm_out_free(&out);
	crypto_megolm_out_free(&out2);
}

struct olm_pair {
	struct crypto_account *alice, *bob;
	struct crypto_olm *a, *b;
};

/* Alice claims one of Bob's one-time keys and sends a pre-key message. */
static void
olm_pair_start(struct olm_pair *p, const char *first)
{
	struct crypto_otk *otks;
	char *cause = NULL, *body;
	int type;
	size_t n;
	uint8_t *plain;

	p->alice = crypto_account_new();
	p->bob = crypto_account_new();
	crypto_account_generate_otks(p->bob, 2);
	assert_int_equal(crypto_account_unpublished_otks(p->bob, &otks), 2);
	p->a = crypto_olm_outbound(p->alice, crypto_account_curve25519(p->bob), otks[0].key,
	    &cause);
	assert_non_null(p->a);
	crypto_otks_free(&otks, 2);
	assert_int_equal(crypto_olm_encrypt(p->a, (const uint8_t *)first, strlen(first), &type,
	    &body), 0);
	assert_int_equal(type, CRYPTO_OLM_PREKEY);
	p->b = crypto_olm_inbound(p->bob, crypto_account_curve25519(p->alice), body, &cause);
	assert_non_null(p->b);
	assert_true(crypto_olm_matches(p->b, crypto_account_curve25519(p->alice), body));
	assert_string_equal(crypto_olm_id(p->a), crypto_olm_id(p->b));
	assert_int_equal(crypto_olm_decrypt(p->b, type, body, &plain, &n, &cause), 0);
	assert_string_equal((char *)plain, first);
	free(plain);
	free(body);
}

static void
olm_pair_free(struct olm_pair *p)
{
	crypto_olm_free(&p->a);
	crypto_olm_free(&p->b);
	crypto_account_free(&p->alice);
	crypto_account_free(&p->bob);
}

static void
olm_send(struct crypto_olm *from, struct crypto_olm *to, const char *text, int want_type)
{
	char *body, *cause = NULL;
	uint8_t *plain;
	size_t n;
	int type;

	crypto_olm_encrypt(from, (const uint8_t *)text, strlen(text), &type, &body);
	assert_int_equal(type, want_type);
	if (crypto_olm_decrypt(to, type, body, &plain, &n, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(n, strlen(text));
	assert_string_equal((char *)plain, text);
	free(plain);
	free(body);
}

static void
test_olm_conversation(void **state)
{
	struct olm_pair p;

	olm_pair_start(&p, "hello bob");
	olm_send(p.a, p.b, "still pre-key", CRYPTO_OLM_PREKEY);
	olm_send(p.b, p.a, "hi alice", CRYPTO_OLM_NORMAL);
	olm_send(p.a, p.b, "now normal", CRYPTO_OLM_NORMAL);
	for (int i = 0; i < 5; i++) {
		olm_send(p.b, p.a, "b", CRYPTO_OLM_NORMAL);
		olm_send(p.b, p.a, "bb", CRYPTO_OLM_NORMAL);
		olm_send(p.a, p.b, "a", CRYPTO_OLM_NORMAL);
	}
	olm_pair_free(&p);
}

static void
test_olm_out_of_order_and_replay(void **state)
{
	struct olm_pair p;
	char *body[4], *cause = NULL;
	int type[4];
	uint8_t *plain;
	size_t n;

	olm_pair_start(&p, "x");
	olm_send(p.b, p.a, "y", CRYPTO_OLM_NORMAL);
	for (int i = 0; i < 4; i++) {
		char t[2] = {(char)('0' + i), 0};

		crypto_olm_encrypt(p.a, (const uint8_t *)t, 1, &type[i], &body[i]);
	}
	for (int i = 3; i >= 0; i--) {
		assert_int_equal(crypto_olm_decrypt(p.b, type[i], body[i], &plain, &n, &cause), 0);
		assert_int_equal(plain[0], '0' + i);
		free(plain);
	}
	assert_int_equal(crypto_olm_decrypt(p.b, type[2], body[2], &plain, &n, &cause), -1);
	assert_non_null(cause);
	for (int i = 0; i < 4; i++)
		free(body[i]);
	free(cause);
	olm_pair_free(&p);
}

/* A message held back while the ratchet moved on twice still decrypts
 * from its old receiver chain. */
static void
test_olm_late_message_from_old_chain(void **state)
{
	struct olm_pair p;
	char *late, *cause = NULL;
	uint8_t *plain;
	size_t n;
	int type;

	olm_pair_start(&p, "x");
	olm_send(p.b, p.a, "y", CRYPTO_OLM_NORMAL);
	crypto_olm_encrypt(p.b, (const uint8_t *)"late", 4, &type, &late);
	olm_send(p.a, p.b, "a1", CRYPTO_OLM_NORMAL);
	olm_send(p.b, p.a, "b2", CRYPTO_OLM_NORMAL);
	olm_send(p.a, p.b, "a3", CRYPTO_OLM_NORMAL);
	olm_send(p.b, p.a, "b4", CRYPTO_OLM_NORMAL);
	assert_int_equal(crypto_olm_decrypt(p.a, type, late, &plain, &n, &cause), 0);
	assert_string_equal((char *)plain, "late");
	free(plain);
	free(late);
	olm_pair_free(&p);
}

static void
test_olm_refusals(void **state)
{
	struct olm_pair p;
	char *body, *bad, *cause = NULL;
	uint8_t *raw, *plain;
	size_t n, len;
	int type;

	olm_pair_start(&p, "x");
	olm_send(p.b, p.a, "y", CRYPTO_OLM_NORMAL);
	crypto_olm_encrypt(p.a, (const uint8_t *)"secret", 6, &type, &body);
	assert_int_equal(crypto_b64_decode(body, &raw, &n, NULL), 0);
	raw[n - 1] ^= 1;
	bad = crypto_b64_encode(raw, n);
	assert_int_equal(crypto_olm_decrypt(p.b, type, bad, &plain, &len, &cause), -1);
	assert_non_null(strstr(cause, "MAC"));
	free(bad);
	for (size_t cut = 0; cut < n; cut += 3) {
		bad = crypto_b64_encode(raw, cut);
		assert_int_equal(crypto_olm_decrypt(p.b, type, bad, &plain, &len, &cause), -1);
		free(bad);
	}
	assert_int_equal(crypto_olm_decrypt(p.b, CRYPTO_OLM_PREKEY, body, &plain, &len, &cause),
	    -1);
	assert_int_equal(crypto_olm_decrypt(p.b, 7, body, &plain, &len, &cause), -1);
	assert_int_equal(crypto_olm_decrypt(p.b, type, body, &plain, &len, &cause), 0);
	assert_string_equal((char *)plain, "secret");
	free(plain);
	free(raw);
	free(body);
	free(cause);
	olm_pair_free(&p);
}

static void
test_olm_prekey_for_unknown_otk(void **state)
{
	struct crypto_account *alice = crypto_account_new(), *bob = crypto_account_new();
	struct crypto_account *carol = crypto_account_new();
	struct crypto_otk *otks;
	struct crypto_olm *a, *b;
	char *body, *cause = NULL;
	int type;

	crypto_account_generate_otks(carol, 1);
	crypto_account_unpublished_otks(carol, &otks);
	a = crypto_olm_outbound(alice, crypto_account_curve25519(bob), otks[0].key, &cause);
	crypto_otks_free(&otks, 1);
	crypto_olm_encrypt(a, (const uint8_t *)"x", 1, &type, &body);
	b = crypto_olm_inbound(bob, crypto_account_curve25519(alice), body, &cause);
	assert_null(b);
	assert_non_null(strstr(cause, "one-time key"));
	assert_null(crypto_olm_inbound(bob, crypto_account_curve25519(carol), body, &cause));
	assert_null(crypto_olm_inbound(bob, crypto_account_curve25519(alice), "AAAA", &cause));
	free(body);
	free(cause);
	crypto_olm_free(&a);
	crypto_account_free(&alice);
	crypto_account_free(&bob);
	crypto_account_free(&carol);
}

/* A one-time key is used once; a fallback key stays until replaced twice. */
static void
test_olm_otk_used_once_fallback_kept(void **state)
{
	struct crypto_account *alice = crypto_account_new(), *bob = crypto_account_new();
	struct crypto_otk *otks, fb;
	struct crypto_olm *a, *b;
	char *body, *cause = NULL;
	int type;

	crypto_account_generate_otks(bob, 1);
	crypto_account_unpublished_otks(bob, &otks);
	a = crypto_olm_outbound(alice, crypto_account_curve25519(bob), otks[0].key, &cause);
	crypto_olm_encrypt(a, (const uint8_t *)"x", 1, &type, &body);
	b = crypto_olm_inbound(bob, crypto_account_curve25519(alice), body, &cause);
	assert_non_null(b);
	crypto_olm_free(&b);
	assert_null(crypto_olm_inbound(bob, crypto_account_curve25519(alice), body, &cause));
	free(body);
	crypto_olm_free(&a);
	crypto_otks_free(&otks, 1);

	crypto_account_generate_fallback(bob);
	assert_int_equal(crypto_account_unpublished_fallback(bob, &fb), 1);
	crypto_account_mark_published(bob);
	assert_int_equal(crypto_account_unpublished_fallback(bob, &otks[0]), 0);
	a = crypto_olm_outbound(alice, crypto_account_curve25519(bob), fb.key, &cause);
	crypto_olm_encrypt(a, (const uint8_t *)"x", 1, &type, &body);
	for (int i = 0; i < 2; i++) {
		b = crypto_olm_inbound(bob, crypto_account_curve25519(alice), body, &cause);
		assert_non_null(b);
		crypto_olm_free(&b);
		crypto_account_generate_fallback(bob);
	}
	assert_null(crypto_olm_inbound(bob, crypto_account_curve25519(alice), body, &cause));
	free(fb.id);
	free(fb.key);
	free(body);
	free(cause);
	crypto_olm_free(&a);
	crypto_account_free(&alice);
	crypto_account_free(&bob);
}

static void
test_account_otks(void **state)
{
	struct crypto_account *acct = crypto_account_new();
	struct crypto_otk *otks;
	size_t n;

	assert_int_equal(strlen(crypto_account_curve25519(acct)), CRYPTO_KEY_B64);
	assert_int_equal(strlen(crypto_account_ed25519(acct)), CRYPTO_KEY_B64);
	crypto_account_generate_otks(acct, 3);
	n = crypto_account_unpublished_otks(acct, &otks);
	assert_int_equal(n, 3);
	assert_string_equal(otks[0].id, "AAAAAQ");
	assert_string_not_equal(otks[0].key, otks[1].key);
	crypto_otks_free(&otks, n);
	crypto_account_mark_published(acct);
	assert_int_equal(crypto_account_unpublished_otks(acct, &otks), 0);
	crypto_otks_free(&otks, 0);
	crypto_account_generate_otks(acct, CRYPTO_OTK_MAX + 5);
	n = crypto_account_unpublished_otks(acct, &otks);
	assert_int_equal(n, CRYPTO_OTK_MAX);
	crypto_otks_free(&otks, n);
	crypto_account_free(&acct);
	assert_null(acct);
}

static void
test_account_sign_verifies(void **state)
{
	struct crypto_account *acct = crypto_account_new();
	const char *json = "{\"key\":\"abc\"}";
	char *sig = crypto_account_sign(acct, (const uint8_t *)json, strlen(json)), *cause = NULL;

	assert_int_equal(crypto_ed25519_verify(crypto_account_ed25519(acct),
	    (const uint8_t *)json, strlen(json), sig, &cause), 1);
	assert_int_equal(crypto_ed25519_verify(crypto_account_ed25519(acct),
	    (const uint8_t *)json, strlen(json) - 1, sig, &cause), 0);
	free(sig);
	crypto_account_free(&acct);
}

static void
test_pickles_round_trip_and_refuse(void **state)
{
	struct olm_pair p;
	uint8_t wrong[CRYPTO_PICKLE_KEY_LEN];
	char *pa, *pb, *pacct, *cause = NULL;
	struct crypto_account *acct;
	struct crypto_olm *a2, *b2;

	memcpy(wrong, pickle_key, sizeof wrong);
	wrong[31] ^= 1;
	olm_pair_start(&p, "x");
	olm_send(p.b, p.a, "y", CRYPTO_OLM_NORMAL);
	pa = crypto_olm_pickle(p.a, pickle_key);
	pb = crypto_olm_pickle(p.b, pickle_key);
	pacct = crypto_account_pickle(p.bob, pickle_key);
	assert_null(crypto_olm_unpickle(pa, wrong, &cause));
	assert_non_null(strstr(cause, "wrong"));
	assert_null(crypto_account_unpickle(pa, pickle_key, &cause));
	assert_non_null(strstr(cause, "Olm session"));
	assert_null(crypto_olm_unpickle("bm90IGEgcGlja2xl", pickle_key, &cause));
	pa[10] = pa[10] == 'A' ? 'B' : 'A';
	assert_null(crypto_olm_unpickle(pa, pickle_key, &cause));
	free(pa);
	pa = crypto_olm_pickle(p.a, pickle_key);
	a2 = crypto_olm_unpickle(pa, pickle_key, &cause);
	b2 = crypto_olm_unpickle(pb, pickle_key, &cause);
	assert_non_null(a2);
	assert_non_null(b2);
	assert_string_equal(crypto_olm_id(a2), crypto_olm_id(p.a));
	olm_send(a2, b2, "after a restart", CRYPTO_OLM_NORMAL);
	olm_send(b2, a2, "and back", CRYPTO_OLM_NORMAL);
	acct = crypto_account_unpickle(pacct, pickle_key, &cause);
	assert_non_null(acct);
	assert_string_equal(crypto_account_curve25519(acct), crypto_account_curve25519(p.bob));
	assert_string_equal(crypto_account_ed25519(acct), crypto_account_ed25519(p.bob));
	assert_null(crypto_account_unpickle(pacct, wrong, &cause));
	free(pa);
	free(pb);
	free(pacct);
	free(cause);
	crypto_olm_free(&a2);
	crypto_olm_free(&b2);
	crypto_account_free(&acct);
	olm_pair_free(&p);
}

/* An account restored from its pickle still answers a pre-key message
 * for a one-time key it published before. */
static void
test_account_pickle_keeps_otks(void **state)
{
	struct crypto_account *alice = crypto_account_new(), *bob = crypto_account_new(), *bob2;
	struct crypto_otk *otks;
	struct crypto_olm *a, *b;
	char *p, *body, *cause = NULL;
	int type;

	crypto_account_generate_otks(bob, 4);
	crypto_account_generate_fallback(bob);
	crypto_account_unpublished_otks(bob, &otks);
	crypto_account_mark_published(bob);
	p = crypto_account_pickle(bob, pickle_key);
	bob2 = crypto_account_unpickle(p, pickle_key, &cause);
	assert_non_null(bob2);
	a = crypto_olm_outbound(alice, crypto_account_curve25519(bob), otks[2].key, &cause);
	crypto_olm_encrypt(a, (const uint8_t *)"x", 1, &type, &body);
	b = crypto_olm_inbound(bob2, crypto_account_curve25519(alice), body, &cause);
	assert_non_null(b);
	free(body);
	free(p);
	crypto_otks_free(&otks, 4);
	crypto_olm_free(&a);
	crypto_olm_free(&b);
	crypto_account_free(&alice);
	crypto_account_free(&bob);
	crypto_account_free(&bob2);
}

/* The device keys of acct as /keys/query gives them, signed; with
 * tamper set, changed after signing. */
static char *
device_keys_json(const struct crypto_account *acct, const char *user, int tamper)
{
	char *body = xasprintf("{\"algorithms\":[\"m.olm.v1.curve25519-aes-sha2\"],"
	    "\"device_id\":\"DEV\",\"keys\":{\"curve25519:DEV\":\"%s\",\"ed25519:DEV\":\"%s\"},"
	    "\"user_id\":\"%s\"}", crypto_account_curve25519(acct), crypto_account_ed25519(acct),
	    user);
	char *sig = crypto_account_sign(acct, (const uint8_t *)body, strlen(body)), *out;

	body[strlen(body) - 1] = '\0';
	out = xasprintf("%s,\"signatures\":{\"%s\":{\"ed25519:DEV\":\"%s\"}}%s}", body, user, sig,
	    tamper ? ",\"extra\":1" : "");
	free(body);
	free(sig);
	return out;
}

static char *
olm_payload(const char *sender, const char *recipient, const char *our_ed,
    const char *their_ed, const char *device_keys)
{
	return xasprintf("{\"type\":\"m.room_key\",\"content\":{},\"sender\":\"%s\","
	    "\"recipient\":\"%s\",\"recipient_keys\":{\"ed25519\":\"%s\"},\"keys\":"
	    "{\"ed25519\":\"%s\"}%s%s}", sender, recipient, our_ed, their_ed,
	    device_keys ? ",\"sender_device_keys\":" : "", device_keys ? device_keys : "");
}

static int
payload_ok(const struct crypto_account *me, char *payload, const struct crypto_olm_origin *o)
{
	char *cause = NULL, *ed = NULL;
	int rc = crypto_olm_payload_check(me, payload, strlen(payload), o, &ed, &cause);

	assert_true(rc == 0 ? ed != NULL && cause == NULL : ed == NULL && cause != NULL);
	free(ed);
	free(cause);
	free(payload);
	return rc == 0;
}

/* The spec's checks on a decrypted Olm payload, each rule refusing. */
static void
test_olm_payload_checks(void **state)
{
	struct crypto_account *me = crypto_account_new(), *them = crypto_account_new();
	const char *my_ed = crypto_account_ed25519(me), *ed = crypto_account_ed25519(them);
	struct crypto_olm_origin o = {"@a:x", crypto_account_curve25519(them), ed, "@me:x"};
	char *dk = device_keys_json(them, "@a:x", 0), *bad = device_keys_json(them, "@a:x", 1);
	char *other_user = device_keys_json(them, "@b:x", 0);

	assert_true(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, ed, NULL), &o));
	assert_false(payload_ok(me, olm_payload("@b:x", "@me:x", my_ed, ed, NULL), &o));
	assert_false(payload_ok(me, olm_payload("@a:x", "@you:x", my_ed, ed, NULL), &o));
	assert_false(payload_ok(me, olm_payload("@a:x", "@me:x", ed, ed, NULL), &o));
	assert_false(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, my_ed, NULL), &o));
	o.device_ed25519 = NULL;
	assert_false(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, ed, NULL), &o));
	assert_true(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, ed, dk), &o));
	assert_false(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, ed, bad), &o));
	assert_false(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, ed, other_user), &o));
	assert_false(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, my_ed, dk), &o));
	o.sender_key = crypto_account_curve25519(me);
	assert_false(payload_ok(me, olm_payload("@a:x", "@me:x", my_ed, ed, dk), &o));
	assert_false(payload_ok(me, xstrdup("{\"sender\":\"@a:x\",\"sender\":\"@a:x\"}"), &o));
	free(dk);
	free(bad);
	free(other_user);
	crypto_account_free(&me);
	crypto_account_free(&them);
}

static int
temp_fd(const char *data, size_t len)
{
	char path[] = "/tmp/natter-crypto-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static char *
fd_contents(int fd, size_t *len)
{
	struct buf b = {0};
	char chunk[4096];
	ssize_t n;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_add(&b, chunk, (size_t)n);
	*len = b.len;
	return buf_steal(&b);
}

static void
test_file_round_trip_and_hash(void **state)
{
	size_t size = 200000, n;
	char *data = xmalloc(size), *got, *cause = NULL;
	struct crypto_file f;
	uint8_t iv[16], *cipher, hash[32], want[32];
	int in, enc, out;

	for (size_t i = 0; i < size; i++)
		data[i] = (char)(i * 7);
	in = temp_fd(data, size);
	enc = temp_fd("", 0);
	assert_int_equal(crypto_file_encrypt(in, enc, &f, &cause), 0);
	assert_int_equal(strlen(f.key), 43);
	assert_null(strpbrk(f.key, "+/="));
	assert_int_equal(crypto_b64_decode_into(f.iv, 0, iv, 16, NULL), 0);
	assert_memory_equal(iv + 8, "\0\0\0\0\0\0\0\0", 8);
	cipher = (uint8_t *)fd_contents(enc, &n);
	assert_int_equal(n, size);
	assert_memory_not_equal(cipher, data, 64);
	crypto_sha256(cipher, n, hash);
	assert_int_equal(crypto_b64_decode_into(f.sha256, 0, want, 32, NULL), 0);
	assert_memory_equal(hash, want, 32);

	out = temp_fd("", 0);
	assert_int_equal(lseek(enc, 0, SEEK_SET), 0);
	assert_int_equal(crypto_file_decrypt(enc, out, &f, &cause), 0);
	got = fd_contents(out, &n);
	assert_int_equal(n, size);
	assert_memory_equal(got, data, size);
	free(got);
	close(out);

	cipher[1000] ^= 1;
	close(enc);
	enc = temp_fd((char *)cipher, size);
	out = temp_fd("", 0);
	assert_int_equal(crypto_file_decrypt(enc, out, &f, &cause), -1);
	assert_non_null(strstr(cause, "SHA-256"));
	got = fd_contents(out, &n);
	assert_int_equal(n, 0);
	free(got);
	free(cause);
	free(cipher);
	free(data);
	crypto_file_clear(&f);
	close(in);
	close(enc);
	close(out);
}

/* AES-256-CTR as the spec uses it, against NIST SP 800-38A F.5.5. */
static void
test_file_ctr_vector(void **state)
{
	struct crypto_file f = {0};
	uint8_t key[32], iv[16], plain[16], k64[64];
	char *cause = NULL, *got;
	int in, out;
	size_t n;
	uint8_t hash[32];

	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", key);
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", iv);
	unhex("6bc1bee22e409f96e93d7e117393172a", plain);
	crypto_b64_put((char *)k64, key, 32, 1);
	f.key = xstrdup((char *)k64);
	f.iv = crypto_b64_encode(iv, 16);
	{
		uint8_t c[16];

		unhex("601ec313775789a5b7a7f504bbf3d228", c);
		crypto_sha256(c, 16, hash);
		f.sha256 = crypto_b64_encode(hash, 32);
		in = temp_fd((char *)c, 16);
	}
	out = temp_fd("", 0);
	assert_int_equal(crypto_file_decrypt(in, out, &f, &cause), 0);
	got = fd_contents(out, &n);
	assert_int_equal(n, 16);
	assert_memory_equal(got, plain, 16);
	free(got);
	crypto_file_clear(&f);
	close(in);
	close(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_x25519_refuses_low_order_point),
		cmocka_unit_test(test_ed25519_rfc8032),
		cmocka_unit_test(test_ed25519_verify_malformed),
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_hmac_sha256_rfc4231_and_sha256),
		cmocka_unit_test(test_aes_cbc_pkcs7),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_canonical_json_spec_examples),
		cmocka_unit_test(test_canonical_json_escapes_and_order),
		cmocka_unit_test(test_canonical_json_refusals),
		cmocka_unit_test(test_signing_spec_examples),
		cmocka_unit_test(test_signable_spec_server_key),
		cmocka_unit_test(test_signable_refuses_duplicate_signatures),
		cmocka_unit_test(test_megolm_ratchet_vectors),
		cmocka_unit_test(test_megolm_steps_match_jumps),
		cmocka_unit_test(test_megolm_round_trip_and_refusals),
		cmocka_unit_test(test_megolm_refuses_tampered_signature_and_key),
		cmocka_unit_test(test_megolm_export_import_and_pickles),
		cmocka_unit_test(test_olm_conversation),
		cmocka_unit_test(test_olm_out_of_order_and_replay),
		cmocka_unit_test(test_olm_late_message_from_old_chain),
		cmocka_unit_test(test_olm_refusals),
		cmocka_unit_test(test_olm_prekey_for_unknown_otk),
		cmocka_unit_test(test_olm_otk_used_once_fallback_kept),
		cmocka_unit_test(test_account_otks),
		cmocka_unit_test(test_account_sign_verifies),
		cmocka_unit_test(test_pickles_round_trip_and_refuse),
		cmocka_unit_test(test_account_pickle_keeps_otks),
		cmocka_unit_test(test_olm_payload_checks),
		cmocka_unit_test(test_file_round_trip_and_hash),
		cmocka_unit_test(test_file_ctr_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
