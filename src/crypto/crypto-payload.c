/* The Matrix spec's checks on a decrypted m.olm.v1.curve25519-aes-sha2
 * payload ("Validation of incoming decrypted events"): who sent it, to
 * whom, with which keys, and the sender_device_keys it may carry. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "crypto-private.h"

static const char *
payload_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *
payload_path(const cJSON *o, const char *obj, const char *key)
{
	return payload_str(cJSON_GetObjectItemCaseSensitive(o, obj), key);
}

/* Whether two base64 keys are the same 32 bytes. */
static int
payload_same_key(const char *a, const char *b)
{
	uint8_t x[CRYPTO_KEY_LEN], y[CRYPTO_KEY_LEN];

	return a != NULL && b != NULL && crypto_b64_decode_into(a, 0, x, sizeof x, NULL) == 0 &&
	    crypto_b64_decode_into(b, 0, y, sizeof y, NULL) == 0 && memcmp(x, y, sizeof x) == 0;
}

/* The signature of the device keys dk by their own Ed25519 key. */
static int
payload_device_signed(const cJSON *dk, const char *user, const char *key_id, const char *ed,
    char **cause)
{
	const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(dk, "signatures");
	const char *sig = payload_path(sigs, user, key_id);
	char *json = cJSON_PrintUnformatted(dk), *text;
	int ok = 0;

	text = json != NULL ? crypto_signable_json(json, strlen(json), cause) : NULL;
	if (sig != NULL && text != NULL)
		ok = crypto_ed25519_verify(ed, (const uint8_t *)text, strlen(text), sig, NULL) == 1;
	free(json);
	free(text);
	return ok ? 0 : cause_set(cause, "sender_device_keys is not signed by its device");
}

/* Rule 5: sender_device_keys agrees with the event and is self-signed. */
static int
payload_device_keys(const cJSON *dk, const struct crypto_olm_origin *o, const char *ed,
    char **cause)
{
	const char *device = payload_str(dk, "device_id");
	char *curve_id, *ed_id;
	int rc = 0;

	if (!cJSON_IsObject(dk) || device == NULL)
		return cause_set(cause, "sender_device_keys is not a device keys object");
	if (payload_str(dk, "user_id") == NULL || strcmp(payload_str(dk, "user_id"), o->sender))
		return cause_set(cause, "sender_device_keys belongs to another user");
	curve_id = xasprintf("curve25519:%s", device);
	ed_id = xasprintf("ed25519:%s", device);
	if (!payload_same_key(payload_path(dk, "keys", curve_id), o->sender_key))
		rc = cause_set(cause, "sender_device_keys has another Curve25519 key");
	else if (!payload_same_key(payload_path(dk, "keys", ed_id), ed))
		rc = cause_set(cause, "sender_device_keys has another Ed25519 key");
	else
		rc = payload_device_signed(dk, o->sender, ed_id, ed, cause);
	free(curve_id);
	free(ed_id);
	return rc;
}

/* Rules 1-4, and 5 when sender_device_keys is there. */
static int
payload_check(const struct crypto_account *acct, const cJSON *p,
    const struct crypto_olm_origin *o, const char **ed, char **cause)
{
	const cJSON *dk = cJSON_GetObjectItemCaseSensitive(p, "sender_device_keys");

	if (!cJSON_IsObject(p) || payload_str(p, "type") == NULL ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(p, "content")))
		return cause_set(cause, "the Olm payload has no type and content");
	if (payload_str(p, "sender") == NULL || strcmp(payload_str(p, "sender"), o->sender))
		return cause_set(cause, "the Olm payload's sender is not the event's");
	if (payload_str(p, "recipient") == NULL || strcmp(payload_str(p, "recipient"), o->self))
		return cause_set(cause, "the Olm payload was meant for another user");
	if (!payload_same_key(payload_path(p, "recipient_keys", "ed25519"),
	    crypto_account_ed25519(acct)))
		return cause_set(cause, "the Olm payload was meant for another device");
	*ed = payload_path(p, "keys", "ed25519");
	if (*ed == NULL)
		return cause_set(cause, "the Olm payload does not name its device's Ed25519 key");
	if (o->device_ed25519 != NULL && !payload_same_key(*ed, o->device_ed25519))
		return cause_set(cause, "the Olm payload's Ed25519 key is not its device's");
	if (dk != NULL && !cJSON_IsNull(dk))
		return payload_device_keys(dk, o, *ed, cause);
	if (o->device_ed25519 == NULL)
		return cause_set(cause, "the sending device's keys are not known");
	return 0;
}

int
crypto_olm_payload_check(const struct crypto_account *acct, const char *plain, size_t len,
    const struct crypto_olm_origin *o, char **ed25519, char **cause)
{
	char *canon = crypto_canonical_json(plain, len, cause);
	const char *ed = NULL;
	cJSON *p;
	int rc;

	if (canon == NULL)
		return -1;
	p = cJSON_ParseWithLength(canon, strlen(canon));
	/* An m.room_key payload holds a session key. */
	crypto_free_secret(canon, strlen(canon));
	rc = payload_check(acct, p, o, &ed, cause);
	if (rc == 0 && ed25519 != NULL)
		*ed25519 = xstrdup(ed);
	cJSON_Delete(p);
	return rc;
}
