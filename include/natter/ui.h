/* ui: natter's terminal interface (curses). It never includes curl or
 * cJSON: it reads state from the store and acts through app.h. */
#ifndef NATTER_UI_H
#define NATTER_UI_H

#include <stddef.h>

struct settings;

/* Runs the interface for a profile until the user quits; returns the
 * exit status (0, or 1 when it cannot start, with the reason printed).
 * warning (n_warnings in all) is the first complaint about the config
 * file, shown on the status line; NULL when none. */
int ui_main(const char *profile, const char *config, const struct settings *settings,
    const char *warning, size_t n_warnings);

#endif
