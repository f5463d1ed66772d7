/* libFuzzer target: what a notification says and whether it is shown.
 * The body for a server that reads markup is well-formed markup (GLib's
 * parser, the one under Pango, reads it) holding only the five entities
 * natter writes, and it reads back as the plain body; both are inert,
 * valid UTF-8 and capped; the summary is one inert line. Own messages,
 * muted rooms, quiet hours and a room in view never notify, and a
 * keyword reason names a keyword that is in the body.
 *
 * The input is fields split by NUL: settings bytes, body, sender name,
 * sender id, room name, room id, our display name, then keywords. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "natter/notify.h"
#include "natter/sanitize.h"
#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS_MAX 16
#define MY_ID "@me:example.org"

/* A broken promise aborts, naming itself, so the fuzzer reports it. */
#define check(ok) ((ok) ? (void)0 : fail(__LINE__, #ok))

static void
fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_notify.c:%d: check failed: %s\n", line, what);
	abort();
}

enum { F_SETTINGS, F_BODY, F_SENDER_NAME, F_SENDER_ID, F_ROOM_NAME, F_ROOM_ID, F_MY_NAME,
	F_KEYWORDS };

struct input {
	const char *f[FIELDS_MAX];
	size_t n;
};

static const char *
field(const struct input *in, size_t i)
{
	return i < in->n ? in->f[i] : NULL;
}

/* Byte i of the settings field, or 0. */
static unsigned
setting(const struct input *in, size_t i)
{
	const char *s = field(in, F_SETTINGS);

	return s != NULL && i < strlen(s) ? (unsigned char)s[i] : 0;
}

static void
input_split(const char *data, size_t size, struct input *in)
{
	const char *p = data, *end = data + size;

	in->n = 0;
	while (in->n < FIELDS_MAX) {
		in->f[in->n++] = p;
		p += strlen(p) + 1;
		if (p > end)
			break;
	}
}

/* Valid UTF-8, no control character but a newline where allowed. */
static void
check_inert(const char *s, int newlines)
{
	check(san_utf8_valid(s, strlen(s)));
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		check(*p >= 0x20 || (newlines && *p == '\n'));
		check(*p != 0x7f && !(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f));
	}
}

/* Only &amp; &lt; &gt; &quot; &#39; and no bare < or >. */
static void
check_entities(const char *s)
{
	static const char *const allowed[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};

	for (const char *p = s; *p != '\0'; p++) {
		size_t i;

		check(*p != '<' && *p != '>');
		if (*p != '&')
			continue;
		for (i = 0; i < NT_NELEMS(allowed); i++) {
			if (strncmp(p, allowed[i], strlen(allowed[i])) == 0)
				break;
		}
		check(i < NT_NELEMS(allowed));
	}
}

static void
on_text(GMarkupParseContext *ctx, const gchar *text, gsize len, gpointer arg, GError **err)
{
	buf_add(arg, text, len);
}

/* Parsed as markup the way a notification server would, s reads back as
 * plain. */
static void
check_markup(const char *s, const char *plain)
{
	GMarkupParser parser = {.text = on_text};
	struct buf text = {0};
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &text, NULL);
	char *doc = xasprintf("<markup>%s</markup>", s);

	check(g_markup_parse_context_parse(ctx, doc, -1, NULL));
	check(g_markup_parse_context_end_parse(ctx, NULL));
	buf_add(&text, "", 0);
	check(strcmp(text.data, plain) == 0);
	g_markup_parse_context_free(ctx);
	buf_free(&text);
	free(doc);
}

/* A copy of at most max bytes, a prefix of s, "…" at its end when cut. */
static void
check_cap(const char *s, size_t max)
{
	char *out = notify_cap(s, max);
	size_t len = strlen(out), dots = strlen("\u2026");

	check(len <= max);
	if (strcmp(out, s) != 0 && len >= dots && strcmp(out + len - dots, "\u2026") == 0)
		len -= dots;
	check(strncmp(out, s, len) == 0);
	if (san_utf8_valid(s, strlen(s)))
		check(san_utf8_valid(out, strlen(out)));
	free(out);
}

static void
check_body(const char *body)
{
	char *plain = notify_body(body, 0), *markup = notify_body(body, 1);
	char *escaped = notify_escape_markup(body), *safe = san_text(body, SAN_MULTILINE);
	char *safe_escaped = notify_escape_markup(safe);

	check_inert(plain, 1);
	check(strlen(plain) <= NOTIFY_BODY_MAX);
	check_inert(markup, 1);
	check_entities(markup);
	check_markup(markup, plain);
	check_entities(escaped);
	check_markup(safe_escaped, safe);
	for (size_t max = 0; max <= 8; max++)
		check_cap(body, max);
	check_cap(body, NOTIFY_BODY_MAX);
	free(plain);
	free(markup);
	free(escaped);
	free(safe);
	free(safe_escaped);
}

