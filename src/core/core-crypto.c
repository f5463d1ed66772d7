/* This device's end-to-end encryption identity: the key that seals the
 * crypto state in the cache (a 0600 file beside the session), the Olm
 * account, its keys published to the server and kept topped up, and the
 * device lists of the people natter shares encrypted rooms with. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/event.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_OTK_TARGET 50	/* one-time keys natter keeps on the server */

static char *
core_crypto_key_path(const struct core *c)
{
	return xasprintf("%s/crypto-key", c->paths.data_dir);
}

/* Reads the sealing key, or makes one: a new file, 0600 from the start. */
static int
core_crypto_key(struct core *c, char **cause)
{
	char *path = core_crypto_key_path(c), *data, *why = NULL;
	size_t len;
	mode_t old;
	int fd, rc = 0;

	if ((data = nt_read_file(path, &len, &why)) != NULL) {
		if (len != CRYPTO_PICKLE_KEY_LEN)
			rc = cause_set(cause, "%s is damaged: log out and in again", path);
		else
			memcpy(c->pickle_key, data, len);
		OPENSSL_cleanse(data, len);
		free(data);
	} else if (access(path, F_OK) == 0) {
		rc = cause_set(cause, "%s", why);
	} else {
		crypto_random(c->pickle_key, sizeof c->pickle_key);
		old = umask(077);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		umask(old);
		if (fd == -1 || write(fd, c->pickle_key, sizeof c->pickle_key) !=
		    (ssize_t)sizeof c->pickle_key || fsync(fd) == -1)
			rc = cause_set(cause, "cannot write %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
	}
	free(why);
	free(path);
	return rc;
}

int
core_crypto_save_account(struct core *c, char **cause)
{
	char *pickle = crypto_account_pickle(c->acct, c->pickle_key);
	int rc = store_crypto_account_put(c->store, pickle, cause);

	free(pickle);
	return rc;
}

/* The keys in the cache belong to the device the profile logged in with
 * last: another device (a new login) starts afresh. */
static int
core_crypto_same_device(struct core *c, char **cause)
{
	char *device = store_meta_get(c->store, "crypto_device");
	int rc = 0;

	if (device != NULL && strcmp(device, c->session.device_id) != 0) {
		log_msg("crypto: device %s replaces %s: the old keys go", c->session.device_id,
		    device);
		rc = store_crypto_forget(c->store, cause);
	}
	if (rc == 0 && (device == NULL || strcmp(device, c->session.device_id) != 0))
		rc = store_meta_set(c->store, "crypto_device", c->session.device_id, cause);
	free(device);
	return rc;
}

int
core_crypto_open(struct core *c, char **cause)
{
	char *pickle, *why = NULL;

	if (!c->logged_in || c->session.device_id == NULL)
		return 0;
	if (core_crypto_key(c, cause) == -1 || core_crypto_same_device(c, cause) == -1)
		return -1;
	if ((pickle = store_crypto_account(c->store, &why)) == NULL && why != NULL) {
		cause_set(cause, "%s", why);
		free(why);
		return -1;
	}
	if (pickle != NULL) {
		c->acct = crypto_account_unpickle(pickle, c->pickle_key, cause);
		free(pickle);
		return c->acct != NULL ? 0 : -1;
	}
	c->acct = crypto_account_new();
	log_msg("crypto: a new identity for device %s", c->session.device_id);
	return core_crypto_save_account(c, cause);
}

void
core_crypto_close(struct core *c)
{
	mx_call_cancel(&c->upload_call);
	crypto_account_free(&c->acct);
	OPENSSL_cleanse(c->pickle_key, sizeof c->pickle_key);
}

int
core_crypto_forget(struct core *c, char **cause)
{
	char *path = core_crypto_key_path(c);
	int rc = store_crypto_forget(c->store, cause);

	if (rc == 0 && unlink(path) == -1 && errno != ENOENT)
		rc = cause_set(cause, "cannot remove %s: %s", path, strerror(errno));
	free(path);
	crypto_account_free(&c->acct);
	return rc;
}

/* Adds the account's signature of obj (its canonical JSON without
 * signatures and unsigned) under signatures.USER.ed25519:DEVICE. */
void
core_crypto_sign(struct core *c, cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj), *canon, *sig, *key;
	cJSON *sigs, *mine;

	canon = text != NULL ? crypto_signable_json(text, strlen(text), NULL) : NULL;
	if (canon == NULL)
		abort();	/* JSON natter built itself is always canonical-able */
	sig = crypto_account_sign(c->acct, (const uint8_t *)canon, strlen(canon));
	if ((sigs = cJSON_GetObjectItemCaseSensitive(obj, "signatures")) == NULL)
		sigs = cJSON_AddObjectToObject(obj, "signatures");
	if ((mine = cJSON_GetObjectItemCaseSensitive(sigs, c->session.user_id)) == NULL)
		mine = cJSON_AddObjectToObject(sigs, c->session.user_id);
	key = xasprintf("ed25519:%s", c->session.device_id);
	cJSON_AddStringToObject(mine, key, sig);
	free(key);
	free(sig);
	free(canon);
	cJSON_free(text);
}

