/* natter sync, rooms, history and outbox: reading the cache. */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "natter/loop.h"
#include "natter/sanitize.h"

#define CLI_SYNC_TIMEOUT_MS 30000L

static volatile int cli_stop;

static void
cli_on_signal(int signo, void *arg)
{
	struct loop *loop = arg;

	cli_stop = 1;
	loop_break(loop);
}

static void
cli_backoff_done(void *arg)
{
	*(int *)arg = 1;
}

static void
cli_backoff(struct core *c, int64_t ms)
{
	int waited = 0;

	loop_timer_add(c->loop, ms, cli_backoff_done, &waited);
	loop_run_until(c->loop, &waited, -1);
}

/* One round of natter sync; returns 0 when it came back early with
 * nothing new and the same token (a server stuck in a loop), else 1. */
static int
cli_sync_round(struct cli *cli, long timeout_ms, char **cause)
{
	char *before = store_sync_token(cli->core.store), *after;
	int64_t start = nt_mono_ms();
	size_t n;
	int moved;

	if (core_sync_once(&cli->core, timeout_ms, &n, cause) == -1) {
		free(before);
		return -1;
	}
	if (cli->verbose && n > 0)
		fprintf(stderr, "natter: %zu new events\n", n);
	after = store_sync_token(cli->core.store);
	moved = n > 0 || before == NULL || after == NULL || strcmp(before, after) != 0 ||
	    nt_mono_ms() - start >= timeout_ms / 2;
	free(before);
	free(after);
	return moved;
}

/* natter sync without --once: rounds until a signal. A server that
 * fails, sends what cannot be read, or answers at once with the same
 * token over and over is asked again only after a growing pause. */
static int
cli_sync_forever(struct cli *cli, long timeout_ms)
{
	struct core *c = &cli->core;
	int failures = 0, idle = 0;

	loop_signal(c->loop, SIGINT, cli_on_signal, c->loop, NULL);
	loop_signal(c->loop, SIGTERM, cli_on_signal, c->loop, NULL);
	while (!cli_stop) {
		char *cause = NULL;
		int rc = cli_sync_round(cli, timeout_ms, &cause);

		if (rc == -1 && !cli_stop) {
			int64_t ms = mx_backoff_ms(failures++);

			cli_fail("%s (trying again in %lld ms)", cause, (long long)ms);
			cli_backoff(c, ms);
		} else if (rc == 0 && !cli_stop)
			cli_backoff(c, mx_backoff_ms(idle++));
		else if (rc == 1)
			failures = idle = 0;
		free(cause);
	}
	return CLI_OK;
}

/* What natter sync --backfill has shown and counted so far. */
struct cli_backfill {
	int tty;		/* stderr is a terminal: one line, rewritten */
	int line_open;		/* that line is on screen without its newline */
	size_t complete;
	int64_t added;
};

