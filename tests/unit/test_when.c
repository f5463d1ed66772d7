/* The time a scheduled message is due (nt_when_parse), read in a zone
 * with daylight saving (Europe/London) from a fixed "now". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "natter/util.h"

/* 2026-12-04 01:50:00 UTC, a Friday; London is on GMT. */
#define NOW_WINTER 1796349000000LL
/* 2027-03-27 12:00 UTC; the clocks go forward at 01:00 GMT on the 28th. */
#define NOW_SPRING 1806148800000LL
/* 2026-10-24 12:00 UTC; the clocks go back at 02:00 BST on the 25th. */
#define NOW_AUTUMN 1792843200000LL

/* The instant of a UTC date and time, in ms. */
static int64_t
utc(int year, int mon, int day, int hour, int min)
{
	struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
	    .tm_hour = hour, .tm_min = min};

	return (int64_t)timegm(&tm) * 1000;
}

static int
london(void **state)
{
	(void)state;
	setenv("TZ", "Europe/London", 1);
	tzset();
	return 0;
}

static void
want_when(const char *s, int64_t now, int64_t want)
{
	int64_t due = 0;
	char *cause = NULL;

	if (nt_when_parse(s, now, &due, NULL, &cause) != 0)
		fail_msg("\"%s\": %s", s, cause);
	if (due != want)
		fail_msg("\"%s\": got %lld, want %lld", s, (long long)due, (long long)want);
}

static void
want_error(const char *s, int64_t now, const char *words)
{
	int64_t due = 0;
	char *cause = NULL;

	if (nt_when_parse(s, now, &due, NULL, &cause) != -1)
		fail_msg("\"%s\" was read as %lld", s, (long long)due);
	assert_non_null(cause);
	if (strstr(cause, words) == NULL)
		fail_msg("\"%s\": \"%s\" does not say \"%s\"", s, cause, words);
	free(cause);
}

static void
test_when_forms(void **state)
{
	(void)state;
	assert_int_equal(NOW_WINTER, utc(2026, 12, 4, 1, 50));
	want_when("08:00", NOW_WINTER, utc(2026, 12, 4, 8, 0));
	want_when("8:00", NOW_WINTER, utc(2026, 12, 4, 8, 0));
	want_when("tomorrow 8:00", NOW_WINTER, utc(2026, 12, 5, 8, 0));
	want_when("2026-12-24 18:30", NOW_WINTER, utc(2026, 12, 24, 18, 30));
	want_when("2027-01-01 00:00", NOW_WINTER, utc(2027, 1, 1, 0, 0));
	want_when("+2h", NOW_WINTER, NOW_WINTER + 2 * 3600 * 1000);
	want_when("+30m", NOW_WINTER, NOW_WINTER + 30 * 60 * 1000);
	want_when("+1h30m", NOW_WINTER, NOW_WINTER + 90 * 60 * 1000);
	want_when("+5s", NOW_WINTER, NOW_WINTER + 5000);
	want_when("+1d", NOW_WINTER, NOW_WINTER + 24 * 3600 * 1000);
}

/* A bare time already past today is tomorrow's; a past date is an error. */
static void
test_when_past(void **state)
{
	(void)state;
	want_when("01:00", NOW_WINTER, utc(2026, 12, 5, 1, 0));
	want_when("01:50", NOW_WINTER, utc(2026, 12, 5, 1, 50));
	want_when("tomorrow 01:00", NOW_WINTER, utc(2026, 12, 5, 1, 0));
	want_error("2026-12-03 08:00", NOW_WINTER, "in the past");
	want_error("2026-12-04 01:00", NOW_WINTER, "in the past");
}

static void
test_when_bad(void **state)
{
	static const char *const bad[] = {
		"", "8", "25:00", "08:60", "8:0", "tomorrow", "+", "+2", "+2x", "+0m", "-2h",
		"2026-13-01 08:00", "2026-12-04", "2026-12-04 8", "noon", "08:00 extra",
		"+9999999d",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		want_error(bad[i], NOW_WINTER, "not a time");
}

/* /later WHEN TEXT: the text starts where the time ends. */
static void
test_when_rest(void **state)
{
	static const struct {
		const char *in, *rest;
		int64_t due;
	} cases[] = {
		{"tomorrow 8:00 Car at 8:15", "Car at 8:15", 1796457600000LL},
		{"+2h  call Dana", "call Dana", NOW_WINTER + 7200000},
		{"2026-12-24 18:30 Merry", "Merry", 1798137000000LL},
		{"08:00", "", 1796371200000LL},
	};
	const char *rest;
	int64_t due;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(nt_when_parse(cases[i].in, NOW_WINTER, &due, &rest, NULL), 0);
		assert_string_equal(rest, cases[i].rest);
		assert_int_equal(due, cases[i].due);
	}
}

/* Around the change to summer time: local times are read on the right
 * side of it, a time the clocks skip is refused, and a span is time
 * that passes whatever the clocks do. */
static void
test_when_spring(void **state)
{
	(void)state;
	assert_int_equal(NOW_SPRING, utc(2027, 3, 27, 12, 0));
	want_when("08:00", NOW_SPRING, utc(2027, 3, 28, 7, 0));
	want_when("tomorrow 00:30", NOW_SPRING, utc(2027, 3, 28, 0, 30));
	want_when("tomorrow 03:00", NOW_SPRING, utc(2027, 3, 28, 2, 0));
	want_when("2027-03-28 02:00", NOW_SPRING, utc(2027, 3, 28, 1, 0));
	want_error("2027-03-28 01:30", NOW_SPRING, "does not exist");
	want_error("tomorrow 01:30", NOW_SPRING, "does not exist");
	want_when("+24h", NOW_SPRING, utc(2027, 3, 28, 12, 0));
}

/* Back to winter time: 01:30 comes twice, and the first is meant. */
static void
test_when_autumn(void **state)
{
	(void)state;
	assert_int_equal(NOW_AUTUMN, utc(2026, 10, 24, 12, 0));
	want_when("2026-10-25 01:30", NOW_AUTUMN, utc(2026, 10, 25, 0, 30));
	want_when("tomorrow 03:00", NOW_AUTUMN, utc(2026, 10, 25, 3, 0));
	want_when("11:00", NOW_AUTUMN, utc(2026, 10, 25, 11, 0));
	want_when("13:30", NOW_AUTUMN, utc(2026, 10, 24, 12, 30));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_when_forms),
		cmocka_unit_test(test_when_past),
		cmocka_unit_test(test_when_bad),
		cmocka_unit_test(test_when_rest),
		cmocka_unit_test(test_when_spring),
		cmocka_unit_test(test_when_autumn),
	};

	return cmocka_run_group_tests(tests, london, NULL);
}
