"""dln_regen.graph: pruning, distinct endpoints, and the graph explored with Bertini 2.

The real runs here solve small systems that are not networks, whose solutions are
known in closed form, through dln_regen.runner.solve_problem.
"""

import numpy as np
import pytest

from dln_regen.bertini_io import build_problem, read_tracking_options, read_variable_groups
from dln_regen.graph import RegenerationGraph, NodeKey, Tally, distinct, is_target, lower, reachable
from dln_regen.paths import Outcome, PathResult, Step
from dln_regen.problem import Problem, VariableGroup
from dln_regen.runner import solve_problem
from dln_regen.trackers.bertini2 import degrees_of

GROUPS = (VariableGroup(("a0", "a1", "a2"), True), VariableGroup(("b0", "b1"), True))


def problem_of(targets=((0, 0),), depth=None, degrees=((1, 1),) * 3):
    return Problem(groups=GROUPS, system_text="", function_names=("f", "g", "h"),
                   degrees=degrees, target_dimensions=targets, depth=depth)


# -- pruning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "depth, dims, expected",
    [(0, (2, 1), True),    # the start: 3 slices to trade for 3 equations
     (1, (2, 1), False),   # f passed through without trading: 3 slices, 2 equations left
     (1, (1, 1), True), (1, (2, 0), True),
     (2, (1, 1), False), (2, (0, 1), True), (2, (1, 0), True),
     (3, (0, 0), True), (3, (1, 0), False), (3, (0, 1), False),
     (2, (0, -1), False)],  # below the target in some group
)
def test_reachable_to_the_points(depth, dims, expected):
    assert reachable(problem_of(), depth, dims) is expected


def test_reachable_to_any_of_several_targets():
    problem = problem_of(targets=((0, 0), (1, 1)))
    assert reachable(problem, 1, (2, 1))  # 1 + 0 above (1, 1) with 2 equations left
    assert reachable(problem, 3, (1, 1))
    assert not reachable(problem, 3, (1, 0))
    assert not reachable(problem, 2, (2, 0))  # below (1, 1) in b, 2 above (0, 0) in a


def test_reachable_counts_only_the_equations_to_solve():
    problem = problem_of(targets=((1, 0),), depth=2)
    assert reachable(problem, 0, (2, 1))  # 2 slices to trade, 2 equations
    assert not reachable(problem, 1, (2, 1))
    assert reachable(problem, 2, (1, 0))
    assert not reachable(problem, 2, (0, 0))


def test_lower_and_is_target():
    assert lower((2, 1), 0) == (1, 1) and lower((2, 1), 1) == (2, 0)
    problem = problem_of(targets=((0, 0), (1, 0)))
    assert is_target(problem, (1, 0)) and is_target(problem, (0, 0))
    assert not is_target(problem, (0, 1))


def test_slice_steps_skip_unreachable_groups():
    """A slice step is built only when the lowered node can still reach the target."""
    problem = problem_of(degrees=((1, 1), (2, 1), (2, 3)))
    graph = RegenerationGraph(problem, tracker=None)
    batches = graph.slice_batches(NodeKey(2, (0, 1), (1, 1)), ["p"])
    # depth 2 has degrees (2, 3); both lowered nodes (0, 1) and (1, 0) are too far.
    assert batches == []
    batches = graph.slice_batches(NodeKey(2, (0, 1), (1, 0)), ["p"])
    keys = [key for key, _ in batches]
    assert [(k.step, k.group, k.linear) for k in keys] == [(Step.SLICE, 0, 0), (Step.SLICE, 0, 1)]
    assert all(points == ["p"] for _, points in batches)
    batches = graph.slice_batches(NodeKey(0, (), (2, 1)), ["p"])
    assert [(k.group, k.linear) for k, _ in batches] == [(0, 0), (1, 0)]


# -- distinct endpoints, tallies ------------------------------------------------------------


def test_distinct_drops_repeated_points_relative_to_their_size():
    a = np.array([1.0, 2.0 + 1j])
    big = np.array([1e4, 0.0])
    points = [a, a + 1e-9, np.array([1.0, 2.0]), big, big + 1e-3, big + 1.0]
    kept, repeated = distinct(points)
    assert repeated == 2
    assert len(kept) == 4
    assert kept[0] is a and kept[1] is points[2] and kept[2] is big and kept[3] is points[5]


def test_tally_counts_outcomes():
    tally = Tally()
    results = [PathResult(Outcome.SUCCESS, np.zeros(1), 1.0, False, 0.0),
               PathResult(Outcome.FAILED, None, 1.0, True, 0.0),
               PathResult(Outcome.SINGULAR, None, 1e20, True, 0.0, 2)]
    tally.add(results)
    tally.add(results[:1])
    assert tally.paths_tracked == 4 and tally.retracked == 2 and tally.failures == 1
    assert tally.outcomes[Outcome.SUCCESS] == 2 and tally.outcomes[Outcome.SINGULAR] == 1


# -- the graph explored with the real tracker ----------------------------------------------


def problem_from_text(text, **options):
    groups = read_variable_groups(text)
    return build_problem(text, groups, degrees_of(text, groups), read_tracking_options(""),
                         options, {})


