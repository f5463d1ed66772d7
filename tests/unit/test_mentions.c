/* What natter sends for mentions and shortcodes (msg_text_prepare and the
 * contents built on it), the emoji table, and whom an incoming message
 * mentions (notify_mentions_us). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "natter/editor.h"
#include "natter/emoji.h"
#include "natter/msg.h"
#include "natter/notify.h"
#include "natter/util.h"

static const cJSON *
item(const cJSON *obj, const char *path)
{
	char copy[256], *save = NULL;

	strncpy(copy, path, sizeof copy - 1);
	copy[sizeof copy - 1] = '\0';
	for (char *k = strtok_r(copy, "/", &save); k != NULL; k = strtok_r(NULL, "/", &save))
		obj = cJSON_GetObjectItemCaseSensitive(obj, k);
	return obj;
}

static const char *
field(const cJSON *obj, const char *path)
{
	obj = item(obj, path);
	return cJSON_IsString(obj) ? obj->valuestring : NULL;
}

/* The users of an m.mentions (at path) joined by ' ', "-" when there is no
 * m.mentions at all. */
static char *
mentions_of(const cJSON *c, const char *path)
{
	const cJSON *m = item(c, path), *id;
	struct buf b = {0};

	if (!cJSON_IsObject(m))
		return xstrdup("-");
	cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(m, "user_ids"))
		buf_printf(&b, "%s%s", b.len ? " " : "", id->valuestring);
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

