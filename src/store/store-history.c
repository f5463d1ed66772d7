/* Reading history as a user sees it: edits applied, reactions counted,
 * senders named. Also read receipts. */
#include <stdlib.h>
#include <string.h>

#include "natter/sanitize.h"
#include "natter/util.h"
#include "store-private.h"

/* Sender names already computed for one listing. */
struct store_senders {
	struct store_namer *nm;
	char **ids;
	char **names;
	size_t n;
};

static char *store_senders_name(struct store_senders *sn, const char *user_id);

/* Fills m from a row of STORE_MSG_COLUMNS (see store-sql.c). */
static void
store_msg_fill(sqlite3_stmt *s, struct store_msg *m)
{
	memset(m, 0, sizeof *m);
	m->seq = sqlite3_column_int64(s, 0);
	m->event_id = store_column_text(s, 1);
	m->type = store_column_text(s, 2);
	m->sender = store_column_text(s, 3);
	m->ts = sqlite3_column_int64(s, 4);
	m->msgtype = store_column_text(s, 5);
	m->body = store_column_text(s, 6);
	m->edited = sqlite3_column_int(s, 7);
	m->redacted = sqlite3_column_int(s, 8);
	m->reply_to = store_column_text(s, 9);
	m->url = store_column_text(s, 10);
	m->filename = store_column_text(s, 11);
	m->mimetype = store_column_text(s, 12);
	m->size = sqlite3_column_int64(s, 13);
	m->state_key = store_column_text(s, 14);
	m->membership = (enum mx_membership)sqlite3_column_int(s, 15);
	m->content = store_column_text(s, 16);
	m->room_id = store_column_text(s, 17);
	m->encryption = store_column_text(s, 18);
	m->sender_key = store_column_text(s, 19);
	m->sender_trust = store_column_text(s, 20);
	m->formatted = store_column_text(s, 21);
	m->thread_root = store_column_text(s, 22);
}

/* A root's summary: how many replies are cached, and the newest. */
static int
store_msg_thread(struct store *st, struct store_senders *sn, const char *room_id,
    struct store_msg *m, char **cause)
{
	sqlite3_stmt *s;
	int r;

	if (m->thread_root != NULL)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_THREAD_SUMMARY, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, m->event_id);
	store_bind_text(s, 2, room_id);
	if ((r = store_row(st, s, "cannot read a thread", cause)) != 1)
		return r;
	m->thread_replies = sqlite3_column_int64(s, 0);
	m->thread_last_sender = store_column_text(s, 1);
	m->thread_last_body = store_column_text(s, 2);
	m->thread_last_ts = sqlite3_column_int64(s, 3);
	store_done(s);
	if (m->thread_last_sender != NULL)
		m->thread_last_name = store_senders_name(sn, m->thread_last_sender);
	return 0;
}

