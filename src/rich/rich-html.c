/* The HTML of formatted_body, read by libxml2's HTML parser (never by
 * hand) and walked once without recursion: into plain text with
 * attribute spans for the terminal, or into a safe subset of HTML for
 * mail. Every piece of text passes through san_text on its way out.
 *
 * libxml2 is loaded (dlopen) when the first formatted body is read, not
 * at start: most screens show none, and it brings ICU and libstdc++ with
 * it, 1.7 MB of a start's 21. Without it, formatted bodies read as
 * having no text, so that their plain body is shown. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/xmlerror.h>
#include <libxml/tree.h>

#include "natter/rich.h"
#include "natter/sanitize.h"
#include "natter/util.h"

/* A message is at most 64 KiB on the wire; anything longer is cut. */
#define RICH_INPUT_MAX 65536
/* Elements deeper than this lend no attributes, blocks or links. */
#define RICH_DEPTH_MAX 48
/* Quote marks shown in front of a line, however deep the quote. */
#define RICH_QUOTE_MARKS 8
#define RICH_RULE "──────────"

enum rich_kind {
	RICH_INLINE,	/* text with attributes */
	RICH_BLOCK,	/* starts and ends a line */
	RICH_DROP,	/* neither it nor what it holds is shown */
	RICH_BR,
	RICH_HR,
	RICH_LIST,	/* ul */
	RICH_OLIST,	/* ol */
	RICH_ITEM,	/* li */
	RICH_PRE,
	RICH_QUOTED,	/* blockquote */
	RICH_A,
	RICH_IMG,
	RICH_CELL,	/* td, th: apart from the cell before */
};

struct rich_tag {
	const char *name;
	enum rich_kind kind;
	unsigned attrs;
	int allowed;	/* kept in mail (the spec's suggested tags) */
};

/* Sorted by name for bsearch. */
static const struct rich_tag rich_tags[] = {
	{"a", RICH_A, RICH_LINK, 1},
	{"b", RICH_INLINE, RICH_BOLD, 1},
	{"blockquote", RICH_QUOTED, RICH_QUOTE, 1},
	{"body", RICH_INLINE, 0, 0},
	{"br", RICH_BR, 0, 1},
	{"caption", RICH_BLOCK, 0, 1},
	{"cite", RICH_INLINE, RICH_ITALIC, 0},
	{"code", RICH_INLINE, RICH_CODE, 1},
	{"del", RICH_INLINE, RICH_STRIKE, 1},
	{"details", RICH_BLOCK, 0, 1},
	{"div", RICH_BLOCK, 0, 1},
	{"em", RICH_INLINE, RICH_ITALIC, 1},
	{"embed", RICH_DROP, 0, 0},
	{"font", RICH_INLINE, 0, 1},
	{"h1", RICH_BLOCK, RICH_BOLD, 1},
	{"h2", RICH_BLOCK, RICH_BOLD, 1},
	{"h3", RICH_BLOCK, RICH_BOLD, 1},
	{"h4", RICH_BLOCK, RICH_BOLD, 1},
	{"h5", RICH_BLOCK, RICH_BOLD, 1},
	{"h6", RICH_BLOCK, RICH_BOLD, 1},
	{"head", RICH_DROP, 0, 0},
	{"hr", RICH_HR, 0, 1},
	{"html", RICH_INLINE, 0, 0},
	{"i", RICH_INLINE, RICH_ITALIC, 1},
	{"iframe", RICH_DROP, 0, 0},
	{"img", RICH_IMG, 0, 0},
	{"ins", RICH_INLINE, RICH_UNDERLINE, 0},
	{"li", RICH_ITEM, 0, 1},
	{"math", RICH_DROP, 0, 0},
	{"mx-reply", RICH_DROP, 0, 0},
	{"noscript", RICH_DROP, 0, 0},
	{"object", RICH_DROP, 0, 0},
	{"ol", RICH_OLIST, 0, 1},
	{"p", RICH_BLOCK, 0, 1},
	{"pre", RICH_PRE, RICH_CODE, 1},
	{"s", RICH_INLINE, RICH_STRIKE, 1},
	{"script", RICH_DROP, 0, 0},
	{"select", RICH_DROP, 0, 0},
	{"span", RICH_INLINE, 0, 1},
	{"strike", RICH_INLINE, RICH_STRIKE, 1},
	{"strong", RICH_INLINE, RICH_BOLD, 1},
	{"style", RICH_DROP, 0, 0},
	{"sub", RICH_INLINE, 0, 1},
	{"summary", RICH_BLOCK, 0, 1},
	{"sup", RICH_INLINE, 0, 1},
	{"svg", RICH_DROP, 0, 0},
	{"table", RICH_BLOCK, 0, 1},
	{"tbody", RICH_INLINE, 0, 1},
	{"td", RICH_CELL, 0, 1},
	{"template", RICH_DROP, 0, 0},
	{"textarea", RICH_DROP, 0, 0},
	{"th", RICH_CELL, RICH_BOLD, 1},
	{"thead", RICH_INLINE, 0, 1},
	{"title", RICH_DROP, 0, 0},
	{"tr", RICH_BLOCK, 0, 1},
	{"u", RICH_INLINE, RICH_UNDERLINE, 1},
	{"ul", RICH_LIST, 0, 1},
};

