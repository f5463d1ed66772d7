/* natter sync, rooms, history and outbox: reading the cache. */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli-private.h"
#include "natter/loop.h"
#include "natter/sanitize.h"
#include "natter/text.h"

#define CLI_SYNC_TIMEOUT_MS 30000L

/* What natter sync without --once hears from the core's sync loop. */
struct cli_sync {
	struct cli *cli;
	int rc;
};

void
cli_on_signal(int signo, void *arg)
{
	loop_break(arg);
}

static void
cli_sync_conn(void *arg, enum core_conn state, const char *why, int64_t retry_ms)
{
	struct cli_sync *s = arg;

	if (state == CORE_LOGGED_OUT) {
		s->rc = cli_fail("%s", why);
		loop_break(core_loop(s->cli->core));
	} else if (why != NULL)
		cli_fail("%s (trying again in %lld s)", why, (long long)(retry_ms + 999) / 1000);
}

static void
cli_sync_rooms(void *arg, size_t n_events)
{
	struct cli_sync *s = arg;

	if (s->cli->verbose && n_events > 0)
		fprintf(stderr, "natter: %zu new events\n", n_events);
}

/* natter sync without --once: the core's sync loop, until a signal (or a
 * session the server no longer accepts). */
static int
cli_sync_forever(struct cli *cli, long timeout_ms)
{
	static const struct core_events events = {
		.conn = cli_sync_conn,
		.rooms = cli_sync_rooms,
	};
	struct cli_sync s = {.cli = cli, .rc = CLI_OK};
	struct loop *loop = core_loop(cli->core);

	loop_signal(loop, SIGINT, cli_on_signal, loop, NULL);
	loop_signal(loop, SIGTERM, cli_on_signal, loop, NULL);
	core_start(cli->core, &events, &s, timeout_ms);
	loop_run(loop);
	return s.rc;
}

/* What natter sync --backfill has shown and counted so far. */
struct cli_backfill {
	int tty;		/* stderr is a terminal: one line, rewritten */
	int line_open;		/* that line is on screen without its newline */
	size_t complete;
	int64_t added;
};

/* n with a comma between each group of three digits. */
void
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

