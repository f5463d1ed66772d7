/* The SQL of every statement the store prepares. Memberships are
 * stored as enum mx_membership: 1 join, 2 invite. */
#include "natter/event.h"
#include "store-private.h"

_Static_assert(MX_MEMBERSHIP_JOIN == 1 && MX_MEMBERSHIP_INVITE == 2,
    "the SQL below spells these memberships as numbers");
_Static_assert(STORE_OUTBOX_QUEUED == 0 && STORE_OUTBOX_SENT == 1 && STORE_OUTBOX_FAILED == 2 &&
    STORE_OUTBOX_LATER == 3 && STORE_OUTBOX_HELD == 4,
    "the SQL below spells these outbox states as numbers");

/* What a queued event shows while it waits: its text, or a reaction's key. */
#define STORE_OUTBOX_BODY                                                                      \
	"CASE WHEN json_valid(content) THEN coalesce(json_extract(content, '$.\"m.new_content\".body')," \
	" json_extract(content, '$.body'), json_extract(content, '$.\"m.relates_to\".key')) END"

/* The columns store_outbox_fill reads, of the outbox. */
#define STORE_OUTBOX_ROWS                                                                      \
	"SELECT id, room_id, txn_id, type, content, state, attempts, last_error, event_id,"      \
	" created_ts, " STORE_OUTBOX_BODY ", next_ts, due_ts, delay_id FROM outbox"

/* An outbox row the homeserver took since ?2 whose event the cache has
 * not had back yet (its echo). */
#define STORE_OUTBOX_UNECHOED                                                                  \
	"(state = 1 AND event_id IS NOT NULL AND created_ts >= ?2 AND NOT EXISTS"                 \
	" (SELECT 1 FROM events e WHERE e.event_id = outbox.event_id))"

/* Whether the owner of device row D has an identity (master key) that
 * changed since natter first saw it, or that the user verified (the
 * master key natter signed after a verification is the server's now). */
#define STORE_IDENTITY_changed \
	"u.master_seen IS NOT NULL AND u.master IS NOT NULL AND u.master_seen != u.master"
#define STORE_IDENTITY_verified \
	"u.verified_master IS NOT NULL AND u.verified_master = u.master_seen"
#define STORE_IDENTITY(d, what) \
	"coalesce((SELECT " STORE_IDENTITY_##what " FROM crypto_users u" \
	" WHERE u.user_id = " d ".user_id), 0)"

/* A device's columns for store_device_row: its own, and whether its
 * user's master key changed since natter first saw it. */
#define STORE_DEVICE_COLUMNS \
	"user_id, device_id, curve25519, ed25519, display_name, trust, cross_signed," \
	" " STORE_IDENTITY("crypto_devices", changed) "," \
	" " STORE_IDENTITY("crypto_devices", verified)

/* What struct store_msg is filled from, in store-history.c's order. */
#define STORE_MSG_COLUMNS                                                                      \
	"seq, event_id, type, sender, ts, msgtype, coalesce(new_body, body), edited, redacted," \
	" reply_to, url, filename, mimetype, size, state_key, membership,"                      \
	" coalesce(content, json_object('msgtype', msgtype, 'body', body)), room_id,"            \
	" encryption, sender_key,"                                                              \
	/* How far the device it came from is trusted, for a decrypted one. */                   \
	" CASE WHEN encryption = 'ok' THEN coalesce((SELECT CASE WHEN d.trust < 0"              \
	" THEN 'blocked' WHEN d.trust > 0 THEN 'verified'"                                       \
	" WHEN " STORE_IDENTITY("d", changed) " THEN 'changed'"                                \
	" WHEN d.cross_signed AND " STORE_IDENTITY("d", verified) " THEN 'verified'"           \
	" WHEN d.cross_signed THEN 'signed' ELSE 'unverified' END"                               \
	" FROM crypto_devices d WHERE d.curve25519 = events.sender_key"                          \
	" AND d.user_id = events.sender), 'unknown') END,"                                      \
	" CASE WHEN edited THEN new_formatted ELSE formatted_body END,"                           \
	" CASE WHEN rel_type = 'm.thread' THEN rel_event END"

/* Whether the row of events is a thread's reply whose root is cached:
 * shown under its root, not in the room's timeline. A root that is a
 * thread's reply itself (threads do not nest; a server may still send
 * one, or an event naming itself) hides nothing. */
#define STORE_IN_CACHED_THREAD                                                                 \
	"(rel_type IS 'm.thread' AND EXISTS (SELECT 1 FROM events t"                            \
	" WHERE t.event_id = events.rel_event AND t.room_id = events.room_id"                   \
	" AND t.rel_type IS NOT 'm.thread'))"

/* The user id of this account, for the queries that leave it out. */
#define STORE_SELF "(SELECT value FROM meta WHERE key = 'self')"

/* Whether the member event of user (SQL) in room r says is_direct. */
#define STORE_MEMBER_IS_DIRECT(user)                                                           \
	"EXISTS (SELECT 1 FROM state s WHERE s.room_id = r.room_id"                             \
	" AND s.type = 'm.room.member' AND s.state_key = " user " AND json_valid(s.content)"     \
	" AND json_extract(s.content, '$.is_direct') IS 1)"

/* For an invitation that says is_direct, the one who invited: a direct
 * chat before m.direct lists it (which it does once it is joined). */
#define STORE_DM_INVITER                                                                       \
	"CASE WHEN r.membership = 2 AND " STORE_MEMBER_IS_DIRECT(STORE_SELF) " THEN"             \
	" (SELECT m.user_id FROM members m WHERE m.room_id = r.room_id"                         \
	" AND m.user_id IS NOT " STORE_SELF " AND m.membership IN (1, 2)"                        \
	" ORDER BY m.membership, m.user_id LIMIT 1) END"

/* Members of room r who are in it or invited, by the summary's counts
 * when the server sent them (members are lazy-loaded). */
#define STORE_ROOM_HEADCOUNT                                                                   \
	"(CASE WHEN r.joined_count >= 0 THEN r.joined_count ELSE (SELECT count(*)"              \
	" FROM members m WHERE m.room_id = r.room_id AND m.membership = 1) END +"               \
	" CASE WHEN r.invited_count >= 0 THEN r.invited_count ELSE (SELECT count(*)"            \
	" FROM members m WHERE m.room_id = r.room_id AND m.membership = 2) END)"

/* Whether room (SQL) is a space: its m.room.create says type m.space. */
#define STORE_IS_SPACE(room)                                                                   \
	"EXISTS (SELECT 1 FROM state c WHERE c.room_id = " room " AND c.type = 'm.room.create'"  \
	" AND c.state_key = '' AND CASE WHEN json_valid(c.content)"                             \
	" THEN json_extract(c.content, '$.type') END IS 'm.space')"

/* Whether state event s (an m.space.child) links its
 * rooms: the spec counts one only while its via lists a server. */
#define STORE_SPACE_VIA                                                                        \
	"CASE WHEN json_valid(s.content) THEN json_array_length(s.content, '$.via') END > 0"

