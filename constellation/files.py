"""Reading input files within a size limit, and writing output files so that a
failure never leaves half a file behind.

Lowest layer (stdlib only): the catalog and scenario readers read through
:func:`read_limited`; the catalog writers, and the result, table and plot
writers in ``sim``, all go through :func:`atomic_write`; a command
that runs for long calls :func:`check_writable` first.  A write that cannot
be done raises :class:`OutputError`, whose ``str()`` is one line naming the
path and the cause.

What happens depends on what the path is (symbolic links are followed first):

* a regular file, or nothing: the content goes to a hidden temporary file
  ``.NAME.XXXX.tmp`` in the same folder, is flushed to disk and renamed over
  the path, so readers see the old file or the new one, never a mix;
* a FIFO, a character device or another file that is neither regular nor a
  folder (``/dev/null``, ``/dev/stdout``, a named pipe): the content is built
  in a temporary folder, then its bytes are written into the path opened for
  writing; the path itself is never replaced or removed;
* a folder: refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import InputError

__all__ = ["OutputError", "atomic_write", "check_writable", "check_folder_writable", "make_folder", "is_stream",
           "output_errors"]

MIB = 2**20
# The largest catalog read: about 250,000 objects as OMM XML (~1 KB each), ten
# times every object tracked in orbit, and over a million as 3LE (~160 bytes each).
MAX_CATALOG_BYTES = 256 * MIB
# The largest scenario or sweep file read: these files are a few KB.
MAX_TOML_BYTES = 16 * MIB
# Reads from a file that is not a regular one (a pipe, a device) go this much at a time.
_READ_CHUNK = MIB


_LINE_END = re.compile(r"\r\n|\r|\n")


def text_lines(text: str) -> list[str]:
    """``text`` split at its line ends (LF, CRLF or CR) only, so that line numbers are
    an editor's: ``str.splitlines`` also splits at form feeds, vertical tabs and other
    separators, and every line number after one would be off."""
    return _LINE_END.split(text)


def size_text(n: int) -> str:
    """512 -> '512 bytes', 16 * 2**20 -> '16 MiB'."""
    return f"{n / MIB:g} MiB" if n >= MIB else f"{n} bytes"


def read_limited(path: str | Path, limit: int, error: type, what: str = "file") -> bytes:
    """The bytes of ``path``, at most ``limit`` of them.

    Reads at most ``limit + 1`` bytes, so a device or pipe that never ends
    (``/dev/zero``) is refused like a file that is too large.  A missing,
    unreadable or too large file, or a folder, raises ``error`` (an
    :class:`~constellation.errors.InputError` class) with a one-line message
    naming the file (and the limit); ``what`` says what the file should be.
    """
    spath = str(path)
    too_big = f"larger than {size_text(limit)}, the most a {what} may be"
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError
            regular = stat.S_ISREG(st.st_mode)
            if regular and st.st_size > limit:
                raise error(f"{too_big} ({st.st_size} bytes)", spath)
            chunks = []
            size = 0
            if regular:  # one read of the known size, and a second that finds the end
                chunks.append(f.read(st.st_size + 1))
                size = len(chunks[0])
            while size <= limit:
                chunk = f.read(min(_READ_CHUNK, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except FileNotFoundError:
        raise error("file not found", spath)
    except IsADirectoryError:
        raise error(f"is a directory, not a {what}", spath)
    except PermissionError:
        raise error("cannot read the file (permission denied)", spath)
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror or exc})", spath)
    if size > limit:
        raise error(f"{too_big} (stopped reading there)", spath)
    return b"".join(chunks)


class OutputError(InputError, OSError):
    """An output cannot be written.  ``str()`` is one line, ``PATH: cause``.

    An :class:`InputError` (the CLI shows it as a one-line error) and an
    :class:`OSError` whose ``errno`` is the underlying error number, if any."""

    def __init__(self, message: str, path: str | os.PathLike, errno_: int | None = None):
        super().__init__(" ".join(message.split()), os.fspath(path))
        self.errno = errno_


_CAUSES = {
    errno.ENOSPC: "disk full (no space left on device)",
    getattr(errno, "EDQUOT", -1): "disk quota exceeded",
    errno.EFBIG: "file too large for the file system",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied (operation not permitted)",
    errno.EISDIR: "is a folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "file name too long",
    errno.EPIPE: "broken pipe (the reader has gone)",
    errno.ENXIO: "nothing at this path accepts data (no reader or device)",
    errno.EIO: "input/output error",
}

# Errors of a ``write`` callback that mean "the output cannot be written";
# any other exception of the callback propagates unchanged.
_WRITE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", -1), errno.EFBIG, errno.EROFS, errno.EACCES,
                 errno.EPERM, errno.EIO, errno.EPIPE}

_SIGTERM_STATUS = 128 + 15  # the shell's status for a process ended by SIGTERM


def _cause(exc: OSError) -> str:
    return _CAUSES.get(exc.errno) or exc.strerror or str(exc) or type(exc).__name__


def _error(path: str, exc: OSError, where: str = "") -> OutputError:
    message = _cause(exc) + (f" ({where})" if where else "")
    return OutputError(message, path, exc.errno)


@contextlib.contextmanager
def _reported(path: str, where: str = "") -> Iterator[None]:
    """Turn an OSError of the enclosed step into an OutputError naming ``path``."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise _error(path, exc, where) from exc


