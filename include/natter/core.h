/* core: the one event/state layer between the protocol and the front
 * ends. It owns a profile's session, cache, loop and homeserver client;
 * keeps a sync in flight on the one loop and writes whatever arrives into
 * the store before anything shows it; and puts every message the user
 * sends into the outbox before the first attempt.
 *
 * Every operation that talks to the homeserver is asynchronous: it
 * starts on the loop and ends by calling its done callback. The terminal
 * interface starts operations and goes on; the command line starts one
 * and runs the loop until it is done (core_wait). What changed reaches the
 * front end as domain events (struct core_events), never as protocol
 * structs or JSON. Nothing here exposes curl or cJSON. */
#ifndef NATTER_CORE_H
#define NATTER_CORE_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct core;
struct loop;
struct notify_msg;
struct search_hit;
struct search_opts;
struct settings;
struct store;
struct store_bcast_recipient;

#define CORE_NEED_SESSION 0x1	/* core_open fails unless logged in */

/* Opens profile (NULL: "default"): its directory, cache and session.
 * settings (borrowed for the core's life, may be NULL for the defaults)
 * say what notifies. */
struct core *core_open(const char *profile, const char *config, const struct settings *settings,
    int flags, char **cause);
/* Ends every operation (their done callbacks hear CORE_CANCELLED) and
 * closes the profile. */
void core_free(struct core **c);

struct loop *core_loop(struct core *c);
struct store *core_store(struct core *c);
int core_logged_in(const struct core *c);
const char *core_self(const struct core *c);		/* user id, or NULL */
const char *core_device(const struct core *c);		/* device id, or NULL */
const char *core_homeserver(const struct core *c);	/* base URL, or NULL */
const char *core_profile(const struct core *c);
/* How a person runs natter ARGS on this profile, for a hint: "natter
 * login", or "natter -p work login" when the profile is not the one
 * natter picks without -p. */
char *core_command(const struct core *c, const char *args);
const char *core_download_dir(const struct core *c);
const char *core_data_dir(const struct core *c);
const char *core_log_file(const struct core *c);

/* How an operation ends: the status its done callback hears. */
enum core_status {
	CORE_CANCELLED = -1,	/* the core was freed first: only release arg */
	CORE_FAILED = 0,	/* result: why, for a person */
	CORE_DONE = 1,		/* result: what the operation names */
	CORE_QUEUED = 2,	/* a send that cannot go now: it waits in the outbox
				 * and goes with a later sync; result: why */
};

/* Each operation below returns -1 with a cause when it cannot start (then
 * done is never called), or 0, and then done (which may be NULL) is called
 * exactly once, from the loop, never inside the function that started it.
 * result is valid during the call only. It can hold text from the server
 * (room ids, error messages): whoever shows it makes it inert first. */
typedef void (*core_done_cb)(void *arg, int status, const char *result);

/* The adapter for callers that need the outcome before going on: pass
 * core_result_cb and a zeroed struct core_result as done and arg, then
 * core_wait runs the loop until the operation is over and returns its
 * status (-1 when the loop was broken first, by a signal). */
struct core_result {
	int done;
	int status;
	char *text;		/* the result, owned; NULL when there was none */
};
void core_result_cb(void *arg, int status, const char *result);
int core_wait(struct core *c, struct core_result *r);
void core_result_clear(struct core_result *r);

/* The connection as the sync loop sees it. */
enum core_conn {
	CORE_CONNECTING,	/* before the first sync answered */
	CORE_ONLINE,		/* the last sync answered */
	CORE_OFFLINE,		/* the last sync failed; retrying */
	CORE_LOGGED_OUT,	/* the server refused the session */
};

/* What one new timeline event does to a room, as core_events.messages
 * tells it. */
enum core_change {
	CORE_CHANGE_NEW,	/* a new message, or another new event */
	CORE_CHANGE_EDIT,	/* replaces target's text */
	CORE_CHANGE_REDACT,	/* deletes target */
	CORE_CHANGE_REACT,	/* a reaction to target */
	CORE_CHANGE_STATE,	/* the room changed: a name, a topic, a member */
};

struct core_message {
	enum core_change change;
	const char *event_id;
	const char *sender;	/* a user id */
	const char *target;	/* the event edited, deleted or reacted to; else NULL */
};

