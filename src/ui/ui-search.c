/* C-f and /search: a results view over the pane that searches the cache
 * as the query is typed. Enter opens the message in its room, selected,
 * with the messages around it; n and N then step through the results. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include <curses.h>

#include "natter/keys.h"
#include "natter/loop.h"
#include "natter/sanitize.h"
#include "natter/search.h"
#include "natter/theme.h"
#include "natter/text.h"
#include "ui-private.h"

#define UI_SEARCH_DELAY_MS 80	/* typing pauses this long before a search runs */
#define UI_SEARCH_LIMIT 200
#define UI_SEARCH_CONTEXT 20	/* messages loaded below a result opened */
#define UI_SEARCH_PROMPT "Search: "

struct ui_search {
	int open;		/* the results view is on the screen */
	char query[SEARCH_MAX_LEN + 1];
	char *ran;		/* the query of the hits, or NULL */
	struct search_hit *hits;
	size_t n;
	size_t sel;
	size_t top;		/* the first result drawn */
	char *error;		/* why the query has no results, made inert */
	uint64_t timer;
	int64_t partial;	/* joined rooms whose history the cache lacks part of */
	int fetching;		/* C-b: their history is being paged in */
	char *progress;		/* how that goes, made inert */
};

static struct ui_search *
ui_search_state(struct ui *ui)
{
	if (ui->over.search == NULL)
		ui->over.search = xcalloc(1, sizeof *ui->over.search);
	return ui->over.search;
}

void
ui_search_free(struct ui *ui)
{
	struct ui_search *s = ui->over.search;

	if (s == NULL)
		return;
	loop_timer_cancel(ui->loop, s->timer);
	search_hits_free(&s->hits, s->n);
	free(s->ran);
	free(s->error);
	free(s->progress);
	xfree(&ui->over.search);
}

static void
ui_search_run(void *arg)
{
	struct ui *ui = arg;
	struct ui_search *s = ui->over.search;
	struct search_opts o = {.limit = UI_SEARCH_LIMIT};
	char *cause = NULL;

	s->timer = 0;
	search_hits_free(&s->hits, s->n);
	s->n = s->sel = s->top = 0;
	xfree(&s->error);
	free(s->ran);
	s->ran = xstrdup(s->query);
	if (s->query[strspn(s->query, " ")] == '\0')
		;
	else if (search_run(ui->store, s->query, &o, &s->hits, &s->n, &cause) == -1) {
		s->error = san_text(cause, 0);
		free(cause);
	} else if (s->n == 0)
		s->error = xstrdup("nothing matches");
	s->partial = store_rooms_partial(ui->store, NULL, NULL);
	ui_dirty(ui);
}

static void
ui_search_fetch_progress(const struct core_backfill_progress *p, void *arg)
{
	struct ui *ui = arg;
	struct ui_search *s = ui->over.search;
	char *name;

	if (s == NULL)
		return;
	name = san_text(p->name, 0);
	free(s->progress);
	s->progress = xasprintf("fetching history: [%zu/%zu] %s, %lld new event%s\u2026",
	    p->index + 1, p->n_rooms, name, (long long)p->added, p->added == 1 ? "" : "s");
	free(name);
	ui_dirty(ui);
}

static void
ui_search_fetch_done(void *arg, int status, const char *result)
{
	struct ui *ui = arg;
	struct ui_search *s = ui->over.search;

	if (status == CORE_CANCELLED)
		return;
	if (status == CORE_DONE)
		ui_note(ui, "history fetched: search covers every room now");
	else
		ui_error(ui, "cannot fetch history: %s", result);
	if (s == NULL)
		return;
	s->fetching = 0;
	xfree(&s->progress);
	loop_timer_cancel(ui->loop, s->timer);
	ui_search_run(ui);
}

/* C-b: pages in the history the cache lacks, then searches again. */
static void
ui_search_fetch(struct ui *ui, struct ui_search *s)
{
	char *cause = NULL;

	if (s->fetching || s->partial <= 0)
		return;
	if (core_backfill(ui->core, NULL, ui_search_fetch_progress, ui, ui_search_fetch_done, ui,
	    &cause) == -1) {
		ui_error(ui, "cannot fetch history: %s", cause);
		free(cause);
		return;
	}
	s->fetching = 1;
	s->progress = xstrdup("fetching history\u2026");
}

/* Searches once typing pauses, so that a fast typist waits for nothing. */
static void
ui_search_later(struct ui *ui)
{
	struct ui_search *s = ui->over.search;

	loop_timer_cancel(ui->loop, s->timer);
	s->timer = loop_timer_add(ui->loop, UI_SEARCH_DELAY_MS, ui_search_run, ui);
}

