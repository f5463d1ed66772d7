/* End-to-end encryption's state: the crypto module's sealed pickles, the
 * devices natter shares encrypted rooms with, who may read a room, and
 * the messages that wait for their room key. */
#include <stdlib.h>
#include <string.h>

#include "natter/util.h"
#include "store-private.h"

/* Runs a statement bound with texts (NULL binds NULL). */
static int
store_crypto_run(struct store *st, enum store_sql id, const char *const *texts, size_t n,
    const char *doing, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, id, cause);

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		store_bind_text(s, (int)i + 1, texts[i]);
	return store_run(st, s, doing, cause);
}

char *
store_crypto_account(struct store *st, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_ACCOUNT_GET, cause);
	char *pickle = NULL;

	if (s != NULL && store_row(st, s, "cannot read the account's keys", cause) == 1) {
		pickle = store_column_text(s, 0);
		store_done(s);
	}
	return pickle;
}

int
store_crypto_account_put(struct store *st, const char *pickle, char **cause)
{
	return store_crypto_run(st, STORE_SQL_CRYPTO_ACCOUNT_PUT, &pickle, 1,
	    "cannot save the account's keys", cause);
}

int
store_crypto_forget(struct store *st, char **cause)
{
	static const char sql[] =
	    "BEGIN IMMEDIATE; DELETE FROM crypto_account; DELETE FROM crypto_olm;"
	    " DELETE FROM crypto_megolm_in; DELETE FROM crypto_megolm_seen;"
	    " DELETE FROM crypto_megolm_out; DELETE FROM crypto_megolm_shared;"
	    " DELETE FROM crypto_devices; DELETE FROM crypto_users;"
	    " DELETE FROM crypto_requests; DELETE FROM crypto_incoming;"
	    " DELETE FROM crypto_secrets; DELETE FROM meta WHERE key = '" STORE_META_BACKUP "';"
	    " COMMIT";

	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_error(st, "cannot forget the encryption keys", cause);
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
store_olm_sessions(struct store *st, const char *their_key, struct store_olm **out, size_t *n,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_OLM_OF, cause);
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, their_key);
	while ((r = store_row(st, s, "cannot read Olm sessions", cause)) == 1) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[*n].session_id = store_column_text(s, 0);
		(*out)[(*n)++].pickle = store_column_text(s, 1);
	}
	if (r == -1)
		store_olm_free(out, *n);
	return r;
}

void
store_olm_free(struct store_olm **s, size_t n)
{
	if (*s == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*s)[i].session_id);
		free((*s)[i].pickle);
	}
	xfree(s);
}

int
store_olm_put(struct store *st, const char *session_id, const char *their_key,
    const char *pickle, int64_t used_ms, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_OLM_PUT, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, their_key);
	store_bind_text(s, 3, pickle);
	sqlite3_bind_int64(s, 4, used_ms);
	return store_run(st, s, "cannot save an Olm session", cause);
}

/* A room key's columns, from col on: room_id, sender_ed25519,
 * first_index, pickle, forwarded. */
static void
store_megolm_in_row(sqlite3_stmt *s, int col, struct store_megolm_in *out)
{
	out->room_id = store_column_text(s, col);
	out->sender_ed25519 = store_column_text(s, col + 1);
	out->first_index = sqlite3_column_int64(s, col + 2);
	out->pickle = store_column_text(s, col + 3);
	out->forwarded = sqlite3_column_int(s, col + 4);
}

int
store_megolm_in(struct store *st, const char *session_id, const char *sender_key,
    struct store_megolm_in *out, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_IN_GET, cause);
	int r;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, sender_key);
	if ((r = store_row(st, s, "cannot read a room key", cause)) == 1) {
		store_megolm_in_row(s, 0, out);
		store_done(s);
	}
	return r;
}

/* The rows of s (session id, sender key, then an inbound session) as
 * store_megolm_keys. */
