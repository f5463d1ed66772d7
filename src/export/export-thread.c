/* Threads to export, read from the cache: a room or part of it, a range
 * of messages, or a set of events; and the files they carry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export-private.h"
#include "natter/msg.h"
#include "natter/sanitize.h"

#define EXPORT_PAGE 1000

/* Whether m is in the mail: room plumbing is not, nor a deleted message
 * unless flags ask for it. */
static int
export_msg_shown(const struct store_msg *m, int flags)
{
	if (m->redacted && m->state_key == NULL && !(flags & EXPORT_DELETED))
		return 0;
	return m->state_key == NULL || !msg_state_hidden(m->type);
}

static void
export_push(struct export_thread *t, size_t *cap, struct store_msg *m)
{
	if (t->n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		t->msgs = xreallocarray(t->msgs, *cap, sizeof *t->msgs);
	}
	t->msgs[t->n++] = *m;
	memset(m, 0, sizeof *m);
}

static int
export_index_cmp(const void *a, const void *b)
{
	const struct store_msg *const *x = a, *const *y = b;

	return strcmp((*x)->event_id, (*y)->event_id);
}

void
export_index_build(struct export_index *ix, const struct export_thread *t)
{
	ix->n = 0;
	ix->v = xreallocarray(NULL, t->n + t->n_quoted + 1, sizeof *ix->v);
	for (size_t i = 0; i < t->n; i++)
		ix->v[ix->n++] = &t->msgs[i];
	for (size_t i = 0; i < t->n_quoted; i++)
		ix->v[ix->n++] = &t->quoted[i];
	qsort(ix->v, ix->n, sizeof *ix->v, export_index_cmp);
}

const struct store_msg *
export_index_find(const struct export_index *ix, const char *event_id)
{
	struct store_msg probe = {.event_id = (char *)event_id};
	const struct store_msg *key = &probe, **found;

	found = bsearch(&key, ix->v, ix->n, sizeof *ix->v, export_index_cmp);
	return found != NULL ? *found : NULL;
}

void
export_index_free(struct export_index *ix)
{
	xfree(&ix->v);
	ix->n = 0;
}

const struct export_file *
export_file_of(const struct export_thread *t, size_t i)
{
	size_t lo = 0, hi = t->n_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->files[mid].msg < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n_files && t->files[lo].msg == i ? &t->files[lo] : NULL;
}

static int
export_quoted_has(const struct export_thread *t, const char *event_id)
{
	for (size_t i = 0; i < t->n_quoted; i++)
		if (strcmp(t->quoted[i].event_id, event_id) == 0)
			return 1;
	return 0;
}

/* Loads the messages replies answer, and the roots of threads whose
 * replies are here, that the thread itself lacks; one not in the cache is
 * simply not quoted. */
static void
export_load_quoted(struct store *st, struct export_thread *t)
{
	struct export_index ix;
	size_t cap = 0;

	export_index_build(&ix, t);
	for (size_t i = 0; i < t->n * 2; i++) {
		const struct store_msg *m = &t->msgs[i / 2];
		const char *id = i % 2 == 0 ? m->reply_to : m->thread_root;
		struct store_msg q;

		if (id == NULL || export_index_find(&ix, id) != NULL || export_quoted_has(t, id))
			continue;
		if (store_msg_get(st, id, &q, NULL) == -1)
			continue;
		/* A reply answers a message of its own room, whatever it claims. */
		if (strcmp(q.room_id, m->room_id) != 0) {
			store_msg_clear(&q);
			continue;
		}
		if (t->n_quoted == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			t->quoted = xreallocarray(t->quoted, cap, sizeof *t->quoted);
		}
		t->quoted[t->n_quoted++] = q;
	}
	export_index_free(&ix);
}

static void
export_list_files(struct export_thread *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct store_msg *m = &t->msgs[i];

		if (m->url == NULL || m->redacted)
			continue;
		t->files = xreallocarray(t->files, t->n_files + 1, sizeof *t->files);
		t->files[t->n_files++] = (struct export_file){
			.msg = i, .state = EXPORT_FILE_LISTED, .fd = -1, .size = m->size,
		};
	}
}

