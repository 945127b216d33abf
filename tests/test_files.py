"""constellation.files: how atomic_write and check_writable treat each kind of
target (regular file, symlink, FIFO, device, folder), the one-line errors for
outputs that cannot be written, and clean-up on failure, Ctrl-C and SIGTERM."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from constellation import files
from constellation.errors import InputError
from constellation.files import OutputError, atomic_write, check_writable

ROOT = Path(__file__).resolve().parents[1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def text_writer(content: str):
    return lambda tmp: Path(tmp).write_text(content)


def listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry of ``folder``: file contents, or 'link -> target', or the kind."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.is_symlink():
            out[p.name] = f"link -> {os.readlink(p)}"
        elif p.is_file():
            out[p.name] = p.read_bytes()
        else:
            out[p.name] = "fifo" if stat.S_ISFIFO(p.stat().st_mode) else "other"
    return out


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def assert_one_line_naming(exc: BaseException, path) -> str:
    message = str(exc)
    assert "\n" not in message, message
    assert str(path) in message, message
    return message


# ----------------------------------------------------------------------------- regular files
def test_new_and_replaced_regular_file(tmp_path):
    out = tmp_path / "a.csv"
    assert atomic_write(out, text_writer("one")) == out
    assert out.read_text() == "one"
    out.chmod(0o600)
    atomic_write(str(out), text_writer("two"))
    assert out.read_text() == "two"
    assert out.stat().st_mode & 0o777 == 0o600  # an existing file keeps its mode
    assert listing(tmp_path) == {"a.csv": b"two"}


def test_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    atomic_write("rel.txt", text_writer("x"))
    assert (tmp_path / "rel.txt").read_text() == "x"


def test_other_errors_of_the_writer_propagate_and_clean_up(tmp_path):
    out = tmp_path / "kept.json"
    out.write_text("old")

    def fail(exc):
        def write(tmp):
            Path(tmp).write_text("half")
            raise exc
        return write

    with pytest.raises(ValueError, match="bad value") as info:
        atomic_write(out, fail(ValueError("bad value")))
    assert not isinstance(info.value, OutputError)
    with pytest.raises(OSError, match="quota exceeded") as info:  # no errno: not a write failure it can name
        atomic_write(out, fail(OSError("quota exceeded")))
    assert not isinstance(info.value, OutputError)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(out, fail(KeyboardInterrupt()))
    assert listing(tmp_path) == {"kept.json": b"old"}


# ----------------------------------------------------------------------------- symbolic links
def test_symlink_stays_a_link_and_its_target_gets_the_content(tmp_path):
    real = tmp_path / "data" / "real.csv"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(Path("data") / "real.csv")
    chain = tmp_path / "chain.csv"
    chain.symlink_to("link.csv")

    atomic_write(link, text_writer("new"))
    assert link.is_symlink() and os.readlink(link) == os.path.join("data", "real.csv")
    assert real.read_text() == "new"
    assert real.stat().st_mode & 0o777 == 0o640

    atomic_write(chain, text_writer("newer"))
    assert chain.is_symlink() and link.is_symlink()
    assert real.read_text() == "newer"
    assert no_temp_files(tmp_path)


def test_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "sub" / "made.txt")
    atomic_write(link, text_writer("made"))
    assert link.is_symlink()
    assert (tmp_path / "sub" / "made.txt").read_text() == "made"
    assert listing(tmp_path / "sub") == {"made.txt": b"made"}


def test_dangling_symlink_into_a_missing_folder(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "gone" / "x.txt")
    with pytest.raises(OutputError) as info:
        atomic_write(link, text_writer("x"))
    message = assert_one_line_naming(info.value, link)
    assert "gone" in message and "does not exist" in message
    with pytest.raises(OutputError):
        check_writable(link)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_symlink_loop(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.symlink_to("b")
    b.symlink_to("a")
    with pytest.raises(OutputError) as info:
        atomic_write(a, text_writer("x"))
    assert "symbolic links" in assert_one_line_naming(info.value, a)


def test_symlink_to_a_device_writes_through(tmp_path):
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    link = tmp_path / "sink"
    link.symlink_to("/dev/null")
    atomic_write(link, text_writer("discarded"))
    check_writable(link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert listing(tmp_path) == {"sink": "link -> /dev/null"}


# ----------------------------------------------------------------------------- FIFOs and devices
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_gets_the_data_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []

    def read():
        with open(fifo, "rb") as f:
            received.append(f.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    payload = "x" * 200_000 + "end"  # more than a pipe's buffer
    atomic_write(fifo, text_writer(payload))
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert received == [payload.encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert listing(tmp_path) == {"pipe": "fifo"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_check_writable_does_not_open_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    check_writable(fifo)  # would block if it opened the FIFO: nobody reads it
    assert listing(tmp_path) == {"pipe": "fifo"}


def test_dev_null(tmp_path, monkeypatch):
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(files.tempfile, "tempdir", None)  # let tempfile read TMPDIR again
    before = os.stat("/dev/null")
    check_writable("/dev/null")
    assert atomic_write("/dev/null", text_writer("gone")) == Path("/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert list(tmp_path.iterdir()) == []  # the temporary folder is removed


def test_dev_full_reports_disk_full_and_stays_a_device(tmp_path, monkeypatch):
    if not os.path.exists("/dev/full") or not stat.S_ISCHR(os.stat("/dev/full").st_mode):
        pytest.skip("no /dev/full")
    if not IS_ROOT:
        pytest.skip("needs root: the old behaviour replaced the device only as root")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(files.tempfile, "tempdir", None)
    before = os.stat("/dev/full")
    check_writable("/dev/full")  # a device is a fine target; the space is only known when writing
    with pytest.raises(OutputError) as info:
        atomic_write("/dev/full", text_writer("no room"))
    assert "disk full" in assert_one_line_naming(info.value, "/dev/full")
    assert info.value.errno == errno.ENOSPC
    after = os.stat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_mode == before.st_mode
    assert list(tmp_path.iterdir()) == []


_STDOUT_CHILD = """
import sys
from pathlib import Path
from constellation.files import atomic_write, check_writable
target = sys.argv[1]
print("first", flush=True)
check_writable(target)
atomic_write(target, lambda tmp: Path(tmp).write_text("DATA\\n"))
print("last")
"""


def run_child(code, *args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(kw.pop("env", {}))
    return subprocess.run([sys.executable, "-c", code, *args], check=False, cwd=ROOT, env=env, timeout=60, **kw)


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/fd/1"])
def test_dev_stdout_to_a_pipe_and_to_a_file(target, tmp_path):
    if not os.path.exists(target):
        pytest.skip(f"no {target}")
    piped = run_child(_STDOUT_CHILD, target, capture_output=True, text=True)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == "first\nDATA\nlast\n"

    out = tmp_path / "redirected.txt"
    with open(out, "w") as f:  # `> file`: written through the shell's descriptor, in order
        redirected = run_child(_STDOUT_CHILD, target, stdout=f, stderr=subprocess.PIPE, text=True)
    assert redirected.returncode == 0, redirected.stderr
    assert out.read_text() == "first\nDATA\nlast\n"
    assert listing(tmp_path) == {"redirected.txt": b"first\nDATA\nlast\n"}


# ----------------------------------------------------------------------------- refused targets
def test_folder_target_is_refused(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    for call in (lambda: atomic_write(folder, text_writer("x")), lambda: check_writable(folder)):
        with pytest.raises(OutputError) as info:
            call()
        assert "is a folder" in assert_one_line_naming(info.value, folder)
    assert listing(tmp_path) == {"results": "other"} and list(folder.iterdir()) == []


def test_missing_folder_is_refused(tmp_path):
    out = tmp_path / "nope" / "deeper" / "x.csv"
    for call in (lambda: atomic_write(out, text_writer("x")), lambda: check_writable(out)):
        with pytest.raises(OutputError) as info:
            call()
        message = assert_one_line_naming(info.value, out)
        assert f"folder {str(out.parent)!r} does not exist" in message
    assert list(tmp_path.iterdir()) == []


def test_folder_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "plain").write_text("")
    out = tmp_path / "plain" / "x.csv"
    with pytest.raises(OutputError) as info:
        atomic_write(out, text_writer("x"))
    assert_one_line_naming(info.value, out)
    assert listing(tmp_path) == {"plain": b""}


def test_output_error_is_an_input_error_and_an_os_error(tmp_path):
    with pytest.raises(OutputError) as info:
        atomic_write(tmp_path, text_writer("x"))
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)
    assert isinstance(info.value, OSError) and info.value.errno == errno.EISDIR
    assert info.value.path == str(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a folder"


# ----------------------------------------------------------------------------- disk full, read-only, permissions
@pytest.mark.parametrize("code, cause", [(errno.ENOSPC, "disk full"), (errno.EDQUOT, "quota exceeded"),
                                         (errno.EROFS, "read-only file system"),
                                         (errno.EACCES, "permission denied")])
def test_writer_failure_becomes_one_line(code, cause, tmp_path):
    out = tmp_path / "kept.nc"
    out.write_text("old")

    def write(tmp):
        Path(tmp).write_text("partial")
        raise OSError(code, os.strerror(code))

    with pytest.raises(OutputError) as info:
        atomic_write(out, write)
    assert cause in assert_one_line_naming(info.value, out)
    assert info.value.errno == code
    assert isinstance(info.value.__cause__, OSError)
    assert listing(tmp_path) == {"kept.nc": b"old"}


def test_disk_full_when_streaming(tmp_path, monkeypatch):
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(files.tempfile, "tempdir", None)

    def write(tmp):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError) as info:
        atomic_write("/dev/null", write)
    message = assert_one_line_naming(info.value, "/dev/null")
    assert "disk full" in message and "temporary copy" in message
    assert list(tmp_path.iterdir()) == []


def test_read_only_file_system_at_rename(tmp_path, monkeypatch):
    out = tmp_path / "kept.csv"
    out.write_text("old")

    def replace(src, dst):
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(OutputError) as info:
        atomic_write(out, text_writer("new"))
    assert "read-only file system" in assert_one_line_naming(info.value, out)
    assert info.value.errno == errno.EROFS
    assert listing(tmp_path) == {"kept.csv": b"old"}


@pytest.mark.parametrize("code, cause", [(errno.EROFS, "read-only file system"),
                                         (errno.EACCES, "permission denied"),
                                         (errno.ENOSPC, "disk full")])
def test_folder_refuses_new_files(code, cause, tmp_path, monkeypatch):
    """A read-only or full file system, or a folder without write permission,
    refuses the temporary file: both functions say so in one line."""
    out = tmp_path / "x.csv"

    def mkstemp(*a, **k):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)
    for call in (lambda: atomic_write(out, text_writer("x")), lambda: check_writable(out)):
        with pytest.raises(OutputError) as info:
            call()
        message = assert_one_line_naming(info.value, out)
        assert cause in message and str(tmp_path) in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(IS_ROOT or not hasattr(os, "geteuid"), reason="root may write anywhere")
def test_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.csv").write_text("old")
    locked.chmod(0o500)
    try:
        for call in (lambda: atomic_write(locked / "x.csv", text_writer("x")),
                     lambda: check_writable(locked / "x.csv")):
            with pytest.raises(OutputError) as info:
                call()
            assert "permission denied" in assert_one_line_naming(info.value, locked / "x.csv")
        assert listing(locked) == {"x.csv": b"old"}
    finally:
        locked.chmod(0o700)


# ----------------------------------------------------------------------------- check_writable
def test_check_writable_leaves_targets_alone(tmp_path):
    existing = tmp_path / "existing.csv"
    existing.write_text("keep")
    os.utime(existing, (1_000_000, 1_000_000))
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "sub" / "later.csv")
    before = listing(tmp_path)

    check_writable(existing)
    check_writable(str(tmp_path / "new.csv"))
    check_writable(link)

    assert listing(tmp_path) == before
    assert list((tmp_path / "sub").iterdir()) == []
    assert existing.stat().st_mtime == 1_000_000


# ----------------------------------------------------------------------------- signals
_SLOW_CHILD = """
import sys, time
from pathlib import Path
from constellation.files import atomic_write
target, ready = sys.argv[1], sys.argv[2]
def write(tmp):
    Path(tmp).write_text("partial")
    Path(ready).write_text("writing")
    time.sleep(60)
