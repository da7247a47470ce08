"""Framing of the attach protocol, version 1 (docs/attach-protocol.md): JSON Lines, limits, non-finite numbers.

Pure functions, no I/O; safe to call from any thread.
"""

import json
import math

#: The protocol version this package speaks (`"v"` in every message).
VERSION = 1
#: Longest line a client may send, in bytes, the newline included.
MAX_CLIENT_LINE = 64 * 1024
#: Longest line the run may send, in bytes, the newline included.
MAX_RUN_LINE = 1024 * 1024
#: A client whose unsent output exceeds this many bytes (history replay not counted) is disconnected.
MAX_CLIENT_QUEUE = 16 * 1024 * 1024
#: A client that accepts no byte of its pending output for this many seconds is disconnected.
WRITE_STALL_SECONDS = 10.0
#: A TCP client must authenticate within this many seconds.
AUTH_SECONDS = 5.0
#: At most this many batch messages are kept for replay (older ones are thinned, each epoch's last batch is kept).
MAX_HISTORY_BATCHES = 100_000
#: The commands of protocol version 1.
COMMANDS = ("pause", "resume", "stop", "checkpoint", "set_lr", "scale_lr")
#: The event kinds of protocol version 1.
EVENT_KINDS = ("pause", "resume", "checkpoint", "lr_change", "plateau", "nan", "early_stop", "stop", "info", "warning",
               "error")


class ProtocolError(ValueError):
    """A line that breaks the protocol; `message` is sent back in an `error`, `id` is the line's id if it had one."""

    def __init__(self, message, id=None):
        super().__init__(message)
        self.message = message
        self.id = id


def jsonable(value, depth=0):
    """`value` made JSON-safe: non-finite floats become "NaN"/"Infinity"/"-Infinity", NumPy/JAX scalars and 0-d arrays
    become Python numbers (anything with `item()` or `__float__`), tuples become lists, other objects their `str`.
    Nesting deeper than 32 levels is cut (replaced by its `str`, at most 200 characters)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if depth > 32:
        return str(value)[:200]
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return jsonable(item(), depth + 1)
        except (TypeError, ValueError):
            pass
    try:
        return jsonable(float(value), depth + 1)
    except (TypeError, ValueError):
        return str(value)[:200]


def encode(message):
    """One message (a dict with at least `type`) as a line of UTF-8 JSON ended by a newline, with `"v": 1` first.

    Raises ValueError when the line would exceed MAX_RUN_LINE bytes."""
    body = {"v": VERSION}
    body.update(jsonable(message))
    line = (json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
    if len(line) > MAX_RUN_LINE:
        raise ValueError(f"{body.get('type')} message of {len(line)} bytes exceeds the {MAX_RUN_LINE}-byte line limit")
    return line


def number(value):
    """A JSON number or one of the strings "NaN", "Infinity", "-Infinity" as a float; None for anything else
    (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if value == "NaN":
        return math.nan
    if value == "Infinity":
        return math.inf
    if value == "-Infinity":
        return -math.inf
    return None


def decode_client_line(line):
    """A client's line (bytes without the newline) parsed and checked: returns the message dict.

    Raises ProtocolError naming what is wrong (not UTF-8, not JSON, not an object, wrong `v`, unknown `type`, a bad
    `id`, a bad command argument is NOT an error here: see `check_command`)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(f"the line is not UTF-8 (byte {error.start})")
    try:
        message = json.loads(text)
    except RecursionError:
        raise ProtocolError("the line is nested too deeply")
    except ValueError as error:
        raise ProtocolError(f"the line is not JSON: {str(error)[:200]}")
    if not isinstance(message, dict):
        raise ProtocolError(f"expected a JSON object, got {type(message).__name__}")
    id = message.get("id")
    if id is not None and (isinstance(id, bool) or not isinstance(id, int) or abs(id) > 2**53):
        raise ProtocolError("`id` must be an integer (at most 2^53 in magnitude) or null")
    v = message.get("v")
    if v != VERSION or isinstance(v, bool):
        raise ProtocolError(f"unsupported protocol version {json.dumps(v)[:40]} (this run speaks v {VERSION})", id)
    kind = message.get("type")
    if kind not in ("auth", "command", "ping"):
        raise ProtocolError(f"unknown message type {json.dumps(kind)[:60]} (expected auth, command or ping)", id)
    if kind == "command" and not isinstance(message.get("command"), str):
        raise ProtocolError("a command message needs a string `command`", id)
    if kind == "auth" and not isinstance(message.get("token"), str):
        raise ProtocolError("an auth message needs a string `token`", id)
    return message


def check_command(message, accepted):
    """The argument of a command message, checked: returns (value, path) or raises ValueError with the message that the
    negative `ack` carries (unknown or unsupported command, missing or bad value/path)."""
    name = message["command"]
    if name not in COMMANDS:
        raise ValueError(f"unknown command {json.dumps(name)[:60]} (expected one of {', '.join(COMMANDS)})")
    if name not in accepted:
        raise ValueError(f"this run does not accept {name} (it accepts {', '.join(accepted) or 'no commands'})")
    value, path = None, None
    if name in ("set_lr", "scale_lr"):
        value = number(message.get("value"))
        if value is None or not math.isfinite(value):
            raise ValueError(f"{name} needs a finite number `value`, got {json.dumps(message.get('value'))[:60]}")
        if name == "set_lr" and value < 0:
            raise ValueError(f"set_lr needs a value >= 0, got {value!r}")
        if name == "scale_lr" and value <= 0:
            raise ValueError(f"scale_lr needs a value > 0, got {value!r}")
    if name == "checkpoint":
        path = message.get("path")
        if path is not None and (not isinstance(path, str) or not path or "\0" in path or len(path) > 4096):
            raise ValueError("checkpoint `path` must be a non-empty string without NUL, at most 4096 characters")
    return value, path
