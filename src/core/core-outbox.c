/* Sending: every message goes into the outbox (with its txnId) before the
 * first attempt, and retries reuse that txnId, so the server
 * de-duplicates and a crash at any moment loses and doubles nothing. One
 * message is on its way at a time, oldest first, so order holds. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natter/log.h"
#include "natter/loop.h"
#include "natter/msg.h"
#include "natter/util.h"
#include "core-private.h"

/* Tests stop the process with SIGKILL at a named point of a send. */
void
core_test_crash(const char *point)
{
	const char *want = getenv("NATTER_TEST_CRASH");

	if (want != NULL && strcmp(want, point) == 0)
		raise(SIGKILL);
}

/* Ends the first waiter that wants to hear of item id (0: the flushes). */
static int
core_waiter_end(struct core *c, int64_t id, int status, const char *text)
{
	struct core_op *op;

	LIST_FOREACH(op, &c->waiters, wait_entry) {
		if (op->n != id)
			continue;
		if (status == CORE_FAILED)
			core_op_fail(op, text);
		else
			core_op_end(op, status, text);
		return 1;
	}
	return 0;
}

/* The outcome of item id, to the front end and whoever waits for it. */
static void
core_outbox_tell(struct core *c, int64_t id, int status, const char *text)
{
	if (c->ev.outbox != NULL)
		c->ev.outbox(c->ev_arg, id, status, text, 0);
	while (core_waiter_end(c, id, status, text))
		;
}

/* The sender stopped on a message that must wait: so does everything
 * queued after it, and every flush. */
static void
core_outbox_stalled(struct core *c, const char *why)
{
	struct core_op *op;

	while ((op = LIST_FIRST(&c->waiters)) != NULL)
		core_op_end(op, CORE_QUEUED, why);
}

static void core_outbox_send(struct core *c);

static void
core_send_answer(struct mx_result *res, void *arg)
{
	struct core *c = arg;
	int64_t id = c->send_id;
	char *why;

	c->send_call = NULL;
	if (res->ok) {
		log_msg("send %lld: %s", (long long)id, res->value);
		core_test_crash("after-send");
		store_outbox_sent(c->store, id, res->value, NULL);
		core_outbox_tell(c, id, CORE_DONE, res->value);
		core_outbox_send(c);
		return;
	}
	why = core_why(c, res);
	/* Offline, or an answer that may say it went: the next successful
	 * sync tries again, with the same transaction id. */
	if (core_may_pass(res)) {
		log_msg("send %lld: kept queued: %s", (long long)id, why);
		store_outbox_attempt(c->store, id, why, 0, NULL);
		if (c->ev.outbox != NULL)
			c->ev.outbox(c->ev_arg, id, CORE_QUEUED, why, 0);
		core_outbox_stalled(c, why);
	} else {
		log_msg("send %lld: refused: %s", (long long)id, why);
		store_outbox_failed(c->store, id, why, NULL);
		core_outbox_tell(c, id, CORE_FAILED, why);
		core_outbox_send(c);
	}
	free(why);
}

/* An attempt failed and the call tries again in delay_ms: the row and the
 * front end say so while it waits. */
static void
core_send_retrying(const struct mx_result *res, int64_t delay_ms, void *arg)
{
	struct core *c = arg;
	char *why = core_why(c, res);

	log_msg("send %lld: trying again in %lld ms: %s", (long long)c->send_id,
	    (long long)delay_ms, why);
	store_outbox_attempt(c->store, c->send_id, why, nt_now_ms() + delay_ms, NULL);
	if (c->ev.outbox != NULL)
		c->ev.outbox(c->ev_arg, c->send_id, CORE_QUEUED, why, delay_ms);
	free(why);
}

/* The item's room key is with everyone who may read it: the message goes
 * encrypted, under the same transaction id as any earlier attempt. */
