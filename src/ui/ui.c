/* The terminal UI: one loop for keys, the sync and the screen. Changes
 * only mark the screen dirty; one pass later draws it (tmux style). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <curses.h>

#include "natter/editor.h"
#include "natter/log.h"
#include "natter/notify.h"
#include "natter/keys.h"
#include "natter/loop.h"
#include "natter/sanitize.h"
#include "natter/ui.h"
#include "ui-private.h"

#define UI_SYNC_TIMEOUT_MS 30000L

static void
ui_redraw_due(void *arg)
{
	struct ui *ui = arg;

	ui->redraw_timer = 0;
	if (ui->dirty)
		ui_redraw(ui);
	/* Once for all the notifications since the last pass. */
	if (ui->status.bell) {
		ui->status.bell = 0;
		beep();
	}
}

void
ui_dirty(struct ui *ui)
{
	ui->dirty = 1;
	if (ui->redraw_timer == 0)
		ui->redraw_timer = loop_timer_add(ui->loop, 0, ui_redraw_due, ui);
}

static void
ui_note_set(struct ui *ui, int error, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);

	free(ui->status.note);
	ui->status.note = san_text(msg, 0);
	ui->status.note_error = error;
	ui->status.note_gen++;
	free(msg);
	ui_dirty(ui);
}

void
ui_note(struct ui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ui_note_set(ui, 0, fmt, ap);
	va_end(ap);
}

void
ui_error(struct ui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ui_note_set(ui, 1, fmt, ap);
	va_end(ap);
}

void
ui_warn(struct ui *ui, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ui->status.warnings = xreallocarray(ui->status.warnings, ui->status.n_warnings + 1,
	    sizeof *ui->status.warnings);
	ui->status.warnings[ui->status.n_warnings++] = san_text(msg, 0);
	free(msg);
	ui_dirty(ui);
}

char *
ui_warning_text(const struct ui *ui)
{
	const struct ui_status *s = &ui->status;

	if (s->n_warnings == 0)
		return NULL;
	if (s->n_warnings == 1)
		return xasprintf("%s  (Esc dismisses)", s->warnings[0]);
	return xasprintf("%s  (1 of %zu; Esc dismisses)", s->warnings[0], s->n_warnings);
}

int
ui_warn_dismiss(struct ui *ui)
{
	struct ui_status *s = &ui->status;

	if (s->n_warnings == 0)
		return 0;
	free(s->warnings[0]);
	memmove(s->warnings, s->warnings + 1, --s->n_warnings * sizeof *s->warnings);
	ui_dirty(ui);
	return 1;
}

const struct ui_room *
ui_room_find(const struct ui *ui, const char *room_id)
{
	for (size_t i = 0; room_id != NULL && i < ui->n_rooms; i++)
		if (strcmp(ui->rooms[i].room_id, room_id) == 0)
			return &ui->rooms[i];
	return NULL;
}

static struct ui_draft *
ui_draft_find(struct ui *ui, const char *room_id)
{
	for (size_t i = 0; i < ui->compose.n_drafts; i++)
		if (strcmp(ui->compose.drafts[i].room_id, room_id) == 0)
			return &ui->compose.drafts[i];
	return NULL;
}

/* Keeps the compose text of the room being left, and the store keeps it
 * across restarts. */
static void
ui_draft_save(struct ui *ui)
{
	struct ui_draft *d;
	char *key;

	if (ui->current == NULL)
		return;
	if ((d = ui_draft_find(ui, ui->current)) == NULL) {
		ui->compose.drafts = xreallocarray(ui->compose.drafts, ui->compose.n_drafts + 1,
		    sizeof *ui->compose.drafts);
		d = &ui->compose.drafts[ui->compose.n_drafts++];
		d->room_id = xstrdup(ui->current);
		d->text = NULL;
		d->history = editor_history_new();
	}
	free(d->text);
	d->text = xstrdup(editor_text(ui->compose.ed));
	key = xasprintf("draft:%s", ui->current);
	store_meta_set(ui->store, key, d->text, NULL);
	free(key);
}

static void
ui_draft_restore(struct ui *ui)
{
	struct ui_draft *d = ui_draft_find(ui, ui->current);
	char *key, *text;

	if (d != NULL) {
		editor_set_text(ui->compose.ed, d->text, strlen(d->text), NULL);
		return;
	}
	key = xasprintf("draft:%s", ui->current);
	text = store_meta_get(ui->store, key);
	editor_set_text(ui->compose.ed, text != NULL ? text : "", text != NULL ? strlen(text) : 0, NULL);
	free(text);
	free(key);
}

