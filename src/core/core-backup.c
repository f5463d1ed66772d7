/* The server-side key backup (m.megolm_backup.v1.curve25519-aes-sha2):
 * room keys restored from it after recovery (core-recover.c), and new
 * room keys sent to it as they come, so that the user's other and later
 * devices read this one's history.
 *
 * The backup's private key is a secret of the account (from secret
 * storage); natter keeps it sealed, and the version it backs up to in the
 * cache's meta. Sending needs only the public key, derived each time. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

#define BACKUP_META STORE_META_BACKUP
#define BACKUP_PASS 100		/* room keys a request sends */

int
core_backup_key(const char *secret, uint8_t priv[CRYPTO_SECRET_KEY_LEN], char **cause)
{
	uint8_t *raw = NULL;
	size_t n = 0;

	if (secret == NULL || crypto_b64_decode(secret, &raw, &n, NULL) == -1 ||
	    n != CRYPTO_SECRET_KEY_LEN) {
		if (raw != NULL)
			OPENSSL_cleanse(raw, n);
		free(raw);
		return cause_set(cause, "the key backup's key in secret storage is malformed");
	}
	memcpy(priv, raw, CRYPTO_SECRET_KEY_LEN);
	OPENSSL_cleanse(raw, n);
	free(raw);
	return 0;
}

int
core_backup_fits(const char *secret, const struct mx_backup_version *v, char **cause)
{
	uint8_t priv[CRYPTO_SECRET_KEY_LEN];
	char *pub;
	int fits;

	if (strcmp(v->algorithm, CORE_BACKUP_ALGORITHM) != 0) {
		cause_set(cause, "the key backup uses %s, which natter does not know: no room "
		    "keys restored", v->algorithm);
		return 0;
	}
	if (core_backup_key(secret, priv, cause) == -1)
		return 0;
	pub = crypto_backup_public(priv);
	OPENSSL_cleanse(priv, sizeof priv);
	fits = v->public_key != NULL && strcmp(pub, v->public_key) == 0;
	free(pub);
	if (!fits)
		cause_set(cause, "the key backup (version %s) is not the one whose key is in "
		    "secret storage: no room keys restored", v->version);
	return fits;
}

int
core_backup_use(struct core *c, const char *version, char **cause)
{
	char *was = store_meta_get(c->store, BACKUP_META);
	int same = was != NULL && strcmp(was, version) == 0;

	free(was);
	if (same)
		return 0;
	if (store_megolm_backup_reset(c->store, cause) == -1)
		return -1;
	return store_meta_set(c->store, BACKUP_META, version, cause);
}

int
core_backup_restore_one(struct core *c, const uint8_t priv[CRYPTO_SECRET_KEY_LEN],
    const struct mx_backup_session *s, struct core_import *n, char **cause)
{
	struct crypto_backup_box box = {s->ephemeral, s->ciphertext, s->mac};
	const char *why = NULL;
	char *plain = NULL, *err = NULL;
	size_t len;
	cJSON *e;
	int r;

	if (crypto_backup_decrypt(priv, &box, &plain, &len, &err) == -1) {
		log_msg("crypto: a key of the backup (%s): %s", s->session_id, err);
		free(err);
		n->refused++;
		n->why = "a key in the backup does not open with the backup's key";
		return 0;
	}
	e = cJSON_ParseWithLength(plain, len);
	OPENSSL_cleanse(plain, len);
	free(plain);
	if (!cJSON_IsObject(e)) {
		cJSON_Delete(e);
		n->refused++;
		n->why = "a key in the backup is not a room key";
		return 0;
	}
	/* The room and session are the backup's, not the sender's to say. */
	cJSON_DeleteItemFromObjectCaseSensitive(e, "room_id");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "session_id");
	cJSON_AddStringToObject(e, "room_id", s->room_id);
	cJSON_AddStringToObject(e, "session_id", s->session_id);
	r = core_megolm_import(c, e, 1, &why, cause);
	cJSON_Delete(e);
	if (r == -1)
		return -1;
	if (r == -2) {
		log_msg("crypto: a key of the backup (%s) refused: %s", s->session_id, why);
		n->refused++;
		n->why = why;
	} else
		*(r == 1 ? &n->imported : &n->known) += 1;
	return 0;
}

/* What goes with a session to the backup: the session's data encrypted
 * for the backup's public key, and what the server sorts by. */
static cJSON *
core_backup_entry(struct core *c, const struct store_megolm_key *k, const char *pub,
    char **cause)
{
	struct crypto_backup_box box = {0};
	cJSON *e, *data;
	char *plain;
	int rc;

	if ((e = core_megolm_entry(c, k, cause)) == NULL)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(e, "room_id");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "session_id");
	plain = cJSON_PrintUnformatted(e);
	cJSON_Delete(e);
	rc = crypto_backup_encrypt(pub, plain, strlen(plain), &box, cause);
	OPENSSL_cleanse(plain, strlen(plain));
	cJSON_free(plain);
	if (rc == -1)
		return NULL;
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "first_message_index", (double)k->in.first_index);
	cJSON_AddNumberToObject(e, "forwarded_count", k->in.forwarded ? 1 : 0);
	cJSON_AddBoolToObject(e, "is_verified", !k->in.forwarded &&
	    k->in.sender_ed25519 != NULL);
	data = cJSON_AddObjectToObject(e, "session_data");
	cJSON_AddStringToObject(data, "ephemeral", box.ephemeral);
	cJSON_AddStringToObject(data, "ciphertext", box.ciphertext);
	cJSON_AddStringToObject(data, "mac", box.mac);
	crypto_backup_box_clear(&box);
	return e;
}

