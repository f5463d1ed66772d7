/* Private to the core module (src/core): the core itself, and the
 * machinery every operation shares. */
#ifndef NATTER_CORE_PRIVATE_H
#define NATTER_CORE_PRIVATE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "natter/config.h"
#include "natter/core.h"
#include "natter/crypto.h"
#include "natter/matrix.h"
#include "natter/store.h"

#define CORE_TIMELINE_LIMIT 50	/* events a sync brings a room at most */
/* Events a first sync brings each room: enough for the list and to show
 * it; the rest pages in when the room is read. */
#define CORE_FIRST_TIMELINE 10
#define CORE_PAGE_LIMIT 100	/* events one history page asks for */

struct mx_sync;
struct mx_to_device;
struct mx_claimed_key;
struct mx_olm_payload;
struct core_op;
struct core_round;
struct cJSON;

/* A device whose Olm message could not be decrypted: its session with
 * us is wedged, and a new one is made, at most once an hour. */
struct core_wedged {
	char *sender;
	char *sender_key;
	int64_t last_ms;	/* when a new session was last made; 0 never */
	int due;		/* after this sync */
};

struct core {
	struct cfg_paths paths;
	struct cfg_session session;	/* empty until logged in */
	int logged_in;
	const struct settings *settings;	/* NULL: the defaults */
	struct store *store;
	struct loop *loop;
	struct net *net;
	struct mx_client *mx;

	struct core_events ev;
	void *ev_arg;
	int64_t queued;			/* the outbox row core_queue added last */

	/* The sync loop (core-sync.c). */
	long timeout_ms;
	char *filter;
	struct core_round *round;	/* the loop's round, once core_start ran */
	uint64_t sync_timer;
	int sync_failures;
	int sync_idle;			/* quick answers in a row with nothing new */
	int synced_once;		/* a round was stored since the core opened */
	enum core_conn conn;

	/* Simplified sliding sync (core-slide.c). */
	enum core_protocol protocol;
	const char *slide_conn;		/* this front end's connection */
	long slide_end;			/* the window: rooms 0..slide_end */
	long slide_asked;		/* the window of the call under way */
	int64_t slide_have;		/* rooms the answered windows held */
	int64_t slide_count;		/* rooms the account has; -1 unknown */
	int slide_known;		/* every room is known (said once) */
	int slide_wrote;		/* this run wrote a window of rooms in */
	char *slide_room;		/* the room subscribed to by the call under way */

	/* The outbox sender (core-outbox.c). */
	struct mx_call *send_call;
	int64_t send_id;
	uint64_t kick_timer;		/* the sender starts on the next pass */
	int preparing;			/* the item's room key is being shared */
	uint64_t due_timer;		/* the next scheduled message waiting here is due */

	/* Scheduled messages (core-sched.c): whether the homeserver holds
	 * delayed events (MSC4140), once /versions said. */
	int delay_known;
	int delay_ok;
	int sched_orphans_done;		/* handovers a stopped natter left were taken up */
	int64_t *sched_late;		/* those past their time, for after the first sync */
	size_t n_sched_late;
	LIST_HEAD(, core_op) waiters;	/* ops waiting for the sender */

	/* Notifications (core-notify.c). */
	char *view_room;
	int view_focus;
	char **muted;			/* [notify] mute as room ids */
	size_t n_muted;
	int muted_ready;
	/* A sync's slices are told before it is kept: their notifications
	 * wait for the commit, and all count against one sync's limit. */
	int notify_holding;
	struct core_notice *notices;
	size_t n_notices;
	int notify_spent;		/* raised by the slices of the sync just kept */

