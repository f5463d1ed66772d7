/* Files from the server on disk: fetched through the authenticated media
 * API into a file, under a safe name in the profile's media directory,
 * created new (never replacing a file), readable only by the user. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/sanitize.h"
#include "natter/util.h"
#include "core-private.h"

int
core_download_file(const char *dir, const char *name, char **path, char **cause)
{
	char *safe = san_filename(name);
	int fd = -1;

	if (nt_mkdirs(dir, 0700, cause) == -1) {
		free(safe);
		return -1;
	}
	for (int i = 0; i < 1000 && fd == -1; i++) {
		*path = i == 0 ? xasprintf("%s/%s", dir, safe) :
		    xasprintf("%s/%d-%s", dir, i, safe);
		fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST) {
			cause_set(cause, "cannot create %s: %s", *path, strerror(errno));
			xfree(path);
			break;
		}
		if (fd == -1)
			xfree(path);
	}
	free(safe);
	return fd;
}

int
core_fetch(struct core *c, const char *mxc, int fd, int64_t max_bytes, core_done_cb done,
    void *arg, char **cause)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot download the attachment");

	op->call = mx_download(c->mx, mxc, fd, max_bytes > 0 ? (size_t)max_bytes : 0, 0,
	    core_op_answer, op, cause);
	return core_op_started(op, cause);
}

/* core_download: the file is closed either way, and removed unless it
 * came whole or the user named it. */
static void
core_download_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *why;

	op->call = NULL;
	close(op->fd);
	op->fd = -1;
	if (res->ok) {
		core_op_end(op, CORE_DONE, op->result);
		return;
	}
	if (!op->flags)
		unlink(op->result);
	why = core_why(res);
	core_op_fail(op, why);
	free(why);
}

/* The file for event_id's attachment: path (made or truncated), or a new
 * one in the media directory. -1 with a cause when it cannot be made. */
static int
core_download_open(struct core *c, const struct store_msg *m, const char *path, char **out,
    char **cause)
{
	int fd;

	if (path == NULL)
		return core_download_file(c->paths.download_dir,
		    m->filename != NULL ? m->filename : "attachment", out, cause);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return cause_set(cause, "cannot create %s: %s", path, strerror(errno));
	*out = xstrdup(path);
	return fd;
}

int
core_download(struct core *c, const char *event_id, const char *path, core_done_cb done,
    void *arg, char **cause)
{
	struct store_msg m;
	struct core_op *op;
	char *file = NULL;
	int fd;

	if (store_msg_get(c->store, event_id, &m, cause) == -1)
		return -1;
	if (m.url == NULL) {
		store_msg_clear(&m);
		return cause_set(cause, "%s has no attachment", event_id);
	}
	if ((fd = core_download_open(c, &m, path, &file, cause)) == -1) {
		store_msg_clear(&m);
		return -1;
	}
	op = core_op_new(c, done, arg, "cannot download the attachment");
	op->result = file;
	op->fd = fd;
	op->flags = path != NULL;
	op->call = mx_download(c->mx, m.url, fd, 0, 0, core_download_answer, op, cause);
	store_msg_clear(&m);
	if (op->call == NULL) {
		close(fd);
		if (path == NULL)
			unlink(file);
	}
	return core_op_started(op, cause);
}
