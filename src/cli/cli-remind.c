/* natter remind, reminders and waiting: follow-ups on messages, kept in
 * the account's data so that every natter of the account shares them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-private.h"
#include "natter/sanitize.h"

#define CLI_REMIND_EXCERPT 60	/* bytes of a message shown in a list */
/* Questions older than this are not looked at (nobody chases them). */
#define CLI_WAITING_SPAN_MS ((int64_t)30 * 24 * 3600 * 1000)

/* Waits for a change of the reminders and says how it went: fmt with
 * the reminder's id (named, when there is none yet) and what. */
static int
cli_remind_finish(struct cli *cli, int start, struct core_result *r, char **cause,
    const char *fmt, const char *const *named, const char *what)
{
	int status = cli_finish(cli, start, r, cause), rc = CLI_OK;
	char *line;

	if (status == CORE_DONE || status == CORE_QUEUED) {
		line = xasprintf(fmt, status == CORE_DONE && r->text != NULL ? r->text :
		    *named != NULL ? *named : "?",
		    what);
		cli_print_text(stdout, line, 0);
		putchar('\n');
		free(line);
	}
	if (status == CORE_QUEUED)
		rc = cli_fail("not on the account yet: %s; it goes with the next sync",
		    r->text != NULL ? r->text : "no answer");
	else if (status != CORE_DONE)
		rc = cli_fail("%s", *cause != NULL ? *cause : "interrupted");
	core_result_clear(r);
	xfree(cause);
	return rc;
}

/* The message the user means: in the cache (after a sync, if need be). */
static int
cli_remind_msg(struct cli *cli, const char *room_id, const char *event_id)
{
	struct store_msg m = {0};
	int found;

	for (int pass = 0; pass < 2; pass++) {
		found = store_msg_get(core_store(cli->core), event_id, &m, NULL) == 0 &&
		    strcmp(m.room_id, room_id) == 0;
		store_msg_clear(&m);
		if (found)
			return 0;
		if (pass == 0)
			cli_sync_in(cli);
	}
	return -1;
}

static int
cli_remind_add(struct cli *cli, int argc, char **argv)
{
	struct core_result r = {0};
	char *room_id, *when, *cause = NULL, *id = NULL, due_text[64];
	const char *note;
	int64_t due;
	int rc;

	when = cli_text_arg(argc - 2, argv + 2, &cause);
	if (nt_when_parse(when, nt_now_ms(), &due, &note, &cause) == -1) {
		free(when);
		rc = cli_bad_arg("%s", cause);
		free(cause);
		return rc;
	}
	if (cli_open(cli) != CLI_OK || (room_id = cli_room(cli, argv[0], 0)) == NULL) {
		free(when);
		return CLI_FAILED;
	}
	if (cli_remind_msg(cli, room_id, argv[1]) == -1) {
		rc = cli_fail("no message %s in %s (natter history %s --ids shows them)", argv[1],
		    argv[0], argv[0]);
		free(when);
		free(room_id);
		return rc;
	}
	cli_format_due(due, due_text, sizeof due_text);
	rc = cli_remind_finish(cli, core_remind(cli->core, room_id, argv[1], due, note, &id,
	    core_result_cb, &r, &cause), &r, &cause, "reminder %s at %s", (const char *const *)&id,
	    due_text);
	free(id);
	free(when);
	free(room_id);
	return rc;
}

int
cmd_remind(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"done", required_argument, NULL, 'd'},
		{"snooze", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *done = NULL, *snooze = NULL;
	struct core_result r = {0};
	char *cause = NULL, *when, due_text[64];
	int64_t due;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': done = optarg; break;
		case 's': snooze = optarg; break;
		default: return cli_usage(cli_cmd_find("remind"));
		}
	}
	argc -= optind;
	argv += optind;
	if (done != NULL && snooze == NULL && argc == 0) {
		if (cli_open(cli) != CLI_OK)
			return CLI_FAILED;
		return cli_remind_finish(cli, core_remind_done(cli->core, done, core_result_cb,
		    &r, &cause), &r, &cause, "reminder %s done%s", &done, "");
	}
	if (snooze != NULL && done == NULL && argc > 0) {
		when = cli_text_arg(argc, argv, &cause);
		rc = nt_when_parse(when, nt_now_ms(), &due, NULL, &cause);
		free(when);
		if (rc == -1) {
			rc = cli_bad_arg("%s", cause);
			free(cause);
			return rc;
		}
		if (cli_open(cli) != CLI_OK)
			return CLI_FAILED;
		cli_format_due(due, due_text, sizeof due_text);
		return cli_remind_finish(cli, core_remind_snooze(cli->core, snooze, due,
		    core_result_cb, &r, &cause), &r, &cause, "reminder %s snoozed until %s",
		    &snooze, due_text);
	}
	if (done != NULL || snooze != NULL || argc < 3)
		return cli_usage(cli_cmd_find("remind"));
	return cli_remind_add(cli, argc, argv);
}

