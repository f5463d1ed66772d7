/* For bench_backup.py: an account whose room keys are all in its
 * server-side key backup, and the encrypted messages that wait for them,
 * made with natter's own crypto module.
 *
 * `bench_backup_gen SENDER PER_SESSION PLAIN OUT BACKUP` reads PLAIN, one
 * room a line ({"room_id": ..., "events": [...]}, the room's
 * m.room.message events, all from SENDER, oldest first) and writes to OUT
 * the same lines with each message an m.room.encrypted event sent from
 * one device of SENDER, a new Megolm session every PER_SESSION messages of
 * a room. Each session's key, exported at its first index as Element
 * backs it up, goes encrypted for the backup's public key into BACKUP:
 * the body of GET /room_keys/keys. Then it prints one line of JSON: the
 * recovery key; the account data natter asks for (the default secret
 * storage key, its description with the key check, the backup's private
 * key as a secret); GET /room_keys/version's answer; and the sender's
 * device as /keys/query answers it. There are no cross-signing keys.
 * Pure computation; the caller times nothing of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "bench_gen.h"

#define fail(fmt, what) gen_fail("bench_backup_gen", fmt, what)

#define GEN_SSSS "m.secret_storage.v1.aes-hmac-sha2"
#define GEN_BACKUP_ALG "m.megolm_backup.v1.curve25519-aes-sha2"
#define GEN_BACKUP_SECRET "m.megolm_backup.v1"
#define GEN_KEY_ID "benchkey"

struct gen {
	const char *sender;
	size_t per_session;
	struct crypto_account *acct;
	uint8_t ssss[CRYPTO_SECRET_KEY_LEN];	/* the secret storage key */
	uint8_t priv[CRYPTO_SECRET_KEY_LEN];	/* the backup's private key */
	char *pub;				/* and its public key */
	cJSON *backup;				/* {"rooms": {...}} */
	size_t n_sessions;
};

/* The session's key at index 0, exported (as a backup holds it, with no
 * signature): the outbound key made an inbound session, read back out. */
static char *
export_key(struct crypto_megolm_out *out)
{
	char *key = crypto_megolm_out_key(out), *exported, *cause = NULL;
	struct crypto_megolm_in *in = crypto_megolm_in_new(key, &cause);

	free(key);
	if (in == NULL || (exported = crypto_megolm_in_export(in, 0, &cause)) == NULL) {
		fail("cannot export a session key: %s", cause);
		exit(1);
	}
	crypto_megolm_in_free(&in);
	return exported;
}

/* A new session of room_id, its key put in the backup before it sends. */
static struct crypto_megolm_out *
new_session(struct gen *g, const char *room_id)
{
	struct crypto_megolm_out *out = crypto_megolm_out_new();
	struct crypto_backup_box box = {0};
	cJSON *e = cJSON_CreateObject(), *room, *data;
	char *key = export_key(out), *plain, *cause = NULL;

	cJSON_AddStringToObject(e, "algorithm", GEN_MEGOLM);
	cJSON_AddStringToObject(e, "sender_key", crypto_account_curve25519(g->acct));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "sender_claimed_keys"), "ed25519",
	    crypto_account_ed25519(g->acct));
	cJSON_AddArrayToObject(e, "forwarding_curve25519_key_chain");
	cJSON_AddStringToObject(e, "session_key", key);
	plain = gen_print_json(e);
	cJSON_Delete(e);
	free(key);
	if (crypto_backup_encrypt(g->pub, plain, strlen(plain), &box, &cause) == -1) {
		fail("cannot encrypt for the backup: %s", cause);
		exit(1);
	}
	cJSON_free(plain);
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "first_message_index", 0);
	cJSON_AddNumberToObject(e, "forwarded_count", 0);
	cJSON_AddBoolToObject(e, "is_verified", 1);
	data = cJSON_AddObjectToObject(e, "session_data");
	cJSON_AddStringToObject(data, "ephemeral", box.ephemeral);
	cJSON_AddStringToObject(data, "ciphertext", box.ciphertext);
	cJSON_AddStringToObject(data, "mac", box.mac);
	crypto_backup_box_clear(&box);
	room = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(g->backup,
	    "rooms"), room_id);
	if (room == NULL)
		room = cJSON_AddObjectToObject(cJSON_AddObjectToObject(
		    cJSON_GetObjectItemCaseSensitive(g->backup, "rooms"), room_id), "sessions");
	else
		room = cJSON_GetObjectItemCaseSensitive(room, "sessions");
	cJSON_AddItemToObject(room, crypto_megolm_out_id(out), e);
	g->n_sessions++;
	return out;
}

