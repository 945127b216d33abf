"""Reading input files within a size limit, and writing files so that a failure
never leaves half a file behind.

Lowest layer (stdlib only): the catalog and scenario readers read through
:func:`read_limited`; the catalog writers, and the result, table and plot
writers in ``sim``, all go through :func:`atomic_write`.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

MIB = 2**20
# The largest catalog read: about 250,000 objects as OMM XML (~1 KB each), ten
# times every object tracked in orbit, and over a million as 3LE (~160 bytes each).
MAX_CATALOG_BYTES = 256 * MIB
# The largest scenario or sweep file read: these files are a few KB.
MAX_TOML_BYTES = 16 * MIB
# Reads from a file that is not a regular one (a pipe, a device) go this much at a time.
_READ_CHUNK = MIB


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


def _new_file_mode(path: Path) -> int:
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file in ``path``'s folder, flush it
    to disk and rename it over ``path``.  On any failure (KeyboardInterrupt
    included) the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return path