	/* End-to-end encryption (core-crypto.c, core-olm.c, core-megolm.c). */
	TAILQ_HEAD(, core_verify) verifies;	/* interactive verifications */
	struct core_secret_ask *secret_asks;	/* secrets asked of another device */
	size_t n_secret_asks;
	int64_t secret_asked_ms;
	char *secret_got[4];			/* what came back, until taken in */
	struct core_recovered secret_out;
	struct core_verify_msg *verify_inbox;	/* their messages of the last sync */
	size_t n_verify_inbox;
	int backing_up;			/* a pass of core_backup_upload is under way */
	int backup_more;		/* and more keys wait for the next */
	struct crypto_account *acct;	/* NULL until logged in with a device */
	uint8_t pickle_key[CRYPTO_PICKLE_KEY_LEN];	/* seals the crypto state */
	int keys_published;		/* the device keys are on the server */
	struct mx_call *upload_call;
	int64_t otk_count;		/* one-time keys on the server; -1 unknown */
	int fallback_unused;		/* the server holds an unused fallback key */
	struct mx_sync *syncing;	/* the sync being decrypted */
	int drain_due;			/* a sync brought keys, or left messages for later */
	int trim_due;			/* a first sync's window done: memory to give back */
	char **unread_rooms;		/* whose unread reach past a gap: paged (core-unread.c) */
	size_t n_unread_rooms;
	int unread_pages;		/* of the first of them, so far */
	int unread_busy;
	uint64_t drain_timer;		/* the next slice of decryptions */
	char **drain_ids;		/* what the drain reads, in order */
	size_t drain_n;
	size_t drain_next;
	int drain_stale;		/* new keys came: the list is made again */
	struct core_wedged *wedged;
	size_t n_wedged;
	int asking;			/* key requests are being sent */

	/* m.direct (core-direct.c): its one writer, and the chats to list. */
	struct core_op *direct_writer;	/* the round under way, or NULL */
	LIST_HEAD(, core_op) direct_waiting;

	/* Reminders (core-remind.c). */
	uint64_t remind_timer;		/* the next reminder falls due */
	int remind_armed;		/* the timer was set once since core_start */
	int remind_writing;		/* a sync's write-back is under way */

	LIST_HEAD(, core_op) ops;	/* operations under way */
	int n_background;		/* of them, work nobody waits for */
	struct core_mark *marks;	/* the last event marked read, per room */
	size_t n_marks;
	char *typing_room;		/* where we last said we are typing */
	int64_t typing_ms;		/* when, on the monotonic clock */
};

/* An operation under way: its call (or the timer that delivers a result
 * known at once), its steps' state, and whom it reports to. Each kind of
 * operation keeps what it needs in the fields below. */
struct core_op {
	struct core *c;
	struct mx_call *call;
	uint64_t timer;
	core_done_cb done;
	void *arg;
	char *what;		/* "cannot join #x:y", put before a failure's reason */
	char *room_id;
	char *user_id;
	char *text;		/* the op's own text: a name, a path, a token */
	int64_t n;		/* a number the op counts or remembers */
	int64_t before;		/* history: the seq the gap or window ends at */
	int limit;
	int flags;
	int fd;
	int *created;		/* core_dm */
	int status;		/* for the timer */
	char *result;		/* for done, when not the server's value */
	void *data;		/* op-specific state, freed by free_data */
	void (*free_data)(void *data);
	LIST_ENTRY(core_op) entry;
	int waiting;		/* on the sender's waiters, for outbox item n (0: any) */
	int publish_wait;	/* ends when this device's keys are published */
	int background;		/* counted in the core's n_background */
	int idle_wait;		/* ends when no background op is left */
	LIST_ENTRY(core_op) wait_entry;
	int dm_role;		/* core_dm: makes the chat with user_id, or waits for it */
	int direct;		/* on the core's direct_waiting: user_id, room_id to list */
	void (*listed)(struct core_op *op);	/* goes on once m.direct was written */
	LIST_ENTRY(core_op) direct_entry;
};

struct core_mark {
	char *room_id;
	char *event_id;
};

/* Tests stop the process with SIGKILL at a named point (NATTER_TEST_CRASH). */
void core_test_crash(const char *point);

/* core-sched.c */
/* The scheduled messages waiting here that are due go to the sender; the
 * timer is set for the next. */
void core_sched_claim(struct core *c);
void core_sched_cancel_timer(struct core *c);
/* What /versions said (json, NULL when it could not be asked). */
void core_sched_versions(struct core *c, const cJSON *versions);
/* The content of a draft, as core_send_draft sends it. */
char *core_draft_content(struct core *c, const struct core_draft *d);
int core_refuse_encrypted(struct core *c, const char *room_id, char **cause);

