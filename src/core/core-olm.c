/* Olm: to-device messages between this device and one other. Incoming
 * ones are decrypted with a session the sender's key already has or, for
 * a pre-key message, a new one; every check the spec asks for is made
 * before a room key is believed. Outgoing ones are encrypted with the
 * newest session to the device, made from a claimed one-time key when
 * there is none. */
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

#define CORE_OLM_ALGORITHM "m.olm.v1.curve25519-aes-sha2"
#define CORE_UNWEDGE_MS (3600LL * 1000)	/* the spec's once an hour a device */

static int
core_olm_save(struct core *c, const struct crypto_olm *s, const char *their_key, char **cause)
{
	char *pickle = crypto_olm_pickle(s, c->pickle_key);
	int rc = store_olm_put(c->store, crypto_olm_id(s), their_key, pickle, nt_now_ms(), cause);

	OPENSSL_cleanse(pickle, strlen(pickle));
	free(pickle);
	return rc;
}

/* Tries the sessions the sender's key has; 1 with *plain when one
 * decrypts it, 0 when none does, -1 on a database error. */
static int
core_olm_known(struct core *c, const char *their_key, const struct mx_olm_ciphertext *oc,
    uint8_t **plain, size_t *len, char **cause)
{
	struct store_olm *list;
	size_t n;
	int rc = 0;

	if (store_olm_sessions(c->store, their_key, &list, &n, cause) == -1)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct crypto_olm *s = crypto_olm_unpickle(list[i].pickle, c->pickle_key, NULL);

		if (s == NULL)
			continue;
		/* A pre-key message for another session must not reach this one. */
		if ((oc->type != CRYPTO_OLM_PREKEY || crypto_olm_matches(s, their_key, oc->body)) &&
		    crypto_olm_decrypt(s, oc->type, oc->body, plain, len, NULL) == 0)
			rc = core_olm_save(c, s, their_key, cause) == -1 ? -1 : 1;
		crypto_olm_free(&s);
	}
	store_olm_free(&list, n);
	return rc;
}

/* A new inbound session from a pre-key message: the one-time key it used
 * leaves the account, which is saved with the session. */
static int
core_olm_new(struct core *c, const char *their_key, const struct mx_olm_ciphertext *oc,
    uint8_t **plain, size_t *len, char **cause)
{
	struct crypto_olm *s;
	char *why = NULL;
	int rc = -1;

	if (oc->type != CRYPTO_OLM_PREKEY)
		return cause_set(cause, "no Olm session decrypts it (the sender may need to start "
		    "a new one)");
	if ((s = crypto_olm_inbound(c->acct, their_key, oc->body, &why)) == NULL) {
		cause_set(cause, "a new Olm session cannot start: %s", why);
		free(why);
		return -1;
	}
	if (crypto_olm_decrypt(s, oc->type, oc->body, plain, len, &why) == -1)
		cause_set(cause, "cannot decrypt: %s", why);
	else if (core_olm_save(c, s, their_key, cause) == 0 &&
	    core_crypto_save_account(c, cause) == 0)
		rc = 0;
	free(why);
	crypto_olm_free(&s);
	return rc;
}

/* The spec's checks of a decrypted payload (crypto_olm_payload_check):
 * sent to us, from who the event says, with the keys its device has, as
 * natter knows them or as the payload proves them. */
static int
core_olm_payload_ok(struct core *c, const struct mx_to_device *td, const uint8_t *plain,
    size_t len, char **cause)
{
	struct crypto_olm_origin o = {td->sender, td->sender_key, NULL, c->session.user_id};
	struct store_device d;
	char *ed = NULL;
	int known, rc;

	if ((known = store_device_by_key(c->store, td->sender_key, &d, cause)) == -1)
		return -1;
	if (known == 1 && strcmp(d.user_id, td->sender) != 0) {
		store_device_clear(&d);
		return cause_set(cause, "the sender's key belongs to another user's device");
	}
	if (known == 1)
		o.device_ed25519 = d.ed25519;
	rc = crypto_olm_payload_check(c->acct, (const char *)plain, len, &o, &ed, cause);
	free(ed);
	if (known == 1)
		store_device_clear(&d);
	return rc;
}

/* A room key: the Megolm session it starts, kept for the messages it
 * decrypts (now, or already waiting). */
