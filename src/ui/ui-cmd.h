/* Commands typed in the compose box: /join, /me, /upload and the rest. */
#ifndef NATTER_UI_CMD_H
#define NATTER_UI_CMD_H

#include <stddef.h>

struct ui;

/* Runs line, a draft that starts with one '/' ("//text" is text, sent
 * without the first '/', and never comes here). Actions that need the
 * network start and report through ui_note when they end. Returns 1 when
 * the draft should be cleared, 0 to keep it for the user to correct (a
 * usage error, a file that is not there). */
int ui_command(struct ui *ui, const char *line);

/* One line a command with its arguments and what it does, for help. */
size_t ui_cmd_help_lines(char ***lines);

struct store_msg;
/* A short quote of a message for a note: “the first words…”. */
char *ui_cmd_quote(const struct store_msg *m);

/* Deletes (redacts) a message of the room in view, ours when own; quote
 * names it in the note that says it is done. 1 when started, 0 with a
 * note. */
int ui_cmd_redact(struct ui *ui, const char *event_id, const char *quote, int own);
/* Joins (accept 1) or declines the invitation in view. */
int ui_cmd_answer_invite(struct ui *ui, int accept);
/* Downloads a message's attachment to a safe name and opens it. */
int ui_cmd_open_event(struct ui *ui, const char *event_id);
/* Hands an http(s) link of printable ASCII to xdg-open. */
void ui_cmd_open_link(struct ui *ui, const char *url);

#endif
