#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "natter/log.h"
#include "natter/loop.h"
#include "natter/matrix.h"
#include "natter/net.h"
#include "natter/util.h"

struct mx_client {
	struct net *net;
	struct loop *loop;
	char *base;
	char *token;
	char *user;
	char *device;
	int attempts;
	LIST_HEAD(, mx_call) calls;
};

/* Runs on a call's final outcome before the callback; returns 1 when it
 * started another request on the same call instead. */
typedef int (*mx_hook)(struct mx_call *, struct mx_result *);

struct mx_call {
	struct mx_client *cl;
	LIST_ENTRY(mx_call) entry;

	char *method;
	char *url;
	char *body;
	char *upload_path;
	char *content_type;
	char *pick;
	int flags;
	long timeout_ms;
	long stall_s;
	size_t max_body;
	int sink_fd;
	size_t sunk;		/* bytes written to sink_fd by this attempt */
	int sink_errno;

	int attempts;
	int max_attempts;
	struct net_request *req;
	uint64_t timer;

	mx_hook hook;
	int stage;
	char *saved;		/* hook state: the base URL being discovered */
	char *error;		/* the text behind res->error, when made here */

	mx_cb cb;
	void *arg;
};

static int
mx_is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

char *
mx_path_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	int dots = strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
	unsigned char c;

	/* "." and ".." as segments would be resolved away by URL normalising. */
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (!dots && mx_is_unreserved(c)) {
			buf_putc(&b, (char)c);
			continue;
		}
		buf_putc(&b, '%');
		buf_putc(&b, hex[c >> 4]);
		buf_putc(&b, hex[c & 15]);
	}
	return buf_steal(&b);
}

static char *
mx_vpath(char **cause, const char *fmt, va_list ap)
{
	struct buf b = {0};
	const char *p, *s;
	char *e;

	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			buf_putc(&b, *p);
			continue;
		}
		switch (*++p) {
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL || *s == '\0') {
				buf_free(&b);
				cause_set(cause, "an empty identifier cannot be part of a request");
				return NULL;
			}
			e = mx_path_escape(s);
			buf_puts(&b, e);
			free(e);
			break;
		case 'd':
			buf_printf(&b, "%d", va_arg(ap, int));
			break;
		case '%':
			buf_putc(&b, '%');
			break;
		default:
			buf_free(&b);
			cause_set(cause, "bad request path format \"%s\"", fmt);
			return NULL;
		}
	}
	return buf_steal(&b);
}

char *
mx_path(char **cause, const char *fmt, ...)
{
	va_list ap;
	char *path;

	va_start(ap, fmt);
	path = mx_vpath(cause, fmt, ap);
	va_end(ap);
	return path;
}

char *
mx_txn_new(void)
{
	uint32_t r;

	nt_random(&r, sizeof r);
	return xasprintf("nt%" PRId64 ".%08" PRIx32, nt_now_ms(), r);
}

int64_t
mx_backoff_ms(int n)
{
	int64_t ceiling = MX_BACKOFF_BASE_MS;
	uint32_t r;

	while (n-- > 0 && ceiling < MX_BACKOFF_CAP_MS)
		ceiling *= 2;
	if (ceiling > MX_BACKOFF_CAP_MS)
		ceiling = MX_BACKOFF_CAP_MS;
	nt_random(&r, sizeof r);
	return (int64_t)(r % (uint32_t)(ceiling + 1));
}

/* Skips host[:port] (a DNS name, IPv4 or [IPv6]); NULL if there is none. */
static const char *
mx_url_host(const char *p)
{
	const char *start = p;
	size_t digits = 0;

	if (*p == '[') {
		while (*++p != '\0' && (strchr("0123456789abcdefABCDEF:.", *p) != NULL))
			;
		if (*p++ != ']' || p - start < 4)
			return NULL;
	} else {
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
			p++;
		if (p == start)
			return NULL;
	}
	if (*p == ':') {
		while (*++p >= '0' && *p <= '9')
			digits++;
		if (digits == 0 || digits > 5)
			return NULL;
	}
	return p;
}

/* Checks an http(s) base URL and drops trailing slashes. The cause does
 * not repeat the URL, which may come from a server. */