/* The replies of a thread (m.thread) whose root is in the mail, right
 * after the root: a reader finds the thread where it started. The room's
 * history leaves them out; search results (ungathered) keep them as found. */
static int
export_gather_threads(struct store *st, struct export_thread *t, int flags, char **cause)
{
	struct store_msg *old = t->msgs, *replies;
	size_t n_old = t->n, cap = 0, n;
	int rc = 0;

	t->msgs = NULL;
	t->n = 0;
	for (size_t i = 0; i < n_old; i++) {
		int root = rc == 0 && old[i].thread_root == NULL && old[i].thread_replies > 0;
		char *id = xstrdup(old[i].event_id);

		export_push(t, &cap, &old[i]);
		if (root && store_thread(st, id, INT32_MAX, &replies, &n, cause) == -1)
			rc = -1;
		else if (root) {
			for (size_t j = 0; j < n; j++)
				if (replies[j].thread_root != NULL &&
				    export_msg_shown(&replies[j], flags))
					export_push(t, &cap, &replies[j]);
			store_msgs_free(&replies, n);
		}
		free(id);
	}
	free(old);
	return rc;
}

/* The room's id and name, then quoted messages and files once the
 * messages are in. */
static int
export_finish(struct store *st, const char *room_id, struct export_thread *t, const char *what,
    char **cause)
{
	struct store_room room;

	if (store_room_get(st, room_id, &room, cause) == -1)
		return -1;
	t->room_id = xstrdup(room_id);
	t->room_name = xstrdup(room.name != NULL ? room.name : room_id);
	if (room.is_direct && room.dm_user != NULL) {
		t->peer_name = store_member_displayname(st, room_id, room.dm_user);
		if (t->peer_name == NULL || *t->peer_name == '\0') {
			free(t->peer_name);
			t->peer_name = xstrdup(room.dm_user);
		}
	}
	store_room_clear(&room);
	if (t->n == 0) {
		char *safe = san_text(t->room_name, 0);

		cause_set(cause, "nothing to export: the cache holds no messages of %s%s", safe,
		    what);
		free(safe);
		return -1;
	}
	export_load_quoted(st, t);
	export_list_files(t);
	return 0;
}

/* Pages the room back from before_seq and keeps, oldest first, what
 * keep() accepts; stops once stop() says the rest is older. */
static int
export_page_back(struct store *st, const char *room_id, int64_t before_seq,
    int (*keep)(const struct store_msg *, const void *),
    int (*stop)(const struct store_msg *, const void *), const void *arg, int flags,
    struct export_thread *t, char **cause)
{
	struct store_msg **pages = NULL;
	size_t *counts = NULL, n_pages = 0, cap = 0;
	int done = 0, rc = 0;

	while (!done) {
		pages = xreallocarray(pages, n_pages + 1, sizeof *pages);
		counts = xreallocarray(counts, n_pages + 1, sizeof *counts);
		if (store_history(st, room_id, before_seq, EXPORT_PAGE, &pages[n_pages],
		    &counts[n_pages], cause) == -1) {
			rc = -1;
			break;
		}
		done = counts[n_pages] < EXPORT_PAGE || stop(&pages[n_pages][0], arg);
		if (counts[n_pages] > 0)
			before_seq = pages[n_pages][0].seq;
		n_pages++;
	}
	/* Pages came newest first. */
	for (size_t p = n_pages; p-- > 0;) {
		for (size_t i = 0; i < counts[p]; i++) {
			struct store_msg *m = &pages[p][i];

			if (rc == 0 && keep(m, arg) && export_msg_shown(m, flags))
				export_push(t, &cap, m);
			else
				store_msg_clear(m);
		}
		free(pages[p]);
	}
	free(pages);
	free(counts);
	return rc;
}

struct export_span {
	int64_t lo, hi;		/* times: lo <= ts < hi; or seqs: lo <= seq <= hi */
};

