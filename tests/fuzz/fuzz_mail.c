/* libFuzzer target: a thread whose room names, sender names, bodies,
 * file names and types, subject and addresses come from the input, made
 * into a mail with export_mail_build. The mail must be one a mail server
 * takes and a reader shows as meant: CRLF line ends only, no line over
 * 998 octets, 7-bit headers whose encoded-words are well formed and hold
 * whole UTF-8 characters, no header but those natter writes (no
 * injection), and, parsed back with GMime, the subject, names, rooms,
 * transcripts and attachments that went in.
 *
 * The input is fields split by NUL: flags, subject (or search), room
 * name, room id, From, To, file name, MIME type, then a sender name and a
 * body for each message. Flags: d default subject, m two rooms, q a
 * search, a files attached, o files over the cap, e emotes, r replies,
 * x a deletion, s a member event, c a Cc. FUZZ_MAIL_DUMP=1 in the
 * environment prints each mail to stderr. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "natter/export.h"
#include "natter/sanitize.h"
#include "natter/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS_FIXED 8
#define MSGS_MAX 12
#define T0 1715608980000LL

enum { F_FLAGS, F_SUBJECT, F_ROOM, F_ROOM_ID, F_FROM, F_TO, F_FILENAME, F_MIMETYPE };

struct input {
	const char *f[FIELDS_FIXED + 2 * MSGS_MAX];
	size_t n;
	const char *flags;
};

/* A broken promise aborts, naming itself, so the fuzzer reports it. */
#define check(ok) ((ok) ? (void)0 : fail(__LINE__, #ok))

static void
fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_mail.c:%d: check failed: %s\n", line, what);
	abort();
}

static const char *
field(const struct input *in, size_t i)
{
	return i < in->n ? in->f[i] : "";
}

static int
flag(const struct input *in, char c)
{
	return strchr(in->flags, c) != NULL;
}

/* data is NUL-terminated by the caller: fields end at each NUL. */
static void
input_split(const char *data, size_t size, struct input *in)
{
	const char *p = data, *end = data + size;

	in->n = 0;
	while (in->n < NT_NELEMS(in->f)) {
		in->f[in->n++] = p;
		p += strlen(p) + 1;
		if (p > end)
			break;
	}
	in->flags = field(in, F_FLAGS);
}

