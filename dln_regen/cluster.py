"""Path tracking on a dask.distributed cluster.

Imported only when ``--scheduler`` is given. Tasks carry plain data (the
problem as a dictionary, the seed, a homotopy key and point coordinates); each
worker process builds its tracker once per problem and keeps it.
"""

from __future__ import annotations

import logging

from .errors import InputError

log = logging.getLogger(__name__)

# Seconds to wait for the scheduler before calling it unreachable.
CONNECT_TIMEOUT = 10

# Trackers built in this worker process, by problem fingerprint and seed.
_trackers = {}


def track_on_worker(problem_data: dict, seed: int, key, number, points, previous):
    """Track one pass of a task on a dask worker, building the tracker on first use."""
    from .problem import Problem
    from .trackers.bertini2 import make_tracker

    name = (problem_data["system_text"], seed)
    if name not in _trackers:
        _trackers[name] = make_tracker(Problem.from_dict(problem_data), seed)
    return _trackers[name].track_pass(key, points, number, previous)


def check_scheduler(address: str) -> None:
    """Refuse an unreachable scheduler before anything is written."""
    with ClusterTracking(address, None, 0):
        pass


class ClusterTracking:
    """Sends batches of paths to the workers of a dask scheduler."""

    def __init__(self, address: str, problem, seed: int):
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--scheduler needs dask: pip install -e .[dask]") from None
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(f"cannot reach the dask scheduler at {address}: {err}") from None
        self.problem_data = problem.to_dict() if problem is not None else None
        self.seed = seed
        n_workers = len(self.client.scheduler_info().get("workers", {}))
        log.info("dask scheduler %s: %d workers", address, n_workers)
        self.n_tasks = 2 * max(1, n_workers)

    def track_many(self, batches):
        from .parallel import track_in_rounds

        return track_in_rounds(batches, self._run, self.n_tasks)

    def _run(self, tasks):
        futures = [
            self.client.submit(track_on_worker, self.problem_data, self.seed, *task,
                               pure=False, retries=3)
            for task in tasks
        ]
        return self.client.gather(futures)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.client.close()