static int
core_olm_room_key(struct core *c, const struct mx_to_device *td,
    const struct mx_olm_payload *p, char **cause)
{
	struct crypto_megolm_in *in;
	struct store_megolm_in row = {0};
	char *why = NULL;
	int rc;

	if (strcmp(p->algorithm, CORE_MEGOLM_ALGORITHM) != 0)
		return 0;
	if ((in = crypto_megolm_in_new(p->session_key, &why)) == NULL) {
		log_msg("crypto: a room key from %s cannot be used: %s", td->sender, why);
		free(why);
		return 0;
	}
	if (strcmp(crypto_megolm_in_id(in), p->session_id) != 0) {
		log_msg("crypto: a room key from %s names another session", td->sender);
		crypto_megolm_in_free(&in);
		return 0;
	}
	row.room_id = p->room_id;
	row.sender_ed25519 = p->sender_ed25519;
	row.first_index = crypto_megolm_in_first_index(in);
	row.pickle = crypto_megolm_in_pickle(in, c->pickle_key);
	rc = store_megolm_in_put(c->store, p->session_id, td->sender_key, &row, cause);
	if (rc == 0)
		c->drain_due = 1;
	log_msg("crypto: a room key for %s from %s", p->room_id, td->sender);
	free(row.pickle);
	crypto_megolm_in_free(&in);
	return rc;
}

/* The sender's session is wedged: a new one is due after this sync,
 * unless one was made in the last hour. */
static void
core_olm_wedged(struct core *c, const struct mx_to_device *td)
{
	struct core_wedged *w = NULL;

	for (size_t i = 0; i < c->n_wedged && w == NULL; i++)
		if (strcmp(c->wedged[i].sender_key, td->sender_key) == 0)
			w = &c->wedged[i];
	if (w == NULL) {
		c->wedged = xreallocarray(c->wedged, c->n_wedged + 1, sizeof *c->wedged);
		w = &c->wedged[c->n_wedged++];
		w->sender = xstrdup(td->sender);
		w->sender_key = xstrdup(td->sender_key);
		w->last_ms = 0;
		w->due = 0;
	}
	if (w->last_ms == 0 || nt_now_ms() - w->last_ms >= CORE_UNWEDGE_MS)
		w->due = 1;
}

void
core_olm_unwedge(struct core *c)
{
	for (size_t i = 0; i < c->n_wedged; i++) {
		struct core_wedged *w = &c->wedged[i];
		struct store_device *d;
		char *cause = NULL;
		int r;

		if (!w->due)
			continue;
		w->due = 0;
		w->last_ms = nt_now_ms();
		d = xcalloc(1, sizeof *d);
		if ((r = store_device_by_key(c->store, w->sender_key, d, &cause)) != 1 ||
		    strcmp(d->user_id, w->sender) != 0) {
			log_msg("crypto: no new Olm session to %s: %s", w->sender,
			    r == -1 ? cause : "its device is not known");
			store_devices_free(&d, 1);
			free(cause);
			continue;
		}
		log_msg("crypto: a new Olm session to %s of %s (the old one is wedged)",
		    d->device_id, d->user_id);
		if (core_todev_send(c, d, 1, "m.dummy", cJSON_CreateObject(), 1, NULL, NULL, NULL,
		    &cause) == -1) {
			log_msg("crypto: %s", cause);
			free(cause);
		}
	}
}

void
core_olm_wedged_free(struct core *c)
{
	for (size_t i = 0; i < c->n_wedged; i++) {
		free(c->wedged[i].sender);
		free(c->wedged[i].sender_key);
	}
	xfree(&c->wedged);
	c->n_wedged = 0;
}

/* One to-device m.room.encrypted: decrypted and acted on. A message that
 * cannot be read is logged and skipped (its sender gets a new session);
 * only a database error fails. */
int
core_olm_receive(struct core *c, const struct mx_to_device *td, char **cause)
{
	const char *mine = crypto_account_curve25519(c->acct);
	const struct mx_olm_ciphertext *oc = NULL;
	struct mx_olm_payload p = {0};
	uint8_t *plain = NULL;
	size_t len = 0;
	char *why = NULL;
	int rc;

	for (size_t i = 0; i < td->n_ciphertexts; i++)
		if (strcmp(td->ciphertexts[i].recipient_key, mine) == 0)
			oc = &td->ciphertexts[i];
	if (oc == NULL || td->sender_key == NULL)
		return 0;
	if ((rc = core_olm_known(c, td->sender_key, oc, &plain, &len, cause)) == -1)
		return -1;
	if (rc == 0 && core_olm_new(c, td->sender_key, oc, &plain, &len, &why) == -1) {
		log_msg("crypto: an Olm message from %s: %s", td->sender, why);
		core_olm_wedged(c, td);
		free(why);
		return 0;
	}
	rc = 0;
	if (core_olm_payload_ok(c, td, plain, len, &why) == -1 ||
	    mx_olm_payload_parse((const char *)plain, len, &p, &why) == -1)
		log_msg("crypto: an Olm message from %s refused: %s", td->sender, why);
	else if (strcmp(p.type, "m.room_key") == 0)
		rc = core_olm_room_key(c, td, &p, cause);
	else if (strcmp(p.type, "m.forwarded_room_key") == 0)
		rc = core_keys_forwarded(c, td, &p, cause);
	else if (strcmp(p.type, "m.secret.send") == 0)
		core_secret_received(c, td, &p);
	else
		core_verify_heard(c, td->sender, p.type, p.content);
	if (p.type != NULL)
		mx_olm_payload_clear(&p);
	OPENSSL_cleanse(plain, len);
	free(plain);
	free(why);
	return rc;
}