static int
store_megolm_keys_read(struct store *st, sqlite3_stmt *s, struct store_megolm_key **keys,
    size_t *n, char **cause)
{
	int r;

	while ((r = store_row(st, s, "cannot read the room keys", cause)) == 1) {
		struct store_megolm_key *k;

		*keys = xreallocarray(*keys, *n + 1, sizeof **keys);
		k = &(*keys)[(*n)++];
		k->session_id = store_column_text(s, 0);
		k->sender_key = store_column_text(s, 1);
		store_megolm_in_row(s, 2, &k->in);
	}
	if (r == -1)
		store_megolm_keys_free(keys, *n);
	return r;
}

int
store_megolm_in_all(struct store *st, struct store_megolm_key **keys, size_t *n, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_IN_ALL, cause);

	*keys = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	return store_megolm_keys_read(st, s, keys, n, cause);
}

void
store_megolm_keys_free(struct store_megolm_key **keys, size_t n)
{
	if (*keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*keys)[i].session_id);
		free((*keys)[i].sender_key);
		store_megolm_in_clear(&(*keys)[i].in);
	}
	xfree(keys);
}

void
store_megolm_in_clear(struct store_megolm_in *m)
{
	free(m->room_id);
	free(m->sender_ed25519);
	free(m->pickle);
	memset(m, 0, sizeof *m);
}

int
store_megolm_in_put(struct store *st, const char *session_id, const char *sender_key,
    const struct store_megolm_in *m, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_IN_PUT, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, sender_key);
	store_bind_text(s, 3, m->room_id);
	store_bind_text(s, 4, m->sender_ed25519);
	sqlite3_bind_int64(s, 5, m->first_index);
	store_bind_text(s, 6, m->pickle);
	sqlite3_bind_int(s, 7, m->forwarded != 0);
	return store_run(st, s, "cannot save a room key", cause);
}

int
store_megolm_seen(struct store *st, const char *session_id, const char *sender_key,
    int64_t index, const char *event_id, int64_t ts, char **other, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_SEEN_GET, cause);
	char *held = NULL;
	int64_t held_ts = 0;
	int r;

	*other = NULL;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, sender_key);
	sqlite3_bind_int64(s, 3, index);
	if ((r = store_row(st, s, "cannot read a message index", cause)) == -1)
		return -1;
	if (r == 1) {
		held = store_column_text(s, 0);
		held_ts = sqlite3_column_int64(s, 1);
		store_done(s);
		if (strcmp(held, event_id) == 0) {
			free(held);
			return 0;
		}
		if (held_ts < ts || (held_ts == ts && strcmp(held, event_id) < 0)) {
			free(held);
			return 1;
		}
	}
	if ((s = store_stmt(st, STORE_SQL_CRYPTO_SEEN_PUT, cause)) == NULL) {
		free(held);
		return -1;
	}
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, sender_key);
	sqlite3_bind_int64(s, 3, index);
	store_bind_text(s, 4, event_id);
	sqlite3_bind_int64(s, 5, ts);
	if (store_run(st, s, "cannot save a message index", cause) == -1) {
		free(held);
		return -1;
	}
	*other = held;
	return held != NULL ? 2 : 0;
}

int
store_megolm_out(struct store *st, const char *room_id, struct store_megolm_out *out,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_OUT_GET, cause);
	int r;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	if ((r = store_row(st, s, "cannot read the room's own key", cause)) == 1) {
		out->session_id = store_column_text(s, 0);
		out->pickle = store_column_text(s, 1);
		out->created_ms = sqlite3_column_int64(s, 2);
		out->messages = sqlite3_column_int64(s, 3);
		store_done(s);
	}
	return r;
}

void
store_megolm_out_clear(struct store_megolm_out *m)
{
	free(m->session_id);
	free(m->pickle);
	memset(m, 0, sizeof *m);
}

int
store_megolm_out_put(struct store *st, const char *room_id, const struct store_megolm_out *m,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_OUT_PUT, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, m->session_id);
	store_bind_text(s, 3, m->pickle);
	sqlite3_bind_int64(s, 4, m->created_ms);
	sqlite3_bind_int64(s, 5, m->messages);
	return store_run(st, s, "cannot save the room's own key", cause);
}

