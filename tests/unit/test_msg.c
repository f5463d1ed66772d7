#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "natter/msg.h"
#include "natter/util.h"

static const char *
field(const cJSON *obj, const char *path)
{
	char copy[256], *save = NULL;

	strncpy(copy, path, sizeof copy - 1);
	copy[sizeof copy - 1] = '\0';
	for (char *k = strtok_r(copy, "/", &save); k != NULL; k = strtok_r(NULL, "/", &save))
		obj = cJSON_GetObjectItemCaseSensitive(obj, k);
	return cJSON_IsString(obj) ? obj->valuestring : NULL;
}

static void
test_plain_text_stays_plain(void **state)
{
	char *json = msg_content_text("see you at 3 <maybe> & later", "m.text", NULL, NULL);
	cJSON *c = cJSON_Parse(json);

	assert_string_equal(field(c, "body"), "see you at 3 <maybe> & later");
	assert_string_equal(field(c, "msgtype"), "m.text");
	assert_null(field(c, "formatted_body"));
	assert_null(cJSON_GetObjectItemCaseSensitive(c, "m.relates_to"));
	cJSON_Delete(c);
	free(json);
}

/* A message in a thread names the thread's newest event for clients that
 * show no threads; a reply in the thread names what it answers. */
static void
test_thread_relation(void **state)
{
	char *json = msg_content_thread("agreed", "m.text", "$root", NULL, "$t2", NULL);
	cJSON *c = cJSON_Parse(json), *rel = cJSON_GetObjectItemCaseSensitive(c, "m.relates_to");

	assert_string_equal(field(rel, "rel_type"), "m.thread");
	assert_string_equal(field(rel, "event_id"), "$root");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rel, "is_falling_back")));
	assert_string_equal(field(cJSON_GetObjectItemCaseSensitive(rel, "m.in_reply_to"),
	    "event_id"), "$t2");
	cJSON_Delete(c);
	free(json);
	json = msg_content_thread("to you", "m.text", "$root", "$t1", "$t2", NULL);
	c = cJSON_Parse(json);
	rel = cJSON_GetObjectItemCaseSensitive(c, "m.relates_to");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rel, "is_falling_back")));
	assert_string_equal(field(cJSON_GetObjectItemCaseSensitive(rel, "m.in_reply_to"),
	    "event_id"), "$t1");
	cJSON_Delete(c);
	free(json);
}

static void
test_multiline_plain_stays_plain(void **state)
{
	char *html = msg_markdown_html("line one\nline two");
	char *list = msg_markdown_html("agenda:\n\n- budget\n- hiring");

	assert_null(html);
	assert_non_null(list);
	assert_non_null(strstr(list, "<li>budget</li>"));
	free(list);
}

static void
test_markdown_becomes_html(void **state)
{
	char *json = msg_content_text("the **board** meets at `10:00`", "m.text", NULL, NULL);
	cJSON *c = cJSON_Parse(json);

	assert_string_equal(field(c, "format"), "org.matrix.custom.html");
	assert_string_equal(field(c, "formatted_body"),
	    "<p>the <strong>board</strong> meets at <code>10:00</code></p>");
	assert_string_equal(field(c, "body"), "the **board** meets at `10:00`");
	cJSON_Delete(c);
	free(json);
}

