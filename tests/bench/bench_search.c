/* Benchmark: local search over a large cache. `bench_search build`
 * makes ROOMS rooms with MESSAGES messages in all (a Zipf-like
 * vocabulary, a few dozen people with display names, some files and
 * links, two years of history). `bench_search time` then times a fixed
 * set of 100 queries: one cold round in this fresh process, after the
 * cache's pages were dropped from the kernel's page cache with
 * posix_fadvise(POSIX_FADV_DONTNEED) (no root needed, and other
 * programs' cached files stay), then WARM rounds. Each round prints its
 * p50 and p95 (see bench.h); BENCH_SEARCH_EACH=1 lists every query's
 * median warm time on stderr. Asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "natter/config.h"
#include "natter/event.h"
#include "natter/search.h"
#include "natter/store.h"
#include "natter/util.h"
#include "bench.h"

#define BENCH_DAY_MS 86400000LL
#define BENCH_END_MS 1735689600000LL	/* 2025-01-01 */
#define BENCH_SPAN_MS (730 * BENCH_DAY_MS)
#define BENCH_ROOMS_PER_SYNC 25

/* Commonest first: word i is drawn with weight 1 / (i + 1). */
static const char *vocab[] = {
	"the", "to", "and", "a", "of", "is", "for", "in", "on", "you", "it", "we", "at", "can",
	"with", "be", "this", "that", "me", "please", "will", "meeting", "thanks", "i", "have",
	"are", "from", "by", "call", "today", "tomorrow", "send", "board", "budget", "review",
	"draft", "ok", "sure", "time", "lunch", "contract", "agenda", "flight", "hotel", "travel",
	"desk", "confirm", "moved", "Thursday", "Friday", "Monday", "Tuesday", "Wednesday",
	"report", "numbers", "attached", "copy", "signature", "needed", "approved", "investor",
	"rescheduled", "booked", "London", "Zürich", "Paris", "New", "York", "Singapore", "car",
	"pickup", "morning", "afternoon", "evening", "EOD", "Q1", "Q2", "Q3", "Q4", "slides",
	"deck", "client", "dinner", "reservation", "restaurant", "conference", "room", "video",
	"link", "invite", "calendar", "reminder", "deadline", "invoice", "payment", "expense",
	"receipt", "visa", "passport", "embassy", "appointment", "doctor", "gym", "school",
	"pickup", "kids", "birthday", "gift", "flowers", "order", "delivery", "courier",
	"package", "office", "keys", "parking", "badge", "security", "IT", "laptop", "password",
	"printer", "coffee", "catering", "menu", "vegetarian", "allergy", "wine", "champagne",
	"press", "release", "interview", "journalist", "statement", "legal", "counsel", "NDA",
	"term", "sheet", "due", "diligence", "merger", "acquisition", "shareholder", "AGM",
	"proxy", "vote", "dividend", "forecast", "revenue", "margin", "headcount", "hiring",
	"offer", "candidate", "reference", "onboarding", "offsite", "retreat", "venue",
	"transport", "shuttle", "train", "Eurostar", "upgrade", "lounge", "seat", "aisle",
	"window", "luggage", "customs", "quarantine", "insurance", "claim", "renewal", "audit",
	"compliance", "policy", "regulator", "filing", "tax", "accountant", "bank", "transfer",
	"wire", "SWIFT", "IBAN", "approval", "sign-off", "chairman", "CEO", "CFO", "COO",
	"assistant", "Dana", "Marcus", "Zoë", "Søren", "Priya", "Hiroshi", "Amélie", "Kwame",
	"quarterly", "annual", "strategy", "roadmap", "milestone", "launch", "pilot", "vendor",
	"supplier", "procurement", "tender", "bid", "proposal", "pricing", "discount", "renewal",
	"subscription", "licence", "multi-agent", "20.04", "v2.1", "BA718", "LX318", "06:30",
	"10:00", "14:00", "17:30", "urgent", "asap", "fyi", "noted", "done", "pending",
	"blocked", "escalate", "follow-up", "recap", "minutes", "notes", "action", "items",
};

static const char *people[][2] = {
	{"@dana:hs", "Dana Whitfield"}, {"@marcus:hs", "Marcus Okafor"}, {"@zoe:hs", "Zoë Martin"},
	{"@soren:hs", "Søren Lund"}, {"@priya:hs", "Priya Raman"}, {"@hiroshi:hs", "Hiroshi Sato"},
	{"@amelie:hs", "Amélie Dubois"}, {"@kwame:hs", "Kwame Mensah"}, {"@me:hs", "Sam"},
	{"@lena:hs", "Lena Fischer"}, {"@omar:hs", "Omar Haddad"}, {"@ines:hs", "Inês Costa"},
	{"@tom:hs", "Tom Baker"}, {"@yuki:hs", "Yuki Tanaka"}, {"@raj:hs", "Raj Patel"},
	{"@eva:hs", "Eva Novak"}, {"@liam:hs", "Liam O'Brien"}, {"@sofia:hs", "Sofia Rossi"},
	{"@noah:hs", "Noah Cohen"}, {"@mia:hs", "Mia Schneider"},
};