/* The newest session to a device, or NULL: *s filled. */
static int
core_olm_outbound(struct core *c, const char *their_key, struct crypto_olm **s, char **cause)
{
	struct store_olm *list;
	size_t n;

	*s = NULL;
	if (store_olm_sessions(c->store, their_key, &list, &n, cause) == -1)
		return -1;
	if (n > 0)
		*s = crypto_olm_unpickle(list[0].pickle, c->pickle_key, NULL);
	store_olm_free(&list, n);
	return 0;
}

int
core_olm_has_session(struct core *c, const char *their_key, char **cause)
{
	struct crypto_olm *s;

	if (core_olm_outbound(c, their_key, &s, cause) == -1)
		return -1;
	crypto_olm_free(&s);
	return s != NULL;
}

int
core_olm_start(struct core *c, const struct mx_claimed_key *k, const struct store_device *d,
    char **cause)
{
	struct crypto_olm *s;
	int rc;

	if (!core_crypto_verify(k->json, d->ed25519, k->signature))
		return cause_set(cause, "%s's one-time key is not signed by its device",
		    d->device_id);
	if ((s = crypto_olm_outbound(c->acct, d->curve25519, k->key, cause)) == NULL)
		return -1;
	rc = core_olm_save(c, s, d->curve25519, cause);
	crypto_olm_free(&s);
	return rc;
}

/* The to-device content carrying type and content to device d:
 * {algorithm, sender_key, ciphertext: {their_key: {type, body}}}. NULL
 * (with a cause) when there is no session to it. */
cJSON *
core_olm_encrypt(struct core *c, const struct store_device *d, const char *type,
    cJSON *content, char **cause)
{
	struct crypto_olm *s;
	cJSON *payload = cJSON_CreateObject(), *out = NULL, *ct, *one;
	char *text, *body = NULL;
	int msg_type;

	if (core_olm_outbound(c, d->curve25519, &s, cause) == -1 || s == NULL) {
		if (s == NULL && cause != NULL && *cause == NULL)
			cause_set(cause, "no Olm session to %s", d->device_id);
		cJSON_Delete(payload);
		return NULL;
	}
	cJSON_AddStringToObject(payload, "type", type);
	cJSON_AddItemReferenceToObject(payload, "content", content);
	cJSON_AddStringToObject(payload, "sender", c->session.user_id);
	cJSON_AddStringToObject(payload, "sender_device", c->session.device_id);
	cJSON_AddStringToObject(payload, "recipient", d->user_id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(payload, "recipient_keys"), "ed25519",
	    d->ed25519);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(payload, "keys"), "ed25519",
	    crypto_account_ed25519(c->acct));
	text = cJSON_PrintUnformatted(payload);
	if (crypto_olm_encrypt(s, (const uint8_t *)text, strlen(text), &msg_type, &body) == 0 &&
	    core_olm_save(c, s, d->curve25519, cause) == 0) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "algorithm", CORE_OLM_ALGORITHM);
		cJSON_AddStringToObject(out, "sender_key", crypto_account_curve25519(c->acct));
		ct = cJSON_AddObjectToObject(out, "ciphertext");
		one = cJSON_AddObjectToObject(ct, d->curve25519);
		cJSON_AddNumberToObject(one, "type", msg_type);
		cJSON_AddStringToObject(one, "body", body);
	}
	OPENSSL_cleanse(text, strlen(text));
	cJSON_free(text);
	free(body);
	cJSON_Delete(payload);
	crypto_olm_free(&s);
	return out;
}

/* The senders of a sync's Olm messages whose sending device natter does
 * not know: their device lists are asked for before the messages are
 * read, or the keys they bring could not be checked. */
int
core_olm_unknown_senders(struct core *c, const struct mx_sync *sync, char ***users, size_t *n,
    char **cause)
{
	for (size_t i = 0; i < sync->n_to_device; i++) {
		const struct mx_to_device *td = &sync->to_device[i];
		struct store_device d;
		int known, listed = 0;

		if (td->sender_key == NULL || td->n_ciphertexts == 0)
			continue;
		if ((known = store_device_by_key(c->store, td->sender_key, &d, cause)) == -1)
			return -1;
		store_device_clear(&d);
		for (size_t j = 0; j < *n; j++)
			listed |= strcmp((*users)[j], td->sender) == 0;
		if (known == 1 || listed)
			continue;
		*users = xreallocarray(*users, *n + 1, sizeof **users);
		(*users)[(*n)++] = xstrdup(td->sender);
	}
	return 0;
}
