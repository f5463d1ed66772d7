/* XDG paths of a profile and private directory creation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "natter/config.h"
#include "natter/util.h"

int
cfg_profile_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == len;
}

/* $VAR if set to an absolute path, else $HOME/fallback. */
static char *
xdg_dir(const char *var, const char *fallback, char **cause)
{
	const char *v = getenv(var), *home = getenv("HOME");

	if (v != NULL && v[0] == '/')
		return xstrdup(v);
	if (home == NULL || home[0] != '/') {
		cause_set(cause, "neither %s nor HOME is set to an absolute path", var);
		return NULL;
	}
	return xasprintf("%s/%s", home, fallback);
}

int
cfg_paths_init(struct cfg_paths *p, const char *profile, const char *config_file, char **cause)
{
	char *config = NULL, *data = NULL, *state = NULL;

	memset(p, 0, sizeof *p);
	if (profile == NULL)
		profile = "default";
	if (!cfg_profile_valid(profile))
		return cause_set(cause, "bad profile name \"%s\": use 1-64 letters, digits, "
		    "'.', '_' or '-', not starting with '.'", profile);
	if ((config = xdg_dir("XDG_CONFIG_HOME", ".config", cause)) == NULL ||
	    (data = xdg_dir("XDG_DATA_HOME", ".local/share", cause)) == NULL ||
	    (state = xdg_dir("XDG_STATE_HOME", ".local/state", cause)) == NULL) {
		free(config);
		free(data);
		return -1;
	}
	p->profile = xstrdup(profile);
	p->config_file = config_file ? xstrdup(config_file) : xasprintf("%s/natter/config", config);
	p->data_dir = xasprintf("%s/natter/%s", data, profile);
	p->cache_db = xasprintf("%s/cache.db", p->data_dir);
	p->session_file = xasprintf("%s/session", p->data_dir);
	p->download_dir = xasprintf("%s/media", p->data_dir);
	p->log_file = xasprintf("%s/natter/%s.log", state, profile);
	free(config);
	free(data);
	free(state);
	return 0;
}

void
cfg_paths_clear(struct cfg_paths *p)
{
	xfree(&p->profile);
	xfree(&p->config_file);
	xfree(&p->data_dir);
	xfree(&p->cache_db);
	xfree(&p->session_file);
	xfree(&p->download_dir);
	xfree(&p->log_file);
}