static char *
users(const struct msg_text *t)
{
	struct buf b = {0};

	for (size_t i = 0; i < t->n_user_ids; i++)
		buf_printf(&b, "%s%s", i ? " " : "", t->user_ids[i]);
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

struct prep_case {
	const char *text;
	const char *body;
	const char *html;	/* NULL: none */
	const char *users;
};

static void
check_prep(const char *text, const struct msg_mentions *m, const struct prep_case *want)
{
	struct msg_text t;
	char *u;

	msg_text_prepare(text, m, &t);
	u = users(&t);
	if (strcmp(t.body, want->body) != 0)
		fail_msg("[%s] body: got [%s], want [%s]", text, t.body, want->body);
	if ((t.html == NULL) != (want->html == NULL) ||
	    (t.html != NULL && strcmp(t.html, want->html) != 0))
		fail_msg("[%s] html: got [%s], want [%s]", text, t.html ? t.html : "(none)",
		    want->html ? want->html : "(none)");
	if (strcmp(u, want->users) != 0)
		fail_msg("[%s] users: got [%s], want [%s]", text, u, want->users);
	free(u);
	msg_text_clear(&t);
}

/* A name completed in the compose box is a link and a user in m.mentions;
 * the body keeps the name as typed. */
static void
test_completed_name_is_a_mention(void **state)
{
	const char *text = "Dana Whitfield: the car is here";
	struct msg_mention names[] = {{0, 14, "@dana:example.org"}};
	struct msg_mentions m = {names, 1, NULL};
	struct prep_case want = {text, text,
		"<p><a href=\"https://matrix.to/#/@dana:example.org\">Dana Whitfield</a>: the car "
		"is here</p>", "@dana:example.org"};
	char *json = msg_content_text(text, "m.text", NULL, &m);
	cJSON *c = cJSON_Parse(json);
	char *u = mentions_of(c, "m.mentions");

	(void)state;
	check_prep(text, &m, &want);
	assert_string_equal(field(c, "body"), text);
	assert_string_equal(field(c, "format"), "org.matrix.custom.html");
	assert_string_equal(field(c, "formatted_body"), want.html);
	assert_string_equal(u, "@dana:example.org");
	free(u);
	cJSON_Delete(c);
	free(json);
}

/* Names with Markdown in them stay names; ids that need it are escaped. */
static void
test_names_are_escaped(void **state)
{
	const char *text = "ask *Sam* [CEO] & <co> now";
	struct msg_mention names[] = {{4, 11, "@sam:x"}};
	struct msg_mentions m = {names, 1, NULL};
	struct prep_case want = {text, text,
		"<p>ask <a href=\"https://matrix.to/#/@sam:x\">*Sam* [CEO]</a> &amp; &lt;co&gt; now</p>",
		"@sam:x"};

	(void)state;
	check_prep(text, &m, &want);
}

static void
test_full_user_ids_are_mentions(void **state)
{
	static const struct prep_case cases[] = {
		{"@bob:example.org can you check?", "@bob:example.org can you check?",
		    "<p><a href=\"https://matrix.to/#/@bob:example.org\">@bob:example.org</a> can "
		    "you check?</p>", "@bob:example.org"},
		/* The sentence's full stop is not the host's; a port is. */
		{"ask @bob:example.org.", "ask @bob:example.org.",
		    "<p>ask <a href=\"https://matrix.to/#/@bob:example.org\">@bob:example.org</a>.</p>",
		    "@bob:example.org"},
		{"(@a_b.c=d/e+f-g:localhost:8448)", "(@a_b.c=d/e+f-g:localhost:8448)",
		    "<p>(<a href=\"https://matrix.to/#/@a_b.c=d/e+f-g:localhost:8448\">@a_b.c=d/e+f-g:"
		    "localhost:8448</a>)</p>", "@a_b.c=d/e+f-g:localhost:8448"},
		/* Twice is one mention. */
		{"@b:x and @b:x", "@b:x and @b:x",
		    "<p><a href=\"https://matrix.to/#/@b:x\">@b:x</a> and <a href=\"https://matrix.to/"
		    "#/@b:x\">@b:x</a></p>", "@b:x"},
		/* Not ids: an e-mail address, a path, a handle without a server, code. */
		{"mail sam@example.org:", "mail sam@example.org:", NULL, ""},
		{"see https://matrix.to/#/@bob:x", "see https://matrix.to/#/@bob:x",
		    NULL, ""},
		{"thanks @bob", "thanks @bob", NULL, ""},
		{"`@bob:x` is the bot", "`@bob:x` is the bot",
		    "<p><code>@bob:x</code> is the bot</p>", ""},
	};

	(void)state;
	for (size_t i = 0; i < NT_NELEMS(cases); i++)
		check_prep(cases[i].text, NULL, &cases[i]);
}

static void
test_shortcodes_become_emoji(void **state)
{
	static const struct prep_case cases[] = {
		{"great work :+1:", "great work 👍", NULL, ""},
		{":thumbsup: :smile::tada:", "👍 😄🎉", NULL, ""},
		{":thumbs_up: and :-1:", "👍 and 👎", NULL, ""},
		{"**done** :white_check_mark:", "**done** ✅",
		    "<p><strong>done</strong> ✅</p>", ""},
		/* Unknown, glued to a word, or in a URL or a time: as typed. */
		{":nosuchemoji: a:smile: :smile:s", ":nosuchemoji: a:smile: :smile:s", NULL, ""},
		{"https://example.org/:smile: at 10:30:00", "https://example.org/:smile: at 10:30:00",
		    NULL, ""},
		/* Code is sent as typed. */
		{"type `:x:` for ❌ :x:", "type `:x:` for ❌ ❌",
		    "<p>type <code>:x:</code> for ❌ ❌</p>", ""},
		{"``a `:x:` b`` :x:", "``a `:x:` b`` ❌", "<p><code>a `:x:` b</code> ❌</p>", ""},
		{"```\n:x:\n```\n:x:", "```\n:x:\n```\n❌",
		    "<pre><code>:x:\n</code></pre>\n<p>❌</p>", ""},
		{"    :x: indented\n\n:x:", "    :x: indented\n\n❌",
		    "<pre><code>:x: indented\n</code></pre>\n<p>❌</p>", ""},
		/* An unclosed backtick is no code. */
		{"a ` :x:", "a ` ❌", NULL, ""},
	};

	(void)state;
	for (size_t i = 0; i < NT_NELEMS(cases); i++)
		check_prep(cases[i].text, NULL, &cases[i]);
}

/* Every message says whom it mentions, nobody included, so that other
 * clients do not search its body for names. */
static void
test_m_mentions_always_sent(void **state)
{
	char *json = msg_content_text("hello all", "m.text", NULL, NULL);
	cJSON *c = cJSON_Parse(json);
	const cJSON *m = item(c, "m.mentions");

	(void)state;
	assert_true(cJSON_IsObject(m));
	assert_null(cJSON_GetObjectItemCaseSensitive(m, "user_ids"));
	assert_null(field(c, "formatted_body"));
	cJSON_Delete(c);
	free(json);
}

/* A reply mentions whom it answers. */
static void
test_reply_mentions_its_sender(void **state)
{
	struct msg_mentions m = {NULL, 0, "@dana:x"};
	char *json = msg_content_text("yes, with @marcus:x", "m.text", "$q", &m);
	cJSON *c = cJSON_Parse(json);
	char *u = mentions_of(c, "m.mentions");

	(void)state;
	assert_string_equal(u, "@marcus:x @dana:x");
	assert_string_equal(field(c, "m.relates_to/m.in_reply_to/event_id"), "$q");
	free(u);
	cJSON_Delete(c);
	free(json);
}

/* An edit: the new content says everyone it mentions; the edit itself only
 * those the edited message did not, so nobody is notified twice. */
static void
test_edit_mentions_only_the_new(void **state)
{
	const char *old = "{\"msgtype\":\"m.text\",\"body\":\"@a:x hi\","
	    "\"m.mentions\":{\"user_ids\":[\"@a:x\"]}}";
	char *json = msg_content_edit("@a:x and @b:x hi :wave:", "m.text", "$e", NULL, old);
	cJSON *c = cJSON_Parse(json);
	char *top = mentions_of(c, "m.mentions"), *inner = mentions_of(c, "m.new_content/m.mentions");

	(void)state;
	assert_string_equal(top, "@b:x");
	assert_string_equal(inner, "@a:x @b:x");
	assert_string_equal(field(c, "m.new_content/body"), "@a:x and @b:x hi 👋");
	assert_string_equal(field(c, "body"), "* @a:x and @b:x hi 👋");
	free(top);
	free(inner);
	cJSON_Delete(c);
	free(json);
}

static void
test_reaction_shortcode(void **state)
{
	static const char *keys[][2] = {
		{":+1:", "👍"}, {" :thumbsup: ", "👍"}, {":heart:", "❤️"}, {"👍", "👍"},
		{":nosuch:", ":nosuch:"}, {":+1: :+1:", ":+1: :+1:"}, {"ok", "ok"},
	};

	(void)state;
	for (size_t i = 0; i < NT_NELEMS(keys); i++) {
		char *json = msg_content_reaction("$t", keys[i][0]);
		cJSON *c = cJSON_Parse(json);

		assert_string_equal(field(c, "m.relates_to/key"), keys[i][1]);
		cJSON_Delete(c);
		free(json);
	}
}

static void
test_emoji_table(void **state)
{
	const char *names[8], *emoji[8];
	size_t n;

	(void)state;
	assert_string_equal(emoji_find("+1", 2), "👍");
	assert_string_equal(emoji_find("thumbsup", 8), "👍");
	assert_string_equal(emoji_find("smile", 5), "😄");
	assert_string_equal(emoji_find("tada", 4), "🎉");
	assert_string_equal(emoji_find("hash", 4), "#️⃣");
	assert_null(emoji_find("thumbsu", 7));
	assert_null(emoji_find("", 0));
	assert_null(emoji_find("Smile", 5));
	/* Completion: the most used first, whatever the alphabet says. */
	n = emoji_complete("thu", names, emoji, NT_NELEMS(names));
	assert_true(n >= 2);
	assert_string_equal(names[0], "thumbsup");
	assert_string_equal(emoji[0], "👍");
	assert_string_equal(names[1], "thumbsdown");
	n = emoji_complete("THUMBSU", names, NULL, NT_NELEMS(names));
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "thumbsup");
	assert_int_equal(emoji_complete("zzzz", names, emoji, 8), 0);
	/* Some hundreds of emoji. */
	n = emoji_complete("", NULL, NULL, 0);
	assert_true(n > 300);
}

