"""dln_regen.cli: the ``dln-regen`` command, run as a subprocess and with CliRunner.

The counts are the published ones (Crowley, Rodriguez, Weiker, Zoromski): every
critical point of a one-hidden-layer network uses a set S of hidden units (row j of
W1 and column j of W2 nonzero exactly for j in S), and there are 1, 8, 16 points for
|S| = 0, 1, 2 when d0 = d2 = 2; hence (2,2,2) -> 1 + 2*8 + 16 = 33 and
(2,3,2) -> 1 + 3*8 + 3*16 = 73.
"""

import ast
import itertools
import json
import re

import pytest
from click.testing import CliRunner

from dln_regen.bertini_io import EQUATIONS_FILE, OPTIONS_PY, TRACKING_FILE, write_input_folder
from dln_regen.cli import main
from dln_regen.network import DeepLinearNetwork

import helpers
from helpers import EXAMPLES, SEED_FOLDERS, SEEDS_222, needs_seed
from helpers import dln, hidden_units_pattern, one_json_object, partition_of, freeze

SUMMARY_KEYS = {"widths", "critical_points", "patterns", "paths_tracked", "failures",
                "seconds", "seed"}


def expected_partition(widths, per_size):
    """``{pattern: count}`` over subsets S of hidden units, ``per_size[|S|]`` each."""
    d1 = widths[1]
    out = {}
    for size, count in enumerate(per_size):
        for active in itertools.combinations(range(d1), size):
            if count:
                out[freeze(hidden_units_pattern(widths, set(active)))] = count
    return out


def check_shapes(summary):
    widths = summary["widths"]
    for item in summary["patterns"]:
        mats = item["weights"]
        assert len(mats) == len(widths) - 1
        for k, mat in enumerate(mats, start=1):  # W1 first: W_k is d_k x d_{k-1}
            assert len(mat) == widths[k], (k, mat)
            assert all(len(row) == widths[k - 1] for row in mat), (k, mat)
            assert all(v in (0, 1) for row in mat for v in row)


def check_summary(summary, widths, seed):
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["widths"] == list(widths)
    assert summary["seed"] == seed
    assert isinstance(summary["paths_tracked"], int) and summary["paths_tracked"] > 0
    assert isinstance(summary["failures"], int) and summary["failures"] >= 0
    assert isinstance(summary["seconds"], (int, float)) and summary["seconds"] > 0
    assert sum(p["count"] for p in summary["patterns"]) == summary["critical_points"]
    check_shapes(summary)


# -- counts --------------------------------------------------------------------------------


def test_solve_2_2(solved):
    summary = solved((2, 2), 1).summary
    check_summary(summary, (2, 2), 1)
    assert summary["critical_points"] == 1
    assert summary["patterns"] == [{"count": 1, "weights": [[[1, 1], [1, 1]]]}]


@pytest.mark.parametrize("seed", SEEDS_222)
def test_solve_2_2_2(solved, seed):
    summary = solved((2, 2, 2), seed).summary
    check_summary(summary, (2, 2, 2), seed)
    assert summary["critical_points"] == 33
    assert [p["count"] for p in summary["patterns"]] == [1, 8, 8, 16]
    parts = partition_of(summary)
    assert parts[freeze([[[0, 0], [0, 0]], [[0, 0], [0, 0]]])] == 1
    assert parts[freeze([[[1, 1], [1, 1]], [[1, 1], [1, 1]]])] == 16
    assert parts == expected_partition((2, 2, 2), [1, 8, 16])


def test_solve_1_2_1(solved):
    summary = solved((1, 2, 1), 1).summary
    check_summary(summary, (1, 2, 1), 1)
    assert summary["critical_points"] == 9
    assert partition_of(summary) == expected_partition((1, 2, 1), [1, 4, 0])


def layered_partition(widths, per_sizes) -> dict:
    """``{pattern: count}`` over the sets of used units of every hidden layer, with
    ``per_sizes[(|S_1|, ..., |S_H|)]`` points each (absent sizes have none)."""
    choices = [
        [set(c) for size in range(width + 1) for c in itertools.combinations(range(width), size)]
        for width in widths[1:-1]
    ]
    out = {}
    for sets in itertools.product(*choices):
        count = per_sizes.get(tuple(len(s) for s in sets), 0)
        if count:
            out[freeze(hidden_units_pattern(widths, *sets))] = count
    return out


