/* Interactive verification of another device with short authentication
 * strings (the spec's m.sas.v1 over to-device messages): both users see
 * the same emoji (or numbers) on their two screens exactly when no one
 * sits between the devices, and say so; each side then proves its keys
 * with MACs under the secret the two agreed, and the devices are
 * verified.
 *
 * A verification is request -> ready -> start -> accept -> key (both
 * ways) -> the user compares -> mac (both ways) -> done (both ways), or
 * a cancel at any point, with a code. natter starts the SAS itself when
 * it asked; when it was asked, it waits for the other side to start.
 * The messages go in clear, as Element sends them, and are taken both in
 * clear and over Olm. Verifications live in memory: one cut by a restart
 * is started again.
 *
 * What a verification proves is acted on: the device is verified; with
 * cross-signing keys, another user's master key (when their side sent it
 * under the MAC) is signed with the user-signing key, and one's own other
 * device with the self-signing key. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/log.h"
#include "natter/util.h"
#include "core-private.h"

#define VERIFY_PREFIX "m.key.verification."
#define VERIFY_SAS "m.sas.v1"
#define VERIFY_KEY_AGREEMENT "curve25519-hkdf-sha256"
#define VERIFY_HASH "sha256"
#define VERIFY_MAC "hkdf-hmac-sha256.v2"

struct core_verify {
	char *txn;		/* in a room: the request's event id (NULL until sent) */
	char *room_id;		/* the room it goes in, or NULL: to-device */
	char *user_id;		/* the other side */
	char *device_id;	/* NULL until it answers a request sent to all */
	int incoming;		/* the other side asked */
	int we_start;		/* natter sends m.key.verification.start */
	enum core_verify_state state;
	struct crypto_sas *sas;
	char *start_content;	/* the start's content as sent or received */
	int we_started;		/* the start was ours: we are the SAS's starter */
	char *commitment;	/* the accepter's, when we started */
	int emoji_ok;		/* both sides show emoji (else only numbers) */
	int emoji[CRYPTO_SAS_EMOJI];
	int decimal[CRYPTO_SAS_DECIMAL];
	char *their_key;
	int confirmed;		/* the user said the strings match */
	char *their_mac;	/* their m.key.verification.mac content, kept until then */
	int macs_ok;		/* theirs held */
	int sent_done;
	int got_done;
	int secrets_asked;	/* the other device, one of the user's, was asked */
	char *code;		/* a cancel's */
	char *reason;
	TAILQ_ENTRY(core_verify) entry;
};

static void
verify_free(struct core_verify *v)
{
	free(v->txn);
	free(v->room_id);
	free(v->user_id);
	free(v->device_id);
	crypto_sas_free(&v->sas);
	free(v->start_content);
	free(v->commitment);
	free(v->their_key);
	free(v->their_mac);
	free(v->code);
	free(v->reason);
	free(v);
}

static void
verify_msg_clear(struct core_verify_msg *m)
{
	free(m->sender);
	free(m->type);
	free(m->content);
	free(m->room_id);
	free(m->txn);
}

void
core_verify_free_all(struct core *c)
{
	struct core_verify *v;

	while ((v = TAILQ_FIRST(&c->verifies)) != NULL) {
		TAILQ_REMOVE(&c->verifies, v, entry);
		verify_free(v);
	}
	for (size_t i = 0; i < c->n_verify_inbox; i++)
		verify_msg_clear(&c->verify_inbox[i]);
	xfree(&c->verify_inbox);
	c->n_verify_inbox = 0;
}

static struct core_verify *
verify_find(struct core *c, const char *txn)
{
	struct core_verify *v;

	TAILQ_FOREACH(v, &c->verifies, entry)
		if (v->txn != NULL && strcmp(v->txn, txn) == 0)
			return v;
	return NULL;
}

/* Tells the front end where v stands. */
static void
verify_tell(struct core *c, const struct core_verify *v)
{
	struct core_verify_info info = {
		.txn = v->txn,
		.user_id = v->user_id,
		.device_id = v->device_id,
		.incoming = v->incoming,
		.state = v->state,
		.emoji_ok = v->emoji_ok,
		.code = v->code,
		.reason = v->reason,
		.secrets_asked = v->secrets_asked,
	};

	memcpy(info.emoji, v->emoji, sizeof info.emoji);
	memcpy(info.decimal, v->decimal, sizeof info.decimal);
	if (c->ev.verify != NULL)
		c->ev.verify(c->ev_arg, &info);
}

