/* The emoji module's table (emoji-table.c, made by scripts/emoji-table). */
#ifndef NATTER_EMOJI_PRIVATE_H
#define NATTER_EMOJI_PRIVATE_H

#include <stddef.h>

struct emoji_entry {
	const char *name;	/* the shortcode without its colons */
	const char *emoji;	/* UTF-8 */
	int rank;		/* lower is used more */
};

/* Sorted by name (strcmp). */
extern const struct emoji_entry emoji_table[];
extern const size_t emoji_table_len;

#endif
