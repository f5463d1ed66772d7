/* store: the local SQLite cache of one profile. It owns rooms, room
 * state, members, timeline events (ordered per room), relations,
 * receipts, gaps in history, the sync token, the outbox and the FTS5
 * index of message text. Every value is bound, never built into SQL. */
#ifndef NATTER_STORE_H
#define NATTER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "natter/event.h"
#include "natter/msg.h"

struct store;

/* Opens (creating and migrating as needed) the cache at path. The file
 * is created 0600. Returns NULL with a cause on failure. */
struct store *store_open(const char *path, char **cause);
void store_close(struct store **st);
int store_schema_version(struct store *st);

/* A read that sees one state of the cache from begin to end, and locks
 * it once rather than at every statement; inside another transaction
 * both do nothing. */
int store_read_begin(struct store *st, char **cause);
void store_read_end(struct store *st);

/* Small key/value facts about the profile (e.g. "self" = our user id). */
int store_meta_set(struct store *st, const char *key, const char *value, char **cause);
char *store_meta_get(struct store *st, const char *key);

/* Writes everything a sync delivered and its next_batch in one
 * transaction: nothing is half-applied, and the token never runs ahead
 * of the events. Timeline events already stored are not duplicated. An
 * event carrying a txn_id that matches an outbox row marks it delivered.
 * A limited timeline records a gap to fill from prev_batch. */
int store_apply_sync(struct store *st, const struct mx_sync *sync, char **cause);

/* The since token, or NULL before the first sync. */
char *store_sync_token(struct store *st);

struct store_room {
	char *room_id;
	char *name;		/* computed with naming_room_name */
	char *topic;		/* NULL when unset */
	char *canonical_alias;	/* NULL when unset */
	enum mx_membership membership;
	int is_direct;
	char *dm_user;		/* the other user of a direct chat, or NULL */
	int64_t unread;		/* notification_count */
	int64_t highlight;	/* highlight_count */
	int64_t last_ts;	/* ts of the newest event, 0 when none */
	int favourite;
	int lowpriority;
	int64_t joined_count;
};

/* All known rooms (joined, invited and left), newest activity first. */
int store_rooms(struct store *st, struct store_room **rooms, size_t *n, char **cause);
/* One room, or -1 with a cause when unknown. */
int store_room_get(struct store *st, const char *room_id, struct store_room *room, char **cause);
void store_room_clear(struct store_room *room);
void store_rooms_free(struct store_room **rooms, size_t n);

/* 1 when the room turned on end-to-end encryption (m.room.encryption),
 * 0 when not (as far as the cache knows), -1 on error. */
int store_room_encrypted(struct store *st, const char *room_id);

/* The spec's word for a membership: "join", "invite", "leave", ... */
const char *store_membership_name(enum mx_membership m);

/* Resolves what a user typed as ROOM: a room id, an alias (canonical
 * or alt), a user id (their direct chat), or a room name matched
 * exactly or, if unique, as a prefix (case-insensitive). Returns the
 * room id, or NULL with a cause listing the candidates. */
char *store_room_resolve(struct store *st, const char *what, char **cause);

/* The direct chat with user_id per m.direct (a joined one preferred). */
char *store_dm_room(struct store *st, const char *user_id);

struct store_member {
	char *user_id;
	char *displayname;	/* as set, or NULL */
	char *name;		/* disambiguated, for display */
	enum mx_membership membership;
};

/* The display name a user set in a room (whatever their membership now),
 * or NULL when none is known. */
char *store_member_displayname(struct store *st, const char *room_id, const char *user_id);

int store_members(struct store *st, const char *room_id, struct store_member **members,
    size_t *n, char **cause);
void store_members_free(struct store_member **members, size_t n);

/* A timeline event as a user sees it: edits applied, reactions
 * aggregated, the sender's name disambiguated. */
struct store_msg {
	int64_t seq;		/* position in the room, increasing with time */
	char *room_id;
	char *event_id;
	char *type;
	char *sender;
	char *sender_name;
	int64_t ts;
	char *msgtype;		/* NULL unless m.room.message */
	char *body;		/* latest text (after edits); NULL when none */
	int edited;
	int redacted;
	char *reply_to;		/* event id it answers, or NULL */
	char *url;		/* mxc:// of media */
	char *filename;
	char *mimetype;
	int64_t size;
	struct msg_reaction *reactions;	/* most chosen first, then oldest first */
	size_t n_reactions;
	char *state_key;
	enum mx_membership membership;	/* m.room.member */
	char *content;		/* raw content JSON */
};

/* Up to limit messages of a room older than before_seq (INT64_MAX for
 * the newest), oldest first. Edits, reactions and redactions are folded
 * into their targets and not listed themselves. */
int store_history(struct store *st, const char *room_id, int64_t before_seq, int limit,
    struct store_msg **msgs, size_t *n, char **cause);
/* How many messages store_history lists from from_seq on (the newest
 * included), or -1 on error: the limit that reaches back to from_seq. */