/* Interactive verification of another device (SAS: emoji or numbers the
 * two users compare), heard through the sync loop. */
enum core_verify_state {
	CORE_VERIFY_REQUESTED,	/* asked, or asked of us: core_verify_accept */
	CORE_VERIFY_READY,	/* both sides ready; the SAS is being agreed */
	CORE_VERIFY_STARTED,	/* keys being exchanged */
	CORE_VERIFY_SAS,	/* emoji and decimal are there to compare: core_verify_confirm */
	CORE_VERIFY_CONFIRMED,	/* both said they match; waiting for the other's done */
	CORE_VERIFY_DONE,	/* the device is verified */
	CORE_VERIFY_CANCELLED,	/* code and reason say why */
};
struct core_verify_info {
	const char *txn;
	const char *user_id;	/* the other side (server text) */
	const char *device_id;	/* NULL while a request to all its devices waits */
	int incoming;		/* the other side asked */
	enum core_verify_state state;
	int emoji_ok;		/* both show emoji; else compare the numbers */
	int emoji[7];		/* crypto_sas_emoji_char/name indexes */
	int decimal[3];
	const char *code;	/* a cancel's: m.user, m.mismatched_sas, ... */
	const char *reason;
	int secrets_asked;	/* done with another device of the user, which was
				 * asked for the account's secrets: see recovered */
};

/* What the core tells a front end, from the loop. Any member may be NULL.
 * Strings are borrowed for the call and are server text unless said
 * otherwise: inert them before a terminal sees them. */
struct core_recovered;
struct core_events {
	/* The connection changed, or failed again: why is NULL or a reason,
	 * retry_ms when the next attempt is (0: none planned). */
	void (*conn)(void *arg, enum core_conn state, const char *why, int64_t retry_ms);
	/* A sync was stored; the rooms (names, counts, membership) may have
	 * changed. n_events new timeline events came in all. */
	void (*rooms)(void *arg, size_t n_events);
	/* New timeline events of room_id are in the store, oldest first. */
	void (*messages)(void *arg, const char *room_id, const struct core_message *msgs,
	    size_t n);
	/* Who is typing in room_id now (display names, not us; n may be 0). */
	void (*typing)(void *arg, const char *room_id, const char *const *names, size_t n);
	/* A message the notification rules say to raise (mention, direct
	 * chat, keyword), decided with what core_view said is on screen. */
	void (*notify)(void *arg, const struct notify_msg *msg);
	/* A queued message went (CORE_DONE, text: its event id), was refused
	 * for good (CORE_FAILED) or waits (CORE_QUEUED): text NULL when it was
	 * just queued, else why an attempt failed; the next attempt starts in
	 * retry_ms, or with a later sync when that is 0. */
	void (*outbox)(void *arg, int64_t id, int status, const char *text, int64_t retry_ms);
	/* An interactive verification moved on (core_verify_*). */
	void (*verify)(void *arg, const struct core_verify_info *v);
	/* The account's secrets, asked of another device of the user after
	 * it was verified, were taken in (CORE_DONE: r says what came of
	 * them) or could not be (why). */
	void (*recovered)(void *arg, int status, const struct core_recovered *r, const char *why);
	/* The reminders or flagged messages changed, or a reminder fell due
	 * (its notification went through notify). */
	void (*reminders)(void *arg);
};

/* Where the core's events go from now on (ev may be NULL: nowhere), for a
 * front end that hears them without the sync loop. */
void core_listen(struct core *c, const struct core_events *ev, void *arg);
/* Starts the sync loop: a sync always in flight (a long poll of
 * timeout_ms; the first round answers at once), events to ev. A failed
 * round, an answer that cannot be read, or a server that answers at once
 * with nothing new again and again is asked again only after a growing
 * pause. */
void core_start(struct core *c, const struct core_events *ev, void *arg, long timeout_ms);
/* Stops the sync loop; done hears when the work it started in the
 * background (messages to devices, signatures, key backup) is over. */
void core_stop(struct core *c, core_done_cb done, void *arg);
/* What the user is looking at, for notifications and, with sliding sync,
 * the room the sync subscribes to: the room in view (NULL: none) and
 * whether the terminal has focus (-1: it does not say). */