/* The account's copy first; offline, the cache's, said so. */
static void
cli_reminders_fetch(struct cli *cli)
{
	struct core_result r = {0};
	char *cause = NULL;

	if (cli_finish(cli, core_reminders_fetch(cli->core, core_result_cb, &r, &cause), &r,
	    &cause) != CORE_DONE)
		cli_fail("reminders: the account's could not be read, these are the cache's: %s",
		    cause != NULL ? cause : r.text != NULL ? r.text : "no answer");
	core_result_clear(&r);
	free(cause);
}

/* What a list shows of a message: the room's name and an excerpt. */
static void
cli_remind_about(struct cli *cli, const char *room_id, const char *event_id, char **room,
    char **text)
{
	struct store_room rm = {0};
	struct store_msg m = {0};

	if (store_room_get(core_store(cli->core), room_id, &rm, NULL) == 0 && rm.name != NULL)
		*room = xstrdup(rm.name);
	else
		*room = xstrdup(room_id);
	if (store_msg_get(core_store(cli->core), event_id, &m, NULL) == 0 && m.body != NULL)
		*text = xstrdup(m.body);
	else
		*text = xstrdup("");
	store_room_clear(&rm);
	store_msg_clear(&m);
}

static void
cli_reminder_print(struct cli *cli, const struct core_reminder *r, int json, struct buf *out)
{
	char due[64], *room, *text, *excerpt;
	int first = 1, is_due = r->due_ms <= nt_now_ms();

	cli_remind_about(cli, r->room_id, r->event_id, &room, &text);
	if (json) {
		cli_json_str(out, "id", r->id, &first);
		cli_json_int(out, "due_ts", r->due_ms, &first);
		cli_json_bool(out, "due", is_due, &first);
		cli_json_str(out, "room_id", r->room_id, &first);
		cli_json_str(out, "room", room, &first);
		cli_json_str(out, "event_id", r->event_id, &first);
		cli_json_str(out, "note", r->note, &first);
		cli_json_str(out, "text", text, &first);
		buf_puts(out, "}\n");
	} else {
		cli_format_due(r->due_ms, due, sizeof due);
		excerpt = san_excerpt(text, CLI_REMIND_EXCERPT);
		buf_printf(out, "%s  %s%s  %s  %s%s%s\n", r->id, due, is_due ? " (due)" : "",
		    room, r->note != NULL ? r->note : "", r->note != NULL ? " — " : "", excerpt);
		free(excerpt);
	}
	free(room);
	free(text);
}

