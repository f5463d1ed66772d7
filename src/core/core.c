/* Opening and closing a profile: its directory, cache, session, loop and
 * homeserver client, for whichever front end runs. */
#include <stdlib.h>
#include <string.h>

#include "natter/loop.h"
#include "natter/net.h"
#include "natter/settings.h"
#include "natter/util.h"
#include "core-private.h"

static int
core_open_session(struct core *c, int flags, char **cause)
{
	int rc = cfg_session_load(c->paths.session_file, &c->session, cause);

	if (rc == -1)
		return -1;
	c->logged_in = rc == 1;
	if (!c->logged_in && (flags & CORE_NEED_SESSION)) {
		char *login = core_command(c, "login --user @you:server");

		cause_set(cause, "not logged in (profile %s): run `%s` first", c->paths.profile,
		    login);
		free(login);
		return -1;
	}
	if (!c->logged_in)
		return 0;
	if (mx_client_set_homeserver(c->mx, c->session.homeserver, cause) == -1)
		return -1;
	mx_client_set_token(c->mx, c->session.access_token);
	mx_client_set_user(c->mx, c->session.user_id);
	mx_client_set_device(c->mx, c->session.device_id);
	return 0;
}

static int
core_open_parts(struct core *c, const char *profile, const char *config, int flags,
    char **cause)
{
	if (cfg_paths_init(&c->paths, profile, config, cause) == -1)
		return -1;
	if (nt_mkdirs(c->paths.data_dir, 0700, cause) == -1)
		return -1;
	if ((c->store = store_open(c->paths.cache_db, cause)) == NULL)
		return -1;
	if ((c->loop = loop_new()) == NULL)
		return cause_set(cause, "cannot set up the event loop");
	if ((c->net = net_new(c->loop, cause)) == NULL)
		return -1;
	if ((c->mx = mx_client_new(c->net, NULL, cause)) == NULL)
		return -1;
	if (core_open_session(c, flags, cause) == -1)
		return -1;
	return core_crypto_open(c, cause);
}

struct core *
core_open(const char *profile, const char *config, const struct settings *settings, int flags,
    char **cause)
{
	struct core *c = xcalloc(1, sizeof *c);

	LIST_INIT(&c->ops);
	LIST_INIT(&c->waiters);
	LIST_INIT(&c->direct_waiting);
	TAILQ_INIT(&c->verifies);
	c->settings = settings;
	c->view_focus = -1;
	c->conn = CORE_CONNECTING;
	c->otk_count = -1;
	c->fallback_unused = -1;
	if (core_open_parts(c, profile, config, flags, cause) == -1) {
		core_free(&c);
		return NULL;
	}
	c->filter = store_meta_get(c->store, "filter_id");
	return c;
}

void
core_free(struct core **cp)
{
	struct core *c = *cp;

	if (c == NULL)
		return;
	core_sync_cancel(c);
	core_outbox_cancel(c);
	core_ops_cancel(c);
	core_crypto_close(c);
	core_megolm_drain_stop(c);
	core_olm_wedged_free(c);
	core_verify_free_all(c);
	core_secret_free_all(c);
	core_marks_free(c);
	core_notify_free(c);
	core_slide_free(c);
	core_unread_free(c);
	core_remind_free(c);
	free(c->typing_room);
	free(c->filter);
	free(c->sched_late);
	mx_client_free(&c->mx);
	net_free(&c->net);
	loop_free(&c->loop);
	store_close(&c->store);
	cfg_session_clear(&c->session);
	cfg_paths_clear(&c->paths);
	xfree(cp);
}

struct loop *
core_loop(struct core *c)
{
	return c->loop;
}

struct store *
core_store(struct core *c)
{
	return c->store;
}

int
core_logged_in(const struct core *c)
{
	return c->logged_in;
}

const char *
core_self(const struct core *c)
{
	return c->logged_in ? c->session.user_id : NULL;
}

const char *
core_device(const struct core *c)
{
	return c->logged_in ? c->session.device_id : NULL;
}

const char *
core_homeserver(const struct core *c)
{
	return c->logged_in ? c->session.homeserver : NULL;
}

const char *
core_profile(const struct core *c)
{
	return c->paths.profile;
}

char *
core_command(const struct core *c, const char *args)
{
	const char *chosen = c->settings != NULL && c->settings->profile != NULL ?
	    c->settings->profile : "default";

	if (strcmp(c->paths.profile, chosen) == 0)
		return xasprintf("natter %s", args);
	return xasprintf("natter -p %s %s", c->paths.profile, args);
}

const char *
core_download_dir(const struct core *c)
{
	return c->paths.download_dir;
}

const char *
core_data_dir(const struct core *c)
{
	return c->paths.data_dir;
}

const char *
core_log_file(const struct core *c)
{
	return c->paths.log_file;
}

const char *
core_identity_ed25519(const struct core *c)
{
	return c->acct != NULL ? crypto_account_ed25519(c->acct) : NULL;
}