int
store_megolm_out_drop(struct store *st, const char *room_id, char **cause)
{
	return store_crypto_run(st, STORE_SQL_CRYPTO_OUT_DROP, &room_id, 1,
	    "cannot drop the room's own key", cause);
}

int
store_megolm_shared(struct store *st, const char *room_id, const char *session_id,
    const char *user_id, const char *device_id, char **cause)
{
	const char *texts[] = {room_id, session_id, user_id, device_id};
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_SHARED_GET, cause);
	int r;

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < NT_NELEMS(texts); i++)
		store_bind_text(s, (int)i + 1, texts[i]);
	if ((r = store_row(st, s, "cannot read whom a key went to", cause)) == 1) {
		r = sqlite3_column_int(s, 0) ? 2 : 1;
		store_done(s);
	}
	return r;
}

int
store_megolm_shared_put(struct store *st, const char *room_id, const char *session_id,
    const char *user_id, const char *device_id, int withheld, char **cause)
{
	const char *texts[] = {room_id, session_id, user_id, device_id};
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_SHARED_PUT, cause);

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < NT_NELEMS(texts); i++)
		store_bind_text(s, (int)i + 1, texts[i]);
	sqlite3_bind_int(s, 5, withheld != 0);
	return store_run(st, s, "cannot save whom a key went to", cause);
}

int
store_withheld_put(struct store *st, const char *session_id, const char *sender_key,
    const char *why, char **cause)
{
	const char *texts[] = {session_id, sender_key, why};

	if (store_crypto_run(st, STORE_SQL_CRYPTO_WITHHELD_PUT, texts, NT_NELEMS(texts),
	    "cannot keep why a key was withheld", cause) == -1)
		return -1;
	return store_crypto_run(st, STORE_SQL_CRYPTO_WITHHELD_MARK, texts, NT_NELEMS(texts),
	    "cannot mark messages whose key was withheld", cause);
}

int
store_pending_keyless(struct store *st, const char *was, const char *now,
    struct store_pending **out, size_t *n, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_PENDING_KEYLESS, cause);
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, was);
	store_bind_text(s, 2, now);
	while ((r = store_row(st, s, "cannot mark messages that wait for their key", cause)) == 1) {
		struct store_pending *p;

		*out = xreallocarray(*out, *n + 1, sizeof **out);
		p = &(*out)[(*n)++];
		memset(p, 0, sizeof *p);
		p->room_id = store_column_text(s, 0);
		p->event_id = store_column_text(s, 1);
		p->sender = store_column_text(s, 2);
	}
	if (r == -1)
		store_pending_free(out, *n);
	return r;
}

char *
store_withheld(struct store *st, const char *session_id, const char *sender_key, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_WITHHELD_GET, cause);
	char *why = NULL;

	if (s == NULL)
		return NULL;
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, sender_key);
	if (store_row(st, s, "cannot read why a key was withheld", cause) == 1) {
		why = store_column_text(s, 0);
		store_done(s);
	}
	return why;
}

static void
store_device_row(sqlite3_stmt *s, struct store_device *d)
{
	d->user_id = store_column_text(s, 0);
	d->device_id = store_column_text(s, 1);
	d->curve25519 = store_column_text(s, 2);
	d->ed25519 = store_column_text(s, 3);
	d->display_name = store_column_text(s, 4);
	d->trust = sqlite3_column_int(s, 5);
	d->cross_signed = sqlite3_column_int(s, 6);
	d->identity_changed = sqlite3_column_int(s, 7);
	d->owner_verified = sqlite3_column_int(s, 8);
}

int
store_devices(struct store *st, const char *user_id, struct store_device **out, size_t *n,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_DEVICES_OF, cause);
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, user_id);
	while ((r = store_row(st, s, "cannot read devices", cause)) == 1) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		store_device_row(s, &(*out)[(*n)++]);
	}
	if (r == -1)
		store_devices_free(out, *n);
	return r;
}

