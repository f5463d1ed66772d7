/* event: the data that a /sync or /messages response delivers, checked
 * and flattened by the matrix module's parser and written by the store.
 * Every string here has been type-checked, is valid UTF-8 without NUL,
 * and is owned by the struct that holds it. */
#ifndef NATTER_EVENT_H
#define NATTER_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum mx_membership {
	MX_MEMBERSHIP_NONE = 0,
	MX_MEMBERSHIP_JOIN,
	MX_MEMBERSHIP_INVITE,
	MX_MEMBERSHIP_LEAVE,
	MX_MEMBERSHIP_BAN,
	MX_MEMBERSHIP_KNOCK,
};

/* One room event (timeline or state). Fields that do not apply are NULL. */
struct mx_event {
	char *event_id;		/* never NULL */
	char *type;		/* never NULL */
	char *sender;		/* never NULL */
	char *state_key;	/* NULL unless a state event */
	int64_t ts;		/* origin_server_ts in ms; 0 when absent or impossible */
	char *content;		/* the content object as compact JSON; "{}" when absent;
				 * NULL when content_plain */
	int content_plain;	/* content is exactly {msgtype, body}: the fields say it all */
	char *txn_id;		/* unsigned.transaction_id: the echo of our own send */
	int redacted;		/* unsigned.redacted_because present, or content emptied */

	/* m.room.message (and m.sticker): */
	char *msgtype;		/* m.text, m.emote, m.notice, m.file, m.image, ... */
	char *body;		/* display text; for an edit, the new text */
	char *formatted_body;	/* HTML, only when format is org.matrix.custom.html */
	char *url;		/* mxc:// URI of media, validated (server/id safe) */
	char *filename;		/* content.filename, else body for media */
	char *mimetype;		/* content.info.mimetype */
	int64_t size;		/* content.info.size; -1 when absent */

	/* m.relates_to */
	char *rel_type;		/* m.replace, m.annotation, m.thread, m.reference */
	char *rel_event;	/* the event it relates to */
	char *key;		/* annotation key (the reaction) */
	char *reply_to;		/* m.in_reply_to.event_id */

	/* m.room.redaction */
	char *redacts;		/* top-level redacts, else content.redacts */

	/* m.room.encrypted in a room (Megolm) */
	char *algorithm;	/* m.megolm.v1.aes-sha2, ... */
	char *sender_key;	/* the sender's Curve25519 key, as it says */
	char *session_id;
	char *ciphertext;	/* base64 */
	char *device_id;	/* the sending device, as it says */
	/* What the core learned of an event that came encrypted (not the
	 * parser's): "ok" once decrypted, else why it cannot be read (yet);
	 * NULL for an event sent in clear. */
	char *encryption;

	/* state: m.room.member / name / topic / canonical_alias */
	enum mx_membership membership;	/* m.room.member */
	char *displayname;	/* m.room.member content.displayname */
	char *name;		/* m.room.name */
	char *topic;		/* m.room.topic */
	char *alias;		/* m.room.canonical_alias content.alias */
};

struct mx_receipt {
	char *event_id;
	char *user_id;
	int64_t ts;
};

/* What a sync says about one room. */
struct mx_room_update {
	char *room_id;
	enum mx_membership membership;	/* JOIN, INVITE or LEAVE section */

	struct mx_event *state;		/* state, or invite_state for invites */
	size_t n_state;
	struct mx_event *timeline;	/* oldest first */
	size_t n_timeline;
	int limited;
	char *prev_batch;

	int64_t notification_count;	/* -1 when absent */
	int64_t highlight_count;	/* -1 when absent */

	char **heroes;			/* summary m.heroes, user ids */
	size_t n_heroes;
	int64_t joined_count;		/* -1 when absent */
	int64_t invited_count;		/* -1 when absent */

	struct mx_receipt *receipts;	/* m.read receipts */
	size_t n_receipts;

	int has_typing;
	char **typing;			/* user ids typing now */
	size_t n_typing;

	int has_tags;			/* m.tag account data present */
	int favourite;
	int lowpriority;

	/* Simplified sliding sync: the timeline reaches back past events an
	 * earlier answer sent (the room's timeline limit grew). */
	int expanded;
	/* Sliding sync: the timeline's newest n_live events happened since
	 * the last answer, the rest is history; -1 when not said. */
	int64_t n_live;
};

/* An Olm message to one of the recipient's devices, by its identity key. */
struct mx_olm_ciphertext {
	char *recipient_key;	/* Curve25519, base64 */
	int type;		/* 0 pre-key, 1 normal */
	char *body;		/* base64 */
};

/* A to-device event. For m.room.encrypted with the Olm algorithm the
 * ciphertexts are read out; content is the JSON either way. */
struct mx_to_device {
	char *type;
	char *sender;
	char *content;
	char *algorithm;
	char *sender_key;
	struct mx_olm_ciphertext *ciphertexts;
	size_t n_ciphertexts;
};

/* natter's reminders and flagged messages, in the account's data. */
#define MX_REMINDERS_TYPE "org.natter.reminders"

