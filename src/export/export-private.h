/* The export module's own parts: finding a message of a thread by its
 * event id, for replies. */
#ifndef NATTER_EXPORT_PRIVATE_H
#define NATTER_EXPORT_PRIVATE_H

#include "natter/export.h"

/* The messages and quoted messages of a thread, sorted by event id. */
struct export_index {
	const struct store_msg **v;
	size_t n;
};

void export_index_build(struct export_index *ix, const struct export_thread *t);
const struct store_msg *export_index_find(const struct export_index *ix, const char *event_id);
void export_index_free(struct export_index *ix);

/* The file entry of message i, or NULL. files is walked in order. */
const struct export_file *export_file_of(const struct export_thread *t, size_t i);

/* The newest message of a thread: its last, or over several rooms the
 * latest in time of each room's last. t->n must be above 0. */
const struct store_msg *export_newest(const struct export_thread *t);

/* Both transcripts from one walk of the thread; either may be NULL. */
void export_render_pair(const struct export_thread *t, const struct export_render *r,
    char **text, char **html);

#endif
