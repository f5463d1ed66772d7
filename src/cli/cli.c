/* natter's command line: global options, then a subcommand found in a
 * sorted table. Each subcommand opens the profile's core as it needs. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-private.h"
#include "natter/cli.h"
#include "natter/log.h"
#include "natter/ui.h"

/* Sorted by name for bsearch. */
static const struct cli_cmd cli_cmds[] = {
	{"broadcast", cmd_broadcast, CORE_NEED_SESSION,
	    "broadcast --to ROOM[,ROOM...] [--emote] [TEXT...] | broadcast --list [--json] | "
	    "broadcast --report ID [--json]"},
	{"crypto", cmd_crypto, CORE_NEED_SESSION, "crypto setup [--password-stdin]"},
	{"devices", cmd_devices, CORE_NEED_SESSION, "devices [@user:server] [--json]"},
	{"dm", cmd_dm, CORE_NEED_SESSION, "dm @user:server"},
	{"download", cmd_download, CORE_NEED_SESSION, "download ROOM EVENT [--output PATH]"},
	{"edit", cmd_edit, CORE_NEED_SESSION, "edit ROOM EVENT [TEXT...]"},
	{"export", cmd_export, 0,
	    "export (ROOM [--since DATE] [--until DATE] [--first EVENT --last EVENT] | "
	    "[ROOM] --query Q) [--attachments] [--include-deleted] [--from ADDR] (--to ADDR[,ADDR...] "
	    "[--cc ADDR[,ADDR...]] [--subject S] [--sendmail] | --eml FILE [--force] | "
	    "--mbox FILE)"},
	{"history", cmd_history, 0,
	    "history ROOM [--limit N] [--before EVENT | --thread EVENT] [--ids] [--json]"},
	{"invite", cmd_invite, CORE_NEED_SESSION, "invite ROOM @user:server"},
	{"join", cmd_join, CORE_NEED_SESSION, "join ROOM"},
	{"keys", cmd_keys, CORE_NEED_SESSION,
	    "keys export FILE [--passphrase-stdin] [--force] | "
	    "keys import FILE [--passphrase-stdin]"},
	{"leave", cmd_leave, CORE_NEED_SESSION, "leave ROOM"},
	{"login", cmd_login, 0,
	    "login [--homeserver URL] --user @me:server [--password-stdin] | "
	    "login --homeserver URL --login-token-stdin"},
	{"logout", cmd_logout, CORE_NEED_SESSION, "logout"},
	{"outbox", cmd_outbox, 0, "outbox [--json]"},
	{"react", cmd_react, CORE_NEED_SESSION, "react ROOM EVENT KEY"},
	{"read", cmd_read, CORE_NEED_SESSION, "read ROOM"},
	{"recover", cmd_recover, CORE_NEED_SESSION, "recover [--key-stdin] [--no-backfill]"},
	{"redact", cmd_redact, CORE_NEED_SESSION, "redact ROOM EVENT"},
	{"remind", cmd_remind, CORE_NEED_SESSION,
	    "remind ROOM EVENT WHEN [NOTE...] | remind --done ID | remind --snooze ID WHEN"},
	{"reminders", cmd_reminders, CORE_NEED_SESSION, "reminders [--json]"},
	{"rooms", cmd_rooms, 0, "rooms [--space SPACE] [--json]"},
	{"scheduled", cmd_scheduled, CORE_NEED_SESSION,
	    "scheduled [--json] | scheduled --cancel ID | "
	    "scheduled --edit ID [--at WHEN] [TEXT...]"},
	{"search", cmd_search, 0, "search QUERY... [--room ROOM] [--limit N] [--server] [--json]"},
	{"send", cmd_send, CORE_NEED_SESSION,
	    "send ROOM [--at WHEN] [--emote] [--reply EVENT] [--thread EVENT] [TEXT...] | "
	    "send ROOM --file PATH"},
	{"sync", cmd_sync, CORE_NEED_SESSION,
	    "sync [--once] [--timeout MS] | sync --backfill [ROOM]"},
	{"trust", cmd_trust, CORE_NEED_SESSION,
	    "trust @user:server DEVICE FINGERPRINT... | trust (--block | --reset) "
	    "@user:server DEVICE | trust --accept-identity @user:server"},
	{"verify", cmd_verify, CORE_NEED_SESSION,
	    "verify @user:server [DEVICE] | verify --wait [@user:server]"},
	{"waiting", cmd_waiting, CORE_NEED_SESSION,
	    "waiting [--json] | waiting (--flag | --unflag) ROOM EVENT"},
	{"whoami", cmd_whoami, CORE_NEED_SESSION, "whoami"},
};