/* 1 when json (an object as received) carries a valid signature sig by
 * the Ed25519 key ed25519. */
int
core_crypto_verify(const char *json, const char *ed25519, const char *sig)
{
	char *canon = crypto_signable_json(json, strlen(json), NULL);
	int ok = canon != NULL && sig != NULL &&
	    crypto_ed25519_verify(ed25519, (const uint8_t *)canon, strlen(canon), sig, NULL) == 1;

	free(canon);
	return ok;
}

cJSON *
core_crypto_device_keys(struct core *c)
{
	cJSON *dk = cJSON_CreateObject(), *alg, *keys;
	char *ck = xasprintf("curve25519:%s", c->session.device_id);
	char *ek = xasprintf("ed25519:%s", c->session.device_id);

	cJSON_AddStringToObject(dk, "user_id", c->session.user_id);
	cJSON_AddStringToObject(dk, "device_id", c->session.device_id);
	alg = cJSON_AddArrayToObject(dk, "algorithms");
	cJSON_AddItemToArray(alg, cJSON_CreateString("m.olm.v1.curve25519-aes-sha2"));
	cJSON_AddItemToArray(alg, cJSON_CreateString("m.megolm.v1.aes-sha2"));
	keys = cJSON_AddObjectToObject(dk, "keys");
	cJSON_AddStringToObject(keys, ck, crypto_account_curve25519(c->acct));
	cJSON_AddStringToObject(keys, ek, crypto_account_ed25519(c->acct));
	core_crypto_sign(c, dk);
	free(ck);
	free(ek);
	return dk;
}

/* {"signed_curve25519:ID": {"key": K, ["fallback": true,] signatures}} */
static void
core_crypto_add_key(struct core *c, cJSON *map, const struct crypto_otk *k, int fallback)
{
	char *id = xasprintf("signed_curve25519:%s", k->id);
	cJSON *o = cJSON_AddObjectToObject(map, id);

	cJSON_AddStringToObject(o, "key", k->key);
	if (fallback)
		cJSON_AddTrueToObject(o, "fallback");
	core_crypto_sign(c, o);
	free(id);
}

/* The body of keys/upload: the device keys until published, and the keys
 * not published yet. NULL when there is nothing to send. */
