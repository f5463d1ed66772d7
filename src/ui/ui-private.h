/* The terminal UI's own parts. */
#ifndef NATTER_UI_PRIVATE_H
#define NATTER_UI_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "natter/core.h"
#include "natter/keys.h"
#include "natter/store.h"
#include "natter/util.h"

struct editor;
struct rich;
struct rich_span;
struct ui_pane_cache;
struct editor_history;
struct editor_killring;

#define UI_LIST_WIDTH 24
#define UI_LIST_MIN_COLS 70	/* narrower than this the list folds away */
#define UI_COMPOSE_MAX 5	/* lines the compose box may grow to */
#define UI_HISTORY_PAGE 200	/* messages read at a time */
#define UI_FOLLOW_CENTRE 2
#define UI_GAP_EMPTY_MAX 3	/* empty gap pages before giving up on a room */
#define UI_WARN_MAX 3		/* rows a warning may take */
#define UI_ESCDELAY_MS 25	/* Esc then a key sooner than this is Alt-key */
/* A message sent longer ago than this whose event has not come back lies
 * in a gap of the history: the pane no longer shows it at the end. */
#define UI_ECHO_WAIT_MS (10 * 60 * 1000LL)
#define UI_UNSENT "your newest message here has not gone yet: try again once it has"
#define UI_NOTE_MAX 3		/* rows a note too long for the status line may take */

enum ui_section {
	UI_SECTION_VIP,		/* a VIP's direct chat, or a VIP's unread message */
	UI_SECTION_INVITES,
	UI_SECTION_FAVOURITES,
	UI_SECTION_DIRECT,
	UI_SECTION_SPACE,	/* a group for each space, headed by its name */
	UI_SECTION_ROOMS,	/* rooms of no space (of any, when not grouped) */
	UI_SECTION_LOW,
	UI_SECTION_COUNT,
};

/* A space the account is in, as the list heads its group of rooms. */
struct ui_space {
	char *room_id;
	char *name;		/* sanitised */
	int folded;		/* its rooms are not listed (but the one in view) */
	int64_t unread;		/* of its rooms, for the folded heading */
	int64_t highlight;
};

/* What sending the draft does. */
enum ui_target {
	UI_TARGET_NONE,		/* a new message */
	UI_TARGET_EDIT,		/* replaces target */
	UI_TARGET_REPLY,	/* answers target */
	UI_TARGET_REACT,	/* the draft is a reaction to target */
};

/* A room as the list shows it. */
struct ui_room {
	char *room_id;
	char *name;		/* sanitised */
	char *alias;		/* canonical alias, sanitised, or NULL */
	char *dm_user;		/* the other user of a direct chat, or NULL */
	enum ui_section section;
	int space;		/* UI_SECTION_SPACE: its index in ui->spaces */
	char **spaces;		/* names of the spaces it is in, for Ctrl-K */
	size_t n_spaces;
	int vip;		/* listed first, marked, for a VIP */
	int invited;		/* an invitation, not yet answered */
	int64_t unread;
	int64_t highlight;
	int64_t last_ts;
	int encrypted;
};

/* A room's unsent text, kept while another room is in view. */
struct ui_draft {
	char *room_id;
	char *text;
	struct editor_history *history;
};

struct settings;

struct ui;

/* The message pane: where it stands, what it has loaded, what is
 * selected or marked. */
struct ui_view {
	int scroll;		/* message lines scrolled up from the newest */
	int64_t history;	/* messages to read for the pane */
	int cache_short;	/* the cache had fewer than history */
	int fetching;		/* older history is on its way from the server */
	int fetch_noted;	/* and the status line says so */
	int at_start;		/* the room in view is cached back to its start */
	int gap_empty;		/* gap pages in a row that brought nothing */
	char *marker;		/* read up to here when the room was opened */
	int jump_marker;	/* scroll the marker into view at the next draw */
	size_t marker_line;	/* its line in the pane, SIZE_MAX when not there */
	unsigned gen;		/* bumped when what the pane shows may have changed */
	struct ui_pane_cache *cache;	/* the lines built, see ui-pane.c */
	uint64_t pending_timer;	/* a second of a retry's countdown */
	int64_t pending_until;	/* when the last countdown heard of ends */

