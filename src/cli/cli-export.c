/* natter export: a conversation from the cache as one e-mail, sent or
 * written to a file. What the cache lacks of the room or the time asked
 * for is fetched first; what cannot be is named in the mail. A delivery
 * that fails keeps the mail as an .eml. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-private.h"
#include "natter/export.h"
#include "natter/search.h"

/* Mail written to a file needs a From; without one configured it says
 * where it came from. */
#define CLI_EXPORT_FROM_LOCAL "natter <natter@localhost>"

struct cli_export {
	const char *room;		/* NULL: the results of --query in every room */
	const char *since, *until;
	const char *first, *last;
	const char *query;
	const char *from, *to, *cc, *subject;
	const char *eml, *mbox;
	int attachments, sendmail, force;
	int flags;		/* EXPORT_DELETED */
};

static int
cli_export_fail(const char *cause)
{
	return cli_fail("export: %s", cause);
}

static int
cli_export_args(struct cli_export *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"first", required_argument, NULL, '1'},
		{"last", required_argument, NULL, '2'},
		{"query", required_argument, NULL, 'q'},
		{"attachments", no_argument, NULL, 'a'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"cc", required_argument, NULL, 'c'},
		{"subject", required_argument, NULL, 'S'},
		{"eml", required_argument, NULL, 'e'},
		{"mbox", required_argument, NULL, 'm'},
		{"force", no_argument, NULL, 'F'},
		{"sendmail", no_argument, NULL, 'M'},
		{"include-deleted", no_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': x->since = optarg; break;
		case 'u': x->until = optarg; break;
		case '1': x->first = optarg; break;
		case '2': x->last = optarg; break;
		case 'q': x->query = optarg; break;
		case 'a': x->attachments = 1; break;
		case 'f': x->from = optarg; break;
		case 't': x->to = optarg; break;
		case 'c': x->cc = optarg; break;
		case 'S': x->subject = optarg; break;
		case 'e': x->eml = optarg; break;
		case 'm': x->mbox = optarg; break;
		case 'F': x->force = 1; break;
		case 'M': x->sendmail = 1; break;
		case 'D': x->flags |= EXPORT_DELETED; break;
		default: return -1;
		}
	}
	/* Search results may come from every room; other threads need one. */
	if (optind + 1 == argc)
		x->room = argv[optind];
	else if (optind != argc || x->query == NULL)
		return -1;
	/* One kind of thread; one place for the mail. */
	if ((x->first != NULL) != (x->last != NULL) ||
	    (x->first != NULL) + (x->query != NULL) + (x->since != NULL || x->until != NULL) > 1)
		return -1;
	if ((x->eml != NULL) + (x->mbox != NULL) > 1 || (x->eml == NULL && x->mbox == NULL &&
	    x->to == NULL) || (x->force && x->eml == NULL) ||
	    (x->sendmail && (x->eml != NULL || x->mbox != NULL)))
		return -1;
	return 0;
}

static int
cli_export_search(struct cli *cli, const struct cli_export *x, const char *room_id,
    struct export_thread *t, char **cause)
{
	struct search_opts so = {.room_id = room_id, .limit = SEARCH_LIMIT_MAX};
	struct search_hit *hits = NULL;
	char **ids;
	size_t n = 0;
	int rc;

