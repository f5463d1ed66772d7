/* settings: the whole config file as one struct, with its defaults. A
 * bad line never stops natter: it is reported and the default stays. */
#ifndef NATTER_SETTINGS_H
#define NATTER_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

struct keys_table;

/* Longest time_format or date_format, and longest text either makes. */
#define SETTINGS_FORMAT_MAX 64

enum settings_membership {
	SETTINGS_MEMBERSHIP_COLLAPSED,	/* "3 joined, 1 left" in one line */
	SETTINGS_MEMBERSHIP_ALL,
	SETTINGS_MEMBERSHIP_NONE,
};

/* Which devices get this device's room keys: every one not blocked (as
 * Element does by default), or only those their owner cross-signed or
 * the user verified (MSC4153); the others are told they are withheld. */
enum settings_send_keys {
	SETTINGS_KEYS_ALL,
	SETTINGS_KEYS_SIGNED,
};

/* How natter syncs: simplified sliding sync where the homeserver offers
 * it, else /v3/sync (auto); or always the one. */
enum settings_sync_protocol {
	SETTINGS_SYNC_AUTO,
	SETTINGS_SYNC_SLIDING,
	SETTINGS_SYNC_V3,
};

/* Where a scheduled message waits: on the homeserver where it offers
 * delayed events, else here (auto); or always the one. */
enum settings_scheduled {
	SETTINGS_SCHEDULED_AUTO,
	SETTINGS_SCHEDULED_SERVER,
	SETTINGS_SCHEDULED_LOCAL,
};

enum settings_mail_method {
	SETTINGS_MAIL_SMTP,
	SETTINGS_MAIL_SENDMAIL,
};

enum settings_markup {
	SETTINGS_MARKUP_AUTO,	/* when the notification server supports it */
	SETTINGS_MARKUP_ON,
	SETTINGS_MARKUP_OFF,
};

/* A comma-separated value, each item trimmed, empty ones dropped. */
struct settings_list {
	char **items;
	size_t n;
};

#define SETTINGS_WAIT_DEFAULT_MS ((int64_t)24 * 3600 * 1000)

struct settings {
	char *profile;			/* [general] profile; NULL: not set */

	struct settings_ui {
		char *theme;		/* NULL: "default", and NO_COLOR applies */
		char *time_format;	/* "%H:%M" */
		char *date_format;	/* "%A %d %B %Y" */
		enum settings_membership show_membership;	/* collapsed */
		int list_width;		/* 12-60 columns, 24 */
		int bell;		/* 0 */
		int send_typing;	/* 1: tell rooms when we type */
		int spaces;		/* 1: the room list groups rooms by space */
	} ui;

	struct settings_notify {
		int enabled;		/* 1 */
		int mentions;		/* 1 */
		int direct;		/* 1 */
		struct settings_list keywords;
		int quiet_start;	/* minutes after midnight; -1: no quiet hours */
		int quiet_end;
		struct settings_list mute;	/* room ids, aliases or names */
		struct settings_list vip;	/* user ids whose messages always notify */
		enum settings_markup markup;	/* auto */
	} notify;

	struct settings_crypto {
		int encrypt_dms;	/* 1: new direct chats are end-to-end encrypted */
		enum settings_send_keys send_keys;	/* all */
	} crypto;

	struct settings_send {
		enum settings_scheduled scheduled;	/* auto */
	} send;
	struct settings_followup {
		int64_t wait_ms;	/* a question waits this long for an answer
					 * before it is listed: 1 day */
	} followup;

	struct settings_sync {
		enum settings_sync_protocol protocol;	/* auto */
	} sync;

	struct settings_mail {
		char *from;		/* "Name <a@b>" or a@b, checked; NULL: not set */
		char *smtp_url;		/* smtps://host[:port] or smtp://host[:port] */
		char *smtp_user;	/* NULL: no login */
		char *smtp_password;
		char *password_command;	/* words split on blanks, run without a shell */
		char *ca_file;		/* an absolute path; NULL: the system's CAs */
		char *sendmail;		/* an absolute path, "/usr/sbin/sendmail" */
		enum settings_mail_method method;	/* smtp */
		int64_t attachment_cap;	/* bytes, 25 MB */
	} mail;

	struct keys_table *keys;	/* the defaults with [keys] applied */

	/* [lists]: named lists of recipients (rooms and @user:server), each
	 * key a name of letters, digits, - and _. */
	struct settings_lists {
		char **names;
		struct settings_list *members;
		size_t n;
	} lists;
};

/* The members of list name, or NULL when the config has none so named. */
const struct settings_list *settings_list_named(const struct settings *s, const char *name);

/* What a --to (comma-separated rooms and people) names, each
 * @list:NAME replaced by the members of that list, without repeats;
 * from[i] is the list item i came from, or NULL. */
struct settings_targets {
	char **items;
	const char **from;
	size_t n;
};
#define SETTINGS_LIST_PREFIX "@list:"
/* -1 with a cause naming an unknown list (and the config's lists). */
int settings_targets_expand(const struct settings *s, const char *to, struct settings_targets *t,
    char **cause);
void settings_targets_clear(struct settings_targets *t);

/* Fills s with the defaults; free with settings_free. */
void settings_init(struct settings *s);
/* Fills s with the defaults, then reads the config file at path over
 * them. Each bad line is reported through warn as "FILE:LINE: reason"
 * and skipped. Returns 0, also when there is no file, or -1 when the
 * file exists but cannot be read (reported as "FILE: reason"); s holds
 * usable settings either way. */
int settings_load(const char *path, struct settings *s,
    void (*warn)(const char *msg, void *arg), void *arg);
/* Frees what s holds and leaves it zeroed. */
void settings_free(struct settings *s);

/* Whether minute (0-1439, after midnight) falls in the quiet hours,
 * which may run past midnight; the end minute is not quiet. */
int settings_quiet_at(const struct settings *s, int minute);

#endif
