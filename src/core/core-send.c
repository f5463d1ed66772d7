/* Sending: every message goes into the outbox (with its txnId) before
 * the first attempt, and retries reuse that txnId, so the server
 * de-duplicates and a crash at any moment loses and doubles nothing. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "natter/core.h"
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
		core_test_crash("after-send");
		rc = store_outbox_sent(c->store, item->id, w.value, cause);
		if (rc == 0 && event_id != NULL)
			*event_id = xstrdup(w.value);
	} else if (w.network_error || w.status >= 500 || w.status == 429) {
		store_outbox_attempt(c->store, item->id, *cause, NULL);
		rc = 1;
	} else {
		store_outbox_failed(c->store, item->id, *cause, NULL);
		rc = -1;
	}
	core_wait_clear(&w);
	return rc;
}

int
core_send(struct core *c, const char *room_id, const char *type, const char *content,
    char **event_id, char **cause)
{
	struct store_outbox item;
	int rc;

	*event_id = NULL;
	if (store_outbox_add(c->store, room_id, type, content, &item, cause) == -1)
		return -1;
	core_test_crash("after-queue");
	rc = core_send_item(c, &item, event_id, cause);
	if (rc == 1) {
		char *why = *cause;

		*cause = NULL;
		cause_set(cause, "not sent yet (%s); it waits in the outbox and goes with the "
		    "next `natter sync` or `natter send`", why);
		free(why);
	}
	store_outbox_clear(&item);
	return rc;
}

int
core_outbox_flush(struct core *c, char **cause)
{
	struct store_outbox *items;
	size_t n, i;
	int rc = 0;

	if (store_outbox_list(c->store, NULL, 0, &items, &n, cause) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		char *why = NULL;

		rc = core_send_item(c, &items[i], NULL, &why);
		free(why);
		if (rc == 1)
			break;	/* offline: the rest would wait for the same timeouts */
	}
	store_outbox_free(&items, n);
	return rc == 1 ? (int)(n - i) : 0;
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
