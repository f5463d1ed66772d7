/* Event content for what the user sends. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <cmark.h>

#include "natter/emoji.h"
#include "natter/msg.h"
#include "natter/text.h"
#include "natter/util.h"

/* cmark output for plain text is "<p>TEXT</p>\n" with TEXT escaped
 * (and line breaks as <br />);
 * anything else means the Markdown did something. */
static int
html_is_plain(const char *text, const char *html)
{
	struct buf want = {0};
	int plain;

	buf_puts(&want, "<p>");
	for (const char *p = text; *p != '\0'; p++) {
		switch (*p) {
		case '&': buf_puts(&want, "&amp;"); break;
		case '<': buf_puts(&want, "&lt;"); break;
		case '>': buf_puts(&want, "&gt;"); break;
		case '"': buf_puts(&want, "&quot;"); break;
		case '\n': buf_puts(&want, "<br />\n"); break;
		default: buf_putc(&want, *p); break;
		}
	}
	buf_puts(&want, "</p>\n");
	plain = strcmp(want.data, html) == 0;
	buf_free(&want);
	return plain;
}

/* Raw HTML typed by the user is shown as the text it is, not omitted. */
static void
html_nodes_to_text(cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it), *text;
		cmark_node_type type = cmark_node_get_type(node);

		if (ev != CMARK_EVENT_ENTER ||
		    (type != CMARK_NODE_HTML_INLINE && type != CMARK_NODE_HTML_BLOCK))
			continue;
		text = cmark_node_new(CMARK_NODE_TEXT);
		cmark_node_set_literal(text, cmark_node_get_literal(node));
		if (type == CMARK_NODE_HTML_BLOCK) {
			cmark_node *para = cmark_node_new(CMARK_NODE_PARAGRAPH);

			cmark_node_append_child(para, text);
			text = para;
		}
		cmark_node_replace(node, text);
		cmark_node_free(node);
		cmark_iter_reset(it, text, CMARK_EVENT_EXIT);
	}
	cmark_iter_free(it);
}

char *
msg_markdown_html(const char *text)
{
	int multiline = strchr(text, '\n') != NULL;
	cmark_node *doc;
	char *html, *out;
	size_t len;

	/* A multi-line message keeps its line breaks. */
	doc = cmark_parse_document(text, strlen(text),
	    multiline ? CMARK_OPT_HARDBREAKS : CMARK_OPT_DEFAULT);
	html_nodes_to_text(doc);
	html = cmark_render_html(doc, multiline ? CMARK_OPT_HARDBREAKS : CMARK_OPT_DEFAULT);
	cmark_node_free(doc);
	if (html_is_plain(text, html)) {
		free(html);
		return NULL;
	}
	len = strlen(html);
	while (len > 0 && html[len - 1] == '\n')
		len--;
	out = xstrndup(html, len);
	free(html);
	return out;
}

static char *
print_free(cJSON *root)
{
	char *json = cJSON_PrintUnformatted(root), *out;

	cJSON_Delete(root);
	out = xstrdup(json);
	cJSON_free(json);
	return out;
}

/* msgtype, body and, when there is any, its HTML (taken over). */
static void
add_body_html(cJSON *obj, const char *text, char *html, const char *msgtype)
{
	cJSON_AddStringToObject(obj, "msgtype", msgtype);
	cJSON_AddStringToObject(obj, "body", text);
	if (html != NULL) {
		cJSON_AddStringToObject(obj, "format", "org.matrix.custom.html");
		cJSON_AddStringToObject(obj, "formatted_body", html);
		free(html);
	}
}

static void
add_mentions(cJSON *obj, char *const *user_ids, size_t n)
{
	cJSON *m = cJSON_AddObjectToObject(obj, "m.mentions"), *ids;

	if (n == 0)
		return;
	ids = cJSON_AddArrayToObject(m, "user_ids");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateString(user_ids[i]));
}

static void
add_text(cJSON *obj, const struct msg_text *t, const char *msgtype)
{
	cJSON_AddStringToObject(obj, "msgtype", msgtype);
	cJSON_AddStringToObject(obj, "body", t->body);
	if (t->html != NULL) {
		cJSON_AddStringToObject(obj, "format", "org.matrix.custom.html");
		cJSON_AddStringToObject(obj, "formatted_body", t->html);
	}
	add_mentions(obj, t->user_ids, t->n_user_ids);
}

char *
msg_content_text(const char *text, const char *msgtype, const char *reply_to,
    const struct msg_mentions *m)
{
	return msg_content_thread(text, msgtype, NULL, reply_to, NULL, m);
}

