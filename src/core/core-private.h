/* Private to the core module (src/core): the core itself, and the
 * machinery every operation shares. */
#ifndef NATTER_CORE_PRIVATE_H
#define NATTER_CORE_PRIVATE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "natter/config.h"
#include "natter/core.h"
#include "natter/matrix.h"
#include "natter/store.h"

#define CORE_TIMELINE_LIMIT 50	/* events a sync brings a room at most */
#define CORE_PAGE_LIMIT 100	/* events one history page asks for */

struct mx_sync;
struct core_op;
struct core_round;

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

	/* The sync loop (core-sync.c). */
	long timeout_ms;
	char *filter;
	struct core_round *round;	/* the loop's round, once core_start ran */
	uint64_t sync_timer;
	int sync_failures;
	int sync_idle;			/* quick answers in a row with nothing new */
	int synced_once;		/* a round was stored since the core opened */
	enum core_conn conn;

	/* The outbox sender (core-outbox.c). */
	struct mx_call *send_call;
	int64_t send_id;
	uint64_t kick_timer;		/* the sender starts on the next pass */
	LIST_HEAD(, core_op) waiters;	/* ops waiting for the sender */

	/* Notifications (core-notify.c). */
	char *view_room;
	int view_focus;
	char **muted;			/* [notify] mute as room ids */
	size_t n_muted;
	int muted_ready;

	LIST_HEAD(, core_op) ops;	/* operations under way */
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
	LIST_ENTRY(core_op) wait_entry;
};

struct core_mark {
	char *room_id;
	char *event_id;
};

/* core-op.c */
struct core_op *core_op_new(struct core *c, core_done_cb done, void *arg, const char *what);
/* Ends op: done hears the outcome (result may point into op), then op is
 * gone. */
void core_op_end(struct core_op *op, int status, const char *result);
/* Ends op with why it failed, after what it was doing. */
void core_op_fail(struct core_op *op, const char *why);
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
char *core_why(const struct mx_result *res);
void core_ops_cancel(struct core *c);

/* core-sync.c */
void core_sync_cancel(struct core *c);

/* core-notify.c: the domain events a stored sync makes. */
void core_events_sync(struct core *c, const struct mx_sync *sync, size_t n_events);
void core_notify_free(struct core *c);

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

#endif
