/* natter recover: the account's keys back from secret storage with the
 * recovery key (or passphrase) the user has from Element, the room keys
 * of the key backup restored, and the history that needed them fetched. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-private.h"

struct cli_restore {
	int tty;
	int line_open;
};

static void
cli_recover_progress(size_t done, size_t total, void *arg)
{
	struct cli_restore *p = arg;
	char a[32], b[32];

	if (total == 0)
		return;
	cli_group_digits((int64_t)done, a, sizeof a);
	cli_group_digits((int64_t)total, b, sizeof b);
	fprintf(stderr, "%srestoring room keys: %s of %s", p->tty ? "\r\033[K" : "", a, b);
	p->line_open = p->tty && done < total;
	if (!p->line_open)
		fputc('\n', stderr);
	fflush(stderr);
}

void
cli_recover_report(const struct core_recovered *out)
{
	char a[32], b[32];

	if (out->from_device)
		printf("the account's keys came from the device you verified\n");
	else
		printf("secret storage opened with the %s\n", out->opened_by_passphrase ?
		    "passphrase" : "recovery key");
	if (out->cross_signing) {
		printf("cross-signing keys kept (master key ");
		cli_print_text(stdout, out->master, 0);
		printf(")\n");
	}
	printf("this device is %s\n", out->device_signed ? "signed by its owner: other clients "
	    "trust it" : "not signed by its owner");
	if (out->backup_version != NULL) {
		cli_group_digits((int64_t)out->keys.imported, a, sizeof a);
		cli_group_digits((int64_t)out->keys_total, b, sizeof b);
		printf("key backup version ");
		cli_print_text(stdout, out->backup_version, 0);
		printf(": %s of %s room key%s restored", a, b, out->keys_total == 1 ? "" : "s");
		if (out->keys.known > 0)
			printf(", %zu known already", out->keys.known);
		putchar('\n');
	} else
		printf("no key backup restored\n");
	if (out->note != NULL) {
		fputs("natter: note: ", stderr);
		cli_print_text(stderr, out->note, 0);
		fputc('\n', stderr);
	}
	if (out->keys.refused > 0) {
		fprintf(stderr, "natter: %zu room key%s of the backup refused: ", out->keys.refused,
		    out->keys.refused == 1 ? "" : "s");
		cli_print_text(stderr, out->keys.why, 0);
		fputc('\n', stderr);
	}
}

int
cmd_recover(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"key-stdin", no_argument, NULL, 'k'},
		{"no-backfill", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct cli_restore p = {.tty = isatty(fileno(stderr))};
	struct core_recovered out;
	struct core_result r = {0};
	char *secret, *cause = NULL;
	int ch, from_stdin = 0, backfill = 1, rc = CLI_OK;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'k')
			from_stdin = 1;
		else if (ch == 'n')
			backfill = 0;
		else
			return cli_usage(cli_cmd_find("recover"));
	}
	if (argc != optind)
		return cli_usage(cli_cmd_find("recover"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	secret = from_stdin ? cli_secret_stdin(&cause) : cli_secret_prompt("Recovery key or "
	    "passphrase for ", cli->profile != NULL ? cli->profile : "this account",
	    "--key-stdin", &cause);
	if (secret == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	rc = cli_finish(cli, core_recover(cli->core, secret, &out, cli_recover_progress, &p,
	    core_result_cb, &r, &cause), &r, &cause);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (p.line_open)
		fputc('\n', stderr);
	if (rc != CORE_DONE)
		rc = cli_fail("%s", cause);
	else {
		cli_recover_report(&out);
		rc = CLI_OK;
		/* The keys read what is cached; older history comes now. */
		if (backfill && out.keys.imported > 0)
			rc = cli_backfill(cli, NULL);
	}
	core_recovered_clear(&out);
	core_result_clear(&r);
	free(cause);
	return rc;
}

/* natter crypto setup: recovery for an account that has none. */
static int
cli_crypto_setup(struct cli *cli, int password_stdin)
{
	struct core_setup out;
	struct core_result r = {0};
	char *password, *cause = NULL;
	int rc;

	password = password_stdin ? cli_secret_stdin(&cause) : cli_secret_prompt("Password of ",
	    cli->profile != NULL ? cli->profile : "this account", "--password-stdin", &cause);
	if (password == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	rc = cli_finish(cli, core_crypto_setup(cli->core, password, &out, core_result_cb, &r,
	    &cause), &r, &cause) == CORE_DONE ? CLI_OK : CLI_FAILED;
	explicit_bzero(password, strlen(password));
	free(password);
	if (out.on_server) {
		printf("Recovery key (shown once: keep it somewhere safe, apart from this "
		    "computer):\n\n    %s\n\n", out.recovery_key);
		printf("It opens this account's keys on a new device (`natter recover`, or "
		    "Element's \"Verify with Recovery Key\").\n");
		printf("master key %s, key backup version %s; this device is %s\n", out.master,
		    out.backup_version, out.device_signed ? "signed by its owner" :
		    "not signed yet");
	}
	if (rc != CLI_OK)
		rc = cli_fail("%s", cause);
	core_setup_clear(&out);
	core_result_clear(&r);
	free(cause);
	return rc;
}

int
cmd_crypto(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"password-stdin", no_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	int ch, password_stdin = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'P')
			password_stdin = 1;
		else
			return cli_usage(cli_cmd_find("crypto"));
	}
	if (argc - optind != 1 || strcmp(argv[optind], "setup") != 0)
		return cli_usage(cli_cmd_find("crypto"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	return cli_crypto_setup(cli, password_stdin);
}
