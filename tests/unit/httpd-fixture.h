/* tests/fixtures/httpd.py, a scripted HTTP server on 127.0.0.1, started
 * for a group of unit tests and ended with it (it exits when its stdin
 * closes, so it never outlives the test). Header-only. */
#ifndef NATTER_TEST_HTTPD_FIXTURE_H
#define NATTER_TEST_HTTPD_FIXTURE_H

#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FIXTURES_DIR
#define FIXTURES_DIR "tests/fixtures"
#endif

#define HTTPD_WAIT_MS 20000	/* a bound for the server's first line, never a target */

struct httpd {
	pid_t pid;
	int stdin_fd;
	int port;
};

/* Starts the server (with HTTPD_SCRIPT_DIR script_dir when not NULL) and
 * reads the port it prints; -1 when it does not come up. */
static inline int
httpd_start(struct httpd *h, const char *script_dir)
{
	int in[2], out[2];
	char line[32];
	size_t len = 0;
	ssize_t n;
	struct pollfd pfd;

	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	h->pid = -1;
	h->port = 0;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		return -1;
	if ((h->pid = fork()) == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (script_dir != NULL)
			setenv("HTTPD_SCRIPT_DIR", script_dir, 1);
		execlp("python3", "python3", FIXTURES_DIR "/httpd.py", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	h->stdin_fd = in[1];
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (len < sizeof line - 1 && memchr(line, '\n', len) == NULL) {
		if (poll(&pfd, 1, HTTPD_WAIT_MS) != 1 || (n = read(out[0], line + len,
		    sizeof line - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	line[len] = '\0';
	close(out[0]);
	h->port = atoi(line);
	return h->port > 0 ? 0 : -1;
}

static inline void
httpd_stop(struct httpd *h)
{
	close(h->stdin_fd);
	if (h->pid > 0) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, NULL, 0);
	}
	h->pid = -1;
}

#endif
