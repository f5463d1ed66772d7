/* The verification dialog's model (src/ui/ui-verify.c), without a
 * terminal: what it says at each step of a verification, what each key
 * does there, and that its lines fit any width, the emoji (two cells
 * each) included, with nothing the server sent left able to drive the
 * terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/core.h"
#include "natter/crypto.h"
#include "natter/keys.h"
#include "natter/text.h"
#include "natter/util.h"
#include "../../src/ui/ui-private.h"

#define PEER "@bob:example.org"
#define DEVICE "BOBPHONE"

static const int sample_emoji[7] = {0, 9, 21, 33, 42, 55, 63};

static struct key
key_of(uint32_t code)
{
	struct key k = {code, 0};

	return k;
}

static struct core_verify_info
info_of(enum core_verify_state state, int incoming)
{
	struct core_verify_info info = {
		.txn = "txn1",
		.user_id = PEER,
		.device_id = DEVICE,
		.incoming = incoming,
		.state = state,
		.emoji_ok = 1,
		.decimal = {1234, 5678, 9012},
	};

	memcpy(info.emoji, sample_emoji, sizeof info.emoji);
	return info;
}

/* All the dialog's lines at width, and its prompt, one string. */
static char *
dialog_text(const struct ui_verify *v, int width)
{
	struct buf b = {0};
	char **lines;
	size_t n = ui_verify_lines(v, width, &lines);

	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s\n", lines[i]);
	buf_puts(&b, ui_verify_prompt(v));
	ui_verify_lines_free(&lines, n);
	return buf_steal(&b);
}

static void
assert_says(const struct ui_verify *v, const char *want)
{
	char *text = dialog_text(v, 200);

	if (strstr(text, want) == NULL)
		fail_msg("\"%s\" not in:\n%s", want, text);
	free(text);
}

static void
test_incoming_request(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, DEVICE, 1);
	struct key a = key_of('a'), y = key_of('y'), esc = key_of(KEYS_ESC);

	(void)state;
	assert_says(v, DEVICE " of " PEER " asks to verify this device.");
	assert_says(v, "a accept \u00b7 Esc ignore");
	assert_int_equal(ui_verify_decide(v, &a), UI_VERIFY_ACCEPT);
	assert_int_equal(ui_verify_decide(v, &y), UI_VERIFY_NOTHING);
	assert_int_equal(ui_verify_decide(v, &esc), UI_VERIFY_CANCEL);
	ui_verify_free(&v);
	assert_null(v);
}

/* Accepted, it waits for the other side to start, from the moment a is
 * pressed (the devices are fetched first); a second a does nothing. */
static void
test_incoming_waits(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, DEVICE, 1);
	struct core_verify_info info = info_of(CORE_VERIFY_READY, 1);
	struct key a = key_of('a');

	(void)state;
	v->accepting = 1;
	assert_says(v, "Waiting for " DEVICE " of " PEER " to start");
	assert_string_equal(ui_verify_prompt(v), "Esc cancel");
	assert_int_equal(ui_verify_decide(v, &a), UI_VERIFY_NOTHING);
	ui_verify_update(v, &info);
	assert_says(v, "Waiting for " DEVICE " of " PEER " to start");
	assert_int_equal(ui_verify_decide(v, &a), UI_VERIFY_NOTHING);
	ui_verify_free(&v);
}

/* /verify to all of a user's devices names none until one answers. */
static void
test_outgoing_request(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, NULL, 0);
	struct core_verify_info info = info_of(CORE_VERIFY_READY, 0);
	struct key a = key_of('a');

	(void)state;
	assert_says(v, "Waiting for a device of " PEER " to accept");
	assert_says(v, "Esc cancel");
	assert_int_equal(ui_verify_decide(v, &a), UI_VERIFY_NOTHING);
	ui_verify_update(v, &info);
	assert_says(v, DEVICE " of " PEER);
	ui_verify_free(&v);
}

static void
test_sas_shows_emoji_and_numbers(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, DEVICE, 1);
	struct core_verify_info info = info_of(CORE_VERIFY_SAS, 1);
	struct key y = key_of('y'), n = key_of('n'), esc = key_of(KEYS_ESC);
	char *text;

	(void)state;
	ui_verify_update(v, &info);
	text = dialog_text(v, 100);
	for (int i = 0; i < 7; i++) {
		assert_non_null(strstr(text, crypto_sas_emoji_char(sample_emoji[i])));
		assert_non_null(strstr(text, crypto_sas_emoji_name(sample_emoji[i])));
	}
	assert_non_null(strstr(text, "numbers: 1234 5678 9012"));
	assert_non_null(strstr(text, "Do they match? y yes \u00b7 n no \u00b7 Esc cancel"));
	free(text);
	assert_int_equal(ui_verify_decide(v, &y), UI_VERIFY_MATCH);
	assert_int_equal(ui_verify_decide(v, &n), UI_VERIFY_DIFFER);
	assert_int_equal(ui_verify_decide(v, &esc), UI_VERIFY_CANCEL);
	/* Answered, it waits; another y or n changes nothing. */
	v->answered = 1;
	assert_says(v, "Waiting for the other side");
	assert_int_equal(ui_verify_decide(v, &y), UI_VERIFY_NOTHING);
	assert_int_equal(ui_verify_decide(v, &n), UI_VERIFY_NOTHING);
	ui_verify_free(&v);
}

/* Each emoji stands over its own name: the name's column holds the
 * emoji's, on a wide screen one row of seven. */
