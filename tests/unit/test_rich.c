/* Message text as people should read it: reply fallbacks stripped, web
 * links where a reader sees them end, formatted_body shown formatted and
 * made safe for mail. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/rich.h"
#include "natter/util.h"

/* The text with each span as {LETTERS:text}: B bold, I italic,
 * U underline, S strike, C code, Q quote, L link. */
static char *
markup(const struct rich *r)
{
	static const char letters[] = "BIUSCQL";
	struct buf b = {0};
	size_t at = 0;

	for (size_t i = 0; i < r->n_spans; i++) {
		const struct rich_span *s = &r->spans[i];

		assert_true(s->off >= at);
		assert_true(s->off + s->len <= strlen(r->text));
		buf_add(&b, r->text + at, s->off - at);
		buf_putc(&b, '{');
		for (int k = 0; letters[k] != '\0'; k++)
			if (s->attrs & (1u << k))
				buf_putc(&b, letters[k]);
		buf_putc(&b, ':');
		buf_add(&b, r->text + s->off, s->len);
		buf_putc(&b, '}');
		at = s->off + s->len;
	}
	buf_puts(&b, r->text + at);
	return buf_steal(&b);
}

static void
assert_rich(const char *html, const char *want)
{
	struct rich *r = rich_from_html(html);
	char *got;

	if (r == NULL)
		fail_msg("no text from %s", html);
	got = markup(r);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n  gives %s\n  wants %s", html, got, want);
	free(got);
	rich_free(&r);
}

/* libxml2 is loaded by the first formatted body, not before: a start
 * whose screen shows none does without it. First in main, before any
 * other test reads HTML. */
static void
test_the_html_parser_is_loaded_by_the_first_formatted_body(void **state)
{
	const char *reply = "> <@a:x> hi\n\nyes";
	struct rich *r;
	void *lib;

	(void)state;
	assert_null(dlopen("libxml2.so.2", RTLD_LAZY | RTLD_NOLOAD));
	/* Plain bodies and their reply fallbacks need no parser. */
	assert_string_equal(reply + rich_reply_body_skip(reply), "yes");
	assert_null(dlopen("libxml2.so.2", RTLD_LAZY | RTLD_NOLOAD));
	r = rich_from_html("<b>bold</b> and <i>not</i>");
	assert_non_null(r);
	assert_string_equal(r->text, "bold and not");
	rich_free(&r);
	lib = dlopen("libxml2.so.2", RTLD_LAZY | RTLD_NOLOAD);
	assert_non_null(lib);
	dlclose(lib);
	assert_int_equal(rich_html_ready(), 1);
}

static void
test_reply_body_fallback(void **state)
{
	const char *cases[][2] = {
		{"> <@dana:x> Do we have a headcount?\n\n214 in person.", "214 in person."},
		{"> <@dana:x> two\n> lines\n>\n> more\n\nmy answer\nsecond line",
		    "my answer\nsecond line"},
		{"> * <@dana:x> waves\n\nhello", "hello"},
		{"> <@dana:x> no blank line\nanswer", "answer"},
		/* Not a fallback: a quote the user typed, or nothing left. */
		{"> a quote I typed\n\nmy words", "> a quote I typed\n\nmy words"},
		{"> <@dana:x> only the quote", "> <@dana:x> only the quote"},
		{"> <@dana:x> quote\n> again\n", "> <@dana:x> quote\n> again\n"},
		{"plain reply", "plain reply"},
		{"", ""},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++)
		assert_string_equal(cases[i][0] + rich_reply_body_skip(cases[i][0]), cases[i][1]);
}

static void
test_reply_html_fallback(void **state)
{
	const char *html = "<mx-reply><blockquote><a href=\"https://matrix.to/#/!r:x/$e\">In "
	    "reply to</a> <a href=\"https://matrix.to/#/@dana:x\">@dana:x</a><br>Do we have a "
	    "final headcount?</blockquote></mx-reply>214 in <b>person</b>";

	assert_string_equal(html + rich_reply_html_skip(html), "214 in <b>person</b>");
	html = "<MX-REPLY>quoted</Mx-Reply>answer";
	assert_string_equal(html + rich_reply_html_skip(html), "answer");
	html = "<mx-reply>never closed";
	assert_string_equal(html + rich_reply_html_skip(html), "");
	html = "answer <mx-reply>not at the start</mx-reply>";
	assert_int_equal(rich_reply_html_skip(html), 0);
}

