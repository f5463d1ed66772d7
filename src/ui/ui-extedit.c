/* Ctrl-X Ctrl-E: the draft in $VISUAL or $EDITOR. The editor gets the
 * terminal and a private file; no shell ever sees its name. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curses.h>

#include "natter/editor.h"
#include "ui-private.h"

#define UI_EDITOR_ARGS 16

/* "emacs -nw" as an argument vector, split at spaces (no quoting). */
static size_t
ui_editor_argv(char *cmd, char **argv, const char *path)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(cmd, " \t", &save); w != NULL && n < UI_EDITOR_ARGS - 2;
	    w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n++] = (char *)path;
	argv[n] = NULL;
	return n;
}

static int
ui_editor_run(const char *path, char **cause)
{
	const char *env = getenv("VISUAL");
	char *cmd, *argv[UI_EDITOR_ARGS];
	pid_t pid;
	int status;

	if (env == NULL || *env == '\0')
		env = getenv("EDITOR");
	cmd = xstrdup(env != NULL && *env != '\0' ? env : "vi");
	ui_editor_argv(cmd, argv, path);
	if ((pid = fork()) == -1) {
		free(cmd);
		return cause_set(cause, "cannot start the editor: %s", strerror(errno));
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	free(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cause_set(cause, "the editor did not finish well (status %d): the draft "
		    "is unchanged", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

void
ui_external_editor(struct ui *ui)
{
	char path[] = "/tmp/natter-draft-XXXXXX", *text, *cause = NULL;
	const char *draft = editor_text(ui->compose.ed);
	size_t len;
	int fd = mkstemp(path);

	if (fd == -1 || write(fd, draft, strlen(draft)) != (ssize_t)strlen(draft)) {
		ui_note(ui, "cannot write the draft for the editor: %s", strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(path);
		}
		return;
	}
	close(fd);
	def_prog_mode();
	endwin();
	if (ui_editor_run(path, &cause) == 0 &&
	    (text = nt_read_file(path, &len, &cause)) != NULL) {
		if (editor_set_external(ui->compose.ed, text, len, &cause) == -1)
			ui_error(ui, "%s", cause);
		free(text);
	} else
		ui_error(ui, "%s", cause);
	free(cause);
	unlink(path);
	reset_prog_mode();
	clearok(curscr, TRUE);
	ui_dirty(ui);
}
