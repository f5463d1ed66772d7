/* The parsers of what the server and other clients say for end-to-end
 * encryption, against recorded-style answers with hostile entries mixed
 * in: each bad entry is left out, the good ones kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natter/event.h"
#include "natter/util.h"
#include "fixture-file.h"

#define DANA_KEY "Dc0CcsvpJYCrVY7kaIx7ejSU+fzFbpJ/V0OL1Or7z1g"
#define ROOM "!secret:localhost"

static struct mx_sync *
crypto_sync(void)
{
	size_t len;
	char *json = fixture_read("crypto", "sync.json", &len), *cause = NULL;
	struct mx_sync *s = mx_sync_parse(json, len, &cause);

	if (s == NULL)
		fail_msg("%s", cause);
	free(json);
	return s;
}

static void
test_to_device_olm_ciphertexts(void **state)
{
	struct mx_sync *s = crypto_sync();
	struct mx_to_device *td;

	/* A sender that is no user, a type that is no string and a missing
	 * content leave three events out. */
	assert_int_equal(s->n_to_device, 2);
	td = &s->to_device[0];
	assert_string_equal(td->type, "m.room.encrypted");
	assert_string_equal(td->sender, "@dana:localhost");
	assert_string_equal(td->algorithm, "m.olm.v1.curve25519-aes-sha2");
	assert_string_equal(td->sender_key, DANA_KEY);
	/* Only the entry with a base64 key, a type of 0 or 1 and a body. */
	assert_int_equal(td->n_ciphertexts, 1);
	assert_string_equal(td->ciphertexts[0].recipient_key,
	    "uBpzc4MBmmG5TDTelG7xqNkvsyVE6x4VLzAjJ2ZGImY");
	assert_int_equal(td->ciphertexts[0].type, 0);
	assert_non_null(td->ciphertexts[0].body);
	td = &s->to_device[1];
	assert_string_equal(td->type, "m.room_key_request");
	assert_null(td->algorithm);
	assert_int_equal(td->n_ciphertexts, 0);
	assert_non_null(strstr(td->content, "\"request_id\":\"r1\""));
	mx_sync_free(&s);
}

static void
test_device_lists_and_key_counts(void **state)
{
	struct mx_sync *s = crypto_sync();

	assert_int_equal(s->n_devices_changed, 1);
	assert_string_equal(s->devices_changed[0], "@dana:localhost");
	assert_int_equal(s->n_devices_left, 1);
	assert_string_equal(s->devices_left[0], "@old:localhost");
	assert_int_equal(s->otk_count, 17);
	assert_int_equal(s->fallback_unused, 1);
	mx_sync_free(&s);
}

static void
test_counts_absent(void **state)
{
	const char *json = "{\"next_batch\": \"s1\", \"device_unused_fallback_key_types\": []}";
	char *cause = NULL;
	struct mx_sync *s = mx_sync_parse(json, strlen(json), &cause);

	assert_non_null(s);
	assert_int_equal(s->otk_count, -1);
	assert_int_equal(s->fallback_unused, 0);
	assert_int_equal(s->n_to_device, 0);
	mx_sync_free(&s);
}

static void
test_megolm_event_fields(void **state)
{
	struct mx_sync *s = crypto_sync();
	struct mx_event *ev;

	assert_int_equal(s->n_rooms, 1);
	assert_int_equal(s->rooms[0].n_timeline, 2);
	ev = &s->rooms[0].timeline[0];
	assert_string_equal(ev->type, "m.room.encrypted");
	assert_string_equal(ev->algorithm, "m.megolm.v1.aes-sha2");
	assert_string_equal(ev->sender_key, DANA_KEY);
	assert_string_equal(ev->session_id, "X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ");
	assert_non_null(ev->ciphertext);
	assert_string_equal(ev->device_id, "RJYKSTBOIE");
	/* A session id that is no base64 and a ciphertext that is no string
	 * are not taken: the event stays, but cannot be decrypted. */
	ev = &s->rooms[0].timeline[1];
	assert_null(ev->session_id);
	assert_null(ev->ciphertext);
	mx_sync_free(&s);
}

static void
test_decrypted_event_takes_the_outer_ids(void **state)
{
	struct mx_sync *s = crypto_sync();
	const char *plain = "{\"type\": \"m.room.message\", \"room_id\": \"" ROOM "\", "
	    "\"content\": {\"msgtype\": \"m.text\", \"body\": \"Car at 8:15\"}}";
	struct mx_event out;
	char *cause = NULL;

	assert_int_equal(mx_event_decrypted(&s->rooms[0].timeline[0], ROOM, plain, strlen(plain),
	    &out, &cause), 0);
	assert_string_equal(out.type, "m.room.message");
	assert_string_equal(out.body, "Car at 8:15");
	assert_string_equal(out.event_id, "$enc1");
	assert_string_equal(out.sender, "@dana:localhost");
	assert_int_equal(out.ts, 1732551100000);
	assert_string_equal(out.txn_id, "txn9");
	mx_event_clear(&out);
	mx_sync_free(&s);
}

