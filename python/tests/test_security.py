"""Who may attach (Unix socket: this uid only; TCP: loopback with a token) and what hostile input does (nothing)."""

import contextlib
import io
import json
import os
import random
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from _client import Client, connect, wait_for
from trainboard import ListenError, Session, _wire

NOBODY = 65534
# Run by another uid: connect to argv[1] and report what happened (stdlib only).
PEER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as error:
    print("connect refused:", type(error).__name__)
    sys.exit(0)
data = b""
try:
    s.sendall(b'{"v":1,"type":"command","id":1,"command":"stop"}\n')
except OSError as error:
    print("send:", type(error).__name__)
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError as error:
    print("recv:", type(error).__name__)
print("received", len(data), "bytes")
"""


def python_for_nobody():
    """An interpreter the nobody user can run (the venv's may live under /root), or None."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", os.path.realpath(shutil.which("python3") or "")):
        if candidate and os.path.exists(candidate):
            done = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", candidate,
                                   "-c", "print('ok')"], capture_output=True, text=True)
            if done.stdout.strip() == "ok":
                return candidate
    return None


class TcpTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tb-tcp-")
        os.environ["XDG_RUNTIME_DIR"] = self.dir
        self.addCleanup(shutil.rmtree, self.dir, True)
        printed = io.StringIO()
        with contextlib.redirect_stderr(printed):
            self.session = Session(listen="127.0.0.1:0", name="tcp", learning_rate=0.1)
        self.addCleanup(self.session.close)
        self.printed = printed.getvalue()

    def refused(self, lines):
        """Connects, sends `lines` (bytes), returns (messages received, closed by the run)."""
        client = Client(self.session.address)
        self.addCleanup(client.close)
        if lines:
            client.send_raw(lines)
        client.drain(8.0)
        return client.messages, client.closed

    def test_token_printed_and_written_privately(self):
        token = self.session.token
        self.assertRegex(token, r"^[0-9a-f]{64}$")
        self.assertRegex(self.session.address, r"^127\.0\.0\.1:\d+$")
        self.assertIn(token, self.printed)
        self.assertIn(self.session.address, self.printed)
        self.assertEqual(stat.S_IMODE(os.stat(self.session.token_file).st_mode), 0o600)
        with open(self.session.token_file) as handle:
            self.assertEqual(handle.read(), token + "\n")
        with open(self.session.discovery_file) as handle:
            record = json.load(handle)
        self.assertEqual((record["tcp"], record["token_file"], record["socket"]),
                         (self.session.address, self.session.token_file, None))
        self.assertEqual(self.session._server.getsockname()[0], "127.0.0.1")

    def test_without_or_with_a_wrong_token_refused(self):
        cases = [b'{"v":1,"type":"command","id":1,"command":"stop"}\n',
                 b'{"v":1,"type":"ping","id":1}\n',
                 (json.dumps({"v": 1, "type": "auth", "token": "0" * 64}) + "\n").encode(),
                 (json.dumps({"v": 1, "type": "auth", "token": self.session.token[:-1]}) + "\n").encode(),
                 (json.dumps({"v": 1, "type": "auth", "token": 12}) + "\n").encode(),
                 b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"]
        for lines in cases:
            messages, closed = self.refused(lines)
            self.assertTrue(closed, f"{lines!r}: connection left open")
            self.assertEqual([m["type"] for m in messages], ["error"], f"{lines!r}: {messages}")
        self.assertEqual(self.session.poll(), [])
        self.assertFalse(self.session.stop_requested)

    def test_silent_client_dropped_after_the_auth_timeout(self):
        old = _wire.AUTH_SECONDS
        _wire.AUTH_SECONDS = 0.5
        self.addCleanup(setattr, _wire, "AUTH_SECONDS", old)
        start = time.monotonic()
        messages, closed = self.refused(b"")
        self.assertTrue(closed)
        self.assertLess(time.monotonic() - start, 4.0)
        self.assertEqual([m["type"] for m in messages], ["error"])
        self.assertIn("auth", messages[0]["message"])

    def test_right_token_attaches(self):
        self.session.log_batch(0, 0, {"loss": 1.5})
        client = Client(self.session.address, token=self.session.token)
        self.addCleanup(client.close)
        hello, history, count = client.read_history()
        self.assertEqual((hello["name"], count, history[0]["logs"]), ("tcp", 1, {"loss": 1.5}))

    def test_only_loopback(self):
        for where in ("0.0.0.0:0", "192.168.1.10:8080", "[::]:0", "example.com:80", "10.0.0.1:0"):
            with self.assertRaisesRegex(ListenError, "loopback", msg=where):
                Session(listen=where, announce=False)
        with self.assertRaisesRegex(ListenError, "out of range"):
            Session(listen="127.0.0.1:70000", announce=False)


@unittest.skipUnless(os.getuid() == 0, "needs root to run a client under another uid (CI runs as root)")
class OtherUidTest(unittest.TestCase):
    """Three layers keep another user out of a Unix-socket run: the 0700 directory, the 0600 socket and the peer's uid
    (SO_PEERCRED). Each is checked alone."""

    @classmethod
    def setUpClass(cls):
        cls.python = python_for_nobody()
        if cls.python is None:
            raise AssertionError("cannot run a Python interpreter as uid 65534 with setpriv: the other-uid checks "
                                 "could not run")

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tb-uid-")
        os.environ["XDG_RUNTIME_DIR"] = self.dir
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.open_dir = tempfile.mkdtemp(prefix="tb-open-")
        os.chmod(self.open_dir, 0o777)
        self.addCleanup(shutil.rmtree, self.open_dir, True)

    def as_nobody(self, path):
        done = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", self.python,
                               "-c", PEER, path], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.strip()

    def check_own_uid_still_attaches(self, session):
        client = Client(session.socket_path)
        self.addCleanup(client.close)
        self.assertEqual(client.read_history()[0]["type"], "hello")
        self.assertFalse(session.stop_requested)
        self.assertEqual(session.poll(), [])

    def test_private_directory_keeps_another_uid_out(self):
        session = Session(announce=False)
        self.addCleanup(session.close)
        self.assertEqual(self.as_nobody(session.socket_path), "connect refused: PermissionError")
        self.check_own_uid_still_attaches(session)

    def test_socket_mode_keeps_another_uid_out(self):
        session = Session(listen=os.path.join(self.open_dir, "run.sock"), announce=False)
        self.addCleanup(session.close)
        self.assertEqual(stat.S_IMODE(os.stat(session.socket_path).st_mode), 0o600)
        self.assertEqual(self.as_nobody(session.socket_path), "connect refused: PermissionError")
        self.check_own_uid_still_attaches(session)

    def test_peer_uid_check_closes_another_uids_connection(self):
        session = Session(listen=os.path.join(self.open_dir, "run.sock"), announce=False)
        self.addCleanup(session.close)
        os.chmod(session.socket_path, 0o666)   # as if the file permissions had been loosened: SO_PEERCRED remains
        # closed unread: an EOF, or a reset because the peer's line was never read; never a byte of hello
        self.assertRegex(self.as_nobody(session.socket_path), r"^((send|recv): (ConnectionResetError|BrokenPipeError)\n)?received 0 bytes$")
        self.check_own_uid_still_attaches(session)


class HostileInputTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tb-fuzz-")
        os.environ["XDG_RUNTIME_DIR"] = self.dir
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_fuzzed_streams_do_not_stop_training(self):
        seed = int(os.environ.get("TB_FUZZ_SEED", random.randrange(1 << 30)))
        rng = random.Random(seed)
        # No pause/stop in this run: a valid pause from the fuzz would (rightly) wait for a resume.
        session = Session(announce=False, learning_rate=0.1, commands=["checkpoint", "set_lr", "scale_lr"])
        self.addCleanup(session.close)
        planned, done = 3000, []
        handled = []

        def handle(command):
            handled.append(command.command)
            command.ack(ok=command.command != "checkpoint", message="fuzz loop")

        def loop():
            for step in range(planned):
                session.log_batch(step // 100, step % 100, {"loss": rng.random(), "accuracy": float("nan")})
                session.serve(handle)
                time.sleep(0.001)
                done.append(step)

        training = threading.Thread(target=loop, daemon=True)
        training.start()
        errors = []
        pieces = [b"{", b"}", b"[", b"]", b'"v"', b":", b"1", b",", b'"type"', b'"command"', b'"set_lr"', b'"value"',
                  b'"id"', b"-1e999", b"NaN", b"\xff\xfe", b"\x00", b"\r", b"\n", b'"\\ud800"', b"9" * 5000, b" ",
                  b'"ping"', b'"auth"', b'"token"', b"null", b"true", b'"checkpoint"', b'"path"', b'"/dev/null"']

        def fuzz(index):
            local = random.Random(seed + index)
            for round in range(25):
                try:
                    sock = connect(session.socket_path)
                    sock.settimeout(5)
                    kind = local.randrange(6)
                    if kind == 0:
                        data = bytes(local.randrange(256) for _ in range(local.randrange(1, 4000)))
                    elif kind == 1:
                        data = b"".join(local.choice(pieces) for _ in range(local.randrange(1, 400)))
                    elif kind == 2:
                        data = b"[" * 60000 + b"\n"      # deep nesting within the line limit
                    elif kind == 3:
                        data = b"x" * (_wire.MAX_CLIENT_LINE + 10)   # oversized, no newline
                    elif kind == 4:
                        message = {"v": local.choice([1, 1, 1, 2, "1", None]), "type": "command",
                                   "id": local.choice([1, -5, 2 ** 60, "a", None, 1.5]),
                                   "command": local.choice(["set_lr", "scale_lr", "checkpoint", "pause", "nope", 3]),
                                   "value": local.choice([0.1, -1, 0, 1e308, "NaN", "Infinity", [], {}, "x" * 100]),
                                   "path": local.choice([None, "", "a\u0000b", 5, "x" * 5000])}
                        data = (json.dumps(message) + "\n").encode() * local.randrange(1, 50)
                    else:
                        data = b'{"v":1,"type":"ping","id":1}\n{"v":1,"type":"ping"'   # cut mid-line
                    try:
                        sock.sendall(data[:200000])
                    except OSError:
                        pass
                    if kind == 3:   # the run must answer `error` and close: read to the end
                        received = b""
                        try:
                            while True:
                                chunk = sock.recv(1 << 20)
                                if not chunk:
                                    break
                                received += chunk
                        except OSError:
                            pass
                        errors.append(received.count(b'"type":"error"'))
                    else:           # hang up at a random moment
                        time.sleep(local.random() * 0.01)
                    sock.close()
                except OSError:
                    pass

        fuzzers = [threading.Thread(target=fuzz, args=(i,), daemon=True) for i in range(4)]
        for thread in fuzzers:
            thread.start()
        for thread in fuzzers:
            thread.join(60)
        training.join(60)
        self.assertFalse(training.is_alive(), f"training did not finish (seed {seed})")
        self.assertEqual(len(done), planned, f"seed {seed}")
        self.assertTrue(session._thread.is_alive(), f"the session's I/O thread died (seed {seed})")
        self.assertTrue(errors and all(count == 1 for count in errors),
                        f"an oversized line was not answered by exactly one error: {errors} (seed {seed})")
        # The run still serves a well-behaved client with the whole history.
        client = Client(session.socket_path)
        self.addCleanup(client.close)
        hello, history, count = client.read_history()
        self.assertEqual(len([m for m in history if m["type"] == "batch"]), planned)
        client.send({"v": 1, "type": "ping", "id": 5})
        self.assertEqual(client.read_type("pong")["id"], 5)

    def test_oversized_line_answered_and_closed(self):
        session = Session(announce=False)
        self.addCleanup(session.close)
        client = Client(session.socket_path)
        self.addCleanup(client.close)
        client.read_history()
        client.send_raw(b'{"v":1,"type":"ping","id":1,"pad":"' + b"x" * _wire.MAX_CLIENT_LINE + b'"}\n')
        error = client.read_type("error")
        self.assertIn("longer than 65536", error["message"])
        client.drain(3.0)
        self.assertTrue(client.closed)
        # a line of exactly the limit (newline included) is accepted
        ok = Client(session.socket_path)
        self.addCleanup(ok.close)
        ok.read_history()
        head = b'{"v":1,"type":"ping","id":2,"pad":"'
        ok.send_raw(head + b"x" * (_wire.MAX_CLIENT_LINE - len(head) - 3) + b'"}\n')
        self.assertEqual(ok.read_type("pong")["id"], 2)

    def test_a_client_that_never_reads_does_not_block_training(self):
        old = _wire.MAX_CLIENT_QUEUE
        _wire.MAX_CLIENT_QUEUE = 1 << 20
        self.addCleanup(setattr, _wire, "MAX_CLIENT_QUEUE", old)
        session = Session(announce=False)
        self.addCleanup(session.close)
        sleeper = connect(session.socket_path)
        self.addCleanup(sleeper.close)
        sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        wait_for(lambda: len(session._clients) == 1, what="the connection")
        start = time.monotonic()
        for step in range(4000):   # ~8 MB of messages, never read by the client
            session.log_batch(0, step, {"loss": 1.0, "notes": "x" * 2000})
        self.assertLess(time.monotonic() - start, 10.0, "logging waited for the client")
        wait_for(lambda: len(session._clients) == 0, timeout=15, what="the non-reading client to be dropped")


if __name__ == "__main__":
    unittest.main()
