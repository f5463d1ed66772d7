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

const char *const core_secret_names[CORE_N_SECRETS] = {
	CORE_SECRET_MASTER, CORE_SECRET_SELF_SIGNING, CORE_SECRET_USER_SIGNING,
	CORE_SECRET_BACKUP,
};

/* The index of a secret natter keeps, or -1. */
static int
core_secret_index(const char *name)
{
	for (int i = 0; i < CORE_N_SECRETS; i++)
		if (strcmp(core_secret_names[i], name) == 0)
			return i;
	return -1;
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
	if (name == NULL || core_secret_index(name) == -1)
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
	core_wipe(&secret);
	free(cause);
	cJSON_Delete(req);
}

void
core_wipe(char **secret)
{
	if (*secret != NULL)
		OPENSSL_cleanse(*secret, strlen(*secret));
	xfree(secret);
}

char *
core_cross_public_of(struct core *c, const char *name)
{
	char *seed = core_secret_get(c, name), *pub;

	if (seed == NULL)
		return NULL;
	pub = crypto_cross_public(seed, NULL);
	core_wipe(&seed);
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

void
core_cross_sign_obj(struct core *c, cJSON *obj, const char *seed)
{
	char *text = cJSON_PrintUnformatted(obj), *canon, *sig, *pub, *id;
	cJSON *sigs, *mine;

	canon = text != NULL ? crypto_signable_json(text, strlen(text), NULL) : NULL;
	sig = canon != NULL ? crypto_cross_sign(seed, (const uint8_t *)canon, strlen(canon),
	    NULL) : NULL;
	pub = crypto_cross_public(seed, NULL);
	if (sig == NULL || pub == NULL)
		abort();	/* a seed checked against its public key signs natter's JSON */
	if ((sigs = cJSON_GetObjectItemCaseSensitive(obj, "signatures")) == NULL)
		sigs = cJSON_AddObjectToObject(obj, "signatures");
	if ((mine = cJSON_GetObjectItemCaseSensitive(sigs, c->session.user_id)) == NULL)
		mine = cJSON_AddObjectToObject(sigs, c->session.user_id);
	id = xasprintf("ed25519:%s", pub);
	cJSON_AddStringToObject(mine, id, sig);
	free(id);
	free(pub);
	free(sig);
	free(canon);
	cJSON_free(text);
}

/* obj (JSON as the server gave it) with only natter's signature by seed,
 * for {user: {key: obj}} (the server keeps the signatures it has); NULL
 * when it cannot be read. */
static cJSON *
core_cross_signed(struct core *c, const char *json, const char *seed)
{
	cJSON *obj = cJSON_Parse(json);
	char *canon = crypto_signable_json(json, strlen(json), NULL);
	int signable = canon != NULL;

	free(canon);
	if (!cJSON_IsObject(obj) || !signable) {
		cJSON_Delete(obj);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "signatures");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "unsigned");
	core_cross_sign_obj(c, obj, seed);
	return obj;
}

