/* natter send, edit, react and redact. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-private.h"

/* An attempt failed and another follows: said at once, not after a
 * silence as long as the retries. */
static void
cli_send_retrying(void *arg, int64_t id, int status, const char *text, int64_t retry_ms)
{
	struct cli *cli = arg;
	struct store_outbox item;

	if (status != CORE_QUEUED || retry_ms <= 0)
		return;
	if (store_outbox_get(core_store(cli->core), id, &item, NULL) == -1)
		return;
	cli_fail("not sent to %s yet (%s); retrying in %lld s", item.room_id,
	    text != NULL ? text : "no answer", (long long)(retry_ms + 999) / 1000);
	store_outbox_clear(&item);
}

/* Waits for a send started with r and reports its outcome for one
 * target: sent, waiting in the outbox, or refused. */
int
cli_send_report(struct cli *cli, const char *label, int start, struct core_result *r,
    char **cause)
{
	static const struct core_events events = {.outbox = cli_send_retrying};
	int status;
	char *line;

	core_listen(cli->core, &events, cli);
	status = cli_finish(cli, start, r, cause);

	if (status == CORE_DONE)
		line = xasprintf("sent %s %s", label, r->text);
	else if (status == CORE_QUEUED) {
		char *sync = core_command(cli->core, "sync");
		char *send = core_command(cli->core, "send");

		line = xasprintf("natter: queued %s: not sent yet (%s); it waits in the outbox and "
		    "goes with the next `%s` or `%s`", label, r->text, sync, send);
		free(send);
		free(sync);
	} else
		line = xasprintf("natter: failed %s: %s", label, *cause);
	cli_print_text(status == CORE_DONE ? stdout : stderr, line, 0);
	fputc('\n', status == CORE_DONE ? stdout : stderr);
	free(line);
	core_result_clear(r);
	xfree(cause);
	return status == CORE_DONE ? CLI_OK : CLI_FAILED;
}

/* Whether event_id is a cached event of room_id (a thread's root must be
 * known: its thread cannot be told from an id alone). */
static int
cli_in_room(struct cli *cli, const char *room_id, const char *event_id, char **cause)
{
	struct store_msg m;
	int r = 0;

	if (store_msg_get(core_store(cli->core), event_id, &m, cause) == -1)
		return -1;
	if (strcmp(m.room_id, room_id) != 0)
		r = cause_set(cause, "%s is not in that room", m.event_id);
	store_msg_clear(&m);
	return r;
}

int
cmd_send(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"emote", no_argument, NULL, 'e'},
		{"reply", required_argument, NULL, 'r'},
		{"thread", required_argument, NULL, 't'},
		{"file", required_argument, NULL, 'f'},
		{"at", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	const char *reply = NULL, *file = NULL, *at = NULL, *thread = NULL;
	struct core_result r = {0};
	struct core_draft d;
	char *room_id = NULL, *text = NULL, *cause = NULL;
	int ch, rc, emote = 0;
	int64_t due = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': emote = 1; break;
		case 'r': reply = optarg; break;
		case 'f': file = optarg; break;
		case 'a': at = optarg; break;
		case 't':
			if (optarg[0] != '$')
				return cli_bad_arg("--thread wants an event id ($...)");
			thread = optarg;
			break;
		default: return cli_usage(cli_cmd_find("send"));
		}
	}
	if (optind >= argc || (file != NULL && (optind + 1 != argc || thread != NULL)) ||
	    (file != NULL && at != NULL))
		return cli_usage(cli_cmd_find("send"));
	if (at != NULL && nt_when_parse(at, nt_now_ms(), &due, NULL, &cause) == -1) {
		rc = cli_bad_arg("--at: %s", cause);
		free(cause);
		return rc;
	}
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (file == NULL && (text = cli_text_arg(argc - optind - 1, argv + optind + 1,
	    &cause)) == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	if ((room_id = cli_room(cli, argv[optind], CORE_RESOLVE_DM)) == NULL) {
		free(text);
		return CLI_FAILED;
	}
	if (thread != NULL && cli_in_room(cli, room_id, thread, &cause) == -1) {
		rc = cli_fail("%s", cause);
		free(cause);
		free(room_id);
		free(text);
		return rc;
	}
	d = (struct core_draft){.text = text, .emote = emote, .reply_to = reply,
	    .thread = thread};
	if (at != NULL) {
		rc = cli_schedule(cli, room_id, argv[optind], &d, due);
		free(room_id);
		free(text);
		return rc;
	}
	rc = cli_send_report(cli, room_id, file != NULL ?
	    core_send_file(cli->core, room_id, file, core_result_cb, &r, &cause) :
	    core_send_draft(cli->core, room_id, &d, core_result_cb, &r, &cause), &r, &cause);
	free(room_id);
	free(text);
	return rc;
}