/* One entry of the m.direct account data: a DM room with a user. */
struct mx_direct {
	char *user_id;
	char *room_id;
};

struct mx_sync {
	char *next_batch;		/* never NULL */
	struct mx_room_update *rooms;
	size_t n_rooms;
	int has_direct;			/* m.direct present: replaces the old map */
	struct mx_direct *direct;
	size_t n_direct;
	char *reminders;		/* MX_REMINDERS_TYPE's content (JSON), or NULL */
	size_t n_skipped;		/* malformed events left out */

	struct mx_to_device *to_device;	/* oldest first */
	size_t n_to_device;
	char **devices_changed;		/* users whose devices changed */
	size_t n_devices_changed;
	char **devices_left;		/* users we share no encrypted room with now */
	size_t n_devices_left;
	int64_t otk_count;		/* signed_curve25519 keys left; -1 when absent */
	int fallback_unused;		/* 1 unused fallback key, 0 none, -1 not said */

	/* Simplified sliding sync (MSC4186): next_batch holds its pos. A room
	 * whose membership is MX_MEMBERSHIP_NONE came only for its receipts,
	 * typing or tags. The server's unread counts are left out (-1):
	 * Synapse sends 0 for every room, so natter counts them itself. */
	int sliding;
	int64_t list_count;		/* rooms in the account's list; -1 when absent */
	char *to_device_next;		/* the to-device extension's next_batch */

	/* A /v3/sync read by mx_sync_read holds its rooms a slice at a
	 * time: rooms is the slice read last, after n_rooms_before rooms
	 * with n_events_before timeline events; rest is what is left to
	 * read (NULL: rooms is the last slice). */
	struct mx_sync_rest *rest;
	size_t n_rooms_before;
	size_t n_events_before;
	size_t n_slices;		/* read so far */
};

/* A /messages page. chunk is in the order the server sent it (newest
 * first for dir=b). end is NULL when there is nothing further. */
struct mx_messages {
	struct mx_event *chunk;
	size_t n_chunk;
	struct mx_event *state;
	size_t n_state;
	char *start;
	char *end;
	size_t n_skipped;
};

/* One hit of the homeserver's /search. */
struct mx_search_result {
	double rank;		/* higher is better; 0 when absent */
	char *room_id;		/* never NULL */
	struct mx_event event;
};

/* A /search answer for room events, in the server's order (best first). */
struct mx_search {
	struct mx_search_result *results;
	size_t n;
	int64_t count;		/* the server's estimate of all hits; -1 when absent */
	char *next_batch;	/* for the next page, or NULL */
	size_t n_skipped;	/* malformed results left out */
};

/* Parse a /sync body. Malformed events are skipped and counted; a body
 * that is not a JSON object with a string next_batch is an error. */
struct mx_sync *mx_sync_parse(const char *json, size_t len, char **cause);
/* The same, with the joined rooms read a slice at a time: about slice
 * bytes of their text at once, the first slice now, each next one by
 * mx_sync_rooms_next. The text must end in a NUL past len; when it has
 * joined rooms it is taken (*json set to NULL) and freed with the last
 * slice. A room that is not JSON fails the slice it is in, as it fails
 * mx_sync_parse. */
#define MX_SYNC_SLICE_BYTES (256 * 1024)
struct mx_sync *mx_sync_read(char **json, size_t len, size_t slice, char **cause);
/* The next slice in place of sync->rooms (freed): 1 when read, 0 when
 * there was none left (rooms is kept), -1 (cause) when it fails. */
int mx_sync_rooms_next(struct mx_sync *sync, char **cause);
void mx_sync_free(struct mx_sync **sync);
/* Parse a simplified sliding sync body (mx-parse-slide.c) into the same
 * struct, with sliding set; a body without a string pos is an error. */
struct mx_sync *mx_slide_parse(const char *json, size_t len, char **cause);

struct mx_messages *mx_messages_parse(const char *json, size_t len, char **cause);
/* A /members answer: its chunk of m.room.member state events. */
struct mx_messages *mx_members_parse(const char *json, size_t len, char **cause);
void mx_messages_free(struct mx_messages **msgs);

/* Parse one event object given as JSON text (used for /event and
 * /context). Returns -1 with a cause if it is not a valid event. */
int mx_event_parse_json(const char *json, size_t len, struct mx_event *ev, char **cause);
void mx_event_clear(struct mx_event *ev);

/* Parse a /search body into out. A result without a valid event or room
 * id is skipped and counted; a body without search_categories.room_events
 * is an error (out is then empty). */
int mx_search_parse(const char *json, size_t len, struct mx_search *out, char **cause);
void mx_search_clear(struct mx_search *s);


/* What an Olm message to this device says, decrypted: who sent it from
 * which keys, to whom, and the event it carries. For m.room_key and
 * m.forwarded_room_key the key's fields are read out. */