/* core-op.c */
struct core_op *core_op_new(struct core *c, core_done_cb done, void *arg, const char *what);
/* Ends op: done hears the outcome (result may point into op), then op is
 * gone. */
void core_op_end(struct core_op *op, int status, const char *result);
/* Ends op with why it failed, after what it was doing. */
void core_op_fail(struct core_op *op, const char *why);
/* Counts op as background work: something a sync started that nobody
 * waits for (a room key forwarded, a key asked for), which core_idle
 * waits for before the command line exits. */
void core_op_background(struct core_op *op);
/* Background work that is not an op: begin counts it, end tells the ops
 * waiting in core_idle when it was the last. */
void core_background_begin(struct core *c);
void core_background_end(struct core *c);
/* done hears CORE_DONE once no background op is left. */
void core_idle(struct core *c, core_done_cb done, void *arg);
/* Ends op from the loop although the outcome is known now. */
void core_op_later(struct core_op *op, int status, const char *result);
/* 0 when op's first call started; else op is dropped (done is never
 * called) and the cause says what could not be done. */
int core_op_started(struct core_op *op, char **cause);
/* The start of an mx callback: the call is over; when it failed, op is
 * ended with why (then 1: op is gone). */
int core_op_refused(struct core_op *op, const struct mx_result *res);
/* An mx callback for a one-call op: ends it with op->result when set,
 * else the server's value. */
void core_op_answer(struct mx_result *res, void *arg);
/* Why an answer failed, as a person reads it: a refused session, no
 * network, or the server's own words. */
char *core_why(const struct core *c, const struct mx_result *res);
/* Whether the homeserver refused with this errcode. */
int core_errcode_is(const struct mx_result *res, const char *errcode);
/* Whether a failure may pass: offline, an answer that may say it was
 * done, a server error or a rate limit. */
int core_may_pass(const struct mx_result *res);
void core_ops_cancel(struct core *c);

/* core-keys.c */
/* A forwarded room key (decrypted, from td): kept if it is one natter
 * asked for and it came from a verified device of this account. */
int core_keys_forwarded(struct core *c, const struct mx_to_device *td,
    const struct mx_olm_payload *p, char **cause);
/* An m.room_key_request of a sync: kept (or withdrawn), in the sync's
 * write, to be answered after it. */
int core_keys_heard(struct core *c, const struct mx_to_device *td, char **cause);
/* An m.room_key.withheld of a sync: why a sender keeps a key from this
 * device, kept for the messages that wait for it (nothing else is
 * believed from it: it comes in clear). */
int core_keys_withheld(struct core *c, const struct mx_to_device *td, char **cause);
/* A non-empty string member of a JSON object, or NULL. */
const char *core_json_text(const struct cJSON *o, const char *name);
/* Answers what was kept; withdraws requests met; asks for missing keys. */
void core_keys_after_sync(struct core *c);

/* core-todev.c */
/* Told, before done, which devices an event went to; -1 with a cause
 * fails the operation. */
typedef int (*core_sent_cb)(void *arg, const struct store_device *d, size_t n, char **cause);
/* Sends type and content over Olm to each device (devices and content
 * are taken): a new Olm session to each that has none, or to every one
 * when fresh is set. done hears CORE_DONE with how many devices got it;
 * without done, the send is background work (core_idle waits for it). */
/* One event in clear to device_id ("*": all) of user_id, in the background;
 * content is consumed; what says what a failure could not do. */
int core_todev_clear(struct core *c, const char *type, const char *user_id,
    const char *device_id, struct cJSON *content, const char *what, char **cause);
int core_todev_send(struct core *c, struct store_device *devices, size_t n, const char *type,
    struct cJSON *content, int fresh, core_sent_cb sent, core_done_cb done, void *arg,
    char **cause);

/* core-sync.c */
void core_sync_cancel(struct core *c);

/* core-remind.c */
void core_remind_after_sync(struct core *c, const struct mx_sync *sync);
/* The first sync is stored: handovers past their time can be told from
 * the messages the homeserver sent (core-sched.c). */
void core_sched_after_sync(struct core *c);
/* Raises the notifications of reminders that fell due (once each, per
 * due time) and sets the timer for the next; only with the sync loop. */