void
ui_search_open(struct ui *ui, const char *query)
{
	struct ui_search *s = ui_search_state(ui);

	s->open = 1;
	if (query != NULL) {
		snprintf(s->query, sizeof s->query, "%s", query);
		loop_timer_cancel(ui->loop, s->timer);
		ui_search_run(ui);
	}
	ui_dirty(ui);
}

/* Opens result i: its room, the messages around it loaded, and the
 * message selected. */
static void
ui_search_jump(struct ui *ui, size_t i)
{
	struct ui_search *s = ui->over.search;
	const struct search_hit *h = &s->hits[i];
	struct store_msg m;
	int64_t below;

	if (store_msg_get(ui->store, h->event_id, &m, NULL) == -1) {
		ui_note(ui, "that message is no longer in the cache");
		return;
	}
	s->sel = i;
	s->open = 0;
	ui_room_select(ui, h->room_id);
	/* A thread's reply is found in its thread, when its root is cached. */
	ui_thread_close(ui);
	if (m.thread_root != NULL) {
		struct store_msg root;

		if (store_msg_get(ui->store, m.thread_root, &root, NULL) == 0) {
			ui_thread_open(ui, root.event_id);
			store_msg_clear(&root);
		}
	}
	below = store_history_count(ui->store, h->room_id, m.seq);
	if (below + UI_SEARCH_CONTEXT > ui->view.history)
		ui->view.history = below + UI_SEARCH_CONTEXT;
	free(ui->view.sel);
	ui->view.sel = xstrdup(h->event_id);
	ui->view.sel_follow = UI_FOLLOW_CENTRE;
	ui_note(ui, "result %zu of %zu: %s and %s step through them, Esc goes back", i + 1, s->n,
	    "n", "N");
	store_msg_clear(&m);
	ui_dirty(ui);
}

/* n and N in select mode: the next or previous result. */
void
ui_search_step(struct ui *ui, int delta)
{
	struct ui_search *s = ui->over.search;

	if (s == NULL || s->n == 0) {
		ui_note(ui, "no search results to step through: C-f searches");
		return;
	}
	if ((delta > 0 && s->sel + 1 >= s->n) || (delta < 0 && s->sel == 0)) {
		ui_note(ui, "that was the %s result", delta > 0 ? "last" : "first");
		return;
	}
	ui_search_jump(ui, delta > 0 ? s->sel + 1 : s->sel - 1);
}

void
ui_query_backspace(char *q)
{
	size_t len = strlen(q);

	while (len > 0 && ((unsigned char)q[len - 1] & 0xc0) == 0x80)
		len--;
	if (len > 0)
		len--;
	q[len] = '\0';
}

void
ui_query_type(char *q, size_t size, uint32_t code)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t n, len = strlen(q);

	memset(&st, 0, sizeof st);
	if ((n = wcrtomb(mb, (wchar_t)code, &st)) != (size_t)-1 && len + n < size) {
		memcpy(q + len, mb, n);
		q[len + n] = '\0';
	}
}

/* A key while the results view is open; returns 1 when it took it. */
int
ui_search_key(struct ui *ui, const struct key *k)
{
	struct ui_search *s = ui->over.search;
	int changed = 0;

	if (s == NULL || !s->open)
		return 0;
	if (k->code == KEYS_ESC || (k->mods == KEYS_CTRL && (k->code == 'g' || k->code == 'f')))
		s->open = 0;
	else if (k->code == KEYS_ENTER) {
		if (s->timer != 0) {
			loop_timer_cancel(ui->loop, s->timer);
			ui_search_run(ui);
		}
		if (s->n > 0)
			ui_search_jump(ui, s->sel);
	} else if (k->mods == KEYS_CTRL && k->code == 'e') {
		if (s->n > 0 && ui_export_start(ui, NULL))
			s->open = 0;
		else if (s->n == 0)
			ui_note(ui, "no results to export");
	} else if (k->mods == KEYS_CTRL && k->code == 'b') {
		ui_search_fetch(ui, s);
	} else if (k->code == KEYS_DOWN || (k->mods == KEYS_CTRL && k->code == 'n')) {
		if (s->sel + 1 < s->n)
			s->sel++;
	} else if (k->code == KEYS_UP || (k->mods == KEYS_CTRL && k->code == 'p')) {
		if (s->sel > 0)
			s->sel--;
	} else if (k->code == KEYS_BACKSPACE) {
		ui_query_backspace(s->query);
		changed = 1;
	} else if (k->mods == KEYS_CTRL && k->code == 'u') {
		s->query[0] = '\0';
		changed = 1;
	} else if (k->mods == 0 && k->code >= 0x20 && k->code < KEYS_SPECIAL) {
		ui_query_type(s->query, sizeof s->query, k->code);
		changed = 1;
	}
	if (changed)
		ui_search_later(ui);
	ui_dirty(ui);
	return 1;
}