static int
export_keep_time(const struct store_msg *m, const void *arg)
{
	const struct export_span *s = arg;

	return m->ts >= s->lo && m->ts < s->hi;
}

static int
export_stop_time(const struct store_msg *oldest, const void *arg)
{
	return oldest->ts < ((const struct export_span *)arg)->lo;
}

static int
export_keep_seq(const struct store_msg *m, const void *arg)
{
	const struct export_span *s = arg;

	return m->seq >= s->lo && m->seq <= s->hi;
}

static int
export_stop_seq(const struct store_msg *oldest, const void *arg)
{
	return oldest->seq <= ((const struct export_span *)arg)->lo;
}

int
export_load_room(struct store *st, const char *room_id, int64_t since_ms, int64_t until_ms,
    int flags, struct export_thread *t, char **cause)
{
	struct export_span span = {since_ms, until_ms};

	memset(t, 0, sizeof *t);
	if (export_page_back(st, room_id, INT64_MAX, export_keep_time, export_stop_time, &span,
	    flags, t, cause) == -1 || export_gather_threads(st, t, flags, cause) == -1 ||
	    export_finish(st, room_id, t, since_ms > 0 || until_ms < INT64_MAX ?
	    " in that time" : "", cause) == -1) {
		export_thread_clear(t);
		return -1;
	}
	return 0;
}

int
export_load_range(struct store *st, const char *room_id, const char *first,
    const char *last, int flags, struct export_thread *t, char **cause)
{
	struct store_msg a, b;
	struct export_span span;
	int rc = -1;

	memset(t, 0, sizeof *t);
	if (store_msg_get(st, first, &a, cause) == -1)
		return -1;
	if (store_msg_get(st, last, &b, cause) == -1) {
		store_msg_clear(&a);
		return -1;
	}
	if (strcmp(a.room_id, room_id) != 0 || strcmp(b.room_id, room_id) != 0) {
		char *safe = san_text(strcmp(a.room_id, room_id) != 0 ? first : last, 0);

		cause_set(cause, "%s is not in that room", safe);
		free(safe);
		goto out;
	}
	span.lo = a.seq < b.seq ? a.seq : b.seq;
	span.hi = a.seq < b.seq ? b.seq : a.seq;
	rc = export_page_back(st, room_id, span.hi + 1, export_keep_seq, export_stop_seq, &span,
	    flags, t, cause);
	if (rc == 0)
		rc = export_gather_threads(st, t, flags, cause);
	if (rc == 0)
		rc = export_finish(st, room_id, t, " in that range", cause);
out:
	if (rc == -1)
		export_thread_clear(t);
	store_msg_clear(&a);
	store_msg_clear(&b);
	return rc;
}

/* By room, then by position in the room. */
static int
export_seq_cmp(const void *a, const void *b)
{
	const struct store_msg *x = a, *y = b;
	int c = strcmp(x->room_id, y->room_id);

	return c != 0 ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the messages by room and seq and drops any found twice. */
static void
export_sort_unique(struct export_thread *t)
{
	size_t kept = 0;

	if (t->n == 0)
		return;
	qsort(t->msgs, t->n, sizeof *t->msgs, export_seq_cmp);
	for (size_t i = 0; i < t->n; i++) {
		if (kept > 0 && export_seq_cmp(&t->msgs[kept - 1], &t->msgs[i]) == 0)
			store_msg_clear(&t->msgs[i]);
		else
			t->msgs[kept++] = t->msgs[i];
	}
	t->n = kept;
}

/* The runs of one room in msgs, sorted by room, as sections. */
static void
export_split_rooms(struct export_thread *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct export_room *r;

		if (i > 0 && strcmp(t->msgs[i].room_id, t->msgs[i - 1].room_id) == 0) {
			t->rooms[t->n_rooms - 1].n++;
			continue;
		}
		t->rooms = xreallocarray(t->rooms, t->n_rooms + 1, sizeof *t->rooms);
		r = &t->rooms[t->n_rooms++];
		*r = (struct export_room){.room_id = xstrdup(t->msgs[i].room_id), .first = i,
		    .n = 1};
	}
}