	char *sel;		/* select mode: the selected event; NULL outside it */
	int sel_follow;		/* scroll the selection into view at the next draw
				 * (UI_FOLLOW_CENTRE: to the middle) */
	char *mark;		/* a marked range: from here to mark_end, in */
	char *mark_end;		/* either order; NULL when none */
	int confirm;		/* the delete key was pressed once */
	char *thread;		/* the root of the thread shown instead of the
				 * room, or NULL */
};

/* The compose box: the draft, what Enter does with it, and the drafts of
 * the rooms not in view. */
struct ui_compose {
	struct editor *ed;
	struct editor_killring *kills;
	struct ui_draft *drafts;
	size_t n_drafts;
	int paste;		/* inside a bracketed paste */
	enum ui_target target_kind;	/* what Enter does with the draft */
	char *target;		/* the event it edits, answers or reacts to */
	struct editor *aside;	/* the draft put aside while editing or reacting */
	int typing_sent;	/* we told the room we are typing */
	struct key_seq pending;	/* keys of a sequence being typed (C-x C-e) */
	char *ask;		/* the question the compose box answers, or NULL */
	void (*ask_cb)(struct ui *, const char *answer);	/* NULL: cancelled */
};

/* What is drawn over the pane. */
struct ui_overlays {
	struct ui_search *search;	/* C-f: the results view and its hits */
	struct ui_help *help;		/* /help, or NULL */
	struct ui_report *report;	/* /report, or NULL */
	struct ui_export *export;	/* /export being asked about or running */
	struct ui_verify *verify;	/* the verification dialog, or NULL */
	int switching;		/* the Ctrl-K switcher is open */
	char switch_query[128];
	size_t switch_sel;
};

/* A row of the Reminders or Waiting section of the list (ui-follow.c). */
struct ui_follow_row {
	char *room_id;
	char *event_id;
	char *id;		/* the reminder's; NULL on a Waiting row */
	char *text;		/* "Room: note — message", inert */
};

struct ui_follow {
	struct ui_follow_row *rows;	/* due reminders first, then Waiting */
	size_t n;
	size_t n_due;
	int sel;		/* the row moved onto (M-Up/M-Down), or -1 */
	uint64_t timer;		/* the lists are read again */
	char *asked_event;	/* the message "remind me at" asks a time for */
	char *asked_room;
	char *asked_id;		/* the reminder "snooze until" asks a time for */
};

/* The status line. */
struct ui_status {
	enum core_conn conn;
	int64_t retry_at;	/* offline: when the sync tries again (nt_mono_ms),
				 * 0 while it is trying */
	uint64_t retry_timer;	/* a second of its countdown */
	char *note;		/* one line for the status bar, or NULL */
	unsigned note_gen;	/* bumped by each note set */
	int note_error;		/* it says something failed */
	char *typing;		/* "Dana is typing…" for the room in view, or NULL */
	char **warnings;	/* about the config or the theme, sanitised: the
				 * first is shown until Esc dismisses it */
	size_t n_warnings;
	int bell;		/* a notification came: ring at the next redraw */
};

struct ui {
	const struct settings *settings;
	const char *config_path;	/* -c, for the children natter runs */
	struct core *core;
	struct store *store;
	struct loop *loop;
	struct keys_table *own_keys;	/* the defaults, without a config */

	struct ui_room *rooms;	/* in list order: by section (and space), then
				 * activity */
	size_t n_rooms;
	struct ui_space *spaces;	/* by name */
	size_t n_spaces;
	char *current;		/* room id in view, or NULL */
	int list_toggled;	/* the user showed (narrow) or hid (wide) the list */
	int focused;
	int focus_known;	/* the terminal reported focus at least once */

	struct ui_view view;
	struct ui_compose compose;
	struct ui_overlays over;
	struct ui_status status;
	struct ui_follow follow;

	int dirty;
	uint64_t redraw_timer;
	int quit;
	int sched_refreshed;	/* asked the homeserver which scheduled messages it holds */
	const char *gone;	/* why the terminal is gone, or NULL */
};

/* ui-follow.c */
void ui_follow_reload(struct ui *ui);
void ui_on_reminders(void *arg);
void ui_follow_free(struct ui *ui);
int ui_follow_draw(struct ui *ui, int y, int bottom, int width);
/* M-Up/M-Down over the follow-up rows and the rooms; 0 when there are no
 * follow-up rows (the rooms alone then). */
