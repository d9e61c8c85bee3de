#!/usr/bin/env python3
"""TLS integration tests: `uninlu serve --tls-cert --tls-key` against a test CA that the test makes with the
openssl CLI in a temp dir. Python's ssl/http.client, curl and `openssl s_client` are the clients.

Python standard library only (plus the curl and openssl commands). Run through run.sh, or directly:
  python3 tests/integration/test_tls.py --binary build/src/cli/uninlu --model build/fixtures/models/tiny \
      [--uninlu build/src/cli/uninlu] [-v] [-k name]
--uninlu is the binary whose `bench` is tested over https (default: --binary, unless --fake).
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

import test_http
from test_http import REFERENCE, Server, wait_until

UNINLU = None  # a real `uninlu` binary for the bench test, or None

PLAIN_REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """A test CA and server certificates it signs (P-256, for 127.0.0.1 and localhost)."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="uninlu_tls_")
        self.ca = self.path("ca.pem")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=uninlu test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
                cwd=self.dir.name)
        with open(self.path("server.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def issue(self, name, serial):
        """Writes <name>.pem and <name>.key, signed by the CA with `serial`; returns their paths."""
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=uninlu {name}", cwd=self.dir.name)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", str(serial),
                "-days", "2", "-extfile", "server.ext", "-out", f"{name}.pem", cwd=self.dir.name)
        return self.path(f"{name}.pem"), self.path(f"{name}.key")

    def install(self, name, cert, key):
        """Copies a pair over <name>.pem/<name>.key, as a renewal would."""
        shutil.copyfile(cert, self.path(f"{name}.pem"))
        shutil.copyfile(key, self.path(f"{name}.key"))

    def client_context(self, version=None):
        context = ssl.create_default_context(cafile=self.ca)
        if version is not None:
            context.minimum_version = version
            context.maximum_version = version
        return context

    def close(self):
        self.dir.cleanup()


class TlsServer(Server):
    """A `serve --tls-cert --tls-key` process; its own requests go over HTTPS, trusting the test CA."""

    def __init__(self, pki, cert, key, extra_args=(), **kwargs):
        self.pki = pki
        super().__init__(["--tls-cert", cert, "--tls-key", key, *extra_args], **kwargs)

    def connection(self, timeout=test_http.REQUEST_TIMEOUT_S, version=None):
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=self.pki.client_context(version))

    def url(self, path=""):
        return f"https://127.0.0.1:{self.port}{path}"


def peer_serial(conn):
    """The serial of the certificate the server presented on this (connected) HTTPSConnection."""
    return int(conn.sock.getpeercert()["serialNumber"], 16)


