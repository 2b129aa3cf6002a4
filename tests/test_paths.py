"""dln_regen.paths: which tracked paths deserve a second, adaptive-precision try."""

import numpy as np
import pytest

from dln_regen.paths import Outcome, PathResult


@pytest.mark.parametrize(
    "outcome, cycle, retrack",
    [(Outcome.FAILED, 1, True), (Outcome.FAILED, 3, True), (Outcome.SINGULAR, 1, True),
     (Outcome.SINGULAR, 2, False), (Outcome.SUCCESS, 1, False), (Outcome.AT_INFINITY, 1, False)],
)
def test_needs_retrack(outcome, cycle, retrack):
    point = np.zeros(2) if outcome is Outcome.SUCCESS else None
    result = PathResult(outcome, point, 1.0, False, 0.0, cycle)
    assert result.needs_retrack is retrack
    assert result.is_success is (outcome is Outcome.SUCCESS)