/* Puts the rooms in the order of their oldest message (the first of
 * each, as msgs are by seq), and msgs with them. Rooms are few. */
static void
export_order_rooms(struct export_thread *t)
{
	struct store_msg *v = xreallocarray(NULL, t->n, sizeof *v);
	size_t at = 0;

	for (size_t r = 1; r < t->n_rooms; r++) {
		struct export_room room = t->rooms[r];
		size_t j = r;

		for (; j > 0 && t->msgs[t->rooms[j - 1].first].ts > t->msgs[room.first].ts; j--)
			t->rooms[j] = t->rooms[j - 1];
		t->rooms[j] = room;
	}
	for (size_t r = 0; r < t->n_rooms; r++) {
		memcpy(&v[at], &t->msgs[t->rooms[r].first], t->rooms[r].n * sizeof *v);
		t->rooms[r].first = at;
		at += t->rooms[r].n;
	}
	free(t->msgs);
	t->msgs = v;
}

static char *
export_room_name(struct store *st, const char *room_id)
{
	struct store_room room;
	char *name;

	if (store_room_get(st, room_id, &room, NULL) == -1)
		return xstrdup(room_id);
	name = xstrdup(room.name != NULL ? room.name : room_id);
	store_room_clear(&room);
	return name;
}

/* A thread over several rooms: its sections with their names, then
 * quoted messages and files. */
static void
export_finish_rooms(struct store *st, struct export_thread *t)
{
	export_split_rooms(t);
	export_order_rooms(t);
	for (size_t r = 0; r < t->n_rooms; r++)
		t->rooms[r].room_name = export_room_name(st, t->rooms[r].room_id);
	export_load_quoted(st, t);
	export_list_files(t);
}

/* With room_id NULL, the one room of the messages if they have one. */
static const char *
export_only_room(const struct export_thread *t, const char *room_id)
{
	/* Sorted by room: the first and the last share it or differ. */
	if (room_id != NULL || t->n == 0)
		return room_id;
	return strcmp(t->msgs[0].room_id, t->msgs[t->n - 1].room_id) == 0 ?
	    t->msgs[0].room_id : NULL;
}

int
export_load_events(struct store *st, const char *room_id, char *const *event_ids, size_t n,
    int flags, struct export_thread *t, char **cause)
{
	struct store_msg m;
	size_t cap = 0;
	const char *only;

	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		if (store_msg_get(st, event_ids[i], &m, NULL) == -1)
			continue;
		if ((room_id == NULL || strcmp(m.room_id, room_id) == 0) &&
		    export_msg_shown(&m, flags))
			export_push(t, &cap, &m);
		else
			store_msg_clear(&m);
	}
	export_sort_unique(t);
	if (t->n == 0 && room_id == NULL) {
		export_thread_clear(t);
		return cause_set(cause, "nothing to export: the cache holds none of those results");
	}
	if ((only = export_only_room(t, room_id)) == NULL) {
		export_finish_rooms(st, t);
		return 0;
	}
	if (export_finish(st, only, t, " among those results", cause) == -1) {
		export_thread_clear(t);
		return -1;
	}
	return 0;
}

void
export_thread_clear(struct export_thread *t)
{
	free(t->room_id);
	free(t->room_name);
	for (size_t r = 0; r < t->n_rooms; r++) {
		free(t->rooms[r].room_id);
		free(t->rooms[r].room_name);
	}
	free(t->rooms);
	free(t->query);
	free(t->peer_name);
	free(t->coverage);
	store_msgs_free(&t->msgs, t->n);
	store_msgs_free(&t->quoted, t->n_quoted);
	for (size_t i = 0; i < t->n_files; i++) {
		if (t->files[i].fd != -1)
			close(t->files[i].fd);
		free(t->files[i].error);
	}
	free(t->files);
	memset(t, 0, sizeof *t);
}

