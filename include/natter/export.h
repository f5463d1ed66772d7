/* export: a conversation from the cache as one e-mail, and its delivery.
 * A thread (a room, a room between two times, a range of messages, or
 * search results) becomes an RFC 5322 message built with GMime: a
 * multipart/alternative of a plain transcript and an HTML one, and the
 * thread's files when asked. Server text is made inert before it reaches
 * a header and HTML-escaped in the HTML part; addresses are checked
 * before they reach a header or the SMTP envelope. The message goes out
 * through SMTP (libcurl), sendmail, an .eml file or an mbox. */
#ifndef NATTER_EXPORT_H
#define NATTER_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "natter/store.h"
#include "natter/mail.h"
#include "natter/util.h"

/* Attachments in one mail, in bytes of the files themselves. */
#define EXPORT_CAP_DEFAULT MAIL_ATTACHMENT_CAP_DEFAULT

enum export_file_state {
	EXPORT_FILE_LISTED,	/* named in the text only: attachments not asked for */
	EXPORT_FILE_ATTACHED,
	EXPORT_FILE_OVER_CAP,	/* would pass the size cap */
	EXPORT_FILE_FAILED,	/* could not be downloaded */
};

/* A file a message of the thread carries. */
struct export_file {
	size_t msg;		/* index in the thread's msgs */
	enum export_file_state state;
	int fd;			/* its bytes when ATTACHED (an unlinked file), else -1 */
	int64_t size;		/* bytes fetched, or as the event says (-1: unknown) */
	char *error;		/* why FAILED */
};

/* One room's part of a thread that spans several: msgs[first] on, n
 * of them. */
struct export_room {
	char *room_id;
	char *room_name;
	size_t first;
	size_t n;
};

struct export_thread {
	char *room_id;		/* NULL when the thread spans several rooms */
	char *room_name;
	struct export_room *rooms;	/* those rooms, in the order of msgs; else NULL */
	size_t n_rooms;
	char *query;		/* the search that found the messages (the caller's to
				 * set), named when the thread spans several rooms */
	char *peer_name;	/* a direct chat's other person, by display name;
				 * else NULL */
	char *coverage;		/* what the mail says of messages the cache lacked
				 * (the caller's to set), or NULL */
	struct store_msg *msgs;	/* oldest first, room by room; room plumbing left out */
	size_t n;
	struct store_msg *quoted;	/* what replies answer, when not in msgs */
	size_t n_quoted;
	struct export_file *files;	/* in the order of msgs */
	size_t n_files;
};

/* What the loaders keep besides the messages people read. */
#define EXPORT_DELETED 0x1	/* deleted messages, as "(deleted)" */

/* The whole room (since_ms 0, until_ms INT64_MAX) or the messages with
 * since_ms <= ts < until_ms. Fails with a cause when nothing is left. */
int export_load_room(struct store *st, const char *room_id, int64_t since_ms, int64_t until_ms,
    int flags, struct export_thread *t, char **cause);
/* The messages from first to last (event ids of room_id, either order),
 * both included. */
int export_load_range(struct store *st, const char *room_id, const char *first,
    const char *last, int flags, struct export_thread *t, char **cause);
/* The given events of room_id, ordered by the room; ids of other rooms
 * are skipped. For search results. With room_id NULL, the events of
 * every room: when they are in more than one, the thread spans those
 * rooms, ordered by the time of their oldest event. */
int export_load_events(struct store *st, const char *room_id, char *const *event_ids, size_t n,
    int flags, struct export_thread *t, char **cause);
void export_thread_clear(struct export_thread *t);
/* How many of the thread's entries are messages (not room changes). */
size_t export_count_messages(const struct export_thread *t);

/* Parses "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" in local time. With end, the
 * first millisecond after the day or minute named, for --until. */
int export_parse_date(const char *s, int end, int64_t *ms, char **cause);

