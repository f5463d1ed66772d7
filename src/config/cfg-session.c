/* The session file: homeserver, user, device and access token as JSON,
 * never readable by anyone but the user. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "natter/config.h"
#include "natter/util.h"

static char *
json_string(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? xstrdup(v->valuestring) : NULL;
}

int
cfg_session_load(const char *path, struct cfg_session *s, char **cause)
{
	size_t len;
	char *text, *why = NULL;
	cJSON *root;

	memset(s, 0, sizeof *s);
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((text = nt_read_file(path, &len, &why)) == NULL) {
		cause_set(cause, "%s", why);
		free(why);
		return -1;
	}
	root = cJSON_ParseWithLength(text, len);
	free(text);
	s->homeserver = json_string(root, "homeserver");
	s->user_id = json_string(root, "user_id");
	s->device_id = json_string(root, "device_id");
	s->access_token = json_string(root, "access_token");
	cJSON_Delete(root);
	if (s->homeserver == NULL || s->user_id == NULL || s->access_token == NULL) {
		cfg_session_clear(s);
		return cause_set(cause, "%s is damaged: log in again with `natter login`", path);
	}
	return 1;
}

int
cfg_session_save(const char *path, const struct cfg_session *s, char **cause)
{
	cJSON *root = cJSON_CreateObject();
	char *text, *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	mode_t old = umask(077);
	int fd, rc = -1;

	cJSON_AddStringToObject(root, "homeserver", s->homeserver);
	cJSON_AddStringToObject(root, "user_id", s->user_id);
	cJSON_AddStringToObject(root, "device_id", s->device_id ? s->device_id : "");
	cJSON_AddStringToObject(root, "access_token", s->access_token);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		cause_set(cause, "cannot create %s: %s", tmp, strerror(errno));
	else if (nt_write_all(fd, text, strlen(text)) == -1 || fsync(fd) == -1)
		cause_set(cause, "cannot write %s: %s", tmp, strerror(errno));
	else if (rename(tmp, path) == -1)
		cause_set(cause, "cannot rename %s: %s", tmp, strerror(errno));
	else
		rc = 0;
	if (fd != -1)
		close(fd);
	if (rc == -1)
		unlink(tmp);
	umask(old);
	cJSON_free(text);
	free(tmp);
	return rc;
}

void
cfg_session_clear(struct cfg_session *s)
{
	xfree(&s->homeserver);
	xfree(&s->user_id);
	xfree(&s->device_id);
	if (s->access_token != NULL)
		explicit_bzero(s->access_token, strlen(s->access_token));
	xfree(&s->access_token);
}
