/* natter crypto setup: what Element's "Set up recovery" makes, for an
 * account that has none: the cross-signing keys (master, self-signing,
 * user-signing), a secret storage whose key is a new recovery key, the
 * cross-signing keys and a new key backup's key stored in it, and this
 * device signed. The recovery key is handed back once and kept nowhere.
 *
 * The order keeps a half-done setup harmless: the secret storage's key
 * and the secrets first (nothing uses them yet), then the cross-signing
 * keys published, then the backup, and the storage's default key last.
 * Run again after a failure, it starts over. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

enum { SETUP_MASTER, SETUP_SSK, SETUP_USK, SETUP_BACKUP, SETUP_N };

#define setup_names core_secret_names
static const char *const setup_usages[] = {"master", "self_signing", "user_signing"};

struct setup {
	struct core_setup *out;
	char *password;
	char *secrets[SETUP_N];		/* seeds, and the backup key, base64 */
	char *pubs[SETUP_N];
	uint8_t key[CRYPTO_SECRET_KEY_LEN];	/* the secret storage's */
	char *key_id;
	int step;
	int asked_password;		/* the upload went again with it */
};

static void
setup_free(void *data)
{
	struct setup *s = data;

	core_wipe(&s->password);
	for (size_t i = 0; i < SETUP_N; i++) {
		core_wipe(&s->secrets[i]);
		free(s->pubs[i]);
	}
	OPENSSL_cleanse(s->key, sizeof s->key);
	free(s->key_id);
	free(s);
}

/* A cross-signing key object: {user_id, usage, keys}, signed by the
 * master key unless it is the master key (which this device signs). */
static cJSON *
setup_key_object(struct core *c, struct setup *s, int which)
{
	cJSON *k = cJSON_CreateObject(), *keys;
	char *id = xasprintf("ed25519:%s", s->pubs[which]);

	cJSON_AddStringToObject(k, "user_id", c->session.user_id);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(k, "usage"),
	    cJSON_CreateString(setup_usages[which]));
	keys = cJSON_AddObjectToObject(k, "keys");
	cJSON_AddStringToObject(keys, id, s->pubs[which]);
	free(id);
	if (which == SETUP_MASTER)
		core_crypto_sign(c, k);
	else
		core_cross_sign_obj(c, k, s->secrets[SETUP_MASTER]);
	return k;
}

static void setup_upload(struct core_op *op, const char *session);
static void setup_put_next(struct core_op *op);

static void
setup_signed(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct setup *s = op->data;

	if (core_op_refused(op, res))
		return;
	s->out->device_signed = core_device_signed(res, NULL);
	log_msg("crypto: set up: cross-signing, secret storage %s, backup %s", s->key_id,
	    s->out->backup_version);
	core_op_end(op, CORE_DONE, NULL);
}

/* Everything is on the server: kept here too, and this device signed. */
static void
setup_keep(struct core_op *op)
{
	struct setup *s = op->data;
	struct core *c = op->c;
	char *why = NULL;

	for (size_t i = 0; i < SETUP_N; i++)
		if (core_secret_keep(c, setup_names[i], s->secrets[i], &why) == -1)
			break;
	if (why == NULL)
		store_crypto_master_put(c->store, c->session.user_id, s->pubs[SETUP_MASTER],
		    &why);
	if (why == NULL)
		core_backup_use(c, s->out->backup_version, &why);
	if (why != NULL) {
		core_op_fail(op, why);
		free(why);
		return;
	}
	core_device_sign(op, s->secrets[SETUP_SSK], setup_signed);
}

static void
setup_put_done(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct setup *s = op->data;

	if (core_op_refused(op, res))
		return;
	/* With the default key written, the recovery key opens it all. */
	if (s->step == 7)
		s->out->on_server = 1;
	s->step++;
	setup_put_next(op);
}

static void
setup_backup_made(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct setup *s = op->data;

	if (core_op_refused(op, res))
		return;
	s->out->backup_version = xstrdup(res->value);
	setup_put_next(op);
}

