/* loop: natter's one poll() loop. It watches file descriptors, runs
 * timers and turns signals into ordinary callbacks through a self-pipe,
 * so every callback runs on the loop's thread and never inside a signal
 * handler. Callbacks may add, change or remove any watch or timer,
 * including their own; they must not free the loop. */
#ifndef NATTER_LOOP_H
#define NATTER_LOOP_H

#include <poll.h>
#include <stdint.h>

struct loop;

/* revents holds poll() bits: POLLIN, POLLOUT, POLLERR, POLLHUP. */
typedef void (*loop_fd_cb)(int fd, int revents, void *arg);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);

struct loop *loop_new(void);
/* Removes every watch, cancels every timer and restores the signal
 * dispositions loop_signal replaced. Does not close watched fds. */
void loop_free(struct loop **loop);

/* Watches fd for events (POLLIN and/or POLLOUT; 0 pauses the watch).
 * Returns -1 if fd is negative or already watched. */
int loop_fd_add(struct loop *loop, int fd, int events, loop_fd_cb cb, void *arg);
/* Returns -1 if fd is not watched. */
int loop_fd_modify(struct loop *loop, int fd, int events);
void loop_fd_remove(struct loop *loop, int fd);

/* Calls cb once, ms milliseconds from now (negative counts as 0), on a
 * later pass of the loop. Timers due at the same moment fire in the order
 * they were added. Returns an id, never 0. */
uint64_t loop_timer_add(struct loop *loop, int64_t ms, loop_timer_cb cb, void *arg);
/* Cancels a pending timer; 0 and ids of timers that fired are ignored. */
void loop_timer_cancel(struct loop *loop, uint64_t id);

/* Calls cb from the loop after signo arrives; cb NULL restores the
 * disposition there was before. Only one loop may handle signals. */
int loop_signal(struct loop *loop, int signo, loop_signal_cb cb, void *arg, char **cause);

/* One pass: waits up to max_wait_ms (-1: until something is ready) and
 * runs the callbacks that are due. Returns -1 with errno if poll() fails
 * for a reason other than a signal. */
int loop_run_once(struct loop *loop, int64_t max_wait_ms);
/* Runs passes until loop_break; returns 0, or -1 if poll() fails. */
int loop_run(struct loop *loop);
void loop_break(struct loop *loop);
/* Runs passes until *flag is non-zero (returns 0), or until timeout_ms
 * pass (-1: no limit) or loop_break is called (returns -1). */
int loop_run_until(struct loop *loop, const int *flag, int64_t timeout_ms);

#endif