int ui_follow_step(struct ui *ui, int delta);
struct store_msg;
int ui_follow_action(struct ui *ui, enum keys_action act, const struct store_msg *m);

/* ui-term.c */
int ui_term_start(char **cause);
void ui_term_restore(void);
/* The terminal is gone: nothing is written to it any more, not even on
 * the way out. */
void ui_term_lost(void);
void ui_term_clipboard(const char *text);

/* ui.c */
void ui_dirty(struct ui *ui);
/* Ends natter because the terminal went away (why says how): what must
 * be kept is kept, nothing more is drawn, the exit status is 1. */
void ui_terminal_gone(struct ui *ui, const char *why);
/* ui-list.c: the room list's model, read from the store. */
void ui_rooms_reload(struct ui *ui);
void ui_rooms_free(struct ui *ui);
/* Whether the list shows the i-th room: not when its space is folded,
 * unless it is the one in view. */
int ui_room_listed(const struct ui *ui, size_t i);
/* Folds or unfolds the space group of the room in view (remembered in
 * the cache); says so, or why not. */
void ui_space_fold(struct ui *ui);
void ui_space_fold_named(struct ui *ui, const char *name);
/* The listed room with this id, or NULL. */
const struct ui_room *ui_room_find(const struct ui *ui, const char *room_id);
void ui_room_select(struct ui *ui, const char *room_id);
struct editor_history *ui_history(struct ui *ui);
/* quiet: the pane asks for itself (it is not full), and the status
 * line is left as it is. */
void ui_history_more(struct ui *ui, int quiet);
void ui_gap_fetch(struct ui *ui);
void ui_note(struct ui *ui, const char *fmt, ...) NT_ATTR_PRINTF(2, 3);
/* A note saying something failed, drawn in the theme's error colours. */
void ui_error(struct ui *ui, const char *fmt, ...) NT_ATTR_PRINTF(2, 3);
/* A complaint about the config or the theme, which stays on screen, over
 * the status line, until dismissed: the notes come and go. */
void ui_warn(struct ui *ui, const char *fmt, ...) NT_ATTR_PRINTF(2, 3);
/* The warning shown, with how to dismiss it; NULL when there is none. */
char *ui_warning_text(const struct ui *ui);
/* Esc: the warning shown goes, and the next one comes. 0 when there was
 * none. */
int ui_warn_dismiss(struct ui *ui);

/* ui-theme.c: elements are enum theme_element, or UI_NICK_BASE + i for
 * the i-th nick colour. */
#define UI_NICK_BASE 1000
/* Reads the theme the settings name; what is wrong with it goes to
 * stderr and ui_warn. */
void ui_theme_load(struct ui *ui);
/* Loads the theme if that was not done, and makes its colours. */
void ui_theme_start(struct ui *ui);
void ui_theme_end(void);
int ui_theme_attr(int element);
int ui_theme_nick(const char *user_id);

/* ui-pane.c: the message pane's model, without curses: the lines a room
 * shows, built from the cache, and where the pane stands in them. */
/* One screen line of the message pane. */
struct ui_line {
	char *time;		/* "14:03", on a message's first line only */
	char *name;		/* sender, likewise */
	int name_color;
	char *text;
	int color;
	int indent;		/* cells before text; the time and name fit in them */
	int msg;		/* the selectable message it shows (its index in
				 * ui_lines.events), or -1 */
	int edited;		/* the message's last line, ending in "(edited)" */
	struct rich_span *spans;	/* formatted text's attributes, offsets in text */
	size_t n_spans;
	int mention;		/* the message mentions us (core_msg_mentions_us) */
};

struct ui_lines {
	struct ui_line *v;
	size_t n;
	char **events;		/* the selectable messages, oldest first */
	size_t n_events;
	char *self_name;	/* our display name in the room, made inert */
	size_t gap_line;	/* "messages missing here", or SIZE_MAX */
};

/* ui-rich.c: a formatted message as the pane shows it, or NULL for one
 * shown as its plain body; and its spans, given to the lines head to the
 * last of l that wrapped text (which starts with r's text). */
struct rich *ui_msg_rich(const struct store_msg *m);
void ui_lines_rich(struct ui_lines *l, size_t head, const char *text, const struct rich *r);

/* What the pane shows now, as ui_pane_update last set it. */
struct ui_pane_view {
	const struct ui_lines *lines;
	size_t first;		/* the line at the top of the pane */
};

