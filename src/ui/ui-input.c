/* Keys: curses key codes and the escape sequences curses leaves alone
 * (bracketed paste, focus reports, Alt+key) turned into actions. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>

#include "natter/editor.h"
#include "natter/loop.h"
#include "ui-cmd.h"
#include "ui-private.h"

#define UI_ESC_MAX 16

/* Moves the selection by delta rooms in list order, wrapping around. */
static void
ui_room_step(struct ui *ui, int delta)
{
	size_t cur = 0;

	if (ui->n_rooms == 0)
		return;
	for (size_t i = 0; i < ui->n_rooms && ui->current != NULL; i++)
		if (strcmp(ui->rooms[i].room_id, ui->current) == 0)
			cur = i;
	cur = (cur + ui->n_rooms + (size_t)(delta % (int)ui->n_rooms)) % ui->n_rooms;
	ui_room_select(ui, ui->rooms[cur].room_id);
}

/* The next room with activity: mentions first, then unread. */
static void
ui_room_active(struct ui *ui)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ui->n_rooms; i++) {
			struct ui_room *r = &ui->rooms[i];

			if ((pass == 0 ? r->highlight : r->unread) > 0 &&
			    (ui->current == NULL || strcmp(r->room_id, ui->current) != 0)) {
				ui_room_select(ui, r->room_id);
				return;
			}
		}
	}
	ui_note(ui, "no other room has unread messages");
}

static void
ui_scroll(struct ui *ui, int lines)
{
	ui->scroll += lines;
	if (ui->scroll < 0)
		ui->scroll = 0;
	/* Near the top: read a longer stretch of history from the cache. */
	if (lines > 0)
		ui->history += lines;
	ui_dirty(ui);
}

static void
ui_send(struct ui *ui)
{
	const char *text = editor_text(ui->ed);
	char *cause = NULL;

	if (text[strspn(text, " \t\n")] == '\0')
		return;
	if (text[0] == '/' && text[1] != '/') {
		if (ui_command(ui, text)) {
			if (ui->current != NULL)
				editor_history_push(ui_history(ui), ui->ed);
			editor_clear(ui->ed);
			ui_dirty(ui);
		}
		return;
	}
	if (ui->current == NULL)
		return;
	if (ui->editing != NULL) {
		if (app_send_edit(ui->app, ui->current, ui->editing, text, &cause) == -1) {
			ui_note(ui, "%s", cause);
			free(cause);
			return;
		}
		xfree(&ui->editing);
		xfree(&ui->note);
		editor_clear(ui->ed);
		ui_dirty(ui);
		return;
	}
	if (text[0] == '/')
		text++;
	if (app_send_text(ui->app, ui->current, text, 0, NULL, &cause) == -1) {
		ui_note(ui, "%s", cause);
		free(cause);
		return;
	}
	editor_history_push(ui_history(ui), ui->ed);
	editor_clear(ui->ed);
	ui->scroll = 0;
	ui_dirty(ui);
}

/* Keys the editor understands, by control character. */
static int
ui_key_edit(struct ui *ui, wint_t c)
{
	enum editor_action act;

	switch (c) {
	case 1: act = EDITOR_HOME; break;		/* C-a */
	case 2: act = EDITOR_LEFT; break;		/* C-b */
	case 4: act = EDITOR_DELETE; break;		/* C-d */
	case 5: act = EDITOR_END; break;		/* C-e */
	case 21: act = EDITOR_KILL_LINE_START; break;	/* C-u */
	case 23: act = EDITOR_KILL_WORD_BACK; break;	/* C-w */
	case 25: act = EDITOR_YANK; break;		/* C-y */
	case 8: case 127: act = EDITOR_DELETE_BACK; break;
	case 6: act = EDITOR_RIGHT; break;		/* C-f */
	case 20: act = EDITOR_TRANSPOSE; break;		/* C-t */
	case 31: act = EDITOR_UNDO; break;		/* C-_ */
	default: return 0;
	}
	editor_do(ui->ed, act, NULL);
	return 1;
}

