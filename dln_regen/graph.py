"""The regeneration graph: nodes, steps, pruning and the order of exploration.

Multiregeneration (Hauenstein, Leykin, Rodriguez, Sottile, "A numerical toolkit
for multiprojective varieties", 2021): a node at depth ``d`` is a point on the
generators among ``f_0 ... f_{d-1}`` and on the active slices of multidimension
``e``. Each step either passes a point on unchanged (``f_d`` vanishes there) or
trades one slice of some group for ``f_d``, through two homotopies: the slice
moves onto a degree linear, then the product of degree linears becomes ``f_d``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .parallel import track_here
from .paths import HomotopyKey, Outcome, PathResult, Step
from .problem import Problem

log = logging.getLogger(__name__)

# Two endpoints closer than this (relative, on the patch) are the same point.
SAME_POINT_TOLERANCE = 1e-6
# A coordinate below this (relative) counts as zero when pruning by point.
ZERO_COORDINATE = 1e-8


@dataclass(frozen=True)
class NodeKey:
    """Where a node sits: depth, which equations are generators, multidimension."""

    depth: int
    generators: tuple[int, ...]
    dims: tuple[int, ...]


@dataclass
class Tally:
    """Counts of the paths of a run, by outcome, and of repeated endpoints."""

    paths_tracked: int = 0
    retracked: int = 0
    outcomes: dict = field(default_factory=lambda: defaultdict(int))
    repeated: int = 0
    points_by_depth: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def failures(self) -> int:
        return self.outcomes[Outcome.FAILED]

    def add(self, results: list[PathResult]):
        self.paths_tracked += len(results)
        for result in results:
            self.outcomes[result.outcome] += 1
            self.retracked += result.retracked


def reachable(problem: Problem, depth: int, dims: tuple[int, ...]) -> bool:
    """Can a node of multidimension ``dims`` at ``depth`` still reach a target?"""
    remaining = problem.n_equations - depth
    for target in problem.target_dimensions:
        excess = [e - t for e, t in zip(dims, target)]
        if min(excess) >= 0 and sum(excess) <= remaining:
            return True
    return False


def is_target(problem: Problem, dims: tuple[int, ...]) -> bool:
    return tuple(dims) in {tuple(t) for t in problem.target_dimensions}


def lower(dims: tuple[int, ...], group: int) -> tuple[int, ...]:
    return tuple(e - (i == group) for i, e in enumerate(dims))


def nonzero_indices(problem: Problem) -> tuple[int, ...]:
    """Positions of the coordinates that must not vanish at any node."""
    names = [name for group in problem.groups for name in group.names]
    wanted = set(problem.nonzero_coordinates)
    for k in problem.torus_groups:
        if not 0 <= k < len(problem.groups):
            raise InputError(
                f"algebraicTorusVariableGroups: no variable group {k} "
                f"(groups are numbered 0 to {len(problem.groups) - 1})"
            )
        wanted.update(problem.groups[k].names)
    unknown = wanted - set(names)
    if unknown:
        raise InputError(
            f"nonzeroCoordinates names unknown variables: {sorted(unknown)}"
        )
    return tuple(i for i, name in enumerate(names) if name in wanted)


def distinct(points: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    """Drop repeated points (a sign of path-jumping); return the rest and the count."""
    kept = []
    for point in points:
        scale = max(1.0, float(np.max(abs(point))))
        if all(
            np.max(abs(point - other)) > SAME_POINT_TOLERANCE * scale for other in kept
        ):
            kept.append(point)
    return kept, len(points) - len(kept)


class RegenerationGraph:
    """Explores the regeneration graph of a problem with a tracker.

    ``tracker`` builds and tracks homotopies (:class:`~dln_regen.trackers.bertini2.
    Bertini2Tracker`); ``track_many`` maps a list of ``(key, points)`` batches to
    their results, in this process or in workers. ``observer`` receives events
    (``"level"``, ``"tracked"``) for progress displays and the run store.
    """

    def __init__(self, problem: Problem, tracker, track_many=None, observer=None):
        self.problem = problem
        self.tracker = tracker
        self.track_many = track_many or self._track_here
        self.observer = observer or (lambda event, **data: None)
        self.tally = Tally()
        self.tolerance = 10.0**problem.log_tolerance
        self.nonzero_indices = nonzero_indices(problem)

    def _track_here(self, batches):
        return track_here(self.tracker, batches)

    # -- one step ----------------------------------------------------------------

    def vanishes(self, depth: int, point: np.ndarray) -> bool:
        return abs(self.tracker.evaluate(depth, point)) < self.tolerance

    def pruned(self, point: np.ndarray) -> bool:
        """Prune by point: a coordinate asked to be nonzero (``nonzeroCoordinates``,
        ``algebraicTorusVariableGroups``) vanishes, so no solution of interest lies below."""
        return any(
            abs(point[k]) < ZERO_COORDINATE * max(1.0, float(np.max(abs(point))))
            for k in self.nonzero_indices
        )

    def slice_batches(self, node: NodeKey, points) -> list[tuple[HomotopyKey, list]]:
        """The slice-step homotopies of a node's points that do not satisfy ``f_d``."""
        batches = []
        degrees = self.problem.degrees[node.depth]
        for group, e in enumerate(node.dims):
            if e == 0 or not reachable(
                self.problem, node.depth + 1, lower(node.dims, group)
            ):
                continue
            for linear in range(degrees[group]):
                key = HomotopyKey(
                    Step.SLICE, node.depth, node.generators, node.dims, group, linear
                )
                batches.append((key, points))
        return batches

    def step(self, level: dict[NodeKey, list]) -> dict[NodeKey, list]:
        """Advance every node of one depth by one equation (breadth-first)."""
        following = defaultdict(list)
        slice_work = []
        for node, points in level.items():
            staying, moving = [], []
            for point in points:
                (staying if self.vanishes(node.depth, point) else moving).append(point)
            if staying and reachable(self.problem, node.depth + 1, node.dims):
                following[NodeKey(node.depth + 1, node.generators, node.dims)] += (
                    staying
                )
            if moving:
                slice_work += self.slice_batches(node, moving)
        equation_work = self._equation_batches(slice_work)
        for (key, _), results in zip(equation_work, self._run(equation_work)):
            child = NodeKey(key.depth + 1, key.generators + (key.depth,), key.dims)
            following[child] += [r.point for r in results if r.is_success]
        return self._distinct_nodes(following)

    def _equation_batches(self, slice_work):
        """Track the slice steps; gather their endpoints by equation homotopy."""
        gathered = defaultdict(list)
        for (key, _), results in zip(slice_work, self._run(slice_work)):
            target = HomotopyKey(
                Step.EQUATION, key.depth, key.generators, lower(key.dims, key.group)
            )
            gathered[target] += [r.point for r in results if r.is_success]
        return [(key, points) for key, points in gathered.items() if points]

    def _run(self, batches):
        results = self.track_many(batches) if batches else []
        for (key, _), batch in zip(batches, results):
            self.tally.add(batch)
            self.observer("tracked", key=key, results=batch)
        return results

    def _distinct_nodes(self, nodes):
        out = {}
        for node, points in nodes.items():
            kept, repeated = distinct([p for p in points if not self.pruned(p)])
            self.tally.repeated += repeated
            if repeated:
                log.warning(
                    "%d repeated endpoints at %s (path-jumping?)", repeated, node
                )
            out[node] = kept
        return out

    # -- the whole graph ---------------------------------------------------------

    def explore(self) -> list[np.ndarray]:
        """Run the graph in the problem's order; return the points at the targets."""
        start = NodeKey(0, (), self.problem.ambient_dimensions)
        level = {start: [self.tracker.start_point()]}
        if self.problem.exploration_order == "depthFirst":
            final = self.explore_depth_first(level)
        else:
            final = self.explore_breadth_first(level)
        return [
            p
            for node, points in final.items()
            if is_target(self.problem, node.dims)
            for p in points
        ]

    def explore_breadth_first(self, level):
        """Level by level: all points of a depth share their homotopies' batches."""
        for depth in range(self.problem.n_equations):
            t0 = time.perf_counter()
            level = self.step(level)
            n_points = sum(len(p) for p in level.values())
            self.tally.points_by_depth[depth + 1] = n_points
            log.info(
                "depth %d: %d points, %d paths so far, %.2f s",
                depth + 1,
                n_points,
                self.tally.paths_tracked,
                time.perf_counter() - t0,
            )
            self.observer(
                "level",
                depth=depth + 1,
                points=n_points,
                seconds=time.perf_counter() - t0,
                nodes=level,
            )
        return level

    def explore_depth_first(self, level):
        """One point at a time, deepest first: solutions appear early."""
        stack = [(node, [p]) for node, points in level.items() for p in points]
        final = defaultdict(list)
        while stack:
            node, points = stack.pop()
            if node.depth == self.problem.n_equations:
                final[node] += points
                continue
            for child, found in self.step({node: points}).items():
                self.tally.points_by_depth[child.depth] += len(found)
                stack.extend((child, [p]) for p in found)
        final = self._distinct_nodes(final)
        # Counts by depth are of points met; at the last depth, of distinct ones.
        n_final = sum(len(p) for p in final.values())
        self.tally.points_by_depth[self.problem.n_equations] = n_final
        log.info("depth-first search done: %d points at depth %d, %d paths", n_final,
                 self.problem.n_equations, self.tally.paths_tracked)
        self.observer(
            "level",
            depth=self.problem.n_equations,
            points=sum(len(p) for p in final.values()),
            seconds=0.0,
            nodes=final,
        )
        return final
