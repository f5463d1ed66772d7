/* Room keys between this account's own devices. A message whose key has
 * not come is asked for from the account's other devices
 * (m.room_key_request, in clear, to all of them), and the request is
 * withdrawn once the key is here, from whoever. A request from another
 * device of the account is kept, and answered with the key over Olm
 * (m.forwarded_room_key) once the user verified that device (natter
 * trust); a forwarded key is believed only from such a device, and only
 * when natter asked for it. A key never goes to, or comes from, anyone
 * else this way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/event.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_KEYS_PASS 50	/* requests or withdrawals sent after one sync */
#define CORE_KEYS_KEEP_MS (7LL * 24 * 3600 * 1000)	/* an unanswered request */

/* One request or withdrawal to send, and what it changes once sent. */
struct core_ask {
	struct store_request req;
	int cancel;
};

struct core_asking {
	struct core_ask *asks;
	size_t n, next;
};

static void
core_asking_free(void *data)
{
	struct core_asking *a = data;

	for (size_t i = 0; i < a->n; i++)
		store_request_clear(&a->asks[i].req);
	free(a->asks);
	free(a);
}

/* The device the sender's key belongs to when it is another device of
 * this account that the user verified: 1 with *d, else 0 (why says). */
static int
core_keys_own_verified(struct core *c, const char *sender, const char *sender_key,
    struct store_device *d, const char **why, char **cause)
{
	int r;

	*why = NULL;
	if (strcmp(sender, c->session.user_id) != 0) {
		*why = "it is not from this account";
		memset(d, 0, sizeof *d);
		return 0;
	}
	if ((r = store_device_by_key(c->store, sender_key, d, cause)) != 1) {
		*why = "its device is not known";
		return r;
	}
	if (strcmp(d->user_id, c->session.user_id) != 0)
		*why = "its device belongs to another user";
	else if (strcmp(d->device_id, c->session.device_id) == 0)
		*why = "it is from this device";
	else if (d->trust != STORE_TRUST_VERIFIED)
		*why = "its device is not verified (see natter trust)";
	if (*why != NULL) {
		store_device_clear(d);
		return 0;
	}
	return 1;
}

int
core_keys_forwarded(struct core *c, const struct mx_to_device *td,
    const struct mx_olm_payload *p, char **cause)
{
	struct store_megolm_in row = {0};
	struct store_request asked;
	struct store_device d;
	struct crypto_megolm_in *in = NULL;
	const char *why;
	char *err = NULL;
	int r;

	if ((r = core_keys_own_verified(c, td->sender, td->sender_key, &d, &why, cause)) != 1) {
		if (r == 0)
			log_msg("crypto: a forwarded room key from %s refused: %s", td->sender, why);
		return r;
	}
	store_device_clear(&d);
	if ((r = store_request_get(c->store, p->session_id, p->forwarded_sender_key, &asked,
	    cause)) != 1) {
		if (r == 0)
			log_msg("crypto: a forwarded room key natter did not ask for is refused");
		return r;
	}
	if (strcmp(p->algorithm, CORE_MEGOLM_ALGORITHM) != 0 ||
	    strcmp(asked.room_id, p->room_id) != 0)
		why = "it is not the key that was asked for";
	else if ((in = crypto_megolm_in_import(p->session_key, &err)) == NULL)
		why = err;
	else if (strcmp(crypto_megolm_in_id(in), p->session_id) != 0)
		why = "it names another session";
	if (why != NULL) {
		log_msg("crypto: a forwarded room key refused: %s", why);
		crypto_megolm_in_free(&in);
		store_request_clear(&asked);
		free(err);
		return 0;
	}
	row.room_id = p->room_id;
	row.sender_ed25519 = p->forwarded_ed25519;
	row.first_index = crypto_megolm_in_first_index(in);
	row.pickle = crypto_megolm_in_pickle(in, c->pickle_key);
	row.forwarded = 1;
	r = store_megolm_in_put(c->store, p->session_id, p->forwarded_sender_key, &row, cause);
	if (r == 0) {
		c->drain_due = 1;
		log_msg("crypto: a forwarded room key for %s", p->room_id);
	}
	OPENSSL_cleanse(row.pickle, strlen(row.pickle));
	free(row.pickle);
	crypto_megolm_in_free(&in);
	store_request_clear(&asked);
	return r;
}