/* A new key backup whose auth_data is signed by this device and the
 * master key, as Element makes it. */
static void
setup_backup(struct core_op *op)
{
	struct setup *s = op->data;
	struct core *c = op->c;
	cJSON *body = cJSON_CreateObject(), *auth;
	char *json;

	cJSON_AddStringToObject(body, "algorithm", CORE_BACKUP_ALGORITHM);
	auth = cJSON_AddObjectToObject(body, "auth_data");
	cJSON_AddStringToObject(auth, "public_key", s->pubs[SETUP_BACKUP]);
	core_crypto_sign(c, auth);
	core_cross_sign_obj(c, auth, s->secrets[SETUP_MASTER]);
	json = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	op->call = mx_backup_version_new(c->mx, json, 0, setup_backup_made, op, NULL);
	cJSON_free(json);
	if (op->call == NULL)
		core_op_fail(op, "cannot make a key backup");
}

/* An account-data event: the storage key's description, a secret, or
 * the default key; content is consumed. */
static void
setup_put(struct core_op *op, const char *type, cJSON *content)
{
	char *json = cJSON_PrintUnformatted(content);

	cJSON_Delete(content);
	op->call = mx_account_data_put(op->c->mx, type, json, 0, setup_put_done, op, NULL);
	OPENSSL_cleanse(json, strlen(json));
	cJSON_free(json);
	if (op->call == NULL)
		core_op_fail(op, "cannot write the account's secret storage");
}

/* The steps after the keys were made: 0 the storage key's description;
 * 1-3 the cross-signing secrets; 4 the cross-signing keys published;
 * 5 the backup made; 6 its secret; 7 the default key; then kept here. */
static void
setup_put_next(struct core_op *op)
{
	struct setup *s = op->data;
	struct crypto_ssss_box box;
	cJSON *content, *enc;
	char *iv, *mac, *type;
	int which;

	switch (s->step) {
	case 0:
		crypto_ssss_check(s->key, &iv, &mac);
		content = cJSON_CreateObject();
		cJSON_AddStringToObject(content, "algorithm", "m.secret_storage.v1.aes-hmac-sha2");
		cJSON_AddStringToObject(content, "iv", iv);
		cJSON_AddStringToObject(content, "mac", mac);
		free(iv);
		free(mac);
		type = xasprintf("m.secret_storage.key.%s", s->key_id);
		setup_put(op, type, content);
		free(type);
		return;
	case 1: case 2: case 3: case 6:
		which = s->step == 6 ? SETUP_BACKUP : s->step - 1;
		crypto_ssss_encrypt(s->key, setup_names[which], s->secrets[which], &box);
		content = cJSON_CreateObject();
		enc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(content, "encrypted"),
		    s->key_id);
		cJSON_AddStringToObject(enc, "iv", box.iv);
		cJSON_AddStringToObject(enc, "ciphertext", box.ciphertext);
		cJSON_AddStringToObject(enc, "mac", box.mac);
		crypto_ssss_box_clear(&box);
		setup_put(op, setup_names[which], content);
		return;
	case 4:
		s->step++;
		setup_upload(op, NULL);
		return;
	case 5:
		s->step++;
		setup_backup(op);
		return;
	case 7:
		content = cJSON_CreateObject();
		cJSON_AddStringToObject(content, "key", s->key_id);
		setup_put(op, "m.secret_storage.default_key", content);
		return;
	}
	setup_keep(op);
}

static void
setup_uploaded(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct setup *s = op->data;
	const char *session;

	/* The first attempt goes without a password (servers let a first
	 * upload through); one that asks for it gets it. */
	if (!res->ok && res->status == 401 && res->errcode == NULL &&
	    (session = core_json_text(res->json, "session")) != NULL &&
	    s->password != NULL && !s->asked_password) {
		op->call = NULL;
		s->asked_password = 1;
		setup_upload(op, session);
		return;
	}
	if (!res->ok && res->status == 401 && s->password == NULL) {
		op->call = NULL;
		core_op_fail(op, "the homeserver asks for the account's password to publish "
		    "cross-signing keys");
		return;
	}
	if (core_op_refused(op, res))
		return;
	setup_put_next(op);
}

