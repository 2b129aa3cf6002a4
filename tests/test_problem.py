"""dln_regen.problem: the typed problem and its checks."""

import dataclasses

import pytest

from dln_regen.bertini_io import read_problem
from dln_regen.errors import InputError
from dln_regen.problem import Problem, TrackingOptions, VariableGroup
from dln_regen.trackers.bertini2 import degrees_of

from helpers import EXAMPLES, SEED_FOLDERS, needs_seed

GROUPS = (VariableGroup(("a0", "a1", "a2"), True), VariableGroup(("y",), False))


def make(**changes):
    fields = dict(groups=GROUPS, system_text="", function_names=("f", "g", "h"),
                  degrees=((2, 0), (1, 1), (0, 1)), target_dimensions=((0, 0),))
    fields.update(changes)
    return Problem(**fields)


def test_dimensions_and_degrees():
    problem = make()
    assert GROUPS[0].dimension == 2 and GROUPS[1].dimension == 1
    assert problem.ambient_dimensions == (2, 1)
    assert problem.max_degrees == (2, 1)
    assert problem.n_equations == 3
    assert make(depth=2).n_equations == 2


@pytest.mark.parametrize("targets, named", [(((0,),), "has 1 entries"),
                                             (((3, 0),), "outside the ambient"),
                                             (((0, -1),), "outside the ambient")])
def test_target_dimensions_are_checked(targets, named):
    with pytest.raises(InputError, match=named):
        make(target_dimensions=targets)


def test_exploration_order_is_checked():
    with pytest.raises(InputError, match="explorationOrder"):
        make(exploration_order="randomly")


@pytest.mark.parametrize(
    "folder", [pytest.param(SEED_FOLDERS / "D_2_2_2", marks=needs_seed), EXAMPLES / "D_2_2_2_2"]
)
def test_dict_round_trip_and_fingerprint(folder):
    problem = read_problem(folder, degrees_of)
    again = Problem.from_dict(problem.to_dict())
    assert again == problem
    assert again.fingerprint() == problem.fingerprint()
    changed = dataclasses.replace(problem, tracking=TrackingOptions(final_tolerance=1e-12))
    assert changed.fingerprint() != problem.fingerprint()
