/* Output of the command line: text for people, made inert, and one
 * JSON object a line for scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-private.h"
#include "natter/msg.h"
#include "natter/sanitize.h"

void
cli_print_text(FILE *f, const char *s, int flags)
{
	char *safe = san_text(s != NULL ? s : "", flags);

	fputs(safe, f);
	free(safe);
}

void
cli_format_time(int64_t ms, char *out, size_t size)
{
	nt_local_time(ms, "%Y-%m-%d %H:%M", "?               ", out, size);
}

char *
cli_text_arg(int argc, char **argv, char **cause)
{
	struct buf b = {0};
	char chunk[4096];
	size_t n;

	if (argc > 0) {
		for (int i = 0; i < argc; i++) {
			if (i > 0)
				buf_putc(&b, ' ');
			buf_puts(&b, argv[i]);
		}
		return buf_steal(&b);
	}
	if (isatty(STDIN_FILENO))
		fputs("(type the message, end with Ctrl-D)\n", stderr);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_add(&b, chunk, n);
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (b.len == 0 || !san_utf8_valid(b.data, b.len)) {
		cause_set(cause, b.len == 0 ? "nothing to send: the message is empty" :
		    "the message is not valid UTF-8 text");
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

void
cli_json_str(struct buf *b, const char *key, const char *value, int *first)
{
	if (value == NULL)
		return;
	buf_puts(b, *first ? "{" : ",");
	*first = 0;
	san_json_string(b, key);
	buf_putc(b, ':');
	san_json_string(b, value);
}

void
cli_json_int(struct buf *b, const char *key, int64_t value, int *first)
{
	buf_puts(b, *first ? "{" : ",");
	*first = 0;
	san_json_string(b, key);
	buf_printf(b, ":%lld", (long long)value);
}

void
cli_json_bool(struct buf *b, const char *key, int value, int *first)
{
	buf_puts(b, *first ? "{" : ",");
	*first = 0;
	san_json_string(b, key);
	buf_puts(b, value ? ":true" : ":false");
}

void
cli_json_msg(struct buf *b, const struct store_msg *m, const char *room_id)
{
	char *reactions;
	int first = 1;

	cli_json_str(b, "room_id", room_id, &first);
	cli_json_str(b, "event_id", m->event_id, &first);
	cli_json_str(b, "type", m->type, &first);
	cli_json_str(b, "sender", m->sender, &first);
	cli_json_str(b, "sender_name", m->sender_name, &first);
	cli_json_int(b, "ts", m->ts, &first);
	cli_json_str(b, "msgtype", m->msgtype, &first);
	cli_json_str(b, "body", m->body, &first);
	cli_json_bool(b, "edited", m->edited, &first);
	cli_json_bool(b, "redacted", m->redacted, &first);
	cli_json_str(b, "reply_to", m->reply_to, &first);
	cli_json_str(b, "thread_root", m->thread_root, &first);
	if (m->thread_replies > 0) {
		cli_json_int(b, "thread_replies", m->thread_replies, &first);
		cli_json_str(b, "thread_last_sender", m->thread_last_sender, &first);
		cli_json_int(b, "thread_last_ts", m->thread_last_ts, &first);
	}
	reactions = msg_reactions_text(m->reactions, m->n_reactions);
	cli_json_str(b, "reactions", reactions, &first);
	free(reactions);
	cli_json_str(b, "encryption", m->encryption, &first);
	cli_json_str(b, "sender_trust", m->sender_trust, &first);
	cli_json_str(b, "url", m->url, &first);
	cli_json_str(b, "filename", m->filename, &first);
	cli_json_str(b, "state_key", m->state_key, &first);
	if (m->membership != MX_MEMBERSHIP_NONE)
		cli_json_str(b, "membership", store_membership_name(m->membership), &first);
	buf_puts(b, "}\n");
}

/* "Dana joined", "Dana changed the topic", ... for state events. */
static void
cli_print_state(FILE *f, const struct store_msg *m)
{
	const char *what = msg_state_verb(m->type);

	if (strcmp(m->type, "m.room.member") == 0) {
		const char *who = m->state_key == NULL || strcmp(m->state_key, m->sender) == 0 ?
		    m->sender_name : m->state_key;

		fputs("— ", f);
		cli_print_text(f, who, 0);
		fprintf(f, " %s\n", msg_member_verb(m->membership));
		return;
	}
	fputs("— ", f);
	cli_print_text(f, m->sender_name, 0);
	if (what != NULL)
		fprintf(f, " %s", what);
	else {
		fputs(" set ", f);
		cli_print_text(f, m->type, 0);
	}
	if (m->body != NULL) {
		fputs(": ", f);
		cli_print_text(f, m->body, 0);
	}
	fputc('\n', f);
}

