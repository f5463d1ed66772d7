#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "natter/keys.h"
#include "natter/settings.h"
#include "natter/util.h"

#define CONFIG_DIR FIXTURES_DIR "/config"

static void
collect(const char *msg, void *arg)
{
	buf_printf(arg, "%s\n", msg);
}

static enum keys_action
match(const struct settings *s, enum keys_mode mode, const char *spec)
{
	struct key_seq seq;

	assert_int_equal(keys_parse(spec, &seq, NULL), 0);
	return keys_match(s->keys, mode, &seq);
}

static void
assert_no_warnings(char *warnings)
{
	assert_string_equal(warnings, "");
	free(warnings);
}

/* Writes text to a new file and loads it; returns the warnings. */
static char *
load_text(const char *text, struct settings *s)
{
	char path[] = "/tmp/natter-test-settings-XXXXXX";
	struct buf warnings = {0};
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(settings_load(path, s, collect, &warnings), 0);
	unlink(path);
	return buf_steal(&warnings);
}

static void
assert_defaults(const struct settings *s)
{
	assert_null(s->profile);
	assert_null(s->ui.theme);
	assert_string_equal(s->ui.time_format, "%H:%M");
	assert_string_equal(s->ui.date_format, "%A %d %B %Y");
	assert_int_equal(s->ui.show_membership, SETTINGS_MEMBERSHIP_COLLAPSED);
	assert_int_equal(s->ui.list_width, 24);
	assert_int_equal(s->ui.bell, 0);
	assert_int_equal(s->ui.send_typing, 1);
	assert_int_equal(s->ui.spaces, 1);
	assert_int_equal(s->notify.enabled, 1);
	assert_int_equal(s->notify.mentions, 1);
	assert_int_equal(s->notify.direct, 1);
	assert_int_equal(s->notify.keywords.n, 0);
	assert_int_equal(s->notify.quiet_start, -1);
	assert_int_equal(s->notify.quiet_end, -1);
	assert_int_equal(s->notify.mute.n, 0);
	assert_int_equal(s->notify.vip.n, 0);
	assert_int_equal(s->notify.markup, SETTINGS_MARKUP_AUTO);
	assert_int_equal(match(s, KEYS_MODE_COMPOSE, "C-q"), KEYS_ACT_QUIT);
	assert_int_equal(match(s, KEYS_MODE_COMPOSE, "C-k"), KEYS_ACT_ROOM_SWITCHER);
}

static void
test_defaults(void **state)
{
	struct settings s;

	settings_init(&s);
	assert_defaults(&s);
	assert_int_equal(settings_quiet_at(&s, 0), 0);
	settings_free(&s);
	assert_null(s.keys);
}

static void
test_missing_file_keeps_defaults(void **state)
{
	struct buf warnings = {0};
	struct settings s;

	assert_int_equal(settings_load(CONFIG_DIR "/no-such.conf", &s, collect, &warnings), 0);
	assert_null(warnings.data);
	assert_defaults(&s);
	settings_free(&s);
}

static void
test_every_key(void **state)
{
	struct buf warnings = {0};
	struct settings s;

	assert_int_equal(settings_load(CONFIG_DIR "/full.conf", &s, collect, &warnings), 0);
	assert_null(warnings.data);
	assert_string_equal(s.profile, "work");
	assert_string_equal(s.ui.theme, "solarized-dark");
	assert_string_equal(s.ui.time_format, "%I:%M %p");
	assert_string_equal(s.ui.date_format, "%Y-%m-%d");
	assert_int_equal(s.ui.show_membership, SETTINGS_MEMBERSHIP_NONE);
	assert_int_equal(s.ui.list_width, 30);
	assert_int_equal(s.ui.bell, 1);
	assert_int_equal(s.ui.send_typing, 0);
	assert_int_equal(s.ui.spaces, 0);
	assert_int_equal(s.notify.enabled, 0);
	assert_int_equal(s.notify.mentions, 0);
	assert_int_equal(s.notify.direct, 0);
	assert_int_equal(s.notify.keywords.n, 3);
	assert_string_equal(s.notify.keywords.items[0], "deploy");
	assert_string_equal(s.notify.keywords.items[1], "outage");
	assert_string_equal(s.notify.keywords.items[2], "Release Notes");
	assert_int_equal(s.notify.quiet_start, 22 * 60);
	assert_int_equal(s.notify.quiet_end, 7 * 60);
	assert_int_equal(s.notify.mute.n, 3);
	assert_string_equal(s.notify.mute.items[0], "#random:example.org");
	assert_string_equal(s.notify.mute.items[1], "!abc:example.org");
	assert_string_equal(s.notify.mute.items[2], "Coffee chat");
	assert_int_equal(s.notify.markup, SETTINGS_MARKUP_OFF);
	assert_int_equal(s.notify.vip.n, 2);
	assert_string_equal(s.notify.vip.items[0], "@ceo:example.org");
	assert_string_equal(s.notify.vip.items[1], "@cfo:example.org");

	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "C-c"), KEYS_ACT_QUIT);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "C-q"), KEYS_ACT_NONE);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "C-k"), KEYS_ACT_KILL_LINE_END);
	assert_int_equal(match(&s, KEYS_MODE_SELECT, "C-k"), KEYS_ACT_NONE);
	assert_int_equal(match(&s, KEYS_MODE_SELECT, "M-k"), KEYS_ACT_ROOM_SWITCHER);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "C-g"), KEYS_ACT_ROOM_SWITCHER);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "C-x e"), KEYS_ACT_EDITOR);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "C-x C-e"), KEYS_ACT_NONE);
	assert_int_equal(match(&s, KEYS_MODE_SELECT, ","), KEYS_ACT_REACT);
	assert_int_equal(match(&s, KEYS_MODE_SELECT, "+"), KEYS_ACT_NONE);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "M-,"), KEYS_ACT_WORD_LEFT);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "M-b"), KEYS_ACT_WORD_LEFT);
	settings_free(&s);
}

