#include <sys/queue.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "natter/loop.h"
#include "natter/net.h"
#include "natter/util.h"

#ifndef NATTER_VERSION
#define NATTER_VERSION "0.0"
#endif

struct net_request {
	struct net *net;
	CURL *easy;
	LIST_ENTRY(net_request) entry;

	struct curl_slist *headers;
	char *body;
	int upload_fd;

	struct buf resp;
	size_t received;
	size_t max_body;
	long timeout_ms;	/* 0: none */
	long stall_s;
	int too_big;
	int head_done;		/* the blank line that ends the headers came */
	long retry_after_s;
	net_sink_cb sink;
	void *sink_arg;
	int sink_failed;

	net_done_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
	char errtext[CURL_ERROR_SIZE + 64];
};

struct net {
	struct loop *loop;
	CURLM *multi;
	uint64_t timer;
	LIST_HEAD(, net_request) requests;

	/* The sockets curl asked the loop to watch, removed again at the end. */
	int *fds;
	size_t n_fds;
	size_t cap_fds;
};

static void net_check_done(struct net *);

static void
net_fd_forget(struct net *net, int fd)
{
	size_t i;

	for (i = 0; i < net->n_fds; i++) {
		if (net->fds[i] == fd) {
			net->fds[i] = net->fds[--net->n_fds];
			return;
		}
	}
}

static void
net_fd_ready(int fd, int revents, void *arg)
{
	struct net *net = arg;
	int flags = 0, running;

	if (revents & (POLLIN | POLLHUP))
		flags |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLNVAL))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(net->multi, fd, flags, &running);
	net_check_done(net);
}

static int
net_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct net *net = userp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		loop_fd_remove(net->loop, s);
		net_fd_forget(net, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= POLLIN;
	if (what & CURL_POLL_OUT)
		events |= POLLOUT;
	if (loop_fd_modify(net->loop, s, events) == 0)
		return 0;
	if (loop_fd_add(net->loop, s, events, net_fd_ready, net) == -1)
		return -1;
	if (net->n_fds == net->cap_fds) {
		net->cap_fds = net->cap_fds ? net->cap_fds * 2 : 8;
		net->fds = xreallocarray(net->fds, net->cap_fds, sizeof *net->fds);
	}
	net->fds[net->n_fds++] = s;
	return 0;
}

static void
net_timeout(void *arg)
{
	struct net *net = arg;
	int running;

	net->timer = 0;
	curl_multi_socket_action(net->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	net_check_done(net);
}

/* curl wants to be called back in timeout_ms (-1: never); 0 still goes
 * through the loop because curl may not be re-entered from here. */
static int
net_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct net *net = userp;

	loop_timer_cancel(net->loop, net->timer);
	net->timer = 0;
	if (timeout_ms >= 0)
		net->timer = loop_timer_add(net->loop, timeout_ms, net_timeout, net);
	return 0;
}

struct net *
net_new(struct loop *loop, char **cause)
{
	struct net *net;
	CURLcode code;

	if ((code = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		cause_set(cause, "cannot start libcurl: %s", curl_easy_strerror(code));
		return NULL;
	}
	net = xcalloc(1, sizeof *net);
	net->loop = loop;
	LIST_INIT(&net->requests);
	if ((net->multi = curl_multi_init()) == NULL) {
		cause_set(cause, "cannot start libcurl: curl_multi_init failed");
		free(net);
		curl_global_cleanup();
		return NULL;
	}
	curl_multi_setopt(net->multi, CURLMOPT_SOCKETFUNCTION, net_socket_cb);
	curl_multi_setopt(net->multi, CURLMOPT_SOCKETDATA, net);
	curl_multi_setopt(net->multi, CURLMOPT_TIMERFUNCTION, net_timer_cb);
	curl_multi_setopt(net->multi, CURLMOPT_TIMERDATA, net);
	return net;
}

struct loop *
net_loop(struct net *net)
{
	return net->loop;
}

static void
net_request_free(struct net_request *req)
{
	curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->headers);
	if (req->upload_fd != -1)
		close(req->upload_fd);
	free(req->body);
	buf_free(&req->resp);
	free(req);
}

