/* sanitize: makes server-provided text safe for a terminal and JSON.
 * Nothing from the server is printed without passing through here. */
#ifndef NATTER_SANITIZE_H
#define NATTER_SANITIZE_H

#include <stddef.h>

#include "natter/util.h"

enum {
	SAN_MULTILINE = 0x1,	/* keep \n (and \t as spaces); else shown as ⏎ */
};

/* Returns a new string in which C0/C1 controls, DEL, ESC, bidi
 * overrides/embeddings/isolates and other invisible format characters
 * are replaced by visible, inert stand-ins (e.g. U+241B for ESC, <U+202E>),
 * and invalid UTF-8 bytes become U+FFFD. */
char *san_text(const char *s, int flags);

/* A short excerpt of s on one line, made inert as san_text does (a
 * newline shows as a sign): at most max bytes, and "…" when cut. */
char *san_excerpt(const char *s, size_t max);

/* Appends s as a JSON string literal (with quotes) to b, escaping
 * controls, C1, bidi characters and U+2028/2029 as \uXXXX. Invalid
 * UTF-8 becomes U+FFFD. */
void san_json_string(struct buf *b, const char *s);

/* 1 when s is well-formed UTF-8 with no NUL in its first len bytes. */
int san_utf8_valid(const char *s, size_t len);

/* A file name from the server made safe: its last component, inert, no
 * leading dots, at most SAN_FILENAME_MAX bytes, never empty. */
#define SAN_FILENAME_MAX 200
char *san_filename(const char *name);

#endif