static void
test_bad_lines_warn_and_keep_defaults(void **state)
{
	const char *expect =
	    CONFIG_DIR "/bad.conf:3: \"stray\" comes before any [section]\n"
	    CONFIG_DIR "/bad.conf:5: bad profile name \"../etc\"\n"
	    CONFIG_DIR "/bad.conf:6: unknown key \"colour\" in [general]\n"
	    CONFIG_DIR "/bad.conf:8: bad theme name \"dark theme\": use letters, digits, '_' "
	    "and '-', or a path with '/'\n"
	    CONFIG_DIR "/bad.conf:9: time_format \"%H:%Q\": %Q is not a strftime conversion\n"
	    CONFIG_DIR "/bad.conf:10: time_format is empty\n"
	    CONFIG_DIR "/bad.conf:11: date_format \"%d%n\" makes a control character\n"
	    CONFIG_DIR "/bad.conf:12: date_format \"%A %A %A %A %A %A %A %A\" makes no text, "
	    "or more than 64 bytes\n"
	    CONFIG_DIR "/bad.conf:13: time_format \"%H %\" ends in a lone %\n"
	    CONFIG_DIR "/bad.conf:14: time_format is longer than 64 bytes\n"
	    CONFIG_DIR "/bad.conf:15: show_membership must be collapsed, all or none, not "
	    "\"some\"\n"
	    CONFIG_DIR "/bad.conf:16: list_width must be a number from 12 to 60, not \"8\"\n"
	    CONFIG_DIR "/bad.conf:17: list_width must be a number from 12 to 60, not \"wide\"\n"
	    CONFIG_DIR "/bad.conf:18: bell must be on or off, not \"yes\"\n"
	    CONFIG_DIR "/bad.conf:20: enabled must be on or off, not \"maybe\"\n"
	    CONFIG_DIR "/bad.conf:21: quiet_hours must look like 22:00-07:00 or be off, not "
	    "\"22-07\"\n"
	    CONFIG_DIR "/bad.conf:22: quiet_hours must look like 22:00-07:00 or be off, not "
	    "\"25:00-07:00\"\n"
	    CONFIG_DIR "/bad.conf:23: quiet_hours \"10:00-10:00\" starts and ends at the same "
	    "time\n"
	    CONFIG_DIR "/bad.conf:24: markup must be auto, on or off, not \"html\"\n"
	    CONFIG_DIR "/bad.conf:25: unknown key \"volume\" in [notify]\n"
	    CONFIG_DIR "/bad.conf:27: unknown action \"launch\"\n"
	    CONFIG_DIR "/bad.conf:28: \"C-1\": a terminal cannot send Ctrl with that key\n"
	    CONFIG_DIR "/bad.conf:29: \"q\" is typed text: bind quit to a key with C- or M-\n"
	    CONFIG_DIR "/bad.conf:30: unknown key name \"Hyper-x\"\n"
	    CONFIG_DIR "/bad.conf:32: unknown section [colors]\n"
	    CONFIG_DIR "/bad.conf:33: expected key = value\n";
	struct buf warnings = {0};
	struct settings s;

	assert_int_equal(settings_load(CONFIG_DIR "/bad.conf", &s, collect, &warnings), 0);
	assert_string_equal(warnings.data, expect);
	assert_defaults(&s);
	assert_int_equal(match(&s, KEYS_MODE_COMPOSE, "Enter"), KEYS_ACT_SEND);
	buf_free(&warnings);
	settings_free(&s);
}

