/* The store's end-to-end encryption state: sealed pickles kept and
 * replaced as they should be, device lists with their trust, who may read
 * a room, replays caught, and a message that waits for its key taking the
 * place of its ciphertext once decrypted, found by search. */
#include "cache-builder.h"

#define ROOM "!secret:x"

static void
test_account_and_olm_sessions(void **state)
{
	struct fixture *f = *state;
	struct store_olm *s;
	size_t n;
	char *cause = NULL, *pickle;

	assert_null(store_crypto_account(f->st, &cause));
	assert_null(cause);
	assert_int_equal(store_crypto_account_put(f->st, "acct-1", &cause), 0);
	assert_int_equal(store_crypto_account_put(f->st, "acct-2", &cause), 0);
	pickle = store_crypto_account(f->st, &cause);
	assert_string_equal(pickle, "acct-2");
	free(pickle);
	assert_int_equal(store_olm_put(f->st, "s-old", "KEY", "p-old", 100, &cause), 0);
	assert_int_equal(store_olm_put(f->st, "s-new", "KEY", "p-new", 200, &cause), 0);
	assert_int_equal(store_olm_put(f->st, "s-other", "OTHER", "p", 300, &cause), 0);
	assert_int_equal(store_olm_sessions(f->st, "KEY", &s, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].session_id, "s-new");
	assert_string_equal(s[1].pickle, "p-old");
	store_olm_free(&s, n);
	/* Used again, the old one comes first. */
	assert_int_equal(store_olm_put(f->st, "s-old", "KEY", "p-old-2", 400, &cause), 0);
	assert_int_equal(store_olm_sessions(f->st, "KEY", &s, &n, &cause), 0);
	assert_string_equal(s[0].pickle, "p-old-2");
	store_olm_free(&s, n);
}

static void
test_room_keys_keep_the_earliest(void **state)
{
	struct fixture *f = *state;
	struct store_megolm_in in = {.room_id = ROOM, .sender_ed25519 = "ED", .first_index = 5,
	    .pickle = "from-5"}, got;
	char *cause = NULL;

	assert_int_equal(store_megolm_in(f->st, "S", "SK", &got, &cause), 0);
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	/* A key from later in the session does not replace one from earlier. */
	in.first_index = 9;
	in.pickle = "from-9";
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_megolm_in(f->st, "S", "SK", &got, &cause), 1);
	assert_string_equal(got.pickle, "from-5");
	store_megolm_in_clear(&got);
	in.first_index = 0;
	in.pickle = "from-0";
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_megolm_in(f->st, "S", "SK", &got, &cause), 1);
	assert_string_equal(got.pickle, "from-0");
	assert_int_equal(got.first_index, 0);
	assert_string_equal(got.room_id, ROOM);
	store_megolm_in_clear(&got);
}

static void
test_a_replayed_index_is_caught(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *other = NULL;

	assert_int_equal(store_megolm_seen(f->st, "S", "SK", 3, "$a", 100, &other, &cause), 0);
	/* The same event again (a second sync, a backfill) is no replay. */
	assert_int_equal(store_megolm_seen(f->st, "S", "SK", 3, "$a", 100, &other, &cause), 0);
	assert_int_equal(store_megolm_seen(f->st, "S", "SK", 3, "$b", 200, &other, &cause), 1);
	assert_null(other);
	assert_int_equal(store_megolm_seen(f->st, "S", "OTHER", 3, "$b", 200, &other, &cause), 0);
	/* An earlier event with the index, decrypted after the copy: the
	 * earlier one keeps it, whatever the order they were read in. */
	assert_int_equal(store_megolm_seen(f->st, "S", "SK", 4, "$copy", 300, &other, &cause), 0);
	assert_int_equal(store_megolm_seen(f->st, "S", "SK", 4, "$orig", 150, &other, &cause), 2);
	assert_string_equal(other, "$copy");
	free(other);
	assert_int_equal(store_megolm_seen(f->st, "S", "SK", 4, "$copy", 300, &other, &cause), 1);
}

