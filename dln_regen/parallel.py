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


def _track(key, points):
    return _worker_state["tracker"].track(key, points)


def split_batches(batches, n_tasks):
    """Cut batches of ``(key, points)`` into about ``n_tasks`` tasks of similar size."""
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
        tasks = split_batches(batches, TASKS_PER_WORKER * self.workers)
        futures = [
            self.executor.submit(_track, key, points) for _, key, points in tasks
        ]
        results = [[] for _ in batches]
        for (index, _, _), future in zip(tasks, futures):
            results[index].extend(future.result())
        return results

    def close(self):
        self.executor.shutdown(cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
