/* Files from the server on disk: fetched through the authenticated media
 * API into a file, under a safe name in the profile's media directory,
 * created new (never replacing a file), readable only by the user. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/crypto.h"
#include "natter/event.h"
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

/* A download: into the caller's file, or, for an encrypted attachment,
 * into a file of natter's own first (unlinked at once), decrypted into the
 * caller's file once its hash holds. */
struct core_get {
	int out;		/* the caller's file */
	int tmp;		/* the ciphertext, or -1 in clear */
	struct mx_file_key key;
};

static void
core_get_free(void *data)
{
	struct core_get *g = data;

	if (g->tmp != -1)
		close(g->tmp);
	mx_file_key_clear(&g->key);
	free(g);
}

/* Decrypts what came into the caller's file; -1 (why) when it cannot. */
static int
core_get_decrypt(struct core_get *g, char **why)
{
	struct crypto_file f = {g->key.key, g->key.iv, g->key.sha256};

	if (lseek(g->tmp, 0, SEEK_SET) == -1)
		return cause_set(why, "cannot read the downloaded file: %s", strerror(errno));
	return crypto_file_decrypt(g->tmp, g->out, &f, why);
}

static void
core_get_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_get *g = op->data;
	char *why = NULL;

	if (core_op_refused(op, res))
		return;
	if (g->tmp != -1 && core_get_decrypt(g, &why) == -1)
		core_op_fail(op, why);
	else
		core_op_end(op, CORE_DONE, op->result);
	free(why);
}

/* Starts downloading m's attachment into fd for op (which owns nothing of
 * fd): 0, or -1 with a cause. */
static int
core_get_start(struct core_op *op, const struct store_msg *m, int fd, int64_t max_bytes,
    mx_cb cb, char **cause)
{
	struct core_get *g = xcalloc(1, sizeof *g);
	struct core *c = op->c;
	char *tmp;
	int r;

	g->out = fd;
	g->tmp = -1;
	op->data = g;
	op->free_data = core_get_free;
	if ((r = mx_file_key_parse(m->content, &g->key, cause)) == -1)
		return -1;
	if (r == 1) {
		tmp = xasprintf("%s/download-XXXXXX", c->paths.data_dir);
		if ((g->tmp = mkstemp(tmp)) == -1)
			cause_set(cause, "cannot make a file in %s: %s", c->paths.data_dir,
			    strerror(errno));
		else
			unlink(tmp);
		free(tmp);
		if (g->tmp == -1)
			return -1;
	}
	op->call = mx_download(c->mx, m->url, g->tmp != -1 ? g->tmp : fd,
	    max_bytes > 0 ? (size_t)max_bytes : 0, 0, cb, op, cause);
	return op->call != NULL ? 0 : -1;
}

int
core_fetch(struct core *c, const struct store_msg *m, int fd, int64_t max_bytes,
    core_done_cb done, void *arg, char **cause)
{
	struct core_op *op;

	if (m->url == NULL)
		return cause_set(cause, "%s has no attachment", m->event_id);
	op = core_op_new(c, done, arg, "cannot download the attachment");
	core_get_start(op, m, fd, max_bytes, core_get_answer, cause);
	return core_op_started(op, cause);
}

/* Where the cache remembers the file an attachment was saved to in the
 * media directory: a meta fact of the event's. */
static char *
core_download_key(const char *event_id)
{
	return xasprintf("download:%s", event_id);
}

/* The file an earlier download of m's attachment into the media directory
 * left, when it is still there, whole (of its size, when known); else
 * NULL. */
static char *
core_download_kept(struct core *c, const struct store_msg *m)
{
	char *key = core_download_key(m->event_id), *path = store_meta_get(c->store, key);
	struct stat sb;

	free(key);
	if (path != NULL && (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (m->size >= 0 && sb.st_size != m->size)))
		xfree(&path);
	return path;
}

/* Whether a download of event_id into the media directory is under way. */
static int
core_download_running(struct core *c, const char *event_id)
{
	struct core_op *op;

	LIST_FOREACH(op, &c->ops, entry)
		if (op->free_data == core_get_free && !op->flags && op->text != NULL &&
		    strcmp(op->text, event_id) == 0)
			return 1;
	return 0;
}

/* core_download: the file is closed either way, and removed unless it
 * came whole or the user named it; one in the media directory is
 * remembered, so that it is not downloaded again. */
static void
core_download_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_get *g = op->data;
	char *why = NULL, *key;

	op->call = NULL;
	if (res->ok && (g->tmp == -1 || core_get_decrypt(g, &why) == 0)) {
		close(op->fd);
		op->fd = -1;
		if (!op->flags) {
			key = core_download_key(op->text);
			store_meta_set(op->c->store, key, op->result, NULL);
			free(key);
		}
		core_op_end(op, CORE_DONE, op->result);
		return;
	}
	close(op->fd);
	op->fd = -1;
	if (!op->flags)
		unlink(op->result);
	if (why == NULL)
		why = core_why(op->c, res);
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

/* core_download, and with reuse core_download_once. */
static int
core_download_start(struct core *c, const char *event_id, const char *path, int reuse,
    core_done_cb done, void *arg, char **cause)
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
	if (reuse && core_download_running(c, event_id)) {
		store_msg_clear(&m);
		return cause_set(cause, "that attachment is still downloading");
	}
	/* Saved before and still there: that file, without a request. */
	if (reuse && (file = core_download_kept(c, &m)) != NULL) {
		store_msg_clear(&m);
		op = core_op_new(c, done, arg, NULL);
		op->result = file;
		core_op_later(op, CORE_DONE, file);
		return 0;
	}
	if ((fd = core_download_open(c, &m, path, &file, cause)) == -1) {
		store_msg_clear(&m);
		return -1;
	}
	op = core_op_new(c, done, arg, "cannot download the attachment");
	op->result = file;
	op->text = xstrdup(event_id);
	op->fd = fd;
	op->flags = path != NULL;
	if (core_get_start(op, &m, fd, 0, core_download_answer, cause) == -1) {
		close(fd);
		op->fd = -1;
		if (path == NULL)
			unlink(file);
	}
	store_msg_clear(&m);
	return core_op_started(op, cause);
}

int
core_download(struct core *c, const char *event_id, const char *path, core_done_cb done,
    void *arg, char **cause)
{
	return core_download_start(c, event_id, path, 0, done, arg, cause);
}

int
core_download_once(struct core *c, const char *event_id, core_done_cb done, void *arg,
    char **cause)
{
	return core_download_start(c, event_id, NULL, 1, done, arg, cause);
}