static int
cli_cmd_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cli_cmd *)elem)->name);
}

const struct cli_cmd *
cli_cmd_find(const char *name)
{
	return bsearch(name, cli_cmds, NT_NELEMS(cli_cmds), sizeof cli_cmds[0], cli_cmd_cmp);
}

/* Messages may quote the server (its error texts, room names), so they
 * pass through the sanitiser like everything else printed. */
int
cli_fail(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fputs("natter: ", stderr);
	cli_print_text(stderr, msg, 0);
	fputc('\n', stderr);
	free(msg);
	return CLI_FAILED;
}

int
cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "natter: usage: natter %s\n"
	    "natter: `natter %s --help` says more\n", cmd->usage, cmd->name);
	return CLI_USAGE;
}

int
cli_bad_arg(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cli_fail("%s", msg);
	free(msg);
	return CLI_USAGE;
}

int
cli_user_id(const char *s)
{
	return s[0] == '@' && strchr(s, ':') != NULL;
}

/* natter --help: every command's usage. */
static int
cli_usage_all(void)
{
	fputs("usage: natter [-p PROFILE] [-c CONFIG] [-v] [COMMAND [ARGS...]]\n\n"
	      "Without a command natter opens its terminal interface; Ctrl-Q quits it.\n"
	      "The commands:\n", stdout);
	for (size_t i = 0; i < NT_NELEMS(cli_cmds); i++)
		printf("  natter %s\n", cli_cmds[i].usage);
	fputs("\nOptions:\n"
	      "  -p PROFILE  the account to use (each profile has its own session and cache)\n"
	      "  -c CONFIG   the configuration file, instead of ~/.config/natter/config\n"
	      "  -v          log what natter does to ~/.local/state/natter/PROFILE.log\n"
	      "  -V          print the version\n"
	      "  -h, --help  this list\n\n"
	      "ROOM is a room id, an #alias, a @user (your direct chat) or a room name.\n"
	      "`natter COMMAND --help` tells one command in full; natter(1) tells all.\n",
	    stdout);
	return CLI_OK;
}

/* A usage error of natter itself, not of a command. */
static int
cli_usage_main(void)
{
	fputs("natter: usage: natter [-p PROFILE] [-c CONFIG] [-v] [COMMAND [ARGS...]]\n"
	      "natter: `natter --help` lists the commands\n", stderr);
	return CLI_USAGE;
}

/* natter CMD --help: its usage and what it does. */
static int
cli_help(const struct cli_cmd *cmd)
{
	printf("usage: natter [-p PROFILE] [-c CONFIG] [-v] %s\n\n%s", cmd->usage,
	    cli_help_text(cmd->name));
	return CLI_OK;
}

/* Whether --help comes before any "--" (after which all are arguments). */
static int
cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

static void
cli_config_warn(const char *msg, void *arg)
{
	struct cli *cli = arg;

	cli_fail("%s (ignored)", msg);
	cli->warnings = xreallocarray(cli->warnings, cli->n_warnings + 1, sizeof *cli->warnings);
	cli->warnings[cli->n_warnings++] = xasprintf("%s (ignored)", msg);
}

/* Reads the config file: a bad line is reported and skipped, and natter
 * goes on with the defaults. */
static void
cli_config_load(struct cli *cli)
{
	struct cfg_paths paths;
	char *cause = NULL;

	if (cfg_paths_init(&paths, NULL, cli->config, &cause) == -1) {
		settings_init(&cli->settings);
		free(cause);
		return;
	}
	settings_load(paths.config_file, &cli->settings, cli_config_warn, cli);
	cfg_paths_clear(&paths);
	if (cli->profile == NULL)
		cli->profile = cli->settings.profile;
}

