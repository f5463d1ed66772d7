/* natter send, broadcast, edit, react and redact. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "natter/msg.h"

/* Reports the outcome of core_send for one target. */
static int
cli_send_report(const char *label, int rc, const char *event_id, const char *cause)
{
	char *line;

	if (rc == 0)
		line = xasprintf("sent %s %s", label, event_id);
	else if (rc == 1)
		line = xasprintf("queued %s: %s", label, cause);
	else
		line = xasprintf("failed %s: %s", label, cause);
	cli_print_text(rc == 0 ? stdout : stderr, line, 0);
	fputc('\n', rc == 0 ? stdout : stderr);
	free(line);
	return rc == 0 ? CLI_OK : CLI_FAILED;
}

static int
cli_send_content(struct cli *cli, const char *room_id, const char *type, const char *content)
{
	char *event_id = NULL, *cause = NULL;
	int rc = core_send(&cli->core, room_id, type, content, &event_id, &cause);

	rc = cli_send_report(room_id, rc, event_id, cause);
	free(event_id);
	free(cause);
	return rc;
}

/* Uploads path and returns the m.room.message content for it. */
static char *
cli_upload(struct cli *cli, const char *path, char **cause)
{
	struct core_wait w = {0};
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *type = msg_mimetype_guess(base);
	char *content = NULL;
	struct stat sb;

	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		cause_set(cause, "%s: not a readable file", path);
		return NULL;
	}
	if (mx_upload(cli->core.mx, path, base, type, 0, core_wait_cb, &w, cause) != NULL &&
	    core_wait(&cli->core, &w, cause) == 0)
		content = msg_content_file(base, w.value, type, (int64_t)sb.st_size);
	core_wait_clear(&w);
	return content;
}

int
cmd_send(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"emote", no_argument, NULL, 'e'},
		{"reply", required_argument, NULL, 'r'},
		{"file", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *reply = NULL, *file = NULL, *msgtype = "m.text";
	char *room_id = NULL, *text = NULL, *content = NULL, *cause = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': msgtype = "m.emote"; break;
		case 'r': reply = optarg; break;
		case 'f': file = optarg; break;
		default: return cli_usage(cli_cmd_find("send"));
		}
	}
	if (optind >= argc || (file != NULL && optind + 1 != argc))
		return cli_usage(cli_cmd_find("send"));
	if (file == NULL && (text = cli_text_arg(argc - optind - 1, argv + optind + 1,
	    &cause)) == NULL)
		goto fail;
	if ((room_id = core_room_resolve(&cli->core, argv[optind], 1, &cause)) == NULL)
		goto fail;
	content = file != NULL ? cli_upload(cli, file, &cause) :
	    msg_content_text(text, msgtype, reply);
	if (content == NULL)
		goto fail;
	rc = cli_send_content(cli, room_id, "m.room.message", content);
	free(content);
	free(room_id);
	free(text);
	return rc;
fail:
	rc = cli_fail("%s", cause);
	free(room_id);
	free(text);
	free(cause);
	return rc;
}

/* One target of a broadcast; failures are reported and do not stop
 * the others. */
static int
cli_broadcast_one(struct cli *cli, const char *target, const char *content)
{
	char *room_id, *event_id = NULL, *cause = NULL;
	int rc;

	if ((room_id = core_room_resolve(&cli->core, target, 1, &cause)) == NULL)
		rc = cli_send_report(target, -1, NULL, cause);
	else {
		rc = core_send(&cli->core, room_id, "m.room.message", content, &event_id, &cause);
		rc = cli_send_report(target, rc, event_id, cause);
	}
	free(room_id);
	free(event_id);
	free(cause);
	return rc;
}

int
cmd_broadcast(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},
		{"emote", no_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	const char *msgtype = "m.text";
	char *to = NULL, *text, *content, *cause = NULL, *save = NULL;
	int ch, failed = 0, total = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'e': msgtype = "m.emote"; break;
		default: return cli_usage(cli_cmd_find("broadcast"));
		}
	}
	if (to == NULL || to[strspn(to, ", ")] == '\0')
		return cli_usage(cli_cmd_find("broadcast"));
	if ((text = cli_text_arg(argc - optind, argv + optind, &cause)) == NULL) {
		ch = cli_fail("%s", cause);
		free(cause);
		return ch;
	}
	content = msg_content_text(text, msgtype, NULL);
	to = xstrdup(to);
	for (char *t = strtok_r(to, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		t += strspn(t, " ");
		if (*t == '\0')
			continue;
		total++;
		failed += cli_broadcast_one(cli, t, content) != CLI_OK;
	}
	if (failed > 0)
		cli_fail("%d of %d targets did not get the message", failed, total);
	free(to);
	free(content);
	free(text);
	return failed > 0 ? CLI_FAILED : CLI_OK;
}

/* The room and event of edit, react and redact, with what follows. */
static int
cli_room_event(struct cli *cli, int argc, char **argv, int min_args, char **room_id,
    struct store_msg *msg, char **cause)
{
	if (argc < min_args)
		return cli_usage(cli_cmd_find(argv[0]));
	if ((*room_id = core_room_resolve(&cli->core, argv[1], 0, cause)) == NULL)
		return CLI_FAILED;
	if (store_msg_get(cli->core.store, argv[2], msg, cause) == -1) {
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
	struct store_msg msg;
	char *room_id, *text, *content, *cause = NULL;
	int rc;

	if ((rc = cli_room_event(cli, argc, argv, 3, &room_id, &msg, &cause)) != CLI_OK)
		goto out;
	if (cli->core.session.user_id == NULL ||
	    strcmp(msg.sender, cli->core.session.user_id) != 0) {
		cause_set(&cause, "%s was not sent by you: only your own messages can be edited",
		    argv[2]);
		rc = CLI_FAILED;
	} else if ((text = cli_text_arg(argc - 3, argv + 3, &cause)) == NULL)
		rc = CLI_FAILED;
	else {
		content = msg_content_edit(text, msg.msgtype ? msg.msgtype : "m.text", argv[2]);
		rc = cli_send_content(cli, room_id, "m.room.message", content);
		free(content);
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
	struct store_msg msg;
	char *room_id, *content, *cause = NULL;
	int rc;

	if (argc != 4)
		return cli_usage(cli_cmd_find("react"));
	if ((rc = cli_room_event(cli, argc, argv, 4, &room_id, &msg, &cause)) == CLI_OK) {
		content = msg_content_reaction(argv[2], argv[3]);
		rc = cli_send_content(cli, room_id, "m.reaction", content);
		free(content);
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
	struct store_msg msg;
	char *room_id, *cause = NULL;
	int rc;

	if (argc != 3)
		return cli_usage(cli_cmd_find("redact"));
	if ((rc = cli_room_event(cli, argc, argv, 3, &room_id, &msg, &cause)) == CLI_OK) {
		if (core_redact(&cli->core, room_id, argv[2], &cause) == -1)
			rc = CLI_FAILED;
		else
			printf("deleted %s\n", msg.event_id);
		store_msg_clear(&msg);
		free(room_id);
	}
	if (rc == CLI_FAILED && cause != NULL)
		cli_fail("%s", cause);
	free(cause);
	return rc;
}
