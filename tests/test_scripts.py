"""scripts/pass_times.py: the per-pass debug lines of a real run add up to its paths."""

import sys
from pathlib import Path

from helpers import dln, one_json_object

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from pass_times import pass_totals  # noqa: E402


def test_every_path_is_in_a_first_pass_and_later_passes_take_the_rest(tmp_path):
    proc = dln("-vv", "solve", 1, 2, 1, "--seed", 2, "--json", "--quiet",
               "--out", tmp_path / "run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = one_json_object(proc.stdout)
    totals = pass_totals(proc.stderr.splitlines())
    first = sum(paths for (number, _), (paths, _, _) in totals.items() if number == 1)
    assert first == summary["paths_tracked"] == 80
    for step in ("slice", "equation"):
        passes = sorted(n for n, s in totals if s == step)
        for before, after in zip(passes, passes[1:]):
            paths, settled, _ = totals[(before, step)]
            assert totals[(after, step)][0] == paths - settled  # the unsettled go on
