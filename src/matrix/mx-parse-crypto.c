/* What the server says for end-to-end encryption, checked like everything
 * else it says: a sync's to-device events, device list changes and key
 * counts; /keys/query and /keys/claim answers; and the plaintexts of Olm
 * and Megolm, which come from other clients and are no more trusted. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "mx-private.h"

#define MX_OLM_ALGORITHM "m.olm.v1.curve25519-aes-sha2"

static int
mx_streq(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* The Olm ciphertexts of an m.room.encrypted to-device event. */
static void
mx_olm_ciphertexts(struct mx_to_device *td, const cJSON *content)
{
	const cJSON *map = mx_json_obj(content, "ciphertext"), *c;
	int64_t type;

	td->algorithm = mx_json_strdup(content, "algorithm");
	if (!mx_streq(td->algorithm, MX_OLM_ALGORITHM))
		return;
	td->sender_key = mx_json_b64(content, "sender_key");
	cJSON_ArrayForEach(c, map) {
		struct mx_olm_ciphertext *oc;
		const char *body = mx_json_str(c, "body");

		if (!cJSON_IsObject(c) || !mx_b64_valid(c->string) || !mx_b64_valid(body) ||
		    mx_json_int(c, "type", &type) == -1 || (type != 0 && type != 1))
			continue;
		td->ciphertexts = mx_grow(td->ciphertexts, td->n_ciphertexts,
		    sizeof *td->ciphertexts);
		oc = &td->ciphertexts[td->n_ciphertexts++];
		oc->recipient_key = xstrdup(c->string);
		oc->type = (int)type;
		oc->body = xstrdup(body);
	}
}

void
mx_sync_to_device(struct mx_sync *s, const cJSON *events)
{
	const cJSON *ev;

	cJSON_ArrayForEach(ev, events) {
		const char *type = mx_json_str(ev, "type");
		const cJSON *content = mx_json_obj(ev, "content");
		char *sender = mx_json_id(ev, "sender", '@');
		struct mx_to_device *td;

		if (!mx_type_valid(type) || sender == NULL || content == NULL) {
			free(sender);
			s->n_skipped++;
			continue;
		}
		s->to_device = mx_grow(s->to_device, s->n_to_device, sizeof *s->to_device);
		td = &s->to_device[s->n_to_device++];
		memset(td, 0, sizeof *td);
		td->type = xstrdup(type);
		td->sender = sender;
		if ((td->content = cJSON_PrintUnformatted(content)) == NULL)
			abort();
		if (mx_streq(type, "m.room.encrypted"))
			mx_olm_ciphertexts(td, content);
	}
}

static void
mx_user_ids(const cJSON *list, char ***v, size_t *n)
{
	const cJSON *u;

	cJSON_ArrayForEach(u, list) {
		if (!cJSON_IsString(u) || !mx_id_valid(u->valuestring, '@'))
			continue;
		*v = mx_grow(*v, *n, sizeof **v);
		(*v)[(*n)++] = xstrdup(u->valuestring);
	}
}

void
mx_sync_e2ee(struct mx_sync *s, const cJSON *obj)
{
	const cJSON *lists = mx_json_obj(obj, "device_lists"), *fallback, *t, *counts;

	mx_user_ids(mx_json_arr(lists, "changed"), &s->devices_changed, &s->n_devices_changed);
	mx_user_ids(mx_json_arr(lists, "left"), &s->devices_left, &s->n_devices_left);
	counts = mx_json_obj(obj, "device_one_time_keys_count");
	/* Present without signed_curve25519: none are left. */
	s->otk_count = counts == NULL ? -1 : mx_json_count(counts, "signed_curve25519") < 0 ? 0 :
	    mx_json_count(counts, "signed_curve25519");
	s->fallback_unused = -1;
	fallback = mx_json_arr(obj, "device_unused_fallback_key_types");
	if (fallback == NULL)
		return;
	s->fallback_unused = 0;
	cJSON_ArrayForEach(t, fallback)
		if (cJSON_IsString(t) && strcmp(t->valuestring, "signed_curve25519") == 0)
			s->fallback_unused = 1;
}

