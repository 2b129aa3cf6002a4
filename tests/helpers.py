"""Independent checks shared by the tests: the gradient in numpy, points.jsonl, the CLI.

Nothing here uses dln_regen's own gradient or residual: the gradient of the loss
``1/2 sum_j (W X_j - Y_j)^2 + 1/2 sum_k sum lam_k * W_k^2`` (complexified, no
conjugation) is written out again with numpy, and test_network checks it against
finite differences of that loss.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

# The console script installed next to the interpreter running the tests.
DLN_REGEN = Path(sys.executable).parent / "dln-regen"

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# The hand-written input folders of the original driver (read-only, not in the
# repository); DLN_SEED_FOLDERS points elsewhere.
SEED_FOLDERS = Path(os.environ.get("DLN_SEED_FOLDERS", "/work/shared/seed"))
needs_seed = pytest.mark.skipif(
    not (SEED_FOLDERS / "D_2_2_2").is_dir(),
    reason=f"no seed folders at {SEED_FOLDERS} (set DLN_SEED_FOLDERS)",
)

# The seeds on which (2,2,2) must give 33 = 1 + 8 + 8 + 16; 222 is also the seed
# examples/D_2_2_2 was generated with, so `run examples/D_2_2_2 --seed 222` can be
# compared with `solve 2 2 2 --seed 222` point by point.
SEEDS_222 = (1, 3, 222)

RESIDUAL_LIMIT = 1e-8
# Two points closer than this (relative to their size) are the same point.
SAME_POINT = 1e-6
# An entry is zero when its modulus is below this times the point's size.
ZERO = 1e-8


def dln(*args, cwd=None, timeout=1200) -> subprocess.CompletedProcess:
    """Run the ``dln-regen`` console script; never raises on a nonzero exit."""
    return subprocess.run(
        [str(DLN_REGEN), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def one_json_object(stdout: str) -> dict:
    """The single JSON object ``--json`` prints on stdout (one line, nothing else)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line of JSON on stdout, got {stdout!r}"
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    return data


# -- the gradient, in numpy ----------------------------------------------------------


def chain(weights, first: int, last: int, size: int) -> np.ndarray:
    """``W_last ... W_first`` (1-based, inclusive); the identity of ``size`` if empty."""
    out = np.eye(size, dtype=complex)
    for k in range(first, last + 1):
        out = weights[k - 1] @ out
    return out


def loss(weights, x, y, lam) -> complex:
    """The complexified regularized loss (its gradient is the system solved)."""
    n = len(weights)
    r = chain(weights, 1, n, x.shape[0]) @ x - y
    return 0.5 * np.sum(r * r) + 0.5 * sum(np.sum(lk * w * w) for lk, w in zip(lam, weights))


def gradient(weights, x, y, lam) -> list[np.ndarray]:
    """``dL/dW_k = B^T (W X - Y) (A X)^T + lam_k * W_k`` for ``k = 1 ... H+1``."""
    n = len(weights)
    r = chain(weights, 1, n, x.shape[0]) @ x - y
    out = []
    for k in range(1, n + 1):
        a_x = chain(weights, 1, k - 1, x.shape[0]) @ x
        b = chain(weights, k + 1, n, weights[k - 1].shape[0])
        out.append(b.T @ r @ a_x.T + lam[k - 1] * weights[k - 1])
    return out


def gradient_scale(weights, x, y, lam) -> float:
    """The gradient's formula evaluated on moduli: a bound on each term's size."""
    mods = [abs(w) for w in weights]
    n = len(mods)
    r = chain(mods, 1, n, x.shape[0]).real @ abs(x) + abs(y)
    sizes = []
    for k in range(1, n + 1):
        a_x = chain(mods, 1, k - 1, x.shape[0]).real @ abs(x)
        b = chain(mods, k + 1, n, mods[k - 1].shape[0]).real
        sizes.append(float(np.max(b.T @ r @ a_x.T + abs(lam[k - 1]) * mods[k - 1])))
    return max(sizes)


def relative_residual(weights, x, y, lam) -> float:
    """Largest gradient entry over the size of its terms (absolute below size 1)."""
    worst = max(float(np.max(abs(g))) for g in gradient(weights, x, y, lam))
    return worst / max(1.0, gradient_scale(weights, x, y, lam))


# -- run folders -----------------------------------------------------------------------


def complex_matrix(rows) -> np.ndarray:
    """A matrix stored as rows of ``[re, im]`` pairs."""
    return np.array([[complex(re, im) for re, im in row] for row in rows])


def complex_vector(pairs) -> np.ndarray:
    return np.array([complex(re, im) for re, im in pairs])


@dataclass
class Point:
    index: int
    weights: list[np.ndarray]  # W1 first
    groups: list[np.ndarray]
    pattern: list
    residual: float


