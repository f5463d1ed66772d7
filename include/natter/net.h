/* net: HTTP requests on libcurl's multi interface, driven by the loop
 * (curl reports its sockets and its timer; nothing blocks). A request is
 * made once: retry policy belongs to the caller. Only http and https are
 * spoken and redirects are never followed. */
#ifndef NATTER_NET_H
#define NATTER_NET_H

#include <stddef.h>

struct loop;
struct net;
struct net_request;

/* An ordinary request: a server that says nothing for NET_STALL_S (a
 * connection left half-open, a peer gone without a FIN) or takes longer
 * than NET_TIMEOUT_MS in all is given up on in seconds, for the caller to
 * retry; a spec with more to do (a long poll, a big file) says its own. */
#define NET_TIMEOUT_MS 30000L		/* whole request, unless the spec says */
#define NET_STALL_S 10L			/* under 1 byte/s this long: give up */
#define NET_CONNECT_TIMEOUT_MS 10000L
/* TCP keepalive: a peer that stops answering probes is gone after about
 * idle + count * interval seconds, even while a long poll waits. */
#define NET_KEEPIDLE_S 10L
#define NET_KEEPINTVL_S 5L
#define NET_KEEPCNT 3
#define NET_BODY_MAX ((size_t)64 << 20)	/* response bodies over this are cut off */

/* Receives a 2xx body as it arrives; returns -1 to abort the request. */
typedef int (*net_sink_cb)(const char *data, size_t len, void *arg);

/* What to send. Everything is copied; the spec may go once net_request
 * returns. Zero values mean the defaults. */
struct net_spec {
	const char *method;		/* NULL: GET, or POST with a body */
	const char *url;
	const char *token;		/* sent as "Authorization: Bearer" */
	const char *body;		/* NULL: no body */
	size_t body_len;
	const char *content_type;	/* of body or upload */
	const char *upload_path;	/* send this file's bytes as the body */
	long timeout_ms;		/* whole request; 0: NET_TIMEOUT_MS, -1: none */
	long stall_s;			/* 0: NET_STALL_S; catches half-open links */
	size_t max_body;		/* 0: NET_BODY_MAX */
	net_sink_cb sink;		/* 2xx bodies go here instead of memory */
	void *sink_arg;
};

struct net_response {
	long status;			/* HTTP status; 0 if none arrived */
	char *body;			/* NUL-terminated, never NULL */
	size_t len;
	long retry_after_s;		/* Retry-After (seconds or date); -1 absent */
	const char *content_type;	/* the response's, or NULL */
	int error;			/* 0, or a CURLcode: no complete response */
	const char *error_text;		/* why, for a person; NULL when error is 0 */
	int transient;			/* the error may pass: refused, reset, timeout */
};

/* Called once per request from the loop, never from net_request itself.
 * resp and its strings live until the callback returns; a callback that
 * keeps body takes it and sets resp->body to NULL. The request handle is
 * gone once this is called. */
typedef void (*net_done_cb)(struct net_response *resp, void *arg);

struct net *net_new(struct loop *loop, char **cause);
struct loop *net_loop(struct net *net);
/* Cancels every request without calling its callback. Not from a callback. */
void net_free(struct net **net);

/* Starts a request. Returns NULL with a cause for what can be known
 * before sending: a bad URL or header value, an unreadable upload file. */
struct net_request *net_request(struct net *net, const struct net_spec *spec, net_done_cb cb,
    void *arg, char **cause);
/* Stops a request; its callback is not called. Sets *req to NULL. */
void net_cancel(struct net_request **req);

#endif
