"""The run store: an SQLite file of the regeneration graph, written as the run goes.

The paths tracked by one call of the back end (a round of batches) are
committed in one transaction, each keyed by its homotopy and the exact bytes
of its start point. The graph is deterministic given the seed, so a resumed
run replays it from the start: paths found in the store are read back instead
of tracked, and only what the store lacks is tracked. A kill at any moment
loses at most the round in flight.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .errors import RunStoreError
from .paths import HomotopyKey, Outcome, PathResult

log = logging.getLogger(__name__)

STORE_FILE = "store.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS paths (
    homotopy TEXT NOT NULL,
    start BLOB NOT NULL,
    outcome TEXT NOT NULL,
    endpoint BLOB,
    condition_number REAL,
    cycle_number INTEGER,
    retracked INTEGER,
    seconds REAL,
    PRIMARY KEY (homotopy, start)
);
CREATE TABLE IF NOT EXISTS nodes (
    depth INTEGER NOT NULL,
    generators TEXT NOT NULL,
    dims TEXT NOT NULL,
    point BLOB NOT NULL
);
"""


def homotopy_name(key: HomotopyKey) -> str:
    data = asdict(key)
    data["step"] = key.step.value
    return json.dumps(data, sort_keys=True)


def point_bytes(point) -> bytes:
    return np.ascontiguousarray(point, dtype=complex).tobytes()


def check_store(folder: Path, fingerprint: str) -> None:
    """Refuse a store that is missing, corrupt or of another system, touching nothing."""
    path = Path(folder) / STORE_FILE
    if not path.is_file():
        raise RunStoreError(f"{folder} is not a run folder: no {STORE_FILE} to resume")
    try:
        row = stored_fingerprint(path)
    except sqlite3.Error as err:
        raise RunStoreError(f"{path} is not a readable run store ({err})") from None
    if row is None or row[0] != fingerprint:
        raise RunStoreError(
            f"{path} belongs to another system or seed; resume it with its own input "
            "or choose another --out"
        )


def stored_fingerprint(path: Path):
    """The ``(fingerprint,)`` row of a store after an integrity check; never writes it.

    A kill during a commit leaves a hot journal beside the store, which a
    read-only connection cannot roll back ("attempt to write a readonly
    database"); the check then reads a copy of both files, rolled back there.
    Opening the store to resume rolls the store itself back.
    """
    journal = path.with_name(path.name + "-journal")
    if journal.is_file() and journal.stat().st_size > 0:
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / path.name
            shutil.copyfile(path, copy)
            shutil.copyfile(journal, copy.with_name(journal.name))
            return _fingerprint_row(sqlite3.connect(copy))
    # A URI percent-encodes the path: a plain "file:{path}" cuts it at '?' or '#'.
    uri = path.resolve().as_uri() + "?mode=ro"
    return _fingerprint_row(sqlite3.connect(uri, uri=True))


def _fingerprint_row(db):
    try:
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")
        return db.execute("SELECT value FROM run WHERE name='fingerprint'").fetchone()
    finally:
        db.close()


def create_store(path: Path, fingerprint: str) -> None:
    """Write an empty store with its fingerprint, then move it into place.

    A store appears whole or not at all: a kill while it is written leaves only
    the scratch file, removed here by the next run, never a store without its
    fingerprint that no command would resume or overwrite.
    """
    scratch = path.with_name(path.name + ".new")
    for stale in (scratch, scratch.with_name(scratch.name + "-journal")):
        stale.unlink(missing_ok=True)
    db = sqlite3.connect(scratch)
    try:
        db.executescript(SCHEMA)
        with db:
            db.execute("INSERT INTO run VALUES ('fingerprint', ?)", (fingerprint,))
    finally:
        db.close()
    os.replace(scratch, path)


class RunStore:
    """Paths and nodes of one run, in ``folder/store.sqlite``."""

    def __init__(self, folder: Path, fingerprint: str):
        self.path = Path(folder) / STORE_FILE
        if not self.path.exists():
            create_store(self.path, fingerprint)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(SCHEMA)
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO run VALUES ('fingerprint', ?)",
                            (fingerprint,))
        # Wall time of the run's earlier sessions, so that a resumed run reports
        # the time of the whole run; every commit brings it up to date.
        row = self.db.execute("SELECT value FROM run WHERE name='seconds'").fetchone()
        self.seconds_before = float(row[0]) if row else 0.0
        self.opened = time.perf_counter()

    def seconds(self) -> float:
        """Wall time of every session of this run so far."""
        return self.seconds_before + time.perf_counter() - self.opened

    def close(self):
        self.db.close()

    def known(self, key: HomotopyKey, points) -> dict[bytes, PathResult]:
        """Results already stored for these start points of homotopy ``key``."""
        name = homotopy_name(key)
        found = {}
        for start in map(point_bytes, points):
            row = self.db.execute(
                "SELECT outcome, endpoint, condition_number, cycle_number, retracked,"
                " seconds FROM paths WHERE homotopy=? AND start=?", (name, start)
            ).fetchone()
            if row is not None:
                found[start] = self._result(row)
        return found

    @staticmethod
    def _result(row) -> PathResult:
        outcome, endpoint, cond, cycle, retracked, seconds = row
        point = None if endpoint is None else np.frombuffer(endpoint, dtype=complex).copy()
        return PathResult(Outcome(outcome), point, cond, bool(retracked), seconds, cycle)

    def record(self, batches) -> None:
        """Store tracked batches ``(key, points, results)`` in a single transaction.

        One commit per round, not per batch: each commit waits for the disk
        (80 per-batch commits took 0.09 s in a profile of (2,2,2); 16 now).
        """
        rows = [
            (homotopy_name(key), point_bytes(p), r.outcome.value,
             None if r.point is None else point_bytes(r.point),
             r.condition_number, r.cycle_number, int(r.retracked), r.seconds)
            for key, points, results in batches
            for p, r in zip(points, results)
        ]
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO paths VALUES (?,?,?,?,?,?,?,?)", rows)
            self.db.execute("INSERT OR REPLACE INTO run VALUES ('seconds', ?)",
                            (repr(self.seconds()),))

    def record_level(self, depth: int, level) -> None:
        """Store the nodes of a finished level (for inspection; resuming replays paths)."""
        rows = [(node.depth, json.dumps(node.generators), json.dumps(node.dims),
                 point_bytes(p)) for node, points in level.items() for p in points]
        with self.db:
            self.db.execute("DELETE FROM nodes WHERE depth=?", (depth,))
            self.db.executemany("INSERT INTO nodes VALUES (?,?,?,?)", rows)

    def n_paths(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM paths").fetchone()[0]

    def stored_tracking(self, track_many):
        """Wrap ``track_many`` so that stored paths are read back, new ones stored."""

        def track(batches):
            known = [self.known(key, points) for key, points in batches]
            missing = [(key, [p for p in points if point_bytes(p) not in got])
                       for (key, points), got in zip(batches, known)]
            todo = [(k, pts) for k, pts in missing if pts]
            fresh = track_many(todo) if todo else []
            self.record([(key, pts, res) for (key, pts), res in zip(todo, fresh)])
            fresh = iter(fresh)
            out = []
            for (key, points), got, (_, new_points) in zip(batches, known, missing):
                if new_points:
                    got.update(zip(map(point_bytes, new_points), next(fresh)))
                out.append([got[point_bytes(p)] for p in points])
            return out

        return track
