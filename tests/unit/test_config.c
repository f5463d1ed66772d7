#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "natter/config.h"
#include "natter/util.h"

static char *
temp_dir(void)
{
	char *dir = xstrdup("/tmp/natter-test-config-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_profile_names(void **state)
{
	assert_true(cfg_profile_valid("work"));
	assert_true(cfg_profile_valid("home-2.alt_x"));
	assert_false(cfg_profile_valid(""));
	assert_false(cfg_profile_valid(".hidden"));
	assert_false(cfg_profile_valid("../etc"));
	assert_false(cfg_profile_valid("a/b"));
	assert_false(cfg_profile_valid("sp ace"));
}

static void
test_paths_follow_xdg(void **state)
{
	struct cfg_paths p;
	char *cause = NULL;

	setenv("XDG_DATA_HOME", "/x/data", 1);
	setenv("XDG_CONFIG_HOME", "/x/config", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	assert_int_equal(cfg_paths_init(&p, "work", NULL, &cause), 0);
	assert_string_equal(p.cache_db, "/x/data/natter/work/cache.db");
	assert_string_equal(p.session_file, "/x/data/natter/work/session");
	assert_string_equal(p.config_file, "/x/config/natter/config");
	assert_string_equal(p.log_file, "/x/state/natter/work.log");
	cfg_paths_clear(&p);

	assert_int_equal(cfg_paths_init(&p, "../evil", NULL, &cause), -1);
	assert_non_null(strstr(cause, "bad profile name"));
	free(cause);
}

static void
test_session_is_private(void **state)
{
	char *dir = temp_dir(), *sub = xasprintf("%s/a/b", dir);
	char *path = xasprintf("%s/session", sub), *cause = NULL;
	struct cfg_session s = {0}, back;
	struct stat sb;

	assert_int_equal(nt_mkdirs(sub, 0700, &cause), 0);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);

	assert_int_equal(cfg_session_load(path, &back, &cause), 0);
	s.homeserver = "http://127.0.0.1:8008";
	s.user_id = "@me:localhost";
	s.device_id = "DEV";
	s.access_token = "secret";
	assert_int_equal(cfg_session_save(path, &s, &cause), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(cfg_session_load(path, &back, &cause), 1);
	assert_string_equal(back.access_token, "secret");
	assert_string_equal(back.user_id, "@me:localhost");
	cfg_session_clear(&back);

	write_text(path, "{\"homeserver\": 3}");
	assert_int_equal(cfg_session_load(path, &back, &cause), -1);
	assert_non_null(strstr(cause, "log in again"));
	free(cause);
	free(path);
	free(sub);
	free(dir);
}

struct seen {
	struct buf lines;
	struct buf warnings;
};

static int
on_line(const char *section, const char *key, const char *value, void *arg, char **cause)
{
	struct seen *seen = arg;

	if (strcmp(key, "bad") == 0)
		return cause_set(cause, "bad is not allowed");
	if (strcmp(key, "unknown") == 0)
		return -1;
	buf_printf(&seen->lines, "%s.%s=%s;", section, key, value);
	return 0;
}

static void
on_warn(const char *msg, void *arg)
{
	struct seen *seen = arg;

	buf_printf(&seen->warnings, "%s|", msg);
}

static void
test_ini_parse_reports_file_and_line(void **state)
{
	char *dir = temp_dir(), *path = xasprintf("%s/config", dir), *cause = NULL;
	struct seen seen = {0};

	write_text(path, "# comment\ntop = 1\n[general]\n  profile = work  \n"
			 "no equals here\nbad = x\n[ui]\ntheme=dark=ish\nunknown = 2\n[broken\n");
	assert_int_equal(cfg_file_parse(path, on_line, &seen, on_warn, &cause), 0);
	assert_string_equal(seen.lines.data, ".top=1;general.profile=work;ui.theme=dark=ish;");
	assert_non_null(strstr(seen.warnings.data, "config:5: expected key = value"));
	assert_non_null(strstr(seen.warnings.data, "config:6: bad is not allowed"));
	assert_non_null(strstr(seen.warnings.data, "config:9: unknown key \"unknown\""));
	assert_non_null(strstr(seen.warnings.data, "config:10: a section must look like"));
	buf_free(&seen.lines);
	buf_free(&seen.warnings);
	unlink(path);
	assert_int_equal(cfg_file_parse(path, on_line, &seen, on_warn, &cause), 0);
	free(path);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_names),
		cmocka_unit_test(test_paths_follow_xdg),
		cmocka_unit_test(test_session_is_private),
		cmocka_unit_test(test_ini_parse_reports_file_and_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
