/* The notify module against real D-Bus: a recording notification server
 * (notify-server.py) on a private bus, a bus with no notification service
 * and no bus at all. run-dbus-test starts the buses and names the case:
 * test_notify_dbus markup|plain|noservice|hung|nobus DIR. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <glib.h>

#include "natter/notify.h"
#include "natter/util.h"

#define HOSTILE_BODY "<b>Tom & Jerry</b> \x1b[31m"
#define ESCAPED_BODY "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; \u241b[31m"
#define PLAIN_BODY "<b>Tom & Jerry</b> \u241b[31m"
#define MAX_WAIT_MS 10000	/* libnotify alone would wait 25 s for a hung server */
#define OFF_CAUSE "no notification service on this desktop session (D-Bus: "

static const char *test_dir;
static const char *off_detail;	/* what the cause must say for this case */

static char *
test_path(const char *name)
{
	return xasprintf("%s/%s", test_dir, name);
}

static void
calls_clear(void)
{
	char *path = test_path("calls.jsonl");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd != -1);
	close(fd);
	free(path);
}

/* The calls the server recorded since calls_clear, those of method only
 * (NULL: all), as a cJSON array the caller deletes. */
static cJSON *
calls_read(const char *method)
{
	char *path = test_path("calls.jsonl"), *text, *line, *save = NULL, *cause = NULL;
	cJSON *all = cJSON_CreateArray(), *call, *m;
	size_t len;

	text = nt_read_file(path, &len, &cause);
	if (text == NULL)
		fail_msg("%s", cause);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if ((call = cJSON_Parse(line)) == NULL)
			fail_msg("the server wrote a line that is not JSON: %s", line);
		m = cJSON_GetObjectItemCaseSensitive(call, "method");
		if (method == NULL || (cJSON_IsString(m) && strcmp(m->valuestring, method) == 0))
			cJSON_AddItemToArray(all, call);
		else
			cJSON_Delete(call);
	}
	free(text);
	free(path);
	return all;
}

