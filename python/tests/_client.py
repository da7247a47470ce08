"""A small attach-protocol CLIENT for the tests, written from docs/attach-protocol.md with the standard library only
(it shares no code with the package under test)."""

import json
import os
import socket
import time


def connect(address, timeout=20.0):
    """A connected socket to a Unix socket path or "127.0.0.1:PORT", retrying until `timeout` while the run is not yet
    listening (the path does not exist yet or refuses)."""
    deadline = time.monotonic() + timeout
    while True:
        sock = None
        try:
            if ":" in address and "/" not in address:
                host, port = address.rsplit(":", 1)
                sock = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
            else:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(5)
                sock.connect(address)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            if sock is not None:
                sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def number(value):
    """A protocol number (JSON number or "NaN"/"Infinity"/"-Infinity")."""
    return float(value) if not isinstance(value, str) else {"NaN": float("nan"), "Infinity": float("inf"),
                                                            "-Infinity": float("-inf")}[value]


class Client:
    """One attached client: `messages` is everything received, in order; `read_until` reads until a predicate holds."""

    def __init__(self, address, token=None, timeout=20.0):
        self.sock = connect(address, timeout)
        self.buffer = b""
        self.messages = []
        self.closed = False
        self.next_id = 1
        if token is not None:
            self.send({"v": 1, "type": "auth", "token": token})

    def send(self, message):
        self.send_raw((json.dumps(message) + "\n").encode())

    def send_raw(self, data):
        self.sock.sendall(data)

    def command(self, name, **arguments):
        """Sends a command; returns its id."""
        id = self.next_id
        self.next_id += 1
        self.send(dict({"v": 1, "type": "command", "id": id, "command": name}, **arguments))
        return id

    def _receive(self, timeout):
        self.sock.settimeout(max(0.001, timeout))
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            return
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            message = json.loads(line)
            assert message.get("v") == 1, f"message without v 1: {message}"
            self.messages.append(message)

    def read_until(self, predicate, timeout=30.0):
        """The first message (from the ones not yet examined) for which `predicate(message)` holds; raises
        AssertionError naming the last messages if none arrives within `timeout` seconds or the run closes."""
        deadline = time.monotonic() + timeout
        index = getattr(self, "_cursor", 0)
        while True:
            while index < len(self.messages):
                message = self.messages[index]
                index += 1
                if predicate(message):
                    self._cursor = index
                    return message
            self._cursor = index
            if self.closed:
                raise AssertionError(f"connection closed; last messages: {self.messages[-5:]}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; last messages: {self.messages[-5:]}")
            self._receive(min(remaining, 0.5))

    def read_type(self, kind, timeout=30.0):
        return self.read_until(lambda m: m["type"] == kind, timeout)

    def ack(self, id, timeout=30.0):
        return self.read_until(lambda m: m["type"] == "ack" and m.get("id") == id, timeout)

    def drain(self, seconds):
        """Receives for `seconds` (or until closed); returns the messages that arrived meanwhile."""
        start = len(self.messages)
        deadline = time.monotonic() + seconds
        while not self.closed and time.monotonic() < deadline:
            self._receive(deadline - time.monotonic())
        return self.messages[start:]

    def read_history(self, timeout=30.0):
        """hello, the replayed messages and history_end's count (call right after connecting)."""
        end = self.read_type("history_end", timeout)
        hello = self.messages[0]
        assert hello["type"] == "hello", f"first message is not hello: {hello}"
        history = self.messages[1:self.messages.index(end)]
        return hello, history, end["count"]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def run_address(session_or_path):
    return session_or_path if isinstance(session_or_path, str) else (
        session_or_path.socket_path or session_or_path.address)


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


os.environ.setdefault("PYTHONUNBUFFERED", "1")
