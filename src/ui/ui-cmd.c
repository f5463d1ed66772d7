/* Commands typed in the compose box, found in a sorted table with
 * bsearch. None waits for the network: each starts an action through
 * app.h and says how it ended with ui_note, which makes whatever the
 * server sent inert before it is shown. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "natter/loop.h"
#include "natter/settings.h"
#include "natter/text.h"
#include "ui-private.h"

#define UI_CMD_NAME_MAX 16
#define UI_CMD_LOOKBACK 50	/* messages searched for /react, /reply, /edit, /delete */
#define UI_CMD_QUOTE 30		/* cells of a message quoted in a note */
#define UI_CMD_SPACE " \t\n"

#define UI_CMD_ARGS 0x1		/* needs arguments */
#define UI_CMD_ROOM 0x2		/* needs a room in view */

struct ui_cmd {
	const char *name;
	const char *usage;	/* the arguments, for "usage: /name ..." */
	int flags;
	int (*fn)(struct ui *, char *);
	const char *help;	/* one line for /help */
};

/* An action under way: what it does once its room is known, and what
 * is said and done when it went well. */
struct ui_cmd_job {
	struct ui *ui;
	char *note;
	char *user;
	int (*act)(struct ui_cmd_job *, const char *room_id, char **cause);
	void (*after)(struct ui *, const char *result);
};

/* A /broadcast: every target resolved, then one message to each. */
struct ui_cmd_cast {
	struct ui *ui;
	char *text;
	struct settings_targets names;	/* with the config's lists put in */
	char **room_ids;	/* of each target, once resolved */
	char **whys;		/* why a target means no room */
	size_t pending;
	int cancelled;
};

/* One target of a /broadcast being resolved. */
struct ui_cmd_cast_one {
	struct ui_cmd_cast *c;
	size_t i;
};

static struct ui_cmd_job *
ui_cmd_job_new(struct ui *ui, char *note)
{
	struct ui_cmd_job *job = xcalloc(1, sizeof *job);

	job->ui = ui;
	job->note = note;
	return job;
}

static void
ui_cmd_job_free(struct ui_cmd_job *job)
{
	free(job->note);
	free(job->user);
	free(job);
}

/* The end of an action: CORE_CANCELLED means natter is closing, and then
 * only the job is freed. */
static void
ui_cmd_done(void *arg, int ok, const char *result)
{
	struct ui_cmd_job *job = arg;

	if (ok == CORE_FAILED)
		ui_error(job->ui, "%s", result);
	else if (ok == CORE_QUEUED)
		ui_note(job->ui, "not sent yet (%s): it goes when the homeserver answers", result);
	else if (ok == CORE_DONE) {
		ui_note(job->ui, "%s", job->note);
		if (job->after != NULL)
			job->after(job->ui, result);
	}
	ui_cmd_job_free(job);
}

/* Returns 1 when an action started; else says why, drops the job and
 * returns 0 so the draft stays for the user to correct. */
static int
ui_cmd_started(struct ui_cmd_job *job, int rc, char *cause)
{
	if (rc == 0)
		return 1;
	ui_error(job->ui, "%s", cause != NULL ? cause : "it could not start");
	free(cause);
	ui_cmd_job_free(job);
	return 0;
}

static void
ui_cmd_resolved(void *arg, int ok, const char *result)
{
	struct ui_cmd_job *job = arg;
	char *cause = NULL;

	if (ok == 1) {
		if (job->act(job, result, &cause) == 0)
			return;
		ui_error(job->ui, "%s", cause != NULL ? cause : "it could not start");
		free(cause);
	} else if (ok == 0)
		ui_note(job->ui, "%s", result);
	ui_cmd_job_free(job);
}

/* Runs job->act on a room: the one in view when what is NULL, a room id
 * as it is, anything else once resolved. */
static int
ui_cmd_on_room(struct ui_cmd_job *job, const char *what)
{
	struct ui *ui = job->ui;
	char *cause = NULL;
	int rc;

	if (what == NULL)
		rc = job->act(job, ui->current, &cause);
	else if (what[0] == '!')
		rc = job->act(job, what, &cause);
	else
		rc = core_resolve(ui->core, what, 0, ui_cmd_resolved, job, &cause);
	return ui_cmd_started(job, rc, cause);
}

/* The name the list shows for a room, or its id. */
static const char *
ui_cmd_room_name(struct ui *ui, const char *room_id)
{
	const struct ui_room *room = ui_room_find(ui, room_id);

	return room != NULL ? room->name : room_id;
}

static int
ui_cmd_usage(struct ui *ui, const char *name, const char *usage)
{
	ui_error(ui, "usage: /%s %s", name, usage);
	return 0;
}

static int
ui_cmd_no_room(struct ui *ui, const char *name)
{
	ui_note(ui, "/%s needs a room: pick one first", name);
	return 0;
}

