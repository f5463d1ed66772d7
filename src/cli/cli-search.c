/* natter search: the local cache searched from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-private.h"
#include "natter/sanitize.h"
#include "natter/search.h"
#include "natter/text.h"

#define CLI_BOLD_ON "\033[1m"
#define CLI_BOLD_OFF "\033[22m"

struct cli_search_args {
	struct buf query;
	const char *room;
	int64_t limit;
	int json;
	int server;		/* --server: the homeserver's /search too */
};

/* Options may come anywhere, but anything else, -word included, is
 * part of the query: `natter search budget -draft` means what it says. */
static int
cli_search_args(int argc, char **argv, struct cli_search_args *a)
{
	int words_only = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!words_only && strcmp(arg, "--") == 0)
			words_only = 1;
		else if (!words_only && strcmp(arg, "--json") == 0)
			a->json = 1;
		else if (!words_only && strcmp(arg, "--server") == 0)
			a->server = 1;
		else if (!words_only && (strcmp(arg, "--room") == 0 || strcmp(arg, "--limit") == 0)) {
			if (i + 1 == argc)
				return -1;
			if (arg[2] == 'r')
				a->room = argv[++i];
			else if (nt_parse_int64(argv[++i], &a->limit) == -1 || a->limit < 1 ||
			    a->limit > SEARCH_LIMIT_MAX)
				return cli_bad_arg("--limit wants a number from 1 to %d",
				    SEARCH_LIMIT_MAX);
		} else if (!words_only && strncmp(arg, "--", 2) == 0)
			return -1;
		else {
			if (a->query.len > 0)
				buf_putc(&a->query, ' ');
			buf_puts(&a->query, arg);
		}
	}
	return a->query.len == 0 ? -1 : 0;
}

/* The snippet's text without marks, and the marked ranges in code points. */
static void
cli_json_snippet(struct buf *b, const char *snippet)
{
	struct buf plain = {0}, ranges = {0};
	size_t cp = 0, start = 0;

	for (const char *p = snippet; *p != '\0'; p++) {
		if (*p == SEARCH_MARK_ON[0])
			start = cp;
		else if (*p == SEARCH_MARK_OFF[0])
			buf_printf(&ranges, "%s[%zu,%zu]", ranges.len > 0 ? "," : "", start, cp);
		else {
			buf_putc(&plain, *p);
			cp += ((unsigned char)*p & 0xc0) != 0x80;
		}
	}
	buf_puts(b, ",\"snippet\":");
	san_json_string(b, plain.len > 0 ? plain.data : "");
	buf_printf(b, ",\"highlights\":[%s]", ranges.len > 0 ? ranges.data : "");
	buf_free(&plain);
	buf_free(&ranges);
}

static void
cli_json_field(struct buf *b, const char *key, const char *value)
{
	if (value == NULL)
		return;
	buf_printf(b, ",\"%s\":", key);
	san_json_string(b, value);
}

static void
cli_json_hit(struct buf *b, const struct search_hit *h)
{
	buf_puts(b, "{\"room_id\":");
	san_json_string(b, h->room_id);
	cli_json_field(b, "room", h->room_name);
	cli_json_field(b, "event_id", h->event_id);
	cli_json_field(b, "sender", h->sender);
	cli_json_field(b, "sender_name", h->sender_name);
	buf_printf(b, ",\"ts\":%lld", (long long)h->ts);
	cli_json_field(b, "body", h->body);
	cli_json_field(b, "filename", h->filename);
	cli_json_field(b, "thread_root", h->thread_root);
	cli_json_snippet(b, h->snippet);
	buf_printf(b, ",\"score\":%.4f,\"from_server\":%s}\n", h->score,
	    h->from_server ? "true" : "false");
}

/* The snippet is sanitised already: only the marks are ours to turn
 * into bold, or into nothing when the output is not a terminal. */
static void
cli_print_snippet(FILE *f, const char *snippet, int tty)
{
	for (const char *p = snippet; *p != '\0'; p++) {
		if (*p == SEARCH_MARK_ON[0])
			fputs(tty ? CLI_BOLD_ON : "", f);
		else if (*p == SEARCH_MARK_OFF[0])
			fputs(tty ? CLI_BOLD_OFF : "", f);
		else
			fputc(*p, f);
	}
}

