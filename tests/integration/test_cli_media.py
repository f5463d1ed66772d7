"""Attachments: upload and send, and authenticated download to a safe name."""

import os
import unittest

from cli_support import NatterTestCase


class MediaTest(NatterTestCase):
    def test_send_file_arrives_byte_identical(self):
        room = self.shared_room("Files")
        data = os.urandom(300_000)
        path = self.natter.home / "Q3 board pack.pdf"
        path.write_bytes(data)
        self.natter.ok("send", "Files", "--file", path)
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("msgtype") == "m.file")
        self.assertEqual(ev["content"]["body"], "Q3 board pack.pdf")
        self.assertEqual(ev["content"]["info"]["mimetype"], "application/pdf")
        self.assertEqual(ev["content"]["info"]["size"], len(data))
        self.assertEqual(self.bob.download(ev["content"]["url"]), data)

    def test_download_uses_a_safe_name(self):
        room = self.shared_room("Incoming")
        data = os.urandom(5000) + b"\x00end"
        mxc = self.bob.upload(data, "image/png", "x.png")
        event_id = self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.image", "body": "../../.ssh/authorized_keys", "url": mxc,
            "info": {"mimetype": "image/png", "size": len(data)}})
        self.natter.ok("sync", "--once")
        out = self.natter.ok("download", "Incoming", event_id)
        saved = out.split("saved ", 1)[1].strip()
        media = self.natter.profile_dir() / "media"
        self.assertEqual(os.path.dirname(saved), str(media))
        self.assertEqual(os.path.basename(saved), "authorized_keys")
        with open(saved, "rb") as f:
            self.assertEqual(f.read(), data)
        # A second download never replaces the first.
        again = self.natter.ok("download", "Incoming", event_id).split("saved ", 1)[1].strip()
        self.assertNotEqual(again, saved)
        # Nothing was written where the name points, wherever that is.
        self.assertEqual([p for p in self.natter.home.rglob(".ssh")], [])

    def test_missing_file_is_a_clear_error(self):
        self.shared_room("Files")
        r = self.natter.run("send", "Files", "--file", "/nonexistent/report.pdf")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a readable file", r.stderr)


if __name__ == "__main__":
    unittest.main()
