/* natter recover: the account's secrets out of secret storage (the
 * spec's m.secret_storage.v1.aes-hmac-sha2), opened with the recovery key
 * or passphrase the user has from Element; then this device signed with
 * the self-signing key, so that other clients trust it, and the room keys
 * of the server-side key backup restored, so that history reads.
 *
 * The steps, each an answer of the server's:
 *   m.secret_storage.default_key -> its key's description -> the key,
 *   checked -> each secret -> the account's published cross-signing keys
 *   (a secret that is not the published key is not kept) -> this device
 *   signed -> the backup's version, its key checked -> its sessions,
 *   decrypted and kept in slices.
 * Secrets are kept sealed in the cache (crypto_secret_seal); nothing in
 * clear outlives the op. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/log.h"
#include "natter/loop.h"
#include "natter/util.h"
#include "core-private.h"

#define RECOVER_SLICE 200	/* backup sessions decrypted between two looks at the loop */

/* The secrets natter takes from secret storage, in the order asked. */
#define recover_names core_secret_names
#define RECOVER_N CORE_N_SECRETS

struct recover {
	struct core_recovered *out;
	core_progress_cb progress;
	void *parg;
	char *input;			/* the recovery key or passphrase typed */
	char *key_id;
	uint8_t key[CRYPTO_SECRET_KEY_LEN];
	size_t asked;			/* the secret being asked for */
	char *secrets[RECOVER_N];	/* in clear, wiped when done */
	struct mx_backup backup;
	size_t next;			/* the backup session to decrypt next */
};

static void
recover_free(void *data)
{
	struct recover *r = data;

	core_wipe(&r->input);
	free(r->key_id);
	OPENSSL_cleanse(r->key, sizeof r->key);
	for (size_t i = 0; i < RECOVER_N; i++)
		core_wipe(&r->secrets[i]);
	mx_backup_clear(&r->backup);
	free(r);
}

static const char *
recover_secret(const struct recover *r, const char *name)
{
	for (size_t i = 0; i < RECOVER_N; i++)
		if (strcmp(recover_names[i], name) == 0)
			return r->secrets[i];
	return NULL;
}

static void
recover_note(struct recover *r, const char *fmt, const char *arg)
{
	char *note = xasprintf(fmt, arg);

	log_msg("crypto: recover: %s", note);
	if (r->out->note == NULL)
		r->out->note = note;
	else
		free(note);
}

/* 1 when res is the server saying there is no such thing. */
static int
recover_missing(const struct mx_result *res)
{
	return res->status == 404 && core_errcode_is(res, "M_NOT_FOUND");
}

static void recover_ask_secret(struct core_op *op);
static int core_device_upload_signature(struct core_op *op, const char *ssk, mx_cb cb);
static void recover_backup_ask(struct core_op *op);
static void recover_finish(struct core_op *op);

/* The storage key from what the user typed: a recovery key when it reads
 * as one, else the passphrase the key's description allows. */
static int
recover_derive(struct recover *r, const cJSON *desc, char **cause)
{
	const cJSON *pp = cJSON_GetObjectItemCaseSensitive(desc, "passphrase");
	const cJSON *iter = cJSON_GetObjectItemCaseSensitive(pp, "iterations");
	const cJSON *bits = cJSON_GetObjectItemCaseSensitive(pp, "bits");
	const char *alg = core_json_text(pp, "algorithm"), *salt = core_json_text(pp, "salt");
	char *why = NULL;

	if (crypto_recovery_decode(r->input, r->key, &why) == 0) {
		free(why);
		return 0;
	}
	if (pp == NULL || alg == NULL || strcmp(alg, "m.pbkdf2") != 0 || salt == NULL ||
	    !cJSON_IsNumber(iter) || (bits != NULL && !cJSON_IsNumber(bits))) {
		cause_set(cause, "%s (and this account's secret storage has no passphrase)",
		    why);
		free(why);
		return -1;
	}
	free(why);
	if (iter->valuedouble < 1 || iter->valuedouble > 1e9 ||
	    (bits != NULL && (bits->valuedouble < 0 || bits->valuedouble > 1e6)))
		return cause_set(cause, "the secret storage asks for a passphrase derivation "
		    "natter does not do");
	r->out->opened_by_passphrase = 1;
	return crypto_ssss_from_passphrase(r->input, salt, (uint32_t)iter->valuedouble,
	    bits != NULL ? (uint32_t)bits->valuedouble : 0, r->key, cause);
}

