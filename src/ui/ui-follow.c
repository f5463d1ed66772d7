/* Follow-ups in the interface: the "Reminders" (due) and "Waiting"
 * sections at the top of the room list, moving onto their rows, and the
 * select-mode keys that remind, flag, finish and snooze. */
#include <stdlib.h>
#include <string.h>

#include "natter/loop.h"
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/theme.h"
#include "ui-private.h"

#define UI_FOLLOW_POLL_MS 10000	/* questions cross [followup] wait between syncs */
#define UI_WAITING_SPAN_MS ((int64_t)30 * 24 * 3600 * 1000)

static void ui_follow_tick(void *arg);

static void
ui_follow_clear(struct ui *ui)
{
	for (size_t i = 0; i < ui->follow.n; i++) {
		free(ui->follow.rows[i].room_id);
		free(ui->follow.rows[i].event_id);
		free(ui->follow.rows[i].id);
		free(ui->follow.rows[i].text);
	}
	xfree(&ui->follow.rows);
	ui->follow.n = 0;
	ui->follow.n_due = 0;
}

/* "Room: note — the message", made inert. */
static char *
ui_follow_text(struct ui *ui, const char *room_id, const char *note, const char *body)
{
	const struct ui_room *r = ui_room_find(ui, room_id);
	char *raw, *text;

	raw = xasprintf("%s: %s%s%s", r != NULL ? r->name : room_id, note != NULL ? note : "",
	    note != NULL && body != NULL ? " \u2014 " : "", body != NULL ? body : "");
	text = san_excerpt(raw, 200);
	free(raw);
	return text;
}

static void
ui_follow_add(struct ui *ui, const char *room_id, const char *event_id, const char *id,
    const char *note)
{
	struct ui_follow_row *row;
	struct store_msg m = {0};

	ui->follow.rows = xreallocarray(ui->follow.rows, ui->follow.n + 1,
	    sizeof *ui->follow.rows);
	row = &ui->follow.rows[ui->follow.n++];
	row->room_id = xstrdup(room_id);
	row->event_id = xstrdup(event_id);
	row->id = id != NULL ? xstrdup(id) : NULL;
	store_msg_get(ui->store, event_id, &m, NULL);
	row->text = ui_follow_text(ui, room_id, note, m.body);
	store_msg_clear(&m);
}

void
ui_follow_reload(struct ui *ui)
{
	struct core_reminder *r, *flags;
	struct store_waiting *w;
	const char **ids;
	size_t n, n_flags, n_w;
	int64_t now = nt_now_ms(), wait = ui->settings != NULL ?
	    ui->settings->followup.wait_ms : SETTINGS_WAIT_DEFAULT_MS;
	const char *self = core_self(ui->core);
	char *sel = ui->follow.sel >= 0 && (size_t)ui->follow.sel < ui->follow.n ?
	    xstrdup(ui->follow.rows[ui->follow.sel].event_id) : NULL;

	ui_follow_clear(ui);
	core_reminders(ui->core, CORE_REMIND_REMINDERS, &r, &n);
	for (size_t i = 0; i < n && r[i].due_ms <= now; i++)
		ui_follow_add(ui, r[i].room_id, r[i].event_id, r[i].id, r[i].note);
	ui->follow.n_due = ui->follow.n;
	core_reminders_free(&r, n);
	core_reminders(ui->core, CORE_REMIND_FLAGS, &flags, &n_flags);
	ids = xreallocarray(NULL, n_flags + 1, sizeof *ids);
	for (size_t i = 0; i < n_flags; i++)
		ids[i] = flags[i].event_id;
	if (self != NULL && store_waiting(ui->store, self, now - UI_WAITING_SPAN_MS, now - wait,
	    ids, n_flags, &w, &n_w, NULL) == 0) {
		for (size_t i = 0; i < n_w; i++)
			ui_follow_add(ui, w[i].room_id, w[i].event_id, NULL, NULL);
		store_waiting_free(&w, n_w);
	}
	free(ids);
	core_reminders_free(&flags, n_flags);
	/* The row moved onto stays so while it is listed. */
	ui->follow.sel = -1;
	for (size_t i = 0; sel != NULL && i < ui->follow.n && ui->follow.sel < 0; i++)
		if (strcmp(ui->follow.rows[i].event_id, sel) == 0)
			ui->follow.sel = (int)i;
	free(sel);
	if (ui->follow.timer == 0)
		ui->follow.timer = loop_timer_add(ui->loop, UI_FOLLOW_POLL_MS, ui_follow_tick,
		    ui);
	ui_dirty(ui);
}

