"""One run: draw the regeneration, explore the graph, write the run folder.

A run folder holds ``run.json`` (the problem and the seed, written first, so an
interrupted run can be resumed), ``store.sqlite`` (every tracked path, written
as the run goes), ``run.log``, and at the end ``summary.json`` and
``points.jsonl``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import secrets
import shlex
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .bertini_io import read_problem, write_input_folder
from .errors import RunInterrupted, RunStoreError
from .graph import RegenerationGraph
from .network import DeepLinearNetwork
from .parallel import WorkerPool, track_here
from .problem import Problem
from .report import critical_point, infer_widths, is_at_infinity, split_groups, summary
from .store import STORE_FILE, RunStore, check_store
from .trackers.bertini2 import degrees_of, make_tracker

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"
POINTS_FILE = "points.jsonl"
RUN_FILE = "run.json"
LOG_FILE = "run.log"
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
        parts.append(
            coords / coords[np.argmax(abs(coords))] if spec.projective else coords
        )
    return np.concatenate(parts)


def relative_residual(tracker, problem: Problem, point: np.ndarray) -> float:
    values = tracker.system.eval(normalized(problem, point))
    return float(np.max(abs(np.asarray(values, dtype=complex))))


def store_fingerprint(problem: Problem, seed: int) -> str:
    return f"{problem.fingerprint()}-seed{seed}"


def check_run_folder(folder: Path, resume: bool) -> None:
    """Refuse to overwrite a run, or to resume what is not one, before any work."""
    folder = Path(folder)
    if resume:
        if not (folder / RUN_FILE).is_file() or not (folder / STORE_FILE).is_file():
            raise RunStoreError(
                f"{folder} is not a run folder (no {RUN_FILE} and "
                f"{STORE_FILE}); nothing to resume"
            )
    elif (folder / STORE_FILE).exists() or (folder / SUMMARY_FILE).exists():
        raise RunStoreError(
            f"{folder} already holds a run{described_run(folder)}; finish it or read "
            f"it back with '{resume_command(folder)}', or choose another --out"
        )
    elif folder.is_dir() and any(folder.iterdir()) and not (folder / RUN_FILE).exists():
        raise RunStoreError(
            f"{folder} holds other files and is not a run; choose a new or empty --out"
        )


def run_record(folder: Path) -> dict:
    """The ``run.json`` of a run folder: seed, version, fingerprint, extra, problem."""
    return json.loads((Path(folder) / RUN_FILE).read_text())


def recorded_run(folder: Path) -> tuple[list | None, str | None, int | None]:
    """Widths of a ``solve`` (else None), input folder of a ``run`` (else None) and
    seed, from a run's record; all None when it cannot be read."""
    try:
        data = run_record(folder)
        source = data["extra"].get("input_folder")
        widths = None if source else data["problem"].get("widths")
        return widths, source, int(data["seed"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None, None


def described_run(folder: Path) -> str:
    widths, source, seed = recorded_run(folder)
    if seed is None:
        return ""
    what = f"widths {' '.join(map(str, widths))}" if widths else source or "a folder"
    return f" (of {what}, seed {seed})"


def resume_command(folder: Path) -> str:
    """The command that finishes, or reads back, the run in ``folder``."""
    widths, _, _ = recorded_run(folder)
    if widths:
        words = ["dln-regen", "solve", *map(str, widths), "--out", str(folder)]
    else:
        words = ["dln-regen", "run", str(folder)]
    return shlex.join(words + ["--resume"])


def read_run(folder: Path) -> tuple[Problem, int]:
    """The problem and seed of a run folder, checked against its store."""
    check_run_folder(folder, resume=True)
    try:
        data = run_record(folder)
        problem, seed = Problem.from_dict(data["problem"]), int(data["seed"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RunStoreError(
            f"{folder}/{RUN_FILE} is not a readable run record ({err})"
        ) from None
    check_store(folder, store_fingerprint(problem, seed))
    return problem, seed


def write_run_record(folder: Path, problem: Problem, seed: int, extra: dict) -> None:
    record = {
        "seed": seed,
        "version": __version__,
        "fingerprint": store_fingerprint(problem, seed),
        "extra": extra,
        "problem": problem.to_dict(),
    }
    (folder / RUN_FILE).write_text(json.dumps(record, indent=1))


def recorded_extra(folder: Path) -> dict:
    """What the first start of a run recorded beside its problem (samples, input)."""
    return run_record(folder).get("extra", {})


@contextlib.contextmanager
def run_log(folder: Path):
    """Log the run, with times, to ``folder/run.log`` whatever the terminal shows."""
    handler = logging.FileHandler(folder / LOG_FILE)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.setLevel(logging.INFO)
    package = logging.getLogger("dln_regen")
    previous = package.level
    package.addHandler(handler)
    if package.getEffectiveLevel() > logging.INFO:
        package.setLevel(logging.INFO)
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.setLevel(previous)
        handler.close()


def tracking_backend(stack, problem, seed, tracker, workers, scheduler):
    """The function that tracks batches of paths: here, in workers or on a cluster."""
    if scheduler:
        from .cluster import ClusterTracking

        return stack.enter_context(
            ClusterTracking(scheduler, problem, seed)
        ).track_many, 0
    if workers > 1 and problem.exploration_order == "breadthFirst":
        return stack.enter_context(
            WorkerPool(problem, seed, workers, local=tracker)
        ).track_many, workers
    return functools.partial(track_here, tracker), 1


def solve_problem(
    problem: Problem,
    seed: int,
    folder: Path | None = None,
    observer=None,
    workers: int = 1,
    resume: bool = False,
    scheduler: str | None = None,
    extra=None,
) -> RunResult:
    """Solve ``problem`` with the regeneration drawn from ``seed``; write ``folder``.

    With ``workers > 1`` the paths of each breadth-first level are tracked in that
    many processes (depth-first exploration meets one point at a time and runs
    here); with ``scheduler`` on a dask.distributed cluster. With ``resume`` the
    paths already in the folder's store are read back instead of tracked.
    """
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        tracker = make_tracker(problem, seed)
        # The back end first: an unreachable cluster must leave no run folder behind.
        track_many, workers = tracking_backend(
            stack, problem, seed, tracker, workers, scheduler
        )
        store = None
        if folder is not None:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            stack.enter_context(run_log(folder))
            if resume:
                extra = recorded_extra(folder)
            else:
                write_run_record(folder, problem, seed, extra or {})
            store = RunStore(folder, store_fingerprint(problem, seed))
            stack.callback(store.close)
            if resume:
                log.info(
                    "resuming %s: %d paths already tracked", folder, store.n_paths()
                )
            track_many = store.stored_tracking(track_many)
        graph = RegenerationGraph(
            problem, tracker, track_many, chain_observers(observer, store)
        )
        endpoints = explored(graph, folder)
        before = store.seconds_before if store is not None else 0.0
    return finish_run(
        problem,
        seed,
        folder,
        tracker,
        graph,
        endpoints,
        before + time.perf_counter() - t0,
        {"workers": workers, **(extra or {})},
    )


def explored(graph, folder):
    """The graph's endpoints; a Ctrl-C names the command that finishes the run."""
    try:
        return graph.explore()
    except KeyboardInterrupt:
        if folder is None:
            raise
        command = resume_command(folder)
        log.info(  # for run.log; the terminal gets the command line's message
            "interrupted after %d paths; finish with: %s",
            graph.tally.paths_tracked,
            command,
        )
        raise RunInterrupted(command) from None


def chain_observers(observer, store):
    """Store each finished level's nodes, then pass the event on."""

    def notify(event, **data):
        if event == "level" and store is not None:
            store.record_level(data["depth"], data["nodes"])
        if observer is not None:
            observer(event, **data)

    return notify


def finish_run(problem, seed, folder, tracker, graph, endpoints, seconds, extra):
    """Turn the endpoints into critical points; write the summary and the points."""
    finite = [
        p for p in endpoints if not is_at_infinity(problem, split_groups(problem, p))
    ]
    points = [
        critical_point(problem, p, relative_residual(tracker, problem, p))
        for p in finite
    ]
    info = {
        "at_infinity": len(endpoints) - len(finite),
        "version": __version__,
        **extra,
    }
    data = summary(
        problem, infer_widths(problem), points, graph.tally, seconds, seed, info
    )
    if folder is not None:
        data["run_folder"] = str(folder)
        write_results(folder, data, points)
    return RunResult(data, points, folder)


def network_problem(
    widths, samples: int, seed: int, folder: Path, order: str
) -> Problem:
    """Write a network's input folder into a new run folder and read it back."""
    check_run_folder(folder, resume=False)
    network = DeepLinearNetwork(widths, samples, seed)
    input_folder = write_input_folder(
        network, Path(folder) / INPUT_FOLDER, order, degrees_of
    )
    return read_problem(input_folder, degrees_of)


def solve_network(
    widths,
    samples: int,
    seed: int,
    folder: Path,
    workers: int = 1,
    order: str = "breadthFirst",
    observer=None,
) -> RunResult:
    """Generate a network's input folder inside ``folder``, then solve it there."""
    problem = network_problem(widths, samples, seed, folder, order)
    return solve_problem(
        problem,
        seed,
        folder,
        observer=observer,
        workers=workers,
        extra={"samples": samples},
    )


def write_results(folder: Path, data: dict, points) -> None:
    """Write every critical point, then the summary (its presence marks a finished run)."""
    with open(folder / POINTS_FILE, "w") as out:
        for index, point in enumerate(points):
            out.write(json.dumps(point.to_json(index)) + "\n")
    (folder / SUMMARY_FILE).write_text(json.dumps(data, indent=1) + "\n")


def copy_input(source: Path, folder: Path) -> None:
    """Keep the input files beside the results, so the run folder replays alone."""
    target = folder / INPUT_FOLDER
    if source.resolve() != target.resolve():
        shutil.copytree(source, target, dirs_exist_ok=True)
