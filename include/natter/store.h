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
int store_meta_unset(struct store *st, const char *key, char **cause);
/* The key backup version natter backs up to (core-backup.c); forgotten
 * with the keys (store_crypto_forget). */
#define STORE_META_BACKUP "crypto.backup_version"
char *store_meta_get(struct store *st, const char *key);
/* Reads key and writes what fn makes of it (*new, NULL: no change) in one
 * write, so that two natters of a profile cannot lose a change between
 * reading and writing. old is NULL when unset; -1 from fn (with a cause)
 * leaves the value as it was. */
typedef int (*store_meta_fn)(const char *old, char **new, void *arg, char **cause);
int store_meta_update(struct store *st, const char *key, store_meta_fn fn, void *arg,
    char **cause);

/* Writes everything a sync delivered and its next_batch in one
 * transaction: nothing is half-applied, and the token never runs ahead
 * of the events. Timeline events already stored are not duplicated, and
 * those a timeline has before the newest of them are left to the gaps
 * (a new sliding sync connection sends what the cache has). An
 * event carrying a txn_id that matches an outbox row marks it delivered.
 * A limited timeline records a gap to fill from prev_batch. */
int store_apply_sync(struct store *st, const struct mx_sync *sync, char **cause);
/* Only the rooms of sync->rooms (a slice of a sync read in slices, whose
 * last slice store_apply_sync writes), in the batch (store_batch_begin)
 * that then writes the rest. */
int store_apply_rooms(struct store *st, const struct mx_sync *sync, char **cause);

/* The same for a simplified sliding sync: its pos goes to meta pos_key
 * (one per connection), its to-device position to
 * STORE_META_SLIDE_TO_DEVICE. */
#define STORE_META_SLIDE_TO_DEVICE "slide.to_device"
/* A sync's reminders (the account data's content) go to
 * STORE_META_REMINDERS_SERVER with it; the core keeps its merged copy
 * under STORE_META_REMINDERS (core-remind.c). */
#define STORE_META_REMINDERS_SERVER "reminders.server"
#define STORE_META_REMINDERS "reminders"
int store_apply_slide(struct store *st, const struct mx_sync *sync, const char *pos_key,
    char **cause);

/* Gives back what the cache's pages and the heap hold unused, after a
 * burst of writes (a first sync) that the hours after will not repeat. */
void store_trim(struct store *st);

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
	int encrypted;		/* m.room.encryption is set: end-to-end encrypted */
	int is_space;		/* a space (m.room.create's type m.space), not a chat */
};

/* All known rooms (joined, invited and left), newest activity first. */
int store_rooms(struct store *st, struct store_room **rooms, size_t *n, char **cause);
/* One room, or -1 with a cause when unknown. */
int store_room_get(struct store *st, const char *room_id, struct store_room *room, char **cause);
void store_room_clear(struct store_room *room);
void store_rooms_free(struct store_room **rooms, size_t n);

/* A room of a space: the space lists it (m.space.child) or it names
 * the space as its parent (m.space.parent), either with a via. */
struct store_space_link {
	char *space_id;
	char *room_id;
};
/* The rooms of the spaces the account has joined, by space id then room
 * id; a room of two spaces is listed under both. */
int store_space_links(struct store *st, struct store_space_link **links, size_t *n,
    char **cause);
void store_space_links_free(struct store_space_link **links, size_t n);

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

/* The direct chat with user_id, one joined preferred, then one invited
 * to: a room m.direct lists for them (then *listed, which may be NULL, is
 * 1), else a room of just the two of you that is_direct marks or that has
 * no name. NULL when there is none. */
char *store_dm_room(struct store *st, const char *user_id, int *listed);
/* Lists room_id as a direct chat with user_id until the next m.direct
 * from the server replaces the list: what natter itself just wrote. */
int store_direct_add(struct store *st, const char *user_id, const char *room_id, char **cause);

struct store_member {
	char *user_id;
	char *displayname;	/* as set, or NULL */
	char *name;		/* disambiguated, for display */
	enum mx_membership membership;
};

/* The display name a user set in a room (whatever their membership now),
 * or NULL when none is known. */