/* Brings the pane's state up to date for a pane of height rows and width
 * cells, before a draw: rebuilds its lines when what they show changed,
 * keeps the scroll position in range, follows the selection or the
 * new-messages marker, and starts loading older history when its top or
 * a gap in the cache is in view. */
void ui_pane_update(struct ui *ui, int height, int width);
/* The lines and top line to draw, or NULL lines before any update. */
struct ui_pane_view ui_pane_view(const struct ui *ui);
void ui_pane_free(struct ui *ui);
/* A message waits retry_ms for its next attempt (0: it does not): the
 * pane counts the seconds down. */
void ui_pending_watch(struct ui *ui, int64_t retry_ms);
size_t ui_pane_events(struct ui *ui, char *const **events, int *bottom);
int ui_pane_index(struct ui *ui, const char *event_id);
/* Cells a time takes in the pane. */
int ui_time_width(const struct ui *ui);

/* ui-draw.c: drawing, and only drawing. */
/* The screen's parts, from its size and the draft. */
struct ui_geometry {
	int list_w;		/* 0: no room list */
	int pane_top, pane_h, pane_left, pane_w;
	int warn_h;		/* rows of the warning under the pane */
	int note_h;		/* rows of a note too long for the status line,
				 * under that */
	int compose_h;
};
void ui_geometry(struct ui *ui, struct ui_geometry *g);
/* Updates what the screen depends on, then draws it: the one redraw. */
void ui_redraw(struct ui *ui);
void ui_draw(struct ui *ui, const struct ui_geometry *g);
int ui_list_shown(const struct ui *ui);
int ui_put(int y, int x, const char *s, int cells, int element);
void ui_fill(int y, int x, int cells, int element);

/* ui-notify.c */
struct notify_msg;
void ui_on_notify(void *arg, const struct notify_msg *msg);
/* Tells the core what is on screen, for what notifies. */
void ui_view_changed(struct ui *ui);
void ui_mark_read(struct ui *ui);
void ui_notify_free(struct ui *ui);

/* ui-switcher.c */
void ui_switch_open(struct ui *ui);
struct key;
int ui_switch_key(struct ui *ui, const struct key *k);
void ui_switch_draw(struct ui *ui, int top, int height, int left, int width);
size_t ui_switch_matches(struct ui *ui, size_t *out, size_t max);

/* ui-select.c */
void ui_select_start(struct ui *ui);
void ui_select_end(struct ui *ui);
int ui_select_action(struct ui *ui, enum keys_action act);
char *ui_select_hint(struct ui *ui, int keys);
int ui_range_count(struct ui *ui);
void ui_range_clear(struct ui *ui);

/* ui-thread.c: ui_thread_open shows the thread event_id starts or is
 * in; ui_thread_close goes back to the room (0: no thread was open). */
void ui_thread_open(struct ui *ui, const char *event_id);
int ui_thread_close(struct ui *ui);
void ui_thread_command(struct ui *ui, const char *args);

/* ui-search.c */
/* A one-line query typed over the pane (the search, the switcher), at
 * most size bytes with its NUL: the character typed added as UTF-8, or
 * the last one (a whole UTF-8 sequence) taken away. */
void ui_query_type(char *q, size_t size, uint32_t code);
void ui_query_backspace(char *q);
void ui_search_open(struct ui *ui, const char *query);
int ui_search_key(struct ui *ui, const struct key *k);
void ui_search_step(struct ui *ui, int delta);
int ui_search_shown(struct ui *ui);
const char *ui_search_query(struct ui *ui);
void ui_search_draw(struct ui *ui, int top, int height, int left, int width);
void ui_search_free(struct ui *ui);

/* ui-report.c: a broadcast's report (id 0: the newest), or -1 with a
 * cause; made again from the cache by ui_report_refresh. */
int ui_report_open(struct ui *ui, int64_t id, char **cause);
void ui_report_refresh(struct ui *ui);
void ui_report_free(struct ui *ui);
int ui_report_key(struct ui *ui, const struct key *k);
int ui_report_shown(struct ui *ui);
void ui_report_draw(struct ui *ui, int top, int height, int left, int width);