void core_view(struct core *c, const char *room_id, int focus);

/* How the core syncs: CORE_PROTO_UNKNOWN until the first round asked the
 * homeserver (core-slide.c). */
enum core_protocol {
	CORE_PROTO_UNKNOWN,
	CORE_PROTO_V3,
	CORE_PROTO_SLIDING,
};
enum core_protocol core_protocol(const struct core *c);
/* 1 while a sliding sync's window still grows, with how many of the
 * account's rooms are known (known of total); else 0. */
int core_rooms_loading(const struct core *c, int64_t *known, int64_t *total);
/* Asks the homeserver which sync protocol it offers, as the sync loop
 * would choose; result: "sliding" or "v3". */
int core_protocol_ask(struct core *c, core_done_cb done, void *arg, char **cause);

/* Whether message m (as store_history gives it) mentions the user, for
 * showing it: by its m.mentions when it has one (@room only from a
 * sender allowed to), else, as older clients meant it, by my_name (their
 * display name in the room, or NULL) or their user id in its body, as
 * notifications decide. The user's own messages never do. */
struct store_msg;
int core_msg_mentions_us(struct core *c, const struct store_msg *m, const char *my_name);

/* Whether room r is a VIP's, to list first: a direct chat with one of
 * the config's [notify] vip, or a room with a message from one that the
 * user has not read. */
struct store_room;
int core_room_vip(struct core *c, const struct store_room *r);

/* One sync round (a long poll of timeout_ms) into the store, then every
 * queued message that can go. result: how many new timeline events. */
int core_sync_once(struct core *c, long timeout_ms, core_done_cb done, void *arg,
    char **cause);

/* Sending. Every message goes into the outbox (with its transaction id)
 * before the first attempt; retries reuse it, so the server
 * de-duplicates. Messages go one at a time, in the order they were
 * written. done hears the outcome of this message: CORE_DONE (result:
 * the event id), CORE_QUEUED (waits; result: why) or CORE_FAILED. A room
 * that is end-to-end encrypted refuses at once: natter cannot encrypt. */
int core_send(struct core *c, const char *room_id, const char *type, const char *content,
    core_done_cb done, void *arg, char **cause);
/* A name in a draft that stands for a user: text[start, start + len),
 * put there by completing the name (a mention). */
struct core_mention {
	size_t start;
	size_t len;
	const char *user_id;
};

/* Text typed by the user, to send. Markdown; outside code, shortcodes
 * (:+1:, :smile:) become emoji, and the names and every full user id in
 * the text are mentions: links to matrix.to in the formatted body and
 * the users in m.mentions, with the sender of the message answered (not
 * the user); m.mentions is sent even when empty (see msg.h). */
struct core_draft {
	const char *text;
	int emote;		/* m.emote rather than m.text */
	const char *reply_to;	/* the event answered, or NULL */
	const char *thread;	/* the root of the thread it goes to (m.thread),
				 * or NULL; a reply in a thread goes to its root */
	const char *edit;	/* the event whose text this replaces, or NULL;
				 * the edit keeps its kind (an emote stays one) */
	const struct core_mention *names;
	size_t n_names;
};
int core_send_draft(struct core *c, const char *room_id, const struct core_draft *d,
    core_done_cb done, void *arg, char **cause);
/* A draft of text alone, as m.text or, with emote, m.emote; reply_to may
 * be NULL. */
int core_send_text(struct core *c, const char *room_id, const char *text, int emote,
    const char *reply_to, core_done_cb done, void *arg, char **cause);
/* A message in the thread of root (an event of the thread or its root). */
int core_send_thread(struct core *c, const char *room_id, const char *text, const char *root,
    core_done_cb done, void *arg, char **cause);
/* Replaces event_id's text (a draft with edit set). */
int core_send_edit(struct core *c, const char *room_id, const char *event_id, const char *text,
    core_done_cb done, void *arg, char **cause);
/* A reaction; a key that is one shortcode (":+1:") goes as its emoji. */
int core_send_reaction(struct core *c, const char *room_id, const char *event_id,
    const char *key, core_done_cb done, void *arg, char **cause);
/* Uploads the file at path, then sends it as a message like core_send
 * (result: the event id). A path that is not a readable file fails at once. */