atomic_write(target, write)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("kind", ["regular", "stream"])
def test_sigterm_during_a_write_leaves_no_temporary_file(kind, tmp_path):
    out_dir, temp_dir, marks = tmp_path / "out", tmp_path / "tmp", tmp_path / "marks"
    for d in (out_dir, temp_dir, marks):
        d.mkdir()
    if kind == "regular":
        target = out_dir / "result.csv"
        target.write_text("old")
    else:
        if not os.path.exists("/dev/null"):
            pytest.skip("no /dev/null")
        target = Path("/dev/null")
    ready = marks / "ready"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TMPDIR=str(temp_dir))
    child = subprocess.Popen([sys.executable, "-c", _SLOW_CHILD, str(target), str(ready)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never started writing"
            time.sleep(0.05)
        # the temporary file exists now
        assert not no_temp_files(out_dir if kind == "regular" else temp_dir)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0
    assert child.returncode == 143, err
    assert "Traceback" not in err
    if kind == "regular":
        assert listing(out_dir) == {"result.csv": b"old"}
    assert list(temp_dir.iterdir()) == []
    assert no_temp_files(tmp_path)


@pytest.fixture
def default_sigterm():
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="no SIGTERM")
def test_sigterm_handler_only_while_writing_and_restored(tmp_path, default_sigterm):
    seen = []
    atomic_write(tmp_path / "a", lambda tmp: seen.append(signal.getsignal(signal.SIGTERM)))
    assert seen[0] not in (signal.SIG_DFL, signal.SIG_IGN, None)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

    with pytest.raises(OutputError):  # restored after a failure too
        atomic_write(tmp_path / "missing" / "a", text_writer("x"))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

    def own_handler(signum, frame):
        pass

    signal.signal(signal.SIGTERM, own_handler)  # the program's own handler is left in place
    atomic_write(tmp_path / "b", lambda tmp: seen.append(signal.getsignal(signal.SIGTERM)))
    assert seen[1] is own_handler and signal.getsignal(signal.SIGTERM) is own_handler


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="no SIGTERM")
def test_sigterm_handler_left_alone_outside_the_main_thread(tmp_path, default_sigterm):
    seen = []

    def work():
        atomic_write(tmp_path / "t", lambda tmp: seen.append(signal.getsignal(signal.SIGTERM)))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=30)
    assert seen == [signal.SIG_DFL]
    assert (tmp_path / "t").exists()


