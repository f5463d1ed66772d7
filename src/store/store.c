/* Opening the cache, its schema migrations, meta facts and the prepared
 * statement helpers the other store files use. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/rich.h"
#include "natter/store.h"
#include "natter/util.h"
#include "store-private.h"

/* How long a write waits for another natter's to end before it gives up
 * and says so: the interface and the command line share a profile. */
#define STORE_BUSY_MS 10000
#define STORE_MMAP_SIZE "1073741824"	/* the cache file read through a map, up to 1 GB */

/* Schema migrations: step i takes a cache from user_version i to i + 1.
 * Append new steps; never edit one that has shipped. */
const char *const store_migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE rooms ("
	" room_id TEXT PRIMARY KEY, membership INTEGER NOT NULL DEFAULT 0,"
	" name TEXT, topic TEXT, canonical_alias TEXT,"
	" joined_count INTEGER NOT NULL DEFAULT -1,"
	" invited_count INTEGER NOT NULL DEFAULT -1,"
	" unread INTEGER NOT NULL DEFAULT 0, highlight INTEGER NOT NULL DEFAULT 0,"
	" last_ts INTEGER NOT NULL DEFAULT 0, favourite INTEGER NOT NULL DEFAULT 0,"
	" lowpriority INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE heroes ("
	" room_id TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, user_id TEXT NOT NULL,"
	" PRIMARY KEY (room_id, pos)) WITHOUT ROWID;"
	"CREATE TABLE state ("
	" room_id TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,"
	" type TEXT NOT NULL, state_key TEXT NOT NULL, event_id TEXT,"
	" content TEXT NOT NULL DEFAULT '{}',"
	" PRIMARY KEY (room_id, type, state_key)) WITHOUT ROWID;"
	"CREATE INDEX state_event ON state(event_id);"
	"CREATE TABLE members ("
	" room_id TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,"
	" user_id TEXT NOT NULL, membership INTEGER NOT NULL, displayname TEXT,"
	" PRIMARY KEY (room_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" room_id TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,"
	" seq INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL, sender TEXT NOT NULL, state_key TEXT,"
	" ts INTEGER NOT NULL DEFAULT 0, content TEXT,"
	" msgtype TEXT, body TEXT, formatted_body TEXT, url TEXT, filename TEXT,"
	" mimetype TEXT, size INTEGER NOT NULL DEFAULT -1,"
	" rel_type TEXT, rel_event TEXT, key TEXT, reply_to TEXT, redacts TEXT,"
	" txn_id TEXT, membership INTEGER NOT NULL DEFAULT 0,"
	" redacted INTEGER NOT NULL DEFAULT 0, edited INTEGER NOT NULL DEFAULT 0,"
	" new_body TEXT, sender_name TEXT, indexed INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (room_id, seq));"
	"CREATE INDEX events_rel ON events(rel_event) WHERE rel_event IS NOT NULL;"
	"CREATE INDEX events_redacts ON events(redacts) WHERE redacts IS NOT NULL;"
	/* Targets of stored edits and redactions that are not stored yet. */
	"CREATE TABLE orphans (event_id TEXT PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TABLE receipts ("
	" room_id TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,"
	" user_id TEXT NOT NULL, event_id TEXT NOT NULL, ts INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (room_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE gaps ("
	" room_id TEXT NOT NULL REFERENCES rooms ON DELETE CASCADE,"
	" before_seq INTEGER NOT NULL, token TEXT NOT NULL,"
	" PRIMARY KEY (room_id, before_seq)) WITHOUT ROWID;"
	"CREATE TABLE direct (user_id TEXT NOT NULL, room_id TEXT NOT NULL,"
	" PRIMARY KEY (user_id, room_id)) WITHOUT ROWID;"
	"CREATE INDEX direct_room ON direct(room_id);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, room_id TEXT NOT NULL,"
	" txn_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, content TEXT NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT, event_id TEXT, created_ts INTEGER NOT NULL);"
	/* The index reads its text through a view, and store-fts.c writes
	 * it: the latest text of messages that are neither redacted nor
	 * themselves edits. */
	"CREATE VIEW events_text AS SELECT id, coalesce(new_body, body) AS text,"
	" filename FROM events WHERE indexed;"
	/* Sender names stay out of the index: repeated on every message
	 * they cost a third of ingest; events.sender_name (the name when
	 * sent) answers a search by sender instead. */
	"CREATE VIRTUAL TABLE events_fts USING fts5(text, filename,"
	" content='events_text', content_rowid='id',"
	" tokenize='unicode61 remove_diacritics 2');",

	/* 2: every name a user has been known by (display names, and the
	 * localpart of their id), with a word index of its own, so that a
	 * word of a search can stand for the people so called without
	 * repeating names in the message index. Member rows feed it. */
	"CREATE TABLE names (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL,"
	" name TEXT NOT NULL, UNIQUE (user_id, name));"
	"CREATE VIRTUAL TABLE names_fts USING fts5(name, content='names',"
	" content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER names_indexed AFTER INSERT ON names BEGIN"
	" INSERT INTO names_fts(rowid, name) VALUES (new.id, new.name); END;"
	"CREATE TRIGGER names_of_new_member AFTER INSERT ON members BEGIN"
	" INSERT INTO names(user_id, name) SELECT new.user_id, v.name FROM (SELECT"
	" new.displayname AS name UNION SELECT substr(new.user_id, 2,"
	" instr(new.user_id, ':') - 2) WHERE instr(new.user_id, ':') > 2) v"
	" WHERE v.name IS NOT NULL AND v.name <> '' AND NOT EXISTS (SELECT 1 FROM names"
	" WHERE user_id = new.user_id AND name = v.name); END;"
	"CREATE TRIGGER names_of_member AFTER UPDATE OF displayname ON members"
	" WHEN new.displayname IS NOT NULL AND new.displayname IS NOT old.displayname BEGIN"
	" INSERT INTO names(user_id, name) SELECT new.user_id, new.displayname"
	" WHERE NOT EXISTS (SELECT 1 FROM names WHERE user_id = new.user_id"
	" AND name = new.displayname); END;"
	"INSERT OR IGNORE INTO names(user_id, name) SELECT user_id, displayname FROM members"
	" WHERE displayname IS NOT NULL AND displayname <> '';"
	"INSERT OR IGNORE INTO names(user_id, name) SELECT DISTINCT sender, sender_name"
	" FROM events WHERE sender_name IS NOT NULL AND sender_name <> '';"
	"INSERT OR IGNORE INTO names(user_id, name) SELECT DISTINCT user_id,"
	" substr(user_id, 2, instr(user_id, ':') - 2) FROM members"
	" WHERE instr(user_id, ':') > 2;",

	/* 3: the rows a search filter keeps, read from an index instead of
	 * from every row the words match: the messages of some days (a
	 * room's events are stored in blocks, so a day is spread over the
	 * whole table) and the files. Each holds what its query reads
	 * (indexed too), so no row of events is read. The files are told
	 * apart with = and OR: IN here costs every insert a temporary table. */
	"CREATE INDEX events_ts ON events(ts, indexed) WHERE indexed;"
	"CREATE INDEX events_files ON events(msgtype) WHERE msgtype = 'm.file'"
	" OR msgtype = 'm.image' OR msgtype = 'm.video' OR msgtype = 'm.audio';",

	/* 4: the messages of a sender, for from: and a word that is a name
	 * (about 8% more instructions a stored event; the larger page cache
	 * below wins that back). */
	"CREATE INDEX events_sender ON events(sender) WHERE indexed;",

	/* 5: tags in the search index: the sender, the room, and whether a
	 * message holds a link or is a file. FTS5 then narrows from:, in:,
	 * is:dm, has:link and has:file itself, walking a word's and a tag's
	 * lists of rows side by side from the newest and stopping at the
	 * cap, where it read a row of events for every match of the words.
	 * The UTC day of a message is a tag too, for on: and short spans of
	 * after: and before:. Tags start with a digit, which few typed
	 * prefixes do, and words are searched in text and filename only.
	 * The index is built again and merged into one segment. The index of
	 * senders (4), which no query plan used, and that of files, which
	 * the tag replaces, go. */
	"DROP INDEX events_sender;"
	"DROP INDEX events_files;"
	"DROP TABLE events_fts;"
	"DROP VIEW events_text;"
	"CREATE VIEW events_text AS SELECT id, coalesce(new_body, body) AS text, filename,"
	" '0s' || hex(sender) || ' 0r' || hex(room_id) || ' 0d' || (ts / 86400000)"
	" || CASE WHEN coalesce(new_body, body, '') LIKE '%http://%'"
	" OR coalesce(new_body, body, '') LIKE '%https://%'"
	" OR coalesce(formatted_body, '') LIKE '%<a href%' THEN ' 0link' ELSE '' END"
	" || CASE WHEN msgtype = 'm.file' OR msgtype = 'm.image' OR msgtype = 'm.video'"
	" OR msgtype = 'm.audio' THEN ' 0file' ELSE '' END AS tags"
	" FROM events WHERE indexed;"
	"CREATE VIRTUAL TABLE events_fts USING fts5(text, filename, tags,"
	" content='events_text', content_rowid='id',"
	" tokenize='unicode61 remove_diacritics 2');"
	"INSERT INTO events_fts(events_fts) VALUES ('rebuild');"
	"INSERT INTO events_fts(events_fts) VALUES ('optimize');",

	/* 6: end-to-end encryption. Whether an event came encrypted (and
	 * whether it could be read), and the keys of the crypto module:
	 * pickles it sealed, never a key in clear. Messages that wait for
	 * their room key keep their ciphertext in crypto_pending. */
	"ALTER TABLE events ADD COLUMN encryption TEXT;"
	"ALTER TABLE events ADD COLUMN sender_key TEXT;"
	"CREATE TABLE crypto_account (id INTEGER PRIMARY KEY CHECK (id = 1),"
	" pickle TEXT NOT NULL);"
	"CREATE TABLE crypto_olm (session_id TEXT PRIMARY KEY, their_key TEXT NOT NULL,"
	" pickle TEXT NOT NULL, used_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX crypto_olm_key ON crypto_olm(their_key, used_ms);"
	"CREATE TABLE crypto_megolm_in (session_id TEXT NOT NULL, sender_key TEXT NOT NULL,"
	" room_id TEXT NOT NULL, sender_ed25519 TEXT, first_index INTEGER NOT NULL,"
	" pickle TEXT NOT NULL, PRIMARY KEY (session_id, sender_key)) WITHOUT ROWID;"
	"CREATE TABLE crypto_megolm_seen (session_id TEXT NOT NULL, sender_key TEXT NOT NULL,"
	" msg_index INTEGER NOT NULL, event_id TEXT NOT NULL,"
	" PRIMARY KEY (session_id, sender_key, msg_index)) WITHOUT ROWID;"
	"CREATE TABLE crypto_megolm_out (room_id TEXT PRIMARY KEY, session_id TEXT NOT NULL,"
	" pickle TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	" messages INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE crypto_megolm_shared (room_id TEXT NOT NULL, session_id TEXT NOT NULL,"
	" user_id TEXT NOT NULL, device_id TEXT NOT NULL,"
	" PRIMARY KEY (room_id, session_id, user_id, device_id)) WITHOUT ROWID;"
	"CREATE TABLE crypto_devices (user_id TEXT NOT NULL, device_id TEXT NOT NULL,"
	" curve25519 TEXT NOT NULL, ed25519 TEXT NOT NULL, display_name TEXT,"
	" trust INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (user_id, device_id)) WITHOUT ROWID;"
	"CREATE INDEX crypto_devices_curve ON crypto_devices(curve25519);"
	"CREATE TABLE crypto_users (user_id TEXT PRIMARY KEY,"
	" outdated INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID;"
	"CREATE TABLE crypto_pending (event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL,"
	" session_id TEXT NOT NULL, sender_key TEXT NOT NULL, ciphertext TEXT NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE INDEX crypto_pending_session ON crypto_pending(session_id, sender_key);",

	/* 7: room keys asked of this account's other devices
	 * (m.room_key_request), their requests waiting for an answer (until
	 * the user verifies the device that asked), and whether an inbound
	 * session came forwarded: its messages' sender is then vouched for
	 * only by the device that forwarded it. */
	"CREATE TABLE crypto_requests (session_id TEXT NOT NULL, sender_key TEXT NOT NULL,"
	" room_id TEXT NOT NULL, request_id TEXT NOT NULL, sent_ms INTEGER NOT NULL,"
	" PRIMARY KEY (session_id, sender_key)) WITHOUT ROWID;"
	"CREATE TABLE crypto_incoming (device_id TEXT NOT NULL, request_id TEXT NOT NULL,"
	" room_id TEXT NOT NULL, sender_key TEXT NOT NULL, session_id TEXT NOT NULL,"
	" algorithm TEXT NOT NULL, heard_ms INTEGER NOT NULL,"
	" PRIMARY KEY (device_id, request_id)) WITHOUT ROWID;"
	"ALTER TABLE crypto_megolm_in ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;",

	/* 8: when the next attempt of a queued message is due (ms since the
	 * epoch; 0: none planned, it goes with the next sync), so that
	 * every front end can say "retrying in N s". */
	"ALTER TABLE outbox ADD COLUMN next_ts INTEGER NOT NULL DEFAULT 0;",

	/* 9: cross-signing, and replays. Whether a device is signed by its user's
	 * self-signing key, itself signed by the master key natter saw first
	 * for that user (kept here: a new one is not believed). */
	"ALTER TABLE crypto_devices ADD COLUMN cross_signed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE crypto_users ADD COLUMN master TEXT;"
	/* And when the event that holds a message index was sent: of two
	 * events with one index, the earlier keeps it, in whatever order
	 * they are decrypted. */
	"ALTER TABLE crypto_megolm_seen ADD COLUMN ts INTEGER NOT NULL DEFAULT 0;",

	/* 10: replies without the quote of what they answer that clients
	 * following a spec before v1.13 put in front of them (natter strips
	 * it as it stores a reply since), taken out of the search index and
	 * put back, so that the quoted words find only the message that said
	 * them. And the HTML of a message's latest edit, so that an edited
	 * message shows formatted as its edit says. */
	"CREATE TEMP TABLE m10 AS SELECT id FROM events WHERE reply_to IS NOT NULL"
	" AND (body LIKE '> %' OR formatted_body LIKE '<mx-reply>%');"
	"INSERT INTO events_fts(events_fts, rowid, text, filename, tags)"
	" SELECT 'delete', id, text, filename, tags FROM events_text"
	" WHERE id IN (SELECT id FROM temp.m10);"
	"UPDATE events SET body = natter_reply_body(body),"
	" formatted_body = natter_reply_html(formatted_body)"
	" WHERE id IN (SELECT id FROM temp.m10);"
	"INSERT INTO events_fts(rowid, text, filename, tags)"
	" SELECT id, text, filename, tags FROM events_text"
	" WHERE id IN (SELECT id FROM temp.m10);"
	"DROP TABLE temp.m10;"
	"ALTER TABLE events ADD COLUMN new_formatted TEXT;"
	"UPDATE events SET new_formatted = (SELECT x.formatted_body FROM events x"
	" WHERE x.rel_event = events.event_id AND x.rel_type = 'm.replace'"
	" AND x.room_id = events.room_id AND x.sender = events.sender"
	" AND x.type = events.type AND x.redacted = 0"
	" ORDER BY x.ts DESC, x.event_id DESC LIMIT 1) WHERE edited;",

	/* 11: a message older than the key natter holds for it waits for a
	 * copy of that key that reaches back to its index (-1: any copy). */
	"ALTER TABLE crypto_pending ADD COLUMN msg_index INTEGER NOT NULL DEFAULT -1;",

	/* 12: withheld room keys (m.room_key.withheld): why a sender's device
	 * said it keeps a session's key from natter, shown on the messages
	 * that wait for it; and the devices natter told it withholds its key
	 * (so that it tells each once, and shares if the device qualifies). */
	"CREATE TABLE crypto_withheld (session_id TEXT NOT NULL, sender_key TEXT NOT NULL,"
	" why TEXT NOT NULL, PRIMARY KEY (session_id, sender_key)) WITHOUT ROWID;"
	"ALTER TABLE crypto_megolm_shared ADD COLUMN withheld INTEGER NOT NULL DEFAULT 0;",

	/* 13: search that ignores accents the way people type them: "soren"
	 * finds Søren, "aero" Ærø, "strasse" Straße. The indexes of messages
	 * and of names take the natter_fold tokenizer (store-tokenize.c:
	 * unicode61 as before, each word then folded by text_fold) and are
	 * built again. */
	"DROP TABLE events_fts;"
	"CREATE VIRTUAL TABLE events_fts USING fts5(text, filename, tags,"
	" content='events_text', content_rowid='id',"
	" tokenize='natter_fold unicode61 remove_diacritics 2');"
	"INSERT INTO events_fts(events_fts) VALUES ('rebuild');"
	"INSERT INTO events_fts(events_fts) VALUES ('optimize');"
	"DROP TABLE names_fts;"
	"CREATE VIRTUAL TABLE names_fts USING fts5(name, content='names',"
	" content_rowid='id', tokenize='natter_fold unicode61 remove_diacritics 2');"
	"INSERT INTO names_fts(names_fts) VALUES ('rebuild');",

	/* 14: the account's secrets from secret storage (cross-signing keys,
	 * the key backup's key), each sealed like the pickles, never in
	 * clear; which room keys went to the server-side key backup. */
	"CREATE TABLE crypto_secrets (name TEXT PRIMARY KEY, sealed TEXT NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE crypto_megolm_in ADD COLUMN backed_up INTEGER NOT NULL DEFAULT 0;"
	/* Found after every sync: only the few not backed up are indexed. */
	"CREATE INDEX crypto_megolm_unbacked ON crypto_megolm_in(backed_up)"
	" WHERE backed_up = 0;"
	/* And the master key the server gives for a user now, beside the one
	 * natter saw first: when they differ, the user's identity changed; and
	 * the one the user verified (interactively): while it is the server's,
	 * every device it signed is verified. */
	"ALTER TABLE crypto_users ADD COLUMN master_seen TEXT;"
	"ALTER TABLE crypto_users ADD COLUMN verified_master TEXT;",

	/* 15: broadcasts (one message to many rooms and people), so that a
	 * report can say later who got it, read it and answered: each
	 * target as the user named it, the room it meant and the outbox row
	 * of its copy (whose state and event id say whether it went), or
	 * why it never was queued. */
	"CREATE TABLE broadcasts (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" created_ts INTEGER NOT NULL, body TEXT NOT NULL);"
	"CREATE TABLE broadcast_targets ("
	" broadcast_id INTEGER NOT NULL REFERENCES broadcasts ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, target TEXT NOT NULL, room_id TEXT, outbox_id INTEGER,"
	" error TEXT, PRIMARY KEY (broadcast_id, pos)) WITHOUT ROWID;",

	/* 16: scheduled messages. When a queued message is due (ms since
	 * the epoch, UTC; 0: at once), and the id the homeserver gave one it
	 * holds (MSC4140 delayed events). State 3 waits here until due_ts,
	 * state 4 waits on the server. */
	"ALTER TABLE outbox ADD COLUMN due_ts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN delay_id TEXT;"
	"CREATE INDEX outbox_due ON outbox(state, due_ts) WHERE state >= 3;",

	/* 17: threads (m.thread): a root's replies, in order, by an index of
	 * their own, for its summary and for opening the thread. */
	"CREATE INDEX events_thread ON events(rel_event, seq) WHERE rel_type = 'm.thread';",

	/* 18: the messages that ask something, by sender and time, for
	 * natter waiting (store-waiting.c): a partial index, so that it costs
	 * nothing for the messages that ask nothing. */
	"CREATE INDEX events_asks ON events(sender, ts)"
	" WHERE type = 'm.room.message'"
	" AND instr(coalesce(new_body, body), '?') > 0;",

	/* 19: the outbox by room: it keeps every row it sent (the broadcast
	 * reports name them), and the pane reads a room's unsent ones, and
	 * the ones sent but not yet back, at every change. */
	"CREATE INDEX outbox_room ON outbox(room_id, state);",
};