static void
test_quiet_hours_wrap_midnight(void **state)
{
	struct settings s;
	char *warnings = load_text("[notify]\nquiet_hours = 22:00 - 7:00\n", &s);

	assert_no_warnings(warnings);
	assert_false(settings_quiet_at(&s, 21 * 60 + 59));
	assert_true(settings_quiet_at(&s, 22 * 60));
	assert_true(settings_quiet_at(&s, 23 * 60 + 59));
	assert_true(settings_quiet_at(&s, 0));
	assert_true(settings_quiet_at(&s, 6 * 60 + 59));
	assert_false(settings_quiet_at(&s, 7 * 60));
	assert_false(settings_quiet_at(&s, 12 * 60));
	settings_free(&s);

	warnings = load_text("[notify]\nquiet_hours = 12:30-13:45\n", &s);
	assert_no_warnings(warnings);
	assert_false(settings_quiet_at(&s, 12 * 60 + 29));
	assert_true(settings_quiet_at(&s, 12 * 60 + 30));
	assert_true(settings_quiet_at(&s, 13 * 60 + 44));
	assert_false(settings_quiet_at(&s, 13 * 60 + 45));
	assert_false(settings_quiet_at(&s, 23 * 60));
	settings_free(&s);

	warnings = load_text("[notify]\nquiet_hours = 22:00-07:00\nquiet_hours = off\n", &s);
	assert_no_warnings(warnings);
	assert_false(settings_quiet_at(&s, 23 * 60));
	settings_free(&s);
}

static void
test_lists_trimmed_and_replaced(void **state)
{
	struct settings s;
	char *warnings = load_text("[notify]\nkeywords = a,b\n"
				   "keywords =\t deploy ,, outage\t, ,  on call  ,\n"
				   "mute = , \n", &s);

	assert_no_warnings(warnings);
	assert_int_equal(s.notify.keywords.n, 3);
	assert_string_equal(s.notify.keywords.items[0], "deploy");
	assert_string_equal(s.notify.keywords.items[1], "outage");
	assert_string_equal(s.notify.keywords.items[2], "on call");
	assert_int_equal(s.notify.mute.n, 0);
	settings_free(&s);
}

/* [notify] vip takes user ids only: a line with anything else is said
 * and leaves the list as it was. */
static void
test_vip_wants_user_ids(void **state)
{
	struct settings s;
	char *warnings = load_text("[notify]\nvip = @ceo:example.org\n"
				   "vip = @cfo:example.org, Dana Whitfield\n"
				   "vip = @:example.org\nvip = @cfo:\n", &s);

	assert_non_null(strstr(warnings, "not \"Dana Whitfield\""));
	assert_non_null(strstr(warnings, "not \"@:example.org\""));
	assert_non_null(strstr(warnings, "not \"@cfo:\""));
	assert_int_equal(s.notify.vip.n, 1);
	assert_string_equal(s.notify.vip.items[0], "@ceo:example.org");
	free(warnings);
	settings_free(&s);
}

/* [lists]: a named list stands for its members in a --to, once each;
 * an unknown one is refused with the names the config has. */
static void
test_named_lists_expand(void **state)
{
	struct settings s;
	struct settings_targets t;
	char *cause = NULL;
	char *warnings = load_text("[lists]\nboard = @dana:x, Board Room ,@sam:x\n"
				   "travel = Travel\nbad name = x\nempty = ,\n", &s);

	assert_non_null(strstr(warnings, "bad name"));
	assert_non_null(strstr(warnings, "list empty names nobody"));
	free(warnings);
	assert_int_equal(settings_targets_expand(&s, "@sam:x, @list:board,Finance,@list:travel",
	    &t, &cause), 0);
	assert_int_equal(t.n, 5);
	assert_string_equal(t.items[0], "@sam:x");
	assert_null(t.from[0]);
	assert_string_equal(t.items[1], "@dana:x");
	assert_string_equal(t.from[1], "board");
	assert_string_equal(t.items[2], "Board Room");
	assert_string_equal(t.items[3], "Finance");
	assert_string_equal(t.items[4], "Travel");
	assert_string_equal(t.from[4], "travel");
	settings_targets_clear(&t);

	assert_int_equal(settings_targets_expand(&s, "Finance,@list:bored", &t, &cause), -1);
	assert_string_equal(cause, "no list \"bored\" in [lists] of the config "
	    "(the config's lists are board, travel)");
	assert_int_equal(t.n, 0);
	free(cause);
	settings_free(&s);
}