static const struct rich_tag rich_unknown = {"", RICH_INLINE, 0, 0};

static int
rich_tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct rich_tag *)elem)->name);
}

static const struct rich_tag *
rich_tag_of(const xmlNode *node)
{
	const struct rich_tag *t = bsearch(node->name, rich_tags, NT_NELEMS(rich_tags),
	    sizeof *rich_tags, rich_tag_cmp);

	return t != NULL ? t : &rich_unknown;
}

/* An a's href natter would open or put in a mail, else NULL. */
static int
rich_href_ok(const char *href)
{
	return href != NULL && (strncasecmp(href, "https://", 8) == 0 ||
	    strncasecmp(href, "http://", 7) == 0 || strncasecmp(href, "mailto:", 7) == 0);
}

/* What an element did on the way in, undone on the way out. */
struct rich_frame {
	const struct rich_tag *tag;
	unsigned attrs;		/* of the text around it */
	size_t a_start;		/* an a: where its text starts */
	char *href;		/* an a: its link, kept */
	int counter;		/* an ol: the next item's number */
	int cells;		/* a tr: cells so far */
};

struct rich_walk {
	int html;		/* writing mail HTML, not terminal text */
	struct buf out;
	struct rich_span *spans;
	size_t n_spans;
	char **links;
	size_t n_links;

	struct rich_frame stack[RICH_DEPTH_MAX];
	int depth;		/* frames in use */
	unsigned attrs;
	int pre;		/* inside pre */
	int quotes;		/* blockquotes around */
	int lists;		/* lists around */
	int brk;		/* a block ended or started: the next text starts a line */
	size_t *mark;		/* where the open a's text starts, once it does */
	int space;		/* white space seen since the last text */
	unsigned space_attrs;
	char bullet[16];	/* to put before an item's first text */
};

static int
rich_line_start(const struct rich_walk *w)
{
	return w->out.len == 0 || w->out.data[w->out.len - 1] == '\n';
}

/* Appends text that is inert already, with attrs. */
static void
rich_put(struct rich_walk *w, const char *s, size_t n, unsigned attrs)
{
	struct rich_span *last = w->n_spans > 0 ? &w->spans[w->n_spans - 1] : NULL;

	if (n == 0)
		return;
	if (attrs != 0) {
		if (last != NULL && last->attrs == attrs && last->off + last->len == w->out.len)
			last->len += n;
		else {
			w->spans = xreallocarray(w->spans, w->n_spans + 1, sizeof *w->spans);
			w->spans[w->n_spans++] = (struct rich_span){w->out.len, n, attrs};
		}
	}
	buf_add(&w->out, s, n);
}

/* Starts a line when one is due, with its quote marks, list indent and
 * bullet; or the space that white space before this text left. */
