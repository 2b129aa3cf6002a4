"""Homotopies of the regeneration graph and the records of tracked paths."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class Step(str, enum.Enum):
    """The two homotopies of one regeneration step."""

    SLICE = "slice"  # move the last active slice of a group onto a degree linear
    EQUATION = "equation"  # deform the product of degree linears into the equation


@dataclass(frozen=True)
class HomotopyKey:
    """Names one homotopy; every point sharing it is tracked in one batch.

    ``generators`` lists the equations held as rows; ``dims`` is the multidimension
    whose slices are held. For a slice step, the slice ``dims[group] - 1`` of
    ``group`` moves to degree linear ``linear`` and is not held; for an equation
    step, equation ``depth`` replaces the product of its degree linears.
    """

    step: Step
    depth: int
    generators: tuple[int, ...]
    dims: tuple[int, ...]
    group: int = -1
    linear: int = -1


class Outcome(str, enum.Enum):
    """How a path ended."""

    SUCCESS = "success"  # nonsingular, finite endpoint
    SINGULAR = "singular"
    AT_INFINITY = "at_infinity"
    FAILED = "failed"  # the tracker gave up, also after the re-track


@dataclass(frozen=True)
class PathResult:
    """One tracked path: its outcome, endpoint and how it was reached."""

    outcome: Outcome
    point: np.ndarray | None
    condition_number: float
    retracked: bool
    seconds: float
    cycle_number: int = 1
    endgame_code: str = ""  # Bertini's code when the endgame did not succeed

    @property
    def is_success(self) -> bool:
        return self.outcome is Outcome.SUCCESS
