/* Benchmark: export of a 10,000-message thread (MESSAGES to change it)
 * from the cache to an .eml file: reading the thread, building the mail
 * with GMime and writing the file, RUNS times, each run printing its
 * total (see bench.h) and its parts on stderr. Asserts nothing about
 * time. Works in a temporary directory under $TMPDIR (or /tmp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/event.h"
#include "natter/export.h"
#include "natter/store.h"
#include "natter/util.h"
#include "bench.h"

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

/* One run, timed: the thread read, the mail built, the file written. */
static int
export_once(struct store *st, const char *eml, const struct export_opts *o)
{
	struct export_thread t;
	struct export_mail m;
	char *cause = NULL;
	double cpu = bench_cpu_ms();
	int64_t t0 = nt_mono_us(), t1, t2, t3;

	if (export_load_room(st, "!big:hs", 0, INT64_MAX, 0, &t, &cause) == -1)
		return fail(cause);
	t1 = nt_mono_us();
	if (export_mail_build(&t, o, &m, &cause) == -1)
		return fail(cause);
	t2 = nt_mono_us();
	if (export_write_eml(&m, eml, 1, &cause) == -1)
		return fail(cause);
	t3 = nt_mono_us();
	cpu = bench_cpu_ms() - cpu;
	fprintf(stderr, "  export: %zu messages, %.1f MB of mail: read %.0f ms, build %.0f ms, "
	    "write %.0f ms\n", t.n, (double)m.len / 1e6, (double)(t1 - t0) / 1000.0,
	    (double)(t2 - t1) / 1000.0, (double)(t3 - t2) / 1000.0);
	bench_print_run("export", (double)(t3 - t0) / 1000.0, (double)(t3 - t0) / 1000.0, cpu);
	export_mail_clear(&m);
	export_thread_clear(&t);
	return 0;
}

static void
remove_cache(const char *db)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};

	for (size_t i = 0; i < NT_NELEMS(suffixes); i++) {
		char *p = xasprintf("%s%s", db, suffixes[i]);

		unlink(p);
		free(p);
	}
}

int
main(int argc, char **argv)
{
	int messages = argc > 1 ? atoi(argv[1]) : 10000, runs = argc > 2 ? atoi(argv[2]) : 5;
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char *dir = xasprintf("%s/natter-bench-export-XXXXXX", tmp), *db, *eml, *json;
	struct mail_addr to = {"Board", "board@example.com"};
	struct export_opts o = {.from = {"Sam Lee", "sam@example.org"}, .to = &to, .n_to = 1};
	struct mx_sync *sync;
	struct store *st;
	char *cause = NULL;
	size_t len;
	int rc = 0;

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
	for (int run = 0; run < runs && rc == 0; run++)
		rc = export_once(st, eml, &o);
	store_close(&st);
	unlink(eml);
	remove_cache(db);
	rmdir(dir);
	free(dir);
	free(db);
	free(eml);
	free(json);
	return rc;
}