/* Sends one verification message of type (without its prefix) to the
 * other device (all of them while it is not known); content is consumed
 * and gets the transaction id. */
/* Names the verification in a message of it: its transaction id
 * to-device; in a room, a reference to the request (once). */
static void
verify_address(const struct core_verify *v, cJSON *content)
{
	cJSON *rel;

	if (cJSON_HasObjectItem(content, "transaction_id") ||
	    cJSON_HasObjectItem(content, "m.relates_to"))
		return;
	if (v->room_id == NULL) {
		cJSON_AddStringToObject(content, "transaction_id", v->txn);
		return;
	}
	rel = cJSON_AddObjectToObject(content, "m.relates_to");
	cJSON_AddStringToObject(rel, "rel_type", "m.reference");
	cJSON_AddStringToObject(rel, "event_id", v->txn);
}

/* In a room, a verification message is an event of the room (encrypted
 * where the room is). */
static int
verify_send_room(struct core *c, struct core_verify *v, const char *type, cJSON *content,
    char **cause)
{
	char *full = xasprintf(VERIFY_PREFIX "%s", type), *text;
	int rc;

	verify_address(v, content);
	text = cJSON_PrintUnformatted(content);
	cJSON_Delete(content);
	rc = core_send(c, v->room_id, full, text, NULL, NULL, cause);
	log_msg("verify %s: sent %s in %s", v->txn, full, v->room_id);
	free(full);
	cJSON_free(text);
	return rc;
}

static int
verify_send(struct core *c, struct core_verify *v, const char *type, cJSON *content,
    char **cause)
{
	char *full;
	int rc;

	if (v->room_id != NULL)
		return verify_send_room(c, v, type, content, cause);
	full = xasprintf(VERIFY_PREFIX "%s", type);
	verify_address(v, content);
	rc = core_todev_clear(c, full, v->user_id, v->device_id != NULL ? v->device_id : "*",
	    content, "cannot send a verification message", cause);
	log_msg("verify %s: sent %s", v->txn, full);
	free(full);
	return rc;
}

/* Ends v with a cancel: sent to the other side when code is ours. */
static void
verify_cancel(struct core *c, struct core_verify *v, const char *code, const char *reason,
    int ours)
{
	cJSON *content;
	char *cause = NULL;

	if (v->state == CORE_VERIFY_DONE || v->state == CORE_VERIFY_CANCELLED)
		return;
	v->state = CORE_VERIFY_CANCELLED;
	v->code = xstrdup(code);
	v->reason = xstrdup(reason);
	log_msg("verify %s: cancelled by %s: %s (%s)", v->txn, ours ? "natter" : v->user_id,
	    code, reason);
	if (ours) {
		content = cJSON_CreateObject();
		cJSON_AddStringToObject(content, "code", code);
		cJSON_AddStringToObject(content, "reason", reason);
		if (verify_send(c, v, "cancel", content, &cause) == -1) {
			log_msg("verify %s: %s", v->txn, cause);
			free(cause);
		}
	}
	crypto_sas_free(&v->sas);
	verify_tell(c, v);
}

static int
verify_has(const cJSON *list, const char *want)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, list)
		if (cJSON_IsString(e) && strcmp(e->valuestring, want) == 0)
			return 1;
	return 0;
}

static void
verify_add_list(cJSON *o, const char *name, const char *a, const char *b)
{
	cJSON *l = cJSON_AddArrayToObject(o, name);

	cJSON_AddItemToArray(l, cJSON_CreateString(a));
	if (b != NULL)
		cJSON_AddItemToArray(l, cJSON_CreateString(b));
}

