/* ui: natter's terminal interface (curses). It never includes curl or
 * cJSON: it reads state from the store and acts through app.h. */
#ifndef NATTER_UI_H
#define NATTER_UI_H

/* Runs the interface for a profile until the user quits; returns the
 * exit status (0, or 1 when it cannot start, with the reason printed). */
int ui_main(const char *profile, const char *config);

#endif
