/* Private to the core module (src/core): what its files share beyond
 * core.h. */
#ifndef NATTER_CORE_PRIVATE_H
#define NATTER_CORE_PRIVATE_H

#include "natter/core.h"

/* Pages one /messages page into the newest gap of a room. Returns 1
 * with *added (may be NULL) set to the number of new events, 0 when
 * there is no gap left, -1 on error. */
int core_gap_page(struct core *c, const char *room_id, int *added, char **cause);

#endif