/* Our m.key.verification.start: the one SAS method natter speaks. */
static void
verify_start(struct core *c, struct core_verify *v)
{
	cJSON *content = cJSON_CreateObject();
	char *cause = NULL, *text;

	cJSON_AddStringToObject(content, "from_device", c->session.device_id);
	cJSON_AddStringToObject(content, "method", VERIFY_SAS);
	verify_add_list(content, "key_agreement_protocols", VERIFY_KEY_AGREEMENT, NULL);
	verify_add_list(content, "hashes", VERIFY_HASH, NULL);
	verify_add_list(content, "message_authentication_codes", VERIFY_MAC, NULL);
	verify_add_list(content, "short_authentication_string", "decimal", "emoji");
	/* The start as the other side will see it: the commitment is over it. */
	verify_address(v, content);
	text = cJSON_PrintUnformatted(content);
	free(v->start_content);
	v->start_content = xstrdup(text);
	cJSON_free(text);
	v->we_started = 1;
	v->sas = crypto_sas_new();
	if (verify_send(c, v, "start", content, &cause) == -1) {
		verify_cancel(c, v, "m.user", cause, 0);
		free(cause);
	}
}

/* The SAS once both keys are known: shown to the user. */
static void
verify_show(struct core *c, struct core_verify *v)
{
	struct crypto_sas_side us = {c->session.user_id, c->session.device_id,
	    crypto_sas_public(v->sas)};
	struct crypto_sas_side them = {v->user_id, v->device_id, v->their_key};
	uint8_t bytes[CRYPTO_SAS_BYTES];
	char *info, *cause = NULL;

	info = v->we_started ? crypto_sas_info(&us, &them, v->txn) :
	    crypto_sas_info(&them, &us, v->txn);
	if (crypto_sas_set_their_key(v->sas, v->their_key, &cause) == -1 ||
	    crypto_sas_bytes(v->sas, info, bytes, &cause) == -1) {
		verify_cancel(c, v, "m.key_mismatch", cause, 1);
		free(cause);
		free(info);
		return;
	}
	free(info);
	crypto_sas_emoji(bytes, v->emoji);
	crypto_sas_decimal(bytes, v->decimal);
	OPENSSL_cleanse(bytes, sizeof bytes);
	v->state = CORE_VERIFY_SAS;
	verify_tell(c, v);
}

static void
verify_send_key(struct core *c, struct core_verify *v)
{
	cJSON *content = cJSON_CreateObject();
	char *cause = NULL;

	cJSON_AddStringToObject(content, "key", crypto_sas_public(v->sas));
	if (verify_send(c, v, "key", content, &cause) == -1) {
		verify_cancel(c, v, "m.user", cause, 0);
		free(cause);
	}
}

/* Their start: natter accepts it, with its commitment. Of two starts
 * that crossed, the one from the lower user id (or device id, for one
 * user) goes on, as the spec says. */
static void
verify_on_start(struct core *c, struct core_verify *v, const cJSON *content, const char *json)
{
	const cJSON *sas = cJSON_GetObjectItemCaseSensitive(content,
	    "short_authentication_string");
	cJSON *accept;
	char *commitment, *cause = NULL;
	int cmp;

	if (v->we_started) {
		cmp = strcmp(c->session.user_id, v->user_id);
		if (cmp == 0)
			cmp = strcmp(c->session.device_id, v->device_id);
		if (cmp < 0)
			return;	/* ours goes on */
		crypto_sas_free(&v->sas);
		v->we_started = 0;
	}
	if (strcmp(core_json_text(content, "method") != NULL ? core_json_text(content, "method") :
	    "", VERIFY_SAS) != 0 ||
	    !verify_has(cJSON_GetObjectItemCaseSensitive(content, "key_agreement_protocols"),
	    VERIFY_KEY_AGREEMENT) ||
	    !verify_has(cJSON_GetObjectItemCaseSensitive(content, "hashes"), VERIFY_HASH) ||
	    !verify_has(cJSON_GetObjectItemCaseSensitive(content, "message_authentication_codes"),
	    VERIFY_MAC) || !verify_has(sas, "decimal")) {
		verify_cancel(c, v, "m.unknown_method", "natter verifies with m.sas.v1, "
		    VERIFY_KEY_AGREEMENT ", " VERIFY_MAC " and decimal or emoji only", 1);
		return;
	}
	v->emoji_ok = verify_has(sas, "emoji");
	free(v->start_content);
	v->start_content = xstrdup(json);
	v->sas = crypto_sas_new();
	if ((commitment = crypto_sas_commitment(crypto_sas_public(v->sas), json, strlen(json),
	    &cause)) == NULL) {
		verify_cancel(c, v, "m.unexpected_message", cause, 1);
		free(cause);
		return;
	}
	accept = cJSON_CreateObject();
	cJSON_AddStringToObject(accept, "method", VERIFY_SAS);
	cJSON_AddStringToObject(accept, "key_agreement_protocol", VERIFY_KEY_AGREEMENT);
	cJSON_AddStringToObject(accept, "hash", VERIFY_HASH);
	cJSON_AddStringToObject(accept, "message_authentication_code", VERIFY_MAC);
	verify_add_list(accept, "short_authentication_string", "decimal",
	    v->emoji_ok ? "emoji" : NULL);
	cJSON_AddStringToObject(accept, "commitment", commitment);
	free(commitment);
	v->state = CORE_VERIFY_STARTED;
	if (verify_send(c, v, "accept", accept, &cause) == -1) {
		verify_cancel(c, v, "m.user", cause, 0);
		free(cause);
	}
}