static void
ui_follow_tick(void *arg)
{
	struct ui *ui = arg;

	ui->follow.timer = 0;
	ui_follow_reload(ui);
}

void
ui_on_reminders(void *arg)
{
	ui_follow_reload(arg);
}

void
ui_follow_free(struct ui *ui)
{
	loop_timer_cancel(ui->loop, ui->follow.timer);
	ui->follow.timer = 0;
	ui_follow_clear(ui);
}

/* Draws the sections from row y on; returns the row after them. */
int
ui_follow_draw(struct ui *ui, int y, int bottom, int width)
{
	static const char *const names[] = {"Reminders", "Waiting"};

	for (size_t i = 0; i < ui->follow.n && y < bottom; i++) {
		int sel = ui->follow.sel == (int)i;

		if (i == 0 || i == ui->follow.n_due) {
			ui_put(y++, 0, names[i >= ui->follow.n_due], width,
			    THEME_LIST_SECTION);
			if (y >= bottom)
				break;
		}
		ui_fill(y, 0, width, sel ? THEME_LIST_SELECTED : THEME_LIST);
		ui_put(y++, 1, ui->follow.rows[i].text, width - 1,
		    sel ? THEME_LIST_SELECTED : i < ui->follow.n_due ? THEME_LIST_HIGHLIGHT :
		    THEME_LIST);
	}
	return y;
}

/* Opens row i: its room, its message selected, and what the keys do. */
static void
ui_follow_open(struct ui *ui, size_t i)
{
	struct ui_follow_row *row = &ui->follow.rows[i];
	char *done = ui_key_name(ui, KEYS_ACT_REMIND_DONE);
	char *snooze = ui_key_name(ui, KEYS_ACT_SNOOZE);

	ui_room_select(ui, row->room_id);
	ui->follow.sel = (int)i;
	free(ui->view.sel);
	ui->view.sel = xstrdup(row->event_id);
	ui->view.sel_follow = 1;
	if (row->id != NULL)
		ui_note(ui, "reminder: %s done, %s snooze, Esc back", done != NULL ? done : "?",
		    snooze != NULL ? snooze : "?");
	else
		ui_note(ui, "waiting for an answer: r reply, Esc back");
	free(done);
	free(snooze);
	ui_dirty(ui);
}

/* The first (last, with delta < 0) room the list shows, or -1. */
static long
ui_follow_edge_room(const struct ui *ui, int delta)
{
	for (size_t k = 0; k < ui->n_rooms; k++) {
		size_t i = delta > 0 ? k : ui->n_rooms - 1 - k;

		if (ui_room_listed(ui, i))
			return (long)i;
	}
	return -1;
}

int
ui_follow_step(struct ui *ui, int delta)
{
	long nf = (long)ui->follow.n, edge, room;

	if (nf == 0)
		return 0;
	/* From a row: the next row, or past the last (first) one a room. */
	if (ui->follow.sel >= 0) {
		long next = ui->follow.sel + delta;

		if (next >= 0 && next < nf) {
			ui_follow_open(ui, (size_t)next);
			return 1;
		}
		if ((room = ui_follow_edge_room(ui, delta)) < 0) {
			ui_follow_open(ui, (size_t)((next + nf) % nf));
			return 1;
		}
		ui_select_end(ui);
		ui_room_select(ui, ui->rooms[room].room_id);
		return 1;
	}
	/* From the first room up (or the last one down, round): the rows. */
	edge = ui_follow_edge_room(ui, -delta);
	if (ui->current == NULL || edge < 0 ||
	    strcmp(ui->rooms[edge].room_id, ui->current) == 0) {
		ui_follow_open(ui, delta > 0 ? 0 : (size_t)nf - 1);
		return 1;
	}
	return 0;
}

static void
ui_follow_said(void *arg, int status, const char *result)
{
	struct ui *ui = arg;

	if (status == CORE_CANCELLED)
		return;
	if (status == CORE_FAILED)
		ui_error(ui, "%s", result != NULL ? result : "the reminders were not changed");
	else if (status == CORE_QUEUED)
		ui_note(ui, "kept here, not on the account yet: %s", result);
	ui_follow_reload(ui);
}