/* The room and event of edit, react and redact, with what follows. */
static int
cli_room_event(struct cli *cli, int argc, char **argv, int min_args, char **room_id,
    struct store_msg *msg, char **cause)
{
	if (argc < min_args)
		return cli_usage(cli->cmd);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if ((*room_id = cli_room(cli, argv[1], 0)) == NULL)
		return CLI_FAILED;
	if (store_msg_get(core_store(cli->core), argv[2], msg, cause) == -1) {
		xfree(room_id);
		return CLI_FAILED;
	}
	if (strcmp(msg->room_id, *room_id) != 0) {
		cause_set(cause, "%s is not in %s", argv[2], argv[1]);
		store_msg_clear(msg);
		xfree(room_id);
		return CLI_FAILED;
	}
	return CLI_OK;
}

int
cmd_edit(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	struct store_msg msg;
	char *room_id, *text, *cause = NULL;
	int rc;

	if ((rc = cli_room_event(cli, argc, argv, 3, &room_id, &msg, &cause)) != CLI_OK)
		goto out;
	if (core_self(cli->core) == NULL || strcmp(msg.sender, core_self(cli->core)) != 0) {
		cause_set(&cause, "%s was not sent by you: only your own messages can be edited",
		    argv[2]);
		rc = CLI_FAILED;
	} else if ((text = cli_text_arg(argc - 3, argv + 3, &cause)) == NULL)
		rc = CLI_FAILED;
	else {
		rc = cli_send_report(cli, room_id, core_send_edit(cli->core, room_id, argv[2], text,
		    core_result_cb, &r, &cause), &r, &cause);
		free(text);
	}
	store_msg_clear(&msg);
	free(room_id);
out:
	if (rc == CLI_FAILED && cause != NULL)
		cli_fail("%s", cause);
	free(cause);
	return rc;
}

int
cmd_react(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	struct store_msg msg;
	char *room_id, *cause = NULL;
	int rc;

	if (argc != 4)
		return cli_usage(cli_cmd_find("react"));
	if ((rc = cli_room_event(cli, argc, argv, 4, &room_id, &msg, &cause)) == CLI_OK) {
		rc = cli_send_report(cli, room_id, core_send_reaction(cli->core, room_id, argv[2],
		    argv[3], core_result_cb, &r, &cause), &r, &cause);
		store_msg_clear(&msg);
		free(room_id);
	} else if (cause != NULL)
		cli_fail("%s", cause);
	free(cause);
	return rc;
}

int
cmd_redact(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	struct store_msg msg;
	char *room_id, *cause = NULL;
	int rc;

	if (argc != 3)
		return cli_usage(cli_cmd_find("redact"));
	if ((rc = cli_room_event(cli, argc, argv, 3, &room_id, &msg, &cause)) == CLI_OK) {
		if (cli_finish(cli, core_redact(cli->core, room_id, argv[2], core_result_cb, &r,
		    &cause), &r, &cause) != CORE_DONE)
			rc = CLI_FAILED;
		else
			printf("deleted %s\n", msg.event_id);
		core_result_clear(&r);
		store_msg_clear(&msg);
		free(room_id);
	}
	if (rc == CLI_FAILED && cause != NULL)
		cli_fail("%s", cause);
	free(cause);
	return rc;
}