struct mx_olm_payload {
	char *type;
	char *sender;
	char *recipient;
	char *recipient_ed25519;	/* recipient_keys.ed25519 */
	char *sender_ed25519;		/* keys.ed25519 */
	char *content;			/* JSON */
	char *algorithm;		/* of the room key */
	char *room_id;
	char *session_id;
	char *session_key;
	char *forwarded_sender_key;	/* m.forwarded_room_key: the session's creator */
	char *forwarded_ed25519;	/* its claimed Ed25519 key */
};

/* Parses a decrypted Olm payload; -1 with a cause unless it is an object
 * with every field the spec requires, of the right types. */
int mx_olm_payload_parse(const char *json, size_t len, struct mx_olm_payload *p,
    char **cause);
void mx_olm_payload_clear(struct mx_olm_payload *p);

/* An m.room_key_request to-device event: a device asking for a room key
 * (action "request", with the key's fields) or withdrawing its request
 * ("request_cancellation", without them). */
struct mx_key_request {
	int cancel;
	char *request_id;
	char *requesting_device_id;
	char *algorithm;
	char *room_id;
	char *sender_key;
	char *session_id;
};
/* -1 with a cause unless content (JSON) is a request with every field
 * its action needs, of the right types. */
int mx_key_request_parse(const char *content, struct mx_key_request *out, char **cause);
void mx_key_request_clear(struct mx_key_request *r);

/* The event a Megolm ciphertext held: plain is the decrypted JSON
 * ({type, content, room_id}), enc the m.room.encrypted event it came in,
 * which gives its id, sender and time. -1 with a cause when it is not a
 * valid event or names another room than room_id. */
int mx_event_decrypted(const struct mx_event *enc, const char *room_id, const char *plain,
    size_t len, struct mx_event *out, char **cause);

/* The key of an encrypted attachment (the spec's EncryptedFile, v2), from
 * a message's content JSON: 1 when it has one (fields base64 as sent),
 * 0 when the file is not encrypted, -1 with a cause when it is malformed. */
struct mx_file_key {
	char *key;		/* JWK "k", base64url */
	char *iv;
	char *sha256;
};
int mx_file_key_parse(const char *content, struct mx_file_key *out, char **cause);
void mx_file_key_clear(struct mx_file_key *k);

/* A device of a user, from /keys/query or /keys/claim's owners. json is
 * the device object as received, for checking its self-signature. */
struct mx_device {
	char *user_id;
	char *device_id;
	char *curve25519;
	char *ed25519;
	char *display_name;
	char *signature;	/* its own ed25519:DEVICE signature, or NULL */
	char *ssk_signature;	/* its user's self-signing key's, or NULL */
	char *json;
};

/* A user's cross-signing keys from /keys/query: the master key, and the
 * self-signing key that signs the user's devices, with the master key's
 * signature of it. json is the self-signing key object as received,
 * master_json the master key's. */
struct mx_cross_signing {
	char *user_id;
	char *master;		/* Ed25519, base64 */
	char *self_signing;
	char *master_signature;	/* of the self-signing key, or NULL */
	char *json;
	char *master_json;
};

/* A /keys/query answer: devices with both identity keys, and the servers
 * that did not answer. */
struct mx_keys {
	struct mx_device *devices;
	size_t n;
	struct mx_cross_signing *users;	/* those with both keys */
	size_t n_users;
	char **failures;
	size_t n_failures;
	size_t n_skipped;	/* malformed devices left out */
};
int mx_keys_query_parse(const char *json, size_t len, struct mx_keys *out, char **cause);
void mx_keys_clear(struct mx_keys *k);

/* A one-time (or fallback) key claimed for a device; json as received,
 * for checking the device's signature on it. */
struct mx_claimed_key {
	char *user_id;
	char *device_id;
	char *key_id;		/* "signed_curve25519:AAAAAQ" */
	char *key;
	char *signature;	/* the device's ed25519:DEVICE signature */
	char *json;
};
int mx_keys_claim_parse(const char *json, size_t len, struct mx_claimed_key **out, size_t *n,
    char **cause);
void mx_claimed_keys_free(struct mx_claimed_key **keys, size_t n);

/* The server-side key backup (m.megolm_backup.v1.curve25519-aes-sha2):
 * the current version from /room_keys/version, and the sessions of one
 * version from /room_keys/keys, each still encrypted for the backup key. */
struct mx_backup_version {
	char *version;
	char *algorithm;
	char *public_key;	/* auth_data.public_key, Curve25519, base64 */
	int64_t count;		/* sessions the server holds */
	char *etag;
};
int mx_backup_version_parse(const char *json, size_t len, struct mx_backup_version *out,
    char **cause);
void mx_backup_version_clear(struct mx_backup_version *v);

struct mx_backup_session {
	char *room_id;
	char *session_id;
	int64_t first_index;
	int64_t forwarded_count;
	int verified;
	char *ephemeral;	/* session_data, base64 */
	char *ciphertext;
	char *mac;
};
struct mx_backup {
	struct mx_backup_session *sessions;
	size_t n;
	size_t n_skipped;	/* malformed sessions left out */
};
int mx_backup_parse(const char *json, size_t len, struct mx_backup *out, char **cause);
void mx_backup_clear(struct mx_backup *b);

#endif