/* natter_reply_body(body) and natter_reply_html(formatted_body), for
 * migration 10: a reply's text without its fallback (rich.h); an HTML
 * that was only fallback is NULL. */
static void
store_fn_reply(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	int html = sqlite3_user_data(ctx) != NULL;
	size_t skip;

	if (s == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	skip = html ? rich_reply_html_skip(s) : rich_reply_body_skip(s);
	if (html && s[skip] == '\0')
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, s + skip, -1, SQLITE_TRANSIENT);
}

static int
store_functions(struct store *st, char **cause)
{
	static int html = 1;

	if (sqlite3_create_function(st->db, "natter_reply_body", 1,
		SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, store_fn_reply, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(st->db, "natter_reply_html", 1,
		SQLITE_UTF8 | SQLITE_DETERMINISTIC, &html, store_fn_reply, NULL, NULL) != SQLITE_OK)
		return store_error(st, "cannot set up the cache", cause);
	return 0;
}

/* What the system said to an I/O error, when it says what to do. */
static const char *
store_errno_hint(int err)
{
	switch (err) {
	case ENOSPC:
	case EFBIG:
	case EDQUOT:
		return "the disk is full: free some space";
	case EROFS:
		return "natter writes to its cache even to read it";
	case EACCES:
	case EPERM:
		return "check the permissions of the file and its directory";
	default:
		return NULL;
	}
}

/* A write that failed without saying why (SQLite keeps the errno of the
 * main file, not of its journal): most often a full disk. */
static const char *
store_write_hint(int extended)
{
	switch (extended) {
	case SQLITE_IOERR_WRITE:
	case SQLITE_IOERR_FSYNC:
	case SQLITE_IOERR_TRUNCATE:
	case SQLITE_IOERR_SHMSIZE:
		return "the disk may be full: free some space";
	default:
		return NULL;
	}
}

int
store_error(struct store *st, const char *doing, char **cause)
{
	int extended = sqlite3_extended_errcode(st->db), rc = extended & 0xff;
	int err = sqlite3_system_errno(st->db);
	int sys = err != 0 && (rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN || rc == SQLITE_FULL);
	const char *hint = NULL;

	switch (rc) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		hint = "another natter is writing to this profile; try again";
		break;
	case SQLITE_FULL:
		hint = "the disk is full: free some space";
		break;
	case SQLITE_IOERR:
		if ((hint = store_errno_hint(err)) == NULL)
			hint = store_write_hint(extended);
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		if ((hint = store_errno_hint(err)) == NULL)
			hint = "check the permissions of the file and its directory";
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		hint = "it is damaged: move the file away to start a fresh cache; what it holds "
		    "may be saved with sqlite3's .recover";
		break;
	}
	return cause_set(cause, "%s: %s: %s%s%s%s%s%s", st->path, doing, sqlite3_errmsg(st->db),
	    sys ? ": " : "", sys ? strerror(err) : "", hint ? " (" : "", hint ? hint : "",
	    hint ? ")" : "");
}