static void
verify_on_accept(struct core *c, struct core_verify *v, const cJSON *content)
{
	const char *commitment = core_json_text(content, "commitment");
	const cJSON *sas = cJSON_GetObjectItemCaseSensitive(content,
	    "short_authentication_string");

	if (!v->we_started || v->sas == NULL || commitment == NULL) {
		verify_cancel(c, v, "m.unexpected_message", "an accept natter did not ask for", 1);
		return;
	}
	if (strcmp(core_json_text(content, "key_agreement_protocol") != NULL ?
	    core_json_text(content, "key_agreement_protocol") : "", VERIFY_KEY_AGREEMENT) != 0 ||
	    strcmp(core_json_text(content, "message_authentication_code") != NULL ?
	    core_json_text(content, "message_authentication_code") : "", VERIFY_MAC) != 0 ||
	    !verify_has(sas, "decimal")) {
		verify_cancel(c, v, "m.unknown_method", "the accept chose a method natter did not "
		    "offer", 1);
		return;
	}
	v->emoji_ok = verify_has(sas, "emoji");
	v->commitment = xstrdup(commitment);
	v->state = CORE_VERIFY_STARTED;
	verify_send_key(c, v);
}

static void
verify_on_key(struct core *c, struct core_verify *v, const cJSON *content)
{
	const char *key = core_json_text(content, "key");
	char *commitment, *cause = NULL;

	if (v->sas == NULL || v->their_key != NULL || key == NULL ||
	    (v->we_started && v->commitment == NULL)) {
		verify_cancel(c, v, "m.unexpected_message", "a key natter did not wait for", 1);
		return;
	}
	if (v->we_started) {
		commitment = crypto_sas_commitment(key, v->start_content,
		    strlen(v->start_content), &cause);
		if (commitment == NULL || strcmp(commitment, v->commitment) != 0) {
			free(commitment);
			free(cause);
			verify_cancel(c, v, "m.mismatched_commitment", "the other side's key is "
			    "not the one it committed to", 1);
			return;
		}
		free(commitment);
	}
	v->their_key = xstrdup(key);
	if (!v->we_started)
		verify_send_key(c, v);
	verify_show(c, v);
}

/* Their device's Ed25519 key as natter knows it, or NULL. */
static char *
verify_device_key(struct core *c, struct core_verify *v)
{
	struct store_device d;
	char *key = NULL, *cause = NULL;

	if (store_device_get(c->store, v->user_id, v->device_id, &d, &cause) == 1) {
		key = xstrdup(d.ed25519);
		store_device_clear(&d);
	}
	free(cause);
	return key;
}

/* Checks their MACs: the key list's, then each key natter knows (their
 * device's key, and their master key as the server gives it). 1 when
 * their device key (at least) holds and nothing failed. */