const char *
core_json_text(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring : NULL;
}

#define CORE_WITHHELD_REASON 200	/* bytes of a sender's reason kept */

int
core_keys_withheld(struct core *c, const struct mx_to_device *td, char **cause)
{
	cJSON *o = td->content != NULL ? cJSON_Parse(td->content) : NULL;
	const char *alg = core_json_text(o, "algorithm"), *code = core_json_text(o, "code");
	const char *sid = core_json_text(o, "session_id"), *key = core_json_text(o, "sender_key");
	const char *reason = core_json_text(o, "reason");
	char *why;
	int rc;

	if (alg == NULL || strcmp(alg, CORE_MEGOLM_ALGORITHM) != 0 || code == NULL ||
	    sid == NULL || key == NULL) {
		log_msg("crypto: a withheld-key notice from %s that is not one", td->sender);
		cJSON_Delete(o);
		return 0;
	}
	if (reason != NULL)
		why = xasprintf("waiting for the key: its sender withheld it (%s: %.*s)", code,
		    (int)nt_utf8_cut(reason, strlen(reason), CORE_WITHHELD_REASON), reason);
	else
		why = xasprintf("waiting for the key: its sender withheld it (%s)", code);
	log_msg("crypto: %s withheld a room key (%s)", td->sender, code);
	rc = store_withheld_put(c->store, sid, key, why, cause);
	free(why);
	cJSON_Delete(o);
	return rc;
}

int
core_keys_heard(struct core *c, const struct mx_to_device *td, char **cause)
{
	struct mx_key_request req;
	char *why = NULL;
	int rc = 0;

	if (td->content == NULL || strcmp(td->sender, c->session.user_id) != 0)
		return 0;	/* only this account's devices are answered */
	if (mx_key_request_parse(td->content, &req, &why) == -1) {
		log_msg("crypto: a key request from %s: %s", td->sender, why);
		free(why);
		return 0;
	}
	if (req.cancel)
		rc = store_incoming_drop(c->store, req.requesting_device_id, req.request_id, cause);
	else if (strcmp(req.requesting_device_id, c->session.device_id) != 0) {
		struct store_incoming in = {req.requesting_device_id, req.request_id, req.room_id,
		    req.sender_key, req.session_id, req.algorithm, nt_now_ms()};

		rc = store_incoming_put(c->store, &in, cause);
	}
	mx_key_request_clear(&req);
	return rc;
}

/* The key a request asks for, as m.forwarded_room_key content; NULL when
 * natter does not have it (why says). */
static cJSON *
core_keys_export(struct core *c, const struct store_incoming *req, const char **why,
    char **cause)
{
	struct store_megolm_in row;
	struct crypto_megolm_in *in;
	cJSON *content = NULL;
	char *key;
	int r;

	if (strcmp(req->algorithm, CORE_MEGOLM_ALGORITHM) != 0) {
		*why = "its algorithm is not Megolm";
		return NULL;
	}
	if ((r = store_megolm_in(c->store, req->session_id, req->sender_key, &row, cause)) != 1) {
		*why = r == 0 ? "natter does not have the key either" : *cause;
		return NULL;
	}
	if (strcmp(row.room_id, req->room_id) != 0)
		*why = "the key belongs to another room";
	else if ((in = crypto_megolm_in_unpickle(row.pickle, c->pickle_key, cause)) == NULL)
		*why = *cause;
	else {
		if ((key = crypto_megolm_in_export(in, (uint32_t)row.first_index, cause)) == NULL)
			*why = *cause;
		else {
			content = cJSON_CreateObject();
			cJSON_AddStringToObject(content, "algorithm", CORE_MEGOLM_ALGORITHM);
			cJSON_AddStringToObject(content, "room_id", row.room_id);
			cJSON_AddStringToObject(content, "sender_key", req->sender_key);
			cJSON_AddStringToObject(content, "session_id", req->session_id);
			cJSON_AddStringToObject(content, "session_key", key);
			cJSON_AddStringToObject(content, "sender_claimed_ed25519_key",
			    row.sender_ed25519 != NULL ? row.sender_ed25519 : "");
			cJSON_AddArrayToObject(content, "forwarding_curve25519_key_chain");
			OPENSSL_cleanse(key, strlen(key));
			free(key);
		}
		crypto_megolm_in_free(&in);
	}
	store_megolm_in_clear(&row);
	return content;
}

