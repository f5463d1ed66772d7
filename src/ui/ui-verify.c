/* The verification dialog: another device asks to verify this one, or
 * /verify asks another; both compare emoji or numbers (SAS) and say
 * whether they match, as `natter verify` does on the command line. The
 * model (the state heard, what a key does, the lines shown) has no
 * curses in it; the dialog takes every key while it is open. */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "natter/crypto.h"
#include "natter/keys.h"
#include "natter/sanitize.h"
#include "natter/text.h"
#include "natter/theme.h"
#include "ui-private.h"

#define UI_VERIFY_SPACE " \t\n"

/* A /verify, or an accept, waiting for the other user's devices. */
struct ui_verify_job {
	struct ui *ui;
	char *txn;		/* the request accepted; NULL for /verify */
	char *user_id;
	char *device_id;	/* NULL: every device of the user */
};

struct ui_verify *
ui_verify_new(const char *txn, const char *user_id, const char *device_id, int incoming)
{
	struct ui_verify *v = xcalloc(1, sizeof *v);

	v->txn = xstrdup(txn);
	v->user_raw = xstrdup(user_id);
	v->user_id = san_text(user_id, 0);
	v->device_id = device_id != NULL ? san_text(device_id, 0) : NULL;
	v->incoming = incoming;
	v->state = CORE_VERIFY_REQUESTED;
	return v;
}

void
ui_verify_free(struct ui_verify **vp)
{
	struct ui_verify *v = *vp;

	if (v == NULL)
		return;
	free(v->txn);
	free(v->user_raw);
	free(v->user_id);
	free(v->device_id);
	free(v->code);
	free(v->reason);
	xfree(vp);
}

/* Takes what the core says of v's verification; the server's strings
 * are made inert on the way in. */
void
ui_verify_update(struct ui_verify *v, const struct core_verify_info *info)
{
	v->state = info->state;
	if (info->device_id != NULL) {
		free(v->device_id);
		v->device_id = san_text(info->device_id, 0);
	}
	if (info->state == CORE_VERIFY_SAS) {
		v->emoji_ok = info->emoji_ok;
		memcpy(v->emoji, info->emoji, sizeof v->emoji);
		memcpy(v->decimal, info->decimal, sizeof v->decimal);
	}
	if (info->state == CORE_VERIFY_CANCELLED) {
		free(v->code);
		free(v->reason);
		v->code = san_text(info->code != NULL ? info->code : "m.user", 0);
		v->reason = san_text(info->reason != NULL ? info->reason : "no reason given", 0);
	}
}

/* What key k does in the dialog as it stands. */
enum ui_verify_do
ui_verify_decide(const struct ui_verify *v, const struct key *k)
{
	int plain = k->mods == 0;

	if (v->state == CORE_VERIFY_DONE || v->state == CORE_VERIFY_CANCELLED)
		return UI_VERIFY_CLOSE;
	if (plain && k->code == KEYS_ESC)
		return UI_VERIFY_CANCEL;
	if (v->state == CORE_VERIFY_REQUESTED && v->incoming && !v->accepting && plain &&
	    (k->code == 'a' || k->code == 'A'))
		return UI_VERIFY_ACCEPT;
	if (v->state == CORE_VERIFY_SAS && !v->answered && plain) {
		if (k->code == 'y' || k->code == 'Y')
			return UI_VERIFY_MATCH;
		if (k->code == 'n' || k->code == 'N')
			return UI_VERIFY_DIFFER;
	}
	return UI_VERIFY_NOTHING;
}

/* "DEVICE of @user", or "a device of @user" before one answered. */
static char *
ui_verify_who(const struct ui_verify *v)
{
	if (v->device_id == NULL)
		return xasprintf("a device of %s", v->user_id);
	return xasprintf("%s of %s", v->device_id, v->user_id);
}