/* Reactions by how many people chose them, then by age. */
static int
store_msg_reactions(struct store *st, const char *room_id, struct store_msg *m,
    char **cause)
{
	sqlite3_stmt *s;
	int r;

	if ((s = store_stmt(st, STORE_SQL_REACTIONS, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, m->event_id);
	store_bind_text(s, 2, room_id);
	while ((r = store_row(st, s, "cannot read reactions", cause)) == 1) {
		m->reactions = xreallocarray(m->reactions, m->n_reactions + 1,
		    sizeof *m->reactions);
		m->reactions[m->n_reactions].key = store_column_text(s, 0);
		m->reactions[m->n_reactions++].count = sqlite3_column_int64(s, 1);
	}
	return r;
}

static char *
store_senders_name(struct store_senders *sn, const char *user_id)
{
	for (size_t i = 0; i < sn->n; i++) {
		if (strcmp(sn->ids[i], user_id) == 0)
			return xstrdup(sn->names[i]);
	}
	sn->ids = xreallocarray(sn->ids, sn->n + 1, sizeof *sn->ids);
	sn->names = xreallocarray(sn->names, sn->n + 1, sizeof *sn->names);
	sn->ids[sn->n] = xstrdup(user_id);
	sn->names[sn->n] = store_namer_name(sn->nm, user_id);
	return xstrdup(sn->names[sn->n++]);
}

static void
store_senders_free(struct store_senders *sn)
{
	for (size_t i = 0; i < sn->n; i++) {
		free(sn->ids[i]);
		free(sn->names[i]);
	}
	free(sn->ids);
	free(sn->names);
	store_namer_free(&sn->nm);
}

/* Adds what other rows say about each message: reactions and names. */
static int
store_msgs_decorate(struct store *st, const char *room_id, struct store_msg *msgs, size_t n,
    char **cause)
{
	struct store_senders sn = {0};
	int r = 0;

	if (n == 0)
		return 0;
	if ((sn.nm = store_namer_new(st, room_id, cause)) == NULL)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		msgs[i].sender_name = store_senders_name(&sn, msgs[i].sender);
		r = store_msg_reactions(st, room_id, &msgs[i], cause);
		if (r == 0)
			r = store_msg_thread(st, &sn, room_id, &msgs[i], cause);
	}
	store_senders_free(&sn);
	return r;
}

/* Reverses msgs in place: SQL gives newest first, readers want oldest. */
static void
store_msgs_reverse(struct store_msg *msgs, size_t n)
{
	struct store_msg tmp;

	for (size_t i = 0; i < n / 2; i++) {
		tmp = msgs[i];
		msgs[i] = msgs[n - 1 - i];
		msgs[n - 1 - i] = tmp;
	}
}

int
store_history(struct store *st, const char *room_id, int64_t before_seq, int limit,
    struct store_msg **msgs, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int r;

	*msgs = NULL;
	*n = 0;
	if (limit <= 0)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_HISTORY, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, before_seq);
	sqlite3_bind_int(s, 3, limit);
	while ((r = store_row(st, s, "cannot read history", cause)) == 1) {
		*msgs = xreallocarray(*msgs, *n + 1, sizeof **msgs);
		store_msg_fill(s, &(*msgs)[(*n)++]);
	}
	store_msgs_reverse(*msgs, *n);
	if (r == -1 || store_msgs_decorate(st, room_id, *msgs, *n, cause) != 0) {
		store_msgs_free(msgs, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_thread(struct store *st, const char *root_id, int limit, struct store_msg **msgs,
    size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int r;

	*msgs = NULL;
	*n = 0;
	if (limit <= 0)
		return 0;
	if ((s = store_stmt(st, STORE_SQL_THREAD, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, root_id);
	sqlite3_bind_int(s, 2, limit);
	while ((r = store_row(st, s, "cannot read a thread", cause)) == 1) {
		*msgs = xreallocarray(*msgs, *n + 1, sizeof **msgs);
		store_msg_fill(s, &(*msgs)[(*n)++]);
	}
	store_msgs_reverse(*msgs, *n);
	if (r == -1 || (*n > 0 && store_msgs_decorate(st, (*msgs)[0].room_id, *msgs, *n,
	    cause) != 0)) {
		store_msgs_free(msgs, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

char *
store_thread_latest(struct store *st, const char *root_id)
{
	return store_text_of(st, STORE_SQL_THREAD_LATEST, root_id, NULL, "cannot read a thread");
}

int
store_unread(struct store *st, const char *room_id, const char *self, int limit,
    struct store_msg **msgs, size_t *n, char **cause)
{
	sqlite3_stmt *s;
	int r;

	*msgs = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_UNREAD, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, self);
	sqlite3_bind_int(s, 3, limit);
	while ((r = store_row(st, s, "cannot read unread messages", cause)) == 1) {
		*msgs = xreallocarray(*msgs, *n + 1, sizeof **msgs);
		store_msg_fill(s, &(*msgs)[(*n)++]);
	}
	if (r == -1) {
		store_msgs_free(msgs, *n);
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_unread_reaches(struct store *st, const char *room_id, const char *self)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_UNREAD_REACHES, NULL);
	int reaches = 0;

	if (s == NULL)
		return 0;
	store_bind_text(s, 1, room_id);
	store_bind_text(s, 2, self);
	if (store_row(st, s, "cannot read unread messages", NULL) == 1)
		reaches = sqlite3_column_int(s, 0);
	store_done(s);
	return reaches;
}

int64_t
store_history_count(struct store *st, const char *room_id, int64_t from_seq)
{
	sqlite3_stmt *s = store_stmt(st, STORE_SQL_HISTORY_COUNT, NULL);
	int64_t count = -1;

	if (s == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	sqlite3_bind_int64(s, 2, from_seq);
	if (store_row(st, s, "cannot count history", NULL) == 1)
		count = sqlite3_column_int64(s, 0);
	store_done(s);
	return count;
}

int
store_msg_get(struct store *st, const char *event_id, struct store_msg *msg, char **cause)
{
	sqlite3_stmt *s;
	char *safe;
	int r;

	memset(msg, 0, sizeof *msg);
	if ((s = store_stmt(st, STORE_SQL_MSG_GET, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, event_id);
	if ((r = store_row(st, s, "cannot read an event", cause)) != 1) {
		if (r == 0) {
			safe = san_text(event_id, 0);
			cause_set(cause, "no event %s in the cache", safe);
			free(safe);
		}
		return -1;
	}
	store_msg_fill(s, msg);
	store_done(s);
	r = store_msgs_decorate(st, msg->room_id, msg, 1, cause);
	if (r != 0)
		store_msg_clear(msg);
	return r;
}

void
store_msg_clear(struct store_msg *m)
{
	char **fields[] = {
		&m->event_id, &m->type, &m->sender, &m->sender_name, &m->msgtype, &m->body,
		&m->reply_to, &m->url, &m->filename, &m->mimetype, &m->state_key, &m->content,
		&m->room_id, &m->encryption, &m->sender_key, &m->sender_trust,
		&m->formatted, &m->thread_root, &m->thread_last_sender, &m->thread_last_name,
		&m->thread_last_body,
	};

	for (size_t i = 0; i < NT_NELEMS(fields); i++)
		xfree(fields[i]);
	msg_reactions_free(&m->reactions, m->n_reactions);
	memset(m, 0, sizeof *m);
}

void
store_msgs_free(struct store_msg **msgs, size_t n)
{
	if (*msgs == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_msg_clear(&(*msgs)[i]);
	xfree(msgs);
}

int
store_receipts(struct store *st, const char *room_id, struct store_receipt **rc, size_t *n,
    char **cause)
{
	sqlite3_stmt *s;
	int r;

	*rc = NULL;
	*n = 0;
	if ((s = store_stmt(st, STORE_SQL_RECEIPTS_LIST, cause)) == NULL)
		return -1;
	store_bind_text(s, 1, room_id);
	while ((r = store_row(st, s, "cannot read receipts", cause)) == 1) {
		*rc = xreallocarray(*rc, *n + 1, sizeof **rc);
		(*rc)[*n].user_id = store_column_text(s, 0);
		(*rc)[*n].event_id = store_column_text(s, 1);
		(*rc)[(*n)++].ts = sqlite3_column_int64(s, 2);
	}
	if (r == -1) {
		store_receipts_free(rc, *n);
		*n = 0;
	}
	return r;
}

void
store_receipts_free(struct store_receipt **rc, size_t n)
{
	if (*rc == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*rc)[i].user_id);
		free((*rc)[i].event_id);
	}
	xfree(rc);
}
