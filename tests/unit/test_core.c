/* The core through its front-end seam: a stub of the interface's event
 * table records what the core tells it while the core syncs and sends
 * against tests/fixtures/httpd.py, scripted with recorded answers (one
 * directory of sync-N.json and send-N.json files a test). No terminal. */
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "natter/core.h"
#include "natter/crypto.h"
#include "natter/log.h"
#include "natter/loop.h"
#include "natter/notify.h"
#include "natter/settings.h"
#include "natter/store.h"
#include "natter/util.h"
#include "httpd-fixture.h"

/* Only to make the homeserver's transient failures final at once. */
#include "../../src/core/core-private.h"

#define WAIT_MS 20000	/* a bound for awaited events, never a target */
#define ME "@me:x"
#define ROOM "!board:x"

static struct httpd srv;
static char script_root[] = "/tmp/natter-core-test-XXXXXX";

struct fx {
	char *logfile;
	char *token;
	char *home;
	char *script;		/* this test's directory of answers */
	struct settings settings;
	struct core *c;
	struct buf log;		/* one line an event, as the stub heard it */
	int done;
	int status;
	char *result;
	int draws;		/* a screen: each time told, it draws at the loop's next turn */
};

static void
rec(struct fx *fx, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	buf_printf(&fx->log, "%s\n", line);
	free(line);
}

static void
stub_conn(void *arg, enum core_conn state, const char *why, int64_t retry_ms)
{
	static const char *names[] = {"connecting", "online", "offline", "logged out"};

	rec(arg, "conn %s%s%s", names[state], why ? ": " : "", why ? why : "");
}

/* How many messages of ROOM the cache holds, and how many of them wait to
 * be decrypted. */
static size_t
to_decrypt(struct fx *fx, size_t *n)
{
	struct store_msg *msgs;
	size_t later = 0;

	*n = 0;
	if (store_history(core_store(fx->c), ROOM, INT64_MAX, 1000, &msgs, n, NULL) == 0) {
		for (size_t i = 0; i < *n; i++)
			later += msgs[i].encryption != NULL &&
			    strcmp(msgs[i].encryption, "decrypting") == 0;
		store_msgs_free(&msgs, *n);
	}
	return later;
}

static void
stub_draw(void *arg)
{
	struct fx *fx = arg;
	size_t n, later = to_decrypt(fx, &n);

	rec(fx, "drawn with %zu to decrypt", later);
}

static void
stub_rooms(void *arg, size_t n_events)
{
	struct fx *fx = arg;
	size_t n, later = to_decrypt(fx, &n);

	/* Told only once it is stored: the store already has the messages. */
	rec(fx, "rooms %zu, %zu in the cache, %zu to decrypt", n_events, n, later);
	if (fx->draws)
		loop_timer_add(core_loop(fx->c), 0, stub_draw, fx);
}

static void
stub_messages(void *arg, const char *room_id, const struct core_message *m, size_t n)
{
	static const char *kinds[] = {"new", "edit", "redact", "react", "state"};
	struct buf b = {0};

	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, " %s %s", kinds[m[i].change], m[i].event_id);
		if (m[i].target != NULL)
			buf_printf(&b, "->%s", m[i].target);
	}
	rec(arg, "messages %s:%s", room_id, b.data);
	buf_free(&b);
}

static void
stub_typing(void *arg, const char *room_id, const char *const *names, size_t n)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	rec(arg, "typing %s: %s", room_id, b.data ? b.data : "");
	buf_free(&b);
}

static void
stub_notify(void *arg, const struct notify_msg *msg)
{
	rec(arg, "notify %s in %s%s: %s", msg->sender_name, msg->room_name,
	    msg->is_direct ? " (direct)" : "", msg->body);
}

static void
stub_outbox(void *arg, int64_t id, int status, const char *text, int64_t retry_ms)
{
	static const char *names[] = {"failed", "sent", "queued"};

	rec(arg, "outbox %lld %s%s%s%s", (long long)id, names[status], text ? " " : "",
	    text ? text : "", retry_ms > 0 ? ", retrying" : "");
}

static const struct core_events stub = {
	.conn = stub_conn,
	.rooms = stub_rooms,
	.messages = stub_messages,
	.typing = stub_typing,
	.notify = stub_notify,
	.outbox = stub_outbox,
};

static void
op_done(void *arg, int status, const char *result)
{
	struct fx *fx = arg;

	if (status == CORE_CANCELLED)
		return;
	fx->done = 1;
	fx->status = status;
	free(fx->result);
	fx->result = result != NULL ? xstrdup(result) : NULL;
}

/* Writes name in the test's directory of answers, whole or not at all. */
static void
script(struct fx *fx, const char *name, const char *json)
{
	char *path = xasprintf("%s/%s", fx->script, name);
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");

	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
	free(tmp);
	free(path);
}

/* Runs the loop until the log holds needle after its first from bytes;
 * fails showing the log. */
static void
wait_log_from(struct fx *fx, size_t from, const char *needle)
{
	int64_t end = nt_mono_ms() + WAIT_MS;

	while (fx->log.len <= from || strstr(fx->log.data + from, needle) == NULL) {
		if (nt_mono_ms() > end)
			fail_msg("never heard \"%s\"; the stub heard:\n%s", needle,
			    fx->log.data ? fx->log.data : "(nothing)");
		loop_run_once(core_loop(fx->c), 50);
	}
}

static void
wait_log(struct fx *fx, const char *needle)
{
	wait_log_from(fx, 0, needle);
}

/* Runs the loop for ms, for what must not happen to have its chance. */
static void
run_for(struct fx *fx, int64_t ms)
{
	int64_t end = nt_mono_ms() + ms;

	while (nt_mono_ms() < end)
		loop_run_once(core_loop(fx->c), 50);
}

static void
wait_done(struct fx *fx)
{
	if (loop_run_until(core_loop(fx->c), &fx->done, WAIT_MS) == -1 && !fx->done)
		fail_msg("the operation never ended; the stub heard:\n%s",
		    fx->log.data ? fx->log.data : "(nothing)");
}

static char *
write_session(const char *home, const char *token, const char *device)
{
	char *dir = xasprintf("%s/data/natter/test", home), *path, *json, *cause = NULL;
	FILE *f;

	assert_int_equal(nt_mkdirs(dir, 0700, &cause), 0);
	path = xasprintf("%s/session", dir);
	json = xasprintf("{\"homeserver\": \"http://127.0.0.1:%d\", \"user_id\": \"" ME "\", "
	    "%s%s%s\"access_token\": \"%s\"}", srv.port, device ? "\"device_id\": \"" : "",
	    device ? device : "", device ? "\", " : "", token);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	chmod(path, 0600);
	free(json);
	free(dir);
	return path;
}

static void
setenv_under(const char *home, const char *name, const char *dir)
{
	char *path = xasprintf("%s/%s", home, dir);

	setenv(name, path, 1);
	free(path);
}

static int
fx_setup(void **state)
{
	static int n;
	struct fx *fx = xcalloc(1, sizeof *fx);
	char *token = xasprintf("tok-%d-%d", (int)getpid(), ++n), *cause = NULL, *session;

	fx->home = xasprintf("%s/home-%s", script_root, token);
	fx->script = xasprintf("%s/%s", script_root, token);
	if (nt_mkdirs(fx->home, 0700, &cause) == -1 || nt_mkdirs(fx->script, 0700, &cause) == -1)
		fail_msg("%s", cause);
	setenv("HOME", fx->home, 1);
	setenv_under(fx->home, "XDG_DATA_HOME", "data");
	setenv_under(fx->home, "XDG_CONFIG_HOME", "config");
	setenv_under(fx->home, "XDG_STATE_HOME", "state");
	session = write_session(fx->home, token, "DEV");
	settings_init(&fx->settings);
	/* What the core logs, to read when a test fails. */
	fx->logfile = xasprintf("%s/natter.log", fx->home);
	log_open(fx->logfile, NULL);
	fx->c = core_open("test", NULL, &fx->settings, CORE_NEED_SESSION, &cause);
	if (fx->c == NULL)
		fail_msg("%s", cause);
	/* A 5xx or a refused connection is final at once, not after retries. */
	mx_client_set_attempts(fx->c->mx, 1);
	free(session);
	fx->token = token;
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	core_free(&fx->c);
	log_close();
	free(fx->logfile);
	settings_free(&fx->settings);
	buf_free(&fx->log);
	free(fx->result);
	free(fx->home);
	free(fx->token);
	free(fx->script);
	free(fx);
	return 0;
}

/* A first sync: the board room, named, with dana and us in it. */
#define SYNC_FIRST \
	"{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"" ROOM "\": {" \
	"\"state\": {\"events\": [" \
	"{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@dana:x\"," \
	" \"event_id\": \"$name\", \"origin_server_ts\": 1, \"content\": {\"name\": \"Board\"}}," \
	"{\"type\": \"m.room.member\", \"state_key\": \"@dana:x\", \"sender\": \"@dana:x\"," \
	" \"event_id\": \"$jd\", \"origin_server_ts\": 2, \"content\": {\"membership\": \"join\"," \
	" \"displayname\": \"Dana Whitfield\"}}," \
	"{\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"" ME "\"," \
	" \"event_id\": \"$jm\", \"origin_server_ts\": 3, \"content\": {\"membership\": \"join\"," \
	" \"displayname\": \"Sam\"}}]}," \
	"\"timeline\": {\"events\": [" \
	"{\"type\": \"m.room.message\", \"sender\": \"@dana:x\", \"event_id\": \"$m1\"," \
	" \"origin_server_ts\": 10, \"content\": {\"msgtype\": \"m.text\", \"body\": \"Sam: the" \
	" board pack?\"}}," \
	"{\"type\": \"m.room.message\", \"sender\": \"@dana:x\", \"event_id\": \"$m2\"," \
	" \"origin_server_ts\": 11, \"content\": {\"msgtype\": \"m.text\", \"body\": \"And the" \
	" car.\"}}]}}}}}"

