/* The mail itself, built with GMime: headers encoded and folded by it,
 * parts in UTF-8 with the transfer encoding it finds best, and CRLF line
 * ends throughout. Only checked addresses and inert text reach it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "export-private.h"
#include "natter/sanitize.h"

/* Encoded text in one encoded-word: with "=?UTF-8?Q?" and "?=", 75. */
#define EXPORT_WORD_TEXT 63

static void
export_gmime_init(void)
{
	static int ready;

	if (!ready) {
		g_mime_init();
		ready = 1;
	}
}

/* Printable ASCII that no reader would take for an encoded-word. */
static int
export_header_plain(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e || (p[0] == '=' && p[1] == '?'))
			return 0;
	}
	return 1;
}

/* The bytes of the UTF-8 character at s, as its first byte says. */
static size_t
export_char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	return strnlen(s, n);
}

/* One character in Q encoding: letters and digits as they are, a space
 * as '_', the rest as =XX, which a phrase allows too. */
static void
export_q_char(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			buf_putc(b, (char)c);
		else if (c == ' ')
			buf_putc(b, '_');
		else
			buf_printf(b, "=%02X", c);
	}
}

/* Appends s as RFC 2047 encoded-words of whole characters, each within
 * 75 characters and on a line of its own. GMime's own encoder makes
 * longer ones from long non-ASCII text. Q, not B: GMime's decoder joins
 * adjacent words before decoding, which the padding of B breaks. */
static void
export_encode_words(struct buf *b, const char *s)
{
	struct buf word = {0}, one = {0};

	for (size_t n; *s != '\0'; s += n) {
		n = export_char_len(s);
		one.len = 0;
		export_q_char(&one, s, n);
		if (word.len > 0 && word.len + one.len > EXPORT_WORD_TEXT) {
			buf_printf(b, "%s=?UTF-8?Q?%s?=", b->len > 0 ? "\n " : " ", word.data);
			word.len = 0;
		}
		buf_add(&word, one.data, one.len);
	}
	if (word.len > 0)
		buf_printf(b, "%s=?UTF-8?Q?%s?=", b->len > 0 ? "\n " : " ", word.data);
	buf_free(&word);
	buf_free(&one);
}

/* Gives the last header called name the value raw, written as it is. */
static void
export_set_raw(GMimeObject *obj, const char *name, const char *raw)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);

	for (int i = g_mime_header_list_get_count(list) - 1; i >= 0; i--) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) == 0) {
			g_mime_header_set_raw_value(h, raw);
			return;
		}
	}
}

/* An unstructured header of inert text, encoded by natter. */
static void
export_put_header(GMimeMessage *msg, const char *name, const char *text)
{
	struct buf raw = {0};

	if (export_header_plain(text))
		buf_printf(&raw, " %s", text);
	else
		export_encode_words(&raw, text);
	buf_putc(&raw, '\n');
	if (g_ascii_strcasecmp(name, "Subject") == 0)
		g_mime_message_set_subject(msg, text, "utf-8");
	else
		g_mime_object_append_header(GMIME_OBJECT(msg), name, text, "utf-8");
	export_set_raw(GMIME_OBJECT(msg), name, raw.data);
	buf_free(&raw);
}

/* Adds a header from server text, which mail_header_text makes inert. */
static void
export_add_header(GMimeMessage *msg, const char *name, const char *value)
{
	char *safe = mail_header_text(value);

	export_put_header(msg, name, safe);
	free(safe);
}

/* A display name: a quoted string, or encoded-words. */
static void
export_encode_phrase(struct buf *b, const char *name)
{
	if (!export_header_plain(name)) {
		export_encode_words(b, name);
		return;
	}
	buf_puts(b, " \"");
	for (; *name != '\0'; name++) {
		if (*name == '"' || *name == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *name);
	}
	buf_putc(b, '"');
}

/* From, To or Cc, for GMime's lists and, encoded by natter, the mail. */
static void
export_add_mailboxes(GMimeMessage *msg, GMimeAddressType type, const char *field,
    const struct mail_addr *v, size_t n)
{
	InternetAddressList *list = g_mime_message_get_addresses(msg, type);
	struct buf raw = {0};

	for (size_t i = 0; i < n; i++) {
		char *name = v[i].name != NULL ? mail_header_text(v[i].name) : NULL;
		InternetAddress *ia = internet_address_mailbox_new(name, v[i].addr);

		internet_address_list_add(list, ia);
		g_object_unref(ia);
		if (i > 0)
			buf_puts(&raw, ",\n");
		if (name != NULL && *name != '\0') {
			export_encode_phrase(&raw, name);
			buf_printf(&raw, " <%s>", v[i].addr);
		} else
			buf_printf(&raw, " %s", v[i].addr);
		free(name);
	}
	buf_putc(&raw, '\n');
	if (n > 0)
		export_set_raw(GMIME_OBJECT(msg), field, raw.data);
	buf_free(&raw);
}

