/* Megolm: the group sessions of encrypted rooms. Incoming messages are
 * decrypted before they are stored (or wait for their key, and are
 * decrypted when it comes); a message natter sends goes out encrypted
 * with the room's session, whose key first goes over Olm to every device
 * of everyone who may read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "natter/crypto.h"
#include "natter/event.h"
#include "natter/log.h"
#include "natter/settings.h"
#include "natter/loop.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_ROTATE_MSGS 100			/* the spec's defaults */
#define CORE_ROTATE_MS (7LL * 24 * 3600 * 1000)
#define CORE_WAITING_FOR "waiting for the key"	/* or its withheld variants */
#define CORE_WAITING CORE_WAITING_FOR " to decrypt"
#define CORE_DECRYPTING "decrypting"
/* A sync with more encrypted messages than this (a first sync, a return
 * after days away) decrypts only the newest of each room at once; the
 * rest are decrypted after it is shown, CORE_DRAIN_SLICE at a time. */
#define CORE_DECRYPT_AT_ONCE 200
#define CORE_DECRYPT_NEWEST 1
#define CORE_DRAIN_SLICE 64

/* The inbound session a run of decryptions used last, kept unpickled:
 * each message of a run from one session (a room's messages in a sync,
 * those that waited for one key) then costs a step of its ratchet, not a
 * read, an unpickle and a walk from its first index. */
struct core_megolm_last {
	struct store_megolm_in row;
	char *session_id;
	char *sender_key;
	struct crypto_megolm_in *in;
};

static void
core_megolm_last_clear(struct core_megolm_last *l)
{
	store_megolm_in_clear(&l->row);
	xfree(&l->session_id);
	xfree(&l->sender_key);
	crypto_megolm_in_free(&l->in);
}

/* enc's session in l: 1, 0 when its key is not here yet, -1 on a database
 * error, -2 when it cannot be used (why says why). */
static int
core_megolm_session(struct core *c, const struct mx_event *enc, struct core_megolm_last *l,
    char **why, char **cause)
{
	char *err = NULL;
	int r;

	if (l->in != NULL && strcmp(l->session_id, enc->session_id) == 0 &&
	    strcmp(l->sender_key, enc->sender_key) == 0)
		return 1;
	core_megolm_last_clear(l);
	if ((r = store_megolm_in(c->store, enc->session_id, enc->sender_key, &l->row, cause)) != 1)
		return r;
	if ((l->in = crypto_megolm_in_unpickle(l->row.pickle, c->pickle_key, &err)) == NULL) {
		r = cause_set(why, "cannot be decrypted: %s", err) - 1;
		free(err);
		return r;
	}
	l->session_id = xstrdup(enc->session_id);
	l->sender_key = xstrdup(enc->sender_key);
	return 1;
}

#define CORE_REPLAY "refused: its message index was used before"

/* The event in the sync being decrypted, or NULL. */
static struct mx_event *
core_megolm_in_sync(struct core *c, const char *event_id)
{
	for (size_t i = 0; c->syncing != NULL && i < c->syncing->n_rooms; i++) {
		struct mx_room_update *ru = &c->syncing->rooms[i];

		for (size_t j = 0; j < ru->n_timeline; j++)
			if (strcmp(ru->timeline[j].event_id, event_id) == 0)
				return &ru->timeline[j];
	}
	return NULL;
}

/* An event read before as a message turns out to hold a message index an
 * earlier event has: it was the replay, and is refused now, in the sync
 * being stored or in the cache. */
static void
core_megolm_demote(struct core *c, const char *room_id, const char *event_id)
{
	struct mx_event *in_sync = core_megolm_in_sync(c, event_id), ev = {0};
	struct core_message told = {CORE_CHANGE_EDIT, event_id, NULL, event_id};
	struct store_msg m = {0};
	char *cause = NULL;

	log_msg("crypto: %s in %s %s", event_id, room_id, CORE_REPLAY);
	if (in_sync != NULL) {
		ev.event_id = xstrdup(in_sync->event_id);
		ev.sender = xstrdup(in_sync->sender);
		ev.ts = in_sync->ts;
	} else if (store_msg_get(c->store, event_id, &m, &cause) == 0) {
		ev.event_id = xstrdup(m.event_id);
		ev.sender = xstrdup(m.sender);
		ev.ts = m.ts;
		told.sender = m.sender;
	} else {
		log_msg("crypto: %s", cause);
		free(cause);
		return;
	}
	ev.type = xstrdup("m.room.encrypted");
	ev.content = xstrdup("{}");
	ev.size = -1;
	ev.encryption = xstrdup(CORE_REPLAY);
	if (in_sync != NULL) {
		mx_event_clear(in_sync);
		*in_sync = ev;
		return;
	}
	if (store_event_decrypted(c->store, room_id, &ev, &cause) == -1) {
		log_msg("crypto: %s", cause);
		free(cause);
	} else if (c->ev.messages != NULL)
		c->ev.messages(c->ev_arg, room_id, &told, 1);
	mx_event_clear(&ev);
	store_msg_clear(&m);
}

