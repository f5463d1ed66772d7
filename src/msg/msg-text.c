/* What the user typed, made ready to send: shortcodes become emoji, and
 * mentions (completed names and full user ids) become links to matrix.to
 * in the formatted body and user ids in m.mentions, except inside code,
 * which is sent as typed. Code is found in the Markdown source as
 * CommonMark finds it: fenced and indented code blocks, and code spans
 * (a run of backticks closed by a run of the same length in the same
 * paragraph). cmark offers no source positions for inlines, so this small
 * scanner finds them; what it gets wrong in a corner of the grammar only
 * leaves a shortcode unconverted or converts one in code. */
#include <stdlib.h>
#include <string.h>

#include "natter/emoji.h"
#include "natter/msg.h"
#include "natter/util.h"

#define MSG_MATRIX_TO "https://matrix.to/#/"

struct msg_span {
	size_t start, end;
};

struct msg_spans {
	struct msg_span *v;
	size_t n;
};

static void
msg_spans_add(struct msg_spans *s, size_t start, size_t end)
{
	if (s->n > 0 && s->v[s->n - 1].end >= start) {
		s->v[s->n - 1].end = end;
		return;
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n++] = (struct msg_span){start, end};
}

/* Columns of leading spaces (a tab reaches the next multiple of 4) and
 * the offset after them. */