/* Returns the cached statement, reset and with no bindings. */
sqlite3_stmt *
store_stmt(struct store *st, enum store_sql id, char **cause)
{
	sqlite3_stmt **s = &st->stmts[id];

	if (*s == NULL) {
		if (sqlite3_prepare_v3(st->db, store_sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, s,
			NULL) != SQLITE_OK) {
			store_error(st, "cannot read the cache", cause);
			return NULL;
		}
		return *s;
	}
	sqlite3_reset(*s);
	sqlite3_clear_bindings(*s);
	return *s;
}

void
store_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Steps a statement that returns no rows. */
int
store_run(struct store *st, sqlite3_stmt *s, const char *doing, char **cause)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_error(st, doing, cause);
		store_done(s);
		return -1;
	}
	store_done(s);
	return 0;
}

/* Steps to the next row: 1 with a row, 0 at the end (the statement is
 * then reset), -1 on error. */
int
store_row(struct store *st, sqlite3_stmt *s, const char *doing, char **cause)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_error(st, doing, cause);
	store_done(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
store_bind_text(sqlite3_stmt *s, int idx, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(s, idx);
	else
		sqlite3_bind_text(s, idx, text, -1, SQLITE_STATIC);
}

/* Whether s, which may be NULL, is what. */
int
store_streq(const char *s, const char *what)
{
	return s != NULL && strcmp(s, what) == 0;
}

char *
store_column_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t == NULL ? NULL : xstrdup((const char *)t);
}