/* Where scheduled messages wait: auto unless the config says, and a
 * value that is none of the three is named and leaves auto. */
static void
test_send_scheduled(void **state)
{
	struct settings s;
	char *warnings = load_text("[send]\nscheduled = local\n", &s);

	(void)state;
	assert_no_warnings(warnings);
	assert_int_equal(s.send.scheduled, SETTINGS_SCHEDULED_LOCAL);
	settings_free(&s);
	warnings = load_text("[send]\nscheduled = server\n", &s);
	assert_no_warnings(warnings);
	assert_int_equal(s.send.scheduled, SETTINGS_SCHEDULED_SERVER);
	settings_free(&s);
	warnings = load_text("[send]\nscheduled = later\n", &s);
	assert_non_null(strstr(warnings, "scheduled must be auto, server or local, not \"later\""));
	free(warnings);
	assert_int_equal(s.send.scheduled, SETTINGS_SCHEDULED_AUTO);
	settings_free(&s);
}

/* glibc prints "%OY" and "%5EH" as they are: they must not reach the
 * screen on every line, though each part is a known one. */
static void
test_unknown_modified_conversions_refused(void **state)
{
	struct settings s;
	char *warnings = load_text("[ui]\ntime_format = %H:%M %OY\ndate_format = %5EH\n"
				   "date_format = %EY-%Om-%Od %5%\n", &s);

	assert_non_null(strstr(warnings, "time_format \"%H:%M %OY\": %OY is not a strftime "
	    "conversion"));
	assert_non_null(strstr(warnings, "date_format \"%5EH\": %5EH is not a strftime "
	    "conversion"));
	assert_string_equal(s.ui.time_format, "%H:%M");
	assert_string_equal(s.ui.date_format, "%EY-%Om-%Od %5%");
	free(warnings);
	settings_free(&s);
}

static void
test_profile_as_cli_reads_it(void **state)
{
	struct settings s;
	char *warnings = load_text("[general]\nprofile = home-2.alt_x\nprofile = .hidden\n", &s);

	assert_non_null(strstr(warnings, ":3: bad profile name \".hidden\"\n"));
	assert_string_equal(s.profile, "home-2.alt_x");
	free(warnings);
	settings_free(&s);
}

static void
test_theme_value(void **state)
{
	struct settings s;
	char *warnings = load_text("[ui]\ntheme = ~/themes/my.theme\n", &s);

	assert_no_warnings(warnings);
	assert_string_equal(s.ui.theme, "~/themes/my.theme");
	settings_free(&s);
}

/* [followup] wait: a day unless said, a time like 1h30m, and a warning
 * (the default kept) for anything else. */
static void
test_followup_wait(void **state)
{
	struct settings s;
	char *warnings;

	(void)state;
	settings_init(&s);
	assert_int_equal(s.followup.wait_ms, 24LL * 60 * 60 * 1000);
	settings_free(&s);
	warnings = load_text("[followup]\nwait = 1h30m\n", &s);
	assert_no_warnings(warnings);
	assert_int_equal(s.followup.wait_ms, 90 * 60 * 1000);
	settings_free(&s);
	warnings = load_text("[followup]\nwait = soon\n", &s);
	assert_non_null(strstr(warnings, "wait must be a time like 1d, 4h, 1h30m or 90s, "
	    "not \"soon\""));
	assert_int_equal(s.followup.wait_ms, 24LL * 60 * 60 * 1000);
	free(warnings);
	settings_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_followup_wait),
		cmocka_unit_test(test_missing_file_keeps_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_vip_wants_user_ids),
		cmocka_unit_test(test_bad_lines_warn_and_keep_defaults),
		cmocka_unit_test(test_quiet_hours_wrap_midnight),
		cmocka_unit_test(test_lists_trimmed_and_replaced),
		cmocka_unit_test(test_send_scheduled),
		cmocka_unit_test(test_unknown_modified_conversions_refused),
		cmocka_unit_test(test_named_lists_expand),
		cmocka_unit_test(test_profile_as_cli_reads_it),
		cmocka_unit_test(test_theme_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
