/* Logging in and out of a profile. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/core.h"
#include "natter/util.h"

/* The server name of a user id: what follows the first ':'. */
static const char *
user_server(const char *user)
{
	const char *colon = strchr(user, ':');

	return colon != NULL && colon[1] != '\0' ? colon + 1 : NULL;
}

static char *
discover(struct core *c, const char *user, char **cause)
{
	struct core_wait w = {0};
	const char *server = user_server(user);
	char *url = NULL;

	if (server == NULL) {
		cause_set(cause, "cannot tell the homeserver from \"%s\": give --homeserver URL "
		    "or a full user id like @you:example.org", user);
		return NULL;
	}
	if (mx_discover(c->mx, server, 0, core_wait_cb, &w, cause) == NULL)
		return NULL;
	if (core_wait(c, &w, cause) == 0)
		url = xstrdup(w.value);
	else
		cause_set(cause, "cannot find the homeserver of %s (%s): give --homeserver URL",
		    server, w.error ? w.error : "no answer");
	core_wait_clear(&w);
	return url;
}

/* A profile is one account: its cache must not take another's events. */
static int
check_owner(struct core *c, const char *user_id, char **cause)
{
	char *self = store_meta_get(c->store, "self");
	int rc = 0;

	if (self != NULL && strcmp(self, user_id) != 0)
		rc = cause_set(cause, "profile %s holds the cache of %s; use another profile "
		    "(-p NAME) for %s", c->paths.profile, self, user_id);
	free(self);
	return rc;
}

static int
save_session(struct core *c, const char *url, char **cause)
{
	struct cfg_session s = {
		.homeserver = (char *)url,
		.user_id = (char *)mx_client_user(c->mx),
		.device_id = (char *)mx_client_device(c->mx),
		.access_token = (char *)mx_client_token(c->mx),
	};

	if (check_owner(c, s.user_id, cause) == -1)
		return -1;
	if (store_meta_set(c->store, "self", s.user_id, cause) == -1)
		return -1;
	if (cfg_session_save(c->paths.session_file, &s, cause) == -1)
		return -1;
	cfg_session_clear(&c->session);
	c->session.homeserver = xstrdup(url);
	c->session.user_id = xstrdup(s.user_id);
	c->session.device_id = s.device_id ? xstrdup(s.device_id) : NULL;
	c->session.access_token = xstrdup(s.access_token);
	c->logged_in = 1;
	return 0;
}

int
core_login(struct core *c, const char *server, const char *user, const char *password,
    char **cause)
{
	struct core_wait w = {0};
	char *url;
	int rc;

	url = server != NULL ? xstrdup(server) : discover(c, user, cause);
	if (url == NULL)
		return -1;
	if (user[0] == '@' && check_owner(c, user, cause) == -1) {
		free(url);
		return -1;
	}
	if (mx_client_set_homeserver(c->mx, url, cause) == -1 ||
	    mx_login_password(c->mx, user, password, MX_NORETRY, core_wait_cb, &w, cause) == NULL) {
		free(url);
		return -1;
	}
	rc = core_wait(c, &w, cause);
	if (rc == -1 && w.errcode != NULL && strcmp(w.errcode, "M_FORBIDDEN") == 0)
		cause_set(cause, "login refused: wrong user or password");
	if (rc == 0)
		rc = save_session(c, mx_client_homeserver(c->mx), cause);
	core_wait_clear(&w);
	free(url);
	return rc;
}

int
core_login_token(struct core *c, const char *server, const char *token, char **cause)
{
	struct core_wait w = {0};
	int rc;

	if (mx_client_set_homeserver(c->mx, server, cause) == -1 ||
	    mx_login_token(c->mx, token, MX_NORETRY, core_wait_cb, &w, cause) == NULL)
		return -1;
	rc = core_wait(c, &w, cause);
	if (rc == -1 && w.errcode != NULL && strcmp(w.errcode, "M_FORBIDDEN") == 0)
		cause_set(cause, "login refused: the login token is not valid (they expire "
		    "within minutes and work once)");
	if (rc == 0)
		rc = save_session(c, mx_client_homeserver(c->mx), cause);
	core_wait_clear(&w);
	return rc;
}

int
core_logout(struct core *c, char **cause)
{
	struct core_wait w = {0};
	int rc = 0;

	if (mx_logout(c->mx, 0, core_wait_cb, &w, cause) == NULL)
		return -1;
	/* A token the server already forgot is as good as logged out. */
	if (core_wait(c, &w, cause) == -1 && w.status != 401)
		rc = -1;
	core_wait_clear(&w);
	if (rc == 0 && unlink(c->paths.session_file) == -1)
		return cause_set(cause, "cannot remove %s", c->paths.session_file);
	if (rc == 0)
		c->logged_in = 0;
	return rc;
}