static void
ui_key_plain(struct ui *ui, wint_t c)
{
	char mb[8];
	mbstate_t st;
	size_t n;

	if (c == '\r' || c == '\n') {
		if (ui->paste)
			editor_paste(ui->ed, "\n", 1, NULL);
		else
			ui_send(ui);
	} else if (c == '\t' && ui->paste)
		editor_paste(ui->ed, "\t", 1, NULL);
	else if (c == 3) {					/* C-c */
		ui->quit = 1;
		loop_break(ui->loop);
	} else if (c == 12)					/* C-l */
		clearok(curscr, TRUE);
	else if (!ui_key_edit(ui, c) && c >= 0x20) {
		memset(&st, 0, sizeof st);
		if ((n = wcrtomb(mb, (wchar_t)c, &st)) != (size_t)-1 &&
		    (ui->paste ? editor_paste(ui->ed, mb, n, NULL) :
		    editor_insert(ui->ed, mb, n, NULL)) == -1)
			ui_note(ui, "the message is at its size limit");
	}
	ui_dirty(ui);
}

static void
ui_key_alt(struct ui *ui, wint_t c)
{
	if (c >= '1' && c <= '9') {
		size_t i = (size_t)(c - '1');

		if (i < ui->n_rooms)
			ui_room_select(ui, ui->rooms[i].room_id);
	} else if (c == 'a' || c == 'A')
		ui_room_active(ui);
	else if (c == 'b')
		editor_do(ui->ed, EDITOR_WORD_LEFT, NULL);
	else if (c == 'f')
		editor_do(ui->ed, EDITOR_WORD_RIGHT, NULL);
	else if (c == 'd')
		editor_do(ui->ed, EDITOR_KILL_WORD, NULL);
	else if (c == 'y')
		editor_do(ui->ed, EDITOR_YANK_POP, NULL);
	else if (c == 127 || c == 8)
		editor_do(ui->ed, EDITOR_KILL_ALNUM_BACK, NULL);
	else if (c == 'l')
		ui->list_toggled = !ui->list_toggled;
	else if (c == '\r' || c == '\n')
		editor_do(ui->ed, EDITOR_NEWLINE, NULL);
	ui_dirty(ui);
}

/* Up: rows of the draft, then the room's sent history; on an empty
 * draft, the user's last message comes back to be edited. */
static void
ui_key_up(struct ui *ui)
{
	struct store_msg *msgs;
	const char *self = app_self(ui->app);
	size_t n;

	if (editor_up(ui->ed, ui_history(ui)) != EDITOR_UP_EMPTY || ui->current == NULL)
		return;
	if (store_history(ui->store, ui->current, INT64_MAX, 50, &msgs, &n, NULL) == -1)
		return;
	for (size_t i = n; i-- > 0;) {
		const struct store_msg *m = &msgs[i];

		if (strcmp(m->type, "m.room.message") == 0 && !m->redacted && m->body != NULL &&
		    self != NULL && strcmp(m->sender, self) == 0) {
			free(ui->editing);
			ui->editing = xstrdup(m->event_id);
			editor_set_text(ui->ed, m->body, strlen(m->body), NULL);
			ui_note(ui, "editing your last message: Enter saves, Esc cancels");
			break;
		}
	}
	store_msgs_free(&msgs, n);
	if (ui->editing == NULL)
		editor_history_prev(ui_history(ui), ui->ed);
}

void
ui_edit_cancel(struct ui *ui)
{
	if (ui->editing == NULL)
		return;
	xfree(&ui->editing);
	editor_clear(ui->ed);
	xfree(&ui->note);
	ui_dirty(ui);
}

