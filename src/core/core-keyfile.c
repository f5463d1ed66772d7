/* Room keys in and out of a file of the format Element uses ("Export E2E
 * room keys"), so that history moves between natter and other clients. A
 * file is a JSON array of sessions, each exported at the first message
 * index natter can read, sealed with a passphrase (crypto_keyfile_*).
 *
 * Imported keys count as forwarded ones: they say nothing about who sent
 * a message, only let it be read. A key never replaces one natter has
 * unless it reaches further back and is the same session (the two agree
 * at the later index), so a file cannot take history away. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

cJSON *
core_megolm_entry(struct core *c, const struct store_megolm_key *k, char **cause)
{
	struct crypto_megolm_in *in;
	cJSON *e, *claimed;
	char *key;

	if ((in = crypto_megolm_in_unpickle(k->in.pickle, c->pickle_key, cause)) == NULL)
		return NULL;
	key = crypto_megolm_in_export(in, (uint32_t)k->in.first_index, cause);
	crypto_megolm_in_free(&in);
	if (key == NULL)
		return NULL;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "algorithm", CORE_MEGOLM_ALGORITHM);
	cJSON_AddArrayToObject(e, "forwarding_curve25519_key_chain");
	cJSON_AddStringToObject(e, "room_id", k->in.room_id);
	cJSON_AddStringToObject(e, "sender_key", k->sender_key);
	claimed = cJSON_AddObjectToObject(e, "sender_claimed_keys");
	if (k->in.sender_ed25519 != NULL)
		cJSON_AddStringToObject(claimed, "ed25519", k->in.sender_ed25519);
	cJSON_AddStringToObject(e, "session_id", k->session_id);
	cJSON_AddStringToObject(e, "session_key", key);
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	return e;
}

int
core_keyfile_export(struct core *c, const char *passphrase, char **file, size_t *n,
    char **cause)
{
	struct store_megolm_key *keys;
	cJSON *all;
	char *json;
	size_t count = 0;

	*file = NULL;
	*n = 0;
	if (c->acct == NULL)
		return cause_set(cause, "this profile has no encryption keys: log in first");
	if (passphrase[0] == '\0')
		return cause_set(cause, "an empty passphrase would leave the keys unprotected");
	if (store_megolm_in_all(c->store, &keys, &count, cause) == -1)
		return -1;
	all = cJSON_CreateArray();
	for (size_t i = 0; i < count; i++) {
		char *why = NULL;
		cJSON *e = core_megolm_entry(c, &keys[i], &why);

		if (e == NULL) {
			log_msg("crypto: a room key left out of the file: %s", why);
			free(why);
		} else {
			cJSON_AddItemToArray(all, e);
			(*n)++;
		}
	}
	store_megolm_keys_free(&keys, count);
	json = cJSON_PrintUnformatted(all);
	cJSON_Delete(all);
	*file = crypto_keyfile_seal((const uint8_t *)json, strlen(json), passphrase,
	    CRYPTO_KEYFILE_ROUNDS);
	OPENSSL_cleanse(json, strlen(json));
	free(json);
	return 0;
}

/* 1 when other (natter's key) is the same session as in, read at
 * other's first index; 0 when they differ. */
static int
core_keyfile_same(struct core *c, struct crypto_megolm_in *in,
    const struct store_megolm_in *other, char **cause)
{
	struct crypto_megolm_in *have;
	char *a, *b;
	int same;

	if ((have = crypto_megolm_in_unpickle(other->pickle, c->pickle_key, cause)) == NULL)
		return -1;
	a = crypto_megolm_in_export(have, (uint32_t)other->first_index, cause);
	b = crypto_megolm_in_export(in, (uint32_t)other->first_index, cause);
	same = a != NULL && b != NULL && strcmp(a, b) == 0;
	crypto_megolm_in_free(&have);
	if (a != NULL)
		OPENSSL_cleanse(a, strlen(a));
	if (b != NULL)
		OPENSSL_cleanse(b, strlen(b));
	free(a);
	free(b);
	return same;
}

