/* For bench_e2ee.py: the encrypted twin of a first sync, made with
 * natter's own crypto module. `bench_e2ee_gen SENDER PLAIN OUT` reads the
 * sync in the file PLAIN, whose timelines hold m.room.message events from
 * SENDER only, and writes to OUT the same sync with every room encrypted:
 * an m.room.encryption state event added, each message an
 * m.room.encrypted event of the room's own Megolm session, sent from one
 * device of SENDER. It then prints that device as /keys/query answers it,
 * one line; and for each line "USER CURVE25519 ED25519 ONE_TIME_KEY" it
 * reads (a reader's device and one of its one-time keys), one line: the
 * to-device events that bring that reader every room's key, over one new
 * Olm session. Pure computation; the caller times nothing of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "natter/crypto.h"
#include "natter/util.h"
#include "bench_gen.h"

#define fail(fmt, what) gen_fail("bench_e2ee_gen", fmt, what)


/* A room's Megolm session and its key before the first message. */
struct gen_room {
	char *room_id;
	struct crypto_megolm_out *out;
	char *key;
};

struct gen {
	const char *sender;
	struct crypto_account *acct;
	struct gen_room *rooms;
	size_t n_rooms;
};

/* Adds the m.room.encryption state event to a room of the sync. */
static void
add_encryption_state(cJSON *room, const char *sender)
{
	cJSON *state = cJSON_GetObjectItemCaseSensitive(room, "state"), *events, *ev;

	if (state == NULL)
		state = cJSON_AddObjectToObject(room, "state");
	if (!cJSON_IsArray(events = cJSON_GetObjectItemCaseSensitive(state, "events")))
		events = cJSON_AddArrayToObject(state, "events");
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "type", "m.room.encryption");
	cJSON_AddStringToObject(ev, "state_key", "");
	cJSON_AddStringToObject(ev, "sender", sender);
	cJSON_AddStringToObject(ev, "event_id", "$encryption");
	cJSON_AddNumberToObject(ev, "origin_server_ts", 1);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(ev, "content"), "algorithm", GEN_MEGOLM);
	cJSON_AddItemToArray(events, ev);
}

/* One joined room (its id room->string) encrypted in place. */
static int
encrypt_room(struct gen *g, cJSON *room)
{
	cJSON *tl = cJSON_GetObjectItemCaseSensitive(room, "timeline"), *enc, *ev;
	struct gen_room *r;

	g->rooms = xreallocarray(g->rooms, g->n_rooms + 1, sizeof *g->rooms);
	r = &g->rooms[g->n_rooms++];
	r->room_id = xstrdup(room->string);
	r->out = crypto_megolm_out_new();
	r->key = crypto_megolm_out_key(r->out);
	add_encryption_state(room, g->sender);
	if (tl == NULL)
		return 0;
	enc = cJSON_CreateArray();
	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(tl, "events")) {
		const char *sender = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "sender"));

		if (sender == NULL || strcmp(sender, g->sender) != 0) {
			cJSON_Delete(enc);
			return fail("an event in %s is not from the sender", r->room_id);
		}
		cJSON_AddItemToArray(enc, gen_encrypt_event(crypto_account_curve25519(g->acct),
		    r->room_id, r->out, ev));
	}
	cJSON_ReplaceItemInObjectCaseSensitive(tl, "events", enc);
	return 0;
}

static int
encrypt_sync(struct gen *g, const char *in, const char *out)
{
	char *text, *cause = NULL;
	size_t len;
	cJSON *root, *room;
	FILE *f;
	int rc = 0;

	if ((text = nt_read_file(in, &len, &cause)) == NULL)
		return fail("%s", cause);
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (root == NULL)
		return fail("%s is not JSON", in);
	cJSON_ArrayForEach(room, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "rooms"), "join"))
		if ((rc = encrypt_room(g, room)) != 0)
			break;
	text = gen_print_json(root);
	cJSON_Delete(root);
	if (rc == 0 && ((f = fopen(out, "w")) == NULL || fputs(text, f) == EOF || fclose(f) != 0))
		rc = fail("cannot write %s", out);
	cJSON_free(text);
	return rc;
}

/* The sender's device as /keys/query answers it, signed by itself. */
static void
print_device(struct gen *g)
{
	cJSON *answer = gen_device_answer(g->acct, g->sender);
	char *text = gen_print_json(answer);

	printf("%s\n", text);
	fflush(stdout);
	cJSON_free(text);
	cJSON_Delete(answer);
}