void core_remind_arm(struct core *c);
void core_remind_free(struct core *c);

/* core-notify.c: the domain events a stored sync makes: rooms changed,
 * then each room's (core_events_rooms, alone for a slice of a sync). */
void core_events_sync(struct core *c, const struct mx_sync *sync, size_t n_events);
void core_events_rooms(struct core *c, const struct mx_sync *sync);
/* Notifications from here on wait, until core_notify_release raises them
 * (kept: the sync that brought them was written) or drops them. */
void core_notify_hold(struct core *c);
void core_notify_release(struct core *c, int kept);
/* A message decrypted when its late key came: raised as a sync's would be,
 * if it is recent news. */
void core_notify_late(struct core *c, const char *room_id, const struct mx_event *ev);
void core_notify_free(struct core *c);

/* core-slide.c */
void core_protocol_choose(struct core *c, const cJSON *versions);
/* The stored position of the protocol in use, or NULL. */
char *core_sync_token(struct core *c);
int core_slide_growing(const struct core *c);
struct mx_call *core_slide_call(struct core *c, long timeout_ms, int flags, mx_cb cb, void *arg,
    char **cause);
/* Before a sliding sync is stored: each room's membership from the
 * user's own member event. */
void core_slide_prepare(struct core *c, struct mx_sync *sync);
/* In the sync's write: the unread and highlight counts of the rooms it
 * changed, counted here. */
int core_slide_counts(struct core *c, const struct mx_sync *sync, char **cause);
/* store_apply_slide under this connection's key, then the counts. */
int core_slide_store(struct core *c, const struct mx_sync *sync, char **cause);
int core_room_recount(struct core *c, const char *room_id, char **cause);
/* Unread counts past a gap (core-unread.c): check queues room_id when its
 * unread may reach past the cache; next pages what is queued, behind the
 * sync; free forgets it. */
void core_unread_check(struct core *c, const char *room_id);
void core_unread_next(struct core *c);
void core_unread_free(struct core *c);
/* After it was stored: the window grows or, every room known, stays.
 * fresh: the answer came to a request with no position (a new
 * connection), so it held a whole window. */
void core_slide_answered(struct core *c, const struct mx_sync *sync, int fresh);
/* The server forgot the connection: the next call starts it again. */
void core_slide_restart(struct core *c);
/* The room in view is not the one the call under way subscribes to. */
int core_slide_refocus_due(const struct core *c);
void core_slide_free(struct core *c);
/* core-sync.c: a sliding sync under way is asked again for the room in
 * view. */
void core_sync_refocus(struct core *c);

/* core-outbox.c */
/* Starts the sender on the next pass of the loop, if it is idle. */
void core_outbox_next(struct core *c);
/* A room as a person knows it: its name, else its id (server text). */
char *core_room_label(struct core *c, const char *room_id);
void core_outbox_cancel(struct core *c);
/* Queues content (taken) and starts the sender; done hears the outcome. */
int core_queue(struct core *c, const char *room_id, const char *type, char *content,
    core_done_cb done, void *arg, char **cause);

/* core-history.c */
/* Starts one /messages page into the newest gap of room_id; cb hears
 * the outcome with op (op->n: events added; 0 status: no gap left).
 * Returns -1 with a cause if it cannot start. */
int core_gap_page(struct core_op *op, const char *room_id,
    void (*cb)(struct core_op *op, int status, const char *why), char **cause);

/* core-rooms.c */
void core_marks_free(struct core *c);

/* core-direct.c */
/* Lists op->room_id in m.direct for op->user_id, through the one writer;
 * then listed(op) goes on, whether or not the write went through (a
 * failure is logged). */
void core_direct_add(struct core_op *op, void (*listed)(struct core_op *));

/* core-crypto.c */
int core_crypto_open(struct core *c, char **cause);
void core_crypto_close(struct core *c);
/* Forgets every key, in the cache and the key file (logout). */
int core_crypto_forget(struct core *c, char **cause);
int core_crypto_save_account(struct core *c, char **cause);
void core_crypto_sign(struct core *c, struct cJSON *obj);
int core_crypto_verify(const char *json, const char *ed25519, const char *sig);
/* Publishes what the server lacks: the device keys, one-time keys up to
 * the target, a new fallback key when the old one was used. */
