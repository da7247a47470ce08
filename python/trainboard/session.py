"""The run side of the attach protocol (docs/attach-protocol.md) for any Python training loop.

A `Session` listens on a Unix socket (default) or on TCP 127.0.0.1 with a token, and serves attached dashboards from
its own I/O thread: the training thread only appends messages to queues (`log_batch`, `log_epoch`, `event`) and reads
the commands that arrived (`poll`). The training thread never waits for a socket except inside `wait_while_paused`.
"""

import atexit
import collections
import hmac
import math
import os
import queue
import secrets
import selectors
import socket
import sys
import threading
import time

from . import _transport, _wire
from ._transport import ListenError

__all__ = ["Session", "Command", "apply_lr_to_torch", "ListenError"]

_MAX_PENDING_COMMANDS = 1000
_MAX_CLIENTS = 64          # connections beyond this are closed at once (a local flood cannot exhaust descriptors)
_SEND_CHUNK = 256 * 1024


class Command:
    """A steering command from an attached client, returned by `Session.poll` (pause and resume are handled by the
    session itself and never returned).

    Attributes: `command` ("stop", "checkpoint", "set_lr" or "scale_lr"), `value` (float for set_lr/scale_lr, else
    None), `path` (checkpoint path or None: the run chooses), `id` (the client's id or None), `origin` (the sender's
    connection number). Call `ack` exactly once when the command has taken effect or failed; every client sees it."""

    __slots__ = ("command", "value", "path", "id", "origin", "_session", "acked")

    def __init__(self, session, command, value=None, path=None, id=None, origin=None):
        self.command, self.value, self.path, self.id, self.origin = command, value, path, id, origin
        self._session = session
        self.acked = False

    def __repr__(self):
        return f"Command({self.command!r}, value={self.value!r}, path={self.path!r}, id={self.id!r})"

    def new_learning_rate(self, current):
        """The learning rate this set_lr/scale_lr command asks for, given the `current` one (scale_lr: `current *
        value`). Raises ValueError for other commands."""
        if self.command == "set_lr":
            return float(self.value)
        if self.command == "scale_lr":
            return float(current) * float(self.value)
        raise ValueError(f"{self.command} does not change the learning rate")

    def ack(self, ok=True, applied=None, message="", update=None):
        """Sends the `ack` to every attached client: `ok`, `applied` (a dict, e.g. {"learning_rate": 0.005} or
        {"path": "..."}), `update` (default: the session's current update count, i.e. the updates done when the command
        took effect; for set_lr/scale_lr that count + 1, the first update that uses the new rate, as the protocol
        says) and a human `message`. An applied learning rate becomes the session's current rate. A second
        call raises RuntimeError."""
        if self.acked:
            raise RuntimeError(f"{self!r} was already acknowledged")
        self.acked = True
        self._session._send_ack(self.id, self.command, ok, applied, update, message, self.origin)


def apply_lr_to_torch(optimizer, command, ack=True):
    """Applies a set_lr/scale_lr `command` to a PyTorch optimizer: `optimizer.param_groups[i]["lr"]` is set to the value
    (set_lr) or multiplied by it (scale_lr) for every group i, from the next `optimizer.step()`. With `ack` (default),
    acknowledges with `applied = {"learning_rate": <group 0's new lr>}` (plus `"param_groups": [...]` when groups
    differ). Returns group 0's new learning rate. Raises ValueError for other commands or an optimizer without
    param groups. Works with any object that has `param_groups` as a list of dicts (torch is not imported)."""
    groups = getattr(optimizer, "param_groups", None)
    if not groups:
        raise ValueError("the optimizer has no param_groups")
    rates = [command.new_learning_rate(group["lr"]) for group in groups]
    for group, rate in zip(groups, rates):
        group["lr"] = rate
    applied = {"learning_rate": rates[0]}
    if len(set(rates)) > 1:
        applied["param_groups"] = rates
    if ack:
        command.ack(applied=applied, message=f"learning rate {rates[0]:g} in {len(groups)} param group(s)")
    return rates[0]


