#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/loop.h"
#include "natter/util.h"

struct loop_watch {
	int fd;
	int events;
	uint64_t serial;
	loop_fd_cb cb;
	void *arg;
};

struct loop_timer {
	uint64_t id;
	int64_t deadline;
	loop_timer_cb cb;
	void *arg;
	struct loop_timer *next;
};

struct loop_sig {
	loop_signal_cb cb;
	void *arg;
	struct sigaction old;
};

struct loop {
	struct loop_watch *watches;
	size_t n_watches;
	size_t cap_watches;
	uint64_t next_serial;

	/* What the current poll() was asked about, so a pass can tell a
	 * watch it polled from one added later on a reused fd. */
	struct pollfd *pfds;
	uint64_t *pserials;
	size_t cap_pfds;

	struct loop_timer *timers;	/* sorted by deadline, then id */
	uint64_t next_id;

	int broken;
	int sigpipe[2];
	struct loop_sig sigs[NSIG];
};

/* The write end of the self-pipe, the one thing a signal handler touches. */
static volatile sig_atomic_t loop_sigfd = -1;

struct loop *
loop_new(void)
{
	struct loop *loop = xcalloc(1, sizeof *loop);

	loop->next_serial = 1;
	loop->next_id = 1;
	loop->sigpipe[0] = loop->sigpipe[1] = -1;
	return loop;
}

static void
loop_signals_restore(struct loop *loop)
{
	int signo;

	for (signo = 1; signo < NSIG; signo++) {
		if (loop->sigs[signo].cb != NULL)
			sigaction(signo, &loop->sigs[signo].old, NULL);
		loop->sigs[signo].cb = NULL;
	}
	if (loop->sigpipe[0] != -1) {
		loop_sigfd = -1;
		close(loop->sigpipe[0]);
		close(loop->sigpipe[1]);
	}
}

void
loop_free(struct loop **pp)
{
	struct loop *loop = *pp;
	struct loop_timer *t;

	if (loop == NULL)
		return;
	loop_signals_restore(loop);
	while ((t = loop->timers) != NULL) {
		loop->timers = t->next;
		free(t);
	}
	free(loop->watches);
	free(loop->pfds);
	free(loop->pserials);
	free(loop);
	*pp = NULL;
}

static struct loop_watch *
loop_watch_find(struct loop *loop, int fd)
{
	size_t i;

	for (i = 0; i < loop->n_watches; i++) {
		if (loop->watches[i].fd == fd)
			return &loop->watches[i];
	}
	return NULL;
}

int
loop_fd_add(struct loop *loop, int fd, int events, loop_fd_cb cb, void *arg)
{
	struct loop_watch *w;

	if (fd < 0 || loop_watch_find(loop, fd) != NULL)
		return -1;
	if (loop->n_watches == loop->cap_watches) {
		loop->cap_watches = loop->cap_watches ? loop->cap_watches * 2 : 8;
		loop->watches = xreallocarray(loop->watches, loop->cap_watches,
		    sizeof *loop->watches);
	}
	w = &loop->watches[loop->n_watches++];
	w->fd = fd;
	w->events = events & (POLLIN | POLLOUT);
	w->serial = loop->next_serial++;
	w->cb = cb;
	w->arg = arg;
	return 0;
}

int
loop_fd_modify(struct loop *loop, int fd, int events)
{
	struct loop_watch *w = loop_watch_find(loop, fd);

	if (w == NULL)
		return -1;
	w->events = events & (POLLIN | POLLOUT);
	return 0;
}

void
loop_fd_remove(struct loop *loop, int fd)
{
	struct loop_watch *w = loop_watch_find(loop, fd);

	if (w == NULL)
		return;
	*w = loop->watches[--loop->n_watches];
}

uint64_t
loop_timer_add(struct loop *loop, int64_t ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof *t), **pp;

	t->id = loop->next_id++;
	t->deadline = nt_mono_ms() + (ms > 0 ? ms : 0);
	t->cb = cb;
	t->arg = arg;
	for (pp = &loop->timers; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->deadline > t->deadline)
			break;
	}
	t->next = *pp;
	*pp = t;
	return t->id;
}

void
loop_timer_cancel(struct loop *loop, uint64_t id)
{
	struct loop_timer **pp, *t;

	if (id == 0)
		return;
	for (pp = &loop->timers; (t = *pp) != NULL; pp = &t->next) {
		if (t->id == id) {
			*pp = t->next;
			free(t);
			return;
		}
	}
}

static void
loop_signal_handler(int signo)
{
	int saved = errno;
	unsigned char c = (unsigned char)signo;
	ssize_t n;

	if (loop_sigfd != -1) {
		n = write(loop_sigfd, &c, 1);
		(void)n;
	}
	errno = saved;
}

static void
loop_signal_read(int fd, int revents, void *arg)
{
	struct loop *loop = arg;
	unsigned char sig[64];
	ssize_t n, i;

	while ((n = read(fd, sig, sizeof sig)) > 0) {
		for (i = 0; i < n; i++) {
			struct loop_sig *s;

			if (sig[i] == 0 || sig[i] >= NSIG)
				continue;
			s = &loop->sigs[sig[i]];
			if (s->cb != NULL)
				s->cb(sig[i], s->arg);
		}
	}
}