/* One kept request: 1 answered (the key is on its way), 0 left for
 * later (its device is not verified yet), -1 never to be answered (why
 * says). */
static int
core_keys_answer_one(struct core *c, const struct store_incoming *req, const char **why,
    char **cause)
{
	struct store_device *d = xcalloc(1, sizeof *d);
	cJSON *content;
	int r;

	if ((r = store_device_get(c->store, c->session.user_id, req->device_id, d, cause)) != 1)
		*why = r == 0 ? "its device is not known" : *cause;
	else if (d->trust == STORE_TRUST_BLOCKED)
		*why = "its device is blocked";
	else if (d->trust != STORE_TRUST_VERIFIED) {
		store_devices_free(&d, 1);
		return nt_now_ms() - req->heard_ms < CORE_KEYS_KEEP_MS ? 0 :
		    (*why = "its device was not verified within a week", -1);
	} else if ((content = core_keys_export(c, req, why, cause)) != NULL) {
		log_msg("crypto: a room key for %s forwarded to %s", req->room_id, d->device_id);
		if (core_todev_send(c, d, 1, "m.forwarded_room_key", content, 0, NULL, NULL, NULL,
		    cause) == -1)
			*why = *cause;
		return *why == NULL ? 1 : -1;
	}
	store_devices_free(&d, 1);
	return -1;
}

/* Answers the kept requests of devices the user verified; forgets those
 * that will never be answered. */
static void
core_keys_answer(struct core *c)
{
	struct store_incoming *in;
	char *cause = NULL;
	size_t n;

	if (store_incoming_all(c->store, &in, &n, &cause) == -1) {
		log_msg("crypto: %s", cause);
		free(cause);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;
		int r = core_keys_answer_one(c, &in[i], &why, &cause);

		if (r == -1)
			log_msg("crypto: the key request of %s is not answered: %s",
			    in[i].device_id, why);
		if (r != 0 && store_incoming_drop(c->store, in[i].device_id, in[i].request_id,
		    &cause) == -1)
			log_msg("crypto: %s", cause);
		xfree(&cause);
	}
	store_incoming_free(&in, n);
}

static void core_asking_send(struct core_op *op);

