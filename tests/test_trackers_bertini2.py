"""dln_regen.trackers.bertini2: parsing, degrees and homotopies with Bertini 2 itself."""

import dataclasses
import re

import numpy as np
import pytest
import sympy

from dln_regen.bertini_io import (
    EQUATIONS_FILE,
    PREDICTORS,
    VARIABLES_FILE,
    read_function_names,
    read_problem,
    read_variable_groups,
    renamed_for_bertini2,
)
from dln_regen.errors import InputError
from dln_regen.network import DeepLinearNetwork
from dln_regen.paths import HomotopyKey, Outcome, PathResult, Step
from dln_regen.slicing import Slicing
from dln_regen.trackers.bertini2 import Bertini2Tracker, degrees_of, parse_system

from helpers import EXAMPLES, SEED_FOLDERS, needs_seed


def sympy_degrees(text: str) -> list[list[int]]:
    """Degrees of each function in each group, by sympy from the file's text alone."""
    groups = read_variable_groups(text)
    names = read_function_names(text)
    bodies = dict(re.findall(r"^\s*(\w+)\s*=\s*([^;]*);", text, flags=re.M))
    out = []
    for name in names:
        expr = sympy.sympify(bodies[name].replace("^", "**"))
        out.append([sympy.Poly(sympy.expand(expr), *map(sympy.Symbol, g.names)).total_degree()
                    for g in groups])
    return out


@pytest.mark.parametrize("widths", [(2, 2), (1, 2, 1), (2, 2, 2), (2, 3, 2), (2, 2, 2, 2)])
def test_bertini_degrees_agree_with_sympy_on_networks(widths):
    net = DeepLinearNetwork(widths, seed=1)
    text = net.variables_text() + net.equations_text()
    groups = read_variable_groups(text)
    assert degrees_of(text, groups) == net.multidegrees() == sympy_degrees(text)


@needs_seed
@pytest.mark.parametrize("name", ["D_2_2_2", "D_2_2_2_2"])
def test_bertini_degrees_agree_with_sympy_on_the_seed_files(name):
    folder = SEED_FOLDERS / name
    raw = (folder / VARIABLES_FILE).read_text() + "\n" + (folder / EQUATIONS_FILE).read_text()
    text, _ = renamed_for_bertini2(raw)
    assert degrees_of(text, read_variable_groups(text)) == sympy_degrees(text)


def test_degrees_in_affine_and_mixed_groups():
    text = ("variable_group x, y;\nhom_variable_group z0, z1;\nfunction f, g;\n"
            "f = x^3*y + z1*z0;\ng = x + 2;\n")
    groups = read_variable_groups(text)
    assert degrees_of(text, groups) == [[4, 2], [1, 0]] == sympy_degrees(text)


@pytest.mark.parametrize("body", ["x/y", "sin(x)", "x^(1/2)"])
def test_non_polynomials_are_refused(body):
    text = f"variable_group x, y;\nfunction f;\nf = {body};\n"
    with pytest.raises(InputError, match="polynomial"):
        degrees_of(text, read_variable_groups(text))


def test_parse_errors_are_input_errors():
    with pytest.raises(InputError, match="Bertini cannot parse the equations"):
        parse_system("variable_group x;\nfunction f;\nf = x**2+;\n")


def test_groups_must_match_the_text():
    text = "variable_group x;\nvariable_group y;\nfunction f;\nf = x*y;\n"
    one_group = read_variable_groups("variable_group x;")
    with pytest.raises(InputError, match="declares 1 groups"):
        degrees_of(text, one_group)


# -- the tracker on (2,2,2) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tracker():
    problem = read_problem(EXAMPLES / "D_2_2_2", degrees_of)
    return Bertini2Tracker(problem, Slicing.draw(problem, seed=7))


def test_start_point_lies_on_every_slice(tracker):
    start = tracker.start_point()
    parts = np.split(start, [5])
    for coords, forms in zip(parts, tracker.slicing.slices):
        for form in forms:
            assert abs(form(coords)) < 1e-12 * max(1, np.max(abs(coords)))
    # It is the drawn start point, rescaled onto the patch of each group.
    for coords, drawn in zip(parts, tracker.slicing.start_point):
        ratio = coords / drawn
        assert np.allclose(ratio, ratio[0])