/* A later sync bringing events into the board room. */
static char *
sync_later(const char *batch, const char *events)
{
	return xasprintf("{\"next_batch\": \"%s\", \"rooms\": {\"join\": {\"" ROOM "\": "
	    "{\"timeline\": {\"events\": [%s]}}}}}", batch, events);
}

static char *
message(const char *id, const char *content)
{
	return xasprintf("{\"type\": \"m.room.message\", \"sender\": \"@dana:x\", \"event_id\": "
	    "\"%s\", \"origin_server_ts\": 20, \"content\": %s}", id, content);
}

static void
start_synced(struct fx *fx)
{
	script(fx, "sync-1.json", SYNC_FIRST);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
}

static void
test_a_sync_is_stored_before_it_is_told(void **state)
{
	struct fx *fx = *state;

	start_synced(fx);
	wait_log(fx, "rooms 2, 2 in the cache, 0 to decrypt\n"
	    "messages " ROOM ": new $m1 new $m2\n"
	    "conn online\n");
	/* The first sync is what happened while natter was closed: no news. */
	assert_null(strstr(fx->log.data, "notify"));
}

static void
test_an_edit_a_reaction_and_a_redaction_are_told_as_such(void **state)
{
	struct fx *fx = *state;
	char *edit = message("$e1", "{\"msgtype\": \"m.text\", \"body\": \"* the board pack\", "
	    "\"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"the board pack\"}, "
	    "\"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$m1\"}}");
	char *events = xasprintf("%s, {\"type\": \"m.reaction\", \"sender\": \"@dana:x\", "
	    "\"event_id\": \"$r1\", \"origin_server_ts\": 21, \"content\": {\"m.relates_to\": "
	    "{\"rel_type\": \"m.annotation\", \"event_id\": \"$m2\", \"key\": \"\u2705\"}}}, "
	    "{\"type\": \"m.room.redaction\", \"sender\": \"@dana:x\", \"event_id\": \"$d1\", "
	    "\"origin_server_ts\": 22, \"redacts\": \"$m2\", \"content\": {}}", edit);
	char *sync = sync_later("s2", events);
	struct store_msg m;

	start_synced(fx);
	script(fx, "sync-2.json", sync);
	wait_log(fx, "messages " ROOM ": edit $e1->$m1 react $r1->$m2 redact $d1->$m2\n");
	assert_int_equal(store_msg_get(core_store(fx->c), "$m1", &m, NULL), 0);
	assert_string_equal(m.body, "the board pack");
	store_msg_clear(&m);
	free(sync);
	free(events);
	free(edit);
}

static void
test_a_mention_notifies_unless_its_room_is_in_view(void **state)
{
	struct fx *fx = *state;
	char *m3 = message("$m3", "{\"msgtype\": \"m.text\", \"body\": \"Sam, call me\"}");
	char *m4 = message("$m4", "{\"msgtype\": \"m.text\", \"body\": \"Sam, now please\"}");
	char *m5 = message("$m5", "{\"msgtype\": \"m.text\", \"body\": \"nothing for you\"}");
	char *s2 = sync_later("s2", m3), *s3 = sync_later("s3", m4), *s4 = sync_later("s4", m5);

	start_synced(fx);
	core_view(fx->c, ROOM, 1);
	script(fx, "sync-2.json", s2);
	wait_log(fx, "messages " ROOM ": new $m3\n");
	assert_null(strstr(fx->log.data, "notify"));
	/* The terminal lost focus: the same room now notifies. */
	core_view(fx->c, ROOM, 0);
	script(fx, "sync-3.json", s3);
	wait_log(fx, "messages " ROOM ": new $m4\n"
	    "notify Dana Whitfield in Board: Sam, now please\n");
	script(fx, "sync-4.json", s4);
	wait_log(fx, "messages " ROOM ": new $m5\n");
	assert_null(strstr(fx->log.data, "nothing for you"));
	free(s2);
	free(s3);
	free(s4);
	free(m3);
	free(m4);
	free(m5);
}

/* Syncs bring only the members who spoke lately: the room opened gets
 * its whole list, once, so that a quiet member is there to be named. */
static void
test_the_room_in_view_gets_its_whole_member_list(void **state)
{
	struct fx *fx = *state;
	int64_t end = nt_mono_ms() + WAIT_MS;
	struct store_member *m = NULL;
	size_t n = 0;
	int quiet = 0;

	start_synced(fx);
	script(fx, "members.json", "{\"chunk\": [{\"type\": \"m.room.member\", \"state_key\": "
	    "\"@quiet:x\", \"sender\": \"@quiet:x\", \"event_id\": \"$quiet-in\", "
	    "\"origin_server_ts\": 1, \"room_id\": \"" ROOM "\", \"content\": "
	    "{\"membership\": \"join\", \"displayname\": \"Quiet Person\"}}]}");
	assert_int_equal(store_members_whole(core_store(fx->c), ROOM), 0);
	core_view(fx->c, ROOM, 1);
	while (!store_members_whole(core_store(fx->c), ROOM) && nt_mono_ms() < end)
		loop_run_once(core_loop(fx->c), 50);
	assert_int_equal(store_members_whole(core_store(fx->c), ROOM), 1);
	assert_int_equal(store_members(core_store(fx->c), ROOM, &m, &n, NULL), 0);
	for (size_t i = 0; i < n; i++)
		quiet |= strcmp(m[i].user_id, "@quiet:x") == 0;
	store_members_free(&m, n);
	assert_true(quiet);
}

static void
test_typing_is_told_by_name_without_us(void **state)
{
	struct fx *fx = *state;

	start_synced(fx);
	script(fx, "sync-2.json", "{\"next_batch\": \"s2\", \"rooms\": {\"join\": {\"" ROOM
	    "\": {\"ephemeral\": {\"events\": [{\"type\": \"m.typing\", \"content\": "
	    "{\"user_ids\": [\"@dana:x\", \"" ME "\"]}}]}}}}}");
	wait_log(fx, "typing " ROOM ": Dana Whitfield\n");
}

