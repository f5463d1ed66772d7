/* One event over Olm to a set of devices: an Olm session to each (from a
 * one-time key claimed where there is none, or for every device when a
 * fresh session is asked for because the old one is wedged), the event
 * encrypted to each device alone, and one sendToDevice for them all. A
 * device natter cannot reach is left out and logged; the others still
 * get the event. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/event.h"
#include "natter/log.h"
#include "natter/loop.h"
#include "natter/util.h"
#include "core-private.h"

struct core_todev {
	struct store_device *devices;
	size_t n_devices;
	char *type;
	cJSON *content;
	int fresh;
	core_sent_cb sent;
};

static void
core_todev_free(void *data)
{
	struct core_todev *t = data;

	store_devices_free(&t->devices, t->n_devices);
	free(t->type);
	cJSON_Delete(t->content);
	free(t);
}

static void
core_todev_sent(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_todev *t = op->data;
	char *cause = NULL, n[24];

	if (core_op_refused(op, res))
		return;
	if (t->sent != NULL && t->sent(op->arg, t->devices, t->n_devices, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	snprintf(n, sizeof n, "%zu", t->n_devices);
	core_op_end(op, CORE_DONE, n);
}

/* The event for every device with a session, in one sendToDevice; the
 * devices without one leave the list. */
static void
core_todev_send_all(struct core_op *op)
{
	struct core_todev *t = op->data;
	cJSON *messages = cJSON_CreateObject(), *enc, *user;
	char *text, *txn, *cause = NULL;
	size_t kept = 0;

	for (size_t i = 0; i < t->n_devices; i++) {
		struct store_device *d = &t->devices[i];

		if ((enc = core_olm_encrypt(op->c, d, t->type, t->content, &cause)) == NULL) {
			log_msg("crypto: %s of %s gets no %s: %s", d->device_id, d->user_id, t->type,
			    cause);
			xfree(&cause);
			store_device_clear(d);
			continue;
		}
		if ((user = cJSON_GetObjectItemCaseSensitive(messages, d->user_id)) == NULL)
			user = cJSON_AddObjectToObject(messages, d->user_id);
		cJSON_AddItemToObject(user, d->device_id, enc);
		t->devices[kept++] = *d;
	}
	t->n_devices = kept;
	if (kept == 0) {
		cJSON_Delete(messages);
		core_op_end(op, CORE_DONE, "0");
		return;
	}
	text = cJSON_PrintUnformatted(messages);
	cJSON_Delete(messages);
	txn = mx_txn_new();
	op->call = mx_send_to_device(op->c->mx, "m.room.encrypted", txn, text, 0, core_todev_sent,
	    op, &cause);
	OPENSSL_cleanse(text, strlen(text));
	cJSON_free(text);
	free(txn);
	if (op->call == NULL) {
		core_op_fail(op, cause);
		free(cause);
	}
}

static void
core_todev_claimed(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_todev *t = op->data;
	struct mx_claimed_key *keys;
	size_t n;
	char *cause = NULL;

	if (core_op_refused(op, res))
		return;
	if (mx_keys_claim_parse(res->raw, res->raw_len, &keys, &n, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < t->n_devices; j++)
			if (strcmp(keys[i].user_id, t->devices[j].user_id) == 0 &&
			    strcmp(keys[i].device_id, t->devices[j].device_id) == 0 &&
			    core_olm_start(op->c, &keys[i], &t->devices[j], &cause) == -1) {
				log_msg("crypto: no Olm session to %s: %s", keys[i].device_id,
				    cause);
				xfree(&cause);
			}
	mx_claimed_keys_free(&keys, n);
	core_todev_send_all(op);
}

/* Claims a one-time key of every device that needs a new session: 1 when
 * the claim is under way, 0 when none does, -1 with a cause. */
static int
core_todev_claim(struct core_op *op, char **cause)
{
	struct core_todev *t = op->data;
	const char **users = xcalloc(t->n_devices + 1, sizeof *users);
	const char **devices = xcalloc(t->n_devices + 1, sizeof *devices);
	size_t n = 0;
	int has = 0, rc = 0;

	for (size_t i = 0; i < t->n_devices; i++) {
		if (!t->fresh &&
		    (has = core_olm_has_session(op->c, t->devices[i].curve25519, cause)) == -1)
			break;
		if (!has) {
			users[n] = t->devices[i].user_id;
			devices[n++] = t->devices[i].device_id;
		}
	}
	if (has == -1)
		rc = -1;
	else if (n > 0) {
		op->call = mx_keys_claim(op->c->mx, users, devices, n, 0, core_todev_claimed, op,
		    cause);
		rc = op->call != NULL ? 1 : -1;
	}
	free(users);
	free(devices);
	return rc;
}

static void
core_todev_due(void *arg)
{
	struct core_op *op = arg;
	char *cause = NULL;
	int r;

	op->timer = 0;
	if ((r = core_todev_claim(op, &cause)) == -1) {
		core_op_fail(op, cause);
		free(cause);
	} else if (r == 0)
		core_todev_send_all(op);
}

int
core_todev_send(struct core *c, struct store_device *devices, size_t n, const char *type,
    struct cJSON *content, int fresh, core_sent_cb sent, core_done_cb done, void *arg,
    char **cause)
{
	struct core_todev *t = xcalloc(1, sizeof *t);
	struct core_op *op;

	t->devices = devices;
	t->n_devices = n;
	t->type = xstrdup(type);
	t->content = content;
	t->fresh = fresh;
	t->sent = sent;
	op = core_op_new(c, done, arg, "cannot send to devices");
	op->data = t;
	op->free_data = core_todev_free;
	if (done == NULL)	/* nobody to tell: something a sync started */
		core_op_background(op);
	if (c->acct == NULL) {
		cause_set(cause, "this session has no encryption keys: log in again");
		return core_op_started(op, cause);
	}
	op->timer = loop_timer_add(c->loop, 0, core_todev_due, op);
	return 0;
}

int
core_todev_clear(struct core *c, const char *type, const char *user_id, const char *device_id,
    cJSON *content, const char *what, char **cause)
{
	cJSON *messages = cJSON_CreateObject();
	struct core_op *op;
	char *text, *txn;

	cJSON_AddItemToObject(cJSON_AddObjectToObject(messages, user_id), device_id, content);
	text = cJSON_PrintUnformatted(messages);
	cJSON_Delete(messages);
	txn = mx_txn_new();
	op = core_op_new(c, NULL, NULL, what);
	core_op_background(op);
	op->call = mx_send_to_device(c->mx, type, txn, text, 0, core_op_answer, op,
	    cause);
	free(txn);
	cJSON_free(text);
	return core_op_started(op, cause);
}
