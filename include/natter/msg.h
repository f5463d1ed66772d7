/* msg: builds the content of events natter sends (text, emotes,
 * replies, edits, reactions, attachments) as JSON text. */
#ifndef NATTER_MSG_H
#define NATTER_MSG_H

#include <stdint.h>

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

/* An attachment already uploaded to mxc. */
char *msg_content_file(const char *filename, const char *mxc, const char *mimetype,
    int64_t size);

/* m.image, m.video, m.audio or m.file for a MIME type. */
const char *msg_media_msgtype(const char *mimetype);

/* A MIME type guessed from a file name's extension. */
const char *msg_mimetype_guess(const char *filename);

#endif