def output_errors(path: str | os.PathLike, where: str = ""):
    """A context manager turning an OSError of the enclosed writing (a journal
    appended to line by line, a folder made) into an :class:`OutputError` naming
    ``path``: one line, ``PATH: cause``."""
    return _reported(os.fspath(path), where)


def _call(write: Callable[[str], None], tmp: str, path: str, where: str = "") -> None:
    try:
        write(tmp)
    except OutputError:
        raise
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:
            raise _error(path, exc, where) from exc
        raise


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While a write is in flight, SIGTERM raises ``SystemExit(143)`` so that the
    temporary file is removed, as on Ctrl-C.

    Only in the main thread and only while SIGTERM has its default action (which
    ends the process at once); an ignored signal or a handler of the program's
    own is left alone.  The previous action is restored afterwards.  Further
    SIGTERMs while the first is being handled are ignored so the clean-up ends."""
    previous = None
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        with contextlib.suppress(ValueError, OSError):
            previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    fired = []

    def exit_on_sigterm(signum, frame):
        if not fired:
            fired.append(signum)
            raise SystemExit(_SIGTERM_STATUS)

    signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ----------------------------------------------------------------------------- what the path is
_REGULAR, _STREAM = "regular", "stream"
_OWN_FD = re.compile(r"^(?:/proc/(?:self|thread-self|(\d+)(?:/task/\d+)?)|/dev)/fd/(\d+)$")


def _through_kernel(path: str) -> bool:
    """Links under /proc and /dev/fd (``/dev/stdout -> /proc/self/fd/1``) name an
    open file; only the kernel can follow them, so the path is written through."""
    return path == "/proc" or path.startswith(("/proc/", "/dev/fd/"))


def _follow_links(path: str) -> tuple[str, bool]:
    """``(end, through_kernel)``: the path a chain of symbolic links ends at (which
    may not exist), or the first /proc or /dev/fd path of the chain and True."""
    p = path if os.path.isabs(path) else os.path.join(os.getcwd(), path)
    for _ in range(64):
        folder, name = os.path.split(p)
        if not _through_kernel(folder + "/"):
            folder = os.path.realpath(folder)
        p = os.path.join(folder, name)
        if _through_kernel(p):
            return p, True
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            return p, False
        if not stat.S_ISLNK(st.st_mode):
            return p, False
        p = os.path.join(folder, os.readlink(p))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)


def _own_fd(kernel_path: str) -> int | None:
    """The descriptor of this process that a /proc/PID/fd/N or /dev/fd/N path names."""
    m = _OWN_FD.match(os.path.normpath(kernel_path))
    if m is None or (m.group(1) is not None and int(m.group(1)) != os.getpid()):
        return None
    return int(m.group(2))


def _plan(path: str) -> tuple[str, str, int | None]:
    """``(kind, target, fd)``: whether ``path`` is replaced by renaming
    (``_REGULAR``; ``target`` is the file at the end of any links) or written
    through (``_STREAM``; ``fd`` is this process's descriptor when ``path``
    names one, as ``/dev/stdout`` does).  Raises OutputError for a folder or a
    missing folder."""
    target, through_kernel = _follow_links(path)
    if through_kernel:  # an open file named through /proc or /dev/fd
        if stat.S_ISDIR(os.stat(path).st_mode):
            raise OutputError("is a folder", path, errno.EISDIR)
        return _STREAM, path, _own_fd(target)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            shown = os.path.dirname(path) or "."
            if os.path.islink(path) or os.path.realpath(shown) != folder:
                shown = folder
            state = "is not a folder" if os.path.exists(folder) else "does not exist"
            raise OutputError(f"folder {shown!r} {state}", path, errno.ENOENT)
        return _REGULAR, target, None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError("is a folder", path, errno.EISDIR)
    if stat.S_ISREG(st.st_mode):
        return _REGULAR, target, None
    return _STREAM, target, None


def _temp_prefix(target: str) -> str:
    return f".{os.path.basename(target)[:200]}."


def _new_file_mode(target: str) -> int:
    with contextlib.suppress(OSError):
        return os.stat(target).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ----------------------------------------------------------------------------- writing
def _write_temp(path: str, target: str, write: Callable[[str], None]) -> str:
    """A temporary file beside ``target`` holding what ``write`` wrote, flushed to
    disk with ``target``'s mode; removed again if anything fails."""
    folder = os.path.dirname(target) or "."
    tmp = None
    try:
        with _reported(path, f"cannot create a file in folder {folder!r}"):
            fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=folder)
            os.close(fd)
        _call(write, tmp, path)
        with _reported(path):
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(tmp, _new_file_mode(target))
        return tmp
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def _sync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):  # make a rename itself durable
        dfd = os.open(folder or ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _replace(path: str, target: str, write: Callable[[str], None]) -> None:
    tmp = _write_temp(path, target, write)
    try:
        with _reported(path):
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(os.path.dirname(target))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM received inside the block act when it ends (raised
    again with the handlers they would have met), so that the renames in it
    all happen.  Only in the main thread, where Python runs signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                previous[sig] = signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if held:
            signal.raise_signal(held[0])


def _copy_into(src: str, fd: int) -> None:
    with open(src, "rb") as f:
        while chunk := f.read(1 << 20):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]


