/* Room-key files: Element's own test vectors open, what natter seals opens
 * again, and every broken file is refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/crypto.h"
#include "natter/util.h"

#define BEGIN "-----BEGIN MEGOLM SESSION DATA-----\n"
#define END "-----END MEGOLM SESSION DATA-----"

/* The vectors Element's MegolmExportEncryption is tested with. */
static const struct {
	const char *plain, *passphrase, *file;
} element[] = {
	{"plain", "password", BEGIN
	    "AXNhbHRzYWx0c2FsdHNhbHSIiIiIiIiIiIiIiIiIiIiIAAAACmIRUW2OjZ3L2l6j9h0lHlV3M2dx\n"
	    "cissyYBxjsfsAndErh065A8=\n" END},
	{"Hello, World", "betterpassword", BEGIN
	    "AW1vcmVzYWx0bW9yZXNhbHT//////////wAAAAAAAAAAAAAD6KyBpe1Niv5M5NPm4ZATsJo5nghk\n"
	    "KYu63a0YQ5DRhUWEKk7CcMkrKnAUiZny\n" END},
	{"alphanumericallyalphanumericallyalphanumericallyalphanumerically", "SWORDFISH", BEGIN
	    "AXllc3NhbHR5Z29vZG5lc3P//////////wAAAAAAAAAAAAAD6OIW+Je7gwvjd4kYrb+49gKCfExw\n"
	    "MgJBMD4mrhLkmgAngwR1pHjbWXaoGybtiAYr0moQ93GrBQsCzPbvl82rZhaXO3iH5uHo/RCEpOqp\n"
	    "Pgg29363BGR+/Ripq/VCLKGNbw==\n" END},
};

/* Opening text must fail with a cause that contains want. */
static void
assert_refused(const char *text, const char *passphrase, const char *want)
{
	uint8_t *plain = (uint8_t *)"unchanged";
	size_t len = 7;
	char *cause = NULL;

	assert_int_equal(crypto_keyfile_open(text, strlen(text), passphrase, &plain, &len,
	    &cause), -1);
	assert_null(plain);
	assert_int_equal(len, 0);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("refused with \"%s\", not \"...%s...\"", cause, want);
	free(cause);
}

/* The armoured file of raw bytes (a file natter would never write). */
static char *
armour(const uint8_t *bin, size_t len)
{
	char *b64 = crypto_b64_encode(bin, len);
	char *text = xasprintf(BEGIN "%s\n" END "\n", b64);

	free(b64);
	return text;
}

static void
test_element_vectors_open(void **state)
{
	(void)state;
	for (size_t i = 0; i < NT_NELEMS(element); i++) {
		uint8_t *plain;
		size_t len;
		char *cause = NULL;

		assert_int_equal(crypto_keyfile_open(element[i].file, strlen(element[i].file),
		    element[i].passphrase, &plain, &len, &cause), 0);
		assert_int_equal(len, strlen(element[i].plain));
		assert_memory_equal(plain, element[i].plain, len);
		free(plain);
	}
}

static void
test_a_sealed_file_opens_with_its_passphrase_only(void **state)
{
	const char *json = "[{\"session_id\": \"s\", \"room_id\": \"!r:x\", \"text\": \"Søren\"}]";
	const char *pass = "correct horse ✓ battery";
	char *file, *b64 = NULL, *line, *save = NULL;
	uint8_t *plain;
	size_t len;
	char *cause = NULL;

	(void)state;
	file = crypto_keyfile_seal((const uint8_t *)json, strlen(json), pass, 1000);
	assert_true(strncmp(file, BEGIN, strlen(BEGIN)) == 0);
	assert_non_null(strstr(file, "\n" END "\n"));
	assert_int_equal(crypto_keyfile_open(file, strlen(file), pass, &plain, &len, &cause), 0);
	assert_int_equal(len, strlen(json));
	assert_string_equal((char *)plain, json);
	free(plain);
	assert_refused(file, "correct horse battery", "wrong passphrase");
	/* Lines of at most 96 characters of padded base64, as Element writes. */
	b64 = xstrdup(file + strlen(BEGIN));
	*strstr(b64, END) = '\0';
	len = 0;
	for (line = strtok_r(b64, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 96);
		len += strlen(line);
	}
	assert_int_equal(len % 4, 0);
	free(b64);
	free(file);
}

static void
test_a_changed_file_is_refused(void **state)
{
	const char *json = "[]";
	char *file = crypto_keyfile_seal((const uint8_t *)json, 2, "pass", 10);
	char *body = file + strlen(BEGIN);

	(void)state;
	/* One character of the ciphertext, then of the MAC. */
	body[60] = body[60] == 'A' ? 'B' : 'A';
	assert_refused(file, "pass", "wrong passphrase, or the room key file was changed");
	free(file);
	file = crypto_keyfile_seal((const uint8_t *)json, 2, "pass", 10);
	body = strstr(file, "\n" END) - 3;
	*body = *body == 'A' ? 'B' : 'A';
	assert_refused(file, "pass", "was changed");
	free(file);
}

static void
test_the_iv_leaves_its_counter_room(void **state)
{
	(void)state;
	for (int i = 0; i < 32; i++) {
		char *file = crypto_keyfile_seal((const uint8_t *)"x", 1, "p", 1), *b64, *cause = NULL;
		uint8_t *bin;
		size_t len;

		b64 = xstrdup(file + strlen(BEGIN));
		*strchr(b64, '\n') = '\0';
		assert_int_equal(crypto_b64_decode(b64, &bin, &len, &cause), 0);
		assert_int_equal(bin[0], 1);
		assert_int_equal(bin[1 + 16 + 8] & 0x80, 0);	/* bit 63 of the IV */
		free(bin);
		free(b64);
		free(file);
	}
}

static void
test_broken_files_say_what_is_wrong(void **state)
{
	uint8_t bin[1 + 16 + 16 + 4 + 40 + 32] = {1};
	char *text;

	(void)state;
	assert_refused("", "p", "not a room key file");
	assert_refused("{\"keys\": []}", "p", "not a room key file");
	assert_refused(BEGIN "AXNhbHRzYWx0c2FsdHNhbHSI\n", "p", "cut short");
	assert_refused(BEGIN END, "p", "empty");
	assert_refused(BEGIN "AXNh*HRz\n" END, "p", "not base64");
	assert_refused(BEGIN "AXNhbHRzYWx0c2FsdHNhbHSI\n" END, "p", "cut short");
	/* A version natter does not know. */
	bin[0] = 2;
	text = armour(bin, sizeof bin);
	assert_refused(text, "p", "version 2");
	free(text);
	/* Rounds: none, and so many that opening would take an hour. */
	bin[0] = 1;
	text = armour(bin, sizeof bin);
	assert_refused(text, "p", "asks for 0 rounds");
	free(text);
	memset(bin + 33, 0xff, 4);
	text = armour(bin, sizeof bin);
	assert_refused(text, "p", "asks for 4294967295 rounds");
	free(text);
	/* Leading white space is fine; a wrong passphrase says so. */
	text = xasprintf("\n  %s", element[0].file);
	assert_refused(text, "passwore", "wrong passphrase");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_element_vectors_open),
		cmocka_unit_test(test_a_sealed_file_opens_with_its_passphrase_only),
		cmocka_unit_test(test_a_changed_file_is_refused),
		cmocka_unit_test(test_the_iv_leaves_its_counter_room),
		cmocka_unit_test(test_broken_files_say_what_is_wrong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