/* m.secret_storage.key.ID: the key's algorithm, how a passphrase makes
 * it, and the check that tells a wrong key from a right one. */
static void
recover_key_desc(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct recover *r = op->data;
	const char *alg, *iv, *mac;
	char *why = NULL;
	int fits;

	if (core_op_refused(op, res))
		return;
	alg = core_json_text(res->json, "algorithm");
	if (alg == NULL || strcmp(alg, "m.secret_storage.v1.aes-hmac-sha2") != 0) {
		core_op_fail(op, "the account's secret storage uses an algorithm natter does "
		    "not know");
		return;
	}
	if (recover_derive(r, res->json, &why) == -1) {
		core_op_fail(op, why);
		free(why);
		return;
	}
	core_wipe(&r->input);
	iv = core_json_text(res->json, "iv");
	mac = core_json_text(res->json, "mac");
	if (iv != NULL && mac != NULL) {
		if ((fits = crypto_ssss_check_matches(r->key, iv, mac, &why)) == -1) {
			core_op_fail(op, why);
			free(why);
			return;
		}
		if (!fits) {
			core_op_fail(op, r->out->opened_by_passphrase ?
			    "that is not the passphrase of this account's secret storage" :
			    "that is not the recovery key of this account's secret storage "
			    "(was it reset since?)");
			return;
		}
	}
	r->asked = 0;
	recover_ask_secret(op);
}

static void
recover_default_key(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct recover *r = op->data;
	const char *id;
	char *type, *setup;

	if (recover_missing(res)) {
		op->call = NULL;
		setup = core_command(op->c, "crypto setup");
		type = xasprintf("this account has no secret storage: set up recovery in "
		    "Element, or with `%s`", setup);
		core_op_fail(op, type);
		free(type);
		free(setup);
		return;
	}
	if (core_op_refused(op, res))
		return;
	if ((id = core_json_text(res->json, "key")) == NULL || id[0] == '\0') {
		core_op_fail(op, "the account's secret storage names no key");
		return;
	}
	r->key_id = xstrdup(id);
	type = xasprintf("m.secret_storage.key.%s", id);
	op->call = mx_account_data_get(op->c->mx, type, 0, recover_key_desc, op, NULL);
	free(type);
	if (op->call == NULL)
		core_op_fail(op, "the account's secret storage names a key natter cannot ask for");
}

/* One secret's account data: {encrypted: {KEY_ID: {iv, ciphertext, mac}}}. */
static void
recover_got_secret(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct recover *r = op->data;
	const char *name = recover_names[r->asked];
	const cJSON *box;
	struct crypto_ssss_box b;
	char *why = NULL;

	if (recover_missing(res))
		op->call = NULL;
	else if (core_op_refused(op, res))
		return;
	else {
		box = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res->json,
		    "encrypted"), r->key_id);
		b.iv = (char *)core_json_text(box, "iv");
		b.ciphertext = (char *)core_json_text(box, "ciphertext");
		b.mac = (char *)core_json_text(box, "mac");
		if (b.iv == NULL || b.ciphertext == NULL || b.mac == NULL)
			recover_note(r, "%s is not stored under the account's current secret "
			    "storage key", name);
		else if (crypto_ssss_decrypt(r->key, name, &b, &r->secrets[r->asked], &why) ==
		    -1) {
			recover_note(r, "%s", why);
			free(why);
		}
	}
	r->asked++;
	recover_ask_secret(op);
}

static void recover_published(struct mx_result *res, void *arg);

static void
recover_ask_secret(struct core_op *op)
{
	struct recover *r = op->data;
	const char *users[1];

	if (r->asked < RECOVER_N) {
		op->call = mx_account_data_get(op->c->mx, recover_names[r->asked], 0,
		    recover_got_secret, op, NULL);
		if (op->call == NULL)
			core_op_fail(op, "cannot ask for a secret");
		return;
	}
	users[0] = op->c->session.user_id;
	op->call = mx_keys_query(op->c->mx, users, 1, 0, recover_published, op, NULL);
	if (op->call == NULL)
		core_op_fail(op, "cannot ask for this account's keys");
}