static void
rich_text_prefix(struct rich_walk *w)
{
	if (w->brk && !rich_line_start(w))
		buf_putc(&w->out, '\n');
	w->brk = 0;
	if (rich_line_start(w)) {
		for (int i = 0; i < w->quotes && i < RICH_QUOTE_MARKS; i++)
			rich_put(w, "> ", 2, RICH_QUOTE);
		for (int i = 1; i < w->lists && i < RICH_QUOTE_MARKS; i++)
			buf_puts(&w->out, "  ");
		buf_puts(&w->out, w->bullet);
		w->bullet[0] = '\0';
	} else if (w->space)
		rich_put(w, " ", 1, w->space_attrs & w->attrs);
	w->space = 0;
}

/* One line of text (no newline in it) as the terminal shows it. */
static void
rich_term_line(struct rich_walk *w, const char *s, size_t n)
{
	char *raw, *safe;

	if (n == 0)
		return;
	raw = xstrndup(s, n);
	safe = san_text(raw, w->pre ? SAN_MULTILINE : 0);
	rich_text_prefix(w);
	if (w->mark != NULL && *w->mark == SIZE_MAX)
		*w->mark = w->out.len;
	rich_put(w, safe, strlen(safe), w->attrs);
	free(safe);
	free(raw);
}

static int
rich_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* A text node for the terminal: white space collapsed, but in pre,
 * where each line break is kept. */
static void
rich_term_text(struct rich_walk *w, const char *s)
{
	while (*s != '\0') {
		size_t n;

		if (w->pre) {
			n = strcspn(s, "\n");
			if (n > 0)
				rich_term_line(w, s, n);
			if (s[n] == '\n') {
				if (w->brk && !rich_line_start(w))
					buf_putc(&w->out, '\n');
				w->brk = 0;
				buf_putc(&w->out, '\n');
				n++;
			}
		} else if (rich_is_space(*s)) {
			for (n = 0; rich_is_space(s[n]); n++)
				;
			if (!w->space)
				w->space_attrs = w->attrs;
			w->space = !rich_line_start(w) && !w->brk;
		} else {
			for (n = 0; s[n] != '\0' && !rich_is_space(s[n]); n++)
				;
			rich_term_line(w, s, n);
		}
		s += n;
	}
}

/* Text for mail: inert, escaped. */
static void
rich_html_text(struct rich_walk *w, const char *s)
{
	char *safe = san_text(s, SAN_MULTILINE);

	for (const char *p = safe; *p != '\0'; p++) {
		switch (*p) {
		case '&': buf_puts(&w->out, "&amp;"); break;
		case '<': buf_puts(&w->out, "&lt;"); break;
		case '>': buf_puts(&w->out, "&gt;"); break;
		case '"': buf_puts(&w->out, "&quot;"); break;
		case '\'': buf_puts(&w->out, "&#39;"); break;
		default: buf_putc(&w->out, *p); break;
		}
	}
	free(safe);
}

static void
rich_text(struct rich_walk *w, const char *s)
{
	if (w->html)
		rich_html_text(w, s);
	else
		rich_term_text(w, s);
}

static void
rich_link_add(struct rich_walk *w, const char *href)
{
	for (size_t i = 0; i < w->n_links; i++)
		if (strcmp(w->links[i], href) == 0)
			return;
	w->links = xreallocarray(w->links, w->n_links + 1, sizeof *w->links);
	w->links[w->n_links++] = xstrdup(href);
}

/* What natter uses of libxml2, found when it is loaded. */
static struct {
	htmlDocPtr (*read)(const char *, int, const char *, const char *, int);
	void (*free_doc)(xmlDocPtr);
	xmlChar *(*get_prop)(const xmlNode *, const xmlChar *);
	xmlFreeFunc *free;		/* libxml2's variable xmlFree */
	void (*on_error)(void *, xmlGenericErrorFunc);
	void (*on_structured)(void *, xmlStructuredErrorFunc);
	int ok;
} rich_xml;
static pthread_once_t rich_xml_once = PTHREAD_ONCE_INIT;

/* POSIX's way from dlsym's void * to a function pointer. */
static int
rich_xml_sym(void *lib, const char *name, void *fp)
{
	void *p = dlsym(lib, name);

	memcpy(fp, &p, sizeof p);
	return p != NULL;
}