/* The fields of a room key (m.room_key or m.forwarded_room_key). */
static int
mx_room_key(struct mx_olm_payload *p, const cJSON *content, char **cause)
{
	int forwarded = mx_streq(p->type, "m.forwarded_room_key");

	p->algorithm = mx_json_strdup(content, "algorithm");
	p->room_id = mx_json_id(content, "room_id", '!');
	p->session_id = mx_json_b64(content, "session_id");
	p->session_key = mx_json_b64(content, "session_key");
	if (forwarded) {
		p->forwarded_sender_key = mx_json_b64(content, "sender_key");
		p->forwarded_ed25519 = mx_json_b64(content, "sender_claimed_ed25519_key");
	}
	if (p->algorithm == NULL || p->room_id == NULL || p->session_id == NULL ||
	    p->session_key == NULL || (forwarded && p->forwarded_sender_key == NULL))
		return cause_set(cause, "a room key without its room, session or key");
	return 0;
}

int
mx_olm_payload_parse(const char *json, size_t len, struct mx_olm_payload *p, char **cause)
{
	cJSON *root = mx_json_root(json, len, "Olm payload", cause);
	const cJSON *content;
	int rc = 0;

	memset(p, 0, sizeof *p);
	if (root == NULL)
		return -1;
	content = mx_json_obj(root, "content");
	p->type = mx_type_valid(mx_json_str(root, "type")) ? mx_json_strdup(root, "type") : NULL;
	p->sender = mx_json_id(root, "sender", '@');
	p->recipient = mx_json_id(root, "recipient", '@');
	p->recipient_ed25519 = mx_json_b64(mx_json_obj(root, "recipient_keys"), "ed25519");
	p->sender_ed25519 = mx_json_b64(mx_json_obj(root, "keys"), "ed25519");
	if (p->type == NULL || p->sender == NULL || p->recipient == NULL ||
	    p->recipient_ed25519 == NULL || p->sender_ed25519 == NULL || content == NULL)
		rc = cause_set(cause, "an Olm payload without its type, sender, recipient, keys "
		    "or content");
	else if ((p->content = cJSON_PrintUnformatted(content)) == NULL)
		abort();
	else if (mx_streq(p->type, "m.room_key") || mx_streq(p->type, "m.forwarded_room_key"))
		rc = mx_room_key(p, content, cause);
	mx_json_free(root);
	if (rc == -1)
		mx_olm_payload_clear(p);
	return rc;
}

void
mx_olm_payload_clear(struct mx_olm_payload *p)
{
	char **fields[] = {
		&p->type, &p->sender, &p->recipient, &p->recipient_ed25519, &p->sender_ed25519,
		&p->content, &p->algorithm, &p->room_id, &p->session_id, &p->session_key,
		&p->forwarded_sender_key, &p->forwarded_ed25519,
	};

	for (size_t i = 0; i < NT_NELEMS(fields); i++)
		xfree(fields[i]);
}

int
mx_key_request_parse(const char *content, struct mx_key_request *r, char **cause)
{
	cJSON *root = mx_json_root(content, strlen(content), "key request", cause);
	const char *action;
	const cJSON *body;
	int rc = 0;

	memset(r, 0, sizeof *r);
	if (root == NULL)
		return -1;
	action = mx_json_str(root, "action");
	r->request_id = mx_json_strdup(root, "request_id");
	r->requesting_device_id = mx_json_strdup(root, "requesting_device_id");
	r->cancel = mx_streq(action, "request_cancellation");
	if (r->request_id == NULL || r->requesting_device_id == NULL || *r->request_id == '\0' ||
	    (!r->cancel && !mx_streq(action, "request")))
		rc = cause_set(cause, "a key request without its action, id or device");
	else if (!r->cancel) {
		body = mx_json_obj(root, "body");
		r->algorithm = mx_json_strdup(body, "algorithm");
		r->room_id = mx_json_id(body, "room_id", '!');
		r->sender_key = mx_json_b64(body, "sender_key");
		r->session_id = mx_json_b64(body, "session_id");
		if (r->algorithm == NULL || r->room_id == NULL || r->sender_key == NULL ||
		    r->session_id == NULL)
			rc = cause_set(cause, "a key request without the room, session or key "
			    "it asks for");
	}
	mx_json_free(root);
	if (rc == -1)
		mx_key_request_clear(r);
	return rc;
}