static const char *
call_str(const cJSON *call, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(call, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static double
call_num(const cJSON *call, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(call, key);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void
show(const char *room_id, const char *body, enum notify_markup markup)
{
	struct notify_msg msg = {
		.room_id = room_id,
		.room_name = "Board Room",
		.sender_id = "@dana:example.org",
		.sender_name = "Dana Whitfield",
		.body = body,
		.mentions = NOTIFY_MENTIONS_US,
	};
	char *cause = NULL;

	if (notify_show(&msg, markup, &cause) != 0)
		fail_msg("notify_show failed: %s", cause);
	assert_null(cause);
}

/* Shows one mention and returns the single Notify the server received. */
static cJSON *
show_one(const char *room_id, enum notify_markup markup)
{
	cJSON *calls;

	calls_clear();
	show(room_id, HOSTILE_BODY, markup);
	calls = calls_read(NULL);
	assert_int_equal(cJSON_GetArraySize(calls), 1);
	assert_string_equal(call_str(cJSON_GetArrayItem(calls, 0), "method"), "Notify");
	return calls;
}

static void
test_mention_escaped_for_markup_server(void **state)
{
	cJSON *calls = show_one("!board:example.org", NOTIFY_MARKUP_AUTO);
	const cJSON *n = cJSON_GetArrayItem(calls, 0);
	const cJSON *hints = cJSON_GetObjectItemCaseSensitive(n, "hints");

	assert_string_equal(call_str(n, "summary"), "Dana Whitfield in Board Room");
	assert_string_equal(call_str(n, "body"), ESCAPED_BODY);
	assert_string_equal(call_str(n, "app_name"), "natter");
	assert_string_equal(call_str(n, "app_icon"), "");
	assert_int_equal(call_num(n, "replaces_id"), 0);
	assert_int_equal(call_num(n, "expire_timeout"), -1);
	assert_string_equal(call_str(hints, "category"), "im.received");
	assert_int_equal(call_num(hints, "urgency"), 1);
	cJSON_Delete(calls);
}

static void
test_burst_replaces_one_notification(void **state)
{
	static const char *const bodies[] = {"one", "two", "three"};
	cJSON *calls;
	double first;

	calls_clear();
	for (size_t i = 0; i < NT_NELEMS(bodies); i++)
		show("!burst:example.org", bodies[i], NOTIFY_MARKUP_AUTO);
	show("!quiet:example.org", "elsewhere", NOTIFY_MARKUP_AUTO);
	calls = calls_read("Notify");
	assert_int_equal(cJSON_GetArraySize(calls), 4);
	first = call_num(cJSON_GetArrayItem(calls, 0), "id");
	assert_int_equal(call_num(cJSON_GetArrayItem(calls, 0), "replaces_id"), 0);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(call_num(cJSON_GetArrayItem(calls, i), "replaces_id"), first);
		assert_string_equal(call_str(cJSON_GetArrayItem(calls, i), "body"), bodies[i]);
	}
	assert_int_equal(call_num(cJSON_GetArrayItem(calls, 3), "replaces_id"), 0);
	assert_true(call_num(cJSON_GetArrayItem(calls, 3), "id") != first);
	cJSON_Delete(calls);
}

static void
test_markup_off_setting(void **state)
{
	cJSON *calls = show_one("!off:example.org", NOTIFY_MARKUP_OFF);

	assert_string_equal(call_str(cJSON_GetArrayItem(calls, 0), "body"), PLAIN_BODY);
	cJSON_Delete(calls);
}

static void
test_plain_server_gets_plain_text(void **state)
{
	cJSON *calls = show_one("!board:example.org", NOTIFY_MARKUP_AUTO);
	const cJSON *n = cJSON_GetArrayItem(calls, 0);

	assert_string_equal(call_str(n, "summary"), "Dana Whitfield in Board Room");
	assert_string_equal(call_str(n, "body"), PLAIN_BODY);
	cJSON_Delete(calls);
}

static void
test_markup_on_setting(void **state)
{
	cJSON *calls = show_one("!on:example.org", NOTIFY_MARKUP_ON);

	assert_string_equal(call_str(cJSON_GetArrayItem(calls, 0), "body"), ESCAPED_BODY);
	cJSON_Delete(calls);
}

/* Sends stdout and stderr to a file, to see that nothing is printed. */
static int
quiet_start(int saved[2])
{
	char *path = test_path("printed");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd != -1);
	free(path);
	fflush(stdout);
	fflush(stderr);
	saved[0] = dup(1);
	saved[1] = dup(2);
	assert_true(saved[0] != -1 && saved[1] != -1);
	assert_true(dup2(fd, 1) != -1 && dup2(fd, 2) != -1);
	return fd;
}

static void
quiet_end(int fd, const int saved[2])
{
	char printed[512] = "";
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved[0], 1) != -1 && dup2(saved[1], 2) != -1);
	close(saved[0]);
	close(saved[1]);
	n = pread(fd, printed, sizeof printed - 1, 0);
	close(fd);
	if (n != 0)
		fail_msg("printed to the terminal: %s", n > 0 ? printed : "(unreadable)");
}

static void
test_unavailable_fails_once_quietly(void **state)
{
	struct notify_msg msg = {.room_id = "!a:b", .sender_id = "@c:d", .body = "hi"};
	char *first = NULL, *second = NULL, *open_cause = NULL;
	int saved[2], fd, rc1, rc2, rc_open;
	int64_t start, took;

	fd = quiet_start(saved);
	start = nt_mono_ms();
	rc1 = notify_show(&msg, NOTIFY_MARKUP_AUTO, &first);
	took = nt_mono_ms() - start;
	rc2 = notify_show(&msg, NOTIFY_MARKUP_AUTO, &second);
	rc_open = notify_open(NULL, &open_cause);
	quiet_end(fd, saved);
	assert_int_equal(rc1, -1);
	assert_non_null(first);
	print_message("the cause: %s\n", first);
	if (took > MAX_WAIT_MS)
		fail_msg("the first notify_show took %lld ms", (long long)took);
	assert_int_equal(strncmp(first, OFF_CAUSE, strlen(OFF_CAUSE)), 0);
	assert_non_null(strstr(first, off_detail));
	assert_non_null(strstr(first, "): notifications are off"));
	assert_int_equal(rc2, 0);
	assert_null(second);
	assert_false(notify_available());
	assert_int_equal(rc_open, -1);
	assert_string_equal(open_cause, first);
	free(first);
	free(open_cause);
}