/* The body, with continuation lines indented under the first. */
static void
cli_print_body(FILE *f, const char *body)
{
	char *safe = san_text(body, SAN_MULTILINE);

	for (char *p = safe; *p != '\0'; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fputs("      ", f);
	}
	free(safe);
}

static void
cli_print_content(FILE *f, const struct store_msg *m)
{
	char *note;

	if (m->redacted) {
		fputs("(message deleted)", f);
		return;
	}
	if (m->url != NULL || (m->msgtype != NULL && strcmp(m->msgtype, "m.file") == 0)) {
		fputs("[", f);
		cli_print_text(f, m->msgtype != NULL && strncmp(m->msgtype, "m.", 2) == 0 ?
		    m->msgtype + 2 : "file", 0);
		fputs("] ", f);
		cli_print_text(f, m->filename ? m->filename : m->body, 0);
		if (m->size >= 0)
			fprintf(f, " (%lld bytes)", (long long)m->size);
		return;
	}
	if (m->body != NULL)
		cli_print_body(f, m->body);
	else if ((note = msg_encrypted_note(m->encryption)) != NULL) {
		cli_print_text(f, note, 0);
		free(note);
	} else {
		fputs("[", f);
		cli_print_text(f, m->type, 0);
		fputs("]", f);
	}
}

/* Under a thread's root: how many replies, and the latest. */
static void
cli_print_thread(FILE *f, const struct store_msg *m)
{
	char when[32], *line;

	cli_format_time(m->thread_last_ts, when, sizeof when);
	line = msg_thread_summary(m->thread_replies, m->thread_last_name, when,
	    m->thread_last_body, 40);
	if (line == NULL)
		return;
	fputs("                  [thread: ", f);
	cli_print_text(f, line, 0);
	fputs("]\n", f);
	free(line);
}

void
cli_print_msg(FILE *f, const struct store_msg *m, const struct store_msg *quoted, int flags)
{
	int ids = flags & CLI_MSG_IDS;
	char when[32], *reactions;
	int emote = m->msgtype != NULL && strcmp(m->msgtype, "m.emote") == 0;

	/* Room plumbing people do not read; --json still lists it. */
	if (m->state_key != NULL && msg_state_hidden(m->type))
		return;
	cli_format_time(m->ts, when, sizeof when);
	fprintf(f, "%s  ", when);
	if (m->state_key != NULL && m->msgtype == NULL) {
		cli_print_state(f, m);
		return;
	}
	if (m->reply_to != NULL) {
		fputs("↳ ", f);
		if (quoted != NULL) {
			cli_print_text(f, quoted->sender_name, 0);
			fputs(": \"", f);
			cli_print_text(f, quoted->body ? quoted->body : "…", 0);
			fputs("\"\n                  ", f);
		} else
			fputs("(reply)\n                  ", f);
	}
	fputs(emote ? "* " : "", f);
	cli_print_text(f, m->sender_name, 0);
	fputs(emote ? " " : ": ", f);
	cli_print_content(f, m);
	if (m->edited && !m->redacted)
		fputs(" (edited)", f);
	if (msg_trust_note(m->sender_trust) != NULL)
		fprintf(f, " [%s]", msg_trust_note(m->sender_trust));
	if (m->thread_root != NULL && !(flags & CLI_MSG_THREAD)) {
		fputs(" [in thread ", f);
		cli_print_text(f, m->thread_root, 0);
		fputc(']', f);
	}
	if (ids) {
		fputs("  ", f);
		cli_print_text(f, m->event_id, 0);
	}
	fputc('\n', f);
	if ((reactions = msg_reactions_text(m->reactions, m->n_reactions)) != NULL) {
		fputs("                  ", f);
		cli_print_text(f, reactions, 0);
		fputc('\n', f);
		free(reactions);
	}
	if (!(flags & CLI_MSG_THREAD))
		cli_print_thread(f, m);
}