void
mx_key_request_clear(struct mx_key_request *r)
{
	char **fields[] = {
		&r->request_id, &r->requesting_device_id, &r->algorithm, &r->room_id,
		&r->sender_key, &r->session_id,
	};

	for (size_t i = 0; i < NT_NELEMS(fields); i++)
		xfree(fields[i]);
	r->cancel = 0;
}

/* The event to parse: the plaintext's type and content with the ids of
 * the encrypted event around it. */
static cJSON *
mx_decrypted_json(const struct mx_event *enc, const cJSON *plain)
{
	cJSON *ev = cJSON_CreateObject(), *unsign;

	cJSON_AddItemReferenceToObject(ev, "type", cJSON_GetObjectItemCaseSensitive(plain, "type"));
	cJSON_AddItemReferenceToObject(ev, "content",
	    cJSON_GetObjectItemCaseSensitive(plain, "content"));
	cJSON_AddStringToObject(ev, "event_id", enc->event_id);
	cJSON_AddStringToObject(ev, "sender", enc->sender);
	cJSON_AddNumberToObject(ev, "origin_server_ts", (double)enc->ts);
	if (enc->txn_id != NULL) {
		unsign = cJSON_AddObjectToObject(ev, "unsigned");
		cJSON_AddStringToObject(unsign, "transaction_id", enc->txn_id);
	}
	return ev;
}

int
mx_event_decrypted(const struct mx_event *enc, const char *room_id, const char *plain,
    size_t len, struct mx_event *out, char **cause)
{
	cJSON *root = mx_json_root(plain, len, "decrypted event", cause), *ev;
	const char *why = NULL, *type;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (root == NULL)
		return -1;
	type = mx_json_str(root, "type");
	if (!mx_streq(mx_json_str(root, "room_id"), room_id))
		cause_set(cause, "the decrypted event names another room");
	else if (mx_json_obj(root, "content") == NULL || !mx_type_valid(type))
		cause_set(cause, "the decrypted event has no type or content");
	else if (mx_streq(type, "m.room.encrypted"))
		cause_set(cause, "the decrypted event is encrypted again");
	else {
		ev = mx_decrypted_json(enc, root);
		if ((rc = mx_event_from_json(ev, MX_EVENT_TIMELINE, room_id, out, &why)) == -1)
			cause_set(cause, "%s", why);
		cJSON_Delete(ev);
	}
	mx_json_free(root);
	return rc;
}

/* The one Ed25519 key of a cross-signing key object for user_id with
 * usage, as "keys": {"ed25519:KEY": "KEY"} holds it; NULL when it is not
 * one. */
static char *
mx_cross_key(const cJSON *j, const char *user_id, const char *usage)
{
	const cJSON *keys = mx_json_obj(j, "keys"), *u, *k;
	int used = 0;

	if (!mx_streq(mx_json_str(j, "user_id"), user_id))
		return NULL;
	cJSON_ArrayForEach(u, mx_json_arr(j, "usage"))
		used |= cJSON_IsString(u) && strcmp(u->valuestring, usage) == 0;
	if (!used || cJSON_GetArraySize(keys) != 1)
		return NULL;
	k = keys->child;
	if (strncmp(k->string, "ed25519:", 8) != 0 || !cJSON_IsString(k) ||
	    strcmp(k->string + 8, k->valuestring) != 0 || !mx_b64_valid(k->valuestring))
		return NULL;
	return xstrdup(k->valuestring);
}

/* A user's master and self-signing keys, or -1 without both. */
static int
mx_cross_parse(const cJSON *root, const char *user_id, struct mx_cross_signing *x)
{
	const cJSON *master = mx_json_obj(mx_json_obj(root, "master_keys"), user_id);
	const cJSON *ssk = mx_json_obj(mx_json_obj(root, "self_signing_keys"), user_id);
	char *sig_key;

	memset(x, 0, sizeof *x);
	x->master = mx_cross_key(master, user_id, "master");
	x->self_signing = mx_cross_key(ssk, user_id, "self_signing");
	if (x->master == NULL || x->self_signing == NULL) {
		free(x->master);
		free(x->self_signing);
		return -1;
	}
	sig_key = xasprintf("ed25519:%s", x->master);
	x->master_signature = mx_json_b64(mx_json_obj(mx_json_obj(ssk, "signatures"), user_id),
	    sig_key);
	free(sig_key);
	x->user_id = xstrdup(user_id);
	if ((x->json = cJSON_PrintUnformatted(ssk)) == NULL ||
	    (x->master_json = cJSON_PrintUnformatted(master)) == NULL)
		abort();
	return 0;
}

