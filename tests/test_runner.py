"""dln_regen.runner: run folders, and every reported point checked independently.

The residual of each point of points.jsonl is recomputed here with numpy (see
helpers.gradient) from the data of DeepLinearNetwork(widths, samples, seed) and the
dehomogenized weights stored in the file.
"""

import json

import numpy as np
import pytest

from dln_regen.bertini_io import EQUATIONS_FILE, read_problem, write_input_folder
from dln_regen.network import DeepLinearNetwork
from dln_regen.problem import Problem
from dln_regen.errors import RunStoreError
from dln_regen.runner import (
    POINTS_FILE,
    RUN_FILE,
    SUMMARY_FILE,
    check_run_folder,
    solve_problem,
)
from dln_regen.trackers.bertini2 import degrees_of

import helpers
from helpers import SEEDS_222

# (widths, seed, samples): the runs whose points are checked; the (2,2,2) ones are
# the same runs test_cli counts (shared through the session fixture `solved`).
RUNS = [((2, 2), 1, 1), ((2, 2), 4, 2), ((1, 2, 1), 1, 1), ((1, 2, 1), 4, 2)]
RUNS += [((2, 2, 2), seed, 1) for seed in SEEDS_222]
SLOW_RUNS = [((2, 3, 2), 1, 1), ((2, 2, 2, 2), 1, 1)]
ALL_RUNS = RUNS + [pytest.param(*run, marks=pytest.mark.slow) for run in SLOW_RUNS]


def run_of(solved, widths, seed, samples):
    extra = ("--samples", samples) if samples != 1 else ()
    return solved(widths, seed, *extra)


def ids(run):
    return "-".join(map(str, run))


@pytest.mark.parametrize("widths, seed, samples", ALL_RUNS,
                         ids=[ids(r) for r in RUNS + SLOW_RUNS])
def test_every_point_solves_the_gradient_equations(solved, widths, seed, samples):
    run = run_of(solved, widths, seed, samples)
    data = DeepLinearNetwork(widths, samples, seed).data
    points = helpers.read_points(run.folder)
    assert len(points) == run.summary["critical_points"] > 0
    assert [p.index for p in points] == list(range(len(points)))
    worst = 0.0
    for point in points:
        assert [w.shape for w in point.weights] == [
            (widths[k], widths[k - 1]) for k in range(1, len(widths))]
        residual = helpers.relative_residual(point.weights, data.x, data.y, data.lam)
        worst = max(worst, residual)
        assert point.residual < helpers.RESIDUAL_LIMIT  # the residual the tool reports
    assert worst < helpers.RESIDUAL_LIMIT


@pytest.mark.parametrize("widths, seed, samples", ALL_RUNS,
                         ids=[ids(r) for r in RUNS + SLOW_RUNS])
def test_no_two_points_coincide(solved, widths, seed, samples):
    points = helpers.read_points(run_of(solved, widths, seed, samples).folder)
    assert helpers.closest_pair(points) > helpers.SAME_POINT


@pytest.mark.parametrize("widths, seed, samples", ALL_RUNS,
                         ids=[ids(r) for r in RUNS + SLOW_RUNS])
def test_points_are_consistent(solved, widths, seed, samples):
    """Patterns are the supports of the weights; coordinates dehomogenize to them;
    the partition of the summary counts the points' patterns."""
    run = run_of(solved, widths, seed, samples)
    points = helpers.read_points(run.folder)
    net = DeepLinearNetwork(widths, samples, seed)
    counts = {}
    for point in points:
        assert point.pattern == helpers.support_pattern(point.weights)
        assert [len(g) for g in point.groups] == [len(n) for n in net.group_names()]
        for mine, stored in zip(net.dehomogenized_weights(point.groups), point.weights):
            assert np.allclose(mine, stored, rtol=1e-12, atol=1e-14)
        key = helpers.freeze(point.pattern)
        counts[key] = counts.get(key, 0) + 1
    assert counts == helpers.partition_of(run.summary)


@pytest.mark.parametrize("widths, seed, samples", RUNS, ids=[ids(r) for r in RUNS])
def test_the_data_solved_is_the_networks(solved, widths, seed, samples):
    """The data used above is what the input folder of the run holds."""
    run = run_of(solved, widths, seed, samples)
    x, y, lam = helpers.data_from_equations(
        (run.folder / "input" / EQUATIONS_FILE).read_text(), widths, samples)
    data = DeepLinearNetwork(widths, samples, seed).data
    assert np.allclose(x, data.x, rtol=0, atol=1e-15)
    assert np.allclose(y, data.y, rtol=0, atol=1e-15)
    for mine, theirs in zip(lam, data.lam):
        assert np.allclose(mine, theirs, rtol=0, atol=1e-15)