/* "  in thread “Who takes the minutes…” ($root)": where a reply is. */
static void
cli_print_thread_of(const struct search_hit *h)
{
	char *cut;

	fputs("  in thread ", stdout);
	if (h->thread_text != NULL) {
		cut = text_truncate(h->thread_text, 40);
		cut[strcspn(cut, "\r\n")] = '\0';
		fputs("\u201c", stdout);
		cli_print_text(stdout, cut, 0);
		fputs("\u201d (", stdout);
		free(cut);
	} else
		fputc('(', stdout);
	cli_print_text(stdout, h->thread_root, 0);
	fputc(')', stdout);
}

static void
cli_print_hit(const struct search_hit *h, int tty)
{
	char when[32];

	cli_format_time(h->ts, when, sizeof when);
	printf("%s  ", when);
	cli_print_text(stdout, h->room_name, 0);
	fputs("  ", stdout);
	cli_print_text(stdout, h->sender_name, 0);
	if (h->from_server)
		fputs("  (server)", stdout);
	if (h->thread_root != NULL)
		cli_print_thread_of(h);
	fputs("\n    ", stdout);
	cli_print_snippet(stdout, h->snippet, tty);
	putchar('\n');
}

/* Adds what only the homeserver finds to the local hits. Returns -1 with
 * a cause when it could not be asked; the local hits stand. */
static int
cli_search_server(struct cli *cli, const char *query, const struct search_opts *o,
    struct search_hit **hits, size_t *n, char **cause)
{
	struct core_result r = {0};
	int status = cli_finish(cli, core_search_server(cli->core, query, o, hits, n,
	    core_result_cb, &r, cause), &r, cause);

	core_result_clear(&r);
	return status == CORE_DONE ? 0 : -1;
}

void
cli_search_partial(struct cli *cli, const char *cmd, const char *room_id)
{
	int64_t n = store_rooms_partial(core_store(cli->core), room_id, NULL);
	char *backfill = core_command(cli->core, "sync --backfill");

	if (n == 1 && room_id != NULL)
		fprintf(stderr, "natter: %s: that room is not fully cached: %s ROOM\n", cmd,
		    backfill);
	else if (n > 0)
		fprintf(stderr, "natter: %s: %lld room%s not fully cached: %s\n", cmd, (long long)n,
		    n == 1 ? " is" : "s are", backfill);
	free(backfill);
}

int
cmd_search(struct cli *cli, int argc, char **argv)
{
	struct cli_search_args a = {.limit = 20};
	struct search_opts o = {0};
	struct search_hit *hits = NULL;
	struct buf out = {0};
	char *room_id = NULL, *cause = NULL;
	size_t n = 0;
	int rc = CLI_OK, tty = isatty(STDOUT_FILENO);

	if ((rc = cli_search_args(argc, argv, &a)) != 0) {
		buf_free(&a.query);
		return rc == CLI_USAGE ? rc : cli_usage(cli_cmd_find("search"));
	}
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (a.room != NULL && (room_id = cli_resolve(cli, a.room, 0, &cause)) == NULL)
		goto fail;
	o.room_id = room_id;
	o.limit = (int)a.limit;
	if (search_run(core_store(cli->core), a.query.data, &o, &hits, &n, &cause) != 0)
		goto fail;
	if (a.server && cli_search_server(cli, a.query.data, &o, &hits, &n, &cause) != 0) {
		rc = cli_fail("search: %s (these are the cache's results)", cause);
		xfree(&cause);
	}
	for (size_t i = 0; i < n; i++) {
		if (a.json)
			cli_json_hit(&out, &hits[i]);
		else
			cli_print_hit(&hits[i], tty);
	}
	if (out.len > 0)
		fputs(out.data, stdout);
	if (n == 0 && !a.json)
		fputs("natter: search: no messages match\n", stderr);
	cli_search_partial(cli, "search", room_id);
	goto done;
fail:
	rc = cli_fail("search: %s", cause);
done:
	search_hits_free(&hits, n);
	buf_free(&out);
	buf_free(&a.query);
	free(room_id);
	free(cause);
	return rc;
}