static int
verify_check_macs(struct core *c, struct core_verify *v, char **master, const char **why)
{
	struct crypto_sas_side us = {c->session.user_id, c->session.device_id,
	    crypto_sas_public(v->sas)};
	struct crypto_sas_side them = {v->user_id, v->device_id, v->their_key};
	cJSON *content = cJSON_Parse(v->their_mac);
	const cJSON *macs = cJSON_GetObjectItemCaseSensitive(content, "mac"), *m;
	const char **ids;
	char *list, *info, *device_key = verify_device_key(c, v), *device_id;
	size_t n = 0;
	int ok = 1, device_ok = 0;

	*master = NULL;
	device_id = xasprintf("ed25519:%s", v->device_id);
	ids = xcalloc((size_t)cJSON_GetArraySize(macs) + 1, sizeof *ids);
	cJSON_ArrayForEach(m, macs)
		ids[n++] = m->string;
	list = crypto_sas_key_list(ids, n);
	info = crypto_sas_mac_info(&them, &us, v->txn, "KEY_IDS");
	if (!cJSON_IsObject(macs) || n == 0 || crypto_sas_mac_check(v->sas, list,
	    info, core_json_text(content, "keys"), NULL) != 1) {
		ok = 0;
		*why = "the MAC of the key list does not hold";
	}
	free(info);
	cJSON_ArrayForEach(m, macs) {
		const char *key = NULL;

		if (!ok || !cJSON_IsString(m))
			continue;
		if (strcmp(m->string, device_id) == 0)
			key = device_key;
		else if (strncmp(m->string, "ed25519:", 8) == 0)
			key = m->string + 8;	/* a cross-signing key names itself */
		if (key == NULL)
			continue;
		info = crypto_sas_mac_info(&them, &us, v->txn, m->string);
		if (crypto_sas_mac_check(v->sas, key, info, m->valuestring, NULL) != 1) {
			ok = 0;
			*why = "the MAC of a key does not hold";
		} else if (key == device_key)
			device_ok = 1;
		else if (*master == NULL)
			*master = xstrdup(key);
		free(info);
	}
	if (ok && !device_ok)
		*why = device_key == NULL ? "natter does not know the other device's keys" :
		    "the other side sent no MAC of its device key";
	free(list);
	free(ids);
	free(device_id);
	free(device_key);
	cJSON_Delete(content);
	return ok && device_ok;
}

/* Our MACs: this device's Ed25519 key, and the master key when natter
 * holds the account's cross-signing keys. */
static void
verify_send_macs(struct core *c, struct core_verify *v)
{
	struct crypto_sas_side us = {c->session.user_id, c->session.device_id,
	    crypto_sas_public(v->sas)};
	struct crypto_sas_side them = {v->user_id, v->device_id, v->their_key};
	cJSON *content = cJSON_CreateObject(), *macs = cJSON_AddObjectToObject(content, "mac");
	const char *ids[2], *keys[2];
	char *master = core_cross_public_of(c, CORE_SECRET_MASTER), *list, *info, *mac;
	char *master_id = NULL, *cause = NULL;
	size_t n = 0;

	ids[n] = xasprintf("ed25519:%s", c->session.device_id);
	keys[n++] = crypto_account_ed25519(c->acct);
	if (master != NULL) {
		master_id = xasprintf("ed25519:%s", master);
		ids[n] = master_id;
		keys[n++] = master;
	}
	for (size_t i = 0; i < n; i++) {
		info = crypto_sas_mac_info(&us, &them, v->txn, ids[i]);
		mac = crypto_sas_mac(v->sas, keys[i], info, NULL);
		cJSON_AddStringToObject(macs, ids[i], mac);
		free(mac);
		free(info);
	}
	list = crypto_sas_key_list(ids, n);
	info = crypto_sas_mac_info(&us, &them, v->txn, "KEY_IDS");
	mac = crypto_sas_mac(v->sas, list, info, NULL);
	cJSON_AddStringToObject(content, "keys", mac);
	free(mac);
	free(info);
	free(list);
	free((char *)ids[0]);
	free(master_id);
	free(master);
	if (verify_send(c, v, "mac", content, &cause) == -1) {
		verify_cancel(c, v, "m.user", cause, 0);
		free(cause);
	}
}

static void
verify_send_done(struct core *c, struct core_verify *v)
{
	char *cause = NULL;

	v->sent_done = 1;
	if (verify_send(c, v, "done", cJSON_CreateObject(), &cause) == -1) {
		log_msg("verify %s: %s", v->txn, cause);
		free(cause);
	}
}

/* Both sides are done. Another device of the user's own may hold what
 * this one lacks: asked now that it has checked this one's MACs too (it
 * answers only a device it verified). */