char *store_member_displayname(struct store *st, const char *room_id, const char *user_id);
/* Whether sender may mention the whole room (@room): their power level
 * is at least the room's notifications.room (50 unless it says). 1 yes,
 * 0 no, -1 with a cause. */
int store_may_notify_room(struct store *st, const char *room_id, const char *sender,
    char **cause);

/* A room's member list is whole once the server's list (/members) was
 * loaded, and stays so while syncs bring every change: a gap in the
 * room's timeline makes it unsure again, since a sync that lazily loads
 * members leaves out those of the events it skipped. store_members_whole
 * is 1 or 0; store_members_load applies the m.room.member events of the
 * server's list and marks it whole. */
int store_members_whole(struct store *st, const char *room_id);
int store_members_load(struct store *st, const char *room_id, const struct mx_event *evs,
    size_t n, char **cause);
int store_members_unsure(struct store *st, const char *room_id, char **cause);
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
	char *formatted;	/* its HTML (org.matrix.custom.html), or NULL */
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
	char *encryption;	/* NULL: sent in clear; "ok": decrypted; else why not */
	char *sender_key;	/* the Curve25519 key it came encrypted from */
	char *sender_trust;	/* decrypted: its device "verified" (by the user,
				 * or signed by an owner the user verified),
				 * "changed" (its owner's identity changed),
				 * "signed" (by its owner's cross-signing key),
				 * "unverified", "blocked" or "unknown"; else NULL */
	char *thread_root;	/* the root of the thread (m.thread) it is in, or NULL */
	/* As a thread root: its cached replies and the latest of them. */
	int64_t thread_replies;
	char *thread_last_sender;	/* NULL when it has none */
	char *thread_last_name;
	char *thread_last_body;
	int64_t thread_last_ts;
};

/* Up to limit messages of a room older than before_seq (INT64_MAX for
 * the newest), oldest first. Edits, reactions and redactions are folded
 * into their targets and not listed themselves. */
int store_history(struct store *st, const char *room_id, int64_t before_seq, int limit,
    struct store_msg **msgs, size_t *n, char **cause);
/* A thread: its root (when cached) and the last limit of its replies,
 * oldest first, as store_history lists them. A reply to a root that is
 * cached is listed only here; store_history lists one whose root is not
 * cached in its place, with thread_root set. */
int store_thread(struct store *st, const char *root_id, int limit, struct store_msg **msgs,
    size_t *n, char **cause);
/* The newest event of the thread of root_id (a reply, or the root when
 * none is cached): what a reply's fallback m.in_reply_to names. NULL
 * when neither is cached. */
char *store_thread_latest(struct store *st, const char *root_id);
/* The messages self has not read in room_id, newest first, at most
 * limit: from others, after its read receipt and its own last message.
 * For counting unread where the server does not (sliding sync). */
int store_unread(struct store *st, const char *room_id, const char *self, int limit,
    struct store_msg **msgs, size_t *n, char **cause);
/* 1 when self's unread messages in room_id may reach past what the cache
 * holds (its read receipt names an event not cached, it said nothing
 * there since, and the room has a gap), so that counting what the cache
 * holds falls short; else 0. */
int store_unread_reaches(struct store *st, const char *room_id, const char *self);
/* Sets a room's unread and highlight counts. */
int store_room_counts(struct store *st, const char *room_id, int64_t unread, int64_t highlight,
    char **cause);
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
/* 1 while the gap above before_seq is open (no page filled it), 0 when
 * not, -1 on error. */
int store_gap_open(struct store *st, const char *room_id, int64_t before_seq, char **cause);
/* Inserts a /messages page (dir=b) below before_seq. The gap closes when
 * the page reaches an event already stored or the start of the room;
 * otherwise it moves down to msgs->end. Returns the number of new events. */
int store_gap_fill(struct store *st, const char *room_id, int64_t before_seq,
    const struct mx_messages *msgs, char **cause);

/* A gap in a room's cached history, between the cached events on either
 * side of it. */
