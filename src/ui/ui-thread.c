/* Threads (m.thread): the pane shows one thread (its root and replies)
 * instead of the room, and what is sent there goes to it; Esc goes back
 * to the room. */
#include <stdlib.h>
#include <string.h>

#include "natter/sanitize.h"
#include "ui-private.h"

void
ui_thread_open(struct ui *ui, const char *event_id)
{
	struct store_msg m;
	char *quote;

	if (ui->current == NULL || store_msg_get(ui->store, event_id, &m, NULL) == -1) {
		ui_error(ui, "no message %s in this room's cache", event_id);
		return;
	}
	if (strcmp(m.room_id, ui->current) != 0) {
		ui_error(ui, "%s is not in this room", event_id);
		store_msg_clear(&m);
		return;
	}
	ui_select_end(ui);
	ui_range_clear(ui);
	free(ui->view.thread);
	ui->view.thread = xstrdup(m.thread_root != NULL ? m.thread_root : m.event_id);
	ui->view.scroll = 0;
	ui->view.gen++;
	quote = ui_cmd_quote(&m);
	ui_note(ui, "thread of %s: what you send goes to it, Esc returns to the room", quote);
	free(quote);
	store_msg_clear(&m);
	ui_dirty(ui);
}

int
ui_thread_close(struct ui *ui)
{
	if (ui->view.thread == NULL)
		return 0;
	xfree(&ui->view.thread);
	ui->view.scroll = 0;
	ui->view.gen++;
	ui_dirty(ui);
	return 1;
}

/* The newest root of a thread in the pane, for /thread without an id. */
static char *
ui_thread_newest(struct ui *ui)
{
	struct store_msg *msgs;
	size_t n;
	char *id = NULL;

	if (store_history(ui->store, ui->current, INT64_MAX, (int)ui->view.history, &msgs, &n,
	    NULL) == -1)
		return NULL;
	for (size_t i = n; i-- > 0 && id == NULL;)
		if (msgs[i].thread_replies > 0 || msgs[i].thread_root != NULL)
			id = xstrdup(msgs[i].event_id);
	store_msgs_free(&msgs, n);
	return id;
}

/* /thread [EVENT]: the thread of EVENT, or the newest in view. */
void
ui_thread_command(struct ui *ui, const char *args)
{
	char *id;

	if (args != NULL && *args != '\0') {
		ui_thread_open(ui, args);
		return;
	}
	if ((id = ui_thread_newest(ui)) == NULL) {
		ui_error(ui, "no thread in this room's recent messages: "
		    "select a message (M-s) and press t to start one");
		return;
	}
	ui_thread_open(ui, id);
	free(id);
}