char *
msg_content_thread(const char *text, const char *msgtype, const char *thread_root,
    const char *reply_to, const char *latest, const struct msg_mentions *m)
{
	cJSON *root = cJSON_CreateObject(), *rel = NULL;
	struct msg_text t;
	const char *answered = reply_to;

	msg_text_prepare(text, m, &t);
	add_text(root, &t, msgtype);
	msg_text_clear(&t);
	if (thread_root != NULL) {
		rel = cJSON_AddObjectToObject(root, "m.relates_to");
		cJSON_AddStringToObject(rel, "rel_type", "m.thread");
		cJSON_AddStringToObject(rel, "event_id", thread_root);
		cJSON_AddBoolToObject(rel, "is_falling_back", reply_to == NULL);
		if (answered == NULL)
			answered = latest != NULL ? latest : thread_root;
	}
	if (answered != NULL) {
		if (rel == NULL)
			rel = cJSON_AddObjectToObject(root, "m.relates_to");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(rel, "m.in_reply_to"), "event_id",
		    answered);
	}
	return print_free(root);
}

/* Whether the content (JSON text) names user_id in m.mentions. */
static int
mentioned_in(const cJSON *content, const char *user_id)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(content, "m.mentions"), "user_ids"), *id;

	cJSON_ArrayForEach(id, ids)
		if (cJSON_IsString(id) && strcmp(id->valuestring, user_id) == 0)
			return 1;
	return 0;
}

char *
msg_content_edit(const char *text, const char *msgtype, const char *target,
    const struct msg_mentions *m, const char *replaced)
{
	cJSON *root = cJSON_CreateObject(), *rel, *old = NULL;
	struct msg_text t;
	char **fresh, *star, *fallback = NULL;
	size_t n = 0;

	msg_text_prepare(text, m, &t);
	/* What clients that know no edits show: "* " and the new text, whose
	 * Markdown is read alone (the star would make a list of it). */
	star = xasprintf("* %s", t.body);
	if (t.html != NULL)
		fallback = strncmp(t.html, "<p>", 3) == 0 ? xasprintf("<p>* %s", t.html + 3) :
		    xasprintf("* %s", t.html);
	add_body_html(root, star, fallback, msgtype);
	free(star);
	if (replaced != NULL)
		old = cJSON_ParseWithLength(replaced, strlen(replaced));
	fresh = xcalloc(t.n_user_ids + 1, sizeof *fresh);
	for (size_t i = 0; i < t.n_user_ids; i++)
		if (!mentioned_in(old, t.user_ids[i]))
			fresh[n++] = t.user_ids[i];
	add_mentions(root, fresh, n);
	free(fresh);
	cJSON_Delete(old);
	add_text(cJSON_AddObjectToObject(root, "m.new_content"), &t, msgtype);
	msg_text_clear(&t);
	rel = cJSON_AddObjectToObject(root, "m.relates_to");
	cJSON_AddStringToObject(rel, "rel_type", "m.replace");
	cJSON_AddStringToObject(rel, "event_id", target);
	return print_free(root);
}

char *
msg_content_reaction(const char *target, const char *key)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *rel = cJSON_AddObjectToObject(root, "m.relates_to");
	const char *emoji = emoji_of_shortcode(key);

	cJSON_AddStringToObject(rel, "rel_type", "m.annotation");
	cJSON_AddStringToObject(rel, "event_id", target);
	cJSON_AddStringToObject(rel, "key", emoji != NULL ? emoji : key);
	return print_free(root);
}

char *
msg_content_file(const char *filename, const char *mxc, const char *mimetype, int64_t size,
    const struct msg_file_key *key)
{
	cJSON *root = cJSON_CreateObject(), *info, *file, *jwk, *ops;

	cJSON_AddStringToObject(root, "msgtype", msg_media_msgtype(mimetype));
	cJSON_AddStringToObject(root, "body", filename);
	cJSON_AddStringToObject(root, "filename", filename);
	if (key == NULL)
		cJSON_AddStringToObject(root, "url", mxc);
	else {
		file = cJSON_AddObjectToObject(root, "file");
		cJSON_AddStringToObject(file, "url", mxc);
		jwk = cJSON_AddObjectToObject(file, "key");
		cJSON_AddStringToObject(jwk, "kty", "oct");
		ops = cJSON_AddArrayToObject(jwk, "key_ops");
		cJSON_AddItemToArray(ops, cJSON_CreateString("encrypt"));
		cJSON_AddItemToArray(ops, cJSON_CreateString("decrypt"));
		cJSON_AddStringToObject(jwk, "alg", "A256CTR");
		cJSON_AddStringToObject(jwk, "k", key->key);
		cJSON_AddTrueToObject(jwk, "ext");
		cJSON_AddStringToObject(file, "iv", key->iv);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(file, "hashes"), "sha256",
		    key->sha256);
		cJSON_AddStringToObject(file, "v", "v2");
	}
	info = cJSON_AddObjectToObject(root, "info");
	cJSON_AddStringToObject(info, "mimetype", mimetype);
	cJSON_AddNumberToObject(info, "size", (double)size);
	return print_free(root);
}

const char *
msg_media_msgtype(const char *mimetype)
{
	if (strncmp(mimetype, "image/", 6) == 0)
		return "m.image";
	if (strncmp(mimetype, "video/", 6) == 0)
		return "m.video";
	if (strncmp(mimetype, "audio/", 6) == 0)
		return "m.audio";
	return "m.file";
}