static void
core_outbox_prepared(void *arg, int status, const char *why)
{
	struct core *c = arg;
	struct store_outbox item;
	char *content = NULL, *cause = NULL;

	if (status == CORE_CANCELLED)
		return;
	c->preparing = 0;
	if (status != CORE_DONE) {
		log_msg("send %lld: kept queued: %s", (long long)c->send_id, why);
		store_outbox_attempt(c->store, c->send_id, why, 0, NULL);
		if (c->ev.outbox != NULL)
			c->ev.outbox(c->ev_arg, c->send_id, CORE_QUEUED, why, 0);
		core_outbox_stalled(c, why);
		return;
	}
	if (store_outbox_get(c->store, c->send_id, &item, &cause) == 0) {
		content = core_megolm_encrypt(c, item.room_id, item.type, item.content, &cause);
		if (content != NULL &&
		    (c->send_call = mx_send(c->mx, item.room_id, "m.room.encrypted",
		    item.txn_id, content, 0, core_send_answer, c, &cause)) != NULL)
			mx_call_on_retry(c->send_call, core_send_retrying);
		store_outbox_clear(&item);
	}
	if (c->send_call == NULL) {
		store_outbox_failed(c->store, c->send_id, cause, NULL);
		core_outbox_tell(c, c->send_id, CORE_FAILED, cause);
		core_outbox_next(c);
	}
	free(content);
	free(cause);
}

/* Starts one item on its way: at once in clear, or, in an encrypted room,
 * once its room key is shared. 0 when under way, -1 (cause) when refused. */
static int
core_outbox_start(struct core *c, const struct store_outbox *item, char **cause)
{
	c->send_id = item->id;
	if (store_room_encrypted(c->store, item->room_id) == 1) {
		if (core_megolm_prepare(c, item->room_id, core_outbox_prepared, c, cause) == -1)
			return -1;
		c->preparing = 1;
		return 0;
	}
	c->send_call = mx_send(c->mx, item->room_id, item->type, item->txn_id, item->content, 0,
	    core_send_answer, c, cause);
	if (c->send_call == NULL)
		return -1;
	mx_call_on_retry(c->send_call, core_send_retrying);
	return 0;
}

static int
core_outbox_busy(const struct core *c)
{
	return c->send_call != NULL || c->preparing;
}

/* Sends the oldest queued message; with none left, the flushes are over. */
static void
core_outbox_send(struct core *c)
{
	struct store_outbox *items;
	char *cause = NULL;
	size_t n, i;

	if (core_outbox_busy(c))
		return;
	core_sched_claim(c);
	if (store_outbox_list(c->store, NULL, 0, &items, &n, &cause) == -1) {
		core_outbox_stalled(c, cause);
		free(cause);
		return;
	}
	for (i = 0; i < n && !core_outbox_busy(c); i++) {
		if (core_outbox_start(c, &items[i], &cause) == -1) {
			store_outbox_failed(c->store, items[i].id, cause, NULL);
			core_outbox_tell(c, items[i].id, CORE_FAILED, cause);
			xfree(&cause);
		}
	}
	store_outbox_free(&items, n);
	if (!core_outbox_busy(c))
		while (core_waiter_end(c, 0, CORE_DONE, NULL))
			;
}

static void
core_outbox_due(void *arg)
{
	struct core *c = arg;

	c->kick_timer = 0;
	core_outbox_send(c);
}

void
core_outbox_next(struct core *c)
{
	if (!core_outbox_busy(c) && c->kick_timer == 0)
		c->kick_timer = loop_timer_add(c->loop, 0, core_outbox_due, c);
}

void
core_outbox_cancel(struct core *c)
{
	mx_call_cancel(&c->send_call);
	if (c->loop != NULL)
		loop_timer_cancel(c->loop, c->kick_timer);
	c->kick_timer = 0;
	core_sched_cancel_timer(c);
}

/* Puts op on the waiters of item id (0: of the sender going idle). */
static void
core_op_wait(struct core_op *op, int64_t id)
{
	op->n = id;
	op->waiting = 1;
	LIST_INSERT_HEAD(&op->c->waiters, op, wait_entry);
}

int
core_outbox_flush(struct core *c, core_done_cb done, void *arg, char **cause)
{
	core_op_wait(core_op_new(c, done, arg, "cannot send what is queued"), 0);
	core_outbox_next(c);
	return 0;
}

/* A room as a person knows it: its name, and its id when the cache has no
 * name for it. From the server: inert it before display. */
char *
core_room_label(struct core *c, const char *room_id)
{
	struct store_room room;
	char *label;

	if (store_room_get(c->store, room_id, &room, NULL) == -1)
		return xstrdup(room_id);
	label = room.name != NULL && *room.name != '\0' ? xstrdup(room.name) : xstrdup(room_id);
	store_room_clear(&room);
	return label;
}

/* Plain text must never go where the members expect encryption: without
 * encryption keys of its own, natter refuses. */