static void
rich_xml_load(void)
{
	void *lib = dlopen(RICH_XML_LIB, RTLD_NOW | RTLD_LOCAL);

	/* Kept open for the process's life. */
	rich_xml.ok = lib != NULL &&
	    rich_xml_sym(lib, "htmlReadMemory", &rich_xml.read) &&
	    rich_xml_sym(lib, "xmlFreeDoc", &rich_xml.free_doc) &&
	    rich_xml_sym(lib, "xmlGetNoNsProp", &rich_xml.get_prop) &&
	    (rich_xml.free = dlsym(lib, "xmlFree")) != NULL &&
	    rich_xml_sym(lib, "xmlSetGenericErrorFunc", &rich_xml.on_error) &&
	    rich_xml_sym(lib, "xmlSetStructuredErrorFunc", &rich_xml.on_structured);
}

int
rich_html_ready(void)
{
	pthread_once(&rich_xml_once, rich_xml_load);
	return rich_xml.ok;
}

static char *
rich_attr(const xmlNode *node, const char *name)
{
	xmlChar *v = rich_xml.get_prop(node, (const xmlChar *)name);
	char *s = v != NULL ? xstrdup((const char *)v) : NULL;

	(*rich_xml.free)(v);
	return s;
}

/* The start tag of an element kept in mail, with its few attributes. */
static void
rich_html_open(struct rich_walk *w, const xmlNode *node, const struct rich_tag *t,
    const char *href)
{
	buf_printf(&w->out, "<%s", t->name);
	if (t->kind == RICH_A && href != NULL) {
		buf_puts(&w->out, " href=\"");
		rich_html_text(w, href);
		buf_putc(&w->out, '"');
	}
	if (t->kind == RICH_OLIST) {
		char *start = rich_attr(node, "start");

		if (start != NULL && start[0] != '\0' && strlen(start) < 10 &&
		    strspn(start, "0123456789") == strlen(start))
			buf_printf(&w->out, " start=\"%s\"", start);
		free(start);
	}
	buf_putc(&w->out, '>');
}

/* The terminal's side of entering an element. */
static void
rich_term_enter(struct rich_walk *w, const xmlNode *node, struct rich_frame *f)
{
	switch (f->tag->kind) {
	case RICH_BR:
		if (w->out.len == 0)
			break;
		w->space = 0;
		rich_text_prefix(w);
		buf_putc(&w->out, '\n');
		break;
	case RICH_HR:
		w->brk = 1;
		rich_text_prefix(w);
		buf_puts(&w->out, RICH_RULE);
		w->brk = 1;
		break;
	case RICH_IMG: {
		char *alt = rich_attr(node, "alt"), *label;

		label = xasprintf("[image%s%s]", alt != NULL && *alt != '\0' ? ": " : "",
		    alt != NULL ? alt : "");
		rich_term_text(w, label);
		free(label);
		free(alt);
		break;
	}
	case RICH_ITEM:
		w->brk = 1;
		if (w->depth >= 2 && w->stack[w->depth - 2].tag->kind == RICH_OLIST)
			snprintf(w->bullet, sizeof w->bullet, "%d. ",
			    w->stack[w->depth - 2].counter++);
		else
			snprintf(w->bullet, sizeof w->bullet, "• ");
		break;
	case RICH_CELL:
		if (w->depth >= 2 && w->stack[w->depth - 2].cells++ > 0) {
			w->space = 0;
			rich_put(w, "  ", 2, 0);
		}
		break;
	case RICH_LIST:
	case RICH_OLIST:
		w->lists++;
		w->brk = 1;
		break;
	case RICH_QUOTED:
		w->quotes++;
		w->brk = 1;
		break;
	case RICH_PRE:
		w->pre++;
		w->brk = 1;
		break;
	case RICH_BLOCK:
		w->brk = 1;
		break;
	default:
		break;
	}
}