static int
store_exec_one(struct store *st, enum store_sql id, const char *doing, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, id, cause);

	if (s == NULL)
		return -1;
	return store_run(st, s, doing, cause);
}

int
store_begin(struct store *st, char **cause)
{
	return store_exec_one(st, STORE_SQL_BEGIN, "cannot start writing", cause);
}

int
store_commit(struct store *st, char **cause)
{
	if (store_exec_one(st, STORE_SQL_COMMIT, "cannot save", cause) != 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store_exec_one(st, STORE_SQL_ROLLBACK, "cannot roll back", NULL);
}

int
store_read_begin(struct store *st, char **cause)
{
	if (!sqlite3_get_autocommit(st->db))
		return 0;
	if (store_exec_one(st, STORE_SQL_BEGIN_READ, "cannot read the cache", cause) != 0)
		return -1;
	st->reading = 1;
	return 0;
}

void
store_read_end(struct store *st)
{
	if (!st->reading)
		return;
	st->reading = 0;
	if (!sqlite3_get_autocommit(st->db) &&
	    store_exec_one(st, STORE_SQL_COMMIT, "cannot end a read", NULL) != 0)
		store_rollback(st);
}

/* Creates the file 0600 before SQLite sees it: SQLite gives the -wal and
 * -shm files the mode of the database, and never widens it. */
static int
store_create_file(const char *path, char **cause)
{
	const char *hint;
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		err = errno;
		hint = store_errno_hint(err);
		return cause_set(cause, "%s: cannot open the cache: %s%s%s%s", path, strerror(err),
		    hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	}
	close(fd);
	return 0;
}

static int
store_pragma(struct store *st, const char *sql, char **cause)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_error(st, "cannot set up the cache", cause);
	return 0;
}

