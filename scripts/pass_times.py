"""Where the tracking time of a run goes: paths, settled paths and seconds per pass.

Reads the log of a run made with ``-vv`` (the per-pass debug lines the tracker and
its workers write to stderr), e.g.

    dln-regen -vv solve 2 2 2 2 --seed 1 --quiet 2> run.err
    python scripts/pass_times.py run.err
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

PASS_LINE = re.compile(
    r"pass (\d+) of HomotopyKey\(step=<Step\.(\w+).*?: (\d+) paths in ([\d.]+) s, "
    r"(\d+) settled"
)


def pass_totals(lines) -> dict[tuple[int, str], list[float]]:
    """``{(pass, step): [paths, settled, seconds]}`` summed over the log's lines."""
    totals = defaultdict(lambda: [0, 0, 0.0])
    for line in lines:
        match = PASS_LINE.search(line)
        if match:
            row = totals[(int(match[1]), match[2].lower())]
            row[0] += int(match[3])
            row[1] += int(match[5])
            row[2] += float(match[4])
    return dict(totals)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", help="stderr of a run made with dln-regen -vv")
    args = parser.parse_args(argv)
    with open(args.log) as lines:
        totals = pass_totals(lines)
    print(f"{'pass':>4}  {'step':<8} {'paths':>7} {'settled':>8} {'seconds':>9}")
    for (number, step), (paths, settled, seconds) in sorted(totals.items()):
        print(f"{number:>4}  {step:<8} {paths:>7} {settled:>8} {seconds:>9.1f}")
    print(f"{'':>4}  {'total':<8} {'':>7} {'':>8} {sum(r[2] for r in totals.values()):>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