@pytest.mark.slow
def test_solve_2_2_2_2(solved):
    """The published third row: 641 = 1 + 4 * 32 + 2 * 64 + 384 (see table.png).

    A critical point uses a set of units in each hidden layer; one unit in each
    gives 32 points, one then two gives 64, two in both the full-support 384, and
    two then one none.
    """
    summary = solved((2, 2, 2, 2), 1).summary
    check_summary(summary, (2, 2, 2, 2), 1)
    assert summary["critical_points"] == 641
    assert sorted(p["count"] for p in summary["patterns"]) == [1, 32, 32, 32, 32, 64, 64, 384]
    assert partition_of(summary) == layered_partition(
        (2, 2, 2, 2), {(0, 0): 1, (1, 1): 32, (1, 2): 64, (2, 2): 384})


@pytest.mark.slow
def test_solve_2_3_2(solved):
    summary = solved((2, 3, 2), 1).summary
    check_summary(summary, (2, 3, 2), 1)
    assert summary["critical_points"] == 73
    assert partition_of(summary) == expected_partition((2, 3, 2), [1, 8, 16, 0])


def test_json_is_one_object_on_stdout(solved):
    run = solved((2, 2), 1)
    assert (run.folder / "summary.json").is_file()
    assert json.loads((run.folder / "summary.json").read_text())["critical_points"] == 1


