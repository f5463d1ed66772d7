/* The log file: one timestamped line an entry, flushed as written so a
 * crash keeps what led to it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "natter/log.h"
#include "natter/sanitize.h"

static FILE *log_file;

int
log_open(const char *path, char **cause)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (nt_mkdirs(dir, 0700, cause) == -1) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || (log_file = fdopen(fd, "a")) == NULL) {
		if (fd != -1)
			close(fd);
		return cause_set(cause, "cannot open the log %s: %s", path, strerror(errno));
	}
	setvbuf(log_file, NULL, _IOLBF, 0);
	log_msg("natter %s started (pid %ld)", NATTER_VERSION, (long)getpid());
	return 0;
}

void
log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
}

void
log_msg(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char when[32], *msg, *safe;
	va_list ap;

	if (log_file == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* Server text (error messages) can be in a line: keep it inert. */
	safe = san_text(msg, 0);
	fprintf(log_file, "%s.%03ld %s\n", when, ts.tv_nsec / 1000000, safe);
	free(safe);
	free(msg);
}
