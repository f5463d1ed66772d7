/* What a stored sync means to a front end, in its own words: the rooms
 * changed, these rooms have new messages, these people are typing, and
 * these messages deserve a notification (notify.h's rules, with what the
 * user is looking at). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "natter/event.h"
#include "natter/log.h"
#include "natter/notify.h"
#include "natter/settings.h"
#include "natter/util.h"
#include "core-private.h"

#define CORE_NOTIFY_MAX 3	/* notifications one sync may raise */

void
core_view(struct core *c, const char *room_id, int focus)
{
	char *cause = NULL;

	free(c->view_room);
	c->view_room = room_id != NULL ? xstrdup(room_id) : NULL;
	c->view_focus = focus;
	core_sync_refocus(c);
	/* Syncs bring only the members who spoke lately: the room read has
	 * its whole list, for names, completion and who is there. */
	if (room_id != NULL && !store_members_whole(c->store, room_id) &&
	    core_members_fetch(c, room_id, NULL, NULL, &cause) == -1) {
		log_msg("members: %s", cause);
		free(cause);
	}
}

/* Muted rooms as typed in the config (ids, aliases or names), as ids. */
static void
core_notify_muted(struct core *c)
{
	const struct settings_list *mute = &c->settings->notify.mute;

	c->muted = xcalloc(mute->n ? mute->n : 1, sizeof *c->muted);
	for (size_t i = 0; i < mute->n; i++) {
		char *id = store_room_resolve(c->store, mute->items[i], NULL);

		if (id != NULL)
			c->muted[c->n_muted++] = id;
	}
	c->muted_ready = 1;
}

static void
core_notify_rules(struct core *c, struct notify_rules *r)
{
	const struct settings_notify *n = &c->settings->notify;

	notify_rules_default(r);
	r->enabled = n->enabled;
	r->mentions = n->mentions;
	r->direct = n->direct;
	r->keywords = (const char *const *)n->keywords.items;
	r->nkeywords = n->keywords.n;
	r->quiet_start = n->quiet_start;
	r->quiet_end = n->quiet_end;
	r->muted = (const char *const *)c->muted;
	r->nmuted = c->n_muted;
	r->vips = (const char *const *)n->vip.items;
	r->nvips = n->vip.n;
	r->markup = n->markup == SETTINGS_MARKUP_ON ? NOTIFY_MARKUP_ON :
	    n->markup == SETTINGS_MARKUP_OFF ? NOTIFY_MARKUP_OFF : NOTIFY_MARKUP_AUTO;
}

/* Whom content mentions; @room only from a sender allowed to. */
static enum notify_mentions
core_mentions(struct core *c, const char *room_id, const char *sender, const char *content)
{
	enum notify_mentions m = notify_mentions_of(content, core_self(c));

	if (m == NOTIFY_MENTIONS_ROOM && store_may_notify_room(c->store, room_id, sender, NULL) != 1)
		m = NOTIFY_MENTIONS_OTHERS;
	return m;
}

int
core_msg_mentions_us(struct core *c, const struct store_msg *m, const char *my_name)
{
	struct notify_msg msg = {.body = m->body};
	struct notify_ctx ctx = {.my_id = core_self(c), .my_name = my_name};

	if (m->redacted || m->body == NULL || m->msgtype == NULL ||
	    (core_self(c) != NULL && strcmp(m->sender, core_self(c)) == 0))
		return 0;
	msg.mentions = core_mentions(c, m->room_id, m->sender, m->content);
	return notify_mentions_us(&msg, &ctx);
}

#define CORE_VIP_UNREAD_MAX 100	/* unread messages read for one from a VIP */

int
core_room_vip(struct core *c, const struct store_room *r)
{
	struct notify_rules rules = {0};
	struct store_msg *msgs;
	size_t n;
	int vip = 0;

	if (c->settings == NULL || c->settings->notify.vip.n == 0)
		return 0;
	rules.vips = (const char *const *)c->settings->notify.vip.items;
	rules.nvips = c->settings->notify.vip.n;
	if (r->is_direct && notify_is_vip(&rules, r->dm_user))
		return 1;
	if (r->membership != MX_MEMBERSHIP_JOIN || (r->unread <= 0 && r->highlight <= 0) ||
	    store_unread(c->store, r->room_id, core_self(c), CORE_VIP_UNREAD_MAX, &msgs, &n,
	    NULL) == -1)
		return 0;
	for (size_t i = 0; i < n && !vip; i++)
		vip = notify_is_vip(&rules, msgs[i].sender);
	store_msgs_free(&msgs, n);
	return vip;
}