int
core_keys_answered(struct core_op *op, struct mx_result *res, struct mx_keys *keys)
{
	char *why = NULL;

	if (core_op_refused(op, res))
		return -1;
	if (mx_keys_query_parse(res->raw, res->raw_len, keys, &why) == -1) {
		core_op_fail(op, why);
		free(why);
		return -1;
	}
	return 0;
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

	if (core_keys_answered(op, res, &keys) == -1)
		return;
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
	core_wipe(&seed);
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

/* A secret asked of another device of the user, by request id. */
struct core_secret_ask {
	char *name;
	char *request_id;
	char *device_id;
};

static void
core_secret_ask_clear(struct core_secret_ask *a)
{
	free(a->name);
	free(a->request_id);
	free(a->device_id);
}

void
core_secret_free_all(struct core *c)
{
	for (size_t i = 0; i < c->n_secret_asks; i++)
		core_secret_ask_clear(&c->secret_asks[i]);
	xfree(&c->secret_asks);
	c->n_secret_asks = 0;
	for (int i = 0; i < CORE_N_SECRETS; i++)
		core_wipe(&c->secret_got[i]);
	core_recovered_clear(&c->secret_out);
}

int
core_secret_request(struct core *c, const char *device_id)
{
	char *have = core_secret_get(c, CORE_SECRET_MASTER), *cause = NULL;
	char *master = store_crypto_master(c->store, c->session.user_id, NULL);
	struct core_secret_ask *a;
	cJSON *content;

	/* Nothing to ask when natter holds them, or the account has none. */
	if (have != NULL || master == NULL || c->n_secret_asks > 0) {
		core_wipe(&have);
		free(master);
		return 0;
	}
	free(master);
	c->secret_asks = xcalloc(CORE_N_SECRETS, sizeof *c->secret_asks);
	c->secret_asked_ms = nt_now_ms();
	for (int i = 0; i < CORE_N_SECRETS; i++) {
		a = &c->secret_asks[c->n_secret_asks++];
		a->name = xstrdup(core_secret_names[i]);
		a->request_id = mx_txn_new();
		a->device_id = xstrdup(device_id);
		content = cJSON_CreateObject();
		cJSON_AddStringToObject(content, "action", "request");
		cJSON_AddStringToObject(content, "name", a->name);
		cJSON_AddStringToObject(content, "request_id", a->request_id);
		cJSON_AddStringToObject(content, "requesting_device_id", c->session.device_id);
		if (core_todev_clear(c, CORE_SECRET_REQUEST, c->session.user_id, device_id,
		    content, "cannot ask for a secret", &cause) == -1) {
			log_msg("crypto: %s", cause);
			xfree(&cause);
		}
	}
	log_msg("crypto: asked %s for the account's secrets", device_id);
	return 1;
}

void
core_secret_received(struct core *c, const struct mx_to_device *td,
    const struct mx_olm_payload *p)
{
	cJSON *content = cJSON_Parse(p->content);
	const char *id = core_json_text(content, "request_id");
	const char *secret = core_json_text(content, "secret");
	struct store_device d;
	size_t i;
	int k;

	for (i = 0; id != NULL && i < c->n_secret_asks; i++)
		if (strcmp(c->secret_asks[i].request_id, id) == 0)
			break;
	/* Only what natter asked for, from the device it asked, over Olm. */
	if (id == NULL || secret == NULL || i == c->n_secret_asks ||
	    strcmp(td->sender, c->session.user_id) != 0 ||
	    store_device_by_key(c->store, td->sender_key, &d, NULL) != 1)
		log_msg("crypto: a secret nobody asked for, or from a device natter does not "
		    "know, dropped");
	else {
		if (strcmp(d.user_id, c->session.user_id) == 0 &&
		    strcmp(d.device_id, c->secret_asks[i].device_id) == 0 &&
		    (k = core_secret_index(c->secret_asks[i].name)) != -1) {
			core_wipe(&c->secret_got[k]);
			c->secret_got[k] = xstrdup(secret);
			log_msg("crypto: %s came from %s", c->secret_asks[i].name, d.device_id);
			core_secret_ask_clear(&c->secret_asks[i]);
			c->secret_asks[i] = c->secret_asks[--c->n_secret_asks];
		}
		store_device_clear(&d);
	}
	/* The parsed copy, kept or not, is wiped before it is freed. */
	if (secret != NULL)
		OPENSSL_cleanse((char *)secret, strlen(secret));
	cJSON_Delete(content);
}

static void
core_secret_taken(void *arg, int status, const char *why)
{
	struct core *c = arg;

	if (status == CORE_CANCELLED)
		return;
	if (c->ev.recovered != NULL)
		c->ev.recovered(c->ev_arg, status, &c->secret_out, why);
	core_recovered_clear(&c->secret_out);
}

/* Once every secret came, or what came had half a minute for the rest (a
 * device may not hold them all, and Element answers each request in its
 * own time), they are taken in as `natter recover` takes them. */
#define CORE_SECRET_WAIT_MS 30000
void
core_secret_after_sync(struct core *c)
{
	char *cause = NULL;
	int any = 0;

	for (int i = 0; i < CORE_N_SECRETS; i++)
		any |= c->secret_got[i] != NULL;
	if (c->n_secret_asks > 0 && nt_now_ms() - c->secret_asked_ms < CORE_SECRET_WAIT_MS)
		return;
	for (size_t i = 0; i < c->n_secret_asks; i++)
		core_secret_ask_clear(&c->secret_asks[i]);
	c->n_secret_asks = 0;
	if (!any)
		return;
	if (core_recover_from(c, c->secret_got, &c->secret_out, core_secret_taken, c,
	    &cause) == -1) {
		log_msg("crypto: %s", cause);
		free(cause);
	}
	for (int i = 0; i < CORE_N_SECRETS; i++)
		core_wipe(&c->secret_got[i]);
}