static char *
core_crypto_upload_body(struct core *c)
{
	cJSON *body = cJSON_CreateObject();
	struct crypto_otk *otks, fb;
	size_t n = crypto_account_unpublished_otks(c->acct, &otks);
	int has_fb = crypto_account_unpublished_fallback(c->acct, &fb), any = 0;
	char *text;

	if (!c->keys_published) {
		cJSON_AddItemToObject(body, "device_keys", core_crypto_device_keys(c));
		any = 1;
	}
	if (n > 0) {
		cJSON *map = cJSON_AddObjectToObject(body, "one_time_keys");

		for (size_t i = 0; i < n; i++)
			core_crypto_add_key(c, map, &otks[i], 0);
		any = 1;
	}
	if (has_fb) {
		core_crypto_add_key(c, cJSON_AddObjectToObject(body, "fallback_keys"), &fb, 1);
		free(fb.id);
		free(fb.key);
		any = 1;
	}
	crypto_otks_free(&otks, n);
	text = any ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	return text;
}

/* Ends the ops that wait for the keys to be published. */
static void
core_crypto_tell_published(struct core *c, int status, const char *why)
{
	struct core_op *op, *next;

	for (op = LIST_FIRST(&c->ops); op != NULL; op = next) {
		next = LIST_NEXT(op, entry);
		if (op->publish_wait) {
			core_op_end(op, status, why);
			next = LIST_FIRST(&c->ops);
		}
	}
}

int
core_crypto_published(struct core *c, core_done_cb done, void *arg)
{
	struct core_op *op = core_op_new(c, done, arg, "cannot publish this device's keys");

	op->publish_wait = 1;
	if (c->upload_call == NULL)
		core_op_later(op, CORE_DONE, NULL);
	return 0;
}

static void
core_crypto_uploaded(struct mx_result *res, void *arg)
{
	struct core *c = arg;
	const cJSON *counts;
	char *cause = NULL;

	c->upload_call = NULL;
	if (!res->ok) {
		log_msg("crypto: cannot publish this device's keys: %s", res->error);
		core_crypto_tell_published(c, CORE_FAILED, res->error);
		return;
	}
	crypto_account_mark_published(c->acct);
	c->keys_published = 1;
	counts = cJSON_GetObjectItemCaseSensitive(res->json, "one_time_key_counts");
	counts = cJSON_GetObjectItemCaseSensitive(counts, "signed_curve25519");
	if (cJSON_IsNumber(counts))
		c->otk_count = (int64_t)counts->valuedouble;
	if (core_crypto_save_account(c, &cause) == -1 ||
	    store_meta_set(c->store, "crypto_published", c->session.device_id, &cause) == -1)
		log_msg("crypto: %s", cause);
	free(cause);
	log_msg("crypto: keys published; %lld one-time keys on the server",
	    (long long)c->otk_count);
	core_crypto_tell_published(c, CORE_DONE, NULL);
}

void
core_crypto_publish(struct core *c)
{
	char *body, *cause = NULL, *done;

	if (c->acct == NULL || c->upload_call != NULL)
		return;
	if (!c->keys_published) {
		done = store_meta_get(c->store, "crypto_published");
		c->keys_published = done != NULL && strcmp(done, c->session.device_id) == 0;
		free(done);
	}
	/* A new device starts with none on the server, whatever a sync said. */
	if (!c->keys_published && c->otk_count < 0)
		c->otk_count = 0;
	if (c->otk_count >= 0 && c->otk_count < CORE_OTK_TARGET)
		crypto_account_generate_otks(c->acct, (size_t)(CORE_OTK_TARGET - c->otk_count));
	if (c->fallback_unused == 0)
		crypto_account_generate_fallback(c->acct);
	if ((body = core_crypto_upload_body(c)) == NULL)
		return;
	/* Keys made are kept before anyone can use them. */
	if (core_crypto_save_account(c, &cause) == 0)
		c->upload_call = mx_keys_upload(c->mx, body, 0, core_crypto_uploaded, c, &cause);
	if (c->upload_call == NULL)
		log_msg("crypto: cannot publish keys: %s", cause);
	c->fallback_unused = -1;
	free(cause);
	free(body);
}

/* A sync's news for encryption: whose devices changed, and how many of
 * our one-time keys are left. */