/* 1 when seed (a secret) is the private half of pub. */
static int
recover_matches(const char *seed, const char *pub)
{
	char *have = seed != NULL && pub != NULL ? crypto_cross_public(seed, NULL) : NULL;
	int same = have != NULL && strcmp(have, pub) == 0;

	free(have);
	return same;
}

int
core_secret_keep(struct core *c, const char *name, const char *secret, char **cause)
{
	char *sealed = crypto_secret_seal(name, secret, c->pickle_key);
	int rc = store_crypto_secret_put(c->store, name, sealed, cause);

	free(sealed);
	return rc;
}

/* Keeps the cross-signing keys when they are the account's published
 * ones; 1 kept, 0 not (a note says why), -1 on a database error. */
static int
recover_cross_keep(struct core_op *op, const struct mx_keys *keys, char **cause)
{
	struct recover *r = op->data;
	struct core *c = op->c;
	const struct mx_cross_signing *x = NULL;
	const char *master = recover_secret(r, CORE_SECRET_MASTER);
	const char *ssk = recover_secret(r, CORE_SECRET_SELF_SIGNING);
	const char *usk = recover_secret(r, CORE_SECRET_USER_SIGNING);

	for (size_t i = 0; i < keys->n_users && x == NULL; i++)
		if (strcmp(keys->users[i].user_id, c->session.user_id) == 0)
			x = &keys->users[i];
	if (master == NULL || ssk == NULL) {
		recover_note(r, "%s", r->out->from_device ? "the other device sent no "
		    "cross-signing keys: this device stays unsigned" : "the secret storage holds "
		    "no cross-signing keys: this device stays unsigned");
		return 0;
	}
	if (x == NULL || !recover_matches(master, x->master) ||
	    !recover_matches(ssk, x->self_signing)) {
		recover_note(r, "%s", "the cross-signing keys in secret storage are not the "
		    "account's current ones (they were reset elsewhere): this device stays "
		    "unsigned");
		return 0;
	}
	/* The user holds the master key: it is theirs, whatever natter saw. */
	if (core_secret_keep(c, CORE_SECRET_MASTER, master, cause) == -1 ||
	    core_secret_keep(c, CORE_SECRET_SELF_SIGNING, ssk, cause) == -1 ||
	    (usk != NULL && core_secret_keep(c, CORE_SECRET_USER_SIGNING, usk, cause) == -1) ||
	    store_crypto_master_put(c->store, c->session.user_id, x->master, cause) == -1)
		return -1;
	r->out->cross_signing = 1;
	r->out->master = xstrdup(x->master);
	return 1;
}

static void
recover_signed(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct recover *r = op->data;
	char *why = NULL;

	if (core_op_refused(op, res))
		return;
	if (core_device_signed(res, &why))
		r->out->device_signed = 1;
	else {
		recover_note(r, "the homeserver did not take this device's signature: %s", why);
		free(why);
	}
	recover_backup_ask(op);
}

int
core_device_signed(const struct mx_result *res, char **why)
{
	const cJSON *failures = cJSON_GetObjectItemCaseSensitive(res->json, "failures"), *f;
	const char *error = NULL;

	if (!cJSON_IsObject(failures) || failures->child == NULL)
		return 1;
	/* {user: {device: {errcode, error}}} */
	for (f = failures->child; cJSON_IsObject(f) && f->child != NULL; f = f->child)
		if ((error = core_json_text(f, "error")) != NULL)
			break;
	cause_set(why, "%s", error != NULL ? error : "no reason given");
	return 0;
}

/* A signature that waits for this device's keys to be on the server. */
struct sign_wait {
	struct core_op *op;
	char *ssk;
	mx_cb cb;
};

static void
core_device_sign_later(void *arg, int status, const char *result)
{
	struct sign_wait *w = arg;

	(void)result;
	/* Cancelled: so is the op that waited. */
	if (status == CORE_DONE)
		core_device_sign(w->op, w->ssk, w->cb);
	else if (status != CORE_CANCELLED)
		core_op_fail(w->op, "this device's keys are not on the server to be signed");
	core_wipe(&w->ssk);
	free(w);
}

