/* When a scheduled message is due, from what the user typed: a local
 * wall-clock time (read with mktime and tm_isdst = -1, so daylight saving
 * is the time zone's business) or a span from now, made an absolute UTC
 * instant at once, so that a later clock or zone change cannot move it. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "natter/util.h"

#define WHEN_MAX_SPAN_MS ((int64_t)400 * 24 * 3600 * 1000)

/* Reads "H:MM" or "HH:MM" at *p, up to a blank or the end. */
static int
when_clock(const char **p, int *hour, int *min)
{
	const char *s = *p;
	int h = 0, m = 0, n = 0;

	while (isdigit((unsigned char)s[n]) && n < 2)
		h = h * 10 + (s[n++] - '0');
	if (n == 0 || s[n] != ':' || !isdigit((unsigned char)s[n + 1]) ||
	    !isdigit((unsigned char)s[n + 2]))
		return -1;
	m = (s[n + 1] - '0') * 10 + (s[n + 2] - '0');
	s += n + 3;
	if ((*s != '\0' && *s != ' ') || h > 23 || m > 59)
		return -1;
	*hour = h;
	*min = m;
	*p = s;
	return 0;
}

/* Reads "YYYY-MM-DD" at *p, followed by a blank. */
static int
when_date(const char **p, int *year, int *mon, int *day)
{
	const char *s = *p;
	int y, m, d;

	if (strlen(s) < 11 || s[10] != ' ')
		return -1;
	for (int i = 0; i < 10; i++)
		if (!(i == 4 || i == 7 ? s[i] == '-' : isdigit((unsigned char)s[i])))
			return -1;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*year = y;
	*mon = m;
	*day = d;
	*p += 11;
	return 0;
}

/* "+2h", "+30m", "+1h30m", "+45s", "+1d": a span from now. */
static int
when_span(const char **p, int64_t *ms)
{
	const char *s = *p + 1;
	int64_t total = 0, n;
	int parts = 0;

	while (isdigit((unsigned char)*s)) {
		for (n = 0; isdigit((unsigned char)*s) && n < WHEN_MAX_SPAN_MS; s++)
			n = n * 10 + (*s - '0');
		switch (*s++) {
		case 's': total += n * 1000; break;
		case 'm': total += n * 60 * 1000; break;
		case 'h': total += n * 3600 * 1000; break;
		case 'd': total += n * 24 * 3600 * 1000; break;
		default: return -1;
		}
		if (total > WHEN_MAX_SPAN_MS)
			return -1;
		parts++;
	}
	if (parts == 0 || total <= 0 || (*s != '\0' && *s != ' '))
		return -1;
	*ms = total;
	*p = s;
	return 0;
}

/* The instant of a local wall-clock time; -1 when the day has no such
 * time (the clocks went forward over it). Of a time that comes twice
 * (the clocks went back), the first. */
static int
when_local(int year, int mon, int day, int hour, int min, time_t *out)
{
	time_t best = (time_t)-1;

	for (int dst = -1; dst <= 1; dst++) {
		struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
		    .tm_hour = hour, .tm_min = min, .tm_isdst = dst};
		time_t t = mktime(&tm);

		if (t == (time_t)-1 || tm.tm_hour != hour || tm.tm_min != min ||
		    tm.tm_mday != day || tm.tm_mon != mon - 1)
			continue;
		if (best == (time_t)-1 || t < best)
			best = t;
	}
	if (best == (time_t)-1)
		return -1;
	*out = best;
	return 0;
}

static int
when_fail(const char *s, char **cause)
{
	return cause_set(cause, "\"%s\" is not a time: write 08:00, tomorrow 8:00, "
	    "2026-12-04 08:00, +2h or +30m", s);
}

int
nt_when_parse(const char *s, int64_t now_ms, int64_t *due_ms, const char **end, char **cause)
{
	time_t now = (time_t)(now_ms / 1000), t;
	struct tm today;
	const char *p = s;
	int year, mon, day, hour, min, dated = 0, tomorrow = 0;
	int64_t span;

	p += strspn(p, " ");
	if (*p == '+') {
		if (when_span(&p, &span) == -1)
			return when_fail(s, cause);
		*due_ms = now_ms + span;
		goto done;
	}
	localtime_r(&now, &today);
	year = today.tm_year + 1900;
	mon = today.tm_mon + 1;
	day = today.tm_mday;
	if (strncmp(p, "tomorrow ", 9) == 0) {
		p += 9;
		tomorrow = 1;
	} else if (when_date(&p, &year, &mon, &day) == 0)
		dated = 1;
	p += strspn(p, " ");
	if (when_clock(&p, &hour, &min) == -1)
		return when_fail(s, cause);
	/* mktime takes day 32 as the 1st of the next month. */
	if (when_local(year, mon, day + tomorrow, hour, min, &t) == -1) {
		if (!dated && !tomorrow && when_local(year, mon, day + 1, hour, min, &t) == 0 &&
		    t > now)
			goto local;
		return cause_set(cause, "%02d:%02d does not exist on that day in this time zone "
		    "(the clocks go forward over it)", hour, min);
	}
	/* A bare time already past today means tomorrow. */
	if (!dated && !tomorrow && t <= now && when_local(year, mon, day + 1, hour, min, &t) == -1)
		return cause_set(cause, "%02d:%02d does not exist tomorrow in this time zone "
		    "(the clocks go forward over it)", hour, min);
	if (dated && t <= now)
		return cause_set(cause, "%04d-%02d-%02d %02d:%02d is in the past", year, mon, day,
		    hour, min);
local:
	*due_ms = (int64_t)t * 1000;
done:
	if (end != NULL)
		*end = p + strspn(p, " ");
	else if (*(p + strspn(p, " ")) != '\0')
		return when_fail(s, cause);
	return 0;
}
