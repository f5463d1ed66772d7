/* natter verify: interactive verification of another device with emoji
 * or numbers both users compare (SAS). `natter verify @user [DEVICE]`
 * asks; `natter verify --wait [@user]` answers the next request. The
 * answer to "do they match?" is a line of standard input. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-private.h"
#include "natter/crypto.h"
#include "natter/loop.h"

#define CLI_VERIFY_TIMEOUT_MS (10 * 60 * 1000)	/* the spec's: a verification dies after */
#define CLI_VERIFY_SYNC_MS 10000

struct cli_verify {
	struct cli *cli;
	char *txn;		/* ours, once asked or accepted */
	const char *wait_user;	/* --wait: only a request of this user (or any: NULL) */
	int waiting;		/* --wait, until a request came */
	int changed;		/* the loop has news for cmd_verify */
	int recovered;		/* the secrets asked after it were taken in (or not) */
	int recover_rc;
	struct core_verify_info last;
	char *user_id;
	char *device_id;
	char *code;
	char *reason;
};

static void
cli_verify_keep(struct cli_verify *s, const struct core_verify_info *v)
{
	s->last = *v;
	free(s->user_id);
	free(s->device_id);
	free(s->code);
	free(s->reason);
	s->user_id = xstrdup(v->user_id);
	s->device_id = v->device_id != NULL ? xstrdup(v->device_id) : NULL;
	s->code = v->code != NULL ? xstrdup(v->code) : NULL;
	s->reason = v->reason != NULL ? xstrdup(v->reason) : NULL;
	s->last.user_id = s->user_id;
	s->last.device_id = s->device_id;
	s->last.code = s->code;
	s->last.reason = s->reason;
	s->last.txn = NULL;
	s->changed = 1;
}

static void
cli_verify_heard(void *arg, const struct core_verify_info *v)
{
	struct cli_verify *s = arg;

	if (s->waiting && v->incoming && v->state == CORE_VERIFY_REQUESTED &&
	    (s->wait_user == NULL || strcmp(s->wait_user, v->user_id) == 0)) {
		s->txn = xstrdup(v->txn);
		s->waiting = 0;
	}
	if (s->txn != NULL && strcmp(s->txn, v->txn) == 0)
		cli_verify_keep(s, v);
}

/* The account's secrets from the other device, taken in. */
static void
cli_verify_recovered(void *arg, int status, const struct core_recovered *r, const char *why)
{
	struct cli_verify *s = arg;

	if (status == CORE_DONE) {
		cli_recover_report(r);
		s->recover_rc = CLI_OK;
	} else
		s->recover_rc = cli_fail("%s", why != NULL ? why : "the secrets did not come");
	s->recovered = 1;
}

/* After a verification with another device of the user, what it sends
 * of the account's secrets (taken in after half a minute at most), for
 * 45 seconds at most. */
static int
cli_verify_secrets(struct cli_verify *s)
{
	struct loop *loop = core_loop(s->cli->core);

	fputs("natter: asked it for the account's keys\n", stderr);
	/* The verification holds whatever comes of this. */
	if (loop_run_until(loop, &s->recovered, 45000) == -1 && !s->recovered) {
		fputs("natter: note: the other device sent none of the account's keys (it may "
		    "not hold them); `natter recover` takes them from secret storage\n", stderr);
		return CLI_OK;
	}
	return s->recover_rc;
}

static void
cli_verify_conn(void *arg, enum core_conn state, const char *why, int64_t retry_ms)
{
	(void)arg;
	(void)retry_ms;
	if (state == CORE_LOGGED_OUT || (state == CORE_OFFLINE && why != NULL)) {
		fputs("natter: ", stderr);
		cli_print_text(stderr, why != NULL ? why : "logged out", 0);
		fputc('\n', stderr);
	}
}

/* Shows the strings; 1 when the user says they match, 0 when not, -1
 * when no answer came. */
static int
cli_verify_ask(const struct core_verify_info *v)
{
	char *line = NULL;
	size_t cap = 0;
	int answer = -1;

	fputs("Compare with what the other device shows:\n", stdout);
	if (v->emoji_ok) {
		for (int i = 0; i < 7; i++)
			printf("  %s", crypto_sas_emoji_char(v->emoji[i]));
		fputs("\nemoji: ", stdout);
		for (int i = 0; i < 7; i++)
			printf("%s%s", i > 0 ? ", " : "", crypto_sas_emoji_name(v->emoji[i]));
		putchar('\n');
	}
	printf("numbers: %d %d %d\n", v->decimal[0], v->decimal[1], v->decimal[2]);
	fputs("Do they match? [y/n] ", stdout);
	fflush(stdout);
	while (answer == -1 && getline(&line, &cap, stdin) > 0) {
		if (line[0] == 'y' || line[0] == 'Y')
			answer = 1;
		else if (line[0] == 'n' || line[0] == 'N')
			answer = 0;
		else
			fputs("y or n? ", stdout);
		fflush(stdout);
	}
	free(line);
	return answer;
}

static const char *
cli_verify_who(const struct cli_verify *s)
{
	return s->device_id != NULL ? s->device_id : "a device";
}

