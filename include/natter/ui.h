/* ui: natter's terminal interface (curses). It never includes curl or
 * cJSON: it reads state from the store and acts through app.h. */
#ifndef NATTER_UI_H
#define NATTER_UI_H

#include <stddef.h>

struct settings;

/* Runs the interface for a profile until the user quits; returns the
 * exit status (0, or 1 when it cannot start, with the reason printed).
 * warnings are the complaints about the config file (n_warnings of
 * them), already on stderr: the interface shows them, and those about
 * the theme, until they are dismissed. verbose writes the profile's log
 * (natter -v). */
int ui_main(const char *profile, const char *config, const struct settings *settings,
    const char *const *warnings, size_t n_warnings, int verbose);

#endif
