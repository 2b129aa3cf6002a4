"""dln_regen.slicing: the random linear data of one regeneration."""

import numpy as np

from dln_regen.bertini_io import read_problem
from dln_regen.problem import Problem, VariableGroup
from dln_regen.slicing import Slicing
from dln_regen.trackers.bertini2 import degrees_of

from helpers import EXAMPLES


def test_slices_pass_through_the_start_point():
    problem = read_problem(EXAMPLES / "D_2_2_2", degrees_of)
    slicing = Slicing.draw(problem, seed=3)
    assert [len(s) for s in slicing.slices] == [4, 4]  # one per dimension of each group
    assert [len(r) for r in slicing.degree_linears] == [2, 2]  # the largest degrees
    for point, forms in zip(slicing.start_point, slicing.slices):
        for form in forms:
            assert form.constant == 0  # projective groups: homogeneous forms
            assert abs(form(point)) < 1e-12 * np.max(abs(form.coefficients))
    # The degree linears are generic: they do not vanish at the start point.
    for point, forms in zip(slicing.start_point, slicing.degree_linears):
        assert all(abs(form(point)) > 1e-6 for form in forms)
    assert slicing.start_coordinates().shape == (10,)


def test_same_seed_same_draw():
    problem = read_problem(EXAMPLES / "D_2_2_2", degrees_of)
    a, b, c = (Slicing.draw(problem, s) for s in (3, 3, 4))
    assert np.array_equal(a.start_coordinates(), b.start_coordinates())
    assert np.array_equal(a.slices[1][2].coefficients, b.slices[1][2].coefficients)
    assert not np.allclose(a.start_coordinates(), c.start_coordinates())


def test_affine_groups_get_affine_forms():
    problem = Problem(groups=(VariableGroup(("x", "y"), False),), system_text="",
                      function_names=("f", "g"), degrees=((2,), (3,)),
                      target_dimensions=((0,),))
    slicing = Slicing.draw(problem, seed=1)
    (point,) = slicing.start_point
    assert len(slicing.slices[0]) == 2 and len(slicing.degree_linears[0]) == 3
    for form in slicing.slices[0]:
        assert form.constant != 0 and abs(form(point)) < 1e-12
    assert all(form.constant != 0 for form in slicing.degree_linears[0])