/* ui-help.c */
void ui_help_open(struct ui *ui);
void ui_help_free(struct ui *ui);
int ui_help_key(struct ui *ui, const struct key *k);
int ui_help_shown(struct ui *ui);
void ui_help_draw(struct ui *ui, int top, int height, int left, int width);

/* ui-export.c */
int ui_export_start(struct ui *ui, const char *args);
void ui_export_free(struct ui *ui);

/* ui-verify.c: the verification dialog. Its model, without curses: */
struct ui_verify {
	char *txn;
	char *user_raw;		/* the other side as the server names it, for the core */
	char *user_id;		/* the other side, sanitised */
	char *device_id;	/* sanitised; NULL until one of the user's answers */
	int incoming;		/* the other side asked */
	int accepting;		/* a pressed: their devices are being fetched */
	enum core_verify_state state;
	int answered;		/* y or n was pressed at the comparison */
	int emoji_ok;
	int emoji[7];
	int decimal[3];
	char *code;		/* a cancel's, sanitised */
	char *reason;
};
/* What a key does in the dialog. */
enum ui_verify_do {
	UI_VERIFY_NOTHING,
	UI_VERIFY_ACCEPT,	/* core_verify_accept */
	UI_VERIFY_MATCH,	/* core_verify_confirm, match */
	UI_VERIFY_DIFFER,	/* core_verify_confirm, no match */
	UI_VERIFY_CANCEL,	/* core_verify_cancel, and the dialog closes */
	UI_VERIFY_CLOSE,	/* it is over: the dialog closes */
};
struct ui_verify *ui_verify_new(const char *txn, const char *user_id, const char *device_id,
    int incoming);
void ui_verify_free(struct ui_verify **vp);
void ui_verify_update(struct ui_verify *v, const struct core_verify_info *info);
enum ui_verify_do ui_verify_decide(const struct ui_verify *v, const struct key *k);
/* The lines above the prompt, each at most width cells (free with
 * ui_verify_lines_free), and the prompt: the keys that do something. */
size_t ui_verify_lines(const struct ui_verify *v, int width, char ***lines);
void ui_verify_lines_free(char ***lines, size_t n);
const char *ui_verify_prompt(const struct ui_verify *v);
/* ... and the dialog. */
void ui_on_verify(void *arg, const struct core_verify_info *info);
int ui_verify_start(struct ui *ui, const char *args);
int ui_verify_key(struct ui *ui, const struct key *k);
int ui_verify_shown(const struct ui *ui);
void ui_verify_close(struct ui *ui);
void ui_verify_draw(struct ui *ui, int top, int height, int left, int width);

/* ui-cmd.c: commands typed in the compose box: /join, /me, /upload and
 * the rest. */
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
/* Your newest message in the room in view (with text_only, not a file)
 * while it is still in the outbox, its event not back from the
 * homeserver: 1 and its row in *it (to clear) once the homeserver took
 * it, -1 while it has not gone (UI_UNSENT says so), 0 when the newest is
 * in the cache. Edits and refused ones do not count. */
int ui_newest_unechoed(struct ui *ui, int text_only, struct store_outbox *it);

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
/* core_schedule_refresh's done: says when messages left the list. */
void ui_sched_refreshed(void *arg, int ok, const char *result);

/* ui-input.c */
void ui_input(int fd, int revents, void *arg);
/* Makes Enter edit, answer or react to event_id; an edit or a reaction
 * puts the draft aside until it is sent or cancelled. */
void ui_target_set(struct ui *ui, enum ui_target kind, const char *event_id);
void ui_target_cancel(struct ui *ui);
/* Sends text to the room in view: a new message, or an edit, reply or
 * reaction to event_id, as kind says. When text is the draft, the names
 * completed in it go as mentions. */
int ui_send_to(struct ui *ui, enum ui_target kind, const char *event_id, const char *text,
    char **cause);
/* Asks question on the status line; Enter hands the compose box's text
 * to cb, Esc hands it NULL. The draft is put aside meanwhile. */
void ui_ask(struct ui *ui, const char *question, void (*cb)(struct ui *, const char *answer));
void ui_ask_cancel(struct ui *ui);
void ui_typing_send(struct ui *ui);
void ui_external_editor(struct ui *ui);
const struct keys_table *ui_keys(struct ui *ui);
/* The first key bound to act, as written in [keys], or NULL. */
char *ui_key_name(struct ui *ui, enum keys_action act);
void ui_complete(struct ui *ui);

#endif