static void
test_url_rule(void **state)
{
	const char *cases[][2] = {
		{"https://example.org/q3", "https://example.org/q3"},
		{"https://example.org/report)", "https://example.org/report"},
		{"https://en.wikipedia.org/wiki/C_(language)", "https://en.wikipedia.org/wiki/C_(language)"},
		{"https://en.wikipedia.org/wiki/C_(language))", "https://en.wikipedia.org/wiki/C_(language)"},
		{"https://example.org/a.", "https://example.org/a"},
		{"https://example.org/a?x=1&y=2, then", "https://example.org/a?x=1&y=2"},
		{"https://example.org/a).", "https://example.org/a"},
		{"https://example.org/a]", "https://example.org/a"},
		{"https://example.org/a'", "https://example.org/a"},
		{"http://example.org/a<b>", "http://example.org/a"},
		{"https://example.org/a\"x", "https://example.org/a"},
		{"https://example.org/\x1b[2J", "https://example.org/"},
		{"https://example.org/tab\tx", "https://example.org/tab"},
		{"https://", ""},
		{"https://.)", ""},
		{"ftp://example.org", ""},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		size_t len = rich_url_len(cases[i][0]);

		if (strlen(cases[i][1]) != len || strncmp(cases[i][0], cases[i][1], len) != 0)
			fail_msg("%s: %.*s", cases[i][0], (int)len, cases[i][0]);
	}
}

static void
test_url_find(void **state)
{
	const char *text = "see [the report](https://example.org/r) and https://b.example.";
	size_t len;
	const char *p = rich_url_find(text, &len);

	assert_non_null(p);
	assert_int_equal(len, strlen("https://example.org/r"));
	assert_memory_equal(p, "https://example.org/r", len);
	assert_null(rich_url_find("nohttps://example.org here", &len));
	assert_null(rich_url_find("no link at all", &len));
	p = rich_url_find("xhttp://a.example (http://b.example)", &len);
	assert_non_null(p);
	assert_memory_equal(p, "http://b.example", len);
	assert_int_equal(len, strlen("http://b.example"));
}

/* What select mode's o opens: the first link as the message shows it. */
static void
test_link_first(void **state)
{
	const char *cases[][3] = {
		{"see [the report](https://example.org/report) today", NULL,
		    "https://example.org/report"},
		{"(https://example.org/a), then https://b.example", NULL, "https://example.org/a"},
		{"the report", "<a href=\"https://example.org/r?a=1&amp;b=(2)\">the report</a>",
		    "https://example.org/r?a=1&b=(2)"},
		{"Dana: see https://example.org/x", "<a href=\"https://matrix.to/#/@dana:x\">Dana</a>"
		    ": see https://example.org/x", "https://example.org/x"},
		{"https://matrix.to/#/!room:x", NULL, "https://matrix.to/#/!room:x"},
		{"mail cfo@example.org", "<a href=\"mailto:cfo@example.org\">cfo</a>", NULL},
		{"no link", NULL, NULL},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *got = rich_link_first(cases[i][0], cases[i][1]);

		if (cases[i][2] == NULL)
			assert_null(got);
		else if (got == NULL || strcmp(got, cases[i][2]) != 0)
			fail_msg("%s: %s", cases[i][0], got);
		free(got);
	}
}

static void
test_html_inline(void **state)
{
	assert_rich("The car is booked for <strong>8:15</strong>", "The car is booked for {B:8:15}");
	assert_rich("<em>soon</em> and <code>make check</code>",
	    "{I:soon} and {C:make check}");
	assert_rich("<b>bold <i>both</i></b> <u>under</u> <del>gone</del>",
	    "{B:bold }{BI:both} {U:under} {S:gone}");
	assert_rich("a   lot\n of\tspace", "a lot of space");
	assert_rich("<p>fish &amp; chips &lt;3 &#x263A; &nbsp;!</p>", "fish & chips <3 ☺ \u00a0!");
	assert_rich("<span data-mx-color=\"#f00\"><font color=red>red</font></span>", "red");
	assert_rich("<blink>unknown</blink> tags keep their text", "unknown tags keep their text");
}

