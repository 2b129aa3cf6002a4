"""Which tracked paths a pass settles, and which go on to the next pass."""

import numpy as np
import pytest

from dln_regen.paths import Outcome, PathResult
from dln_regen.trackers.bertini2 import Pass, settled

FAST = Pass("double", "powerseries", {}, 0.25, confirms=True)
LOOSE = Pass(
    "double", "powerseries", {}, 0.25,
    confirms=False, settles_stalls=True, sharpens=True,
)
ADAPTIVE = Pass("adaptive", "powerseries", {}, 3.0, confirms=True, precise=True)


@pytest.mark.parametrize(
    "outcome, cycle, cond, code, step, sharpened, final",
    [
        (Outcome.FAILED, 1, 0.0, "NeverStarted", FAST, False, False),
        (Outcome.FAILED, 0, 0.0, "NeverStarted", LOOSE, False, False),
        (Outcome.FAILED, 0, 0.0, "MatrixSolveFailure", FAST, False, False),
        (Outcome.FAILED, 0, 0.0, "MatrixSolveFailure", ADAPTIVE, False, True),
        (Outcome.FAILED, 0, 0.0, "WallClockLimitReached", ADAPTIVE, False, False),
        (Outcome.SINGULAR, 0, 0.0, "MinStepSizeReached", LOOSE, False, True),
        (Outcome.SINGULAR, 1, 1e13, "", FAST, False, False),  # could be ill-conditioned
        (Outcome.SINGULAR, 1, 1e17, "", FAST, False, True),  # singular in double
        (Outcome.SINGULAR, 2, 1e13, "", FAST, False, True),  # winding number 2
        (Outcome.SUCCESS, 1, 10.0, "", FAST, False, True),
        (Outcome.SUCCESS, 1, 10.0, "", LOOSE, False, False),  # loose tolerance only
        (Outcome.SUCCESS, 1, 10.0, "", LOOSE, True, True),  # then Newton converged
        (Outcome.AT_INFINITY, 1, 10.0, "", FAST, False, True),
    ],
)
def test_settled(outcome, cycle, cond, code, step, sharpened, final):
    point = np.zeros(2) if outcome is Outcome.SUCCESS else None
    result = PathResult(outcome, point, cond, False, 0.0, cycle, code)
    assert settled(result, step, sharpened) is final
    assert result.is_success is (outcome is Outcome.SUCCESS)


def test_adaptive_pass_settles_all_but_failures():
    adaptive = ADAPTIVE
    singular = PathResult(Outcome.SINGULAR, None, 1e13, True, 0.0, 1)
    failed = PathResult(Outcome.FAILED, None, 0.0, True, 3.0, 0, "NeverStarted")
    assert settled(singular, adaptive)
    assert not settled(failed, adaptive)
