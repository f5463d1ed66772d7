/* Keys: curses key codes and the escape sequences curses leaves alone
 * (bracketed paste, focus reports, Alt+key) turned into actions. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>

#include "natter/editor.h"
#include "natter/emoji.h"
#include "natter/keys.h"
#include "natter/sanitize.h"
#include "natter/settings.h"
#include "natter/loop.h"
#include "ui-private.h"

#define UI_ESC_MAX 16
#define UI_EMOJI_CANDIDATES 32	/* shortcodes Tab goes round */

/* Moves the selection by delta (1 or -1) rooms in list order, wrapping
 * around, past the rooms of folded spaces. */
static void
ui_room_step(struct ui *ui, int delta)
{
	size_t cur = 0, n = ui->n_rooms;

	if (ui_follow_step(ui, delta) || n == 0)
		return;
	for (size_t i = 0; i < n && ui->current != NULL; i++)
		if (strcmp(ui->rooms[i].room_id, ui->current) == 0)
			cur = i;
	for (size_t tries = 0; tries < n; tries++) {
		cur = delta > 0 ? (cur + 1) % n : (cur + n - 1) % n;
		if (ui_room_listed(ui, cur))
			break;
	}
	ui_room_select(ui, ui->rooms[cur].room_id);
}

/* The n-th room (from 0) the list shows, or NULL. */
static const char *
ui_room_nth(const struct ui *ui, size_t n)
{
	for (size_t i = 0; i < ui->n_rooms; i++)
		if (ui_room_listed(ui, i) && n-- == 0)
			return ui->rooms[i].room_id;
	return NULL;
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
	ui->view.scroll += lines;
	if (ui->view.scroll < 0)
		ui->view.scroll = 0;
	/* Near the top: read a longer stretch of history from the cache. */
	if (lines > 0)
		ui->view.history += lines;
	ui_dirty(ui);
}

void
ui_target_set(struct ui *ui, enum ui_target kind, const char *event_id)
{
	ui_target_cancel(ui);
	if (kind != UI_TARGET_REPLY && editor_len(ui->compose.ed) > 0) {
		ui->compose.aside = ui->compose.ed;
		ui->compose.ed = editor_new(ui->compose.kills);
	}
	ui->compose.target_kind = kind;
	ui->compose.target = xstrdup(event_id);
	ui_dirty(ui);
}

/* Ends an edit, reply or reaction: the draft put aside comes back, or
 * the box empties (a reply keeps what was typed when cancelled). */
static void
ui_target_end(struct ui *ui, int sent)
{
	if (ui->compose.aside != NULL) {
		editor_free(&ui->compose.ed);
		ui->compose.ed = ui->compose.aside;
		ui->compose.aside = NULL;
	} else if (sent || ui->compose.target_kind != UI_TARGET_REPLY)
		editor_clear(ui->compose.ed);
	ui->compose.target_kind = UI_TARGET_NONE;
	xfree(&ui->compose.target);
	xfree(&ui->status.note);
	ui_dirty(ui);
}

void
ui_target_cancel(struct ui *ui)
{
	if (ui->compose.target_kind != UI_TARGET_NONE)
		ui_target_end(ui, 0);
}

void
ui_ask(struct ui *ui, const char *question, void (*cb)(struct ui *, const char *answer))
{
	ui_target_cancel(ui);
	if (ui->compose.ask == NULL) {
		ui->compose.aside = ui->compose.ed;
		ui->compose.ed = editor_new(ui->compose.kills);
	} else
		editor_clear(ui->compose.ed);
	free(ui->compose.ask);
	ui->compose.ask = xstrdup(question);
	ui->compose.ask_cb = cb;
	ui_note(ui, "%s: Enter goes on, Esc cancels", question);
}

/* Ends a question: the draft comes back, and cb hears answer. */
static void
ui_ask_end(struct ui *ui, const char *answer)
{
	void (*cb)(struct ui *, const char *) = ui->compose.ask_cb;
	char *copy = answer != NULL ? xstrdup(answer) : NULL;

	editor_free(&ui->compose.ed);
	ui->compose.ed = ui->compose.aside;
	ui->compose.aside = NULL;
	xfree(&ui->compose.ask);
	ui->compose.ask_cb = NULL;
	xfree(&ui->status.note);
	cb(ui, copy);
	free(copy);
	ui_dirty(ui);
}

void
ui_ask_cancel(struct ui *ui)
{
	if (ui->compose.ask != NULL)
		ui_ask_end(ui, NULL);
}