static void
setup_upload(struct core_op *op, const char *session)
{
	struct setup *s = op->data;
	cJSON *body = cJSON_CreateObject();
	char *json;

	cJSON_AddItemToObject(body, "master_key", setup_key_object(op->c, s, SETUP_MASTER));
	cJSON_AddItemToObject(body, "self_signing_key", setup_key_object(op->c, s, SETUP_SSK));
	cJSON_AddItemToObject(body, "user_signing_key", setup_key_object(op->c, s, SETUP_USK));
	json = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	op->call = mx_device_signing_upload(op->c->mx, json, session != NULL ? s->password :
	    NULL, session, 0, setup_uploaded, op, NULL);
	cJSON_free(json);
	if (op->call == NULL)
		core_op_fail(op, "cannot publish the cross-signing keys");
}

/* The account's published keys: setup is for an account without
 * cross-signing; one that has it is recovered instead. */
static void
setup_checked(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct setup *s = op->data;
	struct mx_keys keys;
	char *why = NULL, *recover;
	int has = 0;
	uint8_t priv[CRYPTO_SECRET_KEY_LEN], id[12];

	if (core_keys_answered(op, res, &keys) == -1)
		return;
	for (size_t i = 0; i < keys.n_users; i++)
		has |= strcmp(keys.users[i].user_id, op->c->session.user_id) == 0;
	mx_keys_clear(&keys);
	if (has) {
		recover = core_command(op->c, "recover");
		why = xasprintf("this account has cross-signing already (set up in another "
		    "client): open its secret storage with `%s`", recover);
		core_op_fail(op, why);
		free(why);
		free(recover);
		return;
	}
	for (int i = SETUP_MASTER; i <= SETUP_USK; i++)
		crypto_cross_new(&s->secrets[i], &s->pubs[i]);
	crypto_random(priv, sizeof priv);
	s->secrets[SETUP_BACKUP] = crypto_b64_encode(priv, sizeof priv);
	s->pubs[SETUP_BACKUP] = crypto_backup_public(priv);
	OPENSSL_cleanse(priv, sizeof priv);
	crypto_random(s->key, sizeof s->key);
	crypto_random(id, sizeof id);
	s->key_id = crypto_b64_encode(id, sizeof id);
	for (char *p = s->key_id; *p != '\0'; p++)
		if (*p == '+' || *p == '/')
			*p = 'x';	/* the id goes into an event type */
	s->out->recovery_key = crypto_recovery_encode(s->key);
	s->out->master = xstrdup(s->pubs[SETUP_MASTER]);
	s->step = 0;
	setup_put_next(op);
}

int
core_crypto_setup(struct core *c, const char *password, struct core_setup *out,
    core_done_cb done, void *arg, char **cause)
{
	const char *users[] = {c->session.user_id};
	struct core_op *op;
	struct setup *s;

	memset(out, 0, sizeof *out);
	if (c->acct == NULL)
		return cause_set(cause, "this profile has no encryption keys: log in first");
	op = core_op_new(c, done, arg, "cannot set up recovery");
	s = xcalloc(1, sizeof *s);
	s->out = out;
	s->password = password != NULL ? xstrdup(password) : NULL;
	op->data = s;
	op->free_data = setup_free;
	op->call = mx_keys_query(c->mx, users, 1, 0, setup_checked, op, cause);
	return core_op_started(op, cause);
}

void
core_setup_clear(struct core_setup *s)
{
	core_wipe(&s->recovery_key);
	free(s->master);
	free(s->backup_version);
	memset(s, 0, sizeof *s);
}