def test_solve_prints_a_table_without_json(workdir):
    proc = dln("solve", 2, 2, "--seed", 5, cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "1 critical point for widths (d0..d1) = 2 2"
    assert "seed 5" in lines[1]
    assert "       1  [* *]" in lines
    folder = workdir / "dln-runs" / "D_2_2-seed5"
    assert str(folder.relative_to(workdir)) in proc.stdout  # says where the run is
    assert json.loads((folder / "summary.json").read_text())["critical_points"] == 1
    assert (folder / "input" / EQUATIONS_FILE).is_file()


def test_solve_without_a_seed_draws_and_records_one(tmp_path):
    first = one_json_object(dln("solve", 2, 2, "--json", "--out", tmp_path / "a").stdout)
    seed = first["seed"]
    assert isinstance(seed, int)
    assert json.loads((tmp_path / "a" / "run.json").read_text())["seed"] == seed
    again = one_json_object(
        dln("solve", 2, 2, "--seed", seed, "--json", "--out", tmp_path / "b").stdout)
    assert again["seed"] == seed
    assert helpers.same_point_sets(helpers.read_points(tmp_path / "a"),
                                   helpers.read_points(tmp_path / "b"), tol=1e-10)


# -- input folders ---------------------------------------------------------------------------


def test_run_example_agrees_with_solve(dln_json, solved):
    """examples/D_2_2_2 was generated with seed 222: the same system as solve --seed 222."""
    run = dln_json("run", EXAMPLES / "D_2_2_2", "--seed", 222)
    solve = solved((2, 2, 2), 222)
    assert run.summary["critical_points"] == solve.summary["critical_points"] == 33
    assert run.summary["patterns"] == solve.summary["patterns"]
    assert run.summary["widths"] == [2, 2, 2]
    assert helpers.same_point_sets(helpers.read_points(run.folder),
                                   helpers.read_points(solve.folder))
    for path in (EXAMPLES / "D_2_2_2").iterdir():
        assert (run.folder / "input" / path.name).read_bytes() == path.read_bytes()


@needs_seed
def test_run_the_seed_folder(dln_json):
    run = dln_json("run", SEED_FOLDERS / "D_2_2_2", "--seed", 1)
    summary = run.summary
    assert summary["critical_points"] == 33
    assert [p["count"] for p in summary["patterns"]] == [1, 8, 8, 16]
    assert partition_of(summary) == expected_partition((2, 2, 2), [1, 8, 16])
    assert summary["exploration_order"] == "depthFirst"
    check_shapes(summary)
    replay = json.loads((run.folder / "run.json").read_text())
    assert replay["problem"]["renamed"] == [["ii", "c_ii"]]
    # The input is kept as it was written, `ii` and all.
    for path in (SEED_FOLDERS / "D_2_2_2").iterdir():
        assert (run.folder / "input" / path.name).read_bytes() == path.read_bytes()


@needs_seed
def test_points_of_the_seed_folder_solve_its_equations(dln_json):
    """The residual recomputed from the seed's own constants (Lam = lam, ii = I)."""
    run = dln_json("run", SEED_FOLDERS / "D_2_2_2", "--seed", 1)
    x, y, lam = helpers.data_from_equations(
        (SEED_FOLDERS / "D_2_2_2" / EQUATIONS_FILE).read_text(), (2, 2, 2))
    points = helpers.read_points(run.folder)
    assert len(points) == 33
    for point in points:
        assert helpers.relative_residual(point.weights, x, y, lam) < helpers.RESIDUAL_LIMIT
    assert helpers.closest_pair(points) > helpers.SAME_POINT


def test_run_default_folder_and_fresh_seed(tmp_path):
    folder = write_input_folder(DeepLinearNetwork((2, 2), seed=8), tmp_path / "D_2_2")
    proc = dln("run", folder, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = one_json_object(proc.stdout)
    assert summary["critical_points"] == 1
    out = tmp_path / "dln-runs" / f"run-D_2_2-seed{summary['seed']}"
    assert (out / "points.jsonl").is_file() and (out / "input" / OPTIONS_PY).is_file()


def examples_recipe(folder):
    """widths, seed and samples recorded in an example's inputFile.py."""
    values = {}
    for node in ast.parse((folder / OPTIONS_PY).read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values["widths"], values["seed"], values["samples"]


@pytest.mark.parametrize("name", ["D_2_2_2", "D_2_2_2_2"])
def test_examples_are_written_by_generate(tmp_path, name):
    widths, seed, samples = examples_recipe(EXAMPLES / name)
    assert name == "D_" + "_".join(map(str, widths))
    out = tmp_path / name
    proc = dln("generate", *widths, "--seed", seed, "--samples", samples, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"wrote {out} (seed {seed})"
    want = sorted(p.name for p in (EXAMPLES / name).iterdir())
    assert sorted(p.name for p in out.iterdir()) == want
    for file_name in want:
        assert (out / file_name).read_bytes() == (EXAMPLES / name / file_name).read_bytes()


def test_generate_default_folder(tmp_path):
    proc = dln("generate", 1, 2, 1, "--seed", 3, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "wrote D_1_2_1 (seed 3)"
    assert "seed = 3" in (tmp_path / "D_1_2_1" / OPTIONS_PY).read_text()


# -- bad input -------------------------------------------------------------------------------


def generated_folder(tmp_path):
    return write_input_folder(DeepLinearNetwork((2, 2, 2), seed=3), tmp_path / "D_2_2_2")


def no_equations(tmp_path):
    folder = generated_folder(tmp_path)
    (folder / EQUATIONS_FILE).unlink()
    return folder


def unparsable(tmp_path):
    folder = generated_folder(tmp_path)
    text = (folder / EQUATIONS_FILE).read_text()
    (folder / EQUATIONS_FILE).write_text(text.replace("Fw1_4 = ", "Fw1_4 = (w1_1 + * "))
    return folder


def wrong_degrees(tmp_path):
    folder = generated_folder(tmp_path)
    text = (folder / OPTIONS_PY).read_text()
    text = re.sub(r"^degrees = .*$", f"degrees = {[[1, 2]] * 4 + [[2, 1]] * 4}", text,
                  flags=re.M)
    (folder / OPTIONS_PY).write_text(text)
    return folder


def unknown_option(tmp_path):
    folder = generated_folder(tmp_path)
    with open(folder / TRACKING_FILE, "a") as out:
        out.write("SampleFactor : 0.5;\n")
    return folder


def aborting_predictor(tmp_path):
    folder = generated_folder(tmp_path)
    with open(folder / TRACKING_FILE, "a") as out:
        out.write("ODEPredictor : 1;\n")  # Heun: Bertini 2 aborts the process
    return folder


def missing(tmp_path):
    return tmp_path / "no-such-folder"


BAD_INPUT = [
    (["solve", "2"], "at least two widths"),
    (["solve", "0", "2"], "positive integers, got '0'"),
    (["solve", "2", "x"], "positive integers, got 'x'"),
    # numpy refuses negative seeds, Bertini's generator those past 64 bits.
    (["solve", "2", "2", "--seed", "-1"], "'--seed': -1 is not in the range"),
    (["generate", "2", "2", "--seed", str(2**64)], f"'--seed': {2**64} is not in the range"),
    (missing, "no such input folder"),
    (no_equations, f"no {EQUATIONS_FILE}"),
    (unparsable, "Bertini cannot parse the equations"),
    (wrong_degrees, "degrees do not match the equations: Fw2_1 has degrees [2, 1], "
                    "degrees says [1, 2]"),
    (unknown_option, "unknown option 'SampleFactor'"),
    (aborting_predictor, "ODEPredictor 1 is not available with Bertini 2"),
]
BAD_IDS = ["solve-2", "solve-0-2", "solve-2-x", "solve-negative-seed", "generate-huge-seed", "run-missing", "run-no-equations",
           "run-unparsable", "run-wrong-degrees", "run-unknown-option",
           "run-aborting-predictor"]


def bad_args(case, tmp_path):
    if callable(case):
        return ["run", str(case(tmp_path)), "--seed", "1", "--out", str(tmp_path / "out")]
    return case


@pytest.mark.parametrize("case, message", BAD_INPUT, ids=BAD_IDS)
def test_bad_input_is_one_line_and_status_2(tmp_path, case, message):
    args = bad_args(case, tmp_path)
    proc = dln(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dln-regen: error: ")
    assert message in lines[0]
    assert proc.stdout == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "dln-runs").exists()


@pytest.mark.parametrize("case, message", BAD_INPUT, ids=BAD_IDS)
def test_bad_input_with_cli_runner(tmp_path, monkeypatch, case, message):
    args = bad_args(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert message in result.stderr
    assert isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out").exists() and not (tmp_path / "dln-runs").exists()


def test_unknown_command_and_option_are_usage_errors():
    for args in (["frobnicate"], ["solve", "2", "2", "--bogus"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_version_and_help():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "0.1.0" in result.output
    result = CliRunner().invoke(main, ["solve", "--help"])
    assert result.exit_code == 0 and "--seed" in result.output and "--json" in result.output


def test_a_layer_of_ten_weights_is_solved(tmp_path):
    # (2,5): W1 has ten entries, so names are zero-padded (w1_01 ... w1_10).
    run = helpers.dln("solve", "2", "5", "--seed", "1", "--json", "--out", str(tmp_path / "r"))
    assert run.returncode == 0, run.stderr
    assert helpers.one_json_object(run.stdout)["critical_points"] == 1


def test_a_finished_run_is_read_back_from_its_default_folder(tmp_path):
    """``solve ... --seed S --resume`` finds the run folder the seed names."""
    first = dln("solve", 2, 2, "--seed", 3, "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = dln("solve", 2, 2, "--seed", 3, "--json", cwd=tmp_path)
    assert again.returncode == 2 and "--resume" in again.stderr
    back = dln("solve", 2, 2, "--seed", 3, "--resume", "--json", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    summary = one_json_object(back.stdout)
    assert summary["critical_points"] == one_json_object(first.stdout)["critical_points"] == 1
    assert summary["paths_tracked"] == one_json_object(first.stdout)["paths_tracked"]


def test_a_folder_of_other_files_is_not_written_into(tmp_path):
    """--out naming a folder that holds other files is refused, and left as it was."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "draft.txt").write_text("mine\n")
    proc = dln("solve", 2, 2, "--seed", 1, "--out", notes, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not a run" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in notes.iterdir()) == ["draft.txt"]


@needs_seed
def test_a_run_of_an_input_folder_is_resumed_with_run(tmp_path):
    """The run of a folder and the network's own run get different default folders,
    and solve --resume on the run of a hand-written folder (no widths recorded)
    says which command resumes it."""
    ran = dln("run", SEED_FOLDERS / "D_2_2_2", "--seed", 3, "--json", "--quiet",
              cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    folder = one_json_object(ran.stdout)["run_folder"]
    assert folder == "dln-runs/run-D_2_2_2-seed3"
    proc = dln("solve", 2, 2, 2, "--out", folder, "--resume", cwd=tmp_path)
    assert proc.returncode == 2
    assert f"dln-regen run {folder} --resume" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