static void
test_decrypted_event_refusals(void **state)
{
	struct mx_sync *s = crypto_sync();
	const char *bad[] = {
		/* another room: a ciphertext replayed into this one */
		"{\"type\": \"m.room.message\", \"room_id\": \"!other:x\", \"content\": {}}",
		"{\"type\": \"m.room.message\", \"content\": {}}",
		"{\"type\": \"m.room.encrypted\", \"room_id\": \"" ROOM "\", \"content\": {}}",
		"{\"room_id\": \"" ROOM "\", \"content\": {}}",
		"{\"type\": \"m.room.message\", \"room_id\": \"" ROOM "\"}",
		"[1, 2]",
		"not json",
	};
	struct mx_event out;

	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		char *cause = NULL;

		assert_int_equal(mx_event_decrypted(&s->rooms[0].timeline[0], ROOM, bad[i],
		    strlen(bad[i]), &out, &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
	mx_sync_free(&s);
}

static void
test_olm_payload_room_key(void **state)
{
	const char *json = "{\"type\": \"m.room_key\", \"sender\": \"@dana:localhost\", "
	    "\"recipient\": \"@me:localhost\", \"recipient_keys\": {\"ed25519\": \"AAAA\"}, "
	    "\"keys\": {\"ed25519\": \"QkJC\"}, \"content\": {\"algorithm\": "
	    "\"m.megolm.v1.aes-sha2\", \"room_id\": \"" ROOM "\", \"session_id\": \"U0lE\", "
	    "\"session_key\": \"S0VZ\"}}";
	struct mx_olm_payload p;
	char *cause = NULL;

	assert_int_equal(mx_olm_payload_parse(json, strlen(json), &p, &cause), 0);
	assert_string_equal(p.type, "m.room_key");
	assert_string_equal(p.sender, "@dana:localhost");
	assert_string_equal(p.recipient, "@me:localhost");
	assert_string_equal(p.recipient_ed25519, "AAAA");
	assert_string_equal(p.sender_ed25519, "QkJC");
	assert_string_equal(p.room_id, ROOM);
	assert_string_equal(p.session_id, "U0lE");
	assert_string_equal(p.session_key, "S0VZ");
	assert_null(p.forwarded_sender_key);
	mx_olm_payload_clear(&p);
}

static void
test_olm_payload_refusals(void **state)
{
	const char *bad[] = {
		/* no recipient_keys: the spec requires it, to stop re-addressing */
		"{\"type\": \"m.dummy\", \"sender\": \"@d:x\", \"recipient\": \"@m:x\", "
		"\"keys\": {\"ed25519\": \"QkJC\"}, \"content\": {}}",
		"{\"type\": \"m.dummy\", \"sender\": \"@d:x\", \"recipient\": \"@m:x\", "
		"\"recipient_keys\": {\"ed25519\": \"AAAA\"}, \"content\": {}}",
		"{\"type\": \"m.room_key\", \"sender\": \"@d:x\", \"recipient\": \"@m:x\", "
		"\"recipient_keys\": {\"ed25519\": \"AAAA\"}, \"keys\": {\"ed25519\": \"QkJC\"}, "
		"\"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\", \"room_id\": \"!r:x\"}}",
		"{\"type\": \"m.forwarded_room_key\", \"sender\": \"@d:x\", \"recipient\": \"@m:x\", "
		"\"recipient_keys\": {\"ed25519\": \"AAAA\"}, \"keys\": {\"ed25519\": \"QkJC\"}, "
		"\"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\", \"room_id\": \"!r:x\", "
		"\"session_id\": \"U0lE\", \"session_key\": \"S0VZ\"}}",
		"{\"type\": \"m.dummy\", \"sender\": 5, \"recipient\": \"@m:x\"}",
	};
	struct mx_olm_payload p;

	for (size_t i = 0; i < NT_NELEMS(bad); i++) {
		char *cause = NULL;

		assert_int_equal(mx_olm_payload_parse(bad[i], strlen(bad[i]), &p, &cause), -1);
		assert_non_null(cause);
		assert_null(p.type);
		free(cause);
	}
}

static void
test_keys_query(void **state)
{
	size_t len;
	char *json = fixture_read("crypto", "keys-query.json", &len), *cause = NULL;
	struct mx_keys k;

	assert_int_equal(mx_keys_query_parse(json, len, &k, &cause), 0);
	/* A device claiming another user's id, one without keys, and a user
	 * key that is no user id are left out. */
	assert_int_equal(k.n, 1);
	assert_int_equal(k.n_skipped, 3);
	assert_string_equal(k.devices[0].user_id, "@dana:localhost");
	assert_string_equal(k.devices[0].device_id, "JLAFKJWSCS");
	assert_string_equal(k.devices[0].curve25519, "3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI");
	assert_string_equal(k.devices[0].ed25519, "lEuiRJBit0IG6nUf5pUzWTUEsRVVe/HJkoKuEww9ULI");
	assert_string_equal(k.devices[0].display_name, "Dana's phone");
	assert_non_null(k.devices[0].signature);
	assert_non_null(strstr(k.devices[0].json, "\"signatures\""));
	assert_int_equal(k.n_failures, 1);
	assert_string_equal(k.failures[0], "unreachable.example");
	mx_keys_clear(&k);
	free(json);
}

static void
test_keys_claim(void **state)
{
	size_t len, n;
	char *json = fixture_read("crypto", "keys-claim.json", &len), *cause = NULL;
	struct mx_claimed_key *keys;

	assert_int_equal(mx_keys_claim_parse(json, len, &keys, &n, &cause), 0);
	/* An unsigned key, and one that is not signed_curve25519, are left out. */
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].user_id, "@dana:localhost");
	assert_string_equal(keys[0].device_id, "JLAFKJWSCS");
	assert_string_equal(keys[0].key_id, "signed_curve25519:AAAAHg");
	assert_string_equal(keys[0].key, "zKbLg+NrIjpnagy+pIY6uPL4ZwEG2v+8F9lmgsnlZzs");
	assert_non_null(keys[0].signature);
	mx_claimed_keys_free(&keys, n);
	free(json);
}