def _stream(path: str, target: str, own: int | None, write: Callable[[str], None]) -> None:
    """Build the content in a temporary folder, then write its bytes into
    ``target`` opened for writing (appending); a path naming one of this
    process's descriptors (``/dev/stdout``) is written through that descriptor."""
    tmpdir = None
    try:
        with _reported(path, "cannot create a temporary folder"):
            tmpdir = tempfile.mkdtemp(prefix=_temp_prefix(target))
            fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=tmpdir)
            os.close(fd)
        _call(write, tmp, path, f"writing a temporary copy in {tmpdir!r}")
        for stream in (sys.stdout, sys.stderr):  # what the program printed comes first
            with contextlib.suppress(Exception):
                stream.flush()
        with _reported(path):
            if own is not None:
                out = os.dup(own)
            else:
                flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
                out = os.open(target, flags)
            try:
                _copy_into(tmp, out)
            finally:
                os.close(out)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Write ``path`` by calling ``write(tmp_path)`` on a temporary file.

    * ``path`` is a regular file or does not exist: the temporary file is in
      ``path``'s folder; it is flushed to disk and renamed over ``path``.
    * ``path`` is a symbolic link: the link is followed and the file it ends at
      is written as above, so the link stays a link and its target gets the new
      content; a dangling link creates its target (whose folder must exist).
    * ``path`` is a FIFO, a character device or another non-regular file that
      is not a folder (``/dev/null``, ``/dev/stdout``, a named pipe): the
      temporary file is in a temporary folder and its bytes are then written
      into ``path`` opened for writing; ``path`` is never renamed over or removed.
    * ``path`` is a folder, or its folder does not exist: OutputError.

    On any failure (KeyboardInterrupt and SIGTERM included) the temporary file
    is removed and a regular ``path`` is left as it was.  A failure to write
    (missing folder, permission denied, read-only file system, disk full)
    raises :class:`OutputError`, one line naming ``path`` and the cause; other
    exceptions of ``write`` propagate unchanged.  Returns ``Path(path)``."""
    given = os.fspath(path)
    with _sigterm_exits():
        with _reported(given):
            kind, target, own = _plan(given)
        if kind == _REGULAR:
            _replace(given, target, write)
        else:
            _stream(given, target, own, write)
    return Path(path)


def atomic_write_pair(path: str | Path, write: Callable[[str], None], side_path: str | Path,
                      write_side: Callable[[str], None]) -> Path:
    """Write ``path`` and ``side_path`` (a sidecar describing it) as :func:`atomic_write`
    does, and replace them together: ``write`` then ``write_side`` fill temporary
    files that are flushed to disk first (``write_side`` may describe what
    ``write`` wrote), then both are renamed into place with SIGINT and SIGTERM
    held until the second rename is done.  A failure while writing, or an
    interruption, therefore leaves the earlier pair (or neither file), never one
    file of each run.  When either path is not a regular file (a stream such as
    ``/dev/stdout``), each is written by :func:`atomic_write`, ``path`` first."""
    given, side = os.fspath(path), os.fspath(side_path)
    with _sigterm_exits():
        with _reported(given):
            kind, target, _ = _plan(given)
        with _reported(side):
            side_kind, side_target, _ = _plan(side)
        if kind != _REGULAR or side_kind != _REGULAR:
            atomic_write(given, write)
            atomic_write(side, write_side)
            return Path(path)
        pending: list[tuple[str, str, str]] = []
        try:
            for shown, tgt, fill in ((given, target, write), (side, side_target, write_side)):
                pending.append((shown, tgt, _write_temp(shown, tgt, fill)))
            with _signals_held():
                while pending:
                    shown, tgt, tmp = pending[-1]  # the sidecar first: the file it describes last
                    with _reported(shown):
                        os.replace(tmp, tgt)
                    pending.pop()
        finally:
            for _, _, tmp in pending:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        for folder in {os.path.dirname(target), os.path.dirname(side_target)}:
            _sync_folder(folder)
    return Path(path)


def _probe_folder(given: str, folder: str, prefix: str) -> None:
    """Create, write one byte to and remove a hidden file in ``folder``: whether
    the folder takes new files (and has room for them), reported as ``given``."""
    probe = None
    try:
        with _reported(given, f"cannot create a file in folder {folder!r}"):
            fd, probe = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
            try:
                os.write(fd, b"\0")
            finally:
                os.close(fd)
    finally:
        if probe is not None:
            with contextlib.suppress(OSError):
                os.unlink(probe)


def check_writable(path: str | Path) -> None:
    """Raise :class:`OutputError` unless :func:`atomic_write` can write ``path``:
    meant to run before a long computation whose result goes there.

    The folder must exist and accept a new file (checked by creating and
    removing a hidden probe file in it) and ``path`` must not be a folder; a
    non-regular ``path`` (FIFO, device) must be writable by this user.  Never
    creates, opens or modifies ``path`` itself."""
    given = os.fspath(path)
    with _sigterm_exits(), _reported(given):
        kind, target, own = _plan(given)
        if kind == _STREAM:
            if own is None and not os.access(target, os.W_OK):
                raise OutputError("permission denied", given, errno.EACCES)
            return
        _probe_folder(given, os.path.dirname(target) or ".", _temp_prefix(target))


def is_stream(path: str | Path) -> bool:
    """Whether :func:`atomic_write` writes into ``path`` in place (a FIFO, a
    character device, ``/dev/stdout``) rather than replacing it; False for a
    regular file, a missing one, a folder or a path it cannot plan."""
    try:
        return _plan(os.fspath(path))[0] == _STREAM
    except OSError:
        return False


def check_folder_writable(path: str | Path) -> None:
    """Raise :class:`OutputError` unless files can be written in folder ``path``
    (meant to run before a long computation that fills it): an existing folder
    must accept a new file; a missing one must have an existing parent folder
    that does (:func:`make_folder` creates it then).  Creates nothing."""
    given = os.fspath(path)
    with _sigterm_exits(), _reported(given):
        folder = os.path.realpath(given)
        if os.path.isdir(folder):
            probe_in = folder
        elif os.path.exists(folder):
            raise OutputError("is not a folder", given, errno.ENOTDIR)
        else:
            probe_in = os.path.dirname(folder)
            if not os.path.isdir(probe_in):
                shown = os.path.dirname(os.path.normpath(given)) or "."
                state = "is not a folder" if os.path.exists(probe_in) else "does not exist"
                raise OutputError(f"folder {shown!r} {state}", given, errno.ENOENT)
        _probe_folder(given, probe_in, ".revisit-probe.")


def make_folder(path: str | Path) -> Path:
    """Create folder ``path`` unless it exists (its parent must: missing folders
    are never created on the way).  OutputError, one line, when it cannot be."""
    given = os.fspath(path)
    with _reported(given):
        if os.path.isdir(given):
            return Path(path)
        if os.path.exists(given):
            raise OutputError("is not a folder", given, errno.ENOTDIR)
        parent = os.path.dirname(os.path.normpath(given)) or "."
        if not os.path.isdir(parent):
            raise OutputError(f"folder {parent!r} does not exist", given, errno.ENOENT)
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            os.mkdir(given)
    return Path(path)