/* The sent-message history of the room in view, for Up and Down. */
struct editor_history *
ui_history(struct ui *ui)
{
	struct ui_draft *d;

	if (ui->current == NULL)
		return NULL;
	if ((d = ui_draft_find(ui, ui->current)) == NULL) {
		ui_draft_save(ui);
		d = ui_draft_find(ui, ui->current);
	}
	return d->history;
}

static void
ui_history_done(void *arg, int ok, const char *result)
{
	struct ui *ui = arg;

	if (ok == -1)
		return;
	ui->view.fetching = 0;
	if (ok == 0)
		ui_note(ui, "%s", result);
	else {
		if (ui->view.fetch_noted)
			xfree(&ui->status.note);
		if (strcmp(result, "0") == 0)
			ui->view.at_start = 1;
	}
	ui->view.fetch_noted = 0;
	ui->view.gen++;
	ui_dirty(ui);
}

static void
ui_gap_done(void *arg, int ok, const char *result)
{
	struct ui *ui = arg;

	if (ok == -1)
		return;
	ui->view.fetching = 0;
	if (ok == 0) {
		ui->view.gap_empty = UI_GAP_EMPTY_MAX;
		ui_error(ui, "%s", result);
	} else {
		ui->view.gap_empty = strcmp(result, "0") == 0 ? ui->view.gap_empty + 1 : 0;
		xfree(&ui->status.note);
	}
	ui->view.gen++;
	ui_dirty(ui);
}

/* A gap between cached messages is in view: fetch the page above it.
 * Pages that bring nothing (a server going round in circles) or a
 * failure stop it until another room is opened. */
