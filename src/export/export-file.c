/* A mail on disk: an .eml file written whole, one kept after a failed
 * delivery, or a message appended to an mbox. Files are 0600 from the
 * first byte. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export-private.h"

int
export_write_eml(const struct export_mail *m, const char *path, int force, char **cause)
{
	return nt_write_new_file(path, m->data, m->len, force, cause);
}

char *
export_keep(const struct export_mail *m, const char *dir, char **cause)
{
	char stamp[32], *path = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1;

	if (nt_mkdirs(dir, 0700, cause) == -1)
		return NULL;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	for (int i = 0; i < 1000 && fd == -1; i++) {
		path = i == 0 ? xasprintf("%s/export-%s.eml", dir, stamp) :
		    xasprintf("%s/export-%s-%d.eml", dir, stamp, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST) {
			cause_set(cause, "cannot create %s: %s", path, strerror(errno));
			xfree(&path);
			return NULL;
		}
		if (fd == -1)
			xfree(&path);
	}
	if (fd == -1) {
		cause_set(cause, "cannot create a file in %s", dir);
		return NULL;
	}
	if (nt_write_all(fd, m->data, m->len) == -1 || fsync(fd) == -1) {
		cause_set(cause, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		xfree(&path);
		return NULL;
	}
	close(fd);
	return path;
}

/* mboxrd: a line that reads "From " after any number of '>' gets one
 * more, so readers can tell it from a message's first line. */
static void
export_mbox_line(struct buf *b, const char *line, size_t len)
{
	size_t q = 0;

	while (q < len && line[q] == '>')
		q++;
	if (len - q >= 5 && memcmp(line + q, "From ", 5) == 0)
		buf_putc(b, '>');
	buf_add(b, line, len);
	buf_putc(b, '\n');
}

static void
export_mbox_entry(const struct export_mail *m, struct buf *b)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[64];
	const char *p = m->data, *end = m->data + m->len, *nl;

	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm);
	buf_printf(b, "From %s %s\n", m->envelope_from, when);
	while (p < end) {
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		export_mbox_line(b, p, len);
		p = nl != NULL ? nl + 1 : end;
	}
	buf_putc(b, '\n');
}

/* What the mbox needs before a new message: a blank line after the
 * last one, if whoever wrote it left none. */
static const char *
export_mbox_gap(int fd, off_t size)
{
	char tail[2];

	if (size == 0)
		return "";
	if (size == 1)
		return pread(fd, tail, 1, 0) == 1 && tail[0] == '\n' ? "\n" : "\n\n";
	if (pread(fd, tail, 2, size - 2) != 2)
		return "\n\n";
	return tail[1] != '\n' ? "\n\n" : tail[0] != '\n' ? "\n" : "";
}

int
export_append_mbox(const struct export_mail *m, const char *path, char **cause)
{
	struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct buf b = {0};
	struct stat sb;
	int fd, rc = -1;

	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return cause_set(cause, "cannot open %s: %s", path, strerror(errno));
	if (fcntl(fd, F_SETLKW, &lock) == -1) {
		cause_set(cause, "cannot lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		cause_set(cause, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	buf_puts(&b, export_mbox_gap(fd, sb.st_size));
	export_mbox_entry(m, &b);
	if (nt_write_all(fd, b.data, b.len) == 0 && fsync(fd) == 0)
		rc = 0;
	else {
		cause_set(cause, "cannot write %s: %s", path, strerror(errno));
		/* Leave the mbox as it was, not with half a message. */
		if (ftruncate(fd, sb.st_size) == -1)
			cause_set(cause, "cannot write %s, and it now ends in part of a message: %s",
			    path, strerror(errno));
	}
	buf_free(&b);
	close(fd);
	return rc;
}