#define STORE_ROOM_COLUMNS                                                                     \
	"SELECT r.room_id, r.membership, r.name, r.topic, r.canonical_alias, r.unread,"        \
	" r.highlight, r.last_ts, r.favourite, r.lowpriority,"                                 \
	" CASE WHEN r.joined_count >= 0 THEN r.joined_count ELSE (SELECT count(*)"             \
	" FROM members m WHERE m.room_id = r.room_id AND m.membership = 1) END,"               \
	" CASE WHEN r.invited_count >= 0 THEN r.invited_count ELSE (SELECT count(*)"           \
	" FROM members m WHERE m.room_id = r.room_id AND m.membership = 2) END,"               \
	" coalesce((SELECT d.user_id FROM direct d WHERE d.room_id = r.room_id"                \
	" ORDER BY d.user_id LIMIT 1), " STORE_DM_INVITER "), EXISTS (SELECT 1 FROM state e WHERE" \
	" e.room_id = r.room_id AND e.type = 'm.room.encryption' AND e.state_key = ''),"        \
	" " STORE_IS_SPACE("r.room_id") " FROM rooms r"

/* An FTS5 expression of words (SQL text) searched in the text and file
 * names of messages, not in their tags (migration 5). */
#define STORE_FTS_WORDS(words) "('{text filename} : (' || " words " || ')')"

/* The filters of natter search over events e, bound as ?2 to ?8 (see
 * struct store_search); a flag below 0 leaves its filter out. */
#define STORE_SEARCH_FILTERS                                                                   \
	" AND (?2 IS NULL OR e.room_id IN (SELECT value FROM json_each(?2)))"                   \
	" AND (?3 IS NULL OR e.sender IN (SELECT value FROM json_each(?3)))"                    \
	" AND e.ts >= ?4 AND e.ts < ?5"                                                         \
	" AND (?6 < 0 OR coalesce(e.msgtype IN ('m.file', 'm.image', 'm.video', 'm.audio'),"    \
	" 0) = ?6)"                                                                             \
	" AND (?7 < 0 OR (coalesce(e.new_body, e.body, '') LIKE '%http://%'"                    \
	" OR coalesce(e.new_body, e.body, '') LIKE '%https://%'"                                \
	" OR coalesce(e.formatted_body, '') LIKE '%<a href%') = ?7)"                            \
	" AND (?8 < 0 OR (e.room_id IN (SELECT room_id FROM direct)) = ?8)"