void
ui_gap_fetch(struct ui *ui)
{
	char *cause = NULL;

	if (ui->view.fetching || ui->current == NULL || ui->view.gap_empty >= UI_GAP_EMPTY_MAX)
		return;
	if (core_history_page(ui->core, ui->current, ui_gap_done, ui, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
		return;
	}
	ui->view.fetching = 1;
}

/* The top of the pane is in view: read further back in the cache, and
 * when the cache has no more, ask the server without waiting for it. */
void
ui_history_more(struct ui *ui, int quiet)
{
	char *cause = NULL;

	if (!ui->view.cache_short) {
		ui->view.history += UI_HISTORY_PAGE;
		ui->view.gen++;
		ui_dirty(ui);
		return;
	}
	if (ui->view.fetching || ui->view.at_start || ui->current == NULL)
		return;
	if (core_history_page(ui->core, ui->current, ui_history_done, ui, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
		return;
	}
	ui->view.fetching = 1;
	ui->view.fetch_noted = !quiet;
	if (!quiet)
		ui_note(ui, "loading older messages…");
}

/* Where the user had read up to before opening the room: the new
 * messages start after it. Taken before this visit marks them read. */
static void
ui_marker_capture(struct ui *ui)
{
	const char *self = core_self(ui->core);
	struct store_receipt *r;
	size_t n;

	xfree(&ui->view.marker);
	if (self == NULL || store_receipts(ui->store, ui->current, &r, &n, NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].user_id, self) == 0)
			ui->view.marker = xstrdup(r[i].event_id);
	store_receipts_free(&r, n);
}

void
ui_room_select(struct ui *ui, const char *room_id)
{
	ui->follow.sel = -1;
	if (ui->current != NULL && strcmp(ui->current, room_id) == 0)
		return;
	ui_ask_cancel(ui);
	ui_target_cancel(ui);
	ui_select_end(ui);
	ui_range_clear(ui);
	xfree(&ui->view.thread);
	if (ui->compose.typing_sent) {
		core_typing(ui->core, NULL, 0);
		ui->compose.typing_sent = 0;
	}
	ui_draft_save(ui);
	free(ui->current);
	ui->current = xstrdup(room_id);
	ui->view.scroll = 0;
	ui->view.history = UI_HISTORY_PAGE;
	ui->view.at_start = 0;
	ui->view.gap_empty = 0;
	xfree(&ui->status.typing);
	ui_draft_restore(ui);
	ui_marker_capture(ui);
	ui_view_changed(ui);
	ui_mark_read(ui);
	ui_dirty(ui);
}

/* A sync was stored: the list, counts and the pane may have changed. */
static void
ui_on_rooms(void *arg, size_t n_events)
{
	struct ui *ui = arg;

	ui->view.gen++;
	ui_rooms_reload(ui);
	ui_follow_reload(ui);
	ui_report_refresh(ui);
	if (n_events > 0)
		ui_mark_read(ui);
}

/* Who is typing in the room in view: "Dana is typing…". */
static void
ui_on_typing(void *arg, const char *room_id, const char *const *names, size_t n)
{
	struct ui *ui = arg;
	struct buf b = {0};

	if (ui->current == NULL || strcmp(room_id, ui->current) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", names[i]);
	xfree(&ui->status.typing);
	if (n > 0) {
		buf_puts(&b, n == 1 ? " is typing…" : " are typing…");
		ui->status.typing = san_text(b.data, 0);
	}
	buf_free(&b);
	ui_dirty(ui);
}

/* A second of the countdown to the next try while offline. */
static void
ui_retry_tick(void *arg)
{
	struct ui *ui = arg;

	ui->status.retry_timer = 0;
	if (ui->status.conn != CORE_OFFLINE || ui->status.retry_at == 0)
		return;
	if (nt_mono_ms() >= ui->status.retry_at)
		ui->status.retry_at = 0;
	else
		ui->status.retry_timer = loop_timer_add(ui->loop, 1000, ui_retry_tick, ui);
	ui_dirty(ui);
}

/* Offline, the status line counts down to the next try ("offline,
 * retrying in 4 s") rather than quote libcurl on why; being logged out
 * says why, which tells what to do. */
static void
ui_on_conn(void *arg, enum core_conn state, const char *why, int64_t retry_ms)
{
	struct ui *ui = arg;

	ui->status.conn = state;
	ui->status.retry_at = state == CORE_OFFLINE && retry_ms > 0 ? nt_mono_ms() + retry_ms : 0;
	loop_timer_cancel(ui->loop, ui->status.retry_timer);
	ui->status.retry_timer = ui->status.retry_at != 0 ?
	    loop_timer_add(ui->loop, (retry_ms - 1) % 1000 + 1, ui_retry_tick, ui) : 0;
	if (state != CORE_OFFLINE && why != NULL)
		ui_note(ui, "%s", why);
	/* Once a run, online: what another device cancelled leaves the pane. */
	if (state == CORE_ONLINE && !ui->sched_refreshed) {
		char *cause = NULL;

		ui->sched_refreshed = 1;
		if (core_schedule_refresh(ui->core, ui_sched_refreshed, ui, &cause) == -1) {
			log_msg("scheduled: %s", cause);
			free(cause);
		}
	}
	ui_dirty(ui);
}

static void
ui_on_outbox(void *arg, int64_t id, int status, const char *text, int64_t retry_ms)
{
	struct ui *ui = arg;

	ui->view.gen++;
	ui_dirty(ui);
	ui_report_refresh(ui);
	ui_pending_watch(ui, retry_ms);
}

/* The account's secrets, from another of the user's devices it verified. */
static void
ui_on_recovered(void *arg, int status, const struct core_recovered *r, const char *why)
{
	struct ui *ui = arg;

	if (status != CORE_DONE)
		ui_warn(ui, "%s", why != NULL ? why : "the account's keys did not come");
	else
		ui_note(ui, "The account's keys came from the device you verified: this device is "
		    "%s; %zu room keys restored from the backup.", r->device_signed ?
		    "signed by its owner" : "not signed", r->keys.imported);
	ui_dirty(ui);
}

static void
ui_on_resize(int signo, void *arg)
{
	struct ui *ui = arg;
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == -1) {
		ui_terminal_gone(ui, "the terminal cannot say its size any more");
		return;
	}
	if (ws.ws_row == 0 || ws.ws_col == 0) {
		ui_terminal_gone(ui, "the terminal was resized to nothing");
		return;
	}
	resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	ui_dirty(ui);
}

static void
ui_on_quit(int signo, void *arg)
{
	struct ui *ui = arg;

	ui->quit = 1;
	loop_break(ui->loop);
}

void
ui_terminal_gone(struct ui *ui, const char *why)
{
	ui->gone = why;
	ui_term_lost();
	ui->quit = 1;
	loop_break(ui->loop);
}

static void
ui_free(struct ui *ui)
{
	ui_ask_cancel(ui);
	ui_target_cancel(ui);
	ui_export_free(ui);
	ui_verify_free(&ui->over.verify);
	ui_draft_save(ui);
	ui_rooms_free(ui);
	for (size_t i = 0; i < ui->compose.n_drafts; i++) {
		free(ui->compose.drafts[i].room_id);
		free(ui->compose.drafts[i].text);
		editor_history_free(&ui->compose.drafts[i].history);
	}
	free(ui->compose.drafts);
	editor_free(&ui->compose.ed);
	editor_killring_free(&ui->compose.kills);
	loop_timer_cancel(ui->loop, ui->redraw_timer);
	loop_timer_cancel(ui->loop, ui->status.retry_timer);
	ui_pane_free(ui);
	ui_notify_free(ui);
	ui_search_free(ui);
	ui_help_free(ui);
	ui_report_free(ui);
	ui_follow_free(ui);
	free(ui->follow.asked_event);
	free(ui->follow.asked_room);
	free(ui->follow.asked_id);
	free(ui->view.sel);
	free(ui->view.thread);
	free(ui->view.mark);
	free(ui->view.mark_end);
	free(ui->status.typing);
	free(ui->view.marker);
	keys_table_free(&ui->own_keys);
	free(ui->current);
	free(ui->status.note);
	while (ui_warn_dismiss(ui))
		;
	free(ui->status.warnings);
	core_free(&ui->core);
}

static void
ui_watch(struct ui *ui)
{
	static const struct core_events events = {
		.conn = ui_on_conn,
		.rooms = ui_on_rooms,
		.typing = ui_on_typing,
		.notify = ui_on_notify,
		.outbox = ui_on_outbox,
		.verify = ui_on_verify,
		.recovered = ui_on_recovered,
		.reminders = ui_on_reminders,
	};

	loop_fd_add(ui->loop, STDIN_FILENO, POLLIN, ui_input, ui);
	loop_signal(ui->loop, SIGWINCH, ui_on_resize, ui, NULL);
	loop_signal(ui->loop, SIGTERM, ui_on_quit, ui, NULL);
	loop_signal(ui->loop, SIGHUP, ui_on_quit, ui, NULL);
	loop_signal(ui->loop, SIGINT, ui_on_quit, ui, NULL);
	core_start(ui->core, &events, ui, UI_SYNC_TIMEOUT_MS);
}

int
ui_main(const char *profile, const char *config, const struct settings *settings,
    const char *const *warnings, size_t n_warnings, int verbose)
{
	struct ui ui = {0};
	char *cause = NULL;

	if ((ui.core = core_open(profile, config, settings, CORE_NEED_SESSION, &cause)) == NULL) {
		fprintf(stderr, "natter: %s\n", cause);
		free(cause);
		return 1;
	}
	if (verbose && log_open(core_log_file(ui.core), &cause) == -1) {
		fprintf(stderr, "natter: %s (going on without it)\n", cause);
		xfree(&cause);
	}
	ui.store = core_store(ui.core);
	ui.loop = core_loop(ui.core);
	ui.compose.kills = editor_killring_new();
	ui.compose.ed = editor_new(ui.compose.kills);
	ui.status.conn = CORE_CONNECTING;
	ui.focused = 1;
	ui.settings = settings;
	ui.config_path = config;
	for (size_t i = 0; i < n_warnings; i++)
		ui_warn(&ui, "config: %s", warnings[i]);
	ui_theme_load(&ui);
	if (ui_term_start(&cause) == -1) {
		fprintf(stderr, "natter: %s\n", cause);
		free(cause);
		ui_theme_end();
		ui_free(&ui);
		return 1;
	}
	ui_theme_start(&ui);
	/* The cache first: the screen is there before the network answers. */
	ui_rooms_reload(&ui);
	ui.follow.sel = -1;
	ui_follow_reload(&ui);
	ui_redraw(&ui);
	ui_watch(&ui);
	while (!ui.quit && loop_run_once(ui.loop, -1) != -1)
		;
	ui_term_restore();
	ui_theme_end();
	ui_free(&ui);
	log_close();
	if (ui.gone != NULL) {
		fprintf(stderr, "natter: %s; the drafts and the outbox are kept\n", ui.gone);
		return 1;
	}
	return 0;
}