/* Runs the loop until the verification says something new, or ends. */
static int
cli_verify_run(struct cli_verify *s, struct loop *loop, int64_t *left)
{
	int64_t start = nt_now_ms();
	int r = 0;

	/* News told while natter acted on the last (a cancel) is not lost. */
	if (!s->changed)
		r = loop_run_until(loop, &s->changed, *left);
	*left -= nt_now_ms() - start;
	s->changed = 0;
	return r;
}

static int
cli_verify_loop(struct cli_verify *s)
{
	struct core *c = s->cli->core;
	struct loop *loop = core_loop(c);
	int64_t left = CLI_VERIFY_TIMEOUT_MS;
	char *cause = NULL;
	int asked = 0, match;

	for (;;) {
		if (cli_verify_run(s, loop, &left) == -1) {
			if (s->txn != NULL)
				core_verify_cancel(c, s->txn, NULL);
			return cli_fail("%s", left <= 0 ? "no answer in 10 minutes: verification "
			    "cancelled" : "interrupted: verification cancelled");
		}
		if (s->txn == NULL)
			continue;
		switch (s->last.state) {
		case CORE_VERIFY_REQUESTED:
			if (!s->last.incoming)
				continue;
			fputs("natter: ", stderr);
			cli_print_text(stderr, cli_verify_who(s), 0);
			fputs(" of ", stderr);
			cli_print_text(stderr, s->user_id, 0);
			fputs(" asks to verify: accepted\n", stderr);
			if (core_verify_accept(c, s->txn, &cause) == -1)
				goto fail;
			continue;
		case CORE_VERIFY_READY:
		case CORE_VERIFY_STARTED:
		case CORE_VERIFY_CONFIRMED:
			continue;
		case CORE_VERIFY_SAS:
			if (asked)
				continue;
			asked = 1;
			if ((match = cli_verify_ask(&s->last)) == -1) {
				core_verify_cancel(c, s->txn, NULL);
				return cli_fail("no answer: verification cancelled");
			}
			if (core_verify_confirm(c, s->txn, match, &cause) == -1)
				goto fail;
			continue;
		case CORE_VERIFY_DONE:
			printf("verified ");
			cli_print_text(stdout, cli_verify_who(s), 0);
			printf(" of ");
			cli_print_text(stdout, s->user_id, 0);
			putchar('\n');
			return s->last.secrets_asked ? cli_verify_secrets(s) : CLI_OK;
		case CORE_VERIFY_CANCELLED:
			fputs("natter: verification cancelled: ", stderr);
			cli_print_text(stderr, s->reason != NULL ? s->reason : "no reason", 0);
			fputs(" (", stderr);
			cli_print_text(stderr, s->code != NULL ? s->code : "m.user", 0);
			fputs(")\n", stderr);
			return CLI_FAILED;
		}
	}
fail:
	match = cli_fail("%s", cause);
	free(cause);
	return match;
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"wait", no_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	struct core_events ev = {.conn = cli_verify_conn, .verify = cli_verify_heard,
	    .recovered = cli_verify_recovered};
	struct cli_verify s = {.cli = cli};
	struct core_result r = {0};
	struct loop *loop;
	char *cause = NULL;
	int ch, wait = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'w')
			return cli_usage(cli_cmd_find("verify"));
		wait = 1;
	}
	if (wait ? argc - optind > 1 : argc - optind < 1 || argc - optind > 2)
		return cli_usage(cli_cmd_find("verify"));
	if (optind < argc && !cli_user_id(argv[optind]))
		return cli_bad_arg("\"%s\" is not a user id like @name:server", argv[optind]);
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	loop = core_loop(cli->core);
	loop_signal(loop, SIGINT, cli_on_signal, loop, NULL);
	loop_signal(loop, SIGTERM, cli_on_signal, loop, NULL);
	if (wait) {
		s.waiting = 1;
		s.wait_user = optind < argc ? argv[optind] : NULL;
		fputs("natter: waiting for a verification request\n", stderr);
	} else {
		/* The other side's keys are needed to check what it proves. */
		if ((rc = cli_devices_fetch(cli, argv[optind])) != CLI_OK)
			return rc;
		if (core_verify_request(cli->core, argv[optind], optind + 1 < argc ?
		    argv[optind + 1] : NULL, &s.txn, &cause) == -1) {
			rc = cli_fail("%s", cause);
			free(cause);
			return rc;
		}
		fputs("natter: asked ", stderr);
		cli_print_text(stderr, optind + 1 < argc ? argv[optind + 1] : "every device", 0);
		fputs(" of ", stderr);
		cli_print_text(stderr, argv[optind], 0);
		fputs(" to verify; accept it there\n", stderr);
	}
	core_start(cli->core, &ev, &s, CLI_VERIFY_SYNC_MS);
	rc = cli_verify_loop(&s);
	/* The last messages (done, cancel, signatures) go before natter ends. */
	core_listen(cli->core, NULL, NULL);
	core_stop(cli->core, core_result_cb, &r);
	core_wait(cli->core, &r);
	core_result_clear(&r);
	free(s.txn);
	free(s.user_id);
	free(s.device_id);
	free(s.code);
	free(s.reason);
	return rc;
}
