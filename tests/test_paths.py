"""Which tracked paths a pass settles, and which go on to the next pass."""

import numpy as np
import pytest

from dln_regen.paths import Outcome, PathResult
from dln_regen.trackers.bertini2 import Pass, settled

FAST = Pass("double", "powerseries", {}, 0.25, confirms=True)
SCREENING = Pass("double", "powerseries", {}, 0.25, confirms=False, settles_stalls=True)


@pytest.mark.parametrize(
    "outcome, cycle, cond, code, step, final",
    [
        (Outcome.FAILED, 1, 0.0, "NeverStarted", FAST, False),
        (Outcome.FAILED, 0, 0.0, "NeverStarted", SCREENING, False),
        (Outcome.SINGULAR, 0, 0.0, "MinStepSizeReached", SCREENING, True),
        (Outcome.SINGULAR, 1, 1e13, "", FAST, False),  # could be ill-conditioned
        (Outcome.SINGULAR, 1, 1e17, "", FAST, True),  # singular to double precision
        (Outcome.SINGULAR, 2, 1e13, "", FAST, True),  # a winding number above one
        (Outcome.SUCCESS, 1, 10.0, "", FAST, True),
        (Outcome.SUCCESS, 1, 10.0, "", SCREENING, False),  # loose tolerance
        (Outcome.AT_INFINITY, 1, 10.0, "", FAST, True),
    ],
)
def test_settled(outcome, cycle, cond, code, step, final):
    point = np.zeros(2) if outcome is Outcome.SUCCESS else None
    result = PathResult(outcome, point, cond, False, 0.0, cycle, code)
    assert settled(result, step) is final
    assert result.is_success is (outcome is Outcome.SUCCESS)


def test_adaptive_pass_settles_all_but_failures():
    adaptive = Pass("adaptive", "powerseries", {}, 3.0, confirms=True, precise=True)
    singular = PathResult(Outcome.SINGULAR, None, 1e13, True, 0.0, 1)
    failed = PathResult(Outcome.FAILED, None, 0.0, True, 3.0, 0, "NeverStarted")
    assert settled(singular, adaptive)
    assert not settled(failed, adaptive)
