"""dln_regen.progress and what a run shows: the live line on a terminal only, the
summary alone on stdout, every level with its time in run.log.

A terminal is a real pseudo-terminal (os.openpty) on the run's stderr; stdout stays
a pipe, as in ``dln-regen solve ... --json > summary.json``.
"""

import fcntl
import json
import os
import re
import struct
import subprocess
import termios

from click.testing import CliRunner

from dln_regen.cli import main
from dln_regen.progress import ProgressDisplay
from dln_regen.report import render_summary
from dln_regen.runner import solve_problem

from helpers import DLN_REGEN, dln, one_json_object

# A level in run.log (and on stderr with -v): time stamp, depth, points, paths, seconds.
LEVEL = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO depth (\d+): (\d+) points, "
    r"(\d+) paths so far, (\d+\.\d\d) s$", re.M)
# The live line's counts.
LIVE = re.compile(r"points by depth ([\d ]+) \| paths (\d+) \((\d+)/s\) \| failures (\d+)")
PROGRESS_MARKS = ("depth ", "points by depth", "\r")


def levels(text):
    return [(int(d), int(n), int(p), float(s)) for _, d, n, p, s in LEVEL.findall(text)]


def check_levels(found, summary):
    """Every depth once, in order, with the summary's points and paths."""
    depths = [d for d, _, _, _ in found]
    assert depths == list(range(1, len(summary["points_by_depth"]) + 1))
    assert {str(d): n for d, n, _, _ in found} == summary["points_by_depth"]
    paths = [p for _, _, p, _ in found]
    assert paths == sorted(paths) and paths[-1] == summary["paths_tracked"]
    assert all(s >= 0 for _, _, _, s in found)


def test_run_log_records_every_depth_with_times(solved):
    run = solved((2, 2, 2), 1)
    text = (run.folder / "run.log").read_text()
    check_levels(levels(text), run.summary)
    assert len(run.summary["points_by_depth"]) == 8  # (2,2,2): 8 equations
    stamps = [stamp for stamp, *_ in LEVEL.findall(text)]
    assert stamps == sorted(stamps)


def test_piped_json_is_one_object_and_no_progress(tmp_path):
    proc = dln("solve", 1, 2, 1, "--seed", 2, "--json", "--out", tmp_path / "run")
    assert proc.returncode == 0, proc.stderr
    summary = one_json_object(proc.stdout)
    assert summary == json.loads((tmp_path / "run" / "summary.json").read_text())
    assert not any(mark in proc.stderr for mark in PROGRESS_MARKS), proc.stderr
    check_levels(levels((tmp_path / "run" / "run.log").read_text()), summary)


def test_piped_text_is_only_the_summary(tmp_path):
    folder = tmp_path / "run"
    proc = dln("solve", 1, 2, 1, "--seed", 2, "--out", folder)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((folder / "summary.json").read_text())
    assert proc.stdout == (render_summary(summary)
                           + f"\n\nevery point, the summary and the seed: {folder}\n")
    assert not any(mark in proc.stderr for mark in PROGRESS_MARKS), proc.stderr


def test_cli_runner_output_is_only_the_summary(tmp_path):
    result = CliRunner().invoke(main, ["solve", "1", "2", "--seed", "3", "--json",
                                       "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert one_json_object(result.stdout)["critical_points"] == 1
    assert not any(mark in result.stderr for mark in PROGRESS_MARKS), result.stderr


def test_verbose_logs_the_levels_on_stderr(tmp_path):
    proc = dln("-v", "solve", 1, 2, 1, "--seed", 2, "--json", "--out", tmp_path / "run")
    assert proc.returncode == 0, proc.stderr
    summary = one_json_object(proc.stdout)
    on_stderr = re.findall(r"INFO depth (\d+): (\d+) points, (\d+) paths so far",
                           proc.stderr)
    in_log = [(d, n, p) for _, d, n, p, _ in
              LEVEL.findall((tmp_path / "run" / "run.log").read_text())]
    assert on_stderr == in_log and len(in_log) == len(summary["points_by_depth"])


def on_a_terminal(*args):
    """Run dln-regen with stderr on a pseudo-terminal: (stdout, terminal text, status).

    The terminal has a size, 24 x 120, as a real one has (tqdm draws nothing on a
    terminal of size 0 x 0, which a bare pseudo-terminal reports).
    """
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([str(DLN_REGEN), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=follower, stdin=subprocess.DEVNULL, text=True)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the run closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    stdout = proc.stdout.read()
    proc.wait(timeout=300)
    return stdout, seen.decode(errors="replace"), proc.returncode


def test_a_terminal_shows_the_live_line(tmp_path):
    stdout, terminal, status = on_a_terminal("solve", 1, 2, 1, "--seed", 2, "--json",
                                             "--out", tmp_path / "run")
    assert status == 0, terminal
    summary = one_json_object(stdout)  # stdout is still the summary alone
    n = len(summary["points_by_depth"])
    assert f"depth {n}/{n}" in terminal
    found, paths, _, failures = LIVE.findall(terminal)[-1]
    assert found.split() == [str(v) for v in summary["points_by_depth"].values()]
    assert int(paths) == summary["paths_tracked"]
    assert int(failures) == summary["failures"]


def test_quiet_shows_nothing_on_a_terminal(tmp_path):
    stdout, terminal, status = on_a_terminal("solve", 1, 2, 1, "--seed", 2, "--json",
                                             "--quiet", "--out", tmp_path / "run")
    assert status == 0, terminal
    one_json_object(stdout)
    assert "depth" not in terminal and "paths" not in terminal



def test_progress_display_counts_what_the_run_counts(problem_121, capsys):
    display = ProgressDisplay(problem_121.n_equations)
    try:
        result = solve_problem(problem_121, seed=2, observer=display)
    finally:
        display.close()
    shown = capsys.readouterr().err
    assert display.paths == result.summary["paths_tracked"]
    assert display.failures == result.summary["failures"]
    shown_points = {str(d): n for d, n in display.points.items()}
    assert shown_points == result.summary["points_by_depth"]
    found, paths, _, failures = LIVE.findall(shown)[-1]
    assert int(paths) == result.summary["paths_tracked"]
    assert found.split() == [str(v) for v in result.summary["points_by_depth"].values()]
    assert f"depth {problem_121.n_equations}/{problem_121.n_equations}" in shown


def test_run_logs_do_not_mix(problem_121, tmp_path):
    """Two runs in one process: each run.log holds its own levels only."""
    first = solve_problem(problem_121, seed=2, folder=tmp_path / "a")
    log_a = (tmp_path / "a" / "run.log").read_text()
    second = solve_problem(problem_121, seed=3, folder=tmp_path / "b")
    assert (tmp_path / "a" / "run.log").read_text() == log_a
    check_levels(levels(log_a), first.summary)
    check_levels(levels((tmp_path / "b" / "run.log").read_text()), second.summary)
