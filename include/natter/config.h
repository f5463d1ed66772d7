/* config: where a profile's files live (XDG), the session file that
 * holds its access token, and the INI-style config file. */
#ifndef NATTER_CONFIG_H
#define NATTER_CONFIG_H

struct cfg_paths {
	char *profile;
	char *config_file;	/* $XDG_CONFIG_HOME/natter/config, or -c */
	char *data_dir;		/* $XDG_DATA_HOME/natter/<profile>, 0700 */
	char *cache_db;		/* data_dir/cache.db */
	char *session_file;	/* data_dir/session, 0600 */
	char *log_file;		/* $XDG_STATE_HOME/natter/<profile>.log */
	char *download_dir;	/* data_dir/media */
};

/* A profile name is 1-64 of [A-Za-z0-9._-], not starting with a dot. */
int cfg_profile_valid(const char *name);

/* Fills paths for profile (NULL: "default"); config_file overrides the
 * config path when not NULL. Creates nothing. */
int cfg_paths_init(struct cfg_paths *paths, const char *profile, const char *config_file,
    char **cause);
void cfg_paths_clear(struct cfg_paths *paths);


struct cfg_session {
	char *homeserver;
	char *user_id;
	char *device_id;
	char *access_token;
};

/* Returns 1 when loaded, 0 when there is no session file, -1 on error. */
int cfg_session_load(const char *path, struct cfg_session *s, char **cause);
/* Writes the session atomically, readable only by the user from the
 * first byte (umask 077, O_EXCL temp file, fsync, rename). */
int cfg_session_save(const char *path, const struct cfg_session *s, char **cause);
void cfg_session_clear(struct cfg_session *s);

/* Called for each `key = value` of the config file, with its section
 * ("" before the first). Returns -1 with a cause to reject the line. */
typedef int (*cfg_line_fn)(const char *section, const char *key, const char *value, void *arg,
    char **cause);

/* Parses an INI-style file. Bad lines are reported through warn as
 * "FILE:LINE: reason" and skipped; returns 0 when the file is absent. */
int cfg_file_parse(const char *path, cfg_line_fn fn, void *arg,
    void (*warn)(const char *msg, void *arg), char **cause);

#endif