struct store_gap {
	int64_t before_seq;	/* the seq of the cached event above it */
	int64_t after_ts;	/* ts of the cached event below; INT64_MIN when
				 * none: the room's start is not cached */
	int64_t before_ts;	/* ts of the cached event above */
};
/* The gaps of room_id that may hide events of since_ms <= ts < until_ms,
 * newest first; none means the cache holds all of that time. */
int store_gaps(struct store *st, const char *room_id, int64_t since_ms, int64_t until_ms,
    struct store_gap **gaps, size_t *n, char **cause);
/* How many joined rooms (only room_id, when not NULL) have a gap: their
 * whole history is not cached. -1 on error. */
int64_t store_rooms_partial(struct store *st, const char *room_id, char **cause);

enum store_outbox_state {
	STORE_OUTBOX_QUEUED = 0,	/* waiting to be sent (or retried) */
	STORE_OUTBOX_SENT,		/* the server answered with an event id */
	STORE_OUTBOX_FAILED,		/* the server refused it for good */
	STORE_OUTBOX_LATER,		/* scheduled: waits here until due_ts */
	STORE_OUTBOX_HELD,		/* scheduled: the homeserver holds it (delay_id)
					 * and sends it at due_ts */
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
	int64_t due_ts;		/* scheduled: when it goes (ms since the epoch); 0: now */
	char *delay_id;		/* HELD: the homeserver's id for it */
};

/* Queues an event to send, committed before any network attempt. The
 * txnId is generated here, unique, and reused by every retry. */
int store_outbox_add(struct store *st, const char *room_id, const char *type,
    const char *content, struct store_outbox *item, char **cause);
/* Rows not yet delivered (QUEUED, and FAILED when include_failed),
 * oldest first; room_id NULL for all rooms. */
int store_outbox_list(struct store *st, const char *room_id, int include_failed,
    struct store_outbox **items, size_t *n, char **cause);
/* What the room's pane shows after its messages, oldest first: rows not
 * yet delivered (QUEUED, FAILED), and rows SENT since since_ms whose
 * event the cache has not had back from the homeserver yet. */
int store_outbox_shown(struct store *st, const char *room_id, int64_t since_ms,
    struct store_outbox **items, size_t *n, char **cause);
/* The newest message (not an edit; with text_only, not a file) queued in
 * room_id, or sent since since_ms and not yet back from the homeserver:
 * 1 and *item, or 0. */
int store_outbox_newest(struct store *st, const char *room_id, int64_t since_ms, int text_only,
    struct store_outbox *item, char **cause);
/* The event id of a message from sender in item's room, since since_ms,
 * with item's text: a copy the homeserver sent of it; NULL when the
 * cache has none. */
char *store_outbox_copy(struct store *st, const struct store_outbox *item, const char *sender,
    int64_t since_ms);
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

/* Scheduled messages. A new one waits here (LATER) until due_ts; the
 * txnId is made as for any message. */
int store_outbox_schedule(struct store *st, const char *room_id, const char *type,
    const char *content, int64_t due_ts, struct store_outbox *item, char **cause);
/* What waits (LATER, and HELD until its time), soonest first; room_id
 * NULL for all rooms. */
int store_outbox_scheduled(struct store *st, const char *room_id, int64_t now_ms,
    struct store_outbox **items, size_t *n, char **cause);
/* A LATER row is being handed to the homeserver (its delay_id ''): the
 * sender leaves it, and a natter that finds it so after a stop hands it
 * again under the same txnId, which the server answers with the same
 * delay_id. store_outbox_held: the server gave it delay_id (again: no
 * error); store_outbox_note on a LATER row ends the handing. */
int store_outbox_handing(struct store *st, int64_t id, char **cause);
int store_outbox_held(struct store *st, int64_t id, const char *delay_id, char **cause);
/* Every LATER row due by now_ms becomes QUEUED, for the sender; how many
 * did (-1 on error). HELD rows due by then are SENT: the server sent them. */
int store_outbox_claim(struct store *st, int64_t now_ms, char **cause);
/* When the soonest LATER row is due; 0 when none waits. */
int64_t store_outbox_next_due(struct store *st);
/* Deletes a scheduled row: LATER, or HELD under delay_id (the one the
 * caller cancelled on the server). An error when it is no longer
 * either: it went, or is going. */