# ----------------------------------------------------------------------------- a file and its sidecar
def _pair(tmp_path, csv_text, side_text):
    return files.atomic_write_pair(tmp_path / "x.csv", lambda tmp: Path(tmp).write_text(csv_text),
                                   tmp_path / "x.csv.json", lambda tmp: Path(tmp).write_text(side_text))


def test_a_pair_interrupted_while_writing_keeps_the_earlier_pair(tmp_path):
    _pair(tmp_path, "old", "old side")

    def interrupted(tmp):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.atomic_write_pair(tmp_path / "x.csv", lambda tmp: Path(tmp).write_text("new"),
                                tmp_path / "x.csv.json", interrupted)
    assert (tmp_path / "x.csv").read_text() == "old" and (tmp_path / "x.csv.json").read_text() == "old side"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.csv.json"]  # no temporary file left


def test_a_signal_during_the_renames_waits_until_both_are_in_place(tmp_path, monkeypatch):
    """SIGINT between the sidecar's rename and the file's: both renames happen,
    then the interrupt is raised (the pair is the new one, whole)."""
    _pair(tmp_path, "old", "old side")
    real_replace = os.replace
    calls = []

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here if it is not held

    monkeypatch.setattr(files.os, "replace", replace_then_signal)
    # Python's own handler, as in a terminal (a shell starts background jobs with SIGINT ignored).
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            _pair(tmp_path, "new", "new side")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)
    assert len(calls) == 2
    assert (tmp_path / "x.csv").read_text() == "new" and (tmp_path / "x.csv.json").read_text() == "new side"
