/* The session: logging in (password or token), out, whoami, and finding
 * a homeserver from a server name through .well-known. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "natter/matrix.h"
#include "natter/util.h"
#include "mx-private.h"

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