def test_evaluate_is_the_equation(tracker):
    net = DeepLinearNetwork((2, 2, 2), seed=222)  # the data of examples/D_2_2_2
    point = np.random.default_rng(0).normal(size=10) + 1j
    values = {sympy.Symbol(n): complex(v) for n, v in net.constants()}
    names = [n for group in net.group_names() for n in group]
    values.update({sympy.Symbol(n): complex(v) for n, v in zip(names, point)})
    for depth, (_, expr) in enumerate(net.gradient()):
        want = complex(expr.xreplace(values))
        assert abs(tracker.evaluate(depth, point) - want) < 1e-12 * max(1, abs(want))


def test_a_slice_step_lands_on_its_degree_linear(tracker):
    """The first homotopy of the graph: the last slice of W1 moves to a degree linear."""
    dims = (4, 4)
    key = HomotopyKey(Step.SLICE, 0, (), dims, group=0, linear=1)
    (result,) = tracker.track(key, [tracker.start_point()])
    assert result.outcome is Outcome.SUCCESS
    w1, w2 = np.split(result.point, [5])
    degree_linear = tracker.slicing.degree_linears[0][1]
    assert abs(degree_linear(w1)) < 1e-10
    for j, form in enumerate(tracker.slicing.slices[0][:3]):  # the slices still held
        assert abs(form(w1)) < 1e-10, j
    for form in tracker.slicing.slices[1]:
        assert abs(form(w2)) < 1e-10
    # The moved slice no longer vanishes: the point did move.
    assert abs(tracker.slicing.slices[0][3](w1)) > 1e-6


def test_only_the_critical_points_are_judged_by_the_input_threshold(tracker):
    """CONDNUMTHRESHOLD (1e12 in the example) judges the last equation's endpoints;
    witness points on the way, which only start more paths, get more room."""
    n = tracker.problem.n_equations
    assert tracker.problem.tracking.condition_number_threshold == 1e12
    last = HomotopyKey(Step.EQUATION, n - 1, tuple(range(n - 1)), (0, 0))
    before = HomotopyKey(Step.EQUATION, n - 2, tuple(range(n - 2)), (1, 0))
    final_slice = HomotopyKey(Step.SLICE, n - 1, tuple(range(n - 1)), (1, 0), 0, 0)
    assert tracker.condition_threshold(last) == 1e12
    assert tracker.condition_threshold(before) == 1e14
    assert tracker.condition_threshold(final_slice) == 1e14
    assert all(p.condition_threshold == 1e12 for p in tracker._passes(last))


def test_the_loose_slice_pass_takes_only_endgame_failures(tracker):
    """A path that failed before its endgame goes untracked to adaptive precision;
    one whose endgame failed is tracked again, at the loose endgame tolerance."""
    key = HomotopyKey(Step.SLICE, 0, (), (4, 4), group=0, linear=1)
    start = tracker.start_point()
    before = PathResult(Outcome.FAILED, None, 0.0, False, 0.25, 0, "NeverStarted")
    stalled = dataclasses.replace(before, endgame_code="FailedToConverge")
    (passed_on, passed_settled), (tracked, tracked_settled) = tracker.track_pass(
        key, [start, start], 1, [before, stalled]
    )
    assert passed_on is before and not passed_settled
    assert tracked.outcome is Outcome.SUCCESS and tracked_settled  # sharpened
    assert tracked.retracked
    (first,) = tracker.track(key, [start])
    assert np.allclose(tracked.point, first.point, atol=1e-10)


@pytest.mark.parametrize("predictor", sorted(set(PREDICTORS.values())))
def test_every_accepted_predictor_tracks(tracker, predictor):
    """Each ODEPredictor the input may name is one Bertini 2 tracks with (two
    others abort the process) and lands where the default predictor does."""
    problem = tracker.problem
    tracking = dataclasses.replace(problem.tracking, predictor=predictor)
    other = Bertini2Tracker(
        dataclasses.replace(problem, tracking=tracking), tracker.slicing
    )
    key = HomotopyKey(Step.SLICE, 0, (), (4, 4), group=0, linear=1)
    (want,) = tracker.track(key, [tracker.start_point()])
    (got,) = other.track(key, [other.start_point()])
    assert got.outcome is Outcome.SUCCESS
    assert np.allclose(got.point, want.point, atol=1e-9)
