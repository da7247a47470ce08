"""Where and how a run listens (docs/attach-protocol.md, "Transport"): the private directory, the listen address,
the peer's uid, and the small files next to the socket. Functions only; none keeps state."""

import errno
import json
import os
import re
import socket
import stat
import struct
import sys
import tempfile

_NAME_RE = re.compile(r"[^A-Za-z0-9._-]")
_TCP_RE = re.compile(r"^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$")


class ListenError(OSError):
    """The run cannot listen where it was asked (a non-loopback address, a path in use, an unsafe directory)."""


def run_name(name):
    """`name` reduced to the characters the protocol allows in a run name (letters, digits, `-`, `_`, `.`; others
    become `-`), at most 40 characters; "run" when nothing is left."""
    cleaned = _NAME_RE.sub("-", str(name or ""))[:40].strip(".")
    return cleaned or "run"


def parse_listen(listen):
    """("unix", path) or ("tcp", (host, port)) for a `listen` argument: None/True/"" (a new socket in the private
    directory: path None), a filesystem path, or "127.0.0.1:PORT", "[::1]:PORT", "localhost:PORT" (port 0: any free
    port). Raises ListenError for any other host (nothing listens beyond the loopback address) or a port > 65535."""
    if listen is None or listen is True or listen == "":
        return "unix", None
    if not isinstance(listen, (str, os.PathLike)):
        raise ListenError(errno.EINVAL, f"listen must be None, a socket path or 127.0.0.1:PORT, got {listen!r}")
    text = os.fspath(listen)
    match = _TCP_RE.match(text) if "/" not in text else None
    if match is None:
        return "unix", text
    ipv4, ipv6, hostname, port = match.groups()
    port = int(port)
    if port > 65535:
        raise ListenError(errno.EINVAL, f"port {port} in {text!r} is out of range (0-65535)")
    if ipv4 == "127.0.0.1" or hostname == "localhost":
        return "tcp", ("127.0.0.1", port)
    if ipv6 is not None and ipv6 in ("::1", "0:0:0:0:0:0:0:1"):
        return "tcp", ("::1", port)
    raise ListenError(errno.EADDRNOTAVAIL,
                      f"refusing to listen on {text!r}: a run listens on the loopback address only "
                      f"(127.0.0.1:PORT or [::1]:PORT); use an SSH tunnel to reach it from another machine")


def private_directory():
    """The user's private run directory, created mode 0700 if missing: `$XDG_RUNTIME_DIR/trainboard` when set, else
    `<temp dir>/trainboard-<uid>`. Raises ListenError if it exists as anything but a directory owned by this user
    without group/other permissions (a symbolic link included)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = os.path.join(base, "trainboard") if base else os.path.join(tempfile.gettempdir(), f"trainboard-{os.getuid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise ListenError(errno.ENOTDIR, f"{path} exists and is not a directory: refusing to use it for run sockets")
    if info.st_uid != os.getuid():
        raise ListenError(errno.EPERM, f"{path} belongs to uid {info.st_uid}, not to this user ({os.getuid()})")
    if info.st_mode & 0o077:
        raise ListenError(errno.EPERM, f"{path} has mode {stat.S_IMODE(info.st_mode):04o}; it must be private (0700)")
    return path


def bind_unix(path):
    """A listening, non-blocking Unix socket at `path`, mode 0600 from its creation (umask 0177 while binding).

    A socket file left at `path` by a dead run (nothing accepts on it) is replaced; a live socket or any other kind of
    file is never touched: ListenError."""
    if len(os.fsencode(path)) >= 104:
        raise ListenError(errno.ENAMETOOLONG, f"socket path {path!r} is too long (at most 103 bytes)")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None:
        if not stat.S_ISSOCK(info.st_mode):
            raise ListenError(errno.EEXIST, f"{path} exists and is not a socket: refusing to replace it")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(path)
            raise ListenError(errno.EADDRINUSE, f"{path} is in use by a live run")
        except (ConnectionRefusedError, FileNotFoundError):
            os.unlink(path)
        except socket.timeout:
            raise ListenError(errno.EADDRINUSE, f"{path} is in use (a connection attempt timed out)")
        finally:
            probe.close()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(path)
    except OSError:
        server.close()
        raise
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    server.listen(16)
    server.setblocking(False)
    return server


def bind_tcp(host, port):
    """A listening, non-blocking TCP socket on the loopback `host` ("127.0.0.1" or "::1") and `port` (0: any)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    try:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((host, port))
        server.listen(16)
    except OSError:
        server.close()
        raise
    server.setblocking(False)
    return server


def peer_uid(sock):
    """The uid of the process at the other end of a Unix socket (Linux SO_PEERCRED, macOS/BSD LOCAL_PEERCRED), or None
    when the platform offers neither (then only the 0700 directory and the 0600 socket protect the run)."""
    if hasattr(socket, "SO_PEERCRED"):
        data = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", data)[1]
    if sys.platform == "darwin" or "bsd" in sys.platform:
        # struct xucred { u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16]; }; SOL_LOCAL = 0,
        # LOCAL_PEERCRED = 1.
        data = sock.getsockopt(0, 1, struct.calcsize("IIh16I"))
        return struct.unpack_from("II", data)[1]
    return None


def write_private(path, data):
    """`data` (bytes) written to `path` atomically with mode 0600: a new temporary file in the same directory
    (O_EXCL, O_NOFOLLOW) renamed over `path`."""
    directory, base = os.path.split(path)
    temp = os.path.join(directory, f".{base}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        os.unlink(temp)
    except FileNotFoundError:
        pass
    fd = os.open(temp, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def write_discovery(path, record):
    """The discovery record (a dict) written to `path` as one JSON object, atomically, mode 0600."""
    write_private(path, (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8"))


def remove_if_same(path, identity):
    """Removes `path` if it is still the file created by this run (`identity` = (st_dev, st_ino) when created); a file
    another run put there since is left alone."""
    if path is None or identity is None:
        return
    try:
        info = os.lstat(path)
        if (info.st_dev, info.st_ino) == identity:
            os.unlink(path)
    except OSError:
        pass


def identity_of(path):
    """(st_dev, st_ino) of `path` (not following links), or None if it cannot be read."""
    try:
        info = os.lstat(path)
        return info.st_dev, info.st_ino
    except OSError:
        return None