static int
file_fd(const char *bytes)
{
	int fd = memfd_create("attachment", MFD_CLOEXEC);
	size_t len = strlen(bytes);

	check(fd != -1 && write(fd, bytes, len) == (ssize_t)len);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void
add_file(struct export_thread *t, const struct input *in, size_t i)
{
	struct store_msg *m = &t->msgs[i];

	m->msgtype = xstrdup("m.file");
	m->url = xstrdup("mxc://hs/file");
	m->filename = field(in, F_FILENAME)[0] != '\0' ? xstrdup(field(in, F_FILENAME)) : NULL;
	m->mimetype = xstrdup(field(in, F_MIMETYPE));
	m->size = (int64_t)strlen(m->body);
	t->files = xreallocarray(t->files, t->n_files + 1, sizeof *t->files);
	t->files[t->n_files++] = (struct export_file){
		.msg = i, .size = m->size,
		.state = flag(in, 'a') ? EXPORT_FILE_ATTACHED : EXPORT_FILE_OVER_CAP,
		.fd = flag(in, 'a') ? file_fd(m->body) : -1,
	};
}

static void
add_msg(struct export_thread *t, const struct input *in, const char *name, const char *body)
{
	size_t i = t->n;
	struct store_msg *m;

	t->msgs = xreallocarray(t->msgs, t->n + 1, sizeof *t->msgs);
	m = &t->msgs[t->n++];
	memset(m, 0, sizeof *m);
	m->seq = (int64_t)i + 1;
	m->room_id = xstrdup(t->n_rooms > 0 ? t->rooms[t->n_rooms - 1].room_id : t->room_id);
	if (t->n_rooms > 0)
		t->rooms[t->n_rooms - 1].n++;
	m->event_id = xasprintf("$%zu%s", i, i == 0 ? field(in, F_ROOM_ID) : "");
	m->type = xstrdup("m.room.message");
	m->sender = xstrdup("@someone:hs");
	m->sender_name = xstrdup(name);
	m->ts = T0 + (int64_t)i * 7 * 3600 * 1000;
	m->body = xstrdup(body);
	m->size = -1;
	if (i == 0 && flag(in, 's')) {
		free(m->type);
		m->type = xstrdup("m.room.member");
		m->state_key = xstrdup(body);
		m->membership = MX_MEMBERSHIP_JOIN;
		return;
	}
	if ((flag(in, 'a') || flag(in, 'o')) && i % 2 == 1)
		add_file(t, in, i);
	else
		m->msgtype = xstrdup(flag(in, 'e') && i % 2 == 0 ? "m.emote" : "m.text");
	m->redacted = flag(in, 'x') && i == 1;
	if (flag(in, 'r') && i > 0)
		m->reply_to = xasprintf("$%zu%s", i - 1, i == 1 ? field(in, F_ROOM_ID) : "");
}

static void
add_room(struct export_thread *t, const char *id, const char *name)
{
	t->rooms = xreallocarray(t->rooms, t->n_rooms + 1, sizeof *t->rooms);
	t->rooms[t->n_rooms++] = (struct export_room){xstrdup(id), xstrdup(name), t->n, 0};
}

static void
thread_build(struct export_thread *t, const struct input *in)
{
	size_t msgs = in->n > FIELDS_FIXED ? (in->n - FIELDS_FIXED + 1) / 2 : 0;

	memset(t, 0, sizeof *t);
	if (flag(in, 'm')) {
		t->query = flag(in, 'q') ? xstrdup(field(in, F_SUBJECT)) : NULL;
		add_room(t, field(in, F_ROOM_ID), field(in, F_ROOM));
	} else {
		t->room_id = xstrdup(field(in, F_ROOM_ID));
		t->room_name = xstrdup(field(in, F_ROOM));
	}
	for (size_t k = 0; k < msgs; k++) {
		if (flag(in, 'm') && k == msgs / 2 && k > 0)
			add_room(t, "!second:hs", field(in, F_ROOM));
		add_msg(t, in, field(in, FIELDS_FIXED + 2 * k), field(in, FIELDS_FIXED + 2 * k + 1));
	}
}

/* An address from the input when it parses, else the input as the name
 * of a fixed address, as a caller that fills export_opts itself might. */
static void
addr_from(const char *spec, const char *fallback, struct mail_addr *a)
{
	if (mail_addr_parse(spec, a, NULL) == 0) {
		check(mail_addr_valid(a->addr));
		check(a->name == NULL || strpbrk(a->name, "\r\n<>") == NULL);
		return;
	}
	a->name = spec[0] != '\0' ? xstrdup(spec) : NULL;
	a->addr = xstrdup(fallback);
}

/* Every line ends in CRLF and holds at most 998 octets before it. */
static void
check_lines(const struct export_mail *m)
{
	size_t line = 0;

	check(m->len >= 2 && memcmp(m->data + m->len - 2, "\r\n", 2) == 0);
	for (size_t i = 0; i < m->len; i++) {
		check(m->data[i] != '\0');
		if (m->data[i] == '\r') {
			check(i + 1 < m->len && m->data[i + 1] == '\n');
			check(line <= 998);
			line = 0;
			i++;
		} else {
			check(m->data[i] != '\n');
			line++;
		}
	}
}

static int
b64_value(char c)
{
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

static void
decode_b(const char *s, size_t len, struct buf *out)
{
	unsigned bits = 0, nbits = 0;
	size_t i = 0;

	check(len % 4 == 0);
	for (; i < len && s[i] != '='; i++) {
		int v = b64_value(s[i]);

		check(v >= 0);
		bits = (bits << 6) | (unsigned)v;
		if ((nbits += 6) >= 8) {
			nbits -= 8;
			buf_putc(out, (char)((bits >> nbits) & 0xff));
		}
	}
	check(len - i <= 2 && strspn(s + i, "=") >= len - i);
}

static int
hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void
decode_q(const char *s, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_')
			buf_putc(out, ' ');
		else if (s[i] == '=') {
			check(i + 2 < len && hex_value(s[i + 1]) >= 0 &&
			    hex_value(s[i + 2]) >= 0);
			buf_putc(out, (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
			i += 2;
		} else {
			check(s[i] > 0x20 && s[i] < 0x7f && s[i] != '?');
			buf_putc(out, s[i]);
		}
	}
}

/* One encoded-word at p (after "=?"): =?utf-8?B|Q?text?=, at most 75
 * characters, whole UTF-8 characters inside; returns its length. */
static size_t
check_encoded_word(const char *p, size_t avail)
{
	const char *cs = p + 2, *enc, *text, *end;
	struct buf dec = {0};
	size_t len;

	enc = memchr(cs, '?', avail - 2);
	check(enc != NULL && enc > cs && enc + 3 < p + avail && enc[2] == '?');
	check(strncasecmp(cs, "utf-8?", 6) == 0 && strchr("BbQq", enc[1]) != NULL);
	text = enc + 3;
	end = memchr(text, '?', (size_t)(p + avail - text));
	check(end != NULL && end + 1 < p + avail && end[1] == '=');
	len = (size_t)(end + 2 - p);
	check(len <= 75 && memchr(p, ' ', len) == NULL && memchr(p, '\t', len) == NULL);
	if (enc[1] == 'B' || enc[1] == 'b')
		decode_b(text, (size_t)(end - text), &dec);
	else
		decode_q(text, (size_t)(end - text), &dec);
	check(dec.len > 0 && san_utf8_valid(dec.data, dec.len));
	buf_free(&dec);
	return len;
}

/* Whether c is in an address ("=?a?@example.org" is one), which is
 * no encoded-word: its token, from a blank, '<' or ',' to the next,
 * holds an '@'. */
static int
in_address(const char *line, const char *c, const char *end)
{
	const char *a = c, *b = c;

	while (a > line && strchr(" \t<,", a[-1]) == NULL)
		a--;
	while (b < end && strchr(" \t>,", *b) == NULL)
		b++;
	return memchr(a, '@', (size_t)(b - a)) != NULL;
}

static const char *const header_names[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-Id", "MIME-Version", "Content-Type",
	"X-Natter-Room", "X-Natter-Room-Id", "X-Natter-First-Event", "X-Natter-Last-Event",
};

static void
check_header_name(const char *line, size_t len, int cc)
{
	const char *colon = memchr(line, ':', len);

	check(colon != NULL);
	for (size_t i = 0; i < NT_NELEMS(header_names); i++) {
		if (strlen(header_names[i]) == (size_t)(colon - line) &&
		    strncasecmp(line, header_names[i], (size_t)(colon - line)) == 0) {
			check(cc || strcmp(header_names[i], "Cc") != 0);
			return;
		}
	}
	check(!"a header natter does not write");
}

/* The header block: printable ASCII, only natter's own fields, every
 * "=?" the start of a well-formed encoded-word. */
static size_t
check_headers(const struct export_mail *m, int cc)
{
	const char *end = strstr(m->data, "\r\n\r\n"), *p = m->data, *nl;

	check(end != NULL);
	for (; p < end + 2; p = nl + 2) {
		nl = strstr(p, "\r\n");
		if (*p != ' ' && *p != '\t')
			check_header_name(p, (size_t)(nl - p), cc);
		for (const char *c = p; c < nl; c++) {
			check((*c >= 0x20 && *c < 0x7f) || *c == '\t');
			if (c[0] == '=' && c[1] == '?' && !in_address(p, c, nl))
				c += check_encoded_word(c, (size_t)(nl - c)) - 1;
		}
	}
	return (size_t)(end + 4 - m->data);
}

static GMimeMessage *
parse_back(const struct export_mail *m)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(m->data, m->len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	check(msg != NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	return msg;
}

/* The same local part, and the same domain but for case; GMime turns an
 * xn-- label (an IDN) into Unicode, which is the reader's business. */
static void
check_same_addr(const char *got, const char *want)
{
	const char *at = strrchr(want, '@'), *got_at = strrchr(got, '@');

	check(at != NULL && got_at != NULL && got_at - got == at - want);
	check(strncmp(got, want, (size_t)(at - want)) == 0);
	check(strcasestr(at, "xn--") != NULL || strcasecmp(got_at, at) == 0);
}

static void
check_mailbox(GMimeMessage *msg, GMimeAddressType type, const struct mail_addr *a)
{
	InternetAddressList *list = g_mime_message_get_addresses(msg, type);
	InternetAddress *ia;
	char *name = a->name != NULL ? mail_header_text(a->name) : NULL;
	const char *got;

	check(internet_address_list_length(list) == 1);
	ia = internet_address_list_get_address(list, 0);
	check(INTERNET_ADDRESS_IS_MAILBOX(ia));
	check_same_addr(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)), a->addr);
	got = internet_address_get_name(ia);
	check(strcmp(got != NULL ? got : "", name != NULL ? name : "") == 0);
	free(name);
}

static void
check_header_value(GMimeMessage *msg, const char *name, const char *want)
{
	const char *got = g_mime_object_get_header(GMIME_OBJECT(msg), name);
	char *safe = mail_header_text(want);

	check(strcmp(got != NULL ? got : "", safe) == 0);
	free(safe);
}

/* Decoded content of a part, LF line ends. */
static char *
part_text(GMimeObject *obj)
{
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));
	GMimeStream *out = g_mime_stream_mem_new();
	GByteArray *bytes;
	struct buf b = {0};

	g_mime_data_wrapper_write_to_stream(content, out);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	for (guint i = 0; i < bytes->len; i++) {
		if (bytes->data[i] != '\r' || i + 1 >= bytes->len || bytes->data[i + 1] != '\n')
			buf_putc(&b, (char)bytes->data[i]);
	}
	g_object_unref(out);
	return buf_steal(&b);
}