/* Enters an element; 0 when what it holds is not to be read. */
static int
rich_enter(struct rich_walk *w, const xmlNode *node)
{
	const struct rich_tag *t = rich_tag_of(node);
	struct rich_frame *f;

	if (t->kind == RICH_DROP)
		return 0;
	if (w->depth >= RICH_DEPTH_MAX) {
		w->depth++;
		return 1;
	}
	f = &w->stack[w->depth++];
	memset(f, 0, sizeof *f);
	f->tag = t;
	f->attrs = w->attrs;
	f->counter = 1;
	if (t->kind == RICH_OLIST) {
		char *start = rich_attr(node, "start");

		if (start != NULL && strlen(start) < 8)
			f->counter = atoi(start);
		free(start);
	}
	if (t->kind == RICH_A) {
		f->href = rich_attr(node, "href");
		if (!rich_href_ok(f->href))
			xfree(&f->href);
		else if (!w->html)
			rich_link_add(w, f->href);
	}
	w->attrs |= t->attrs;
	if (t->kind == RICH_A && f->href == NULL)
		w->attrs = f->attrs;
	if (t->kind == RICH_A && f->href != NULL && !w->html) {
		f->a_start = SIZE_MAX;
		w->mark = &f->a_start;
	}
	if (w->html) {
		if (t->allowed && (t->kind != RICH_A || f->href != NULL))
			rich_html_open(w, node, t, f->href);
		if (t->kind == RICH_IMG) {
			char *alt = rich_attr(node, "alt");

			rich_html_text(w, alt != NULL && *alt != '\0' ? alt : "[image]");
			free(alt);
		}
	} else
		rich_term_enter(w, node, f);
	return 1;
}

/* After a link whose text does not say where it goes: where it goes.
 * Mentions (matrix.to) are left as their names. */
static void
rich_term_href(struct rich_walk *w, const struct rich_frame *f)
{
	const char *href = f->href, *bare = href, *text = "";
	size_t len = 0;
	char *safe, *shown;
	int space = w->space;

	if (f->a_start != SIZE_MAX) {
		text = w->out.data + f->a_start;
		len = w->out.len - f->a_start;
	}
	if (strncasecmp(href, "mailto:", 7) == 0)
		bare = href + 7;
	if ((strlen(href) == len && strncmp(text, href, len) == 0) ||
	    (strlen(bare) == len && strncmp(text, bare, len) == 0) ||
	    strncmp(href, "https://matrix.to/", 18) == 0)
		return;
	safe = san_text(href, 0);
	shown = xasprintf("<%s>", safe);
	/* White space at the end of the link's words goes after its address. */
	w->space = 0;
	rich_text_prefix(w);
	rich_put(w, " ", 1, 0);
	rich_put(w, shown, strlen(shown), RICH_LINK);
	w->space = space;
	free(shown);
	free(safe);
}

static void
rich_leave(struct rich_walk *w)
{
	struct rich_frame *f;

	if (w->depth-- > RICH_DEPTH_MAX)
		return;
	f = &w->stack[w->depth];
	if (w->html) {
		if (f->tag->allowed && f->tag->kind != RICH_BR && f->tag->kind != RICH_HR &&
		    (f->tag->kind != RICH_A || f->href != NULL))
			buf_printf(&w->out, "</%s>", f->tag->name);
	} else {
		switch (f->tag->kind) {
		case RICH_A:
			w->mark = NULL;
			if (f->href != NULL)
				rich_term_href(w, f);
			break;
		case RICH_LIST:
		case RICH_OLIST:
			w->lists--;
			w->brk = 1;
			break;
		case RICH_QUOTED:
			w->quotes--;
			w->brk = 1;
			break;
		case RICH_PRE:
			w->pre--;
			w->brk = 1;
			break;
		case RICH_BLOCK:
		case RICH_ITEM:
			w->brk = 1;
			break;
		default:
			break;
		}
	}
	w->attrs = f->attrs;
	free(f->href);
}

/* Walks the tree in document order with a loop, not recursion: the
 * depth of the HTML is the sender's to choose. */
static void
rich_walk_tree(struct rich_walk *w, xmlNode *root)
{
	xmlNode *node = root->children;

	while (node != NULL) {
		int descend = 0;

		if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE)
			rich_text(w, node->content != NULL ? (const char *)node->content : "");
		else if (node->type == XML_ELEMENT_NODE)
			descend = rich_enter(w, node) + 1;
		if (descend == 2 && node->children != NULL) {
			node = node->children;
			continue;
		}
		if (descend == 2)
			rich_leave(w);
		while (node != root && node->next == NULL) {
			node = node->parent;
			if (node != root)
				rich_leave(w);
		}
		node = node == root ? NULL : node->next;
	}
}