/* The answer to "remind me at": WHEN, then a note. */
static void
ui_follow_remind_at(struct ui *ui, const char *answer)
{
	char *cause = NULL, *event = ui->follow.asked_event, *room = ui->follow.asked_room;
	const char *note;
	int64_t due;

	ui->follow.asked_event = NULL;
	ui->follow.asked_room = NULL;
	if (answer == NULL || event == NULL)
		goto out;
	if (nt_when_parse(answer, nt_now_ms(), &due, &note, &cause) == -1 ||
	    core_remind(ui->core, room, event, due, note, NULL, ui_follow_said, ui, &cause) == -1)
		ui_error(ui, "%s", cause);
	else
		ui_note(ui, "reminder set");
	free(cause);
out:
	free(event);
	free(room);
}

/* The answer to "snooze until". */
static void
ui_follow_snooze_at(struct ui *ui, const char *answer)
{
	char *cause = NULL, *id = ui->follow.asked_id;
	int64_t due;

	ui->follow.asked_id = NULL;
	if (answer == NULL || id == NULL)
		goto out;
	if (nt_when_parse(answer, nt_now_ms(), &due, NULL, &cause) == -1 ||
	    core_remind_snooze(ui->core, id, due, ui_follow_said, ui, &cause) == -1)
		ui_error(ui, "%s", cause);
	else
		ui_note(ui, "snoozed");
	free(cause);
out:
	free(id);
}

/* The reminder (not done) of event_id, soonest first; NULL when none. */
static char *
ui_follow_reminder_of(struct ui *ui, const char *event_id)
{
	struct core_reminder *r;
	char *id = NULL;
	size_t n;

	core_reminders(ui->core, CORE_REMIND_REMINDERS, &r, &n);
	for (size_t i = 0; i < n && id == NULL; i++)
		if (strcmp(r[i].event_id, event_id) == 0)
			id = xstrdup(r[i].id);
	core_reminders_free(&r, n);
	return id;
}

static int
ui_follow_flagged(struct ui *ui, const char *event_id)
{
	struct core_reminder *r;
	size_t n;
	int on = 0;

	core_reminders(ui->core, CORE_REMIND_FLAGS, &r, &n);
	for (size_t i = 0; i < n; i++)
		on |= strcmp(r[i].event_id, event_id) == 0;
	core_reminders_free(&r, n);
	return on;
}

static void
ui_follow_flag(struct ui *ui, const struct store_msg *m)
{
	const char *self = core_self(ui->core);
	int on = !ui_follow_flagged(ui, m->event_id);
	char *cause = NULL;

	if (self == NULL || strcmp(m->sender, self) != 0) {
		ui_note(ui, "only your own messages wait for an answer");
		return;
	}
	if (core_flag(ui->core, m->room_id, m->event_id, on, ui_follow_said, ui, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
		return;
	}
	ui_note(ui, on ? "flagged: listed under Waiting until answered or read" :
	    "flag taken off");
}

/* A select-mode action of this file on message m; 0 when not one. */
int
ui_follow_action(struct ui *ui, enum keys_action act, const struct store_msg *m)
{
	char *id, *cause = NULL;

	switch (act) {
	case KEYS_ACT_REMIND:
		free(ui->follow.asked_event);
		free(ui->follow.asked_room);
		ui_select_end(ui);
		ui_ask(ui, "remind me at: 17:00, tomorrow 9:00, +2h; a note may follow",
		    ui_follow_remind_at);
		ui->follow.asked_event = xstrdup(m->event_id);
		ui->follow.asked_room = xstrdup(m->room_id);
		return 1;
	case KEYS_ACT_FLAG:
		ui_follow_flag(ui, m);
		return 1;
	case KEYS_ACT_REMIND_DONE:
	case KEYS_ACT_SNOOZE:
		break;
	default:
		return 0;
	}
	if ((id = ui_follow_reminder_of(ui, m->event_id)) == NULL) {
		ui_note(ui, "that message has no reminder");
		return 1;
	}
	if (act == KEYS_ACT_SNOOZE) {
		free(ui->follow.asked_id);
		ui_select_end(ui);
		ui_ask(ui, "snooze until: 17:00, tomorrow 9:00, +1h", ui_follow_snooze_at);
		ui->follow.asked_id = id;
		return 1;
	}
	if (core_remind_done(ui->core, id, ui_follow_said, ui, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
	} else
		ui_note(ui, "reminder done");
	free(id);
	return 1;
}
