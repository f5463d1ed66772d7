/* What the UI does with news: the desktop notifications the core decides
 * on, the bell, what is on screen for that decision, and read receipts
 * for the room in view. */
#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natter/notify.h"
#include "natter/settings.h"
#include "ui-private.h"

void
ui_on_notify(void *arg, const struct notify_msg *msg)
{
	struct ui *ui = arg;
	enum notify_markup markup = NOTIFY_MARKUP_AUTO;
	char *cause = NULL;

	if (ui->settings != NULL)
		markup = ui->settings->notify.markup == SETTINGS_MARKUP_ON ? NOTIFY_MARKUP_ON :
		    ui->settings->notify.markup == SETTINGS_MARKUP_OFF ? NOTIFY_MARKUP_OFF :
		    NOTIFY_MARKUP_AUTO;
	if (notify_show(msg, markup, &cause) == -1)
		ui_error(ui, "%s", cause);
	free(cause);
	if (ui->settings != NULL && ui->settings->ui.bell)
		ui->status.bell = 1;
	ui_dirty(ui);
}

void
ui_view_changed(struct ui *ui)
{
	core_view(ui->core, ui->current, !ui->focus_known ? -1 : ui->focused);
}

/* Tells the server the user has seen the room in view, up to its
 * newest event, when the terminal has focus. */
void
ui_mark_read(struct ui *ui)
{
	struct store_msg *msgs;
	size_t n;

	if (ui->current == NULL || (ui->focus_known && !ui->focused) || ui->view.scroll > 0)
		return;
	if (store_history(ui->store, ui->current, INT64_MAX, 1, &msgs, &n, NULL) == -1)
		return;
	if (n > 0)
		core_mark_read(ui->core, ui->current, msgs[0].event_id, NULL, NULL, NULL);
	store_msgs_free(&msgs, n);
}

void
ui_notify_free(struct ui *ui)
{
	notify_close();
}
