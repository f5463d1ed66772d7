/* natter join, leave, invite, dm and download. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "natter/sanitize.h"

/* Runs one call that answers with a value (a room id) or nothing. */
static int
cli_call_report(struct cli *cli, struct mx_call *call, struct core_wait *w, const char *done,
    char **cause)
{
	int rc = CLI_OK;

	if (call == NULL || core_wait(&cli->core, w, cause) == -1)
		rc = cli_fail("%s", *cause);
	else {
		char *line = w->value ? xasprintf("%s %s", done, w->value) : xstrdup(done);

		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
		/* Bring the change into the cache so the next command sees it. */
		core_sync_once(&cli->core, 0, NULL, NULL);
	}
	core_wait_clear(w);
	free(*cause);
	return rc;
}

int
cmd_join(struct cli *cli, int argc, char **argv)
{
	struct core_wait w = {0};
	char *cause = NULL, *room_id = NULL;
	const char *what;
	struct mx_call *call;
	int rc;

	if (argc != 2)
		return cli_usage(cli_cmd_find("join"));
	what = argv[1];
	/* An invite in the cache is accepted by its name too. */
	if (what[0] != '!' && what[0] != '#')
		what = room_id = store_room_resolve(cli->core.store, argv[1], &cause);
	if (what == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	call = mx_join(cli->core.mx, what, 0, core_wait_cb, &w, &cause);
	rc = cli_call_report(cli, call, &w, "joined", &cause);
	free(room_id);
	return rc;
}

int
cmd_leave(struct cli *cli, int argc, char **argv)
{
	struct core_wait w = {0};
	char *cause = NULL, *room_id;
	struct mx_call *call;
	int rc;

	if (argc != 2)
		return cli_usage(cli_cmd_find("leave"));
	if ((room_id = core_room_resolve(&cli->core, argv[1], 0, &cause)) == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	call = mx_leave(cli->core.mx, room_id, 0, core_wait_cb, &w, &cause);
	rc = cli_call_report(cli, call, &w, "left", &cause);
	if (rc == CLI_OK)
		printf("(%s)\n", room_id);
	free(room_id);
	return rc;
}

int
cmd_invite(struct cli *cli, int argc, char **argv)
{
	struct core_wait w = {0};
	char *cause = NULL, *room_id;
	struct mx_call *call;
	int rc;

	if (argc != 3)
		return cli_usage(cli_cmd_find("invite"));
	if (argv[2][0] != '@' || strchr(argv[2], ':') == NULL)
		return cli_fail("\"%s\" is not a user id like @name:server", argv[2]);
	if ((room_id = core_room_resolve(&cli->core, argv[1], 0, &cause)) == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	call = mx_invite(cli->core.mx, room_id, argv[2], 0, core_wait_cb, &w, &cause);
	rc = cli_call_report(cli, call, &w, "invited to", &cause);
	free(room_id);
	return rc;
}

int
cmd_dm(struct cli *cli, int argc, char **argv)
{
	char *room_id, *cause = NULL, *line;
	int created;

	if (argc != 2)
		return cli_usage(cli_cmd_find("dm"));
	if (argv[1][0] != '@' || strchr(argv[1], ':') == NULL)
		return cli_fail("\"%s\" is not a user id like @name:server", argv[1]);
	if ((room_id = core_dm(&cli->core, argv[1], &created, &cause)) == NULL) {
		int rc = cli_fail("%s", cause);

		free(cause);
		return rc;
	}
	line = xasprintf("%s %s", created ? "created" : "existing", room_id);
	cli_print_text(stdout, line, 0);
	putchar('\n');
	free(line);
	free(room_id);
	free(cause);
	return CLI_OK;
}

int
cmd_download(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct core_wait w = {0};
	struct store_msg msg;
	const char *output = NULL;
	char *path = NULL, *cause = NULL, *room_id = NULL;
	int ch, fd, rc = CLI_FAILED;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'o')
			return cli_usage(cli_cmd_find("download"));
		output = optarg;
	}
	if (optind + 2 != argc)
		return cli_usage(cli_cmd_find("download"));
	if ((room_id = core_room_resolve(&cli->core, argv[optind], 0, &cause)) == NULL ||
	    store_msg_get(cli->core.store, argv[optind + 1], &msg, &cause) == -1)
		goto out;
	if (strcmp(msg.room_id, room_id) != 0) {
		cause_set(&cause, "%s is not in %s", argv[optind + 1], argv[optind]);
		goto out_msg;
	}
	if (msg.url == NULL) {
		cause_set(&cause, "%s has no attachment", argv[optind + 1]);
		goto out_msg;
	}
	if (output != NULL) {
		path = xstrdup(output);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd == -1)
			cause_set(&cause, "cannot create %s: %s", path, strerror(errno));
	} else
		fd = core_download_file(cli->core.paths.download_dir,
		    msg.filename ? msg.filename : "attachment", &path, &cause);
	if (fd == -1)
		goto out_msg;
	if (mx_download(cli->core.mx, msg.url, fd, 0, 0, core_wait_cb, &w, &cause) != NULL &&
	    core_wait(&cli->core, &w, &cause) == 0) {
		fputs("saved ", stdout);
		cli_print_text(stdout, path, 0);
		putchar('\n');
		rc = CLI_OK;
	} else if (output == NULL)
		unlink(path);
	close(fd);
	core_wait_clear(&w);
out_msg:
	store_msg_clear(&msg);
out:
	if (rc != CLI_OK)
		cli_fail("%s", cause);
	free(room_id);
	free(path);
	free(cause);
	return rc;
}

/* Marks a room read up to its newest cached event: the public receipt
 * (others see how far you read) and the fully-read marker. */
int
cmd_read(struct cli *cli, int argc, char **argv)
{
	struct core_wait w = {0};
	struct store_msg *msgs = NULL;
	char *room_id, *cause = NULL, *done = NULL;
	struct mx_call *call = NULL;
	size_t n = 0;
	int rc;

	if (argc != 2)
		return cli_usage(cli_cmd_find("read"));
	if ((room_id = core_room_resolve(&cli->core, argv[1], 0, &cause)) == NULL ||
	    store_history(cli->core.store, room_id, INT64_MAX, 1, &msgs, &n, &cause) == -1) {
		rc = cli_fail("%s", cause);
		free(room_id);
		free(cause);
		return rc;
	}
	if (n == 0)
		cause_set(&cause, "nothing in the cache to mark read: run `natter sync --once`");
	else {
		call = mx_read_markers(cli->core.mx, room_id, msgs[0].event_id, msgs[0].event_id,
		    0, core_wait_cb, &w, &cause);
		done = xasprintf("read up to %s", msgs[0].event_id);
	}
	rc = cli_call_report(cli, call, &w, done ? done : "", &cause);
	free(done);
	store_msgs_free(&msgs, n);
	free(room_id);
	return rc;
}