/* Downloads one file of the thread into fd: 0 when done, 1 when it is
 * larger than max_bytes, -1 with a cause when it cannot be had. */
typedef int (*export_fetch_fn)(const struct store_msg *m, int fd, int64_t max_bytes, void *arg,
    char **cause);
/* Fetches the thread's files in order while their total stays within
 * cap bytes; a file that would pass it is OVER_CAP, one that fails is
 * FAILED, and the others still come. Temporary files go in tmp_dir and
 * are unlinked at once. Returns how many were attached. */
size_t export_files_fetch(struct export_thread *t, int64_t cap, const char *tmp_dir,
    export_fetch_fn fetch, void *arg);

/* "Conversation: ROOM, DATE–DATE" (one date when the thread is a day),
 * "Conversation with NAME, DATE–DATE" for a direct chat;
 * over several rooms "Search results for “QUERY” in N rooms, DATE–DATE",
 * or "Conversation in N rooms, DATE–DATE" without a query. */
char *export_default_subject(const struct export_thread *t);

struct export_render {
	const char *time_format;	/* NULL: "%H:%M" */
	const char *date_format;	/* NULL: "%A %d %B %Y" */
	int64_t cap;			/* the attachment cap, to explain OVER_CAP */
};

/* The transcript as text: day headings, "14:03 Name: text", replies
 * with what they answer, "(edited)", "(deleted)", files named. */
char *export_render_text(const struct export_thread *t, const struct export_render *r);
/* The same as an HTML document with inline styles; every string from
 * the server is escaped. */
char *export_render_html(const struct export_thread *t, const struct export_render *r);
/* Appends s to b with & < > " ' escaped; controls made inert. */
void export_html_escape(struct buf *b, const char *s);

struct export_opts {
	struct mail_addr from;
	const struct mail_addr *to;
	size_t n_to;
	const struct mail_addr *cc;
	size_t n_cc;
	const char *subject;	/* NULL: export_default_subject */
	int64_t date_ms;	/* the Date header; 0: now */
	struct export_render render;
};

/* One message ready to deliver. */
struct export_mail {
	char *data;		/* RFC 5322 with CRLF line ends */
	size_t len;
	char *message_id;	/* without <> */
	char *envelope_from;
	char **rcpts;		/* To and Cc addresses, for the envelope */
	size_t n_rcpts;
};

/* Builds the mail of t with GMime. Fails only on a bad option. */
int export_mail_build(const struct export_thread *t, const struct export_opts *o,
    struct export_mail *m, char **cause);
void export_mail_clear(struct export_mail *m);

/* Writes m to path with mode 0600, all at once: an existing file is an
 * error unless force, and then it is replaced. */
int export_write_eml(const struct export_mail *m, const char *path, int force, char **cause);
/* Keeps m as a new .eml file in dir (made 0700); returns its path. */
char *export_keep(const struct export_mail *m, const char *dir, char **cause);
/* Appends m to an mbox (created 0600, locked while written): a "From "
 * line, LF line ends, ">From " quoting (mboxrd) and a blank line. */
int export_append_mbox(const struct export_mail *m, const char *path, char **cause);

struct export_smtp {
	const char *url;		/* smtps://host[:port] or smtp://host[:port] */
	const char *user;		/* NULL: no login */
	const char *password;
	const char *password_command;	/* run when password is NULL */
	const char *ca_file;		/* PEM CAs to trust instead of the system's */
};

/* Sends m through SMTP with libcurl (blocking). The cause quotes the
 * server's refusal. */
int export_send_smtp(const struct export_mail *m, const struct export_smtp *s, char **cause);
/* Hands m to "path -t -i" on its standard input, without a shell. */
int export_send_sendmail(const struct export_mail *m, const char *path, char **cause);
/* Runs command (split on blanks, no shell) and returns the first line it
 * prints. */
char *export_password_command(const char *command, char **cause);

#endif
