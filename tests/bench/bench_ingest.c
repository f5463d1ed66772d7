/* Benchmark: ingest of a large first sync (ROOMS rooms of EVENTS events
 * with realistic bodies) into a fresh cache: parse + store, timed apart.
 * Prints figures; asserts nothing about time. The cache is left in
 * $XDG_DATA_HOME/natter/bench/ for timing `natter -p bench rooms`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "natter/config.h"
#include "natter/event.h"
#include "natter/store.h"
#include "natter/util.h"

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

static double
seconds(int64_t from)
{
	return (double)(nt_mono_ms() - from) / 1000.0;
}

int
main(int argc, char **argv)
{
	int rooms = argc > 1 ? atoi(argv[1]) : 500, events = argc > 2 ? atoi(argv[2]) : 200;
	struct cfg_paths paths;
	struct mx_sync *sync;
	struct store *st;
	struct rusage ru;
	char *json, *cause = NULL;
	size_t len;
	int64_t t0;
	double parse_s, store_s;
	long n = (long)rooms * events;

	if (cfg_paths_init(&paths, "bench", NULL, &cause) == -1 ||
	    nt_mkdirs(paths.data_dir, 0700, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	remove(paths.cache_db);
	json = make_sync(rooms, events, &len);
	if ((st = store_open(paths.cache_db, &cause)) == NULL ||
	    store_meta_set(st, "self", "@me:hs", &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	t0 = nt_mono_ms();
	sync = mx_sync_parse(json, len, &cause);
	parse_s = seconds(t0);
	t0 = nt_mono_ms();
	if (sync == NULL || store_apply_sync(st, sync, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	store_s = seconds(t0);
	getrusage(RUSAGE_SELF, &ru);
	printf("ingest: %d rooms x %d events = %ld events, %.1f MB of JSON\n", rooms, events, n,
	    (double)len / 1e6);
	printf("  parse        %7.3f s  %9.0f events/s  %6.1f MB/s\n", parse_s, n / parse_s,
	    (double)len / 1e6 / parse_s);
	printf("  store        %7.3f s  %9.0f events/s\n", store_s, n / store_s);
	printf("  parse+store  %7.3f s  %9.0f events/s  %6.1f MB/s\n", parse_s + store_s,
	    n / (parse_s + store_s), (double)len / 1e6 / (parse_s + store_s));
	printf("  peak RSS     %7.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	printf("  cache        %s\n", paths.cache_db);
	mx_sync_free(&sync);
	store_close(&st);
	free(json);
	cfg_paths_clear(&paths);
	return 0;
}