static void
verify_done(struct core *c, struct core_verify *v)
{
	if (strcmp(v->user_id, c->session.user_id) == 0)
		v->secrets_asked = core_secret_request(c, v->device_id);
	v->state = CORE_VERIFY_DONE;
	verify_tell(c, v);
}

/* Both sides said the strings match and their MACs hold: the device is
 * verified, and with cross-signing keys, signed. */
static void
verify_finish(struct core *c, struct core_verify *v)
{
	char *master = NULL, *cause = NULL;
	const char *why = NULL;

	if (!v->confirmed || v->their_mac == NULL || v->macs_ok)
		return;
	if (!verify_check_macs(c, v, &master, &why)) {
		verify_cancel(c, v, "m.key_mismatch", why, 1);
		free(master);
		return;
	}
	v->macs_ok = 1;
	if (store_device_trust(c->store, v->user_id, v->device_id, STORE_TRUST_VERIFIED,
	    &cause) == -1) {
		verify_cancel(c, v, "m.user", cause, 1);
		free(cause);
		free(master);
		return;
	}
	log_msg("verify %s: %s of %s verified", v->txn, v->device_id, v->user_id);
	core_cross_sign_verified(c, v->user_id, v->device_id, master);
	free(master);
	verify_send_done(c, v);
	if (v->got_done)
		verify_done(c, v);
	else {
		v->state = CORE_VERIFY_CONFIRMED;
		verify_tell(c, v);
	}
}

static void
verify_on_mac(struct core *c, struct core_verify *v, const char *json)
{
	if (v->state != CORE_VERIFY_SAS || v->their_mac != NULL) {
		verify_cancel(c, v, "m.unexpected_message", "a MAC natter did not wait for", 1);
		return;
	}
	v->their_mac = xstrdup(json);
	verify_finish(c, v);
}

static void
verify_on_done(struct core *c, struct core_verify *v)
{
	v->got_done = 1;
	if (v->sent_done && v->state != CORE_VERIFY_DONE)
		verify_done(c, v);
}

/* A request from another device: kept for the user to accept. */
static void
verify_on_request(struct core *c, const char *sender, const cJSON *content, const char *txn,
    const char *room_id)
{
	const char *from = core_json_text(content, "from_device");
	struct core_verify *v;
	char *cause = NULL;

	if (from == NULL || !verify_has(cJSON_GetObjectItemCaseSensitive(content, "methods"),
	    VERIFY_SAS) || verify_find(c, txn) != NULL)
		return;
	v = xcalloc(1, sizeof *v);
	v->txn = xstrdup(txn);
	v->room_id = room_id != NULL ? xstrdup(room_id) : NULL;
	v->user_id = xstrdup(sender);
	v->device_id = xstrdup(from);
	v->incoming = 1;
	v->state = CORE_VERIFY_REQUESTED;
	TAILQ_INSERT_TAIL(&c->verifies, v, entry);
	log_msg("verify %s: %s of %s asks to verify", txn, from, sender);
	/* Its keys, to check what it will prove, as the server has them now. */
	if (core_devices(c, sender, NULL, NULL, &cause) == -1) {
		log_msg("verify %s: %s", txn, cause);
		free(cause);
	}
	verify_tell(c, v);
}

static void
verify_on_ready(struct core *c, struct core_verify *v, const cJSON *content)
{
	const char *from = core_json_text(content, "from_device");

	if (v->incoming || v->state != CORE_VERIFY_REQUESTED || from == NULL) {
		verify_cancel(c, v, "m.unexpected_message", "a ready natter did not wait for", 1);
		return;
	}
	if (!verify_has(cJSON_GetObjectItemCaseSensitive(content, "methods"), VERIFY_SAS)) {
		verify_cancel(c, v, "m.unknown_method", "the other side does not verify with "
		    VERIFY_SAS, 1);
		return;
	}
	free(v->device_id);
	v->device_id = xstrdup(from);
	v->state = CORE_VERIFY_READY;
	verify_tell(c, v);
	verify_start(c, v);
}

