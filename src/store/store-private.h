/* store internals shared by the files of src/store: the connection, the
 * cache of prepared statements and the helpers around them. */
#ifndef NATTER_STORE_PRIVATE_H
#define NATTER_STORE_PRIVATE_H

#include <sqlite3.h>

#include "natter/store.h"

/* Every statement the store runs, prepared once on first use. */
enum store_sql {
	STORE_SQL_BEGIN,
	STORE_SQL_BEGIN_READ,
	STORE_SQL_COMMIT,
	STORE_SQL_ROLLBACK,
	STORE_SQL_META_GET,
	STORE_SQL_META_SET,
	STORE_SQL_META_UNSET,
	STORE_SQL_FTS_COUNT,
	STORE_SQL_FTS_MAX_ID,
	STORE_SQL_FTS_DELETE,
	STORE_SQL_FTS_INSERT,
	STORE_SQL_FTS_CATCH_UP,

	STORE_SQL_ROOM_UPSERT,
	STORE_SQL_ROOM_COUNTS,
	STORE_SQL_ROOM_TAGS,
	STORE_SQL_ROOM_LAST_TS,
	STORE_SQL_ROOM_NAME,
	STORE_SQL_ROOM_TOPIC,
	STORE_SQL_ROOM_ALIAS,
	STORE_SQL_HEROES_DELETE,
	STORE_SQL_HERO_INSERT,
	STORE_SQL_STATE_PUT,
	STORE_SQL_STATE_REDACT,
	STORE_SQL_MEMBER_PUT,
	STORE_SQL_MEMBER_FORGET_NAME,
	STORE_SQL_MEMBER_DISPLAYNAME,
	STORE_SQL_RECEIPT_PUT,
	STORE_SQL_DIRECT_CLEAR,
	STORE_SQL_DIRECT_PUT,
	STORE_SQL_POWER_LEVELS,
	STORE_SQL_ROOM_ENCRYPTED,

	STORE_SQL_ROOM_MAX_SEQ,
	STORE_SQL_EVENT_EXISTS,
	STORE_SQL_ROOM_KNOWN,
	STORE_SQL_UNREAD,
	STORE_SQL_UNREAD_REACHES,
	STORE_SQL_EVENT_INSERT,
	STORE_SQL_EVENT_PENDING,
	STORE_SQL_EVENT_TARGET,
	STORE_SQL_EVENT_SET_EDIT,
	STORE_SQL_EVENT_REDACT,
	STORE_SQL_EDIT_LATEST,
	STORE_SQL_REDACTIONS_OF,
	STORE_SQL_OUTBOX_ECHO,
	STORE_SQL_ORPHAN_ADD,
	STORE_SQL_ORPHAN_TAKE,
	STORE_SQL_ORPHANS_ANY,

	STORE_SQL_ROOMS_LIST,
	STORE_SQL_ROOM_NAMES,
	STORE_SQL_ROOM_ONE,
	STORE_SQL_SPACE_LINKS,
	STORE_SQL_HEROES_OF,
	STORE_SQL_MEMBERS_FIRST,
	STORE_SQL_MEMBERS_FORMER,
	STORE_SQL_DM_ROOM,
	STORE_SQL_ALIAS_ROOMS,
	STORE_SQL_MEMBERS_LIST,
	STORE_SQL_MEMBERS_NAMING,

	STORE_SQL_HISTORY,
	STORE_SQL_HISTORY_COUNT,
	STORE_SQL_MSG_GET,
	STORE_SQL_THREAD,
	STORE_SQL_THREAD_SUMMARY,
	STORE_SQL_THREAD_LATEST,
	STORE_SQL_REACTIONS,
	STORE_SQL_RECEIPTS_LIST,

	STORE_SQL_GAP_PUT,
	STORE_SQL_GAP_NEWEST,
	STORE_SQL_GAP_GET,
	STORE_SQL_GAP_FLOOR,
	STORE_SQL_GAP_DELETE,
	STORE_SQL_GAP_MOVE,
	STORE_SQL_GAP_LIST,
	STORE_SQL_GAP_ROOMS,

	STORE_SQL_OUTBOX_ADD,
	STORE_SQL_OUTBOX_LIST,
	STORE_SQL_OUTBOX_SHOWN,
	STORE_SQL_OUTBOX_NEWEST,
	STORE_SQL_OUTBOX_COPY,
	STORE_SQL_OUTBOX_GET,
	STORE_SQL_OUTBOX_ATTEMPT,
	STORE_SQL_OUTBOX_SENT,
	STORE_SQL_OUTBOX_FAILED,
	STORE_SQL_OUTBOX_RETRY,
	STORE_SQL_OUTBOX_DELETE,
	STORE_SQL_OUTBOX_SCHEDULED,
	STORE_SQL_OUTBOX_HELD,
	STORE_SQL_OUTBOX_HANDING,
	STORE_SQL_OUTBOX_CLAIM,
	STORE_SQL_OUTBOX_GONE,
	STORE_SQL_OUTBOX_NEXT_DUE,
	STORE_SQL_OUTBOX_UNSCHEDULE,
	STORE_SQL_OUTBOX_RESCHEDULE,
	STORE_SQL_OUTBOX_NOTE,

