"""A live progress display of a run on the terminal (tqdm)."""

from __future__ import annotations

import time

from .paths import Outcome


class ProgressDisplay:
    """One status line: depth, points found per depth, paths, paths/s, failures, time."""

    def __init__(self, n_equations: int):
        from tqdm import tqdm

        # Everything but the bar is the description: tqdm puts a comma before a postfix.
        self.bar = tqdm(total=n_equations, unit="eq", desc=f"depth 0/{n_equations}",
                        bar_format="{desc} {bar:12} [{elapsed}]", leave=False)
        self.n_equations = n_equations
        self.points = {}
        self.paths = 0
        self.failures = 0
        self.start = time.perf_counter()

    def __call__(self, event, **data):
        if event == "tracked":
            self.paths += len(data["results"])
            self.failures += sum(r.outcome is Outcome.FAILED for r in data["results"])
        elif event == "level":
            self.points[data["depth"]] = data["points"]
            self.bar.n = data["depth"]
        rate = self.paths / max(1e-9, time.perf_counter() - self.start)
        found = " ".join(str(self.points[d]) for d in sorted(self.points))
        self.bar.set_description_str(
            f"depth {max(self.points, default=0)}/{self.n_equations} | points by depth "
            f"{found or '-'} | paths {self.paths} ({rate:.0f}/s) "
            f"| failures {self.failures}"
        )

    def close(self):
        self.bar.close()
