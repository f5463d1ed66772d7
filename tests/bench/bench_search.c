/* Benchmark: local search over a large cache. Builds ROOMS rooms with
 * MESSAGES messages in all (a Zipf-like vocabulary, a few dozen people
 * with display names, some files and links, two years of history), then
 * times a fixed set of 100 queries and prints p50/p95 latency and the
 * cache size on disk. Prints figures; asserts nothing about time.
 * `bench_search reuse` times an existing cache without rebuilding it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "natter/config.h"
#include "natter/event.h"
#include "natter/search.h"
#include "natter/store.h"
#include "natter/util.h"

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

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
time_queries(struct store *st)
{
	struct search_opts o = {.limit = 20, .now_ms = BENCH_END_MS};
	double ms[NT_NELEMS(queries)], total = 0;
	size_t hits_total = 0, errors = 0, worst = 0;

	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < NT_NELEMS(queries); i++) {
			struct search_hit *hits;
			char *cause = NULL;
			size_t n = 0;
			int64_t t0 = nt_mono_us();

			if (search_run(st, queries[i], &o, &hits, &n, &cause) != 0) {
				errors += round == 1;
				if (round == 1)
					printf("  [%s]: %s\n", queries[i], cause);
				free(cause);
			} else
				search_hits_free(&hits, n);
			ms[i] = (double)(nt_mono_us() - t0) / 1000.0;
			if (round == 1 && getenv("BENCH_SEARCH_EACH") != NULL)
				printf("  %7.2f ms  %3zu hits  [%s]\n", ms[i], n, queries[i]);
			if (round == 1) {
				hits_total += n;
				total += ms[i];
				if (ms[i] > ms[worst])
					worst = i;
			}
		}
	}
	printf("  slowest      %7.2f ms  [%s]\n", ms[worst], queries[worst]);
	qsort(ms, NT_NELEMS(queries), sizeof ms[0], cmp_double);
	printf("search: %zu queries, %zu hits shown, %zu clear messages\n", NT_NELEMS(queries),
	    hits_total, errors);
	printf("  p50          %7.2f ms\n", ms[NT_NELEMS(ms) / 2]);
	printf("  p95          %7.2f ms\n", ms[NT_NELEMS(ms) * 95 / 100]);
	printf("  max          %7.2f ms\n", ms[NT_NELEMS(ms) - 1]);
	printf("  mean         %7.2f ms\n", total / (double)NT_NELEMS(ms));
	return 0;
}

int
main(int argc, char **argv)
{
	int reuse = argc > 1 && strcmp(argv[1], "reuse") == 0;
	int rooms = argc > 2 ? atoi(argv[2]) : 500;
	long messages = argc > 3 ? atol(argv[3]) : 1000000;
	struct cfg_paths paths;
	struct store *st;
	struct stat sb;
	char *cause = NULL;
	int64_t t0;

	if (cfg_paths_init(&paths, "bench-search", NULL, &cause) == -1 ||
	    nt_mkdirs(paths.data_dir, 0700, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	if (!reuse)
		remove(paths.cache_db);
	if ((st = store_open(paths.cache_db, &cause)) == NULL ||
	    store_meta_set(st, "self", "@me:hs", &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	if (!reuse) {
		t0 = nt_mono_ms();
		if (build(st, rooms, messages, &cause) != 0) {
			fprintf(stderr, "bench: %s\n", cause);
			return 1;
		}
		printf("cache: %d rooms, %ld messages, built in %.1f s\n", rooms, messages,
		    (double)(nt_mono_ms() - t0) / 1000.0);
		store_close(&st);
		st = store_open(paths.cache_db, &cause);
	}
	if (stat(paths.cache_db, &sb) == 0)
		printf("  on disk      %7.1f MB  %s\n", (double)sb.st_size / 1e6, paths.cache_db);
	time_queries(st);
	store_close(&st);
	cfg_paths_clear(&paths);
	return 0;
}
