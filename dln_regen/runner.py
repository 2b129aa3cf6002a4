"""One run: draw the regeneration, explore the graph, write the run folder."""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .graph import RegenerationGraph
from .parallel import WorkerPool
from .problem import Problem
from .report import critical_point, infer_widths, is_at_infinity, split_groups, summary
from .slicing import Slicing
from .trackers.bertini2 import Bertini2Tracker

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"
POINTS_FILE = "points.jsonl"
RUN_FILE = "run.json"
INPUT_FOLDER = "input"


def fresh_seed() -> int:
    """A seed for a run that was given none; it is recorded so the run can be replayed."""
    return secrets.randbelow(2**31)


@dataclass
class RunResult:
    summary: dict
    points: list
    folder: Path | None


def normalized(problem: Problem, point: np.ndarray) -> np.ndarray:
    """Scale each projective group to largest modulus one (residuals become relative)."""
    parts = []
    for spec, coords in zip(problem.groups, split_groups(problem, point)):
        parts.append(coords / coords[np.argmax(abs(coords))] if spec.projective else coords)
    return np.concatenate(parts)


def relative_residual(tracker, problem: Problem, point: np.ndarray) -> float:
    values = tracker.system.eval(normalized(problem, point))
    return float(np.max(abs(np.asarray(values, dtype=complex))))


def make_tracker(problem: Problem, seed: int):
    return Bertini2Tracker(problem, Slicing.draw(problem, seed))


def solve_problem(problem: Problem, seed: int, folder: Path | None = None,
                  observer=None, workers: int = 1, extra=None) -> RunResult:
    """Solve ``problem`` with the regeneration drawn from ``seed``; write ``folder``.

    With ``workers > 1`` the paths of each breadth-first level are tracked in that
    many processes; depth-first exploration meets one point at a time and runs here.
    """
    t0 = time.perf_counter()
    tracker = make_tracker(problem, seed)
    if workers > 1 and problem.exploration_order == "breadthFirst":
        with WorkerPool(problem, seed, workers) as pool:
            graph = RegenerationGraph(problem, tracker, pool.track_many, observer)
            endpoints = graph.explore()
    else:
        workers = 1
        graph = RegenerationGraph(problem, tracker, observer=observer)
        endpoints = graph.explore()
    finite = [p for p in endpoints if not is_at_infinity(problem, split_groups(problem, p))]
    points = [critical_point(problem, p, relative_residual(tracker, problem, p))
              for p in finite]
    widths = infer_widths(problem)
    info = {"at_infinity": len(endpoints) - len(finite), "workers": workers,
            "version": __version__}
    info.update(extra or {})
    data = summary(problem, widths, points, graph.tally, time.perf_counter() - t0, seed, info)
    if folder is not None:
        write_run_folder(Path(folder), problem, data, points)
        data["run_folder"] = str(folder)
    return RunResult(data, points, Path(folder) if folder else None)


def write_run_folder(folder: Path, problem: Problem, data: dict, points) -> None:
    """Write the summary, every critical point and what replays the run."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / POINTS_FILE, "w") as out:
        for index, point in enumerate(points):
            out.write(json.dumps(point.to_json(index)) + "\n")
    replay = {"seed": data["seed"], "version": __version__,
              "fingerprint": problem.fingerprint(), "problem": problem.to_dict()}
    (folder / RUN_FILE).write_text(json.dumps(replay, indent=1))
    (folder / SUMMARY_FILE).write_text(json.dumps(data, indent=1) + "\n")


def copy_input(source: Path, folder: Path) -> None:
    """Keep the input files beside the results, so the run folder replays alone."""
    target = folder / INPUT_FOLDER
    if source.resolve() != target.resolve():
        shutil.copytree(source, target, dirs_exist_ok=True)
