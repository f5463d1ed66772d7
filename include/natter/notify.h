/* notify: desktop notifications for new messages. Whether a message
 * notifies and what the notification says are decided by pure functions;
 * showing it goes through libnotify (synchronous D-Bus), which is tried
 * on first use and, when there is no notification service, stays off for
 * the rest of the run. Nothing here writes to the terminal. */
#ifndef NATTER_NOTIFY_H
#define NATTER_NOTIFY_H

#include <stddef.h>
#include <time.h>

#define NOTIFY_APP_NAME "natter"
#define NOTIFY_SUMMARY_MAX 100	/* bytes of the summary */
#define NOTIFY_NAME_MAX 48	/* bytes of each name in the summary */
#define NOTIFY_BODY_MAX 300	/* bytes of the body text, before escaping */

/* Why a message notifies (> 0) or does not (<= 0). */
enum notify_reason {
	NOTIFY_NO_SEEN = -6,	/* its room is in view, the terminal not unfocused */
	NOTIFY_NO_QUIET = -5,	/* quiet hours */
	NOTIFY_NO_NOTICE = -4,	/* an m.notice that does not mention us */
	NOTIFY_NO_MUTED = -3,
	NOTIFY_NO_OWN = -2,
	NOTIFY_NO_DISABLED = -1,
	NOTIFY_NO_MATCH = 0,	/* no mention, direct chat or keyword */
	NOTIFY_MENTION = 1,
	NOTIFY_DIRECT = 2,
	NOTIFY_KEYWORD = 3,
	NOTIFY_VIP = 4,		/* from a VIP, whatever else holds */
};

enum notify_markup {
	NOTIFY_MARKUP_AUTO,	/* escape when the server has "body-markup" */
	NOTIFY_MARKUP_ON,
	NOTIFY_MARKUP_OFF,
};

enum notify_focus {
	NOTIFY_FOCUS_UNKNOWN = -1,	/* the terminal does not report focus */
	NOTIFY_FOCUS_OUT = 0,
	NOTIFY_FOCUS_IN = 1,
};

/* Whom a message's m.mentions (Matrix 1.7's intentional mentions)
 * names. A message without one comes from an older client: whether it
 * mentions us is then read from its body (our display name or user id). */
enum notify_mentions {
	NOTIFY_MENTIONS_NONE,	/* no m.mentions */
	NOTIFY_MENTIONS_OTHERS,	/* m.mentions, and we are not in it */
	NOTIFY_MENTIONS_US,	/* m.mentions.user_ids names us */
	NOTIFY_MENTIONS_ROOM,	/* m.mentions.room: everyone (@room), from a
				 * sender allowed to (the core checks) */
};

/* A new message; every string is borrowed and may be NULL. */
struct notify_msg {
	const char *room_id;
	const char *room_name;	/* as shown in the room list */
	int is_direct;
	const char *sender_id;
	const char *sender_name;	/* display name, already disambiguated */
	const char *body;
	int is_notice;		/* msgtype m.notice */
	enum notify_mentions mentions;
};

/* The user's settings; the arrays and their strings are borrowed. */
struct notify_rules {
	int enabled;
	int mentions;
	int direct;
	const char *const *keywords;	/* whole words, any case */
	size_t nkeywords;
	int quiet_start;	/* minutes after midnight, -1 for no quiet hours */
	int quiet_end;		/* not quiet itself; before quiet_start: wraps midnight */
	const char *const *muted;	/* room ids, not aliases or names */
	size_t nmuted;
	const char *const *vips;	/* user ids whose messages always notify */
	size_t nvips;
	enum notify_markup markup;	/* for notify_show */
};

/* Who we are and what the user is looking at when the message arrives. */
struct notify_ctx {
	const char *my_id;
	const char *my_name;	/* our display name, or NULL */
	int minute;		/* local time, minutes after midnight */
	int in_view;		/* the message's room is the one on screen */
	enum notify_focus focus;
};

/* Everything on, no keywords, no quiet hours, nothing muted, markup auto. */
void notify_rules_default(struct notify_rules *rules);

/* Minutes after local midnight at t. */
int notify_local_minute(time_t t);

/* 1 when word occurs in text as a whole word, ignoring case (Unicode
 * case folding and compatibility forms); an empty word never occurs. */
int notify_has_word(const char *text, const char *word);

/* Whom the m.mentions of content (an event's content as JSON text; NULL
 * or not JSON reads as none) names, for the user my_id. An edit is read
 * by its m.new_content, which holds everyone the new text mentions. */
enum notify_mentions notify_mentions_of(const char *content, const char *my_id);

/* 1 when user_id is one of the rules' VIPs. */
int notify_is_vip(const struct notify_rules *rules, const char *user_id);

/* 1 when the message mentions us: by its m.mentions when it has one
 * (names us or the room), else when its body holds our display name or
 * user id as whole words (the rules before Matrix 1.7). */
int notify_mentions_us(const struct notify_msg *msg, const struct notify_ctx *ctx);

/* Whether the message should notify, and why: own messages, muted rooms,
 * notices that do not mention us, quiet hours and a room the user is
 * looking at never do; but a VIP's message notifies in muted rooms and
 * quiet hours too, notice or not (unless notifications are off or its
 * room is in view). An unknown focus counts as focused. */
enum notify_reason notify_decide(const struct notify_msg *msg, const struct notify_rules *rules,
    const struct notify_ctx *ctx);

/* A short English name for a reason ("mention", "muted room"). */
const char *notify_reason_name(enum notify_reason reason);

/* Returns a copy of s cut to at most max bytes on a character boundary
 * (a grapheme cluster where one fits), ending in "…" when cut. */
char *notify_cap(const char *s, size_t max);

/* Returns s with & < > " ' replaced by entities, for a markup body. */
char *notify_escape_markup(const char *s);

/* 1 when the body must be escaped, given the setting and whether the
 * server announced the "body-markup" capability. */
int notify_use_markup(enum notify_markup setting, int server_markup);

/* The plain-text summary: "SENDER in ROOM", or "SENDER" for a direct
 * chat; sanitised and capped, never markup. */
char *notify_summary(const struct notify_msg *msg);

/* The body: sanitised, capped at NOTIFY_BODY_MAX, escaped when markup. */
char *notify_body(const char *body, int markup);

/* Where GLib and libnotify warnings go instead of the terminal; without
 * it they are dropped. fn runs on the caller's thread, inside notify_*. */
void notify_set_log(void (*fn)(const char *msg, void *arg), void *arg);

/* Connects to the notification service as app_name (NULL: "natter") and
 * reads its capabilities, once: later calls return what the first did.
 * Takes GLib's log output away from the terminal first. */
int notify_open(const char *app_name, char **cause);

/* Shows a notification for msg, replacing the previous one of its room;
 * opens lazily. When notifications go off, the first call to find it
 * returns -1 with a cause for the user (unless notify_open gave it
 * already); every call after that does nothing and returns 0. */
int notify_show(const struct notify_msg *msg, enum notify_markup markup, char **cause);

/* 0 once notifications are off for this run, else 1. */
int notify_available(void);

/* Forgets the notifications (they stay on screen) and the connection; the
 * next notify_open or notify_show connects again, unless it failed. */
void notify_close(void);

#endif