class _Client:
    """One connection, touched only under the session's lock."""

    def __init__(self, sock, number, authed):
        self.sock, self.number, self.authed = sock, number, authed
        self.inbuf = bytearray()
        self.current = b""          # bytes being sent
        self.replay = collections.deque()  # hello + history snapshot + history_end (not counted in the queue limit)
        self.out = collections.deque()     # live messages
        self.out_bytes = 0
        self.connected_at = time.monotonic()
        self.last_progress = self.connected_at
        self.closing = False        # close once `current` is sent (after an error that ends the connection)
        self.linger_until = None    # when closing: the error is sent, input is drained until EOF or this time

    def pending(self):
        return bool(self.current or self.replay or self.out)


class Session:
    """A training run that dashboards can attach to (protocol v1). Thread-safety: `log_batch`, `log_epoch`, `event`,
    `set_info`, `Command.ack` and `close` may be called from any thread; `poll`, `wait_while_paused` and `serve` from
    one thread at a time (the training loop's). At most 64 connections at once; more are closed on accept.

    Arguments:
      listen: None (a new Unix socket `<private dir>/<name>-<pid>.sock`), a socket path, or "127.0.0.1:PORT" /
        "[::1]:PORT" (TCP with a token; port 0 picks one). Any other host raises ListenError.
      name: the run's name (letters, digits, `-`, `_`, `.`; others become `-`; at most 40 characters).
      framework: e.g. "pytorch 2.3", "numpy".
      model_summary, params: the model's text summary and its parameter count, for `hello`.
      epochs, steps_per_epoch, batch_size: the plan, for `hello` (None if unknown).
      metrics: the log keys the run reports (Keras's names: "loss", "accuracy", "val_loss", ...).
      learning_rate: the initial learning rate (float) or None.
      commands: the commands this run accepts (default all six); others get a negative ack from the session.
      announce: print where the run listens (and the TCP token) on standard error.

    Raises ListenError (an OSError) if it cannot listen where asked. Close it with `close` (or use `with`); it is
    also closed at interpreter exit."""

    def __init__(self, listen=None, name="run", framework="python", model_summary="", params=None, epochs=None,
                 steps_per_epoch=None, batch_size=None, metrics=(), learning_rate=None, commands=_wire.COMMANDS,
                 announce=True):
        self.name = _transport.run_name(name)
        self._lock = threading.RLock()
        self._t0 = time.monotonic()
        self._info = {
            "framework": str(framework), "name": self.name, "pid": os.getpid(),
            "model": {"summary": str(model_summary or ""), "params": params},
            "epochs": epochs, "steps_per_epoch": steps_per_epoch, "batch_size": batch_size,
            "metrics": list(metrics), "learning_rate": learning_rate, "state": "running",
            "commands": [c for c in commands if c in _wire.COMMANDS],
        }
        self.epoch = 0
        self.update = 0
        self._history = []
        self._history_batches = 0
        self._clients = {}
        self._next_number = 1
        self._commands = queue.Queue()
        self._held = collections.deque()   # commands read while paused without a handler, returned by the next poll
        self._paused = False
        self.stop_requested = False
        self._closed = False
        self._token = None
        self.socket_path = self.token_file = self.address = None
        self._socket_identity = None

        kind, where = _transport.parse_listen(listen)
        self._server = None
        try:
            self._open(kind, where, announce)
        except BaseException:
            self._release()
            raise

    def _open(self, kind, where, announce):
        """Binds, writes the token and discovery files, starts the I/O thread and announces (part of __init__)."""
        directory = _transport.private_directory()
        stem = os.path.join(directory, f"{self.name}-{os.getpid()}")
        if kind == "unix":
            self.socket_path = os.path.abspath(where) if where else stem + ".sock"
            self._server = _transport.bind_unix(self.socket_path)
            self._socket_identity = _transport.identity_of(self.socket_path)
            self._tcp = False
        else:
            self._server = _transport.bind_tcp(*where)
            host, port = self._server.getsockname()[:2]
            self.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            self._token = secrets.token_hex(32)
            self.token_file = stem + ".token"
            _transport.write_private(self.token_file, (self._token + "\n").encode("ascii"))
            self._tcp = True
        self.discovery_file = stem + ".json"
        _transport.write_discovery(self.discovery_file, {
            "v": _wire.VERSION, "name": self.name, "pid": os.getpid(), "framework": self._info["framework"],
            "started": time.time(), "socket": self.socket_path, "tcp": self.address, "token_file": self.token_file})

        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._server, selectors.EVENT_READ, "listen")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._stop_io = False
        self._thread = threading.Thread(target=self._serve, name=f"trainboard-{self.name}", daemon=True)
        self._thread.start()
        atexit.register(self._at_exit)
        if announce:
            if self._tcp:
                print(f"trainboard: run {self.name!r} listening on {self.address} token {self._token} "
                      f"(also in {self.token_file}); attach with: trainboard attach {self.address}",
                      file=sys.stderr, flush=True)
            else:
                print(f"trainboard: run {self.name!r} listening on {self.socket_path}; attach with: "
                      f"trainboard attach {self.socket_path}", file=sys.stderr, flush=True)

    # ----------------------------------------------------------------------------------------------------- the run --
    @property
    def token(self):
        """The TCP token (64 hex digits), or None for a Unix socket."""
        return self._token

    @property
    def paused(self):
        """True between a pause and the next resume or stop."""
        return self._paused

    @property
    def learning_rate(self):
        """The learning rate last reported (`log_batch`, `log_epoch`, an acked change) or given at creation."""
        return self._info["learning_rate"]

    def elapsed(self):
        """Seconds since the session was created (the `time` field of the messages)."""
        return time.monotonic() - self._t0

    def set_info(self, **fields):
        """Changes `hello` fields for clients that attach from now on (framework, model, epochs, steps_per_epoch,
        batch_size, metrics, learning_rate). Unknown fields raise KeyError."""
        with self._lock:
            for key, value in fields.items():
                if key not in self._info or key in ("pid", "name", "state", "commands"):
                    raise KeyError(f"{key} is not a hello field that can be set")
                self._info[key] = _wire.jsonable(value)

    def log_batch(self, epoch, batch, logs, learning_rate=None, update=None):
        """Publishes a `batch` message: `epoch` and `batch` counted from 0, `logs` as Keras passes them (e.g.
        {"loss": 0.3, "accuracy": 0.9}), `learning_rate` used for this batch's update (default: the current one), and
        `update` (the updates done, batch included; default: one more than the previous message's)."""
        with self._lock:
            self.epoch = int(epoch)
            self.update = self.update + 1 if update is None else int(update)
            if learning_rate is not None:
                self._info["learning_rate"] = _wire.jsonable(learning_rate)
            self._publish({"type": "batch", "epoch": self.epoch, "batch": int(batch), "update": self.update,
                           "time": round(self.elapsed(), 6), "logs": dict(logs or {}),
                           "learning_rate": self._info["learning_rate"]}, batch_epoch=self.epoch)

    def log_epoch(self, epoch, logs, learning_rate=None, update=None):
        """Publishes an `epoch` message: `epoch` from 0, `logs` with training and `val_` keys, the learning rate and the
        update count (defaults: the current ones)."""
        with self._lock:
            self.epoch = int(epoch)
            if update is not None:
                self.update = int(update)
            if learning_rate is not None:
                self._info["learning_rate"] = _wire.jsonable(learning_rate)
            self._publish({"type": "epoch", "epoch": self.epoch, "update": self.update,
                           "time": round(self.elapsed(), 6), "logs": dict(logs or {}),
                           "learning_rate": self._info["learning_rate"]})

    def event(self, kind, message="", path=None, epoch=None, update=None):
        """Publishes an `event` of one of the protocol's kinds (pause, resume, checkpoint, lr_change, plateau, nan,
        early_stop, stop, info, warning, error); `path` for checkpoint. Raises ValueError for another kind."""
        if kind not in _wire.EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r} (expected one of {', '.join(_wire.EVENT_KINDS)})")
        with self._lock:
            body = {"type": "event", "kind": kind, "epoch": self.epoch if epoch is None else int(epoch),
                    "update": self.update if update is None else int(update), "time": round(self.elapsed(), 6),
                    "message": str(message)}
            if path is not None:
                body["path"] = str(path)
            self._publish(body)

    def poll(self):
        """The commands that arrived since the last call, in arrival order (never blocks). Pause and resume are
        handled here (the state changes, the ack and the event are sent) and not returned: after `poll`, call
        `wait_while_paused` to actually wait. A stop sets `stop_requested` (and is returned, for the loop to ack)."""
        commands = list(self._held)
        self._held.clear()
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
            if self._handle_own(command):
                commands.append(command)
        return commands

    def wait_while_paused(self, handler=None, timeout=None):
        """Blocks while the run is paused, serving commands: pause/resume are handled, every other command is given to
        `handler(command)` (a stop also ends the pause). Without a handler they are kept for the next `poll`
        (so a checkpoint waits for the resume). Returns True if it waited. `timeout` (seconds) bounds the wait."""
        if not self._paused:
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._paused and not self._closed:
            remaining = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if remaining <= 0:
                break
            try:
                command = self._commands.get(timeout=remaining)
            except queue.Empty:
                continue
            if not self._handle_own(command):
                continue
            if command.command == "stop":
                self._set_paused(False, "stopping")
            if handler is not None:
                handler(command)
            else:
                self._held.append(command)
        return True

    def serve(self, handler):
        """`poll` then `wait_while_paused`, giving every command to `handler(command)`: the one call a hand-written loop
        makes after each batch."""
        for command in self.poll():
            handler(command)
        self.wait_while_paused(handler)

    def close(self, reason="completed", wait=2.0):
        """Sends `end` (with `reason`, the epoch and update), gives the clients up to `wait` seconds to receive what is
        queued, closes every connection, stops listening and removes the socket, token and discovery files.
        Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._info["state"] = "finished"
            self._paused = False
            self._publish({"type": "end", "reason": str(reason), "epoch": self.epoch, "update": self.update})
        deadline = time.monotonic() + max(0.0, wait)
        while time.monotonic() < deadline:
            with self._lock:
                if not any(c.pending() for c in self._clients.values() if c.authed):
                    break
            time.sleep(0.01)
        with self._lock:
            self._closed = True
            self._stop_io = True
        self._wake()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        self._release()
        try:
            atexit.unregister(self._at_exit)
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if error is None:
            self.close("completed")
        elif isinstance(error, KeyboardInterrupt):
            self.close("interrupted")
        else:
            self.close(f"failed: {type(error).__name__}: {error}"[:500])
        return False

    # ----------------------------------------------------------------------------------------------- internals --
    def _at_exit(self):
        self.close("process exited", wait=0.5)

    def _release(self):
        selector = getattr(self, "_selector", None)
        if selector is not None:
            try:
                selector.close()
            except Exception:
                pass
        for client in list(self._clients.values()):
            try:
                client.sock.close()
            except OSError:
                pass
        self._clients.clear()
        for sock in (self._server, getattr(self, "_wake_r", None), getattr(self, "_wake_w", None)):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        _transport.remove_if_same(self.socket_path, self._socket_identity)
        for path in (self.token_file, getattr(self, "discovery_file", None)):
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def _handle_own(self, command):
        """Applies pause/resume (returns False: consumed); notes a stop; returns True for commands the loop handles."""
        if command.command == "pause":
            if self._paused:
                command.ack(message="already paused")
            else:
                self._set_paused(True)
                command.ack(message=f"paused after update {self.update}")
                self.event("pause", f"paused by client {command.origin}")
            return False
        if command.command == "resume":
            if self._paused:
                self._set_paused(False)
                command.ack(message=f"resumed at update {self.update}")
                self.event("resume", f"resumed by client {command.origin}")
            else:
                command.ack(message="not paused")
            return False
        if command.command == "stop":
            self.stop_requested = True
            with self._lock:
                self._info["state"] = "stopping"
        return True

    def _set_paused(self, paused, state=None):
        with self._lock:
            self._paused = paused
            self._info["state"] = state or ("paused" if paused else "running")

    def _ack_update(self, command, update):
        """An ack's `update`: the given one, else the updates done, + 1 for set_lr/scale_lr (the first update that
        uses the new rate, as the protocol says)."""
        if update is not None:
            return int(update)
        return self.update + (1 if command in ("set_lr", "scale_lr") else 0)

    def _send_ack(self, id, command, ok, applied, update, message, origin):
        with self._lock:
            if ok and isinstance(applied, dict) and "learning_rate" in applied:
                self._info["learning_rate"] = _wire.jsonable(applied["learning_rate"])
            self._publish({"type": "ack", "id": id, "command": command, "ok": bool(ok), "applied": applied or {},
                           "update": self._ack_update(command, update), "message": str(message),
                           "from": origin})

    def _publish(self, body, batch_epoch=None):
        """Encodes `body`, keeps it in the history and queues it to every attached client (caller may hold the
        lock). A message too long for a line is replaced by a warning event."""
        try:
            line = _wire.encode(body)
        except ValueError as error:
            line = _wire.encode({"type": "event", "kind": "warning", "epoch": self.epoch, "update": self.update,
                                 "time": round(self.elapsed(), 6), "message": f"message dropped: {error}"})
            batch_epoch = None
        with self._lock:
            if self._closed:
                return
            self._history.append((batch_epoch, line))
            if batch_epoch is not None:
                self._history_batches += 1
                if self._history_batches > _wire.MAX_HISTORY_BATCHES:
                    self._thin_history()
            waiting = [client for client in self._clients.values() if client.authed and not client.closing]
            for client in waiting:
                self._queue(client, line)
        if waiting:
            self._wake()

    def _thin_history(self):
        """Drops every second batch message except each epoch's last one, halving the batches kept."""
        last = {}
        for index, (epoch, _) in enumerate(self._history):
            if epoch is not None:
                last[epoch] = index
        kept, parity, count = [], 0, 0
        for index, (epoch, line) in enumerate(self._history):
            if epoch is not None:
                parity ^= 1
                if parity and last[epoch] != index:
                    continue
                count += 1
            kept.append((epoch, line))
        self._history, self._history_batches = kept, count

    def _queue(self, client, line):
        if not client.pending():
            client.last_progress = time.monotonic()
        client.out.append(line)
        client.out_bytes += len(line)

    def _wake(self):
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass

    def _hello(self):
        info = {"type": "hello"}
        info.update(self._info)
        try:
            return _wire.encode(info)
        except ValueError:
            info["model"] = dict(info["model"], summary=info["model"]["summary"][:100_000] + "\n[summary truncated]")
            return _wire.encode(info)

    def _attach(self, client):
        """Called under the lock when a client may receive messages: hello, the history snapshot, history_end."""
        client.authed = True
        client.replay.append(self._hello())
        client.replay.extend(line for _, line in self._history)
        client.replay.append(_wire.encode({"type": "history_end", "count": len(self._history)}))
        client.last_progress = time.monotonic()

    # --------------------------------------------------------------------------------------------- I/O thread --
    def _serve(self):
        while True:
            with self._lock:
                if self._stop_io:
                    return
                for client in list(self._clients.values()):
                    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.pending() else 0)
                    try:
                        self._selector.modify(client.sock, events, client)
                    except (KeyError, ValueError, OSError):
                        self._drop(client)
            try:
                ready = self._selector.select(timeout=0.5)
            except (OSError, ValueError):
                if self._stop_io:
                    return
                continue
            with self._lock:
                if self._stop_io:
                    return
                for key, mask in ready:
                    if key.data == "listen":
                        self._accept()
                    elif key.data == "wake":
                        try:
                            while self._wake_r.recv(4096):
                                pass
                        except (BlockingIOError, OSError):
                            pass
                    else:
                        client = key.data
                        if client.number not in self._clients:
                            continue
                        if mask & selectors.EVENT_READ:
                            self._read(client)
                        if client.number in self._clients and mask & selectors.EVENT_WRITE:
                            self._flush(client)
                self._housekeeping()

    def _accept(self):
        for _ in range(16):
            try:
                sock, _addr = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(self._clients) >= _MAX_CLIENTS:
                sock.close()
                continue
            if not self._tcp:
                try:
                    uid = _transport.peer_uid(sock)
                except OSError:
                    uid = -1
                if uid is not None and uid != os.getuid():
                    sock.close()
                    continue
            sock.setblocking(False)
            number = self._next_number
            self._next_number += 1
            client = _Client(sock, number, authed=False)
            self._clients[number] = client
            self._selector.register(sock, selectors.EVENT_READ, client)
            if not self._tcp:
                self._attach(client)

    def _drop(self, client):
        self._clients.pop(client.number, None)
        try:
            self._selector.unregister(client.sock)
        except (KeyError, ValueError, OSError):
            pass
        try:
            client.sock.close()
        except OSError:
            pass

    def _fail(self, client, message, id=None):
        """Sends `error` (nothing else after it) and closes the connection once it is written and the peer's input is
        drained (or after the write-stall timeout)."""
        client.replay.clear()
        client.out.clear()
        client.out_bytes = 0
        # An unsent remainder ends on a line boundary (chunks are whole lines): finish it, then the error.
        client.current = bytes(client.current) + _wire.encode({"type": "error", "id": id, "message": message})
        client.closing = True
        client.last_progress = time.monotonic()
        self._flush(client)

    def _reply(self, client, body):
        self._queue(client, _wire.encode(body))

    def _read(self, client):
        try:
            data = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(client)
            return
        if not data:
            self._drop(client)
            return
        if client.closing:
            return              # input after a fatal error is discarded
        client.inbuf += data
        while client.number in self._clients and not client.closing:
            newline = client.inbuf.find(b"\n")
            if newline < 0:
                if len(client.inbuf) >= _wire.MAX_CLIENT_LINE:
                    self._fail(client, f"line longer than {_wire.MAX_CLIENT_LINE} bytes: closing the connection")
                return
            if newline + 1 > _wire.MAX_CLIENT_LINE:
                self._fail(client, f"line longer than {_wire.MAX_CLIENT_LINE} bytes: closing the connection")
                return
            line = bytes(client.inbuf[:newline]).rstrip(b"\r")
            del client.inbuf[:newline + 1]
            self._line(client, line)

    def _line(self, client, line):
        if not line.strip():
            return
        try:
            message = _wire.decode_client_line(line)
        except _wire.ProtocolError as error:
            if not client.authed:
                self._fail(client, f"expected an auth message first: {error.message}")
            else:
                self._reply(client, {"type": "error", "id": error.id, "message": error.message})
            return
        kind, id = message["type"], message.get("id")
        if not client.authed:
            token = message.get("token") if kind == "auth" else None
            if isinstance(token, str) and hmac.compare_digest(token.encode("utf-8", "replace"),
                                                              self._token.encode("ascii")):
                self._attach(client)
            else:
                self._fail(client, "authentication failed: the first line must be "
                                   '{"v":1,"type":"auth","token":"<the run\'s token>"}', id)
            return
        if kind == "auth":
            return  # already authenticated (or a Unix socket, where auth is not needed): ignored
        if kind == "ping":
            self._reply(client, {"type": "pong", "id": id})
            return
        try:
            value, path = _wire.check_command(message, self._info["commands"])
        except ValueError as error:
            self._send_ack(id, message["command"], False, {}, None, str(error), client.number)
            return
        if self._closed or self._info["state"] == "finished":
            self._send_ack(id, message["command"], False, {}, None, "the run has finished", client.number)
            return
        if self._commands.qsize() >= _MAX_PENDING_COMMANDS:
            self._send_ack(id, message["command"], False, {}, None,
                           f"too many pending commands ({_MAX_PENDING_COMMANDS}); try again", client.number)
            return
        self._commands.put(Command(self, message["command"], value, path, id, client.number))

    def _flush(self, client):
        while True:
            if not client.current:
                parts, size = [], 0
                while client.replay and size < _SEND_CHUNK:
                    parts.append(client.replay.popleft())
                    size += len(parts[-1])
                while not client.replay and client.out and size < _SEND_CHUNK:
                    line = client.out.popleft()
                    client.out_bytes -= len(line)
                    parts.append(line)
                    size += len(line)
                if not parts:
                    if client.closing and client.linger_until is None:
                        # Half-close and read what the peer still sends (discarded) for up to 2 s: closing with
                        # unread input would reset the connection and could destroy the error before it is read.
                        try:
                            client.sock.shutdown(socket.SHUT_WR)
                        except OSError:
                            self._drop(client)
                            return
                        client.linger_until = time.monotonic() + 2.0
                    return
                client.current = b"".join(parts)
            try:
                sent = client.sock.send(client.current)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._drop(client)
                return
            if sent <= 0:
                return
            client.current = client.current[sent:]
            client.last_progress = time.monotonic()

    def _housekeeping(self):
        now = time.monotonic()
        for client in list(self._clients.values()):
            if client.linger_until is not None:
                if now > client.linger_until:
                    self._drop(client)
            elif not client.authed and not client.closing and now - client.connected_at > _wire.AUTH_SECONDS:
                self._fail(client, f"no auth message within {_wire.AUTH_SECONDS:g} seconds")
            elif client.out_bytes > _wire.MAX_CLIENT_QUEUE:
                self._drop(client)
            elif client.pending() and now - client.last_progress > _wire.WRITE_STALL_SECONDS:
                self._drop(client)
            elif client.pending():
                self._flush(client)
