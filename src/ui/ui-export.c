/* /export: a conversation as an e-mail, from the terminal. It asks for
 * the recipients (or a file) and the subject, then runs `natter export`
 * as a child, without a shell, so that building and sending the mail
 * never holds up the screen; its last words become the note. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "natter/loop.h"
#include "natter/sanitize.h"
#include "ui-private.h"

#define UI_EXPORT_ARGS 24
#define UI_EXPORT_OUT_MAX 4096	/* bytes of the child's output kept */

extern char **environ;

/* An export being asked about, then running. */
struct ui_export {
	char *room_id;		/* NULL: search results from every room */
	char *first, *last;	/* a marked range, in order */
	char *query;		/* the results of a search */
	char *what;		/* "12 marked messages of Board Room" */
	char *dest;		/* addresses, or a file */
	pid_t pid;
	int fd;			/* the child's stdout and stderr */
	char out[UI_EXPORT_OUT_MAX];
	size_t len;
};

void
ui_export_free(struct ui *ui)
{
	struct ui_export *x = ui->over.export;

	if (x == NULL)
		return;
	if (x->fd != -1) {
		loop_fd_remove(ui->loop, x->fd);
		close(x->fd);
	}
	if (x->pid > 0) {
		kill(x->pid, SIGTERM);
		while (waitpid(x->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	free(x->room_id);
	free(x->first);
	free(x->last);
	free(x->query);
	free(x->what);
	free(x->dest);
	xfree(&ui->over.export);
}

static int
ui_export_is_file(const char *dest)
{
	size_t len = strlen(dest);

	return (len > 4 && strcmp(dest + len - 4, ".eml") == 0) ||
	    (len > 5 && strcmp(dest + len - 5, ".mbox") == 0) || strchr(dest, '/') != NULL;
}

/* The last line the child wrote: what it did, or why it could not. */
static char *
ui_export_last_line(struct ui_export *x)
{
	char *end, *start;

	x->out[x->len] = '\0';
	end = x->out + x->len;
	while (end > x->out && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	start = strrchr(x->out, '\n');
	start = start != NULL ? start + 1 : x->out;
	if (strncmp(start, "natter: ", 8) == 0)
		start += 8;
	if (strncmp(start, "export: ", 8) == 0)
		start += 8;
	return san_text(*start != '\0' ? start : "export ended without a word", 0);
}

/* "not sent: WHY; the mail is kept in PATH" as "not sent, kept in
 * ~/PATH: WHY", the path first: a status line is narrow. */
static char *
ui_export_failure(const char *line)
{
	static const char kept[] = "; the mail is kept in ";
	const char *at = strstr(line, kept), *path, *home = getenv("HOME");
	size_t hl = home != NULL ? strlen(home) : 0;

	if (at == NULL)
		return xasprintf("export failed: %s", line);
	path = at + sizeof kept - 1;
	if (hl > 1 && strncmp(path, home, hl) == 0 && path[hl] == '/')
		return xasprintf("not sent, kept in ~%s: %.*s", path + hl,
		    (int)(at - line), line);
	return xasprintf("not sent, kept in %s: %.*s", path, (int)(at - line), line);
}

/* While the export runs, its newest progress line ("export: fetching
 * older messages of ROOM: 150 so far") is the note. */
static void
ui_export_progress(struct ui *ui, struct ui_export *x)
{
	static const char lead[] = "export: fetching ";
	char *end, *start, *line;

	x->out[x->len] = '\0';
	if ((end = strrchr(x->out, '\n')) == NULL)
		return;
	*end = '\0';
	start = strrchr(x->out, '\n');
	start = start != NULL ? start + 1 : x->out;
	if (strncmp(start, lead, sizeof lead - 1) == 0) {
		line = san_text(start + 8, 0);
		ui_note(ui, "%s", line);
		free(line);
	}
	*end = '\n';
}

static void
ui_export_output(int fd, int revents, void *arg)
{
	struct ui *ui = arg;
	struct ui_export *x = ui->over.export;
	char buf[512], *line;
	ssize_t n = read(fd, buf, sizeof buf);
	int status = 0;

	if (n > 0) {
		if (x->len + (size_t)n >= sizeof x->out) {
			/* Keep the newest output: the result is at the end. */
			size_t drop = x->len + (size_t)n - (sizeof x->out - 1);

			drop = drop > x->len ? x->len : drop;
			memmove(x->out, x->out + drop, x->len - drop);
			x->len -= drop;
		}
		memcpy(x->out + x->len, buf, (size_t)n);
		x->len += (size_t)n;
		ui_export_progress(ui, x);
		return;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	loop_fd_remove(ui->loop, fd);
	close(fd);
	x->fd = -1;
	while (waitpid(x->pid, &status, 0) == -1 && errno == EINTR)
		;
	x->pid = 0;
	line = ui_export_last_line(x);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ui_note(ui, "%s", line);
	else {
		char *why = ui_export_failure(line);

		ui_error(ui, "%s", why);
		free(why);
	}
	free(line);
	ui_export_free(ui);
}

/* natter -p PROFILE [-c CONFIG] export [ROOM] THREAD DEST [--subject S] */
static size_t
ui_export_argv(struct ui *ui, struct ui_export *x, const char *subject, char *exe, char **argv)
{
	size_t n = 0;

	argv[n++] = exe;
	argv[n++] = "-p";
	argv[n++] = (char *)core_profile(ui->core);
	if (ui->config_path != NULL) {
		argv[n++] = "-c";
		argv[n++] = (char *)ui->config_path;
	}
	argv[n++] = "export";
	if (x->room_id != NULL)
		argv[n++] = x->room_id;
	if (x->first != NULL) {
		argv[n++] = "--first";
		argv[n++] = x->first;
		argv[n++] = "--last";
		argv[n++] = x->last;
	} else if (x->query != NULL) {
		argv[n++] = "--query";
		argv[n++] = x->query;
	}
	if (ui_export_is_file(x->dest)) {
		size_t len = strlen(x->dest);

		argv[n++] = len > 5 && strcmp(x->dest + len - 5, ".mbox") == 0 ? "--mbox" : "--eml";
		argv[n++] = x->dest;
	} else {
		argv[n++] = "--to";
		argv[n++] = x->dest;
		if (subject != NULL && *subject != '\0') {
			argv[n++] = "--subject";
			argv[n++] = (char *)subject;
		}
	}
	argv[n] = NULL;
	return n;
}

static void
ui_export_run(struct ui *ui, const char *subject)
{
	struct ui_export *x = ui->over.export;
	char exe[PATH_MAX], *argv[UI_EXPORT_ARGS];
	posix_spawn_file_actions_t fa;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	int fds[2], err;

	if (len <= 0 || pipe2(fds, O_CLOEXEC) == -1) {
		ui_note(ui, "cannot start the export: %s", strerror(errno));
		ui_export_free(ui);
		return;
	}
	exe[len] = '\0';
	ui_export_argv(ui, x, subject, exe, argv);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	err = posix_spawn(&x->pid, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err != 0) {
		close(fds[0]);
		x->pid = 0;
		ui_note(ui, "cannot start the export: %s", strerror(err));
		ui_export_free(ui);
		return;
	}
	x->fd = fds[0];
	loop_fd_add(ui->loop, x->fd, POLLIN, ui_export_output, ui);
	ui_note(ui, "exporting %s\u2026", x->what);
}

static void
ui_export_subject(struct ui *ui, const char *answer)
{
	if (answer == NULL) {
		ui_note(ui, "export cancelled");
		ui_export_free(ui);
		return;
	}
	ui_export_run(ui, answer);
}

/* What an empty subject stands for. */
static const char *
ui_export_subject_hint(struct ui *ui, const struct ui_export *x)
{
	const struct ui_room *room = x->room_id != NULL ? ui_room_find(ui, x->room_id) : NULL;

	if (x->query != NULL)
		return "subject (empty: the search, its rooms and dates)";
	if (room != NULL && room->dm_user != NULL)
		return "subject (empty: \"Conversation with NAME, DATES\")";
	return "subject (empty: \"Conversation: ROOM, DATES\")";
}

static void
ui_export_dest(struct ui *ui, const char *answer)
{
	struct ui_export *x = ui->over.export;
	const char *d = answer != NULL ? answer + strspn(answer, " \t") : NULL;

	if (d == NULL || *d == '\0') {
		ui_note(ui, "export cancelled");
		ui_export_free(ui);
		return;
	}
	x->dest = xstrndup(d, strcspn(d, "\n"));
	while (*x->dest != '\0' && strchr(" \t", x->dest[strlen(x->dest) - 1]) != NULL)
		x->dest[strlen(x->dest) - 1] = '\0';
	if (ui_export_is_file(x->dest)) {
		ui_export_run(ui, NULL);
		return;
	}
	ui_ask(ui, ui_export_subject_hint(ui, x), ui_export_subject);
}

/* The thread: all the search results, whatever their rooms, while the
 * results view is open; a range marked in the room in view; or the
 * whole room. */
static int
ui_export_thread(struct ui *ui, struct ui_export *x)
{
	const struct ui_room *room = ui_room_find(ui, ui->current);
	const char *name = room != NULL ? room->name : ui->current;
	struct store_msg a, b;
	int marked = ui_range_count(ui);

	if (ui_search_shown(ui) && ui_search_query(ui) != NULL) {
		x->query = xstrdup(ui_search_query(ui));
		x->what = xasprintf("the results for \"%s\"", x->query);
		return 0;
	}
	if (ui->view.mark != NULL && store_msg_get(ui->store, ui->view.mark, &a, NULL) == 0) {
		if (store_msg_get(ui->store, ui->view.mark_end, &b, NULL) == 0) {
			int ordered = a.seq <= b.seq;

			x->first = xstrdup(ordered ? a.event_id : b.event_id);
			x->last = xstrdup(ordered ? b.event_id : a.event_id);
			x->what = marked > 0 ? xasprintf("%d marked message%s of %s", marked,
			    marked == 1 ? "" : "s", name) : xasprintf("the marked messages of %s", name);
			store_msg_clear(&b);
		}
		store_msg_clear(&a);
		if (x->first != NULL) {
			x->room_id = xstrdup(ui->current);
			return 0;
		}
	}
	if (ui->current == NULL)
		return -1;
	x->room_id = xstrdup(ui->current);
	x->what = xstrdup(name);
	return 0;
}

/* /export [ADDR,... | FILE.eml | FILE.mbox] */
int
ui_export_start(struct ui *ui, const char *args)
{
	struct ui_export *x;

	if (ui->over.export != NULL) {
		ui_note(ui, "an export is already under way");
		return 0;
	}
	x = ui->over.export = xcalloc(1, sizeof *x);
	x->fd = -1;
	if (ui_export_thread(ui, x) == -1) {
		ui_note(ui, "/export needs a room: pick one first");
		ui_export_free(ui);
		return 0;
	}
	if (args != NULL && *args != '\0') {
		ui_export_dest(ui, args);
		return 1;
	}
	ui_ask(ui, "export to: addresses (a@b, c@d) or a file ending .eml or .mbox", ui_export_dest);
	return 1;
}
