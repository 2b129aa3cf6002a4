"""Path tracking in worker processes on this machine.

Tasks carry plain data (a homotopy's key and point coordinates); every worker
parses the problem once and builds the same homotopies from the run's seed, so
results do not depend on which worker tracks which path.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from .errors import InputError

log = logging.getLogger(__name__)

# Tasks per worker and level: many, so that a few slow (singular) paths spread
# over the workers instead of holding one of them while the others idle.
TASKS_PER_WORKER = 16

# The tracker of this worker process, built once by the pool's initializer.
_worker_state = {}


def default_workers() -> int:
    return (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count()
    )


def check_workers(workers: int) -> int:
    if workers is None:
        return default_workers()
    if workers < 1:
        raise InputError(f"--workers must be a positive integer, got {workers}")
    return workers


def _start_worker(problem, seed, parent, log_level=logging.WARNING):
    from .runner import make_tracker

    # A worker starts with no logging set up; its messages go to the run's stderr.
    logging.basicConfig(
        level=log_level,
        format="%(asctime)s worker %(process)d %(levelname)s %(message)s",
    )
    _worker_state["tracker"] = make_tracker(problem, seed)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker when the run's process is gone (killed with SIGKILL, say)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(0)


def _track_pass(key, number, points):
    return _worker_state["tracker"].track_pass(key, points, number)


def track_in_rounds(batches, run_tasks, n_tasks):
    """Results of every batch of ``(key, points)``, tracked one pass per round.

    ``run_tasks`` maps tasks ``(key, pass number, points)`` to lists of
    ``(result, settled)``. The first pass is cut into about ``n_tasks`` tasks;
    later passes, which get the few slow paths, into one task per path, so
    that those spread over every worker instead of queueing in one.
    """
    results = [[None] * len(points) for _, points in batches]
    pending = [list(range(len(points))) for _, points in batches]
    number = 0
    while any(pending):
        todo = [
            (index, key, [points[k] for k in pending[index]])
            for index, (key, points) in enumerate(batches)
            if pending[index]
        ]
        size = None if number == 0 else 1
        tasks = split_batches([(key, pts) for _, key, pts in todo], n_tasks, size)
        found = run_tasks([(key, number, pts) for _, key, pts in tasks])
        per_batch = [[] for _ in todo]
        for (position, _, _), pairs in zip(tasks, found):
            per_batch[position].extend(pairs)
        for (index, _, _), pairs in zip(todo, per_batch):
            for k, (result, _) in zip(pending[index], pairs):
                results[index][k] = result
            pending[index] = [
                k for k, (_, done) in zip(pending[index], pairs) if not done
            ]
        number += 1
    return results


def split_batches(batches, n_tasks, size=None):
    """Cut batches of ``(key, points)`` into about ``n_tasks`` tasks of similar size
    (or into tasks of ``size`` points)."""
    if size is None:
        total = sum(len(points) for _, points in batches)
        size = max(1, math.ceil(total / max(1, n_tasks)))
    tasks = []
    for index, (key, points) in enumerate(batches):
        for start in range(0, len(points), size):
            tasks.append((index, key, points[start : start + size]))
    return tasks


class WorkerPool:
    """Tracks batches of paths in ``workers`` processes."""

    def __init__(self, problem, seed, workers):
        context = multiprocessing.get_context("forkserver")
        self.workers = workers
        self.executor = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(
                problem,
                seed,
                os.getpid(),
                logging.getLogger("dln_regen").getEffectiveLevel(),
            ),
        )

    def track_many(self, batches):
        """Results of every batch, in order, computed in the workers."""
        # Several tasks per worker so that one slow path does not idle the others.
        return track_in_rounds(batches, self._run, TASKS_PER_WORKER * self.workers)

    def _run(self, tasks):
        futures = [self.executor.submit(_track_pass, *task) for task in tasks]
        return [future.result() for future in futures]

    def close(self):
        self.executor.shutdown(cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