def read_points(folder: Path) -> list[Point]:
    points = []
    with open(Path(folder) / "points.jsonl") as lines:
        for line in lines:
            data = json.loads(line)
            points.append(
                Point(
                    data["index"],
                    [complex_matrix(w) for w in data["weights"]],
                    [complex_vector(g) for g in data["groups"]],
                    data["pattern"],
                    data["residual"],
                )
            )
    return points


def support_pattern(weights) -> list:
    """1 where an entry is nonzero, relative to the point's largest entry."""
    scale = max(1.0, max(float(np.max(abs(w))) for w in weights))
    return [[[int(abs(v) >= ZERO * scale) for v in row] for row in w] for w in weights]


def closest_pair(points: list[Point]) -> float:
    """Smallest distance between two points, relative to their size (inf if < 2)."""
    flat = [np.concatenate([w.ravel() for w in p.weights]) for p in points]
    best = np.inf
    for a, b in itertools.combinations(flat, 2):
        scale = max(1.0, float(np.max(abs(a))), float(np.max(abs(b))))
        best = min(best, float(np.max(abs(a - b))) / scale)
    return best


def same_point_sets(first: list[Point], second: list[Point], tol=1e-8) -> bool:
    """Do two lists of points hold the same points, in any order?"""
    if len(first) != len(second):
        return False
    flat2 = [np.concatenate([w.ravel() for w in p.weights]) for p in second]
    used = set()
    for p in first:
        a = np.concatenate([w.ravel() for w in p.weights])
        scale = max(1.0, float(np.max(abs(a))))
        match = [
            i for i, b in enumerate(flat2)
            if i not in used and float(np.max(abs(a - b))) <= tol * scale
        ]
        if not match:
            return False
        used.add(match[0])
    return True


# -- data read back from an equations file -----------------------------------------------

ASSIGNMENT = re.compile(
    r"\b([A-Za-z]\w*)\s*=\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*([+-])\s*(\d+\.?\d*|\.\d+)\s*\*\s*(?:I|ii)\s*;"
)


def data_from_equations(text: str, widths, samples: int = 1):
    """``X``, ``Y`` and the ``lam`` matrices read back from the constants of a file.

    Understands both the generated files (``lam_w1_3 = a+b*I``, ``x_2_1`` for row 2,
    sample 1 when there are several samples) and the seed's (``Lam_w1_3 = .a+.b*ii``);
    weight entries are numbered column by column.
    """
    values = {}
    for name, re_part, sign, im_part in ASSIGNMENT.findall(text):
        imag = float(im_part) if sign == "+" else -float(im_part)
        values[name.lower()] = complex(float(re_part), imag)

    def sample_matrix(prefix, rows):
        if samples == 1:
            return np.array([[values[f"{prefix}_{r + 1}"]] for r in range(rows)])
        return np.array([[values[f"{prefix}_{r + 1}_{c + 1}"] for c in range(samples)]
                         for r in range(rows)])

    lam = []
    for k in range(1, len(widths)):
        rows, cols = widths[k], widths[k - 1]
        lam.append(
            np.array([[values[f"lam_w{k}_{c * rows + r + 1}"] for c in range(cols)]
                      for r in range(rows)])
        )
    return sample_matrix("x", widths[0]), sample_matrix("y", widths[-1]), lam


def hidden_units_pattern(widths, *active) -> list:
    """The pattern of a critical point that uses the hidden units ``active``.

    ``active`` gives one set of units per hidden layer. Entry ``(r, c)`` of ``W_k``
    is nonzero exactly when unit ``r`` of layer ``k`` and unit ``c`` of layer
    ``k - 1`` are used (the input and output units always are); all other entries
    vanish (a zero is a missing edge of the network).
    """
    used = [set(range(widths[0]))] + [set(a) for a in active] + [set(range(widths[-1]))]
    return [
        [[int(r in used[k] and c in used[k - 1]) for c in range(widths[k - 1])]
         for r in range(widths[k])]
        for k in range(1, len(widths))
    ]


def partition_of(summary: dict) -> dict:
    """``{pattern as a hashable: count}`` from a summary's ``patterns`` list."""
    return {freeze(p["weights"]): p["count"] for p in summary["patterns"]}


def freeze(pattern):
    if isinstance(pattern, list):
        return tuple(freeze(p) for p in pattern)
    return pattern


def assert_same_run(proc: subprocess.CompletedProcess, folder: Path, full) -> dict:
    """A resumed (2,2,2) run printed and stored what the uninterrupted ``full`` did."""
    assert proc.returncode == 0, proc.stderr
    summary = one_json_object(proc.stdout)
    assert summary["critical_points"] == 33
    assert partition_of(summary) == partition_of(full.summary)
    assert same_point_sets(read_points(folder), read_points(full.folder), tol=1e-6)
    return summary