int
core_crypto_lists(struct core *c, const struct mx_sync *sync, char **cause)
{
	for (size_t i = 0; i < sync->n_devices_changed; i++)
		if (store_crypto_track(c->store, sync->devices_changed[i], 1, cause) == -1)
			return -1;
	for (size_t i = 0; i < sync->n_devices_left; i++)
		if (store_crypto_untrack(c->store, sync->devices_left[i], cause) == -1)
			return -1;
	if (sync->otk_count >= 0)
		c->otk_count = sync->otk_count;
	if (sync->fallback_unused >= 0)
		c->fallback_unused = sync->fallback_unused;
	return 0;
}

/* Whether the server of user_id did not answer (its devices are then
 * asked for again later, not dropped). */
static int
core_crypto_unanswered(const struct mx_keys *keys, const char *user_id)
{
	const char *server = strchr(user_id, ':');

	for (size_t i = 0; server != NULL && i < keys->n_failures; i++)
		if (strcmp(keys->failures[i], server + 1) == 0)
			return 1;
	return 0;
}

/* A device from /keys/query, kept only when it signed its own keys. */
static int
core_crypto_device_ok(const struct mx_device *d)
{
	return core_crypto_verify(d->json, d->ed25519, d->signature);
}

static int
core_crypto_is_self(const struct core *c, const struct mx_device *d)
{
	return c->acct != NULL && c->session.device_id != NULL &&
	    strcmp(d->user_id, c->session.user_id) == 0 &&
	    strcmp(d->device_id, c->session.device_id) == 0 &&
	    strcmp(d->curve25519, crypto_account_curve25519(c->acct)) == 0 &&
	    strcmp(d->ed25519, crypto_account_ed25519(c->acct)) == 0;
}

/* The self-signing key of user_id when natter believes it: signed by the
 * user's master key, which is the one natter saw first for that user (a
 * new one is kept the first time, and never believed after). NULL when
 * there is none to believe; -1 in *rc on a database error. */
static const char *
core_crypto_ssk(struct core *c, const struct mx_keys *keys, const char *user_id, int *rc,
    char **cause)
{
	const struct mx_cross_signing *x = NULL;
	char *pinned;
	int ok;

	for (size_t i = 0; i < keys->n_users && x == NULL; i++)
		if (strcmp(keys->users[i].user_id, user_id) == 0)
			x = &keys->users[i];
	if (x == NULL)
		return NULL;
	if ((pinned = store_crypto_master(c->store, user_id, cause)) == NULL) {
		if (cause != NULL && *cause != NULL) {
			*rc = -1;
			return NULL;
		}
		if (store_crypto_master_put(c->store, user_id, x->master, cause) == -1) {
			*rc = -1;
			return NULL;
		}
		pinned = xstrdup(x->master);
	}
	ok = strcmp(pinned, x->master) == 0;
	if (store_crypto_master_seen(c->store, user_id, x->master, cause) == -1) {
		free(pinned);
		*rc = -1;
		return NULL;
	}
	if (!ok)
		log_msg("crypto: the master key of %s changed: its devices are not taken as "
		    "verified by their owner", user_id);
	free(pinned);
	if (ok && !core_crypto_verify(x->json, x->master, x->master_signature)) {
		log_msg("crypto: the self-signing key of %s is not signed by its master key",
		    user_id);
		ok = 0;
	}
	return ok ? x->self_signing : NULL;
}