int store_outbox_unschedule(struct store *st, int64_t id, const char *delay_id, char **cause);
/* Says why a row waits (its last_error), without counting an attempt; a
 * LATER row being handed to the server waits here from then on. */
int store_outbox_note(struct store *st, int64_t id, const char *note, char **cause);
/* A scheduled row (LATER, or HELD under delay_id) waits here again, with
 * a new due time, content, a new txnId (the server remembers the old
 * one) and why it is not on the server (NULL: no reason to say). */
int store_outbox_reschedule(struct store *st, int64_t id, const char *delay_id, int64_t due_ts,
    const char *content, const char *why, char **cause);
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

/* Broadcasts: one message to many rooms and people, each kept with its
 * targets so that a report can say later who got it, read it and
 * answered. */
struct store_broadcast {
	int64_t id;
	int64_t created_ts;
	char *body;
	int targets;		/* how many rooms and people it was for */
	int sent;		/* of them, how many copies the server took */
};
/* A new broadcast of body, now; *id its number. */
int store_broadcast_add(struct store *st, const char *body, int64_t *id, char **cause);
/* One target of broadcast id, as the user named it: the room it meant
 * and the outbox row of its copy, or (room_id or outbox_id unknown: NULL
 * and 0) why none was queued. */
int store_broadcast_target(struct store *st, int64_t id, const char *target,
    const char *room_id, int64_t outbox_id, const char *error, char **cause);
/* Every broadcast, newest first. */
int store_broadcast_list(struct store *st, struct store_broadcast **b, size_t *n,
    char **cause);
/* One broadcast; an error that names it when there is none. */
int store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *b,
    char **cause);
void store_broadcast_clear(struct store_broadcast *b);
void store_broadcast_free(struct store_broadcast **b, size_t n);

enum store_bcast_sent {
	STORE_BCAST_UNSENT,	/* never queued: why says why */
	STORE_BCAST_QUEUED,	/* waits in the outbox: why, or NULL */
	STORE_BCAST_SENT,	/* the server took it: event_id, sent_ts */
	STORE_BCAST_REFUSED,	/* the server refused it for good: why */
	STORE_BCAST_DISCARDED,	/* the user dropped it from the outbox */
};

/* One person a broadcast went to, in one room; a target whose room has
 * no one else in it (or was never known) is one row without a user. */
struct store_bcast_recipient {
	char *target;		/* as the user named it */
	char *room_id;		/* NULL when it meant no room */
	char *room_name;	/* the room's name or alias, or NULL */
	int direct;		/* the room is the direct chat with user_id */
	char *user_id;		/* NULL: nobody */
	char *user_name;	/* their display name there, or NULL */
	enum store_bcast_sent sent;
	char *event_id;		/* SENT */
	int64_t sent_ts;	/* SENT: the event's time, else when it was queued */
	char *why;
	char *read_event;	/* the event their read receipt is on (the copy or
				 * later), or NULL: not read */
	int64_t read_ts;	/* when, 0 if the server did not say */
	char *reply_event;	/* their first message after the copy, or NULL */
	int64_t reply_ts;
	char *reply_body;	/* its text, from the server: make it inert */
};
/* The recipients of broadcast id as the cache knows them now, in the
 * order of its targets; self (the user) is never one. */
int store_broadcast_report(struct store *st, int64_t id, const char *self,
    struct store_bcast_recipient **r, size_t *n, char **cause);
void store_bcast_recipients_free(struct store_bcast_recipient **r, size_t n);

/* A message of the user's that waits for an answer: it asks something
 * (a sentence of it ends with a question mark) or the user flagged it,
 * and one of those asked has neither answered after it nor read it (a
 * read receipt on it or later). Those asked: the other person of a
 * direct chat; in a group room, those it mentions (a flagged message
 * that mentions nobody: every other member). */
struct store_waiting {
	char *room_id;
	char *event_id;
	char *body;
	int64_t ts;
	int direct;
	int flagged;
	char **people;		/* asked, and neither answered nor read */
	char **names;		/* their display names (NULL when unknown) */
	size_t n_people;
};
/* Messages of self's sent from since_ts to before_ts (questions) or ever
 * before it (flagged, event ids), oldest first. */