void
net_free(struct net **pp)
{
	struct net *net = *pp;
	struct net_request *req;

	if (net == NULL)
		return;
	while ((req = LIST_FIRST(&net->requests)) != NULL)
		net_cancel(&req);
	curl_multi_cleanup(net->multi);
	while (net->n_fds > 0)
		loop_fd_remove(net->loop, net->fds[--net->n_fds]);
	loop_timer_cancel(net->loop, net->timer);
	free(net->fds);
	free(net);
	curl_global_cleanup();
	*pp = NULL;
}

void
net_cancel(struct net_request **pp)
{
	struct net_request *req = *pp;

	if (req == NULL)
		return;
	LIST_REMOVE(req, entry);
	curl_multi_remove_handle(req->net->multi, req->easy);
	net_request_free(req);
	*pp = NULL;
}

/* Retry-After is either delay-seconds or an HTTP-date (RFC 9110 10.2.3). */
static long
net_retry_after(const char *p, size_t len)
{
	char v[64];
	int64_t secs;
	time_t when, now;

	while (len > 0 && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	if (len == 0 || len >= sizeof v)
		return -1;
	memcpy(v, p, len);
	v[len] = '\0';
	if (isdigit((unsigned char)v[0]) && nt_parse_int64(v, &secs) == 0)
		return secs > LONG_MAX ? LONG_MAX : (long)secs;
	if ((when = curl_getdate(v, NULL)) == -1)
		return -1;
	now = time(NULL);
	return when > now ? (long)(when - now) : 0;
}

static size_t
net_header(char *p, size_t size, size_t n, void *arg)
{
	struct net_request *req = arg;
	size_t len = size * n;

	/* A new status line (after a 100 Continue, say) starts a new header set. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		req->retry_after_s = -1;
		req->head_done = 0;
	} else if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n'))
		req->head_done = 1;
	else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		req->retry_after_s = net_retry_after(p + 12, len - 12);
	return len;
}

static size_t
net_write(char *p, size_t size, size_t n, void *arg)
{
	struct net_request *req = arg;
	size_t len = size * n;
	long status = 0;

	if (len > req->max_body - req->received) {
		req->too_big = 1;
		return 0;
	}
	req->received += len;
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	if (req->sink != NULL && status >= 200 && status <= 299) {
		if (req->sink(p, len, req->sink_arg) == -1) {
			req->sink_failed = 1;
			return 0;
		}
		return len;
	}
	buf_add(&req->resp, p, len);
	return len;
}

static size_t
net_read(char *p, size_t size, size_t n, void *arg)
{
	struct net_request *req = arg;
	ssize_t got;

	do
		got = read(req->upload_fd, p, size * n);
	while (got == -1 && errno == EINTR);
	return got == -1 ? CURL_READFUNC_ABORT : (size_t)got;
}

/* Which limit ended the request, in words rather than curl's. */
static const char *
net_timeout_text(struct net_request *req)
{
	if (strncmp(req->errbuf, "Operation too slow", 18) == 0)
		snprintf(req->errtext, sizeof req->errtext, "the connection stalled: nothing came "
		    "for %ld s", req->stall_s);
	else if (strncmp(req->errbuf, "Operation timed out", 19) == 0 && req->timeout_ms >= 1000)
		snprintf(req->errtext, sizeof req->errtext, "no complete answer within %ld s",
		    req->timeout_ms / 1000);
	else if (strncmp(req->errbuf, "Operation timed out", 19) == 0 && req->timeout_ms > 0)
		snprintf(req->errtext, sizeof req->errtext, "no complete answer within %ld ms",
		    req->timeout_ms);
	else if (strncmp(req->errbuf, "Connection timed out", 20) == 0)
		snprintf(req->errtext, sizeof req->errtext, "no connection within %ld s",
		    NET_CONNECT_TIMEOUT_MS / 1000);
	else
		return req->errbuf[0] != '\0' ? req->errbuf : "timed out";
	return req->errtext;
}

static const char *
net_error_text(struct net_request *req, CURLcode code)
{
	if (req->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(req->errtext, sizeof req->errtext,
		    "the response is larger than the limit of %zu bytes", req->max_body);
		return req->errtext;
	}
	if (req->sink_failed)
		return "the response body could not be stored";
	if (code == CURLE_OPERATION_TIMEDOUT)
		return net_timeout_text(req);
	if (req->errbuf[0] != '\0')
		return req->errbuf;
	return curl_easy_strerror(code);
}

/* Errors that another attempt cannot cure: bad TLS, a body over the limit,
 * a local file or sink failing, a misused URL. The rest may pass. */
static int
net_error_transient(struct net_request *req, CURLcode code)
{
	if (req->too_big || req->sink_failed)
		return 0;
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR:
	case CURLE_READ_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_BAD_CONTENT_ENCODING:
		return 0;
	default:
		return 1;
	}
}

static void
net_finish(struct net_request *req, CURLcode code)
{
	struct net_response resp;
	char *ct = NULL;

	memset(&resp, 0, sizeof resp);
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &resp.status);
	curl_easy_getinfo(req->easy, CURLINFO_CONTENT_TYPE, &ct);
	resp.content_type = ct;
	resp.retry_after_s = req->retry_after_s;
	/* libcurl 7.88 takes a connection closed inside the headers for the
	 * end of a complete answer with an empty body. */
	if (code == CURLE_OK && !req->head_done) {
		resp.error = CURLE_PARTIAL_FILE;
		resp.error_text = "the connection closed inside the answer's headers";
		resp.transient = 1;
	} else if (code != CURLE_OK || req->too_big) {
		resp.error = code != CURLE_OK ? (int)code : CURLE_WRITE_ERROR;
		resp.error_text = net_error_text(req, code);
		resp.transient = net_error_transient(req, code);
	}
	resp.len = req->resp.len;
	resp.body = buf_steal(&req->resp);

	LIST_REMOVE(req, entry);
	curl_multi_remove_handle(req->net->multi, req->easy);
	req->cb(&resp, req->arg);
	free(resp.body);
	net_request_free(req);
}