static void
test_own_room_key_and_whom_it_went_to(void **state)
{
	struct fixture *f = *state;
	struct store_megolm_out out = {.session_id = "OUT", .pickle = "p", .created_ms = 7,
	    .messages = 2}, got;
	char *cause = NULL;

	assert_int_equal(store_megolm_out(f->st, ROOM, &got, &cause), 0);
	assert_int_equal(store_megolm_out_put(f->st, ROOM, &out, &cause), 0);
	assert_int_equal(store_megolm_out(f->st, ROOM, &got, &cause), 1);
	assert_string_equal(got.session_id, "OUT");
	assert_int_equal(got.messages, 2);
	store_megolm_out_clear(&got);
	assert_int_equal(store_megolm_shared(f->st, ROOM, "OUT", "@d:x", "DEV", &cause), 0);
	assert_int_equal(store_megolm_shared_put(f->st, ROOM, "OUT", "@d:x", "DEV", 1, &cause), 0);
	assert_int_equal(store_megolm_shared(f->st, ROOM, "OUT", "@d:x", "DEV", &cause), 2);
	assert_int_equal(store_megolm_shared_put(f->st, ROOM, "OUT", "@d:x", "DEV", 0, &cause), 0);
	assert_int_equal(store_megolm_shared(f->st, ROOM, "OUT", "@d:x", "DEV", &cause), 1);
	assert_int_equal(store_megolm_shared(f->st, ROOM, "NEXT", "@d:x", "DEV", &cause), 0);
	assert_int_equal(store_megolm_out_drop(f->st, ROOM, &cause), 0);
	assert_int_equal(store_megolm_out(f->st, ROOM, &got, &cause), 0);
}

static void
test_devices_keep_trust_only_for_the_same_keys(void **state)
{
	struct fixture *f = *state;
	struct store_device d[] = {
		{"@d:x", "PHONE", "C1", "E1", "Dana's phone", STORE_TRUST_VERIFIED, 0, 0, 0},
		{"@d:x", "LAPTOP", "C2", "E2", NULL, STORE_TRUST_VERIFIED, 0, 0, 0},
		{"@d:x", "OLD", "C3", "E3", NULL, STORE_TRUST_UNVERIFIED, 0, 0, 0},
	}, again[] = {
		{"@d:x", "PHONE", "C1", "E1", "Dana's phone", STORE_TRUST_UNVERIFIED, 0, 0, 0},
		{"@d:x", "LAPTOP", "C9", "E9", NULL, STORE_TRUST_UNVERIFIED, 0, 0, 0},
	}, *got, one;
	char *cause = NULL, **users;
	size_t n;

	assert_int_equal(store_crypto_track(f->st, "@d:x", 1, &cause), 0);
	assert_int_equal(store_crypto_outdated(f->st, &users, &n, &cause), 0);
	assert_int_equal(n, 1);
	store_strings_free(&users, n);
	assert_int_equal(store_devices_put(f->st, "@d:x", d, NT_NELEMS(d), &cause), 0);
	assert_int_equal(store_crypto_outdated(f->st, &users, &n, &cause), 0);
	assert_int_equal(n, 0);
	/* A device gone from the list goes; one whose keys changed is a new
	 * device and loses the trust given to the old keys. */
	assert_int_equal(store_devices_put(f->st, "@d:x", again, NT_NELEMS(again), &cause), 0);
	assert_int_equal(store_devices(f->st, "@d:x", &got, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0].device_id, "LAPTOP");
	assert_int_equal(got[0].trust, STORE_TRUST_UNVERIFIED);
	assert_string_equal(got[1].device_id, "PHONE");
	assert_int_equal(got[1].trust, STORE_TRUST_VERIFIED);
	store_devices_free(&got, n);
	assert_int_equal(store_device_by_key(f->st, "C9", &one, &cause), 1);
	assert_string_equal(one.device_id, "LAPTOP");
	store_device_clear(&one);
	assert_int_equal(store_device_by_key(f->st, "C3", &one, &cause), 0);
}