/* One device by the statement id with one or two texts bound. */
static int
store_device_one(struct store *st, enum store_sql id, const char *a, const char *b,
    struct store_device *out, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, id, cause);
	int r;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, a);
	if (b != NULL)
		store_bind_text(s, 2, b);
	if ((r = store_row(st, s, "cannot read a device", cause)) == 1) {
		store_device_row(s, out);
		store_done(s);
	}
	return r;
}

int
store_device_by_key(struct store *st, const char *curve25519, struct store_device *out,
    char **cause)
{
	return store_device_one(st, STORE_SQL_CRYPTO_DEVICE_BY_KEY, curve25519, NULL, out, cause);
}

int
store_device_get(struct store *st, const char *user_id, const char *device_id,
    struct store_device *out, char **cause)
{
	return store_device_one(st, STORE_SQL_CRYPTO_DEVICE_GET, user_id, device_id, out, cause);
}

int
store_device_trust(struct store *st, const char *user_id, const char *device_id, int trust,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_DEVICE_TRUST, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, user_id);
	store_bind_text(s, 2, device_id);
	sqlite3_bind_int(s, 3, trust);
	if (store_run(st, s, "cannot save a device's trust", cause) == -1)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 0 : cause_set(cause, "no device %s of %s is known",
	    device_id, user_id);
}

void
store_device_clear(struct store_device *d)
{
	free(d->user_id);
	free(d->device_id);
	free(d->curve25519);
	free(d->ed25519);
	free(d->display_name);
	memset(d, 0, sizeof *d);
}

void
store_devices_free(struct store_device **d, size_t n)
{
	if (*d == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_device_clear(&(*d)[i]);
	xfree(d);
}

static int
store_device_put(struct store *st, const struct store_device *d, char **cause)
{
	const char *texts[] = {d->user_id, d->device_id, d->curve25519, d->ed25519,
	    d->display_name};
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_DEVICE_PUT, cause);

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < NT_NELEMS(texts); i++)
		store_bind_text(s, (int)i + 1, texts[i]);
	sqlite3_bind_int(s, 6, d->trust);
	sqlite3_bind_int(s, 7, d->cross_signed != 0);
	return store_run(st, s, "cannot save a device", cause);
}

/* The rows of the user's devices that are not in d go; the others are
 * kept (with their trust when their keys did not change) or added. */
static int
store_devices_keep(struct store *st, const char *user_id, const struct store_device *d,
    size_t n, char **cause)
{
	struct store_device *old;
	size_t n_old;
	int rc = 0;

	if (store_devices(st, user_id, &old, &n_old, cause) == -1)
		return -1;
	if (store_crypto_run(st, STORE_SQL_CRYPTO_DEVICES_DROP, &user_id, 1,
	    "cannot update devices", cause) == -1)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store_device keep = d[i];

		for (size_t j = 0; j < n_old; j++)
			if (strcmp(old[j].device_id, d[i].device_id) == 0 &&
			    strcmp(old[j].curve25519, d[i].curve25519) == 0 &&
			    strcmp(old[j].ed25519, d[i].ed25519) == 0)
				keep.trust = old[j].trust;
		rc = store_device_put(st, &keep, cause);
	}
	store_devices_free(&old, n_old);
	return rc;
}

int
store_devices_put(struct store *st, const char *user_id, const struct store_device *d,
    size_t n, char **cause)
{
	int own = sqlite3_get_autocommit(st->db);

	if (own && store_begin(st, cause) == -1)
		return -1;
	if (store_devices_keep(st, user_id, d, n, cause) == -1 ||
	    store_crypto_track(st, user_id, 0, cause) == -1) {
		if (own)
			store_rollback(st);
		return -1;
	}
	return own ? store_commit(st, cause) : 0;
}

int
store_crypto_track(struct store *st, const char *user_id, int outdated, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_USER_MARK, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, user_id);
	sqlite3_bind_int(s, 2, outdated != 0);
	return store_run(st, s, "cannot save whose devices to follow", cause);
}

int
store_crypto_untrack(struct store *st, const char *user_id, char **cause)
{
	return store_crypto_run(st, STORE_SQL_CRYPTO_USER_FORGET, &user_id, 1,
	    "cannot save whose devices to follow", cause);
}

