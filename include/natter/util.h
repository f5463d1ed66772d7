/* util: allocation wrappers that abort on out-of-memory, a growable
 * string buffer, error causes and small time helpers. */
#ifndef NATTER_UTIL_H
#define NATTER_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define NT_ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NT_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) NT_ATTR_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) NT_ATTR_PRINTF(1, 0);

/* Frees *p and sets it to NULL. */
void xfree(void *pp);

/* Sets *cause (when cause is not NULL) to a new formatted string, freeing
 * any previous one; returns -1 so callers can write `return cause_set(...)`. */
int cause_set(char **cause, const char *fmt, ...) NT_ATTR_PRINTF(2, 3);

/* A growable byte buffer, always NUL-terminated once anything was added. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_add(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) NT_ATTR_PRINTF(2, 3);
/* Returns the contents (never NULL) and leaves the buffer empty. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

/* Milliseconds: wall clock since the epoch, and a monotonic clock. */
int64_t nt_now_ms(void);
/* ms (since the epoch) in local time by strftime's fmt into out, or
 * none when ms is 0 or the time cannot be written. */
void nt_local_time(int64_t ms, const char *fmt, const char *none, char *out, size_t size);
int64_t nt_mono_ms(void);
int64_t nt_mono_us(void);

/* Creates dir and its missing parents; the last component gets mode. */
int nt_mkdirs(const char *dir, int mode, char **cause);

/* Writes all of data to fd (again after EINTR and short writes); -1
 * with errno set when it cannot. */
int nt_write_all(int fd, const void *data, size_t len);
/* Writes a whole file, 0600 from its first byte, at path only once it is
 * all on disk; an existing file is replaced only with force (the cause
 * says to give --force). */
int nt_write_new_file(const char *path, const void *data, size_t len, int force, char **cause);
/* Reads a whole file; returns NULL with a cause on failure. */
char *nt_read_file(const char *path, size_t *len, char **cause);

/* Parses a decimal integer that must fill the whole string. */
int nt_parse_int64(const char *s, int64_t *out);

/* When something the user schedules is due, in ms since the epoch, from
 * what they typed in the local time zone: "08:00" (today, or tomorrow when
 * already past), "tomorrow 8:00", "2026-12-04 08:00" (in the past: an
 * error), "+2h", "+30m", "+1h30m", "+45s", "+1d". now_ms is the time
 * now. With end, *end is set after the time (and its blanks); without,
 * nothing may follow it. */
int nt_when_parse(const char *s, int64_t now_ms, int64_t *due_ms, const char **end,
    char **cause);

/* A size as people read it: "812 bytes", "245.3 KB", "1.2 MB", or "size
 * unknown" for a negative one. */
void nt_size_text(int64_t bytes, char *out, size_t size);

/* The length of s (len bytes of UTF-8) cut to at most max bytes without
 * splitting a character. */
size_t nt_utf8_cut(const char *s, size_t len, size_t max);

/* Fills buf with n random bytes from the kernel. */
void nt_random(void *buf, size_t n);

#endif