static void
test_sas_emoji_over_names(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, DEVICE, 0);
	struct core_verify_info info = info_of(CORE_VERIFY_SAS, 0);
	char **lines;
	size_t n;
	int row = -1;

	(void)state;
	ui_verify_update(v, &info);
	n = ui_verify_lines(v, 120, &lines);
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], crypto_sas_emoji_char(sample_emoji[0])) != NULL)
			row = (int)i;
	assert_true(row >= 0 && (size_t)row + 1 < n);
	for (int i = 0; i < 7; i++) {
		const char *e = strstr(lines[row], crypto_sas_emoji_char(sample_emoji[i]));
		const char *name = strstr(lines[row + 1], crypto_sas_emoji_name(sample_emoji[i]));
		char *before_e, *before_name;
		int ecol, ncol, nw = text_width(crypto_sas_emoji_name(sample_emoji[i]));

		assert_non_null(e);
		assert_non_null(name);
		before_e = xstrndup(lines[row], (size_t)(e - lines[row]));
		before_name = xstrndup(lines[row + 1], (size_t)(name - lines[row + 1]));
		ecol = text_width(before_e);
		ncol = text_width(before_name);
		/* The emoji's two cells lie within (or over) its name's. */
		assert_true(ecol + 2 >= ncol && ecol <= ncol + nw);
		free(before_e);
		free(before_name);
	}
	ui_verify_lines_free(&lines, n);
	ui_verify_free(&v);
}

/* However narrow the pane, no line is wider than it; from a width that
 * holds the longest name, every emoji and name is there whole. */
static void
test_lines_fit_any_width(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, DEVICE, 1);
	struct core_verify_info info = info_of(CORE_VERIFY_SAS, 1);
	int longest = 0;

	(void)state;
	ui_verify_update(v, &info);
	for (int i = 0; i < 7; i++) {
		int w = text_width(crypto_sas_emoji_name(sample_emoji[i]));

		longest = w > longest ? w : longest;
	}
	for (int width = -1; width <= 130; width++) {
		char **lines;
		size_t n = ui_verify_lines(v, width, &lines);
		struct buf all = {0};

		assert_true(n > 0);
		for (size_t i = 0; i < n; i++) {
			if (text_width(lines[i]) > (width < 1 ? 1 : width))
				fail_msg("width %d: \"%s\" is wider", width, lines[i]);
			buf_printf(&all, "%s\n", lines[i]);
		}
		for (int i = 0; width >= longest && i < 7; i++) {
			assert_non_null(strstr(all.data, crypto_sas_emoji_char(sample_emoji[i])));
			assert_non_null(strstr(all.data, crypto_sas_emoji_name(sample_emoji[i])));
		}
		buf_free(&all);
		ui_verify_lines_free(&lines, n);
	}
	ui_verify_free(&v);
}

/* Without emoji on both sides, the numbers alone. */
static void
test_sas_numbers_only(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, DEVICE, 1);
	struct core_verify_info info = info_of(CORE_VERIFY_SAS, 1);
	char *text;

	(void)state;
	info.emoji_ok = 0;
	ui_verify_update(v, &info);
	text = dialog_text(v, 80);
	assert_null(strstr(text, crypto_sas_emoji_name(sample_emoji[0])));
	assert_non_null(strstr(text, "numbers: 1234 5678 9012"));
	free(text);
	ui_verify_free(&v);
}

static void
test_done_and_cancelled_close(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", PEER, DEVICE, 1);
	struct core_verify_info info = info_of(CORE_VERIFY_DONE, 1);
	struct key x = key_of('x'), esc = key_of(KEYS_ESC);

	(void)state;
	ui_verify_update(v, &info);
	assert_says(v, "Verified " DEVICE " of " PEER ".");
	assert_says(v, "any key closes");
	assert_int_equal(ui_verify_decide(v, &x), UI_VERIFY_CLOSE);
	info = info_of(CORE_VERIFY_CANCELLED, 1);
	info.code = "m.mismatched_sas";
	info.reason = "the user says the emoji or numbers differ";
	ui_verify_update(v, &info);
	assert_says(v, "cancelled: the user says the emoji or numbers differ "
	    "(m.mismatched_sas)");
	assert_int_equal(ui_verify_decide(v, &esc), UI_VERIFY_CLOSE);
	ui_verify_free(&v);
}

/* A user id, device, reason and code from the server may hold escape
 * sequences: none reaches a line. */
static void
test_server_text_inert(void **state)
{
	struct ui_verify *v = ui_verify_new("txn1", "@evil\x1b]0;pwned\x07:x", "DEV\x1b[2J", 1);
	struct core_verify_info info = info_of(CORE_VERIFY_CANCELLED, 1);
	char *text;

	(void)state;
	info.device_id = "DEV\x1b[2J\r";
	info.code = "m.user\x1b[31m";
	info.reason = "bye\x9b" "2J\n\x1b[H";
	ui_verify_update(v, &info);
	for (int width = 5; width <= 80; width += 25) {
		text = dialog_text(v, width);
		for (const char *p = text; *p != '\0'; p++)
			if (*p != '\n' && ((unsigned char)*p < 0x20 || *p == 0x7f))
				fail_msg("control %#x in \"%s\"", (unsigned char)*p, text);
		assert_null(strstr(text, "\xc2\x9b"));
		free(text);
	}
	ui_verify_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incoming_request),
		cmocka_unit_test(test_incoming_waits),
		cmocka_unit_test(test_outgoing_request),
		cmocka_unit_test(test_sas_shows_emoji_and_numbers),
		cmocka_unit_test(test_sas_emoji_over_names),
		cmocka_unit_test(test_lines_fit_any_width),
		cmocka_unit_test(test_sas_numbers_only),
		cmocka_unit_test(test_done_and_cancelled_close),
		cmocka_unit_test(test_server_text_inert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