/* The first column of every row, as strings. */
static int
store_crypto_strings(struct store *st, sqlite3_stmt *s, const char *doing, char ***v, size_t *n,
    char **cause)
{
	int r;

	*v = NULL;
	*n = 0;
	while ((r = store_row(st, s, doing, cause)) == 1) {
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = store_column_text(s, 0);
	}
	if (r == -1)
		store_strings_free(v, *n);
	return r;
}

int
store_crypto_outdated(struct store *st, char ***users, size_t *n, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_USERS_OUTDATED, cause);

	if (s == NULL)
		return -1;
	return store_crypto_strings(st, s, "cannot read whose devices to follow", users, n,
	    cause);
}

int
store_crypto_readers(struct store *st, const char *room_id, char ***users, size_t *n,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_READERS, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	return store_crypto_strings(st, s, "cannot read the room's members", users, n, cause);
}

int
store_crypto_rotation(struct store *st, const char *room_id, int64_t *ms, int64_t *msgs,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_ROTATION, cause);
	int r;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	if ((r = store_row(st, s, "cannot read the room's encryption", cause)) == 1) {
		/* Numbers only, and positive: a string or a zero would turn
		 * rotation off, or rotate at every message. */
		if (sqlite3_column_type(s, 0) == SQLITE_INTEGER && sqlite3_column_int64(s, 0) > 0)
			*ms = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) == SQLITE_INTEGER && sqlite3_column_int64(s, 1) > 0)
			*msgs = sqlite3_column_int64(s, 1);
	}
	store_done(s);
	return r == -1 ? -1 : 0;
}

void
store_strings_free(char ***v, size_t n)
{
	if (*v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((*v)[i]);
	xfree(v);
}

int
store_pending_put(struct store *st, const char *event_id, const char *room_id,
    const char *session_id, const char *sender_key, const char *ciphertext, int64_t index,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_PENDING_PUT, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	store_bind_text(s, 2, room_id);
	store_bind_text(s, 3, session_id);
	store_bind_text(s, 4, sender_key);
	store_bind_text(s, 5, ciphertext);
	sqlite3_bind_int64(s, 6, index);
	return store_run(st, s, "cannot keep a message for its key", cause);
}

/* The rows of a statement on crypto_pending joined with events. */
static int
store_pending_rows(struct store *st, sqlite3_stmt *s, struct store_pending **out, size_t *n,
    char **cause)
{
	int r;

	while ((r = store_row(st, s, "cannot read messages waiting for a key", cause)) == 1) {
		struct store_pending *p;

		*out = xreallocarray(*out, *n + 1, sizeof **out);
		p = &(*out)[(*n)++];
		p->event_id = store_column_text(s, 0);
		p->room_id = store_column_text(s, 1);
		p->ciphertext = store_column_text(s, 2);
		p->sender = store_column_text(s, 3);
		p->ts = sqlite3_column_int64(s, 4);
		p->txn_id = store_column_text(s, 5);
		p->session_id = store_column_text(s, 6);
		p->sender_key = store_column_text(s, 7);
		p->mark = store_column_text(s, 8);
	}
	if (r == -1)
		store_pending_free(out, *n);
	return r;
}

int
store_pending_of(struct store *st, const char *session_id, const char *sender_key,
    struct store_pending **out, size_t *n, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_PENDING_OF, cause);

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, sender_key);
	return store_pending_rows(st, s, out, n, cause);
}

int
store_pending_ready(struct store *st, const char *first_room, char ***ids, size_t *n,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_PENDING_READY, cause);
	int r;

	*ids = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, first_room);
	while ((r = store_row(st, s, "cannot read messages waiting for a key", cause)) == 1) {
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = store_column_text(s, 0);
	}
	if (r == -1)
		store_strings_free(ids, *n);
	return r;
}

int
store_pending_get(struct store *st, const char *event_id, struct store_pending *out,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_PENDING_GET, cause);
	struct store_pending *p = NULL;
	size_t n = 0;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	if (store_pending_rows(st, s, &p, &n, cause) == -1)
		return -1;
	if (n == 1)
		*out = p[0];
	free(p);
	return n == 1;
}