/* What the dialog says before the emoji, in one paragraph. */
static char *
ui_verify_says(const struct ui_verify *v)
{
	char *who = ui_verify_who(v), *s;

	switch (v->state) {
	case CORE_VERIFY_REQUESTED:
		if (v->incoming && v->accepting)
			s = xasprintf("Waiting for %s to start\u2026", who);
		else if (v->incoming)
			s = xasprintf("%s asks to verify this device.", who);
		else
			s = xasprintf("Waiting for %s to accept\u2026", who);
		break;
	case CORE_VERIFY_READY:
	case CORE_VERIFY_STARTED:
		s = v->incoming ? xasprintf("Waiting for %s to start\u2026", who) :
		    xasprintf("Waiting for %s to exchange keys\u2026", who);
		break;
	case CORE_VERIFY_SAS:
		s = v->answered ? xasprintf("Waiting for the other side (%s)\u2026", who) :
		    xasprintf("Compare with what %s shows:", who);
		break;
	case CORE_VERIFY_CONFIRMED:
		s = xasprintf("Waiting for the other side (%s)\u2026", who);
		break;
	case CORE_VERIFY_DONE:
		s = xasprintf("Verified %s.", who);
		break;
	default:
		s = xasprintf("Verification with %s cancelled: %s (%s)", who, v->reason,
		    v->code);
		break;
	}
	free(who);
	return s;
}

const char *
ui_verify_prompt(const struct ui_verify *v)
{
	switch (v->state) {
	case CORE_VERIFY_REQUESTED:
		return v->incoming && !v->accepting ? "a accept \u00b7 Esc ignore" : "Esc cancel";
	case CORE_VERIFY_SAS:
		if (!v->answered)
			return "Do they match? y yes \u00b7 n no \u00b7 Esc cancel";
		return "Esc cancel";
	case CORE_VERIFY_DONE:
	case CORE_VERIFY_CANCELLED:
		return "any key closes";
	default:
		return "Esc cancel";
	}
}

static void
ui_verify_add(char ***lines, size_t *n, char *line)
{
	*lines = xreallocarray(*lines, *n + 1, sizeof **lines);
	(*lines)[(*n)++] = line;
}

/* s wrapped to width cells, a line each. */
static void
ui_verify_add_wrapped(char ***lines, size_t *n, const char *s, int width)
{
	struct text_line *tl;
	size_t nl = text_wrap(s, width, &tl);

	for (size_t i = 0; i < nl; i++) {
		char *line = xstrndup(s + tl[i].off, tl[i].len), *cut;

		/* A cluster wider than the line gets one of its own: cut it. */
		cut = text_truncate(line, width);
		free(line);
		ui_verify_add(lines, n, cut);
	}
	free(tl);
}

/* s in the middle of a column of cells cells (s fits in it). */
static void
ui_verify_centre(struct buf *b, const char *s, int cells)
{
	int w = text_width(s), before = (cells - w) / 2;

	buf_printf(b, "%*s%s%*s", before, "", s, cells - w - before, "");
}

/* The seven emoji in columns, each over its name, as many columns to a
 * row as width holds: a narrow terminal gets more rows. */
static void
ui_verify_add_emoji(const struct ui_verify *v, char ***lines, size_t *n, int width)
{
	int col = 2, per_row, rows;

	for (int i = 0; i < 7; i++) {
		int w = text_width(crypto_sas_emoji_name(v->emoji[i]));

		col = w > col ? w : col;
	}
	col = col > width ? width : col;
	per_row = (width + 1) / (col + 1);
	per_row = per_row < 1 ? 1 : per_row > 7 ? 7 : per_row;
	/* Rows as even as they go: 4 and 3 rather than 6 and 1. */
	rows = (7 + per_row - 1) / per_row;
	per_row = (7 + rows - 1) / rows;
	for (int first = 0; first < 7; first += per_row) {
		for (int part = 0; part < 2; part++) {
			struct buf b = {0};

			for (int i = first; i < first + per_row && i < 7; i++) {
				const char *s = part == 0 ? crypto_sas_emoji_char(v->emoji[i]) :
				    crypto_sas_emoji_name(v->emoji[i]);
				char *cut = text_truncate(s, col);

				if (i > first)
					buf_puts(&b, " ");
				ui_verify_centre(&b, cut, col);
				free(cut);
			}
			/* Trailing spaces would only be cut by the terminal. */
			while (b.len > 0 && b.data[b.len - 1] == ' ')
				b.data[--b.len] = '\0';
			ui_verify_add(lines, n, buf_steal(&b));
		}
	}
}

