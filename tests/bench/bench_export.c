/* Benchmark: export of a 10,000-message thread (MESSAGES to change it)
 * from the cache to an .eml file: reading the thread, building the mail
 * with GMime, writing the file, each timed, best of 5. Prints figures;
 * asserts nothing about time. Works in a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/event.h"
#include "natter/export.h"
#include "natter/store.h"
#include "natter/util.h"

#define RUNS 5

static const char *words[] = {
	"the", "board", "meeting", "is", "moved", "to", "Thursday", "at", "10:00", "please",
	"confirm", "with", "Dana", "and", "travel", "desk", "flight", "BA718", "car", "pickup",
	"budget", "review", "Q3", "numbers", "draft", "attached", "<b>", "&", "Zürich", "Søren",
	"approved", "signature", "needed", "contract", "Friday", "EOD", "👍", "naïve", "café",
};

static char *
make_sync(int messages, size_t *len)
{
	static const char *users[] = {"@me:hs", "@dana:hs", "@marcus:hs", "@zoe:hs"};
	static const char *names[] = {"Sam", "Dana Whitfield", "Marcus Okafor", "Zoë"};
	int64_t ts = 1700000000000LL;
	struct buf b = {0};
	unsigned seed = 7;

	buf_puts(&b, "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"!big:hs\":{\"state\":"
	    "{\"events\":[{\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@dana:hs\","
	    "\"event_id\":\"$name\",\"origin_server_ts\":1700000000000,\"content\":{\"name\":"
	    "\"Board Office\"}}");
	for (size_t i = 0; i < NT_NELEMS(users); i++)
		buf_printf(&b, ",{\"type\":\"m.room.member\",\"state_key\":\"%s\",\"sender\":\"%s\","
		    "\"event_id\":\"$m%zu\",\"origin_server_ts\":%lld,\"content\":{\"membership\":"
		    "\"join\",\"displayname\":\"%s\"}}", users[i], users[i], i, (long long)ts,
		    names[i]);
	buf_puts(&b, "]},\"timeline\":{\"events\":[");
	for (int e = 0; e < messages; e++) {
		int n = 4 + (int)(rand_r(&seed) % 40);

		buf_printf(&b, "%s{\"type\":\"m.room.message\",\"sender\":\"%s\",\"event_id\":"
		    "\"$e%d\",\"origin_server_ts\":%lld,\"content\":{\"msgtype\":\"m.text\","
		    "\"body\":\"", e ? "," : "", users[rand_r(&seed) % NT_NELEMS(users)], e,
		    (long long)(ts + (int64_t)e * 45000));
		for (int i = 0; i < n; i++)
			buf_printf(&b, "%s%s", i ? (i % 15 == 0 ? "\\n" : " ") : "",
			    words[rand_r(&seed) % NT_NELEMS(words)]);
		buf_puts(&b, "\"");
		if (e > 0 && e % 10 == 0)
			buf_printf(&b, ",\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$e%d\"}}",
			    e - 3);
		buf_puts(&b, "}}");
	}
	buf_puts(&b, "]}}}}}");
	*len = b.len;
	return buf_steal(&b);
}

static int
fail(const char *cause)
{
	fprintf(stderr, "bench_export: %s\n", cause);
	return 1;
}

int
main(int argc, char **argv)
{
	int messages = argc > 1 ? atoi(argv[1]) : 10000;
	char dir[] = "/tmp/natter-bench-export-XXXXXX", *db, *eml, *json, *cause = NULL;
	double best_load = 1e9, best_build = 1e9, best_write = 1e9, best_total = 1e9;
	struct mail_addr to = {"Board", "board@example.com"};
	struct export_opts o = {.from = {"Sam Lee", "sam@example.org"}, .to = &to, .n_to = 1};
	struct mx_sync *sync;
	struct store *st;
	size_t len, mail_len = 0, n = 0;

	if (mkdtemp(dir) == NULL)
		return fail("cannot make a temporary directory");
	db = xasprintf("%s/cache.db", dir);
	eml = xasprintf("%s/thread.eml", dir);
	json = make_sync(messages, &len);
	if ((st = store_open(db, &cause)) == NULL ||
	    store_meta_set(st, "self", "@me:hs", &cause) == -1 ||
	    (sync = mx_sync_parse(json, len, &cause)) == NULL ||
	    store_apply_sync(st, sync, &cause) == -1)
		return fail(cause);
	mx_sync_free(&sync);
	for (int run = 0; run < RUNS; run++) {
		struct export_thread t;
		struct export_mail m;
		int64_t t0 = nt_mono_us(), t1, t2, t3;

		if (export_load_room(st, "!big:hs", 0, INT64_MAX, &t, &cause) == -1)
			return fail(cause);
		t1 = nt_mono_us();
		if (export_mail_build(&t, &o, &m, &cause) == -1)
			return fail(cause);
		t2 = nt_mono_us();
		if (export_write_eml(&m, eml, 1, &cause) == -1)
			return fail(cause);
		t3 = nt_mono_us();
		best_load = (t1 - t0) / 1e6 < best_load ? (t1 - t0) / 1e6 : best_load;
		best_build = (t2 - t1) / 1e6 < best_build ? (t2 - t1) / 1e6 : best_build;
		best_write = (t3 - t2) / 1e6 < best_write ? (t3 - t2) / 1e6 : best_write;
		best_total = (t3 - t0) / 1e6 < best_total ? (t3 - t0) / 1e6 : best_total;
		mail_len = m.len;
		n = t.n;
		export_mail_clear(&m);
		export_thread_clear(&t);
	}
	printf("export: %zu messages to .eml, %.1f MB of mail (best of %d)\n", n,
	    (double)mail_len / 1e6, RUNS);
	printf("  read thread  %7.3f s\n", best_load);
	printf("  build mail   %7.3f s\n", best_build);
	printf("  write .eml   %7.3f s\n", best_write);
	printf("  total        %7.3f s  (target < 0.5 s)\n", best_total);
	store_close(&st);
	unlink(eml);
	unlink(db);
	free(cause);
	cause = xasprintf("%s-wal", db);
	unlink(cause);
	free(cause);
	cause = xasprintf("%s-shm", db);
	unlink(cause);
	free(cause);
	rmdir(dir);
	free(db);
	free(eml);
	free(json);
	return 0;
}
