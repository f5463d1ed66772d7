/* mail: what a mail header or an SMTP envelope may carry. Addresses
 * checked strictly, text made into one inert line, and the TLS policy of
 * an SMTP URL. The config checks [mail] with it; export builds and sends
 * mail with it. */
#ifndef NATTER_MAIL_H
#define NATTER_MAIL_H

#include <stddef.h>

/* Longest subject, room name or display name put in a header, in bytes. */
#define MAIL_HEADER_MAX 200
/* Attachments in one mail, in bytes of the files themselves, unless
 * [mail] attachment_cap says otherwise. */
#define MAIL_ATTACHMENT_CAP_DEFAULT (25 * 1024 * 1024)

/* A mailbox: an address and, maybe, a display name. */
struct mail_addr {
	char *name;		/* made inert, or NULL */
	char *addr;		/* local@domain, checked */
};

/* 1 when addr is a plain ASCII local@domain a header and an SMTP
 * envelope can carry (dot-atom local part, host name domain). */
int mail_addr_valid(const char *addr);
/* Parses "local@domain" or "Name <local@domain>". */
int mail_addr_parse(const char *s, struct mail_addr *a, char **cause);
/* Parses a comma-separated list into *v (appended to, n items). */
int mail_addrs_parse(const char *list, struct mail_addr **v, size_t *n, char **cause);
void mail_addr_clear(struct mail_addr *a);
void mail_addrs_free(struct mail_addr **v, size_t n);

/* Text from the server or the user made fit for one header: controls,
 * CR and LF become visible inert stand-ins, white space is trimmed, and
 * it is cut to MAIL_HEADER_MAX bytes on a character boundary. */
char *mail_header_text(const char *s);

/* Checks an SMTP URL: smtps, or smtp with STARTTLS required unless the
 * host is loopback (127.0.0.0/8, ::1, localhost). Sets *require_tls. */
int mail_smtp_policy(const char *url, int *require_tls, char **cause);

#endif