static void
test_html_blocks(void **state)
{
	assert_rich("<p>one</p>\n<p>two</p>", "one\ntwo");
	assert_rich("<p>line<br />\nbreak</p>", "line\nbreak");
	assert_rich("<h1>Agenda</h1><ul>\n<li>budget</li>\n<li>hiring</li>\n</ul>",
	    "{B:Agenda}\n• budget\n• hiring");
	assert_rich("<ol start=\"3\"><li>c</li><li>d<ol><li>d1</li></ol></li></ol>",
	    "3. c\n4. d\n  1. d1");
	assert_rich("<blockquote>\n<p>to be</p>\n<p>or not</p>\n</blockquote>\n<p>that is it</p>",
	    "{Q:> to be}\n{Q:> or not}\nthat is it");
	assert_rich("<pre><code>int main(void)\n{\n\treturn 0;\n}\n</code></pre>",
	    "{C:int main(void)}\n{C:{}\n{C:    return 0;}\n{C:}}");
	assert_rich("before<hr>after", "before\n──────────\nafter");
	assert_rich("<table><tr><th>who</th><th>when</th></tr><tr><td>Dana</td><td>9:00</td>"
	    "</tr></table>", "{B:who}  {B:when}\nDana  9:00");
	assert_rich("<img src=\"mxc://x/y\" alt=\"chart\">", "[image: chart]");
}

static void
test_html_links(void **state)
{
	struct rich *r = rich_from_html("<a href=\"https://example.org/r\">the report</a>, "
	    "<a href=\"https://matrix.to/#/@dana:x\">Dana</a>, "
	    "<a href=\"https://example.org/b\">https://example.org/b</a>, "
	    "<a href=\"javascript:alert(1)\">click</a>, <a href=\"mailto:cfo@example.org\">"
	    "cfo@example.org</a>, <a href=\"https://example.org/r\">again</a>");
	char *got;

	assert_non_null(r);
	got = markup(r);
	assert_string_equal(got, "{L:the report} {L:<https://example.org/r>}, {L:Dana}, "
	    "{L:https://example.org/b}, click, {L:cfo@example.org}, {L:again} "
	    "{L:<https://example.org/r>}");
	free(got);
	assert_int_equal(r->n_links, 4);
	assert_string_equal(r->links[0], "https://example.org/r");
	assert_string_equal(r->links[1], "https://matrix.to/#/@dana:x");
	assert_string_equal(r->links[2], "https://example.org/b");
	assert_string_equal(r->links[3], "mailto:cfo@example.org");
	rich_free(&r);
	/* A space at the end of a link's words comes after its address. */
	r = rich_from_html("<a href=\"https://example.org/r\">report </a>then");
	got = markup(r);
	assert_string_equal(got, "{L:report} {L:<https://example.org/r>} then");
	free(got);
	rich_free(&r);
}

/* Text from the server stays inert: controls, escapes and bidi
 * characters come out as visible stand-ins, entities included. */
static void
test_html_inert(void **state)
{
	const char *hostile[] = {
		"<b>\x1b[2Jwiped</b>", "&#27;[2J", "&#x1b;]52;c;Zm9v&#7;", "<i>\xc2\x9b" "31m</i>",
		"<b>&#x202e;evil</b>", "\xe2\x80\xae" "reversed", "<a href=\"https://x.example/\x1b[2J\">x</a>",
		"<pre>a\rb\x08" "c</pre>", "<img alt=\"\x1b]0;title\x07\">", "bad \xff\xfe utf-8",
	};

	for (size_t i = 0; i < NT_NELEMS(hostile); i++) {
		struct rich *r = rich_from_html(hostile[i]);

		if (r == NULL)
			continue;
		for (const unsigned char *p = (const unsigned char *)r->text; *p != '\0'; p++) {
			if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
				fail_msg("%s: control 0x%02x in %s", hostile[i], *p, r->text);
			if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
				fail_msg("%s: C1 control in %s", hostile[i], r->text);
			if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xae || p[2] == 0xad))
				fail_msg("%s: bidi override in %s", hostile[i], r->text);
		}
		rich_free(&r);
	}
}

/* A line break the sanitiser made at the end of code (from U+2028) is cut
 * with the text's trailing breaks, and so is the code's span (found by
 * fuzz_rich). */
static void
test_spans_end_with_the_text(void **state)
{
	const char *html[] = {"c\xad<pre>\x80\xa8|/b\xe2\x80\xa8\x19", "<code>x\n\n</code>",
	    "<b>bold</b><br><br><i>\xe2\x80\xa9</i>"};

	(void)state;
	for (size_t i = 0; i < NT_NELEMS(html); i++) {
		struct rich *r = rich_from_html(html[i]);
		size_t len;

		assert_non_null(r);
		len = strlen(r->text);
		for (size_t j = 0; j < r->n_spans; j++)
			if (r->spans[j].len == 0 || r->spans[j].off + r->spans[j].len > len)
				fail_msg("%s: span %zu+%zu past the text's %zu bytes", html[i],
				    r->spans[j].off, r->spans[j].len, len);
		rich_free(&r);
	}
}

