#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "natter/util.h"

static void
oom(void)
{
	fputs("natter: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (size != 0 && n > SIZE_MAX / size)
		oom();
	q = realloc(p, n * size != 0 ? n * size : 1);
	if (q == NULL)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
xfree(void *pp)
{
	void **p = pp;

	free(*p);
	*p = NULL;
}

int
cause_set(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return -1;
	free(*cause);
	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_puts(b, s);
	free(s);
}

char *
buf_steal(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void
buf_free(struct buf *b)
{
	xfree(&b->data);
	b->len = b->cap = 0;
}

void
nt_local_time(int64_t ms, const char *fmt, const char *none, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL || strftime(out, size, fmt, &tm) == 0)
		snprintf(out, size, "%s", none);
}

int64_t
nt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
nt_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
nt_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
nt_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
nt_write_new_file(const char *path, const void *data, size_t len, int force, char **cause)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd, rc = -1;

	if ((fd = mkstemp(tmp)) == -1) {
		cause_set(cause, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (nt_write_all(fd, data, len) == -1 || fsync(fd) == -1)
		cause_set(cause, "cannot write %s: %s", tmp, strerror(errno));
	else if (close(fd) == -1)
		cause_set(cause, "cannot write %s: %s", tmp, strerror(errno));
	else {
		fd = -1;
		/* link() never replaces a file; rename() does, when asked to. */
		if (force ? rename(tmp, path) == 0 : link(tmp, path) == 0)
			rc = 0;
		else if (errno == EEXIST)
			cause_set(cause, "%s exists: give --force to replace it", path);
		else
			cause_set(cause, "cannot create %s: %s", path, strerror(errno));
	}
	if (fd != -1)
		close(fd);
	if (!force || rc == -1)
		unlink(tmp);
	free(tmp);
	return rc;
}

char *
nt_read_file(const char *path, size_t *len, char **cause)
{
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			close(fd);
			buf_free(&b);
			return NULL;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len != NULL)
		*len = b.len;
	return buf_steal(&b);
}

int
nt_parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

void
nt_size_text(int64_t bytes, char *out, size_t size)
{
	if (bytes < 0)
		snprintf(out, size, "size unknown");
	else if (bytes < 1024)
		snprintf(out, size, "%lld bytes", (long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(out, size, "%.1f KB", (double)bytes / 1024);
	else
		snprintf(out, size, "%.1f MB", (double)bytes / (1024 * 1024));
}

size_t
nt_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

void
nt_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			abort();
		p += got;
		n -= (size_t)got;
	}
}

int
nt_mkdirs(const char *dir, int mode, char **cause)
{
	char *copy = xstrdup(dir);
	struct stat sb;

	for (char *slash = copy + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST) {
			cause_set(cause, "cannot create %s: %s", copy, strerror(errno));
			free(copy);
			return -1;
		}
		*slash = '/';
	}
	free(copy);
	if (mkdir(dir, (mode_t)mode) == -1 && errno != EEXIST)
		return cause_set(cause, "cannot create %s: %s", dir, strerror(errno));
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return cause_set(cause, "%s is not a directory", dir);
	if ((sb.st_mode & 07777) != (mode_t)mode && chmod(dir, (mode_t)mode) == -1)
		return cause_set(cause, "cannot set the mode of %s: %s", dir, strerror(errno));
	return 0;
}
