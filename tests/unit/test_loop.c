#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "natter/loop.h"
#include "natter/util.h"

struct order {
	struct loop *loop;
	char seen[16];
	size_t n;
	uint64_t victim;
	int done;
};

struct mark {
	struct order *order;
	char name;
};

static void
mark_fire(void *arg)
{
	struct mark *m = arg;

	m->order->seen[m->order->n++] = m->name;
}

static void
mark_last(void *arg)
{
	struct mark *m = arg;

	mark_fire(arg);
	m->order->done = 1;
}

static void
test_timers_fire_by_deadline_then_insertion(void **state)
{
	struct loop *loop = loop_new();
	struct order o = {0};
	struct mark a = {&o, 'a'}, b = {&o, 'b'}, c = {&o, 'c'}, d = {&o, 'd'};

	loop_timer_add(loop, 40, mark_last, &a);
	loop_timer_add(loop, 10, mark_fire, &b);
	loop_timer_add(loop, 10, mark_fire, &c);
	loop_timer_add(loop, 0, mark_fire, &d);
	assert_int_equal(loop_run_until(loop, &o.done, 5000), 0);
	assert_string_equal(o.seen, "dbca");
	loop_free(&loop);
	assert_null(loop);
}

static void
cancel_victim(void *arg)
{
	struct mark *m = arg;

	mark_fire(arg);
	loop_timer_cancel(m->order->loop, m->order->victim);
}

static void
test_timer_cancel(void **state)
{
	struct loop *loop = loop_new();
	struct order o = {.loop = loop};
	struct mark x = {&o, 'x'}, y = {&o, 'y'}, a = {&o, 'a'}, v = {&o, 'v'};
	uint64_t id;

	id = loop_timer_add(loop, 10, mark_fire, &x);
	assert_int_not_equal(id, 0);
	loop_timer_cancel(loop, id);
	loop_timer_cancel(loop, id);	/* twice is harmless */
	loop_timer_cancel(loop, 0);

	/* a and v fall due in the same pass; a cancels v before it runs. */
	loop_timer_add(loop, 10, cancel_victim, &a);
	o.victim = loop_timer_add(loop, 10, mark_fire, &v);
	loop_timer_add(loop, 30, mark_last, &y);
	assert_int_equal(loop_run_until(loop, &o.done, 5000), 0);
	assert_string_equal(o.seen, "ay");
	loop_free(&loop);
}

struct rearm {
	struct loop *loop;
	int count;
};

static void
rearm_fire(void *arg)
{
	struct rearm *r = arg;

	r->count++;
	loop_timer_add(r->loop, 0, rearm_fire, r);
}

static void
test_timer_rearmed_at_zero_waits_a_pass(void **state)
{
	struct loop *loop = loop_new();
	struct rearm r = {loop, 0};

	loop_timer_add(loop, 0, rearm_fire, &r);
	assert_int_equal(loop_run_once(loop, 100), 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(loop_run_once(loop, 100), 0);
	assert_int_equal(r.count, 2);
	loop_free(&loop);
}

struct readable {
	struct loop *loop;
	int fd;
	int revents;
	int calls;
	int other;		/* a watch to remove when called, or -1 */
};

static void
readable_cb(int fd, int revents, void *arg)
{
	struct readable *r = arg;
	char c;

	r->fd = fd;
	r->revents = revents;
	r->calls++;
	if (read(fd, &c, 1) != 1)
		r->revents = -1;
	if (r->other != -1)
		loop_fd_remove(r->loop, r->other);
}

static void
test_fd_readiness(void **state)
{
	struct loop *loop = loop_new();
	struct readable r = {loop, -1, 0, 0, -1};
	int p[2];

	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(loop_fd_add(loop, p[0], POLLIN, readable_cb, &r), 0);
	assert_int_equal(loop_fd_add(loop, p[0], POLLIN, readable_cb, &r), -1);
	assert_int_equal(loop_fd_modify(loop, p[1], POLLOUT), -1);

	assert_int_equal(loop_run_once(loop, 0), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_until(loop, &r.calls, 5000), 0);
	assert_int_equal(r.fd, p[0]);
	assert_true(r.revents & POLLIN);

	/* Paused, then removed: a readable pipe calls nobody. */
	assert_int_equal(loop_fd_modify(loop, p[0], 0), 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(loop_run_once(loop, 20), 0);
	assert_int_equal(r.calls, 1);
	loop_fd_remove(loop, p[0]);
	assert_int_equal(loop_run_once(loop, 20), 0);
	assert_int_equal(r.calls, 1);

	loop_free(&loop);
	close(p[0]);
	close(p[1]);
}

static void
test_fd_removed_by_earlier_callback(void **state)
{
	struct loop *loop = loop_new();
	int p[2], q[2];
	struct readable first = {loop, -1, 0, 0, -1}, second = {loop, -1, 0, 0, -1};

	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_NONBLOCK | O_CLOEXEC), 0);
	first.other = q[0];
	assert_int_equal(loop_fd_add(loop, p[0], POLLIN, readable_cb, &first), 0);
	assert_int_equal(loop_fd_add(loop, q[0], POLLIN, readable_cb, &second), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(loop_run_until(loop, &first.calls, 5000), 0);
	assert_int_equal(second.calls, 0);
	loop_free(&loop);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

struct caught {
	int signo;
	int calls;
};

static void
caught_cb(int signo, void *arg)
{
	struct caught *c = arg;

	c->signo = signo;
	c->calls++;
}

static void
test_signal_through_self_pipe(void **state)
{
	struct loop *loop = loop_new(), *other = loop_new();
	struct caught c = {0, 0};
	struct sigaction now;
	char *cause = NULL;

	assert_int_equal(loop_signal(loop, SIGUSR1, caught_cb, &c, &cause), 0);
	assert_int_equal(loop_signal(other, SIGUSR2, caught_cb, &c, &cause), -1);
	assert_non_null(strstr(cause, "another loop"));
	free(cause);

	/* The handler only writes to the pipe: nothing runs until the loop does. */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(c.calls, 0);
	assert_int_equal(loop_run_until(loop, &c.calls, 5000), 0);
	assert_int_equal(c.signo, SIGUSR1);

	loop_free(&loop);
	assert_int_equal(sigaction(SIGUSR1, NULL, &now), 0);
	assert_true(now.sa_handler == SIG_DFL);
	loop_free(&other);
}

static void
test_run_until_timeout(void **state)
{
	struct loop *loop = loop_new();
	int never = 0;
	int64_t start = nt_mono_ms();

	assert_int_equal(loop_run_until(loop, &never, 100), -1);
	assert_true(nt_mono_ms() - start >= 100);
	loop_free(&loop);
}

static void
break_cb(void *arg)
{
	loop_break(arg);
}

static void
test_break_ends_run(void **state)
{
	struct loop *loop = loop_new();
	int never = 0;

	loop_timer_add(loop, 5, break_cb, loop);
	assert_int_equal(loop_run(loop), 0);
	loop_timer_add(loop, 5, break_cb, loop);
	assert_int_equal(loop_run_until(loop, &never, -1), -1);
	loop_free(&loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_by_deadline_then_insertion),
		cmocka_unit_test(test_timer_cancel),
		cmocka_unit_test(test_timer_rearmed_at_zero_waits_a_pass),
		cmocka_unit_test(test_fd_readiness),
		cmocka_unit_test(test_fd_removed_by_earlier_callback),
		cmocka_unit_test(test_signal_through_self_pipe),
		cmocka_unit_test(test_run_until_timeout),
		cmocka_unit_test(test_break_ends_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