int
store_pending_refused(struct store *st, const char *event_id, const char *why, char **cause)
{
	const char *texts[] = {event_id, why};

	if (store_crypto_run(st, STORE_SQL_CRYPTO_PENDING_REFUSED, texts, NT_NELEMS(texts),
	    "cannot mark a message that cannot be read", cause) == -1)
		return -1;
	return store_crypto_run(st, STORE_SQL_CRYPTO_PENDING_DROP, texts, 1,
	    "cannot update messages waiting for a key", cause);
}

void
store_pending_free(struct store_pending **p, size_t n)
{
	if (*p == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*p)[i].event_id);
		free((*p)[i].room_id);
		free((*p)[i].ciphertext);
		free((*p)[i].sender);
		free((*p)[i].txn_id);
		free((*p)[i].session_id);
		free((*p)[i].sender_key);
		free((*p)[i].mark);
	}
	xfree(p);
}

int
store_batch_begin(struct store *st, char **cause)
{
	if (store_write_begin(st, cause) == -1)
		return -1;
	st->batch = 1;
	return 0;
}

int
store_batch_commit(struct store *st, char **cause)
{
	st->batch = 0;
	return store_write_commit(st, cause);
}

void
store_batch_abort(struct store *st)
{
	st->batch = 0;
	store_write_abort(st);
}

/* The decrypted event in place of the stored ciphertext: the old row goes
 * (and its index entry), the new one takes its place in the room. */
static int
store_event_replace(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_EVENT_ROW, cause);
	struct mx_event plain = *ev;
	char *rel_type = NULL, *rel_event = NULL;
	int64_t id, seq;
	int indexed, added, r;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, ev->event_id);
	if ((r = store_row(st, s, "cannot read an event", cause)) != 1)
		return r == 0 ? cause_set(cause, "%s is not in the cache", ev->event_id) : -1;
	id = sqlite3_column_int64(s, 0);
	seq = sqlite3_column_int64(s, 1);
	indexed = sqlite3_column_int(s, 2);
	rel_type = store_column_text(s, 3);
	rel_event = store_column_text(s, 4);
	store_done(s);
	/* The relation is in the encrypted event's clear content (the spec):
	 * a plaintext without one keeps it, so a thread's reply stays one. */
	if (plain.rel_type == NULL && store_streq(rel_type, "m.thread") && rel_event != NULL) {
		plain.rel_type = rel_type;
		plain.rel_event = rel_event;
	}
	if ((indexed && store_fts_unindex(st, id, cause) == -1) ||
	    (s = store_stmt(st, STORE_SQL_CRYPTO_EVENT_DELETE, cause)) == NULL) {
		r = -1;
		goto out;
	}
	sqlite3_bind_int64(s, 1, id);
	r = -1;
	if (store_run(st, s, "cannot replace an event", cause) == -1 ||
	    store_event_put(st, room_id, &plain, seq, &added, cause) == -1)
		goto out;
	r = 0;
out:
	free(rel_type);
	free(rel_event);
	if (r == -1)
		return -1;
	/* The newest event's id is used again: below where this write's
	 * index catch-up starts, so it is indexed here. */
	if (added && store_fts_reindex(st, sqlite3_last_insert_rowid(st->db), cause) == -1)
		return -1;
	if (store_relations_fold(st, room_id, ev->event_id, cause) == -1)
		return -1;
	return store_crypto_run(st, STORE_SQL_CRYPTO_PENDING_DROP, (const char *[]){ev->event_id},
	    1, "cannot update messages waiting for a key", cause);
}

int
store_event_decrypted(struct store *st, const char *room_id, const struct mx_event *ev,
    char **cause)
{
	if (st->batch)
		return store_event_replace(st, room_id, ev, cause);
	if (store_write_begin(st, cause) == -1)
		return -1;
	if (store_event_replace(st, room_id, ev, cause) == -1) {
		store_write_abort(st);
		return -1;
	}
	return store_write_commit(st, cause);
}