/* The dialog's lines above its prompt, none wider than width cells. */
size_t
ui_verify_lines(const struct ui_verify *v, int width, char ***lines)
{
	char *says = ui_verify_says(v), *numbers;
	size_t n = 0;

	width = width < 1 ? 1 : width;
	*lines = NULL;
	ui_verify_add_wrapped(lines, &n, says, width);
	free(says);
	if (v->state != CORE_VERIFY_SAS || v->answered)
		return n;
	ui_verify_add(lines, &n, xstrdup(""));
	if (v->emoji_ok) {
		ui_verify_add_emoji(v, lines, &n, width);
		ui_verify_add(lines, &n, xstrdup(""));
	}
	numbers = xasprintf("numbers: %d %d %d", v->decimal[0], v->decimal[1], v->decimal[2]);
	ui_verify_add_wrapped(lines, &n, numbers, width);
	free(numbers);
	return n;
}

void
ui_verify_lines_free(char ***lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((*lines)[i]);
	xfree(lines);
}

int
ui_verify_shown(const struct ui *ui)
{
	return ui->over.verify != NULL;
}

void
ui_verify_close(struct ui *ui)
{
	ui_verify_free(&ui->over.verify);
	ui_dirty(ui);
}

/* The core heard news of a verification: the dialog follows its own,
 * and an incoming request opens it when none is open. */
void
ui_on_verify(void *arg, const struct core_verify_info *info)
{
	struct ui *ui = arg;
	struct ui_verify *v = ui->over.verify;

	if (v != NULL && strcmp(v->txn, info->txn) == 0) {
		ui_verify_update(v, info);
		ui_dirty(ui);
		return;
	}
	if (!info->incoming || info->state != CORE_VERIFY_REQUESTED)
		return;
	if (v != NULL) {
		ui_note(ui, "%s of %s asks to verify too: finish this verification first",
		    info->device_id != NULL ? info->device_id : "a device", info->user_id);
		return;
	}
	ui->over.verify = ui_verify_new(info->txn, info->user_id, info->device_id, 1);
	ui_verify_update(ui->over.verify, info);
	ui->status.bell = 1;
	ui_dirty(ui);
}

static void
ui_verify_job_free(struct ui_verify_job *job)
{
	free(job->txn);
	free(job->user_id);
	free(job->device_id);
	free(job);
}

/* The devices of the user who asked are known: accept, unless the
 * dialog moved on meanwhile (Esc, a cancel from the other side). */
static void
ui_verify_fetched_accept(void *arg, int ok, const char *result)
{
	struct ui_verify_job *job = arg;
	struct ui *ui = job->ui;
	struct ui_verify *v = ui->over.verify;
	char *cause = NULL;

	if (ok == CORE_CANCELLED || v == NULL || strcmp(v->txn, job->txn) != 0 ||
	    v->state != CORE_VERIFY_REQUESTED) {
		ui_verify_job_free(job);
		return;
	}
	if (ok == CORE_FAILED) {
		/* Without their keys what they prove cannot be checked. */
		core_verify_cancel(ui->core, v->txn, NULL);
		ui_error(ui, "verification cancelled: %s", result);
		ui_verify_close(ui);
	} else if (core_verify_accept(ui->core, v->txn, &cause) == -1) {
		ui_error(ui, "verification: %s", cause);
		free(cause);
		ui_verify_close(ui);
	}
	ui_verify_job_free(job);
}

/* Accepting starts with the devices of the user who asked: a device
 * that logged in since they were last fetched is not known yet, and
 * what it proves is checked against its keys. */
static int
ui_verify_accept(struct ui *ui, struct ui_verify *v, char **cause)
{
	struct ui_verify_job *job = xcalloc(1, sizeof *job);

	job->ui = ui;
	job->txn = xstrdup(v->txn);
	job->user_id = xstrdup(v->user_raw);
	if (core_devices(ui->core, job->user_id, ui_verify_fetched_accept, job, cause) == -1) {
		ui_verify_job_free(job);
		return -1;
	}
	v->accepting = 1;
	return 0;
}

/* Does what the model decided; a failure closes the dialog with a note. */
static void
ui_verify_act(struct ui *ui, enum ui_verify_do what)
{
	struct ui_verify *v = ui->over.verify;
	char *cause = NULL;
	int rc = 0;

	switch (what) {
	case UI_VERIFY_ACCEPT:
		rc = ui_verify_accept(ui, v, &cause);
		break;
	case UI_VERIFY_MATCH:
	case UI_VERIFY_DIFFER:
		v->answered = 1;
		rc = core_verify_confirm(ui->core, v->txn, what == UI_VERIFY_MATCH, &cause);
		break;
	case UI_VERIFY_CANCEL:
		/* The user said no: the dialog goes at once, the cancel is sent. */
		core_verify_cancel(ui->core, v->txn, NULL);
		ui_note(ui, "verification cancelled");
		ui_verify_close(ui);
		return;
	case UI_VERIFY_CLOSE:
		ui_verify_close(ui);
		return;
	case UI_VERIFY_NOTHING:
		return;
	}
	if (rc == -1) {
		ui_error(ui, "verification: %s", cause != NULL ? cause : "it could not go on");
		free(cause);
		ui_verify_close(ui);
	}
}

