/* natter broadcast: one message to many rooms and people (named lists of
 * them from the config too), kept in the cache; --list and --report say
 * later what became of each. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-private.h"
#include "natter/sanitize.h"

#define CLI_EXCERPT_MAX 60	/* bytes of a message shown in a list or report */

/* A target of a broadcast, and the room it means once resolved. */
struct cli_target {
	const char *name;
	const char *list;	/* the config's list it came from, or NULL */
	char *room_id;
	char *why;		/* why it means no room */
};

static void
cli_target_resolve(struct cli *cli, struct cli_target *t)
{
	struct core_result r = {0};

	if (cli_finish(cli, core_resolve(cli->core, t->name, CORE_RESOLVE_DM, core_result_cb, &r,
	    &t->why), &r, &t->why) == CORE_DONE) {
		t->room_id = r.text;
		r.text = NULL;
	}
	core_result_clear(&r);
}

/* Rooms first, then people (whose direct chats may have to be made), so
 * that a list naming an unknown room stops before any chat is made. */
static int
cli_targets_resolve(struct cli *cli, struct cli_target *t, size_t n)
{
	int bad_member = 0;
	char *line;

	for (int people = 0; people < 2; people++) {
		for (size_t i = 0; i < n && !bad_member; i++) {
			if (cli_user_id(t[i].name) != people)
				continue;
			cli_target_resolve(cli, &t[i]);
			bad_member |= t[i].room_id == NULL && t[i].list != NULL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i].room_id != NULL || t[i].why == NULL)
			continue;
		if (t[i].list != NULL)
			line = xasprintf("natter: %s (of list %s): %s", t[i].name, t[i].list,
			    t[i].why);
		else
			line = xasprintf("natter: failed %s: %s", t[i].name, t[i].why);
		cli_print_text(stderr, line, 0);
		fputc('\n', stderr);
		free(line);
	}
	return bad_member ? -1 : 0;
}

/* The copies, each reported as it goes, and the broadcast's number. */
static int
cli_broadcast_send(struct cli *cli, struct cli_target *t, size_t n, const char *text,
    int emote)
{
	struct core_result r = {0};
	char *cause = NULL, *report;
	int64_t id;
	int failed = 0;

	if (core_broadcast_new(cli->core, text, &id, &cause) == -1) {
		failed = cli_fail("%s: nothing was sent", cause);
		free(cause);
		return failed;
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i].room_id == NULL) {
			core_broadcast_unsent(cli->core, id, t[i].name, NULL, t[i].why);
			failed++;
			continue;
		}
		failed += cli_send_report(cli, t[i].name, core_broadcast_send(cli->core, id,
		    t[i].name, t[i].room_id, text, emote, core_result_cb, &r, &cause), &r,
		    &cause) != CLI_OK;
	}
	report = core_command(cli->core, "broadcast --report");
	printf("broadcast %lld (`%s %lld` says who read it)\n", (long long)id, report,
	    (long long)id);
	free(report);
	if (failed > 0)
		cli_fail("%d of %zu targets did not get the message", failed, n);
	return failed > 0 ? CLI_FAILED : CLI_OK;
}