int
cmd_reminders(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct core_reminder *r;
	struct buf out = {0};
	size_t n;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		default: return cli_usage(cli_cmd_find("reminders"));
		}
	}
	if (optind != argc)
		return cli_usage(cli_cmd_find("reminders"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	cli_sync_in(cli);
	cli_reminders_fetch(cli);
	core_reminders(cli->core, CORE_REMIND_REMINDERS, &r, &n);
	for (size_t i = 0; i < n; i++)
		cli_reminder_print(cli, &r[i], json, &out);
	if (out.data != NULL)
		cli_print_text(stdout, out.data, SAN_MULTILINE);
	else if (!json)
		puts("no reminders");
	buf_free(&out);
	core_reminders_free(&r, n);
	return CLI_OK;
}

static void
cli_waiting_print(const struct store_waiting *w, const char *room, int json, struct buf *out)
{
	char when[32], *excerpt;
	int first = 1;

	if (json) {
		cli_json_str(out, "room_id", w->room_id, &first);
		cli_json_str(out, "room", room, &first);
		cli_json_str(out, "event_id", w->event_id, &first);
		cli_json_int(out, "ts", w->ts, &first);
		cli_json_bool(out, "flagged", w->flagged, &first);
		cli_json_str(out, "text", w->body, &first);
		buf_puts(out, ",\"waiting_for\":[");
		for (size_t i = 0; i < w->n_people; i++) {
			if (i > 0)
				buf_putc(out, ',');
			san_json_string(out, w->people[i]);
		}
		buf_puts(out, "]}\n");
		return;
	}
	cli_format_time(w->ts, when, sizeof when);
	excerpt = san_excerpt(w->body != NULL ? w->body : "", CLI_REMIND_EXCERPT);
	buf_printf(out, "%s  %s  %s%s  waiting for ", when, room, w->flagged ? "[flagged] " : "",
	    excerpt);
	for (size_t i = 0; i < w->n_people; i++)
		buf_printf(out, "%s%s", i > 0 ? ", " : "",
		    w->names[i] != NULL ? w->names[i] : w->people[i]);
	buf_printf(out, "\n    %s\n", w->event_id);
	free(excerpt);
}

static int
cli_waiting_flag(struct cli *cli, int on, char **argv)
{
	struct core_result r = {0};
	char *room_id, *cause = NULL;
	int rc;

	if (cli_open(cli) != CLI_OK || (room_id = cli_room(cli, argv[0], 0)) == NULL)
		return CLI_FAILED;
	if (on && cli_remind_msg(cli, room_id, argv[1]) == -1) {
		rc = cli_fail("no message %s in %s", argv[1], argv[0]);
		free(room_id);
		return rc;
	}
	rc = cli_remind_finish(cli, core_flag(cli->core, room_id, argv[1], on, core_result_cb,
	    &r, &cause), &r, &cause, on ? "flag %s on %s: natter waiting lists it until it is "
	    "answered or read" : "flag %s taken off %s", (const char *const *)&argv[1],
	    argv[1]);
	free(room_id);
	return rc;
}

int
cmd_waiting(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"flag", no_argument, NULL, 'f'},
		{"unflag", no_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	struct store_waiting *w;
	struct core_reminder *flags;
	struct buf out = {0};
	const char **ids;
	char *cause = NULL, *room, *text;
	size_t n, n_flags;
	int ch, json = 0, flag = -1;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'f': flag = 1; break;
		case 'u': flag = 0; break;
		default: return cli_usage(cli_cmd_find("waiting"));
		}
	}
	if (flag != -1 && !json && argc - optind == 2)
		return cli_waiting_flag(cli, flag, argv + optind);
	if (optind != argc || flag != -1)
		return cli_usage(cli_cmd_find("waiting"));
	if (cli_open(cli) != CLI_OK)
		return CLI_FAILED;
	cli_sync_in(cli);
	cli_reminders_fetch(cli);
	core_reminders(cli->core, CORE_REMIND_FLAGS, &flags, &n_flags);
	ids = xreallocarray(NULL, n_flags + 1, sizeof *ids);
	for (size_t i = 0; i < n_flags; i++)
		ids[i] = flags[i].event_id;
	if (store_waiting(core_store(cli->core), core_self(cli->core), nt_now_ms() -
	    CLI_WAITING_SPAN_MS, nt_now_ms() - cli->settings.followup.wait_ms, ids, n_flags, &w,
	    &n, &cause) == -1) {
		free(ids);
		core_reminders_free(&flags, n_flags);
		ch = cli_fail("%s", cause);
		free(cause);
		return ch;
	}
	for (size_t i = 0; i < n; i++) {
		cli_remind_about(cli, w[i].room_id, w[i].event_id, &room, &text);
		cli_waiting_print(&w[i], room, json, &out);
		free(room);
		free(text);
	}
	if (out.data != NULL)
		cli_print_text(stdout, out.data, SAN_MULTILINE);
	else if (!json)
		puts("nothing waits for an answer");
	buf_free(&out);
	store_waiting_free(&w, n);
	free(ids);
	core_reminders_free(&flags, n_flags);
	return CLI_OK;
}
