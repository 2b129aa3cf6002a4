"""dln_regen.store and --resume: real runs killed with SIGKILL, then finished.

The reference is the uninterrupted ``dln-regen solve 2 2 2 --seed 5`` (shared with
the other tests through the session fixture ``solved``). A run of the same command
is killed at several moments (by the clock, by how many paths it has stored, or
exactly inside the store's own SQL) and resumed; the resumed run must give the
reference's points, read every path stored before the kill back unchanged, and
store no path twice.
"""

import json
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from dln_regen.bertini_io import write_input_folder
from dln_regen.network import DeepLinearNetwork

import helpers
from helpers import EXAMPLES, dln, one_json_object, partition_of
from lifecycle import (STORE, assert_refused, count_paths, duplicated_paths, kill_group,
                       start_dln, stored_paths, stored_seconds, tree_digest,
                       wait_until)

WIDTHS = (2, 2, 2)
SEED = 5
RESUMED = re.compile(r"INFO resuming (.+): (\d+) paths already tracked$", re.M)


@pytest.fixture(scope="module")
def full(solved):
    """The uninterrupted run every resumed run is compared with."""
    run = solved(WIDTHS, SEED)
    assert run.summary["critical_points"] == 33
    return run


def killed_run(folder, moment, full, seed=SEED):
    """``solve 2 2 2 --seed S --out folder --quiet`` killed (whole group, SIGKILL).

    ``moment`` is ``("clock", seconds)`` after the start, ``("store", None)`` as soon
    as store.sqlite exists, or ``("rows", fraction)`` as soon as the store holds that
    fraction of the full run's paths (at least one): a moment of the run's own
    progress, whatever the load of the machine.
    """
    kind, value = moment
    proc = start_dln("solve", *WIDTHS, "--seed", seed, "--out", folder, "--quiet")
    try:
        if kind == "clock":
            time.sleep(value)
        elif kind == "store":
            wait_until((folder / STORE).exists, proc, "store.sqlite appeared", poll=0.005)
        else:
            least = max(1, int(value * full.summary["paths_tracked"]))
            wait_until(lambda: count_paths(folder) >= least, proc,
                       f"{least} paths were stored")
    finally:
        kill_group(proc)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it was killed"
    assert not (folder / "summary.json").exists()
    return folder


def check_resumed(proc, folder, full, before):
    """The resumed run is the full run, and it read back what was stored."""
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = one_json_object(proc.stdout)
    assert summary["critical_points"] == full.summary["critical_points"] == 33
    assert partition_of(summary) == partition_of(full.summary)
    assert [p["count"] for p in summary["patterns"]] == [1, 8, 8, 16]
    assert helpers.same_point_sets(helpers.read_points(folder),
                                   helpers.read_points(full.folder), tol=1e-6)
    after = stored_paths(folder)
    # Every path stored before the kill is still there, byte for byte: read back,
    # never tracked again (a re-track would rewrite its seconds and endpoint).
    changed = [key for key, row in before.items() if after.get(key) != row]
    assert not changed, f"{len(changed)} stored paths were lost or tracked again"
    assert duplicated_paths(folder) == []
    assert len(after) == summary["paths_tracked"]  # every path of the run, once
    new = len(after) - len(before)
    assert 0 <= new <= full.summary["paths_tracked"]
    if before:
        assert new < full.summary["paths_tracked"]
    # run.log says how much was read back.
    log = (folder / "run.log").read_text()
    assert RESUMED.findall(log) == [(str(folder), str(len(before)))]
    return summary


# -- killed mid-run ---------------------------------------------------------------------


# (moment, resuming command): see killed_run.
KILLS = [
    (("clock", 1.0), "run"),
    (("store", None), "run"),
    (("rows", 0.0), "run"),
    (("rows", 0.25), "run"),
    (("rows", 0.5), "solve"),
    (("rows", 0.75), "run"),
]
KILL_IDS = ["clock-1s", "store-created", "first-paths", "quarter", "half-solve",
            "three-quarters"]