	if (search_run(core_store(cli->core), x->query, &so, &hits, &n, cause) == -1)
		return -1;
	if (n == 0 && room_id == NULL) {
		search_hits_free(&hits, n);
		return cause_set(cause, "nothing to export: no message in the cache matches that "
		    "search");
	}
	ids = xreallocarray(NULL, n + 1, sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = hits[i].event_id;
	rc = export_load_events(core_store(cli->core), room_id, ids, n, x->flags, t, cause);
	if (rc == 0)
		t->query = xstrdup(x->query);
	free(ids);
	search_hits_free(&hits, n);
	return rc;
}

/* The part of a room a thread is: since <= ts < until, and for
 * --first/--last (by_seq) also the seqs of those events. */
struct cli_export_span {
	int64_t since, until;
	int by_seq;
	int64_t lo_seq, hi_seq;
};

/* The span a thread of one room is. For --first/--last, from just after
 * the first event's time (a gap just below it is not the thread's) to
 * the last one's; both events must be cached. */
static int
cli_export_times(struct cli *cli, const struct cli_export *x, struct cli_export_span *sp,
    char **cause)
{
	struct store *st = core_store(cli->core);
	struct store_msg a, b;

	sp->since = INT64_MIN;
	sp->until = INT64_MAX;
	if (x->first != NULL) {
		if (store_msg_get(st, x->first, &a, cause) == -1)
			return -1;
		if (store_msg_get(st, x->last, &b, cause) == -1) {
			store_msg_clear(&a);
			return -1;
		}
		sp->by_seq = 1;
		sp->lo_seq = a.seq < b.seq ? a.seq : b.seq;
		sp->hi_seq = a.seq < b.seq ? b.seq : a.seq;
		sp->since = (a.ts < b.ts ? a.ts : b.ts) + 1;
		sp->until = (a.ts < b.ts ? b.ts : a.ts) + 1;
		store_msg_clear(&a);
		store_msg_clear(&b);
		return 0;
	}
	if ((x->since != NULL && export_parse_date(x->since, 0, &sp->since, cause) == -1) ||
	    (x->until != NULL && export_parse_date(x->until, 1, &sp->until, cause) == -1))
		return -1;
	if (x->since != NULL && x->until != NULL && sp->since >= sp->until)
		return cause_set(cause, "--since %s is not before --until %s", x->since, x->until);
	return 0;
}

static int
cli_export_load(struct cli *cli, const struct cli_export *x, const char *room_id,
    const struct cli_export_span *sp, struct export_thread *t, char **cause)
{
	if (x->first != NULL)
		return export_load_range(core_store(cli->core), room_id, x->first, x->last,
		    x->flags, t, cause);
	if (x->query != NULL)
		return cli_export_search(cli, x, room_id, t, cause);
	return export_load_room(core_store(cli->core), room_id,
	    sp->since == INT64_MIN ? 0 : sp->since, sp->until, x->flags, t, cause);
}

/* What fetching older messages has shown so far. */
struct cli_export_fill {
	int tty;		/* stderr is a terminal: one line, rewritten */
	int line_open;
};

static void
cli_export_fill_progress(const struct core_backfill_progress *p, void *arg)
{
	struct cli_export_fill *f = arg;

	if (p->done && p->added == 0)
		return;
	fputs(f->tty ? "\r\033[K" : "", stderr);
	fputs("export: fetching older messages of ", stderr);
	cli_print_text(stderr, p->name, 0);
	fprintf(stderr, ": %lld so far%s", (long long)p->added, p->done ? ", done" : "");
	f->line_open = f->tty && !p->done;
	if (!f->line_open)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Pages in what the cache lacks of the span, back to the room's
 * creation at most. A failure is said on stderr and is no error: the
 * mail then says what it covers. */
static void
cli_export_fill(struct cli *cli, const char *room_id, const struct cli_export_span *sp)
{
	struct cli_export_fill f = {.tty = isatty(fileno(stderr))};
	struct core_result r = {0};
	char *cause = NULL;

	if (!core_logged_in(cli->core))
		return;
	if (cli_finish(cli, core_backfill_span(cli->core, room_id, sp->since, sp->until,
	    cli_export_fill_progress, &f, core_result_cb, &r, &cause), &r, &cause) != CORE_DONE)
		cli_fail("export: cannot fetch older messages: %s", cause);
	if (f.line_open)
		fputc('\n', stderr);
	core_result_clear(&r);
	free(cause);
}

/* "12 Nov 09:14", with the year when it is not this one. */
static void
cli_export_when(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, tn;

	if (localtime_r(&t, &tm) == NULL || localtime_r(&now, &tn) == NULL ||
	    strftime(out, size, tm.tm_year == tn.tm_year ? "%-d %b %H:%M" : "%-d %b %Y %H:%M",
	    &tm) == 0)
		snprintf(out, size, "?");
}

/* What the mail says when the cache still lacks part of what was asked
 * for: the times it covers and where messages are missing; NULL when
 * nothing is. */
static char *
cli_export_coverage(struct cli *cli, const struct export_thread *t,
    const struct cli_export_span *sp)
{
	struct store_gap *gaps;
	size_t n;
	int earlier = 0, within = 0, later = 0;
	char from[48], to[48];
	struct buf b = {0};
	int64_t lo = t->msgs[0].seq, hi = t->msgs[t->n - 1].seq;

	if (store_gaps(core_store(cli->core), t->room_id, sp->since, sp->until, &gaps, &n,
	    NULL) == -1)
		return xstrdup("the cache could not say whether it holds all of it");
	for (size_t i = 0; i < n; i++) {
		int64_t seq = gaps[i].before_seq;

		if (sp->by_seq && (seq <= sp->lo_seq || seq > sp->hi_seq))
			continue;
		if (seq <= lo)
			earlier = 1;
		else if (seq > hi)
			later = 1;
		else
			within = 1;
	}
	free(gaps);
	if (!earlier && !within && !later)
		return NULL;
	cli_export_when(t->msgs[0].ts, from, sizeof from);
	cli_export_when(t->msgs[t->n - 1].ts, to, sizeof to);
	buf_printf(&b, "this export covers %s \u2013 %s", from, to);
	if (earlier)
		buf_puts(&b, "; earlier messages were not available");
	if (within)
		buf_puts(&b, "; some messages in between were not available");
	if (later)
		buf_puts(&b, "; later messages were not available");
	return buf_steal(&b);
}

static int
cli_export_fetch(const struct store_msg *m, int fd, int64_t max_bytes, void *arg, char **cause)
{
	struct cli *cli = arg;
	struct core_result r = {0};
	int rc = 0;

	if (cli_finish(cli, core_fetch(cli->core, m, fd, max_bytes, core_result_cb, &r,
	    cause), &r, cause) != CORE_DONE)
		rc = -1;
	/* The size the event gave was wrong, or missing: the cap still holds. */
	if (rc == -1 && *cause != NULL && strstr(*cause, "larger than the limit") != NULL)
		rc = 1;
	core_result_clear(&r);
	return rc;
}

static void
cli_export_files(struct cli *cli, struct export_thread *t)
{
	size_t attached, left = 0;

	if (t->n_files == 0)
		return;
	fprintf(stderr, "fetching %zu file%s\n", t->n_files, t->n_files == 1 ? "" : "s");
	attached = export_files_fetch(t, cli->settings.mail.attachment_cap,
	    core_data_dir(cli->core), cli_export_fetch, cli);
	for (size_t i = 0; i < t->n_files; i++)
		left += t->files[i].state == EXPORT_FILE_OVER_CAP;
	if (left > 0)
		fprintf(stderr, "%zu file%s over the attachment cap, named in the text but not "
		    "attached\n", left, left == 1 ? " is" : "s are");
	if (attached + left < t->n_files)
		fprintf(stderr, "%zu file%s could not be downloaded; the text says why\n",
		    t->n_files - attached - left, t->n_files - attached - left == 1 ? "" : "s");
}

struct cli_export_addrs {
	struct mail_addr from;
	struct mail_addr *to, *cc;
	size_t n_to, n_cc;
};

static int
cli_export_addrs(struct cli *cli, const struct cli_export *x, struct cli_export_addrs *a,
    char **cause)
{
	const char *from = x->from != NULL ? x->from : cli->settings.mail.from;

	if (from == NULL && x->eml == NULL && x->mbox == NULL)
		return cause_set(cause, "no sender address: set from in [mail] of the config "
		    "file, or give --from");
	if (mail_addr_parse(from != NULL ? from : CLI_EXPORT_FROM_LOCAL, &a->from, cause) == -1)
		return -1;
	if (x->to != NULL && mail_addrs_parse(x->to, &a->to, &a->n_to, cause) == -1)
		return -1;
	if (x->cc != NULL && mail_addrs_parse(x->cc, &a->cc, &a->n_cc, cause) == -1)
		return -1;
	if (x->eml == NULL && x->mbox == NULL && a->n_to == 0)
		return cause_set(cause, "no recipient: --to names nobody");
	return 0;
}

static void
cli_mail_addrs_free(struct cli_export_addrs *a)
{
	mail_addr_clear(&a->from);
	mail_addrs_free(&a->to, a->n_to);
	mail_addrs_free(&a->cc, a->n_cc);
}

static int
cli_export_send(struct cli *cli, const struct cli_export *x, const struct export_mail *m,
    char **cause)
{
	const struct settings_mail *s = &cli->settings.mail;
	struct export_smtp smtp = {s->smtp_url, s->smtp_user, s->smtp_password,
	    s->password_command, s->ca_file};

	if (x->sendmail || s->method == SETTINGS_MAIL_SENDMAIL)
		return export_send_sendmail(m, s->sendmail, cause);
	if (s->smtp_url == NULL)
		return cause_set(cause, "no way to send mail: set smtp_url (or method = sendmail) "
		    "in [mail] of the config file, or give --sendmail");
	return export_send_smtp(m, &smtp, cause);
}

static void
cli_export_rcpts(FILE *f, const struct export_mail *m)
{
	for (size_t i = 0; i < m->n_rcpts; i++)
		fprintf(f, "%s%s", i == 0 ? "" : ", ", m->rcpts[i]);
}

/* Delivers m; a failed send leaves it in the profile's unsent/. */
static int
cli_export_deliver(struct cli *cli, const struct cli_export *x, const struct export_mail *m,
    const char *what, const char *coverage)
{
	char *cause = NULL, *kept, *dir;
	int rc;

	if (x->eml != NULL || x->mbox != NULL) {
		rc = x->eml != NULL ? export_write_eml(m, x->eml, x->force, &cause) :
		    export_append_mbox(m, x->mbox, &cause);
		if (rc == -1) {
			rc = cli_export_fail(cause);
			free(cause);
			return rc;
		}
		fprintf(stderr, "exported %s to ", what);
		cli_print_text(stderr, x->eml != NULL ? x->eml : x->mbox, 0);
		fprintf(stderr, "%s%s\n", coverage != NULL ? "; " : "",
		    coverage != NULL ? coverage : "");
		return CLI_OK;
	}
	if (cli_export_send(cli, x, m, &cause) == 0) {
		fprintf(stderr, "exported %s, sent to ", what);
		cli_export_rcpts(stderr, m);
		fprintf(stderr, "%s%s\n", coverage != NULL ? "; " : "",
		    coverage != NULL ? coverage : "");
		return CLI_OK;
	}
	dir = xasprintf("%s/unsent", core_data_dir(cli->core));
	kept = export_keep(m, dir, NULL);
	if (kept != NULL)
		cli_fail("export: not sent: %s; the mail is kept in %s", cause, kept);
	else
		cli_fail("export: not sent: %s; and it could not be kept in %s", cause, dir);
	free(kept);
	free(dir);
	free(cause);
	return CLI_FAILED;
}

/* "12 messages from Board Room", or "from 3 rooms". */
static char *
cli_export_what(const struct export_thread *t)
{
	size_t n = export_count_messages(t);
	char *name, *what;

	if (t->n_rooms > 0)
		return xasprintf("%zu message%s from %zu rooms", n, n == 1 ? "" : "s", t->n_rooms);
	name = mail_header_text(t->room_name);
	what = xasprintf("%zu message%s from %s", n, n == 1 ? "" : "s", name);
	free(name);
	return what;
}

static int
cli_export_run(struct cli *cli, const struct cli_export *x, const struct cli_export_addrs *a,
    char **cause)
{
	struct export_thread t;
	struct export_mail m;
	struct export_opts o = {
		.from = a->from, .to = a->to, .n_to = a->n_to, .cc = a->cc, .n_cc = a->n_cc,
		.subject = x->subject,
		.render = {cli->settings.ui.time_format, cli->settings.ui.date_format,
		    cli->settings.mail.attachment_cap},
	};
	struct cli_export_span sp = {0};
	char *room_id = NULL, *what;
	int rc;

	if (x->room != NULL && (room_id = cli_resolve(cli, x->room, 0, cause)) == NULL)
		return -1;
	if (x->query == NULL && cli_export_times(cli, x, &sp, cause) == -1) {
		free(room_id);
		return -1;
	}
	if (x->query == NULL)
		cli_export_fill(cli, room_id, &sp);
	rc = cli_export_load(cli, x, room_id, &sp, &t, cause);
	if (x->query != NULL)
		cli_search_partial(cli, "export", room_id);
	free(room_id);
	if (rc == -1)
		return -1;
	if (x->query == NULL && (t.coverage = cli_export_coverage(cli, &t, &sp)) != NULL)
		fprintf(stderr, "natter: export: %s\n", t.coverage);
	if (x->attachments)
		cli_export_files(cli, &t);
	if (export_mail_build(&t, &o, &m, cause) == -1) {
		export_thread_clear(&t);
		return -1;
	}
	what = cli_export_what(&t);
	rc = cli_export_deliver(cli, x, &m, what, t.coverage);
	free(what);
	export_mail_clear(&m);
	export_thread_clear(&t);
	return rc;
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	struct cli_export x = {0};
	struct cli_export_addrs a = {0};
	char *cause = NULL;
	int rc;

	if (cli_export_args(&x, argc, argv) == -1)
		return cli_usage(cli_cmd_find("export"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (x.attachments && !core_logged_in(cli->core)) {
		char *login = core_command(cli->core, "login");

		cause = xasprintf("--attachments needs the homeserver: run `%s` first", login);
		cli_export_fail(cause);
		free(cause);
		free(login);
		return CLI_FAILED;
	}
	if (cli_export_addrs(cli, &x, &a, &cause) == 0 &&
	    (rc = cli_export_run(cli, &x, &a, &cause)) != -1) {
		cli_mail_addrs_free(&a);
		return rc;
	}
	rc = cli_export_fail(cause);
	free(cause);
	cli_mail_addrs_free(&a);
	return rc;
}