/* A key while the dialog is open; returns 1 when it took it, which is
 * every key but C-c, which still quits. */
int
ui_verify_key(struct ui *ui, const struct key *k)
{
	if (ui->over.verify == NULL || (k->mods == KEYS_CTRL && k->code == 'c'))
		return 0;
	ui_verify_act(ui, ui_verify_decide(ui->over.verify, k));
	ui_dirty(ui);
	return 1;
}

/* The other user's devices are known: now ask. */
static void
ui_verify_fetched(void *arg, int ok, const char *result)
{
	struct ui_verify_job *job = arg;
	struct ui *ui = job->ui;
	char *txn = NULL, *cause = NULL;

	if (ok == CORE_FAILED)
		ui_error(ui, "verification: %s", result);
	else if (ok == CORE_DONE && ui->over.verify != NULL)
		ui_note(ui, "a verification is already under way");
	else if (ok == CORE_DONE && core_verify_request(ui->core, job->user_id, job->device_id,
	    &txn, &cause) == -1) {
		ui_error(ui, "verification: %s", cause);
		free(cause);
	} else if (ok == CORE_DONE) {
		ui->over.verify = ui_verify_new(txn, job->user_id, job->device_id, 0);
		xfree(&ui->status.note);
		ui_dirty(ui);
		free(txn);
	}
	ui_verify_job_free(job);
}

/* /verify @user:server [DEVICE]: fetches the user's devices (what the
 * other side proves is checked against them), then asks. */
int
ui_verify_start(struct ui *ui, const char *args)
{
	size_t ulen = strcspn(args, UI_VERIFY_SPACE);
	const char *dev = args + ulen + strspn(args + ulen, UI_VERIFY_SPACE);
	struct ui_verify_job *job;
	char *cause = NULL;

	if (ui->over.verify != NULL) {
		ui_note(ui, "a verification is already under way");
		return 0;
	}
	if (args[0] != '@' || memchr(args, ':', ulen) == NULL ||
	    dev[strcspn(dev, UI_VERIFY_SPACE)] != '\0') {
		ui_error(ui, "usage: /verify @user:server [DEVICE]");
		return 0;
	}
	job = xcalloc(1, sizeof *job);
	job->ui = ui;
	job->user_id = xstrndup(args, ulen);
	job->device_id = *dev != '\0' ? xstrdup(dev) : NULL;
	if (core_devices(ui->core, job->user_id, ui_verify_fetched, job, &cause) == -1) {
		ui_error(ui, "verification: %s", cause);
		free(cause);
		ui_verify_job_free(job);
		return 0;
	}
	ui_note(ui, "fetching the devices of %s\u2026", job->user_id);
	return 1;
}

/* The dialog over the pane: what it says at the top, the keys at the
 * bottom, wrapped, so that a short or narrow pane still shows them. */
void
ui_verify_draw(struct ui *ui, int top, int height, int left, int width)
{
	struct ui_verify *v = ui->over.verify;
	int w = width - 2, rows;
	char **lines = NULL, **keys = NULL;
	size_t n, nk = 0;

	for (int row = 0; row < height; row++) {
		move(top + row, left);
		clrtoeol();
	}
	if (w < 1)
		return;
	ui_verify_add_wrapped(&keys, &nk, ui_verify_prompt(v), w);
	rows = height - (int)nk;
	for (size_t i = 0; i < nk; i++)
		if (rows + (int)i >= 0)
			ui_put(top + rows + (int)i, left + 1, keys[i], w, THEME_STATUS);
	n = ui_verify_lines(v, w, &lines);
	/* A short pane loses the blank lines before anything that says something. */
	for (size_t i = 0, row = 0; i < n && (int)row < rows; i++) {
		if (n > (size_t)rows && *lines[i] == '\0')
			continue;
		ui_put(top + (int)row++, left + 1, lines[i], w, THEME_PANE);
	}
	ui_verify_lines_free(&lines, n);
	ui_verify_lines_free(&keys, nk);
}