int core_send_file(struct core *c, const char *room_id, const char *path, core_done_cb done,
    void *arg, char **cause);
/* Tries queued messages again now; done (may be NULL) hears when the
 * sender has nothing left it can send (CORE_DONE: the outbox is empty;
 * CORE_QUEUED: some wait, result: why). */
int core_outbox_flush(struct core *c, core_done_cb done, void *arg, char **cause);

/* Broadcasts (one text to many rooms and people), kept in the cache
 * (store_broadcast_*) for their reports. A new one: *id its number. */
int core_broadcast_new(struct core *c, const char *text, int64_t *id, char **cause);
/* The copy of broadcast id for target (what the user named) in room_id,
 * sent as core_send_text sends and recorded with its outbox row; when it
 * cannot be queued, what says why is recorded too. */
int core_broadcast_send(struct core *c, int64_t id, const char *target, const char *room_id,
    const char *text, int emote, core_done_cb done, void *arg, char **cause);
/* The members of room_id, asked of the homeserver and kept, unless the
 * cache holds its whole list already (a sync loads a group room's members
 * lazily); result: how many member events came. */
int core_members_fetch(struct core *c, const char *room_id, core_done_cb done, void *arg,
    char **cause);
/* A target of broadcast id that got no copy (its room unknown: room_id
 * NULL), and why. */
void core_broadcast_unsent(struct core *c, int64_t id, const char *target,
    const char *room_id, const char *why);

/* A broadcast's report, in words, for both front ends (which sanitise
 * it). The fate of one copy: "sent 2026-12-04 09:14; read ...; replied
 * ...: \"...\"", or why it was not sent; with event_id, the copy's event
 * id after its time. */
void core_broadcast_fate(struct buf *b, const struct store_bcast_recipient *r, int event_id);
/* The count under a report: "3 people: 2 read it, 1 replied". */
void core_broadcast_tally(struct buf *b, const struct store_bcast_recipient *r, size_t n);

/* Scheduled messages: a draft to send at due_ms (ms since the epoch).
 * Where the homeserver offers delayed events (MSC4140) it holds the
 * message and sends it itself, even when no natter runs; otherwise, in an
 * encrypted room (the server cannot encrypt it when it goes, for whoever
 * is a member then), with [send] scheduled = local, when the server
 * refuses the delay (beyond its maximum) or cannot be reached, it waits
 * here, in the outbox, and goes at its time from any natter of the
 * profile that runs (the interface, natter sync, or the next natter
 * send). result: the outbox id, in decimal; the row says where it waits
 * (STORE_OUTBOX_HELD: on the server; LATER: here, last_error saying why
 * not on the server when it could have been). */
int core_schedule(struct core *c, const char *room_id, const struct core_draft *d,
    int64_t due_ms, core_done_cb done, void *arg, char **cause);
/* Cancels scheduled message id: on the server, or here. A message that
 * has gone (or is going) cannot be cancelled, and says so. */
int core_schedule_cancel(struct core *c, int64_t id, core_done_cb done, void *arg,
    char **cause);
/* Changes scheduled message id: its time (due_ms, 0: unchanged) and its
 * text (NULL: unchanged); on the server it is cancelled and scheduled
 * anew. result as core_schedule's. */
int core_schedule_edit(struct core *c, int64_t id, int64_t due_ms, const char *text,
    core_done_cb done, void *arg, char **cause);
/* Asks the homeserver which of the messages it holds for natter it still
 * holds: one another device of the user cancelled (or sent at once) is
 * no longer scheduled, and leaves the outbox. result: a sentence saying
 * how many left, or NULL when none did. Nothing is asked when the server
 * holds none of natter's; a server without delayed events ends it with
 * NULL. */
int core_schedule_refresh(struct core *c, core_done_cb done, void *arg, char **cause);

/* Reminders ("remind me about this message at a time") and flagged
 * messages (listed as waiting for an answer), kept in the account's data
 * so that every natter of the account shares them (core-remind.c says
 * how two natters writing at once lose nothing). Each change reads the
 * account's copy, merges, writes, and reads it again; done hears
 * CORE_DONE (result: the reminder's id), CORE_QUEUED when the homeserver
 * could not be reached or kept being written by another natter (the
 * change is kept here and goes with the next sync; result: why) or
 * CORE_FAILED (an id that names nothing). The sync loop raises a
 * notification (core_events.notify) for each reminder as it falls due. */