/* One verification message, after the sync that brought it was kept. */
static void
verify_dispatch(struct core *c, const struct core_verify_msg *m)
{
	cJSON *content = cJSON_Parse(m->content);
	const char *txn = m->txn != NULL ? m->txn : core_json_text(content, "transaction_id");
	const char *sender = m->sender, *type = m->type, *json = m->content, *what;
	struct core_verify *v;

	what = type + strlen(VERIFY_PREFIX);
	if (txn == NULL || txn[0] == '\0' || strlen(txn) > 255) {
		cJSON_Delete(content);
		return;
	}
	if (strcmp(what, "request") == 0) {
		verify_on_request(c, sender, content, txn, m->room_id);
		cJSON_Delete(content);
		return;
	}
	/* Only the other side of a verification natter has speaks in it, and
	 * where it goes on (to-device, or in its room). */
	if ((v = verify_find(c, txn)) == NULL || strcmp(v->user_id, sender) != 0 ||
	    (v->room_id == NULL) != (m->room_id == NULL) ||
	    (v->room_id != NULL && strcmp(v->room_id, m->room_id) != 0) ||
	    v->state == CORE_VERIFY_DONE || v->state == CORE_VERIFY_CANCELLED) {
		cJSON_Delete(content);
		return;
	}
	log_msg("verify %s: heard %s", txn, what);
	if (strcmp(what, "cancel") == 0)
		verify_cancel(c, v, core_json_text(content, "code") != NULL ?
		    core_json_text(content, "code") : "m.user",
		    core_json_text(content, "reason") != NULL ?
		    core_json_text(content, "reason") : "no reason given", 0);
	else if (strcmp(what, "ready") == 0)
		verify_on_ready(c, v, content);
	else if (strcmp(what, "start") == 0)
		verify_on_start(c, v, content, json);
	else if (strcmp(what, "accept") == 0)
		verify_on_accept(c, v, content);
	else if (strcmp(what, "key") == 0)
		verify_on_key(c, v, content);
	else if (strcmp(what, "mac") == 0)
		verify_on_mac(c, v, json);
	else if (strcmp(what, "done") == 0)
		verify_on_done(c, v);
	cJSON_Delete(content);
}

static struct core_verify_msg *verify_keep(struct core *c, const char *sender,
    const char *type, const char *content);

int
core_verify_heard(struct core *c, const char *sender, const char *type, const char *content)
{
	if (strncmp(type, VERIFY_PREFIX, strlen(VERIFY_PREFIX)) != 0 &&
	    strcmp(type, CORE_SECRET_REQUEST) != 0)
		return 0;
	verify_keep(c, sender, type, content);
	return 1;
}

void
core_verify_after_sync(struct core *c)
{
	struct core_verify_msg *in = c->verify_inbox;
	size_t n = c->n_verify_inbox;

	c->verify_inbox = NULL;
	c->n_verify_inbox = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(in[i].type, CORE_SECRET_REQUEST) == 0)
			core_secret_answer(c, in[i].sender, in[i].content);
		else
			verify_dispatch(c, &in[i]);
		verify_msg_clear(&in[i]);
	}
	free(in);
}

static struct core_verify_msg *
verify_keep(struct core *c, const char *sender, const char *type, const char *content)
{
	struct core_verify_msg *m;

	c->verify_inbox = xreallocarray(c->verify_inbox, c->n_verify_inbox + 1,
	    sizeof *c->verify_inbox);
	m = &c->verify_inbox[c->n_verify_inbox++];
	memset(m, 0, sizeof *m);
	m->sender = xstrdup(sender);
	m->type = xstrdup(type);
	m->content = xstrdup(content);
	return m;
}

/* In a room, a request is an m.room.message of msgtype
 * m.key.verification.request to this user (its event id names the
 * verification), and the rest refer to it. A request older than ten
 * minutes is over (a first sync brings old ones); this user's own events
 * are echoes. */
