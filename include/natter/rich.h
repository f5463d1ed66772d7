/* rich: message text as people should read it. Strips the reply
 * fallbacks older clients put in front of a reply, finds the web links of
 * plain text, and reads the formatted_body HTML other clients send
 * (org.matrix.custom.html, parsed by libxml2) into plain text with
 * attribute spans for the terminal, or into a small safe subset of HTML
 * for mail. No curses here. */
#ifndef NATTER_RICH_H
#define NATTER_RICH_H

#include <stddef.h>

/* Bytes at the start of a reply's body that are the quoted fallback of
 * clients that follow spec versions before 1.13: "> <@who:server> text"
 * lines (an emote's "> * <@who..."), up to the first line without the
 * "> " prefix, and one blank line after them. 0 when the body does not
 * start so, or when nothing would be left. */
size_t rich_reply_body_skip(const char *body);

/* Bytes at the start of a reply's formatted_body that are its fallback:
 * an <mx-reply> element it begins with, up to and with its end tag (the
 * whole string when the tag is never closed). 0 when it does not begin
 * with one. */
size_t rich_reply_html_skip(const char *html);

/* The length of the web link that starts at s ("http://" or "https://"),
 * as a reader means it: it ends at white space, a control character or
 * one of <>"; punctuation that ends it (.,:;!?'"*_~) is not part of it,
 * nor is a ")" or "]" without its opening pair inside it, so
 * "[text](https://a.example/b)" and "(see https://a.example)." give the
 * link alone while "https://en.wikipedia.org/wiki/C_(language)" stays
 * whole. 0 when s does not start with a link. */
size_t rich_url_len(const char *s);

/* The first web link in text, as rich_url_len delimits it: a link starts
 * where no letter or digit is before it. NULL when there is none; *len
 * is its length. */
const char *rich_url_find(const char *text, size_t *len);

/* The web link a reader opens first in a message: the first shown in
 * its formatted text (rich_from_html, which shows where a link goes when
 * its words do not), else in its body; a link to matrix.to (a mention)
 * only when there is no other. A new string, or NULL when there is none. */
char *rich_link_first(const char *body, const char *formatted);

/* Attributes of a run of formatted text. */
enum {
	RICH_BOLD = 0x01,	/* b, strong, h1-h6, th */
	RICH_ITALIC = 0x02,	/* i, em, cite */
	RICH_UNDERLINE = 0x04,	/* u, ins */
	RICH_STRIKE = 0x08,	/* del, s, strike */
	RICH_CODE = 0x10,	/* code, pre */
	RICH_QUOTE = 0x20,	/* blockquote */
	RICH_LINK = 0x40,	/* a with a link natter would open */
};

/* A run of text with the same attributes; runs do not overlap and come
 * in order. Text between runs has none. */
struct rich_span {
	size_t off;
	size_t len;
	unsigned attrs;
};

/* Formatted text as the terminal shows it. text is inert (san_text with
 * its line breaks kept: nothing in it reaches a terminal as a control),
 * lines break at "\n"; quotes start their lines with "> ", list items
 * with "• " or "1. ". links are the http, https and mailto targets of its
 * a elements, in order, each once. */
struct rich {
	char *text;
	struct rich_span *spans;
	size_t n_spans;
	char **links;
	size_t n_links;
};

/* Reads an HTML formatted_body. Hostile HTML (unclosed tags, deep
 * nesting, huge attributes, odd entities) gives some text, never a
 * crash: elements nested deeper than a limit lend no attributes, and a
 * body over a size limit is cut. Returns NULL when the HTML has no text
 * at all. Free with rich_free. */
struct rich *rich_from_html(const char *html);
/* 1 when the HTML parser is there (loaded now if it was not yet), 0 when
 * it cannot be loaded: then HTML has no text. */
int rich_html_ready(void);
void rich_free(struct rich **r);

/* The HTML made safe to put in a mail: only the tags the Matrix spec
 * suggests (b, i, code, pre, blockquote, ul, ol, li, a, p, br, h1-h6,
 * ...), with no attributes but an a's href (http, https or mailto) and
 * an ol's start; other tags are dropped and their text kept (that of
 * script, style and the like too dropped); text escaped and inert.
 * NULL when nothing is left. */
char *rich_html_clean(const char *html);

#endif
