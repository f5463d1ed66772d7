/* Benchmark: full redraws of a 200x60 screen (curses writing to
 * /dev/null) on a room whose 10,000 cached messages are all in the
 * window the pane lays out, as after scrolling back through them: each
 * frame is what a sync into that room costs, the pane's messages read
 * from the store, wrapped and drawn again (ui->view.gen bumped), and the
 * whole screen sent (clearok). RUNS runs of FRAMES frames each print
 * their p50 and p95 (see bench.h). Asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "natter/core.h"
#include "natter/config.h"
#include "natter/editor.h"
#include "natter/event.h"
#include "natter/loop.h"
#include "natter/store.h"
#include "natter/util.h"
#include "../../src/ui/ui-private.h"
#include "bench.h"

#define BENCH_MESSAGES 10000
#define BENCH_ROOMS 50

static const char *bodies[] = {
	"The board pack goes out at 17:00 today, please send your sections by noon.",
	"Car booked for 8:15 👍",
	"Can you move my 3pm with the CFO to Thursday? 東京の会議は延期になりました。",
	"Flight BA718 at 09:20, the driver will wait at arrivals with a sign.",
	"Zoë asked for the Q3 numbers again; I sent the draft with the caveats we agreed on "
	"last week, including the note on the restructuring costs and the two open points.",
};

/* A sync of n messages in room, with ids starting at first. */
static int
bench_sync(struct store *st, const char *room, int first, int n, const char *token,
    char **cause)
{
	struct mx_sync sync = {0};
	struct mx_room_update ru = {0};
	int rc;

	sync.next_batch = (char *)token;
	sync.rooms = &ru;
	sync.n_rooms = 1;
	ru.room_id = (char *)room;
	ru.membership = MX_MEMBERSHIP_JOIN;
	ru.notification_count = ru.highlight_count = ru.joined_count = ru.invited_count = -1;
	ru.timeline = xcalloc((size_t)n, sizeof *ru.timeline);
	ru.n_timeline = (size_t)n;
	for (int i = 0; i < n; i++) {
		struct mx_event *ev = &ru.timeline[i];

		ev->event_id = xasprintf("$%s-%d", room + 1, first + i);
		ev->type = "m.room.message";
		ev->sender = "@dana:hs";
		ev->ts = 1700000000000LL + (int64_t)(first + i) * 60000;
		ev->content_plain = 1;
		ev->msgtype = "m.text";
		ev->body = (char *)bodies[i % NT_NELEMS(bodies)];
		ev->size = -1;
	}
	rc = store_apply_sync(st, &sync, cause);
	for (int i = 0; i < n; i++)
		free(ru.timeline[i].event_id);
	free(ru.timeline);
	return rc;
}

/* BENCH_ROOMS - 1 more rooms of 300 messages each. */
static int
bench_rooms(struct store *st, char **cause)
{
	for (int r = 1; r < BENCH_ROOMS; r++) {
		char room[32];

		snprintf(room, sizeof room, "!room%d:hs", r);
		if (bench_sync(st, room, 0, 300, "s1", cause) == -1)
			return -1;
	}
	return 0;
}

/* A cache with one room of BENCH_MESSAGES messages and a session. */
static void
bench_profile(void)
{
	struct cfg_paths paths;
	struct cfg_session sess = {"http://127.0.0.1:9", "@me:hs", "D", "t"};
	struct mx_sync sync = {0};
	struct mx_room_update ru = {0};
	struct store *st;
	char *cause = NULL;

	if (cfg_paths_init(&paths, "bench-ui", NULL, &cause) == -1 ||
	    nt_mkdirs(paths.data_dir, 0700, &cause) == -1 ||
	    cfg_session_save(paths.session_file, &sess, &cause) == -1 ||
	    (remove(paths.cache_db), (st = store_open(paths.cache_db, &cause)) == NULL)) {
		fprintf(stderr, "bench: %s\n", cause);
		exit(1);
	}
	store_meta_set(st, "self", "@me:hs", NULL);
	sync.next_batch = "s1";
	sync.rooms = &ru;
	sync.n_rooms = 1;
	ru.room_id = "!bench:hs";
	ru.membership = MX_MEMBERSHIP_JOIN;
	ru.notification_count = ru.highlight_count = ru.joined_count = ru.invited_count = -1;
	ru.timeline = xcalloc(BENCH_MESSAGES, sizeof *ru.timeline);
	ru.n_timeline = BENCH_MESSAGES;
	for (int i = 0; i < BENCH_MESSAGES; i++) {
		struct mx_event *ev = &ru.timeline[i];

		ev->event_id = xasprintf("$e%d", i);
		ev->type = "m.room.message";
		ev->sender = i % 3 ? "@dana:hs" : "@me:hs";
		ev->ts = 1700000000000LL + (int64_t)i * 60000;
		ev->content_plain = 1;
		ev->msgtype = "m.text";
		ev->body = (char *)bodies[i % NT_NELEMS(bodies)];
		ev->size = -1;
	}
	if (store_apply_sync(st, &sync, &cause) == -1 || bench_rooms(st, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		exit(1);
	}
	for (int i = 0; i < BENCH_MESSAGES; i++)
		free(ru.timeline[i].event_id);
	free(ru.timeline);
	store_close(&st);
	cfg_paths_clear(&paths);
}

/* One run: frames full redraws, each timed. */
static void
bench_frames(struct ui *ui, int frames)
{
	double *ms = xcalloc((size_t)frames, sizeof *ms), wall = 0, cpu = bench_cpu_ms();

	for (int i = 0; i < frames; i++) {
		int64_t t0 = nt_mono_us();

		ui->view.gen++;
		clearok(curscr, TRUE);
		ui_redraw(ui);
		wall += ms[i] = (double)(nt_mono_us() - t0) / 1000.0;
	}
	cpu = bench_cpu_ms() - cpu;
	bench_print_run("redraw-p50", bench_percentile(ms, (size_t)frames, 50), wall, cpu);
	bench_print_run("redraw-p95", bench_percentile(ms, (size_t)frames, 95), wall, cpu);
	free(ms);
}

/* The room in view with every one of its messages in the pane's window. */
static int
bench_window(struct ui *ui)
{
	char *const *events;
	int bottom;
	size_t n;

	ui_rooms_reload(ui);
	ui_room_select(ui, "!bench:hs");
	ui->view.history = BENCH_MESSAGES;
	ui_redraw(ui);
	n = ui_pane_events(ui, &events, &bottom);
	fprintf(stderr, "  redraw: %zu messages laid out in the pane\n", n);
	return n >= BENCH_MESSAGES ? 0 : -1;
}

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5, frames = argc > 2 ? atoi(argv[2]) : 20;
	struct ui ui = {0};
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	char *cause = NULL;

	bench_profile();
	if ((ui.core = core_open("bench-ui", NULL, NULL, CORE_NEED_SESSION, &cause)) == NULL) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	ui.store = core_store(ui.core);
	ui.loop = core_loop(ui.core);
	ui.compose.ed = editor_new(NULL);
	ui.view.history = UI_HISTORY_PAGE;
	setenv("TERM", "xterm-256color", 1);
	newterm(NULL, out, in);
	resizeterm(60, 200);
	ui_theme_start(&ui);
	if (bench_window(&ui) != 0) {
		endwin();
		fprintf(stderr, "bench: the pane did not lay out all %d messages\n",
		    BENCH_MESSAGES);
		return 1;
	}
	for (int r = 0; r < runs; r++)
		bench_frames(&ui, frames);
	endwin();
	return 0;
}