/* Malformed and hostile HTML gives text, never a crash or a hang. */
static void
test_html_hostile(void **state)
{
	struct buf deep = {0}, attr = {0};
	struct rich *r;
	char *clean;

	/* Deeper than natter follows (libxml2 itself stops at 256). */
	for (int i = 0; i < 100; i++)
		buf_puts(&deep, i % 2 ? "<b>" : "<blockquote><ul><li>");
	buf_puts(&deep, "bottom");
	r = rich_from_html(deep.data);
	assert_non_null(r);
	assert_true(strncmp(r->text, "> > > > > > > > ", 16) == 0);
	assert_non_null(strstr(r->text, "\u2022 bottom"));
	assert_null(strstr(r->text, "> > > > > > > > > "));
	rich_free(&r);
	clean = rich_html_clean(deep.data);
	assert_non_null(clean);
	assert_non_null(strstr(clean, "bottom"));
	free(clean);
	for (int i = 0; i < 40000; i++)
		buf_puts(&deep, i % 2 ? "<b>" : "<blockquote><ul><li>");
	r = rich_from_html(deep.data);
	rich_free(&r);
	free(rich_html_clean(deep.data));

	buf_puts(&attr, "<a href=\"https://example.org/");
	for (int i = 0; i < 200000; i++)
		buf_putc(&attr, 'x');
	buf_puts(&attr, "\">long</a> tail");
	r = rich_from_html(attr.data);
	assert_non_null(r);
	rich_free(&r);

	assert_rich("<b>unclosed <i>tags <u>everywhere", "{B:unclosed }{BI:tags }{BIU:everywhere}");
	assert_rich("</b>stray</i> end tags</p>", "stray end tags");
	assert_rich("<<b>>a<</b>>", "{B:>a<}>");
	assert_null(rich_from_html(""));
	assert_null(rich_from_html("<script>alert(1)</script><style>b{}</style>"));
	assert_null(rich_from_html("<mx-reply>only the fallback</mx-reply>"));
	buf_free(&deep);
	buf_free(&attr);
}

static void
test_html_clean(void **state)
{
	const char *cases[][2] = {
		{"<b>bold</b> <script>alert(1)</script><i onclick=\"x()\">it</i>",
		    "<b>bold</b> <i>it</i>"},
		{"<a href=\"https://example.org/?a=1&amp;b=2\" target=_blank>r</a>",
		    "<a href=\"https://example.org/?a=1&amp;b=2\">r</a>"},
		{"<a href=\"javascript:alert(1)\">x</a> <a href=\"data:text/html,x\">y</a>", "x y"},
		{"<img src=\"https://tracker.example/p.gif\" alt=\"chart\">", "chart"},
		{"<ol start=\"4\" type=\"i\"><li>d</li></ol>", "<ol start=\"4\"><li>d</li></ol>"},
		{"<pre><code class=\"language-c\">a &lt; b</code></pre>",
		    "<pre><code>a &lt; b</code></pre>"},
		{"<div style=\"background:url(x)\">x<br>y<hr></div>", "<div>x<br>y<hr></div>"},
		{"<b>unclosed <i>x", "<b>unclosed <i>x</i></b>"},
		{"<mx-reply>q</mx-reply><iframe src=x>f</iframe>a", "a"},
		{"quote \" and ' and \x1b[2J\xe2\x80\xae", "quote &quot; and &#39; and [2J&lt;U+202E&gt;"},
	};

	for (size_t i = 0; i < NT_NELEMS(cases); i++) {
		char *got = rich_html_clean(cases[i][0]);

		if (got == NULL || strcmp(got, cases[i][1]) != 0)
			fail_msg("%s\n  gives %s\n  wants %s", cases[i][0], got, cases[i][1]);
		free(got);
	}
	assert_null(rich_html_clean("<script>x</script>"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_html_parser_is_loaded_by_the_first_formatted_body),
		cmocka_unit_test(test_reply_body_fallback),
		cmocka_unit_test(test_reply_html_fallback),
		cmocka_unit_test(test_url_rule),
		cmocka_unit_test(test_url_find),
		cmocka_unit_test(test_link_first),
		cmocka_unit_test(test_html_inline),
		cmocka_unit_test(test_html_blocks),
		cmocka_unit_test(test_html_links),
		cmocka_unit_test(test_html_inert),
		cmocka_unit_test(test_html_hostile),
		cmocka_unit_test(test_spans_end_with_the_text),
		cmocka_unit_test(test_html_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