/* Signs this device's keys with the self-signing key ssk and uploads the
 * signature: other clients then take it as its owner's. A device new
 * enough that its keys are still on their way waits for them. */
int
core_device_sign(struct core_op *op, const char *ssk, mx_cb cb)
{
	struct core *c = op->c;
	struct sign_wait *w;

	core_crypto_publish(c);
	if (c->upload_call != NULL) {
		w = xcalloc(1, sizeof *w);
		w->op = op;
		w->ssk = xstrdup(ssk);
		w->cb = cb;
		return core_crypto_published(c, core_device_sign_later, w);
	}
	return core_device_upload_signature(op, ssk, cb);
}

static int
core_device_upload_signature(struct core_op *op, const char *ssk, mx_cb cb)
{
	struct core *c = op->c;
	cJSON *dk = core_crypto_device_keys(c), *body;
	char *json;

	core_cross_sign_obj(c, dk, ssk);
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(cJSON_AddObjectToObject(body, c->session.user_id),
	    c->session.device_id, dk);
	json = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	op->call = mx_keys_signatures_upload(c->mx, json, 0, cb, op, NULL);
	cJSON_free(json);
	if (op->call == NULL) {
		core_op_fail(op, "cannot upload this device's signature");
		return -1;
	}
	return 0;
}

static void
recover_published(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct mx_keys keys;
	char *why = NULL;
	int kept;

	if (core_keys_answered(op, res, &keys) == -1)
		return;
	kept = recover_cross_keep(op, &keys, &why);
	mx_keys_clear(&keys);
	if (kept == -1) {
		core_op_fail(op, why);
		free(why);
	} else if (kept == 1)
		core_device_sign(op, recover_secret(op->data, CORE_SECRET_SELF_SIGNING),
		    recover_signed);
	else
		recover_backup_ask(op);
}

/* The backup's sessions, a slice at a time so that the loop (and a
 * progress line) goes on between. */
static void
recover_slice(void *arg)
{
	struct core_op *op = arg;
	struct recover *r = op->data;
	struct core *c = op->c;
	const char *backup = recover_secret(r, CORE_SECRET_BACKUP);
	uint8_t priv[CRYPTO_SECRET_KEY_LEN];
	size_t end = r->next + RECOVER_SLICE < r->backup.n ? r->next + RECOVER_SLICE :
	    r->backup.n;
	char *why = NULL;

	op->timer = 0;
	if (core_backup_key(backup, priv, &why) == -1 ||
	    store_batch_begin(c->store, &why) == -1) {
		OPENSSL_cleanse(priv, sizeof priv);
		core_op_fail(op, why);
		free(why);
		return;
	}
	for (; r->next < end; r->next++) {
		if (core_backup_restore_one(c, priv, &r->backup.sessions[r->next],
		    &r->out->keys, &why) == -1) {
			store_batch_abort(c->store);
			OPENSSL_cleanse(priv, sizeof priv);
			core_op_fail(op, why);
			free(why);
			return;
		}
	}
	OPENSSL_cleanse(priv, sizeof priv);
	if (store_batch_commit(c->store, &why) == -1) {
		core_op_fail(op, why);
		free(why);
		return;
	}
	if (r->progress != NULL)
		r->progress(r->next, r->backup.n, r->parg);
	if (r->next < r->backup.n)
		op->timer = loop_timer_add(c->loop, 0, recover_slice, op);
	else
		recover_finish(op);
}

static void
recover_backup_keys(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct recover *r = op->data;
	char *why = NULL;

	if (core_op_refused(op, res))
		return;
	if (mx_backup_parse(res->raw, res->raw_len, &r->backup, &why) == -1) {
		core_op_fail(op, why);
		free(why);
		return;
	}
	r->out->keys_total = r->backup.n;
	r->out->keys.refused = r->backup.n_skipped;
	if (r->backup.n_skipped > 0)
		r->out->keys.why = "the server's copy of a key is malformed";
	r->next = 0;
	recover_slice(op);
}

