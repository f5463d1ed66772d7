/* The account's secrets (cross-signing keys, the backup key) as natter
 * keeps them, and shared with the user's other verified devices that ask
 * (m.secret.request, answered with m.secret.send over Olm, as Element
 * does when a new login is verified from another device).
 *
 * Cross-signing what a verification proved: another user's master key
 * signed with this account's user-signing key (and kept as theirs), or
 * one's own other device signed with the self-signing key. Other clients
 * of the account then trust what the user verified here. Without the
 * account's cross-signing keys (no `natter recover` or `crypto setup`),
 * the device is verified in natter only. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

char *
core_secret_get(struct core *c, const char *name)
{
	char *sealed, *secret = NULL, *cause = NULL;

	if ((sealed = store_crypto_secret(c->store, name, &cause)) != NULL)
		secret = crypto_secret_open(sealed, name, c->pickle_key, &cause);
	if (cause != NULL)
		log_msg("crypto: %s: %s", name, cause);
	free(cause);
	free(sealed);
	return secret;
}

static void core_secret_wipe(char *secret);

/* 1 when name is a secret natter keeps. */
static int
core_secret_known(const char *name)
{
	static const char *const names[] = {
		CORE_SECRET_MASTER, CORE_SECRET_SELF_SIGNING, CORE_SECRET_USER_SIGNING,
		CORE_SECRET_BACKUP,
	};

	for (size_t i = 0; i < NT_NELEMS(names); i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

void
core_secret_answer(struct core *c, const char *sender, const char *json)
{
	cJSON *req = cJSON_Parse(json), *content;
	const char *action = core_json_text(req, "action"), *name = core_json_text(req, "name");
	const char *id = core_json_text(req, "request_id");
	const char *device = core_json_text(req, "requesting_device_id");
	struct store_device *d = NULL;
	char *secret = NULL, *cause = NULL;
	const char *why = NULL;

	if (strcmp(sender, c->session.user_id) != 0 || action == NULL ||
	    strcmp(action, "request") != 0 || id == NULL || device == NULL ||
	    strcmp(device, c->session.device_id) == 0) {
		cJSON_Delete(req);
		return;	/* not ours to answer: another user's, a withdrawal, our own */
	}
	d = xcalloc(1, sizeof *d);
	if (name == NULL || !core_secret_known(name))
		why = "natter does not keep that secret";
	else if (store_device_get(c->store, sender, device, d, &cause) != 1)
		why = "its device is not known";
	else if (d->trust != STORE_TRUST_VERIFIED && !(d->cross_signed &&
	    d->trust != STORE_TRUST_BLOCKED))
		why = "its device is not verified";
	else if ((secret = core_secret_get(c, name)) == NULL)
		why = "natter does not hold it";
	if (why != NULL) {
		log_msg("crypto: %s asked for %s: not sent, %s", device, name != NULL ? name :
		    "a secret", why);
		store_devices_free(&d, 1);
	} else {
		content = cJSON_CreateObject();
		cJSON_AddStringToObject(content, "request_id", id);
		cJSON_AddStringToObject(content, "secret", secret);
		log_msg("crypto: %s sent to %s, which asked for it", name, device);
		if (core_todev_send(c, d, 1, "m.secret.send", content, 0, NULL, NULL, NULL,
		    &cause) == -1)
			log_msg("crypto: %s", cause);
	}
	core_secret_wipe(secret);
	free(cause);
	cJSON_Delete(req);
}

static void
core_secret_wipe(char *secret)
{
	if (secret != NULL)
		OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

char *
core_cross_public_of(struct core *c, const char *name)
{
	char *seed = core_secret_get(c, name), *pub;

	if (seed == NULL)
		return NULL;
	pub = crypto_cross_public(seed, NULL);
	core_secret_wipe(seed);
	return pub;
}

struct cross_job {
	char *device_id;
	char *master;		/* the master key the verification proved, or NULL */
};

static void
core_cross_job_free(void *data)
{
	struct cross_job *j = data;

	free(j->device_id);
	free(j->master);
	free(j);
}

/* obj (JSON as the server gave it) with signer's signature added, for
 * {user: {key: obj}}; NULL when it cannot be read. */
static cJSON *
core_cross_signed(struct core *c, const char *json, const char *seed)
{
	cJSON *obj = cJSON_Parse(json), *sigs, *mine;
	char *canon, *sig, *pub, *id;

	canon = crypto_signable_json(json, strlen(json), NULL);
	sig = canon != NULL ? crypto_cross_sign(seed, (const uint8_t *)canon, strlen(canon),
	    NULL) : NULL;
	pub = crypto_cross_public(seed, NULL);
	free(canon);
	if (obj == NULL || sig == NULL || pub == NULL) {
		cJSON_Delete(obj);
		free(sig);
		free(pub);
		return NULL;
	}
	/* Only the new signature: the server keeps those it has. */
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "signatures");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "unsigned");
	sigs = cJSON_AddObjectToObject(obj, "signatures");
	mine = cJSON_AddObjectToObject(sigs, c->session.user_id);
	id = xasprintf("ed25519:%s", pub);
	cJSON_AddStringToObject(mine, id, sig);
	free(id);
	free(sig);
	free(pub);
	return obj;
}

static void
core_cross_uploaded(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	char *why = NULL;

	if (core_op_refused(op, res))
		return;
	if (!core_device_signed(res, &why)) {
		core_op_fail(op, why);
		free(why);
		return;
	}
	log_msg("crypto: %s signed", op->user_id);
	core_op_end(op, CORE_DONE, NULL);
}

/* The user's keys as the server has them now: what to sign. */
static void
core_cross_queried(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct cross_job *j = op->data;
	struct core *c = op->c;
	int own = strcmp(op->user_id, c->session.user_id) == 0;
	const char *name = own ? CORE_SECRET_SELF_SIGNING : CORE_SECRET_USER_SIGNING;
	const char *json = NULL, *key = NULL;
	struct mx_keys keys;
	cJSON *obj, *body;
	char *seed, *text, *why = NULL;

	if (core_op_refused(op, res))
		return;
	if (mx_keys_query_parse(res->raw, res->raw_len, &keys, &why) == -1) {
		core_op_fail(op, why);
		free(why);
		return;
	}
	for (size_t i = 0; i < keys.n && own; i++)
		if (strcmp(keys.devices[i].device_id, j->device_id) == 0 &&
		    strcmp(keys.devices[i].user_id, op->user_id) == 0)
			json = keys.devices[i].json, key = j->device_id;
	for (size_t i = 0; i < keys.n_users && !own; i++)
		if (strcmp(keys.users[i].user_id, op->user_id) == 0 && j->master != NULL &&
		    strcmp(keys.users[i].master, j->master) == 0)
			json = keys.users[i].master_json, key = j->master;
	seed = json != NULL ? core_secret_get(c, name) : NULL;
	obj = seed != NULL ? core_cross_signed(c, json, seed) : NULL;
	core_secret_wipe(seed);
	if (obj == NULL) {
		mx_keys_clear(&keys);
		core_op_fail(op, json == NULL ? "the key the verification proved is not the "
		    "server's" : "natter holds no cross-signing key to sign it with");
		return;
	}
	/* Their identity is the one the user just verified. */
	if (!own && store_crypto_user_verified(c->store, op->user_id, j->master, &why) == -1) {
		log_msg("crypto: %s", why);
		xfree(&why);
	}
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(cJSON_AddObjectToObject(body, op->user_id), key, obj);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	mx_keys_clear(&keys);
	op->call = mx_keys_signatures_upload(c->mx, text, 0, core_cross_uploaded, op, NULL);
	cJSON_free(text);
	if (op->call == NULL)
		core_op_fail(op, "cannot upload a signature");
}

void
core_cross_sign_verified(struct core *c, const char *user_id, const char *device_id,
    const char *master)
{
	int own = strcmp(user_id, c->session.user_id) == 0;
	char *have = core_cross_public_of(c, own ? CORE_SECRET_SELF_SIGNING :
	    CORE_SECRET_USER_SIGNING), *cause = NULL;
	const char *users[] = {user_id};
	struct cross_job *j;
	struct core_op *op;

	if (have == NULL || (!own && master == NULL)) {
		log_msg("crypto: %s of %s verified here only (%s)", device_id, user_id,
		    have == NULL ? "no cross-signing keys" : "their side sent no master key");
		free(have);
		return;
	}
	free(have);
	j = xcalloc(1, sizeof *j);
	j->device_id = xstrdup(device_id);
	j->master = master != NULL ? xstrdup(master) : NULL;
	op = core_op_new(c, NULL, NULL, "cannot cross-sign what was verified");
	op->user_id = xstrdup(user_id);
	op->data = j;
	op->free_data = core_cross_job_free;
	core_op_background(op);
	op->call = mx_keys_query(c->mx, users, 1, 0, core_cross_queried, op, &cause);
	if (core_op_started(op, &cause) == -1) {
		log_msg("crypto: %s", cause);
		free(cause);
	}
}
