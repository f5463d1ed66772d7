/* Showing notifications through libnotify. Its calls are synchronous
 * D-Bus, so the first failure turns notifications off for the run: a
 * desktop without a notification service costs one attempt and one note.
 * GLib's log output is taken from the terminal, which the UI owns. */
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib.h>
#include <libnotify/notify.h>

#include "natter/notify.h"
#include "natter/sanitize.h"
#include "natter/util.h"

#define NOTIFY_MAX_ROOMS 32	/* rooms whose last notification can be replaced */
#define NOTIFY_LOG_MAX 4096	/* bytes of GLib messages held for the sink */
#define NOTIFY_CATEGORY "im.received"
#define NOTIFY_CAP_MARKUP "body-markup"
#define NOTIFY_DBUS_NAME "org.freedesktop.Notifications"
#define NOTIFY_DBUS_PATH "/org/freedesktop/Notifications"
#define NOTIFY_PROBE_MS 5000

enum notify_state {
	NOTIFY_STATE_NEW,
	NOTIFY_STATE_READY,
	NOTIFY_STATE_OFF,
};

/* The notification last shown for a room, updated and shown again for the
 * next message so a busy room keeps one notification on screen. */
struct notify_room {
	char *room_id;
	NotifyNotification *n;
	unsigned long used;
};

static enum notify_state notify_state;
static GDBusConnection *notify_bus;
static int notify_server_markup;
static char *notify_off_cause;
static int notify_off_told;
static struct notify_room notify_rooms[NOTIFY_MAX_ROOMS];
static unsigned long notify_clock;

static void (*notify_log_fn)(const char *, void *);
static void *notify_log_arg;
static int notify_log_installed;
static GMutex notify_log_lock;
static struct buf notify_log_held;

void
notify_set_log(void (*fn)(const char *msg, void *arg), void *arg)
{
	notify_log_fn = fn;
	notify_log_arg = arg;
}

/* GLib may log from its D-Bus thread, so messages are held here and
 * passed to the sink on the caller's thread by notify_log_flush. */
static void
notify_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	if (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return;
	g_mutex_lock(&notify_log_lock);
	if (notify_log_held.len < NOTIFY_LOG_MAX) {
		buf_printf(&notify_log_held, "%s: %s", domain != NULL ? domain : "GLib",
		    message != NULL ? message : "");
		buf_add(&notify_log_held, "", 1);
	}
	g_mutex_unlock(&notify_log_lock);
}

static void
notify_log_flush(void)
{
	struct buf held;
	char *safe;

	g_mutex_lock(&notify_log_lock);
	held = notify_log_held;
	memset(&notify_log_held, 0, sizeof notify_log_held);
	g_mutex_unlock(&notify_log_lock);
	for (size_t off = 0; off < held.len; off += strlen(held.data + off) + 1) {
		if (notify_log_fn == NULL)
			break;
		safe = san_text(held.data + off, 0);
		notify_log_fn(safe, notify_log_arg);
		free(safe);
	}
	buf_free(&held);
}

static void
notify_turn_off(const char *why)
{
	char *safe = san_text(why, 0);

	notify_state = NOTIFY_STATE_OFF;
	free(notify_off_cause);
	notify_off_cause = xasprintf("no notification service on this desktop session "
	    "(D-Bus: %s): notifications are off", safe);
	free(safe);
}

static void
notify_read_caps(void)
{
	GList *caps = notify_get_server_caps();

	for (GList *l = caps; l != NULL; l = l->next) {
		if (l->data != NULL && strcmp(l->data, NOTIFY_CAP_MARKUP) == 0)
			notify_server_markup = 1;
	}
	g_list_free_full(caps, g_free);
}

/* GIO ends the process when the session bus goes away unless told not to. */
static int
notify_get_bus(void)
{
	GError *error = NULL;

	if ((notify_bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error)) == NULL) {
		notify_turn_off(error != NULL ? error->message : "cannot connect");
		g_clear_error(&error);
		return -1;
	}
	g_dbus_connection_set_exit_on_close(notify_bus, FALSE);
	return 0;
}

/* The first call, with a timeout of its own: starting a daemon through
 * D-Bus activation can take a moment, but a hung one must not stall the
 * UI for libnotify's 25 seconds. */
