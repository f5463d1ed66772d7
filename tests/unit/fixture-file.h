/* Recorded server answers for unit tests: tests/fixtures/DIR/NAME read
 * whole (and a sync answer parsed), or the test fails saying why.
 * Header-only. */
#ifndef NATTER_TEST_FIXTURE_FILE_H
#define NATTER_TEST_FIXTURE_FILE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "natter/event.h"
#include "natter/util.h"

#ifndef FIXTURES_DIR
#define FIXTURES_DIR "tests/fixtures"
/* A sync answer of tests/fixtures/sync, read by parse (mx_sync_parse or
 * mx_slide_parse), or the test fails saying why. */
static inline struct mx_sync *
fixture_sync(const char *name, struct mx_sync *(*parse)(const char *, size_t, char **))
{
	size_t len;
	char *json = fixture_read("sync", name, &len), *cause = NULL;
	struct mx_sync *s = parse(json, len, &cause);

	if (s == NULL)
		fail_msg("%s: %s", name, cause);
	free(json);
	return s;
}

#endif

static inline char *
fixture_read(const char *dir, const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s/%s", FIXTURES_DIR, dir, name);
	char *cause = NULL;
	char *data = nt_read_file(path, len, &cause);

	if (data == NULL)
		fail_msg("%s", cause);
	free(path);
	return data;
}

/* A sync answer of tests/fixtures/sync, read by parse (mx_sync_parse or
 * mx_slide_parse), or the test fails saying why. */
static inline struct mx_sync *
fixture_sync(const char *name, struct mx_sync *(*parse)(const char *, size_t, char **))
{
	size_t len;
	char *json = fixture_read("sync", name, &len), *cause = NULL;
	struct mx_sync *s = parse(json, len, &cause);

	if (s == NULL)
		fail_msg("%s: %s", name, cause);
	free(json);
	return s;
}

#endif