struct core_reminder {
	char *id;
	char *room_id;
	char *event_id;
	char *note;		/* the user's, or NULL */
	int64_t due_ms;		/* 0 for a flagged message */
	int64_t created_ms;
};
#define CORE_REMIND_REMINDERS 0
#define CORE_REMIND_FLAGS 1
/* Reminders (or, with CORE_REMIND_FLAGS, flagged messages) not done, as
 * the cache knows them, soonest first. */
int core_reminders(struct core *c, int which, struct core_reminder **r, size_t *n);
void core_reminders_free(struct core_reminder **r, size_t n);
/* Brings the account's reminders into the cache (and writes back what
 * only the cache holds). */
int core_reminders_fetch(struct core *c, core_done_cb done, void *arg, char **cause);
/* A new reminder of event_id at due_ms, with note (may be NULL); *id (may
 * be NULL; must outlive the operation) gets its id. */
int core_remind(struct core *c, const char *room_id, const char *event_id, int64_t due_ms,
    const char *note, char **id, core_done_cb done, void *arg, char **cause);
/* Marks a reminder (id, or a prefix naming one only) done, or moves it to
 * due_ms. */
int core_remind_done(struct core *c, const char *id, core_done_cb done, void *arg,
    char **cause);
int core_remind_snooze(struct core *c, const char *id, int64_t due_ms, core_done_cb done,
    void *arg, char **cause);
/* Flags event_id as asking something (on), or takes the flag off. */
int core_flag(struct core *c, const char *room_id, const char *event_id, int on,
    core_done_cb done, void *arg, char **cause);
/* The merge of two contents of the account's reminders (either may be
 * NULL), dropping done entries older than 30 days; and whether server
 * holds every entry of local as it is there. For tests. */
char *core_remind_merge(const char *a, const char *b, int64_t now_ms);
int core_remind_covers(const char *server, const char *local);

/* Joins a room by id or alias (an invite is accepted so); result: its id. */
int core_join(struct core *c, const char *id_or_alias, core_done_cb done, void *arg,
    char **cause);
/* Leaves a room; result: room_id. */
int core_leave(struct core *c, const char *room_id, core_done_cb done, void *arg,
    char **cause);
/* Invites user_id into a room; result: room_id. */
int core_invite(struct core *c, const char *room_id, const char *user_id, core_done_cb done,
    void *arg, char **cause);
/* Sets a room's topic; result: room_id. */
int core_topic(struct core *c, const char *room_id, const char *text, core_done_cb done,
    void *arg, char **cause);
/* Sets the user's display name; result: the name. */
int core_nick(struct core *c, const char *displayname, core_done_cb done, void *arg,
    char **cause);
/* Deletes (redacts) an event at once, not through the outbox; result:
 * event_id. */
int core_redact(struct core *c, const char *room_id, const char *event_id, core_done_cb done,
    void *arg, char **cause);

/* The direct chat with user_id: the one m.direct names, else a new room
 * (is_direct, inviting the user), then added to m.direct as other
 * clients do, and synced into the cache. result: its id, and *created
 * (may be NULL; must outlive the operation) says whether it is new. */
int core_dm(struct core *c, const char *user_id, int *created, core_done_cb done, void *arg,
    char **cause);

#define CORE_RESOLVE_DM 0x1	/* a user id means the direct chat, made if need be */
/* What a user typed as ROOM (see store_room_resolve), or an alias the
 * cache lacks through the homeserver's directory; result: the room id. */
int core_resolve(struct core *c, const char *what, int flags, core_done_cb done, void *arg,
    char **cause);

/* Moves the fully-read marker and the read receipt to event_id, unless it
 * is the last event marked in room_id (then done hears CORE_DONE). */
int core_mark_read(struct core *c, const char *room_id, const char *event_id,
    core_done_cb done, void *arg, char **cause);

/* Tells the room's members we are typing (typing 1) or have stopped (0,
 * or typing in another room). Repeated calls while typing send a notice
 * at most every CORE_TYPING_RENEW_MS; each says CORE_TYPING_MS. Failures
 * are only logged. */