static const char *queries[] = {
	"meeting", "budget", "board meeting", "\"board meeting\"", "invoice", "contract", "lunch",
	"flight", "hotel London", "visa renewal", "bud", "meet", "conf", "inv", "pass",
	"sign", "rescheduled", "Zurich", "zürich hotel", "\"travel desk\"", "from:Dana budget",
	"from:@marcus:hs contract", "from:Priya", "from:Søren flight", "in:\"Project 7\"",
	"in:\"Project 42\" budget", "in:\"Project 199\" meeting", "has:file", "has:file report",
	"has:link", "has:link agenda", "is:dm", "is:dm lunch", "budget -draft",
	"meeting -Thursday", "-the", "report -quarterly", "after:2024-06-01 contract",
	"before:2023-06-01 invoice", "on:2024-03-14", "on:2024-03-14 meeting",
	"after:2024-12-01 before:2024-12-15", "Whitfield", "Okafor contract", "dana budget",
	"multi-agent", "20.04", "v2.1", "BA718", "06:30", "AND", "NOT", "NEAR(a b)",
	"\"unbalanced", "a'b", "@dana:hs", "#room:hs", "*", "why?", "term sheet",
	"\"term sheet\" NDA", "due diligence", "merger acquisition", "shareholder vote",
	"dividend forecast", "revenue margin", "headcount hiring", "offsite venue",
	"Eurostar upgrade", "lounge", "customs", "insurance claim", "audit compliance",
	"tax accountant", "wire transfer IBAN", "chairman", "CFO approval", "roadmap milestone",
	"pilot launch", "vendor pricing", "subscription licence", "urgent", "asap escalate",
	"follow-up", "minutes action items", "recap", "the", "to", "and the meeting",
	"please confirm", "thanks", "tomorrow morning", "Friday EOD", "Q3 numbers",
	"slides deck client", "dinner reservation", "kids school pickup", "birthday gift flowers",
	"courier package", "laptop password",
};

/* Draws a vocabulary index with weight 1 / (i + 1). */
static size_t
zipf(unsigned *seed, const double *cdf, size_t n)
{
	double u = (double)rand_r(seed) / ((double)RAND_MAX + 1.0);
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static char *
make_body(unsigned *seed, const double *cdf, int link)
{
	struct buf b = {0};
	int n = 3 + (int)(rand_r(seed) % 25);

	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, vocab[zipf(seed, cdf, NT_NELEMS(vocab))]);
	}
	if (link)
		buf_printf(&b, " https://docs.example.org/d/%u", (unsigned)rand_r(seed));
	return buf_steal(&b);
}

static struct mx_event *
push_event(struct mx_room_update *ru, const char *id, const char *type, const char *sender,
    int64_t ts)
{
	struct mx_event *ev;

	ru->timeline = xreallocarray(ru->timeline, ru->n_timeline + 1, sizeof *ru->timeline);
	ev = &ru->timeline[ru->n_timeline++];
	memset(ev, 0, sizeof *ev);
	ev->event_id = xstrdup(id);
	ev->type = xstrdup(type);
	ev->sender = xstrdup(sender);
	ev->ts = ts;
	ev->size = -1;
	return ev;
}

static void
add_state(struct mx_room_update *ru, int room, int64_t ts)
{
	char id[64];
	struct mx_event *ev;

	snprintf(id, sizeof id, "$create%d", room);
	ev = push_event(ru, id, "m.room.create", "@dana:hs", ts);
	ev->state_key = xstrdup("");
	ev->content = xstrdup("{}");
	for (int k = 0; k < 8; k++) {
		size_t p = (size_t)(room + k * 3) % NT_NELEMS(people);

		snprintf(id, sizeof id, "$member%d_%d", room, k);
		ev = push_event(ru, id, "m.room.member", people[p][0], ts);
		ev->state_key = xstrdup(people[p][0]);
		ev->membership = MX_MEMBERSHIP_JOIN;
		ev->displayname = xstrdup(people[p][1]);
		ev->content = xasprintf("{\"membership\":\"join\",\"displayname\":\"%s\"}",
		    people[p][1]);
	}
	snprintf(id, sizeof id, "$name%d", room);
	ev = push_event(ru, id, "m.room.name", "@dana:hs", ts);
	ev->state_key = xstrdup("");
	ev->name = xasprintf("Project %d", room);
	ev->content = xasprintf("{\"name\":\"Project %d\"}", room);
}