/* 1 decrypted into out, 0 waiting for its key, -1 on a database error,
 * -2 refused for good (why says why). Waiting, *index is the message's
 * index when natter's key starts after it (else -1). */
static int
core_megolm_decrypt(struct core *c, const char *room_id, const struct mx_event *enc,
    struct core_megolm_last *l, struct mx_event *out, int64_t *wait_index, char **why,
    char **cause)
{
	uint8_t *plain = NULL;
	size_t len = 0;
	uint32_t index = 0;
	char *err = NULL, *other = NULL;
	int r;

	*wait_index = -1;
	if (enc->session_id == NULL || enc->sender_key == NULL || enc->ciphertext == NULL) {
		*why = xstrdup("cannot be decrypted: the message is malformed");
		return -2;
	}
	if ((r = core_megolm_session(c, enc, l, why, cause)) != 1)
		return r;
	if (strcmp(l->row.room_id, room_id) != 0)
		r = cause_set(why, "refused: its key belongs to another room") - 1;
	else if ((r = crypto_megolm_decrypt(l->in, enc->ciphertext, &plain, &len, &index,
	    &err)) == -2) {
		*wait_index = index;	/* a copy of the key that reaches back may come */
		r = 0;
	} else if (r == -1)
		r = cause_set(why, "cannot be decrypted: %s", err) - 1;
	else if ((r = store_megolm_seen(c->store, enc->session_id, enc->sender_key, index,
	    enc->event_id, enc->ts, &other, cause)) == 1 || r == -1)
		r = r == 1 ? cause_set(why, CORE_REPLAY) - 1 : -1;
	else if (mx_event_decrypted(enc, room_id, (const char *)plain, len, out, &err) == -1)
		r = cause_set(why, "refused: %s", err) - 1;
	else
		r = 1;
	if (plain != NULL)
		OPENSSL_cleanse(plain, len);
	free(plain);
	free(err);
	if (r == 1) {
		out->encryption = xstrdup("ok");
		out->sender_key = xstrdup(enc->sender_key);
	}
	if (other != NULL && r == 1)
		core_megolm_demote(c, room_id, other);
	free(other);
	return r;
}

/* One encrypted event of a sync, decrypted in place, or marked as waiting
 * (and kept for its key, or for later) or refused. */
static int
core_megolm_event(struct core *c, const char *room_id, struct mx_event *ev, int later,
    struct core_megolm_last *l, char **cause)
{
	struct mx_event out;
	int64_t index = -1;
	char *why = NULL;
	int r = later ? 0 : core_megolm_decrypt(c, room_id, ev, l, &out, &index, &why, cause);

	if (r == 1) {
		mx_event_clear(ev);
		*ev = out;
	} else if (r == 0) {
		char *withheld = later ? NULL : store_withheld(c->store, ev->session_id,
		    ev->sender_key, cause);

		if (withheld == NULL && *cause != NULL)
			return -1;
		ev->encryption = withheld != NULL ? withheld :
		    xstrdup(later ? CORE_DECRYPTING : CORE_WAITING);
		r = store_pending_put(c->store, ev->event_id, room_id, ev->session_id,
		    ev->sender_key, ev->ciphertext, index, cause);
	} else if (r == -2) {
		log_msg("crypto: %s in %s %s", ev->event_id, room_id, why);
		ev->encryption = why;
		why = NULL;
		r = 0;
	}
	free(why);
	return r < 0 ? -1 : 0;
}

static int
core_megolm_is_encrypted(const struct mx_event *ev)
{
	return strcmp(ev->type, "m.room.encrypted") == 0 && ev->algorithm != NULL &&
	    strcmp(ev->algorithm, CORE_MEGOLM_ALGORITHM) == 0;
}

/* Someone left or was banned: the room's next message needs a key they
 * never had. */