static void
check_alternative(GMimeObject *alt, const struct export_thread *t, const struct export_opts *o)
{
	char *text = export_render_text(t, &o->render), *html = export_render_html(t, &o->render);
	char *got;

	check(GMIME_IS_MULTIPART(alt) && g_mime_multipart_get_count(GMIME_MULTIPART(alt)) == 2);
	got = part_text(g_mime_multipart_get_part(GMIME_MULTIPART(alt), 0));
	check(strcmp(got, text) == 0);
	free(got);
	got = part_text(g_mime_multipart_get_part(GMIME_MULTIPART(alt), 1));
	check(strcmp(got, html) == 0);
	free(got);
	free(text);
	free(html);
}

static void
check_attachment(GMimeObject *obj, const struct export_thread *t, size_t file)
{
	const struct store_msg *m = &t->msgs[t->files[file].msg];
	char *safe = san_filename(m->filename != NULL ? m->filename : m->body);
	const char *name = g_mime_part_get_filename(GMIME_PART(obj));
	struct buf want = {0};
	char *bytes;

	/* natter puts an unseen U+2060 between '=' and '?' (no encoded-word). */
	for (const char *p = safe; *p != '\0'; p++) {
		buf_putc(&want, *p);
		if (p[0] == '=' && p[1] == '?')
			buf_puts(&want, "\u2060");
	}
	check(name != NULL && strcmp(name, want.data) == 0);
	bytes = part_text(obj);
	check(strcmp(bytes, m->body) == 0 || strchr(m->body, '\r') != NULL);
	free(bytes);
	buf_free(&want);
	free(safe);
}