int
ui_send_to(struct ui *ui, enum ui_target kind, const char *event_id, const char *text,
    char **cause)
{
	struct core_draft d = {.text = text};
	struct core_mention *names;
	size_t n = editor_mention_count(ui->compose.ed);
	int rc;

	if (kind == UI_TARGET_REACT)
		return core_send_reaction(ui->core, ui->current, event_id, text, NULL, NULL, cause);
	/* The names completed in the draft, when text is the draft (or the
	 * start of it): they are ranges of its bytes. */
	names = xcalloc(n + 1, sizeof *names);
	if (strncmp(text, editor_text(ui->compose.ed), strlen(text)) != 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct editor_mention *m = editor_mention(ui->compose.ed, i);

		if (m->start + m->len <= strlen(text))
			names[d.n_names++] = (struct core_mention){m->start, m->len, m->user_id};
	}
	d.names = names;
	d.reply_to = kind == UI_TARGET_REPLY ? event_id : NULL;
	d.edit = kind == UI_TARGET_EDIT ? event_id : NULL;
	d.thread = ui->view.thread;
	rc = core_send_draft(ui->core, ui->current, &d, NULL, NULL, cause);
	free(names);
	return rc;
}

/* Enter: the draft as ui_send_to sends it, without the newline a paste
 * may end with (typed trailing spaces stay), a reaction as its first line. */
static int
ui_send_target(struct ui *ui, const char *text, char **cause)
{
	size_t len = strlen(text);
	char *body;
	int rc;

	if (ui->compose.target_kind == UI_TARGET_REACT) {
		text += strspn(text, " \t\n");
		len = strcspn(text, "\n");
	}
	while (len > 0 && text[len - 1] == '\n')
		len--;
	body = xstrndup(text, len);
	rc = ui_send_to(ui, ui->compose.target_kind, ui->compose.target, body, cause);
	free(body);
	return rc;
}

/* A command or a message went: what an earlier one said is stale, unless
 * this one said something itself. */
static void
ui_note_stale(struct ui *ui, unsigned note_gen)
{
	if (ui->status.note_gen == note_gen)
		xfree(&ui->status.note);
}