static int
store_configure(struct store *st, char **cause)
{
	if (store_pragma(st, "PRAGMA journal_mode = WAL", cause) != 0)
		return -1;
	/* WAL with synchronous NORMAL keeps every commit atomic; a power
	 * cut may lose the newest commit, which the next sync brings back. */
	if (store_pragma(st, "PRAGMA synchronous = NORMAL", cause) != 0)
		return -1;
	/* 64 MB of page cache: a first sync touches every index at once,
	 * in the order of random event ids. Pages are taken as used. */
	if (store_pragma(st, "PRAGMA cache_size = -65536", cause) != 0)
		return -1;
	/* No memory map until a search (store_map): the kernel maps a
	 * fault's neighbours too, so that a start that reads a few hundred
	 * scattered pages of a small cache through one counts all of it as
	 * natter's. */
	return store_pragma(st, "PRAGMA foreign_keys = ON", cause);
}

/* The cache's schema version when this natter can use it (n at most);
 * else -1 with a cause. */
static int
store_version_check(struct store *st, size_t n, char **cause)
{
	int version = store_schema_version(st);

	if (version < 0)
		return store_error(st, "cannot read the cache", cause);
	if ((size_t)version > n)
		return cause_set(cause, "%s: the cache was written by a newer natter (schema %d, "
		    "this natter knows up to %zu); upgrade natter, or move the file away to start "
		    "a fresh cache", st->path, version, n);
	return version;
}