/* A notification held until the sync that brought it is kept; msg's
 * strings are the copies beside it. */
struct core_notice {
	struct notify_msg msg;
	char *room_id, *room_name, *sender_id, *sender_name, *body;
};

static void
core_notice_hold(struct core *c, const struct notify_msg *msg)
{
	struct core_notice *n;

	c->notices = xreallocarray(c->notices, c->n_notices + 1, sizeof *c->notices);
	n = &c->notices[c->n_notices++];
	n->msg = *msg;
	n->msg.room_id = n->room_id = xstrdup(msg->room_id);
	n->msg.room_name = n->room_name = msg->room_name ? xstrdup(msg->room_name) : NULL;
	n->msg.sender_id = n->sender_id = xstrdup(msg->sender_id);
	n->msg.sender_name = n->sender_name = msg->sender_name ? xstrdup(msg->sender_name) : NULL;
	n->msg.body = n->body = msg->body ? xstrdup(msg->body) : NULL;
}

void
core_notify_hold(struct core *c)
{
	core_notify_release(c, 0);
	c->notify_holding = 1;
	c->notify_spent = 0;
}

void
core_notify_release(struct core *c, int kept)
{
	for (size_t i = 0; i < c->n_notices; i++) {
		struct core_notice *n = &c->notices[i];

		if (kept && c->ev.notify != NULL)
			c->ev.notify(c->ev_arg, &n->msg);
		free(n->room_id);
		free(n->room_name);
		free(n->sender_id);
		free(n->sender_name);
		free(n->body);
	}
	c->notify_spent = kept ? (int)c->n_notices : 0;
	xfree(&c->notices);
	c->n_notices = 0;
	c->notify_holding = 0;
}

/* One new message: raised when the rules say so (or held, see
 * core_notify_hold). Returns 1 if it was. */
static int
core_notify_event(struct core *c, const char *room_id, const struct mx_event *ev,
    const struct notify_rules *rules)
{
	struct notify_msg msg = {0};
	struct notify_ctx ctx = {0};
	struct store_room room;
	struct store_msg m;
	char *my_name = NULL;
	int has_room, rc = 0;

	if (store_msg_get(c->store, ev->event_id, &m, NULL) == -1)
		return 0;
	has_room = store_room_get(c->store, room_id, &room, NULL) == 0;
	if (core_self(c) != NULL)
		my_name = store_member_displayname(c->store, room_id, core_self(c));
	msg.room_id = room_id;
	msg.room_name = has_room ? room.name : NULL;
	msg.is_direct = has_room && room.is_direct;
	msg.sender_id = ev->sender;
	msg.sender_name = m.sender_name;
	msg.body = ev->body;
	msg.is_notice = ev->msgtype != NULL && strcmp(ev->msgtype, "m.notice") == 0;
	msg.mentions = core_mentions(c, room_id, ev->sender, m.content);
	ctx.my_id = core_self(c);
	ctx.my_name = my_name;
	ctx.minute = notify_local_minute(time(NULL));
	ctx.in_view = c->view_room != NULL && strcmp(c->view_room, room_id) == 0;
	ctx.focus = c->view_focus < 0 ? NOTIFY_FOCUS_UNKNOWN :
	    c->view_focus ? NOTIFY_FOCUS_IN : NOTIFY_FOCUS_OUT;
	if (notify_decide(&msg, rules, &ctx) > 0) {
		if (c->notify_holding)
			core_notice_hold(c, &msg);
		else
			c->ev.notify(c->ev_arg, &msg);
		rc = 1;
	}
	free(my_name);
	if (has_room)
		store_room_clear(&room);
	store_msg_clear(&m);
	return rc;
}

static int
core_notifiable(const struct mx_event *ev)
{
	return strcmp(ev->type, "m.room.message") == 0 && !ev->redacted && ev->body != NULL &&
	    (ev->rel_type == NULL || strcmp(ev->rel_type, "m.replace") != 0);
}

/* The first sync of a run brings what happened while natter was closed:
 * history, not news. */