static void
test_each_send_has_its_outcome(void **state)
{
	struct fx *fx = *state;
	char *cause = NULL;

	start_synced(fx);
	script(fx, "send-2.json", "{\"status\": 403, \"body\": {\"errcode\": \"M_FORBIDDEN\", "
	    "\"error\": \"You cannot post here\"}}");
	assert_int_equal(core_send_text(fx->c, ROOM, "first", 0, NULL, NULL, NULL, &cause), 0);
	assert_int_equal(core_send_text(fx->c, ROOM, "second", 0, NULL, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_FAILED);
	assert_non_null(strstr(fx->result, "refused: You cannot post here"));
	wait_log(fx, "outbox 1 queued\noutbox 2 queued\noutbox 1 sent $nt");
	wait_log(fx, "outbox 2 failed ");
	assert_non_null(strstr(strstr(fx->log.data, "outbox 2 failed"), "You cannot post here"));

	/* A server that fails for now keeps the message, and its order. */
	script(fx, "send-3.json", "{\"status\": 503, \"body\": {\"errcode\": \"M_UNKNOWN\", "
	    "\"error\": \"Busy\"}}");
	fx->done = 0;
	assert_int_equal(core_send_text(fx->c, ROOM, "third", 0, NULL, NULL, NULL, &cause), 0);
	assert_int_equal(core_send_text(fx->c, ROOM, "fourth", 0, NULL, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_QUEUED);
	assert_non_null(strstr(fx->result, "Busy"));
	wait_log(fx, "outbox 3 queued ");
	assert_non_null(strstr(strstr(fx->log.data, "outbox 3 queued "), "Busy"));
	assert_null(strstr(fx->log.data, "outbox 4 sent"));

	/* The next flush sends both, third before fourth. */
	fx->done = 0;
	assert_int_equal(core_outbox_flush(fx->c, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	wait_log(fx, "outbox 3 sent $nt");
	assert_true(strstr(fx->log.data, "outbox 3 sent") < strstr(fx->log.data, "outbox 4 sent"));
}

#define SYNC_ENCRYPTED_ROOM \
	"{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"" ROOM "\": " \
	"{\"state\": {\"events\": [{\"type\": \"m.room.encryption\", \"state_key\": \"\", " \
	"\"sender\": \"@dana:x\", \"event_id\": \"$enc\", \"origin_server_ts\": 1, " \
	"\"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}}]}}}}}"

static void
test_an_encrypted_room_gets_only_ciphertext(void **state)
{
	struct fx *fx = *state;
	char *cause = NULL, *path = xasprintf("%s/sent-1.json", fx->script), *sent;
	size_t len;

	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	assert_int_equal(core_send_text(fx->c, ROOM, "never in clear", 0, NULL, op_done, fx,
	    &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	assert_non_null(sent = nt_read_file(path, &len, &cause));
	assert_non_null(strstr(sent, "/send/m.room.encrypted/"));
	assert_non_null(strstr(sent, "m.megolm.v1.aes-sha2"));
	assert_null(strstr(sent, "never in clear"));
	free(sent);
	free(path);

	/* A thread's message: its relation in the clear, for the server. */
	fx->done = 0;
	assert_int_equal(core_send_thread(fx->c, ROOM, "thread secret", "$root", op_done, fx,
	    &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	path = xasprintf("%s/sent-2.json", fx->script);
	assert_non_null(sent = nt_read_file(path, &len, &cause));
	assert_non_null(strstr(sent, "/send/m.room.encrypted/"));
	assert_null(strstr(sent, "thread secret"));
	assert_non_null(strstr(sent, "m.relates_to"));
	assert_non_null(strstr(sent, "m.thread"));
	assert_non_null(strstr(sent, "$root"));
	free(sent);
	free(path);
}

/* The session_id of the Megolm event natter sent n-th, from its record. */
static char *
sent_session(struct fx *fx, int n)
{
	char *path = xasprintf("%s/sent-%d.json", fx->script, n), *text, *cause = NULL, *id;
	cJSON *root, *body;
	size_t len;

	if ((text = nt_read_file(path, &len, &cause)) == NULL)
		fail_msg("no record of send %d: %s", n, cause);
	root = cJSON_Parse(text);
	body = cJSON_Parse(cJSON_GetObjectItem(root, "body")->valuestring);
	assert_non_null(body);
	id = xstrdup(cJSON_GetObjectItem(body, "session_id")->valuestring);
	cJSON_Delete(body);
	cJSON_Delete(root);
	free(text);
	free(path);
	return id;
}

static void
send_and_wait(struct fx *fx, const char *text)
{
	char *cause = NULL;

	fx->done = 0;
	if (core_send_text(fx->c, ROOM, text, 0, NULL, op_done, fx, &cause) == -1)
		fail_msg("%s", cause);
	wait_done(fx);
	if (fx->status != CORE_DONE)
		fail_msg("\"%s\" not sent (%d): %s", text, fx->status,
		    fx->result != NULL ? fx->result : "?");
}

static void
test_the_room_key_rotates_as_the_room_says_and_when_someone_leaves(void **state)
{
	struct fx *fx = *state;
	char *s[5], *leave;

	script(fx, "sync-1.json", "{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"" ROOM
	    "\": {\"state\": {\"events\": [{\"type\": \"m.room.encryption\", \"state_key\": "
	    "\"\", \"sender\": \"@dana:x\", \"event_id\": \"$enc\", \"origin_server_ts\": 1, "
	    "\"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\", \"rotation_period_msgs\": 2, "
	    "\"rotation_period_ms\": \"soon\"}}]}}}}}");
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	send_and_wait(fx, "one");
	send_and_wait(fx, "two");
	send_and_wait(fx, "three");
	/* Someone leaves: the next message needs a key they never had. */
	leave = sync_later("s2", "{\"type\": \"m.room.member\", \"state_key\": \"@eve:x\", "
	    "\"sender\": \"@eve:x\", \"event_id\": \"$left\", \"origin_server_ts\": 40, "
	    "\"content\": {\"membership\": \"leave\"}}");
	script(fx, "sync-2.json", leave);
	wait_log(fx, "$left");
	send_and_wait(fx, "four");
	for (int i = 0; i < 4; i++)
		s[i] = sent_session(fx, i + 1);
	assert_string_equal(s[0], s[1]);
	assert_string_not_equal(s[1], s[2]);
	assert_string_not_equal(s[2], s[3]);
	for (int i = 0; i < 4; i++)
		free(s[i]);
	free(leave);
}

static void
test_without_keys_an_encrypted_room_refuses_at_once(void **state)
{
	struct fx *fx = *state;
	char *cause = NULL;

	/* A session without a device (an old login) has no encryption keys. */
	core_free(&fx->c);
	free(write_session(fx->home, fx->token, NULL));
	fx->c = core_open("test", NULL, &fx->settings, CORE_NEED_SESSION, &cause);
	assert_non_null(fx->c);
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	assert_int_equal(core_send_text(fx->c, ROOM, "in clear?", 0, NULL, op_done, fx, &cause),
	    -1);
	assert_non_null(strstr(cause, "end-to-end encrypted"));
	assert_null(strstr(fx->log.data, "outbox"));
	free(cause);
}

static void
test_sync_once_stores_then_sends_what_waits(void **state)
{
	struct fx *fx = *state;
	struct store_outbox *items;
	char *cause = NULL;
	size_t n;

	script(fx, "sync-1.json", SYNC_FIRST);
	assert_int_equal(core_sync_once(fx->c, 0, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	assert_string_equal(fx->result, "2");
	fx->done = 0;
	assert_int_equal(core_send_text(fx->c, ROOM, "queued", 0, NULL, NULL, NULL, &cause), 0);
	assert_int_equal(store_outbox_list(core_store(fx->c), NULL, 0, &items, &n, NULL), 0);
	assert_int_equal(n, 1);
	store_outbox_free(&items, n);
	assert_int_equal(core_sync_once(fx->c, 0, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	assert_int_equal(store_outbox_list(core_store(fx->c), NULL, 1, &items, &n, NULL), 0);
	assert_int_equal(n, 0);
	store_outbox_free(&items, n);
}

/* Dana's side of an encrypted room, made with the crypto module: her
 * device, a Megolm session, and what she sends. */
struct dana {
	struct crypto_account *acct;
	struct crypto_megolm_out *out;
	char *key;		/* the session's key before Dana sent anything */
};

static void
dana_new(struct dana *d)
{
	d->acct = crypto_account_new();
	d->out = crypto_megolm_out_new();
	d->key = crypto_megolm_out_key(d->out);
}

static void
dana_free(struct dana *d)
{
	crypto_megolm_out_free(&d->out);
	crypto_account_free(&d->acct);
	free(d->key);
}

/* A Megolm event Dana sends in ROOM: the m.room.encrypted event JSON. */
static char *
dana_event(struct dana *d, const char *event_id, const char *body)
{
	char *plain = xasprintf("{\"type\": \"m.room.message\", \"room_id\": \"" ROOM "\", "
	    "\"content\": {\"msgtype\": \"m.text\", \"body\": \"%s\"}}", body);
	char *ct = crypto_megolm_encrypt(d->out, (const uint8_t *)plain, strlen(plain));
	char *ev = xasprintf("{\"type\": \"m.room.encrypted\", \"sender\": \"@dana:x\", "
	    "\"event_id\": \"%s\", \"origin_server_ts\": 30, \"content\": {\"algorithm\": "
	    "\"m.megolm.v1.aes-sha2\", \"sender_key\": \"%s\", \"session_id\": \"%s\", "
	    "\"ciphertext\": \"%s\", \"device_id\": \"DANADEV\"}}", event_id,
	    crypto_account_curve25519(d->acct), crypto_megolm_out_id(d->out), ct);

	free(ct);
	free(plain);
	return ev;
}

/* Dana's device as /keys/query gives it, signed by itself, for natter to
 * check the payloads of her Olm messages against. */
static void
dana_device(struct fx *fx, struct dana *d)
{
	char *dev = xasprintf("{\"user_id\": \"@dana:x\", \"device_id\": \"DANADEV\", "
	    "\"algorithms\": [\"m.olm.v1.curve25519-aes-sha2\", \"m.megolm.v1.aes-sha2\"], "
	    "\"keys\": {\"curve25519:DANADEV\": \"%s\", \"ed25519:DANADEV\": \"%s\"}}",
	    crypto_account_curve25519(d->acct), crypto_account_ed25519(d->acct));
	char *canon = crypto_signable_json(dev, strlen(dev), NULL);
	char *sig = crypto_account_sign(d->acct, (const uint8_t *)canon, strlen(canon));
	char *answer;

	dev[strlen(dev) - 1] = '\0';
	answer = xasprintf("{\"device_keys\": {\"@dana:x\": {\"DANADEV\": %s, \"signatures\": "
	    "{\"@dana:x\": {\"ed25519:DANADEV\": \"%s\"}}}}}}", dev, sig);
	script(fx, "keys-query.json", answer);
	free(answer);
	free(sig);
	free(canon);
	free(dev);
}

/* The signature of obj (JSON) by acct's Ed25519 key, over its canonical
 * form. */
static char *
signed_by(struct crypto_account *acct, const char *obj)
{
	char *canon = crypto_signable_json(obj, strlen(obj), NULL), *sig;

	assert_non_null(canon);
	sig = crypto_account_sign(acct, (const uint8_t *)canon, strlen(canon));
	free(canon);
	return sig;
}

/* Dana's device as /keys/query gives it when Dana set up cross-signing:
 * signed by itself and by her self-signing key, which her master key
 * signed. */
static void
dana_cross_signed_device(struct fx *fx, struct dana *d, struct crypto_account *master,
    struct crypto_account *ssk)
{
	const char *mk = crypto_account_ed25519(master), *sk = crypto_account_ed25519(ssk);
	char *dev = xasprintf("{\"user_id\": \"@dana:x\", \"device_id\": \"DANADEV\", "
	    "\"algorithms\": [\"m.olm.v1.curve25519-aes-sha2\", \"m.megolm.v1.aes-sha2\"], "
	    "\"keys\": {\"curve25519:DANADEV\": \"%s\", \"ed25519:DANADEV\": \"%s\"}}",
	    crypto_account_curve25519(d->acct), crypto_account_ed25519(d->acct));
	char *ssk_obj = xasprintf("{\"user_id\": \"@dana:x\", \"usage\": [\"self_signing\"], "
	    "\"keys\": {\"ed25519:%s\": \"%s\"}}", sk, sk);
	char *self_sig = signed_by(d->acct, dev), *by_ssk = signed_by(ssk, dev);
	char *by_master = signed_by(master, ssk_obj), *answer;

	dev[strlen(dev) - 1] = '\0';
	ssk_obj[strlen(ssk_obj) - 1] = '\0';
	answer = xasprintf("{\"device_keys\": {\"@dana:x\": {\"DANADEV\": %s, \"signatures\": "
	    "{\"@dana:x\": {\"ed25519:DANADEV\": \"%s\", \"ed25519:%s\": \"%s\"}}}}}, "
	    "\"master_keys\": {\"@dana:x\": {\"user_id\": \"@dana:x\", \"usage\": [\"master\"], "
	    "\"keys\": {\"ed25519:%s\": \"%s\"}}}, \"self_signing_keys\": {\"@dana:x\": %s, "
	    "\"signatures\": {\"@dana:x\": {\"ed25519:%s\": \"%s\"}}}}}",
	    dev, self_sig, sk, by_ssk, mk, mk, ssk_obj, mk, by_master);
	script(fx, "keys-query.json", answer);
	free(answer);
	free(by_master);
	free(by_ssk);
	free(self_sig);
	free(ssk_obj);
	free(dev);
}

/* natter's published identity and one of its one-time keys. */
static void
natter_keys(struct fx *fx, char **curve, char **ed, char **otk)
{
	char *path = xasprintf("%s/upload-1.json", fx->script), *text = NULL, *cause = NULL;
	int64_t end = nt_mono_ms() + WAIT_MS;
	cJSON *root, *keys, *first;
	size_t len;

	while ((text = nt_read_file(path, &len, &cause)) == NULL && nt_mono_ms() < end) {
		xfree(&cause);
		loop_run_once(core_loop(fx->c), 50);
	}
	if (text == NULL)
		fail_msg("natter never published its keys: %s", cause);
	root = cJSON_Parse(text);
	keys = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "device_keys"), "keys");
	*curve = xstrdup(cJSON_GetObjectItem(keys, "curve25519:DEV")->valuestring);
	*ed = xstrdup(cJSON_GetObjectItem(keys, "ed25519:DEV")->valuestring);
	first = cJSON_GetObjectItem(root, "one_time_keys")->child;
	*otk = xstrdup(cJSON_GetObjectItem(first, "key")->valuestring);
	cJSON_Delete(root);
	free(text);
	free(path);
}

/* The to-device event that brings natter Dana's room key, over Olm. */
static char *
dana_room_key(struct fx *fx, struct dana *d)
{
	char *curve, *ed, *otk, *plain, *body, *ev;
	struct crypto_olm *olm;
	int type;

	natter_keys(fx, &curve, &ed, &otk);
	dana_device(fx, d);
	olm = crypto_olm_outbound(d->acct, curve, otk, NULL);
	assert_non_null(olm);
	plain = xasprintf("{\"type\": \"m.room_key\", \"sender\": \"@dana:x\", "
	    "\"recipient\": \"" ME "\", \"recipient_keys\": {\"ed25519\": \"%s\"}, "
	    "\"keys\": {\"ed25519\": \"%s\"}, \"content\": {\"algorithm\": "
	    "\"m.megolm.v1.aes-sha2\", \"room_id\": \"" ROOM "\", \"session_id\": \"%s\", "
	    "\"session_key\": \"%s\"}}", ed, crypto_account_ed25519(d->acct),
	    crypto_megolm_out_id(d->out), d->key);
	assert_int_equal(crypto_olm_encrypt(olm, (const uint8_t *)plain, strlen(plain), &type,
	    &body), 0);
	ev = xasprintf("{\"next_batch\": \"s3\", \"to_device\": {\"events\": [{\"type\": "
	    "\"m.room.encrypted\", \"sender\": \"@dana:x\", \"content\": {\"algorithm\": "
	    "\"m.olm.v1.curve25519-aes-sha2\", \"sender_key\": \"%s\", \"ciphertext\": "
	    "{\"%s\": {\"type\": %d, \"body\": \"%s\"}}}}]}}", crypto_account_curve25519(d->acct),
	    curve, type, body);
	crypto_olm_free(&olm);
	free(body);
	free(plain);
	free(curve);
	free(ed);
	free(otk);
	return ev;
}

static void
assert_encryption(struct fx *fx, const char *event_id, const char *status, const char *body)
{
	struct store_msg m;

	assert_int_equal(store_msg_get(core_store(fx->c), event_id, &m, NULL), 0);
	if (strncmp(m.encryption, status, strlen(status)) != 0) {
		size_t len;
		char *log = nt_read_file(fx->logfile, &len, NULL);

		fail_msg("%s: encryption \"%s\", not \"%s...\"; the stub heard:\n%s\nthe log:\n%s",
		    event_id, m.encryption, status, fx->log.data,
		    log == NULL ? "(none)" : len > 600 ? log + len - 600 : log);
	}
	if (body != NULL)
		assert_string_equal(m.body, body);
	else
		assert_null(m.body);
	store_msg_clear(&m);
}

static void
test_a_late_key_decrypts_what_waited(void **state)
{
	struct fx *fx = *state;
	struct dana d;
	char *ev, *s2, *s3;

	dana_new(&d);
	ev = dana_event(&d, "$late", "The car is booked for 8:15.");
	s2 = sync_later("s2", ev);
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	script(fx, "sync-2.json", s2);
	wait_log(fx, "messages " ROOM ": new $late\n");
	assert_encryption(fx, "$late", "waiting for the key", NULL);
	/* The key comes in a later sync: the message is read, and told again. */
	s3 = dana_room_key(fx, &d);
	script(fx, "sync-3.json", s3);
	wait_log(fx, "messages " ROOM ": new $late\nrooms 0");
	assert_encryption(fx, "$late", "ok", "The car is booked for 8:15.");
	free(s3);
	free(s2);
	free(ev);
	dana_free(&d);
}

/* A room-key file of one session of Dana's, exported with session_key. */
static char *
dana_key_file(struct dana *d, const char *session_key)
{
	char *json = xasprintf("[{\"algorithm\": \"m.megolm.v1.aes-sha2\", \"room_id\": \"" ROOM
	    "\", \"sender_key\": \"%s\", \"sender_claimed_keys\": {\"ed25519\": \"%s\"}, "
	    "\"session_id\": \"%s\", \"session_key\": \"%s\", "
	    "\"forwarding_curve25519_key_chain\": []}]", crypto_account_curve25519(d->acct),
	    crypto_account_ed25519(d->acct), crypto_megolm_out_id(d->out), session_key);
	char *file = crypto_keyfile_seal((const uint8_t *)json, strlen(json), "pass", 1000);

	free(json);
	return file;
}

/* Imports file into the core and waits until what waited is read. */
static void
import_keys(struct fx *fx, const char *file, struct core_import *n)
{
	struct core_result r = {0};
	char *cause = NULL;

	assert_int_equal(core_keyfile_import(fx->c, file, strlen(file), "pass", n, core_result_cb,
	    &r, &cause), 0);
	assert_int_equal(core_wait(fx->c, &r), CORE_DONE);
	core_result_clear(&r);
}

static void
test_a_key_file_adds_history_but_never_replaces_a_key(void **state)
{
	struct fx *fx = *state;
	struct dana d;
	struct crypto_megolm_in *in;
	struct core_import n;
	char *first, *second, *third, *s2, *events, *key_sync, *real, *forged, *file;
	uint8_t *bin;
	size_t len, mark;

	dana_new(&d);
	in = crypto_megolm_in_new(d.key, NULL);
	real = crypto_megolm_in_export(in, 0, NULL);
	crypto_megolm_in_free(&in);
	first = dana_event(&d, "$first", "one");
	second = dana_event(&d, "$second", "two");
	/* natter gets the key from the third message on only. */
	free(d.key);
	d.key = crypto_megolm_out_key(d.out);
	third = dana_event(&d, "$third", "three");
	events = xasprintf("%s, %s, %s", first, second, third);
	s2 = sync_later("s2", events);
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	script(fx, "sync-2.json", s2);
	wait_log(fx, "new $third\n");
	key_sync = dana_room_key(fx, &d);
	mark = fx->log.len;
	script(fx, "sync-3.json", key_sync);
	wait_log_from(fx, mark, "messages " ROOM ": new $third\n");
	assert_encryption(fx, "$third", "ok", "three");
	assert_encryption(fx, "$first", "waiting for the key", NULL);
	/* The same session from index 0, one byte of its ratchet changed:
	 * it reaches further back but is not the session natter has. */
	assert_int_equal(crypto_b64_decode(real, &bin, &len, NULL), 0);
	bin[5] ^= 1;
	forged = crypto_b64_encode(bin, len);
	free(bin);
	file = dana_key_file(&d, forged);
	import_keys(fx, file, &n);
	assert_int_equal(n.imported, 0);
	assert_int_equal(n.refused, 1);
	assert_string_equal(n.why, "a session differs from natter's copy of it");
	assert_encryption(fx, "$first", "waiting for the key", NULL);
	assert_encryption(fx, "$third", "ok", "three");
	free(file);
	/* The real one: the first two messages are read, the third still is. */
	file = dana_key_file(&d, real);
	import_keys(fx, file, &n);
	assert_int_equal(n.imported, 1);
	assert_int_equal(n.refused, 0);
	assert_encryption(fx, "$first", "ok", "one");
	assert_encryption(fx, "$second", "ok", "two");
	assert_encryption(fx, "$third", "ok", "three");
	import_keys(fx, file, &n);
	assert_int_equal(n.imported, 0);
	assert_int_equal(n.known, 1);
	free(file);
	free(forged);
	free(key_sync);
	free(s2);
	free(events);
	free(third);
	free(second);
	free(first);
	free(real);
	dana_free(&d);
}

/* A mention whose key comes a sync later notifies when it is read, once;
 * one read late from long ago does not. */
static void
test_a_mention_read_when_its_key_comes_notifies(void **state)
{
	struct fx *fx = *state;
	struct dana d;
	char *ev, *old, *events, *s2, *s3, *at, *sent;
	size_t mark;

	dana_new(&d);
	old = dana_event(&d, "$old", "Sam, from last year");
	/* Sent now, not at dana_event's time 30 (1970). */
	sent = dana_event(&d, "$late", "Sam, the car is here");
	at = strstr(sent, "\"origin_server_ts\": 30");
	*at = '\0';
	ev = xasprintf("%s\"origin_server_ts\": %lld%s", sent, (long long)nt_now_ms(),
	    at + strlen("\"origin_server_ts\": 30"));
	free(sent);
	events = xasprintf("{\"type\": \"m.room.encryption\", \"state_key\": \"\", \"sender\": "
	    "\"@dana:x\", \"event_id\": \"$enc\", \"origin_server_ts\": 12, \"content\": "
	    "{\"algorithm\": \"m.megolm.v1.aes-sha2\"}}, %s, %s", old, ev);
	s2 = sync_later("s2", events);
	start_synced(fx);
	script(fx, "sync-2.json", s2);
	wait_log(fx, "new $late\n");
	assert_encryption(fx, "$late", "waiting for the key", NULL);
	assert_null(strstr(fx->log.data, "notify"));
	s3 = dana_room_key(fx, &d);
	mark = fx->log.len;
	script(fx, "sync-3.json", s3);
	wait_log_from(fx, mark, "notify Dana Whitfield in Board: Sam, the car is here\n");
	assert_encryption(fx, "$old", "ok", "Sam, from last year");
	assert_null(strstr(fx->log.data, "from last year"));
	free(s3);
	free(s2);
	free(events);
	free(old);
	free(ev);
	dana_free(&d);
}

static void
test_a_tampered_or_replayed_message_is_refused(void **state)
{
	struct fx *fx = *state;
	struct dana d;
	char *key_sync, *good, *s2, *replay, *s4, *early, *s_early, *tampered, *s5, *ct;

	dana_new(&d);
	good = dana_event(&d, "$good", "first");
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	key_sync = dana_room_key(fx, &d);
	script(fx, "sync-2.json", key_sync);
	s2 = sync_later("s4", good);
	script(fx, "sync-3.json", s2);
	wait_log(fx, "messages " ROOM ": new $good\n");
	assert_encryption(fx, "$good", "ok", "first");
	/* The same ciphertext (its message index) under another event. */
	replay = xstrdup(good);
	memcpy(strstr(replay, "$good"), "$copy", 5);
	memcpy(strstr(replay, "\"origin_server_ts\": 30"), "\"origin_server_ts\": 31", 22);
	s4 = sync_later("s5", replay);
	script(fx, "sync-4.json", s4);
	wait_log(fx, "messages " ROOM ": new $copy\n");
	assert_encryption(fx, "$copy", "refused: its message index was used before", NULL);
	/* An event sent before both, read last (as paging back would): it
	 * holds the index, and the message read first is refused after all. */
	early = xstrdup(good);
	memcpy(strstr(early, "$good"), "$past", 5);
	memcpy(strstr(early, "\"origin_server_ts\": 30"), "\"origin_server_ts\": 29", 22);
	s_early = sync_later("s5b", early);
	script(fx, "sync-5.json", s_early);
	wait_log(fx, "messages " ROOM ": new $past\n");
	assert_encryption(fx, "$past", "ok", "first");
	assert_encryption(fx, "$good", "refused: its message index was used before", NULL);
	/* One character of the ciphertext changed. */
	tampered = dana_event(&d, "$bad", "second");
	ct = strstr(tampered, "\"ciphertext\": \"") + 20;
	*ct = *ct == 'A' ? 'B' : 'A';
	s5 = sync_later("s6", tampered);
	script(fx, "sync-6.json", s5);
	wait_log(fx, "messages " ROOM ": new $bad\n");
	assert_encryption(fx, "$bad", "cannot be decrypted", NULL);
	free(s5);
	free(tampered);
	free(s_early);
	free(early);
	free(s4);
	free(replay);
	free(s2);
	free(good);
	free(key_sync);
	dana_free(&d);
}

/* Reads the file name of the test's directory, waiting for the core to
 * make the request that writes it. */
static cJSON *
await_record(struct fx *fx, const char *name)
{
	char *path = xasprintf("%s/%s", fx->script, name), *text = NULL, *cause = NULL;
	int64_t end = nt_mono_ms() + WAIT_MS;
	cJSON *root;
	size_t len;

	while ((text = nt_read_file(path, &len, &cause)) == NULL && nt_mono_ms() < end) {
		xfree(&cause);
		loop_run_once(core_loop(fx->c), 50);
	}
	if (text == NULL)
		fail_msg("no %s: %s; the stub heard:\n%s", name, cause, fx->log.data);
	root = cJSON_Parse(text);
	assert_non_null(root);
	free(text);
	free(path);
	return root;
}

/* Dana's one-time key, signed, as /keys/claim gives it. */
static void
dana_claim(struct fx *fx, struct dana *d)
{
	struct crypto_otk *otks;
	char *obj, *canon, *sig, *answer;
	size_t n;

	crypto_account_generate_otks(d->acct, 1);
	n = crypto_account_unpublished_otks(d->acct, &otks);
	assert_int_equal(n, 1);
	obj = xasprintf("{\"key\": \"%s\"}", otks[0].key);
	canon = crypto_signable_json(obj, strlen(obj), NULL);
	sig = crypto_account_sign(d->acct, (const uint8_t *)canon, strlen(canon));
	answer = xasprintf("{\"one_time_keys\": {\"@dana:x\": {\"DANADEV\": "
	    "{\"signed_curve25519:%s\": {\"key\": \"%s\", \"signatures\": {\"@dana:x\": "
	    "{\"ed25519:DANADEV\": \"%s\"}}}}}}, \"failures\": {}}", otks[0].id, otks[0].key,
	    sig);
	script(fx, "keys-claim.json", answer);
	crypto_account_mark_published(d->acct);
	crypto_otks_free(&otks, n);
	free(answer);
	free(sig);
	free(canon);
	free(obj);
}

/* How many times the core's log says needle. */
static int
log_count(struct fx *fx, const char *needle)
{
	size_t len;
	char *log = nt_read_file(fx->logfile, &len, NULL), *at = log;
	int n = 0;

	while (at != NULL && (at = strstr(at, needle)) != NULL) {
		n++;
		at += strlen(needle);
	}
	free(log);
	return n;
}

/* Syncs load members lazily, so the room's member list is read whole
 * before its key is shared: a member who said nothing lately (Dana,
 * whom no sync named) gets the key too. Once, while syncs keep it. */
static void
test_a_member_no_sync_named_gets_the_room_key(void **state)
{
	struct fx *fx = *state;
	struct dana d;
	char *members;
	cJSON *rec;

	dana_new(&d);
	members = xasprintf("{\"chunk\": [{\"type\": \"m.room.member\", \"state_key\": "
	    "\"@dana:x\", \"sender\": \"@dana:x\", \"event_id\": \"$dana-in\", "
	    "\"origin_server_ts\": 1, \"room_id\": \"%s\", \"content\": "
	    "{\"membership\": \"join\", \"displayname\": \"Dana\"}}]}", ROOM);
	script(fx, "members.json", members);
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	dana_device(fx, &d);
	dana_claim(fx, &d);
	send_and_wait(fx, "for everyone in the room");
	rec = await_record(fx, "todevice-1.json");
	assert_non_null(strstr(cJSON_GetObjectItem(rec, "body")->valuestring, "DANADEV"));
	cJSON_Delete(rec);
	send_and_wait(fx, "and again");
	assert_int_equal(log_count(fx, "members of " ROOM " loaded"), 1);
	free(members);
	dana_free(&d);
}

/* A sync bringing a normal (not pre-key) Olm message from Dana that no
 * session of natter's decrypts: their session is wedged. */
static char *
wedged_sync(const char *batch, struct dana *d, const char *natter_curve)
{
	return xasprintf("{\"next_batch\": \"%s\", \"to_device\": {\"events\": [{\"type\": "
	    "\"m.room.encrypted\", \"sender\": \"@dana:x\", \"content\": {\"algorithm\": "
	    "\"m.olm.v1.curve25519-aes-sha2\", \"sender_key\": \"%s\", \"ciphertext\": "
	    "{\"%s\": {\"type\": 1, \"body\": \"AwogAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}}}]}}",
	    batch, crypto_account_curve25519(d->acct), natter_curve);
}

static void
test_a_wedged_olm_session_is_replaced_once(void **state)
{
	struct fx *fx = *state;
	struct dana d;
	struct crypto_olm *in;
	char *curve, *ed, *otk, *wedged, *again, *why = NULL, *path;
	cJSON *rec, *body, *ct;
	uint8_t *plain;
	size_t len, from;

	dana_new(&d);
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	natter_keys(fx, &curve, &ed, &otk);
	dana_device(fx, &d);
	dana_claim(fx, &d);
	wedged = wedged_sync("s2", &d, curve);
	script(fx, "sync-2.json", wedged);
	/* natter makes a new session with Dana's one-time key and says so
	 * with an m.dummy that only Dana's device can read. */
	rec = await_record(fx, "todevice-1.json");
	assert_non_null(strstr(cJSON_GetObjectItem(rec, "path")->valuestring,
	    "/sendToDevice/m.room.encrypted/"));
	body = cJSON_Parse(cJSON_GetObjectItem(rec, "body")->valuestring);
	ct = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(body, "messages"), "@dana:x"), "DANADEV"), "ciphertext"),
	    crypto_account_curve25519(d.acct));
	assert_non_null(ct);
	assert_int_equal(cJSON_GetObjectItem(ct, "type")->valueint, CRYPTO_OLM_PREKEY);
	in = crypto_olm_inbound(d.acct, curve, cJSON_GetObjectItem(ct, "body")->valuestring, &why);
	if (in == NULL)
		fail_msg("Dana cannot read natter's new session: %s", why);
	assert_int_equal(crypto_olm_decrypt(in, CRYPTO_OLM_PREKEY,
	    cJSON_GetObjectItem(ct, "body")->valuestring, &plain, &len, &why), 0);
	assert_non_null(strstr((char *)plain, "\"type\":\"m.dummy\""));
	/* Another undecryptable message within the hour: no second session. */
	again = wedged_sync("s3", &d, curve);
	from = fx->log.len;
	script(fx, "sync-3.json", again);
	wait_log_from(fx, from, "rooms 0");
	run_for(fx, 1000);
	path = xasprintf("%s/todevice-2.json", fx->script);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	free(plain);
	crypto_olm_free(&in);
	cJSON_Delete(body);
	cJSON_Delete(rec);
	free(again);
	free(wedged);
	free(curve);
	free(ed);
	free(otk);
	dana_free(&d);
}

/* An answer cut short may mean the server has the message: it stays
 * queued, to go again with the same transaction id. */
static void
test_a_send_answer_that_cannot_be_read_stays_queued(void **state)
{
	struct fx *fx = *state;
	char *cause = NULL;

	start_synced(fx);
	script(fx, "send-1.json", "{\"status\": 200, \"body\": \"{\\\"event_i\"}");
	assert_int_equal(core_send_text(fx->c, ROOM, "cut", 0, NULL, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_QUEUED);
	assert_non_null(strstr(fx->result, "cannot be read"));
	assert_null(strstr(fx->log.data, "failed"));
	fx->done = 0;
	assert_int_equal(core_outbox_flush(fx->c, op_done, fx, &cause), 0);
	wait_done(fx);
	wait_log(fx, "outbox 1 sent $nt");
}

/* Each retry of a send is told, and the row says when the next attempt is
 * due, so that no front end leaves the user in silence. */
static void
test_a_retry_is_told_before_it_is_made(void **state)
{
	struct fx *fx = *state;
	struct store_outbox *items;
	char *cause = NULL;
	size_t n;

	start_synced(fx);
	mx_client_set_attempts(fx->c->mx, 2);
	script(fx, "send-1.json", "{\"status\": 503, \"body\": {\"errcode\": \"M_UNKNOWN\", "
	    "\"error\": \"Busy\"}}");
	assert_int_equal(core_send_text(fx->c, ROOM, "again", 0, NULL, op_done, fx, &cause), 0);
	wait_log(fx, "outbox 1 queued Busy, retrying");
	assert_int_equal(store_outbox_list(core_store(fx->c), NULL, 0, &items, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].attempts, 1);
	assert_true(items[0].next_ts > 0 && items[0].next_ts <= nt_now_ms() + MX_BACKOFF_BASE_MS);
	store_outbox_free(&items, n);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	wait_log(fx, "outbox 1 sent $nt");
}

/* natter sync --once asks again for a sync it cannot read, as the loop does. */
static void
test_sync_once_retries_a_sync_cut_short(void **state)
{
	struct fx *fx = *state;
	char *cut = xstrndup(SYNC_FIRST, strlen(SYNC_FIRST) / 2), *cause = NULL;

	mx_client_set_attempts(fx->c->mx, 2);
	script(fx, "sync-1.json", cut);
	script(fx, "sync-2.json", SYNC_FIRST);
	assert_int_equal(core_sync_once(fx->c, 0, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	assert_string_equal(fx->result, "2");
	free(cut);
}

/* Three messages of one session in one sync, newest first, the middle
 * one damaged: the other two still read, whatever their order. */
static void
test_a_bad_message_spoils_none_of_its_session_in_a_sync(void **state)
{
	struct fx *fx = *state;
	struct dana d;
	char *key_sync, *ev[3], *events, *sync, *ct;

	dana_new(&d);
	ev[0] = dana_event(&d, "$one", "first");
	ev[1] = dana_event(&d, "$two", "second");
	ev[2] = dana_event(&d, "$three", "third");
	ct = strstr(ev[1], "\"ciphertext\": \"") + 20;
	*ct = *ct == 'A' ? 'B' : 'A';
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	key_sync = dana_room_key(fx, &d);
	script(fx, "sync-2.json", key_sync);
	events = xasprintf("%s, %s, %s", ev[2], ev[1], ev[0]);
	sync = sync_later("s4", events);
	script(fx, "sync-3.json", sync);
	wait_log(fx, "messages " ROOM ": new $three new $two new $one\n");
	assert_encryption(fx, "$three", "ok", "third");
	assert_encryption(fx, "$two", "cannot be decrypted", NULL);
	assert_encryption(fx, "$one", "ok", "first");
	for (int i = 0; i < 3; i++)
		free(ev[i]);
	free(sync);
	free(events);
	free(key_sync);
	dana_free(&d);
}

/* A first sync of many encrypted messages is shown before they are all
 * read: the newest at once, the rest in slices after the screen is drawn,
 * each told. */
static void
test_a_big_encrypted_sync_is_shown_first_and_read_after(void **state)
{
	struct fx *fx = *state;
	struct dana d, lost;
	struct buf events = {0};
	struct store_msg *msgs;
	char *key_sync, *sync, *ev;
	int64_t end = nt_mono_ms() + WAIT_MS;
	size_t n, read;

	dana_new(&d);
	/* The oldest from a session whose key never comes. */
	dana_new(&lost);
	ev = dana_event(&lost, "$lost", "never read");
	buf_printf(&events, "%s, ", ev);
	free(ev);
	for (int i = 0; i <= 200; i++) {
		char id[16], body[32];

		snprintf(id, sizeof id, "$e%d", i);
		snprintf(body, sizeof body, "message %d", i);
		ev = dana_event(&d, id, body);
		buf_printf(&events, "%s%s", i ? ", " : "", ev);
		free(ev);
	}
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	key_sync = dana_room_key(fx, &d);
	script(fx, "sync-2.json", key_sync);
	sync = sync_later("s4", events.data);
	script(fx, "sync-3.json", sync);
	fx->draws = 1;
	wait_log(fx, "rooms 202, 202 in the cache, 201 to decrypt");
	/* A screen told of the sync draws it before any of it is decrypted. */
	wait_log(fx, "drawn with 201 to decrypt\n");
	assert_encryption(fx, "$e200", "ok", "message 200");
	assert_encryption(fx, "$e0", "decrypting", NULL);
	assert_encryption(fx, "$lost", "decrypting", NULL);
	do {
		loop_run_once(core_loop(fx->c), 50);
		assert_int_equal(store_history(core_store(fx->c), ROOM, INT64_MAX, 1000, &msgs, &n,
		    NULL), 0);
		read = 0;
		for (size_t i = 0; i < n; i++)
			read += msgs[i].body != NULL && strncmp(msgs[i].body, "message ", 8) == 0;
		store_msgs_free(&msgs, n);
	} while (read < 201 && nt_mono_ms() < end);
	assert_int_equal(read, 201);
	assert_encryption(fx, "$e0", "ok", "message 0");
	wait_log(fx, "messages " ROOM ": new $e0\n");
	/* Once all is read, what has no key says it waits for it. */
	wait_log(fx, "$lost\n");
	assert_encryption(fx, "$lost", "waiting for the key to decrypt", NULL);
	free(sync);
	free(key_sync);
	buf_free(&events);
	dana_free(&lost);
	dana_free(&d);
}

/* A sync of n rooms, each with one message of a few kilobytes: more
 * than one slice of MX_SYNC_SLICE_BYTES, the message of room i $mi. The
 * room at broken (if any) is not JSON. With to_sam, each room is named
 * "Room i", has us in it as Sam, and its message ($si) calls Sam by name. */
static char *
sync_of_rooms_to(const char *batch, int n, int broken, int to_sam)
{
	struct buf b = {0};
	char *body = xmalloc(8001);

	memset(body, 'x', 8000);
	body[8000] = '\0';
	buf_printf(&b, "{\"next_batch\": \"%s\", \"rooms\": {\"join\": {", batch);
	for (int i = 0; i < n; i++) {
		buf_printf(&b, "%s\"!r%d:x\": {", i ? ", " : "", i);
		if (to_sam)
			buf_printf(&b, "\"state\": {\"events\": [{\"type\": \"m.room.name\", "
			    "\"state_key\": \"\", \"sender\": \"@dana:x\", \"event_id\": \"$n%d\", "
			    "\"origin_server_ts\": 1, \"content\": {\"name\": \"Room %d\"}}, "
			    "{\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": "
			    "\"" ME "\", \"event_id\": \"$j%d\", \"origin_server_ts\": 2, "
			    "\"content\": {\"membership\": \"join\", \"displayname\": \"Sam\"}}]}, ",
			    i, i, i);
		buf_printf(&b, "\"timeline\": {\"events\": [{\"type\": "
		    "\"m.room.message\", \"sender\": \"@dana:x\", \"event_id\": \"$%s%d\", "
		    "\"origin_server_ts\": %d, \"content\": {\"msgtype\": \"m.text\", "
		    "\"body\": \"%s%d %s\"}}]%s}}", to_sam ? "s" : "m", i, i + 1,
		    to_sam ? "Sam, " : "", i, body, i == broken ? ", tru " : "");
	}
	buf_puts(&b, "}}}");
	free(body);
	return buf_steal(&b);
}

static char *
sync_of_rooms(int n, int broken)
{
	return sync_of_rooms_to("s-big", n, broken, 0);
}

/* A sync bigger than a slice is read, written and told a slice at a
 * time, in one write with its token: every room is in the cache and
 * told. A room in a later slice that cannot be read leaves nothing
 * written, not even the rooms of the slices before it. */
static void
test_a_big_sync_is_stored_a_slice_at_a_time(void **state)
{
	struct fx *fx = *state;
	struct store_room *rooms;
	char *sync = sync_of_rooms(70, -1), *broken = sync_of_rooms(70, 60), *cause = NULL, *log;
	const char *p;
	size_t n, len, told = 0;

	assert_true(strlen(sync) > 2 * MX_SYNC_SLICE_BYTES);
	mx_client_set_attempts(fx->c->mx, 1);
	script(fx, "sync-1.json", broken);
	assert_int_equal(core_sync_once(fx->c, 0, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_FAILED);
	assert_null(store_sync_token(core_store(fx->c)));
	assert_int_equal(store_rooms(core_store(fx->c), &rooms, &n, NULL), 0);
	assert_int_equal(n, 0);
	store_rooms_free(&rooms, n);

	script(fx, "sync-2.json", sync);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "rooms 70, ");
	for (p = fx->log.data; (p = strstr(p, "messages !r")) != NULL; p++)
		told++;
	assert_int_equal(told, 70);
	assert_non_null(strstr(fx->log.data, "messages !r0:x: new $m0\n"));
	assert_non_null(strstr(fx->log.data, "messages !r69:x: new $m69\n"));
	assert_int_equal(store_rooms(core_store(fx->c), &rooms, &n, NULL), 0);
	assert_int_equal(n, 70);
	store_rooms_free(&rooms, n);
	p = store_sync_token(core_store(fx->c));
	assert_string_equal(p, "s-big");
	free((char *)p);
	log = nt_read_file(fx->logfile, &len, NULL);
	assert_non_null(strstr(log, "sync: 70 rooms (3 slices), 70 events"));
	free(log);
	free(sync);
	free(broken);
}

/* The notifications of a sync in slices wait for it to be kept: one that
 * cannot be kept raises none, and all its slices share one sync's limit
 * (CORE_NOTIFY_MAX, 3), each raised once. */
static void
test_a_big_syncs_notifications_wait_until_it_is_kept(void **state)
{
	struct fx *fx = *state;
	char *broken = sync_of_rooms_to("s2", 70, 60, 1), *sync = sync_of_rooms_to("s3", 70, -1, 1);
	const char *p;
	size_t told = 0, mark;

	mx_client_set_attempts(fx->c->mx, 1);
	start_synced(fx);
	mark = fx->log.len;
	script(fx, "sync-2.json", broken);
	wait_log_from(fx, mark, "conn ");
	assert_null(strstr(fx->log.data + mark, "notify"));
	script(fx, "sync-3.json", sync);
	wait_log_from(fx, mark, "rooms 70, ");
	wait_log_from(fx, mark, "messages !r69:x: new $s69\n");
	for (p = fx->log.data + mark; (p = strstr(p, "notify ")) != NULL; p++)
		told++;
	assert_int_equal(told, 3);
	assert_non_null(strstr(fx->log.data + mark, "notify @dana:x in Room 0: Sam, 0 x"));
	assert_non_null(strstr(fx->log.data + mark, "notify @dana:x in Room 1: Sam, 1 x"));
	assert_non_null(strstr(fx->log.data + mark, "notify @dana:x in Room 2: Sam, 2 x"));
	free(sync);
	free(broken);
}

struct pages {
	int done, failed;
	char *why;
};

static void
page_done(void *arg, int status, const char *result)
{
	struct pages *pg = arg;

	if (status == CORE_CANCELLED)
		return;
	pg->done++;
	if (status != CORE_DONE) {
		pg->failed++;
		free(pg->why);
		pg->why = result != NULL ? xstrdup(result) : NULL;
	}
}

/* Two pages into the same gap at once (the unread counter's behind the
 * sync and the user's scrolling): the one answered second finds the gap
 * filled, and pages on from where the first left it, failing nothing. */
static void
test_two_pages_into_one_gap_both_end_well(void **state)
{
	static const char older[] =
	    "{\"start\": \"p1\", \"end\": \"p2\", \"chunk\": [{\"type\": \"m.room.message\", "
	    "\"sender\": \"@dana:x\", \"event_id\": \"$o1\", \"origin_server_ts\": 5, "
	    "\"content\": {\"msgtype\": \"m.text\", \"body\": \"older\"}}]}";
	static const char oldest[] =
	    "{\"start\": \"p2\", \"chunk\": [{\"type\": \"m.room.message\", "
	    "\"sender\": \"@dana:x\", \"event_id\": \"$o0\", \"origin_server_ts\": 4, "
	    "\"content\": {\"msgtype\": \"m.text\", \"body\": \"oldest\"}}]}";
	struct fx *fx = *state;
	struct pages pg = {0};
	struct buf sync = {0};
	const char *tl = strstr(SYNC_FIRST, "\"timeline\": {");
	char *cause = NULL, *token = NULL;
	int64_t before;
	int64_t end = nt_mono_ms() + WAIT_MS;

	buf_add(&sync, SYNC_FIRST, (size_t)(tl - SYNC_FIRST) + 13);
	buf_puts(&sync, "\"limited\": true, \"prev_batch\": \"p1\", ");
	buf_puts(&sync, tl + 13);
	script(fx, "sync-1.json", sync.data);
	assert_int_equal(core_sync_once(fx->c, 0, op_done, fx, &cause), 0);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
	assert_int_equal(store_gap_next(core_store(fx->c), ROOM, &before, &token, NULL), 1);
	assert_string_equal(token, "p1");
	free(token);
	script(fx, "messages-1.json", older);
	script(fx, "messages-2.json", older);
	script(fx, "messages-3.json", oldest);
	assert_int_equal(core_history_page(fx->c, ROOM, page_done, &pg, &cause), 0);
	assert_int_equal(core_history_page(fx->c, ROOM, page_done, &pg, &cause), 0);
	while (pg.done < 2 && nt_mono_ms() < end)
		loop_run_once(core_loop(fx->c), 50);
	assert_int_equal(pg.done, 2);
	if (pg.failed)
		fail_msg("a page failed: %s", pg.why);
	/* The second went on past the first: the room's history is whole. */
	assert_int_equal(store_gap_next(core_store(fx->c), ROOM, &before, &token, NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		static const char *ids[] = {"$o1", "$o0"}, *bodies[] = {"older", "oldest"};
		struct store_msg m;

		assert_int_equal(store_msg_get(core_store(fx->c), ids[i], &m, NULL), 0);
		assert_string_equal(m.body, bodies[i]);
		store_msg_clear(&m);
	}
	free(pg.why);
	buf_free(&sync);
}

/* Asks for user's devices again, as natter devices does. */
static void
devices_again(struct fx *fx, const char *user)
{
	char *cause = NULL;

	fx->done = 0;
	if (core_devices(fx->c, user, op_done, fx, &cause) == -1)
		fail_msg("%s", cause);
	wait_done(fx);
	assert_int_equal(fx->status, CORE_DONE);
}

static const char *
sender_trust_of(struct fx *fx, const char *event_id, struct store_msg *m)
{
	assert_int_equal(store_msg_get(core_store(fx->c), event_id, m, NULL), 0);
	return m->sender_trust != NULL ? m->sender_trust : "(none)";
}

/* A device its owner signed with cross-signing is not marked; a master
 * key that changes is not believed. */
static void
test_a_device_its_owner_signed_is_not_marked(void **state)
{
	struct fx *fx = *state;
	struct crypto_account *master = crypto_account_new(), *ssk = crypto_account_new();
	struct crypto_account *master2 = crypto_account_new(), *ssk2 = crypto_account_new();
	struct store_msg m;
	struct dana d;
	char *key_sync, *ev, *s3;

	dana_new(&d);
	script(fx, "sync-1.json", SYNC_ENCRYPTED_ROOM);
	core_start(fx->c, &stub, fx, 1000);
	wait_log(fx, "conn online");
	key_sync = dana_room_key(fx, &d);
	dana_cross_signed_device(fx, &d, master, ssk);
	script(fx, "sync-2.json", key_sync);
	ev = dana_event(&d, "$signed", "from a signed device");
	s3 = sync_later("s4", ev);
	script(fx, "sync-3.json", s3);
	wait_log(fx, "messages " ROOM ": new $signed\n");
	assert_string_equal(sender_trust_of(fx, "$signed", &m), "signed");
	store_msg_clear(&m);
	/* The server now says Dana has another master key: not believed, and
	 * her messages say her identity changed. */
	dana_cross_signed_device(fx, &d, master2, ssk2);
	devices_again(fx, "@dana:x");
	assert_string_equal(sender_trust_of(fx, "$signed", &m), "changed");
	assert_string_equal(msg_trust_note(m.sender_trust), "identity changed");
	store_msg_clear(&m);
	/* The first one again: believed again. */
	dana_cross_signed_device(fx, &d, master, ssk);
	devices_again(fx, "@dana:x");
	assert_string_equal(sender_trust_of(fx, "$signed", &m), "signed");
	store_msg_clear(&m);
	free(s3);
	free(ev);
	free(key_sync);
	crypto_account_free(&master);
	crypto_account_free(&ssk);
	crypto_account_free(&master2);
	crypto_account_free(&ssk2);
	dana_free(&d);
}

/* Waits for an operation started with core_result_cb and r. */
static int
wait_result(struct fx *fx, struct core_result *r)
{
	if (loop_run_until(core_loop(fx->c), &r->done, WAIT_MS) == -1 && !r->done)
		fail_msg("the operation never ended; the core logged:\n%s", fx->logfile);
	return r->status;
}

/* The account's m.direct as the homeserver keeps it. */
static cJSON *
direct_map(struct fx *fx)
{
	char *path = xasprintf("%s/account-m.direct.json", fx->script);
	FILE *f = fopen(path, "r");
	char text[8192];
	size_t n;

	if (f == NULL)
		fail_msg("no m.direct was written");
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	free(path);
	return cJSON_Parse(text);
}

/* The rooms m.direct lists for user, as "!a,!b". */
static char *
direct_rooms(cJSON *map, const char *user)
{
	struct buf b = {0};
	const cJSON *room;

	cJSON_ArrayForEach(room, cJSON_GetObjectItemCaseSensitive(map, user))
		buf_printf(&b, "%s%s", b.data != NULL ? "," : "", room->valuestring);
	return b.data != NULL ? b.data : xstrdup("");
}

static int
rooms_created(struct fx *fx)
{
	char *path;
	int n = 0;

	for (;;) {
		path = xasprintf("%s/createroom-%d.json", fx->script, n + 1);
		if (access(path, F_OK) != 0)
			break;
		free(path);
		n++;
	}
	free(path);
	return n;
}

/* Each copy of a broadcast is recorded with its outbox row: the report
 * has the event id of one the server took, why of one it refused, and
 * why of a target that meant no room. */
static void
test_broadcast_copies_are_recorded(void **state)
{
	struct fx *fx = *state;
	struct core_result sent = {0}, refused = {0};
	struct store_bcast_recipient *r;
	char *cause = NULL;
	int64_t id;
	size_t n;

	start_synced(fx);
	script(fx, "send-2.json", "{\"status\": 403, \"body\": {\"errcode\": \"M_FORBIDDEN\", "
	    "\"error\": \"You cannot post here\"}}");
	assert_int_equal(core_broadcast_new(fx->c, "Offsite on Friday", &id, &cause), 0);
	assert_int_equal(core_broadcast_send(fx->c, id, "Board", ROOM, "Offsite on Friday", 0,
	    core_result_cb, &sent, &cause), 0);
	assert_int_equal(core_broadcast_send(fx->c, id, "Finance", "!finance:x",
	    "Offsite on Friday", 0, core_result_cb, &refused, &cause), 0);
	core_broadcast_unsent(fx->c, id, "Nowhere", NULL, "no room matches \"Nowhere\"");
	assert_int_equal(wait_result(fx, &sent), CORE_DONE);
	assert_int_equal(wait_result(fx, &refused), CORE_FAILED);

	assert_int_equal(store_broadcast_report(core_store(fx->c), id, ME, &r, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].target, "Board");
	assert_int_equal(r[0].sent, STORE_BCAST_SENT);
	assert_string_equal(r[0].event_id, sent.text);
	assert_string_equal(r[1].target, "Finance");
	assert_int_equal(r[1].sent, STORE_BCAST_REFUSED);
	assert_non_null(strstr(r[1].why, "You cannot post here"));
	assert_int_equal(r[2].sent, STORE_BCAST_UNSENT);
	assert_string_equal(r[2].why, "no room matches \"Nowhere\"");
	store_bcast_recipients_free(&r, n);
	core_result_clear(&sent);
	core_result_clear(&refused);
}

#define DM_PEOPLE 10

/* A broadcast to ten people with no direct chat yet makes ten chats at
 * once, and m.direct lists every one of them: its writes go one after
 * the other, each on what the one before wrote. A chat asked for again
 * while it is made is made once, and one that exists is not made again. */
static void
test_direct_chats_made_at_once_are_all_listed(void **state)
{
	struct fx *fx = *state;
	struct core_result r[DM_PEOPLE + 1] = {0}, again = {0};
	int created[DM_PEOPLE + 1], made_again = -1;
	char user[32], *cause = NULL, *rooms;
	cJSON *map;

	for (int i = 0; i < DM_PEOPLE; i++) {
		snprintf(user, sizeof user, "@person%d:x", i);
		assert_int_equal(core_dm(fx->c, user, &created[i], core_result_cb, &r[i], &cause),
		    0);
	}
	assert_int_equal(core_dm(fx->c, "@person3:x", &created[DM_PEOPLE], core_result_cb,
	    &r[DM_PEOPLE], &cause), 0);
	for (int i = 0; i <= DM_PEOPLE; i++)
		assert_int_equal(wait_result(fx, &r[i]), CORE_DONE);
	assert_int_equal(rooms_created(fx), DM_PEOPLE);
	assert_string_equal(r[DM_PEOPLE].text, r[3].text);
	assert_true(created[3]);
	assert_false(created[DM_PEOPLE]);

	map = direct_map(fx);
	assert_int_equal(cJSON_GetArraySize(map), DM_PEOPLE);
	for (int i = 0; i < DM_PEOPLE; i++) {
		snprintf(user, sizeof user, "@person%d:x", i);
		rooms = direct_rooms(map, user);
		assert_string_equal(rooms, r[i].text);
		free(rooms);
	}
	cJSON_Delete(map);

	assert_int_equal(core_dm(fx->c, "@person5:x", &made_again, core_result_cb, &again,
	    &cause), 0);
	assert_int_equal(wait_result(fx, &again), CORE_DONE);
	assert_string_equal(again.text, r[5].text);
	assert_false(made_again);
	assert_int_equal(rooms_created(fx), DM_PEOPLE);
	core_result_clear(&again);
	for (int i = 0; i <= DM_PEOPLE; i++)
		core_result_clear(&r[i]);
}

/* An invitation that says is_direct, from whoever is in the room. */
#define DM_INVITE(room, from) \
	"\"" room "\": {\"invite_state\": {\"events\": [" \
	"{\"type\": \"m.room.member\", \"state_key\": \"" from "\", \"sender\": \"" from "\"," \
	" \"content\": {\"membership\": \"join\"}}," \
	"{\"type\": \"m.room.member\", \"state_key\": \"" ME "\", \"sender\": \"" from "\"," \
	" \"content\": {\"membership\": \"invite\", \"is_direct\": true}}]}}"

/* An invitation to a direct chat is one: accepting it lists it in
 * m.direct, and a direct chat asked for with its sender accepts it
 * rather than making another room. */
static void
test_an_invitation_to_a_direct_chat_is_listed_once_joined(void **state)
{
	struct fx *fx = *state;
	struct core_result r = {0};
	struct store_room room;
	char *cause = NULL, *rooms;
	int created = -1;
	cJSON *map;

	/* As logging in records it. */
	assert_int_equal(store_meta_set(core_store(fx->c), "self", ME, &cause), 0);
	script(fx, "sync-1.json", "{\"next_batch\": \"s1\", \"rooms\": {\"invite\": {"
	    DM_INVITE("!erin:x", "@erin:x") ", " DM_INVITE("!frank:x", "@frank:x") "}}}");
	assert_int_equal(core_sync_once(fx->c, 0, core_result_cb, &r, &cause), 0);
	assert_int_equal(wait_result(fx, &r), CORE_DONE);
	core_result_clear(&r);
	assert_int_equal(store_room_get(core_store(fx->c), "!erin:x", &room, &cause), 0);
	assert_true(room.is_direct);
	assert_string_equal(room.dm_user, "@erin:x");
	store_room_clear(&room);

	assert_int_equal(core_join(fx->c, "!erin:x", core_result_cb, &r, &cause), 0);
	assert_int_equal(wait_result(fx, &r), CORE_DONE);
	assert_string_equal(r.text, "!erin:x");
	core_result_clear(&r);
	assert_int_equal(core_dm(fx->c, "@frank:x", &created, core_result_cb, &r, &cause), 0);
	assert_int_equal(wait_result(fx, &r), CORE_DONE);
	assert_string_equal(r.text, "!frank:x");
	assert_false(created);
	core_result_clear(&r);
	assert_int_equal(rooms_created(fx), 0);

	map = direct_map(fx);
	rooms = direct_rooms(map, "@erin:x");
	assert_string_equal(rooms, "!erin:x");
	free(rooms);
	rooms = direct_rooms(map, "@frank:x");
	assert_string_equal(rooms, "!frank:x");
	free(rooms);
	cJSON_Delete(map);
}

static int
group_setup(void **state)
{
	if (mkdtemp(script_root) == NULL)
		return -1;
	return httpd_start(&srv, script_root);
}

static int
group_teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", script_root);
	int rc;

	httpd_stop(&srv);
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_sync_is_stored_before_it_is_told),
		T(test_an_edit_a_reaction_and_a_redaction_are_told_as_such),
		T(test_a_mention_notifies_unless_its_room_is_in_view),
		T(test_typing_is_told_by_name_without_us),
		T(test_each_send_has_its_outcome),
		T(test_an_encrypted_room_gets_only_ciphertext),
		T(test_the_room_key_rotates_as_the_room_says_and_when_someone_leaves),
		T(test_without_keys_an_encrypted_room_refuses_at_once),
		T(test_sync_once_stores_then_sends_what_waits),
		T(test_a_late_key_decrypts_what_waited),
		T(test_a_tampered_or_replayed_message_is_refused),
		T(test_a_key_file_adds_history_but_never_replaces_a_key),
		T(test_a_mention_read_when_its_key_comes_notifies),
		T(test_a_wedged_olm_session_is_replaced_once),
		T(test_a_send_answer_that_cannot_be_read_stays_queued),
		T(test_sync_once_retries_a_sync_cut_short),
		T(test_a_retry_is_told_before_it_is_made),
		T(test_a_bad_message_spoils_none_of_its_session_in_a_sync),
		T(test_a_big_encrypted_sync_is_shown_first_and_read_after),
		T(test_a_big_sync_is_stored_a_slice_at_a_time),
		T(test_a_big_syncs_notifications_wait_until_it_is_kept),
		T(test_two_pages_into_one_gap_both_end_well),
		T(test_a_member_no_sync_named_gets_the_room_key),
		T(test_the_room_in_view_gets_its_whole_member_list),
		T(test_a_device_its_owner_signed_is_not_marked),
		T(test_direct_chats_made_at_once_are_all_listed),
		T(test_broadcast_copies_are_recorded),
		T(test_an_invitation_to_a_direct_chat_is_listed_once_joined),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