/* Whom an incoming message mentions: m.mentions when it has one, the old
 * rules (our name or id in the body) only when it has none. */
static void
test_intentional_mentions_decide(void **state)
{
	struct notify_ctx ctx = {.my_id = "@alice:x", .my_name = "Alice Archer"};
	struct notify_msg msg = {.sender_id = "@bob:x", .body = "Alice Archer, the deck?"};
	struct notify_rules rules;

	(void)state;
	notify_rules_default(&rules);
	/* Legacy: no m.mentions. */
	msg.mentions = NOTIFY_MENTIONS_NONE;
	assert_true(notify_mentions_us(&msg, &ctx));
	assert_int_equal(notify_decide(&msg, &rules, &ctx), NOTIFY_MENTION);
	/* m.mentions naming someone else: the name in the body is no mention. */
	msg.mentions = NOTIFY_MENTIONS_OTHERS;
	assert_false(notify_mentions_us(&msg, &ctx));
	assert_int_equal(notify_decide(&msg, &rules, &ctx), NOTIFY_NO_MATCH);
	/* m.mentions naming us: a mention whatever the body says. */
	msg.body = "see above";
	msg.mentions = NOTIFY_MENTIONS_US;
	assert_true(notify_mentions_us(&msg, &ctx));
	assert_int_equal(notify_decide(&msg, &rules, &ctx), NOTIFY_MENTION);
	msg.mentions = NOTIFY_MENTIONS_NONE;
	assert_false(notify_mentions_us(&msg, &ctx));
}