int64_t store_history_count(struct store *st, const char *room_id, int64_t from_seq);
/* One message by event id, or -1 with a cause. */
int store_msg_get(struct store *st, const char *event_id, struct store_msg *msg, char **cause);
void store_msg_clear(struct store_msg *msg);
void store_msgs_free(struct store_msg **msgs, size_t n);

/* History not yet in the cache: the newest gap in a room, i.e. a token
 * to page backwards from and the seq below which its events go. Returns
 * 1 when there is one, 0 when the cache holds the room back to its
 * creation, -1 on error. */
int store_gap_next(struct store *st, const char *room_id, int64_t *before_seq, char **token,
    char **cause);
/* Inserts a /messages page (dir=b) below before_seq. The gap closes when
 * the page reaches an event already stored or the start of the room;
 * otherwise it moves down to msgs->end. Returns the number of new events. */
int store_gap_fill(struct store *st, const char *room_id, int64_t before_seq,
    const struct mx_messages *msgs, char **cause);

enum store_outbox_state {
	STORE_OUTBOX_QUEUED = 0,	/* waiting to be sent (or retried) */
	STORE_OUTBOX_SENT,		/* the server answered with an event id */
	STORE_OUTBOX_FAILED,		/* the server refused it for good */
};

struct store_outbox {
	int64_t id;
	char *room_id;
	char *txn_id;
	char *type;		/* event type, e.g. m.room.message */
	char *content;		/* JSON */
	enum store_outbox_state state;
	int attempts;
	char *last_error;	/* why it has not gone yet, or NULL */
	char *event_id;		/* once sent */
	int64_t created_ts;
	char *body;		/* the text it shows while waiting, or NULL */
	int64_t next_ts;	/* QUEUED: when the next attempt is due (ms since the
				 * epoch); 0 when none is planned (the next sync) */
};

/* Queues an event to send, committed before any network attempt. The
 * txnId is generated here, unique, and reused by every retry. */
int store_outbox_add(struct store *st, const char *room_id, const char *type,
    const char *content, struct store_outbox *item, char **cause);
/* Rows not yet delivered (QUEUED, and FAILED when include_failed),
 * oldest first; room_id NULL for all rooms. */
int store_outbox_list(struct store *st, const char *room_id, int include_failed,
    struct store_outbox **items, size_t *n, char **cause);
/* One row by id, whatever its state. */
int store_outbox_get(struct store *st, int64_t id, struct store_outbox *item, char **cause);
/* An attempt failed for now (error: why); the next is due at next_ts, or
 * with the next sync when 0. */
int store_outbox_attempt(struct store *st, int64_t id, const char *error, int64_t next_ts,
    char **cause);
int store_outbox_sent(struct store *st, int64_t id, const char *event_id, char **cause);
int store_outbox_failed(struct store *st, int64_t id, const char *error, char **cause);
/* A FAILED row back to QUEUED, for the user who retries it (an error
 * when it is not FAILED). */
int store_outbox_retry(struct store *st, int64_t id, char **cause);
int store_outbox_delete(struct store *st, int64_t id, char **cause);
void store_outbox_clear(struct store_outbox *item);
void store_outbox_free(struct store_outbox **items, size_t n);

/* Read receipts: the newest event each user has read in a room. */
struct store_receipt {
	char *user_id;
	char *event_id;
	int64_t ts;
};
int store_receipts(struct store *st, const char *room_id, struct store_receipt **r, size_t *n,
    char **cause);
void store_receipts_free(struct store_receipt **r, size_t n);

/* Candidates for natter search (src/search builds the query): messages
 * matching an FTS5 expression, newest stored first; or, when match is
 * NULL, the newest messages passing the filters. */
struct store_search {
	const char *match;	/* FTS5 MATCH expression, or NULL */
	/* With match, when its last word is a prefix: match is head, the word
	 * as an FTS5 string followed by " *", and tail. The store then tries
	 * the word whole, then with the completions the index holds. */
	const char *head, *word, *tail;
	const char *exclude;	/* with match NULL: text to leave out, or NULL */
	const char *rooms;	/* JSON array of room ids, or NULL for all */
	const char *senders;	/* JSON array of user ids, or NULL for all */
	int64_t since, until;	/* origin_server_ts in [since, until) */
	int has_file, has_link, is_dm;	/* -1 either, 0 without, 1 only */
	int cap;		/* the most candidates to return */
};

struct store_search_row {
	int64_t id;		/* the event's row, newer rows higher */
	int64_t ts;
	double bm25;		/* FTS5 bm25: lower is more relevant; 0 without match */
	char *event_id;
};

int store_search(struct store *st, const struct store_search *q,
    struct store_search_row **rows, size_t *n, char **cause);
void store_search_rows_free(struct store_search_row **rows, size_t n);
/* Users who are or were called by a name (display name or user id
 * localpart) matching an FTS5 expression, at most cap of them. */
int store_search_names(struct store *st, const char *match, size_t cap, char ***user_ids,
    size_t *n, char **cause);

/* Number of events whose text is in the FTS index matching a plain
 * word (used by tests and `natter search` until its own issue lands). */
int64_t store_fts_count(struct store *st, const char *word);

#endif
