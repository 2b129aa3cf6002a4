"""dln_regen.cluster: ``--scheduler`` on a real dask.distributed cluster on this machine.

The cluster is a ``distributed.LocalCluster`` of two worker processes started here;
``dln-regen`` runs as a subprocess and connects to its scheduler. One run loses a
worker process (SIGKILL) in the middle and must still find every point.
"""

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from dln_regen.network import DeepLinearNetwork

import helpers
from helpers import dln, one_json_object, partition_of
from lifecycle import (assert_refused, count_paths, kill_group, start_dln, tree_digest,
                       wait_until)

distributed = pytest.importorskip("distributed")

SEED = 7


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local:
        with distributed.Client(local) as client:
            client.wait_for_workers(2, timeout=120)
            yield local, client


@pytest.fixture(scope="module")
def on_cluster(cluster, tmp_path_factory):
    local, _ = cluster
    out = tmp_path_factory.mktemp("dask") / "run"
    proc = dln("solve", 2, 2, 2, "--seed", SEED, "--scheduler", local.scheduler_address,
               "--json", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return one_json_object(proc.stdout), out


def test_solve_on_the_cluster(on_cluster):
    summary, out = on_cluster
    assert summary["critical_points"] == 33
    assert [p["count"] for p in summary["patterns"]] == [1, 8, 8, 16]
    assert summary["seed"] == SEED
    assert json.loads((out / "summary.json").read_text())["critical_points"] == 33
    points = helpers.read_points(out)
    assert len(points) == 33
    assert helpers.closest_pair(points) > helpers.SAME_POINT
    data = DeepLinearNetwork((2, 2, 2), 1, SEED).data
    for point in points:
        residual = helpers.relative_residual(point.weights, data.x, data.y, data.lam)
        assert residual < helpers.RESIDUAL_LIMIT


def test_a_worker_killed_mid_run(cluster, on_cluster, tmp_path):
    local, client = cluster
    before = client.run(os.getpid)  # {worker address: pid}
    assert len(before) == 2
    out = tmp_path / "run"
    proc = start_dln("solve", 2, 2, 2, "--seed", SEED, "--scheduler",
                     local.scheduler_address, "--json", "--out", out, "--quiet")
    try:
        wait_until(lambda: count_paths(out) > 0, proc, "paths were tracked")
        victim = sorted(before.values())[0]
        os.kill(victim, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=600)
    finally:
        kill_group(proc)
    assert proc.returncode == 0, stderr
    summary = one_json_object(stdout)
    assert summary["critical_points"] == 33
    assert [p["count"] for p in summary["patterns"]] == [1, 8, 8, 16]
    reference, reference_out = on_cluster
    assert partition_of(summary) == partition_of(reference)
    assert helpers.same_point_sets(helpers.read_points(out),
                                   helpers.read_points(reference_out), tol=1e-6)
    # The worker was really lost: its nanny started a new process in its place.
    client.wait_for_workers(2, timeout=120)
    after = client.run(os.getpid)
    assert victim not in after.values()


def test_an_unreachable_scheduler_is_refused_untouched(tmp_path):
    (tmp_path / "cwd").mkdir()
    before = tree_digest(tmp_path)
    proc = dln("solve", 2, 2, 2, "--seed", 1, "--scheduler", "tcp://127.0.0.1:1",
               "--out", tmp_path / "out", cwd=tmp_path / "cwd", timeout=60)
    assert_refused(proc, "cannot reach the dask scheduler at tcp://127.0.0.1:1")
    assert tree_digest(tmp_path) == before


def test_an_unreachable_scheduler_leaves_a_run_folder_untouched(tmp_path, solved):
    """Resuming a run on a scheduler that is not there changes nothing in the run."""
    folder = tmp_path / "run"
    shutil.copytree(solved((2, 2), 1).folder, folder)
    before = tree_digest(tmp_path)
    proc = dln("run", "--resume", folder, "--scheduler", "tcp://127.0.0.1:1",
               timeout=60)
    assert_refused(proc, "cannot reach the dask scheduler")
    assert tree_digest(tmp_path) == before


# A subprocess: a small solve through the CLI in process, then which of dask,
# distributed and matplotlib it imported (none of them is needed without --scheduler
# or --plot).
NO_DASK = r"""
import json, sys
from click.testing import CliRunner
from dln_regen.cli import main

result = CliRunner().invoke(main, ["solve", "2", "2", "--seed", "1", "--json", "--out",
                                   sys.argv[1], "--workers", "2"])
print(json.dumps({"exit": result.exit_code, "output": result.output,
                  "imported": [m for m in ("dask", "distributed", "matplotlib")
                               if m in sys.modules]}))
"""


def test_no_dask_without_a_scheduler(tmp_path):
    proc = subprocess.run([sys.executable, "-c", NO_DASK, str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.splitlines()[-1])
    assert found["exit"] == 0, found["output"]
    assert json.loads(found["output"])["critical_points"] == 1
    assert found["imported"] == []


# The CLI where `import distributed` fails, as on an install without the dask extra.
WITHOUT_DASK = r"""
import sys
sys.modules["distributed"] = None  # import distributed -> ImportError
from dln_regen.cli import main
main(sys.argv[1:])
"""


def test_scheduler_without_dask_installed(tmp_path):
    (tmp_path / "cwd").mkdir()
    before = tree_digest(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_DASK, "solve", "2", "2", "--seed", "1",
         "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path / "cwd")
    assert_refused(proc, "--scheduler needs dask: pip install -e .[dask]")
    assert tree_digest(tmp_path) == before