/* A device object keyed by user and device id, with both identity keys
 * and ids that match its keys; ssk is its user's self-signing key, or
 * NULL. */
static int
mx_device_parse(const char *user_id, const cJSON *j, const char *ssk, struct mx_device *d)
{
	const cJSON *keys = mx_json_obj(j, "keys");
	char *ck = xasprintf("curve25519:%s", j->string), *ek = xasprintf("ed25519:%s", j->string);

	memset(d, 0, sizeof *d);
	if (cJSON_IsObject(j) && mx_device_id_valid(j->string) &&
	    mx_streq(mx_json_str(j, "user_id"), user_id) &&
	    mx_streq(mx_json_str(j, "device_id"), j->string)) {
		d->curve25519 = mx_json_b64(keys, ck);
		d->ed25519 = mx_json_b64(keys, ek);
		d->signature = mx_json_b64(mx_json_obj(mx_json_obj(j, "signatures"), user_id), ek);
		if (ssk != NULL) {
			char *sk = xasprintf("ed25519:%s", ssk);

			d->ssk_signature = mx_json_b64(mx_json_obj(mx_json_obj(j, "signatures"),
			    user_id), sk);
			free(sk);
		}
	}
	free(ck);
	free(ek);
	if (d->curve25519 == NULL || d->ed25519 == NULL) {
		free(d->curve25519);
		free(d->ed25519);
		free(d->signature);
		free(d->ssk_signature);
		return -1;
	}
	d->user_id = xstrdup(user_id);
	d->device_id = xstrdup(j->string);
	d->display_name = mx_json_strdup(mx_json_obj(j, "unsigned"), "device_display_name");
	if ((d->json = cJSON_PrintUnformatted(j)) == NULL)
		abort();
	return 0;
}

int
mx_keys_query_parse(const char *json, size_t len, struct mx_keys *out, char **cause)
{
	cJSON *root = mx_json_root(json, len, "keys query", cause);
	const cJSON *user, *dev, *f;

	memset(out, 0, sizeof *out);
	if (root == NULL)
		return -1;
	cJSON_ArrayForEach(user, mx_json_obj(root, "device_keys")) {
		if (!cJSON_IsObject(user) || !mx_id_valid(user->string, '@')) {
			out->n_skipped++;
			continue;
		}
		struct mx_cross_signing x;
		const char *ssk = NULL;

		if (mx_cross_parse(root, user->string, &x) == 0) {
			out->users = mx_grow(out->users, out->n_users, sizeof *out->users);
			out->users[out->n_users++] = x;
			ssk = x.self_signing;
		}
		cJSON_ArrayForEach(dev, user) {
			out->devices = mx_grow(out->devices, out->n, sizeof *out->devices);
			if (mx_device_parse(user->string, dev, ssk, &out->devices[out->n]) == 0)
				out->n++;
			else
				out->n_skipped++;
		}
	}
	cJSON_ArrayForEach(f, mx_json_obj(root, "failures")) {
		out->failures = mx_grow(out->failures, out->n_failures, sizeof *out->failures);
		out->failures[out->n_failures++] = xstrdup(f->string != NULL ? f->string : "?");
	}
	mx_json_free(root);
	return 0;
}

static void
mx_device_clear(struct mx_device *d)
{
	free(d->user_id);
	free(d->device_id);
	free(d->curve25519);
	free(d->ed25519);
	free(d->display_name);
	free(d->signature);
	free(d->ssk_signature);
	free(d->json);
}