static int
ui_cmd_is_user(struct ui *ui, const char *user)
{
	if (user[0] == '@' && strchr(user, ':') != NULL && user[strcspn(user, UI_CMD_SPACE)] == '\0')
		return 1;
	ui_note(ui, "\"%s\" is not a user id like @name:server", user);
	return 0;
}

char *
ui_cmd_quote(const struct store_msg *m)
{
	char *cut = text_truncate(m->body != NULL ? m->body : "", UI_CMD_QUOTE);
	char *quote = xasprintf("\u201c%s\u201d", cut);

	free(cut);
	return quote;
}

int
ui_newest_unechoed(struct ui *ui, int text_only, struct store_outbox *it)
{
	int r = store_outbox_newest(ui->store, ui->current, nt_now_ms() - UI_ECHO_WAIT_MS,
	    text_only, it, NULL);

	if (r == 1 && it->state == STORE_OUTBOX_SENT)
		return 1;
	store_outbox_clear(it);
	return r == 1 ? -1 : 0;
}

/* The newest message in view sent by you (mine 1), by others (mine 0)
 * or by anyone (mine -1): its event id, and a quote of it if asked. Yours
 * may be one sent whose event has not come back yet; one not sent yet
 * makes it NULL, with *unsent set. */
static char *
ui_cmd_newest(struct ui *ui, int mine, char **quote, int *unsent)
{
	const char *self = core_self(ui->core);
	struct store_outbox it;
	struct store_msg *msgs;
	size_t n;
	char *id = NULL;
	int r;

	*unsent = 0;
	if (mine != 0 && (r = ui_newest_unechoed(ui, 0, &it)) != 0) {
		struct store_msg m = {.body = it.body};

		*unsent = r == -1;
		if (r == 1) {
			id = xstrdup(it.event_id);
			if (quote != NULL)
				*quote = ui_cmd_quote(&m);
			store_outbox_clear(&it);
		}
		return id;
	}
	if (store_history(ui->store, ui->current, INT64_MAX, UI_CMD_LOOKBACK, &msgs, &n,
	    NULL) == -1)
		return NULL;
	for (size_t i = n; i > 0 && id == NULL; i--) {
		const struct store_msg *m = &msgs[i - 1];
		int own = self != NULL && strcmp(m->sender, self) == 0;

		if (strcmp(m->type, "m.room.message") != 0 || m->redacted ||
		    (mine != -1 && own != mine))
			continue;
		id = xstrdup(m->event_id);
		if (quote != NULL)
			*quote = ui_cmd_quote(m);
	}
	store_msgs_free(&msgs, n);
	return id;
}

/* After a send from the compose box: back to the newest line. */
static int
ui_cmd_sent(struct ui *ui, int rc, char *cause)
{
	if (rc == -1) {
		ui_error(ui, "%s", cause != NULL ? cause : "it could not be queued");
		free(cause);
		return 0;
	}
	ui->view.scroll = 0;
	ui_dirty(ui);
	return 1;
}

static void
ui_cmd_after_select(struct ui *ui, const char *room_id)
{
	ui_rooms_reload(ui);
	ui_room_select(ui, room_id);
}

/* Off a room just left, to the first other one in the list. */
static void
ui_cmd_after_leave(struct ui *ui, const char *room_id)
{
	if (ui->current == NULL || strcmp(ui->current, room_id) != 0)
		return;
	for (size_t i = 0; i < ui->n_rooms; i++) {
		if (strcmp(ui->rooms[i].room_id, room_id) != 0) {
			ui_room_select(ui, ui->rooms[i].room_id);
			return;
		}
	}
}

static int
ui_cmd_act_join(struct ui_cmd_job *job, const char *room_id, char **cause)
{
	return core_join(job->ui->core, room_id, ui_cmd_done, job, cause);
}

static int
ui_cmd_act_leave(struct ui_cmd_job *job, const char *room_id, char **cause)
{
	return core_leave(job->ui->core, room_id, ui_cmd_done, job, cause);
}

static int
ui_cmd_act_invite(struct ui_cmd_job *job, const char *room_id, char **cause)
{
	return core_invite(job->ui->core, room_id, job->user, ui_cmd_done, job, cause);
}

static int
ui_cmd_join(struct ui *ui, char *args)
{
	struct ui_cmd_job *job = ui_cmd_job_new(ui, xasprintf("joined %s", args));
	char *cause = NULL;

	job->act = ui_cmd_act_join;
	job->after = ui_cmd_after_select;
	/* The server looks an alias up itself; names are found in the cache. */
	if (args[0] == '#')
		return ui_cmd_started(job, ui_cmd_act_join(job, args, &cause), cause);
	return ui_cmd_on_room(job, args);
}

static int
ui_cmd_leave(struct ui *ui, char *args)
{
	struct ui_cmd_job *job;

	if (*args == '\0' && ui->current == NULL)
		return ui_cmd_no_room(ui, "leave");
	job = ui_cmd_job_new(ui, xasprintf("left %s", *args != '\0' ? args :
	    ui_cmd_room_name(ui, ui->current)));
	job->act = ui_cmd_act_leave;
	job->after = ui_cmd_after_leave;
	return ui_cmd_on_room(job, *args != '\0' ? args : NULL);
}

