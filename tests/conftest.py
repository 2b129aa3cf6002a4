"""Shared real runs: every expensive Bertini run is made once per session.

``solved(widths, seed)`` runs ``dln-regen solve ... --seed S --json --out DIR`` the
first time it is asked for and hands the same result to every later test, so
test_cli (counts) and test_runner (points.jsonl) share the (2,2,2) runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import dln, one_json_object


@dataclass
class Run:
    args: tuple
    summary: dict
    folder: Path
    stderr: str
    seconds: float  # wall-clock time of the whole command, for the report only


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    """A scratch working directory for the command line (never the repository)."""
    return tmp_path_factory.mktemp("cwd")


# Every shared run of the session, by its arguments: a Run, or why it failed (a
# failed run is reported to each test that needs it, not made again).
SHARED_RUNS: dict[tuple, "Run | str"] = {}


def _runner(tmp_path_factory, workdir):
    def run(*args) -> Run:
        key = tuple(map(str, args))
        if key not in SHARED_RUNS:
            out = tmp_path_factory.mktemp("run") / "out"
            t0 = time.perf_counter()
            proc = dln(*key, "--json", "--out", out, cwd=workdir)
            seconds = time.perf_counter() - t0
            if proc.returncode != 0 or "Traceback" in proc.stderr:
                SHARED_RUNS[key] = (f"dln-regen {' '.join(key)} exited with "
                                    f"{proc.returncode}:\n{proc.stderr}")
            else:
                SHARED_RUNS[key] = Run(key, one_json_object(proc.stdout), out, proc.stderr,
                                       seconds)
        found = SHARED_RUNS[key]
        if isinstance(found, str):
            pytest.fail(found)
        return found

    return run


def pytest_terminal_summary(terminalreporter):
    """The wall-clock time of each shared run, to keep the suite's budget in view."""
    if not SHARED_RUNS:
        return
    terminalreporter.section("shared dln-regen runs")
    for key, found in SHARED_RUNS.items():
        if isinstance(found, str):
            terminalreporter.write_line(f"  FAILED  dln-regen {' '.join(key)}")
            continue
        s = found.summary
        terminalreporter.write_line(
            f"{found.seconds:8.1f} s  dln-regen {' '.join(key)}: "
            f"{s['critical_points']} points, {s['paths_tracked']} paths, "
            f"{s['failures']} failures"
        )


@pytest.fixture(scope="session")
def dln_json(tmp_path_factory, workdir):
    """``dln_json('run', folder, '--seed', 1)``: a cached ``--json --out`` run."""
    return _runner(tmp_path_factory, workdir)


@pytest.fixture(scope="session")
def solved(dln_json):
    """``solved((2, 2, 2), seed)``: the cached ``dln-regen solve`` of those widths."""

    def solve(widths, seed, *extra) -> Run:
        return dln_json("solve", *widths, "--seed", seed, *extra)

    return solve


@pytest.fixture(scope="session")
def problem_121(tmp_path_factory):
    """The (1,2,1) network of data seed 2 as a Problem: nine critical points in a second."""
    from dln_regen.bertini_io import read_problem, write_input_folder
    from dln_regen.network import DeepLinearNetwork
    from dln_regen.trackers.bertini2 import degrees_of

    folder = tmp_path_factory.mktemp("in") / "D_1_2_1"
    write_input_folder(DeepLinearNetwork((1, 2, 1), 1, 2), folder)
    return read_problem(folder, degrees_of)
