/* /report: a broadcast's report over the pane, as natter broadcast
 * --report gives it (sent, read, replied for each person), made again
 * after every stored sync and send so that it follows receipts and
 * answers as they come. Up, Down, PgUp and PgDn scroll; any other key
 * closes it, as help does. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "natter/sanitize.h"
#include "natter/theme.h"
#include "ui-private.h"

struct ui_report {
	int64_t id;
	char **lines;		/* inert */
	size_t n;
	size_t top;
};

static void
ui_report_add(struct ui_report *r, const char *line)
{
	r->lines = xreallocarray(r->lines, r->n + 1, sizeof *r->lines);
	r->lines[r->n++] = san_text(line, 0);
}

static void
ui_report_clear(struct ui_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i]);
	xfree(&r->lines);
	r->n = 0;
}

static void
ui_report_time(int64_t ms, char *out, size_t size)
{
	nt_local_time(ms, "%Y-%m-%d %H:%M", "(no time)", out, size);
}

static void
ui_report_person(struct ui_report *r, const struct store_bcast_recipient *p)
{
	struct buf b = {0};

	if (p->user_id == NULL)
		buf_printf(&b, "  %s: ", p->target);
	else if (p->user_name != NULL && *p->user_name != '\0')
		buf_printf(&b, "  %s (%s): ", p->user_name, p->user_id);
	else
		buf_printf(&b, "  %s: ", p->user_id);
	core_broadcast_fate(&b, p, 0);
	ui_report_add(r, b.data);
	buf_free(&b);
}

/* The report as the cache has it now: a heading for each room, a line for
 * each person in it, and the count. */
static int
ui_report_build(struct ui *ui, struct ui_report *r, char **cause)
{
	struct store_bcast_recipient *p;
	struct store_broadcast b;
	struct buf tally = {0};
	const char *room = NULL;
	char when[32], *text, *line;
	size_t n;

	if (store_broadcast_get(ui->store, r->id, &b, cause) == -1)
		return -1;
	if (store_broadcast_report(ui->store, r->id, core_self(ui->core), &p, &n, cause) == -1) {
		store_broadcast_clear(&b);
		return -1;
	}
	ui_report_clear(r);
	ui_report_time(b.created_ts, when, sizeof when);
	text = san_excerpt(b.body, 200);
	line = xasprintf("Broadcast %lld, %s: %s", (long long)r->id, when, text);
	ui_report_add(r, line);
	free(line);
	free(text);
	for (size_t i = 0; i < n; i++) {
		const char *here = p[i].room_id != NULL ? p[i].room_id : "";

		if (room == NULL || strcmp(room, here) != 0 || p[i].user_id == NULL) {
			room = here;
			line = p[i].direct ? xasprintf("%s (direct chat)", p[i].target) :
			    p[i].room_id == NULL ? xasprintf("%s", p[i].target) :
			    xasprintf("%s (%s)", p[i].target, p[i].room_name != NULL ?
			    p[i].room_name : p[i].room_id);
			ui_report_add(r, line);
			free(line);
		}
		ui_report_person(r, &p[i]);
	}
	core_broadcast_tally(&tally, p, n);
	ui_report_add(r, tally.data);
	buf_free(&tally);
	store_bcast_recipients_free(&p, n);
	store_broadcast_clear(&b);
	return 0;
}

static void
ui_report_members_done(void *arg, int status, const char *result)
{
	struct ui *ui = arg;

	if (status == CORE_DONE)
		ui_report_refresh(ui);
}

/* A group room's members come lazily with a sync: those of the rooms the
 * broadcast went to are asked of the homeserver, and the report made
 * again as each answer is kept. */
static void
ui_report_members(struct ui *ui, int64_t id)
{
	struct store_bcast_recipient *p;
	size_t n;

	if (store_broadcast_report(ui->store, id, core_self(ui->core), &p, &n, NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		int seen = p[i].room_id == NULL || p[i].direct;

		for (size_t j = 0; j < i && !seen; j++)
			seen = p[j].room_id != NULL && strcmp(p[j].room_id, p[i].room_id) == 0;
		if (!seen)
			core_members_fetch(ui->core, p[i].room_id, ui_report_members_done, ui, NULL);
	}
	store_bcast_recipients_free(&p, n);
}

int
ui_report_open(struct ui *ui, int64_t id, char **cause)
{
	struct ui_report *r = xcalloc(1, sizeof *r);
	struct store_broadcast *all;
	size_t n;

	if (id <= 0) {
		if (store_broadcast_list(ui->store, &all, &n, cause) == -1) {
			free(r);
			return -1;
		}
		id = n > 0 ? all[0].id : 0;
		store_broadcast_free(&all, n);
		if (id == 0) {
			free(r);
			return cause_set(cause, "no broadcasts yet");
		}
	}
	r->id = id;
	if (ui_report_build(ui, r, cause) == -1) {
		free(r);
		return -1;
	}
	ui_report_free(ui);
	ui->over.report = r;
	ui_report_members(ui, id);
	ui_dirty(ui);
	return 0;
}

void
ui_report_refresh(struct ui *ui)
{
	if (ui->over.report != NULL && ui_report_build(ui, ui->over.report, NULL) == 0)
		ui_dirty(ui);
}

void
ui_report_free(struct ui *ui)
{
	if (ui->over.report == NULL)
		return;
	ui_report_clear(ui->over.report);
	xfree(&ui->over.report);
}

int
ui_report_key(struct ui *ui, const struct key *k)
{
	struct ui_report *r = ui->over.report;
	size_t page = LINES > 8 ? (size_t)LINES - 8 : 1;

	if (r == NULL)
		return 0;
	if (k->mods == 0 && (k->code == KEYS_DOWN || k->code == 'j'))
		r->top++;
	else if (k->mods == 0 && (k->code == KEYS_UP || k->code == 'k'))
		r->top -= r->top > 0;
	else if (k->mods == 0 && (k->code == KEYS_PGDN || k->code == ' '))
		r->top += page;
	else if (k->mods == 0 && k->code == KEYS_PGUP)
		r->top = r->top > page ? r->top - page : 0;
	else
		ui_report_free(ui);
	if (ui->over.report != NULL && r->top >= r->n)
		r->top = r->n > 0 ? r->n - 1 : 0;
	ui_dirty(ui);
	return 1;
}

int
ui_report_shown(struct ui *ui)
{
	return ui->over.report != NULL;
}

void
ui_report_draw(struct ui *ui, int top, int height, int left, int width)
{
	struct ui_report *r = ui->over.report;
	int rows = height - 1;
	size_t first;

	if (rows < 1)
		return;
	for (int row = 0; row < height; row++) {
		move(top + row, left);
		clrtoeol();
	}
	first = r->n <= (size_t)rows ? 0 : r->top < r->n - (size_t)rows ? r->top :
	    r->n - (size_t)rows;
	for (int row = 0; row < rows && first + (size_t)row < r->n; row++)
		ui_put(top + row, left + 1, r->lines[first + (size_t)row], width - 1, THEME_PANE);
	ui_put(top + rows, left + 1, "Up/Down/PgUp/PgDn scroll, any other key closes the report",
	    width - 1, THEME_STATUS);
}