int
core_crypto_devices_store(struct core *c, const char *json, size_t len,
    const char *const *users, size_t n_users, char **cause)
{
	struct mx_keys keys;
	int rc = 0;

	if (mx_keys_query_parse(json, len, &keys, cause) == -1)
		return -1;
	for (size_t u = 0; u < n_users && rc == 0; u++) {
		struct store_device *list;
		const char *ssk;
		size_t n = 0;

		if (core_crypto_unanswered(&keys, users[u]))
			continue;
		if ((ssk = core_crypto_ssk(c, &keys, users[u], &rc, cause)) == NULL && rc == -1)
			break;
		list = xcalloc(keys.n + 1, sizeof *list);
		for (size_t i = 0; i < keys.n; i++) {
			const struct mx_device *d = &keys.devices[i];

			if (strcmp(d->user_id, users[u]) != 0)
				continue;
			if (!core_crypto_device_ok(d)) {
				log_msg("crypto: %s's device %s is not signed by itself: left out",
				    d->user_id, d->device_id);
				continue;
			}
			/* This device, with the keys it has, needs no one's word. */
			list[n++] = (struct store_device){d->user_id, d->device_id, d->curve25519,
			    d->ed25519, d->display_name, core_crypto_is_self(c, d) ?
			    STORE_TRUST_VERIFIED : STORE_TRUST_UNVERIFIED, ssk != NULL &&
			    core_crypto_verify(d->json, ssk, d->ssk_signature), 0, 0};
		}
		rc = store_devices_put(c->store, users[u], list, n, cause);
		for (size_t i = 0; i < keys.n && rc == 0; i++)
			if (core_crypto_is_self(c, &keys.devices[i]))
				rc = store_device_trust(c->store, c->session.user_id,
				    c->session.device_id, STORE_TRUST_VERIFIED, cause);
		free(list);
	}
	mx_keys_clear(&keys);
	return rc;
}

/* core_devices: one user's device list, asked for and kept. */
static void
core_devices_answer(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	const char *user = op->user_id;
	char *why = NULL;

	if (core_op_refused(op, res))
		return;
	if (core_crypto_devices_store(op->c, res->raw, res->raw_len, &user, 1, &why) == -1)
		core_op_fail(op, why);
	else
		core_op_end(op, CORE_DONE, op->user_id);
	free(why);
}

int
core_trust(struct core *c, const char *user_id, const char *device_id, int trust,
    const char *ed25519, char **cause)
{
	struct store_device d;
	struct buf typed = {0};
	int r;

	if ((r = store_device_get(c->store, user_id, device_id, &d, cause)) != 1)
		return r == 0 ? cause_set(cause, "%s has no device %s with encryption keys",
		    user_id, device_id) : -1;
	if (trust == STORE_TRUST_VERIFIED) {
		for (const char *p = ed25519 != NULL ? ed25519 : ""; *p != '\0'; p++)
			if (*p != ' ')
				buf_putc(&typed, *p);
		if (typed.len == 0 || strcmp(typed.data, d.ed25519) != 0) {
			char *devices = core_command(c, "devices");

			r = cause_set(cause, "the key given is not the key of %s's device %s: "
			    "nothing changed (compare the fingerprint `%s %s` shows with the one "
			    "on the device)", user_id, device_id, devices, user_id);
			free(devices);
			buf_free(&typed);
			store_device_clear(&d);
			return r;
		}
	}
	buf_free(&typed);
	store_device_clear(&d);
	if (store_device_trust(c->store, user_id, device_id, trust, cause) == -1)
		return -1;
	log_msg("crypto: %s of %s is now %s", device_id, user_id,
	    trust == STORE_TRUST_VERIFIED ? "verified" : trust == STORE_TRUST_BLOCKED ? "blocked" :
	    "unverified");
	return 0;
}

int
core_accept_identity(struct core *c, const char *user_id, char **cause)
{
	int r = store_crypto_master_accept(c->store, user_id, cause);

	if (r == 1)
		log_msg("crypto: the new identity of %s accepted", user_id);
	return r;
}

int
core_devices(struct core *c, const char *user_id, core_done_cb done, void *arg, char **cause)
{
	char *what = xasprintf("cannot ask for the devices of %s", user_id);
	struct core_op *op = core_op_new(c, done, arg, what);
	const char *users[] = {user_id};

	free(what);
	op->user_id = xstrdup(user_id);
	op->call = mx_keys_query(c->mx, users, 1, 0, core_devices_answer, op, cause);
	return core_op_started(op, cause);
}