static void
add_message(struct mx_room_update *ru, int room, int e, int64_t ts, unsigned *seed,
    const double *cdf)
{
	size_t p = (size_t)(room + (int)(rand_r(seed) % 8) * 3) % NT_NELEMS(people);
	int r = (int)(rand_r(seed) % 100);
	struct mx_event *ev;
	char id[64];

	snprintf(id, sizeof id, "$e%d_%d", room, e);
	ev = push_event(ru, id, "m.room.message", people[p][0], ts);
	if (r < 2) {
		ev->msgtype = xstrdup("m.file");
		ev->filename = xasprintf("%s-%s-%d.pdf", vocab[zipf(seed, cdf, NT_NELEMS(vocab))],
		    vocab[30 + rand_r(seed) % 100], 2023 + r);
		ev->body = xstrdup(ev->filename);
		ev->url = xstrdup("mxc://hs/abcdef");
		ev->content = xasprintf("{\"msgtype\":\"m.file\",\"body\":\"%s\","
		    "\"url\":\"mxc://hs/abcdef\"}", ev->body);
		return;
	}
	ev->msgtype = xstrdup("m.text");
	ev->body = make_body(seed, cdf, r < 7);
	ev->content_plain = 1;
}

static int
build(struct store *st, int rooms, long messages, char **cause)
{
	double cdf[NT_NELEMS(vocab)], sum = 0, acc = 0;
	int per = (int)(messages / rooms);
	unsigned seed = 42;

	for (size_t i = 0; i < NT_NELEMS(vocab); i++)
		sum += 1.0 / (double)(i + 1);
	for (size_t i = 0; i < NT_NELEMS(vocab); i++)
		cdf[i] = (acc += 1.0 / (double)(i + 1) / sum);
	for (int first = 0; first < rooms; first += BENCH_ROOMS_PER_SYNC) {
		struct mx_sync *sync = xcalloc(1, sizeof *sync);
		char token[32];
		int r;

		snprintf(token, sizeof token, "s%d", first);
		sync->next_batch = xstrdup(token);
		sync->n_rooms = (size_t)(rooms - first < BENCH_ROOMS_PER_SYNC ? rooms - first :
		    BENCH_ROOMS_PER_SYNC);
		sync->rooms = xcalloc(sync->n_rooms, sizeof *sync->rooms);
		for (size_t k = 0; k < sync->n_rooms; k++) {
			struct mx_room_update *ru = &sync->rooms[k];
			int64_t start = BENCH_END_MS - BENCH_SPAN_MS;

			r = first + (int)k;
			ru->room_id = xasprintf("!room%d:hs", r);
			ru->membership = MX_MEMBERSHIP_JOIN;
			ru->notification_count = ru->highlight_count = -1;
			ru->joined_count = ru->invited_count = -1;
			add_state(ru, r, start);
			for (int e = 0; e < per; e++)
				add_message(ru, r, e, start + (BENCH_SPAN_MS / per) * e +
				    (int64_t)(rand_r(&seed) % 60000), &seed, cdf);
		}
		if (first == 0) {
			sync->has_direct = 1;
			sync->direct = xcalloc(NT_NELEMS(people), sizeof *sync->direct);
			for (size_t k = 0; k < NT_NELEMS(people) && k < sync->n_rooms; k++) {
				sync->direct[k].user_id = xstrdup(people[k][0]);
				sync->direct[k].room_id = xasprintf("!room%zu:hs", k);
				sync->n_direct++;
			}
		}
		if (store_apply_sync(st, sync, cause) != 0)
			return -1;
		fprintf(stderr, "\r  built %d of %d rooms", first + (int)sync->n_rooms, rooms);
		mx_sync_free(&sync);
	}
	fputc('\n', stderr);
	return 0;
}

/* One round of the queries: each one's time in ms[]. Queries that get
 * a message instead of hits ("*" does) are listed when verbose. */
static void
round_time(struct store *st, double *ms, int verbose)
{
	struct search_opts o = {.limit = 20, .now_ms = BENCH_END_MS};

	for (size_t i = 0; i < NT_NELEMS(queries); i++) {
		struct search_hit *hits;
		char *cause = NULL;
		size_t n = 0;
		int64_t t0 = nt_mono_us();

		if (search_run(st, queries[i], &o, &hits, &n, &cause) != 0) {
			if (verbose)
				fprintf(stderr, "  search: [%s]: %s\n", queries[i], cause);
			free(cause);
		} else
			search_hits_free(&hits, n);
		ms[i] = (double)(nt_mono_us() - t0) / 1000.0;
	}
}

