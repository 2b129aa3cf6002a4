"""dln_regen.report: sparsity patterns, the partition and the summary."""

import numpy as np
import pytest

from dln_regen.bertini_io import read_problem, write_input_folder
from dln_regen.network import DeepLinearNetwork
from dln_regen.problem import Problem, VariableGroup
from dln_regen.report import (
    critical_point,
    draw_pattern,
    infer_widths,
    is_at_infinity,
    partition,
    render_summary,
)
from dln_regen.trackers.bertini2 import degrees_of

from helpers import EXAMPLES, SEED_FOLDERS, SEEDS_222, needs_seed

ZERO_W = ((0, 0), (0, 0))
FULL_W = ((1, 1), (1, 1))


def test_draw_pattern_puts_the_last_layer_first():
    # W1 uses only hidden unit 2 (second row), W2 only its second column.
    pattern = (((0, 0), (1, 1)), ((0, 1), (0, 1)))
    assert draw_pattern(pattern) == ["[0 *]  [0 0]", "[0 *]  [* *]"]


def test_draw_pattern_of_unequal_shapes():
    pattern = (((1,), (0,)), ((1, 0),))  # widths (1, 2, 1): W1 is 2 x 1, W2 is 1 x 2
    assert draw_pattern(pattern) == ["[* 0]  [*]", "       [0]"]


def test_partition_lists_sparsest_first():
    points = [critical_point(PROBLEM_222, point, 0.0) for point in POINTS_222]
    parts = partition(points)
    assert [count for _, count in parts] == [1, 2, 1]
    assert parts[0][0] == (ZERO_W, ZERO_W)
    assert parts[2][0] == (FULL_W, FULL_W)


PROBLEM_222 = read_problem(EXAMPLES / "D_2_2_2", degrees_of)


def coordinates(w1, w2, h1=1.0, h2=1.0):
    """Projective coordinates of W1, W2 (entries column by column)."""
    g1 = np.concatenate([[h1], h1 * np.asarray(w1, dtype=complex).T.ravel()])
    g2 = np.concatenate([[h2], h2 * np.asarray(w2, dtype=complex).T.ravel()])
    return np.concatenate([g1, g2])


POINTS_222 = [
    coordinates(np.zeros((2, 2)), np.zeros((2, 2)), 2.0, 1j),
    coordinates([[1, 2], [3, 4]], [[5, 6], [7, 8]]),
    coordinates([[0, 0], [3, 4]], [[0, 6], [0, 8]], 0.5),
    coordinates([[1e-11, 0], [3, 4]], [[0, 6], [0, 8]]),  # 1e-11 counts as zero
]


def test_critical_point_dehomogenizes_column_by_column():
    w1 = np.array([[1, 2], [3, 4]])
    w2 = np.array([[5j, 0], [7, 8]])
    point = critical_point(PROBLEM_222, coordinates(w1, w2, 2.0, -1.0), 1e-13)
    assert np.allclose(point.weights[0], w1) and np.allclose(point.weights[1], w2)
    assert point.pattern == (FULL_W, ((1, 0), (1, 1)))
    data = point.to_json(4)
    assert data["index"] == 4 and data["residual"] == 1e-13
    assert data["weights"][1][0] == [[0.0, 5.0], [0.0, 0.0]]
    assert data["pattern"] == [[[1, 1], [1, 1]], [[1, 0], [1, 1]]]
    assert len(data["groups"]) == 2 and len(data["groups"][0]) == 5


def test_critical_point_of_a_non_square_network(tmp_path):
    net = DeepLinearNetwork((1, 3, 2))
    problem = read_problem(write_input_folder(net, tmp_path), degrees_of)
    w1 = np.array([[1], [0], [3]])  # 3 x 1
    w2 = np.array([[1, 0, 2], [4, 0, 6]])  # 2 x 3
    g1 = np.concatenate([[1], w1.T.ravel()])
    g2 = np.concatenate([[1], w2.T.ravel()])
    point = critical_point(problem, np.concatenate([g1, g2]).astype(complex), 0.0)
    assert point.weights[0].shape == (3, 1) and point.weights[1].shape == (2, 3)
    assert np.allclose(point.weights[1], w2)
    assert point.pattern == (((1,), (0,), (1,)), ((1, 0, 1), (1, 0, 1)))


@needs_seed
def test_infer_widths():
    assert PROBLEM_222.widths == (2, 2, 2) and infer_widths(PROBLEM_222) == (2, 2, 2)
    seed = read_problem(SEED_FOLDERS / "D_2_2_2_2", degrees_of)
    assert seed.widths is None and infer_widths(seed) == (2, 2, 2, 2)
    other = Problem(groups=(VariableGroup(("a0", "a1"), True),), system_text="",
                    function_names=("f",), degrees=((1,),), target_dimensions=((0,),))
    assert infer_widths(other) is None


def test_is_at_infinity():
    groups = [np.array([1e-12, 1, 2]), np.array([1, 0])]
    problem = Problem(groups=(VariableGroup(("a0", "a1", "a2"), True),
                              VariableGroup(("x", "y"), False)),
                      system_text="", function_names=("f",), degrees=((1, 1),),
                      target_dimensions=((1, 1),))
    assert is_at_infinity(problem, groups)
    groups[0][0] = 1e-3
    assert not is_at_infinity(problem, groups)


@pytest.mark.parametrize("seed", SEEDS_222[:1])
def test_render_summary_of_a_real_run(solved, seed):
    data = solved((2, 2, 2), seed).summary
    text = render_summary(data)
    lines = text.splitlines()
    assert lines[0] == "33 critical points for widths (d0..d2) = 2 2 2"
    assert f"seed {seed}" in lines[1] and f"failures {data['failures']}" in lines[1]
    assert "matrices W2 W1" in text
    rows = [line for line in lines if line[:8].strip().isdigit()]
    assert [int(line[:8]) for line in rows] == [1, 8, 8, 16]
    assert rows[0] == "       1  [0 0]  [0 0]" and rows[-1] == "      16  [* *]  [* *]"