/* Runs one migration step and records the new version, atomically. A
 * second natter opening the same cache waits, then finds it done. */
static int
store_migrate_step(struct store *st, const char *const *steps, size_t n, int *done,
    char **cause)
{
	int version;
	char *sql;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return store_error(st, "cannot upgrade the cache", cause);
	if ((version = store_version_check(st, n, cause)) < 0) {
		store_rollback(st);
		return -1;
	}
	*done = (size_t)version == n;
	if (*done)
		return store_commit(st, cause);
	sql = xasprintf("%s; PRAGMA user_version = %d", steps[version], version + 1);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		free(sql);
		store_error(st, "cannot upgrade the cache", cause);
		store_rollback(st);
		return -1;
	}
	free(sql);
	return store_commit(st, cause);
}

/* A cache that is up to date is only read here: no write lock is taken,
 * so opening it never waits for another natter that is writing. */
static int
store_migrate(struct store *st, const char *const *steps, size_t n, char **cause)
{
	int version, done = 0;

	if ((version = store_version_check(st, n, cause)) < 0)
		return -1;
	if ((size_t)version == n)
		return 0;
	while (!done) {
		if (store_migrate_step(st, steps, n, &done, cause) != 0)
			return -1;
	}
	return 0;
}

/* store_open with a given list of migrations, so tests can stand in for
 * a future natter. */
