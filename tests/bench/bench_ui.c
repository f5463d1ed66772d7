/* Benchmark: a full redraw of a 200x60 screen on a room of 10,000 cached
 * messages, with curses writing to /dev/null. Prints figures; asserts
 * nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

#define BENCH_MESSAGES 10000
#define BENCH_FRAMES 200
#define BENCH_ROOMS 50
#define BENCH_KEYS 500

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

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Keystroke to screen: a typed character and the redraw it causes,
 * with a sync of 10 messages stored every 10 keys as on a busy loop. */
static void
bench_keys(struct ui *ui)
{
	double ms[BENCH_KEYS];
	char token[32];
	int64_t t0;

	for (int i = 0; i < BENCH_KEYS; i++) {
		if (i % 10 == 0) {
			snprintf(token, sizeof token, "k%d", i);
			bench_sync(ui->store, "!bench:hs", BENCH_MESSAGES + i, 10, token, NULL);
			ui->view.gen++;
			ui_redraw(ui);
		}
		t0 = nt_mono_us();
		editor_insert(ui->compose.ed, "x", 1, NULL);
		ui_redraw(ui);
		ms[i] = (double)(nt_mono_us() - t0) / 1000.0;
	}
	qsort(ms, BENCH_KEYS, sizeof ms[0], bench_cmp);
	printf("keystroke to screen, %d keys during syncs of 10 messages every 10 keys\n",
	    BENCH_KEYS);
	printf("  p50          %7.3f ms\n", ms[BENCH_KEYS / 2]);
	printf("  p95          %7.3f ms\n", ms[BENCH_KEYS * 95 / 100]);
	printf("  max          %7.3f ms\n", ms[BENCH_KEYS - 1]);
}

/* Opens every room once, as a user going through the list. */
static void
bench_open_rooms(struct ui *ui)
{
	struct rusage ru;

	for (size_t i = 0; i < ui->n_rooms; i++) {
		ui_room_select(ui, ui->rooms[i].room_id);
		ui_redraw(ui);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("after opening %zu rooms (10,000 + 49 x 300 messages)\n", ui->n_rooms);
	printf("  peak RSS     %7.1f MB\n", (double)ru.ru_maxrss / 1024.0);
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

int
main(void)
{
	struct ui ui = {0};
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	char *cause = NULL;
	struct rusage ru;
	int64_t t0;
	double ms;

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
	ui_rooms_reload(&ui);
	ui_room_select(&ui, "!bench:hs");
	ui_redraw(&ui);
	t0 = nt_mono_ms();
	for (int i = 0; i < BENCH_FRAMES; i++) {
		clearok(curscr, TRUE);
		ui_redraw(&ui);
	}
	ms = (double)(nt_mono_ms() - t0) / BENCH_FRAMES;
	getrusage(RUSAGE_SELF, &ru);
	printf("redraw: 200x60, a room of %d cached messages, %d full frames\n", BENCH_MESSAGES,
	    BENCH_FRAMES);
	printf("  frame time   %7.2f ms (mean)\n", ms);
	printf("  peak RSS     %7.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	bench_keys(&ui);
	bench_open_rooms(&ui);
	endwin();
	return 0;
}