static void
test_trust_is_set_on_known_devices_only(void **state)
{
	struct fixture *f = *state;
	struct store_device d[] = {{"@d:x", "PHONE", "C1", "E1", NULL, STORE_TRUST_UNVERIFIED, 0, 0, 0}},
	    got;
	char *cause = NULL;

	assert_int_equal(store_devices_put(f->st, "@d:x", d, NT_NELEMS(d), &cause), 0);
	assert_int_equal(store_device_trust(f->st, "@d:x", "PHONE", STORE_TRUST_VERIFIED,
	    &cause), 0);
	assert_int_equal(store_device_get(f->st, "@d:x", "PHONE", &got, &cause), 1);
	assert_int_equal(got.trust, STORE_TRUST_VERIFIED);
	store_device_clear(&got);
	assert_int_equal(store_device_trust(f->st, "@d:x", "TABLET", STORE_TRUST_VERIFIED,
	    &cause), -1);
	assert_string_equal(cause, "no device TABLET of @d:x is known");
	free(cause);
	assert_int_equal(store_device_get(f->st, "@d:x", "TABLET", &got, NULL), 0);
}

static void
test_a_forwarded_key_gives_way_to_the_senders_own(void **state)
{
	struct fixture *f = *state;
	struct store_megolm_in in = {.room_id = ROOM, .sender_ed25519 = "ED", .first_index = 0,
	    .pickle = "forwarded", .forwarded = 1}, got;
	char *cause = NULL;

	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	in.pickle = "own";
	in.forwarded = 0;
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_megolm_in(f->st, "S", "SK", &got, &cause), 1);
	assert_string_equal(got.pickle, "own");
	assert_int_equal(got.forwarded, 0);
	store_megolm_in_clear(&got);
	/* Forwarded again from as far: the sender's own stays. */
	in.pickle = "forwarded";
	in.forwarded = 1;
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_megolm_in(f->st, "S", "SK", &got, &cause), 1);
	assert_string_equal(got.pickle, "own");
	store_megolm_in_clear(&got);
}

static void
readers_of(struct fixture *f, const char *visibility, const char *expect)
{
	struct mx_sync *s = sync_new(visibility);
	struct mx_room_update *ru = sync_room(s, ROOM, MX_MEMBERSHIP_JOIN);
	struct mx_event *ev;
	struct buf b = {0};
	char **users, *cause = NULL;
	size_t n;

	ev_member(&ru->state, &ru->n_state, SELF, NULL, MX_MEMBERSHIP_JOIN);
	ev_member(&ru->state, &ru->n_state, "@d:x", NULL, MX_MEMBERSHIP_JOIN);
	ev_member(&ru->state, &ru->n_state, "@invited:x", NULL, MX_MEMBERSHIP_INVITE);
	ev_member(&ru->state, &ru->n_state, "@gone:x", NULL, MX_MEMBERSHIP_LEAVE);
	ev = ev_state(&ru->state, &ru->n_state, "$hv", "m.room.history_visibility", "@d:x", "");
	free(ev->content);
	ev->content = content_json("history_visibility", visibility, NULL, NULL);
	apply_ok(f->st, &s);
	assert_int_equal(store_crypto_readers(f->st, ROOM, &users, &n, &cause), 0);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", users[i]);
	assert_string_equal(b.data, expect);
	buf_free(&b);
	store_strings_free(&users, n);
}

static void
test_who_may_read_depends_on_history_visibility(void **state)
{
	struct fixture *f = *state;

	readers_of(f, "shared", "@d:x @invited:x @me:x");
	readers_of(f, "joined", "@d:x @me:x");
	readers_of(f, "invited", "@d:x @invited:x @me:x");
}