static void
ui_key_named(struct ui *ui, int key)
{
	const char *name = keyname(key);
	int page = LINES > 6 ? LINES - 6 : 1;
	MEVENT ev;

	if (name != NULL && strcmp(name, "kUP3") == 0)
		ui_room_step(ui, -1);
	else if (name != NULL && strcmp(name, "kDN3") == 0)
		ui_room_step(ui, 1);
	else if (key == KEY_PPAGE)
		ui_scroll(ui, page);
	else if (key == KEY_NPAGE)
		ui_scroll(ui, -page);
	else if (key == KEY_LEFT)
		editor_do(ui->ed, EDITOR_LEFT, NULL);
	else if (key == KEY_RIGHT)
		editor_do(ui->ed, EDITOR_RIGHT, NULL);
	else if (key == KEY_HOME)
		editor_do(ui->ed, EDITOR_HOME, NULL);
	else if (key == KEY_END)
		editor_do(ui->ed, EDITOR_END, NULL);
	else if (key == KEY_BACKSPACE)
		editor_do(ui->ed, EDITOR_DELETE_BACK, NULL);
	else if (key == KEY_DC)
		editor_do(ui->ed, EDITOR_DELETE, NULL);
	else if (key == KEY_UP)
		ui_key_up(ui);
	else if (key == KEY_DOWN)
		editor_down(ui->ed, ui_history(ui));
	else if (key == KEY_ENTER)
		ui_key_plain(ui, '\r');
	else if (key == KEY_F(2))
		ui->list_toggled = !ui->list_toggled;
	else if (key == KEY_MOUSE && getmouse(&ev) == OK)
		ui_scroll(ui, ev.bstate & BUTTON4_PRESSED ? 3 : -3);
	ui_dirty(ui);
}

/* An escape sequence curses did not know: CSI 200~ / 201~ around a
 * paste, CSI I / O for focus, or ESC + key for Alt. */
static void
ui_key_escape(struct ui *ui, const wint_t *seq, size_t n)
{
	char s[UI_ESC_MAX + 1];
	size_t i;

	if (n == 0) {
		ui_edit_cancel(ui);
		return;
	}
	if (seq[0] != '[' || n == 1) {
		ui_key_alt(ui, seq[0]);
		return;
	}
	for (i = 0; i < n && i < UI_ESC_MAX; i++)
		s[i] = seq[i] < 0x80 ? (char)seq[i] : '?';
	s[i] = '\0';
	if (strcmp(s, "[200~") == 0)
		ui->paste = 1;
	else if (strcmp(s, "[201~") == 0)
		ui->paste = 0;
	else if (strcmp(s, "[I") == 0) {
		ui->focused = ui->focus_known = 1;
		ui_mark_read(ui);
	} else if (strcmp(s, "[O") == 0) {
		ui->focused = 0;
		ui->focus_known = 1;
	}
}

/* Reads the rest of an escape sequence that is already waiting. */
static size_t
ui_read_escape(wint_t *seq)
{
	size_t n = 0;
	wint_t c;
	int r;

	while (n < UI_ESC_MAX && (r = get_wch(&c)) != ERR) {
		if (r == KEY_CODE_YES)
			break;
		seq[n++] = c;
		/* ESC [ ... ends with a byte in @-~; ESC x is Alt-x. */
		if (n == 1 && c != '[')
			break;
		if (n > 1 && c >= 0x40 && c <= 0x7e)
			break;
	}
	return n;
}

void
ui_input(int fd, int revents, void *arg)
{
	struct ui *ui = arg;
	wint_t c, seq[UI_ESC_MAX];
	int r;

	while ((r = get_wch(&c)) != ERR) {
		if (c == 11 && r != KEY_CODE_YES && !ui->switching) {	/* C-k */
			ui_switch_open(ui);
			continue;
		}
		if (ui_switch_key(ui, r == KEY_CODE_YES, c))
			continue;
		if (r == KEY_CODE_YES)
			ui_key_named(ui, (int)c);
		else if (c == 27)
			ui_key_escape(ui, seq, ui_read_escape(seq));
		else
			ui_key_plain(ui, c);
		if (ui->quit)
			break;
	}
}