static void
cli_config_free(struct cli *cli)
{
	settings_free(&cli->settings);
	for (size_t i = 0; i < cli->n_warnings; i++)
		free(cli->warnings[i]);
	xfree(&cli->warnings);
	cli->n_warnings = 0;
}

/* Options that make a command work with the homeserver, and so need a
 * session it does not need otherwise. */
static const struct {
	const char *cmd;
	const char *option;
} cli_session_options[] = {
	{"search", "--server"},
};

/* The command's flags, with CORE_NEED_SESSION when one of its session
 * options comes before any "--" (after which all are arguments). */
static int
cli_cmd_flags(const struct cli_cmd *cmd, int argc, char **argv)
{
	for (size_t k = 0; k < NT_NELEMS(cli_session_options); k++) {
		if (strcmp(cmd->name, cli_session_options[k].cmd) != 0)
			continue;
		for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
			if (strcmp(argv[i], cli_session_options[k].option) == 0)
				return cmd->flags | CORE_NEED_SESSION;
		}
	}
	return cmd->flags;
}

int
cli_finish(struct cli *cli, int start, struct core_result *r, char **cause)
{
	int status;

	if (start == -1)
		return CORE_FAILED;
	if ((status = core_wait(cli->core, r)) == -1) {
		cause_set(cause, "interrupted");
		return CORE_FAILED;
	}
	if (status != CORE_DONE)
		cause_set(cause, "%s", r->text != NULL ? r->text : "it did not go through");
	return status;
}

void
cli_sync_in(struct cli *cli)
{
	struct core_result r = {0};
	char *cause = NULL;

	if (cli_finish(cli, core_sync_once(cli->core, 0, core_result_cb, &r, &cause), &r,
	    &cause) != CORE_DONE)
		log_msg("the cache may lag behind: %s", cause);
	core_result_clear(&r);
	free(cause);
}

int
cli_open(struct cli *cli)
{
	char *cause = NULL;
	int rc;

	cli->core = core_open(cli->profile, cli->config, &cli->settings, cli->open_flags, &cause);
	if (cli->core == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	if (cli->verbose && log_open(core_log_file(cli->core), &cause) == -1) {
		cli_fail("%s (going on without it)", cause);
		xfree(&cause);
	}
	return CLI_OK;
}

static int
cli_run(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv)
{
	int rc;

	cli->cmd = cmd;
	cli->open_flags = cli_cmd_flags(cmd, argc, argv);
	/* getopt names argv[0] in its messages, which start "natter:" as
	 * every other does. */
	argv[0] = (char *)"natter";
	optind = 0;
	rc = cmd->fn(cli, argc, argv);
	if (cli->core != NULL) {
		log_msg("natter %s: exit %d", cmd->name, rc);
		log_close();
		core_free(&cli->core);
	}
	return rc;
}

int
cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli cli = {0};
	const struct cli_cmd *cmd;
	int ch;

	argv[0] = (char *)"natter";
	while ((ch = getopt_long(argc, argv, "+c:hp:vV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cli.config = optarg; break;
		case 'p': cli.profile = optarg; break;
		case 'v': cli.verbose++; break;
		case 'V': puts("natter " NATTER_VERSION); return CLI_OK;
		case 'h': return cli_usage_all();
		default: return cli_usage_main();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cli_config_load(&cli);
		ch = ui_main(cli.profile, cli.config, &cli.settings,
		    (const char *const *)cli.warnings, cli.n_warnings, cli.verbose);
		cli_config_free(&cli);
		return ch;
	}
	if (strcmp(argv[0], "help") == 0 && (argc == 1 || strcmp(argv[1], "--help") == 0))
		return cli_usage_all();
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 2 || (cmd = cli_cmd_find(argv[1])) == NULL)
			return cli_bad_arg("no command \"%s\": `natter --help` lists them",
			    argv[argc - 1]);
		return cli_help(cmd);
	}
	if ((cmd = cli_cmd_find(argv[0])) == NULL)
		return cli_bad_arg("unknown command \"%s\": `natter --help` lists them", argv[0]);
	if (cli_wants_help(argc, argv))
		return cli_help(cmd);
	cli_config_load(&cli);
	ch = cli_run(&cli, cmd, argc, argv);
	cli_config_free(&cli);
	return ch;
}
