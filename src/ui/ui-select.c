/* Select mode: a cursor over the messages of the pane, the keys that act
 * on the selected one (reply, edit, react, delete, copy, open), and a
 * marked range of messages for /export. */
#include <stdlib.h>
#include <string.h>

#include "natter/editor.h"
#include "natter/keys.h"
#include "natter/rich.h"
#include "natter/sanitize.h"
#include "ui-private.h"

static void
ui_select_set(struct ui *ui, const char *event_id)
{
	free(ui->view.sel);
	ui->view.sel = xstrdup(event_id);
	if (ui->view.mark != NULL) {
		free(ui->view.mark_end);
		ui->view.mark_end = xstrdup(event_id);
	}
	ui->view.sel_follow = 1;
	ui_dirty(ui);
}

/* M-s: selects the newest message on screen. */
void
ui_select_start(struct ui *ui)
{
	char *const *events;
	int bottom;
	size_t n = ui_pane_events(ui, &events, &bottom);

	if (n == 0) {
		ui_note(ui, "there is no message here to select");
		return;
	}
	ui_select_set(ui, events[bottom >= 0 ? (size_t)bottom : n - 1]);
	xfree(&ui->status.note);
}

/* Back to the compose box; a marked range stays for /export. */
void
ui_select_end(struct ui *ui)
{
	xfree(&ui->view.sel);
	ui->view.confirm = 0;
	ui_dirty(ui);
}

void
ui_range_clear(struct ui *ui)
{
	xfree(&ui->view.mark);
	xfree(&ui->view.mark_end);
	ui_dirty(ui);
}

/* Moves the selection by delta messages; past the oldest one, reads
 * older history (from the cache, then the server) to move into. */
static void
ui_select_move(struct ui *ui, int delta)
{
	char *const *events;
	int bottom, i = ui_pane_index(ui, ui->view.sel);
	size_t n = ui_pane_events(ui, &events, &bottom);

	if (n == 0)
		return;
	if (i < 0)
		i = bottom >= 0 ? bottom : (int)n - 1;
	else
		i += delta;
	if (i < 0) {
		ui->view.history += UI_HISTORY_PAGE;
		if (ui->view.cache_short)
			ui_history_more(ui, 0);
		ui_dirty(ui);
		return;
	}
	if ((size_t)i >= n)
		i = (int)n - 1;
	xfree(&ui->status.note);
	ui_select_set(ui, events[i]);
}

/* The selected message, read from the cache; 0 with a note when gone. */
static int
ui_select_get(struct ui *ui, struct store_msg *m)
{
	if (store_msg_get(ui->store, ui->view.sel, m, NULL) == 0)
		return 1;
	ui_note(ui, "that message is no longer in the cache");
	return 0;
}

static int
ui_select_own(struct ui *ui, const struct store_msg *m)
{
	const char *self = core_self(ui->core);

	return self != NULL && strcmp(m->sender, self) == 0;
}

static void
ui_select_reply(struct ui *ui, const struct store_msg *m)
{
	char *quote = ui_cmd_quote(m);
	char *name = san_text(m->sender_name, 0);

	ui_target_set(ui, UI_TARGET_REPLY, m->event_id);
	ui_select_end(ui);
	ui_note(ui, "replying to %s %s: Enter sends, Esc cancels", name, quote);
	free(name);
	free(quote);
}

static void
ui_select_edit(struct ui *ui, const struct store_msg *m)
{
	if (!ui_select_own(ui, m) || m->redacted || m->body == NULL || m->url != NULL) {
		ui_note(ui, "only your own text messages can be edited");
		return;
	}
	ui_target_set(ui, UI_TARGET_EDIT, m->event_id);
	editor_set_text(ui->compose.ed, m->body, strlen(m->body), NULL);
	ui_select_end(ui);
	ui_note(ui, "editing your message: Enter saves, Esc cancels");
}

static void
ui_select_react(struct ui *ui, const struct store_msg *m)
{
	char *quote = ui_cmd_quote(m);

	ui_target_set(ui, UI_TARGET_REACT, m->event_id);
	ui_select_end(ui);
	ui_note(ui, "react to %s: type an emoji or a word, Enter sends, Esc cancels", quote);
	free(quote);
}

/* d asks, and d again deletes. */
static void
ui_select_delete(struct ui *ui, const struct store_msg *m)
{
	char *quote = ui_cmd_quote(m);

	if (m->redacted)
		ui_note(ui, "that message is deleted already");
	else if (!ui->view.confirm) {
		ui->view.confirm = 1;
		ui_note(ui, "delete %s? Press the key again to delete it, any other to keep it",
		    quote);
	} else {
		ui->view.confirm = 0;
		if (ui_cmd_redact(ui, m->event_id, quote, ui_select_own(ui, m)))
			ui_note(ui, "deleting %s\u2026", quote);
	}
	free(quote);
}

/* c: the text goes to the kill ring (C-y pastes it) and the terminal's
 * clipboard. */
