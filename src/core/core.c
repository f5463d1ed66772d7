/* Opening a profile, and waiting on calls for callers that need the
 * outcome before going on (the command line). */
#include <stdlib.h>
#include <string.h>

#include "natter/core.h"
#include "natter/loop.h"
#include "natter/net.h"
#include "natter/util.h"

static int
core_open_session(struct core *c, int flags, char **cause)
{
	int rc = cfg_session_load(c->paths.session_file, &c->session, cause);

	if (rc == -1)
		return -1;
	c->logged_in = rc == 1;
	if (!c->logged_in && (flags & CORE_NEED_SESSION))
		return cause_set(cause, "not logged in (profile %s): run `natter login --user "
		    "@you:server` first", c->paths.profile);
	if (!c->logged_in)
		return 0;
	if (mx_client_set_homeserver(c->mx, c->session.homeserver, cause) == -1)
		return -1;
	mx_client_set_token(c->mx, c->session.access_token);
	mx_client_set_user(c->mx, c->session.user_id);
	mx_client_set_device(c->mx, c->session.device_id);
	return 0;
}

int
core_open(struct core *c, const char *profile, const char *config, int flags, char **cause)
{
	memset(c, 0, sizeof *c);
	if (cfg_paths_init(&c->paths, profile, config, cause) == -1)
		return -1;
	if (nt_mkdirs(c->paths.data_dir, 0700, cause) == -1)
		goto fail;
	if ((c->store = store_open(c->paths.cache_db, cause)) == NULL)
		goto fail;
	if ((c->loop = loop_new()) == NULL) {
		cause_set(cause, "cannot set up the event loop");
		goto fail;
	}
	if ((c->net = net_new(c->loop, cause)) == NULL)
		goto fail;
	if ((c->mx = mx_client_new(c->net, NULL, cause)) == NULL)
		goto fail;
	if (core_open_session(c, flags, cause) == -1)
		goto fail;
	return 0;
fail:
	core_close(c);
	return -1;
}

void
core_close(struct core *c)
{
	mx_client_free(&c->mx);
	net_free(&c->net);
	loop_free(&c->loop);
	store_close(&c->store);
	cfg_session_clear(&c->session);
	cfg_paths_clear(&c->paths);
	c->logged_in = 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
core_wait_cb(struct mx_result *res, void *arg)
{
	struct core_wait *w = arg;

	w->done = 1;
	w->ok = res->ok;
	w->status = res->status;
	w->soft_logout = res->soft_logout;
	w->network_error = res->network_error;
	w->value = dup_or_null(res->value);
	w->errcode = dup_or_null(res->errcode);
	w->error = dup_or_null(res->error);
	w->json = res->json;
	res->json = NULL;
	w->raw = res->raw;
	w->raw_len = res->raw_len;
	res->raw = NULL;
}

int
core_wait(struct core *c, struct core_wait *w, char **cause)
{
	if (loop_run_until(c->loop, &w->done, -1) == -1)
		return cause_set(cause, "interrupted");
	if (w->ok)
		return 0;
	if (w->status == 401 && w->errcode != NULL && strcmp(w->errcode, "M_UNKNOWN_TOKEN") == 0)
		return cause_set(cause, "the homeserver no longer accepts this session%s: log in "
		    "again with `natter login`", w->soft_logout ? " (your cache is kept)" : "");
	if (w->network_error)
		return cause_set(cause, "cannot reach the homeserver: %s",
		    w->error ? w->error : "network error");
	return cause_set(cause, "%s", w->error ? w->error : "the homeserver refused the request");
}

void
core_wait_clear(struct core_wait *w)
{
	xfree(&w->value);
	xfree(&w->errcode);
	xfree(&w->error);
	cJSON_Delete(w->json);
	w->json = NULL;
	xfree(&w->raw);
	w->done = w->ok = 0;
}
