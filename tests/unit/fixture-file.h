/* Recorded server answers for unit tests: tests/fixtures/DIR/NAME read
 * whole, or the test fails saying why. Header-only. */
#ifndef NATTER_TEST_FIXTURE_FILE_H
#define NATTER_TEST_FIXTURE_FILE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "natter/util.h"

#ifndef FIXTURES_DIR
#define FIXTURES_DIR "tests/fixtures"
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

#endif
