/* log: the optional log file of a profile (natter -v). Lines say what
 * natter did (requests, syncs, sends) and never carry message text,
 * passwords or tokens. Without log_open every call does nothing. */
#ifndef NATTER_LOG_H
#define NATTER_LOG_H

#include "natter/util.h"

/* Opens (appending, mode 0600) the log at path, creating its directory. */
int log_open(const char *path, char **cause);
void log_close(void);
void log_msg(const char *fmt, ...) NT_ATTR_PRINTF(1, 2);

#endif