/* A room with an encrypted message that waits for its key. */
static void
waiting_message(struct fixture *f)
{
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, ROOM, MX_MEMBERSHIP_JOIN);
	struct mx_event *ev;
	char *cause = NULL;

	ev_text(&ru->timeline, &ru->n_timeline, "$before", "@d:x", "in clear before");
	ev = ev_push(&ru->timeline, &ru->n_timeline, "$enc", "m.room.encrypted", "@d:x");
	free(ev->content);
	ev->content = xstrdup("{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"ciphertext\":\"CT\"}");
	ev->encryption = xstrdup("waiting for the key");
	ev->sender_key = xstrdup("SK");
	/* An edit of it that came in clear before it could be read. */
	ev_edit(&ru->timeline, &ru->n_timeline, "$edit", "@d:x", "$enc", "the car is at 8:30");
	ev_text(&ru->timeline, &ru->n_timeline, "$after", "@d:x", "in clear after");
	assert_int_equal(store_batch_begin(f->st, &cause), 0);
	assert_int_equal(store_apply_sync(f->st, s, &cause), 0);
	assert_int_equal(store_pending_put(f->st, "$enc", ROOM, "S", "SK", "CT", -1, &cause), 0);
	assert_int_equal(store_batch_commit(f->st, &cause), 0);
	mx_sync_free(&s);
}

