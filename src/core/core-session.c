/* Logging in and out of a profile, and asking who the session is. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/util.h"
#include "core-private.h"

/* The server name of a user id: what follows the first ':'. */
static const char *
core_user_server(const char *user)
{
	const char *colon = strchr(user, ':');

	return colon != NULL && colon[1] != '\0' ? colon + 1 : NULL;
}

/* A profile is one account: its cache must not take another's events. */
static int
core_check_owner(struct core *c, const char *user_id, char **cause)
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
core_session_save(struct core *c, char **cause)
{
	struct cfg_session s = {
		.homeserver = (char *)mx_client_homeserver(c->mx),
		.user_id = (char *)mx_client_user(c->mx),
		.device_id = (char *)mx_client_device(c->mx),
		.access_token = (char *)mx_client_token(c->mx),
	};

	if (core_check_owner(c, s.user_id, cause) == -1)
		return -1;
	if (store_meta_set(c->store, "self", s.user_id, cause) == -1)
		return -1;
	if (cfg_session_save(c->paths.session_file, &s, cause) == -1)
		return -1;
	cfg_session_clear(&c->session);
	c->session.homeserver = xstrdup(s.homeserver);
	c->session.user_id = xstrdup(s.user_id);
	c->session.device_id = s.device_id ? xstrdup(s.device_id) : NULL;
	c->session.access_token = xstrdup(s.access_token);
	c->logged_in = 1;
	/* A new device: a new identity, published with the first sync. */
	crypto_account_free(&c->acct);
	return core_crypto_open(c, cause);
}

/* The login's answer: saved as the profile's session. op->text is what
 * to say when the server refuses the credentials. */
static void
core_login_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *why = NULL;

	op->call = NULL;
	if (!res->ok && core_errcode_is(res, "M_FORBIDDEN"))
		core_op_end(op, CORE_FAILED, op->text);
	else if (!res->ok) {
		why = core_why(op->c, res);
		core_op_fail(op, why);
	} else if (core_session_save(op->c, &why) == -1)
		core_op_fail(op, why);
	else
		core_op_end(op, CORE_DONE, op->c->session.user_id);
	free(why);
}

/* The password login itself, once the homeserver is known. */
static int
core_login_start(struct core_op *op, const char *url, char **cause)
{
	if (mx_client_set_homeserver(op->c->mx, url, cause) == -1)
		return -1;
	op->call = mx_login_password(op->c->mx, op->user_id, op->result, MX_NORETRY,
	    core_login_answer, op, cause);
	explicit_bzero(op->result, strlen(op->result));
	xfree(&op->result);
	return op->call != NULL ? 0 : -1;
}

static void
core_login_found(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *cause = NULL;

	op->call = NULL;
	if (!res->ok) {
		cause = xasprintf("cannot find the homeserver of %s (%s): give --homeserver URL",
		    core_user_server(op->user_id), res->error ? res->error : "no answer");
		core_op_end(op, CORE_FAILED, cause);
	} else if (core_login_start(op, res->value, &cause) == -1)
		core_op_fail(op, cause);
	free(cause);
}

int
core_login(struct core *c, const char *server, const char *user, const char *password,
    core_done_cb done, void *arg, char **cause)
{
	struct core_op *op;
	const char *domain = core_user_server(user);

	if (server == NULL && domain == NULL)
		return cause_set(cause, "cannot tell the homeserver from \"%s\": give --homeserver "
		    "URL or a full user id like @you:example.org", user);
	if (user[0] == '@' && core_check_owner(c, user, cause) == -1)
		return -1;
	op = core_op_new(c, done, arg, "cannot log in");
	op->user_id = xstrdup(user);
	op->result = xstrdup(password);	/* until the request is made */
	op->text = xstrdup("login refused: wrong user or password");
	if (server != NULL) {
		if (core_login_start(op, server, cause) == -1 && op->result != NULL) {
			explicit_bzero(op->result, strlen(op->result));
			xfree(&op->result);
		}
	} else
		op->call = mx_discover(c->mx, domain, 0, core_login_found, op, cause);
	return core_op_started(op, cause);
}

int
core_login_token(struct core *c, const char *server, const char *token, core_done_cb done,
    void *arg, char **cause)
{
	struct core_op *op;

	if (mx_client_set_homeserver(c->mx, server, cause) == -1)
		return -1;
	op = core_op_new(c, done, arg, "cannot log in");
	op->text = xstrdup("login refused: the login token is not valid (they expire within "
	    "minutes and work once)");
	op->call = mx_login_token(c->mx, token, MX_NORETRY, core_login_answer, op, cause);
	return core_op_started(op, cause);
}

static void
core_logout_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core *c = op->c;
	char *why;

	op->call = NULL;
	/* A token the server already forgot is as good as logged out. */
	if (!res->ok && res->status != 401) {
		why = core_why(op->c, res);
		core_op_fail(op, why);
		free(why);
		return;
	}
	if (unlink(c->paths.session_file) == -1) {
		why = xasprintf("cannot remove %s", c->paths.session_file);
		core_op_end(op, CORE_FAILED, why);
		free(why);
		return;
	}
	c->logged_in = 0;
	if (core_crypto_forget(c, &why) == -1) {
		core_op_end(op, CORE_FAILED, why);
		free(why);
		return;
	}
	core_op_end(op, CORE_DONE, NULL);
}

int
core_logout(struct core *c, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot log out");

	op->call = mx_logout(c->mx, 0, core_logout_answer, op, cause);
	return core_op_started(op, cause);
}

int
core_whoami(struct core *c, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot ask who you are");

	op->call = mx_whoami(c->mx, 0, core_op_answer, op, cause);
	return core_op_started(op, cause);
}