struct store *
store_open_steps(const char *path, const char *const *steps, size_t n_steps, char **cause)
{
	struct store *st;
	int flags;

	if (store_create_file(path, cause) != 0)
		return NULL;
	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->fts_from = INT64_MAX;
	/* The indexes' tokenizer, on this connection and any other. */
	if (store_tokenizer_init() != 0) {
		cause_set(cause, "%s: cannot open the cache: out of memory", path);
		store_close(&st);
		return NULL;
	}
	/* One thread uses the connection: no need for SQLite's mutexes. */
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			cause_set(cause, "%s: cannot open the cache: out of memory", path);
		else
			store_error(st, "cannot open the cache", cause);
		store_close(&st);
		return NULL;
	}
	/* A cache this natter cannot use is refused before anything is set
	 * (the journal mode is written into the file). */
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (store_version_check(st, n_steps, cause) < 0 || store_configure(st, cause) != 0 ||
	    store_functions(st, cause) != 0 || store_migrate(st, steps, n_steps, cause) != 0) {
		store_close(&st);
		return NULL;
	}
	return st;
}

const size_t store_n_migrations = NT_NELEMS(store_migrations);

struct store *
store_open(const char *path, char **cause)
{
	return store_open_steps(path, store_migrations, store_n_migrations, cause);
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	for (size_t i = 0; i < STORE_SQL_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	store_search_close(st);
	store_names_forget(st);
	sqlite3_close(st->db);
	free(st->path);
	xfree(stp);
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int version = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return version;
}

int
store_meta_set(struct store *st, const char *key, const char *value, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_META_SET, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, value);
	return store_run(st, s, "cannot save a setting", cause);
}