static void
net_check_done(struct net *net)
{
	struct net_request *req;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(net->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		req = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&req);
		if (req != NULL)
			net_finish(req, msg->data.result);
	}
}

static int
net_url_check(const char *url, char **cause)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ok;

	ok = url != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
	curl_free(scheme);
	curl_url_cleanup(u);
	if (!ok)
		return cause_set(cause, "%s is not an http or https URL", url ? url : "(none)");
	return 0;
}

/* Header values must not be able to end their line and start another. */
static int
net_header_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	}
	return 1;
}

static int
net_spec_check(const struct net_spec *spec, char **cause)
{
	const char *m;

	if (net_url_check(spec->url, cause) == -1)
		return -1;
	if (spec->method != NULL) {
		for (m = spec->method; *m != '\0'; m++) {
			if (*m < 'A' || *m > 'Z')
				break;
		}
		if (*m != '\0' || m == spec->method)
			return cause_set(cause, "bad HTTP method \"%s\"", spec->method);
	}
	if (spec->token != NULL && (!net_header_ok(spec->token) || strchr(spec->token, ' ')))
		return cause_set(cause, "the access token holds characters not allowed in HTTP");
	if (spec->content_type != NULL && !net_header_ok(spec->content_type))
		return cause_set(cause, "the content type holds characters not allowed in HTTP");
	return 0;
}