/* The rows of a statement on crypto_requests: session_id, sender_key,
 * room_id, and request_id and sent_ms when it selects them. */
static int
store_requests_list(struct store *st, enum store_sql id, struct store_request **out,
    size_t *n, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, id, cause);
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	while ((r = store_row(st, s, "cannot read key requests", cause)) == 1) {
		struct store_request *q;

		*out = xreallocarray(*out, *n + 1, sizeof **out);
		q = &(*out)[(*n)++];
		memset(q, 0, sizeof *q);
		q->session_id = store_column_text(s, 0);
		q->sender_key = store_column_text(s, 1);
		q->room_id = store_column_text(s, 2);
		if (sqlite3_column_count(s) > 3) {
			q->request_id = store_column_text(s, 3);
			q->sent_ms = sqlite3_column_int64(s, 4);
		}
	}
	if (r == -1)
		store_requests_free(out, *n);
	return r;
}

int
store_requests_due(struct store *st, struct store_request **out, size_t *n, char **cause)
{
	return store_requests_list(st, STORE_SQL_CRYPTO_REQUESTS_DUE, out, n, cause);
}

int
store_requests_met(struct store *st, struct store_request **out, size_t *n, char **cause)
{
	return store_requests_list(st, STORE_SQL_CRYPTO_REQUESTS_MET, out, n, cause);
}

int
store_request_put(struct store *st, const struct store_request *q, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_REQUEST_PUT, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, q->session_id);
	store_bind_text(s, 2, q->sender_key);
	store_bind_text(s, 3, q->room_id);
	store_bind_text(s, 4, q->request_id);
	sqlite3_bind_int64(s, 5, q->sent_ms);
	return store_run(st, s, "cannot save a key request", cause);
}

int
store_request_get(struct store *st, const char *session_id, const char *sender_key,
    struct store_request *out, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_REQUEST_GET, cause);
	int r;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, session_id);
	store_bind_text(s, 2, sender_key);
	if ((r = store_row(st, s, "cannot read a key request", cause)) == 1) {
		out->session_id = xstrdup(session_id);
		out->sender_key = xstrdup(sender_key);
		out->room_id = store_column_text(s, 0);
		out->request_id = store_column_text(s, 1);
		out->sent_ms = sqlite3_column_int64(s, 2);
		store_done(s);
	}
	return r;
}

int
store_request_drop(struct store *st, const char *session_id, const char *sender_key,
    char **cause)
{
	const char *texts[] = {session_id, sender_key};

	return store_crypto_run(st, STORE_SQL_CRYPTO_REQUEST_DROP, texts, NT_NELEMS(texts),
	    "cannot forget a key request", cause);
}

void
store_request_clear(struct store_request *q)
{
	free(q->session_id);
	free(q->sender_key);
	free(q->room_id);
	free(q->request_id);
	memset(q, 0, sizeof *q);
}

void
store_requests_free(struct store_request **q, size_t n)
{
	if (*q == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_request_clear(&(*q)[i]);
	xfree(q);
}

int
store_incoming_put(struct store *st, const struct store_incoming *in, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_INCOMING_PUT, cause);
	const char *texts[] = {in->device_id, in->request_id, in->room_id, in->sender_key,
	    in->session_id, in->algorithm};

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < NT_NELEMS(texts); i++)
		store_bind_text(s, (int)i + 1, texts[i]);
	sqlite3_bind_int64(s, 7, in->heard_ms);
	return store_run(st, s, "cannot keep a key request", cause);
}

int
store_incoming_drop(struct store *st, const char *device_id, const char *request_id,
    char **cause)
{
	const char *texts[] = {device_id, request_id};

	return store_crypto_run(st, STORE_SQL_CRYPTO_INCOMING_DROP, texts, NT_NELEMS(texts),
	    "cannot forget a key request", cause);
}