static int
core_megolm_rotate_on_leave(struct core *c, const struct mx_room_update *ru,
    const struct mx_event *evs, size_t n, char **cause)
{
	for (size_t j = 0; j < n; j++) {
		const struct mx_event *ev = &evs[j];

		if (ev->state_key != NULL && strcmp(ev->type, "m.room.member") == 0 &&
		    (ev->membership == MX_MEMBERSHIP_LEAVE || ev->membership == MX_MEMBERSHIP_BAN))
			return store_megolm_out_drop(c->store, ru->room_id, cause);
	}
	return 0;
}

int
core_megolm_page(struct core *c, const char *room_id, struct mx_event *evs, size_t n,
    char **cause)
{
	struct core_megolm_last last = {0};
	int rc = 0;

	if (c->acct == NULL)
		return 0;
	for (size_t j = n; j-- > 0 && rc == 0;)
		if (core_megolm_is_encrypted(&evs[j]))
			rc = core_megolm_event(c, room_id, &evs[j], 0, &last, cause);
	core_megolm_last_clear(&last);
	return rc;
}

int
core_megolm_sync(struct core *c, struct mx_sync *sync, char **cause)
{
	struct core_megolm_last last = {0};
	size_t total = 0;
	int many;

	c->syncing = sync;
	for (size_t i = 0; i < sync->n_rooms; i++)
		for (size_t j = 0; j < sync->rooms[i].n_timeline; j++)
			total += core_megolm_is_encrypted(&sync->rooms[i].timeline[j]);
	/* A sync read in slices is a big one, whatever this slice holds. */
	many = total > CORE_DECRYPT_AT_ONCE || sync->rest != NULL || sync->n_rooms_before > 0;
	for (size_t i = 0; i < sync->n_rooms; i++) {
		struct mx_room_update *ru = &sync->rooms[i];
		size_t newer = 0;

		/* Newest first, so that "the newest" is known as it goes. */
		for (size_t j = ru->n_timeline; j-- > 0;) {
			struct mx_event *ev = &ru->timeline[j];

			if (!core_megolm_is_encrypted(ev))
				continue;
			if (core_megolm_event(c, ru->room_id, ev, many &&
			    newer++ >= CORE_DECRYPT_NEWEST, &last, cause) == -1)
				goto fail;
			c->drain_due |= ev->encryption != NULL &&
			    strcmp(ev->encryption, CORE_DECRYPTING) == 0;
		}
		if (core_megolm_rotate_on_leave(c, ru, ru->timeline, ru->n_timeline, cause) == -1 ||
		    core_megolm_rotate_on_leave(c, ru, ru->state, ru->n_state, cause) == -1)
			goto fail;
	}
	core_megolm_last_clear(&last);
	c->syncing = NULL;
	return 0;
fail:
	core_megolm_last_clear(&last);
	c->syncing = NULL;
	return -1;
}

/* What was left to decrypt later but has no key after all says that it
 * waits for its key, once nothing else is left. */
static void
core_megolm_keyless(struct core *c)
{
	struct store_pending *p;
	size_t n;
	char *cause = NULL;

	if (store_pending_keyless(c->store, CORE_DECRYPTING, CORE_WAITING, &p, &n, &cause) == -1) {
		log_msg("crypto: %s", cause);
		free(cause);
		return;
	}
	for (size_t i = 0; i < n && c->ev.messages != NULL; i++) {
		struct core_message m = {CORE_CHANGE_EDIT, p[i].event_id, p[i].sender,
		    p[i].event_id};

		c->ev.messages(c->ev_arg, p[i].room_id, &m, 1);
	}
	store_pending_free(&p, n);
}

/* A message a drain read because its late key came: news to notify of. */
struct core_late {
	const char *room_id;	/* the pending entry's */
	struct mx_event ev;
};

/* Tells the front end what a drain's slice read (p[0..told)), and raises
 * the notifications the late ones deserve; frees late. */
static void
core_megolm_told(struct core *c, const struct store_pending *p, size_t told,
    struct core_late *late, size_t n_late)
{
	for (size_t i = 0; i < told && c->ev.messages != NULL; i++) {
		struct core_message m = {CORE_CHANGE_NEW, p[i].event_id, p[i].sender, NULL};

		c->ev.messages(c->ev_arg, p[i].room_id, &m, 1);
	}
	for (size_t i = 0; i < n_late; i++)
		core_notify_late(c, late[i].room_id, &late[i].ev);
	for (size_t i = 0; i < n_late; i++)
		mx_event_clear(&late[i].ev);
	free(late);
}