static int
loop_sigpipe_open(struct loop *loop, char **cause)
{
	if (loop->sigpipe[0] != -1)
		return 0;
	if (loop_sigfd != -1)
		return cause_set(cause, "signals are already handled by another loop");
	if (pipe2(loop->sigpipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		loop->sigpipe[0] = loop->sigpipe[1] = -1;
		return cause_set(cause, "cannot create the signal pipe: %s", strerror(errno));
	}
	loop_fd_add(loop, loop->sigpipe[0], POLLIN, loop_signal_read, loop);
	loop_sigfd = loop->sigpipe[1];
	return 0;
}

int
loop_signal(struct loop *loop, int signo, loop_signal_cb cb, void *arg, char **cause)
{
	struct loop_sig *s;
	struct sigaction sa;

	if (signo <= 0 || signo >= NSIG || signo > UCHAR_MAX)
		return cause_set(cause, "signal %d cannot be handled", signo);
	s = &loop->sigs[signo];
	if (cb == NULL) {
		if (s->cb != NULL)
			sigaction(signo, &s->old, NULL);
		s->cb = NULL;
		return 0;
	}
	if (loop_sigpipe_open(loop, cause) == -1)
		return -1;
	if (s->cb == NULL) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = loop_signal_handler;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(signo, &sa, &s->old) == -1)
			return cause_set(cause, "signal %d: %s", signo, strerror(errno));
	}
	s->cb = cb;
	s->arg = arg;
	return 0;
}

/* How long poll() may sleep: until the first timer, at most max_wait_ms. */
static int
loop_poll_timeout(struct loop *loop, int64_t max_wait_ms)
{
	int64_t wait = max_wait_ms;

	if (loop->timers != NULL) {
		int64_t until = loop->timers->deadline - nt_mono_ms();

		if (until < 0)
			until = 0;
		if (wait < 0 || until < wait)
			wait = until;
	}
	if (wait > INT_MAX)
		wait = INT_MAX;
	return wait < 0 ? -1 : (int)wait;
}

static size_t
loop_poll_prepare(struct loop *loop)
{
	size_t i;

	if (loop->cap_pfds < loop->n_watches) {
		loop->cap_pfds = loop->n_watches;
		loop->pfds = xreallocarray(loop->pfds, loop->cap_pfds, sizeof *loop->pfds);
		loop->pserials = xreallocarray(loop->pserials, loop->cap_pfds,
		    sizeof *loop->pserials);
	}
	for (i = 0; i < loop->n_watches; i++) {
		loop->pfds[i].fd = loop->watches[i].fd;
		loop->pfds[i].events = (short)loop->watches[i].events;
		loop->pfds[i].revents = 0;
		loop->pserials[i] = loop->watches[i].serial;
	}
	return loop->n_watches;
}

static void
loop_dispatch_fds(struct loop *loop, size_t n)
{
	struct loop_watch *w;
	size_t i;
	int revents;

	for (i = 0; i < n; i++) {
		if (loop->pfds[i].revents == 0)
			continue;
		w = loop_watch_find(loop, loop->pfds[i].fd);
		if (w == NULL || w->serial != loop->pserials[i])
			continue;
		revents = loop->pfds[i].revents & (w->events | POLLERR | POLLHUP | POLLNVAL);
		if (revents != 0)
			w->cb(w->fd, revents, w->arg);
	}
}

/* Timers added while this runs wait for the next pass, so a callback that
 * re-arms itself with 0 ms cannot starve the fds. */
static void
loop_dispatch_timers(struct loop *loop)
{
	uint64_t limit = loop->next_id;
	int64_t now = nt_mono_ms();
	struct loop_timer *t;

	while ((t = loop->timers) != NULL && t->deadline <= now && t->id < limit) {
		loop_timer_cb cb = t->cb;
		void *arg = t->arg;

		loop->timers = t->next;
		free(t);
		cb(arg);
	}
}

int
loop_run_once(struct loop *loop, int64_t max_wait_ms)
{
	size_t n = loop_poll_prepare(loop);

	if (poll(loop->pfds, n, loop_poll_timeout(loop, max_wait_ms)) == -1) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	loop_dispatch_fds(loop, n);
	loop_dispatch_timers(loop);
	return 0;
}

int
loop_run(struct loop *loop)
{
	while (!loop->broken) {
		if (loop_run_once(loop, -1) == -1)
			return -1;
	}
	loop->broken = 0;
	return 0;
}

void
loop_break(struct loop *loop)
{
	loop->broken = 1;
}

int
loop_run_until(struct loop *loop, const int *flag, int64_t timeout_ms)
{
	int64_t deadline = nt_mono_ms() + timeout_ms, left = -1;

	while (!*flag) {
		if (loop->broken) {
			loop->broken = 0;
			return -1;
		}
		if (timeout_ms >= 0) {
			left = deadline - nt_mono_ms();
			if (left <= 0)
				return -1;
		}
		if (loop_run_once(loop, left) == -1)
			return -1;
	}
	return 0;
}
