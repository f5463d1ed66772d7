/* msg: builds the content of events natter sends (text, emotes,
 * replies, edits, reactions, attachments) as JSON text. */
#ifndef NATTER_MSG_H
#define NATTER_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "natter/event.h"

struct cJSON;

/* The HTML that cmark makes of Markdown text, or NULL when the text has
 * no formatting (plain text stays plain). Raw HTML in the input is not
 * passed through. */
char *msg_markdown_html(const char *text);

/* A name in text typed by the user that stands for a user:
 * text[start, start + len), put there by completing the name. */
struct msg_mention {
	size_t start;
	size_t len;
	const char *user_id;
};

/* Whom a message mentions besides the full user ids its text holds. */
struct msg_mentions {
	const struct msg_mention *names;	/* completed names, any order */
	size_t n_names;
	const char *reply_sender;	/* the sender of the message answered
					 * (not the user), or NULL */
};

/* Text typed by the user (Markdown) as it is sent. Outside code (code
 * spans, fenced and indented code blocks, which go as typed):
 * - a shortcode the emoji module knows (:+1:, :smile:) becomes its emoji,
 *   unless it touches a letter or digit or sits in a URL;
 * - a completed name, and every full user id (@name:server, not inside a
 *   word or a URL), is a mention: a link to https://matrix.to/#/USER_ID
 *   in the HTML (the text stays as typed in the body), its user in
 *   user_ids. The reply's sender is in user_ids too.
 * body is the plain body; html the formatted_body, NULL when the text has
 * neither formatting nor mentions; user_ids the users mentioned, each
 * once, in the order the text names them. */
struct msg_text {
	char *body;
	char *html;
	char **user_ids;
	size_t n_user_ids;
};
void msg_text_prepare(const char *text, const struct msg_mentions *m, struct msg_text *out);
void msg_text_clear(struct msg_text *t);

/* The length of the full user id starting at s, or 0; before_len is how
 * many bytes of text come before s (s[-1] is read when it is not 0): an
 * id inside a word or a URL path is none. */
size_t msg_user_id_at(const char *s, size_t before_len);

/* m.room.message content for text typed by the user (see
 * msg_text_prepare), with m.mentions always (empty when nobody is
 * mentioned, so that other clients do not fall back to searching the
 * body for names). msgtype is "m.text" or "m.emote"; reply_to is an event
 * id or NULL; m may be NULL. */
char *msg_content_text(const char *text, const char *msgtype, const char *reply_to,
    const struct msg_mentions *m);
/* The same in the thread of thread_root (m.thread): a reply to reply_to
 * in it, or, when reply_to is NULL, a message whose m.in_reply_to names
 * latest (the thread's newest event; the root when NULL) only for
 * clients that show no threads (is_falling_back, as the spec asks). */
char *msg_content_thread(const char *text, const char *msgtype, const char *thread_root,
    const char *reply_to, const char *latest, const struct msg_mentions *m);

/* An edit (m.replace) of target with new text. m.new_content holds the
 * new text's m.mentions; the edit's own m.mentions only those that
 * replaced (the content of the event edited, or NULL) did not, so
 * nobody is notified twice. */
char *msg_content_edit(const char *text, const char *msgtype, const char *target,
    const struct msg_mentions *m, const char *replaced);

/* An m.reaction annotating target with key; a key that is one shortcode
 * (":+1:") is its emoji. */
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
 * empty one) with rooms[i] added for users[i], each once, as JSON text. */
char *msg_direct_add(struct cJSON *map, const char *const *users, const char *const *rooms,
    size_t n);

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

/* A thread root's summary as people read it: "2 replies, last Dana
 * 17:27: The car is booked" (when as the caller formats it; the first
 * line of body cut to cells columns; server text: inert it before
 * display), or NULL without replies. */
char *msg_thread_summary(int64_t replies, const char *name, const char *when,
    const char *body, int cells);

#endif