int store_waiting(struct store *st, const char *self, int64_t since_ts, int64_t before_ts,
    const char *const *flagged, size_t n_flagged, struct store_waiting **w, size_t *n,
    char **cause);
void store_waiting_free(struct store_waiting **w, size_t n);
/* Whether text asks something: a sentence ends with '?' (quoted lines,
 * "> ...", left out). */
int store_text_asks(const char *text);

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

/* One write around several changes, such as a sync with the room keys
 * that came with it: store_apply_sync and the writes below join it rather
 * than commit on their own, so that all of it is saved or none. */
int store_batch_begin(struct store *st, char **cause);
int store_batch_commit(struct store *st, char **cause);
void store_batch_abort(struct store *st);

/* End-to-end encryption: the crypto module's objects as pickles it
 * sealed (the store never holds a key in clear), the devices of the
 * users natter shares encrypted rooms with, and the messages that wait
 * for their room key. Each returns -1 with a cause on a database error. */
char *store_crypto_account(struct store *st, char **cause);	/* NULL: none yet */
int store_crypto_account_put(struct store *st, const char *pickle, char **cause);
/* Forgets every key and device (natter logout); messages stay. */
int store_crypto_forget(struct store *st, char **cause);

/* Olm sessions with the device whose identity key is their_key, the one
 * used last first. */
struct store_olm {
	char *session_id;
	char *pickle;
};
int store_olm_sessions(struct store *st, const char *their_key, struct store_olm **out,
    size_t *n, char **cause);
void store_olm_free(struct store_olm **s, size_t n);
int store_olm_put(struct store *st, const char *session_id, const char *their_key,
    const char *pickle, int64_t used_ms, char **cause);

/* Megolm sessions others send with, by session and sender key. */
struct store_megolm_in {
	char *room_id;
	char *sender_ed25519;	/* the key m.room_key came signed from, or NULL */
	int64_t first_index;
	char *pickle;
	int forwarded;		/* came as m.forwarded_room_key, not from its sender */
};
/* 1 with *out filled, 0 when there is no such session. */
int store_megolm_in(struct store *st, const char *session_id, const char *sender_key,
    struct store_megolm_in *out, char **cause);
void store_megolm_in_clear(struct store_megolm_in *m);
/* Every room key natter holds (n of them), for a key file. */
struct store_megolm_key {
	char *session_id;
	char *sender_key;
	struct store_megolm_in in;
};
int store_megolm_in_all(struct store *st, struct store_megolm_key **keys, size_t *n,
    char **cause);
void store_megolm_keys_free(struct store_megolm_key **keys, size_t n);
/* Keeps the session that reaches furthest back when there are two. */
int store_megolm_in_put(struct store *st, const char *session_id, const char *sender_key,
    const struct store_megolm_in *m, char **cause);
/* The message index of a session is seen with event_id, sent at ts: 0
 * when new or seen with the same event, 1 when an earlier event holds it
 * (this one is a replay), 2 when a later one held it: this one takes it,
 * and *other (the replay, to be refused) says which. Of two events sent
 * at the same time, the one with the smaller id keeps it. */
int store_megolm_seen(struct store *st, const char *session_id, const char *sender_key,
    int64_t index, const char *event_id, int64_t ts, char **other, char **cause);

/* This device's Megolm session for a room: 1 with its fields, 0 none. */
struct store_megolm_out {
	char *session_id;
	char *pickle;
	int64_t created_ms;
	int64_t messages;
};
int store_megolm_out(struct store *st, const char *room_id, struct store_megolm_out *out,
    char **cause);
void store_megolm_out_clear(struct store_megolm_out *m);
int store_megolm_out_put(struct store *st, const char *room_id,
    const struct store_megolm_out *m, char **cause);
/* The session must not be used again (someone left the room). */
int store_megolm_out_drop(struct store *st, const char *room_id, char **cause);
/* Whether the session's key went to a device: 1 yes, 2 the device was
 * told it is withheld (m.room_key.withheld), 0 neither. */