static int
msg_indent(const char *line, size_t len, size_t *after)
{
	int col = 0;
	size_t i = 0;

	for (; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		col = line[i] == '\t' ? col + 4 - col % 4 : col + 1;
	*after = i;
	return col;
}

static size_t
msg_run(const char *s, size_t len, char c)
{
	size_t n = 0;

	while (n < len && s[n] == c)
		n++;
	return n;
}

/* Code spans of the paragraph text[start, end). */
static void
msg_code_spans_inline(const char *text, size_t start, size_t end, struct msg_spans *out)
{
	size_t i = start;

	while (i < end) {
		size_t n, j;

		if (text[i] == '\\' && i + 1 < end) {
			i += 2;
			continue;
		}
		if (text[i] != '`') {
			i++;
			continue;
		}
		n = msg_run(text + i, end - i, '`');
		for (j = i + n; j < end;) {
			size_t m = msg_run(text + j, end - j, '`');

			if (m == 0) {
				j++;
				continue;
			}
			if (m == n)
				break;
			j += m;
		}
		if (j < end) {
			msg_spans_add(out, i, j + n);
			i = j + n;
		} else
			i += n;
	}
}

/* A fence: up to 3 spaces, then 3 or more backticks or tildes. */
static size_t
msg_fence(const char *line, size_t len, char *c)
{
	size_t after, n;

	if (msg_indent(line, len, &after) > 3 || after == len ||
	    (line[after] != '`' && line[after] != '~'))
		return 0;
	*c = line[after];
	n = msg_run(line + after, len - after, *c);
	if (n < 3 || (*c == '`' && memchr(line + after + n, '`', len - after - n) != NULL))
		return 0;
	return n;
}

/* Where text holds code, in order. */
static void
msg_code_spans(const char *text, struct msg_spans *out)
{
	size_t ls = 0, len = strlen(text), para = SIZE_MAX, fence_len = 0, after;
	int blank_before = 1, indented = 0;
	char fence_c = 0, c;

	while (ls < len) {
		const char *nl = memchr(text + ls, '\n', len - ls);
		size_t le = nl != NULL ? (size_t)(nl - text) : len, next = nl != NULL ? le + 1 : len;
		size_t n, ll = le - ls;
		int blank;

		msg_indent(text + ls, ll, &after);
		blank = after == ll;

		if (fence_len > 0) {
			msg_spans_add(out, ls, next);
			if ((n = msg_fence(text + ls, ll, &c)) >= fence_len && c == fence_c &&
			    after + n + strspn(text + ls + after + n, " \t") >= ll)
				fence_len = 0;
		} else if ((n = msg_fence(text + ls, ll, &c)) > 0) {
			fence_len = n;
			fence_c = c;
			msg_spans_add(out, ls, next);
		} else if (!blank && msg_indent(text + ls, ll, &after) >= 4 &&
		    (blank_before || indented) && para == SIZE_MAX) {
			indented = 1;
			msg_spans_add(out, ls, next);
		} else if (!blank) {
			indented = 0;
			if (para == SIZE_MAX)
				para = ls;
			blank_before = 0;
			ls = next;
			continue;
		}
		if (para != SIZE_MAX)
			msg_code_spans_inline(text, para, ls, out);
		para = SIZE_MAX;
		if (blank)
			blank_before = 1;
		else if (!indented)
			blank_before = 0;
		ls = next;
	}
	if (para != SIZE_MAX)
		msg_code_spans_inline(text, para, len, out);
}

static int
msg_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
msg_is_localpart(char c)
{
	return msg_is_alnum(c) || (c != '\0' && strchr("._=-/+", c) != NULL);
}

static int
msg_is_host(char c)
{
	return msg_is_alnum(c) || c == '.' || c == '-';
}

size_t
msg_user_id_at(const char *s, size_t before_len)
{
	size_t i = 1, host;

	if (s[0] != '@' || (before_len > 0 && (msg_is_alnum(s[-1]) ||
	    strchr("._=-/+:@&#", s[-1]) != NULL)))
		return 0;
	while (msg_is_localpart(s[i]))
		i++;
	if (i == 1 || s[i] != ':')
		return 0;
	host = ++i;
	if (s[i] == '[') {
		while (s[i] != '\0' && s[i] != ']' && (msg_is_alnum(s[i]) || s[i] == ':' ||
		    s[i] == '.'))
			i++;
		if (s[i] != ']')
			return 0;
		i++;
	} else {
		while (msg_is_host(s[i]))
			i++;
		/* The full stop or dash that ends a sentence is not the host's. */
		while (i > host && (s[i - 1] == '.' || s[i - 1] == '-'))
			i--;
		if (i == host)
			return 0;
	}
	if (s[i] == ':' && s[i + 1] >= '0' && s[i + 1] <= '9') {
		i++;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return msg_is_alnum(s[i]) ? 0 : i;
}

/* Whether text[at] is inside a word holding "://" (a URL): no shortcode
 * there. */
static int
msg_in_url(const char *text, size_t at)
{
	size_t start = at;

	while (start > 0 && text[start - 1] != ' ' && text[start - 1] != '\n' &&
	    text[start - 1] != '\t')
		start--;
	for (size_t i = start; i + 2 < at + 1 && text[i] != '\0'; i++)
		if (strncmp(text + i, "://", 3) == 0)
			return 1;
	return 0;
}

static size_t
msg_shortcode_at(const char *text, size_t at, const char **emoji)
{
	size_t n;

	*emoji = NULL;
	if (at > 0 && msg_is_alnum(text[at - 1]))
		return 0;
	if ((n = emoji_shortcode_at(text + at, emoji)) == 0 || msg_is_alnum(text[at + n]) ||
	    msg_in_url(text, at))
		return 0;
	return n;
}

static void
msg_text_add_user(struct msg_text *t, const char *user_id, size_t len)
{
	for (size_t i = 0; i < t->n_user_ids; i++)
		if (strlen(t->user_ids[i]) == len && strncmp(t->user_ids[i], user_id, len) == 0)
			return;
	t->user_ids = xreallocarray(t->user_ids, t->n_user_ids + 1, sizeof *t->user_ids);
	t->user_ids[t->n_user_ids++] = xstrndup(user_id, len);
}

/* [name](<https://matrix.to/#/user_id>), name escaped for Markdown and
 * the id for a URL. */
static void
msg_md_link(struct buf *md, const char *name, size_t name_len, const char *user_id,
    size_t id_len)
{
	buf_putc(md, '[');
	for (size_t i = 0; i < name_len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x80 && c > 0x20 && !msg_is_alnum((char)c))
			buf_putc(md, '\\');
		buf_putc(md, c == '\n' ? ' ' : (char)c);
	}
	buf_puts(md, "](<" MSG_MATRIX_TO);
	for (size_t i = 0; i < id_len; i++) {
		unsigned char c = (unsigned char)user_id[i];

		if (msg_is_alnum((char)c) || (c != '\0' && strchr("._=-/+:@[]!$", c) != NULL))
			buf_putc(md, (char)c);
		else
			buf_printf(md, "%%%02X", c);
	}
	buf_puts(md, ">)");
}

/* The completed name starting at off, if any (names not in text order, or
 * out of the text or overlapping code, are left out by the caller). */
static const struct msg_mention *
msg_name_at(const struct msg_mentions *m, size_t off)
{
	for (size_t i = 0; m != NULL && i < m->n_names; i++)
		if (m->names[i].start == off && m->names[i].len > 0 && m->names[i].user_id != NULL &&
		    m->names[i].user_id[0] == '@')
			return &m->names[i];
	return NULL;
}

static int
msg_overlaps(const struct msg_spans *code, size_t start, size_t end)
{
	for (size_t i = 0; i < code->n; i++)
		if (code->v[i].start < end && start < code->v[i].end)
			return 1;
	return 0;
}

void
msg_text_prepare(const char *text, const struct msg_mentions *m, struct msg_text *out)
{
	struct msg_spans code = {0};
	struct buf body = {0}, md = {0};
	size_t len = strlen(text), i = 0, k = 0, n;
	const struct msg_mention *name;
	const char *emoji;

	memset(out, 0, sizeof *out);
	msg_code_spans(text, &code);
	while (i < len) {
		if (k < code.n && code.v[k].start == i) {
			buf_add(&body, text + i, code.v[k].end - i);
			buf_add(&md, text + i, code.v[k].end - i);
			i = code.v[k++].end;
		} else if ((name = msg_name_at(m, i)) != NULL && i + name->len <= len &&
		    !msg_overlaps(&code, i, i + name->len)) {
			buf_add(&body, text + i, name->len);
			msg_md_link(&md, text + i, name->len, name->user_id, strlen(name->user_id));
			msg_text_add_user(out, name->user_id, strlen(name->user_id));
			i += name->len;
		} else if ((n = msg_user_id_at(text + i, i)) > 0) {
			buf_add(&body, text + i, n);
			msg_md_link(&md, text + i, n, text + i, n);
			msg_text_add_user(out, text + i, n);
			i += n;
		} else if ((n = msg_shortcode_at(text, i, &emoji)) > 0) {
			buf_puts(&body, emoji);
			buf_puts(&md, emoji);
			i += n;
		} else {
			buf_putc(&body, text[i]);
			buf_putc(&md, text[i++]);
		}
		while (k < code.n && code.v[k].end <= i)
			k++;
	}
	if (m != NULL && m->reply_sender != NULL)
		msg_text_add_user(out, m->reply_sender, strlen(m->reply_sender));
	buf_putc(&body, '\0');
	buf_putc(&md, '\0');
	out->body = buf_steal(&body);
	out->html = msg_markdown_html(md.data);
	buf_free(&md);
	free(code.v);
}

void
msg_text_clear(struct msg_text *t)
{
	for (size_t i = 0; i < t->n_user_ids; i++)
		free(t->user_ids[i]);
	free(t->user_ids);
	free(t->body);
	free(t->html);
	memset(t, 0, sizeof *t);
}