struct sink {
	int n;
	char first[128];
};

static void
sink_add(const char *msg, void *arg)
{
	struct sink *sink = arg;

	if (sink->n++ == 0)
		snprintf(sink->first, sizeof sink->first, "%s", msg);
}

static gpointer
warn_from_thread(gpointer data)
{
	g_log("libnotify", G_LOG_LEVEL_WARNING, "%s", "Failed to connect to proxy");
	return NULL;
}

/* GLib may log from its D-Bus thread: the message must reach the sink on
 * ours, and the terminal never. */
static void
test_glib_warnings_go_to_the_sink(void **state)
{
	struct notify_msg msg = {.room_id = "!a:b", .sender_id = "@c:d", .body = "hi"};
	struct sink sink = {0};
	char *cause = NULL;
	int saved[2], fd, rc;

	notify_set_log(sink_add, &sink);
	fd = quiet_start(saved);
	rc = notify_open(NULL, &cause);
	g_thread_join(g_thread_new("warn", warn_from_thread, NULL));
	g_log("GLib-GIO", G_LOG_LEVEL_CRITICAL, "%s", "g_dbus_proxy_call: assertion failed");
	g_log("libnotify", G_LOG_LEVEL_DEBUG, "%s", "SNAP app: (null)");
	notify_show(&msg, NOTIFY_MARKUP_AUTO, &cause);
	quiet_end(fd, saved);
	notify_set_log(NULL, NULL);
	assert_int_equal(rc, -1);
	assert_int_equal(sink.n, 2);
	assert_string_equal(sink.first, "libnotify: Failed to connect to proxy");
	free(cause);
}

static int
open_ok(void **state)
{
	char *cause = NULL;

	if (notify_open(NULL, &cause) != 0)
		fail_msg("notify_open: %s", cause);
	return 0;
}

static void
test_opened_once(void **state)
{
	cJSON *calls;

	calls_clear();
	show("!again:example.org", "again", NOTIFY_MARKUP_AUTO);
	calls = calls_read(NULL);
	assert_int_equal(cJSON_GetArraySize(calls), 1);
	assert_string_equal(call_str(cJSON_GetArrayItem(calls, 0), "method"), "Notify");
	cJSON_Delete(calls);
}

static int
close_all(void **state)
{
	notify_close();
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest markup[] = {
		cmocka_unit_test(test_mention_escaped_for_markup_server),
		cmocka_unit_test(test_burst_replaces_one_notification),
		cmocka_unit_test(test_markup_off_setting),
		cmocka_unit_test(test_opened_once),
	};
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_plain_server_gets_plain_text),
		cmocka_unit_test(test_markup_on_setting),
	};
	static const char *const off_cases[][2] = {
		{"noservice", "org.freedesktop.Notifications was not provided"},
		{"hung", "org.freedesktop.Notifications did not answer in time"},
		{"nobus", "Could not connect"},
	};
	const struct CMUnitTest off[] = {
		cmocka_unit_test(test_unavailable_fails_once_quietly),
		cmocka_unit_test(test_glib_warnings_go_to_the_sink),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s markup|plain|noservice|hung|nobus DIR\n", argv[0]);
		return 2;
	}
	test_dir = argv[2];
	if (strcmp(argv[1], "markup") == 0)
		return cmocka_run_group_tests_name("markup server", markup, open_ok, close_all);
	if (strcmp(argv[1], "plain") == 0)
		return cmocka_run_group_tests_name("plain server", plain, open_ok, close_all);
	for (size_t i = 0; i < NT_NELEMS(off_cases); i++) {
		if (strcmp(argv[1], off_cases[i][0]) == 0) {
			off_detail = off_cases[i][1];
			return cmocka_run_group_tests_name(argv[1], off, NULL, close_all);
		}
	}
	fprintf(stderr, "%s: unknown case %s\n", argv[0], argv[1]);
	return 2;
}
