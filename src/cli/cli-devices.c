/* natter devices: the devices of a user (this account by default), as the
 * homeserver lists them now, with their keys and whether they are
 * verified, for comparing with what the user sees on the device itself. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-private.h"
#include "natter/sanitize.h"

/* verified by the user (or signed by an owner the user verified), blocked
 * by the user, its owner's identity (master key) changed, signed by its
 * owner's cross-signing key, or none of these. */
static const char *
cli_trust_name(const struct store_device *d)
{
	return d->trust == STORE_TRUST_VERIFIED ? "verified" : d->trust == STORE_TRUST_BLOCKED ?
	    "blocked" : d->identity_changed ? "changed" : d->cross_signed && d->owner_verified ?
	    "verified" : d->cross_signed ? "signed" : "unverified";
}

/* An Ed25519 key in groups of four, as clients show fingerprints. */
static void
cli_print_fingerprint(FILE *f, const char *key)
{
	for (size_t i = 0; key[i] != '\0'; i++) {
		if (i > 0 && i % 4 == 0)
			fputc(' ', f);
		fputc(key[i], f);
	}
}

static void
cli_json_device(struct buf *b, const struct store_device *d, int self)
{
	buf_puts(b, "{\"user_id\":");
	san_json_string(b, d->user_id);
	buf_puts(b, ",\"device_id\":");
	san_json_string(b, d->device_id);
	buf_puts(b, ",\"display_name\":");
	san_json_string(b, d->display_name != NULL ? d->display_name : "");
	buf_puts(b, ",\"curve25519\":");
	san_json_string(b, d->curve25519);
	buf_puts(b, ",\"ed25519\":");
	san_json_string(b, d->ed25519);
	buf_printf(b, ",\"trust\":\"%s\",\"identity_changed\":%s,\"this_device\":%s}\n",
	    cli_trust_name(d), d->identity_changed ? "true" : "false", self ? "true" : "false");
}

static void
cli_print_device(const struct store_device *d, int self)
{
	cli_print_text(stdout, d->device_id, 0);
	printf("  %-10s  ", self ? "this one" : cli_trust_name(d));
	cli_print_text(stdout, d->display_name != NULL ? d->display_name : "(no name)", 0);
	fputs("\n    ed25519: ", stdout);
	cli_print_fingerprint(stdout, d->ed25519);
	putchar('\n');
}

static int
cli_devices_list(struct cli *cli, const char *user, int json)
{
	struct store_device *d;
	struct buf b = {0};
	char *cause = NULL;
	size_t n;

	if (store_devices(core_store(cli->core), user, &d, &n, &cause) == -1) {
		n = (size_t)cli_fail("%s", cause);
		free(cause);
		return (int)n;
	}
	for (size_t i = 0; i < n; i++) {
		int self = strcmp(d[i].user_id, core_self(cli->core)) == 0 &&
		    core_device(cli->core) != NULL &&
		    strcmp(d[i].device_id, core_device(cli->core)) == 0;

		if (json)
			cli_json_device(&b, &d[i], self);
		else
			cli_print_device(&d[i], self);
	}
	if (n > 0 && d[0].identity_changed) {
		char *accept = core_command(cli->core, "trust --accept-identity");

		fputs("natter: WARNING: the identity (master key) of ", stderr);
		cli_print_text(stderr, user, 0);
		fprintf(stderr, " changed since natter first saw it: someone may have taken over "
		    "the account, or it was reset. Its devices are not taken as its owner's. Check "
		    "with them in person, then accept it with `%s ", accept);
		cli_print_text(stderr, user, 0);
		fputs("`\n", stderr);
		free(accept);
	}
	if (b.len > 0)
		fputs(b.data, stdout);
	if (n == 0 && !json)
		fputs("natter: no device of that user has published encryption keys\n", stderr);
	buf_free(&b);
	store_devices_free(&d, n);
	return CLI_OK;
}