int
ui_cmd_answer_invite(struct ui *ui, int accept)
{
	const struct ui_room *room = ui_room_find(ui, ui->current);
	struct ui_cmd_job *job;

	if (room == NULL || !room->invited) {
		ui_note(ui, "the room in view is not an invitation");
		return 0;
	}
	job = ui_cmd_job_new(ui, xasprintf("%s the invitation to %s",
	    accept ? "accepted" : "declined", room->name));
	job->act = accept ? ui_cmd_act_join : ui_cmd_act_leave;
	job->after = accept ? ui_cmd_after_select : ui_cmd_after_leave;
	ui_note(ui, "%s the invitation\u2026", accept ? "accepting" : "declining");
	return ui_cmd_on_room(job, NULL);
}

static int
ui_cmd_invite(struct ui *ui, char *args)
{
	char *room = args + strcspn(args, UI_CMD_SPACE);
	struct ui_cmd_job *job;

	if (*room != '\0')
		*room++ = '\0';
	room += strspn(room, UI_CMD_SPACE);
	if (!ui_cmd_is_user(ui, args))
		return 0;
	if (*room == '\0' && ui->current == NULL)
		return ui_cmd_no_room(ui, "invite");
	job = ui_cmd_job_new(ui, xasprintf("invited %s to %s", args, *room != '\0' ? room :
	    ui_cmd_room_name(ui, ui->current)));
	job->user = xstrdup(args);
	job->act = ui_cmd_act_invite;
	return ui_cmd_on_room(job, *room != '\0' ? room : NULL);
}

static int
ui_cmd_dm(struct ui *ui, char *args)
{
	struct ui_cmd_job *job;
	char *cause = NULL;

	if (!ui_cmd_is_user(ui, args))
		return 0;
	job = ui_cmd_job_new(ui, xasprintf("direct chat with %s", args));
	job->after = ui_cmd_after_select;
	return ui_cmd_started(job, core_dm(ui->core, args, NULL, ui_cmd_done, job, &cause), cause);
}

static int
ui_cmd_topic(struct ui *ui, char *args)
{
	struct ui_cmd_job *job = ui_cmd_job_new(ui, xasprintf("topic of %s set",
	    ui_cmd_room_name(ui, ui->current)));
	char *cause = NULL;

	return ui_cmd_started(job, core_topic(ui->core, ui->current, args, ui_cmd_done, job,
	    &cause), cause);
}

static int
ui_cmd_nick(struct ui *ui, char *args)
{
	struct ui_cmd_job *job = ui_cmd_job_new(ui, xasprintf("you are now %s", args));
	char *cause = NULL;

	return ui_cmd_started(job, core_nick(ui->core, args, ui_cmd_done, job, &cause), cause);
}

int
ui_cmd_redact(struct ui *ui, const char *event_id, const char *quote, int own)
{
	struct ui_cmd_job *job = ui_cmd_job_new(ui, xasprintf("deleted %s message %s",
	    own ? "your" : "the", quote));
	char *cause = NULL;

	return ui_cmd_started(job, core_redact(ui->core, ui->current, event_id, ui_cmd_done, job,
	    &cause), cause);
}

static int
ui_cmd_delete(struct ui *ui, char *args)
{
	char *id, *quote = NULL;
	int rc, unsent;

	if ((id = ui_cmd_newest(ui, 1, &quote, &unsent)) == NULL) {
		ui_note(ui, "%s", unsent ? UI_UNSENT : "you have no message here to delete");
		return 1;
	}
	rc = ui_cmd_redact(ui, id, quote, 1);
	free(quote);
	free(id);
	return rc;
}

/* ~ and ~/ at the start of a path are the home directory. */
static char *
ui_cmd_expand(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home != NULL)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

static int
ui_cmd_upload(struct ui *ui, char *args)
{
	char *path = ui_cmd_expand(args), *cause = NULL;
	const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	struct ui_cmd_job *job = ui_cmd_job_new(ui, xasprintf("sent %s", name));
	int rc;

	rc = core_send_file(ui->core, ui->current, path, ui_cmd_done, job, &cause);
	if (rc == 0)
		ui_note(ui, "uploading %s\u2026", name);
	free(path);
	return ui_cmd_started(job, rc, cause);
}

static int
ui_cmd_me(struct ui *ui, char *args)
{
	char *cause = NULL;

	return ui_cmd_sent(ui, core_send_text(ui->core, ui->current, args, 1, NULL, NULL, NULL,
	    &cause), cause);
}

/* The newest message with an attachment in the room in view. */
static char *
ui_cmd_newest_file(struct ui *ui)
{
	struct store_msg *msgs;
	size_t n;
	char *id = NULL;

	if (store_history(ui->store, ui->current, INT64_MAX, UI_CMD_LOOKBACK, &msgs, &n,
	    NULL) == -1)
		return NULL;
	for (size_t i = n; i > 0 && id == NULL; i--)
		if (msgs[i - 1].url != NULL && !msgs[i - 1].redacted)
			id = xstrdup(msgs[i - 1].event_id);
	store_msgs_free(&msgs, n);
	return id;
}