static void
core_asking_sent(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_asking *a = op->data;
	struct core_ask *ask = &a->asks[a->next++];
	char *cause = NULL;
	int r;

	if (core_op_refused(op, res))
		return;
	if (ask->cancel)
		r = store_request_drop(op->c->store, ask->req.session_id, ask->req.sender_key,
		    &cause);
	else
		r = store_request_put(op->c->store, &ask->req, &cause);
	if (r == -1) {
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	core_asking_send(op);
}

/* The next request or withdrawal, in clear, to every device of this
 * account: {user: {"*": content}}. */
static void
core_asking_send(struct core_op *op)
{
	struct core_asking *a = op->data;
	struct core_ask *ask;
	cJSON *messages, *content, *body;
	char *text, *txn, *cause = NULL;

	if (a->next == a->n) {
		core_op_end(op, CORE_DONE, NULL);
		return;
	}
	ask = &a->asks[a->next];
	messages = cJSON_CreateObject();
	content = cJSON_AddObjectToObject(cJSON_AddObjectToObject(messages, op->c->session.user_id),
	    "*");
	cJSON_AddStringToObject(content, "action", ask->cancel ? "request_cancellation" :
	    "request");
	cJSON_AddStringToObject(content, "requesting_device_id", op->c->session.device_id);
	cJSON_AddStringToObject(content, "request_id", ask->req.request_id);
	if (!ask->cancel) {
		body = cJSON_AddObjectToObject(content, "body");
		cJSON_AddStringToObject(body, "algorithm", CORE_MEGOLM_ALGORITHM);
		cJSON_AddStringToObject(body, "room_id", ask->req.room_id);
		cJSON_AddStringToObject(body, "sender_key", ask->req.sender_key);
		cJSON_AddStringToObject(body, "session_id", ask->req.session_id);
	}
	text = cJSON_PrintUnformatted(messages);
	cJSON_Delete(messages);
	txn = mx_txn_new();
	op->call = mx_send_to_device(op->c->mx, "m.room_key_request", txn, text, 0,
	    core_asking_sent, op, &cause);
	cJSON_free(text);
	free(txn);
	if (op->call == NULL) {
		core_op_fail(op, cause);
		free(cause);
	}
}

static void
core_asking_done(void *arg, int status, const char *result)
{
	struct core *c = arg;

	(void)status;
	(void)result;
	c->asking = 0;
}

/* 1 when this account has a device other than this one that could have
 * a key (one the user did not block), 0 when not. */
static int
core_keys_others(struct core *c, char **cause)
{
	struct store_device *d;
	size_t n;
	int others = 0;

	if (store_devices(c->store, c->session.user_id, &d, &n, cause) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		others |= strcmp(d[i].device_id, c->session.device_id) != 0 &&
		    d[i].trust != STORE_TRUST_BLOCKED;
	store_devices_free(&d, n);
	return others;
}

/* Withdrawals of requests whose key came, then requests for the keys
 * messages wait for, sent one after the other by one operation. */
static void
core_keys_ask(struct core *c)
{
	struct core_asking *a;
	struct store_request *met = NULL, *due = NULL;
	size_t n_met = 0, n_due = 0;
	struct core_op *op;
	char *cause = NULL;
	int others;

	if (c->asking)
		return;
	if (store_requests_met(c->store, &met, &n_met, &cause) == -1 ||
	    (others = core_keys_others(c, &cause)) == -1 ||
	    (others && store_requests_due(c->store, &due, &n_due, &cause) == -1)) {
		log_msg("crypto: %s", cause);
		free(cause);
		store_requests_free(&met, n_met);
		return;
	}
	if (n_met + n_due == 0)
		return;
	a = xcalloc(1, sizeof *a);
	a->asks = xcalloc(n_met + n_due, sizeof *a->asks);
	for (size_t i = 0; i < n_met && a->n < CORE_KEYS_PASS; i++) {
		a->asks[a->n].cancel = 1;
		a->asks[a->n++].req = met[i];
		memset(&met[i], 0, sizeof met[i]);
	}
	for (size_t i = 0; i < n_due && a->n < CORE_KEYS_PASS; i++) {
		a->asks[a->n].req = due[i];
		a->asks[a->n].req.request_id = mx_txn_new();
		a->asks[a->n++].req.sent_ms = nt_now_ms();
		memset(&due[i], 0, sizeof due[i]);
	}
	store_requests_free(&met, n_met);
	store_requests_free(&due, n_due);
	op = core_op_new(c, core_asking_done, c, "cannot ask for room keys");
	op->data = a;
	op->free_data = core_asking_free;
	core_op_background(op);
	c->asking = 1;
	core_asking_send(op);
}

void
core_keys_after_sync(struct core *c)
{
	core_keys_answer(c);
	core_keys_ask(c);
}