const char *
msg_mimetype_guess(const char *filename)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{"csv", "text/csv"}, {"doc", "application/msword"},
		{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"gif", "image/gif"}, {"htm", "text/html"}, {"html", "text/html"},
		{"jpeg", "image/jpeg"}, {"jpg", "image/jpeg"}, {"json", "application/json"},
		{"m4a", "audio/mp4"}, {"md", "text/markdown"}, {"mov", "video/quicktime"},
		{"mp3", "audio/mpeg"}, {"mp4", "video/mp4"}, {"ogg", "audio/ogg"},
		{"pdf", "application/pdf"}, {"png", "image/png"},
		{"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		{"svg", "image/svg+xml"}, {"txt", "text/plain"}, {"wav", "audio/wav"},
		{"webm", "video/webm"}, {"webp", "image/webp"},
		{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"zip", "application/zip"},
	};
	const char *dot = strrchr(filename, '.');

	if (dot != NULL && strchr(dot, '/') == NULL) {
		for (size_t i = 0; i < NT_NELEMS(types); i++) {
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
		}
	}
	return "application/octet-stream";
}

/* Whether list (a JSON array) already holds room_id. */
static int
msg_direct_has(const cJSON *list, const char *room_id)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, list) {
		if (cJSON_IsString(item) && strcmp(item->valuestring, room_id) == 0)
			return 1;
	}
	return 0;
}

char *
msg_direct_add(cJSON *map, const char *const *users, const char *const *rooms, size_t n)
{
	cJSON *list;

	if (!cJSON_IsObject(map)) {
		cJSON_Delete(map);
		map = cJSON_CreateObject();
	}
	for (size_t i = 0; i < n; i++) {
		list = cJSON_GetObjectItemCaseSensitive(map, users[i]);
		if (!cJSON_IsArray(list)) {
			cJSON_DeleteItemFromObjectCaseSensitive(map, users[i]);
			list = cJSON_AddArrayToObject(map, users[i]);
		}
		if (!msg_direct_has(list, rooms[i]))
			cJSON_AddItemToArray(list, cJSON_CreateString(rooms[i]));
	}
	return print_free(map);
}

const char *
msg_state_verb(const char *type)
{
	static const struct {
		const char *type;
		const char *verb;
	} verbs[] = {
		{"m.room.avatar", "changed the room picture"},
		{"m.room.canonical_alias", "changed the room address"},
		{"m.room.create", "created the room"},
		{"m.room.encryption", "turned on end-to-end encryption"},
		{"m.room.name", "renamed the room"},
		{"m.room.pinned_events", "changed the pinned messages"},
		{"m.room.tombstone", "replaced this room"},
		{"m.room.topic", "changed the topic"},
	};

	for (size_t i = 0; i < NT_NELEMS(verbs); i++)
		if (strcmp(type, verbs[i].type) == 0)
			return verbs[i].verb;
	return NULL;
}

int
msg_state_hidden(const char *type)
{
	static const char *hidden[] = {
		"m.room.guest_access", "m.room.history_visibility", "m.room.join_rules",
		"m.room.power_levels", "m.room.server_acl", "m.room.third_party_invite",
	};

	for (size_t i = 0; i < NT_NELEMS(hidden); i++)
		if (strcmp(type, hidden[i]) == 0)
			return 1;
	return 0;
}

const char *
msg_member_verb(enum mx_membership m)
{
	static const char *verbs[] = {"changed their profile", "joined", "was invited", "left",
		"was banned", "knocked"};

	return verbs[m <= MX_MEMBERSHIP_KNOCK ? m : 0];
}

char *
msg_reactions_text(const struct msg_reaction *r, size_t n)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s %lld", i == 0 ? "" : ", ", r[i].key, (long long)r[i].count);
	return n > 0 ? buf_steal(&b) : NULL;
}

void
msg_reactions_free(struct msg_reaction **r, size_t n)
{
	if (*r == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((*r)[i].key);
	xfree(r);
}

char *
msg_thread_summary(int64_t replies, const char *name, const char *when, const char *body,
    int cells)
{
	char *line, *cut, *out;

	if (replies <= 0)
		return NULL;
	line = xstrdup(body != NULL ? body : "…");
	line[strcspn(line, "\r\n")] = '\0';
	cut = text_truncate(line, cells);
	out = xasprintf("%lld %s, last %s %s: %s", (long long)replies,
	    replies == 1 ? "reply" : "replies", name != NULL ? name : "?", when, cut);
	free(cut);
	free(line);
	return out;
}

const char *
msg_trust_note(const char *sender_trust)
{
	if (sender_trust == NULL || strcmp(sender_trust, "verified") == 0 ||
	    strcmp(sender_trust, "signed") == 0)
		return NULL;
	if (strcmp(sender_trust, "blocked") == 0)
		return "blocked device";
	if (strcmp(sender_trust, "unknown") == 0)
		return "unknown device";
	if (strcmp(sender_trust, "changed") == 0)
		return "identity changed";
	return "unverified device";
}

char *
msg_encrypted_note(const char *encryption)
{
	if (encryption == NULL || strcmp(encryption, "ok") == 0)
		return NULL;
	return xasprintf("[encrypted: %s]", encryption);
}