/* X-Natter-Room and X-Natter-Room-Id, a pair for each room. */
static void
export_room_headers(GMimeMessage *msg, const struct export_thread *t)
{
	if (t->n_rooms == 0) {
		export_add_header(msg, "X-Natter-Room", t->room_name);
		export_add_header(msg, "X-Natter-Room-Id", t->room_id);
	}
	for (size_t r = 0; r < t->n_rooms; r++) {
		export_add_header(msg, "X-Natter-Room", t->rooms[r].room_name);
		export_add_header(msg, "X-Natter-Room-Id", t->rooms[r].room_id);
	}
}

static GMimeObject *
export_text_part(const char *subtype, const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	GMimePart *part = GMIME_PART(tp);

	g_mime_part_set_content(part, content);
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_part_set_content_encoding(part, g_mime_part_get_best_content_encoding(part,
	    GMIME_ENCODING_CONSTRAINT_7BIT));
	g_object_unref(content);
	g_object_unref(stream);
	return GMIME_OBJECT(tp);
}

/* A MIME type from the server, if it is a plain type/subtype of token
 * characters that names a leaf part. */
static int
export_mimetype_ok(const char *type)
{
	static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789!#$&^_.+-";
	size_t a, b;

	if (type == NULL)
		return 0;
	a = strspn(type, token);
	if (a == 0 || type[a] != '/' || strncmp(type, "multipart/", 10) == 0 ||
	    strncmp(type, "message/", 8) == 0)
		return 0;
	b = strspn(type + a + 1, token);
	return b > 0 && type[a + 1 + b] == '\0' && a + b < 100;
}

/* An attachment's name with a WORD JOINER (U+2060) after each '=' that
 * precedes '?': readers decode encoded-words even in a quoted file name,
 * and the joiner, unseen, also makes GMime write the name in RFC 2231. */
static char *
export_param_text(const char *name)
{
	struct buf b = {0};

	for (const char *p = name; *p != '\0'; p++) {
		buf_putc(&b, *p);
		if (p[0] == '=' && p[1] == '?')
			buf_puts(&b, "\u2060");
	}
	return buf_steal(&b);
}

static GMimeObject *
export_file_part(const struct store_msg *m, const struct export_file *f)
{
	char *type = xstrdup(export_mimetype_ok(m->mimetype) ? m->mimetype :
	    "application/octet-stream"), *slash = strchr(type, '/');
	char *safe = san_filename(m->filename != NULL ? m->filename :
	    m->body != NULL ? m->body : "attachment"), *name = export_param_text(safe);
	GMimePart *part;
	GMimeStream *stream;
	GMimeDataWrapper *content;

	*slash = '\0';
	part = g_mime_part_new_with_type(type, slash + 1);
	stream = g_mime_stream_fs_new(dup(f->fd));
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(stream), TRUE);
	content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, content);
	g_mime_part_set_filename(part, name);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_object_unref(content);
	g_object_unref(stream);
	free(type);
	free(safe);
	free(name);
	return GMIME_OBJECT(part);
}

static GMimeObject *
export_body(const struct export_thread *t, const struct export_opts *o)
{
	GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative"), *mixed = NULL;
	char *text, *html;
	GMimeObject *part;

	export_render_pair(t, &o->render, &text, &html);

	part = export_text_part("plain", text);
	g_mime_multipart_add(alt, part);
	g_object_unref(part);
	part = export_text_part("html", html);
	g_mime_multipart_add(alt, part);
	g_object_unref(part);
	free(text);
	free(html);
	for (size_t i = 0; i < t->n_files; i++) {
		if (t->files[i].state != EXPORT_FILE_ATTACHED)
			continue;
		if (mixed == NULL) {
			mixed = g_mime_multipart_new_with_subtype("mixed");
			g_mime_multipart_add(mixed, GMIME_OBJECT(alt));
			g_object_unref(alt);
		}
		part = export_file_part(&t->msgs[t->files[i].msg], &t->files[i]);
		g_mime_multipart_add(mixed, part);
		g_object_unref(part);
	}
	return GMIME_OBJECT(mixed != NULL ? mixed : alt);
}