void core_crypto_publish(struct core *c);
/* done hears when no publication is under way any more. */
int core_crypto_published(struct core *c, core_done_cb done, void *arg);
int core_crypto_lists(struct core *c, const struct mx_sync *sync, char **cause);
int core_crypto_devices_store(struct core *c, const char *json, size_t len,
    const char *const *users, size_t n_users, char **cause);

/* core-keyfile.c */
struct store_megolm_key;
/* A room key as Element exports it (the key file's and the backup's
 * format: algorithm, room_id, sender_key, session_id, session_key at its
 * first known index...), or NULL with a cause. */
struct cJSON *core_megolm_entry(struct core *c, const struct store_megolm_key *k,
    char **cause);
/* Keeps one such key: 1 kept, 0 known already, -1 on a database error,
 * -2 refused (why says). backed_up: it came from the key backup, which
 * need not have it again. */
int core_megolm_import(struct core *c, const struct cJSON *e, int backed_up,
    const char **why, char **cause);

/* core-backup.c: the server-side key backup. Secrets' names in secret
 * storage, as natter keeps them too. */
#define CORE_SECRET_MASTER "m.cross_signing.master"
#define CORE_SECRET_SELF_SIGNING "m.cross_signing.self_signing"
#define CORE_SECRET_USER_SIGNING "m.cross_signing.user_signing"
#define CORE_SECRET_BACKUP "m.megolm_backup.v1"
#define CORE_BACKUP_ALGORITHM "m.megolm_backup.v1.curve25519-aes-sha2"
#define CORE_N_SECRETS 4
/* The names above, in that order (core-cross.c). */
extern const char *const core_secret_names[CORE_N_SECRETS];
struct mx_backup_version;
struct mx_backup_session;
struct core_import;
/* The backup key from its secret (base64 of 32 bytes). */
int core_backup_key(const char *secret, uint8_t priv[CRYPTO_SECRET_KEY_LEN], char **cause);
/* 1 when the backup v is the one secret opens; 0 with a cause if not. */
int core_backup_fits(const char *secret, const struct mx_backup_version *v, char **cause);
/* From now on new room keys go to backup version (the keys go again to
 * a version natter did not use before). */
int core_backup_use(struct core *c, const char *version, char **cause);
/* Decrypts one session of the backup and keeps its key, counting it in n;
 * -1 only on a database error. */
int core_backup_restore_one(struct core *c, const uint8_t priv[CRYPTO_SECRET_KEY_LEN],
    const struct mx_backup_session *s, struct core_import *n, char **cause);
/* Sends the room keys the backup lacks, in the background (after a sync). */
void core_backup_upload(struct core *c);
/* core-recover.c: a secret of the account kept (sealed) in the cache; this
 * device signed with the self-signing key ssk (op->call is the upload,
 * cb hears it; core_device_signed says whether the server took it). */
int core_secret_keep(struct core *c, const char *name, const char *secret, char **cause);
int core_device_sign(struct core_op *op, const char *ssk, mx_cb cb);
int core_device_signed(const struct mx_result *res, char **why);
/* core-cross.c: a secret of the account (wiped and freed by the caller)
 * or NULL; the public key of a cross-signing secret; and what a
 * verification proved, cross-signed in the background. */
char *core_secret_get(struct core *c, const char *name);
/* Wipes a secret string (may be NULL), frees it and sets it NULL. */
void core_wipe(char **secret);
/* Signs obj (its canonical JSON without signatures and unsigned) with the
 * cross-signing key seed, under this user's ed25519:PUBLIC_KEY. */
void core_cross_sign_obj(struct core *c, struct cJSON *obj, const char *seed);
/* A /keys/query answer for op: 0 with keys filled, or -1 (op ended). */
struct mx_keys;
int core_keys_answered(struct core_op *op, struct mx_result *res, struct mx_keys *keys);
/* Another device of the user asks for a secret (m.secret.request,
 * content as received): one it verified gets it, over Olm. */