/* The content of an event as the core reads it for mentions. */
static void
test_mentions_of_content(void **state)
{
	static const struct {
		const char *content;
		enum notify_mentions want;
	} cases[] = {
		{"{\"body\":\"hi\"}", NOTIFY_MENTIONS_NONE},
		{"{\"body\":\"hi\",\"m.mentions\":{}}", NOTIFY_MENTIONS_OTHERS},
		{"{\"m.mentions\":{\"user_ids\":[\"@bob:x\"]}}", NOTIFY_MENTIONS_OTHERS},
		{"{\"m.mentions\":{\"user_ids\":[\"@bob:x\",\"@alice:x\"]}}", NOTIFY_MENTIONS_US},
		{"{\"m.mentions\":{\"room\":true}}", NOTIFY_MENTIONS_ROOM},
		{"{\"m.mentions\":\"broken\"}", NOTIFY_MENTIONS_NONE},
		{"{\"m.mentions\":{\"user_ids\":[7,null,\"@alice:x\"]}}", NOTIFY_MENTIONS_US},
		{"not json", NOTIFY_MENTIONS_NONE},
		{NULL, NOTIFY_MENTIONS_NONE},
		/* An edit: what the new content says. */
		{"{\"m.mentions\":{},\"m.new_content\":{\"m.mentions\":{\"user_ids\":[\"@alice:x\"]}}}",
		    NOTIFY_MENTIONS_US},
	};

	(void)state;
	for (size_t i = 0; i < NT_NELEMS(cases); i++)
		if (notify_mentions_of(cases[i].content, "@alice:x") != cases[i].want)
			fail_msg("[%s]: got %d, want %d", cases[i].content ? cases[i].content : "NULL",
			    notify_mentions_of(cases[i].content, "@alice:x"), cases[i].want);
}

static void
complete_cb(void *arg, enum editor_complete_kind kind, const char *prefix,
    struct editor_candidates *out)
{
	const char *names[16];
	size_t n;

	(void)arg;
	if (kind == EDITOR_COMPLETE_EMOJI) {
		n = emoji_complete(prefix, names, NULL, NT_NELEMS(names));
		for (size_t i = 0; i < n && i < NT_NELEMS(names); i++)
			editor_candidates_add(out, names[i], NULL);
	} else if (kind == EDITOR_COMPLETE_MEMBER) {
		editor_candidates_add(out, "Dana Whitfield", "@dana:x");
		editor_candidates_add(out, "Søren Madsen", "@soren:x");
	}
}

/* Tab in the compose box: ":thu" offers :thumbsup: first; "sor" completes
 * Søren as a mention, as any accent-folded prefix does. */
static void
test_compose_completion(void **state)
{
	struct editor *ed = editor_new(NULL);
	const struct editor_mention *m;

	(void)state;
	assert_int_equal(editor_insert(ed, "great :thu", 10, NULL), EDITOR_CHANGED);
	assert_int_equal(editor_complete(ed, 1, complete_cb, NULL, NULL), EDITOR_CHANGED);
	assert_string_equal(editor_text(ed), "great :thumbsup: ");
	assert_int_equal(editor_complete(ed, 1, complete_cb, NULL, NULL), EDITOR_CHANGED);
	assert_string_equal(editor_text(ed), "great :thumbsdown: ");
	assert_int_equal(editor_mention_count(ed), 0);
	editor_clear(ed);
	assert_int_equal(editor_insert(ed, "sor", 3, NULL), EDITOR_CHANGED);
	assert_int_equal(editor_complete(ed, 1, complete_cb, NULL, NULL), EDITOR_CHANGED);
	assert_string_equal(editor_text(ed), "Søren Madsen: ");
	assert_int_equal(editor_mention_count(ed), 1);
	m = editor_mention(ed, 0);
	assert_int_equal(m->start, 0);
	assert_int_equal(m->len, strlen("Søren Madsen"));
	assert_string_equal(m->user_id, "@soren:x");
	editor_free(&ed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completed_name_is_a_mention),
		cmocka_unit_test(test_names_are_escaped),
		cmocka_unit_test(test_full_user_ids_are_mentions),
		cmocka_unit_test(test_shortcodes_become_emoji),
		cmocka_unit_test(test_m_mentions_always_sent),
		cmocka_unit_test(test_reply_mentions_its_sender),
		cmocka_unit_test(test_edit_mentions_only_the_new),
		cmocka_unit_test(test_reaction_shortcode),
		cmocka_unit_test(test_emoji_table),
		cmocka_unit_test(test_intentional_mentions_decide),
		cmocka_unit_test(test_mentions_of_content),
		cmocka_unit_test(test_compose_completion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