int
core_refuse_encrypted(struct core *c, const char *room_id, char **cause)
{
	char *label;

	if (store_room_encrypted(c->store, room_id) == 0 || c->acct != NULL)
		return 0;
	label = core_room_label(c, room_id);
	cause_set(cause, "%s is end-to-end encrypted and this session has no encryption keys "
	    "(log in again): nothing was sent", label);
	free(label);
	return -1;
}

int
core_queue(struct core *c, const char *room_id, const char *type, char *content,
    core_done_cb done, void *arg, char **cause)
{
	struct store_outbox item;
	int rc = -1;

	if (core_refuse_encrypted(c, room_id, cause) == 0 &&
	    store_outbox_add(c->store, room_id, type, content, &item, cause) == 0) {
		core_test_crash("after-queue");
		c->queued = item.id;
		if (done != NULL)
			core_op_wait(core_op_new(c, done, arg, "refused"), item.id);
		if (c->ev.outbox != NULL)
			c->ev.outbox(c->ev_arg, item.id, CORE_QUEUED, NULL, 0);
		store_outbox_clear(&item);
		core_outbox_next(c);
		rc = 0;
	}
	free(content);
	return rc;
}

int
core_send(struct core *c, const char *room_id, const char *type, const char *content,
    core_done_cb done, void *arg, char **cause)
{
	return core_queue(c, room_id, type, xstrdup(content), done, arg, cause);
}

/* The root of the thread event_id is in: its own root when it is a
 * thread's reply (threads do not nest), else itself. */
static char *
core_thread_root(struct core *c, const char *event_id)
{
	struct store_msg m;
	char *root;

	if (store_msg_get(c->store, event_id, &m, NULL) == -1)
		return xstrdup(event_id);
	root = xstrdup(m.thread_root != NULL ? m.thread_root : event_id);
	store_msg_clear(&m);
	return root;
}

/* Whom a draft mentions besides the ids in its text: its names, and the
 * sender of the message it answers unless that is the user. */
static struct msg_mentions
core_draft_mentions(struct core *c, const struct core_draft *d, struct msg_mention *names,
    struct store_msg *answered, int *has_answered)
{
	struct msg_mentions m = {names, d->n_names, NULL};

	for (size_t i = 0; i < d->n_names; i++)
		names[i] = (struct msg_mention){d->names[i].start, d->names[i].len,
		    d->names[i].user_id};
	*has_answered = d->edit == NULL && d->reply_to != NULL &&
	    store_msg_get(c->store, d->reply_to, answered, NULL) == 0;
	if (*has_answered && (core_self(c) == NULL || strcmp(answered->sender, core_self(c)) != 0))
		m.reply_sender = answered->sender;
	return m;
}

char *
core_draft_content(struct core *c, const struct core_draft *d)
{
	struct msg_mention *names = xcalloc(d->n_names + 1, sizeof *names);
	struct store_msg answered, edited;
	struct msg_mentions m;
	char *content;
	int has_answered;

	m = core_draft_mentions(c, d, names, &answered, &has_answered);
	if (d->edit == NULL && d->thread != NULL) {
		char *root = core_thread_root(c, d->thread), *latest;

		latest = store_thread_latest(c->store, root);
		content = msg_content_thread(d->text, d->emote ? "m.emote" : "m.text", root,
		    d->reply_to, latest, &m);
		free(latest);
		free(root);
	} else if (d->edit == NULL)
		content = msg_content_text(d->text, d->emote ? "m.emote" : "m.text", d->reply_to,
		    &m);
	/* An edit keeps the kind of message it replaces (an emote stays one). */
	else if (store_msg_get(c->store, d->edit, &edited, NULL) == 0) {
		content = msg_content_edit(d->text, edited.msgtype ? edited.msgtype : "m.text",
		    d->edit, &m, edited.content);
		store_msg_clear(&edited);
	} else
		content = msg_content_edit(d->text, "m.text", d->edit, &m, NULL);
	if (has_answered)
		store_msg_clear(&answered);
	free(names);
	return content;
}

int
core_send_draft(struct core *c, const char *room_id, const struct core_draft *d,
    core_done_cb done, void *arg, char **cause)
{
	return core_queue(c, room_id, "m.room.message", core_draft_content(c, d), done, arg,
	    cause);
}