TWO_LINES = (
    "hom_variable_group a0, a1;\nhom_variable_group b0, b1;\n"
    "function f, g;\nf = a1^2 - 4*a0^2;\ng = a1*b1 - a0*b0;\n"
)


def affine(point) -> list[complex]:
    return [complex(g[1] / g[0]) for g in point.groups]


@pytest.mark.parametrize("order", ["breadthFirst", "depthFirst"])
def test_two_projective_lines(order):
    """a^2 = 4 and a b = 1: the points (2, 1/2) and (-2, -1/2)."""
    result = solve_problem(problem_from_text(TWO_LINES, explorationOrder=order), seed=5)
    assert result.summary["critical_points"] == 2
    assert result.summary["exploration_order"] == order
    found = sorted((affine(p) for p in result.points), key=lambda ab: ab[0].real)
    for (a, b), (want_a, want_b) in zip(found, [(-2, -0.5), (2, 0.5)]):
        assert abs(a - want_a) < 1e-10 and abs(b - want_b) < 1e-10
    assert all(p.residual < 1e-10 for p in result.points)


def test_depth_solves_only_the_first_equations():
    """depth 1, target (0, 1): a^2 = 4 on the slice of the second line."""
    problem = problem_from_text(TWO_LINES, depth=1, targetDimensions=[[0, 1]])
    result = solve_problem(problem, seed=5)
    values = sorted(affine(p)[0].real for p in result.points)
    assert len(values) == 2
    assert abs(values[0] + 2) < 1e-10 and abs(values[1] - 2) < 1e-10


def test_singular_point_at_infinity_is_not_reported():
    """z1^2 = z0^2 and z1 z2 = 2 z0^2: two points, and [0:0:1] twice, singular."""
    text = ("hom_variable_group z0, z1, z2;\nfunction f, g;\n"
            "f = z1^2 - z0^2;\ng = z1*z2 - 2*z0^2;\n")
    result = solve_problem(problem_from_text(text), seed=2)
    assert result.summary["critical_points"] == 2
    points = sorted(((complex(p.groups[0][1] / p.groups[0][0]),
                      complex(p.groups[0][2] / p.groups[0][0])) for p in result.points),
                    key=lambda xy: xy[0].real)
    for (x, y), (want_x, want_y) in zip(points, [(-1, -2), (1, 2)]):
        assert abs(x - want_x) < 1e-10 and abs(y - want_y) < 1e-10


AFFINE_SYSTEMS = [
    ("variable_group x, y;\nfunction f, g;\nf = x^2 + y^2 - 5;\ng = x*y - 2;\n",
     [(-2, -1), (-1, -2), (1, 2), (2, 1)]),
    ("variable_group x;\nvariable_group y;\nfunction f, g;\nf = x^2 - 1;\ng = x*y - 2;\n",
     [(-1, -2), (1, 2)]),
]


@pytest.mark.parametrize("text, solutions", AFFINE_SYSTEMS, ids=["one-group", "two-groups"])
def test_affine_groups(text, solutions):
    """The README: the engine solves any system in the input format, with projective
    or affine groups."""
    result = solve_problem(problem_from_text(text), seed=5)
    found = []
    for p in result.points:
        flat = np.concatenate(p.groups)
        found.append(tuple(complex(v) for v in flat))
    found = sorted(found, key=lambda v: tuple(z.real for z in v))
    assert len(found) == len(solutions)
    for got, want in zip(found, solutions):
        assert np.allclose(got, want, atol=1e-10)


def network_problem(tmp_path, seed, **options):
    """The (2,2,2) network's input folder, with extra driver options, read back."""
    from dln_regen.bertini_io import read_problem, write_input_folder
    from dln_regen.network import DeepLinearNetwork

    folder = write_input_folder(DeepLinearNetwork((2, 2, 2), 1, seed), tmp_path / "in")
    with open(folder / "inputFile.py", "a") as out:
        for name, value in options.items():
            out.write(f"{name} = {value!r}\n")
    return read_problem(folder, degrees_of)


def test_torus_pruning_keeps_only_full_support_points(tmp_path):
    problem = network_problem(tmp_path, 3, algebraicTorusVariableGroups=[0, 1])
    result = solve_problem(problem, 3)
    assert result.summary["critical_points"] == 16
    assert all(all(v for m in p.pattern for row in m for v in row) for p in result.points)


def test_nonzero_coordinate_prunes_points_where_it_vanishes(tmp_path):
    # w1_1 is W1[0, 0]; of the 33 points, 1 + 8 have it zero (all zero, and the
    # pattern whose first hidden unit is off).
    problem = network_problem(tmp_path, 3, nonzeroCoordinates=["w1_1"])
    result = solve_problem(problem, 3)
    assert result.summary["critical_points"] == 24
    assert all(p.pattern[0][0][0] == 1 for p in result.points)


def test_unknown_nonzero_coordinate_is_refused(tmp_path):
    from dln_regen.errors import InputError

    problem = network_problem(tmp_path, 3, nonzeroCoordinates=["w9_9"])
    with pytest.raises(InputError, match="w9_9"):
        solve_problem(problem, 3)
