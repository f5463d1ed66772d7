/* natter send --at and natter scheduled: messages to send later, on the
 * homeserver or here. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli-private.h"
#include "natter/sanitize.h"

void
cli_format_due(int64_t ms, char *out, size_t size)
{
	nt_local_time(ms, "%a %Y-%m-%d %H:%M %Z", "?", out, size);
}

/* Where row id waits, said after "scheduled #ID for TIME in ROOM";
 * label names the room as typed (NULL: by its name). */
static int
cli_sched_told(struct cli *cli, const char *label, int64_t id)
{
	struct cli_outbox_names nm;
	struct store_outbox item;
	char due[64], *line, *cause = NULL, *sync;
	int rc;

	if (store_outbox_get(core_store(cli->core), id, &item, &cause) == -1) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	cli_outbox_names(cli, &item, &nm);
	if (label == NULL)
		label = nm.room;
	cli_format_due(item.due_ts, due, sizeof due);
	sync = core_command(cli->core, "sync");
	if (item.state == STORE_OUTBOX_HELD)
		line = xasprintf("scheduled #%lld for %s in %s: the homeserver holds it and sends "
		    "it then, whether or not natter is running", (long long)id, due, label);
	else
		line = xasprintf("scheduled #%lld for %s in %s: it waits here and goes at its "
		    "time from a natter of this profile that is running then (the interface, or `%s`)"
		    "%s%s", (long long)id, due, label, sync,
		    item.last_error != NULL ? "; not on the homeserver: " : "",
		    item.last_error != NULL ? item.last_error : "");
	cli_print_text(stdout, line, 0);
	putchar('\n');
	free(line);
	free(sync);
	cli_outbox_names_clear(&nm);
	store_outbox_clear(&item);
	return CLI_OK;
}

/* Waits for a scheduling operation started with r (start: what its
 * start function returned, cause what it said), and says where the
 * message waits when tell (label: as cli_sched_told's). */
static int
cli_sched_finish(struct cli *cli, int tell, const char *label, int start,
    struct core_result *r, char **cause)
{
	int64_t id;
	int rc;

	if (cli_finish(cli, start, r, cause) != CORE_DONE)
		rc = cli_fail("%s", *cause != NULL ? *cause : "interrupted");
	else if (r->text == NULL || nt_parse_int64(r->text, &id) == -1)
		rc = cli_fail("the scheduled message has no id");
	else
		rc = tell ? cli_sched_told(cli, label, id) : CLI_OK;
	core_result_clear(r);
	xfree(cause);
	return rc;
}

int
cli_schedule(struct cli *cli, const char *room_id, const char *label,
    const struct core_draft *d, int64_t due_ms)
{
	struct core_result r = {0};
	char *cause = NULL;

	return cli_sched_finish(cli, 1, label, core_schedule(cli->core, room_id, d, due_ms,
	    core_result_cb, &r, &cause), &r, &cause);
}

static void
cli_sched_json(const struct store_outbox *it, const struct cli_outbox_names *nm,
    const char *due)
{
	struct buf b = {0};

	buf_printf(&b, "{\"id\":%lld,\"room_id\":", (long long)it->id);
	san_json_string(&b, it->room_id);
	buf_puts(&b, ",\"room\":");
	san_json_string(&b, nm->room);
	buf_printf(&b, ",\"due_ts\":%lld,\"due\":", (long long)it->due_ts);
	san_json_string(&b, due);
	buf_printf(&b, ",\"waits\":\"%s\",\"text\":",
	    it->state == STORE_OUTBOX_HELD ? "server" : "here");
	san_json_string(&b, it->body != NULL ? it->body : "");
	buf_puts(&b, ",\"note\":");
	san_json_string(&b, it->last_error != NULL ? it->last_error : "");
	buf_puts(&b, "}\n");
	fputs(b.data, stdout);
	buf_free(&b);
}

/* What the homeserver no longer holds leaves the list first: cancelled,
 * or sent, from another device. Offline, the list is natter's own. */