def test_the_residual_check_sees_a_small_error(solved):
    """Moving one entry of a critical point by 1e-6 breaks the residual limit."""
    data = DeepLinearNetwork((2, 2, 2), 1, 1).data
    for point in helpers.read_points(solved((2, 2, 2), 1).folder):
        moved = [w.copy() for w in point.weights]
        moved[0][1, 0] += 1e-6 * max(1.0, float(np.max(abs(moved[0]))))
        assert helpers.relative_residual(moved, data.x, data.y, data.lam) > 1e-8
        if any(v for m in point.pattern for row in m for v in row):  # W = 0 is always critical
            other = DeepLinearNetwork((2, 2, 2), 1, 2).data  # another network's data
            assert helpers.relative_residual(point.weights, other.x, other.y, other.lam) > 1e-4


@pytest.mark.parametrize("seed", SEEDS_222)
def test_run_folder_files(solved, seed):
    run = solved((2, 2, 2), seed)
    """The README's run folder: summary.json, points.jsonl, run.json and input/."""
    assert {SUMMARY_FILE, POINTS_FILE, RUN_FILE, "input"} <= {
        p.name for p in run.folder.iterdir()}
    stored = json.loads((run.folder / SUMMARY_FILE).read_text())
    printed = dict(run.summary)
    assert printed.pop("run_folder") == str(run.folder)
    stored.pop("run_folder", None)
    assert stored == printed  # summary.json is the object --json prints
    replay = json.loads((run.folder / RUN_FILE).read_text())
    assert replay["seed"] == seed and replay["version"] == "0.1.0"
    problem = Problem.from_dict(replay["problem"])  # the whole problem, to replay
    assert problem == read_problem(run.folder / "input", degrees_of)
    assert problem.widths == (2, 2, 2)
    assert sum(1 for _ in open(run.folder / POINTS_FILE)) == 33


# -- the Python API --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def problem_121(tmp_path_factory):
    """Data seed 1, not conftest's 2: these tests compare with `solve 1 2 1 --seed 1`."""
    folder = tmp_path_factory.mktemp("in") / "D_1_2_1"
    write_input_folder(DeepLinearNetwork((1, 2, 1), 1, 1), folder)
    return read_problem(folder, degrees_of)


def test_solve_problem_api(problem_121, tmp_path):
    result = solve_problem(problem_121, seed=1, folder=tmp_path / "run")
    assert result.summary["critical_points"] == len(result.points) == 9
    assert [p["count"] for p in result.summary["patterns"]] == [1, 4, 4]
    assert result.folder == tmp_path / "run"
    assert {POINTS_FILE, RUN_FILE, SUMMARY_FILE} <= {p.name for p in result.folder.iterdir()}
    assert sum(1 for _ in open(result.folder / POINTS_FILE)) == 9
    data = DeepLinearNetwork((1, 2, 1), 1, 1).data
    for point in result.points:
        weights = [np.asarray(w) for w in point.weights]
        assert helpers.relative_residual(weights, data.x, data.y, data.lam) < 1e-8


def test_solve_problem_without_a_folder_is_reproducible(problem_121, solved):
    first = solve_problem(problem_121, seed=1)
    second = solve_problem(problem_121, seed=1)
    assert first.folder is None and "run_folder" not in first.summary
    assert len(first.points) == len(second.points) == 9
    for a, b in zip(first.points, second.points):  # the same points in the same order
        assert all(np.allclose(u, v, rtol=1e-12, atol=0) for u, v in zip(a.groups, b.groups))
    # The same points as `dln-regen solve 1 2 1 --seed 1`.
    cli_points = helpers.read_points(solved((1, 2, 1), 1).folder)
    api_points = [helpers.Point(i, [np.asarray(w) for w in p.weights], list(p.groups),
                                p.pattern, p.residual) for i, p in enumerate(first.points)]
    assert helpers.same_point_sets(api_points, cli_points, tol=1e-12)


@pytest.mark.parametrize(
    "record, described, command",
    [
        ({"seed": 3, "extra": {"samples": 1}, "problem": {"widths": [2, 2, 2]}},
         "(of widths 2 2 2, seed 3)", "dln-regen solve 2 2 2 --out {} --resume"),
        ({"seed": 7, "extra": {"input_folder": "seed/D_2_2_2"},
          "problem": {"widths": [2, 2, 2]}},
         "(of seed/D_2_2_2, seed 7)", "dln-regen run {} --resume"),
        (None, "already holds a run;", "dln-regen run {} --resume"),
    ],
    ids=["solve", "run", "unreadable"],
)
def test_an_existing_run_is_refused_with_the_command_that_finishes_it(
        tmp_path, record, described, command):
    """A run of a network finishes with solve, a run of a folder with run; a record
    that cannot be read still gets advice."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / SUMMARY_FILE).write_text("{}")
    (folder / RUN_FILE).write_text(json.dumps(record) if record else "{")
    with pytest.raises(RunStoreError) as refused:
        check_run_folder(folder, resume=False)
    assert described in str(refused.value)
    assert f"'{command.format(folder)}'" in str(refused.value)