static char *
mx_base_url(const char *url, char **cause)
{
	const char *p;
	size_t len;

	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else {
		cause_set(cause, "not an http or https URL");
		return NULL;
	}
	if ((p = mx_url_host(p)) == NULL || (*p != '\0' && *p != '/')) {
		cause_set(cause, "no valid host name in the URL");
		return NULL;
	}
	for (; *p != '\0'; p++) {
		if (!mx_is_unreserved((unsigned char)*p) && *p != '/' && *p != '%') {
			cause_set(cause, "the URL holds characters not allowed there");
			return NULL;
		}
	}
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	return xstrndup(url, len);
}

struct mx_client *
mx_client_new(struct net *net, const char *homeserver, char **cause)
{
	struct mx_client *cl = xcalloc(1, sizeof *cl);

	cl->net = net;
	cl->loop = net_loop(net);
	cl->attempts = MX_ATTEMPTS_DEFAULT;
	LIST_INIT(&cl->calls);
	if (homeserver != NULL && mx_client_set_homeserver(cl, homeserver, cause) == -1) {
		free(cl);
		return NULL;
	}
	return cl;
}

static void
mx_call_free(struct mx_call *call)
{
	LIST_REMOVE(call, entry);
	net_cancel(&call->req);
	loop_timer_cancel(call->cl->loop, call->timer);
	free(call->method);
	free(call->url);
	free(call->body);
	free(call->upload_path);
	free(call->content_type);
	free(call->pick);
	free(call->saved);
	free(call->error);
	free(call);
}

void
mx_client_free(struct mx_client **pp)
{
	struct mx_client *cl = *pp;

	if (cl == NULL)
		return;
	while (!LIST_EMPTY(&cl->calls))
		mx_call_free(LIST_FIRST(&cl->calls));
	free(cl->base);
	free(cl->token);
	free(cl->user);
	free(cl->device);
	free(cl);
	*pp = NULL;
}

int
mx_client_set_homeserver(struct mx_client *cl, const char *url, char **cause)
{
	char *base, *why = NULL;

	if ((base = mx_base_url(url, &why)) == NULL) {
		cause_set(cause, "homeserver %s: %s", url, why);
		free(why);
		return -1;
	}
	free(cl->base);
	cl->base = base;
	return 0;
}

