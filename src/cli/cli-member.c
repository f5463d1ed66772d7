/* natter join, leave, invite, dm and download. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-private.h"
#include "natter/sanitize.h"

/* Finishes an operation that answers with a room id (or nothing) and
 * says done; then brings the change into the cache for the next command. */
static int
cli_report(struct cli *cli, int start, struct core_result *r, const char *done, char **cause)
{
	int rc = CLI_OK;

	if (cli_finish(cli, start, r, cause) != CORE_DONE)
		rc = cli_fail("%s", *cause);
	else {
		char *line = r->text ? xasprintf("%s %s", done, r->text) : xstrdup(done);

		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
		cli_sync_in(cli);
	}
	core_result_clear(r);
	free(*cause);
	return rc;
}

char *
cli_resolve(struct cli *cli, const char *what, int flags, char **cause)
{
	struct core_result r = {0};
	char *room_id = NULL;

	if (cli_finish(cli, core_resolve(cli->core, what, flags, core_result_cb, &r, cause), &r,
	    cause) == CORE_DONE) {
		room_id = r.text;
		r.text = NULL;
	}
	core_result_clear(&r);
	return room_id;
}

char *
cli_room(struct cli *cli, const char *what, int flags)
{
	char *cause = NULL, *room_id = cli_resolve(cli, what, flags, &cause);

	if (room_id == NULL)
		cli_fail("%s", cause);
	free(cause);
	return room_id;
}

int
cmd_join(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	char *cause = NULL, *room_id = NULL;
	const char *what;
	int rc;

	if (argc != 2)
		return cli_usage(cli_cmd_find("join"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	what = argv[1];
	/* An invite in the cache is accepted by its name too. */
	if (what[0] != '!' && what[0] != '#')
		what = room_id = store_room_resolve(core_store(cli->core), argv[1], &cause);
	if (what == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	rc = cli_report(cli, core_join(cli->core, what, core_result_cb, &r, &cause), &r, "joined",
	    &cause);
	free(room_id);
	return rc;
}

int
cmd_leave(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	char *cause = NULL, *room_id;
	int rc;

	if (argc != 2)
		return cli_usage(cli_cmd_find("leave"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if ((room_id = cli_room(cli, argv[1], 0)) == NULL)
		return CLI_FAILED;
	rc = cli_report(cli, core_leave(cli->core, room_id, core_result_cb, &r, &cause), &r,
	    "left", &cause);
	free(room_id);
	return rc;
}

int
cmd_invite(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	char *cause = NULL, *room_id;
	int rc;

	if (argc != 3)
		return cli_usage(cli_cmd_find("invite"));
	if (!cli_user_id(argv[2]))
		return cli_bad_arg("\"%s\" is not a user id like @name:server", argv[2]);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if ((room_id = cli_room(cli, argv[1], 0)) == NULL)
		return CLI_FAILED;
	rc = cli_report(cli, core_invite(cli->core, room_id, argv[2], core_result_cb, &r, &cause),
	    &r, "invited to", &cause);
	free(room_id);
	return rc;
}

int
cmd_dm(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	char *cause = NULL, *line;
	int created = 0, rc = CLI_OK;

	if (argc != 2)
		return cli_usage(cli_cmd_find("dm"));
	if (!cli_user_id(argv[1]))
		return cli_bad_arg("\"%s\" is not a user id like @name:server", argv[1]);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (cli_finish(cli, core_dm(cli->core, argv[1], &created, core_result_cb, &r, &cause), &r,
	    &cause) != CORE_DONE)
		rc = cli_fail("%s", cause);
	else {
		line = xasprintf("%s %s", created ? "created" : "existing", r.text);
		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
	}
	core_result_clear(&r);
	free(cause);
	return rc;
}

int
cmd_download(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct core_result r = {0};
	struct store_msg msg;
	const char *output = NULL;
	char *cause = NULL, *room_id = NULL;
	int ch, rc = CLI_FAILED;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'o')
			return cli_usage(cli_cmd_find("download"));
		output = optarg;
	}
	if (optind + 2 != argc)
		return cli_usage(cli_cmd_find("download"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if ((room_id = cli_room(cli, argv[optind], 0)) == NULL)
		return CLI_FAILED;
	if (store_msg_get(core_store(cli->core), argv[optind + 1], &msg, &cause) == -1)
		goto out;
	if (strcmp(msg.room_id, room_id) != 0)
		cause_set(&cause, "%s is not in %s", argv[optind + 1], argv[optind]);
	else if (cli_finish(cli, core_download(cli->core, msg.event_id, output, core_result_cb,
	    &r, &cause), &r, &cause) == CORE_DONE) {
		fputs("saved ", stdout);
		cli_print_text(stdout, r.text, 0);
		putchar('\n');
		rc = CLI_OK;
	}
	store_msg_clear(&msg);
out:
	if (rc != CLI_OK)
		cli_fail("%s", cause);
	core_result_clear(&r);
	free(room_id);
	free(cause);
	return rc;
}

/* Marks a room read up to its newest cached event: the public receipt
 * (others see how far you read) and the fully-read marker. */
int
cmd_read(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	struct store_msg *msgs = NULL;
	char *room_id, *cause = NULL;
	size_t n = 0;
	int rc;

	if (argc != 2)
		return cli_usage(cli_cmd_find("read"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if ((room_id = cli_room(cli, argv[1], 0)) == NULL)
		return CLI_FAILED;
	if (store_history(core_store(cli->core), room_id, INT64_MAX, 1, &msgs, &n, &cause) == -1 ||
	    n == 0) {
		if (n == 0 && cause == NULL) {
			char *sync = core_command(cli->core, "sync --once");

			cause = xasprintf("nothing in the cache to mark read: run `%s`", sync);
			free(sync);
		}
		rc = cli_fail("%s", cause);
		free(room_id);
		free(cause);
		return rc;
	}
	rc = cli_report(cli, core_mark_read(cli->core, room_id, msgs[0].event_id, core_result_cb,
	    &r, &cause), &r, "read up to", &cause);
	store_msgs_free(&msgs, n);
	free(room_id);
	return rc;
}