static void
check_body(GMimeMessage *msg, const struct export_thread *t, const struct export_opts *o)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	size_t attached = 0, k = 1;

	for (size_t i = 0; i < t->n_files; i++)
		attached += t->files[i].state == EXPORT_FILE_ATTACHED;
	if (attached == 0) {
		check_alternative(top, t, o);
		return;
	}
	check(GMIME_IS_MULTIPART(top));
	check(g_mime_multipart_get_count(GMIME_MULTIPART(top)) == (int)attached + 1);
	check_alternative(g_mime_multipart_get_part(GMIME_MULTIPART(top), 0), t, o);
	for (size_t i = 0; i < t->n_files; i++) {
		if (t->files[i].state == EXPORT_FILE_ATTACHED)
			check_attachment(g_mime_multipart_get_part(GMIME_MULTIPART(top), (int)k++),
			    t, i);
	}
}

static void
check_parsed(const struct export_mail *m, const struct export_thread *t,
    const struct export_opts *o)
{
	GMimeMessage *msg = parse_back(m);
	char *subject = o->subject != NULL ? mail_header_text(o->subject) :
	    export_default_subject(t);
	const char *got = g_mime_message_get_subject(msg);

	if (getenv("FUZZ_MAIL_DUMP") != NULL)
		fprintf(stderr, "subject: [%s]\nwanted:  [%s]\n", got, subject);
	check(strcmp(got != NULL ? got : "", subject) == 0);
	check_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, &o->from);
	check_mailbox(msg, GMIME_ADDRESS_TYPE_TO, &o->to[0]);
	if (o->n_cc > 0)
		check_mailbox(msg, GMIME_ADDRESS_TYPE_CC, &o->cc[0]);
	check(internet_address_list_length(g_mime_message_get_addresses(msg,
	    GMIME_ADDRESS_TYPE_BCC)) == 0);
	check_header_value(msg, "X-Natter-Room", t->n_rooms > 0 ? t->rooms[0].room_name :
	    t->room_name);
	check_body(msg, t, o);
	free(subject);
	g_object_unref(msg);
}