void
core_verify_rooms(struct core *c, const struct mx_sync *sync)
{
	int64_t now = nt_now_ms();

	for (size_t i = 0; i < sync->n_rooms; i++) {
		const struct mx_room_update *ru = &sync->rooms[i];

		for (size_t j = 0; j < ru->n_timeline; j++) {
			const struct mx_event *ev = &ru->timeline[j];
			struct core_verify_msg *m;
			cJSON *content;
			const char *to;
			int request;

			if (ev->content == NULL || strcmp(ev->sender, c->session.user_id) == 0)
				continue;
			request = strcmp(ev->type, "m.room.message") == 0 && ev->msgtype != NULL &&
			    strcmp(ev->msgtype, VERIFY_PREFIX "request") == 0;
			if (request) {
				content = cJSON_Parse(ev->content);
				to = core_json_text(content, "to");
				if (to != NULL && strcmp(to, c->session.user_id) == 0 &&
				    now - ev->ts < 10 * 60 * 1000) {
					m = verify_keep(c, ev->sender, VERIFY_PREFIX "request",
					    ev->content);
					m->room_id = xstrdup(ru->room_id);
					m->txn = xstrdup(ev->event_id);
				}
				cJSON_Delete(content);
			} else if (strncmp(ev->type, VERIFY_PREFIX, strlen(VERIFY_PREFIX)) == 0 &&
			    ev->rel_event != NULL) {
				m = verify_keep(c, ev->sender, ev->type, ev->content);
				m->room_id = xstrdup(ru->room_id);
				m->txn = xstrdup(ev->rel_event);
			}
		}
	}
}

int
core_verify_request(struct core *c, const char *user_id, const char *device_id,
    char **txn, char **cause)
{
	struct core_verify *v;
	cJSON *content;

	*txn = NULL;
	if (c->acct == NULL)
		return cause_set(cause, "this profile has no encryption keys: log in first");
	if (strcmp(user_id, c->session.user_id) == 0 && device_id != NULL &&
	    strcmp(device_id, c->session.device_id) == 0)
		return cause_set(cause, "that is this device: verify another one");
	v = xcalloc(1, sizeof *v);
	v->txn = mx_txn_new();
	v->user_id = xstrdup(user_id);
	v->device_id = device_id != NULL ? xstrdup(device_id) : NULL;
	v->state = CORE_VERIFY_REQUESTED;
	TAILQ_INSERT_TAIL(&c->verifies, v, entry);
	content = cJSON_CreateObject();
	cJSON_AddStringToObject(content, "from_device", c->session.device_id);
	verify_add_list(content, "methods", VERIFY_SAS, NULL);
	cJSON_AddNumberToObject(content, "timestamp", (double)nt_now_ms());
	if (verify_send(c, v, "request", content, cause) == -1) {
		TAILQ_REMOVE(&c->verifies, v, entry);
		verify_free(v);
		return -1;
	}
	*txn = xstrdup(v->txn);
	return 0;
}

static struct core_verify *
verify_get(struct core *c, const char *txn, char **cause)
{
	struct core_verify *v = verify_find(c, txn);

	if (v == NULL)
		cause_set(cause, "no verification %s", txn);
	else if (v->state == CORE_VERIFY_DONE || v->state == CORE_VERIFY_CANCELLED) {
		cause_set(cause, "the verification is over");
		v = NULL;
	}
	return v;
}

int
core_verify_accept(struct core *c, const char *txn, char **cause)
{
	struct core_verify *v = verify_get(c, txn, cause);
	cJSON *content;

	if (v == NULL)
		return -1;
	if (!v->incoming || v->state != CORE_VERIFY_REQUESTED)
		return cause_set(cause, "there is no request to accept in that verification");
	content = cJSON_CreateObject();
	cJSON_AddStringToObject(content, "from_device", c->session.device_id);
	verify_add_list(content, "methods", VERIFY_SAS, NULL);
	if (verify_send(c, v, "ready", content, cause) == -1)
		return -1;
	v->state = CORE_VERIFY_READY;
	verify_tell(c, v);
	return 0;
}

int
core_verify_confirm(struct core *c, const char *txn, int match, char **cause)
{
	struct core_verify *v = verify_get(c, txn, cause);

	if (v == NULL)
		return -1;
	if (v->state != CORE_VERIFY_SAS || v->confirmed)
		return cause_set(cause, "there is nothing to compare yet");
	if (!match) {
		verify_cancel(c, v, "m.mismatched_sas", "the user says the emoji or numbers "
		    "differ", 1);
		return 0;
	}
	v->confirmed = 1;
	verify_send_macs(c, v);
	verify_finish(c, v);
	return 0;
}

int
core_verify_cancel(struct core *c, const char *txn, char **cause)
{
	struct core_verify *v = verify_get(c, txn, cause);

	if (v == NULL)
		return -1;
	verify_cancel(c, v, "m.user", "the user cancelled it", 1);
	return 0;
}