static void
test_a_waiting_message_takes_its_place_once_decrypted(void **state)
{
	struct fixture *f = *state;
	struct store_pending *p;
	struct store_msg *msgs, m;
	struct mx_event ev = {0};
	size_t n;
	char *cause = NULL;

	waiting_message(f);
	assert_int_equal(store_pending_of(f->st, "S", "SK", &p, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].event_id, "$enc");
	assert_string_equal(p[0].ciphertext, "CT");
	assert_string_equal(p[0].sender, "@d:x");
	store_pending_free(&p, n);
	assert_int_equal(store_msg_get(f->st, "$enc", &m, &cause), 0);
	assert_string_equal(m.type, "m.room.encrypted");
	assert_string_equal(m.encryption, "waiting for the key");
	store_msg_clear(&m);

	ev.event_id = xstrdup("$enc");
	ev.type = xstrdup("m.room.message");
	ev.sender = xstrdup("@d:x");
	ev.msgtype = xstrdup("m.text");
	ev.body = xstrdup("the car is at 8:15");
	ev.content_plain = 1;
	ev.size = -1;
	ev.encryption = xstrdup("ok");
	ev.sender_key = xstrdup("SK");
	assert_int_equal(store_event_decrypted(f->st, ROOM, &ev, &cause), 0);
	mx_event_clear(&ev);

	assert_int_equal(store_pending_of(f->st, "S", "SK", &p, &n, &cause), 0);
	assert_int_equal(n, 0);
	/* In its place, with the edit that waited for it applied. */
	assert_int_equal(store_history(f->st, ROOM, INT64_MAX, 10, &msgs, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(msgs[1].event_id, "$enc");
	assert_string_equal(msgs[1].body, "the car is at 8:30");
	assert_true(msgs[1].edited);
	assert_string_equal(msgs[1].encryption, "ok");
	assert_null(msgs[0].encryption);
	store_msgs_free(&msgs, n);
	assert_int_equal(store_fts_count(f->st, "8:30"), 1);
	assert_fts_in_step(f->path);
}

/* A message older than the key natter has waits for one that reaches
 * back to it; a withheld key says why on every message that waits. */
static void
test_a_waiting_message_waits_for_a_key_that_reaches_it(void **state)
{
	struct fixture *f = *state;
	struct store_megolm_in in = {.room_id = ROOM, .sender_ed25519 = "ED", .first_index = 7,
	    .pickle = "from-7"};
	struct store_pending *p = xmalloc(sizeof *p);
	struct store_msg m;
	size_t n;
	char *cause = NULL, *why, **ids;

	waiting_message(f);
	assert_int_equal(store_pending_put(f->st, "$enc", ROOM, "S", "SK", "CT", 5, &cause), 0);
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_pending_ready(f->st, NULL, &ids, &n, &cause), 0);
	assert_int_equal(n, 0);
	in.first_index = 3;
	in.pickle = "from-3";
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_pending_ready(f->st, NULL, &ids, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "$enc");
	store_strings_free(&ids, n);
	assert_int_equal(store_pending_get(f->st, "$nothing", p, &cause), 0);
	assert_int_equal(store_pending_get(f->st, "$enc", p, &cause), 1);
	assert_string_equal(p->ciphertext, "CT");
	assert_string_equal(p->session_id, "S");
	store_pending_free(&p, 1);

	assert_null(store_withheld(f->st, "S", "SK", &cause));
	assert_null(cause);
	assert_int_equal(store_withheld_put(f->st, "S", "SK", "waiting for the key: withheld",
	    &cause), 0);
	assert_int_equal(store_msg_get(f->st, "$enc", &m, &cause), 0);
	assert_string_equal(m.encryption, "waiting for the key: withheld");
	store_msg_clear(&m);
	why = store_withheld(f->st, "S", "SK", &cause);
	assert_string_equal(why, "waiting for the key: withheld");
	free(why);
	assert_null(store_withheld(f->st, "S", "other", &cause));
}

static void
test_keys_messages_wait_for_are_asked_for_once(void **state)
{
	struct fixture *f = *state;
	struct store_request *due, got, sent = {.session_id = "S", .sender_key = "SK",
	    .room_id = ROOM, .request_id = "req-1", .sent_ms = 42};
	struct store_megolm_in in = {.room_id = ROOM, .first_index = 0, .pickle = "p"};
	size_t n;
	char *cause = NULL;

	waiting_message(f);
	assert_int_equal(store_requests_due(f->st, &due, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(due[0].session_id, "S");
	assert_string_equal(due[0].sender_key, "SK");
	assert_string_equal(due[0].room_id, ROOM);
	store_requests_free(&due, n);
	assert_int_equal(store_request_put(f->st, &sent, &cause), 0);
	assert_int_equal(store_requests_due(f->st, &due, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_request_get(f->st, "S", "SK", &got, &cause), 1);
	assert_string_equal(got.request_id, "req-1");
	assert_int_equal(got.sent_ms, 42);
	store_request_clear(&got);
	/* Once the key is here, nothing is due even with the request gone. */
	assert_int_equal(store_request_drop(f->st, "S", "SK", &cause), 0);
	assert_int_equal(store_request_get(f->st, "S", "SK", &got, &cause), 0);
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_requests_due(f->st, &due, &n, &cause), 0);
	assert_int_equal(n, 0);
}

/* The newest event of the cache waited: its row's id is used again. */
static void
test_the_newest_message_decrypted_is_found(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s1");
	struct mx_room_update *ru = sync_room(s, ROOM, MX_MEMBERSHIP_JOIN);
	struct mx_event *ev, dec = {0};
	char *cause = NULL;

	ev_text(&ru->timeline, &ru->n_timeline, "$before", "@d:x", "in clear before");
	ev = ev_push(&ru->timeline, &ru->n_timeline, "$last", "m.room.encrypted", "@d:x");
	ev->encryption = xstrdup("waiting for the key");
	apply_ok(f->st, &s);
	dec.event_id = xstrdup("$last");
	dec.type = xstrdup("m.room.message");
	dec.sender = xstrdup("@d:x");
	dec.msgtype = xstrdup("m.text");
	dec.body = xstrdup("the board meets on Monday");
	dec.content_plain = 1;
	dec.size = -1;
	dec.encryption = xstrdup("ok");
	assert_int_equal(store_event_decrypted(f->st, ROOM, &dec, &cause), 0);
	mx_event_clear(&dec);
	assert_int_equal(store_fts_count(f->st, "Monday"), 1);
	assert_fts_in_step(f->path);
}

static void
test_a_failed_batch_keeps_neither_the_sync_nor_the_keys(void **state)
{
	struct fixture *f = *state;
	struct mx_sync *s = sync_new("s-lost");
	struct mx_room_update *ru = sync_room(s, ROOM, MX_MEMBERSHIP_JOIN);
	struct store_megolm_in in = {.room_id = ROOM, .first_index = 0, .pickle = "p"}, got;
	struct store_msg m;
	char *cause = NULL, *since;

	ev_text(&ru->timeline, &ru->n_timeline, "$x", "@d:x", "lost with its key");
	assert_int_equal(store_batch_begin(f->st, &cause), 0);
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_apply_sync(f->st, s, &cause), 0);
	store_batch_abort(f->st);
	mx_sync_free(&s);
	assert_int_equal(store_megolm_in(f->st, "S", "SK", &got, &cause), 0);
	since = store_sync_token(f->st);
	assert_null(since);
	assert_int_equal(store_msg_get(f->st, "$x", &m, NULL), -1);
}

static void
test_logout_forgets_every_key_but_no_message(void **state)
{
	struct fixture *f = *state;
	struct store_megolm_in in = {.room_id = ROOM, .first_index = 0, .pickle = "p"}, got;
	struct store_request asked = {.session_id = "S", .sender_key = "SK", .room_id = ROOM,
	    .request_id = "r", .sent_ms = 1}, req;
	struct store_msg m;
	char *cause = NULL;

	waiting_message(f);
	assert_int_equal(store_crypto_account_put(f->st, "acct", &cause), 0);
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(store_request_put(f->st, &asked, &cause), 0);
	assert_int_equal(store_crypto_forget(f->st, &cause), 0);
	assert_null(store_crypto_account(f->st, &cause));
	assert_int_equal(store_megolm_in(f->st, "S", "SK", &got, &cause), 0);
	assert_int_equal(store_request_get(f->st, "S", "SK", &req, &cause), 0);
	assert_int_equal(store_msg_get(f->st, "$before", &m, &cause), 0);
	store_msg_clear(&m);
}

static void
test_secrets_are_kept_and_forgotten_at_logout(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *got;

	assert_null(store_crypto_secret(f->st, "m.megolm_backup.v1", &cause));
	assert_null(cause);
	assert_int_equal(store_crypto_secret_put(f->st, "m.megolm_backup.v1", "sealed-1", &cause),
	    0);
	assert_int_equal(store_crypto_secret_put(f->st, "m.megolm_backup.v1", "sealed-2", &cause),
	    0);
	got = store_crypto_secret(f->st, "m.megolm_backup.v1", &cause);
	assert_string_equal(got, "sealed-2");
	free(got);
	assert_null(store_crypto_secret(f->st, "m.cross_signing.master", &cause));
	assert_int_equal(store_crypto_forget(f->st, &cause), 0);
	assert_null(store_crypto_secret(f->st, "m.megolm_backup.v1", &cause));
	assert_null(cause);
}

static size_t
unbacked(struct fixture *f, const char *expect_first)
{
	struct store_megolm_key *keys;
	size_t n;
	char *cause = NULL;

	assert_int_equal(store_megolm_unbacked(f->st, 10, &keys, &n, &cause), 0);
	if (expect_first != NULL) {
		assert_true(n > 0);
		assert_string_equal(keys[0].session_id, expect_first);
	}
	store_megolm_keys_free(&keys, n);
	return n;
}

static void
test_room_keys_go_to_the_backup_once_and_again_when_better(void **state)
{
	struct fixture *f = *state;
	struct store_megolm_in in = {.room_id = ROOM, .first_index = 5, .pickle = "from-5"};
	char *cause = NULL;

	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(unbacked(f, "S"), 1);
	assert_int_equal(store_megolm_backed(f->st, "S", "SK", "from-5", &cause), 0);
	assert_int_equal(unbacked(f, NULL), 0);
	/* A later copy changes nothing; an earlier one goes to the backup. */
	in.first_index = 9;
	in.pickle = "from-9";
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(unbacked(f, NULL), 0);
	in.first_index = 0;
	in.pickle = "from-0";
	assert_int_equal(store_megolm_in_put(f->st, "S", "SK", &in, &cause), 0);
	assert_int_equal(unbacked(f, "S"), 1);
	/* The mark of a copy that was replaced meanwhile does not hold. */
	assert_int_equal(store_megolm_backed(f->st, "S", "SK", "from-5", &cause), 0);
	assert_int_equal(unbacked(f, "S"), 1);
	assert_int_equal(store_megolm_backed(f->st, "S", "SK", "from-0", &cause), 0);
	assert_int_equal(unbacked(f, NULL), 0);
	/* A new backup version needs every key again. */
	assert_int_equal(store_megolm_backup_reset(f->st, &cause), 0);
	assert_int_equal(unbacked(f, "S"), 1);
}

static int
changed(struct fixture *f)
{
	struct store_device *got;
	size_t n;
	char *cause = NULL;
	int c;

	assert_int_equal(store_devices(f->st, "@d:x", &got, &n, &cause), 0);
	assert_int_equal(n, 1);
	c = got[0].identity_changed;
	store_devices_free(&got, n);
	return c;
}

static void
test_a_changed_master_key_marks_the_users_devices_until_accepted(void **state)
{
	struct fixture *f = *state;
	struct store_device d[] = {{"@d:x", "PHONE", "C1", "E1", NULL, STORE_TRUST_UNVERIFIED, 1, 0,
	    0}};
	char *cause = NULL;

	assert_int_equal(store_devices_put(f->st, "@d:x", d, 1, &cause), 0);
	assert_false(changed(f));
	assert_int_equal(store_crypto_master_put(f->st, "@d:x", "M1", &cause), 0);
	assert_int_equal(store_crypto_master_seen(f->st, "@d:x", "M1", &cause), 0);
	assert_false(changed(f));
	assert_int_equal(store_crypto_master_accept(f->st, "@d:x", &cause), 0);
	assert_int_equal(store_crypto_master_seen(f->st, "@d:x", "M2", &cause), 0);
	assert_true(changed(f));
	assert_int_equal(store_crypto_master_accept(f->st, "@d:x", &cause), 1);
	assert_false(changed(f));
	assert_int_equal(store_crypto_master_accept(f->st, "@d:x", &cause), 0);
	assert_null(cause);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_account_and_olm_sessions),
		T(test_room_keys_keep_the_earliest),
		T(test_a_replayed_index_is_caught),
		T(test_own_room_key_and_whom_it_went_to),
		T(test_devices_keep_trust_only_for_the_same_keys),
		T(test_trust_is_set_on_known_devices_only),
		T(test_a_forwarded_key_gives_way_to_the_senders_own),
		T(test_keys_messages_wait_for_are_asked_for_once),
		T(test_who_may_read_depends_on_history_visibility),
		T(test_a_waiting_message_takes_its_place_once_decrypted),
		T(test_a_waiting_message_waits_for_a_key_that_reaches_it),
		T(test_the_newest_message_decrypted_is_found),
		T(test_a_failed_batch_keeps_neither_the_sync_nor_the_keys),
		T(test_logout_forgets_every_key_but_no_message),
		T(test_secrets_are_kept_and_forgotten_at_logout),
		T(test_a_changed_master_key_marks_the_users_devices_until_accepted),
		T(test_room_keys_go_to_the_backup_once_and_again_when_better),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