static void
ui_send(struct ui *ui)
{
	const char *text = editor_text(ui->compose.ed);
	enum ui_target kind = ui->compose.target_kind;
	unsigned note_gen = ui->status.note_gen;
	char *cause = NULL;

	if (ui->compose.ask != NULL) {
		ui_ask_end(ui, text);
		return;
	}
	if (text[strspn(text, " \t\n")] == '\0')
		return;
	if (text[0] == '/' && text[1] != '/' &&
	    (kind == UI_TARGET_NONE || kind == UI_TARGET_REPLY)) {
		/* A command may ask a question, which puts this editor aside. */
		struct editor *ed = ui->compose.ed;

		if (ui_command(ui, text)) {
			if (ui->current != NULL)
				editor_history_push(ui_history(ui), ed);
			editor_clear(ed);
			ui_note_stale(ui, note_gen);
			ui_dirty(ui);
		}
		return;
	}
	if (ui->current == NULL)
		return;
	if (text[0] == '/' && kind != UI_TARGET_REACT)
		text++;
	if (ui_send_target(ui, text, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
		return;
	}
	if (kind == UI_TARGET_NONE || kind == UI_TARGET_REPLY)
		editor_history_push(ui_history(ui), ui->compose.ed);
	if (kind != UI_TARGET_NONE)
		ui_target_end(ui, 1);
	else
		editor_clear(ui->compose.ed);
	ui_note_stale(ui, note_gen);
	ui->view.scroll = 0;
	ui_dirty(ui);
}

/* Up on an empty draft while your last message is in the outbox: it comes
 * back to be edited once the homeserver has it; before, it cannot be. */
static int
ui_key_up_unechoed(struct ui *ui)
{
	struct store_outbox it;
	int r = ui_newest_unechoed(ui, 1, &it);

	if (r == -1)
		ui_note(ui, "%s", UI_UNSENT);
	if (r != 1)
		return r != 0;
	ui_target_set(ui, UI_TARGET_EDIT, it.event_id);
	editor_set_text(ui->compose.ed, it.body != NULL ? it.body : "",
	    it.body != NULL ? strlen(it.body) : 0, NULL);
	ui_note(ui, "editing your last message: Enter saves, Esc cancels");
	store_outbox_clear(&it);
	return 1;
}

/* Up: rows of the draft, then the room's sent history; on an empty
 * draft, the user's last message comes back to be edited. */
static void
ui_key_up(struct ui *ui)
{
	struct store_msg *msgs;
	const char *self = core_self(ui->core);
	size_t n;

	/* While editing a message, Up only moves within it. */
	if (ui->compose.target_kind == UI_TARGET_EDIT) {
		editor_do(ui->compose.ed, EDITOR_LINE_UP, NULL);
		return;
	}
	if (editor_up(ui->compose.ed, ui_history(ui)) != EDITOR_UP_EMPTY || ui->current == NULL)
		return;
	if (ui_key_up_unechoed(ui))
		return;
	if (store_history(ui->store, ui->current, INT64_MAX, 50, &msgs, &n, NULL) == -1)
		return;
	for (size_t i = n; i-- > 0;) {
		const struct store_msg *m = &msgs[i];

		if (strcmp(m->type, "m.room.message") == 0 && !m->redacted && m->body != NULL &&
		    m->url == NULL && self != NULL && strcmp(m->sender, self) == 0) {
			ui_target_set(ui, UI_TARGET_EDIT, m->event_id);
			editor_set_text(ui->compose.ed, m->body, strlen(m->body), NULL);
			ui_note(ui, "editing your last message: Enter saves, Esc cancels");
			break;
		}
	}
	store_msgs_free(&msgs, n);
	if (ui->compose.target_kind != UI_TARGET_EDIT)
		editor_history_prev(ui_history(ui), ui->compose.ed);
}

/* Esc in the compose box: dismisses a warning, else drops an edit,
 * reply or reaction, else a marked range, else leaves a thread. */
static void
ui_cancel(struct ui *ui)
{
	if (ui_warn_dismiss(ui))
		return;
	if (ui->compose.ask != NULL)
		ui_ask_cancel(ui);
	else if (ui->compose.target_kind != UI_TARGET_NONE)
		ui_target_cancel(ui);
	else if (ui->view.mark != NULL) {
		ui_range_clear(ui);
		ui_note(ui, "range cleared");
	} else if (ui_thread_close(ui))
		ui_note(ui, "back in the room");
}

/* Tells the room we are typing while the draft holds a message, and
 * that we stopped when it empties or is sent. */
void
ui_typing_send(struct ui *ui)
{
	const char *text = editor_text(ui->compose.ed);
	int typing = ui->current != NULL && text[0] != '\0' && text[0] != '/' &&
	    ui->compose.target_kind != UI_TARGET_REACT && ui->compose.ask == NULL &&
	    (ui->settings == NULL || ui->settings->ui.send_typing);

	if (typing) {
		core_typing(ui->core, ui->current, 1);
		ui->compose.typing_sent = 1;
	} else if (ui->compose.typing_sent) {
		core_typing(ui->core, NULL, 0);
		ui->compose.typing_sent = 0;
	}
}

const struct keys_table *
ui_keys(struct ui *ui)
{
	if (ui->settings != NULL && ui->settings->keys != NULL)
		return ui->settings->keys;
	if (ui->own_keys == NULL)
		ui->own_keys = keys_table_new();
	return ui->own_keys;
}

char *
ui_key_name(struct ui *ui, enum keys_action act)
{
	struct key_seq seq;

	return keys_bound(ui_keys(ui), act, &seq, 1) == 0 ? NULL : keys_format(&seq);
}

static void
ui_complete_cb(void *arg, enum editor_complete_kind kind, const char *prefix,
    struct editor_candidates *out)
{
	static const char *commands[] = {
		"broadcast", "delete", "discard", "dm", "edit", "export", "help", "invite", "join",
		"leave", "me", "nick", "open", "quit", "react", "reply", "report", "retry", "search",
		"thread", "topic", "upload", "verify",
	};
	struct ui *ui = arg;
	struct store_member *members;
	size_t n;

	if (kind == EDITOR_COMPLETE_COMMAND) {
		for (size_t i = 0; i < NT_NELEMS(commands); i++)
			editor_candidates_add(out, commands[i], NULL);
		return;
	}
	if (kind == EDITOR_COMPLETE_EMOJI) {
		const char *names[UI_EMOJI_CANDIDATES];
		size_t found = emoji_complete(prefix, names, NULL, NT_NELEMS(names));

		for (size_t i = 0; i < found && i < NT_NELEMS(names); i++)
			editor_candidates_add(out, names[i], NULL);
		return;
	}
	if (ui->current == NULL ||
	    store_members(ui->store, ui->current, &members, &n, NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		char *name = san_text(members[i].name, 0);

		if (members[i].membership == MX_MEMBERSHIP_JOIN)
			editor_candidates_add(out, name, members[i].user_id);
		free(name);
	}
	store_members_free(&members, n);
}

/* Tab: member names (as mentions), :shortcodes: and /commands. */
void
ui_complete(struct ui *ui)
{
	if (editor_complete(ui->compose.ed, 1, ui_complete_cb, ui, NULL) == EDITOR_UNCHANGED)
		beep();
}

static void
ui_quit(struct ui *ui)
{
	ui->quit = 1;
	loop_break(ui->loop);
}

static void
ui_insert(struct ui *ui, uint32_t code)
{
	char mb[8];
	mbstate_t st;
	size_t n;

	memset(&st, 0, sizeof st);
	if ((n = wcrtomb(mb, (wchar_t)code, &st)) != (size_t)-1 &&
	    (ui->compose.paste ? editor_paste(ui->compose.ed, mb, n, NULL) :
	    editor_insert(ui->compose.ed, mb, n, NULL)) == -1)
		ui_note(ui, "the message is at its size limit (64 KiB)");
}

/* Bound actions that move between rooms or through the pane. */
static int
ui_action_view(struct ui *ui, enum keys_action act)
{
	int page = LINES > 6 ? LINES - 6 : 1;

	if (act >= KEYS_ACT_ROOM_1 && act <= KEYS_ACT_ROOM_9) {
		const char *id = ui_room_nth(ui, (size_t)(act - KEYS_ACT_ROOM_1));

		if (id != NULL)
			ui_room_select(ui, id);
		return 1;
	}
	switch (act) {
	case KEYS_ACT_ROOM_NEXT: ui_room_step(ui, 1); break;
	case KEYS_ACT_ROOM_PREV: ui_room_step(ui, -1); break;
	case KEYS_ACT_ROOM_NEXT_ACTIVE: ui_room_active(ui); break;
	case KEYS_ACT_ROOM_SWITCHER: ui_switch_open(ui); break;
	case KEYS_ACT_SCROLL_UP: ui_scroll(ui, page); break;
	case KEYS_ACT_SCROLL_DOWN: ui_scroll(ui, -page); break;
	case KEYS_ACT_SCROLL_TOP: ui_scroll(ui, 1000000); break;
	case KEYS_ACT_SCROLL_BOTTOM: ui_scroll(ui, -ui->view.scroll); break;
	case KEYS_ACT_TOGGLE_LIST: ui->list_toggled = !ui->list_toggled; break;
	case KEYS_ACT_FOLD_SPACE: ui_space_fold(ui); break;
	case KEYS_ACT_REDRAW: clearok(curscr, TRUE); break;
	case KEYS_ACT_QUIT: ui_quit(ui); break;
	case KEYS_ACT_CANCEL: ui_cancel(ui); break;
	case KEYS_ACT_SELECT_MODE: ui_select_start(ui); break;
	case KEYS_ACT_SEARCH: ui_search_open(ui, NULL); break;
	case KEYS_ACT_SEARCH_NEXT: ui_search_step(ui, 1); break;
	case KEYS_ACT_SEARCH_PREV: ui_search_step(ui, -1); break;
	case KEYS_ACT_INVITE_ACCEPT: ui_cmd_answer_invite(ui, 1); break;
	case KEYS_ACT_INVITE_DECLINE: ui_cmd_answer_invite(ui, 0); break;
	case KEYS_ACT_JUMP_UNREAD:
		ui->view.jump_marker = 1;
		if (ui->view.marker == NULL)
			ui_note(ui, "no new messages since you last read this room");
		break;
	default: return 0;
	}
	return 1;
}

/* Bound actions of the compose box. */
static void
ui_action(struct ui *ui, enum keys_action act)
{
	static const struct {
		enum keys_action key;
		enum editor_action ed;
	} edits[] = {
		{KEYS_ACT_BACKSPACE, EDITOR_DELETE_BACK}, {KEYS_ACT_CHAR_LEFT, EDITOR_LEFT},
		{KEYS_ACT_CHAR_RIGHT, EDITOR_RIGHT}, {KEYS_ACT_DELETE_CHAR, EDITOR_DELETE},
		{KEYS_ACT_KILL_LINE_END, EDITOR_KILL_LINE},
		{KEYS_ACT_KILL_LINE_START, EDITOR_KILL_LINE_START},
		{KEYS_ACT_KILL_WORD, EDITOR_KILL_WORD_BACK}, {KEYS_ACT_LINE_END, EDITOR_END},
		{KEYS_ACT_LINE_START, EDITOR_HOME}, {KEYS_ACT_NEWLINE, EDITOR_NEWLINE},
		{KEYS_ACT_WORD_LEFT, EDITOR_WORD_LEFT}, {KEYS_ACT_WORD_RIGHT, EDITOR_WORD_RIGHT},
		{KEYS_ACT_YANK, EDITOR_YANK},
	};

	for (size_t i = 0; i < NT_NELEMS(edits); i++) {
		if (edits[i].key == act) {
			editor_do(ui->compose.ed, edits[i].ed, NULL);
			return;
		}
	}
	if (ui_action_view(ui, act))
		return;
	switch (act) {
	case KEYS_ACT_SEND: ui_send(ui); break;
	case KEYS_ACT_HISTORY_PREV: ui_key_up(ui); break;
	case KEYS_ACT_HISTORY_NEXT: editor_down(ui->compose.ed, ui_history(ui)); break;
	case KEYS_ACT_COMPLETE: ui_complete(ui); break;
	case KEYS_ACT_EDITOR: ui_external_editor(ui); break;
	default:
		ui_note(ui, "%s is not there yet in this version",
		    keys_action_info(act) ? keys_action_info(act)->name : "that key");
		break;
	}
}

/* Editor keys no action names: transpose, undo, yank-pop, word kills. */
static void
ui_key_fallback(struct ui *ui, const struct key *k)
{
	if (k->mods == 0 && k->code >= 0x20 && k->code < KEYS_SPECIAL)
		ui_insert(ui, k->code);
	else if (k->mods == KEYS_CTRL && k->code == 't')
		editor_do(ui->compose.ed, EDITOR_TRANSPOSE, NULL);
	else if (k->mods == KEYS_CTRL && (k->code == '_' || k->code == '/'))
		editor_do(ui->compose.ed, EDITOR_UNDO, NULL);
	else if (k->mods == KEYS_CTRL && k->code == 'c')
		ui_quit(ui);
	else if (k->mods == KEYS_ALT && k->code == 'd')
		editor_do(ui->compose.ed, EDITOR_KILL_WORD, NULL);
	else if (k->mods == KEYS_ALT && k->code == 'y')
		editor_do(ui->compose.ed, EDITOR_YANK_POP, NULL);
	else if (k->mods == KEYS_ALT && k->code == KEYS_BACKSPACE)
		editor_do(ui->compose.ed, EDITOR_KILL_ALNUM_BACK, NULL);
	else if (k->mods == 0 && k->code == KEYS_F(2))
		ui->list_toggled = !ui->list_toggled;
	else if (k->mods == 0 && k->code == KEYS_F(1))
		ui_help_open(ui);
}

/* One key: part of a bound sequence, a bound action, or text. */
static void
ui_key(struct ui *ui, const struct key *k)
{
	enum keys_action act;
	size_t n;

	if (ui->compose.paste && k->mods == 0) {
		if (k->code == KEYS_ENTER)
			editor_paste(ui->compose.ed, "\n", 1, NULL);
		else if (k->code == KEYS_TAB)
			editor_paste(ui->compose.ed, "\t", 1, NULL);
		else if (k->code < KEYS_SPECIAL)
			ui_insert(ui, k->code);
		ui_dirty(ui);
		return;
	}
	ui->compose.pending.keys[ui->compose.pending.n++] = *k;
	act = keys_match(ui_keys(ui), ui->view.sel != NULL ? KEYS_MODE_SELECT : KEYS_MODE_COMPOSE,
	    &ui->compose.pending);
	if (act == KEYS_ACT_PREFIX && ui->compose.pending.n < KEYS_SEQ_MAX)
		return;
	n = ui->compose.pending.n;
	ui->compose.pending.n = 0;
	if (ui->view.sel != NULL) {
		if ((int)act < 0 || (!ui_select_action(ui, act) && !ui_action_view(ui, act)))
			ui_note(ui, "select mode: Esc goes back to the compose box");
	} else if ((int)act >= 0)
		ui_action(ui, act);
	else if (n == 1)
		ui_key_fallback(ui, k);
	if (ui->view.sel == NULL)
		ui_typing_send(ui);
	ui_dirty(ui);
}

/* A curses key code as a key; 0 when it has no meaning here. */
static int
ui_key_named(int code, struct key *k)
{
	static const struct {
		int curses;
		uint32_t code;
	} keys[] = {
		{KEY_UP, KEYS_UP}, {KEY_DOWN, KEYS_DOWN}, {KEY_LEFT, KEYS_LEFT},
		{KEY_RIGHT, KEYS_RIGHT}, {KEY_HOME, KEYS_HOME}, {KEY_END, KEYS_END},
		{KEY_PPAGE, KEYS_PGUP}, {KEY_NPAGE, KEYS_PGDN}, {KEY_DC, KEYS_DEL},
		{KEY_IC, KEYS_INS}, {KEY_BACKSPACE, KEYS_BACKSPACE}, {KEY_ENTER, KEYS_ENTER},
		{KEY_BTAB, KEYS_BTAB},
	};
	static const struct {
		const char *name;
		uint32_t code;
		int mods;
	} names[] = {
		{"kUP3", KEYS_UP, KEYS_ALT}, {"kDN3", KEYS_DOWN, KEYS_ALT},
		{"kHOM3", KEYS_HOME, KEYS_ALT}, {"kEND3", KEYS_END, KEYS_ALT},
		{"kLFT5", KEYS_LEFT, KEYS_CTRL}, {"kRIT5", KEYS_RIGHT, KEYS_CTRL},
	};
	const char *name = keyname(code);

	k->mods = 0;
	for (size_t i = 0; i < NT_NELEMS(keys); i++) {
		if (keys[i].curses == code) {
			k->code = keys[i].code;
			return 1;
		}
	}
	if (code >= KEY_F(1) && code <= KEY_F(12)) {
		k->code = KEYS_F(code - KEY_F(0));
		return 1;
	}
	for (size_t i = 0; name != NULL && i < NT_NELEMS(names); i++) {
		if (strcmp(name, names[i].name) == 0) {
			k->code = names[i].code;
			k->mods = names[i].mods;
			return 1;
		}
	}
	return 0;
}

/* An escape sequence curses did not know: CSI 200~ / 201~ around a
 * paste, CSI I / O for focus, or ESC + key for Alt. */
static void
ui_key_escape(struct ui *ui, const wint_t *seq, size_t n)
{
	char s[UI_ESC_MAX + 1];
	size_t i;

	if (n == 0) {
		struct key esc = {KEYS_ESC, 0};

		if (!ui_verify_key(ui, &esc) && !ui_help_key(ui, &esc) &&
		    !ui_report_key(ui, &esc) &&
		    !ui_switch_key(ui, &esc) && !ui_search_key(ui, &esc))
			ui_key(ui, &esc);
		return;
	}
	if (seq[0] != '[' || n == 1) {
		struct key k;

		keys_from_char(seq[0], &k);
		k.mods |= KEYS_ALT;
		ui_key(ui, &k);
		return;
	}
	for (i = 0; i < n && i < UI_ESC_MAX; i++)
		s[i] = seq[i] < 0x80 ? (char)seq[i] : '?';
	s[i] = '\0';
	if (strcmp(s, "[200~") == 0)
		ui->compose.paste = 1;
	else if (strcmp(s, "[201~") == 0)
		ui->compose.paste = 0;
	else if (strcmp(s, "[I") == 0) {
		ui->focused = ui->focus_known = 1;
		ui_view_changed(ui);
		ui_mark_read(ui);
	} else if (strcmp(s, "[O") == 0) {
		ui->focused = 0;
		ui->focus_known = 1;
		ui_view_changed(ui);
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
	struct key k;
	MEVENT ev;
	int r;

	/* A closed terminal is ready to read forever: end rather than spin. */
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		ui_terminal_gone(ui, "the terminal hung up");
		return;
	}
	while ((r = get_wch(&c)) != ERR && !ui->quit) {
		if (r == KEY_CODE_YES && c == KEY_MOUSE) {
			if (getmouse(&ev) == OK && (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)))
				ui_scroll(ui, ev.bstate & BUTTON4_PRESSED ? 3 : -3);
			continue;
		}
		if (r != KEY_CODE_YES && c == 27) {
			ui_key_escape(ui, seq, ui_read_escape(seq));
			continue;
		}
		if (r == KEY_CODE_YES ? !ui_key_named((int)c, &k) : (keys_from_char(c, &k), 0))
			continue;
		if (ui_verify_key(ui, &k) || ui_help_key(ui, &k) || ui_switch_key(ui, &k) ||
		    ui_search_key(ui, &k) || ui_report_key(ui, &k))
			continue;
		ui_key(ui, &k);
	}
}