static void
test_raw_html_is_not_passed_through(void **state)
{
	char *html = msg_markdown_html("*hi* <img src=x onerror=alert(1)>");

	assert_non_null(html);
	assert_null(strstr(html, "<img"));
	assert_non_null(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
	free(html);
}

static void
test_reply_edit_reaction(void **state)
{
	char *reply = msg_content_text("yes", "m.emote", "$orig", NULL);
	char *edit = msg_content_edit("fixed", "m.text", "$orig", NULL, NULL);
	char *react = msg_content_reaction("$orig", "👍");
	cJSON *r = cJSON_Parse(reply), *e = cJSON_Parse(edit), *a = cJSON_Parse(react);

	assert_string_equal(field(r, "m.relates_to/m.in_reply_to/event_id"), "$orig");
	assert_string_equal(field(r, "msgtype"), "m.emote");
	assert_string_equal(field(e, "body"), "* fixed");
	assert_null(field(e, "formatted_body"));
	assert_string_equal(field(e, "m.new_content/body"), "fixed");
	assert_string_equal(field(e, "m.relates_to/rel_type"), "m.replace");
	assert_string_equal(field(e, "m.relates_to/event_id"), "$orig");
	assert_string_equal(field(a, "m.relates_to/rel_type"), "m.annotation");
	assert_string_equal(field(a, "m.relates_to/key"), "👍");
	cJSON_Delete(r);
	cJSON_Delete(e);
	cJSON_Delete(a);
	free(reply);
	free(edit);
	free(react);
}

/* An edit's fallback is "* " and the new text, not a bullet list; its
 * HTML is that of the new text alone. */
static void
test_edit_fallback_is_not_a_list(void **state)
{
	char *edit = msg_content_edit("the **board** meets", "m.text", "$orig", NULL, NULL);
	char *list = msg_content_edit("- budget\n- hiring", "m.text", "$orig", NULL, NULL);
	cJSON *e = cJSON_Parse(edit), *l = cJSON_Parse(list);

	assert_string_equal(field(e, "body"), "* the **board** meets");
	assert_string_equal(field(e, "formatted_body"), "<p>* the <strong>board</strong> meets</p>");
	assert_string_equal(field(e, "m.new_content/formatted_body"),
	    "<p>the <strong>board</strong> meets</p>");
	assert_string_equal(field(l, "body"), "* - budget\n- hiring");
	assert_string_equal(field(l, "formatted_body"),
	    "* <ul>\n<li>budget</li>\n<li>hiring</li>\n</ul>");
	cJSON_Delete(e);
	cJSON_Delete(l);
	free(edit);
	free(list);
}

static void
test_attachment(void **state)
{
	char *json = msg_content_file("Q3 plan.pdf", "mxc://localhost/abc", "application/pdf", 1234, NULL);
	cJSON *c = cJSON_Parse(json);

	assert_string_equal(field(c, "msgtype"), "m.file");
	assert_string_equal(field(c, "url"), "mxc://localhost/abc");
	assert_string_equal(field(c, "info/mimetype"), "application/pdf");
	assert_string_equal(msg_mimetype_guess("photo.JPG"), "image/jpeg");
	assert_string_equal(msg_mimetype_guess("noext"), "application/octet-stream");
	assert_string_equal(msg_mimetype_guess("dir.d/file"), "application/octet-stream");
	assert_string_equal(msg_media_msgtype("image/png"), "m.image");
	cJSON_Delete(c);
	free(json);
}

static char *
direct_add_one(cJSON *map, const char *user, const char *room)
{
	return msg_direct_add(map, &user, &room, 1);
}

static void
test_direct_map_keeps_what_was_there(void **state)
{
	cJSON *map = cJSON_Parse("{\"@a:x\":[\"!1:x\"],\"@b:x\":\"broken\"}");
	char *text = direct_add_one(map, "@b:x", "!2:x");
	char *fresh = direct_add_one(NULL, "@c:x", "!3:x");
	char *again = direct_add_one(cJSON_Parse("{\"@a:x\":[\"!1:x\"]}"), "@a:x", "!4:x");

	assert_string_equal(text, "{\"@a:x\":[\"!1:x\"],\"@b:x\":[\"!2:x\"]}");
	assert_string_equal(fresh, "{\"@c:x\":[\"!3:x\"]}");
	assert_string_equal(again, "{\"@a:x\":[\"!1:x\",\"!4:x\"]}");
	free(text);
	free(fresh);
	free(again);
}

/* One write adds every chat that waits, and a room listed already is not
 * listed twice. */
static void
test_direct_map_takes_several_at_once(void **state)
{
	const char *users[] = {"@a:x", "@b:x", "@a:x", "@c:x"};
	const char *rooms[] = {"!1:x", "!2:x", "!5:x", "!3:x"};
	char *text = msg_direct_add(cJSON_Parse("{\"@a:x\":[\"!1:x\"]}"), users, rooms, 4);

	assert_string_equal(text, "{\"@a:x\":[\"!1:x\",\"!5:x\"],\"@b:x\":[\"!2:x\"],"
	    "\"@c:x\":[\"!3:x\"]}");
	free(text);
}

static void
test_state_words(void **state)
{
	assert_string_equal(msg_state_verb("m.room.name"), "renamed the room");
	assert_null(msg_state_verb("com.example.custom"));
	assert_true(msg_state_hidden("m.room.power_levels"));
	assert_false(msg_state_hidden("m.room.topic"));
	assert_string_equal(msg_member_verb(MX_MEMBERSHIP_INVITE), "was invited");
	assert_string_equal(msg_member_verb((enum mx_membership)99), "changed their profile");
}

static void
expect_state_text(const struct msg_state_event *e, const char *want)
{
	char *got = msg_state_text(e);

	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

/* Who did what to whom, by display name, with the new name or topic. */
static void
test_state_text(void **state)
{
	struct msg_state_event e = {"m.room.member", "@sam:x", "Sam", "@dana:x", NULL,
		"{\"membership\": \"invite\", \"displayname\": \"Dana Whitfield\"}",
		MX_MEMBERSHIP_INVITE};

	expect_state_text(&e, "Sam invited Dana Whitfield");
	e.content = "{\"membership\": \"invite\"}";
	expect_state_text(&e, "Sam invited @dana:x");
	e.target_name = "Dana";
	expect_state_text(&e, "Sam invited Dana");
	e.membership = MX_MEMBERSHIP_LEAVE;
	expect_state_text(&e, "Sam removed Dana");
	e.membership = MX_MEMBERSHIP_BAN;
	expect_state_text(&e, "Sam banned Dana");
	e.state_key = "@sam:x";
	e.membership = MX_MEMBERSHIP_JOIN;
	expect_state_text(&e, "Sam joined");

	e = (struct msg_state_event){"m.room.name", "@sam:x", "Sam", "", NULL,
		"{\"name\": \"Board Prep\"}", MX_MEMBERSHIP_NONE};
	expect_state_text(&e, "Sam renamed the room to Board Prep");
	e.content = "{\"name\": \"\"}";
	expect_state_text(&e, "Sam removed the room's name");
	e.type = "m.room.topic";
	e.content = "{\"topic\": \"Q3 figures\"}";
	expect_state_text(&e, "Sam changed the topic to Q3 figures");
	e.content = "not JSON";
	expect_state_text(&e, "Sam removed the topic");
	e.type = "m.room.canonical_alias";
	e.content = "{\"alias\": \"#board:x\"}";
	expect_state_text(&e, "Sam changed the room address to #board:x");
	e.content = "{}";
	expect_state_text(&e, "Sam changed the room address");
	e.type = "m.room.create";
	expect_state_text(&e, "Sam created the room");
	e.type = "com.example.custom";
	expect_state_text(&e, NULL);
}

/* Dimensions only when the info gives both as whole positive numbers. */
static void
test_media_dimensions(void **state)
{
	static const char *const bad[] = {
		NULL, "not JSON", "{}", "{\"info\": 3}", "{\"info\": {\"w\": 1920}}",
		"{\"info\": {\"w\": \"1920\", \"h\": 1080}}",
		"{\"info\": {\"w\": 0, \"h\": 1080}}", "{\"info\": {\"w\": -5, \"h\": 10}}",
		"{\"info\": {\"w\": 1.5, \"h\": 10}}", "{\"info\": {\"w\": 1e12, \"h\": 10}}",
	};
	int w = 7, h = 7;

	assert_int_equal(msg_media_dimensions("{\"info\": {\"w\": 1920, \"h\": 1080, "
	    "\"size\": 5}}", &w, &h), 1);
	assert_int_equal(w, 1920);
	assert_int_equal(h, 1080);
	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		w = h = 7;
		assert_int_equal(msg_media_dimensions(bad[i], &w, &h), 0);
		assert_int_equal(w, 7);
		assert_int_equal(h, 7);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_stays_plain),
		cmocka_unit_test(test_thread_relation),
		cmocka_unit_test(test_multiline_plain_stays_plain),
		cmocka_unit_test(test_markdown_becomes_html),
		cmocka_unit_test(test_raw_html_is_not_passed_through),
		cmocka_unit_test(test_reply_edit_reaction),
		cmocka_unit_test(test_edit_fallback_is_not_a_list),
		cmocka_unit_test(test_attachment),
		cmocka_unit_test(test_direct_map_keeps_what_was_there),
		cmocka_unit_test(test_direct_map_takes_several_at_once),
		cmocka_unit_test(test_state_words),
		cmocka_unit_test(test_state_text),
		cmocka_unit_test(test_media_dimensions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