int
store_incoming_all(struct store *st, struct store_incoming **out, size_t *n, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_INCOMING_ALL, cause);
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	while ((r = store_row(st, s, "cannot read key requests", cause)) == 1) {
		struct store_incoming *in;

		*out = xreallocarray(*out, *n + 1, sizeof **out);
		in = &(*out)[(*n)++];
		in->device_id = store_column_text(s, 0);
		in->request_id = store_column_text(s, 1);
		in->room_id = store_column_text(s, 2);
		in->sender_key = store_column_text(s, 3);
		in->session_id = store_column_text(s, 4);
		in->algorithm = store_column_text(s, 5);
		in->heard_ms = sqlite3_column_int64(s, 6);
	}
	if (r == -1)
		store_incoming_free(out, *n);
	return r;
}

void
store_incoming_free(struct store_incoming **in, size_t n)
{
	if (*in == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct store_incoming *q = &(*in)[i];

		free(q->device_id);
		free(q->request_id);
		free(q->room_id);
		free(q->sender_key);
		free(q->session_id);
		free(q->algorithm);
	}
	xfree(in);
}

char *
store_crypto_master(struct store *st, const char *user_id, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_MASTER_GET, cause);
	char *master = NULL;

	if (s == NULL)
		return NULL;
	store_bind_text(s, 1, user_id);
	if (store_row(st, s, "cannot read a master key", cause) == 1) {
		master = store_column_text(s, 0);
		store_done(s);
	}
	return master;
}

int
store_crypto_master_seen(struct store *st, const char *user_id, const char *master,
    char **cause)
{
	const char *texts[] = {user_id, master};

	return store_crypto_run(st, STORE_SQL_CRYPTO_MASTER_SEEN, texts, NT_NELEMS(texts),
	    "cannot save a master key", cause);
}

int
store_crypto_user_verified(struct store *st, const char *user_id, const char *master,
    char **cause)
{
	const char *texts[] = {user_id, master};

	return store_crypto_run(st, STORE_SQL_CRYPTO_USER_VERIFIED, texts, NT_NELEMS(texts),
	    "cannot save a verified master key", cause);
}

int
store_crypto_master_accept(struct store *st, const char *user_id, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_MASTER_ACCEPT, cause);

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, user_id);
	if (store_run(st, s, "cannot accept a master key", cause) == -1)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

char *
store_crypto_secret(struct store *st, const char *name, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_SECRET_GET, cause);
	char *sealed = NULL;

	if (s == NULL)
		return NULL;
	store_bind_text(s, 1, name);
	if (store_row(st, s, "cannot read a secret", cause) == 1) {
		sealed = store_column_text(s, 0);
		store_done(s);
	}
	return sealed;
}

int
store_crypto_secret_put(struct store *st, const char *name, const char *sealed, char **cause)
{
	const char *texts[] = {name, sealed};

	return store_crypto_run(st, STORE_SQL_CRYPTO_SECRET_PUT, texts, NT_NELEMS(texts),
	    "cannot save a secret", cause);
}

int
store_megolm_unbacked(struct store *st, size_t limit, struct store_megolm_key **keys,
    size_t *n, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_CRYPTO_IN_UNBACKED, cause);

	*keys = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)limit);
	return store_megolm_keys_read(st, s, keys, n, cause);
}

int
store_megolm_backed(struct store *st, const char *session_id, const char *sender_key,
    const char *pickle, char **cause)
{
	const char *texts[] = {session_id, sender_key, pickle};

	return store_crypto_run(st, STORE_SQL_CRYPTO_IN_BACKED, texts, NT_NELEMS(texts),
	    "cannot mark a room key backed up", cause);
}

int
store_megolm_backup_reset(struct store *st, char **cause)
{
	return store_crypto_run(st, STORE_SQL_CRYPTO_IN_UNBACK, NULL, 0,
	    "cannot mark the room keys to back up", cause);
}

int
store_crypto_master_put(struct store *st, const char *user_id, const char *master,
    char **cause)
{
	const char *texts[] = {user_id, master};

	return store_crypto_run(st, STORE_SQL_CRYPTO_MASTER_PUT, texts, NT_NELEMS(texts),
	    "cannot save a master key", cause);
}
