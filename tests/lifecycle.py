"""Shared tools of the run-folder tests: digests of folders, killed runs, the run store.

A killed run is a real ``dln-regen`` process started in its own session, so that
``os.killpg`` with SIGKILL ends it together with its worker processes, the way
``kill -9`` on a process group would. The store is read here with plain sqlite3,
never through dln_regen.store.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from helpers import DLN_REGEN

STORE = "store.sqlite"


def tree_digest(root) -> dict:
    """Every file and folder under ``root``: the SHA-256 of each file, None for folders."""
    root = Path(root)
    digest = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_file():
            digest[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[key] = None
    return digest


def assert_refused(proc: subprocess.CompletedProcess, message: str) -> None:
    """Bad input: one line on stderr, status 2, no traceback, nothing on stdout."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dln-regen: error: "), lines[0]
    assert message in lines[0], lines[0]
    assert proc.stdout == ""


def start_dln(*args, cwd=None) -> subprocess.Popen:
    """Start ``dln-regen`` in a session of its own (its workers share its group)."""
    return subprocess.Popen(
        [str(DLN_REGEN), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen) -> tuple[str, str]:
    """SIGKILL the process group of ``proc``; its output so far."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # the whole group has already ended
        pass
    return proc.communicate(timeout=120)


def wait_until(condition, proc: subprocess.Popen, what: str, timeout: float = 300,
               poll: float = 0.02) -> None:
    """Poll ``condition`` until it holds; fail if ``proc`` ends first (or it hangs)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (status {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout} s")
        time.sleep(poll)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


# -- the store ------------------------------------------------------------------------


def store_uri(folder) -> str:
    return (Path(folder) / STORE).resolve().as_uri() + "?mode=ro"


def count_paths(folder) -> int:
    """Rows committed to the store of a live run so far (0 while there is none)."""
    try:
        db = sqlite3.connect(store_uri(folder), uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM paths").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:  # not there yet, no table yet, or busy
        return 0


def _committed_copy(folder, query: str) -> list:
    """``query`` on a copy of the store and its journal: the committed state, as SQLite
    would roll it back, without touching the run folder."""
    with tempfile.TemporaryDirectory() as scratch:
        for name in (STORE, STORE + "-journal"):
            if (Path(folder) / name).exists():
                shutil.copyfile(Path(folder) / name, Path(scratch) / name)
        db = sqlite3.connect(Path(scratch) / STORE)
        try:
            return db.execute(query).fetchall()
        finally:
            db.close()


def stored_paths(folder) -> dict:
    """Every stored path: ``{(homotopy, start): (outcome, endpoint, ..., seconds)}``."""
    rows = _committed_copy(folder, "SELECT * FROM paths")
    return {(row[0], row[1]): row[2:] for row in rows}


def stored_seconds(folder) -> float:
    """The wall time of the run's sessions that the store has committed (0 if none)."""
    rows = _committed_copy(folder, "SELECT value FROM run WHERE name='seconds'")
    return float(rows[0][0]) if rows else 0.0


def duplicated_paths(folder) -> list:
    """Keys ``(homotopy, start)`` stored more than once (there should be none)."""
    return _committed_copy(
        folder, "SELECT homotopy, start, COUNT(*) FROM paths GROUP BY homotopy, start "
                "HAVING COUNT(*) > 1")
