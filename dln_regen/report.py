"""Critical points, their sparsity patterns, and the summary of a run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .problem import Problem

# An entry is zero when its modulus is below this times the point's scale.
ZERO_TOLERANCE = 1e-8


@dataclass(frozen=True)
class CriticalPoint:
    """One solution: projective coordinates per group and, for networks, its weights."""

    groups: tuple[np.ndarray, ...]
    weights: tuple[np.ndarray, ...] | None  # W_1 ... W_{H+1}, dehomogenized
    pattern: tuple[tuple[tuple[int, ...], ...], ...]  # 1 = nonzero, per matrix
    residual: float

    def to_json(self, index: int) -> dict:
        out = {
            "index": index,
            "pattern": [list(map(list, m)) for m in self.pattern],
            "residual": self.residual,
            "groups": [complex_pairs(g) for g in self.groups],
        }
        if self.weights is not None:
            out["weights"] = [[complex_pairs(row) for row in w] for w in self.weights]
        return out


def complex_pairs(values) -> list:
    return [[float(z.real), float(z.imag)] for z in np.asarray(values).ravel()]


def split_groups(problem: Problem, point: np.ndarray) -> tuple[np.ndarray, ...]:
    out, start = [], 0
    for group in problem.groups:
        out.append(np.asarray(point[start : start + len(group.names)]))
        start += len(group.names)
    return tuple(out)


def infer_widths(problem: Problem) -> tuple[int, ...] | None:
    """Widths of a network written as square layers ``w{k}_0, ...`` (the seed folders)."""
    if problem.widths is not None:
        return problem.widths
    sizes = []
    for k, group in enumerate(problem.groups, start=1):
        if not group.projective or group.names[0] != f"w{k}_0":
            return None
        sizes.append(len(group.names) - 1)
    side = int(round(sizes[0] ** 0.5)) if sizes else 0
    if side < 1 or any(s != side * side for s in sizes):
        return None
    return (side,) * (len(sizes) + 1)


def is_at_infinity(problem: Problem, groups) -> bool:
    """A projective group whose homogenizing coordinate vanishes: no affine point."""
    for spec, coords in zip(problem.groups, groups):
        if spec.projective and abs(coords[0]) < ZERO_TOLERANCE * np.max(abs(coords)):
            return True
    return False


def affine_parts(problem: Problem, groups) -> list[np.ndarray]:
    """Each group dehomogenized (divided by its first coordinate when projective)."""
    return [
        g[1:] / g[0] if spec.projective else g
        for spec, g in zip(problem.groups, groups)
    ]


def support(values: np.ndarray, scale: float) -> np.ndarray:
    return [int(v) for v in (abs(values) >= ZERO_TOLERANCE * scale)]


def critical_point(problem, point, residual) -> CriticalPoint:
    """Dehomogenize a solution and read off its sparsity pattern."""
    groups = split_groups(problem, point)
    parts = affine_parts(problem, groups)
    scale = max(1.0, max(float(np.max(abs(p))) for p in parts if p.size))
    widths = infer_widths(problem)
    if widths is None:
        weights = None
        pattern = tuple((tuple(support(p, scale)),) for p in parts)
    else:
        weights = tuple(
            p.reshape((widths[k], widths[k + 1])).T for k, p in enumerate(parts)
        )
        pattern = tuple(tuple(tuple(support(row, scale)) for row in w) for w in weights)
    return CriticalPoint(groups, weights, pattern, residual)


def pattern_sort_key(item):
    pattern, count = item
    return (sum(sum(sum(r) for r in m) for m in pattern), count, str(pattern))


def partition(points: list[CriticalPoint]) -> list[tuple[tuple, int]]:
    """Patterns with their counts, sparsest first (as in the published table)."""
    counts = Counter(p.pattern for p in points)
    return sorted(counts.items(), key=pattern_sort_key)


def draw_pattern(pattern) -> list[str]:
    """Text lines drawing matrices ``W_{H+1} ... W_1`` side by side with ``*`` and ``0``."""
    mats = list(reversed(pattern))
    height = max(len(m) for m in mats)
    lines = []
    for r in range(height):
        cells = []
        for m in mats:
            width = 2 * len(m[0]) - 1
            row = " ".join("*" if v else "0" for v in m[r]) if r < len(m) else ""
            cells.append(f"[{row:<{width}}]" if r < len(m) else " " * (width + 2))
        lines.append("  ".join(cells))
    return lines


def summary(problem, widths, points, tally, seconds, seed, extra=None) -> dict:
    """The summary object that ``solve --json`` and ``run --json`` print."""
    out = {
        "widths": list(widths) if widths else None,
        "critical_points": len(points),
        "patterns": [
            {"count": count, "weights": [list(map(list, m)) for m in pattern]}
            for pattern, count in partition(points)
        ],
        "paths_tracked": tally.paths_tracked,
        "failures": tally.failures,
        "retracked": tally.retracked,
        "singular_endpoints": tally.outcomes.get("singular", 0),
        "repeated_endpoints": tally.repeated,
        "points_by_depth": {
            str(k): v for k, v in sorted(tally.points_by_depth.items())
        },
        "seconds": round(seconds, 3),
        "seed": seed,
        "exploration_order": problem.exploration_order,
    }
    out.update(extra or {})
    return out


def render_summary(data: dict) -> str:
    """The terminal report: the count, then one row per sparsity pattern."""
    widths = data.get("widths")
    count = data["critical_points"]
    head = f"{count} critical point{'' if count == 1 else 's'}"
    if widths:
        head += " for widths (d0..d{}) = {}".format(
            len(widths) - 1, " ".join(map(str, widths))
        )
    lines = [head]
    lines.append(
        "paths tracked {paths_tracked}, re-tracked {retracked}, failures {failures}, "
        "{seconds:.2f} s, seed {seed}".format(**data)
    )
    if data.get("at_infinity"):
        lines.append(
            f"{data['at_infinity']} nonsingular solutions at infinity (not counted)"
        )
    n = len(data["patterns"][0]["weights"]) if data["patterns"] else 0
    names = " ".join(f"W{k}" for k in range(n, 0, -1))
    lines.append("")
    lines.append(
        f"partition by sparsity pattern (* nonzero, 0 zero; matrices {names}):"
    )
    for item in data["patterns"]:
        drawing = draw_pattern(item["weights"])
        lines.append(f"{item['count']:>8}  {drawing[0]}")
        lines.extend(f"{'':>8}  {line}" for line in drawing[1:])
    return "\n".join(lines)