static void
cli_sched_refresh(struct cli *cli)
{
	struct core_result r = {0};
	char *cause = NULL, *msg = NULL;

	if (cli_finish(cli, core_schedule_refresh(cli->core, core_result_cb, &r, &cause), &r,
	    &cause) != CORE_DONE)
		msg = xasprintf("%s (the list below is natter's own)",
		    cause != NULL ? cause : "interrupted");
	else if (r.text != NULL)
		msg = xstrdup(r.text);
	if (msg != NULL) {
		fputs("natter: ", stderr);
		cli_print_text(stderr, msg, 0);
		fputc('\n', stderr);
	}
	free(msg);
	free(cause);
	core_result_clear(&r);
}

static int
cli_sched_list(struct cli *cli, int json)
{
	struct store_outbox *items;
	char *cause = NULL, due[64], *line;
	size_t n;
	int rc;

	cli_sched_refresh(cli);
	if (store_outbox_scheduled(core_store(cli->core), NULL, nt_now_ms(), &items, &n,
	    &cause) == -1) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct cli_outbox_names nm;

		cli_outbox_names(cli, &items[i], &nm);
		cli_format_due(items[i].due_ts, due, sizeof due);
		if (json)
			cli_sched_json(&items[i], &nm, due);
		else {
			line = xasprintf("#%lld  %s  %-6s  %s: %s", (long long)items[i].id, due,
			    items[i].state == STORE_OUTBOX_HELD ? "server" : "here", nm.room,
			    nm.text);
			cli_print_text(stdout, line, 0);
			putchar('\n');
			free(line);
		}
		cli_outbox_names_clear(&nm);
	}
	if (n == 0 && !json)
		puts("nothing is scheduled");
	store_outbox_free(&items, n);
	return CLI_OK;
}

/* ID as natter scheduled lists it: "12" or "#12". */
static int
cli_sched_id(const char *s, int64_t *id)
{
	if (*s == '#')
		s++;
	return nt_parse_int64(s, id) == 0 && *id > 0 ? 0 : -1;
}

int
cmd_scheduled(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"cancel", required_argument, NULL, 'c'},
		{"edit", required_argument, NULL, 'e'},
		{"at", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const struct cli_cmd *cmd = cli_cmd_find("scheduled");
	const char *cancel = NULL, *edit = NULL, *at = NULL;
	struct core_result r = {0};
	char *text = NULL, *cause = NULL, label[32];
	int64_t id = 0, due = 0;
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cancel = optarg; break;
		case 'e': edit = optarg; break;
		case 'a': at = optarg; break;
		case 'j': json = 1; break;
		default: return cli_usage(cmd);
		}
	}
	if ((cancel != NULL) + (edit != NULL) + json > 1 || (at != NULL && edit == NULL) ||
	    (optind < argc && edit == NULL))
		return cli_usage(cmd);
	if ((cancel != NULL && cli_sched_id(cancel, &id) == -1) ||
	    (edit != NULL && cli_sched_id(edit, &id) == -1))
		return cli_bad_arg("\"%s\" is not the number of a scheduled message "
		    "(natter scheduled lists them)", cancel != NULL ? cancel : edit);
	if (at != NULL && nt_when_parse(at, nt_now_ms(), &due, NULL, &cause) == -1) {
		rc = cli_bad_arg("--at: %s", cause);
		free(cause);
		return rc;
	}
	if (edit != NULL && at == NULL && optind >= argc)
		return cli_bad_arg("--edit %s: say what changes: --at WHEN, a new text, or both",
		    edit);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (cancel == NULL && edit == NULL)
		return cli_sched_list(cli, json);
	snprintf(label, sizeof label, "#%lld", (long long)id);
	if (cancel != NULL) {
		if ((rc = cli_sched_finish(cli, 0, NULL, core_schedule_cancel(cli->core, id,
		    core_result_cb, &r, &cause), &r, &cause)) == CLI_OK)
			printf("cancelled scheduled message %s\n", label);
		return rc;
	}
	if (optind < argc && (text = cli_text_arg(argc - optind, argv + optind, &cause)) == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	rc = cli_sched_finish(cli, 1, NULL, core_schedule_edit(cli->core, id, due, text,
	    core_result_cb, &r, &cause), &r, &cause);
	free(text);
	return rc;
}