	STORE_SQL_SEARCH_MATCH,
	STORE_SQL_SEARCH_TAGGED,
	STORE_SQL_SEARCH_LIST,
	STORE_SQL_SEARCH_ROW,
	STORE_SQL_SEARCH_EXCLUDED,
	STORE_SQL_SEARCH_TAGS,
	STORE_SQL_SEARCH_TERMS_TABLE,
	STORE_SQL_SEARCH_COMPLETION,
	STORE_SQL_SEARCH_IDS_ROOMS,
	STORE_SQL_SEARCH_IDS_DAYS,
	STORE_SQL_SEARCH_SPAN,
	STORE_SQL_SEARCH_DM_ROOMS,
	STORE_SQL_SEARCH_NAMES,

	STORE_SQL_CRYPTO_ACCOUNT_GET,
	STORE_SQL_CRYPTO_ACCOUNT_PUT,
	STORE_SQL_CRYPTO_OLM_OF,
	STORE_SQL_CRYPTO_OLM_PUT,
	STORE_SQL_CRYPTO_IN_GET,
	STORE_SQL_CRYPTO_IN_ALL,
	STORE_SQL_CRYPTO_IN_PUT,
	STORE_SQL_CRYPTO_SEEN_GET,
	STORE_SQL_CRYPTO_SEEN_PUT,
	STORE_SQL_CRYPTO_OUT_GET,
	STORE_SQL_CRYPTO_OUT_PUT,
	STORE_SQL_CRYPTO_OUT_DROP,
	STORE_SQL_CRYPTO_SHARED_GET,
	STORE_SQL_CRYPTO_SHARED_PUT,
	STORE_SQL_CRYPTO_WITHHELD_PUT,
	STORE_SQL_CRYPTO_WITHHELD_MARK,
	STORE_SQL_CRYPTO_WITHHELD_GET,
	STORE_SQL_CRYPTO_PENDING_KEYLESS,
	STORE_SQL_CRYPTO_DEVICES_OF,
	STORE_SQL_CRYPTO_DEVICE_BY_KEY,
	STORE_SQL_CRYPTO_DEVICES_DROP,
	STORE_SQL_CRYPTO_DEVICE_PUT,
	STORE_SQL_CRYPTO_USER_MARK,
	STORE_SQL_CRYPTO_USERS_OUTDATED,
	STORE_SQL_CRYPTO_USER_FORGET,
	STORE_SQL_CRYPTO_MASTER_GET,
	STORE_SQL_CRYPTO_MASTER_PUT,
	STORE_SQL_CRYPTO_MASTER_SEEN,
	STORE_SQL_CRYPTO_MASTER_ACCEPT,
	STORE_SQL_CRYPTO_USER_VERIFIED,
	STORE_SQL_CRYPTO_SECRET_GET,
	STORE_SQL_CRYPTO_SECRET_PUT,
	STORE_SQL_CRYPTO_IN_UNBACKED,
	STORE_SQL_CRYPTO_IN_BACKED,
	STORE_SQL_CRYPTO_IN_UNBACK,
	STORE_SQL_CRYPTO_READERS,
	STORE_SQL_CRYPTO_ROTATION,
	STORE_SQL_CRYPTO_PENDING_PUT,
	STORE_SQL_CRYPTO_PENDING_OF,
	STORE_SQL_CRYPTO_PENDING_DROP,
	STORE_SQL_CRYPTO_PENDING_READY,
	STORE_SQL_CRYPTO_PENDING_GET,
	STORE_SQL_CRYPTO_PENDING_REFUSED,
	STORE_SQL_CRYPTO_REQUESTS_DUE,
	STORE_SQL_CRYPTO_REQUESTS_MET,
	STORE_SQL_CRYPTO_REQUEST_PUT,
	STORE_SQL_CRYPTO_REQUEST_GET,
	STORE_SQL_CRYPTO_REQUEST_DROP,
	STORE_SQL_CRYPTO_INCOMING_PUT,
	STORE_SQL_CRYPTO_INCOMING_DROP,
	STORE_SQL_CRYPTO_INCOMING_ALL,
	STORE_SQL_CRYPTO_DEVICE_GET,
	STORE_SQL_CRYPTO_DEVICE_TRUST,
	STORE_SQL_CRYPTO_EVENT_ROW,
	STORE_SQL_CRYPTO_EVENT_DELETE,

	STORE_SQL_BCAST_ADD,
	STORE_SQL_BCAST_TARGET_ADD,
	STORE_SQL_BCAST_LIST,
	STORE_SQL_BCAST_TARGETS,
	STORE_SQL_BCAST_PEOPLE,
	STORE_SQL_BCAST_READ,
	STORE_SQL_BCAST_REPLY,
	STORE_SQL_WAIT_ASKED,
	STORE_SQL_WAIT_ONE,
	STORE_SQL_WAIT_MENTIONS,

	STORE_SQL_COUNT,
};

#define STORE_NAMES_MAX 8