static int
core_megolm_by_session(const void *a, const void *b)
{
	const struct store_pending *x = a, *y = b;
	int d = strcmp(x->session_id, y->session_id);

	if (d == 0)
		d = strcmp(x->sender_key, y->sender_key);
	return d != 0 ? d : (x->ts > y->ts) - (x->ts < y->ts);
}

/* The next CORE_DRAIN_SLICE waiting messages to read, from the list of
 * those whose key is here (made once and read again when it runs out or
 * new keys came), in the order of their sessions: a session is then
 * unpickled once a slice. None: nothing is ready. */
static int
core_megolm_slice(struct core *c, struct store_pending **p, size_t *n, char **cause)
{
	struct store_pending row;
	int r;

	*p = NULL;
	*n = 0;
	if (c->drain_next >= c->drain_n || c->drain_stale) {
		store_strings_free(&c->drain_ids, c->drain_n);
		c->drain_n = c->drain_next = 0;
		c->drain_stale = 0;
		if (store_pending_ready(c->store, c->view_room, &c->drain_ids, &c->drain_n,
		    cause) == -1)
			return -1;
	}
	while (*n < CORE_DRAIN_SLICE && c->drain_next < c->drain_n) {
		if ((r = store_pending_get(c->store, c->drain_ids[c->drain_next++], &row,
		    cause)) == -1) {
			store_pending_free(p, *n);
			return -1;
		}
		if (r == 1) {
			*p = xreallocarray(*p, *n + 1, sizeof **p);
			(*p)[(*n)++] = row;
		}
	}
	if (*n > 1)
		qsort(*p, *n, sizeof **p, core_megolm_by_session);
	return 0;
}

/* Decrypting what waits, a slice at a time between the loop's other
 * work (keys typed, answers read): the room in view first, then the
 * newest. A slice is one write; each message is told as it is read. */
static void
core_megolm_drain(void *arg)
{
	struct core *c = arg;
	struct core_megolm_last last = {0};
	struct store_pending *p;
	struct core_late *late = NULL;
	size_t n, told = 0, n_late = 0;
	char *cause = NULL;

	c->drain_timer = 0;
	if (core_megolm_slice(c, &p, &n, &cause) == -1 ||
	    (n > 0 && store_batch_begin(c->store, &cause) == -1)) {
		log_msg("crypto: %s", cause);
		free(cause);
		core_background_end(c);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct mx_event enc = {.event_id = p[i].event_id, .sender = p[i].sender,
		    .ts = p[i].ts, .txn_id = p[i].txn_id, .session_id = p[i].session_id,
		    .sender_key = p[i].sender_key, .ciphertext = p[i].ciphertext,
		    .type = "m.room.encrypted"};
		struct mx_event out;
		int64_t index;
		char *why = NULL;
		int r = core_megolm_decrypt(c, p[i].room_id, &enc, &last, &out, &index, &why,
		    &cause);

		if (r == 1) {
			r = store_event_decrypted(c->store, p[i].room_id, &out, &cause);
			if (r == 0 && p[i].mark != NULL &&
			    strncmp(p[i].mark, CORE_WAITING_FOR, strlen(CORE_WAITING_FOR)) == 0) {
				late = xreallocarray(late, n_late + 1, sizeof *late);
				late[n_late].room_id = p[i].room_id;
				late[n_late++].ev = out;
			} else
				mx_event_clear(&out);
		} else if (r == -2) {
			log_msg("crypto: %s: %s", p[i].event_id, why);
			r = store_pending_refused(c->store, p[i].event_id, why, &cause);
		} else if (r == 0)	/* the key here starts after it: wait for an older copy */
			r = store_pending_put(c->store, p[i].event_id, p[i].room_id,
			    p[i].session_id, p[i].sender_key, p[i].ciphertext, index, &cause);
		free(why);
		if (r == -1)
			break;
		told++;		/* p[0..told) are read or refused, and told */
	}
	core_megolm_last_clear(&last);
	if (n > 0 && (cause != NULL ? (store_batch_abort(c->store), -1) :
	    store_batch_commit(c->store, &cause)) == -1) {
		log_msg("crypto: messages waiting for their key stay so: %s", cause);
		free(cause);
		for (size_t i = 0; i < n_late; i++)
			mx_event_clear(&late[i].ev);
		free(late);
		store_pending_free(&p, n);
		core_background_end(c);
		return;
	}
	core_megolm_told(c, p, told, late, n_late);
	store_pending_free(&p, n);
	/* An empty slice ends it: the list was read again and had nothing. */
	if (n > 0)
		c->drain_timer = loop_timer_add(c->loop, 0, core_megolm_drain, c);
	else {
		core_megolm_keyless(c);
		core_background_end(c);
	}
}