/* n with a comma between each group of three digits. */
static void
cli_group_digits(int64_t n, char *out, size_t size)
{
	char digits[32];
	size_t len, o = 0;

	len = (size_t)snprintf(digits, sizeof digits, "%lld", (long long)n);
	for (size_t i = 0; i < len && o + 2 < size; i++) {
		if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static void
cli_backfill_progress(const struct core_backfill_progress *p, void *arg)
{
	struct cli_backfill *bf = arg;
	char count[32];

	if (p->done) {
		bf->complete++;
		bf->added += p->added;
	}
	cli_group_digits(p->added, count, sizeof count);
	fputs(bf->tty ? "\r\033[K" : "", stderr);
	if (p->n_rooms > 1)
		fprintf(stderr, "backfill: [%zu/%zu] ", p->index + 1, p->n_rooms);
	else
		fputs("backfill: ", stderr);
	cli_print_text(stderr, p->name, 0);
	fprintf(stderr, ": %s new event%s%s", count, p->added == 1 ? "" : "s",
	    p->done ? ", complete" : "");
	bf->line_open = bf->tty && !p->done;
	if (!bf->line_open)
		fputc('\n', stderr);
	fflush(stderr);
}

/* natter sync --backfill [ROOM], after the sync round. */
static int
cli_backfill(struct cli *cli, const char *what)
{
	struct cli_backfill bf = {.tty = isatty(fileno(stderr))};
	struct core *c = &cli->core;
	char *room_id = NULL, *cause = NULL, count[32];
	int rc;

	if (what != NULL && (room_id = core_room_resolve(c, what, 0, &cause)) == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	loop_signal(c->loop, SIGINT, cli_on_signal, c->loop, NULL);
	loop_signal(c->loop, SIGTERM, cli_on_signal, c->loop, NULL);
	rc = core_backfill(c, room_id, cli_backfill_progress, &bf, &cause);
	if (bf.line_open)
		fputc('\n', stderr);
	cli_group_digits(bf.added, count, sizeof count);
	fprintf(stderr, "backfill: %zu room%s complete, %s new event%s\n", bf.complete,
	    bf.complete == 1 ? "" : "s", count, bf.added == 1 ? "" : "s");
	if (rc == -1)
		rc = cli_fail("%s%s", cli_stop ? "backfill interrupted" : cause,
		    ": what was fetched is kept; run it again to go on");
	free(room_id);
	free(cause);
	return rc;
}

int
cmd_sync(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"once", no_argument, NULL, 'o'},
		{"timeout", required_argument, NULL, 't'},
		{"backfill", no_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	int64_t timeout = -1;
	char *cause = NULL;
	size_t n;
	int ch, once = 0, backfill = 0, rc = CLI_OK;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': once = 1; break;
		case 'b': backfill = 1; break;
		case 't':
			if (nt_parse_int64(optarg, &timeout) == -1 || timeout < 0 ||
			    timeout > 3600000)
				return cli_fail("--timeout wants milliseconds (0 to 3600000)");
			break;
		default: return cli_usage(cli_cmd_find("sync"));
		}
	}
	if (optind != argc && !(backfill && optind + 1 == argc))
		return cli_usage(cli_cmd_find("sync"));
	if (!once && !backfill)
		return cli_sync_forever(cli, timeout < 0 ? CLI_SYNC_TIMEOUT_MS : (long)timeout);
	if (core_sync_once(&cli->core, timeout < 0 ? 0 : (long)timeout, &n, &cause) == -1)
		rc = cli_fail("%s", cause);
	else if (cli->verbose)
		fprintf(stderr, "natter: %zu new events\n", n);
	free(cause);
	if (rc == CLI_OK && backfill)
		rc = cli_backfill(cli, optind < argc ? argv[optind] : NULL);
	return rc;
}

static void
cli_json_room(struct buf *b, const struct store_room *r)
{
	buf_puts(b, "{\"room_id\":");
	san_json_string(b, r->room_id);
	buf_puts(b, ",\"name\":");
	san_json_string(b, r->name);
	if (r->topic != NULL) {
		buf_puts(b, ",\"topic\":");
		san_json_string(b, r->topic);
	}
	if (r->canonical_alias != NULL) {
		buf_puts(b, ",\"alias\":");
		san_json_string(b, r->canonical_alias);
	}
	buf_printf(b, ",\"membership\":\"%s\",\"dm\":%s", mx_membership_name(r->membership),
	    r->is_direct ? "true" : "false");
	if (r->dm_user != NULL) {
		buf_puts(b, ",\"dm_user\":");
		san_json_string(b, r->dm_user);
	}
	buf_printf(b, ",\"unread\":%lld,\"highlight\":%lld,\"last_ts\":%lld}\n",
	    (long long)r->unread, (long long)r->highlight, (long long)r->last_ts);
}

static void
cli_print_room(const struct store_room *r)
{
	char when[32];
	const char *mark = r->membership == MX_MEMBERSHIP_INVITE ? "invite" :
	    r->membership == MX_MEMBERSHIP_LEAVE ? "left" : r->is_direct ? "DM" : "";

	cli_format_time(r->last_ts, when, sizeof when);
	printf("%5lld%c %s  %-6s  ", (long long)r->unread, r->highlight > 0 ? '!' : ' ', when,
	    mark);
	cli_print_text(stdout, r->name, 0);
	fputs("  ", stdout);
	cli_print_text(stdout, r->room_id, 0);
	putchar('\n');
}

int
cmd_rooms(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct store_room *rooms;
	struct buf b = {0};
	char *cause = NULL;
	size_t n;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(cli_cmd_find("rooms"));
		json = 1;
	}
	if (optind != argc)
		return cli_usage(cli_cmd_find("rooms"));
	if (store_rooms(cli->core.store, &rooms, &n, &cause) == -1) {
		ch = cli_fail("%s", cause);
		free(cause);
		return ch;
	}
	for (size_t i = 0; i < n; i++) {
		if (json)
			cli_json_room(&b, &rooms[i]);
		else
			cli_print_room(&rooms[i]);
	}
	if (b.len > 0)
		fputs(b.data, stdout);
	if (n == 0 && !json)
		fputs("no rooms in the cache: run `natter sync --once`\n", stderr);
	buf_free(&b);
	store_rooms_free(&rooms, n);
	return CLI_OK;
}