static void
recover_backup_version(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct recover *r = op->data;
	const char *backup = recover_secret(r, CORE_SECRET_BACKUP);
	struct mx_backup_version v;
	char *why = NULL;
	int fits;

	if (recover_missing(res)) {
		op->call = NULL;
		recover_note(r, "%s", "the account has a backup key but no key backup");
		recover_finish(op);
		return;
	}
	if (core_op_refused(op, res))
		return;
	if (mx_backup_version_parse(res->raw, res->raw_len, &v, &why) == -1) {
		core_op_fail(op, why);
		free(why);
		return;
	}
	if ((fits = core_backup_fits(backup, &v, &why)) != 1) {
		recover_note(r, "%s", why != NULL ? why : "the key backup is not the one whose "
		    "key is in secret storage: no room keys restored");
		free(why);
		mx_backup_version_clear(&v);
		recover_finish(op);
		return;
	}
	if (core_secret_keep(op->c, CORE_SECRET_BACKUP, backup, &why) == -1 ||
	    core_backup_use(op->c, v.version, &why) == -1) {
		mx_backup_version_clear(&v);
		core_op_fail(op, why);
		free(why);
		return;
	}
	r->out->backup_version = xstrdup(v.version);
	op->call = mx_backup_keys_get(op->c->mx, v.version, 0, recover_backup_keys, op, NULL);
	mx_backup_version_clear(&v);
	if (op->call == NULL)
		core_op_fail(op, "cannot ask for the key backup");
}

static void
recover_backup_ask(struct core_op *op)
{
	struct recover *r = op->data;

	if (recover_secret(r, CORE_SECRET_BACKUP) == NULL) {
		recover_finish(op);
		return;
	}
	op->call = mx_backup_version(op->c->mx, 0, recover_backup_version, op, NULL);
	if (op->call == NULL)
		core_op_fail(op, "cannot ask for the key backup");
}

static void
recover_finish(struct core_op *op)
{
	struct recover *r = op->data;

	log_msg("crypto: recovered: cross-signing %s, device %s, backup %s: %zu of %zu room "
	    "keys new, %zu known, %zu refused", r->out->cross_signing ? "kept" : "not kept",
	    r->out->device_signed ? "signed" : "unsigned", r->out->backup_version != NULL ?
	    r->out->backup_version : "none", r->out->keys.imported, r->out->keys_total,
	    r->out->keys.known, r->out->keys.refused);
	/* What waited for these keys is read now, in slices, like late keys;
	 * the op ends when that is over. */
	if (r->out->keys.imported > 0)
		core_megolm_drain_start(op->c);
	op->idle_wait = 1;
	if (op->c->n_background == 0)
		core_op_later(op, CORE_DONE, NULL);
}

int
core_recover(struct core *c, const char *secret, struct core_recovered *out,
    core_progress_cb progress, void *parg, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op;
	struct recover *r;

	memset(out, 0, sizeof *out);
	if (c->acct == NULL)
		return cause_set(cause, "this profile has no encryption keys: log in first");
	if (secret[strspn(secret, " \t")] == '\0')
		return cause_set(cause, "no recovery key or passphrase given");
	op = core_op_new(c, done, arg, "cannot recover the account's keys");
	r = xcalloc(1, sizeof *r);
	r->out = out;
	r->progress = progress;
	r->parg = parg;
	r->input = xstrdup(secret);
	op->data = r;
	op->free_data = recover_free;
	op->call = mx_account_data_get(c->mx, "m.secret_storage.default_key", 0,
	    recover_default_key, op, cause);
	return core_op_started(op, cause);
}

int
core_recover_from(struct core *c, char *const secrets[CORE_N_SECRETS],
    struct core_recovered *out, core_done_cb done, void *arg, char **cause)
{
	struct core_op *op;
	struct recover *r;

	memset(out, 0, sizeof *out);
	out->from_device = 1;
	op = core_op_new(c, done, arg, "cannot take in the account's keys");
	r = xcalloc(1, sizeof *r);
	r->out = out;
	for (size_t i = 0; i < RECOVER_N; i++)
		r->secrets[i] = secrets[i] != NULL ? xstrdup(secrets[i]) : NULL;
	op->data = r;
	op->free_data = recover_free;
	/* As if every secret had been read from secret storage. */
	r->asked = RECOVER_N;
	recover_ask_secret(op);
	return core_op_started(op, cause);
}

void
core_recovered_clear(struct core_recovered *r)
{
	free(r->master);
	free(r->backup_version);
	free(r->note);
	memset(r, 0, sizeof *r);
}