void
core_megolm_drain_start(struct core *c)
{
	/* Under way: it reads the list again, with what the new keys open. */
	c->drain_stale = 1;
	if (c->drain_timer != 0 || c->acct == NULL)
		return;
	core_background_begin(c);
	c->drain_timer = loop_timer_add(c->loop, 0, core_megolm_drain, c);
}

void
core_megolm_drain_stop(struct core *c)
{
	store_strings_free(&c->drain_ids, c->drain_n);
	c->drain_n = c->drain_next = 0;
	if (c->drain_timer == 0)
		return;
	loop_timer_cancel(c->loop, c->drain_timer);
	c->drain_timer = 0;
	c->n_background--;
}

/* Preparing a room for a message: its readers' devices known, the room's
 * session current, and its key with every one of those devices. */
struct core_share {
	char *room_id;
	char **users;			/* who may read */
	size_t n_users;
	struct store_device *devices;	/* theirs, less this one */
	size_t n_devices;
	struct store_device *withhold;	/* those not to have it, not told yet */
	size_t n_withhold;
	struct store_megolm_out out;
	char *key;			/* the session's key, base64 */
};

static void
core_share_free(void *data)
{
	struct core_share *sh = data;

	free(sh->room_id);
	store_strings_free(&sh->users, sh->n_users);
	store_devices_free(&sh->devices, sh->n_devices);
	store_devices_free(&sh->withhold, sh->n_withhold);
	store_megolm_out_clear(&sh->out);
	if (sh->key != NULL)
		OPENSSL_cleanse(sh->key, strlen(sh->key));
	free(sh->key);
	free(sh);
}

static void core_share_devices(struct core_op *op);