static int
cli_broadcast_to(struct cli *cli, const char *to, int argc, char **argv, int emote)
{
	struct settings_targets names;
	struct cli_target *t;
	char *text, *cause = NULL;
	int rc;

	if (settings_targets_expand(&cli->settings, to, &names, &cause) == -1) {
		rc = cli_fail("%s: nothing was sent", cause);
		free(cause);
		return rc;
	}
	if (cli_open(cli) != CLI_OK) {
		settings_targets_clear(&names);
		return CLI_FAILED;
	}
	if ((text = cli_text_arg(argc, argv, &cause)) == NULL) {
		settings_targets_clear(&names);
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	t = xcalloc(names.n, sizeof *t);
	for (size_t i = 0; i < names.n; i++)
		t[i] = (struct cli_target){names.items[i], names.from[i], NULL, NULL};
	if (cli_targets_resolve(cli, t, names.n) == -1)
		rc = cli_fail("a list names what natter cannot find: nothing was sent");
	else
		rc = cli_broadcast_send(cli, t, names.n, text, emote);
	for (size_t i = 0; i < names.n; i++) {
		free(t[i].room_id);
		free(t[i].why);
	}
	free(t);
	free(text);
	settings_targets_clear(&names);
	return rc;
}

static int
cli_broadcast_list(struct cli *cli, int json)
{
	struct store_broadcast *b;
	struct buf out = {0};
	char when[32], *cause = NULL, *text;
	size_t n;
	int first;

	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (store_broadcast_list(core_store(cli->core), &b, &n, &cause) == -1) {
		first = cli_fail("%s", cause);
		free(cause);
		return first;
	}
	for (size_t i = 0; i < n; i++) {
		if (json) {
			first = 1;
			cli_json_int(&out, "id", b[i].id, &first);
			cli_json_int(&out, "ts", b[i].created_ts, &first);
			cli_json_int(&out, "targets", b[i].targets, &first);
			cli_json_int(&out, "sent", b[i].sent, &first);
			cli_json_str(&out, "text", b[i].body, &first);
			buf_puts(&out, "}\n");
			continue;
		}
		cli_format_time(b[i].created_ts, when, sizeof when);
		text = san_excerpt(b[i].body, CLI_EXCERPT_MAX);
		buf_printf(&out, "%-4lld %s  sent to %d of %d  %s\n", (long long)b[i].id, when,
		    b[i].sent, b[i].targets, text);
		free(text);
	}
	if (out.data != NULL)
		fputs(out.data, stdout);
	else if (!json)
		puts("no broadcasts yet");
	buf_free(&out);
	store_broadcast_free(&b, n);
	return CLI_OK;
}

static const char *const cli_bcast_sent_names[] = {
	[STORE_BCAST_UNSENT] = "unsent",
	[STORE_BCAST_QUEUED] = "queued",
	[STORE_BCAST_SENT] = "sent",
	[STORE_BCAST_REFUSED] = "refused",
	[STORE_BCAST_DISCARDED] = "discarded",
};

static void
cli_report_json(struct buf *b, int64_t id, const struct store_bcast_recipient *r)
{
	char *excerpt;
	int first = 1;

	cli_json_int(b, "broadcast", id, &first);
	cli_json_str(b, "target", r->target, &first);
	cli_json_str(b, "room_id", r->room_id, &first);
	cli_json_str(b, "room", r->room_name, &first);
	cli_json_bool(b, "direct", r->direct, &first);
	cli_json_str(b, "user_id", r->user_id, &first);
	cli_json_str(b, "name", r->user_name, &first);
	cli_json_str(b, "sent", cli_bcast_sent_names[r->sent], &first);
	cli_json_str(b, "event_id", r->event_id, &first);
	if (r->sent == STORE_BCAST_SENT)
		cli_json_int(b, "sent_ts", r->sent_ts, &first);
	cli_json_str(b, "why", r->why, &first);
	cli_json_bool(b, "read", r->read_event != NULL, &first);
	if (r->read_event != NULL)
		cli_json_int(b, "read_ts", r->read_ts, &first);
	cli_json_bool(b, "replied", r->reply_event != NULL, &first);
	if (r->reply_event != NULL) {
		cli_json_str(b, "reply_event_id", r->reply_event, &first);
		cli_json_int(b, "reply_ts", r->reply_ts, &first);
		excerpt = san_excerpt(r->reply_body != NULL ? r->reply_body : "", CLI_EXCERPT_MAX);
		cli_json_str(b, "reply", excerpt, &first);
		free(excerpt);
	}
	buf_puts(b, "}\n");
}

/* Whom and where: "Ann (@ann:x) in Board", "Dan (@dan:x), direct chat",
 * or the target alone. */
static void
cli_report_who(struct buf *b, const struct store_bcast_recipient *r)
{
	const char *room = r->room_name != NULL ? r->room_name : r->room_id;

	if (r->user_id == NULL) {
		buf_puts(b, r->target);
		if (r->room_id != NULL && r->sent == STORE_BCAST_SENT)
			buf_puts(b, " (nobody else is in the room)");
	} else {
		if (r->user_name != NULL && *r->user_name != '\0')
			buf_printf(b, "%s (%s)", r->user_name, r->user_id);
		else
			buf_puts(b, r->user_id);
		if (r->direct)
			buf_puts(b, ", direct chat");
		else
			buf_printf(b, " in %s", room);
	}
	buf_puts(b, ": ");
}

static void
cli_report_line(struct buf *b, const struct store_bcast_recipient *r)
{
	cli_report_who(b, r);
	core_broadcast_fate(b, r, 1);
	buf_putc(b, '\n');
}

/* The group rooms of broadcast id, whose members a sync loads lazily,
 * each listed once from its report rows. */
static size_t
cli_report_rooms(const struct store_bcast_recipient *r, size_t n, const char **rooms)
{
	size_t k = 0, j;

	for (size_t i = 0; i < n; i++) {
		if (r[i].room_id == NULL || r[i].direct)
			continue;
		for (j = 0; j < k && strcmp(rooms[j], r[i].room_id) != 0; j++)
			;
		if (j == k)
			rooms[k++] = r[i].room_id;
	}
	return k;
}

/* Whom a group room's copy reached is its joined members now, asked of
 * the homeserver; a room that cannot be asked keeps the cache's. */
static void
cli_report_members(struct cli *cli, int64_t id)
{
	struct store_bcast_recipient *r;
	struct core_result res = {0};
	const char **rooms;
	char *cause = NULL;
	size_t n, k;

	if (store_broadcast_report(core_store(cli->core), id, core_self(cli->core), &r, &n,
	    NULL) == -1)
		return;
	rooms = xcalloc(n + 1, sizeof *rooms);
	k = cli_report_rooms(r, n, rooms);
	for (size_t i = 0; i < k; i++) {
		if (cli_finish(cli, core_members_fetch(cli->core, rooms[i], core_result_cb, &res,
		    &cause), &res, &cause) != CORE_DONE)
			cli_fail("%s: who is in that room may be out of date", cause);
		core_result_clear(&res);
		xfree(&cause);
	}
	free(rooms);
	store_bcast_recipients_free(&r, n);
}

static int
cli_broadcast_report(struct cli *cli, int64_t id, int json)
{
	struct store_bcast_recipient *r;
	struct store_broadcast b;
	struct buf out = {0};
	char when[32], *cause = NULL, *text;
	size_t n;

	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	cli_sync_in(cli);
	cli_report_members(cli, id);
	if (store_broadcast_get(core_store(cli->core), id, &b, &cause) == -1 ||
	    store_broadcast_report(core_store(cli->core), id, core_self(cli->core), &r, &n,
	    &cause) == -1) {
		store_broadcast_clear(&b);
		cli_fail("%s", cause);
		free(cause);
		return CLI_FAILED;
	}
	if (!json) {
		cli_format_time(b.created_ts, when, sizeof when);
		text = san_excerpt(b.body, CLI_EXCERPT_MAX);
		buf_printf(&out, "broadcast %lld, %s: %s\n", (long long)id, when, text);
		free(text);
	}
	for (size_t i = 0; i < n; i++) {
		if (json)
			cli_report_json(&out, id, &r[i]);
		else
			cli_report_line(&out, &r[i]);
	}
	if (!json) {
		core_broadcast_tally(&out, r, n);
		buf_putc(&out, '\n');
	}
	cli_print_text(stdout, out.data, SAN_MULTILINE);
	buf_free(&out);
	store_bcast_recipients_free(&r, n);
	store_broadcast_clear(&b);
	return CLI_OK;
}

int
cmd_broadcast(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},
		{"emote", no_argument, NULL, 'e'},
		{"list", no_argument, NULL, 'l'},
		{"report", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *to = NULL, *report = NULL;
	int ch, emote = 0, list = 0, json = 0;
	int64_t id = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'e': emote = 1; break;
		case 'l': list = 1; break;
		case 'r': report = optarg; break;
		case 'j': json = 1; break;
		default: return cli_usage(cli_cmd_find("broadcast"));
		}
	}
	if ((to != NULL) + list + (report != NULL) != 1 || (to != NULL && json) ||
	    (to == NULL && (emote || optind < argc)))
		return cli_usage(cli_cmd_find("broadcast"));
	if (report != NULL && (nt_parse_int64(report, &id) == -1 || id <= 0))
		return cli_bad_arg("--report takes a broadcast's number (natter broadcast "
		    "--list), not \"%s\"", report);
	if (list)
		return cli_broadcast_list(cli, json);
	if (report != NULL)
		return cli_broadcast_report(cli, id, json);
	if (to[strspn(to, ", ")] == '\0')
		return cli_usage(cli_cmd_find("broadcast"));
	return cli_broadcast_to(cli, to, argc - optind, argv + optind, emote);
}
