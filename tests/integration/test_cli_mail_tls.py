"""natter export over TLS: smtps:// and STARTTLS to a real SMTP server on
loopback (aiosmtpd) with a certificate from a CA made for the test, which
natter trusts only through ca_file; logging in with a password command."""

import subprocess
import tempfile
import unittest
from pathlib import Path

from cli_support import NatterTestCase
from test_cli_export import SmtpSink, all_defects, body_of, kept_mail, parse, write_mail_config


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory, hosts):
    """A CA (ca.pem) and a server certificate it signed (server.pem,
    server.key) naming hosts and 127.0.0.1."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=natter test CA", cwd=directory)
    san = ",".join([f"DNS:{h}" for h in hosts] + ["IP:127.0.0.1"])
    openssl("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=localhost", "-addext", f"subjectAltName={san}", cwd=directory)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-copy_extensions", "copy",
            "-out", "server.pem", cwd=directory)


# A name natter cannot tell is this machine; the tests make it lead to
# 127.0.0.1 for natter alone (NatterRun.add_host).
MAIL_HOST = "smtp.natter.test"


class MailTlsTest(NatterTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = tempfile.TemporaryDirectory(prefix="natter-pki-")
        cls.ca = Path(cls.pki.name) / "ca.pem"
        make_ca(cls.pki.name, ["localhost", MAIL_HOST])

    @classmethod
    def tearDownClass(cls):
        cls.pki.cleanup()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.sinks = 0
        self.shared_room()
        self.natter.ok("send", "Planning", "The board meets at nine.")
        self.natter.ok("sync", "--once")

    def start_sink(self, *options):
        pki = Path(self.pki.name)
        self.sinks += 1
        sink = SmtpSink(self.natter.home / f"sink{self.sinks}",
                        options=["--cert", str(pki / "server.pem"), "--key", str(pki / "server.key"),
                                 *options])
        self.addCleanup(sink.stop)
        return sink

    def write_config(self, url, **extra):
        write_mail_config(self.natter, url, **extra)

    def export(self, status=0):
        r = self.natter.run("export", "Planning", "--to", "boss@example.com", timeout=120)
        self.assertEqual(r.returncode, status, f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def assert_arrived(self, sink, login=None):
        mails = sink.mails()
        self.assertEqual(len(mails), 1)
        envelope, raw = mails[0]
        self.assertTrue(envelope["tls"])
        self.assertEqual(envelope["login"], login)
        self.assertEqual(envelope["rcpt_tos"], ["boss@example.com"])
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertIn("The board meets at nine.", body_of(msg, "plain"))

    def assert_kept(self, r, sink):
        kept = kept_mail(r.stderr)
        self.assertIn("The board meets at nine.", body_of(parse(kept.read_bytes()), "plain"))
        self.assertEqual(sink.mails(), [])

    def password_command(self, password):
        script = self.natter.home / f"password-{len(password)}"
        script.write_text(f"#!/bin/sh\necho '{password}'\n")
        script.chmod(0o700)
        return str(script)

    def test_smtps_delivers_when_ca_file_names_the_ca(self):
        sink = self.start_sink("--smtps")
        self.write_config(f"smtps://localhost:{sink.port}", ca_file=self.ca)
        r = self.export()
        self.assertIn("sent to boss@example.com", r.stderr)
        self.assert_arrived(sink)

    def test_an_untrusted_certificate_gets_nothing(self):
        sink = self.start_sink("--smtps")
        self.write_config(f"smtps://localhost:{sink.port}")
        r = self.export(status=1)
        self.assertIn("certificate is not trusted", r.stderr)
        self.assertIn("ca_file", r.stderr)
        self.assert_kept(r, sink)

    def test_a_missing_ca_file_is_named(self):
        sink = self.start_sink("--smtps")
        self.write_config(f"smtps://localhost:{sink.port}",
                          ca_file=self.natter.home / "no-such-ca.pem")
        r = self.export(status=1)
        self.assertIn("ca_file", r.stderr)
        self.assert_kept(r, sink)

    def test_login_over_smtps_with_a_password_command(self):
        sink = self.start_sink("--smtps", "--auth", "sam:s3cret words")
        self.write_config(f"smtps://localhost:{sink.port}", ca_file=self.ca, smtp_user="sam",
                          password_command=self.password_command("s3cret words"))
        self.export()
        self.assert_arrived(sink, login="sam")

        self.write_config(f"smtps://localhost:{sink.port}", ca_file=self.ca, smtp_user="sam",
                          password_command=self.password_command("wrong"))
        r = self.export(status=1)
        self.assertIn("refused the login", r.stderr)
        self.assertNotIn("wrong", r.stderr)
        kept = kept_mail(r.stderr)
        self.assertTrue(kept.exists())
        self.assertEqual(len(sink.mails()), 1)

    def test_starttls_to_another_host_delivers(self):
        # Reached by a name that is not obviously this machine, smtp://
        # needs STARTTLS; with it, the mail goes.
        self.natter.add_host(MAIL_HOST)
        sink = self.start_sink("--starttls")
        self.write_config(f"smtp://{MAIL_HOST}:{sink.port}", ca_file=self.ca)
        self.export()
        self.assert_arrived(sink)


if __name__ == "__main__":
    unittest.main()
