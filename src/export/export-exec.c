/* Programs export runs: sendmail, fed the mail on its standard input,
 * and the password command. Both get an argument vector, never a shell. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "export-private.h"

#define EXPORT_PASSWORD_MAX 4096

extern char **environ;

/* Splits command on blanks; there is no quoting. */
static char **
export_argv(const char *command, size_t *argc)
{
	char *copy = xstrdup(command), *word, *save = NULL, **argv = NULL;

	*argc = 0;
	for (word = strtok_r(copy, " \t", &save); word != NULL; word = strtok_r(NULL, " \t", &save)) {
		argv = xreallocarray(argv, *argc + 2, sizeof *argv);
		argv[(*argc)++] = xstrdup(word);
	}
	if (argv != NULL)
		argv[*argc] = NULL;
	free(copy);
	return argv;
}

static void
export_argv_free(char **argv, size_t argc)
{
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Starts argv with fd as its standard input or output (which: 0 or 1).
 * path_search: look argv[0] up in PATH. */
static int
export_spawn(char **argv, int fd, int which, int path_search, pid_t *pid, char **cause)
{
	posix_spawn_file_actions_t fa;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, which);
	if (which == 1)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	err = path_search ? posix_spawnp(pid, argv[0], &fa, NULL, argv, environ) :
	    posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err != 0)
		return cause_set(cause, "cannot run %s: %s", argv[0], strerror(err));
	return 0;
}

/* Waits for pid; -1 with a cause unless it exited 0. */
static int
export_reap(pid_t pid, const char *what, char **cause)
{
	int status;

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return cause_set(cause, "%s: %s", what, strerror(errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return cause_set(cause, "%s exited with status %d", what, WEXITSTATUS(status));
	return cause_set(cause, "%s was killed by signal %d", what, WTERMSIG(status));
}

/* The mail with LF line ends, as local programs expect. */
static char *
export_unix_lines(const struct export_mail *m, size_t *len)
{
	char *out = xmalloc(m->len + 1);
	size_t n = 0;

	for (size_t i = 0; i < m->len; i++) {
		if (m->data[i] == '\r' && i + 1 < m->len && m->data[i + 1] == '\n')
			continue;
		out[n++] = m->data[i];
	}
	out[n] = '\0';
	*len = n;
	return out;
}

int
export_send_sendmail(const struct export_mail *m, const char *path, char **cause)
{
	char *argv[] = {(char *)path, "-t", "-i", NULL}, *data;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	size_t len, off = 0;
	int fds[2], err = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return cause_set(cause, "cannot run %s: %s", path, strerror(errno));
	if (export_spawn(argv, fds[0], 0, 0, &pid, cause) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[0]);
	data = export_unix_lines(m, &len);
	/* A sendmail that quits early must not kill natter with SIGPIPE. */
	sigaction(SIGPIPE, &ign, &old);
	while (off < len) {
		ssize_t w = write(fds[1], data + off, len - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w == -1 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	close(fds[1]);
	sigaction(SIGPIPE, &old, NULL);
	free(data);
	/* How it exited says more than the pipe it closed. */
	if (export_reap(pid, path, cause) == -1)
		return -1;
	if (err != 0)
		return cause_set(cause, "%s stopped reading the mail: %s", path, strerror(err));
	return 0;
}

char *
export_password_command(const char *command, char **cause)
{
	char buf[EXPORT_PASSWORD_MAX], **argv;
	size_t argc, len = 0;
	int fds[2], failed;
	pid_t pid;

	if ((argv = export_argv(command, &argc)) == NULL) {
		cause_set(cause, "password_command is empty");
		return NULL;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		cause_set(cause, "cannot run %s: %s", argv[0], strerror(errno));
		export_argv_free(argv, argc);
		return NULL;
	}
	failed = export_spawn(argv, fds[1], 1, 1, &pid, cause) == -1;
	close(fds[1]);
	while (!failed) {
		ssize_t r = read(fds[0], buf + len, sizeof buf - 1 - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof buf - 1)
			break;
	}
	close(fds[0]);
	if (!failed && export_reap(pid, "password_command", cause) == -1)
		failed = 1;
	export_argv_free(argv, argc);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!failed && buf[0] == '\0') {
		cause_set(cause, "password_command printed no password");
		failed = 1;
	}
	if (failed) {
		explicit_bzero(buf, sizeof buf);
		return NULL;
	}
	char *password = xstrdup(buf);

	explicit_bzero(buf, sizeof buf);
	return password;
}