static void
core_events_notify(struct core *c, const struct mx_sync *sync)
{
	struct notify_rules rules;
	/* The slices of one sync share its limit. */
	int shown = c->notify_holding ? (int)c->n_notices : c->notify_spent;

	c->notify_spent = 0;
	if (c->ev.notify == NULL || !c->synced_once || c->settings == NULL)
		return;
	if (!c->muted_ready)
		core_notify_muted(c);
	core_notify_rules(c, &rules);
	for (size_t i = 0; i < sync->n_rooms && shown < CORE_NOTIFY_MAX; i++) {
		const struct mx_room_update *ru = &sync->rooms[i];
		size_t j = 0;

		if (ru->membership != MX_MEMBERSHIP_JOIN)
			continue;
		/* A room a sliding window takes in brings its history with
		 * it: only the events it calls live are news. */
		if (sync->sliding && ru->n_live >= 0 && (size_t)ru->n_live < ru->n_timeline)
			j = ru->n_timeline - (size_t)ru->n_live;
		for (; j < ru->n_timeline && shown < CORE_NOTIFY_MAX; j++)
			if (core_notifiable(&ru->timeline[j]))
				shown += core_notify_event(c, ru->room_id, &ru->timeline[j], &rules);
	}
}

#define CORE_LATE_NEWS_MS (60LL * 60 * 1000)	/* older, a message read late is history */

void
core_notify_late(struct core *c, const char *room_id, const struct mx_event *ev)
{
	struct notify_rules rules;

	if (c->ev.notify == NULL || !c->synced_once || c->settings == NULL ||
	    !core_notifiable(ev) || nt_now_ms() - ev->ts > CORE_LATE_NEWS_MS)
		return;
	if (!c->muted_ready)
		core_notify_muted(c);
	core_notify_rules(c, &rules);
	core_notify_event(c, room_id, ev, &rules);
}

/* Who is typing in one room, by the names the room knows them by. */
static void
core_events_typing(struct core *c, const struct mx_room_update *ru)
{
	const char *self = core_self(c);
	struct store_member *members = NULL;
	const char **names = xcalloc(ru->n_typing + 1, sizeof *names);
	size_t n = 0, n_members = 0;

	if (store_members(c->store, ru->room_id, &members, &n_members, NULL) == -1)
		n_members = 0;
	for (size_t j = 0; j < ru->n_typing; j++) {
		const char *who = ru->typing[j], *name = who;

		if (self != NULL && strcmp(who, self) == 0)
			continue;
		for (size_t k = 0; k < n_members; k++)
			if (strcmp(members[k].user_id, who) == 0 && members[k].name != NULL)
				name = members[k].name;
		names[n++] = name;
	}
	c->ev.typing(c->ev_arg, ru->room_id, names, n);
	free(names);
	store_members_free(&members, n_members);
}

static enum core_change
core_change_of(const struct mx_event *ev, const char **target)
{
	*target = NULL;
	if (ev->redacts != NULL && strcmp(ev->type, "m.room.redaction") == 0) {
		*target = ev->redacts;
		return CORE_CHANGE_REDACT;
	}
	if (ev->state_key != NULL)
		return CORE_CHANGE_STATE;
	if (ev->rel_type != NULL && ev->rel_event != NULL) {
		*target = ev->rel_event;
		if (strcmp(ev->rel_type, "m.replace") == 0)
			return CORE_CHANGE_EDIT;
		if (strcmp(ev->rel_type, "m.annotation") == 0)
			return CORE_CHANGE_REACT;
		*target = NULL;
	}
	return CORE_CHANGE_NEW;
}

/* The new events of one room, as changes. */
static void
core_events_messages(struct core *c, const struct mx_room_update *ru)
{
	struct core_message *m = xcalloc(ru->n_timeline, sizeof *m);

	for (size_t j = 0; j < ru->n_timeline; j++) {
		m[j].change = core_change_of(&ru->timeline[j], &m[j].target);
		m[j].event_id = ru->timeline[j].event_id;
		m[j].sender = ru->timeline[j].sender;
	}
	c->ev.messages(c->ev_arg, ru->room_id, m, ru->n_timeline);
	free(m);
}

void
core_events_rooms(struct core *c, const struct mx_sync *sync)
{
	for (size_t i = 0; i < sync->n_rooms; i++) {
		const struct mx_room_update *ru = &sync->rooms[i];

		if (c->ev.messages != NULL && ru->n_timeline > 0)
			core_events_messages(c, ru);
		if (c->ev.typing != NULL && ru->has_typing)
			core_events_typing(c, ru);
	}
	core_events_notify(c, sync);
}

void
core_events_sync(struct core *c, const struct mx_sync *sync, size_t n_events)
{
	if (c->ev.rooms != NULL)
		c->ev.rooms(c->ev_arg, n_events);
	core_events_rooms(c, sync);
}

void
core_notify_free(struct core *c)
{
	core_notify_release(c, 0);
	for (size_t i = 0; i < c->n_muted; i++)
		free(c->muted[i]);
	xfree(&c->muted);
	c->n_muted = 0;
	c->muted_ready = 0;
	xfree(&c->view_room);
}
