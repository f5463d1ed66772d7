#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache-builder.h"
#include "natter/export.h"
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/util.h"

/* 2024-05-13 14:03:00 UTC; tests run with TZ=UTC. */
#define T0 1715608980000LL
#define MINUTE 60000LL
#define DAY (24 * 60 * MINUTE)

static void
add_msg(struct export_thread *t, const char *id, const char *sender_name, int64_t ts,
    const char *msgtype, const char *body)
{
	struct store_msg *m;

	t->msgs = xreallocarray(t->msgs, t->n + 1, sizeof *t->msgs);
	m = &t->msgs[t->n];
	memset(m, 0, sizeof *m);
	m->seq = (int64_t)t->n + 1;
	if (t->n_rooms > 0) {
		m->room_id = xstrdup(t->rooms[t->n_rooms - 1].room_id);
		t->rooms[t->n_rooms - 1].n++;
	} else
		m->room_id = xstrdup(t->room_id);
	m->event_id = xstrdup(id);
	m->type = xstrdup("m.room.message");
	m->sender = xstrdup("@someone:hs");
	m->sender_name = xstrdup(sender_name);
	m->ts = ts;
	m->msgtype = msgtype != NULL ? xstrdup(msgtype) : NULL;
	m->body = body != NULL ? xstrdup(body) : NULL;
	m->size = -1;
	t->n++;
}

static void
thread_init(struct export_thread *t, const char *room_name)
{
	memset(t, 0, sizeof *t);
	t->room_id = xstrdup("!room:hs");
	t->room_name = xstrdup(room_name);
}

/* Starts a room's section of a thread that spans several. */
static void
add_room(struct export_thread *t, const char *room_id, const char *room_name)
{
	t->rooms = xreallocarray(t->rooms, t->n_rooms + 1, sizeof *t->rooms);
	t->rooms[t->n_rooms++] = (struct export_room){xstrdup(room_id), xstrdup(room_name),
	    t->n, 0};
}

/* Search results in two rooms, as export_load_events lays them out: the
 * room with the older first hit first. The newest is in the first room;
 * a reply in the second names a message of the first. */
static void
thread_two_rooms(struct export_thread *t, const char *travel_name)
{
	memset(t, 0, sizeof *t);
	t->query = xstrdup("budget");
	add_room(t, "!board:hs", "Board Room");
	add_msg(t, "$b1", "Dana", T0, "m.text", "budget draft one");
	add_msg(t, "$b2", "Sam", T0 + 2 * DAY, "m.text", "budget final");
	t->msgs[1].reply_to = xstrdup("$b1");
	add_room(t, "!travel:hs", travel_name);
	add_msg(t, "$t1", "Sam", T0 + 60 * MINUTE, "m.text", "travel budget approved");
	t->msgs[2].reply_to = xstrdup("$b1");
	add_msg(t, "$t2", "Dana", T0 + DAY, "m.text", "budget for the offsite");
}

/* A thread with one of each kind of entry, over two days. */
static void
thread_sample(struct export_thread *t)
{
	thread_init(t, "Planning");
	add_msg(t, "$1", "Dana", T0, "m.text", "The car is booked for 8:30.");
	t->msgs[0].edited = 1;
	add_msg(t, "$2", "Sam", T0 + 2 * MINUTE, "m.text", "and the driver\nhas your number");
	t->msgs[1].reply_to = xstrdup("$1");
	add_msg(t, "$3", "Dana", T0 + 3 * MINUTE, "m.emote", "is on the way");
	add_msg(t, "$4", "Sam", T0 + DAY, "m.text", NULL);
	t->msgs[3].redacted = 1;
	add_msg(t, "$5", "Sam", T0 + DAY + MINUTE, "m.file", "Q3 board pack.pdf");
	t->msgs[4].url = xstrdup("mxc://hs/abc");
	t->msgs[4].filename = xstrdup("Q3 board pack.pdf");
	t->msgs[4].size = 300 * 1024;
	t->files = xcalloc(1, sizeof *t->files);
	t->files[0] = (struct export_file){.msg = 4, .state = EXPORT_FILE_OVER_CAP, .fd = -1,
	    .size = 300 * 1024};
	t->n_files = 1;
}

