"""Path tracking in worker processes on this machine.

Tasks carry plain data (a homotopy's key and point coordinates); every worker
parses the problem once and builds the same homotopies from the run's seed, so
results do not depend on which worker tracks which path.
"""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing
import multiprocessing.forkserver
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from .errors import InputError

log = logging.getLogger(__name__)

# A first pass is cut into chunks of at most 1/TASKS_PER_WORKER of a worker's
# share: most homotopies then go whole to one worker, which builds and warms
# it (tens of milliseconds), and largest-first ordering balances the workers.
TASKS_PER_WORKER = 2
# While the workers start (half a second), rounds of at most this many paths
# are tracked in this process: the first levels of a run are that small.
LOCAL_PATHS = 64
# What a worker needs, imported once by the fork server: by default it would
# import the command line's main module, and with it sympy. The first sets the
# workers' Ctrl-C handler, and is imported nowhere else.
WORKER_MODULES = [
    "dln_regen.worker_signals",
    "dln_regen.parallel",
    "dln_regen.trackers.bertini2",
    "bertini",
]

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


def start_fork_server() -> None:
    """Start the server the workers fork from, without waiting for it.

    It imports Bertini (a fifth of a second) while this process writes and
    reads the system, instead of after.
    """
    multiprocessing.get_context("forkserver").set_forkserver_preload(WORKER_MODULES)
    multiprocessing.forkserver.ensure_running()


def _start_worker(problem, seed, parent, log_level=logging.WARNING):
    from .trackers.bertini2 import make_tracker

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


def _track_pass(key, number, points, previous):
    return _worker_state["tracker"].track_pass(key, points, number, previous)


def _started() -> int:
    return os.getpid()


def track_in_rounds(batches, run_tasks, n_tasks):
    """Results of every batch of ``(key, points)``, tracked one pass per round.

    ``run_tasks`` maps tasks ``(key, pass number, points, previous results)``
    to lists of ``(result, settled)``; it gets them largest first. The first
    pass is cut into chunks of at most a ``n_tasks``-th of its paths; later
    passes, which get the few slow paths, into one task per path, so that
    those spread over every worker instead of queueing in one.
    """
    results = [[None] * len(points) for _, points in batches]
    pending = [list(range(len(points))) for _, points in batches]
    number = 0
    while any(pending):
        # Tasks name paths by their index in their batch.
        tasks = split_batches(
            [(index, paths) for index, paths in enumerate(pending) if paths],
            n_tasks,
            None if number == 0 else 1,
        )
        found = largest_first(
            run_tasks,
            [
                (
                    batches[index][0],
                    number,
                    [batches[index][1][k] for k in paths],
                    [results[index][k] for k in paths] if number else None,
                )
                for _, index, paths in tasks
            ],
        )
        pending = [[] for _ in batches]
        for (_, index, paths), pairs in zip(tasks, found):
            for k, (result, done) in zip(paths, pairs):
                results[index][k] = result
                if not done:
                    pending[index].append(k)
        number += 1
    return results


def track_here(tracker, batches):
    """Results of every batch, tracked pass by pass in this process."""
    return track_in_rounds(batches, functools.partial(run_here, tracker), 1)


def run_here(tracker, tasks):
    """Tasks ``(key, pass number, points, previous results)`` tracked here."""
    return [tracker.track_pass(k, pts, n, prev) for k, n, pts, prev in tasks]


def largest_first(run_tasks, tasks):
    """``run_tasks(tasks)``, with the tasks handed over largest first."""
    order = sorted(range(len(tasks)), key=lambda i: -len(tasks[i][2]))
    found = [None] * len(tasks)
    for i, result in zip(order, run_tasks([tasks[i] for i in order])):
        found[i] = result
    return found


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
    """Tracks batches of paths in ``workers`` processes.

    The workers start at once; until they have, small rounds are tracked by
    ``local``, the tracker of this process, which builds the same homotopies.
    """

    def __init__(self, problem, seed, workers, local=None):
        start_fork_server()
        self.workers = workers
        self.local = local
        self.executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start_worker,
            initargs=(
                problem,
                seed,
                os.getpid(),
                logging.getLogger("dln_regen").getEffectiveLevel(),
            ),
        )
        self.started = [self.executor.submit(_started) for _ in range(workers)]

    def track_many(self, batches):
        """Results of every batch, in order, computed in the workers."""
        return track_in_rounds(batches, self._run, TASKS_PER_WORKER * self.workers)

    def _run(self, tasks):
        if self._track_here(tasks):
            return run_here(self.local, tasks)
        futures = [self.executor.submit(_track_pass, *task) for task in tasks]
        return [future.result() for future in futures]

    def _track_here(self, tasks) -> bool:
        if self.local is None or all(f.done() for f in self.started):
            return False
        return sum(len(task[2]) for task in tasks) <= LOCAL_PATHS

    def close(self):
        self.executor.shutdown(cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