static void
test_backup_sessions(void **state)
{
	size_t len;
	char *json = fixture_read("crypto", "backup-keys.json", &len), *cause = NULL;
	struct mx_backup b;

	(void)state;
	assert_int_equal(mx_backup_parse(json, len, &b, &cause), 0);
	/* Without an index or data, with a bad index or base64, or in what is
	 * no room: left out. */
	assert_int_equal(b.n, 2);
	assert_int_equal(b.n_skipped, 5);
	assert_string_equal(b.sessions[0].room_id, ROOM);
	assert_string_equal(b.sessions[0].session_id,
	    "X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ");
	assert_int_equal(b.sessions[0].first_index, 1);
	assert_true(b.sessions[0].verified);
	assert_string_equal(b.sessions[0].ephemeral, DANA_KEY);
	assert_string_equal(b.sessions[0].mac, "QzKV/fgAs4U");
	assert_string_equal(b.sessions[1].session_id, "forwarded");
	assert_int_equal(b.sessions[1].forwarded_count, 2);
	assert_false(b.sessions[1].verified);
	mx_backup_clear(&b);
	free(json);
	assert_int_equal(mx_backup_parse("[]", 2, &b, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_backup_version(void **state)
{
	static const char good[] = "{\"algorithm\": \"m.megolm_backup.v1.curve25519-aes-sha2\","
	    " \"auth_data\": {\"public_key\": \"" DANA_KEY "\", \"signatures\": {}},"
	    " \"count\": 42, \"etag\": \"7\", \"version\": \"3\"}";
	static const char no_version[] = "{\"algorithm\": \"x\", \"auth_data\": {}}";
	struct mx_backup_version v;
	char *cause = NULL;

	(void)state;
	assert_int_equal(mx_backup_version_parse(good, sizeof good - 1, &v, &cause), 0);
	assert_string_equal(v.version, "3");
	assert_string_equal(v.algorithm, "m.megolm_backup.v1.curve25519-aes-sha2");
	assert_string_equal(v.public_key, DANA_KEY);
	assert_int_equal(v.count, 42);
	mx_backup_version_clear(&v);
	assert_int_equal(mx_backup_version_parse(no_version, sizeof no_version - 1, &v, &cause),
	    -1);
	assert_non_null(strstr(cause, "version"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_device_olm_ciphertexts),
		cmocka_unit_test(test_device_lists_and_key_counts),
		cmocka_unit_test(test_counts_absent),
		cmocka_unit_test(test_megolm_event_fields),
		cmocka_unit_test(test_decrypted_event_takes_the_outer_ids),
		cmocka_unit_test(test_decrypted_event_refusals),
		cmocka_unit_test(test_olm_payload_room_key),
		cmocka_unit_test(test_olm_payload_refusals),
		cmocka_unit_test(test_keys_query),
		cmocka_unit_test(test_keys_claim),
		cmocka_unit_test(test_backup_sessions),
		cmocka_unit_test(test_backup_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