def served_serial(server):
    conn = server.connection(timeout=30)
    try:
        conn.connect()
        return peer_serial(conn)
    finally:
        conn.close()


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.pki = Pki()
        self.cert, self.key = self.pki.issue("server", 1001)
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.close()
        self.pki.close()

    def start(self, *args, **kwargs):
        server = TlsServer(self.pki, *args, **kwargs)
        self.servers.append(server)
        return server

    def test_python_client_over_tls12_and_tls13(self):
        server = self.start(self.cert, self.key)
        for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
            conn = server.connection(version=version)
            try:
                r = test_http.exchange(conn, "POST", "/api/predict", REFERENCE)
                self.assertEqual(r.status, 200, r.body)
                self.assertIn("output", r.json()["result"])
                self.assertEqual(conn.sock.version(), name)
                self.assertEqual(peer_serial(conn), 1001)
                r = test_http.exchange(conn, "GET", "/health")  # the same connection, kept alive
                self.assertEqual(r.status, 200)
            finally:
                conn.close()
        info = server.get("/info").json()
        self.assertTrue(json.dumps(info).find('"tls": true') >= 0, info)
        self.assertIn(f"listening on https://127.0.0.1:{server.port}", server.stderr())

    def test_curl_with_cacert(self):
        server = self.start(self.cert, self.key)
        for version_args in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
            out = subprocess.run(["curl", "-sS", "--cacert", self.pki.ca, *version_args, "-o", "/dev/null",
                                  "-w", "%{http_code}", server.url("/health")],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout, "200")
        # Without the CA, curl refuses the certificate: the check is real.
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", server.url("/health")],
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("certificate", out.stderr)

    def test_tls10_and_tls11_are_refused_by_the_server(self):
        server = self.start(self.cert, self.key)

        def s_client(version_flag):
            # SECLEVEL=0 lets this client offer the old versions, so any refusal is the server's.
            return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", version_flag,
                                   "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", self.pki.ca],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)

        control = s_client("-tls1_2")  # the same command works where the version is allowed
        self.assertEqual(control.returncode, 0, control.stderr)
        self.assertIn("Protocol  : TLSv1.2", control.stdout)
        for flag in ("-tls1", "-tls1_1"):
            out = s_client(flag)
            self.assertNotEqual(out.returncode, 0, out.stdout)
            self.assertIn("alert protocol version", out.stderr, out.stderr)  # the server's alert
        self.assertEqual(server.get("/health").status, 200)

    def test_plain_http_on_the_tls_port_is_closed_not_hung(self):
        server = self.start(self.cert, self.key, ["--log-level", "debug"])
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
            s.sendall(PLAIN_REQUEST)
            received = b""
            while True:  # the timeout above is the safety net: a hang fails with socket.timeout
                try:
                    chunk = s.recv(4096)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                received += chunk
        self.assertNotIn(b"HTTP/1.1", received)
        self.assertTrue(wait_until(lambda: "TLS handshake with" in server.stderr(), 10), server.stderr())
        self.assertEqual(server.get("/health").status, 200)
        self.assertIsNone(server.proc.poll())

    def test_certificate_reloaded_on_sighup_under_load(self):
        server = self.start(self.cert, self.key)
        self.assertEqual(served_serial(server), 1001)
        kept = server.connection()  # opened before the reload: keeps its certificate and works on
        kept.connect()
        self.assertEqual(peer_serial(kept), 1001)

        failures, serials, done = [], set(), threading.Event()

        def client():
            while not done.is_set():
                conn = server.connection(timeout=60)
                try:
                    r = test_http.exchange(conn, "POST", "/api/predict", REFERENCE)
                    if r.status != 200:
                        failures.append(f"status {r.status}: {r.body[:200]}")
                    serials.add(peer_serial(conn))
                except Exception as e:  # noqa: BLE001 - every failure counts
                    failures.append(repr(e))
                finally:
                    conn.close()

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            self.assertTrue(wait_until(lambda: len(serials) > 0 or failures, 60))
            new_cert, new_key = self.pki.issue("renewed", 1002)
            self.pki.install("server", new_cert, new_key)
            server.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: 1002 in serials or failures, 60),
                            f"no connection saw the new certificate:\n{server.stderr()}")
            # A bad renewal (not PEM) is logged; the certificate in use stays.
            with open(self.cert, "w") as f:
                f.write("not a certificate\n")
            server.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: "keeping the TLS certificate in use" in server.stderr(), 30),
                            server.stderr())
            serials.clear()
            self.assertTrue(wait_until(lambda: len(serials) > 0 or failures, 60))
        finally:
            done.set()
            for t in threads:
                t.join()
        self.assertEqual(failures, [])
        self.assertEqual(serials, {1002})
        self.assertEqual(served_serial(server), 1002)
        r = test_http.exchange(kept, "GET", "/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(peer_serial(kept), 1001)
        kept.close()
        self.assertIsNone(server.proc.poll(), "SIGHUP ended the server")

    def test_startup_errors_exit_2_with_a_clear_message(self):
        other_cert, other_key = self.pki.issue("other", 7)
        not_pem = self.pki.path("not.pem")
        with open(not_pem, "w") as f:
            f.write("hello\n")
        missing = self.pki.path("missing.pem")
        cases = [
            (["--tls-cert", self.cert], "--tls-cert (tls_cert) is set but --tls-key (tls_key) is not"),
            (["--tls-key", self.key], "--tls-key (tls_key) is set but --tls-cert (tls_cert) is not"),
            (["--tls-cert", missing, "--tls-key", self.key], f"'{missing}': no such file"),
            (["--tls-cert", self.pki.dir.name, "--tls-key", self.key], "it is a directory"),
            (["--tls-cert", not_pem, "--tls-key", self.key], "is not PEM"),
            (["--tls-cert", self.cert, "--tls-key", other_key], "does not match the certificate"),
            (["--tls-cert", other_cert, "--tls-key", other_cert], "holds no private key but a certificate"),
        ]
        if os.geteuid() != 0:  # root reads any file whatever its mode
            unreadable = self.pki.path("unreadable.key")
            shutil.copyfile(self.key, unreadable)
            os.chmod(unreadable, 0)
            cases.append((["--tls-cert", self.cert, "--tls-key", unreadable], "Permission denied"))
        for args, words in cases:
            with self.subTest(args=args):
                server = Server(args, wait=False)
                try:
                    self.assertEqual(server.proc.wait(timeout=120), 2, server.stderr())
                    self.assertIn(words, server.stderr())
                finally:
                    server.close()

    def test_bench_over_https(self):
        if UNINLU is None:
            self.skipTest("no uninlu binary for `uninlu bench` (--uninlu)")
        server = self.start(self.cert, self.key)
        out = subprocess.run([UNINLU, "bench", "--url", server.url(), "--cacert", self.pki.ca, "--connections", "2",
                              "--duration", "1", "--warmup", "0", "--json"],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        phase = json.loads(out.stdout)["phases"][0]
        self.assertGreater(phase["requests_ok"], 0)
        self.assertEqual(phase["requests_failed"], 0)
        # Without the CA the certificate is refused before any load.
        out = subprocess.run([UNINLU, "bench", "--url", server.url(), "--duration", "1", "--warmup", "0"],
                             capture_output=True, text=True, timeout=300)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("certificate verify failed", out.stderr)


def main():
    global UNINLU
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="uninlu (or uninlu_fake_serve)")
    parser.add_argument("--model", required=True, help="model directory passed as --model")
    parser.add_argument("--fake", action="store_true", help="the binary serves a fake model")
    parser.add_argument("--uninlu", help="the uninlu binary for the bench test (default: --binary unless --fake)")
    args, rest = parser.parse_known_args()
    test_http.BINARY, test_http.MODEL, test_http.FAKE = (os.path.abspath(args.binary), os.path.abspath(args.model),
                                                         args.fake)
    if args.uninlu:
        UNINLU = os.path.abspath(args.uninlu)
    elif not args.fake:
        UNINLU = test_http.BINARY
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