def finish(folder, command):
    """Finish a killed run: ``run --resume`` or ``solve --resume``; a folder without
    a store (killed before anything was tracked) is refused and solved anew."""
    if not (folder / STORE).exists():
        assert_refused(dln("run", "--resume", folder), "is not a run folder")
        return dln("solve", *WIDTHS, "--seed", SEED, "--out", folder, "--json")
    if command == "run":
        return dln("run", "--resume", folder, "--json")
    return dln("solve", *WIDTHS, "--out", folder, "--resume", "--json")


@pytest.mark.parametrize("moment, command", KILLS, ids=KILL_IDS)
def test_a_killed_run_resumes_to_the_full_result(tmp_path, full, moment, command):
    folder = killed_run(tmp_path / "run", moment, full)
    resumed = (folder / STORE).exists()
    before = stored_paths(folder) if resumed else {}
    if moment[0] == "rows":
        assert len(before) >= max(1, int(moment[1] * full.summary["paths_tracked"]))
    if moment[0] != "clock":
        assert resumed
    first_session = stored_seconds(folder) if resumed else 0.0
    assert (first_session > 0) == bool(before)  # committed with the first paths
    proc = finish(folder, command)
    if resumed:
        summary = check_resumed(proc, folder, full, before)
        # The summary's time is the whole run's: the killed session's and this one.
        assert summary["seconds"] > first_session
    else:
        assert proc.returncode == 0, proc.stderr
        summary = one_json_object(proc.stdout)
        assert helpers.same_point_sets(helpers.read_points(folder),
                                       helpers.read_points(full.folder), tol=1e-6)
    assert summary["seed"] == SEED
    assert json.loads((folder / "summary.json").read_text())["critical_points"] == 33


# What a resumed run must report as the run it finishes did (all but time and folder).
COUNTS = ["widths", "critical_points", "patterns", "paths_tracked", "failures", "retracked",
          "singular_endpoints", "repeated_endpoints", "points_by_depth", "seed",
          "exploration_order", "at_infinity", "workers"]