/* One line of PLAIN, encrypted, as one line of OUT. */
static int
encrypt_room(struct gen *g, const char *line, FILE *f)
{
	cJSON *room = cJSON_Parse(line), *enc, *ev;
	const char *room_id = cJSON_GetStringValue(cJSON_GetObjectItem(room, "room_id"));
	struct crypto_megolm_out *out = NULL;
	size_t n = 0;
	char *text;
	int rc = 0;

	if (room_id == NULL) {
		cJSON_Delete(room);
		return fail("a line is not a room: %.60s", line);
	}
	enc = cJSON_CreateArray();
	cJSON_ArrayForEach(ev, cJSON_GetObjectItem(room, "events")) {
		const char *sender = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "sender"));

		if (sender == NULL || strcmp(sender, g->sender) != 0) {
			rc = fail("an event in %s is not from the sender", room_id);
			break;
		}
		if (n++ % g->per_session == 0) {
			crypto_megolm_out_free(&out);
			out = new_session(g, room_id);
		}
		cJSON_AddItemToArray(enc, gen_encrypt_event(crypto_account_curve25519(g->acct),
		    room_id, out, ev));
	}
	crypto_megolm_out_free(&out);
	cJSON_ReplaceItemInObjectCaseSensitive(room, "events", enc);
	text = gen_print_json(room);
	if (rc == 0 && fprintf(f, "%s\n", text) < 0)
		rc = fail("%s", "cannot write the encrypted rooms");
	cJSON_free(text);
	cJSON_Delete(room);
	return rc;
}

static int
encrypt_rooms(struct gen *g, const char *in, const char *out)
{
	FILE *fin, *fout;
	char *line = NULL;
	size_t size = 0;
	int rc = 0;

	if ((fin = fopen(in, "r")) == NULL)
		return fail("cannot open %s", in);
	if ((fout = fopen(out, "w")) == NULL) {
		fclose(fin);
		return fail("cannot write %s", out);
	}
	while (rc == 0 && getline(&line, &size, fin) != -1)
		rc = encrypt_room(g, line, fout);
	free(line);
	fclose(fin);
	if (fclose(fout) != 0 && rc == 0)
		rc = fail("cannot write %s", out);
	return rc;
}

static int
write_backup(struct gen *g, const char *path)
{
	char *text = gen_print_json(g->backup);
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		rc = fail("cannot write %s", path);
	cJSON_free(text);
	return rc;
}

/* m.secret_storage.key.ID, and the backup's key as a secret under it. */
static void
account_data(struct gen *g, cJSON *ad)
{
	struct crypto_ssss_box box = {0};
	char *iv, *mac, *secret = crypto_b64_encode(g->priv, sizeof g->priv);
	cJSON *desc, *one;

	cJSON_AddStringToObject(cJSON_AddObjectToObject(ad, "m.secret_storage.default_key"),
	    "key", GEN_KEY_ID);
	crypto_ssss_check(g->ssss, &iv, &mac);
	desc = cJSON_AddObjectToObject(ad, "m.secret_storage.key." GEN_KEY_ID);
	cJSON_AddStringToObject(desc, "algorithm", GEN_SSSS);
	cJSON_AddStringToObject(desc, "iv", iv);
	cJSON_AddStringToObject(desc, "mac", mac);
	crypto_ssss_encrypt(g->ssss, GEN_BACKUP_SECRET, secret, &box);
	one = cJSON_AddObjectToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(ad,
	    GEN_BACKUP_SECRET), "encrypted"), GEN_KEY_ID);
	cJSON_AddStringToObject(one, "iv", box.iv);
	cJSON_AddStringToObject(one, "ciphertext", box.ciphertext);
	cJSON_AddStringToObject(one, "mac", box.mac);
	crypto_ssss_box_clear(&box);
	free(secret);
	free(iv);
	free(mac);
}

static void
print_account(struct gen *g)
{
	cJSON *all = cJSON_CreateObject(), *v;
	char *rk = crypto_recovery_encode(g->ssss), *text;

	cJSON_AddStringToObject(all, "recovery_key", rk);
	account_data(g, cJSON_AddObjectToObject(all, "account_data"));
	v = cJSON_AddObjectToObject(all, "version");
	cJSON_AddStringToObject(v, "algorithm", GEN_BACKUP_ALG);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(v, "auth_data"), "public_key", g->pub);
	cJSON_AddStringToObject(v, "version", "1");
	cJSON_AddNumberToObject(v, "count", (double)g->n_sessions);
	cJSON_AddStringToObject(v, "etag", "1");
	cJSON_AddItemToObject(all, "device", gen_device_answer(g->acct, g->sender));
	text = gen_print_json(all);
	printf("%s\n", text);
	fflush(stdout);
	cJSON_free(text);
	free(rk);
	cJSON_Delete(all);
}

int
main(int argc, char **argv)
{
	struct gen g = {0};
	long per;
	int rc;

	if (argc != 6 || (per = strtol(argv[2], NULL, 10)) < 1)
		return fail("%s", "usage: bench_backup_gen SENDER PER_SESSION PLAIN OUT BACKUP");
	g.sender = argv[1];
	g.per_session = (size_t)per;
	g.acct = crypto_account_new();
	crypto_random(g.ssss, sizeof g.ssss);
	crypto_random(g.priv, sizeof g.priv);
	g.pub = crypto_backup_public(g.priv);
	g.backup = cJSON_CreateObject();
	cJSON_AddObjectToObject(g.backup, "rooms");
	if ((rc = encrypt_rooms(&g, argv[3], argv[4])) == 0 &&
	    (rc = write_backup(&g, argv[5])) == 0)
		print_account(&g);
	cJSON_Delete(g.backup);
	free(g.pub);
	crypto_account_free(&g.acct);
	return rc;
}
