/* emoji: the emoji people write by shortcode, as in GitHub, Slack and
 * Element (:+1:, :thumbsup:, :smile:, :tada:), and by the CLDR short name
 * in snake case (:thumbs_up:). A compact table of about 450 common emoji
 * (src/emoji/emoji-table.c, made by scripts/emoji-table from Unicode's
 * emoji-test.txt); a shortcode it lacks stays as typed. Pure: no I/O. */
#ifndef NATTER_EMOJI_H
#define NATTER_EMOJI_H

#include <stddef.h>

/* A shortcode: lower-case letters, digits, '_', '+' and '-'. */
#define EMOJI_NAME_MAX 48	/* bytes of the longest name, without colons */

/* The emoji for name (len bytes, without its colons, matched exactly),
 * or NULL. */
const char *emoji_find(const char *name, size_t len);

/* The emoji s stands for when the whole of s (spaces around it aside) is
 * one shortcode with its colons (":+1:"), or NULL. */
const char *emoji_of_shortcode(const char *s);

/* If s starts a shortcode with its colons that the table knows (":+1:"),
 * its length in bytes, else 0; *emoji is then its emoji. */
size_t emoji_shortcode_at(const char *s, const char **emoji);

/* The shortcodes starting with prefix (without the colon; case is
 * ignored), most used first, one for each emoji (the one used most:
 * "thu" gives thumbsup but not thumbs_up): at most max names (without
 * colons) and their emoji in names[] and emoji[] (either may be NULL);
 * returns how many matched in all, which may be more than max. */
size_t emoji_complete(const char *prefix, const char **names, const char **emoji, size_t max);

#endif
