"""dln_regen.parallel: tracking in worker processes gives the points of one process.

Every homotopy, gamma included, is drawn from the run's seed, so the points of a
run must not depend on ``--workers``; a worker that dies is a clean error and the
run folder it leaves can be resumed.
"""

import dataclasses
import os
import signal

import numpy as np
import pytest

from dln_regen.errors import InputError
from dln_regen.parallel import check_workers, default_workers, split_batches
from dln_regen.runner import solve_problem

import helpers
from helpers import dln, partition_of
from lifecycle import (STORE, assert_refused, children, count_paths, kill_group,
                       start_dln, stored_paths, tree_digest, wait_until)


def test_points_do_not_depend_on_the_number_of_workers(solved):
    one = solved((2, 2, 2), 3, "--workers", 1)
    two = solved((2, 2, 2), 3, "--workers", 2)
    assert one.summary["workers"] == 1 and two.summary["workers"] == 2
    for run in (one, two):
        assert run.summary["critical_points"] == 33
        assert [p["count"] for p in run.summary["patterns"]] == [1, 8, 8, 16]
    assert partition_of(one.summary) == partition_of(two.summary)
    assert helpers.same_point_sets(helpers.read_points(one.folder),
                                   helpers.read_points(two.folder), tol=1e-6)



def test_worker_pool_tracks_what_this_process_tracks(problem_121):
    """The same graph, path for path: the points come in the same order, equal."""
    here = solve_problem(problem_121, seed=2, workers=1)
    pool = solve_problem(problem_121, seed=2, workers=2)
    assert here.summary["workers"] == 1 and pool.summary["workers"] == 2
    assert len(here.points) == len(pool.points) == 9
    for a, b in zip(here.points, pool.points):
        for u, v in zip(a.groups, b.groups):
            assert np.allclose(u, v, rtol=1e-12, atol=0)
    for key in ("paths_tracked", "points_by_depth", "patterns"):
        assert here.summary[key] == pool.summary[key], key


def test_depth_first_is_tracked_in_this_process(problem_121):
    """Depth-first meets one point at a time: it runs here, whatever --workers says."""
    problem = dataclasses.replace(problem_121, exploration_order="depthFirst")
    result = solve_problem(problem, seed=2, workers=2)
    assert result.summary["workers"] == 1
    assert result.summary["critical_points"] == 9


def test_split_batches():
    batches = [("a", list(range(10))), ("b", list(range(3))), ("c", [7])]
    for n_tasks in (1, 2, 3, 5, 14, 100):
        tasks = split_batches(batches, n_tasks)
        size = -(-14 // n_tasks)  # ceil(14 / n_tasks)
        assert all(1 <= len(points) <= size for _, _, points in tasks)
        # In order, nothing lost or repeated, each task within one batch.
        for index, (key, points) in enumerate(batches):
            mine = [t for t in tasks if t[0] == index]
            assert all(t[1] == key for t in mine)
            assert [p for t in mine for p in t[2]] == points
        assert [t[0] for t in tasks] == sorted(t[0] for t in tasks)
        assert len(tasks) <= n_tasks + len(batches)
    # Later passes: one task per path, whatever the number of tasks asked.
    single = split_batches(batches, 2, size=1)
    assert [(t[0], t[2]) for t in single] == [
        (index, [p]) for index, (_, points) in enumerate(batches) for p in points
    ]
    assert split_batches([], 4) == []
    assert split_batches([("a", [1, 2])], 0) == [(0, "a", [1, 2])]  # at least one task


def test_check_workers():
    assert check_workers(None) == default_workers() >= 1
    assert check_workers(3) == 3
    for bad in (0, -3):
        with pytest.raises(InputError, match=f"got {bad}"):
            check_workers(bad)


@pytest.mark.parametrize("command", ["solve", "run", "table"])
@pytest.mark.parametrize("workers", ["0", "-3"])
def test_bad_workers_are_refused_untouched(tmp_path, command, workers):
    args = {
        "solve": ["solve", "2", "2", "2", "--seed", "1", "--out", tmp_path / "out"],
        "run": ["run", helpers.EXAMPLES / "D_2_2_2", "--seed", "1", "--out",
                tmp_path / "out"],
        "table": ["table", "--no-published", "--widths", "2 2", "--out", tmp_path / "out"],
    }[command]
    (tmp_path / "cwd").mkdir()
    before = tree_digest(tmp_path)
    proc = dln(*args, "--workers", workers, cwd=tmp_path / "cwd")
    assert_refused(proc, f"--workers must be a positive integer, got {workers}")
    assert tree_digest(tmp_path) == before


def test_a_killed_worker_is_a_clean_error_and_the_run_resumes(tmp_path, solved):
    """SIGKILL one worker process mid-run: status 1 with one line, then --resume
    finishes the run with the points of an uninterrupted one."""
    full = solved((2, 2, 2), 5)
    folder = tmp_path / "run"
    proc = start_dln("solve", 2, 2, 2, "--seed", 5, "--out", folder, "--quiet",
                     "--workers", 2)
    try:
        # The pool's processes are the children of its forkserver, a child of the run.
        def workers():
            return [w for child in children(proc.pid) for w in children(child)]

        wait_until(lambda: count_paths(folder) > 0 and len(workers()) >= 2, proc,
                   "the workers tracked paths")
        os.kill(workers()[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        kill_group(proc)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1] == ("dln-regen: error: a worker process died; the run folder keeps "
                         "every path tracked so far (finish it with --resume)")
    assert out == ""
    assert not (folder / "summary.json").exists() and (folder / STORE).exists()
    before = stored_paths(folder)
    helpers.assert_same_run(dln("run", "--resume", folder, "--json"), folder, full)
    after = stored_paths(folder)
    assert all(after[key] == row for key, row in before.items())


def test_ctrl_c_is_one_line_naming_the_command_that_finishes_the_run(tmp_path, solved):
    """Ctrl-C on a terminal signals the run and its workers alike: one line, status
    130, no worker's traceback; the command it names finishes the run."""
    full = solved((2, 2, 2), 5)
    folder = tmp_path / "run"
    proc = start_dln("solve", 2, 2, 2, "--seed", 5, "--out", folder, "--workers", 2)
    try:
        # The first paths are tracked here while the workers start: the signal
        # may well find a worker starting.
        wait_until(lambda: count_paths(folder) > 0, proc, "paths were stored")
        os.killpg(proc.pid, signal.SIGINT)  # the whole group, as a terminal does
        out, err = proc.communicate(timeout=300)
    finally:
        kill_group(proc)
    command = f"dln-regen solve 2 2 2 --out {folder} --resume"
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [
        "dln-regen: error: interrupted; the run folder keeps every path tracked so "
        f"far: finish it with '{command}'"
    ]
    assert out == ""
    assert "interrupted after" in (folder / "run.log").read_text()
    resumed = dln(*command.split()[1:], "--json")
    helpers.assert_same_run(resumed, folder, full)
