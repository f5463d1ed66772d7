/* The command line's private parts: one function a subcommand, sharing
 * option handling and output helpers. */
#ifndef NATTER_CLI_PRIVATE_H
#define NATTER_CLI_PRIVATE_H

#include <stdio.h>

#include "natter/config.h"
#include "natter/core.h"
#include "natter/settings.h"
#include "natter/store.h"
#include "natter/util.h"

#define CLI_OK 0
#define CLI_FAILED 1
#define CLI_USAGE 2

struct cli {
	const char *profile;
	const char *config;
	struct settings settings;	/* the config file, defaults where it is silent */
	char **warnings;	/* about the config file, for the interface too */
	size_t n_warnings;
	int verbose;
	const struct cli_cmd *cmd;	/* the command that runs */
	int open_flags;		/* what cli_open asks of the core */
	struct core *core;	/* NULL until cli_open */
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	int flags;		/* CORE_NEED_SESSION, ... */
	const char *usage;
};

/* The one adapter between the command line and the core: start is what
 * an operation's start function returned, given core_result_cb and r.
 * Runs the loop until the operation is over and returns its status
 * (CORE_FAILED when it could not start or a signal broke in); for any
 * status but CORE_DONE, *cause says why. */
int cli_finish(struct cli *cli, int start, struct core_result *r, char **cause);
/* The room a user meant by what they typed (core_resolve with flags), or
 * NULL with a cause; cli_room says why not itself. */
char *cli_resolve(struct cli *cli, const char *what, int flags, char **cause);
char *cli_room(struct cli *cli, const char *what, int flags);
/* Brings what the server has now into the cache, so the next command sees
 * a change just made; a failure is only logged. */
void cli_sync_in(struct cli *cli);

/* A secret (password, passphrase) read from the terminal without echo,
 * after prompt and subject (made inert); without a terminal, the cause
 * names the option that reads it from standard input instead. */
char *cli_secret_prompt(const char *prompt, const char *subject, const char *instead,
    char **cause);
/* The first line of standard input, without its newline. */
char *cli_secret_stdin(char **cause);

/* Opens the profile's core for the command, once its arguments are found
 * good (so that a usage error is one whether or not the profile is
 * logged in); CLI_OK, or CLI_FAILED having said why. */
int cli_open(struct cli *cli);

/* n with its thousands grouped ("12,345"), into out. */
void cli_group_digits(int64_t n, char *out, size_t size);
/* natter sync --backfill [ROOM] (what: NULL for every room), with its
 * progress on stderr. */
int cli_backfill(struct cli *cli, const char *what);

/* What natter recover (or taking the secrets from another device) did. */
void cli_recover_report(const struct core_recovered *out);
/* A signal breaks the loop (arg) a command waits in. */
void cli_on_signal(int signo, void *arg);
/* The device list of user as the homeserver has it now, kept. */
int cli_devices_fetch(struct cli *cli, const char *user);

/* Prints "natter: " and the message to stderr; returns CLI_FAILED. */
int cli_fail(const char *fmt, ...) NT_ATTR_PRINTF(1, 2);
/* Prints the usage line of a command; returns CLI_USAGE. */
int cli_usage(const struct cli_cmd *cmd);
/* An argument of the wrong form, said as cli_fail does; returns CLI_USAGE. */
int cli_bad_arg(const char *fmt, ...) NT_ATTR_PRINTF(1, 2);
const struct cli_cmd *cli_cmd_find(const char *name);
/* What natter CMD --help says after the usage line: what it does, its
 * arguments and options (cli-help.c). */
const char *cli_help_text(const char *name);

/* Whether s looks like a user id, @name:server. */
int cli_user_id(const char *s);

/* Prints server text to a terminal, made inert. */
void cli_print_text(FILE *f, const char *s, int flags);
/* Local time as "YYYY-MM-DD HH:MM". */
void cli_format_time(int64_t ms, char *out, size_t size);
/* Joins argv into one string with spaces, or reads stdin when argc is 0. */
char *cli_text_arg(int argc, char **argv, char **cause);

/* Search reads only the cache: says on stderr, as "natter: CMD: ...", how
 * many joined rooms (only room_id, when not NULL) it lacks part of. */
void cli_search_partial(struct cli *cli, const char *cmd, const char *room_id);

/* One member of the JSON object in b that *first says is open or not
 * (a NULL value is left out). */
void cli_json_str(struct buf *b, const char *key, const char *value, int *first);
void cli_json_int(struct buf *b, const char *key, int64_t value, int *first);
void cli_json_bool(struct buf *b, const char *key, int value, int *first);

/* Waits for a send started with r (start: what its start function
 * returned) and says how it went for one target, label; CLI_OK when sent. */
int cli_send_report(struct cli *cli, const char *label, int start, struct core_result *r,
    char **cause);

void cli_json_msg(struct buf *b, const struct store_msg *m, const char *room_id);
/* Flags of cli_print_msg: each message's event id; the messages are a
 * thread's (no summaries, no marks of the thread). */
#define CLI_MSG_IDS 0x1
#define CLI_MSG_THREAD 0x2
void cli_print_msg(FILE *f, const struct store_msg *m, const struct store_msg *quoted,
    int flags);

/* What an outbox row shows: its room's name, the user's, its text. */
struct cli_outbox_names {
	char *room;
	char *sender;
	char *text;		/* the start of the message, on one line */
};
void cli_outbox_names(struct cli *cli, const struct store_outbox *it,
    struct cli_outbox_names *nm);
void cli_outbox_names_clear(struct cli_outbox_names *nm);
/* Local time with its day and zone, "Fri 2026-12-04 08:00 GMT". */
void cli_format_due(int64_t ms, char *out, size_t size);
/* Schedules d in room_id at due_ms (natter send --at) and says where it
 * waits; label names the room as the user typed it. */
int cli_schedule(struct cli *cli, const char *room_id, const char *label,
    const struct core_draft *d, int64_t due_ms);
int cmd_scheduled(struct cli *, int, char **);
int cmd_login(struct cli *, int, char **);
int cmd_logout(struct cli *, int, char **);
int cmd_whoami(struct cli *, int, char **);
int cmd_sync(struct cli *, int, char **);
int cmd_rooms(struct cli *, int, char **);
int cmd_search(struct cli *, int, char **);
int cmd_history(struct cli *, int, char **);
int cmd_outbox(struct cli *, int, char **);
int cmd_send(struct cli *, int, char **);
int cmd_broadcast(struct cli *, int, char **);
int cmd_edit(struct cli *, int, char **);
int cmd_react(struct cli *, int, char **);
int cmd_read(struct cli *, int, char **);
int cmd_redact(struct cli *, int, char **);
int cmd_join(struct cli *, int, char **);
int cmd_keys(struct cli *, int, char **);
int cmd_recover(struct cli *, int, char **);
int cmd_crypto(struct cli *, int, char **);
int cmd_verify(struct cli *, int, char **);
int cmd_leave(struct cli *, int, char **);
int cmd_invite(struct cli *, int, char **);
int cmd_dm(struct cli *, int, char **);
int cmd_devices(struct cli *, int, char **);
int cmd_trust(struct cli *, int, char **);
int cmd_download(struct cli *, int, char **);
int cmd_export(struct cli *, int, char **);
int cmd_remind(struct cli *, int, char **);
int cmd_reminders(struct cli *, int, char **);
int cmd_waiting(struct cli *, int, char **);

#endif
