/* natter keys export|import: room keys in the file format Element uses, so
 * that history read on one device (or client) can be read on another. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-private.h"

/* The passphrase: the first line of standard input, or typed (twice when
 * it seals a new file, so that a typo does not lock the keys away). */
static char *
cli_keys_passphrase(const char *path, int from_stdin, int twice, char **cause)
{
	char *pass, *again;

	if (from_stdin)
		return cli_secret_stdin(cause);
	if ((pass = cli_secret_prompt("Passphrase for ", path, "--passphrase-stdin",
	    cause)) == NULL || !twice)
		return pass;
	if ((again = cli_secret_prompt("The same passphrase again for ", path,
	    "--passphrase-stdin", cause)) == NULL || strcmp(pass, again) != 0) {
		if (again != NULL)
			cause_set(cause, "the two passphrases differ");
		explicit_bzero(pass, strlen(pass));
		free(pass);
		pass = NULL;
	}
	if (again != NULL)
		explicit_bzero(again, strlen(again));
	free(again);
	return pass;
}

static int
cli_keys_export(struct cli *cli, const char *path, const char *pass, int force)
{
	char *file = NULL, *cause = NULL;
	size_t n;
	int rc = CLI_OK;

	if (core_keyfile_export(cli->core, pass, &file, &n, &cause) == -1 ||
	    nt_write_new_file(path, file, strlen(file), force, &cause) == -1)
		rc = cli_fail("%s", cause);
	else {
		printf("exported %zu room key%s to ", n, n == 1 ? "" : "s");
		cli_print_text(stdout, path, 0);
		putchar('\n');
	}
	free(file);
	free(cause);
	return rc;
}

static int
cli_keys_import(struct cli *cli, const char *path, const char *pass)
{
	struct core_import n;
	struct core_result r = {0};
	char *file, *cause = NULL;
	size_t len;
	int rc = CLI_OK;

	if ((file = nt_read_file(path, &len, &cause)) == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	if (cli_finish(cli, core_keyfile_import(cli->core, file, len, pass, &n, core_result_cb,
	    &r, &cause), &r, &cause) != CORE_DONE)
		rc = cli_fail("%s", cause);
	else {
		printf("imported %zu room key%s", n.imported, n.imported == 1 ? "" : "s");
		if (n.known > 0)
			printf(", %zu known already", n.known);
		putchar('\n');
		if (n.refused > 0) {
			rc = cli_fail("%zu room key%s in the file refused: %s", n.refused,
			    n.refused == 1 ? "" : "s", n.why);
		}
	}
	core_result_clear(&r);
	free(file);
	free(cause);
	return rc;
}

int
cmd_keys(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"passphrase-stdin", no_argument, NULL, 'P'},
		{"force", no_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	int ch, from_stdin = 0, force = 0, rc, exporting;
	const char *path;
	char *pass, *cause = NULL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'P')
			from_stdin = 1;
		else if (ch == 'F')
			force = 1;
		else
			return cli_usage(cli_cmd_find("keys"));
	}
	if (argc - optind != 2 || (strcmp(argv[optind], "export") != 0 &&
	    strcmp(argv[optind], "import") != 0))
		return cli_usage(cli_cmd_find("keys"));
	exporting = strcmp(argv[optind], "export") == 0;
	if (force && !exporting)
		return cli_usage(cli_cmd_find("keys"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	path = argv[optind + 1];
	if ((pass = cli_keys_passphrase(path, from_stdin, exporting, &cause)) == NULL) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	rc = exporting ? cli_keys_export(cli, path, pass, force) :
	    cli_keys_import(cli, path, pass);
	explicit_bzero(pass, strlen(pass));
	free(pass);
	return rc;
}