/* The message a reply quotes, from the ones listed or the cache. */
static int
cli_quoted(struct cli *cli, const struct store_msg *m, struct store_msg *out)
{
	if (m->reply_to == NULL)
		return -1;
	return store_msg_get(cli->core.store, m->reply_to, out, NULL);
}

static int
cli_history_print(struct cli *cli, const char *room_id, struct store_msg *msgs, size_t n,
    int json, int ids)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++) {
		struct store_msg q;

		if (json) {
			cli_json_msg(&b, &msgs[i], room_id);
			continue;
		}
		if (cli_quoted(cli, &msgs[i], &q) == 0) {
			cli_print_msg(stdout, &msgs[i], &q, ids);
			store_msg_clear(&q);
		} else
			cli_print_msg(stdout, &msgs[i], NULL, ids);
	}
	if (b.len > 0)
		fputs(b.data, stdout);
	buf_free(&b);
	return CLI_OK;
}

int
cmd_history(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"limit", required_argument, NULL, 'l'},
		{"before", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"ids", no_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	const char *before = NULL;
	struct store_msg *msgs, anchor;
	char *room_id, *cause = NULL;
	int64_t limit = 20, before_seq = INT64_MAX;
	size_t n;
	int ch, json = 0, ids = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (nt_parse_int64(optarg, &limit) == -1 || limit < 1 || limit > 100000)
				return cli_fail("--limit wants a number from 1 to 100000");
			break;
		case 'b': before = optarg; break;
		case 'j': json = 1; break;
		case 'i': ids = 1; break;
		default: return cli_usage(cli_cmd_find("history"));
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cli_cmd_find("history"));
	if ((room_id = core_room_resolve(&cli->core, argv[optind], 0, &cause)) == NULL)
		goto fail;
	if (before != NULL) {
		if (store_msg_get(cli->core.store, before, &anchor, &cause) == -1)
			goto fail;
		before_seq = anchor.seq;
		store_msg_clear(&anchor);
	}
	rc = core_history(&cli->core, room_id, before_seq, (int)limit, &msgs, &n, &cause);
	if (rc == -1)
		goto fail;
	if (rc == 1)
		cli_fail("showing the cache only: %s", cause);
	cli_history_print(cli, room_id, msgs, n, json, ids);
	store_msgs_free(&msgs, n);
	free(room_id);
	free(cause);
	return CLI_OK;
fail:
	rc = cli_fail("%s", cause);
	free(room_id);
	free(cause);
	return rc;
}

static const char *
cli_outbox_state(enum store_outbox_state s)
{
	return s == STORE_OUTBOX_QUEUED ? "queued" : s == STORE_OUTBOX_SENT ? "sent" : "failed";
}

int
cmd_outbox(struct cli *cli, int argc, char **argv)
{
	struct store_outbox *items;
	char *cause = NULL, when[32];
	size_t n;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc != 1 && !json)
		return cli_usage(cli_cmd_find("outbox"));
	if (store_outbox_list(cli->core.store, NULL, 1, &items, &n, &cause) == -1) {
		int rc = cli_fail("%s", cause);

		free(cause);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct store_outbox *it = &items[i];
		char *line;

		cli_format_time(it->created_ts, when, sizeof when);
		if (json) {
			struct buf b = {0};

			buf_puts(&b, "{\"room_id\":");
			san_json_string(&b, it->room_id);
			buf_puts(&b, ",\"txn_id\":");
			san_json_string(&b, it->txn_id);
			buf_printf(&b, ",\"state\":\"%s\",\"attempts\":%d,\"created_ts\":%lld",
			    cli_outbox_state(it->state), it->attempts, (long long)it->created_ts);
			buf_puts(&b, ",\"error\":");
			san_json_string(&b, it->last_error ? it->last_error : "");
			buf_puts(&b, ",\"content\":");
			san_json_string(&b, it->content);
			buf_puts(&b, "}\n");
			fputs(b.data, stdout);
			buf_free(&b);
			continue;
		}
		line = xasprintf("%s  %-6s  %s  %d attempt(s)%s%s", when,
		    cli_outbox_state(it->state), it->room_id, it->attempts,
		    it->last_error ? ": " : "", it->last_error ? it->last_error : "");
		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
	}
	if (n == 0 && !json)
		puts("the outbox is empty: everything has been sent");
	store_outbox_free(&items, n);
	return CLI_OK;
}