/* Times a round and prints its p50 and p95 as figures named after kind. */
static void
round_report(struct store *st, const char *kind, double *ms)
{
	double sorted[NT_NELEMS(queries)], wall = 0, cpu = bench_cpu_ms();
	char name[64];

	round_time(st, ms, strcmp(kind, "cold") == 0);
	cpu = bench_cpu_ms() - cpu;
	for (size_t i = 0; i < NT_NELEMS(queries); i++)
		wall += sorted[i] = ms[i];
	snprintf(name, sizeof name, "search-%s-p50", kind);
	bench_print_run(name, bench_percentile(sorted, NT_NELEMS(sorted), 50), wall, cpu);
	snprintf(name, sizeof name, "search-%s-p95", kind);
	bench_print_run(name, bench_percentile(sorted, NT_NELEMS(sorted), 95), wall, cpu);
}

/* Writes out the file's dirty pages, then drops all of them from the
 * page cache; returns the share of its pages still resident. */
static double
drop_cached(const char *path)
{
	struct stat sb;
	unsigned char *vec;
	void *map;
	size_t pages, resident = 0, page = (size_t)sysconf(_SC_PAGESIZE);
	int fd = open(path, O_RDONLY);

	if (fd == -1 || fstat(fd, &sb) == -1 || sb.st_size == 0) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	pages = ((size_t)sb.st_size + page - 1) / page;
	vec = xcalloc(pages, 1);
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED && mincore(map, (size_t)sb.st_size, vec) == 0) {
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
	}
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	free(vec);
	close(fd);
	return (double)resident / (double)pages;
}

/* Every query's median warm time, slowest first, on stderr. */
static void
print_each(double *each, int rounds)
{
	size_t order[NT_NELEMS(queries)];
	double med[NT_NELEMS(queries)];

	for (size_t i = 0; i < NT_NELEMS(queries); i++) {
		double v[rounds];

		for (int r = 0; r < rounds; r++)
			v[r] = each[(size_t)r * NT_NELEMS(queries) + i];
		med[i] = bench_percentile(v, (size_t)rounds, 50);
		order[i] = i;
	}
	for (size_t i = 1; i < NT_NELEMS(queries); i++) {
		for (size_t j = i; j > 0 && med[order[j]] > med[order[j - 1]]; j--) {
			size_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
	for (size_t i = 0; i < NT_NELEMS(queries); i++)
		fprintf(stderr, "  %7.2f ms  [%s]\n", med[order[i]], queries[order[i]]);
}

static int
time_search(const struct cfg_paths *paths, int rounds)
{
	double cold[NT_NELEMS(queries)], *each;
	struct store *st;
	char *cause = NULL, *side;
	double left = drop_cached(paths->cache_db);

	side = xasprintf("%s-wal", paths->cache_db);
	left += drop_cached(side);
	free(side);
	fprintf(stderr, "  search: %.1f%% of the cache's pages left in memory after dropping\n",
	    left * 100);
	if ((st = store_open(paths->cache_db, &cause)) == NULL) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	round_report(st, "cold", cold);
	each = xcalloc((size_t)rounds * NT_NELEMS(queries), sizeof *each);
	for (int r = 0; r < rounds; r++)
		round_report(st, "warm", each + (size_t)r * NT_NELEMS(queries));
	if (getenv("BENCH_SEARCH_EACH") != NULL && rounds > 0)
		print_each(each, rounds);
	free(each);
	store_close(&st);
	return 0;
}

static int
build_cache(const struct cfg_paths *paths, int rooms, long messages)
{
	struct store *st;
	char *cause = NULL;
	int64_t t0 = nt_mono_ms();

	remove(paths->cache_db);
	if ((st = store_open(paths->cache_db, &cause)) == NULL ||
	    store_meta_set(st, "self", "@me:hs", &cause) == -1 ||
	    build(st, rooms, messages, &cause) != 0) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	store_close(&st);
	fprintf(stderr, "  search: cache of %d rooms, %ld messages built in %.1f s\n", rooms,
	    messages, (double)(nt_mono_ms() - t0) / 1000.0);
	return 0;
}

int
main(int argc, char **argv)
{
	struct cfg_paths paths;
	char *cause = NULL;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "build") != 0 && strcmp(argv[1], "time") != 0)) {
		fprintf(stderr, "usage: bench_search build [ROOMS [MESSAGES]]\n"
		    "       bench_search time [WARM_ROUNDS]\n");
		return 2;
	}
	if (cfg_paths_init(&paths, "bench-search", NULL, &cause) == -1 ||
	    nt_mkdirs(paths.data_dir, 0700, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	if (strcmp(argv[1], "build") == 0)
		rc = build_cache(&paths, argc > 2 ? atoi(argv[2]) : 500,
		    argc > 3 ? atol(argv[3]) : 1000000);
	else
		rc = time_search(&paths, argc > 2 ? atoi(argv[2]) : 5);
	cfg_paths_clear(&paths);
	return rc;
}