#define CORE_TYPING_MS 30000L
#define CORE_TYPING_RENEW_MS 20000L
void core_typing(struct core *c, const char *room_id, int typing);

/* History. core_history_page pages in the next stretch of older history
 * the cache lacks (the newest gap of the room); result: how many events
 * came, "0" when the cache reaches the start of the room. */
int core_history_page(struct core *c, const char *room_id, core_done_cb done, void *arg,
    char **cause);
/* Pages in gaps until the cache holds limit messages older than
 * before_seq (INT64_MAX: the newest) without a hole, or the start of the
 * room; then done. CORE_FAILED when the server could not be asked: the
 * cache still answers store_history, with less. */
int core_history_fill(struct core *c, const char *room_id, int64_t before_seq, int limit,
    core_done_cb done, void *arg, char **cause);

/* What core_backfill says after each page that added events to a room,
 * and once the room is done. name is the room's display name as the
 * cache has it (server text). */
struct core_backfill_progress {
	const char *room_id;
	const char *name;
	size_t index;		/* which room, from 0 */
	size_t n_rooms;
	int64_t added;		/* new events in this room so far */
	int done;		/* the cache holds the room back to its creation,
				 * or all of the time core_backfill_span wants */
};
typedef void (*core_backfill_cb)(const struct core_backfill_progress *p, void *arg);

/* Pages the whole history of room_id (NULL: every joined room) into the
 * cache, filling every gap back to m.room.create; progress (may be NULL)
 * hears how it goes. Each page is one transaction, so an interrupted run
 * leaves a consistent cache and the next run goes on from there; a room
 * already complete costs no request. Stops at the first room that fails,
 * with a reason naming it. */
int core_backfill(struct core *c, const char *room_id, core_backfill_cb progress,
    void *progress_arg, core_done_cb done, void *arg, char **cause);
/* The same step, paging back only until the cache holds every event of
 * since_ms <= ts < until_ms (or the room's creation): what an export of
 * part of a room needs. */
int core_backfill_span(struct core *c, const char *room_id, int64_t since_ms, int64_t until_ms,
    core_backfill_cb progress, void *progress_arg, core_done_cb done, void *arg, char **cause);

/* Media. core_fetch writes the attachment of message m into fd, at most
 * max_bytes (0: the default cap); a file larger than that fails with a
 * reason saying so; an encrypted one is decrypted, and nothing is written
 * unless its hash holds. core_download saves event_id's attachment at
 * path, or, with path NULL, under a safe, new name in the profile's media
 * directory; result: the file's path. */
struct store_msg;
int core_fetch(struct core *c, const struct store_msg *m, int fd, int64_t max_bytes,
    core_done_cb done, void *arg, char **cause);
int core_download(struct core *c, const char *event_id, const char *path, core_done_cb done,
    void *arg, char **cause);
/* core_download into the media directory, but an attachment saved there
 * before and still there whole is handed back at once, without a
 * request; -1 with a cause while one of it is under way. */
int core_download_once(struct core *c, const char *event_id, core_done_cb done, void *arg,
    char **cause);
/* Creates a new 0600 file in dir (made 0700 if missing) named after name
 * (made safe), adding "N-" in front rather than replacing a file; returns
 * the fd and its path, or -1 with a cause. */
int core_download_file(const char *dir, const char *name, char **path, char **cause);

/* Asks the homeserver for user_id's devices and keeps those that signed
 * their own keys (store_devices then lists them); result: user_id. This
 * device's own identity keys, for comparing with what others see:
 * core_identity (NULL without encryption keys). */
int core_devices(struct core *c, const char *user_id, core_done_cb done, void *arg,
    char **cause);
const char *core_identity_ed25519(const struct core *c);
/* Sets how far natter trusts a known device of user_id (enum store_trust).
 * Verifying needs the device's Ed25519 key as the user read it on the
 * device itself (spaces ignored): it must be the key natter knows. */
int core_trust(struct core *c, const char *user_id, const char *device_id, int trust,
    const char *ed25519, char **cause);

/* Takes user_id's master key as the server gives it now as theirs (after
 * it changed and the user checked with them): 1 done, 0 when it did not
 * change, -1 with a cause. */
int core_accept_identity(struct core *c, const char *user_id, char **cause);

/* Room keys in a file of the format Element uses, sealed with a
 * passphrase: every key natter holds (*n of them), as the file's text. */