int
cli_devices_fetch(struct cli *cli, const char *user)
{
	struct core_result r = {0};
	char *cause = NULL;
	int rc = CLI_OK;

	if (cli_finish(cli, core_devices(cli->core, user, core_result_cb, &r, &cause), &r,
	    &cause) != CORE_DONE) {
		rc = cli_fail("%s", cause);
		free(cause);
	}
	core_result_clear(&r);
	return rc;
}

int
cmd_devices(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *user;
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(cli_cmd_find("devices"));
		json = 1;
	}
	if (optind + 1 < argc)
		return cli_usage(cli_cmd_find("devices"));
	if (optind < argc && !cli_user_id(argv[optind]))
		return cli_bad_arg("\"%s\" is not a user id like @name:server", argv[optind]);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	user = optind < argc ? argv[optind] : core_self(cli->core);
	if ((rc = cli_devices_fetch(cli, user)) != CLI_OK)
		return rc;
	return cli_devices_list(cli, user, json);
}

/* natter trust: a device verified by comparing its fingerprint, blocked
 * (it gets no room key and its messages are marked), or back to
 * unverified. */
/* natter trust --accept-identity @user: the user's new master key is
 * taken as theirs, after the user checked with them. */
static int
cli_trust_identity(struct cli *cli, int argc, char **argv)
{
	const char *user;
	char *cause = NULL;
	int rc;

	if (argc - optind != 1)
		return cli_usage(cli_cmd_find("trust"));
	if (!cli_user_id(argv[optind]))
		return cli_bad_arg("\"%s\" is not a user id like @name:server", argv[optind]);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	user = argv[optind];
	if ((rc = cli_devices_fetch(cli, user)) != CLI_OK)
		return rc;
	if ((rc = core_accept_identity(cli->core, user, &cause)) == -1) {
		rc = cli_fail("%s", cause);
		free(cause);
		return rc;
	}
	if (rc == 0) {
		printf("the identity of ");
		cli_print_text(stdout, user, 0);
		printf(" did not change: nothing to accept\n");
		return CLI_OK;
	}
	/* Its devices are judged again under the new master key. */
	if ((rc = cli_devices_fetch(cli, user)) != CLI_OK)
		return rc;
	printf("accepted the new identity of ");
	cli_print_text(stdout, user, 0);
	putchar('\n');
	return CLI_OK;
}

int
cmd_trust(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"block", no_argument, NULL, 'b'},
		{"reset", no_argument, NULL, 'r'},
		{"accept-identity", no_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	int ch, trust = STORE_TRUST_VERIFIED, rc, identity = 0;
	struct buf key = {0};
	const char *user, *device;
	char *cause = NULL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'b' && trust == STORE_TRUST_VERIFIED)
			trust = STORE_TRUST_BLOCKED;
		else if (ch == 'r' && trust == STORE_TRUST_VERIFIED)
			trust = STORE_TRUST_UNVERIFIED;
		else if (ch == 'a' && trust == STORE_TRUST_VERIFIED)
			identity = 1;
		else
			return cli_usage(cli_cmd_find("trust"));
	}
	if (identity)
		return cli_trust_identity(cli, argc, argv);
	/* A fingerprint to verify with, and only then. */
	if (argc - optind < 2 || (trust == STORE_TRUST_VERIFIED) != (argc - optind > 2))
		return cli_usage(cli_cmd_find("trust"));
	if (!cli_user_id(argv[optind]))
		return cli_bad_arg("\"%s\" is not a user id like @name:server", argv[optind]);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	user = argv[optind];
	device = argv[optind + 1];
	if ((rc = cli_devices_fetch(cli, user)) != CLI_OK)
		return rc;
	for (int i = optind + 2; i < argc; i++)
		buf_puts(&key, argv[i]);
	if (core_trust(cli->core, user, device, trust, key.data, &cause) == -1) {
		rc = cli_fail("%s", cause);
		free(cause);
	} else
		printf("%s %s of %s\n", trust == STORE_TRUST_VERIFIED ? "verified" :
		    trust == STORE_TRUST_BLOCKED ? "blocked" : "no longer verified", device, user);
	buf_free(&key);
	return rc;
}