int
core_megolm_import(struct core *c, const cJSON *e, int backed_up, const char **why,
    char **cause)
{
	const char *alg = core_json_text(e, "algorithm"), *room = core_json_text(e, "room_id");
	const char *sender_key = core_json_text(e, "sender_key");
	const char *sid = core_json_text(e, "session_id");
	const char *skey = core_json_text(e, "session_key");
	const char *ed = core_json_text(cJSON_GetObjectItemCaseSensitive(e,
	    "sender_claimed_keys"), "ed25519");
	struct store_megolm_in have = {0}, row = {0};
	struct crypto_megolm_in *in = NULL;
	char *err = NULL;
	int r;

	if (!cJSON_IsObject(e) || room == NULL || sender_key == NULL || sid == NULL ||
	    skey == NULL)
		return *why = "a session lacks its room, sender key, id or key", -2;
	if (alg == NULL || strcmp(alg, CORE_MEGOLM_ALGORITHM) != 0)
		return *why = "a session is not Megolm", -2;
	if ((in = crypto_megolm_in_import(skey, &err)) == NULL) {
		log_msg("crypto: a room key in the file: %s", err);
		free(err);
		return *why = "a session key cannot be read", -2;
	}
	if (strcmp(crypto_megolm_in_id(in), sid) != 0) {
		crypto_megolm_in_free(&in);
		return *why = "a session key is not the session it names", -2;
	}
	if ((r = store_megolm_in(c->store, sid, sender_key, &have, cause)) == 1) {
		if (strcmp(have.room_id, room) != 0)
			r = -2, *why = "a session belongs to another room than natter's copy";
		else if (have.first_index <= crypto_megolm_in_first_index(in))
			r = 0;
		else if ((r = core_keyfile_same(c, in, &have, cause)) == 0)
			r = -2, *why = "a session differs from natter's copy of it";
		store_megolm_in_clear(&have);
		if (r != 1) {
			crypto_megolm_in_free(&in);
			return r;
		}
	} else if (r == -1) {
		crypto_megolm_in_free(&in);
		return -1;
	}
	row.room_id = (char *)room;
	row.sender_ed25519 = (char *)ed;
	row.first_index = crypto_megolm_in_first_index(in);
	row.pickle = crypto_megolm_in_pickle(in, c->pickle_key);
	row.forwarded = 1;
	r = store_megolm_in_put(c->store, sid, sender_key, &row, cause);
	if (r == 0 && backed_up)
		r = store_megolm_backed(c->store, sid, sender_key, row.pickle, cause);
	OPENSSL_cleanse(row.pickle, strlen(row.pickle));
	free(row.pickle);
	crypto_megolm_in_free(&in);
	return r == 0 ? 1 : -1;
}

static int
core_keyfile_import_all(struct core *c, const cJSON *all, struct core_import *n, char **cause)
{
	const cJSON *e;

	if (store_batch_begin(c->store, cause) == -1)
		return -1;
	cJSON_ArrayForEach(e, all) {
		const char *why = NULL;
		int r = core_megolm_import(c, e, 0, &why, cause);

		if (r == -1) {
			store_batch_abort(c->store);
			return -1;
		}
		if (r == -2) {
			log_msg("crypto: a room key in the file refused: %s", why);
			n->refused++;
			n->why = why;
		} else
			*(r == 1 ? &n->imported : &n->known) += 1;
	}
	return store_batch_commit(c->store, cause);
}

int
core_keyfile_import(struct core *c, const char *file, size_t len, const char *passphrase,
    struct core_import *n, core_done_cb done, void *arg, char **cause)
{
	uint8_t *plain;
	size_t plain_len;
	cJSON *all;
	int rc;

	memset(n, 0, sizeof *n);
	if (c->acct == NULL)
		return cause_set(cause, "this profile has no encryption keys: log in first");
	if (crypto_keyfile_open(file, len, passphrase, &plain, &plain_len, cause) == -1)
		return -1;
	all = cJSON_ParseWithLength((const char *)plain, plain_len);
	OPENSSL_cleanse(plain, plain_len);
	free(plain);
	if (!cJSON_IsArray(all)) {
		cJSON_Delete(all);
		return cause_set(cause, "the room key file opened, but does not hold a list of keys");
	}
	rc = core_keyfile_import_all(c, all, n, cause);
	cJSON_Delete(all);
	if (rc == -1)
		return -1;
	log_msg("crypto: %zu room keys imported, %zu known, %zu refused", n->imported, n->known,
	    n->refused);
	/* What waited for these keys is read now, in slices, like late keys. */
	if (n->imported > 0)
		core_megolm_drain_start(c);
	core_idle(c, done, arg);
	return 0;
}