static void
mx_replace(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

void
mx_client_set_token(struct mx_client *cl, const char *token)
{
	mx_replace(&cl->token, token);
}

void
mx_client_set_user(struct mx_client *cl, const char *user_id)
{
	mx_replace(&cl->user, user_id);
}

void
mx_client_set_device(struct mx_client *cl, const char *device_id)
{
	mx_replace(&cl->device, device_id);
}

void
mx_client_set_attempts(struct mx_client *cl, int attempts)
{
	cl->attempts = attempts > 0 ? attempts : 1;
}

const char *
mx_client_homeserver(const struct mx_client *cl)
{
	return cl->base;
}

const char *
mx_client_token(const struct mx_client *cl)
{
	return cl->token;
}

const char *
mx_client_user(const struct mx_client *cl)
{
	return cl->user;
}

const char *
mx_client_device(const struct mx_client *cl)
{
	return cl->device;
}

static const char *mx_call_error(struct mx_call *, const char *, ...) NT_ATTR_PRINTF(2, 3);

/* Sets the call's own error text; safe when an argument is the old one. */
static const char *
mx_call_error(struct mx_call *call, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	free(call->error);
	call->error = s;
	return s;
}

static const char *
mx_json_string(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
mx_result_parse(struct mx_result *res)
{
	if (res->raw != NULL && res->raw_len != 0)
		res->json = cJSON_ParseWithLength(res->raw, res->raw_len);
}

static void
mx_result_clear(struct mx_result *res)
{
	cJSON_Delete(res->json);
	free(res->raw);
	memset(res, 0, sizeof *res);
}

static void
mx_result_success(struct mx_call *call, struct mx_result *res)
{
	if (call->flags & (MX_RAW | MX_SINK)) {
		res->ok = 1;
		return;
	}
	mx_result_parse(res);
	if (!cJSON_IsObject(res->json)) {
		res->error = mx_call_error(call, "the homeserver's answer is not a JSON object");
		return;
	}
	if (call->pick != NULL) {
		res->value = mx_json_string(res->json, call->pick);
		if (res->value == NULL) {
			res->error = mx_call_error(call, "the homeserver's answer has no %s",
			    call->pick);
			return;
		}
	}
	res->ok = 1;
}

static void
mx_result_failure(struct mx_call *call, struct mx_result *res)
{
	const cJSON *soft;

	mx_result_parse(res);
	res->errcode = mx_json_string(res->json, "errcode");
	res->error = mx_json_string(res->json, "error");
	if (res->error == NULL && res->errcode != NULL)
		res->error = res->errcode;
	if (res->error == NULL)
		res->error = mx_call_error(call, "the homeserver answered HTTP %ld", res->status);
	soft = cJSON_GetObjectItemCaseSensitive(res->json, "soft_logout");
	res->soft_logout = res->status == 401 && res->errcode != NULL &&
	    strcmp(res->errcode, "M_UNKNOWN_TOKEN") == 0 && cJSON_IsTrue(soft);
}

static void
mx_result_fill(struct mx_call *call, struct net_response *nr, struct mx_result *res)
{
	memset(res, 0, sizeof *res);
	res->status = nr->status;
	res->attempts = call->attempts;
	res->raw = nr->body;
	res->raw_len = nr->len;
	nr->body = NULL;
	if (nr->error != 0) {
		res->network_error = 1;
		if (call->sink_errno != 0)
			res->error = mx_call_error(call, "cannot write the download: %s",
			    strerror(call->sink_errno));
		else
			res->error = mx_call_error(call, "%s", nr->error_text);
	} else if (res->status >= 200 && res->status <= 299)
		mx_result_success(call, res);
	else
		mx_result_failure(call, res);
}

/* The server's wish: the Retry-After header, else the body's
 * retry_after_ms (429 only), capped; without one, the backoff. */
static int64_t
mx_server_delay_ms(const struct net_response *nr, const cJSON *json, int failures)
{
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(json, "retry_after_ms");

	if (nr->retry_after_s >= 0) {
		if (nr->retry_after_s > MX_RATELIMIT_CAP_MS / 1000)
			return MX_RATELIMIT_CAP_MS;
		return (int64_t)nr->retry_after_s * 1000;
	}
	if (cJSON_IsNumber(ms) && ms->valuedouble >= 0) {
		if (ms->valuedouble > MX_RATELIMIT_CAP_MS)
			return MX_RATELIMIT_CAP_MS;
		return (int64_t)ms->valuedouble;
	}
	return mx_backoff_ms(failures);
}

/* How long to wait before trying again, or -1 to report this outcome. */
static int64_t
mx_retry_delay(struct mx_call *call, const struct net_response *nr, const struct mx_result *res)
{
	if (call->flags & MX_NORETRY)
		return -1;
	if (!(call->flags & MX_RETRY_FOREVER) && call->attempts >= call->max_attempts)
		return -1;
	if (call->sunk > 0)
		return -1;
	if (nr->error != 0)
		return nr->transient ? mx_backoff_ms(call->attempts - 1) : -1;
	if (nr->status == 429)
		return mx_server_delay_ms(nr, res->json, call->attempts - 1);
	if (nr->status >= 500 && nr->status <= 599)
		return mx_server_delay_ms(nr, NULL, call->attempts - 1);
	return -1;
}

static void
mx_call_report(struct mx_call *call, struct mx_result *res)
{
	if (call->hook != NULL && call->hook(call, res) == 1) {
		mx_result_clear(res);
		return;
	}
	call->cb(res, call->arg);
	mx_result_clear(res);
	mx_call_free(call);
}

static int mx_call_attempt(struct mx_call *, char **);

static void
mx_call_retry(void *arg)
{
	struct mx_call *call = arg;
	struct mx_result res;
	char *cause = NULL;

	call->timer = 0;
	if (mx_call_attempt(call, &cause) == 0)
		return;
	memset(&res, 0, sizeof res);
	res.attempts = call->attempts;
	res.error = mx_call_error(call, "%s", cause);
	free(cause);
	mx_call_report(call, &res);
}

/* One line per attempt: the path without its query (which may hold a
 * sync token), the outcome and the retry it leads to. */
static void
mx_call_log(const struct mx_call *call, const struct net_response *nr, int64_t delay)
{
	const char *path = strstr(call->url, "/_matrix/");
	size_t len = path != NULL ? strcspn(path, "?") : 0;

	if (nr->error != 0)
		log_msg("%s %.*s: %s (attempt %d)%s", call->method ? call->method : "GET", (int)len, path ? path : "",
		    nr->error_text, call->attempts, delay >= 0 ? ", will retry" : "");
	else
		log_msg("%s %.*s: %ld (attempt %d)%s", call->method ? call->method : "GET", (int)len, path ? path : "",
		    nr->status, call->attempts, delay >= 0 ? ", will retry" : "");
}

static void
mx_call_done(struct net_response *nr, void *arg)
{
	struct mx_call *call = arg;
	struct mx_result res;
	int64_t delay;

	call->req = NULL;
	mx_result_fill(call, nr, &res);
	delay = mx_retry_delay(call, nr, &res);
	mx_call_log(call, nr, delay);
	if (delay >= 0) {
		mx_result_clear(&res);
		call->timer = loop_timer_add(call->cl->loop, delay, mx_call_retry, call);
		return;
	}
	mx_call_report(call, &res);
}

static int
mx_call_sink(const char *p, size_t len, void *arg)
{
	struct mx_call *call = arg;
	ssize_t n;

	while (len > 0) {
		if ((n = write(call->sink_fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			call->sink_errno = errno;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		call->sunk += (size_t)n;
	}
	return 0;
}

static int
mx_call_attempt(struct mx_call *call, char **cause)
{
	struct net_spec spec;

	memset(&spec, 0, sizeof spec);
	spec.method = call->method;
	spec.url = call->url;
	spec.token = (call->flags & MX_NOAUTH) ? NULL : call->cl->token;
	spec.body = call->body;
	spec.body_len = call->body != NULL ? strlen(call->body) : 0;
	spec.content_type = call->content_type;
	spec.upload_path = call->upload_path;
	spec.timeout_ms = call->timeout_ms;
	spec.stall_s = call->stall_s;
	spec.max_body = call->max_body;
	if (call->flags & MX_SINK) {
		spec.sink = mx_call_sink;
		spec.sink_arg = call;
	}
	call->attempts++;
	call->sunk = 0;
	call->sink_errno = 0;
	call->req = net_request(call->cl->net, &spec, mx_call_done, call, cause);
	return call->req != NULL ? 0 : -1;
}

static char *
mx_strdup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* url is taken over by the call. */
static struct mx_call *
mx_call_new(struct mx_client *cl, char *url, const struct mx_req *req, mx_cb cb, void *arg)
{
	struct mx_call *call = xcalloc(1, sizeof *call);

	call->cl = cl;
	call->url = url;
	call->method = mx_strdup0(req->method);
	call->body = mx_strdup0(req->body);
	call->upload_path = mx_strdup0(req->upload_path);
	call->content_type = mx_strdup0(req->content_type);
	if (call->body != NULL && call->content_type == NULL)
		call->content_type = xstrdup("application/json");
	call->pick = mx_strdup0(req->pick);
	call->flags = req->flags;
	call->max_attempts = req->attempts > 0 ? req->attempts : cl->attempts;
	call->timeout_ms = req->timeout_ms;
	call->stall_s = req->stall_s;
	call->max_body = req->max_body;
	call->sink_fd = req->sink_fd;
	call->cb = cb;
	call->arg = arg;
	LIST_INSERT_HEAD(&cl->calls, call, entry);
	return call;
}

static struct mx_call *
mx_call_launch(struct mx_call *call, char **cause)
{
	if (mx_call_attempt(call, cause) == -1) {
		mx_call_free(call);
		return NULL;
	}
	return call;
}

struct mx_call *
mx_call_start(struct mx_client *cl, const struct mx_req *req, mx_cb cb, void *arg, char **cause)
{
	if (cl->base == NULL) {
		cause_set(cause, "no homeserver is set");
		return NULL;
	}
	if (req->path == NULL || req->path[0] != '/') {
		cause_set(cause, "a request path must start with /");
		return NULL;
	}
	if (!(req->flags & MX_NOAUTH) && cl->token == NULL) {
		cause_set(cause, "not logged in");
		return NULL;
	}
	return mx_call_launch(mx_call_new(cl, xasprintf("%s%s", cl->base, req->path), req, cb,
	    arg), cause);
}

void
mx_call_cancel(struct mx_call **pp)
{
	if (*pp != NULL)
		mx_call_free(*pp);
	*pp = NULL;
}

struct mx_call *
mx_request(struct mx_client *cl, const char *method, const char *body, int flags, mx_cb cb,
    void *arg, char **cause, const char *path_fmt, ...)
{
	struct mx_req req;
	struct mx_call *call;
	va_list ap;
	char *path;

	va_start(ap, path_fmt);
	path = mx_vpath(cause, path_fmt, ap);
	va_end(ap);
	if (path == NULL)
		return NULL;
	memset(&req, 0, sizeof req);
	req.method = method;
	req.path = path;
	req.body = body;
	req.flags = flags;
	call = mx_call_start(cl, &req, cb, arg, cause);
	free(path);
	return call;
}

static char *
mx_json_print(cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json);

	if (text == NULL) {
		fputs("natter: out of memory\n", stderr);
		abort();
	}
	return text;
}

/* A token goes into an HTTP header: printable ASCII without spaces. */
static int
mx_token_ok(const char *token)
{
	const char *p;

	for (p = token; *p != '\0'; p++) {
		if (*p <= 0x20 || *p > 0x7e)
			return 0;
	}
	return p != token;
}

static int
mx_login_hook(struct mx_call *call, struct mx_result *res)
{
	const char *token, *device;

	if (!res->ok)
		return 0;
	token = mx_json_string(res->json, "access_token");
	device = mx_json_string(res->json, "device_id");
	if (token == NULL || !mx_token_ok(token)) {
		res->ok = 0;
		res->value = NULL;
		res->error = mx_call_error(call, "the login answer has no usable access_token");
		return 0;
	}
	mx_client_set_token(call->cl, token);
	mx_client_set_user(call->cl, res->value);
	if (device != NULL)
		mx_client_set_device(call->cl, device);
	return 0;
}

static struct mx_call *
mx_login(struct mx_client *cl, cJSON *body, int flags, mx_cb cb, void *arg, char **cause)
{
	struct mx_req req;
	struct mx_call *call;
	char host[256], *name;

	if (gethostname(host, sizeof host) == 0 && memchr(host, '\0', sizeof host) != NULL)
		name = xasprintf("natter on %s", host);
	else
		name = xstrdup("natter");
	cJSON_AddStringToObject(body, "initial_device_display_name", name);
	if (cl->device != NULL)
		cJSON_AddStringToObject(body, "device_id", cl->device);
	free(name);

	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.path = "/_matrix/client/v3/login";
	req.body = mx_json_print(body);
	req.pick = "user_id";
	req.flags = flags | MX_NOAUTH;
	call = mx_call_start(cl, &req, cb, arg, cause);
	if (call != NULL)
		call->hook = mx_login_hook;
	free((char *)req.body);
	cJSON_Delete(body);
	return call;
}

struct mx_call *
mx_login_password(struct mx_client *cl, const char *user, const char *password, int flags,
    mx_cb cb, void *arg, char **cause)
{
	cJSON *body = cJSON_CreateObject(), *id;

	cJSON_AddStringToObject(body, "type", "m.login.password");
	id = cJSON_AddObjectToObject(body, "identifier");
	cJSON_AddStringToObject(id, "type", "m.id.user");
	cJSON_AddStringToObject(id, "user", user);
	cJSON_AddStringToObject(body, "password", password);
	return mx_login(cl, body, flags, cb, arg, cause);
}

struct mx_call *
mx_login_token(struct mx_client *cl, const char *login_token, int flags, mx_cb cb, void *arg,
    char **cause)
{
	cJSON *body = cJSON_CreateObject();

	cJSON_AddStringToObject(body, "type", "m.login.token");
	cJSON_AddStringToObject(body, "token", login_token);
	return mx_login(cl, body, flags, cb, arg, cause);
}

struct mx_call *
mx_whoami(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause)
{
	struct mx_req req;

	memset(&req, 0, sizeof req);
	req.path = "/_matrix/client/v3/account/whoami";
	req.pick = "user_id";
	req.flags = flags;
	return mx_call_start(cl, &req, cb, arg, cause);
}

static int
mx_logout_hook(struct mx_call *call, struct mx_result *res)
{
	if (res->ok)
		mx_client_set_token(call->cl, NULL);
	return 0;
}

struct mx_call *
mx_logout(struct mx_client *cl, int flags, mx_cb cb, void *arg, char **cause)
{
	struct mx_call *call;

	call = mx_request(cl, "POST", "{}", flags, cb, arg, cause, "/_matrix/client/v3/logout");
	if (call != NULL)
		call->hook = mx_logout_hook;
	return call;
}

/* Moves a discovery on to checking /versions at base (taken over). */
static int
mx_discover_versions(struct mx_call *call, struct mx_result *res, char *base)
{
	char *cause = NULL;

	free(call->saved);
	call->saved = base;
	free(call->url);
	call->url = xasprintf("%s/_matrix/client/versions", base);
	call->stage = 1;
	call->attempts = 0;
	if (mx_call_attempt(call, &cause) == 0)
		return 1;
	res->ok = 0;
	res->error = mx_call_error(call, "%s", cause);
	free(cause);
	return 0;
}

static int
mx_discover_wellknown(struct mx_call *call, struct mx_result *res)
{
	const cJSON *hs;
	const char *found;
	char *base, *why = NULL;

	if (res->status == 404)
		return mx_discover_versions(call, res, xstrdup(call->saved));
	if (!res->ok) {
		res->error = mx_call_error(call, "cannot read %s/.well-known/matrix/client: %s",
		    call->saved, res->error);
		return 0;
	}
	hs = cJSON_GetObjectItemCaseSensitive(res->json, "m.homeserver");
	if ((found = mx_json_string(hs, "base_url")) == NULL) {
		res->ok = 0;
		res->error = mx_call_error(call, "%s/.well-known/matrix/client names no "
		    "m.homeserver.base_url", call->saved);
		return 0;
	}
	if ((base = mx_base_url(found, &why)) == NULL) {
		res->ok = 0;
		res->error = mx_call_error(call, "%s/.well-known/matrix/client names a bad "
		    "homeserver: %s", call->saved, why);
		free(why);
		return 0;
	}
	return mx_discover_versions(call, res, base);
}

static int
mx_discover_hook(struct mx_call *call, struct mx_result *res)
{
	const cJSON *versions;
	const char *why;

	if (call->stage == 0)
		return mx_discover_wellknown(call, res);
	versions = cJSON_GetObjectItemCaseSensitive(res->json, "versions");
	if (res->ok && cJSON_IsArray(versions)) {
		res->value = call->saved;
		return 0;
	}
	why = res->ok ? "it lists no versions" : res->error;
	res->ok = 0;
	res->error = mx_call_error(call, "%s does not answer as a Matrix homeserver: %s",
	    call->saved, why);
	return 0;
}

/* A server name gives https://NAME; an http(s) URL is used as given. */
static char *
mx_discover_base(const char *server, char **cause)
{
	const char *end;
	char *base, *url, *why = NULL;

	if (strncmp(server, "http://", 7) == 0 || strncmp(server, "https://", 8) == 0)
		url = xstrdup(server);
	else if ((end = mx_url_host(server)) != NULL && *end == '\0')
		url = xasprintf("https://%s", server);
	else {
		cause_set(cause, "%s is not a server name", server);
		return NULL;
	}
	if ((base = mx_base_url(url, &why)) == NULL)
		cause_set(cause, "%s: %s", server, why);
	free(why);
	free(url);
	return base;
}

struct mx_call *
mx_discover(struct mx_client *cl, const char *server, int flags, mx_cb cb, void *arg,
    char **cause)
{
	struct mx_req req;
	struct mx_call *call;
	char *base;

	if ((base = mx_discover_base(server, cause)) == NULL)
		return NULL;
	memset(&req, 0, sizeof req);
	req.flags = flags | MX_NOAUTH;
	call = mx_call_new(cl, xasprintf("%s/.well-known/matrix/client", base), &req, cb, arg);
	call->hook = mx_discover_hook;
	call->saved = base;
	return mx_call_launch(call, cause);
}