static void
check_summary(const struct notify_msg *msg)
{
	char *s = notify_summary(msg);

	check(s[0] != '\0' && strlen(s) <= NOTIFY_SUMMARY_MAX);
	check_inert(s, 0);
	free(s);
}

/* A word is in itself, and ASCII case does not matter. */
static void
check_word(const char *text, const char *word)
{
	char *upper = xstrdup(text);

	if (word[0] == '\0')
		check(!notify_has_word(text, word));
	else if (strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
	    strlen(word))
		check(notify_has_word(word, word));
	for (char *p = upper; *p != '\0'; p++)
		*p = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
	check(notify_has_word(upper, word) == notify_has_word(text, word));
	free(upper);
}

static void
rules_from(const struct input *in, struct notify_rules *r, const char **muted)
{
	notify_rules_default(r);
	r->enabled = !(setting(in, 0) & 1);
	r->mentions = !(setting(in, 0) & 2);
	r->direct = !(setting(in, 0) & 4);
	if (setting(in, 1) & 1) {
		r->quiet_start = (int)(setting(in, 2) * 6) % 1440;
		r->quiet_end = (int)(setting(in, 3) * 6) % 1440;
	}
	if (setting(in, 0) & 8) {
		*muted = field(in, F_ROOM_ID);
		r->muted = muted;
		r->nmuted = *muted != NULL;
	}
	r->keywords = in->n > F_KEYWORDS ? &in->f[F_KEYWORDS] : NULL;
	r->nkeywords = in->n > F_KEYWORDS ? in->n - F_KEYWORDS : 0;
}

static int
quiet(const struct notify_rules *r, int minute)
{
	if (r->quiet_start < 0 || r->quiet_start == r->quiet_end)
		return 0;
	if (r->quiet_start < r->quiet_end)
		return minute >= r->quiet_start && minute < r->quiet_end;
	return minute >= r->quiet_start || minute < r->quiet_end;
}

static void
check_decide(const struct input *in, const struct notify_msg *msg)
{
	struct notify_rules r;
	struct notify_ctx ctx = {MY_ID, field(in, F_MY_NAME), 0, 0, NOTIFY_FOCUS_UNKNOWN};
	const char *muted = NULL;
	enum notify_reason why;
	int keyword = 0;

	rules_from(in, &r, &muted);
	ctx.minute = (int)(setting(in, 4) * 6) % 1440;
	ctx.in_view = setting(in, 5) & 1;
	ctx.focus = (enum notify_focus)((int)(setting(in, 5) >> 1) % 3 - 1);
	why = notify_decide(msg, &r, &ctx);
	check(notify_reason_name(why) != NULL && notify_reason_name(why)[0] != '\0');
	if (!r.enabled)
		check(why == NOTIFY_NO_DISABLED);
	if (why <= 0)
		return;
	check(msg->sender_id == NULL || strcmp(msg->sender_id, MY_ID) != 0);
	check(muted == NULL || msg->room_id == NULL || strcmp(muted, msg->room_id) != 0);
	check(!quiet(&r, ctx.minute));
	check(!ctx.in_view || ctx.focus == NOTIFY_FOCUS_OUT);
	for (size_t i = 0; i < r.nkeywords; i++)
		keyword |= notify_has_word(msg->body, r.keywords[i]);
	check(why != NOTIFY_KEYWORD || keyword);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1);
	struct input in;
	struct notify_msg msg;

	memcpy(copy, data, size);
	copy[size] = '\0';
	input_split(copy, size, &in);
	msg = (struct notify_msg){
		.room_id = field(&in, F_ROOM_ID), .room_name = field(&in, F_ROOM_NAME),
		.is_direct = setting(&in, 6) & 1, .sender_id = field(&in, F_SENDER_ID),
		.sender_name = field(&in, F_SENDER_NAME), .body = field(&in, F_BODY),
		.is_notice = setting(&in, 6) & 2,
		.mentions = (enum notify_mentions)((setting(&in, 6) >> 2) & 3),
	};
	check_body(msg.body != NULL ? msg.body : "");
	check_summary(&msg);
	for (size_t i = F_KEYWORDS; i < in.n; i++)
		check_word(msg.body != NULL ? msg.body : "", in.f[i]);
	check_decide(&in, &msg);
	free(copy);
	return 0;
}