int
cli_backfill(struct cli *cli, const char *what)
{
	struct cli_backfill bf = {.tty = isatty(fileno(stderr))};
	struct core_result r = {0};
	struct loop *loop = core_loop(cli->core);
	char *room_id = NULL, *cause = NULL, count[32];
	int rc = CLI_OK, status;

	if (what != NULL && (room_id = cli_room(cli, what, 0)) == NULL)
		return CLI_FAILED;
	loop_signal(loop, SIGINT, cli_on_signal, loop, NULL);
	loop_signal(loop, SIGTERM, cli_on_signal, loop, NULL);
	status = cli_finish(cli, core_backfill(cli->core, room_id, cli_backfill_progress, &bf,
	    core_result_cb, &r, &cause), &r, &cause);
	if (bf.line_open)
		fputc('\n', stderr);
	cli_group_digits(bf.added, count, sizeof count);
	fprintf(stderr, "backfill: %zu room%s complete, %s new event%s\n", bf.complete,
	    bf.complete == 1 ? "" : "s", count, bf.added == 1 ? "" : "s");
	if (status != CORE_DONE)
		rc = cli_fail("%s%s", !r.done ? "backfill interrupted" : cause,
		    ": what was fetched is kept; run it again to go on");
	core_result_clear(&r);
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
	static const struct core_events once_events = {.conn = cli_sync_conn};
	struct cli_sync s = {.cli = cli, .rc = CLI_OK};
	struct core_result r = {0};
	int64_t timeout = -1;
	char *cause = NULL;
	int ch, once = 0, backfill = 0, rc = CLI_OK;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': once = 1; break;
		case 'b': backfill = 1; break;
		case 't':
			if (nt_parse_int64(optarg, &timeout) == -1 || timeout < 0 ||
			    timeout > 3600000)
				return cli_bad_arg("--timeout wants milliseconds (0 to 3600000)");
			break;
		default: return cli_usage(cli_cmd_find("sync"));
		}
	}
	if (optind != argc && !(backfill && optind + 1 == argc))
		return cli_usage(cli_cmd_find("sync"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (!once && !backfill)
		return cli_sync_forever(cli, timeout < 0 ? CLI_SYNC_TIMEOUT_MS : (long)timeout);
	core_listen(cli->core, &once_events, &s);
	if (cli_finish(cli, core_sync_once(cli->core, timeout < 0 ? 0 : (long)timeout,
	    core_result_cb, &r, &cause), &r, &cause) != CORE_DONE)
		rc = cli_fail("%s", cause);
	else if (cli->verbose)
		fprintf(stderr, "natter: %s new events\n", r.text);
	core_result_clear(&r);
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
	buf_printf(b, ",\"membership\":\"%s\",\"dm\":%s,\"encrypted\":%s,\"space\":%s",
	    store_membership_name(r->membership), r->is_direct ? "true" : "false",
	    r->encrypted ? "true" : "false", r->is_space ? "true" : "false");
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
	const char *mark = r->membership == MX_MEMBERSHIP_INVITE ?
	    (r->is_direct ? "DM invite" : "invite") :
	    r->membership == MX_MEMBERSHIP_LEAVE ? "left" : r->is_direct ? "DM" :
	    r->is_space ? "space" : "";

	cli_format_time(r->last_ts, when, sizeof when);
	printf("%5lld%c %s  %-9s  ", (long long)r->unread, r->highlight > 0 ? '!' : ' ', when,
	    mark);
	cli_print_text(stdout, r->name, 0);
	fputs("  ", stdout);
	cli_print_text(stdout, r->room_id, 0);
	putchar('\n');
}

/* Whether space (a joined space) is what the user typed: its id, its
 * alias, or its name (any case and accents). */
static int
cli_space_is(const struct store_room *space, const char *what)
{
	char *name, *want;
	int same;

	if (strcmp(space->room_id, what) == 0 ||
	    (space->canonical_alias != NULL && strcasecmp(space->canonical_alias, what) == 0))
		return 1;
	name = text_fold_str(space->name);
	want = text_fold_str(what);
	same = strcmp(name, want) == 0;
	free(name);
	free(want);
	return same;
}

/* The id of the joined space what names, or NULL with a cause that
 * names the spaces there are. */
static char *
cli_space_find(const struct store_room *rooms, size_t n, const char *what, char **cause)
{
	struct buf names = {0};
	char *id = NULL;

	for (size_t i = 0; i < n && id == NULL; i++) {
		if (rooms[i].is_space && rooms[i].membership == MX_MEMBERSHIP_JOIN &&
		    cli_space_is(&rooms[i], what))
			id = xstrdup(rooms[i].room_id);
	}
	if (id != NULL)
		return id;
	for (size_t i = 0; i < n; i++) {
		if (rooms[i].is_space && rooms[i].membership == MX_MEMBERSHIP_JOIN)
			buf_printf(&names, "%s\"%s\"", names.len > 0 ? ", " : "", rooms[i].name);
	}
	if (names.len == 0)
		cause_set(cause, "no space \"%s\": the cache knows of no space you are in", what);
	else
		cause_set(cause, "no space \"%s\": the spaces you are in are %s", what,
		    names.data);
	buf_free(&names);
	return NULL;
}

/* Leaves in rooms only those of the space what names. */
static int
cli_rooms_of_space(struct cli *cli, struct store_room *rooms, size_t *n, const char *what,
    char **cause)
{
	struct store_space_link *links;
	size_t n_links, kept = 0;
	char *space;

	if ((space = cli_space_find(rooms, *n, what, cause)) == NULL)
		return -1;
	if (store_space_links(core_store(cli->core), &links, &n_links, cause) == -1) {
		free(space);
		return -1;
	}
	for (size_t i = 0; i < *n; i++) {
		int in = 0;

		for (size_t j = 0; j < n_links && !in; j++)
			in = strcmp(links[j].space_id, space) == 0 &&
			    strcmp(links[j].room_id, rooms[i].room_id) == 0;
		if (in)
			rooms[kept++] = rooms[i];
		else
			store_room_clear(&rooms[i]);
	}
	*n = kept;
	store_space_links_free(&links, n_links);
	free(space);
	return 0;
}

int
cmd_rooms(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"space", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	struct store_room *rooms;
	struct buf b = {0};
	const char *space = NULL;
	char *cause = NULL;
	size_t n;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 's': space = optarg; break;
		default: return cli_usage(cli_cmd_find("rooms"));
		}
	}
	if (optind != argc || (space != NULL && *space == '\0'))
		return cli_usage(cli_cmd_find("rooms"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (store_rooms(core_store(cli->core), &rooms, &n, &cause) == -1) {
		ch = cli_fail("%s", cause);
		free(cause);
		return ch;
	}
	if (space != NULL && cli_rooms_of_space(cli, rooms, &n, space, &cause) == -1) {
		store_rooms_free(&rooms, n);
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
	if (n == 0 && !json && space == NULL) {
		char *sync = core_command(cli->core, "sync --once");

		cli_fail("no rooms in the cache: run `%s`", sync);
		free(sync);
	}
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
	return store_msg_get(core_store(cli->core), m->reply_to, out, NULL);
}

static int
cli_history_print(struct cli *cli, const char *room_id, struct store_msg *msgs, size_t n,
    int json, int flags)
{
	struct buf b = {0};

	for (size_t i = 0; i < n; i++) {
		struct store_msg q;

		if (json) {
			cli_json_msg(&b, &msgs[i], room_id);
			continue;
		}
		if (cli_quoted(cli, &msgs[i], &q) == 0) {
			cli_print_msg(stdout, &msgs[i], &q, flags);
			store_msg_clear(&q);
		} else
			cli_print_msg(stdout, &msgs[i], NULL, flags);
	}
	if (b.len > 0)
		fputs(b.data, stdout);
	buf_free(&b);
	return CLI_OK;
}

/* The thread of root (or of the thread root is a reply in) in room_id:
 * its root and last limit replies. */
static int
cli_thread(struct cli *cli, const char *room_id, const char *root, int limit,
    struct store_msg **msgs, size_t *n, char **cause)
{
	struct store *st = core_store(cli->core);
	struct store_msg m;
	char *safe;
	int r;

	if (store_msg_get(st, root, &m, cause) == -1)
		return -1;
	if (strcmp(m.room_id, room_id) != 0) {
		safe = san_text(root, 0);
		cause_set(cause, "%s is not in that room", safe);
		free(safe);
		store_msg_clear(&m);
		return -1;
	}
	r = store_thread(st, m.thread_root != NULL ? m.thread_root : m.event_id, limit, msgs, n,
	    cause);
	store_msg_clear(&m);
	return r;
}

int
cmd_history(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"limit", required_argument, NULL, 'l'},
		{"before", required_argument, NULL, 'b'},
		{"thread", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"ids", no_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	const char *before = NULL, *thread = NULL;
	struct core_result r = {0};
	struct store_msg *msgs, anchor;
	char *room_id, *cause = NULL;
	int64_t limit = 20, before_seq = INT64_MAX;
	size_t n;
	int ch, json = 0, ids = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (nt_parse_int64(optarg, &limit) == -1 || limit < 1 || limit > 100000)
				return cli_bad_arg("--limit wants a number from 1 to 100000");
			break;
		case 'b': before = optarg; break;
		case 't':
			if (optarg[0] != '$')
				return cli_bad_arg("--thread wants an event id ($...)");
			thread = optarg;
			break;
		case 'j': json = 1; break;
		case 'i': ids = 1; break;
		default: return cli_usage(cli_cmd_find("history"));
		}
	}
	if (optind + 1 != argc || (thread != NULL && before != NULL))
		return cli_usage(cli_cmd_find("history"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if ((room_id = cli_room(cli, argv[optind], 0)) == NULL)
		return CLI_FAILED;
	if (before != NULL) {
		if (store_msg_get(core_store(cli->core), before, &anchor, &cause) == -1)
			goto fail;
		before_seq = anchor.seq;
		store_msg_clear(&anchor);
	}
	/* What the cache lacks comes first; offline, the cache answers alone. */
	if (cli_finish(cli, core_history_fill(cli->core, room_id, before_seq, (int)limit,
	    core_result_cb, &r, &cause), &r, &cause) != CORE_DONE) {
		cli_fail("showing the cache only: %s", cause);
		xfree(&cause);
	}
	core_result_clear(&r);
	if (thread != NULL) {
		if (cli_thread(cli, room_id, thread, (int)limit, &msgs, &n, &cause) == -1)
			goto fail;
	} else if (store_history(core_store(cli->core), room_id, before_seq, (int)limit, &msgs,
	    &n, &cause) == -1)
		goto fail;
	cli_history_print(cli, room_id, msgs, n, json,
	    (ids ? CLI_MSG_IDS : 0) | (thread != NULL ? CLI_MSG_THREAD : 0));
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

/* "; retrying in N s" while a running natter waits to try it again. */
static const char *
cli_outbox_next(const struct store_outbox *it, char *out, size_t size)
{
	int64_t left = it->next_ts - nt_now_ms();

	out[0] = '\0';
	if (it->state == STORE_OUTBOX_QUEUED && it->next_ts != 0 && left > 0)
		snprintf(out, size, "; retrying in %lld s", (long long)(left + 999) / 1000);
	return out;
}

#define CLI_OUTBOX_TEXT 50	/* cells of a message the listing shows */

/* What a line of the outbox names: the room as the room list does, and
 * who sends (you, by the name you have there). */
void
cli_outbox_names(struct cli *cli, const struct store_outbox *it, struct cli_outbox_names *nm)
{
	struct store *st = core_store(cli->core);
	struct store_room room;
	char *self = core_self(cli->core) != NULL ? xstrdup(core_self(cli->core)) :
	    store_meta_get(st, "self"), *line;

	nm->room = xstrdup(it->room_id);
	if (store_room_get(st, it->room_id, &room, NULL) == 0) {
		free(nm->room);
		nm->room = room.name;
		room.name = NULL;
		store_room_clear(&room);
	}
	nm->sender = self != NULL ? store_member_displayname(st, it->room_id, self) : NULL;
	if (nm->sender == NULL || *nm->sender == '\0') {
		free(nm->sender);
		nm->sender = self != NULL ? xstrdup(self) : xstrdup("you");
	}
	free(self);
	line = xstrdup(it->body != NULL ? it->body : it->type);
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	nm->text = text_truncate(line, CLI_OUTBOX_TEXT);
	free(line);
}

void
cli_outbox_names_clear(struct cli_outbox_names *nm)
{
	free(nm->room);
	free(nm->sender);
	free(nm->text);
}

int
cmd_outbox(struct cli *cli, int argc, char **argv)
{
	struct store_outbox *items;
	char *cause = NULL, when[32], next[64];
	size_t n;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc != 1 && !json)
		return cli_usage(cli_cmd_find("outbox"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (store_outbox_list(core_store(cli->core), NULL, 1, &items, &n, &cause) == -1) {
		int rc = cli_fail("%s", cause);

		free(cause);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct store_outbox *it = &items[i];
		struct cli_outbox_names nm;
		char *line;

		cli_format_time(it->created_ts, when, sizeof when);
		cli_outbox_names(cli, it, &nm);
		if (json) {
			struct buf b = {0};

			buf_puts(&b, "{\"room_id\":");
			san_json_string(&b, it->room_id);
			buf_puts(&b, ",\"room\":");
			san_json_string(&b, nm.room);
			buf_puts(&b, ",\"sender\":");
			san_json_string(&b, nm.sender);
			buf_puts(&b, ",\"txn_id\":");
			san_json_string(&b, it->txn_id);
			buf_printf(&b, ",\"state\":\"%s\",\"attempts\":%d,\"created_ts\":%lld"
			    ",\"next_ts\":%lld", cli_outbox_state(it->state), it->attempts,
			    (long long)it->created_ts, (long long)it->next_ts);
			buf_puts(&b, ",\"error\":");
			san_json_string(&b, it->last_error ? it->last_error : "");
			buf_puts(&b, ",\"content\":");
			san_json_string(&b, it->content);
			buf_puts(&b, "}\n");
			fputs(b.data, stdout);
			buf_free(&b);
			cli_outbox_names_clear(&nm);
			continue;
		}
		line = xasprintf("%s  %-6s  %s (%s)  %s: %s  %d attempt(s)%s%s%s", when,
		    cli_outbox_state(it->state), nm.room, it->room_id, nm.sender, nm.text,
		    it->attempts, it->last_error ? ": " : "", it->last_error ? it->last_error : "",
		    cli_outbox_next(it, next, sizeof next));
		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
		cli_outbox_names_clear(&nm);
	}
	if (n == 0 && !json)
		puts("the outbox is empty: everything has been sent");
	store_outbox_free(&items, n);
	return CLI_OK;
}
