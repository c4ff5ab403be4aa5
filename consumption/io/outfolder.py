"""An output folder that holds exactly one run's outputs, replaced as one set.

A run writes its files into a folder of its own, ``OUT/.consumption/runs/<run id>/``,
and only when every file is written does one rename make it current::

    OUT/
      lots.csv -> .consumption/current/lots.csv      (one link per output)
      anaplan  -> .consumption/current/anaplan
      .consumption/
        current -> runs/<run id>                      (switched by one rename)
        runs/<run id>/                                the current run, whole
        lock                                          held by the run writing

Why it is built like this:

* **One switch.** Every top-level output is a link through ``current``, so
  replacing that one link (``os.replace`` of a new symlink: atomic on POSIX)
  swaps every file at once. A run killed before the switch leaves the
  previous run current and whole; killed after it, the new run. There is no
  moment at which ``OUT`` shows files of two runs. A reader that needs a
  consistent set across several files (``consumption push``) resolves
  ``current`` once and reads from the run folder.
* **Nothing stale.** Files of a previous run that this run does not write
  (``forum.csv`` of a run with ``--format forum``, the ``anaplan/`` export)
  lose their link: they are not left looking current. Earlier runs' folders
  are deleted after the switch (a reader that still has a file open keeps
  reading it; POSIX unlinks only the name).
* **One writer.** The run holds an exclusive ``flock`` on ``.consumption/lock``
  from before it writes until after it has cleaned up; the kernel drops it
  when the process dies, however it dies. A second run into the same folder
  waits for it (saying so), up to a time limit. Holding the lock, a run knows
  that every half-written run folder belongs to a dead run, and sweeps them.
* **The user's files are safe.** ``OUT`` may hold the inputs and other files:
  the folder is never replaced wholesale. An input would never be replaced by
  an output (refused before anything moves); a real file or folder that has
  an output's name (left by an older version, or the user's) is moved aside
  into ``.consumption/replaced/``, never deleted.
* **Errors name the folder.** A disk that fills up, a read-only or forbidden
  ``OUT`` is reported with the user's path; a folder this run created is
  removed again when the run fails before anything became current.

Where the file system has no symbolic links, outputs are moved into ``OUT``
one by one (each with ``os.replace``), the run summary last, and files of the
previous run that this run does not write are removed; readers then check
the summary's list of files and their sha256 (:func:`check_current`).

Files are not fsync'ed: that guards against a power cut rather than a crash
of the program, and costs a journal commit per file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from consumption.errors import OutputError, OutputLockedError, UsageError

try:  # POSIX: locks that die with their process
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STATE_DIR = ".consumption"
RUNS_DIR = "runs"
CURRENT = "current"
LOCK_FILE = "lock"
FILES_LIST = "files.json"  # without links: the files of the current run
REPLACED_DIR = "replaced"
STAGING_PREFIX = ".staging-"
# A second run into a folder waits this long for the first before giving up.
LOCK_TIMEOUT_S = 600.0
_POLL_S = 0.2


@dataclass
class Run:
    """A run being written: its id and the folder its files go into."""

    run_id: str
    folder: Path


def new_run_id(now: dt.datetime | None = None) -> str:
    """A run id that sorts by time and never repeats: UTC time and 8 random hex digits.

    >>> new_run_id(dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.UTC))[:16]
    '20261202T103000Z'
    """
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def publishing(
    out_dir: str | Path,
    protected: Sequence[Path] = (),
    *,
    lock_timeout: float = LOCK_TIMEOUT_S,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Run]:
    """Yield a :class:`Run` to write into; on success make it ``out_dir``'s current run.

    ``protected`` are input files that an output must never replace.
    ``on_wait`` is told, once, when another run holds the folder.
    """
    out = Path(out_dir)
    created = _make_folder(out)
    state = out / STATE_DIR
    try:
        with _locked(state, out, lock_timeout, on_wait):
            _sweep_staging(state / RUNS_DIR)
            run_id = new_run_id()
            staging = state / RUNS_DIR / f"{STAGING_PREFIX}{run_id}"
            _guard(out, lambda: staging.mkdir(parents=True))
            run = Run(run_id, staging)
            try:
                try:
                    yield run
                except OSError as error:  # a disk that filled up while writing, ...
                    raise output_error(out, error) from error
                _guard(out, lambda: _switch(out, run, protected))
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        if created:
            _remove_if_nothing_current(out)
        raise


def _make_folder(out: Path) -> bool:
    """Create ``out`` when needed; whether this call created it (to undo on failure)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder: choose a folder for the outputs")
    created = not out.exists()
    _guard(out, lambda: out.mkdir(parents=True, exist_ok=True))
    return created


def _guard(out: Path, action: Callable[[], object]) -> None:
    """Run a file-system action; its failure becomes an error naming ``out``."""
    try:
        action()
    except OSError as error:
        raise output_error(out, error) from error


def output_error(out: Path, error: OSError) -> OutputError:
    """What went wrong writing the outputs into ``out``, in the planner's terms."""
    reason = error.strerror or str(error) or type(error).__name__
    fixes = {
        errno.ENOSPC: "free some space or choose another --out",
        errno.EDQUOT: "free some space or choose another --out",
        errno.EROFS: "the folder is on a read-only file system: choose another --out",
        errno.EACCES: "you may not write there: choose another --out or change its permissions",
        errno.EPERM: "you may not write there: choose another --out or change its permissions",
    }
    fix = fixes.get(error.errno or 0, "check the folder and try again")
    where = f" ({Path(error.filename).name})" if error.filename else ""
    return OutputError(f"cannot write the outputs to {out}: {reason}{where}; {fix}")


