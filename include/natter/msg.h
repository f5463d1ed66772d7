/* msg: builds the content of events natter sends (text, emotes,
 * replies, edits, reactions, attachments) as JSON text. */
#ifndef NATTER_MSG_H
#define NATTER_MSG_H

#include <stdint.h>

#include "natter/event.h"

struct cJSON;

/* The HTML that cmark makes of Markdown text, or NULL when the text has
 * no formatting (plain text stays plain). Raw HTML in the input is not
 * passed through. */
char *msg_markdown_html(const char *text);

/* m.room.message content for text typed by the user. msgtype is
 * "m.text" or "m.emote"; reply_to is an event id or NULL. */
char *msg_content_text(const char *text, const char *msgtype, const char *reply_to);

/* An edit (m.replace) of target with new text. */
char *msg_content_edit(const char *text, const char *msgtype, const char *target);

/* An m.reaction annotating target with key. */
char *msg_content_reaction(const char *target, const char *key);

/* An attachment already uploaded to mxc; encrypted (key not NULL) it is
 * the spec's EncryptedFile v2: the JWK key k (base64url), its IV and the
 * SHA-256 of the ciphertext (base64). */
struct msg_file_key {
	const char *key;
	const char *iv;
	const char *sha256;
};
char *msg_content_file(const char *filename, const char *mxc, const char *mimetype,
    int64_t size, const struct msg_file_key *key);

/* m.image, m.video, m.audio or m.file for a MIME type. */
const char *msg_media_msgtype(const char *mimetype);

/* The width and height in pixels an image's or a video's content gives
 * in its info (w, h): 1 when it gives both as whole numbers above 0, else
 * 0 and *w and *h untouched. */
int msg_media_dimensions(const char *content, int *w, int *h);

/* A MIME type guessed from a file name's extension. */
const char *msg_mimetype_guess(const char *filename);

/* The m.direct map (taken over and freed; NULL or not an object for an
 * empty one) with room_id added for user_id, as JSON text. */
char *msg_direct_add(struct cJSON *map, const char *user_id, const char *room_id);

/* How a state change reads after who made it ("renamed the room"), or
 * NULL for a type without words of its own. */
const char *msg_state_verb(const char *type);
/* 1 for room plumbing nobody reads in a conversation (power levels,
 * join rules, ...). */
int msg_state_hidden(const char *type);
/* "joined", "was invited", "left", ... */
const char *msg_member_verb(enum mx_membership m);

/* A room event, for msg_state_text. */
struct msg_state_event {
	const char *type;
	const char *sender;
	const char *sender_name;	/* the sender's display name */
	const char *state_key;
	const char *target_name;	/* the display name of the member state_key
					 * names, when known; else NULL */
	const char *content;		/* JSON text */
	enum mx_membership membership;
};
/* The event as people read it, display names and all: "Sam invited Dana
 * Whitfield" (the name the invitation carries, else target_name, else
 * the id), "Dana joined", "Sam renamed the room to Board", "Sam changed
 * the topic to Q3"; NULL for a state type without words of its own.
 * Server text: make it inert before display. */
char *msg_state_text(const struct msg_state_event *e);

/* What a message that came encrypted and could not be read shows, from
 * its encryption status ("waiting for the key to decrypt", a refusal):
 * "[encrypted: STATUS]". NULL for one sent in clear or decrypted. */
char *msg_encrypted_note(const char *encryption);
/* The mark of a decrypted message whose device nobody verified, from its
 * sender_trust: "unverified device", "blocked device", "unknown device";
 * NULL when the user or the device's owner (cross-signing) verified it,
 * or the message was not encrypted. */
const char *msg_trust_note(const char *sender_trust);

/* A reaction key and how many people chose it. */
struct msg_reaction {
	char *key;
	int64_t count;
};
/* The reactions as people read them: "👍 2, ✅ 1" (server text: inert it
 * before display), or NULL when there are none. */
char *msg_reactions_text(const struct msg_reaction *r, size_t n);
void msg_reactions_free(struct msg_reaction **r, size_t n);

#endif
