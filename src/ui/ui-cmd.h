/* Commands typed in the compose box: /join, /me, /upload and the rest. */
#ifndef NATTER_UI_CMD_H
#define NATTER_UI_CMD_H

struct ui;

/* Runs line, a draft that starts with one '/' ("//text" is text, sent
 * without the first '/', and never comes here). Actions that need the
 * network start and report through ui_note when they end. Returns 1 when
 * the draft should be cleared, 0 to keep it for the user to correct (a
 * usage error, a file that is not there). */
int ui_command(struct ui *ui, const char *line);

#endif
