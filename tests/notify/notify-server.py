#!/usr/bin/python3
"""A desktop notification server for tests, started by D-Bus activation.

It owns org.freedesktop.Notifications on the session bus, announces the
capabilities listed (space-separated) in $NOTIFY_TEST_DIR/caps, and appends
every call it receives to $NOTIFY_TEST_DIR/calls.jsonl, one JSON object a
line, before it answers, so a caller that got its reply finds the line.
While $NOTIFY_TEST_DIR/hang exists it answers nothing, like a hung daemon."""

import json
import os
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="GetCapabilities">
      <arg name="caps" type="as" direction="out"/>
    </method>
    <method name="Notify">
      <arg name="app_name" type="s" direction="in"/>
      <arg name="replaces_id" type="u" direction="in"/>
      <arg name="app_icon" type="s" direction="in"/>
      <arg name="summary" type="s" direction="in"/>
      <arg name="body" type="s" direction="in"/>
      <arg name="actions" type="as" direction="in"/>
      <arg name="hints" type="a{sv}" direction="in"/>
      <arg name="expire_timeout" type="i" direction="in"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <method name="CloseNotification">
      <arg name="id" type="u" direction="in"/>
    </method>
    <method name="GetServerInformation">
      <arg name="name" type="s" direction="out"/>
      <arg name="vendor" type="s" direction="out"/>
      <arg name="version" type="s" direction="out"/>
      <arg name="spec_version" type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed">
      <arg name="id" type="u"/>
      <arg name="reason" type="u"/>
    </signal>
    <signal name="ActionInvoked">
      <arg name="id" type="u"/>
      <arg name="action_key" type="s"/>
    </signal>
  </interface>
</node>
"""
CLOSED_BY_CALL = 3


def jsonable(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


class Server:
    def __init__(self, where, conn):
        self.where = where
        self.conn = conn
        self.live = set()
        self.last_id = 0
        self.hung = []

    def record(self, entry):
        with open(os.path.join(self.where, "calls.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(jsonable(entry)) + "\n")

    def caps(self):
        with open(os.path.join(self.where, "caps"), encoding="utf-8") as f:
            return f.read().split()

    def notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        if replaces in self.live:
            nid = replaces
        else:
            self.last_id += 1
            nid = self.last_id
            self.live.add(nid)
        self.record({"method": "Notify", "app_name": app, "replaces_id": replaces,
                     "app_icon": icon, "summary": summary, "body": body,
                     "actions": actions, "hints": hints, "expire_timeout": timeout,
                     "id": nid})
        return GLib.Variant("(u)", (nid,))

    def close(self, nid):
        self.record({"method": "CloseNotification", "id": nid})
        if nid in self.live:
            self.live.discard(nid)
            self.conn.emit_signal(None, PATH, NAME, "NotificationClosed",
                                  GLib.Variant("(uu)", (nid, CLOSED_BY_CALL)))
        return None

    def call(self, conn, sender, path, iface, method, params, invocation):
        args = params.unpack()
        if os.path.exists(os.path.join(self.where, "hang")):
            self.hung.append(invocation)
            return
        if method == "GetCapabilities":
            self.record({"method": method})
            invocation.return_value(GLib.Variant("(as)", (self.caps(),)))
        elif method == "GetServerInformation":
            self.record({"method": method})
            invocation.return_value(GLib.Variant(
                "(ssss)", ("natter-test", "natter", "1.0", "1.2")))
        elif method == "Notify":
            invocation.return_value(self.notify(*args))
        elif method == "CloseNotification":
            invocation.return_value(self.close(*args))
        else:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod",
                                         method)


def main():
    where = os.environ["NOTIFY_TEST_DIR"]
    with open(os.path.join(where, "server.pid"), "w", encoding="ascii") as f:
        f.write("%d\n" % os.getpid())
    # The process ends with the bus: GIO raises SIGTERM when it closes.
    conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    server = Server(where, conn)
    iface = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
    conn.register_object(PATH, iface, server.call, None, None)
    loop = GLib.MainLoop()
    Gio.bus_own_name_on_connection(conn, NAME, Gio.BusNameOwnerFlags.NONE,
                                   None, lambda *a: loop.quit())
    loop.run()
    return 1


if __name__ == "__main__":
    sys.exit(main())