const struct store_msg *
export_newest(const struct export_thread *t)
{
	const struct store_msg *newest = &t->msgs[t->n - 1];

	for (size_t r = 0; r < t->n_rooms; r++) {
		const struct store_msg *last = &t->msgs[t->rooms[r].first + t->rooms[r].n - 1];

		if (last->ts > newest->ts)
			newest = last;
	}
	return newest;
}

size_t
export_count_messages(const struct export_thread *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->msgs[i].state_key == NULL;
	return n;
}

/* Digits where the pattern has 9, the pattern's own characters elsewhere
 * (a space or a T between date and time): sscanf alone lets " 5" in. */
static int
export_date_shaped(const char *s, int has_time)
{
	const char *shape = has_time ? "9999-99-99 99:99" : "9999-99-99";

	for (size_t i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == '9' ? s[i] < '0' || s[i] > '9' :
		    s[i] != shape[i] && !(i == 10 && s[i] == 'T'))
			return 0;
	}
	return 1;
}

int
export_parse_date(const char *s, int end, int64_t *ms, char **cause)
{
	struct tm tm = {0}, check;
	int y, mo, d, h = 0, mi = 0, len = -1, has_time;
	time_t when;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &len) == 3 && len == 10 && s[len] == '\0')
		has_time = 0;
	else if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &y, &mo, &d, &h, &mi, &len) == 5 &&
	    len == 16 && s[len] == '\0')
		has_time = 1;
	else
		return cause_set(cause, "\"%s\" is not a date: use YYYY-MM-DD or "
		    "\"YYYY-MM-DD HH:MM\"", s);
	if (!export_date_shaped(s, has_time))
		return cause_set(cause, "\"%s\" is not a date: use YYYY-MM-DD or "
		    "\"YYYY-MM-DD HH:MM\"", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	check = tm;
	if ((when = mktime(&tm)) == (time_t)-1 || tm.tm_mday != check.tm_mday ||
	    tm.tm_mon != check.tm_mon || h > 23 || mi > 59)
		return cause_set(cause, "\"%s\" is not a day of the calendar or a time of day", s);
	if (end) {
		tm = check;
		if (has_time)
			tm.tm_min++;
		else
			tm.tm_mday++;
		tm.tm_isdst = -1;
		when = mktime(&tm);
	}
	*ms = (int64_t)when * 1000;
	return 0;
}

size_t
export_files_fetch(struct export_thread *t, int64_t cap, const char *tmp_dir,
    export_fetch_fn fetch, void *arg)
{
	int64_t total = 0;
	size_t attached = 0;

	for (size_t i = 0; i < t->n_files; i++) {
		struct export_file *f = &t->files[i];
		const struct store_msg *m = &t->msgs[f->msg];
		char *path, *cause = NULL;
		struct stat sb;
		int fd, r;

		if (cap - total <= 0 || (m->size >= 0 && total + m->size > cap)) {
			f->state = EXPORT_FILE_OVER_CAP;
			continue;
		}
		path = xasprintf("%s/.natter-export-XXXXXX", tmp_dir);
		fd = mkstemp(path);
		if (fd == -1) {
			f->state = EXPORT_FILE_FAILED;
			f->error = xasprintf("cannot create a temporary file in %s: %s", tmp_dir,
			    strerror(errno));
			free(path);
			continue;
		}
		unlink(path);
		free(path);
		r = fetch(m, fd, cap - total, arg, &cause);
		if (r == 0 && fstat(fd, &sb) == -1)
			r = cause_set(&cause, "cannot read the downloaded file: %s", strerror(errno));
		if (r != 0) {
			f->state = r == 1 ? EXPORT_FILE_OVER_CAP : EXPORT_FILE_FAILED;
			if (r == -1)
				f->error = cause != NULL ? xstrdup(cause) : xstrdup("download failed");
			free(cause);
			close(fd);
			continue;
		}
		lseek(fd, 0, SEEK_SET);
		f->state = EXPORT_FILE_ATTACHED;
		f->fd = fd;
		f->size = sb.st_size;
		total += sb.st_size;
		attached++;
	}
	return attached;
}