@contextlib.contextmanager
def _locked(
    state: Path, out: Path, timeout: float, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    _guard(out, lambda: state.mkdir(exist_ok=True))
    if fcntl is None:  # pragma: no cover - Windows: no lock, as before
        yield
        return
    path = state / LOCK_FILE
    fd = -1

    def open_lock() -> None:
        nonlocal fd
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    _guard(out, open_lock)
    try:
        _acquire(fd, out, timeout, on_wait)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _acquire(fd: int, out: Path, timeout: float, on_wait: Callable[[str], None] | None) -> None:
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        except OSError:  # a file system without locks: other runs cannot lock it either
            return
        if not told and on_wait is not None:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            on_wait(f"another run (pid {holder or '?'}) is writing to {out}; waiting for it")
            told = True
        if time.monotonic() >= deadline:
            raise OutputLockedError(
                f"another run is still writing to {out} after {timeout:g} s; "
                "wait for it to finish or choose another --out"
            )
        time.sleep(_POLL_S)


def _sweep_staging(runs: Path) -> None:
    """Half-written run folders of runs that died: the lock says nobody writes them."""
    for folder in runs.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(folder, ignore_errors=True)


def files_of(folder: Path, leave_out: Sequence[str] = ()) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256), for a run's summary."""
    return {
        path.relative_to(folder).as_posix(): sha256_of(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() not in leave_out
    }


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks so that large outputs stay out of memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _switch(out: Path, run: Run, protected: Sequence[Path]) -> None:
    """Make ``run`` the current run of ``out``: links, one rename, then the cleanup."""
    names = sorted(entry.name for entry in run.folder.iterdir() if not entry.name.startswith("."))
    _check_targets(out, names, protected)
    state = out / STATE_DIR
    folder = state / RUNS_DIR / run.run_id
    os.replace(run.folder, folder)
    run.folder = folder
    if not _links_work(state):
        _move_in(out, folder, names)
        return
    for name in names:
        _link(out / name, Path(STATE_DIR) / CURRENT / name)
    _link(state / CURRENT, Path(RUNS_DIR) / run.run_id)  # the switch
    _clean(out, run.run_id, names)


def _check_targets(out: Path, names: list[str], protected: Sequence[Path]) -> None:
    """Refuse, before any move, an output that would replace an input or a thing of another kind."""
    inputs = {Path(p).resolve() for p in protected}
    for name in names:
        target = out / name
        if target.is_symlink() and _is_ours(target):
            continue
        if target.resolve() in inputs:
            raise UsageError(
                f"writing {name} to {out} would overwrite the input file "
                f"{target.resolve()}; choose another --out folder"
            )


def _is_ours(path: Path) -> bool:
    return os.readlink(path) == str(Path(STATE_DIR) / CURRENT / path.name)


def _links_work(state: Path) -> bool:
    probe = state / f".probe-{secrets.token_hex(4)}"
    try:
        probe.symlink_to(RUNS_DIR)
    except (OSError, NotImplementedError):
        return False
    probe.unlink()
    return True


def _link(path: Path, target: Path) -> None:
    """Point ``path`` at ``target`` in one step; a real file or folder there is moved aside."""
    if path.is_symlink() and os.readlink(path) == str(target):
        return
    if path.exists() and not path.is_symlink():
        _move_aside(path)
    temporary = path.with_name(f".{path.name}.link-{secrets.token_hex(4)}")
    temporary.symlink_to(target)
    os.replace(temporary, path)


def _move_aside(path: Path) -> None:
    """Keep what is in the way of an output, out of sight, never deleted."""
    aside = (
        path.parent
        / STATE_DIR
        / REPLACED_DIR
        / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    )
    aside.mkdir(parents=True, exist_ok=True)
    os.replace(path, aside / path.name)


def _clean(out: Path, run_id: str, names: list[str]) -> None:
    """After the switch: drop links to outputs this run did not write, and older runs."""
    for entry in out.iterdir():
        if entry.is_symlink() and entry.name not in names and _is_ours(entry):
            entry.unlink()
    for folder in (out / STATE_DIR / RUNS_DIR).iterdir():
        if folder.name != run_id and not folder.name.startswith(STAGING_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)


def _move_in(out: Path, folder: Path, names: list[str]) -> None:  # pragma: no cover - no links
    """Without symbolic links: the files one by one, JSON (the summaries) last."""
    listing = out / STATE_DIR / FILES_LIST
    previous = set(json.loads(listing.read_text())) if listing.is_file() else set()
    paths = sorted(
        (p for p in folder.rglob("*") if p.is_file()), key=lambda p: (p.suffix == ".json", p)
    )
    for path in paths:
        target = out / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    written = {p.relative_to(folder).as_posix() for p in paths}
    for stale in previous - written:
        (out / stale).unlink(missing_ok=True)
    listing.write_text(json.dumps(sorted(written)))
    shutil.rmtree(folder, ignore_errors=True)


def current_folder(out_dir: str | Path) -> Path:
    """The folder holding ``out_dir``'s current run, resolved once for consistent reads."""
    out = Path(out_dir)
    current = out / STATE_DIR / CURRENT
    return current.resolve() if current.is_symlink() else out


def _remove_if_nothing_current(out: Path) -> None:
    """A folder this run created goes again when nothing in it became current."""
    state = out / STATE_DIR
    if (state / CURRENT).exists():
        return
    shutil.rmtree(state, ignore_errors=True)
    with contextlib.suppress(OSError):
        out.rmdir()  # only when empty: never the user's files
