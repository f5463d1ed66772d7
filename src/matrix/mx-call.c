/* The call lifecycle: the one door to the homeserver. A call is made,
 * attempted, retried by the fault policy (429 waits for Retry-After,
 * network errors, 5xx and unreadable 2xx back off with jitter, other 4xx
 * are final) and
 * reported once to its callback, never from inside the function that
 * started it. */
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
#include "mx-private.h"

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

void
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

/* Sets the call's own error text; safe when an argument is the old one. */
const char *
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

const char *
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
mx_result_clear(struct mx_call *call, struct mx_result *res)
{
	if (res->parsed != NULL)
		call->parsed_free(res->parsed);
	cJSON_Delete(res->json);
	free(res->raw);
	memset(res, 0, sizeof *res);
}

/* The parser of a raw body; 0 when it read it. */
static int
mx_result_read(struct mx_call *call, struct mx_result *res)
{
	char *why = NULL;

	if (call->parse == NULL)
		return 0;
	if ((res->parsed = call->parse(&res->raw, res->raw_len, &why)) != NULL) {
		/* What the parser made is the answer: the text goes at once,
		 * so that a big sync is not held twice while it is stored. */
		xfree(&res->raw);
		res->raw_len = 0;
		return 0;
	}
	res->unknown = 1;
	res->error = mx_call_error(call, "the homeserver's answer (HTTP %ld) cannot be read: %s",
	    res->status, why != NULL ? why : "no reason given");
	free(why);
	return -1;
}

static void
mx_result_success(struct mx_call *call, struct mx_result *res)
{
	if (call->flags & (MX_RAW | MX_SINK)) {
		res->ok = (call->flags & MX_SINK) || mx_result_read(call, res) == 0;
		return;
	}
	mx_result_parse(res);
	if (!cJSON_IsObject(res->json)) {
		res->unknown = 1;
		res->error = mx_call_error(call, "the homeserver's answer (HTTP %ld) cannot be "
		    "read: it is not a JSON object; cut short, perhaps", res->status);
		return;
	}
	if (call->pick != NULL) {
		res->value = mx_json_string(res->json, call->pick);
		if (res->value == NULL) {
			res->unknown = 1;
			res->error = mx_call_error(call, "the homeserver's answer (HTTP %ld) "
			    "cannot be read: it has no %s", res->status, call->pick);
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
	if (res->unknown)
		return mx_backoff_ms(call->attempts - 1);
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
		mx_result_clear(call, res);
		return;
	}
	call->cb(res, call->arg);
	mx_result_clear(call, res);
	mx_call_free(call);
}

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
	const char *method = call->method ? call->method : "GET";
	size_t len = path != NULL ? strcspn(path, "?") : 0;

	if (nr->error != 0)
		log_msg("%s %.*s: %s (attempt %d)%s", method, (int)len, path ? path : "",
		    nr->error_text, call->attempts, delay >= 0 ? ", will retry" : "");
	else
		log_msg("%s %.*s: %ld (attempt %d)%s", method, (int)len, path ? path : "",
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
		call->timer = loop_timer_add(call->cl->loop, delay, mx_call_retry, call);
		if (call->on_retry != NULL)
			call->on_retry(&res, delay, call->arg);
		mx_result_clear(call, &res);
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

int
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
struct mx_call *
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
	call->parse = req->parse;
	call->parsed_free = req->parsed_free;
	call->cb = cb;
	call->arg = arg;
	LIST_INSERT_HEAD(&cl->calls, call, entry);
	return call;
}

struct mx_call *
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
mx_call_on_retry(struct mx_call *call, mx_retry_cb fn)
{
	call->on_retry = fn;
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