static void
ui_select_copy(struct ui *ui, const struct store_msg *m)
{
	char *text;

	if (m->redacted || m->body == NULL) {
		ui_note(ui, "that message has no text to copy");
		return;
	}
	text = san_text(m->body, SAN_MULTILINE);
	editor_killring_add(ui->compose.kills, text, strlen(text));
	ui_term_clipboard(text);
	ui_note(ui, "copied the message: C-y pastes it");
	free(text);
}

/* The attachment, else the first web link of the text as shown. */
static void
ui_select_open(struct ui *ui, const struct store_msg *m)
{
	char *url = m->redacted || m->url != NULL || m->body == NULL ? NULL :
	    rich_link_first(m->body, m->formatted);

	if (m->redacted || (m->url == NULL && url == NULL)) {
		ui_note(ui, "that message has no attachment or link to open");
		return;
	}
	if (m->url != NULL) {
		ui_cmd_open_event(ui, m->event_id);
		return;
	}
	ui_cmd_open_link(ui, url);
	free(url);
}

/* m: starts a range at the selection (moving extends it), or clears it. */
static void
ui_select_mark(struct ui *ui)
{
	if (ui->view.mark != NULL) {
		ui_range_clear(ui);
		ui_note(ui, "range cleared");
		return;
	}
	ui->view.mark = xstrdup(ui->view.sel);
	ui->view.mark_end = xstrdup(ui->view.sel);
	ui_note(ui, "range started: move to extend it");
}

/* Messages in the marked range, counted among those the pane holds. */
int
ui_range_count(struct ui *ui)
{
	int a = ui_pane_index(ui, ui->view.mark), b = ui_pane_index(ui, ui->view.mark_end);

	if (ui->view.mark == NULL)
		return 0;
	if (a < 0 || b < 0)
		return -1;
	return (a < b ? b - a : a - b) + 1;
}

/* An action pressed in select mode; 0 when it is not one of its own. */
int
ui_select_action(struct ui *ui, enum keys_action act)
{
	struct store_msg m;

	if (act != KEYS_ACT_DELETE)
		ui->view.confirm = 0;
	switch (act) {
	case KEYS_ACT_SELECT_PREV: ui_select_move(ui, -1); return 1;
	case KEYS_ACT_SELECT_NEXT: ui_select_move(ui, 1); return 1;
	case KEYS_ACT_SELECT_MODE:
	case KEYS_ACT_CANCEL: ui_select_end(ui); xfree(&ui->status.note); return 1;
	case KEYS_ACT_MARK: ui_select_mark(ui); return 1;
	case KEYS_ACT_REPLY: case KEYS_ACT_EDIT: case KEYS_ACT_REACT: case KEYS_ACT_DELETE:
	case KEYS_ACT_COPY: case KEYS_ACT_OPEN: case KEYS_ACT_THREAD: case KEYS_ACT_REMIND:
	case KEYS_ACT_FLAG: case KEYS_ACT_REMIND_DONE: case KEYS_ACT_SNOOZE:
		break;
	default: return 0;
	}
	if (!ui_select_get(ui, &m))
		return 1;
	switch (act) {
	case KEYS_ACT_REPLY: ui_select_reply(ui, &m); break;
	case KEYS_ACT_EDIT: ui_select_edit(ui, &m); break;
	case KEYS_ACT_REACT: ui_select_react(ui, &m); break;
	case KEYS_ACT_DELETE: ui_select_delete(ui, &m); break;
	case KEYS_ACT_COPY: ui_select_copy(ui, &m); break;
	case KEYS_ACT_THREAD: ui_thread_open(ui, m.event_id); break;
	case KEYS_ACT_OPEN: ui_select_open(ui, &m); break;
	default: ui_follow_action(ui, act, &m); break;
	}
	store_msg_clear(&m);
	return 1;
}

/* "SELECT (3 marked)  r reply  e edit ...": the keys of select mode as
 * they are bound, when keys is set. */
char *
ui_select_hint(struct ui *ui, int keys)
{
	static const struct {
		enum keys_action act;
		const char *what;
	} hints[] = {
		{KEYS_ACT_REPLY, "reply"}, {KEYS_ACT_EDIT, "edit"}, {KEYS_ACT_REACT, "react"},
		{KEYS_ACT_DELETE, "delete"}, {KEYS_ACT_COPY, "copy"}, {KEYS_ACT_OPEN, "open"},
		{KEYS_ACT_THREAD, "thread"},
		{KEYS_ACT_MARK, "mark"}, {KEYS_ACT_REMIND, "remind"}, {KEYS_ACT_FLAG, "flag"},
		{KEYS_ACT_CANCEL, "back"},
	};
	struct buf b = {0};
	int marked = ui_range_count(ui);

	buf_puts(&b, "SELECT");
	if (marked > 0)
		buf_printf(&b, " (%d marked)", marked);
	for (size_t i = 0; keys && i < NT_NELEMS(hints); i++) {
		char *key = ui_key_name(ui, hints[i].act);

		if (key == NULL)
			continue;
		buf_printf(&b, "  %s %s", key, hints[i].what);
		free(key);
	}
	return buf_steal(&b);
}