static int
net_upload_open(struct net_request *req, const char *path, curl_off_t *size, char **cause)
{
	struct stat sb;

	req->upload_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (req->upload_fd == -1)
		return cause_set(cause, "%s: %s", path, strerror(errno));
	if (fstat(req->upload_fd, &sb) == -1)
		return cause_set(cause, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cause_set(cause, "%s: not a regular file", path);
	*size = (curl_off_t)sb.st_size;
	return 0;
}

static int
net_body_setup(struct net_request *req, const struct net_spec *spec, char **cause)
{
	const char *method = spec->method;
	curl_off_t size;
	int has_body = spec->body != NULL || spec->upload_path != NULL;

	if (method == NULL)
		method = has_body ? "POST" : "GET";
	if (strcmp(method, "GET") == 0 && !has_body) {
		curl_easy_setopt(req->easy, CURLOPT_HTTPGET, 1L);
		return 0;
	}
	if (spec->upload_path != NULL) {
		if (net_upload_open(req, spec->upload_path, &size, cause) == -1)
			return -1;
		curl_easy_setopt(req->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(req->easy, CURLOPT_READFUNCTION, net_read);
		curl_easy_setopt(req->easy, CURLOPT_READDATA, req);
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDSIZE_LARGE, size);
	} else {
		req->body = xmalloc(spec->body_len + 1);
		if (spec->body_len != 0)
			memcpy(req->body, spec->body, spec->body_len);
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)spec->body_len);
	}
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(req->easy, CURLOPT_CUSTOMREQUEST, method);
	return 0;
}

static void
net_headers_setup(struct net_request *req, const struct net_spec *spec)
{
	struct curl_slist *h = NULL;
	char *line;

	if (spec->token != NULL) {
		line = xasprintf("Authorization: Bearer %s", spec->token);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (spec->content_type != NULL) {
		line = xasprintf("Content-Type: %s", spec->content_type);
		h = curl_slist_append(h, line);
		free(line);
	} else if (spec->body != NULL || spec->upload_path != NULL || spec->method != NULL)
		h = curl_slist_append(h, "Content-Type:");	/* not curl's form default */
	h = curl_slist_append(h, "Expect:");	/* no 100-continue round trip */
	req->headers = h;
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, h);
}

/* libcurl 7.88 sets the keepalive idle time and interval, not the count. */
static int
net_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	int count = NET_KEEPCNT;

	if (purpose == CURLSOCKTYPE_IPCXN)
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
	return CURL_SOCKOPT_OK;
}

static void
net_limits_setup(struct net_request *req, const struct net_spec *spec)
{
	CURL *e = req->easy;
	long timeout = spec->timeout_ms == 0 ? NET_TIMEOUT_MS : spec->timeout_ms;

	req->timeout_ms = timeout < 0 ? 0L : timeout;
	req->stall_s = spec->stall_s > 0 ? spec->stall_s : NET_STALL_S;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, NET_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, req->stall_s);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, NET_KEEPIDLE_S);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, NET_KEEPINTVL_S);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, net_sockopt);
	req->max_body = spec->max_body != 0 ? spec->max_body : NET_BODY_MAX;
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_body);
}

static void
net_easy_setup(struct net_request *req, const struct net_spec *spec)
{
	CURL *e = req->easy;

	curl_easy_setopt(e, CURLOPT_URL, spec->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "natter/" NATTER_VERSION);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, net_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, net_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	net_limits_setup(req, spec);
}

struct net_request *
net_request(struct net *net, const struct net_spec *spec, net_done_cb cb, void *arg,
    char **cause)
{
	struct net_request *req;

	if (net_spec_check(spec, cause) == -1)
		return NULL;
	req = xcalloc(1, sizeof *req);
	req->net = net;
	req->upload_fd = -1;
	req->retry_after_s = -1;
	req->sink = spec->sink;
	req->sink_arg = spec->sink_arg;
	req->cb = cb;
	req->arg = arg;
	if ((req->easy = curl_easy_init()) == NULL) {
		cause_set(cause, "cannot start a request: curl_easy_init failed");
		free(req);
		return NULL;
	}
	net_easy_setup(req, spec);
	net_headers_setup(req, spec);
	if (net_body_setup(req, spec, cause) == -1) {
		net_request_free(req);
		return NULL;
	}
	if (curl_multi_add_handle(net->multi, req->easy) != CURLM_OK) {
		cause_set(cause, "cannot start a request to %s", spec->url);
		net_request_free(req);
		return NULL;
	}
	LIST_INSERT_HEAD(&net->requests, req, entry);
	return req;
}
