"""A multiregeneration problem: variable groups, equations, degrees and options.

Everything here is plain data, so that a problem can be written to disk, hashed
and sent to worker processes, which parse the system text themselves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from .errors import InputError

EXPLORATION_ORDERS = ("breadthFirst", "depthFirst")


@dataclass(frozen=True)
class VariableGroup:
    """One group of variables; projective groups list the homogenizing one first."""

    names: tuple[str, ...]
    projective: bool

    @property
    def dimension(self) -> int:
        """Dimension of the group's space: one less than its size when projective."""
        return len(self.names) - 1 if self.projective else len(self.names)


@dataclass(frozen=True)
class TrackingOptions:
    """Bertini settings for every path; names follow Bertini 1's config keys."""

    final_tolerance: float = 1e-11
    tracking_tolerance: float = 1e-5
    tracking_tolerance_during_endgame: float = 1e-6
    security_level: int = 0
    condition_number_threshold: float = 1e8
    precision: str = "adaptive"  # MPTYPE: 0 double, 1 multiple, 2 adaptive
    endgame: str = "powerseries"  # of the first, double-precision pass
    max_step_size: float = 0.1
    endgame_boundary: float = 0.1
    # ODEPredictor, by Bertini 2's name. Not Bertini 1's default RKF45: with the
    # Cash-Karp pair (ODEPredictor 6) (2,2,2,2) took 124 s instead of 165 s on
    # two cores (seeds 7 and 2: 118 and 136 s instead of 151 and 169 s), and
    # (2,2,2) 8% less, with the same counts and partitions.
    predictor: str = "RKCashKarp45"
    max_newton_iterations: int = 2
    retrack_seconds: float = 0.25  # wall-clock cap per path in double precision
    adaptive_seconds: float = 60.0  # and in the adaptive-precision re-track


@dataclass(frozen=True)
class Problem:
    """What a run solves, and how: the input folder in typed form."""

    groups: tuple[VariableGroup, ...]
    system_text: str  # classic Bertini input: variable groups, constants, functions
    function_names: tuple[str, ...]
    degrees: tuple[tuple[int, ...], ...]  # degree of each function in each group
    target_dimensions: tuple[tuple[int, ...], ...]
    tracking: TrackingOptions = field(default_factory=TrackingOptions)
    exploration_order: str = "breadthFirst"
    log_tolerance: float = -10.0
    depth: int | None = None  # solve only the first `depth` equations
    nonzero_coordinates: tuple[str, ...] = ()
    torus_groups: tuple[int, ...] = ()
    widths: tuple[int, ...] | None = None  # set when the system is a network's
    renamed: tuple[tuple[str, str], ...] = ()  # identifiers renamed for Bertini 2

    def __post_init__(self):
        self._check_dimensions()
        if self.exploration_order not in EXPLORATION_ORDERS:
            raise InputError(
                f"explorationOrder must be one of {', '.join(EXPLORATION_ORDERS)}, "
                f"got {self.exploration_order!r}"
            )

    def _check_dimensions(self):
        n_groups = len(self.groups)
        for target in self.target_dimensions:
            if len(target) != n_groups:
                raise InputError(
                    f"targetDimensions entry {list(target)} has {len(target)} entries, "
                    f"but the system has {n_groups} variable groups"
                )
            for dim, group in zip(target, self.groups):
                if not 0 <= dim <= group.dimension:
                    raise InputError(
                        f"targetDimensions entry {list(target)} is outside the ambient "
                        f"dimensions {list(self.ambient_dimensions)}"
                    )

    @property
    def n_equations(self) -> int:
        return len(self.function_names) if self.depth is None else self.depth

    @property
    def ambient_dimensions(self) -> tuple[int, ...]:
        return tuple(g.dimension for g in self.groups)

    @property
    def max_degrees(self) -> tuple[int, ...]:
        """Largest degree of any equation in each group: the degree linears to draw."""
        return tuple(
            max((deg[i] for deg in self.degrees), default=0)
            for i in range(len(self.groups))
        )

    def fingerprint(self) -> str:
        """A hash naming this exact system and options, to match run stores."""
        blob = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Problem":
        data = dict(data)
        data["groups"] = tuple(
            VariableGroup(tuple(g["names"]), g["projective"]) for g in data["groups"]
        )
        data["tracking"] = TrackingOptions(**data["tracking"])
        for key in ("function_names", "nonzero_coordinates", "torus_groups"):
            data[key] = tuple(data[key])
        data["degrees"] = tuple(tuple(d) for d in data["degrees"])
        data["target_dimensions"] = tuple(tuple(t) for t in data["target_dimensions"])
        data["renamed"] = tuple(tuple(r) for r in data["renamed"])
        if data.get("widths") is not None:
            data["widths"] = tuple(data["widths"])
        return cls(**data)
