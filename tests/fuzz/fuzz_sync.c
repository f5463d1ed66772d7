/* libFuzzer target: untrusted /sync, sliding sync, /messages and event
 * JSON through the parser. Beyond not crashing, every result must keep event.h's promises
 * (required fields set, strings valid UTF-8, ids and URLs checked); a
 * broken promise aborts so the fuzzer reports it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natter/core.h"
#include "natter/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The account's reminders a sync brought, merged as natter merges them
 * with its own copy: whatever the server wrote, the merge keeps only
 * entries whose ids are sound, and merging it again changes nothing. */
static void
check_reminders(const char *text)
{
	char *once, *twice;

	if (text == NULL)
		return;
	once = core_remind_merge(text, NULL, 0);
	twice = core_remind_merge(once, text, 0);
	if (once == NULL || twice == NULL || strcmp(once, twice) != 0 ||
	    !core_remind_covers(once, twice))
		abort();
	free(once);
	free(twice);
}

static void
check_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int n;

	if (s == NULL)
		return;
	while (*p != '\0') {
		n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
		    (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0)
			abort();
		cp = n == 1 ? *p : *p & (0x7f >> n);
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				abort();
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			abort();
		p += n;
	}
}

static void
check_id(const char *s, char sigil)
{
	if (s == NULL)
		return;
	check_utf8(s);
	if (s[0] != sigil || strlen(s) > 255 || strpbrk(s, " \t\r\n\x1b\x7f") != NULL)
		abort();
}

static void
check_event(const struct mx_event *ev)
{
	const char *text[] = {
		ev->type, ev->state_key, ev->content, ev->txn_id, ev->msgtype, ev->body,
		ev->formatted_body, ev->filename, ev->mimetype, ev->rel_type, ev->key,
		ev->displayname, ev->name, ev->topic,
	};

	if (ev->event_id == NULL || ev->type == NULL || ev->sender == NULL)
		abort();
	if (ev->content_plain ? ev->content != NULL || ev->body == NULL || ev->msgtype == NULL :
	    ev->content == NULL)
		abort();
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		check_utf8(text[i]);
	if (ev->event_id[0] != '~')
		check_id(ev->event_id, '$');
	check_id(ev->sender, '@');
	check_id(ev->rel_event, '$');
	check_id(ev->reply_to, '$');
	check_id(ev->redacts, '$');
	check_id(ev->alias, '#');
	if (ev->url != NULL && (strncmp(ev->url, "mxc://", 6) != 0 || strstr(ev->url, "..") ||
	    strchr(ev->url + 6, '/') != strrchr(ev->url, '/')))
		abort();
	if (ev->ts < 0 || ev->size < -1)
		abort();
}

static void
check_sync(const struct mx_sync *s)
{
	for (size_t i = 0; i < s->n_rooms; i++) {
		const struct mx_room_update *ru = &s->rooms[i];

		check_id(ru->room_id, '!');
		for (size_t k = 0; k < ru->n_state; k++)
			check_event(&ru->state[k]);
		for (size_t k = 0; k < ru->n_timeline; k++)
			check_event(&ru->timeline[k]);
		for (size_t k = 0; k < ru->n_receipts; k++) {
			check_id(ru->receipts[k].event_id, '$');
			check_id(ru->receipts[k].user_id, '@');
		}
		for (size_t k = 0; k < ru->n_heroes; k++)
			check_id(ru->heroes[k], '@');
		for (size_t k = 0; k < ru->n_typing; k++)
			check_id(ru->typing[k], '@');
	}
	for (size_t i = 0; i < s->n_direct; i++) {
		check_id(s->direct[i].user_id, '@');
		check_id(s->direct[i].room_id, '!');
	}
}

/* A sliding sync's own promises: a room only an extension names brings
 * nothing but what extensions carry; counts are -1 or more. */
static void
check_slide(const struct mx_sync *s)
{
	if (!s->sliding || s->list_count < -1)
		abort();
	check_sync(s);
	for (size_t i = 0; i < s->n_rooms; i++) {
		const struct mx_room_update *ru = &s->rooms[i];

		if (ru->n_live < -1 || ru->joined_count < -1 || ru->invited_count < -1 ||
		    ru->notification_count != -1 || ru->highlight_count != -1)
			abort();
		if (ru->membership == MX_MEMBERSHIP_NONE &&
		    (ru->n_state != 0 || ru->n_timeline != 0 || ru->n_heroes != 0))
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->rooms[k].room_id, ru->room_id) == 0)
				abort();
	}
	for (size_t i = 0; i < s->n_to_device; i++) {
		check_utf8(s->to_device[i].type);
		check_id(s->to_device[i].sender, '@');
		check_utf8(s->to_device[i].content);
	}
	check_utf8(s->to_device_next);
}

/* Read a room at a time (slices of a byte), the answer gives what the
 * whole parse gave: the same rooms and skips, or the same failure. */
static void
check_slices(const uint8_t *data, size_t size, const struct mx_sync *whole)
{
	char *text = malloc(size + 1);
	struct mx_sync *s;
	size_t rooms = 0;
	int failed;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	s = mx_sync_read(&text, size, 1, NULL);
	failed = s == NULL;
	while (s != NULL) {
		check_sync(s);
		rooms += s->n_rooms;
		if (s->rest == NULL)
			break;
		if (mx_sync_rooms_next(s, NULL) == -1) {
			failed = 1;
			break;
		}
	}
	if (failed != (whole == NULL) ||
	    (whole != NULL && (rooms != whole->n_rooms || s->n_skipped != whole->n_skipped)))
		abort();
	free(text);
	mx_sync_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	struct mx_sync *s = mx_sync_parse(json, size, NULL);
	struct mx_sync *slide = mx_slide_parse(json, size, NULL);
	struct mx_messages *m = mx_messages_parse(json, size, NULL);
	struct mx_event ev;
	char *cause = NULL;

	if (s != NULL) {
		if (s->next_batch == NULL)
			abort();
		check_sync(s);
		check_reminders(s->reminders);
	}
	check_slices(data, size, s);
	if (slide != NULL) {
		if (slide->next_batch == NULL || *slide->next_batch == '\0')
			abort();
		check_slide(slide);
		check_reminders(slide->reminders);
	}
	for (size_t i = 0; m != NULL && i < m->n_chunk; i++)
		check_event(&m->chunk[i]);
	for (size_t i = 0; m != NULL && i < m->n_state; i++)
		check_event(&m->state[i]);
	if (mx_event_parse_json(json, size, &ev, &cause) == 0)
		check_event(&ev);
	else if (cause == NULL)
		abort();
	mx_event_clear(&ev);
	free(cause);
	mx_sync_free(&s);
	mx_sync_free(&slide);
	mx_messages_free(&m);
	return 0;
}
