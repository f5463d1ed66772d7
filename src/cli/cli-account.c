/* natter login, logout and whoami. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-private.h"

int
cmd_login(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"homeserver", required_argument, NULL, 'H'},
		{"user", required_argument, NULL, 'u'},
		{"password-stdin", no_argument, NULL, 'P'},
		{"login-token-stdin", no_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *user = NULL;
	struct core_result r = {0};
	char *password, *cause = NULL;
	int ch, use_stdin = 0, token = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': server = optarg; break;
		case 'u': user = optarg; break;
		case 'P': use_stdin = 1; break;
		case 'T': token = 1; break;
		default: return cli_usage(cli_cmd_find("login"));
		}
	}
	if (optind != argc || (token ? server == NULL || use_stdin : user == NULL))
		return cli_usage(cli_cmd_find("login"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	password = use_stdin || token ? cli_secret_stdin(&cause) :
	    cli_secret_prompt("Password for ", user, "--password-stdin", &cause);
	if (password == NULL)
		rc = cli_fail("%s", cause);
	else if (cli_finish(cli, token ?
	    core_login_token(cli->core, server, password, core_result_cb, &r, &cause) :
	    core_login(cli->core, server, user, password, core_result_cb, &r, &cause),
	    &r, &cause) != CORE_DONE)
		rc = cli_fail("%s", cause);
	else {
		char *line = xasprintf("logged in as %s on %s (profile %s)",
		    core_self(cli->core), core_homeserver(cli->core), core_profile(cli->core));

		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
		rc = CLI_OK;
	}
	core_result_clear(&r);
	if (password != NULL)
		explicit_bzero(password, strlen(password));
	free(password);
	free(cause);
	return rc;
}

int
cmd_logout(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	char *cause = NULL;
	int rc = CLI_OK;

	if (argc != 1)
		return cli_usage(cli_cmd_find("logout"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (cli_finish(cli, core_logout(cli->core, core_result_cb, &r, &cause), &r,
	    &cause) != CORE_DONE)
		rc = cli_fail("%s", cause);
	else
		printf("logged out; the cache of profile %s is kept\n", core_profile(cli->core));
	core_result_clear(&r);
	free(cause);
	return rc;
}

int
cmd_whoami(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	char *cause = NULL;
	int rc = CLI_OK;

	if (argc != 1)
		return cli_usage(cli_cmd_find("whoami"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	if (cli_finish(cli, core_whoami(cli->core, core_result_cb, &r, &cause), &r,
	    &cause) != CORE_DONE)
		rc = cli_fail("%s", cause);
	else {
		char *line = xasprintf("%s (device %s, %s)", r.text,
		    core_device(cli->core) ? core_device(cli->core) : "?",
		    core_homeserver(cli->core));

		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
		core_result_clear(&r);
		if (cli_finish(cli, core_protocol_ask(cli->core, core_result_cb, &r, &cause), &r,
		    &cause) != CORE_DONE)
			rc = cli_fail("%s", cause);
		else
			printf("sync: %s\n", strcmp(r.text, "sliding") == 0 ?
			    "simplified sliding sync (MSC4186)" : "/v3/sync");
	}
	core_result_clear(&r);
	free(cause);
	return rc;
}