/* Hands path to xdg-open, detached and without a shell: the opener's
 * own children are not ours to wait for, and it may not write on the
 * screen curses owns. */
static void
ui_cmd_xdg_open(const char *path)
{
	pid_t pid = fork();
	int fd;

	if (pid == 0) {
		setsid();
		if (fork() == 0) {
			if ((fd = open("/dev/null", O_RDWR)) != -1) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execlp("xdg-open", "xdg-open", path, (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
}

void
ui_cmd_open_link(struct ui *ui, const char *url)
{
	for (const char *p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			ui_note(ui, "that link has characters natter does not open");
			return;
		}
	}
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		ui_note(ui, "natter opens only http and https links");
		return;
	}
	ui_cmd_xdg_open(url);
	ui_note(ui, "opened %s", url);
}

static void
ui_cmd_opened(void *arg, int ok, const char *result)
{
	struct ui *ui = arg;

	if (ok == -1)
		return;
	if (ok == 0) {
		ui_note(ui, "%s", result);
		return;
	}
	ui_cmd_xdg_open(result);
	ui_note(ui, "opened %s", result);
}

int
ui_cmd_open_event(struct ui *ui, const char *event_id)
{
	char *cause = NULL;

	if (core_download_once(ui->core, event_id, ui_cmd_opened, ui, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
		return 0;
	}
	ui_note(ui, "downloading…");
	return 1;
}

static int
ui_cmd_open(struct ui *ui, char *args)
{
	char *id = ui_cmd_newest_file(ui);
	int rc;

	if (id == NULL) {
		ui_note(ui, "no attachment among the last %d messages", UI_CMD_LOOKBACK);
		return 0;
	}
	rc = ui_cmd_open_event(ui, id);
	free(id);
	return rc;
}

/* /react, /reply and /edit: text to the newest message that fits (see
 * ui_cmd_newest for mine), or none says there is none. */
static int
ui_cmd_on_newest(struct ui *ui, int mine, enum ui_target kind, const char *text,
    const char *none)
{
	char *id, *cause = NULL;
	int rc, unsent;

	if ((id = ui_cmd_newest(ui, mine, NULL, &unsent)) == NULL) {
		ui_note(ui, "%s", unsent ? UI_UNSENT : none);
		return 0;
	}
	rc = ui_send_to(ui, kind, id, text, &cause);
	free(id);
	return ui_cmd_sent(ui, rc, cause);
}

static int
ui_cmd_react(struct ui *ui, char *args)
{
	return ui_cmd_on_newest(ui, 0, UI_TARGET_REACT, args,
	    "no message from anyone else here to react to");
}

static int
ui_cmd_reply(struct ui *ui, char *args)
{
	return ui_cmd_on_newest(ui, 0, UI_TARGET_REPLY, args,
	    "no message from anyone else here to reply to");
}

static int
ui_cmd_edit(struct ui *ui, char *args)
{
	return ui_cmd_on_newest(ui, 1, UI_TARGET_EDIT, args, "you have no message here to edit");
}

static void
ui_cmd_cast_free(struct ui_cmd_cast *c)
{
	for (size_t i = 0; i < c->names.n; i++) {
		free(c->room_ids[i]);
		free(c->whys[i]);
	}
	free(c->room_ids);
	free(c->whys);
	settings_targets_clear(&c->names);
	free(c->text);
	free(c);
}

/* A member of a list that means no room stops the broadcast. */
static int
ui_cmd_cast_bad_member(struct ui_cmd_cast *c)
{
	for (size_t i = 0; i < c->names.n; i++) {
		if (c->room_ids[i] == NULL && c->names.from[i] != NULL) {
			ui_error(c->ui, "%s (of list %s): %s; nothing was sent", c->names.items[i],
			    c->names.from[i], c->whys[i] != NULL ? c->whys[i] : "not found");
			return 1;
		}
	}
	return 0;
}

/* Every target is resolved: the copies go, in the order of the targets. */
static void
ui_cmd_cast_send(struct ui_cmd_cast *c)
{
	const char *why = NULL;
	char *cause = NULL;
	struct buf to = {0};
	int64_t id;
	int sent = 0;

	if (c->cancelled || ui_cmd_cast_bad_member(c))
		return;
	if (core_broadcast_new(c->ui->core, c->text, &id, &cause) == -1) {
		ui_error(c->ui, "%s; nothing was sent", cause);
		free(cause);
		return;
	}
	for (size_t i = 0; i < c->names.n; i++) {
		if (c->room_ids[i] == NULL)
			core_broadcast_unsent(c->ui->core, id, c->names.items[i], NULL,
			    c->whys[i]);
		else if (core_broadcast_send(c->ui->core, id, c->names.items[i], c->room_ids[i],
		    c->text, 0, NULL, NULL, &cause) == 0) {
			buf_printf(&to, "%s%s", sent ? ", " : "", c->names.items[i]);
			sent++;
		} else {
			free(c->whys[i]);
			c->whys[i] = cause;
			cause = NULL;
		}
		if (why == NULL)
			why = c->whys[i];
	}
	/* Who got it last: a long list runs off the status line. */
	if (why != NULL)
		ui_note(c->ui, "broadcast %lld sent to %d of %zu; %s (/report %lld)%s%s",
		    (long long)id, sent, c->names.n, why, (long long)id, sent ? ": " : "",
		    sent ? to.data : "");
	else
		ui_note(c->ui, "broadcast %lld sent to %d of %zu (/report %lld): %s",
		    (long long)id, sent, c->names.n, (long long)id, to.data != NULL ? to.data : "");
	buf_free(&to);
}

static void
ui_cmd_cast_done(void *arg, int ok, const char *result)
{
	struct ui_cmd_cast_one *one = arg;
	struct ui_cmd_cast *c = one->c;

	if (ok == CORE_DONE)
		c->room_ids[one->i] = xstrdup(result);
	else if (ok == CORE_FAILED)
		c->whys[one->i] = xstrdup(result != NULL ? result : "it could not start");
	else
		c->cancelled = 1;
	free(one);
	if (--c->pending == 0) {
		ui_cmd_cast_send(c);
		ui_cmd_cast_free(c);
	}
}

/* Whether the len bytes at s are, case and accents aside, the name of a
 * listed room or person, or a room's alias. */
static int
ui_cmd_names_room(const struct ui *ui, const char *s, size_t len)
{
	char *want = text_fold(s, len);
	int found = 0;

	for (size_t i = 0; i < ui->n_rooms && !found; i++) {
		const struct ui_room *r = &ui->rooms[i];
		char *name = text_fold_str(r->name);
		char *alias = text_fold_str(r->alias);

		found = strcmp(name, want) == 0 || (r->alias != NULL && strcmp(alias, want) == 0);
		free(name);
		free(alias);
	}
	free(want);
	return found;
}

/* The most words a name of a /broadcast target may have. */
#define UI_CAST_NAME_WORDS 8

/* The end of the target at p: a name of several words ("Dana Whitfield")
 * ends where the longest that names a listed room or person ends; else,
 * as an id, alias or @list:NAME does, at the first space or comma. */
static const char *
ui_cmd_cast_target(const struct ui *ui, const char *p)
{
	const char *end = p + strcspn(p, UI_CMD_SPACE ","), *e = end;

	if (*p == '@' || *p == '#' || *p == '!')
		return end;
	for (int words = 1; words < UI_CAST_NAME_WORDS && *e == ' '; words++) {
		e += strspn(e, " ");
		e += strcspn(e, UI_CMD_SPACE ",");
		if (ui_cmd_names_room(ui, p, (size_t)(e - p)))
			end = e;
	}
	return end;
}

/* Splits args into the targets of a /broadcast (commas between them,
 * spaces after a comma allowed), returned as one list for
 * settings_targets_expand, and the text after them (*text); NULL when
 * either is missing. */
static char *
ui_cmd_cast_split(const struct ui *ui, const char *args, const char **text)
{
	struct buf list = {0};
	const char *p = args, *end;

	for (;;) {
		end = ui_cmd_cast_target(ui, p);
		if (end > p)
			buf_printf(&list, "%s%.*s", list.len ? "," : "", (int)(end - p), p);
		if (*end != ',')
			break;
		p = end + 1;
		p += strspn(p, " ");
	}
	*text = end + strspn(end, UI_CMD_SPACE);
	if (list.len == 0 || **text == '\0') {
		buf_free(&list);
		return NULL;
	}
	return buf_steal(&list);
}

/* Each target (a user gets the direct chat with them, as natter
 * broadcast does; @list:NAME the members of a list of the config) is
 * resolved, and then the text queued in each room. */
static int
ui_cmd_broadcast(struct ui *ui, char *args)
{
	const char *text;
	char *targets = ui_cmd_cast_split(ui, args, &text), *cause = NULL;
	struct ui_cmd_cast_one *one;
	struct ui_cmd_cast *c;
	int rc;

	if (targets == NULL)
		return ui_cmd_usage(ui, "broadcast", "ROOM[,ROOM...] TEXT");
	c = xcalloc(1, sizeof *c);
	c->ui = ui;
	rc = settings_targets_expand(ui->settings, targets, &c->names, &cause);
	free(targets);
	if (rc == -1) {
		ui_error(ui, "%s; nothing was sent", cause);
		free(cause);
		ui_cmd_cast_free(c);
		return 1;
	}
	c->text = xstrdup(text);
	c->room_ids = xcalloc(c->names.n, sizeof *c->room_ids);
	c->whys = xcalloc(c->names.n, sizeof *c->whys);
	c->pending = 1;
	for (size_t i = 0; i < c->names.n; i++) {
		one = xcalloc(1, sizeof *one);
		*one = (struct ui_cmd_cast_one){c, i};
		c->pending++;
		if (c->names.items[i][0] == '@')
			rc = core_dm(ui->core, c->names.items[i], NULL, ui_cmd_cast_done, one,
			    &cause);
		else
			rc = core_resolve(ui->core, c->names.items[i], 0, ui_cmd_cast_done, one,
			    &cause);
		if (rc != 0) {
			c->pending--;
			c->whys[i] = cause != NULL ? cause : xstrdup("it could not start");
			cause = NULL;
			free(one);
		}
	}
	if (--c->pending == 0) {
		ui_cmd_cast_send(c);
		ui_cmd_cast_free(c);
	}
	return 1;
}

/* /report [ID]: a broadcast's report (the newest without ID) in a view. */
static int
ui_cmd_report(struct ui *ui, char *args)
{
	char *cause = NULL;
	int64_t id = 0;

	args += strspn(args, UI_CMD_SPACE);
	if (*args != '\0' && (nt_parse_int64(args, &id) == -1 || id <= 0))
		return ui_cmd_usage(ui, "report", "[ID]");
	if (ui_report_open(ui, id, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
	}
	return 1;
}

/* /retry and /discard: the messages of the room in view the server
 * refused, queued again or dropped. */
static int
ui_cmd_unsent(struct ui *ui, int retry)
{
	struct store_outbox *items;
	char *cause = NULL;
	size_t n;
	int done = 0;

	if (store_outbox_list(ui->store, ui->current, 1, &items, &n, &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].state != STORE_OUTBOX_FAILED)
			continue;
		if ((retry ? store_outbox_retry(ui->store, items[i].id, NULL) :
		    store_outbox_delete(ui->store, items[i].id, NULL)) == 0)
			done++;
	}
	store_outbox_free(&items, n);
	if (done == 0)
		ui_note(ui, "no message here failed to send");
	else if (retry) {
		core_outbox_flush(ui->core, NULL, NULL, NULL);
		ui_note(ui, "sending %d message%s again", done, done == 1 ? "" : "s");
	} else
		ui_note(ui, "discarded %d unsent message%s", done, done == 1 ? "" : "s");
	ui->view.gen++;
	ui_dirty(ui);
	return 1;
}

static int
ui_cmd_retry(struct ui *ui, char *args)
{
	return ui_cmd_unsent(ui, 1);
}

static int
ui_cmd_discard(struct ui *ui, char *args)
{
	return ui_cmd_unsent(ui, 0);
}

static int
ui_cmd_export(struct ui *ui, char *args)
{
	return ui_export_start(ui, args);
}

static int
ui_cmd_verify(struct ui *ui, char *args)
{
	return ui_verify_start(ui, args);
}

static int
ui_cmd_search(struct ui *ui, char *args)
{
	ui_search_open(ui, args);
	return 1;
}

static int
ui_cmd_thread(struct ui *ui, char *args)
{
	ui_thread_command(ui, args);
	return 1;
}

static int
ui_cmd_quit(struct ui *ui, char *args)
{
	ui->quit = 1;
	loop_break(ui->loop);
	return 1;
}

/* Where a scheduled message waits, said in the status line. */
static void
ui_cmd_scheduled_done(void *arg, int ok, const char *result)
{
	struct ui *ui = arg;
	struct store_outbox item;
	char due[64];
	int64_t id;
	time_t t;
	struct tm tm;

	if (ok == CORE_CANCELLED)
		return;
	if (ok != CORE_DONE) {
		ui_error(ui, "%s", result != NULL ? result : "it could not be scheduled");
		return;
	}
	if (result == NULL || nt_parse_int64(result, &id) == -1 ||
	    store_outbox_get(ui->store, id, &item, NULL) == -1)
		return;
	t = (time_t)(item.due_ts / 1000);
	if (localtime_r(&t, &tm) == NULL || strftime(due, sizeof due, "%a %d %b %H:%M", &tm) == 0)
		snprintf(due, sizeof due, "?");
	if (item.state == STORE_OUTBOX_HELD)
		ui_note(ui, "scheduled #%lld for %s: the homeserver holds it and sends it then, "
		    "whether or not natter is running", (long long)id, due);
	else
		ui_note(ui, "scheduled #%lld for %s: it waits here and goes only if natter runs "
		    "then%s%s%s", (long long)id, due, item.last_error != NULL ? " (" : "",
		    item.last_error != NULL ? item.last_error : "",
		    item.last_error != NULL ? ")" : "");
	store_outbox_clear(&item);
	ui->view.gen++;
	ui_dirty(ui);
}

/* /later WHEN TEXT: the text sent at WHEN, as natter send --at. */
static int
ui_cmd_later(struct ui *ui, char *args)
{
	struct core_draft d = {0};
	const char *rest;
	char *cause = NULL;
	int64_t due;

	if (nt_when_parse(args, nt_now_ms(), &due, &rest, &cause) == -1) {
		ui_error(ui, "/later: %s", cause);
		free(cause);
		return 0;
	}
	if (*rest == '\0')
		return ui_cmd_usage(ui, "later", "WHEN TEXT");
	d.text = rest;
	if (core_schedule(ui->core, ui->current, &d, due, ui_cmd_scheduled_done, ui,
	    &cause) == -1) {
		ui_error(ui, "%s", cause);
		free(cause);
		return 0;
	}
	ui->view.gen++;
	ui_dirty(ui);
	return 1;
}

static void
ui_cmd_unscheduled(void *arg, int ok, const char *result)
{
	struct ui *ui = arg;

	if (ok == CORE_CANCELLED)
		return;
	if (ok != CORE_DONE)
		ui_error(ui, "%s", result != NULL ? result : "it could not be cancelled");
	else
		ui_note(ui, "cancelled scheduled message #%s", result);
	ui->view.gen++;
	ui_dirty(ui);
}

/* This room's scheduled messages in the status line, after why (NULL
 * when none) the homeserver's own list could not be read. */
static void
ui_sched_list_note(struct ui *ui, const char *why)
{
	struct store_outbox *items;
	struct buf b = {0};
	size_t n;

	if (store_outbox_scheduled(ui->store, ui->current, nt_now_ms(), &items, &n, NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s#%lld", i > 0 ? ", " : "", (long long)items[i].id);
	if (n == 0)
		ui_note(ui, "nothing is scheduled here: /later WHEN TEXT schedules a message%s%s",
		    why != NULL ? "; " : "", why != NULL ? why : "");
	else
		ui_note(ui, "scheduled here: %s (greyed at the end of the room); "
		    "/scheduled cancel ID cancels one%s%s", b.data, why != NULL ? "; " : "",
		    why != NULL ? why : "");
	buf_free(&b);
	store_outbox_free(&items, n);
}

void
ui_sched_refreshed(void *arg, int ok, const char *result)
{
	struct ui *ui = arg;

	if (ok == CORE_CANCELLED)
		return;
	if (ok == CORE_DONE && result != NULL)
		ui_note(ui, "%s", result);
	ui->view.gen++;
	ui_dirty(ui);
}

static void
ui_cmd_sched_refreshed(void *arg, int ok, const char *result)
{
	struct ui *ui = arg;

	if (ok == CORE_CANCELLED)
		return;
	ui_sched_list_note(ui, ok == CORE_DONE || result != NULL ? result :
	    "the homeserver could not be asked");
	ui->view.gen++;
	ui_dirty(ui);
}

/* /scheduled lists this room's scheduled messages in the status line,
 * once the homeserver said which it still holds; /scheduled cancel ID
 * cancels one. */
static int
ui_cmd_scheduled(struct ui *ui, char *args)
{
	char *cause = NULL;
	int64_t id;

	if (strncmp(args, "cancel", 6) == 0 && strchr(UI_CMD_SPACE, args[6]) != NULL) {
		args += 6 + strspn(args + 6, UI_CMD_SPACE);
		if (*args == '#')
			args++;
		if (nt_parse_int64(args, &id) == -1)
			return ui_cmd_usage(ui, "scheduled", "[cancel ID]");
		if (core_schedule_cancel(ui->core, id, ui_cmd_unscheduled, ui, &cause) == -1) {
			ui_error(ui, "%s", cause);
			free(cause);
			return 0;
		}
		return 1;
	}
	if (*args != '\0')
		return ui_cmd_usage(ui, "scheduled", "[cancel ID]");
	if (core_schedule_refresh(ui->core, ui_cmd_sched_refreshed, ui, &cause) == -1) {
		ui_sched_list_note(ui, cause);
		free(cause);
	}
	return 1;
}

static int ui_cmd_help(struct ui *, char *);

/* A space by name, or the one the room in view is under (M-c). */
static int
ui_cmd_fold(struct ui *ui, char *args)
{
	if (*args == '\0')
		ui_space_fold(ui);
	else
		ui_space_fold_named(ui, args);
	return 1;
}

/* Sorted by name, for bsearch. */
static const struct ui_cmd ui_cmds[] = {
	{"broadcast", "ROOM[,ROOM...] TEXT", UI_CMD_ARGS, ui_cmd_broadcast,
	    "send one message to several rooms or people"},
	{"delete", NULL, UI_CMD_ROOM, ui_cmd_delete, "delete your newest message here"},
	{"discard", NULL, UI_CMD_ROOM, ui_cmd_discard,
	    "drop the messages here the server refused"},
	{"dm", "@user:server", UI_CMD_ARGS, ui_cmd_dm, "open (or start) a direct chat"},
	{"edit", "TEXT", UI_CMD_ARGS | UI_CMD_ROOM, ui_cmd_edit,
	    "replace the text of your newest message"},
	{"export", "[ADDR,... | FILE.eml | FILE.mbox]", 0, ui_cmd_export,
	    "mail the marked range or the room, or write it to a file"},
	{"fold", "[SPACE]", 0, ui_cmd_fold,
	    "fold or unfold SPACE, or the space of the room in view (M-c)"},
	{"help", NULL, 0, ui_cmd_help, "this list"},
	{"invite", "@user:server [ROOM]", UI_CMD_ARGS, ui_cmd_invite,
	    "invite someone to this room or ROOM"},
	{"join", "ROOM", UI_CMD_ARGS, ui_cmd_join, "join a room and go to it"},
	{"later", "WHEN TEXT", UI_CMD_ARGS | UI_CMD_ROOM, ui_cmd_later,
	    "send TEXT at WHEN (08:00, tomorrow 8:00, +2h)"},
	{"leave", "[ROOM]", 0, ui_cmd_leave, "leave this room or ROOM"},
	{"me", "TEXT", UI_CMD_ARGS | UI_CMD_ROOM, ui_cmd_me, "send an emote"},
	{"nick", "NAME", UI_CMD_ARGS, ui_cmd_nick, "set your display name"},
	{"open", NULL, UI_CMD_ROOM, ui_cmd_open, "open the newest attachment here"},
	{"quit", NULL, 0, ui_cmd_quit, "quit natter"},
	{"react", "KEY", UI_CMD_ARGS | UI_CMD_ROOM, ui_cmd_react,
	    "react to the newest message from someone else"},
	{"reply", "TEXT", UI_CMD_ARGS | UI_CMD_ROOM, ui_cmd_reply,
	    "reply to the newest message from someone else"},
	{"report", "[ID]", 0, ui_cmd_report,
	    "who read and answered a broadcast (the newest without ID)"},
	{"retry", NULL, UI_CMD_ROOM, ui_cmd_retry, "send the refused messages here again"},
	{"scheduled", "[cancel ID]", UI_CMD_ROOM, ui_cmd_scheduled,
	    "list (or cancel) the messages scheduled here"},
	{"search", "[QUERY]", 0, ui_cmd_search, "search every room (C-f)"},
	{"thread", "[EVENT]", UI_CMD_ROOM, ui_cmd_thread,
	    "show a thread here (the newest without EVENT); Esc returns"},
	{"topic", "TEXT", UI_CMD_ARGS | UI_CMD_ROOM, ui_cmd_topic, "set the room's topic"},
	{"upload", "PATH", UI_CMD_ARGS | UI_CMD_ROOM, ui_cmd_upload, "send a file"},
	{"verify", "@user:server [DEVICE]", UI_CMD_ARGS, ui_cmd_verify,
	    "verify another device by comparing emoji"},
};

static int
ui_cmd_help(struct ui *ui, char *args)
{
	ui_help_open(ui);
	return 1;
}

/* "/join ROOM    join a room and go to it", one a command, for the help
 * view. */
size_t
ui_cmd_help_lines(char ***lines)
{
	*lines = xcalloc(NT_NELEMS(ui_cmds), sizeof **lines);
	for (size_t i = 0; i < NT_NELEMS(ui_cmds); i++) {
		const struct ui_cmd *c = &ui_cmds[i];
		char *usage = xasprintf("/%s%s%s", c->name, c->usage ? " " : "",
		    c->usage ? c->usage : "");

		(*lines)[i] = xasprintf("%-28s %s", usage, c->help);
		free(usage);
	}
	return NT_NELEMS(ui_cmds);
}

static int
ui_cmd_compare(const void *key, const void *cmd)
{
	return strcmp(key, ((const struct ui_cmd *)cmd)->name);
}

/* A copy of s without the spaces around it. */
static char *
ui_cmd_trim(const char *s)
{
	size_t len;

	s += strspn(s, UI_CMD_SPACE);
	len = strlen(s);
	while (len > 0 && strchr(UI_CMD_SPACE, s[len - 1]) != NULL)
		len--;
	return xstrndup(s, len);
}

int
ui_command(struct ui *ui, const char *line)
{
	const struct ui_cmd *cmd = NULL;
	char name[UI_CMD_NAME_MAX], *args;
	size_t len;
	int rc;

	line++;
	len = strcspn(line, UI_CMD_SPACE);
	if (len < sizeof name) {
		memcpy(name, line, len);
		name[len] = '\0';
		cmd = bsearch(name, ui_cmds, NT_NELEMS(ui_cmds), sizeof *ui_cmds, ui_cmd_compare);
	}
	if (cmd == NULL) {
		ui_error(ui, "unknown command /%.*s: /help lists them", (int)len, line);
		return 0;
	}
	args = ui_cmd_trim(line + len);
	if ((cmd->flags & UI_CMD_ARGS) && *args == '\0')
		rc = ui_cmd_usage(ui, cmd->name, cmd->usage);
	else if ((cmd->flags & UI_CMD_ROOM) && ui->current == NULL)
		rc = ui_cmd_no_room(ui, cmd->name);
	else
		rc = cmd->fn(ui, args);
	free(args);
	return rc;
}