int store_megolm_shared(struct store *st, const char *room_id, const char *session_id,
    const char *user_id, const char *device_id, char **cause);
int store_megolm_shared_put(struct store *st, const char *room_id, const char *session_id,
    const char *user_id, const char *device_id, int withheld, char **cause);
/* A sender's device withheld a session's key from natter: why (made by
 * the core from the notice) is kept, and shown by the messages that wait
 * for that key, now and later; store_withheld: it, or NULL. */
int store_withheld_put(struct store *st, const char *session_id, const char *sender_key,
    const char *why, char **cause);
char *store_withheld(struct store *st, const char *session_id, const char *sender_key,
    char **cause);

/* Devices, as /keys/query gave them and natter checked them. */
enum store_trust {
	STORE_TRUST_UNVERIFIED = 0,
	STORE_TRUST_VERIFIED = 1,
	STORE_TRUST_BLOCKED = -1,
};
struct store_device {
	char *user_id;
	char *device_id;
	char *curve25519;
	char *ed25519;
	char *display_name;
	int trust;		/* enum store_trust */
	int cross_signed;	/* signed by its user's self-signing key */
	int identity_changed;	/* its user's master key is not the one natter
				 * first saw (store_crypto_master_seen) */
	int owner_verified;	/* the user verified its user's master key (it
				 * counts with cross_signed) */
};
int store_devices(struct store *st, const char *user_id, struct store_device **out, size_t *n,
    char **cause);
/* 1 with the device whose identity key is curve25519, 0 none. */
int store_device_by_key(struct store *st, const char *curve25519, struct store_device *out,
    char **cause);
/* 1 with the device, 0 when natter does not know it. */
int store_device_get(struct store *st, const char *user_id, const char *device_id,
    struct store_device *out, char **cause);
/* Sets a known device's trust (enum store_trust); -1 when it is unknown. */
int store_device_trust(struct store *st, const char *user_id, const char *device_id, int trust,
    char **cause);
void store_device_clear(struct store_device *d);
void store_devices_free(struct store_device **d, size_t n);
/* A user's devices now: the list replaces what was stored, in one
 * transaction, and the user is up to date. */
int store_devices_put(struct store *st, const char *user_id, const struct store_device *d,
    size_t n, char **cause);
/* Users whose device lists must be asked for again (outdated 1), or are
 * up to date (0); store_crypto_untrack stops following a user. */
int store_crypto_track(struct store *st, const char *user_id, int outdated, char **cause);
int store_crypto_untrack(struct store *st, const char *user_id, char **cause);
int store_crypto_outdated(struct store *st, char ***users, size_t *n, char **cause);
/* The master key natter first saw for user_id (NULL: none yet, or an
 * error in *cause); store_crypto_master_put keeps one. */
char *store_crypto_master(struct store *st, const char *user_id, char **cause);
int store_crypto_master_put(struct store *st, const char *user_id, const char *master,
    char **cause);
/* The master key the server gives for user_id now: when it is not the
 * one kept by store_crypto_master_put, the user's devices say
 * identity_changed until the new one is kept. */
int store_crypto_master_seen(struct store *st, const char *user_id, const char *master,
    char **cause);
/* user_id's master key, as a verification proved it: kept as theirs, and
 * their devices it signed are verified while it stays theirs. */
int store_crypto_user_verified(struct store *st, const char *user_id, const char *master,
    char **cause);
/* Keeps the master key seen as user_id's: 1, or 0 when it was kept already. */
int store_crypto_master_accept(struct store *st, const char *user_id, char **cause);
/* The account's secrets (cross-signing and backup keys), sealed by the
 * caller: NULL when there is none (or an error, in *cause). */
char *store_crypto_secret(struct store *st, const char *name, char **cause);
int store_crypto_secret_put(struct store *st, const char *name, const char *sealed,
    char **cause);
/* Room keys not yet in the server-side key backup, at most limit of them;
 * store_megolm_backed marks one sent (if pickle is still the copy held:
 * a better copy that came meanwhile goes next); a new backup version
 * starts again with store_megolm_backup_reset. */
