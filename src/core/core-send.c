/* Sending: every message goes into the outbox (with its txnId) before
 * the first attempt, and retries reuse that txnId, so the server
 * de-duplicates and a crash at any moment loses and doubles nothing. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natter/core.h"
#include "natter/log.h"
#include "natter/util.h"

/* Tests stop the process with SIGKILL at a named point of a send. */
static void
core_test_crash(const char *point)
{
	const char *want = getenv("NATTER_TEST_CRASH");

	if (want != NULL && strcmp(want, point) == 0)
		raise(SIGKILL);
}

/* 0 sent, 1 left queued for a later attempt, -1 refused for good. */
static int
core_send_item(struct core *c, const struct store_outbox *item, char **event_id, char **cause)
{
	struct core_wait w = {0};
	int rc;

	if (mx_send(c->mx, item->room_id, item->type, item->txn_id, item->content, 0,
	    core_wait_cb, &w, cause) == NULL)
		return -1;
	if (core_wait(c, &w, cause) == 0) {
		log_msg("send %s in %s: %s", item->txn_id, item->room_id, w.value);
		core_test_crash("after-send");
		rc = store_outbox_sent(c->store, item->id, w.value, cause);
		if (rc == 0 && event_id != NULL)
			*event_id = xstrdup(w.value);
	} else if (w.network_error || w.status >= 500 || w.status == 429) {
		log_msg("send %s in %s: kept queued: %s", item->txn_id, item->room_id, *cause);
		store_outbox_attempt(c->store, item->id, *cause, NULL);
		rc = 1;
	} else {
		log_msg("send %s in %s: refused: %s", item->txn_id, item->room_id, *cause);
		store_outbox_failed(c->store, item->id, *cause, NULL);
		rc = -1;
	}
	core_wait_clear(&w);
	return rc;
}

/* Sends queued messages in the order they were written, up to and
 * including id (INT64_MAX: all). Stops at the first that cannot go for
 * now, so nothing overtakes an earlier message. Returns how many of
 * those are still waiting, or -1 if the outbox cannot be read. */
static int
core_outbox_send_upto(struct core *c, int64_t id, char **cause)
{
	struct store_outbox *items;
	size_t n, i, waiting = 0;
	int rc = 0;

	if (store_outbox_list(c->store, NULL, 0, &items, &n, cause) == -1)
		return -1;
	for (i = 0; i < n && items[i].id <= id; i++) {
		char *why = NULL;

		if (rc != 1)
			rc = core_send_item(c, &items[i], NULL, &why);
		if (rc == 1) {
			if (waiting++ == 0)
				cause_set(cause, "%s", why);
		}
		free(why);
	}
	store_outbox_free(&items, n);
	return (int)waiting;
}

int
core_send(struct core *c, const char *room_id, const char *type, const char *content,
    char **event_id, char **cause)
{
	struct store_outbox item, sent;
	int rc;

	*event_id = NULL;
	/* natter cannot encrypt yet: plain text must never go where the
	 * members expect encryption. */
	if (store_room_encrypted(c->store, room_id) != 0)
		return cause_set(cause, "%s is end-to-end encrypted and natter cannot encrypt "
		    "yet: nothing was sent", room_id);
	if (store_outbox_add(c->store, room_id, type, content, &item, cause) == -1)
		return -1;
	core_test_crash("after-queue");
	if ((rc = core_outbox_send_upto(c, item.id, cause)) > 0) {
		char *why = *cause;

		*cause = NULL;
		cause_set(cause, "not sent yet (%s); it waits in the outbox and goes with the "
		    "next `natter sync` or `natter send`", why);
		free(why);
		rc = 1;
	} else if (rc == 0 && store_outbox_get(c->store, item.id, &sent, cause) == 0) {
		if (sent.state == STORE_OUTBOX_SENT && sent.event_id != NULL)
			*event_id = xstrdup(sent.event_id);
		else {
			cause_set(cause, "refused: %s", sent.last_error ? sent.last_error :
			    "the homeserver did not take it");
			rc = -1;
		}
		store_outbox_clear(&sent);
	} else
		rc = -1;
	store_outbox_clear(&item);
	return rc;
}

int
core_outbox_flush(struct core *c, char **cause)
{
	char *why = NULL;
	int rc = core_outbox_send_upto(c, INT64_MAX, &why);

	if (rc == -1)
		cause_set(cause, "%s", why);
	free(why);
	return rc;
}

int
core_redact(struct core *c, const char *room_id, const char *event_id, char **cause)
{
	struct core_wait w = {0};
	char *txn = mx_txn_new();
	int rc = -1;

	if (mx_redact(c->mx, room_id, event_id, txn, NULL, 0, core_wait_cb, &w, cause) != NULL)
		rc = core_wait(c, &w, cause);
	core_wait_clear(&w);
	free(txn);
	return rc;
}

static char *
core_alias_resolve(struct core *c, const char *alias, char **cause)
{
	struct core_wait w = {0};
	char *id = NULL;

	if (mx_alias_resolve(c->mx, alias, 0, core_wait_cb, &w, cause) != NULL &&
	    core_wait(c, &w, cause) == 0)
		id = xstrdup(w.value);
	core_wait_clear(&w);
	return id;
}

char *
core_room_resolve(struct core *c, const char *what, int dm_create, char **cause)
{
	char *id;

	if (what[0] == '@' && dm_create && c->logged_in)
		return core_dm(c, what, NULL, cause);
	if ((id = store_room_resolve(c->store, what, cause)) != NULL)
		return id;
	if (what[0] == '#' && strchr(what, ':') != NULL && c->logged_in)
		return core_alias_resolve(c, what, cause);
	return NULL;
}