static int
setup_tz(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void
test_header_text_cannot_add_a_header(void **state)
{
	char *s = mail_header_text("  Planning\r\nBcc: evil@x\n\tTo: a@b\x1b[2J ");
	char *long_name = xcalloc(1, 401), *cut;

	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\n'));
	assert_null(strchr(s, '\x1b'));
	assert_non_null(strstr(s, "Planning"));
	assert_true(s[0] == 'P');
	assert_true(s[strlen(s) - 1] != ' ');
	free(s);

	for (int i = 0; i < 200; i++)
		memcpy(long_name + 2 * i, "\xc3\xa9", 2);
	cut = mail_header_text(long_name);
	assert_true(strlen(cut) <= MAIL_HEADER_MAX);
	assert_true(san_utf8_valid(cut, strlen(cut)));
	free(cut);
	/* Cut just after a blank: none is left at the end, where readers drop it. */
	memset(long_name, 'x', 400);
	long_name[MAIL_HEADER_MAX - 1] = ' ';
	cut = mail_header_text(long_name);
	assert_int_equal(strlen(cut), MAIL_HEADER_MAX - 1);
	free(cut);
	free(long_name);
}

static void
test_addresses_validated(void **state)
{
	static const char *good[] = {
		"dana@example.com", "d.whitfield+board@mail.example.co.uk", "x@localhost",
		"o'brien@example.ie",
	};
	static const char *bad[] = {
		"", "dana", "@example.com", "dana@", "dana@@example.com", "da na@example.com",
		"dana@example.com\r\nRCPT TO:<evil@x>", "dana@example.com>", "<dana@example.com",
		"dana.@example.com", ".dana@example.com", "da..na@example.com", "dana@-ex.com",
		"dana@ex_ample.com", "dana@example..com", "d\xc3\xa4na@example.com",
		"dana@example.com,evil@x", "\"dana\"@example.com",
	};
	struct mail_addr a;
	char *cause = NULL;

	for (size_t i = 0; i < NT_NELEMS(good); i++)
		assert_true(mail_addr_valid(good[i]));
	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		assert_false(mail_addr_valid(bad[i]));
		assert_int_equal(mail_addr_parse(bad[i], &a, &cause), -1);
		assert_non_null(strstr(cause, "not a mail address"));
		assert_null(strchr(cause, '\n'));
		xfree(&cause);
	}
	assert_int_equal(mail_addr_parse("Dana Whitfield <dana@example.com>", &a, NULL), 0);
	assert_string_equal(a.name, "Dana Whitfield");
	assert_string_equal(a.addr, "dana@example.com");
	mail_addr_clear(&a);
	assert_int_equal(mail_addr_parse("Evil\r\nBcc: x@y <dana@example.com>", &a, &cause),
	    -1);
	xfree(&cause);
	assert_int_equal(mail_addr_parse("Dana <dana@example.com\r\n>", &a, &cause), -1);
	xfree(&cause);
	/* C1 and bidi controls would reach the header as "<U+0085>". */
	assert_int_equal(mail_addr_parse("Zo\xc2\x85\xc3\xab <z@example.org>", &a, &cause), -1);
	xfree(&cause);
	assert_int_equal(mail_addr_parse("\xe2\x80\xae" "Dana <d@example.org>", &a, &cause), -1);
	xfree(&cause);
	assert_int_equal(mail_addr_parse("Zo\xc3\xab \xc3\x86r\xc3\xb8 <z@example.org>", &a,
	    NULL), 0);
	mail_addr_clear(&a);
}

static void
test_address_lists(void **state)
{
	struct mail_addr *v = NULL;
	size_t n = 0;
	char *cause = NULL;

	assert_int_equal(mail_addrs_parse(" a@example.com, Zoë <z@example.org>,,", &v, &n,
	    NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].addr, "a@example.com");
	assert_string_equal(v[1].name, "Zoë");
	assert_string_equal(v[1].addr, "z@example.org");
	mail_addrs_free(&v, n);
	n = 0;
	assert_int_equal(mail_addrs_parse("a@example.com, not-an-address", &v, &n, &cause), -1);
	assert_string_equal(cause, "not a mail address: \" not-an-address\"");
	mail_addrs_free(&v, n);
	free(cause);
}

static void
test_default_subject(void **state)
{
	struct export_thread t;
	char *s;

	thread_sample(&t);
	s = export_default_subject(&t);
	assert_string_equal(s, "Conversation: Planning, 2024-05-13\u20132024-05-14");
	free(s);
	t.n = 3;	/* one day */
	s = export_default_subject(&t);
	assert_string_equal(s, "Conversation: Planning, 2024-05-13");
	free(s);
	t.n = 5;
	free(t.room_name);
	t.room_name = xstrdup("Board\r\nBcc: evil@x");
	s = export_default_subject(&t);
	assert_null(strpbrk(s, "\r\n"));
	free(s);
	/* A blank name: the id, not "Conversation: , 2024-05-13". */
	free(t.room_name);
	t.room_name = xstrdup(" \t ");
	s = export_default_subject(&t);
	assert_string_equal(s, "Conversation: !room:hs, 2024-05-13\u20132024-05-14");
	free(s);
	t.n = 0;
	s = export_default_subject(&t);
	assert_string_equal(s, "Conversation: !room:hs");
	free(s);
	t.n = 5;
	export_thread_clear(&t);
}

static void assert_in_order(const char *s, const char *const *needles);

/* A direct chat is a conversation with its other person, by name, made
 * inert for the header; the transcripts say so, and what the export
 * covers when the caller says. */
static void
test_direct_chat_and_coverage(void **state)
{
	struct export_render r = {NULL, NULL, EXPORT_CAP_DEFAULT};
	struct export_thread t;
	char *s, *text, *html;

	thread_sample(&t);
	t.peer_name = xstrdup("Dana Whitfield");
	s = export_default_subject(&t);
	assert_string_equal(s, "Conversation with Dana Whitfield, 2024-05-13\u20132024-05-14");
	free(s);
	t.coverage = xstrdup("this export covers 13 May 09:14 \u2013 14 May 15:00; earlier "
	    "messages were not available");
	text = export_render_text(&t, &r);
	assert_in_order(text, (const char *const[]){"Conversation with Dana Whitfield (!room:hs)",
	    "\nNote: this export covers 13 May 09:14 \u2013 14 May 15:00; earlier messages were "
	    "not available\n", NULL});
	html = export_render_html(&t, &r);
	assert_in_order(html, (const char *const[]){">Conversation with Dana Whitfield</h1>",
	    ">Note: this export covers", "not available</p>", NULL});
	free(text);
	free(html);
	free(t.peer_name);
	t.peer_name = xstrdup("Dana\r\nBcc: evil@x");
	s = export_default_subject(&t);
	assert_null(strpbrk(s, "\r\n"));
	assert_non_null(strstr(s, "Conversation with Dana"));
	free(s);
	export_thread_clear(&t);
}