struct backup_pass {
	struct store_megolm_key *keys;
	size_t n;
};

static void
core_backup_pass_free(void *data)
{
	struct backup_pass *p = data;

	store_megolm_keys_free(&p->keys, p->n);
	free(p);
}

static void
core_backup_sent(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct backup_pass *p = op->data;
	struct core *c = op->c;
	char *cause = NULL;

	/* A new backup replaced natter's (reset in another client, which
	 * deletes the old one): its key is not one natter has, so it stops
	 * until `natter recover` again. */
	if (!res->ok && (core_errcode_is(res, "M_WRONG_ROOM_KEYS_VERSION") ||
	    (res->status == 404 && core_errcode_is(res, "M_NOT_FOUND")))) {
		log_msg("crypto: the key backup natter sent to was replaced: no more room keys "
		    "go there until `natter recover`");
		if (store_meta_unset(c->store, BACKUP_META, &cause) == -1) {
			log_msg("crypto: %s", cause);
			free(cause);
		}
	}
	if (core_op_refused(op, res))
		return;
	for (size_t i = 0; i < p->n; i++)
		if (store_megolm_backed(c->store, p->keys[i].session_id, p->keys[i].sender_key,
		    p->keys[i].in.pickle, &cause) == -1) {
			core_op_fail(op, cause);
			free(cause);
			return;
		}
	log_msg("crypto: %zu room keys backed up", p->n);
	/* A full pass leaves more to send. */
	c->backup_more = p->n == BACKUP_PASS;
	core_op_end(op, CORE_DONE, NULL);
}

static void
core_backup_done(void *arg, int status, const char *result)
{
	struct core *c = arg;

	(void)result;
	c->backing_up = 0;
	if (status == CORE_DONE && c->backup_more)
		core_backup_upload(c);
}

/* The public key of the backup natter sends to, from the backup's key
 * natter keeps; NULL (logged) when it cannot be had. */
static char *
core_backup_public_key(struct core *c)
{
	uint8_t priv[CRYPTO_SECRET_KEY_LEN];
	char *secret = core_secret_get(c, CORE_SECRET_BACKUP), *pub = NULL, *cause = NULL;

	if (secret != NULL && core_backup_key(secret, priv, &cause) == 0) {
		pub = crypto_backup_public(priv);
		OPENSSL_cleanse(priv, sizeof priv);
	}
	if (pub == NULL)
		log_msg("crypto: no key backup: %s", cause != NULL ? cause : "no key");
	core_wipe(&secret);
	free(cause);
	return pub;
}

void
core_backup_upload(struct core *c)
{
	struct backup_pass *p;
	struct core_op *op;
	cJSON *body, *rooms;
	char *version, *pub = NULL, *json, *cause = NULL;

	if (c->backing_up || c->acct == NULL ||
	    (version = store_meta_get(c->store, BACKUP_META)) == NULL)
		return;
	/* The key is opened only when there is something to send (after
	 * most syncs there is not). */
	p = xcalloc(1, sizeof *p);
	if (store_megolm_unbacked(c->store, BACKUP_PASS, &p->keys, &p->n, &cause) == -1 ||
	    p->n == 0 || (pub = core_backup_public_key(c)) == NULL) {
		if (cause != NULL)
			log_msg("crypto: %s", cause);
		free(cause);
		core_backup_pass_free(p);
		free(version);
		return;
	}
	body = cJSON_CreateObject();
	rooms = cJSON_AddObjectToObject(body, "rooms");
	for (size_t i = 0; i < p->n; i++) {
		const struct store_megolm_key *k = &p->keys[i];
		cJSON *room = cJSON_GetObjectItemCaseSensitive(rooms, k->in.room_id), *e;

		if ((e = core_backup_entry(c, k, pub, &cause)) == NULL) {
			log_msg("crypto: a room key not backed up: %s", cause);
			xfree(&cause);
			continue;
		}
		if (room == NULL)
			room = cJSON_AddObjectToObject(cJSON_AddObjectToObject(rooms,
			    k->in.room_id), "sessions");
		else
			room = cJSON_GetObjectItemCaseSensitive(room, "sessions");
		cJSON_AddItemToObject(room, k->session_id, e);
	}
	json = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	op = core_op_new(c, core_backup_done, c, "cannot back up room keys");
	op->data = p;
	op->free_data = core_backup_pass_free;
	core_op_background(op);
	c->backing_up = 1;
	op->call = mx_backup_keys_put(c->mx, version, json, 0, core_backup_sent, op, &cause);
	OPENSSL_cleanse(json, strlen(json));
	cJSON_free(json);
	free(version);
	free(pub);
	if (core_op_started(op, &cause) == -1) {
		c->backing_up = 0;
		log_msg("crypto: %s", cause);
		free(cause);
	}
}