/* The Olm payload of room r's key, for the reader user with key ed. */
static char *
room_key_payload(struct gen *g, const struct gen_room *r, const char *user, const char *ed)
{
	cJSON *p = cJSON_CreateObject(), *content;
	char *text;

	cJSON_AddStringToObject(p, "type", "m.room_key");
	cJSON_AddStringToObject(p, "sender", g->sender);
	cJSON_AddStringToObject(p, "recipient", user);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "recipient_keys"), "ed25519", ed);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "keys"), "ed25519",
	    crypto_account_ed25519(g->acct));
	content = cJSON_AddObjectToObject(p, "content");
	cJSON_AddStringToObject(content, "algorithm", GEN_MEGOLM);
	cJSON_AddStringToObject(content, "room_id", r->room_id);
	cJSON_AddStringToObject(content, "session_id", crypto_megolm_out_id(r->out));
	cJSON_AddStringToObject(content, "session_key", r->key);
	text = gen_print_json(p);
	cJSON_Delete(p);
	return text;
}

/* The to-device m.room.encrypted event of one Olm message to curve. */
static cJSON *
olm_event(struct gen *g, const char *curve, int type, const char *body)
{
	cJSON *ev = cJSON_CreateObject(), *content, *one;

	cJSON_AddStringToObject(ev, "type", "m.room.encrypted");
	cJSON_AddStringToObject(ev, "sender", g->sender);
	content = cJSON_AddObjectToObject(ev, "content");
	cJSON_AddStringToObject(content, "algorithm", GEN_OLM);
	cJSON_AddStringToObject(content, "sender_key", crypto_account_curve25519(g->acct));
	one = cJSON_AddObjectToObject(cJSON_AddObjectToObject(content, "ciphertext"), curve);
	cJSON_AddNumberToObject(one, "type", type);
	cJSON_AddStringToObject(one, "body", body);
	return ev;
}

/* Every room's key to one reader's device, printed as one JSON array. */
static int
print_room_keys(struct gen *g, const char *user, const char *curve, const char *ed,
    const char *otk)
{
	char *cause = NULL, *text;
	struct crypto_olm *olm = crypto_olm_outbound(g->acct, curve, otk, &cause);
	cJSON *events;

	if (olm == NULL) {
		fail("no Olm session: %s", cause);
		free(cause);
		return 1;
	}
	events = cJSON_CreateArray();
	for (size_t i = 0; i < g->n_rooms; i++) {
		char *plain = room_key_payload(g, &g->rooms[i], user, ed), *body;
		int type;

		if (crypto_olm_encrypt(olm, (const uint8_t *)plain, strlen(plain), &type,
		    &body) != 0)
			abort();
		cJSON_AddItemToArray(events, olm_event(g, curve, type, body));
		free(body);
		cJSON_free(plain);
	}
	text = gen_print_json(events);
	printf("%s\n", text);
	fflush(stdout);
	cJSON_free(text);
	cJSON_Delete(events);
	crypto_olm_free(&olm);
	return 0;
}

static void
gen_free(struct gen *g)
{
	for (size_t i = 0; i < g->n_rooms; i++) {
		free(g->rooms[i].room_id);
		free(g->rooms[i].key);
		crypto_megolm_out_free(&g->rooms[i].out);
	}
	free(g->rooms);
	crypto_account_free(&g->acct);
}

int
main(int argc, char **argv)
{
	struct gen g = {0};
	char line[1024], user[256], curve[128], ed[128], otk[128];
	int rc;

	if (argc != 4)
		return fail("%s", "usage: bench_e2ee_gen SENDER PLAIN OUT");
	g.sender = argv[1];
	g.acct = crypto_account_new();
	if ((rc = encrypt_sync(&g, argv[2], argv[3])) == 0)
		print_device(&g);
	while (rc == 0 && fgets(line, sizeof line, stdin) != NULL) {
		if (sscanf(line, "%255s %127s %127s %127s", user, curve, ed, otk) != 4)
			rc = fail("cannot read \"%s\": want USER CURVE25519 ED25519 OTK", line);
		else
			rc = print_room_keys(&g, user, curve, ed, otk);
	}
	gen_free(&g);
	return rc;
}