int core_keyfile_export(struct core *c, const char *passphrase, char **file, size_t *n,
    char **cause);
/* Keeps the keys of such a file; what waited for them is decrypted after,
 * and done is called when that is over. n counts the keys. */
struct core_import {
	size_t imported;	/* new, or reaching further back than natter's */
	size_t known;		/* natter had them already */
	size_t refused;		/* malformed, or in conflict with natter's */
	const char *why;	/* why the last one was refused */
};
int core_keyfile_import(struct core *c, const char *file, size_t len, const char *passphrase,
    struct core_import *n, core_done_cb done, void *arg, char **cause);

/* natter recover: opens the account's secret storage with secret (the
 * recovery key, or the passphrase, the user has from Element), keeps the
 * cross-signing and key backup keys it holds (sealed), signs this device
 * with the self-signing key, and restores the room keys of the key
 * backup, telling progress (may be NULL) how far; then decrypts what
 * waited for them, and done hears the end. From then on new room keys go
 * to the backup too. Facts that did not stop it (a secret missing or
 * stale) are in note. */
struct core_recovered {
	int from_device;	/* the secrets came from another device, not storage */
	int opened_by_passphrase;
	int cross_signing;	/* the account's cross-signing keys kept */
	int device_signed;	/* this device now carries its owner's signature */
	char *master;		/* the account's master key (base64), when kept */
	char *backup_version;	/* NULL: no key backup restored */
	size_t keys_total;	/* sessions in the backup */
	struct core_import keys;
	char *note;
};
typedef void (*core_progress_cb)(size_t done, size_t total, void *arg);
int core_recover(struct core *c, const char *secret, struct core_recovered *out,
    core_progress_cb progress, void *parg, core_done_cb done, void *arg, char **cause);
void core_recovered_clear(struct core_recovered *r);

/* natter crypto setup: for an account without cross-signing, makes the
 * cross-signing keys, a secret storage under a new recovery key holding
 * them and the key of a new key backup, and signs this device. password
 * (may be NULL) answers the homeserver if it asks for it. The recovery
 * key is in out once on_server says the account has it all, even when a
 * later step (keeping the keys here) failed. */
struct core_setup {
	char *recovery_key;
	char *master;
	char *backup_version;
	int on_server;
	int device_signed;
};
int core_crypto_setup(struct core *c, const char *password, struct core_setup *out,
    core_done_cb done, void *arg, char **cause);
void core_setup_clear(struct core_setup *s);

/* Asks user_id's device_id (NULL: every device of theirs) to verify;
 * *txn names the verification in what core_events.verify tells. When it
 * is ready natter starts the SAS. */
int core_verify_request(struct core *c, const char *user_id, const char *device_id,
    char **txn, char **cause);
/* Answers a request that came in; the other side starts the SAS. */
int core_verify_accept(struct core *c, const char *txn, char **cause);
/* The user compared the strings: match sends this side's proof (the
 * device is verified once the other's holds), else cancels. */
int core_verify_confirm(struct core *c, const char *txn, int match, char **cause);
int core_verify_cancel(struct core *c, const char *txn, char **cause);

/* Asks the homeserver's /search for query's words (in the room and
 * within the limit of o) and merges what only it finds into *hits (n
 * of them, in and out; they must outlive the operation). The server does
 * not search encrypted rooms; asking for one is an error. */
int core_search_server(struct core *c, const char *query, const struct search_opts *o,
    struct search_hit **hits, size_t *n, core_done_cb done, void *arg, char **cause);

/* The session. core_login logs in with a password and saves the session
 * (0600); server may be NULL to find it from the user id's domain.
 * core_login_token uses an m.login.token (from SSO or another session).
 * result: the user id. */
int core_login(struct core *c, const char *server, const char *user, const char *password,
    core_done_cb done, void *arg, char **cause);
int core_login_token(struct core *c, const char *server, const char *token, core_done_cb done,
    void *arg, char **cause);
/* Ends the session on the server and forgets it; the cache is kept. */
int core_logout(struct core *c, core_done_cb done, void *arg, char **cause);
/* Asks the server who the session is; result: the user id. */
int core_whoami(struct core *c, core_done_cb done, void *arg, char **cause);

#endif
