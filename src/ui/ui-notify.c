/* What the UI does with news: desktop notifications for what matters
 * (notify.h decides), the bell, and read receipts for the room in view. */
#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "natter/event.h"
#include "natter/notify.h"
#include "natter/settings.h"
#include "ui-private.h"

#define UI_NOTIFY_MAX 3		/* notifications one sync may raise */

/* Muted rooms as typed in the config (ids, aliases or names), as ids. */
static void
ui_notify_muted(struct ui *ui)
{
	const struct settings_list *mute = &ui->settings->notify.mute;

	ui->muted = xcalloc(mute->n ? mute->n : 1, sizeof *ui->muted);
	for (size_t i = 0; i < mute->n; i++) {
		char *id = store_room_resolve(ui->store, mute->items[i], NULL);

		if (id != NULL)
			ui->muted[ui->n_muted++] = id;
	}
	ui->muted_ready = 1;
}

static void
ui_notify_rules(struct ui *ui, struct notify_rules *r)
{
	const struct settings_notify *n = &ui->settings->notify;

	notify_rules_default(r);
	r->enabled = n->enabled;
	r->mentions = n->mentions;
	r->direct = n->direct;
	r->keywords = (const char *const *)n->keywords.items;
	r->nkeywords = n->keywords.n;
	r->quiet_start = n->quiet_start;
	r->quiet_end = n->quiet_end;
	r->muted = (const char *const *)ui->muted;
	r->nmuted = ui->n_muted;
	r->markup = n->markup == SETTINGS_MARKUP_ON ? NOTIFY_MARKUP_ON :
	    n->markup == SETTINGS_MARKUP_OFF ? NOTIFY_MARKUP_OFF : NOTIFY_MARKUP_AUTO;
}

/* Whether content names us in m.mentions (an intentional mention). */
static int
ui_notify_intended(const char *content, const char *self)
{
	cJSON *root = content != NULL ? cJSON_Parse(content) : NULL;
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "m.mentions"), "user_ids"), *id;
	int found = 0;

	if (cJSON_IsArray(ids)) {
		cJSON_ArrayForEach(id, ids)
			if (cJSON_IsString(id) && self != NULL && strcmp(id->valuestring, self) == 0)
				found = 1;
	}
	cJSON_Delete(root);
	return found;
}

/* One new message: notify when the rules say so. Returns 1 if it did. */
static int
ui_notify_event(struct ui *ui, const char *room_id, const struct mx_event *ev,
    const struct notify_rules *rules)
{
	const struct ui_room *room = ui_room_find(ui, room_id);
	struct notify_msg msg = {0};
	struct notify_ctx ctx = {0};
	struct store_msg m;
	char *cause = NULL;
	char *my_name;
	int reason, rc = 0;

	if (store_msg_get(ui->store, ev->event_id, &m, NULL) == -1)
		return 0;
	my_name = app_self(ui->app) != NULL ?
	    store_member_displayname(ui->store, room_id, app_self(ui->app)) : NULL;
	msg.room_id = room_id;
	msg.room_name = room != NULL ? room->name : NULL;
	msg.is_direct = room != NULL && room->section == UI_SECTION_DIRECT;
	msg.sender_id = ev->sender;
	msg.sender_name = m.sender_name;
	msg.body = ev->body;
	msg.is_notice = ev->msgtype != NULL && strcmp(ev->msgtype, "m.notice") == 0;
	msg.highlight = ui_notify_intended(m.content, app_self(ui->app));
	ctx.my_id = app_self(ui->app);
	ctx.my_name = my_name;
	ctx.minute = notify_local_minute(time(NULL));
	ctx.in_view = ui->current != NULL && strcmp(ui->current, room_id) == 0;
	ctx.focus = !ui->focus_known ? NOTIFY_FOCUS_UNKNOWN :
	    ui->focused ? NOTIFY_FOCUS_IN : NOTIFY_FOCUS_OUT;
	reason = notify_decide(&msg, rules, &ctx);
	if (reason > 0) {
		if (notify_show(&msg, rules->markup, &cause) == -1)
			ui_error(ui, "%s", cause);
		rc = 1;
	}
	free(cause);
	free(my_name);
	store_msg_clear(&m);
	return rc;
}

/* Looks at what a sync brought. The first sync of a run brings what
 * happened while natter was closed: history, not news. */
void
ui_notify_sync(struct ui *ui, const struct mx_sync *sync)
{
	struct notify_rules rules;
	int shown = 0;

	if (!ui->synced_once || ui->settings == NULL)
		return;
	if (!ui->muted_ready)
		ui_notify_muted(ui);
	ui_notify_rules(ui, &rules);
	for (size_t i = 0; i < sync->n_rooms && shown < UI_NOTIFY_MAX; i++) {
		const struct mx_room_update *ru = &sync->rooms[i];

		if (ru->membership != MX_MEMBERSHIP_JOIN)
			continue;
		for (size_t j = 0; j < ru->n_timeline && shown < UI_NOTIFY_MAX; j++) {
			const struct mx_event *ev = &ru->timeline[j];

			if (strcmp(ev->type, "m.room.message") != 0 || ev->redacted ||
			    ev->body == NULL || (ev->rel_type != NULL &&
			    strcmp(ev->rel_type, "m.replace") == 0))
				continue;
			shown += ui_notify_event(ui, ru->room_id, ev, &rules);
		}
	}
	if (shown > 0 && ui->settings->ui.bell)
		beep();
}

/* Tells the server the user has seen the room in view, up to its
 * newest event, when the terminal has focus. */
void
ui_mark_read(struct ui *ui)
{
	struct store_msg *msgs;
	size_t n;

	if (ui->current == NULL || (ui->focus_known && !ui->focused) || ui->scroll > 0)
		return;
	if (store_history(ui->store, ui->current, INT64_MAX, 1, &msgs, &n, NULL) == -1)
		return;
	if (n > 0)
		app_mark_read(ui->app, ui->current, msgs[0].event_id);
	store_msgs_free(&msgs, n);
}

void
ui_notify_free(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_muted; i++)
		free(ui->muted[i]);
	xfree(&ui->muted);
	ui->n_muted = 0;
	notify_close();
}