static void
check_mail(const struct export_mail *m, const struct export_thread *t,
    const struct export_opts *o)
{
	check_lines(m);
	check_headers(m, o->n_cc > 0);
	check(strcmp(m->envelope_from, o->from.addr) == 0);
	check(m->n_rcpts == o->n_to + o->n_cc);
	for (size_t i = 0; i < m->n_rcpts; i++)
		check(mail_addr_valid(m->rcpts[i]));
	check_parsed(m, t, o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *copy = xmalloc(size + 1);
	struct input in;
	struct export_thread t;
	struct mail_addr from, to, cc = {NULL, "cc@example.net"};
	struct export_opts o = {.n_to = 1, .date_ms = T0, .render.cap = 1024};
	struct export_mail m;

	if (!ready) {
		setenv("TZ", "UTC", 1);
		g_mime_init();
		ready = 1;
	}
	memcpy(copy, data, size);
	copy[size] = '\0';
	input_split(copy, size, &in);
	thread_build(&t, &in);
	addr_from(field(&in, F_FROM), "sam@example.org", &from);
	addr_from(field(&in, F_TO), "boss@example.com", &to);
	o.from = from;
	o.to = &to;
	o.cc = &cc;
	o.n_cc = flag(&in, 'c');
	o.subject = flag(&in, 'd') ? NULL : field(&in, F_SUBJECT);
	check(export_mail_build(&t, &o, &m, NULL) == 0);
	if (getenv("FUZZ_MAIL_DUMP") != NULL)
		fwrite(m.data, 1, m.len, stderr);
	check_mail(&m, &t, &o);
	export_mail_clear(&m);
	mail_addr_clear(&from);
	mail_addr_clear(&to);
	export_thread_clear(&t);
	free(copy);
	return 0;
}