/* Display names of one room's recent senders, for the search index. */
struct store_name_cache {
	char *room_id;
	char *user_id[STORE_NAMES_MAX];
	char *name[STORE_NAMES_MAX];
	size_t n;
	size_t next;
};

/* The index's tokenizer, to find the token of a word typed. */
struct store_words {
	fts5_tokenizer api;
	Fts5Tokenizer *tok;
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[STORE_SQL_COUNT];
	int64_t fts_from;	/* events from this id on await indexing */
	int orphans;		/* some edit or redaction awaits its target */
	int rank_ready;		/* natter_rank and natter_in registered */
	struct store_words words;
	int reading;		/* store_read_begin opened the transaction */
	int batch;		/* store_batch_begin opened a write */
	int mapped;		/* reads go through a memory map (store_map) */
	struct store_name_cache names;
};

/* store-sql.c: the text of each statement. */
extern const char *const store_sql_text[STORE_SQL_COUNT];

/* store.c: the schema migrations, step i going from version i to i + 1. */
extern const char *const store_migrations[];
extern const size_t store_n_migrations;
struct store *store_open_steps(const char *path, const char *const *steps, size_t n_steps,
    char **cause);
sqlite3_stmt *store_stmt(struct store *st, enum store_sql id, char **cause);
/* The first column of statement id's first row (a copy), with ?1 bound to
 * a and ?2 to b (unbound when NULL); NULL when there is no row or it
 * cannot be read. doing is what a failure is logged as. */
char *store_text_of(struct store *st, enum store_sql id, const char *a, const char *b,
    const char *doing);
int store_error(struct store *st, const char *doing, char **cause);
int store_run(struct store *st, sqlite3_stmt *s, const char *doing, char **cause);
int store_row(struct store *st, sqlite3_stmt *s, const char *doing, char **cause);
void store_done(sqlite3_stmt *s);
int store_begin(struct store *st, char **cause);
int store_commit(struct store *st, char **cause);
void store_rollback(struct store *st);
void store_bind_text(sqlite3_stmt *s, int idx, const char *text);
char *store_column_text(sqlite3_stmt *s, int col);
int store_streq(const char *s, const char *what);
char *store_fts_phrase(const char *word);

/* store-search.c: what searching set up on the connection, undone. */
void store_search_close(struct store *st);

/* store-tokenize.c: the tokenizer of the search indexes, named
 * STORE_FOLD_TOKENIZER in the schema, registered on every connection the
 * process opens from then on (idempotent); and FTS5's API of a
 * connection, or NULL without FTS5. */
#define STORE_FOLD_TOKENIZER "natter_fold"
int store_tokenizer_init(void);
fts5_api *store_fts5_api(sqlite3 *db);

/* store-fts.c: a write that adds events, with the search index brought
 * up to date as it commits; and taking one event out of the index and
 * putting it back around a change of its text. */
int store_write_begin(struct store *st, char **cause);
int store_write_commit(struct store *st, char **cause);
void store_write_abort(struct store *st);
int store_fts_unindex(struct store *st, int64_t id, char **cause);
int store_fts_reindex(struct store *st, int64_t id, char **cause);

/* store-events.c: one event into the timeline at seq, with its
 * relations, redactions and outbox echo applied. *added is 0 when the
 * event was already stored. */
int store_event_put(struct store *st, const char *room_id, const struct mx_event *ev,
    int64_t seq, int *added, char **cause);
int store_event_exists(struct store *st, const char *event_id, char **cause);
/* store.c: the memory map a search reads through, until store_trim. */
void store_map(struct store *st);
/* 1 when statement which, given key as ?1, finds a row; 0 when not; -1
 * on error. */
int store_has(struct store *st, enum store_sql which, const char *key, const char *what,
    char **cause);
/* 1 when the cache has the room, 0 when not, -1 on error. */
int store_room_known(struct store *st, const char *room_id, char **cause);
int store_event_usable(const struct mx_event *ev);
void store_names_forget(struct store *st);

/* store-relations.c: an edit or redaction applied to its target (or
 * noted until the target arrives), and what waited for a new event. */
int store_edit_refresh(struct store *st, const char *target_id, char **cause);
int store_redact(struct store *st, const char *room_id, const char *redactor,
    const char *target_id, char **cause);
int store_relations_fold(struct store *st, const char *room_id, const char *event_id,
    char **cause);

/* store-state.c: current state from one state event, and the state
 * left when the event that set it is redacted. */
int store_state_apply(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause);
int store_state_redact(struct store *st, const char *room_id, const char *event_id,
    const char *content, char **cause);
int store_room_last_ts(struct store *st, const char *room_id, int64_t ts, char **cause);

/* store-rooms.c: every room with its id, membership and name only, in
 * the order of store_rooms, for finding one by name. */
int store_room_names(struct store *st, struct store_room **rooms, size_t *n, char **cause);

/* store-members.c: the names to show for users of a room, told apart
 * among the room's joined and invited members. */
struct store_namer;
struct store_namer *store_namer_new(struct store *st, const char *room_id, char **cause);
char *store_namer_name(struct store_namer *nm, const char *user_id);
void store_namer_free(struct store_namer **nm);

#endif