/* libxml2 prints some errors whatever the options say, and nothing may
 * be printed over the terminal interface. */
static void
rich_xml_quiet(void *ctx, const char *msg, ...)
{
}

static void
rich_xml_quiet_structured(void *ctx, xmlErrorPtr error)
{
}

static htmlDocPtr
rich_parse(const char *html)
{
	size_t len = strlen(html);

	if (!rich_html_ready())
		return NULL;
	rich_xml.on_error(NULL, rich_xml_quiet);
	rich_xml.on_structured(NULL, rich_xml_quiet_structured);
	if (len > RICH_INPUT_MAX)
		len = RICH_INPUT_MAX;
	/* Not HTML_PARSE_NOIMPLIED: without the implied body, libxml2 2.9
	 * nests the rest of a fragment in its first inline element. */
	return rich_xml.read(html, (int)len, NULL, "UTF-8", HTML_PARSE_NONET |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
}

static void
rich_walk_html(struct rich_walk *w, const char *html)
{
	htmlDocPtr doc = rich_parse(html);

	if (doc == NULL)
		return;
	rich_walk_tree(w, (xmlNode *)doc);
	while (w->depth > 0)
		rich_leave(w);
	rich_xml.free_doc(doc);
}

struct rich *
rich_from_html(const char *html)
{
	struct rich_walk w = {0};
	struct rich *r;

	rich_walk_html(&w, html);
	while (w.out.len > 0 && w.out.data[w.out.len - 1] == '\n')
		w.out.data[--w.out.len] = '\0';
	/* Spans end with the text the trailing line breaks left. */
	while (w.n_spans > 0 && w.spans[w.n_spans - 1].off >= w.out.len)
		w.n_spans--;
	if (w.n_spans > 0 && w.spans[w.n_spans - 1].off + w.spans[w.n_spans - 1].len > w.out.len)
		w.spans[w.n_spans - 1].len = w.out.len - w.spans[w.n_spans - 1].off;
	if (w.out.len == 0) {
		free(w.spans);
		for (size_t i = 0; i < w.n_links; i++)
			free(w.links[i]);
		free(w.links);
		buf_free(&w.out);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->text = buf_steal(&w.out);
	r->spans = w.spans;
	r->n_spans = w.n_spans;
	r->links = w.links;
	r->n_links = w.n_links;
	return r;
}

void
rich_free(struct rich **rp)
{
	struct rich *r = *rp;

	if (r == NULL)
		return;
	free(r->text);
	free(r->spans);
	for (size_t i = 0; i < r->n_links; i++)
		free(r->links[i]);
	free(r->links);
	xfree(rp);
}

/* One paragraph is the message itself, not a block of it. */
static void
rich_html_unwrap(struct buf *b)
{
	static const char open[] = "<p>", close[] = "</p>";

	if (b->len < sizeof open + sizeof close - 2 || strncmp(b->data, open, 3) != 0 ||
	    strcmp(b->data + b->len - 4, close) != 0 || strstr(b->data + 3, open) != NULL)
		return;
	memmove(b->data, b->data + 3, b->len - 3 - 4);
	b->len -= 7;
	b->data[b->len] = '\0';
}

char *
rich_link_first(const char *body, const char *formatted)
{
	struct rich *r = formatted != NULL ? rich_from_html(formatted) : NULL;
	const char *text = r != NULL ? r->text : body, *p, *mention = NULL;
	size_t len = 0, mention_len = 0;
	char *link = NULL;

	for (p = text; p != NULL && (p = rich_url_find(p, &len)) != NULL; p += len) {
		if (strncmp(p, "https://matrix.to/", 18) != 0)
			break;
		if (mention == NULL) {
			mention = p;
			mention_len = len;
		}
	}
	if (p != NULL)
		link = xstrndup(p, len);
	else if (mention != NULL)
		link = xstrndup(mention, mention_len);
	rich_free(&r);
	return link;
}

char *
rich_html_clean(const char *html)
{
	struct rich_walk w = {.html = 1};

	rich_walk_html(&w, html);
	rich_html_unwrap(&w.out);
	if (w.out.len == 0) {
		buf_free(&w.out);
		return NULL;
	}
	return buf_steal(&w.out);
}