#define CORE_SECRET_REQUEST "m.secret.request"
void core_secret_answer(struct core *c, const char *sender, const char *content);
/* After a verification with another device of the user, natter asks it
 * for the secrets it lacks: 1 asked, 0 not (it holds them). What comes
 * back (m.secret.send over Olm, kept by core_secret_received) is taken in
 * after a sync as `natter recover` would (core_recover_from), and
 * core_events.recovered hears how that went. */
int core_secret_request(struct core *c, const char *device_id);
struct mx_olm_payload;
void core_secret_received(struct core *c, const struct mx_to_device *td,
    const struct mx_olm_payload *p);
void core_secret_after_sync(struct core *c);
void core_secret_free_all(struct core *c);
/* core_recover with the secrets in hand (in core_secret_names' order,
 * any NULL) rather than from secret storage. */
int core_recover_from(struct core *c, char *const secrets[CORE_N_SECRETS],
    struct core_recovered *out, core_done_cb done, void *arg, char **cause);
char *core_cross_public_of(struct core *c, const char *name);
void core_cross_sign_verified(struct core *c, const char *user_id, const char *device_id,
    const char *master);

/* core-verify.c: a verification message of a sync (type m.key.verification.*,
 * in clear or over Olm) or a request for a secret kept for after it (1),
 * or 0 when type is another; acted on after the sync was stored. */
struct core_verify;
struct core_verify_msg {
	char *sender;
	char *type;
	char *content;
	char *room_id;		/* in a room (its request's event id is txn); NULL: to-device */
	char *txn;
};
/* The verification events of a sync's rooms (a request to this user, and
 * what relates to one), kept for after it like to-device ones. */
void core_verify_rooms(struct core *c, const struct mx_sync *sync);
int core_verify_heard(struct core *c, const char *sender, const char *type,
    const char *content);
void core_verify_after_sync(struct core *c);
void core_verify_free_all(struct core *c);

/* core-crypto.c (again): this device's keys, signed by the device. */
struct cJSON *core_crypto_device_keys(struct core *c);

/* core-olm.c */
int core_olm_receive(struct core *c, const struct mx_to_device *td, char **cause);
/* A new Olm session, with an m.dummy over it, to every device whose
 * message a sync could not decrypt. */
void core_olm_unwedge(struct core *c);
void core_olm_wedged_free(struct core *c);
int core_olm_unknown_senders(struct core *c, const struct mx_sync *sync, char ***users,
    size_t *n, char **cause);
int core_olm_has_session(struct core *c, const char *their_key, char **cause);
int core_olm_start(struct core *c, const struct mx_claimed_key *k,
    const struct store_device *d, char **cause);
struct cJSON *core_olm_encrypt(struct core *c, const struct store_device *d, const char *type,
    struct cJSON *content, char **cause);

/* core-megolm.c */
#define CORE_MEGOLM_ALGORITHM "m.megolm.v1.aes-sha2"
/* Decrypts a sync's encrypted room events in place, or keeps them to
 * wait for their key (or, in a big sync, for later); inside the sync's
 * write. */
int core_megolm_sync(struct core *c, struct mx_sync *sync, char **cause);
/* The encrypted events of a page of history (evs, in any order),
 * decrypted in place or kept waiting for their key, as a sync's are; in
 * the caller's batch. */
int core_megolm_page(struct core *c, const char *room_id, struct mx_event *evs, size_t n,
    char **cause);
/* Decrypts, in slices from the loop, the waiting messages whose key is
 * here (background work); stop cancels what is left for this run. */
void core_megolm_drain_start(struct core *c);
/* A /members answer (res) for op kept as room_id's whole member list; n
 * how many member events came. -1 when it cannot be, op failed so. */
int core_members_loaded(struct core_op *op, const char *room_id, const struct mx_result *res,
    size_t *n);
void core_megolm_drain_stop(struct core *c);
int core_megolm_keep_own(struct core *c, const char *room_id,
    const struct crypto_megolm_out *s, char **cause);
/* Makes sure everyone who may read room_id has its current key. */
int core_megolm_prepare(struct core *c, const char *room_id, core_done_cb done, void *arg,
    char **cause);
char *core_megolm_encrypt(struct core *c, const char *room_id, const char *type,
    const char *content, char **cause);

#endif