const char *const store_sql_text[STORE_SQL_COUNT] = {
	[STORE_SQL_BEGIN] = "BEGIN IMMEDIATE",
	[STORE_SQL_BEGIN_READ] = "BEGIN",
	[STORE_SQL_COMMIT] = "COMMIT",
	[STORE_SQL_ROLLBACK] = "ROLLBACK",
	[STORE_SQL_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[STORE_SQL_META_UNSET] = "DELETE FROM meta WHERE key = ?1",
	[STORE_SQL_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
			       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* Text matches, plus messages whose sender was then named with the
	 * word (a scan: the search issue gives names an index of their own). */
	[STORE_SQL_FTS_COUNT] =
	    "SELECT count(*) FROM events WHERE indexed AND (id IN (SELECT rowid FROM events_fts"
	    " WHERE events_fts MATCH " STORE_FTS_WORDS("?1") ") OR (' ' || sender_name || ' ')"
	    " LIKE ?2 ESCAPE '\\')",
	[STORE_SQL_FTS_MAX_ID] = "SELECT coalesce(max(id), 0) FROM events",
	[STORE_SQL_FTS_DELETE] =
	    "INSERT INTO events_fts(events_fts, rowid, text, filename, tags)"
	    " SELECT 'delete', id, text, filename, tags FROM events_text WHERE id = ?1",
	[STORE_SQL_FTS_INSERT] = "INSERT INTO events_fts(rowid, text, filename, tags)"
				 " SELECT id, text, filename, tags FROM events_text"
				 " WHERE id = ?1",
	[STORE_SQL_FTS_CATCH_UP] = "INSERT INTO events_fts(rowid, text, filename, tags)"
				   " SELECT id, text, filename, tags FROM events_text"
				   " WHERE id >= ?1",

	[STORE_SQL_ROOM_UPSERT] = "INSERT INTO rooms(room_id, membership) VALUES (?1, ?2)"
				  " ON CONFLICT(room_id) DO UPDATE SET membership = ?2",
	[STORE_SQL_ROOM_COUNTS] =
	    "UPDATE rooms SET unread = CASE WHEN ?2 >= 0 THEN ?2 ELSE unread END,"
	    " highlight = CASE WHEN ?3 >= 0 THEN ?3 ELSE highlight END,"
	    " joined_count = CASE WHEN ?4 >= 0 THEN ?4 ELSE joined_count END,"
	    " invited_count = CASE WHEN ?5 >= 0 THEN ?5 ELSE invited_count END"
	    " WHERE room_id = ?1",
	[STORE_SQL_ROOM_TAGS] = "UPDATE rooms SET favourite = ?2, lowpriority = ?3"
				" WHERE room_id = ?1",
	[STORE_SQL_ROOM_LAST_TS] = "UPDATE rooms SET last_ts = ?2 WHERE room_id = ?1"
				   " AND last_ts < ?2",
	[STORE_SQL_ROOM_NAME] = "UPDATE rooms SET name = ?2 WHERE room_id = ?1",
	[STORE_SQL_ROOM_TOPIC] = "UPDATE rooms SET topic = ?2 WHERE room_id = ?1",
	[STORE_SQL_ROOM_ALIAS] = "UPDATE rooms SET canonical_alias = ?2 WHERE room_id = ?1",
	[STORE_SQL_HEROES_DELETE] = "DELETE FROM heroes WHERE room_id = ?1",
	[STORE_SQL_HERO_INSERT] = "INSERT OR IGNORE INTO heroes(room_id, pos, user_id)"
				  " VALUES (?1, ?2, ?3)",
	[STORE_SQL_STATE_PUT] =
	    "INSERT INTO state(room_id, type, state_key, event_id, content)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(room_id, type, state_key)"
	    " DO UPDATE SET event_id = excluded.event_id, content = excluded.content",
	[STORE_SQL_STATE_REDACT] = "UPDATE state SET content = ?3 WHERE room_id = ?1"
				   " AND event_id = ?2 RETURNING type, state_key",
	[STORE_SQL_MEMBER_PUT] =
	    "INSERT INTO members(room_id, user_id, membership, displayname)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(room_id, user_id) DO UPDATE"
	    " SET membership = excluded.membership, displayname = excluded.displayname",
	[STORE_SQL_MEMBER_FORGET_NAME] = "UPDATE members SET displayname = NULL"
					 " WHERE room_id = ?1 AND user_id = ?2",
	[STORE_SQL_MEMBER_DISPLAYNAME] = "SELECT displayname FROM members"
					 " WHERE room_id = ?1 AND user_id = ?2",
	[STORE_SQL_RECEIPT_PUT] =
	    "INSERT INTO receipts(room_id, user_id, event_id, ts) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(room_id, user_id) DO UPDATE SET event_id = excluded.event_id,"
	    " ts = excluded.ts WHERE excluded.ts >= receipts.ts",
	[STORE_SQL_DIRECT_CLEAR] = "DELETE FROM direct",
	[STORE_SQL_DIRECT_PUT] = "INSERT OR IGNORE INTO direct(user_id, room_id)"
				 " VALUES (?1, ?2)",
	[STORE_SQL_POWER_LEVELS] = "SELECT content FROM state WHERE room_id = ?1"
				   " AND type = 'm.room.power_levels' AND state_key = ''",
	[STORE_SQL_ROOM_ENCRYPTED] = "SELECT 1 FROM state WHERE room_id = ?1"
				     " AND type = 'm.room.encryption' AND state_key = ''",

	[STORE_SQL_ROOM_MAX_SEQ] = "SELECT max(seq) FROM events WHERE room_id = ?1",
	[STORE_SQL_EVENT_EXISTS] = "SELECT 1 FROM events WHERE event_id = ?1",
	[STORE_SQL_ROOM_KNOWN] = "SELECT 1 FROM rooms WHERE room_id = ?1",
	/* What ?2 has not read in room ?1: messages from others after its
	 * read receipt and after its own last message, newest first. */
	[STORE_SQL_UNREAD] =
	    "SELECT " STORE_MSG_COLUMNS " FROM events WHERE room_id = ?1 AND seq > coalesce("
	    /* From the newest back, by the (room_id, seq) index: the mark is
	     * near the end, and the walk stops there. */
	    "(SELECT seq FROM events WHERE room_id = ?1 AND (sender = ?2 OR event_id ="
	    " (SELECT event_id FROM receipts WHERE room_id = ?1 AND user_id = ?2))"
	    " ORDER BY seq DESC LIMIT 1), -9223372036854775807)"
	    " AND sender <> ?2 AND type IN ('m.room.message', 'm.room.encrypted', 'm.sticker')"
	    " AND NOT redacted AND (rel_type IS NULL OR rel_type <> 'm.replace')"
	    " ORDER BY seq DESC LIMIT ?3",
	/* Whether ?2's unread messages in room ?1 may reach past what the
	 * cache holds: its read receipt names an event the cache lacks, it
	 * has no message of its own there, and the room has a gap. */
	[STORE_SQL_UNREAD_REACHES] =
	    "SELECT EXISTS (SELECT 1 FROM receipts r WHERE r.room_id = ?1 AND r.user_id = ?2"
	    " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = r.event_id))"
	    " AND NOT EXISTS (SELECT 1 FROM events WHERE room_id = ?1 AND sender = ?2)"
	    " AND EXISTS (SELECT 1 FROM gaps WHERE room_id = ?1)",
	[STORE_SQL_EVENT_INSERT] =
	    "INSERT INTO events(room_id, seq, event_id, type, sender, state_key, ts,"
	    " content, msgtype, body, formatted_body, url, filename, mimetype, size,"
	    " rel_type, rel_event, key, reply_to, redacts, txn_id, membership, redacted,"
	    " sender_name, indexed, encryption, sender_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
	    " ?24, ?25, ?26, ?27)"
	    " ON CONFLICT(event_id) DO NOTHING",
	[STORE_SQL_EVENT_PENDING] =
	    "SELECT EXISTS (SELECT 1 FROM events WHERE rel_event = ?1"
	    " AND rel_type = 'm.replace'), EXISTS (SELECT 1 FROM events"
	    " WHERE redacts = ?1 AND type = 'm.room.redaction')",
	[STORE_SQL_EVENT_TARGET] = "SELECT id, room_id, sender, type, content, redacted,"
				   " rel_type, rel_event FROM events WHERE event_id = ?1",
	[STORE_SQL_EVENT_SET_EDIT] = "UPDATE events SET new_body = ?2, edited = ?3,"
				     " new_formatted = ?4 WHERE id = ?1 AND (new_body IS NOT ?2"
				     " OR edited <> ?3 OR new_formatted IS NOT ?4)",
	[STORE_SQL_EVENT_REDACT] =
	    "UPDATE events SET redacted = 1, indexed = 0, content = ?2, msgtype = NULL,"
	    " body = NULL, new_body = NULL, new_formatted = NULL, edited = 0,"
	    " formatted_body = NULL, url = NULL,"
	    " filename = NULL, mimetype = NULL, size = -1, key = NULL, reply_to = NULL"
	    " WHERE id = ?1",
	[STORE_SQL_EDIT_LATEST] =
	    "SELECT body, formatted_body FROM events WHERE rel_event = ?1"
	    " AND rel_type = 'm.replace'"
	    " AND room_id = ?2 AND sender = ?3 AND type = ?4 AND redacted = 0"
	    " ORDER BY ts DESC, event_id DESC LIMIT 1",
	[STORE_SQL_REDACTIONS_OF] = "SELECT sender FROM events WHERE redacts = ?1"
				    " AND room_id = ?2 AND type = 'm.room.redaction'",
	[STORE_SQL_ORPHAN_ADD] = "INSERT OR IGNORE INTO orphans(event_id) VALUES (?1)",
	[STORE_SQL_ORPHAN_TAKE] = "DELETE FROM orphans WHERE event_id = ?1",
	[STORE_SQL_ORPHANS_ANY] = "SELECT EXISTS (SELECT 1 FROM orphans)",
	[STORE_SQL_OUTBOX_ECHO] = "UPDATE outbox SET state = 1, event_id = ?3,"
				  " last_error = NULL WHERE txn_id = ?1 AND room_id = ?2",

	[STORE_SQL_ROOMS_LIST] = STORE_ROOM_COLUMNS " ORDER BY r.last_ts DESC, r.room_id",
	[STORE_SQL_ROOM_NAMES] = "SELECT room_id, membership, name, canonical_alias FROM rooms"
				 " ORDER BY last_ts DESC, room_id",
	[STORE_SQL_ROOM_ONE] = STORE_ROOM_COLUMNS " WHERE r.room_id = ?1",
	/* The rooms of the spaces this account is in: each space's
	 * m.space.child. A room's m.space.parent does not count: whoever
	 * may set the room's state could name any space, and the spec's
	 * check (that they may set the space's children) needs who sent it. */
	[STORE_SQL_SPACE_LINKS] =
	    "SELECT space, room FROM (SELECT s.room_id AS space, s.state_key AS room FROM state s"
	    " WHERE s.type = 'm.space.child' AND s.state_key <> '' AND " STORE_SPACE_VIA ")"
	    " WHERE space IN (SELECT r.room_id FROM rooms r WHERE r.membership = 1"
	    " AND " STORE_IS_SPACE("r.room_id") ") AND space <> room ORDER BY space, room",
	[STORE_SQL_HEROES_OF] =
	    "SELECT h.user_id, m.displayname FROM heroes h LEFT JOIN members m"
	    " ON m.room_id = h.room_id AND m.user_id = h.user_id"
	    " WHERE h.room_id = ?1 AND h.user_id IS NOT ?2 ORDER BY h.pos",
	[STORE_SQL_MEMBERS_FIRST] = "SELECT user_id, displayname FROM members"
				    " WHERE room_id = ?1 AND user_id IS NOT ?2"
				    " AND membership IN (1, 2) ORDER BY user_id LIMIT 5",
	[STORE_SQL_MEMBERS_FORMER] = "SELECT user_id, displayname FROM members"
				     " WHERE room_id = ?1 AND user_id IS NOT ?2"
				     " AND membership NOT IN (1, 2) ORDER BY user_id LIMIT 5",
	/* m.direct's room first; else a room of just the two of us (joined
	 * or invited) that is a direct chat by its is_direct or by having no
	 * name, so that one lost from m.direct is not made again. */
	[STORE_SQL_DM_ROOM] =
	    "SELECT room_id, listed FROM (SELECT d.room_id, 1 AS listed,"
	    " coalesce(r.membership = 1, 0) AS joined, coalesce(r.membership = 2, 0) AS invited,"
	    " coalesce(r.last_ts, 0) AS ts FROM direct d LEFT JOIN rooms r"
	    " ON r.room_id = d.room_id WHERE d.user_id = ?1"
	    " UNION ALL SELECT r.room_id, 0, r.membership = 1, r.membership = 2, r.last_ts"
	    " FROM rooms r WHERE r.membership IN (1, 2)"
	    " AND r.room_id NOT IN (SELECT room_id FROM direct)"
	    " AND EXISTS (SELECT 1 FROM members m WHERE m.room_id = r.room_id"
	    " AND m.user_id = ?1 AND m.membership IN (1, 2))"
	    " AND " STORE_ROOM_HEADCOUNT " = 2"
	    " AND (coalesce(r.name, '') = '' AND coalesce(r.canonical_alias, '') = ''"
	    " OR " STORE_MEMBER_IS_DIRECT(STORE_SELF) " OR " STORE_MEMBER_IS_DIRECT("?1") "))"
	    " ORDER BY joined DESC, invited DESC, listed DESC, ts DESC LIMIT 1",
	[STORE_SQL_ALIAS_ROOMS] =
	    "SELECT room_id FROM rooms WHERE canonical_alias = ?1 COLLATE NOCASE UNION"
	    " SELECT s.room_id FROM state s, json_each(CASE WHEN json_valid(s.content)"
	    " THEN s.content ELSE '{}' END, '$.alt_aliases') j"
	    " WHERE s.type = 'm.room.canonical_alias' AND s.state_key = ''"
	    " AND j.type = 'text' AND j.value = ?1 COLLATE NOCASE",
	[STORE_SQL_MEMBERS_LIST] = "SELECT user_id, displayname, membership FROM members"
				   " WHERE room_id = ?1 ORDER BY user_id",
	[STORE_SQL_MEMBERS_NAMING] = "SELECT user_id, displayname FROM members"
				     " WHERE room_id = ?1 AND membership IN (1, 2)"
				     " ORDER BY user_id",

	[STORE_SQL_HISTORY] =
	    "SELECT " STORE_MSG_COLUMNS " FROM events WHERE room_id = ?1 AND seq < ?2"
	    " AND type NOT IN ('m.room.redaction', 'm.reaction')"
	    " AND (rel_type IS NULL OR rel_type NOT IN ('m.replace', 'm.annotation'))"
	    " AND NOT " STORE_IN_CACHED_THREAD " ORDER BY seq DESC LIMIT ?3",
	[STORE_SQL_HISTORY_COUNT] =
	    "SELECT count(*) FROM events WHERE room_id = ?1 AND seq >= ?2"
	    " AND type NOT IN ('m.room.redaction', 'm.reaction')"
	    " AND (rel_type IS NULL OR rel_type NOT IN ('m.replace', 'm.annotation'))"
	    " AND NOT " STORE_IN_CACHED_THREAD,
	[STORE_SQL_MSG_GET] = "SELECT " STORE_MSG_COLUMNS " FROM events WHERE event_id = ?1",
	/* A thread's root and replies, newest first (the root is not in the
	 * thread: a reply naming a reply as its root is listed anyway). */
	[STORE_SQL_THREAD] =
	    "SELECT " STORE_MSG_COLUMNS " FROM events WHERE (event_id = ?1"
	    " OR (rel_event = ?1 AND rel_type = 'm.thread'))"
	    " AND type NOT IN ('m.room.redaction', 'm.reaction') ORDER BY seq DESC LIMIT ?2",
	/* How many replies a root has, and the newest of them. */
	[STORE_SQL_THREAD_SUMMARY] =
	    "SELECT count(*) OVER (), sender, coalesce(new_body, body), ts FROM events"
	    " WHERE rel_event = ?1 AND rel_type = 'm.thread' AND room_id = ?2"
	    " AND type <> 'm.reaction' AND redacted = 0 ORDER BY seq DESC LIMIT 1",
	[STORE_SQL_THREAD_LATEST] =
	    "SELECT event_id FROM events WHERE (event_id = ?1 OR (rel_event = ?1"
	    " AND rel_type = 'm.thread')) AND type NOT IN ('m.room.redaction', 'm.reaction')"
	    " AND redacted = 0 ORDER BY seq DESC LIMIT 1",
	[STORE_SQL_REACTIONS] =
	    "SELECT key, count(DISTINCT sender) AS n FROM events WHERE rel_event = ?1"
	    " AND room_id = ?2 AND rel_type = 'm.annotation' AND redacted = 0"
	    " AND key IS NOT NULL GROUP BY key ORDER BY n DESC, min(seq)",
	[STORE_SQL_RECEIPTS_LIST] = "SELECT user_id, event_id, ts FROM receipts"
				    " WHERE room_id = ?1 ORDER BY ts DESC, user_id",

	[STORE_SQL_GAP_PUT] = "INSERT INTO gaps(room_id, before_seq, token) VALUES (?1, ?2, ?3)"
			      " ON CONFLICT(room_id, before_seq) DO UPDATE"
			      " SET token = excluded.token",
	[STORE_SQL_GAP_NEWEST] = "SELECT before_seq, token FROM gaps WHERE room_id = ?1"
				 " ORDER BY before_seq DESC LIMIT 1",
	[STORE_SQL_GAP_GET] = "SELECT token FROM gaps WHERE room_id = ?1 AND before_seq = ?2",
	[STORE_SQL_GAP_FLOOR] = "SELECT max(seq) FROM events WHERE room_id = ?1"
				" AND seq < ?2",
	[STORE_SQL_GAP_DELETE] = "DELETE FROM gaps WHERE room_id = ?1 AND before_seq = ?2",
	[STORE_SQL_GAP_MOVE] = "UPDATE gaps SET before_seq = ?3, token = ?4"
			       " WHERE room_id = ?1 AND before_seq = ?2",
	/* Each gap with the times of the cached events on either side. */
	[STORE_SQL_GAP_LIST] =
	    "SELECT g.before_seq,"
	    " (SELECT ts FROM events e WHERE e.room_id = g.room_id AND e.seq < g.before_seq"
	    "  ORDER BY e.seq DESC LIMIT 1),"
	    " (SELECT ts FROM events e WHERE e.room_id = g.room_id AND e.seq >= g.before_seq"
	    "  ORDER BY e.seq LIMIT 1)"
	    " FROM gaps g WHERE g.room_id = ?1 ORDER BY g.before_seq DESC",
	[STORE_SQL_GAP_ROOMS] = "SELECT count(DISTINCT g.room_id) FROM gaps g"
				" JOIN rooms r ON r.room_id = g.room_id"
				" WHERE r.membership = ?1 AND (?2 IS NULL OR g.room_id = ?2)",

	[STORE_SQL_OUTBOX_ADD] = "INSERT INTO outbox(room_id, txn_id, type, content,"
				 " created_ts, state, due_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_SQL_OUTBOX_LIST] =
	    STORE_OUTBOX_ROWS
	    " WHERE (?1 IS NULL OR room_id = ?1)"
	    " AND (state = 0 OR (?2 AND state = 2)) ORDER BY id",
	/* What the pane shows after the room's messages: rows not yet sent,
	 * and those sent since ?2 whose event has not come back. */
	[STORE_SQL_OUTBOX_SHOWN] =
	    STORE_OUTBOX_ROWS
	    " WHERE room_id = ?1 AND (state IN (0, 2) OR " STORE_OUTBOX_UNECHOED ") ORDER BY id",
	/* The newest message of the room (not an edit; with ?3, not a file)
	 * that the outbox has not seen come back: not sent yet, or sent
	 * since ?2. */
	[STORE_SQL_OUTBOX_NEWEST] =
	    STORE_OUTBOX_ROWS
	    " WHERE room_id = ?1 AND type = 'm.room.message'"
	    " AND json_extract(content, '$.\"m.new_content\"') IS NULL"
	    " AND (NOT ?3 OR json_extract(content, '$.url') IS NULL)"
	    " AND (state = 0 OR " STORE_OUTBOX_UNECHOED ") ORDER BY id DESC LIMIT 1",
	/* A message of ours in the room since ?3 with the text of outbox
	 * content ?4: the copy a homeserver sent of a delayed event. */
	[STORE_SQL_OUTBOX_COPY] =
	    "SELECT event_id FROM events WHERE room_id = ?1 AND sender = ?2"
	    " AND type = 'm.room.message' AND ts >= ?3 AND redacted = 0"
	    " AND body IS json_extract(?4, '$.body')"
	    " AND msgtype IS json_extract(?4, '$.msgtype') ORDER BY seq LIMIT 1",
	[STORE_SQL_OUTBOX_GET] =
	    STORE_OUTBOX_ROWS
	    " WHERE id = ?1",
	[STORE_SQL_OUTBOX_ATTEMPT] = "UPDATE outbox SET attempts = attempts + 1,"
				     " last_error = ?2, next_ts = ?3 WHERE id = ?1",
	[STORE_SQL_OUTBOX_SENT] = "UPDATE outbox SET state = 1, event_id = ?2,"
				  " last_error = NULL, next_ts = 0 WHERE id = ?1",
	[STORE_SQL_OUTBOX_FAILED] = "UPDATE outbox SET state = 2, last_error = ?2,"
				    " next_ts = 0 WHERE id = ?1",
	[STORE_SQL_OUTBOX_RETRY] = "UPDATE outbox SET state = 0, last_error = ?2,"
				   " next_ts = 0 WHERE id = ?1 AND state = 2",
	[STORE_SQL_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
	/* What the server holds is listed until its time: then it has gone. */
	[STORE_SQL_OUTBOX_SCHEDULED] =
	    STORE_OUTBOX_ROWS
	    " WHERE (?1 IS NULL OR room_id = ?1) AND (state = 3 OR (state = 4 AND due_ts > ?2))"
	    " ORDER BY due_ts, id",
	[STORE_SQL_OUTBOX_HELD] = "UPDATE outbox SET state = 4, delay_id = ?2, last_error = NULL"
				  " WHERE id = ?1 AND (state = 3 OR (state = 4 AND delay_id = ?2))",
	/* '' marks a row being handed to the server: not for the sender. */
	[STORE_SQL_OUTBOX_HANDING] = "UPDATE outbox SET delay_id = '' WHERE id = ?1 AND state = 3",
	/* One statement, so one transaction: of two natters only one moves a
	 * row, and the row's txn_id keeps a second attempt from doubling it. */
	[STORE_SQL_OUTBOX_CLAIM] = "UPDATE outbox SET state = 0 WHERE state = 3 AND due_ts <= ?1"
				   " AND delay_id IS NULL",
	/* What the homeserver held went at its time (its event carries no
	 * txnId to match): sent, like a row whose echo came. */
	[STORE_SQL_OUTBOX_GONE] = "UPDATE outbox SET state = 1 WHERE state = 4 AND due_ts <= ?1",
	[STORE_SQL_OUTBOX_NEXT_DUE] = "SELECT min(due_ts) FROM outbox WHERE state = 3"
				      " AND delay_id IS NULL",
	[STORE_SQL_OUTBOX_UNSCHEDULE] = "DELETE FROM outbox WHERE id = ?1 AND (state = 3"
					" OR (state = 4 AND delay_id IS ?2))",
	[STORE_SQL_OUTBOX_RESCHEDULE] = "UPDATE outbox SET state = 3, delay_id = NULL,"
					" due_ts = ?2, content = ?3, txn_id = ?4, last_error = ?5"
					" WHERE id = ?1 AND (state = 3 OR (state = 4"
					" AND delay_id IS ?6))",
	[STORE_SQL_OUTBOX_NOTE] = "UPDATE outbox SET last_error = ?2,"
				  " delay_id = CASE WHEN state = 3 THEN NULL ELSE delay_id END"
				  " WHERE id = ?1",

	/* The index drives: matches newest first within the rows ?10 to ?11,
	 * those of the set ?12 (see store-search.c) alone, filtered as they
	 * come; natter_in is tested before the row of events is read. */
	[STORE_SQL_SEARCH_MATCH] =
	    "SELECT e.id, e.ts, natter_rank(events_fts), e.event_id"
	    " FROM events_fts CROSS JOIN events e ON e.id = events_fts.rowid"
	    " WHERE events_fts MATCH ?1 AND events_fts.rowid BETWEEN ?10 AND ?11"
	    " AND natter_in(?12, events_fts.rowid)"
	    STORE_SEARCH_FILTERS " ORDER BY events_fts.rowid DESC LIMIT ?9",
	/* The same without words, when tags (store-search.c) narrow the search. */
	[STORE_SQL_SEARCH_TAGGED] =
	    "SELECT e.id, e.ts, 0.0, e.event_id"
	    " FROM events_fts CROSS JOIN events e ON e.id = events_fts.rowid"
	    " WHERE events_fts MATCH ?1 AND events_fts.rowid BETWEEN ?10 AND ?11"
	    " AND natter_in(?12, events_fts.rowid)"
	    STORE_SEARCH_FILTERS " ORDER BY events_fts.rowid DESC LIMIT ?9",
	/* Without words, newest first below row ?1; store-search.c leaves out
	 * the rows of STORE_SQL_SEARCH_EXCLUDED as they come. */
	[STORE_SQL_SEARCH_LIST] =
	    "SELECT e.id, e.ts, 0.0, e.event_id FROM events e WHERE e.indexed"
	    " AND e.id < ?1 AND e.id BETWEEN ?10 AND ?11" STORE_SEARCH_FILTERS
	    " ORDER BY e.id DESC LIMIT ?9",
	/* Without words, one row of a set, if the filters keep it. */
	[STORE_SQL_SEARCH_ROW] =
	    "SELECT e.id, e.ts, 0.0, e.event_id FROM events e WHERE e.id = ?1 AND e.indexed"
	    STORE_SEARCH_FILTERS,
	[STORE_SQL_SEARCH_EXCLUDED] = "SELECT rowid FROM events_fts WHERE events_fts MATCH "
				      STORE_FTS_WORDS("?1") " ORDER BY rowid DESC",
	/* The tags of the ids in the JSON array ?1, each ?2 followed by the
	 * id in hex (as events_text makes them), OR-ed, and how many. */
	[STORE_SQL_SEARCH_TAGS] =
	    "SELECT count(*), group_concat('\"' || ?2 || hex(value) || '\"', ' OR ')"
	    " FROM json_each(?1)",
	/* The words of the index, one row a use of a word: unlike a row a
	 * word, which counts them all, this reads no more than it returns. */
	[STORE_SQL_SEARCH_TERMS_TABLE] = "CREATE VIRTUAL TABLE IF NOT EXISTS"
					 " temp.events_fts_terms USING fts5vocab(main,"
					 " events_fts, instance)",
	/* The first word from ?1 on, if it is before ?2. */
	[STORE_SQL_SEARCH_COMPLETION] =
	    "SELECT term FROM temp.events_fts_terms WHERE term >= ?1 AND term < ?2 LIMIT 1",
	/* The rows one filter keeps, from an index, at most ?2 of them. */
	[STORE_SQL_SEARCH_IDS_ROOMS] =
	    "SELECT id FROM events WHERE room_id IN (SELECT value FROM json_each(?1)) LIMIT ?2",
	[STORE_SQL_SEARCH_IDS_DAYS] =
	    "SELECT id FROM events WHERE indexed AND ts >= ?1 AND ts < ?3 LIMIT ?2",
	/* The times of the first and last messages and a row count, cheaply:
	 * how many rows a range of days may hold. */
	[STORE_SQL_SEARCH_SPAN] =
	    "SELECT (SELECT min(ts) FROM events WHERE indexed),"
	    " (SELECT max(ts) FROM events WHERE indexed), (SELECT max(id) FROM events)",
	[STORE_SQL_SEARCH_DM_ROOMS] = "SELECT json_group_array(DISTINCT room_id) FROM direct",
	[STORE_SQL_SEARCH_NAMES] =
	    "SELECT DISTINCT n.user_id FROM names_fts JOIN names n ON n.id = names_fts.rowid"
	    " WHERE names_fts MATCH ?1 ORDER BY n.user_id LIMIT ?2",

	[STORE_SQL_CRYPTO_ACCOUNT_GET] = "SELECT pickle FROM crypto_account WHERE id = 1",
	[STORE_SQL_CRYPTO_ACCOUNT_PUT] =
	    "INSERT INTO crypto_account(id, pickle) VALUES (1, ?1)"
	    " ON CONFLICT(id) DO UPDATE SET pickle = excluded.pickle",
	[STORE_SQL_CRYPTO_OLM_OF] = "SELECT session_id, pickle FROM crypto_olm WHERE their_key = ?1"
				    " ORDER BY used_ms DESC, session_id",
	[STORE_SQL_CRYPTO_OLM_PUT] =
	    "INSERT INTO crypto_olm(session_id, their_key, pickle, used_ms) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(session_id) DO UPDATE SET pickle = excluded.pickle,"
	    " used_ms = excluded.used_ms",
	[STORE_SQL_CRYPTO_IN_GET] =
	    "SELECT room_id, sender_ed25519, first_index, pickle, forwarded FROM crypto_megolm_in"
	    " WHERE session_id = ?1 AND sender_key = ?2",
	[STORE_SQL_CRYPTO_IN_ALL] =
	    "SELECT session_id, sender_key, room_id, sender_ed25519, first_index, pickle, forwarded"
	    " FROM crypto_megolm_in ORDER BY room_id, session_id",
	/* A key that reaches further back replaces one that does not; the
	 * sender's own key replaces a forwarded one that reaches as far. */
	[STORE_SQL_CRYPTO_IN_PUT] =
	    "INSERT INTO crypto_megolm_in(session_id, sender_key, room_id, sender_ed25519,"
	    " first_index, pickle, forwarded) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(session_id, sender_key) DO UPDATE SET pickle = excluded.pickle,"
	    " first_index = excluded.first_index, forwarded = excluded.forwarded,"
	    " sender_ed25519 = excluded.sender_ed25519, backed_up = 0"
	    " WHERE excluded.first_index < first_index OR (excluded.first_index = first_index"
	    " AND excluded.forwarded < forwarded)",
	[STORE_SQL_CRYPTO_SEEN_GET] =
	    "SELECT event_id, ts FROM crypto_megolm_seen WHERE session_id = ?1 AND sender_key = ?2"
	    " AND msg_index = ?3",
	[STORE_SQL_CRYPTO_SEEN_PUT] =
	    "INSERT OR REPLACE INTO crypto_megolm_seen(session_id, sender_key, msg_index, event_id,"
	    " ts) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STORE_SQL_CRYPTO_OUT_GET] =
	    "SELECT session_id, pickle, created_ms, messages FROM crypto_megolm_out"
	    " WHERE room_id = ?1",
	[STORE_SQL_CRYPTO_OUT_PUT] =
	    "INSERT INTO crypto_megolm_out(room_id, session_id, pickle, created_ms, messages)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(room_id) DO UPDATE SET"
	    " session_id = excluded.session_id, pickle = excluded.pickle,"
	    " created_ms = excluded.created_ms, messages = excluded.messages",
	[STORE_SQL_CRYPTO_OUT_DROP] = "DELETE FROM crypto_megolm_out WHERE room_id = ?1",
	[STORE_SQL_CRYPTO_SHARED_GET] =
	    "SELECT withheld FROM crypto_megolm_shared WHERE room_id = ?1 AND session_id = ?2"
	    " AND user_id = ?3 AND device_id = ?4",
	[STORE_SQL_CRYPTO_SHARED_PUT] =
	    "INSERT INTO crypto_megolm_shared(room_id, session_id, user_id, device_id, withheld)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(room_id, session_id, user_id, device_id)"
	    " DO UPDATE SET withheld = excluded.withheld",
	[STORE_SQL_CRYPTO_WITHHELD_PUT] =
	    "INSERT INTO crypto_withheld(session_id, sender_key, why) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT(session_id, sender_key) DO UPDATE SET why = excluded.why",
	[STORE_SQL_CRYPTO_WITHHELD_MARK] =
	    "UPDATE events SET encryption = ?3 WHERE event_id IN (SELECT event_id FROM"
	    " crypto_pending WHERE session_id = ?1 AND sender_key = ?2)",
	/* Messages left to decrypt later whose key is not here after all:
	 * they say they wait for it (or why it was withheld). */
	[STORE_SQL_CRYPTO_PENDING_KEYLESS] =
	    "UPDATE events SET encryption = COALESCE((SELECT w.why FROM crypto_pending p"
	    " JOIN crypto_withheld w ON w.session_id = p.session_id AND w.sender_key = p.sender_key"
	    " WHERE p.event_id = events.event_id), ?2) WHERE encryption = ?1 AND event_id IN"
	    " (SELECT p.event_id FROM crypto_pending p WHERE NOT EXISTS (SELECT 1 FROM"
	    " crypto_megolm_in i WHERE i.session_id = p.session_id AND i.sender_key = p.sender_key))"
	    " RETURNING room_id, event_id, sender",
	[STORE_SQL_CRYPTO_WITHHELD_GET] =
	    "SELECT why FROM crypto_withheld WHERE session_id = ?1 AND sender_key = ?2",
	[STORE_SQL_CRYPTO_DEVICES_OF] =
	    "SELECT " STORE_DEVICE_COLUMNS " FROM crypto_devices WHERE user_id = ?1 ORDER BY device_id",
	[STORE_SQL_CRYPTO_DEVICE_BY_KEY] =
	    "SELECT " STORE_DEVICE_COLUMNS " FROM crypto_devices WHERE curve25519 = ?1"
	    " ORDER BY user_id, device_id LIMIT 1",
	[STORE_SQL_CRYPTO_DEVICES_DROP] = "DELETE FROM crypto_devices WHERE user_id = ?1",
	/* A device whose keys changed under the same id is a new device:
	 * the trust given to the old keys does not carry over. */
	[STORE_SQL_CRYPTO_DEVICE_PUT] =
	    "INSERT INTO crypto_devices(user_id, device_id, curve25519, ed25519, display_name,"
	    " trust, cross_signed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(user_id, device_id) DO UPDATE SET"
	    " display_name = excluded.display_name, cross_signed = excluded.cross_signed,"
	    " trust = CASE WHEN curve25519 = excluded.curve25519"
	    " AND ed25519 = excluded.ed25519 THEN trust ELSE excluded.trust END,"
	    " curve25519 = excluded.curve25519, ed25519 = excluded.ed25519",
	[STORE_SQL_CRYPTO_USER_MARK] =
	    "INSERT INTO crypto_users(user_id, outdated) VALUES (?1, ?2)"
	    " ON CONFLICT(user_id) DO UPDATE SET outdated = excluded.outdated",
	[STORE_SQL_CRYPTO_USERS_OUTDATED] =
	    "SELECT user_id FROM crypto_users WHERE outdated ORDER BY user_id",
	[STORE_SQL_CRYPTO_USER_FORGET] = "DELETE FROM crypto_users WHERE user_id = ?1",
	[STORE_SQL_CRYPTO_MASTER_GET] = "SELECT master FROM crypto_users WHERE user_id = ?1",
	[STORE_SQL_CRYPTO_MASTER_PUT] =
	    "INSERT INTO crypto_users(user_id, master) VALUES (?1, ?2)"
	    " ON CONFLICT(user_id) DO UPDATE SET master = excluded.master",
	[STORE_SQL_CRYPTO_MASTER_SEEN] =
	    "INSERT INTO crypto_users(user_id, master_seen) VALUES (?1, ?2)"
	    " ON CONFLICT(user_id) DO UPDATE SET master_seen = excluded.master_seen",
	[STORE_SQL_CRYPTO_MASTER_ACCEPT] =
	    "UPDATE crypto_users SET master = master_seen WHERE user_id = ?1"
	    " AND master_seen IS NOT NULL AND master IS NOT master_seen",
	[STORE_SQL_CRYPTO_USER_VERIFIED] =
	    "INSERT INTO crypto_users(user_id, master, master_seen, verified_master)"
	    " VALUES (?1, ?2, ?2, ?2) ON CONFLICT(user_id) DO UPDATE SET master = excluded.master,"
	    " master_seen = excluded.master_seen, verified_master = excluded.verified_master",
	[STORE_SQL_CRYPTO_SECRET_GET] = "SELECT sealed FROM crypto_secrets WHERE name = ?1",
	[STORE_SQL_CRYPTO_SECRET_PUT] =
	    "INSERT OR REPLACE INTO crypto_secrets(name, sealed) VALUES (?1, ?2)",
	/* Room keys the key backup lacks, and marking one there: only when
	 * it is still the copy that was sent (a better one may have come in
	 * the meantime, and goes next). */
	[STORE_SQL_CRYPTO_IN_UNBACKED] =
	    "SELECT session_id, sender_key, room_id, sender_ed25519, first_index, pickle, forwarded"
	    " FROM crypto_megolm_in WHERE backed_up = 0 LIMIT ?1",
	[STORE_SQL_CRYPTO_IN_BACKED] =
	    "UPDATE crypto_megolm_in SET backed_up = 1 WHERE session_id = ?1 AND sender_key = ?2"
	    " AND pickle = ?3",
	[STORE_SQL_CRYPTO_IN_UNBACK] = "UPDATE crypto_megolm_in SET backed_up = 0",
	/* Who may read a room's next message: its joined members, and the
	 * invited ones unless history is only for those who joined. */
	[STORE_SQL_CRYPTO_READERS] =
	    "SELECT user_id FROM members WHERE room_id = ?1 AND (membership = 1"
	    " OR (membership = 2 AND coalesce((SELECT json_extract(content,"
	    " '$.history_visibility') FROM state WHERE room_id = ?1"
	    " AND type = 'm.room.history_visibility' AND state_key = ''), 'shared')"
	    " <> 'joined')) ORDER BY user_id",
	[STORE_SQL_CRYPTO_ROTATION] =
	    "SELECT json_extract(content, '$.rotation_period_ms'),"
	    " json_extract(content, '$.rotation_period_msgs') FROM state"
	    " WHERE room_id = ?1 AND type = 'm.room.encryption' AND state_key = ''",
	[STORE_SQL_CRYPTO_PENDING_PUT] =
	    "INSERT INTO crypto_pending(event_id, room_id, session_id, sender_key,"
	    " ciphertext, msg_index) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT(event_id) DO UPDATE SET msg_index = excluded.msg_index",
	[STORE_SQL_CRYPTO_PENDING_OF] =
	    "SELECT p.event_id, p.room_id, p.ciphertext, e.sender, e.ts, e.txn_id, p.session_id,"
	    " p.sender_key, e.encryption FROM crypto_pending p JOIN events e"
	    " ON e.event_id = p.event_id"
	    " WHERE p.session_id = ?1 AND p.sender_key = ?2 ORDER BY e.room_id, e.seq",
	/* Waiting messages whose key is here: the room in view first, then
	 * the newest, as a reader would want them. */
	/* Every waiting message whose key is here, in the order to read them:
	 * one query for a whole drain, which then takes them by id. */
	[STORE_SQL_CRYPTO_PENDING_READY] =
	    "SELECT p.event_id FROM crypto_pending p JOIN events e ON e.event_id = p.event_id"
	    " WHERE EXISTS (SELECT 1 FROM crypto_megolm_in i WHERE i.session_id = p.session_id"
	    " AND i.sender_key = p.sender_key AND (p.msg_index < 0 OR i.first_index <= p.msg_index))"
	    " ORDER BY p.room_id IS ?1 DESC, e.ts DESC, e.seq DESC",
	[STORE_SQL_CRYPTO_PENDING_GET] =
	    "SELECT p.event_id, p.room_id, p.ciphertext, e.sender, e.ts, e.txn_id, p.session_id,"
	    " p.sender_key, e.encryption FROM crypto_pending p JOIN events e"
	    " ON e.event_id = p.event_id WHERE p.event_id = ?1",
	[STORE_SQL_CRYPTO_PENDING_REFUSED] =
	    "UPDATE events SET encryption = ?2 WHERE event_id = ?1",
	[STORE_SQL_CRYPTO_PENDING_DROP] = "DELETE FROM crypto_pending WHERE event_id = ?1",
	/* Sessions messages wait for that no request was sent for yet. */
	[STORE_SQL_CRYPTO_REQUESTS_DUE] =
	    "SELECT DISTINCT p.session_id, p.sender_key, p.room_id FROM crypto_pending p"
	    " WHERE NOT EXISTS (SELECT 1 FROM crypto_requests r WHERE"
	    " r.session_id = p.session_id AND r.sender_key = p.sender_key)"
	    " AND NOT EXISTS (SELECT 1 FROM crypto_megolm_in i WHERE"
	    " i.session_id = p.session_id AND i.sender_key = p.sender_key)"
	    " ORDER BY p.room_id, p.session_id",
	/* Requests whose key came since, from whoever. */
	[STORE_SQL_CRYPTO_REQUESTS_MET] =
	    "SELECT r.session_id, r.sender_key, r.room_id, r.request_id, r.sent_ms"
	    " FROM crypto_requests r WHERE EXISTS (SELECT 1 FROM crypto_megolm_in i WHERE"
	    " i.session_id = r.session_id AND i.sender_key = r.sender_key)"
	    " ORDER BY r.sent_ms",
	[STORE_SQL_CRYPTO_REQUEST_PUT] =
	    "INSERT OR REPLACE INTO crypto_requests(session_id, sender_key, room_id, request_id,"
	    " sent_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STORE_SQL_CRYPTO_REQUEST_GET] =
	    "SELECT room_id, request_id, sent_ms FROM crypto_requests"
	    " WHERE session_id = ?1 AND sender_key = ?2",
	[STORE_SQL_CRYPTO_REQUEST_DROP] =
	    "DELETE FROM crypto_requests WHERE session_id = ?1 AND sender_key = ?2",
	[STORE_SQL_CRYPTO_INCOMING_PUT] =
	    "INSERT OR REPLACE INTO crypto_incoming(device_id, request_id, room_id, sender_key,"
	    " session_id, algorithm, heard_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STORE_SQL_CRYPTO_INCOMING_DROP] =
	    "DELETE FROM crypto_incoming WHERE device_id = ?1 AND request_id = ?2",
	[STORE_SQL_CRYPTO_INCOMING_ALL] =
	    "SELECT device_id, request_id, room_id, sender_key, session_id, algorithm, heard_ms"
	    " FROM crypto_incoming ORDER BY heard_ms",
	[STORE_SQL_CRYPTO_DEVICE_GET] =
	    "SELECT " STORE_DEVICE_COLUMNS " FROM crypto_devices WHERE user_id = ?1 AND device_id = ?2",
	[STORE_SQL_CRYPTO_DEVICE_TRUST] =
	    "UPDATE crypto_devices SET trust = ?3 WHERE user_id = ?1 AND device_id = ?2",
	[STORE_SQL_CRYPTO_EVENT_ROW] = "SELECT id, seq, indexed, rel_type, rel_event FROM events"
				       " WHERE event_id = ?1",
	[STORE_SQL_CRYPTO_EVENT_DELETE] = "DELETE FROM events WHERE id = ?1",

	[STORE_SQL_BCAST_ADD] = "INSERT INTO broadcasts(created_ts, body) VALUES (?1, ?2)",
	[STORE_SQL_BCAST_TARGET_ADD] =
	    "INSERT INTO broadcast_targets(broadcast_id, pos, target, room_id, outbox_id, error)"
	    " SELECT ?1, coalesce(max(pos) + 1, 0), ?2, ?3, ?4, ?5 FROM broadcast_targets"
	    " WHERE broadcast_id = ?1",
	/* Newest first (?1 NULL), or one; with how many targets each had and
	 * how many of their copies the server took. */
	[STORE_SQL_BCAST_LIST] =
	    "SELECT b.id, b.created_ts, b.body, count(t.pos),"
	    " count(CASE WHEN o.state = 1 THEN 1 END) FROM broadcasts b"
	    " LEFT JOIN broadcast_targets t ON t.broadcast_id = b.id"
	    " LEFT JOIN outbox o ON o.id = t.outbox_id"
	    " WHERE ?1 IS NULL OR b.id = ?1 GROUP BY b.id ORDER BY b.id DESC",
	/* Each target with its copy: not queued (error), gone from the
	 * outbox (outbox_id, no row), queued, sent or refused. */
	[STORE_SQL_BCAST_TARGETS] =
	    "SELECT t.target, t.room_id, t.error, t.outbox_id, o.id, o.state, o.event_id,"
	    " o.last_error, o.created_ts, e.ts, e.seq, coalesce(r.name, r.canonical_alias)"
	    " FROM broadcast_targets t LEFT JOIN outbox o ON o.id = t.outbox_id"
	    " LEFT JOIN events e ON e.event_id = o.event_id AND e.room_id = t.room_id"
	    " LEFT JOIN rooms r ON r.room_id = t.room_id"
	    " WHERE t.broadcast_id = ?1 ORDER BY t.pos",
	/* The people a room's copy went to: the other person of a direct
	 * chat (as m.direct has it), else each joined member but the user. */
	[STORE_SQL_BCAST_PEOPLE] =
	    "SELECT u.user_id, m.displayname, u.direct FROM ("
	    " SELECT user_id, 1 AS direct FROM direct WHERE room_id = ?1 AND user_id <> ?2"
	    " UNION ALL SELECT user_id, 0 FROM members WHERE room_id = ?1 AND membership = ?3"
	    " AND user_id <> ?2 AND NOT EXISTS (SELECT 1 FROM direct WHERE room_id = ?1"
	    " AND user_id <> ?2)) u"
	    " LEFT JOIN members m ON m.room_id = ?1 AND m.user_id = u.user_id ORDER BY u.user_id",
	/* A receipt on the copy (seq ?3) or on a later event of its room. */
	[STORE_SQL_BCAST_READ] =
	    "SELECT r.event_id, r.ts FROM receipts r JOIN events e ON e.event_id = r.event_id"
	    " WHERE r.room_id = ?1 AND r.user_id = ?2 AND e.room_id = ?1 AND e.seq >= ?3",
	/* The person's first message after the copy: not an edit, not deleted. */
	[STORE_SQL_BCAST_REPLY] =
	    "SELECT event_id, ts, coalesce(new_body, body) FROM events"
	    " WHERE room_id = ?1 AND seq > ?3 AND sender = ?2 AND type = 'm.room.message'"
	    " AND (rel_type IS NULL OR rel_type <> 'm.replace') AND redacted = 0"
	    " ORDER BY seq LIMIT 1",
	/* The user's messages that may ask something, sent between ?3 and
	 * ?2, in rooms they are in (?4); store-waiting.c reads the rest. */
	[STORE_SQL_WAIT_ASKED] =
	    "SELECT e.room_id, e.event_id, e.seq, e.ts, coalesce(e.new_body, e.body) FROM events e"
	    " JOIN rooms r ON r.room_id = e.room_id WHERE e.sender = ?1"
	    " AND e.type = 'm.room.message' AND (e.rel_type IS NULL OR e.rel_type <> 'm.replace')"
	    " AND e.redacted = 0 AND e.ts <= ?2 AND e.ts >= ?3 AND r.membership = ?4"
	    " AND instr(coalesce(e.new_body, e.body), '?') > 0 ORDER BY e.ts",
	/* A message the user flagged, once sent before ?3. */
	[STORE_SQL_WAIT_ONE] =
	    "SELECT e.room_id, e.event_id, e.seq, e.ts, coalesce(e.new_body, e.body) FROM events e"
	    " WHERE e.event_id = ?1 AND e.sender = ?2 AND e.ts <= ?3 AND e.redacted = 0",
	[STORE_SQL_WAIT_MENTIONS] =
	    "SELECT j.value FROM events e, json_each(CASE WHEN json_valid(e.content)"
	    " THEN e.content ELSE '{}' END, '$.\"m.mentions\".user_ids') j"
	    " WHERE e.event_id = ?1 AND j.type = 'text'",
};
