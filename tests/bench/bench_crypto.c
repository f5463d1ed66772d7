/* Benchmark: Megolm on one core. `bench_crypto [MESSAGES [RUNS]]`
 * encrypts MESSAGES room events (a 230-byte m.room.message each) with one
 * outbound session, then decrypts them in order with an inbound copy, as
 * a reader catching up on a room does; each run prints messages/s for
 * both (see bench.h), and on stderr how much of a message's time one
 * Ed25519 signature or verification alone takes, the part no change to
 * natter's own code can remove. Asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "bench.h"

#define BENCH_EVENT                                                                        \
	"{\"type\":\"m.room.message\",\"room_id\":\"!board:example.org\",\"content\":"     \
	"{\"msgtype\":\"m.text\",\"body\":\"The board meeting moved to Thursday 10:00; "    \
	"please confirm with Dana and the travel desk (flight BA718, car at 06:30).\","      \
	"\"m.mentions\":{}}}"

static int
fail(const char *what)
{
	fprintf(stderr, "bench_crypto: %s\n", what);
	return 1;
}

static double
encrypt_all(struct crypto_megolm_out *out, char **bodies, int n)
{
	int64_t t0 = nt_mono_us();

	for (int i = 0; i < n; i++)
		bodies[i] = crypto_megolm_encrypt(out, (const uint8_t *)BENCH_EVENT,
		    strlen(BENCH_EVENT));
	return (double)(nt_mono_us() - t0) / 1000.0;
}

static double
decrypt_all(const char *key, char **bodies, int n, int *bad)
{
	char *cause = NULL;
	struct crypto_megolm_in *in = crypto_megolm_in_new(key, &cause);
	int64_t t0 = nt_mono_us();

	for (int i = 0; i < n && in != NULL; i++) {
		uint8_t *plain;
		size_t len;
		uint32_t index;

		if (crypto_megolm_decrypt(in, bodies[i], &plain, &len, &index, &cause) != 0 ||
		    index != (uint32_t)i || len != strlen(BENCH_EVENT))
			(*bad)++;
		else
			free(plain);
	}
	*bad += in == NULL;
	crypto_megolm_in_free(&in);
	free(cause);
	return (double)(nt_mono_us() - t0) / 1000.0;
}

/* CPU microseconds of one Ed25519 signature and one verification of 300
 * bytes, about what the Megolm message of BENCH_EVENT signs. */
static void
signature_cost(int n, double *sign_us, double *verify_us)
{
	struct crypto_account *acct = crypto_account_new();
	uint8_t msg[300] = {0};
	char *sig;
	double t0;

	memcpy(msg, BENCH_EVENT, strlen(BENCH_EVENT));
	sig = crypto_account_sign(acct, msg, sizeof msg);
	t0 = bench_cpu_ms();
	for (int i = 0; i < n; i++)
		free(crypto_account_sign(acct, msg, sizeof msg));
	*sign_us = (bench_cpu_ms() - t0) * 1000.0 / n;
	t0 = bench_cpu_ms();
	for (int i = 0; i < n; i++)
		crypto_ed25519_verify(crypto_account_ed25519(acct), msg, sizeof msg, sig, NULL);
	*verify_us = (bench_cpu_ms() - t0) * 1000.0 / n;
	free(sig);
	crypto_account_free(&acct);
}

static int
run_once(int n)
{
	struct crypto_megolm_out *out = crypto_megolm_out_new();
	char *key = crypto_megolm_out_key(out), **bodies = xcalloc((size_t)n, sizeof *bodies);
	double cpu0 = bench_cpu_ms(), enc_ms, dec_ms, cpu1;
	int bad = 0;

	enc_ms = encrypt_all(out, bodies, n);
	cpu1 = bench_cpu_ms();
	bench_print_run("megolm-encrypt", n / ((cpu1 - cpu0) / 1000.0), enc_ms, cpu1 - cpu0);
	dec_ms = decrypt_all(key, bodies, n, &bad);
	cpu0 = bench_cpu_ms();
	bench_print_run("megolm-decrypt", n / ((cpu0 - cpu1) / 1000.0), dec_ms, cpu0 - cpu1);
	for (int i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
	free(key);
	crypto_megolm_out_free(&out);
	return bad == 0 ? 0 : fail("a message did not decrypt");
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000, runs = argc > 2 ? atoi(argv[2]) : 5;
	double sign_us, verify_us;

	if (n <= 0 || runs <= 0)
		return fail("usage: bench_crypto [MESSAGES [RUNS]]");
	for (int r = 0; r < runs; r++)
		if (run_once(n) != 0)
			return 1;
	signature_cost(2000, &sign_us, &verify_us);
	fprintf(stderr, "bench_crypto: one Ed25519 signature %.1f us (at most %.0f/s), one "
	    "verification %.1f us (at most %.0f/s)\n", sign_us, 1e6 / sign_us, verify_us,
	    1e6 / verify_us);
	return 0;
}