int
core_send_text(struct core *c, const char *room_id, const char *text, int emote,
    const char *reply_to, core_done_cb done, void *arg, char **cause)
{
	struct core_draft d = {.text = text, .emote = emote, .reply_to = reply_to};

	return core_send_draft(c, room_id, &d, done, arg, cause);
}

int
core_send_thread(struct core *c, const char *room_id, const char *text, const char *root,
    core_done_cb done, void *arg, char **cause)
{
	struct core_draft d = {.text = text, .thread = root};

	return core_send_draft(c, room_id, &d, done, arg, cause);
}

int
core_send_edit(struct core *c, const char *room_id, const char *event_id, const char *text,
    core_done_cb done, void *arg, char **cause)
{
	struct core_draft d = {.text = text, .edit = event_id};

	return core_send_draft(c, room_id, &d, done, arg, cause);
}

int
core_send_reaction(struct core *c, const char *room_id, const char *event_id, const char *key,
    core_done_cb done, void *arg, char **cause)
{
	return core_queue(c, room_id, "m.reaction", msg_content_reaction(event_id, key), done, arg,
	    cause);
}

/* A file for an encrypted room: encrypted into a file of natter's own,
 * which is uploaded instead and removed after. */
struct core_upload {
	char *tmp;		/* the ciphertext's file, or NULL in clear */
	struct crypto_file key;
};

static void
core_upload_free(void *data)
{
	struct core_upload *u = data;

	if (u->tmp != NULL)
		unlink(u->tmp);
	free(u->tmp);
	crypto_file_clear(&u->key);
	free(u);
}

/* Encrypts path into a new file in the profile's directory; -1 (cause). */
static int
core_upload_encrypt(struct core *c, const char *path, struct core_upload *u, char **cause)
{
	int in, out, rc = -1;

	u->tmp = xasprintf("%s/upload-XXXXXX", c->paths.data_dir);
	if ((in = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return cause_set(cause, "%s: not a readable file (%s)", path, strerror(errno));
	if ((out = mkstemp(u->tmp)) == -1) {
		cause_set(cause, "cannot make a file in %s: %s", c->paths.data_dir, strerror(errno));
		xfree(&u->tmp);
	} else {
		rc = crypto_file_encrypt(in, out, &u->key, cause);
		close(out);
	}
	close(in);
	return rc;
}

/* The upload is done: the message goes through the outbox, and whoever
 * started it hears of the send, not of the upload. */
static void
core_upload_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_upload *u = op->data;
	struct msg_file_key key = {u->key.key, u->key.iv, u->key.sha256};
	const char *name = op->text;
	char *content, *why = NULL;

	if (core_op_refused(op, res))
		return;
	content = msg_content_file(name, res->value, msg_mimetype_guess(name), op->n,
	    u->tmp != NULL ? &key : NULL);
	if (core_queue(op->c, op->room_id, "m.room.message", content, op->done, op->arg,
	    &why) == -1)
		core_op_fail(op, why);
	else {
		op->done = NULL;
		core_op_end(op, CORE_DONE, NULL);
	}
	free(why);
}

int
core_send_file(struct core *c, const char *room_id, const char *path, core_done_cb done,
    void *arg, char **cause)
{
	const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	struct core_upload *u;
	struct core_op *op;
	struct stat sb;
	char *what;

	if (stat(path, &sb) == -1)
		return cause_set(cause, "%s: not a readable file (%s)", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cause_set(cause, "%s is not a file: only files can be sent", path);
	/* Checked now, or the file would be uploaded for nothing. */
	if (core_refuse_encrypted(c, room_id, cause) == -1)
		return -1;
	u = xcalloc(1, sizeof *u);
	if (store_room_encrypted(c->store, room_id) == 1 &&
	    core_upload_encrypt(c, path, u, cause) == -1) {
		core_upload_free(u);
		return -1;
	}
	what = xasprintf("cannot send %s", name);
	op = core_op_new(c, done, arg, what);
	free(what);
	op->data = u;
	op->free_data = core_upload_free;
	op->room_id = xstrdup(room_id);
	op->text = xstrdup(name);
	op->n = (int64_t)sb.st_size;
	/* The server sees only ciphertext of a type that says nothing. */
	op->call = u->tmp != NULL ?
	    mx_upload(c->mx, u->tmp, NULL, "application/octet-stream", 0, core_upload_answer, op,
	    cause) :
	    mx_upload(c->mx, path, name, msg_mimetype_guess(name), 0, core_upload_answer, op,
	    cause);
	return core_op_started(op, cause);
}