static int
notify_probe(void)
{
	GError *error = NULL;
	GVariant *reply;

	reply = g_dbus_connection_call_sync(notify_bus, NOTIFY_DBUS_NAME, NOTIFY_DBUS_PATH,
	    NOTIFY_DBUS_NAME, "GetServerInformation", NULL, G_VARIANT_TYPE("(ssss)"),
	    G_DBUS_CALL_FLAGS_NONE, NOTIFY_PROBE_MS, NULL, &error);
	if (reply != NULL) {
		g_variant_unref(reply);
		return 0;
	}
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		notify_turn_off(NOTIFY_DBUS_NAME " did not answer in time");
	else {
		g_dbus_error_strip_remote_error(error);
		notify_turn_off(error->message);
	}
	g_error_free(error);
	return -1;
}

static void
notify_connect(const char *app_name)
{
	if (!notify_log_installed) {
		g_log_set_default_handler(notify_log_handler, NULL);
		notify_log_installed = 1;
	}
	if (notify_get_bus() == -1 || notify_probe() == -1)
		return;
	if (!notify_init(app_name)) {
		notify_turn_off("libnotify did not start");
		return;
	}
	notify_read_caps();
	notify_state = NOTIFY_STATE_READY;
}

int
notify_open(const char *app_name, char **cause)
{
	if (notify_state == NOTIFY_STATE_NEW)
		notify_connect(app_name != NULL ? app_name : NOTIFY_APP_NAME);
	notify_log_flush();
	if (notify_state == NOTIFY_STATE_READY)
		return 0;
	notify_off_told = 1;
	return cause_set(cause, "%s", notify_off_cause);
}

static void
notify_room_clear(struct notify_room *r)
{
	if (r->n != NULL)
		g_object_unref(r->n);
	free(r->room_id);
	memset(r, 0, sizeof *r);
}

/* The slot of room_id: its own, else an empty one, else the least recently
 * used, whose notification is forgotten (it stays on screen). */
static struct notify_room *
notify_room_find(const char *room_id)
{
	struct notify_room *r, *pick = &notify_rooms[0];

	for (size_t i = 0; i < NOTIFY_MAX_ROOMS; i++) {
		r = &notify_rooms[i];
		if (r->room_id != NULL && strcmp(r->room_id, room_id) == 0)
			return r;
		if (pick->room_id != NULL && (r->room_id == NULL || r->used < pick->used))
			pick = r;
	}
	notify_room_clear(pick);
	pick->room_id = xstrdup(room_id);
	return pick;
}

static NotifyNotification *
notify_room_update(const char *room_id, const char *summary, const char *body)
{
	struct notify_room *r = notify_room_find(room_id != NULL ? room_id : "");

	if (r->n == NULL) {
		r->n = notify_notification_new(summary, body, NULL);
		notify_notification_set_urgency(r->n, NOTIFY_URGENCY_NORMAL);
		notify_notification_set_timeout(r->n, NOTIFY_EXPIRES_DEFAULT);
		notify_notification_set_category(r->n, NOTIFY_CATEGORY);
	} else
		notify_notification_update(r->n, summary, body, NULL);
	r->used = ++notify_clock;
	return r->n;
}

static void
notify_send(const struct notify_msg *msg, enum notify_markup markup)
{
	char *summary = notify_summary(msg);
	char *body = notify_body(msg->body, notify_use_markup(markup, notify_server_markup));
	NotifyNotification *n = notify_room_update(msg->room_id, summary, body);
	GError *error = NULL;

	if (!notify_notification_show(n, &error)) {
		if (error != NULL)
			g_dbus_error_strip_remote_error(error);
		notify_turn_off(error != NULL ? error->message : "no answer");
		g_clear_error(&error);
	}
	free(summary);
	free(body);
}

/* Signals such as NotificationClosed wait in GLib's main context, which
 * natter's loop does not run: dispatch them here so they do not pile up. */
static void
notify_dispatch(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
	notify_log_flush();
}

int
notify_show(const struct notify_msg *msg, enum notify_markup markup, char **cause)
{
	if (notify_state == NOTIFY_STATE_NEW)
		notify_connect(NOTIFY_APP_NAME);
	if (notify_state == NOTIFY_STATE_READY)
		notify_send(msg, markup);
	notify_dispatch();
	if (notify_state == NOTIFY_STATE_READY || notify_off_told)
		return 0;
	notify_off_told = 1;
	return cause_set(cause, "%s", notify_off_cause);
}

int
notify_available(void)
{
	return notify_state != NOTIFY_STATE_OFF;
}

void
notify_close(void)
{
	for (size_t i = 0; i < NOTIFY_MAX_ROOMS; i++)
		notify_room_clear(&notify_rooms[i]);
	if (notify_is_initted())
		notify_uninit();
	g_clear_object(&notify_bus);
	if (notify_state == NOTIFY_STATE_READY)
		notify_state = NOTIFY_STATE_NEW;
	notify_server_markup = 0;
	notify_log_flush();
}