static void
core_share_queried(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_share *sh = op->data;
	char *cause = NULL;

	if (core_op_refused(op, res))
		return;
	if (core_crypto_devices_store(op->c, res->raw, res->raw_len,
	    (const char *const *)sh->users, sh->n_users, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	core_share_devices(op);
}

/* Asks the server for the device lists of readers not known or outdated. */
static int
core_share_query(struct core_op *op, char **cause)
{
	struct core_share *sh = op->data;
	char **outdated;
	size_t n;
	int need = 0;

	if (store_crypto_outdated(op->c->store, &outdated, &n, cause) == -1)
		return -1;
	for (size_t i = 0; i < sh->n_users && !need; i++) {
		struct store_device *d;
		size_t nd;

		for (size_t j = 0; j < n; j++)
			need |= strcmp(outdated[j], sh->users[i]) == 0;
		if (!need && store_devices(op->c->store, sh->users[i], &d, &nd, cause) == 0) {
			need = nd == 0;
			store_devices_free(&d, nd);
		}
	}
	store_strings_free(&outdated, n);
	if (!need)
		return 0;
	op->call = mx_keys_query(op->c->mx, (const char *const *)sh->users, sh->n_users, 0,
	    core_share_queried, op, cause);
	return op->call != NULL ? 1 : -1;
}

/* The room's session: the stored one unless it is due for rotation. */
static int
core_share_session(struct core_op *op, char **cause)
{
	struct core_share *sh = op->data;
	struct crypto_megolm_out *s;
	int64_t ms = CORE_ROTATE_MS, msgs = CORE_ROTATE_MSGS;
	int r;

	if (store_crypto_rotation(op->c->store, sh->room_id, &ms, &msgs, cause) == -1 ||
	    (r = store_megolm_out(op->c->store, sh->room_id, &sh->out, cause)) == -1)
		return -1;
	if (r == 1 && sh->out.messages < msgs && nt_now_ms() - sh->out.created_ms < ms &&
	    (s = crypto_megolm_out_unpickle(sh->out.pickle, op->c->pickle_key, NULL)) != NULL) {
		sh->key = crypto_megolm_out_key(s);
		crypto_megolm_out_free(&s);
		return 0;
	}
	store_megolm_out_clear(&sh->out);
	s = crypto_megolm_out_new();
	sh->out.session_id = xstrdup(crypto_megolm_out_id(s));
	sh->out.pickle = crypto_megolm_out_pickle(s, op->c->pickle_key);
	sh->out.created_ms = nt_now_ms();
	sh->key = crypto_megolm_out_key(s);
	/* Our own key goes in too, to read our own messages in the cache. */
	r = core_megolm_keep_own(op->c, sh->room_id, s, cause);
	crypto_megolm_out_free(&s);
	if (r == 0)
		r = store_megolm_out_put(op->c->store, sh->room_id, &sh->out, cause);
	log_msg("crypto: a new room key for %s", sh->room_id);
	return r;
}

int
core_megolm_keep_own(struct core *c, const char *room_id, const struct crypto_megolm_out *s,
    char **cause)
{
	char *key = crypto_megolm_out_key(s);
	struct crypto_megolm_in *in = crypto_megolm_in_new(key, cause);
	struct store_megolm_in row = {.room_id = (char *)room_id,
	    .sender_ed25519 = (char *)crypto_account_ed25519(c->acct)};
	int rc = -1;

	if (in != NULL) {
		row.first_index = crypto_megolm_in_first_index(in);
		row.pickle = crypto_megolm_in_pickle(in, c->pickle_key);
		rc = store_megolm_in_put(c->store, crypto_megolm_out_id(s),
		    crypto_account_curve25519(c->acct), &row, cause);
		free(row.pickle);
		crypto_megolm_in_free(&in);
	}
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	return rc;
}

/* Whether device d may have this device's room keys: not blocked and,
 * when [crypto] send_keys is "signed", verified by the user or
 * cross-signed by its owner. */
static int
core_share_may(const struct core *c, const struct store_device *d)
{
	if (d->trust == STORE_TRUST_BLOCKED)
		return 0;
	return c->settings == NULL || c->settings->crypto.send_keys == SETTINGS_KEYS_ALL ||
	    d->trust == STORE_TRUST_VERIFIED || d->cross_signed;
}

static void
core_share_add(struct store_device **v, size_t *n, struct store_device *d)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = *d;
}

/* The readers' devices that do not have the session's key yet, and
 * those not to have it that were not told so yet. */
static int
core_share_targets(struct core_op *op, char **cause)
{
	struct core_share *sh = op->data;
	struct core *c = op->c;

	for (size_t i = 0; i < sh->n_users; i++) {
		struct store_device *d;
		size_t n;

		if (store_devices(c->store, sh->users[i], &d, &n, cause) == -1)
			return -1;
		for (size_t j = 0; j < n; j++) {
			int shared = store_megolm_shared(c->store, sh->room_id, sh->out.session_id,
			    d[j].user_id, d[j].device_id, cause);
			int self = strcmp(d[j].user_id, c->session.user_id) == 0 &&
			    strcmp(d[j].device_id, c->session.device_id) == 0;

			if (shared == -1) {
				store_devices_free(&d, n);
				return -1;
			}
			if (self || shared == 1 || (shared == 2 && !core_share_may(c, &d[j])))
				store_device_clear(&d[j]);
			else if (core_share_may(c, &d[j]))
				core_share_add(&sh->devices, &sh->n_devices, &d[j]);
			else
				core_share_add(&sh->withhold, &sh->n_withhold, &d[j]);
		}
		free(d);
	}
	return 0;
}

/* Marks the session's key as with the devices it went to. */
static int
core_share_sent(void *arg, const struct store_device *d, size_t n, char **cause)
{
	struct core_op *op = arg;
	struct core_share *sh = op->data;

	for (size_t i = 0; i < n; i++)
		if (store_megolm_shared_put(op->c->store, sh->room_id, sh->out.session_id,
		    d[i].user_id, d[i].device_id, 0, cause) == -1)
			return -1;
	return 0;
}

static void
core_share_told(void *arg, int status, const char *result)
{
	struct core_op *op = arg;

	if (status == CORE_CANCELLED)
		return;		/* op is being cancelled too */
	if (status != CORE_DONE)
		core_op_end(op, status, result);
	else
		core_op_end(op, CORE_DONE, ((struct core_share *)op->data)->room_id);
}

/* Telling devices a room key is withheld from them (in clear, as the
 * spec's m.room_key.withheld), in the background: each is told once. */
struct core_withhold {
	char *room_id;
	char *session_id;
	struct store_device *devices;
	size_t n;
};

static void
core_withhold_free(void *data)
{
	struct core_withhold *w = data;

	free(w->room_id);
	free(w->session_id);
	store_devices_free(&w->devices, w->n);
	free(w);
}

static void
core_withhold_sent(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_withhold *w = op->data;
	char *cause = NULL;

	if (core_op_refused(op, res))
		return;
	for (size_t i = 0; i < w->n; i++)
		if (store_megolm_shared_put(op->c->store, w->room_id, w->session_id,
		    w->devices[i].user_id, w->devices[i].device_id, 1, &cause) == -1) {
			core_op_fail(op, cause);
			free(cause);
			return;
		}
	core_op_end(op, CORE_DONE, NULL);
}

static void
core_withhold(struct core *c, const struct core_share *sh, struct store_device *devices,
    size_t n)
{
	struct core_withhold *w = xcalloc(1, sizeof *w);
	struct core_op *op = core_op_new(c, NULL, NULL, "cannot tell devices a key is withheld");
	cJSON *messages = cJSON_CreateObject();
	char *text, *txn, *cause = NULL;

	w->room_id = xstrdup(sh->room_id);
	w->session_id = xstrdup(sh->out.session_id);
	w->devices = devices;
	w->n = n;
	op->data = w;
	op->free_data = core_withhold_free;
	core_op_background(op);
	for (size_t i = 0; i < n; i++) {
		cJSON *user = cJSON_GetObjectItemCaseSensitive(messages, devices[i].user_id);
		cJSON *content;
		int blocked = devices[i].trust == STORE_TRUST_BLOCKED;

		if (user == NULL)
			user = cJSON_AddObjectToObject(messages, devices[i].user_id);
		content = cJSON_AddObjectToObject(user, devices[i].device_id);
		cJSON_AddStringToObject(content, "algorithm", CORE_MEGOLM_ALGORITHM);
		cJSON_AddStringToObject(content, "room_id", sh->room_id);
		cJSON_AddStringToObject(content, "session_id", sh->out.session_id);
		cJSON_AddStringToObject(content, "sender_key", crypto_account_curve25519(c->acct));
		cJSON_AddStringToObject(content, "from_device", c->session.device_id);
		cJSON_AddStringToObject(content, "code", blocked ? "m.blacklisted" : "m.unverified");
		cJSON_AddStringToObject(content, "reason", blocked ? "The sender has blocked you." :
		    "The sender disabled encrypting to unverified devices.");
	}
	text = cJSON_PrintUnformatted(messages);
	cJSON_Delete(messages);
	txn = mx_txn_new();
	op->call = mx_send_to_device(c->mx, "m.room_key.withheld", txn, text, 0,
	    core_withhold_sent, op, &cause);
	cJSON_free(text);
	free(txn);
	if (op->call == NULL) {
		core_op_fail(op, cause);
		free(cause);
	}
}

/* The m.room_key, over Olm, to every device that does not have it. */
static void
core_share_devices(struct core_op *op)
{
	struct core_share *sh = op->data;
	cJSON *content;
	char *cause = NULL;

	if (core_share_session(op, &cause) == -1 || core_share_targets(op, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
		return;
	}
	if (sh->n_withhold > 0) {
		core_withhold(op->c, sh, sh->withhold, sh->n_withhold);
		sh->withhold = NULL;
		sh->n_withhold = 0;
	}
	if (sh->n_devices == 0) {
		core_op_end(op, CORE_DONE, sh->room_id);
		return;
	}
	content = cJSON_CreateObject();
	cJSON_AddStringToObject(content, "algorithm", CORE_MEGOLM_ALGORITHM);
	cJSON_AddStringToObject(content, "room_id", sh->room_id);
	cJSON_AddStringToObject(content, "session_id", sh->out.session_id);
	cJSON_AddStringToObject(content, "session_key", sh->key);
	if (core_todev_send(op->c, sh->devices, sh->n_devices, "m.room_key", content, 0,
	    core_share_sent, core_share_told, op, &cause) == -1) {
		core_op_fail(op, cause);
		free(cause);
	}
	sh->devices = NULL;
	sh->n_devices = 0;
}

/* Who may read, their devices known, then the key to each. */
static void
core_share_readers(struct core_op *op)
{
	struct core_share *sh = op->data;
	char *cause = NULL;
	int r = -1;

	store_strings_free(&sh->users, sh->n_users);
	sh->n_users = 0;
	if (store_crypto_readers(op->c->store, sh->room_id, &sh->users, &sh->n_users,
	    &cause) == -1 || (r = core_share_query(op, &cause)) == -1) {
		core_op_fail(op, cause);
		free(cause);
	} else if (r == 0)
		core_share_devices(op);
}

static void
core_share_members(struct mx_result *res, void *arg)
{
	struct core_op *op = arg;
	struct core_share *sh = op->data;
	size_t n;

	if (core_op_refused(op, res) || core_members_loaded(op, sh->room_id, res, &n) == -1)
		return;
	log_msg("crypto: the %zu members of %s loaded, to share its key", n, sh->room_id);
	core_share_readers(op);
}

/* Syncs load members lazily: a room whose list may lack some (those who
 * said nothing lately) has it loaded whole first, or they would never
 * get the key. */
static void
core_share_due(void *arg)
{
	struct core_op *op = arg;
	struct core_share *sh = op->data;
	char *cause = NULL;

	op->timer = 0;
	if (store_members_whole(op->c->store, sh->room_id)) {
		core_share_readers(op);
		return;
	}
	op->call = mx_members(op->c->mx, sh->room_id, 0, core_share_members, op, &cause);
	if (op->call == NULL) {
		core_op_fail(op, cause);
		free(cause);
	}
}

int
core_megolm_prepare(struct core *c, const char *room_id, core_done_cb done, void *arg,
    char **cause)
{
	struct core_share *sh;
	struct core_op *op;

	if (c->acct == NULL)
		return cause_set(cause, "this session has no encryption keys: log in again");
	sh = xcalloc(1, sizeof *sh);
	sh->room_id = xstrdup(room_id);
	op = core_op_new(c, done, arg, "cannot share the room key");
	op->data = sh;
	op->free_data = core_share_free;
	op->timer = loop_timer_add(c->loop, 0, core_share_due, op);
	return 0;
}

/* The m.room.encrypted content of type and content (JSON) in room_id,
 * with the room's session, which moves on; NULL with a cause. */
char *
core_megolm_encrypt(struct core *c, const char *room_id, const char *type, const char *content,
    char **cause)
{
	struct store_megolm_out row;
	struct crypto_megolm_out *s;
	cJSON *plain, *body, *rel;
	char *text, *ct, *out = NULL;
	int r;

	if ((r = store_megolm_out(c->store, room_id, &row, cause)) != 1) {
		if (r == 0)
			cause_set(cause, "the room has no key to send with");
		return NULL;
	}
	if ((s = crypto_megolm_out_unpickle(row.pickle, c->pickle_key, cause)) == NULL) {
		store_megolm_out_clear(&row);
		return NULL;
	}
	plain = cJSON_CreateObject();
	cJSON_AddStringToObject(plain, "type", type);
	cJSON_AddItemToObject(plain, "content", cJSON_Parse(content));
	cJSON_AddStringToObject(plain, "room_id", room_id);
	text = cJSON_PrintUnformatted(plain);
	/* A relation (rel_type) goes in the clear too, as the spec has it: the
	 * server groups threads, edits and reactions by it, unable to read the
	 * rest. A bare reply stays hidden, as Element keeps it: its readers take
	 * a clear m.relates_to for the whole one. */
	rel = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(plain,
	    "content"), "m.relates_to");
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rel, "rel_type"))) {
		cJSON_Delete(rel);
		rel = NULL;
	}
	cJSON_Delete(plain);
	ct = crypto_megolm_encrypt(s, (const uint8_t *)text, strlen(text));
	free(row.pickle);
	row.pickle = crypto_megolm_out_pickle(s, c->pickle_key);
	row.messages++;
	if (store_megolm_out_put(c->store, room_id, &row, cause) == 0) {
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "algorithm", CORE_MEGOLM_ALGORITHM);
		cJSON_AddStringToObject(body, "sender_key", crypto_account_curve25519(c->acct));
		cJSON_AddStringToObject(body, "ciphertext", ct);
		cJSON_AddStringToObject(body, "session_id", row.session_id);
		cJSON_AddStringToObject(body, "device_id", c->session.device_id);
		if (cJSON_IsObject(rel)) {
			cJSON_AddItemToObject(body, "m.relates_to", rel);
			rel = NULL;
		}
		out = cJSON_PrintUnformatted(body);
		cJSON_Delete(body);
	}
	cJSON_Delete(rel);
	OPENSSL_cleanse(text, strlen(text));
	cJSON_free(text);
	free(ct);
	store_megolm_out_clear(&row);
	crypto_megolm_out_free(&s);
	return out;
}