int store_megolm_unbacked(struct store *st, size_t limit, struct store_megolm_key **keys,
    size_t *n, char **cause);
int store_megolm_backed(struct store *st, const char *session_id, const char *sender_key,
    const char *pickle, char **cause);
int store_megolm_backup_reset(struct store *st, char **cause);
/* When the room's session must be replaced, from its m.room.encryption:
 * after ms milliseconds or msgs messages. A missing or unusable setting
 * leaves the value passed in (the caller's default). */
int store_crypto_rotation(struct store *st, const char *room_id, int64_t *ms, int64_t *msgs,
    char **cause);
/* Who may read the room's next message: joined members, and invited ones
 * unless history_visibility is "joined". */
int store_crypto_readers(struct store *st, const char *room_id, char ***users, size_t *n,
    char **cause);
void store_strings_free(char ***v, size_t n);

/* Messages that wait for their room key. */
struct store_pending {
	char *event_id;
	char *room_id;
	char *ciphertext;
	char *sender;
	int64_t ts;
	char *txn_id;
	char *session_id;
	char *sender_key;
	char *mark;		/* what the message says meanwhile (events.encryption) */
};
/* A message kept for its key; index: its message index when the key natter
 * has starts after it (it waits for one that reaches back), else -1. */
int store_pending_put(struct store *st, const char *event_id, const char *room_id,
    const char *session_id, const char *sender_key, const char *ciphertext, int64_t index,
    char **cause);
int store_pending_of(struct store *st, const char *session_id, const char *sender_key,
    struct store_pending **out, size_t *n, char **cause);
/* The ids of the waiting messages whose key is here now (n of them):
 * those of first_room (may be NULL) first, then the newest; and one
 * waiting message (1), or 0 when it waits no more. */
int store_pending_ready(struct store *st, const char *first_room, char ***ids, size_t *n,
    char **cause);
int store_pending_get(struct store *st, const char *event_id, struct store_pending *out,
    char **cause);
/* A waiting message that will never be read: it says why, and waits no
 * more. */
int store_pending_refused(struct store *st, const char *event_id, const char *why,
    char **cause);
/* Waiting messages marked was whose key is not here: marked now (or why
 * the key was withheld) instead; out lists them (room, event, sender). */
int store_pending_keyless(struct store *st, const char *was, const char *now,
    struct store_pending **out, size_t *n, char **cause);
void store_pending_free(struct store_pending **p, size_t n);

/* Room keys asked of this account's other devices. store_requests_due
 * gives the sessions messages wait for that were not asked for yet. */
struct store_request {
	char *session_id;
	char *sender_key;
	char *room_id;
	char *request_id;	/* NULL in store_requests_due's list */
	int64_t sent_ms;
};
int store_requests_due(struct store *st, struct store_request **out, size_t *n, char **cause);
/* The requests whose key is here now: to be withdrawn. */
int store_requests_met(struct store *st, struct store_request **out, size_t *n, char **cause);
int store_request_put(struct store *st, const struct store_request *r, char **cause);
/* 1 with *out filled when the session was asked for, 0 when not. */
int store_request_get(struct store *st, const char *session_id, const char *sender_key,
    struct store_request *out, char **cause);
int store_request_drop(struct store *st, const char *session_id, const char *sender_key,
    char **cause);
void store_request_clear(struct store_request *r);

/* Room keys this account's other devices asked for, kept until they can
 * be answered (the device verified) or are withdrawn. */
struct store_incoming {
	char *device_id;
	char *request_id;
	char *room_id;
	char *sender_key;
	char *session_id;
	char *algorithm;
	int64_t heard_ms;
};
int store_incoming_put(struct store *st, const struct store_incoming *in, char **cause);
int store_incoming_drop(struct store *st, const char *device_id, const char *request_id,
    char **cause);
int store_incoming_all(struct store *st, struct store_incoming **out, size_t *n, char **cause);
void store_incoming_free(struct store_incoming **in, size_t n);
void store_requests_free(struct store_request **r, size_t n);
/* A waiting message, now decrypted (ev, with its encryption status set),
 * takes the place of its ciphertext: text, relations and index. */
int store_event_decrypted(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause);

#endif