void
mx_keys_clear(struct mx_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		mx_device_clear(&k->devices[i]);
	free(k->devices);
	for (size_t i = 0; i < k->n_failures; i++)
		free(k->failures[i]);
	free(k->failures);
	for (size_t i = 0; i < k->n_users; i++) {
		free(k->users[i].user_id);
		free(k->users[i].master);
		free(k->users[i].self_signing);
		free(k->users[i].master_signature);
		free(k->users[i].master_json);
		free(k->users[i].json);
	}
	free(k->users);
	memset(k, 0, sizeof *k);
}

/* One claimed key: signed_curve25519:ID with a key and the device's
 * signature. */
static int
mx_claimed_parse(const char *user_id, const char *device_id, const cJSON *k,
    struct mx_claimed_key *c)
{
	char *sig_key = xasprintf("ed25519:%s", device_id);

	memset(c, 0, sizeof *c);
	if (cJSON_IsObject(k) && k->string != NULL &&
	    strncmp(k->string, "signed_curve25519:", 18) == 0 && mx_b64_valid(k->string + 18)) {
		c->key = mx_json_b64(k, "key");
		c->signature = mx_json_b64(mx_json_obj(mx_json_obj(k, "signatures"), user_id),
		    sig_key);
	}
	free(sig_key);
	if (c->key == NULL || c->signature == NULL) {
		free(c->key);
		free(c->signature);
		return -1;
	}
	c->user_id = xstrdup(user_id);
	c->device_id = xstrdup(device_id);
	c->key_id = xstrdup(k->string);
	if ((c->json = cJSON_PrintUnformatted(k)) == NULL)
		abort();
	return 0;
}

int
mx_keys_claim_parse(const char *json, size_t len, struct mx_claimed_key **out, size_t *n,
    char **cause)
{
	cJSON *root = mx_json_root(json, len, "keys claim", cause);
	const cJSON *user, *dev, *k;

	*out = NULL;
	*n = 0;
	if (root == NULL)
		return -1;
	cJSON_ArrayForEach(user, mx_json_obj(root, "one_time_keys")) {
		if (!cJSON_IsObject(user) || !mx_id_valid(user->string, '@'))
			continue;
		cJSON_ArrayForEach(dev, user) {
			if (!cJSON_IsObject(dev) || !mx_device_id_valid(dev->string))
				continue;
			cJSON_ArrayForEach(k, dev) {
				*out = mx_grow(*out, *n, sizeof **out);
				if (mx_claimed_parse(user->string, dev->string, k, &(*out)[*n]) == 0)
					(*n)++;
			}
		}
	}
	mx_json_free(root);
	return 0;
}

void
mx_claimed_keys_free(struct mx_claimed_key **keys, size_t n)
{
	if (*keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*keys)[i].user_id);
		free((*keys)[i].device_id);
		free((*keys)[i].key_id);
		free((*keys)[i].key);
		free((*keys)[i].signature);
		free((*keys)[i].json);
	}
	xfree(keys);
}

/* base64url, as a JWK key is written. */
static char *
mx_json_b64url(const cJSON *obj, const char *key)
{
	const char *s = mx_json_str(obj, key);
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > 64 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_=") != len)
		return NULL;
	return xstrdup(s);
}

int
mx_file_key_parse(const char *content, struct mx_file_key *out, char **cause)
{
	cJSON *root = content != NULL ? mx_json_root(content, strlen(content), "message", cause) :
	    NULL;
	const cJSON *file = mx_json_obj(root, "file"), *jwk = mx_json_obj(file, "key");
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (file != NULL) {
		out->key = mx_json_b64url(jwk, "k");
		out->iv = mx_json_b64(file, "iv");
		out->sha256 = mx_json_b64(mx_json_obj(file, "hashes"), "sha256");
		if (out->key == NULL || out->iv == NULL || out->sha256 == NULL ||
		    !mx_streq(mx_json_str(file, "v"), "v2") ||
		    !mx_streq(mx_json_str(jwk, "alg"), "A256CTR")) {
			mx_file_key_clear(out);
			rc = cause_set(cause, "the attachment's key is malformed or of another kind");
		} else
			rc = 1;
	}
	mx_json_free(root);
	return rc;
}

void
mx_file_key_clear(struct mx_file_key *k)
{
	free(k->key);
	free(k->iv);
	free(k->sha256);
	memset(k, 0, sizeof *k);
}