/* The query of the results n and N step through, or NULL. */
const char *
ui_search_query(struct ui *ui)
{
	return ui->over.search != NULL && ui->over.search->n > 0 ? ui->over.search->ran : NULL;
}

int
ui_search_shown(struct ui *ui)
{
	return ui->over.search != NULL && ui->over.search->open;
}

/* A snippet with its marks drawn as search matches. */
static void
ui_search_put_snippet(int y, int x, int cells, const char *snippet, int element)
{
	const char *p = snippet;
	int match = 0;

	while (*p != '\0' && cells > 0) {
		size_t n = strcspn(p, SEARCH_MARK_ON SEARCH_MARK_OFF);
		char *piece = xstrndup(p, n);
		int used = ui_put(y, x, piece, cells, match ? THEME_SEARCH_MATCH : element);

		x += used;
		cells -= used;
		free(piece);
		p += n;
		if (*p != '\0')
			match = *p++ == SEARCH_MARK_ON[0];
	}
}

static void
ui_search_draw_hit(struct ui *ui, const struct search_hit *h, int y, int left, int width,
    int selected)
{
	char when[32], *head, *name = san_text(h->room_name != NULL ? h->room_name : h->room_id, 0);
	char *who = san_text(h->sender_name != NULL ? h->sender_name : h->sender, 0);
	time_t t = (time_t)(h->ts / 1000);
	struct tm tm;
	int el = selected ? THEME_LIST_SELECTED : THEME_PANE;

	if (localtime_r(&t, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm) == 0)
		when[0] = '\0';
	head = xasprintf("%s \u00b7 %s \u00b7 %s%s", name, who, when,
	    h->thread_root != NULL ? " \u00b7 in a thread" : "");
	ui_fill(y, left, width, el);
	ui_fill(y + 1, left, width, el);
	ui_put(y, left + 1, head, width - 1, selected ? THEME_LIST_SELECTED : THEME_TIMESTAMP);
	ui_search_put_snippet(y + 1, left + 3, width - 3, h->snippet != NULL ? h->snippet : "",
	    el);
	free(head);
	free(who);
	free(name);
}

/* The results over the pane, two rows each, and the query in the
 * compose row. */
void
ui_search_draw(struct ui *ui, int top, int height, int left, int width)
{
	struct ui_search *s = ui->over.search;
	size_t fit = height > 1 ? (size_t)(height - 1) / 2 : 0;
	char *status, *shown, *partial;
	int x;

	for (int row = 0; row < height; row++) {
		move(top + row, left);
		clrtoeol();
	}
	if (s->sel < s->top)
		s->top = s->sel;
	if (fit > 0 && s->sel >= s->top + fit)
		s->top = s->sel - fit + 1;
	if (s->error != NULL)
		status = xstrdup(s->error);
	else if (s->ran == NULL || s->ran[0] == '\0')
		status = xstrdup("words, \"phrases\", -word, from: in: before: after: on: "
		    "has:file has:link is:dm");
	else
		status = xasprintf("%zu result%s%s: Enter opens one, C-e exports them all, "
		    "Esc closes", s->n, s->n == 1 ? "" : "s",
		    s->timer != 0 ? " (searching\u2026)" : "");
	if (s->fetching && s->progress != NULL)
		partial = xasprintf("%s %s", s->progress, status);
	else if (s->partial > 0)
		partial = xasprintf("%lld room%s not fully cached, C-b fetches %s; %s",
		    (long long)s->partial, s->partial == 1 ? " is" : "s are",
		    s->partial == 1 ? "it" : "them", status);
	else
		partial = xstrdup(status);
	ui_put(top, left + 1, partial, width - 1, s->error != NULL ? THEME_ERROR : THEME_STATUS);
	free(partial);
	free(status);
	for (size_t i = s->top; i < s->n && i - s->top < fit; i++)
		ui_search_draw_hit(ui, &s->hits[i], top + 1 + 2 * (int)(i - s->top), left, width,
		    i == s->sel);
	move(LINES - 1, 0);
	clrtoeol();
	ui_put(LINES - 1, 0, UI_SEARCH_PROMPT, COLS, THEME_COMPOSE_PROMPT);
	shown = san_text(s->query, 0);
	x = (int)strlen(UI_SEARCH_PROMPT);
	x += ui_put(LINES - 1, x, shown, COLS - x, THEME_COMPOSE);
	move(LINES - 1, x < COLS ? x : COLS - 1);
	free(shown);
}
