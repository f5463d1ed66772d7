/* Benchmark: ingest of a large first sync (ROOMS rooms of EVENTS events
 * with realistic bodies): RUNS times, the JSON parsed and stored into a
 * fresh cache, each run printing its events/s (see bench.h), with the
 * parse and store times apart on stderr. Asserts nothing about time.
 * The last cache is left in $XDG_DATA_HOME/natter/bench/ for timing
 * `natter -p bench rooms`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natter/config.h"
#include "natter/event.h"
#include "natter/store.h"
#include "natter/util.h"
#include "bench.h"

static const char *words[] = {
	"the", "board", "meeting", "is", "moved", "to", "Thursday", "at", "10:00", "please",
	"confirm", "with", "Dana", "and", "the", "travel", "desk", "flight", "BA718", "car",
	"pickup", "06:30", "budget", "review", "Q3", "numbers", "draft", "attached", "can",
	"you", "send", "me", "a", "copy", "of", "agenda", "before", "lunch", "thanks", "sure",
	"investor", "call", "rescheduled", "hotel", "booked", "London", "Zürich", "Søren",
	"approved", "signature", "needed", "on", "contract", "by", "Friday", "EOD", "👍",
};

static void
add_body(struct buf *b, unsigned *seed)
{
	int n = 4 + (int)(rand_r(seed) % 40);

	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ' ');
		buf_puts(b, words[rand_r(seed) % NT_NELEMS(words)]);
	}
}

static void
add_member(struct buf *b, int room, const char *user, const char *name, int64_t ts)
{
	buf_printf(b, "{\"type\":\"m.room.member\",\"state_key\":\"%s\",\"sender\":\"%s\","
	    "\"event_id\":\"$m%d%s\",\"origin_server_ts\":%lld,\"content\":{\"membership\":"
	    "\"join\",\"displayname\":\"%s\"}},", user, user, room, user + 1, (long long)ts, name);
}

static void
add_room(struct buf *b, int room, int events, unsigned *seed)
{
	static const char *users[] = {"@me:hs", "@dana:hs", "@marcus:hs", "@zoe:hs"};
	static const char *names[] = {"Sam", "Dana Whitfield", "Marcus Okafor", "Zoë"};
	int64_t ts = 1700000000000LL + (int64_t)room * 1000;

	buf_printf(b, "\"!room%d:hs\":{\"state\":{\"events\":[", room);
	buf_printf(b, "{\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@dana:hs\","
	    "\"event_id\":\"$c%d\",\"origin_server_ts\":%lld,\"content\":{}},", room,
	    (long long)ts);
	for (size_t i = 0; i < NT_NELEMS(users); i++)
		add_member(b, room, users[i], names[i], ts);
	buf_printf(b, "{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@dana:hs\","
	    "\"event_id\":\"$n%d\",\"origin_server_ts\":%lld,\"content\":{\"name\":"
	    "\"Project %d\"}}]},\"timeline\":{\"limited\":true,\"prev_batch\":\"p%d\","
	    "\"events\":[", room, (long long)ts, room, room);
	for (int e = 0; e < events; e++) {
		buf_printf(b, "%s{\"type\":\"m.room.message\",\"sender\":\"%s\",\"event_id\":"
		    "\"$e%d_%d\",\"origin_server_ts\":%lld,\"content\":{\"msgtype\":\"m.text\","
		    "\"body\":\"", e ? "," : "", users[rand_r(seed) % NT_NELEMS(users)], room, e,
		    (long long)(ts + e * 60000));
		add_body(b, seed);
		buf_puts(b, "\"}}");
	}
	buf_printf(b, "]},\"unread_notifications\":{\"notification_count\":%d,"
	    "\"highlight_count\":0},\"summary\":{\"m.joined_member_count\":4}}", room % 7);
}

static char *
make_sync(int rooms, int events, size_t *len)
{
	struct buf b = {0};
	unsigned seed = 42;

	buf_puts(&b, "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{");
	for (int r = 0; r < rooms; r++) {
		if (r > 0)
			buf_putc(&b, ',');
		add_room(&b, r, events, &seed);
	}
	buf_puts(&b, "}}}");
	*len = b.len;
	return buf_steal(&b);
}

/* One run: the JSON parsed and stored into a fresh cache at path. */
static int
ingest_once(const char *path, const char *json, size_t len, long n)
{
	struct mx_sync *sync;
	struct store *st;
	char *cause = NULL;
	double cpu = bench_cpu_ms();
	int64_t t0, t1, t2;

	remove(path);
	if ((st = store_open(path, &cause)) == NULL ||
	    store_meta_set(st, "self", "@me:hs", &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return -1;
	}
	t0 = nt_mono_us();
	sync = mx_sync_parse(json, len, &cause);
	t1 = nt_mono_us();
	if (sync == NULL || store_apply_sync(st, sync, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return -1;
	}
	t2 = nt_mono_us();
	cpu = bench_cpu_ms() - cpu;
	fprintf(stderr, "  ingest: parse %.0f ms, store %.0f ms\n", (double)(t1 - t0) / 1000.0,
	    (double)(t2 - t1) / 1000.0);
	bench_print_run("ingest", (double)n / ((double)(t2 - t0) / 1e6),
	    (double)(t2 - t0) / 1000.0, cpu);
	mx_sync_free(&sync);
	store_close(&st);
	return 0;
}

int
main(int argc, char **argv)
{
	int rooms = argc > 1 ? atoi(argv[1]) : 500, events = argc > 2 ? atoi(argv[2]) : 200;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	struct cfg_paths paths;
	char *json, *cause = NULL;
	size_t len;
	int rc = 0;

	if (cfg_paths_init(&paths, "bench", NULL, &cause) == -1 ||
	    nt_mkdirs(paths.data_dir, 0700, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	json = make_sync(rooms, events, &len);
	fprintf(stderr, "  ingest: %d rooms x %d events, %.1f MB of JSON\n", rooms, events,
	    (double)len / 1e6);
	for (int r = 0; r < runs && rc == 0; r++)
		rc = ingest_once(paths.cache_db, json, len, (long)rooms * events);
	free(json);
	cfg_paths_clear(&paths);
	return rc == 0 ? 0 : 1;
}