static char *
export_message_id(const char *from)
{
	unsigned char r[16];
	struct buf b = {0};

	nt_random(r, sizeof r);
	for (size_t i = 0; i < sizeof r; i++)
		buf_printf(&b, "%02x", r[i]);
	buf_printf(&b, ".natter@%s", strrchr(from, '@') + 1);
	return buf_steal(&b);
}

static void
export_headers(GMimeMessage *msg, const struct export_thread *t, const struct export_opts *o,
    const char *message_id)
{
	int64_t ms = o->date_ms != 0 ? o->date_ms : nt_now_ms();
	GDateTime *date = g_date_time_new_from_unix_local(ms / 1000);
	char *subject = o->subject != NULL ? mail_header_text(o->subject) :
	    export_default_subject(t);

	export_add_mailboxes(msg, GMIME_ADDRESS_TYPE_FROM, "From", &o->from, 1);
	export_add_mailboxes(msg, GMIME_ADDRESS_TYPE_TO, "To", o->to, o->n_to);
	export_add_mailboxes(msg, GMIME_ADDRESS_TYPE_CC, "Cc", o->cc, o->n_cc);
	export_put_header(msg, "Subject", subject);
	g_mime_message_set_date(msg, date);
	g_mime_message_set_message_id(msg, message_id);
	export_room_headers(msg, t);
	if (t->n > 0) {
		export_add_header(msg, "X-Natter-First-Event", t->msgs[0].event_id);
		export_add_header(msg, "X-Natter-Last-Event", export_newest(t)->event_id);
	}
	g_date_time_unref(date);
	free(subject);
}

/* The addresses again, as mail_addr_parse would have them: a caller
 * that filled export_opts by hand gets the same checks. */
static int
export_opts_check(const struct export_opts *o, char **cause)
{
	const struct mail_addr *lists[] = {o->to, o->cc};
	size_t counts[] = {o->n_to, o->n_cc};

	const char *bad = NULL;
	char *safe;

	if (o->from.addr == NULL || !mail_addr_valid(o->from.addr))
		bad = o->from.addr != NULL ? o->from.addr : "";
	for (size_t l = 0; l < NT_NELEMS(lists) && bad == NULL; l++) {
		for (size_t i = 0; i < counts[l] && bad == NULL; i++) {
			if (lists[l][i].addr == NULL || !mail_addr_valid(lists[l][i].addr))
				bad = lists[l][i].addr != NULL ? lists[l][i].addr : "";
		}
	}
	if (bad == NULL)
		return 0;
	safe = san_text(bad, 0);
	cause_set(cause, "not a mail address: \"%s\"", safe);
	free(safe);
	return -1;
}

static void
export_envelope(const struct export_opts *o, struct export_mail *m)
{
	m->envelope_from = xstrdup(o->from.addr);
	m->rcpts = xreallocarray(NULL, o->n_to + o->n_cc + 1, sizeof *m->rcpts);
	for (size_t i = 0; i < o->n_to; i++)
		m->rcpts[m->n_rcpts++] = xstrdup(o->to[i].addr);
	for (size_t i = 0; i < o->n_cc; i++)
		m->rcpts[m->n_rcpts++] = xstrdup(o->cc[i].addr);
}

int
export_mail_build(const struct export_thread *t, const struct export_opts *o,
    struct export_mail *m, char **cause)
{
	GMimeMessage *msg;
	GMimeObject *body;
	GMimeFormatOptions *fo;
	GMimeStream *out;
	GByteArray *bytes;

	memset(m, 0, sizeof *m);
	if (export_opts_check(o, cause) == -1)
		return -1;
	export_gmime_init();
	msg = g_mime_message_new(TRUE);
	m->message_id = export_message_id(o->from.addr);
	export_headers(msg, t, o, m->message_id);
	body = export_body(t, o);
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	out = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, out);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	m->len = bytes->len;
	m->data = xmalloc(bytes->len + 1);
	memcpy(m->data, bytes->data, bytes->len);
	m->data[m->len] = '\0';
	g_object_unref(out);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	export_envelope(o, m);
	return 0;
}

void
export_mail_clear(struct export_mail *m)
{
	free(m->data);
	free(m->message_id);
	free(m->envelope_from);
	for (size_t i = 0; i < m->n_rcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	memset(m, 0, sizeof *m);
}