def test_resuming_a_finished_run_tracks_nothing(tmp_path, full):
    folder = tmp_path / "run"
    shutil.copytree(full.folder, folder)
    before = stored_paths(folder)
    proc = dln("run", "--resume", folder, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = one_json_object(proc.stdout)
    assert stored_paths(folder) == before
    for key in COUNTS:
        assert summary[key] == full.summary[key], key
    # Read back, the endpoints are the same numbers, not merely close ones.
    assert helpers.same_point_sets(helpers.read_points(folder),
                                   helpers.read_points(full.folder), tol=1e-15)
    assert RESUMED.findall((folder / "run.log").read_text()) == [
        (str(folder), str(len(before)))]


def test_a_resumed_summary_keeps_the_runs_samples(tmp_path):
    """summary.json of a resumed run describes the run: its samples, not defaults."""
    folder = tmp_path / "run"
    first = dln("solve", 2, 2, "--samples", 2, "--seed", 4, "--out", folder, "--json")
    assert first.returncode == 0, first.stderr
    assert one_json_object(first.stdout)["samples"] == 2
    for args in (["solve", 2, 2, "--out", folder, "--resume"], ["run", "--resume", folder]):
        proc = dln(*args, "--json")
        assert proc.returncode == 0, proc.stderr
        summary = one_json_object(proc.stdout)
        assert summary.get("samples") == 2, (args, summary.get("samples"))
        assert json.loads((folder / "summary.json").read_text()).get("samples") == 2


# -- killed inside the store's SQL -----------------------------------------------------

# Runs the CLI with every SQLite connection traced; SIGKILLs the process when the
# chosen statement is about to run, so that the kill lands exactly there. In "commit"
# mode the page cache is one page, so a batch's pages are written to the database
# (after its journal is synced) before the commit: the files are left as a kill in
# the middle of a commit leaves them, with a hot journal to roll back.
KILL_AT = r"""
import os, signal, sqlite3, sys

mode, arg = sys.argv[1], sys.argv[2]
state = {"paths": False, "commits": 0}
connect = sqlite3.connect


def traced(*args, **kwargs):
    db = connect(*args, **kwargs)

    def trace(sql):
        sql = sql.strip()
        if mode == "sql" and arg in sql:
            os.kill(os.getpid(), signal.SIGKILL)
        if sql.startswith("INSERT OR REPLACE INTO paths"):
            state["paths"] = True  # a transaction of tracked paths
        if mode == "commit" and sql == "COMMIT" and state["paths"]:
            state["commits"] += 1
            if state["commits"] > int(arg):
                os.kill(os.getpid(), signal.SIGKILL)
        if sql == "COMMIT":
            state["paths"] = False

    if mode == "commit":
        db.execute("PRAGMA cache_size=1")
    db.set_trace_callback(trace)
    return db


sqlite3.connect = traced
if __name__ == "__main__":
    from dln_regen.cli import main

    main(sys.argv[3:])
"""


# The first bytes of a rollback journal whose header has been synced.
HOT_JOURNAL = bytes.fromhex("d9d505f920a163d7")


def killed_in_sql(folder, mode, arg):
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_AT, mode, str(arg), "solve", *map(str, WIDTHS),
         "--seed", str(SEED), "--out", str(folder), "--quiet", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    proc.wait(timeout=600)
    kill_group(proc)  # its worker processes
    assert proc.returncode == -signal.SIGKILL, "the kill point was never reached"
    return folder


def test_a_kill_inside_a_commit_leaves_a_store_that_resumes(tmp_path, full):
    """SIGKILL while a round of paths is being committed leaves a hot journal; the
    resumed run rolls the round back and tracks it again."""
    # (2,2,2) commits 16 rounds of paths: the kill lands in the 9th.
    folder = killed_in_sql(tmp_path / "run", "commit", 8)
    journal = folder / (STORE + "-journal")
    # The kill hit a commit: the journal is hot (its header is written and synced).
    assert journal.is_file() and journal.read_bytes()[:8] == HOT_JOURNAL
    before = stored_paths(folder)  # the committed state (the journal rolled back)
    assert before
    check_resumed(dln("run", "--resume", folder, "--json"), folder, full, before)
    assert not journal.exists() or journal.stat().st_size == 0


# Statements of the store's creation: a kill there must not leave a folder that
# neither --resume nor a new solve will take.
CREATION = [("sql", "CREATE TABLE IF NOT EXISTS paths"), ("sql", "INTO run VALUES")]


@pytest.mark.parametrize("mode, arg", CREATION, ids=["schema", "fingerprint"])
def test_a_kill_while_the_store_is_created(tmp_path, full, mode, arg):
    folder = killed_in_sql(tmp_path / "run", mode, arg)
    assert (folder / "run.json").is_file()
    if (folder / STORE).exists():  # a run folder: --resume must finish it
        proc = dln("run", "--resume", folder, "--json")
    else:  # nothing was tracked, so there is nothing to resume: solve it anew
        assert_refused(dln("run", "--resume", folder), "nothing to resume")
        proc = dln("solve", *WIDTHS, "--seed", SEED, "--out", folder, "--json")
    helpers.assert_same_run(proc, folder, full)
    assert duplicated_paths(folder) == []


def test_a_run_folder_with_odd_characters_resumes(tmp_path):
    """SQLite reads a URI: '#', '?' and '%' in the folder must not cut its path."""
    folder = tmp_path / "runs" / "run #1?a=b%41 x"
    first = dln("solve", 2, 2, "--seed", 1, "--out", folder, "--json")
    assert first.returncode == 0, first.stderr
    points = helpers.read_points(folder)
    outside = {k: v for k, v in tree_digest(tmp_path).items()
               if not k.startswith("runs/run #1")}
    proc = dln("run", "--resume", folder, "--json")
    assert proc.returncode == 0, proc.stderr
    assert one_json_object(proc.stdout)["critical_points"] == 1
    after = {k: v for k, v in tree_digest(tmp_path).items()
             if not k.startswith("runs/run #1")}
    assert after == outside  # no stray file next to the run folder
    assert helpers.same_point_sets(helpers.read_points(folder), points, tol=1e-15)
    tracked = str(one_json_object(first.stdout)["paths_tracked"])
    assert RESUMED.findall((folder / "run.log").read_text()) == [(str(folder), tracked)]


# -- bad input: refused on one line, the folder untouched ------------------------------


def interrupted_copy(full, folder):
    """A copy of the full run without its results: what a kill before the end leaves."""
    shutil.copytree(full.folder, folder)
    (folder / "summary.json").unlink()
    (folder / "points.jsonl").unlink()
    return folder


def not_a_run(tmp_path, full):
    folder = tmp_path / "D_2_2_2"
    write_input_folder(DeepLinearNetwork(WIDTHS, seed=SEED), folder)
    return folder


def truncated_store(tmp_path, full):
    folder = interrupted_copy(full, tmp_path / "run")
    data = (folder / STORE).read_bytes()
    (folder / STORE).write_bytes(data[: len(data) // 2])
    return folder


def garbage_store(tmp_path, full):
    folder = interrupted_copy(full, tmp_path / "run")
    size = (folder / STORE).stat().st_size
    (folder / STORE).write_bytes(np.random.default_rng(0).bytes(size))
    return folder


def empty_store(tmp_path, full):
    folder = interrupted_copy(full, tmp_path / "run")
    (folder / STORE).write_bytes(b"")
    return folder


def foreign_store(tmp_path, full):
    """A (2,2,2) seed-6 run folder holding the seed-5 run's store."""
    folder = killed_run(tmp_path / "run6", ("store", None), full, seed=6)
    for name in (STORE, STORE + "-journal"):
        (folder / name).unlink(missing_ok=True)
    shutil.copyfile(full.folder / STORE, folder / STORE)
    return folder


def finished(tmp_path, full):
    folder = tmp_path / "run"
    shutil.copytree(full.folder, folder)
    return folder


def interrupted(tmp_path, full):
    return interrupted_copy(full, tmp_path / "run")


# (make the folder, arguments with {} for it, message)
REFUSED = [
    (not_a_run, ["run", "--resume", "{}"], "is not a run folder"),
    (not_a_run, ["solve", "2", "2", "2", "--out", "{}", "--resume"], "is not a run folder"),
    (None, ["run", "--resume", "{}/no-such-run"], "is not a run folder"),
    (truncated_store, ["run", "--resume", "{}"], "is not a readable run store"),
    (garbage_store, ["run", "--resume", "{}"], "is not a readable run store"),
    (empty_store, ["run", "--resume", "{}"], "is not a readable run store"),
    (foreign_store, ["run", "--resume", "{}"], "belongs to another system or seed"),
    (foreign_store, ["solve", "2", "2", "2", "--out", "{}", "--resume"],
     "belongs to another system or seed"),
    (finished, ["solve", "2", "2", "2", "--seed", "5", "--out", "{}"],
     "already holds a run"),
    (interrupted, ["solve", "2", "2", "2", "--seed", "5", "--out", "{}"],
     "already holds a run"),
    (finished, ["run", str(EXAMPLES / "D_2_2_2"), "--seed", "5", "--out", "{}"],
     "already holds a run"),
    (interrupted, ["run", "--resume", "{}", "--seed", "6"], "was run with seed 5, not 6"),
    (interrupted, ["solve", "2", "2", "--out", "{}", "--resume"],
     "is a run of widths [2, 2, 2], not [2, 2]"),
    (interrupted, ["run", "--resume", "{}", "--order", "depthFirst"],
     "a resumed run keeps its order"),
    (None, ["solve", "2", "2", "2", "--resume"], "--resume needs the run folder"),
]
REFUSED_IDS = ["resume-input-folder", "solve-resume-input-folder", "resume-missing",
               "truncated-store", "garbage-store", "empty-store", "foreign-store",
               "solve-resume-foreign-store", "solve-over-finished",
               "solve-over-interrupted",
               "run-over-finished", "resume-other-seed", "resume-other-widths",
               "resume-other-order", "resume-without-out"]


@pytest.mark.parametrize("make, args, message", REFUSED, ids=REFUSED_IDS)
def test_bad_run_folders_are_refused_untouched(tmp_path, full, make, args, message):
    folder = make(tmp_path, full) if make else tmp_path
    work = tmp_path / "cwd"
    work.mkdir()
    before = tree_digest(tmp_path)
    proc = dln(*[a.replace("{}", str(folder)) for a in args], cwd=work)
    assert_refused(proc, message)
    assert tree_digest(tmp_path) == before
