/* Freeing and naming the event data model of event.h. */
#include <stdlib.h>

#include "natter/event.h"
#include "natter/util.h"
#include "mx-private.h"

void
mx_event_clear(struct mx_event *ev)
{
	char **fields[] = {
		&ev->event_id, &ev->type, &ev->sender, &ev->state_key, &ev->content,
		&ev->txn_id, &ev->msgtype, &ev->body, &ev->formatted_body, &ev->url,
		&ev->filename, &ev->mimetype, &ev->rel_type, &ev->rel_event, &ev->key,
		&ev->reply_to, &ev->redacts, &ev->displayname, &ev->name, &ev->topic,
		&ev->alias, &ev->algorithm, &ev->sender_key, &ev->session_id, &ev->ciphertext,
		&ev->device_id, &ev->encryption,
	};

	for (size_t i = 0; i < NT_NELEMS(fields); i++)
		xfree(fields[i]);
	ev->ts = 0;
	ev->size = -1;
	ev->redacted = 0;
	ev->content_plain = 0;
	ev->membership = MX_MEMBERSHIP_NONE;
}

static void
events_free(struct mx_event **evs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mx_event_clear(&(*evs)[i]);
	xfree(evs);
}

static void
strings_free(char ***v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((*v)[i]);
	xfree(v);
}

static void
mx_to_device_clear(struct mx_to_device *td)
{
	free(td->type);
	free(td->sender);
	free(td->content);
	free(td->algorithm);
	free(td->sender_key);
	for (size_t i = 0; i < td->n_ciphertexts; i++) {
		free(td->ciphertexts[i].recipient_key);
		free(td->ciphertexts[i].body);
	}
	free(td->ciphertexts);
}

void
mx_room_update_clear(struct mx_room_update *ru)
{
	free(ru->room_id);
	events_free(&ru->state, ru->n_state);
	events_free(&ru->timeline, ru->n_timeline);
	free(ru->prev_batch);
	strings_free(&ru->heroes, ru->n_heroes);
	for (size_t i = 0; i < ru->n_receipts; i++) {
		free(ru->receipts[i].event_id);
		free(ru->receipts[i].user_id);
	}
	free(ru->receipts);
	strings_free(&ru->typing, ru->n_typing);
}

void
mx_sync_free(struct mx_sync **sync)
{
	struct mx_sync *s = *sync;

	if (s == NULL)
		return;
	free(s->next_batch);
	free(s->to_device_next);
	for (size_t i = 0; i < s->n_rooms; i++)
		mx_room_update_clear(&s->rooms[i]);
	free(s->rooms);
	for (size_t i = 0; i < s->n_direct; i++) {
		free(s->direct[i].user_id);
		free(s->direct[i].room_id);
	}
	free(s->direct);
	free(s->reminders);
	for (size_t i = 0; i < s->n_to_device; i++)
		mx_to_device_clear(&s->to_device[i]);
	free(s->to_device);
	strings_free(&s->devices_changed, s->n_devices_changed);
	strings_free(&s->devices_left, s->n_devices_left);
	mx_sync_rest_free(&s->rest);
	xfree(sync);
}

void
mx_messages_free(struct mx_messages **msgs)
{
	struct mx_messages *m = *msgs;

	if (m == NULL)
		return;
	events_free(&m->chunk, m->n_chunk);
	events_free(&m->state, m->n_state);
	free(m->start);
	free(m->end);
	xfree(msgs);
}