int
store_meta_unset(struct store *st, const char *key, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_META_UNSET, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, key);
	return store_run(st, s, "cannot forget a setting", cause);
}

int
store_meta_update(struct store *st, const char *key, store_meta_fn fn, void *arg,
    char **cause)
{
	char *old, *new = NULL;
	int own = sqlite3_get_autocommit(st->db);

	if (own && store_begin(st, cause) != 0)
		return -1;
	old = store_meta_get(st, key);
	if (fn(old, &new, arg, cause) == -1 ||
	    (new != NULL && store_meta_set(st, key, new, cause) == -1)) {
		free(old);
		free(new);
		if (own)
			store_rollback(st);
		return -1;
	}
	free(old);
	free(new);
	return own ? store_commit(st, cause) : 0;
}

char *
store_text_of(struct store *st, enum store_sql id, const char *a, const char *b,
    const char *doing)
{
	sqlite3_stmt *s = store_stmt(st, id, NULL);
	char *text = NULL;

	if (s == NULL)
		return NULL;
	store_bind_text(s, 1, a);
	if (b != NULL)
		store_bind_text(s, 2, b);
	if (store_row(st, s, doing, NULL) == 1)
		text = store_column_text(s, 0);
	store_done(s);
	return text;
}

char *
store_meta_get(struct store *st, const char *key)
{
	return store_text_of(st, STORE_SQL_META_GET, key, NULL, "cannot read a setting");
}

/* Reads through a memory map skip a system call a page, which is most
 * of what a search spends reading rows: a search maps the file, and the
 * map stays until store_trim. The price: an I/O error on the file is a
 * SIGBUS (the terminal is restored) rather than an error message. */
void
store_map(struct store *st)
{
	if (st->mapped)
		return;
	sqlite3_exec(st->db, "PRAGMA mmap_size = " STORE_MMAP_SIZE, NULL, NULL, NULL);
	st->mapped = 1;
}

void
store_trim(struct store *st)
{
	sqlite3_db_release_memory(st->db);
	/* The pages of the file read through a map stop counting as the
	 * process's (they stay in the kernel's page cache, a fault away). */
	if (st->mapped)
		sqlite3_exec(st->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	st->mapped = 0;
	malloc_trim(0);
}

char *
store_sync_token(struct store *st)
{
	return store_meta_get(st, "since");
}

/* A word as an FTS5 phrase: quoted, inner quotes doubled, so that no
 * character of it is read as query syntax. */
char *
store_fts_phrase(const char *word)
{
	struct buf b = {0};

	buf_putc(&b, '"');
	for (const char *p = word; *p != '\0'; p++) {
		if (*p == '"')
			buf_putc(&b, '"');
		buf_putc(&b, *p);
	}
	buf_putc(&b, '"');
	return buf_steal(&b);
}

/* A LIKE pattern for word as a whole word among spaces. */
static char *
store_like_word(const char *word)
{
	struct buf b = {0};

	buf_puts(&b, "% ");
	for (const char *p = word; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *p);
	}
	buf_puts(&b, " %");
	return buf_steal(&b);
}

int64_t
store_fts_count(struct store *st, const char *word)
{
	sqlite3_stmt *s;
	char *phrase, *like;
	int64_t count = -1;

	if (word == NULL || word[strspn(word, " \t\r\n")] == '\0')
		return 0;
	if ((s = store_stmt(st, STORE_SQL_FTS_COUNT, NULL)) == NULL)
		return -1;
	phrase = store_fts_phrase(word);
	store_bind_text(s, 1, phrase);
	store_bind_text(s, 2, like = store_like_word(word));
	if (store_row(st, s, "cannot search", NULL) == 1)
		count = sqlite3_column_int64(s, 0);
	store_done(s);
	free(phrase);
	free(like);
	return count;
}