static void
test_plain_transcript(void **state)
{
	struct export_thread t;
	struct export_render r = {.cap = EXPORT_CAP_DEFAULT};
	char *text;

	thread_sample(&t);
	text = export_render_text(&t, &r);
	assert_string_equal(text,
	    "Conversation in Planning (!room:hs), 5 messages.\n"
	    "\n"
	    "Monday 13 May 2024\n"
	    "\n"
	    "14:03 Dana: The car is booked for 8:30. (edited)\n"
	    "14:05 Sam: and the driver\n"
	    "      has your number\n"
	    "      (in reply to Dana: \"The car is booked for 8:30.\")\n"
	    "14:06 * Dana is on the way\n"
	    "\n"
	    "Tuesday 14 May 2024\n"
	    "\n"
	    "14:03 Sam: (deleted)\n"
	    "14:04 Sam: [file] Q3 board pack.pdf (300.0 KB, not attached: over the 25.0 MB "
	    "limit for attachments)\n");
	free(text);
	export_thread_clear(&t);
}

/* A format may make SETTINGS_FORMAT_MAX bytes: all of them are shown. */
static void
test_longest_time_format_shown(void **state)
{
	char fmt[SETTINGS_FORMAT_MAX + 1], *text;
	struct export_render r = {.time_format = fmt, .date_format = fmt};
	struct export_thread t;

	memset(fmt, 'x', sizeof fmt - 1);
	memcpy(fmt, "%H", 2);
	fmt[sizeof fmt - 1] = '\0';
	thread_init(&t, "Planning");
	add_msg(&t, "$1", "Dana", T0, "m.text", "hello");
	text = export_render_text(&t, &r);
	assert_non_null(strstr(text, "\n14xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    " Dana: hello\n"));
	assert_null(strstr(text, "?"));
	free(text);
	export_thread_clear(&t);
}

/* A reply is followed by a line of what it answers (the cache keeps
 * replies without the fallback older clients quote: see test_store). */
static void
test_reply_quotes_what_it_answers(void **state)
{
	struct export_thread t;
	struct export_render r = {0};
	char *text;

	thread_init(&t, "Planning");
	add_msg(&t, "$1", "Dana", T0, "m.text", "Lunch at 1?");
	add_msg(&t, "$2", "Sam", T0, "m.text", "Yes, at the usual place");
	t.msgs[1].reply_to = xstrdup("$1");
	add_msg(&t, "$3", "Sam", T0, "m.text", "about this");
	t.msgs[2].reply_to = xstrdup("$gone");
	text = export_render_text(&t, &r);
	assert_non_null(strstr(text, "14:03 Sam: Yes, at the usual place\n"
	    "      (in reply to Dana: \"Lunch at 1?\")\n"));
	assert_non_null(strstr(text, "14:03 Sam: about this\n"
	    "      (in reply to a message not in the cache)\n"));
	free(text);
	export_thread_clear(&t);
}

/* A thread's replies (put after their root by export_load_room) show
 * under it, dated when their day is not the root's; a reply whose root
 * is not in the mail says whose thread it is in. */
static void
test_thread_under_its_root(void **state)
{
	struct export_thread t;
	struct export_render r = {0};
	char *text, *html;

	thread_init(&t, "Planning");
	add_msg(&t, "$r", "Dana", T0, "m.text", "Who takes the minutes?");
	add_msg(&t, "$a", "Sam", T0 + MINUTE, "m.text", "I can do it");
	t.msgs[1].thread_root = xstrdup("$r");
	add_msg(&t, "$b", "Dana", T0 + DAY, "m.text", "Then Priya does the slides");
	t.msgs[2].thread_root = xstrdup("$r");
	add_msg(&t, "$m", "Sam", T0 + 7 * MINUTE, "m.text", "Lunch at one");
	add_msg(&t, "$x", "Sam", T0 + 8 * MINUTE, "m.text", "Signed off");
	t.msgs[4].thread_root = xstrdup("$gone");
	text = export_render_text(&t, &r);
	assert_non_null(strstr(text, "\n\n14:03 Dana: Who takes the minutes?\n"
	    "      thread, 2 replies:\n"
	    "      14:04 Sam: I can do it\n"
	    "      2024-05-14 14:03 Dana: Then Priya does the slides\n"
	    "14:10 Sam: Lunch at one\n"
	    "14:11 Sam: Signed off\n"
	    "      (in a thread of: a message not in the cache)\n"));
	assert_null(strstr(text, "Tuesday"));
	html = export_render_html(&t, &r);
	assert_non_null(strstr(html, "thread, 2 replies:</div>"));
	assert_non_null(strstr(html, "in a thread of: a message not in the cache"));
	free(html);
	free(text);
	export_thread_clear(&t);
}

static void
test_html_escapes_server_strings(void **state)
{
	struct export_thread t;
	struct export_render r = {0};
	char *html;

	thread_init(&t, "<img src=x onerror=alert(1)>");
	add_msg(&t, "$1", "<b>Eve</b>", T0, "m.text",
	    "<script>alert('x')</script> & \"quoted\"\n\x1b[2J");
	html = export_render_html(&t, &r);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>Eve"));
	assert_null(strchr(html, '\x1b'));
	assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	    "&quot;quoted&quot;<br>\n"));
	assert_non_null(strstr(html, "<b>&lt;b&gt;Eve&lt;/b&gt;</b>:"));
	assert_non_null(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
	free(html);
	export_thread_clear(&t);
}

/* A formatted message's HTML reaches the mail's HTML, cut down to the
 * safe tags; the plain transcript keeps the body. */
static void
test_html_shows_formatting(void **state)
{
	struct export_thread t;
	struct export_render r = {0};
	char *html, *text;

	thread_init(&t, "Planning");
	add_msg(&t, "$1", "Dana", T0, "m.text", "The car is **booked**, run `make`");
	t.msgs[0].formatted = xstrdup("<p>The car is <strong>booked</strong>, run <code>make"
	    "</code> <a href=\"https://example.org/car\" onclick=\"x()\">details</a>"
	    "<a href=\"javascript:alert(1)\">js</a><script>alert(1)</script>"
	    "<img src=\"https://tracker.example/p.gif\"></p>");
	html = export_render_html(&t, &r);
	assert_non_null(strstr(html, "<b>Dana</b>:\nThe car is <strong>booked</strong>, run "
	    "<code>make</code> <a href=\"https://example.org/car\">details</a>js[image]\n"));
	assert_null(strstr(html, "javascript"));
	assert_null(strstr(html, "onclick"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "tracker"));
	text = export_render_text(&t, &r);
	assert_non_null(strstr(text, "Dana: The car is **booked**, run `make`\n"));
	free(text);
	free(html);
	export_thread_clear(&t);
}

/* The header block of a mail: up to the first empty line. */
static char *
mail_headers(const struct export_mail *m)
{
	const char *end = strstr(m->data, "\r\n\r\n");

	assert_non_null(end);
	return xstrndup(m->data, (size_t)(end - m->data) + 2);
}

static void
build(const struct export_thread *t, const char *subject, struct export_mail *m)
{
	struct mail_addr to = {NULL, "boss@example.com"};
	struct export_opts o = {
		.from = {"Sam Lee", "sam@example.org"}, .to = &to, .n_to = 1,
		.subject = subject, .date_ms = T0,
	};

	assert_int_equal(export_mail_build(t, &o, m, NULL), 0);
}

static void
test_mail_is_crlf_with_short_lines(void **state)
{
	struct export_thread t;
	struct export_mail m;
	char *long_line = xcalloc(1, 3001), *headers;
	size_t line = 0;

	thread_init(&t, "Équipe de direction");
	memset(long_line, 'x', 3000);
	add_msg(&t, "$1", "Zoë", T0, "m.text", long_line);
	add_msg(&t, "$2", "Søren", T0 + MINUTE, "m.text", "lone dot next\n.\n.hidden\nFrom me");
	add_msg(&t, "$3", "Søren", T0 + MINUTE, "m.text", ".");
	build(&t, NULL, &m);
	for (size_t i = 0; i < m.len; i++) {
		if (m.data[i] == '\n') {
			assert_true(i > 0 && m.data[i - 1] == '\r');
			line = 0;
		} else
			assert_true(++line <= 998);
		assert_true(m.data[i] != '\r' || m.data[i + 1] == '\n');
	}
	headers = mail_headers(&m);
	assert_non_null(strstr(headers, "\r\nMessage-Id: <"));
	assert_non_null(strstr(headers, ".natter@example.org>\r\n"));
	assert_non_null(strstr(headers, "X-Natter-First-Event: $1\r\n"));
	assert_non_null(strstr(headers, "X-Natter-Last-Event: $3\r\n"));
	assert_non_null(strstr(headers, "Content-Type: multipart/alternative"));
	/* Non-ASCII only as encoded-words. */
	for (const char *p = headers; *p != '\0'; p++)
		assert_true((unsigned char)*p < 0x80);
	assert_non_null(strstr(m.data, "Content-Type: text/plain; charset=utf-8"));
	assert_non_null(strstr(m.data, "Content-Type: text/html; charset=utf-8"));
	assert_int_equal(m.n_rcpts, 1);
	assert_string_equal(m.rcpts[0], "boss@example.com");
	assert_string_equal(m.envelope_from, "sam@example.org");
	free(headers);
	free(long_line);
	export_mail_clear(&m);
	export_thread_clear(&t);
}

static void
test_mail_lone_dot_line_is_kept(void **state)
{
	struct export_thread t;
	struct export_mail m;

	thread_init(&t, "Dots");
	add_msg(&t, "$1", "Dana", T0, "m.text", ".");
	add_msg(&t, "$2", "Dana", T0, "m.text", "first\n.\nlast");
	build(&t, NULL, &m);
	/* A line of just "." in the body: libcurl must dot-stuff it on the wire. */
	assert_non_null(strstr(m.data, "\r\n.\r\n"));
	assert_non_null(strstr(m.data, "14:03 Dana: .\r\n"));
	export_mail_clear(&m);
	export_thread_clear(&t);
}

static void
test_mail_hostile_names_add_no_header(void **state)
{
	struct export_thread t;
	struct export_mail m;
	struct mail_addr to = {"Boss\r\nBcc: evil@x", "boss@example.com"};
	struct export_opts o = {
		.from = {"Sam\r\nBcc: evil@x", "sam@example.org"}, .to = &to, .n_to = 1,
		.subject = "Hi\r\nBcc: evil@x\r\n\r\nbody", .date_ms = T0,
	};
	char *headers;

	thread_init(&t, "Room\r\nBcc: evil@x");
	add_msg(&t, "$1\r\nBcc: evil@x", "Eve\r\nBcc: evil@x", T0, "m.text", "hello");
	assert_int_equal(export_mail_build(&t, &o, &m, NULL), 0);
	headers = mail_headers(&m);
	assert_null(strstr(headers, "\nBcc:"));
	assert_null(strstr(headers, "\nbody"));
	assert_int_equal(m.n_rcpts, 1);
	free(headers);
	export_mail_clear(&m);

	to.addr = "boss@example.com\r\nRCPT TO:<evil@x>";
	assert_int_equal(export_mail_build(&t, &o, &m, NULL), -1);
	export_thread_clear(&t);
}

/* The longest encoded-word in the header block; fails on one not closed. */
static size_t
longest_encoded_word(const char *headers)
{
	const char *p = headers, *end;
	size_t longest = 0;

	while ((p = strstr(p, "=?")) != NULL) {
		end = strstr(strchr(strchr(p + 2, '?') + 1, '?') + 1, "?=");
		assert_non_null(end);
		if ((size_t)(end + 2 - p) > longest)
			longest = (size_t)(end + 2 - p);
		p = end + 2;
	}
	return longest;
}

static void
test_mail_encoded_words_short_and_not_forged(void **state)
{
	struct export_thread t;
	struct export_mail m;
	char *headers, subject[401] = "";
	struct mail_addr to = {"Søren Ünal Ærøskøbing Ångström Kierkegaard Ørsted Ærø Bjørnsøn",
		"boss@example.com"};
	struct export_opts o = {
		.from = {"=?utf-8?q?Your_Bank?=", "sam@example.org"}, .to = &to, .n_to = 1,
		.subject = subject, .date_ms = T0,
	};

	for (int i = 0; i < 100; i++)
		strcat(subject, "\xc3\xa9");
	/* A room name from the server that a reader would decode to ESC[2J. */
	thread_init(&t, "=?utf-8?q?=1B[2J?=");
	add_msg(&t, "$1", "Dana", T0, "m.text", "hello");
	assert_int_equal(export_mail_build(&t, &o, &m, NULL), 0);
	headers = mail_headers(&m);
	assert_true(longest_encoded_word(headers) <= 75);
	assert_null(strstr(headers, "=?utf-8?q?=1B[2J?="));
	assert_null(strstr(headers, "=?utf-8?q?Your_Bank?="));
	free(headers);
	export_mail_clear(&m);
	export_thread_clear(&t);
}

/* Readers decode encoded-words in a quoted file name too: one from the
 * server must reach them as the text it is. */
static void
test_attachment_name_not_forged(void **state)
{
	static const char evil[] = "=?utf-8?b?aW52b2ljZS5wZGbigK5leGUuYmF0?=";
	struct export_thread t;
	struct export_mail m;
	FILE *f = tmpfile();

	assert_non_null(f);
	fputs("%PDF-1.4\n", f);
	fflush(f);
	rewind(f);
	thread_init(&t, "Files");
	add_msg(&t, "$1", "Eve", T0, "m.file", evil);
	t.msgs[0].url = xstrdup("mxc://hs/abc");
	t.files = xcalloc(1, sizeof *t.files);
	t.files[0] = (struct export_file){.msg = 0, .state = EXPORT_FILE_ATTACHED,
	    .fd = dup(fileno(f)), .size = 9};
	t.n_files = 1;
	build(&t, NULL, &m);
	assert_null(strstr(m.data, "filename=\"=?"));
	assert_null(strstr(m.data, "name=\"=?"));
	assert_non_null(strstr(m.data, "filename*=UTF-8''%3D%E2%81%A0%3Futf-8"));
	export_mail_clear(&m);
	export_thread_clear(&t);
	fclose(f);
}

static void
test_rooms_transcript(void **state)
{
	struct export_thread t;
	struct export_render r = {0};
	char *text;

	thread_two_rooms(&t, "Travel");
	text = export_render_text(&t, &r);
	assert_string_equal(text,
	    "Search results for \u201cbudget\u201d in 2 rooms, 4 messages.\n"
	    "\n"
	    "Board Room (!board:hs)\n"
	    "======================\n"
	    "\n"
	    "Monday 13 May 2024\n"
	    "\n"
	    "14:03 Dana: budget draft one\n"
	    "\n"
	    "Wednesday 15 May 2024\n"
	    "\n"
	    "14:03 Sam: budget final\n"
	    "      (in reply to Dana: \"budget draft one\")\n"
	    "\n"
	    "Travel (!travel:hs)\n"
	    "===================\n"
	    "\n"
	    "Monday 13 May 2024\n"
	    "\n"
	    "15:03 Sam: travel budget approved\n"
	    "      (in reply to a message not in the cache)\n"
	    "\n"
	    "Tuesday 14 May 2024\n"
	    "\n"
	    "14:03 Dana: budget for the offsite\n");
	free(text);
	export_thread_clear(&t);
}

/* Each needle found after the one before. */
static void
assert_in_order(const char *s, const char *const *needles)
{
	const char *at = s;

	for (; *needles != NULL; needles++) {
		const char *found = strstr(at, *needles);

		if (found == NULL)
			fail_msg("\"%s\" missing or out of order", *needles);
		at = found + strlen(*needles);
	}
}

static void
test_rooms_html_and_headers(void **state)
{
	struct export_thread t;
	struct export_render r = {0};
	struct export_mail m;
	char *html, *headers, *subject;

	thread_two_rooms(&t, "Travel");
	html = export_render_html(&t, &r);
	assert_in_order(html, (const char *const[]){
	    "<title>Search results for \u201cbudget\u201d in 2 rooms</title>",
	    ">Search results for \u201cbudget\u201d in 2 rooms</h1>", "4 messages",
	    ">Board Room <span", "!board:hs</span></h2>", "Monday 13 May 2024",
	    "budget draft one", "Wednesday 15 May 2024", "budget final",
	    "in reply to <b>Dana</b>: budget draft one",
	    ">Travel <span", "!travel:hs</span></h2>", "Monday 13 May 2024",
	    "travel budget approved", "in reply to a message not in the cache",
	    "Tuesday 14 May 2024", "budget for the offsite", "</body></html>", NULL});
	free(html);

	subject = export_default_subject(&t);
	assert_string_equal(subject,
	    "Search results for \u201cbudget\u201d in 2 rooms, 2024-05-13\u20132024-05-15");
	free(subject);
	build(&t, NULL, &m);
	headers = mail_headers(&m);
	assert_in_order(headers, (const char *const[]){
	    "\r\nX-Natter-Room: Board Room\r\n", "X-Natter-Room-Id: !board:hs\r\n",
	    "X-Natter-Room: Travel\r\n", "X-Natter-Room-Id: !travel:hs\r\n",
	    /* The oldest and the newest, though the newest is not the last shown. */
	    "X-Natter-First-Event: $b1\r\n", "X-Natter-Last-Event: $b2\r\n", NULL});
	free(headers);
	export_mail_clear(&m);
	xfree(&t.query);
	subject = export_default_subject(&t);
	assert_string_equal(subject, "Conversation in 2 rooms, 2024-05-13\u20132024-05-15");
	free(subject);
	export_thread_clear(&t);
}

static void
test_rooms_hostile_names_stay_inert(void **state)
{
	static const char evil[] = "Travel\r\nBcc: evil@x\x1b[2J\x1b]0;pwned\x07"
	    "<script>alert(1)</script>";
	struct export_thread t;
	struct export_render r = {0};
	struct export_mail m;
	char *text, *html, *headers;

	thread_two_rooms(&t, evil);
	free(t.rooms[1].room_id);
	t.rooms[1].room_id = xstrdup("!t\r\nBcc: evil2@x:hs");
	free(t.query);
	t.query = xstrdup("x\r\nBcc: evil3@x\x1b[2J<img src=x>");
	text = export_render_text(&t, &r);
	html = export_render_html(&t, &r);
	assert_null(strpbrk(text, "\r\x1b\x07"));
	assert_null(strstr(text, "\nBcc:"));
	assert_non_null(strstr(text, "<script>alert(1)</script> ("));
	assert_null(strpbrk(html, "\r\x1b\x07"));
	assert_null(strstr(html, "\nBcc:"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; <span"));
	build(&t, NULL, &m);
	headers = mail_headers(&m);
	assert_null(strstr(headers, "\nBcc:"));
	assert_null(strchr(headers, '\x1b'));
	assert_int_equal(m.n_rcpts, 1);
	/* Both rooms are still named, on one line each. */
	assert_non_null(strstr(headers, "\r\nX-Natter-Room: Board Room\r\n"));
	assert_non_null(strstr(strstr(headers, "X-Natter-Room: Board Room"),
	    "\r\nX-Natter-Room: "));
	free(headers);
	export_mail_clear(&m);
	free(text);
	free(html);
	export_thread_clear(&t);
}

/* Search results in a cache: a room of the office and a travel room,
 * the hits of each interleaved in time. */
static void
fill_two_rooms(struct store *st)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *board, *travel;

	sync_room(s, "!board:x", MX_MEMBERSHIP_JOIN);
	sync_room(s, "!travel:x", MX_MEMBERSHIP_JOIN);
	board = &s->rooms[0];
	travel = &s->rooms[1];
	ev_name(ST(board), "$n1", "Board Room");
	ev_name(ST(travel), "$n2", "Travel");
	ev_member(ST(board), "@dana:x", "Dana", MX_MEMBERSHIP_JOIN);
	ev_member(ST(travel), "@dana:x", "Dana", MX_MEMBERSHIP_JOIN);
	ev_text(TL(travel), "$t1", "@dana:x", "flight budget");
	ev_text(TL(board), "$b1", "@dana:x", "budget draft one");
	ev_text(TL(board), "$b2", "@dana:x", "budget final")->reply_to = xstrdup("$b1");
	ev_text(TL(board), "$b3", "@dana:x", "secret board budget");
	/* A reply that claims to answer a message of another room. */
	ev_text(TL(travel), "$t2", "@dana:x", "hotel budget")->reply_to = xstrdup("$b3");
	apply_ok(st, &s);
}

static void
test_load_results_of_several_rooms(void **state)
{
	struct fixture *f = *state;
	char *ids[] = {"$b2", "$t2", "$b1", "$gone", "$t1", "$b2"};
	struct export_thread t;
	struct export_render r = {0};
	char *text;

	fill_two_rooms(f->st);
	assert_int_equal(export_load_events(f->st, NULL, ids, NT_NELEMS(ids), 0, &t, NULL), 0);
	assert_null(t.room_id);
	assert_int_equal(t.n_rooms, 2);
	assert_string_equal(t.rooms[0].room_name, "Travel");
	assert_string_equal(t.rooms[1].room_name, "Board Room");
	assert_int_equal(t.n, 4);
	assert_int_equal(t.rooms[1].first, 2);
	assert_string_equal(t.msgs[0].event_id, "$t1");
	assert_string_equal(t.msgs[1].event_id, "$t2");
	assert_string_equal(t.msgs[2].event_id, "$b1");
	assert_string_equal(t.msgs[3].event_id, "$b2");
	text = export_render_text(&t, &r);
	assert_null(strstr(text, "secret"));
	assert_non_null(strstr(text, "hotel budget\n"
	    "      (in reply to a message not in the cache)"));
	assert_non_null(strstr(text, "budget final\n"
	    "      (in reply to Dana: \"budget draft one\")"));
	free(text);
	export_thread_clear(&t);

	/* Results in one room make the thread of that room, as with ROOM given. */
	assert_int_equal(export_load_events(f->st, NULL, (char *[]){"$b2", "$b1"}, 2, 0, &t, NULL), 0);
	assert_int_equal(t.n_rooms, 0);
	assert_string_equal(t.room_id, "!board:x");
	assert_string_equal(t.room_name, "Board Room");
	assert_int_equal(t.n, 2);
	export_thread_clear(&t);
	assert_int_equal(export_load_events(f->st, "!board:x", ids, NT_NELEMS(ids), 0, &t, NULL), 0);
	assert_int_equal(t.n_rooms, 0);
	assert_int_equal(t.n, 2);
	export_thread_clear(&t);
	assert_int_equal(export_load_events(f->st, NULL, (char *[]){"$gone"}, 1, 0, &t, NULL), -1);
}

static void
test_smtp_policy(void **state)
{
	static const struct {
		const char *url;
		int rc, tls;
	} cases[] = {
		{"smtps://mail.example.com", 0, 1},
		{"smtps://127.0.0.1:465", 0, 1},
		{"smtp://mail.example.com:587", 0, 1},
		{"smtp://127.0.0.1:2525", 0, 0},
		{"smtp://127.8.9.10", 0, 0},
		{"smtp://localhost:25", 0, 0},
		{"smtp://[::1]:25", 0, 0},
		{"smtp://127.example.com", 0, 1},
		{"smtp://10.0.0.1", 0, 1},
		{"smtp://[::2]", 0, 1},
		{"http://mail.example.com", -1, 0},
		{"mail.example.com", -1, 0},
		{"smtp://", -1, 0},
	};
	char *cause = NULL;

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		int tls = -1;

		assert_int_equal(mail_smtp_policy(cases[i].url, &tls, &cause), cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(tls, cases[i].tls);
		xfree(&cause);
	}
}

static void
test_dates(void **state)
{
	int64_t ms;
	char *cause = NULL;

	assert_int_equal(export_parse_date("2024-05-13", 0, &ms, NULL), 0);
	assert_int_equal(ms, 1715558400000LL);
	assert_int_equal(export_parse_date("2024-05-13", 1, &ms, NULL), 0);
	assert_int_equal(ms, 1715558400000LL + DAY);
	assert_int_equal(export_parse_date("2024-05-13 14:03", 0, &ms, NULL), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(export_parse_date("2024-05-13 14:03", 1, &ms, NULL), 0);
	assert_int_equal(ms, T0 + MINUTE);
	assert_int_equal(export_parse_date("2024-12-31", 1, &ms, NULL), 0);
	for (const char *const *bad = (const char *const[]){"2024-02-30", "2024-13-01",
	    "2024-5-1", "yesterday", "2024-05-13 24:00", "2024-05-13 14:3", "2024-05-13x",
	    "2024- 5- 1", "2024-05-13  4:03", "", NULL}; *bad != NULL; bad++) {
		assert_int_equal(export_parse_date(*bad, 0, &ms, &cause), -1);
		assert_non_null(cause);
		xfree(&cause);
	}
}

static void
test_eml_never_overwrites_without_force(void **state)
{
	char dir[] = "/tmp/natter-test-export-XXXXXX", *path;
	struct export_mail m = {.data = "Subject: x\r\n\r\nhi\r\n", .len = 18};
	char *cause = NULL, *text;
	struct stat sb;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/out.eml", dir);
	assert_int_equal(export_write_eml(&m, path, 0, NULL), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	m.data = "Subject: y\r\n\r\nhi\r\n";
	assert_int_equal(export_write_eml(&m, path, 0, &cause), -1);
	assert_non_null(strstr(cause, "--force"));
	free(cause);
	text = nt_read_file(path, NULL, NULL);
	assert_string_equal(text, "Subject: x\r\n\r\nhi\r\n");
	free(text);
	assert_int_equal(export_write_eml(&m, path, 1, NULL), 0);
	text = nt_read_file(path, NULL, NULL);
	assert_string_equal(text, "Subject: y\r\n\r\nhi\r\n");
	free(text);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);	/* no temporary file left */
	free(path);
}

static void
test_mbox_quotes_from_lines(void **state)
{
	char path[] = "/tmp/natter-test-mbox-XXXXXX", *text;
	char data[] = "Subject: x\r\n\r\nFrom here\r\n>From there\r\nnot From\r\n";
	struct export_mail m = {.data = data, .len = sizeof data - 1,
	    .envelope_from = "sam@example.org"};
	int fd = mkstemp(path);

	assert_true(fd != -1);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	assert_int_equal(export_append_mbox(&m, path, NULL), 0);
	assert_int_equal(export_append_mbox(&m, path, NULL), 0);
	text = nt_read_file(path, NULL, NULL);
	assert_true(strncmp(text, "junk\n\nFrom sam@example.org ", 27) == 0);
	assert_non_null(strstr(text, "\nSubject: x\n\n>From here\n>>From there\nnot From\n\n"
	    "From sam@example.org "));
	assert_null(strchr(text, '\r'));
	free(text);
	unlink(path);
}

static void
test_password_command_without_shell(void **state)
{
	char *cause = NULL, *pw;

	pw = export_password_command("echo hunter2 ;rm -rf /", NULL);
	assert_string_equal(pw, "hunter2 ;rm -rf /");
	free(pw);
	assert_null(export_password_command("false", &cause));
	assert_non_null(strstr(cause, "status 1"));
	xfree(&cause);
	assert_null(export_password_command("/nonexistent/pass show mail", &cause));
	assert_non_null(strstr(cause, "cannot run"));
	xfree(&cause);
	assert_null(export_password_command("  ", &cause));
	xfree(&cause);
}

static void
test_sendmail_failure_reported(void **state)
{
	struct export_mail m = {.data = "Subject: x\r\n\r\nhi\r\n", .len = 18};
	char *cause = NULL;

	assert_int_equal(export_send_sendmail(&m, "/bin/false", &cause), -1);
	assert_non_null(strstr(cause, "exited with status 1"));
	free(cause);
}

static void
collect(const char *msg, void *arg)
{
	buf_printf(arg, "%s\n", msg);
}

static void
test_mail_settings(void **state)
{
	char path[] = "/tmp/natter-test-mail-XXXXXX";
	struct buf warnings = {0};
	struct settings s;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("[mail]\n"
	    "from = Sam Lee <sam@example.org>\n"
	    "smtp_url = smtps://mail.example.org\n"
	    "smtp_user = sam\n"
	    "password_command = pass show mail\n"
	    "attachment_cap = 10M\n"
	    "method = sendmail\n"
	    "sendmail = /usr/lib/sendmail\n"
	    "ca_file = /etc/natter/corp-ca.pem\n"
	    "from = sam@example.org Bcc: evil@x\n"
	    "smtp_url = http://mail.example.org\n"
	    "attachment_cap = lots\n"
	    "method = pigeon\n"
	    "sendmail = sendmail\n"
	    "ca_file = corp-ca.pem\n", f);
	fclose(f);
	assert_int_equal(settings_load(path, &s, collect, &warnings), 0);
	assert_string_equal(s.mail.from, "Sam Lee <sam@example.org>");
	assert_string_equal(s.mail.smtp_url, "smtps://mail.example.org");
	assert_string_equal(s.mail.smtp_user, "sam");
	assert_string_equal(s.mail.password_command, "pass show mail");
	assert_int_equal(s.mail.attachment_cap, 10 * 1024 * 1024);
	assert_int_equal(s.mail.method, SETTINGS_MAIL_SENDMAIL);
	assert_string_equal(s.mail.sendmail, "/usr/lib/sendmail");
	assert_string_equal(s.mail.ca_file, "/etc/natter/corp-ca.pem");
	assert_non_null(strstr(warnings.data, "ca_file must be an absolute path"));
	for (int line = 10; line <= 15; line++) {
		char *where = xasprintf("%s:%d: ", path, line);

		assert_non_null(strstr(warnings.data, where));
		free(where);
	}
	settings_free(&s);
	settings_init(&s);
	assert_int_equal(s.mail.attachment_cap, EXPORT_CAP_DEFAULT);
	assert_null(s.mail.from);
	settings_free(&s);
	buf_free(&warnings);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_text_cannot_add_a_header),
		cmocka_unit_test(test_addresses_validated),
		cmocka_unit_test(test_address_lists),
		cmocka_unit_test(test_default_subject),
		cmocka_unit_test(test_direct_chat_and_coverage),
		cmocka_unit_test(test_plain_transcript),
		cmocka_unit_test(test_reply_quotes_what_it_answers),
		cmocka_unit_test(test_thread_under_its_root),
		cmocka_unit_test(test_html_shows_formatting),
		cmocka_unit_test(test_longest_time_format_shown),
		cmocka_unit_test(test_html_escapes_server_strings),
		cmocka_unit_test(test_mail_is_crlf_with_short_lines),
		cmocka_unit_test(test_mail_lone_dot_line_is_kept),
		cmocka_unit_test(test_mail_hostile_names_add_no_header),
		cmocka_unit_test(test_mail_encoded_words_short_and_not_forged),
		cmocka_unit_test(test_attachment_name_not_forged),
		cmocka_unit_test(test_rooms_transcript),
		cmocka_unit_test(test_rooms_html_and_headers),
		cmocka_unit_test(test_rooms_hostile_names_stay_inert),
		cmocka_unit_test_setup_teardown(test_load_results_of_several_rooms, setup,
		    teardown),
		cmocka_unit_test(test_smtp_policy),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_eml_never_overwrites_without_force),
		cmocka_unit_test(test_mbox_quotes_from_lines),
		cmocka_unit_test(test_password_command_without_shell),
		cmocka_unit_test(test_sendmail_failure_reported),
		cmocka_unit_test(test_mail_settings),
	};

	return cmocka_run_group_tests(tests, setup_tz, NULL);
}
