"""Time dln-regen against PHCpack's and Bertini 2's blackbox solvers on one system.

    python scripts/bench.py 2 2 2 [--seed S] [--timeout SECONDS] [--json FILE]
                                  [--workers N]

Every solver gets the network drawn from the same seed: dln-regen its own
multihomogeneous system, PHCpack (``phc -b``) and Bertini 2 (``ZeroDimSolver``)
the affine gradient system with every ``w{k}_0 = 1`` (see ``affine_system.py``).
Each runs in its own process, is killed past ``--timeout`` seconds, and uses
``--workers`` cores. Wall times include each process's start-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from affine_system import (  # noqa: E402
    AffineSystem,
    affine_system,
    bertini_text,
    phc_text,
)

from dln_regen.errors import InputError  # noqa: E402
from dln_regen.widths import parse_widths  # noqa: E402
from dln_regen.parallel import default_workers  # noqa: E402
from dln_regen.runner import fresh_seed  # noqa: E402

log = logging.getLogger("bench")

DEFAULT_TIMEOUT = 600.0
# Seconds before the time limit at which Bertini 2 is asked to stop by itself.
BERTINI_STOP_MARGIN = 1.0
DLN_REGEN = "dln-regen"
PHC = "PHCpack phc -b"
BERTINI = "Bertini 2 ZeroDimSolver"
# PHC's blackbox output lists the start solutions, then (one block per homotopy:
# with -t only the finite endpoints) the solutions it refined.
PHC_START = re.compile(r"^START SOLUTIONS[^\n]*:\s*\n\s*(\d+) \d+", re.MULTILINE)
PHC_REFINED = re.compile(r"A list of (\d+) solutions has been refined :")
PHC_REGULAR = re.compile(r"Number of regular solutions\s*:\s*(\d+)\.")
# A linear system is solved directly: no paths, one solution list.
PHC_LINEAR = re.compile(r"^THE SOLUTIONS :\s*\n\s*(\d+) \d+", re.MULTILINE)
PHC_ROOT_COUNT = re.compile(
    r"^(total degree|\d+-homogeneous Bezout number|general linear-product Bezout "
    r"number|mixed volume|stable mixed volume) : (\d+)",
    re.MULTILINE,
)


@dataclass
class SolverRun:
    """How one solver did: status, wall time, paths tracked and points found."""

    solver: str
    status: str  # "ok", "timed out", "failed" or "skipped"
    seconds: float | None = None
    paths: int | None = None
    points: int | None = None
    details: dict = field(default_factory=dict)


@dataclass
class Finished:
    """A finished (or killed) process: wall time, exit code and output."""

    seconds: float
    returncode: int | None  # None when killed at the time limit
    stdout: str = ""
    stderr: str = ""


# -- running with a time limit ------------------------------------------------


def run_timed(cmd: list[str], timeout: float, cwd: Path) -> Finished:
    """Run ``cmd`` in its own process group; kill the whole group past ``timeout``."""
    log.info("running %s", " ".join(cmd))
    start = time.perf_counter()
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return Finished(time.perf_counter() - start, None, out, err)
    return Finished(time.perf_counter() - start, proc.returncode, out, err)


def failed_run(solver: str, done: Finished) -> SolverRun:
    """The run of a process that was killed or exited non-zero."""
    if done.returncode is None:
        log.warning("%s timed out after %.1f s", solver, done.seconds)
        return SolverRun(solver, "timed out", done.seconds)
    tail = done.stderr.strip().splitlines()[-5:]
    log.error("%s exited with %s: %s", solver, done.returncode, " | ".join(tail))
    return SolverRun(solver, "failed", done.seconds,
                     details={"returncode": done.returncode, "stderr_tail": tail})


# -- dln-regen ----------------------------------------------------------------


def dln_regen_command() -> str:
    """The ``dln-regen`` script beside this interpreter, or the one on PATH."""
    beside = Path(sys.executable).with_name("dln-regen")
    if beside.exists():
        return str(beside)
    return shutil.which("dln-regen") or "dln-regen"


def bench_dln_regen(widths, seed: int, workers: int, timeout: float,
                    folder: Path) -> SolverRun:
    """Solve with ``dln-regen solve``; read its counts from the JSON it prints."""
    cmd = [dln_regen_command(), "solve", *map(str, widths), "--seed", str(seed),
           "--json", "--out", str(folder / "dln-regen"), "--workers", str(workers)]
    done = run_timed(cmd, timeout, folder)
    if done.returncode != 0:
        return failed_run(DLN_REGEN, done)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    keep = ("failures", "retracked", "singular_endpoints", "seconds")
    return SolverRun(DLN_REGEN, "ok", done.seconds, summary["paths_tracked"],
                     summary["critical_points"],
                     {k: summary[k] for k in keep if k in summary})


# -- PHCpack ------------------------------------------------------------------


def phc_counts(text: str) -> tuple[int, int]:
    """Paths tracked (start solutions) and regular solutions, from PHC's output."""
    starts = PHC_START.findall(text) or PHC_REFINED.findall(text)
    paths = sum(int(n) for n in starts)
    regular = sum(int(n) for n in PHC_REGULAR.findall(text))
    if not starts and PHC_LINEAR.search(text):
        return 0, int(PHC_LINEAR.search(text)[1])
    return paths, regular


def phc_root_counts(text: str) -> dict[str, int]:
    """The root counts PHC's blackbox computed before choosing its start system."""
    return {name: int(count) for name, count in PHC_ROOT_COUNT.findall(text)}


def bench_phc(system: AffineSystem, workers: int, timeout: float,
              folder: Path) -> SolverRun:
    """Solve with PHCpack's blackbox ``phc -b``, or skip when PHCpack is missing."""
    phc = shutil.which("phc")
    if phc is None:
        reason = "phc not found (install the Debian package phcpack)"
        log.warning("skipping PHCpack: %s", reason)
        return SolverRun(PHC, "skipped", details={"reason": reason})
    work = folder / "phc"
    work.mkdir()
    (work / "input").write_text(phc_text(system))
    tasks = [f"-t{workers}"] if workers > 1 else []
    done = run_timed([phc, "-b", *tasks, "input", "output"], timeout, work)
    if done.returncode != 0:
        return failed_run(PHC, done)
    text = (work / "output").read_text()
    paths, regular = phc_counts(text)
    if not paths and not regular:
        log.error("no solution list found in PHC's output %s", work / "output")
        return SolverRun(PHC, "failed", done.seconds, details={"reason": "unparsed"})
    return SolverRun(PHC, "ok", done.seconds, paths, regular,
                     {"root_counts": phc_root_counts(text)})


# -- Bertini 2 ----------------------------------------------------------------


def bertini_child(text: str, threads: int, deadline: float, result_file: str) -> None:
    """Solve ``text`` with Bertini 2's zero-dim blackbox; write its counts as JSON.

    The solve stops itself at ``deadline`` (a ``time.time()``), just before the
    parent would kill it, so that the paths it finished are still counted.
    """
    import bertini

    bertini.recording(False)  # otherwise the solve writes into ./bertini_output
    start = time.perf_counter()
    solver = bertini.nag_algorithm.ZeroDimSolver(bertini.parse.system(text))
    budget = max(1.0, deadline - time.time())
    solver.solve(show_progress=False, num_threads=threads,
                 max_solve_wall_clock_duration=repr(budget))
    Path(result_file).write_text(json.dumps(bertini_counts(bertini, solver, start)))


def bertini_counts(bertini, solver, start: float) -> dict:
    """Paths, finite nonsingular points and the other endpoint classes of a solve."""
    answer = bertini.ZeroDimResult.from_solver(solver)
    unfinished = {"NeverStarted", "ExternallyTerminated"}
    codes = [str(m.endgame_success_code).rsplit(".", 1)[-1]
             for m in solver.solution_metadata()]
    return {
        "paths": int(solver.num_paths()),
        "points": len(solver.nonsingular_solutions()),
        "stopped_early": bool(solver.was_stopped_early()),
        "paths_finished": sum(code not in unfinished for code in codes),
        "finite": len(answer.finite),
        "singular": len(answer.singular),
        "at_infinity": len(answer.at_infinity),
        "solver_class": type(solver).__name__,
        "solve_seconds": time.perf_counter() - start,
    }


def run_bertini_child(text: str, threads: int, timeout: float, folder: Path):
    """Run :func:`bertini_child` in a fresh process; the exit code, None if killed."""
    deadline = time.time() + timeout - BERTINI_STOP_MARGIN
    child = multiprocessing.get_context("spawn").Process(
        target=bertini_child,
        args=(text, threads, deadline, str(folder / "result.json")))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return child.exitcode


def bench_bertini(system: AffineSystem, workers: int, timeout: float, folder: Path,
                  one_group: bool) -> SolverRun:
    """Solve with Bertini 2's ``ZeroDimSolver`` in a child process."""
    work = folder / "bertini2"
    work.mkdir()
    text = bertini_text(system, one_group)
    (work / "input").write_text(text)
    log.info("running Bertini 2 ZeroDimSolver on %s", work / "input")
    start = time.perf_counter()
    code = run_bertini_child(text, workers, timeout, work)
    seconds = time.perf_counter() - start
    if code != 0:
        return failed_run(BERTINI, Finished(seconds, code))
    counts = json.loads((work / "result.json").read_text())
    if counts["stopped_early"]:
        log.warning("%s stopped at its time limit after %.1f s, %d of %d paths done",
                    BERTINI, seconds, counts["paths_finished"], counts["paths"])
        partial = ("paths", "paths_finished", "points", "solver_class", "solve_seconds")
        return SolverRun(BERTINI, "timed out", seconds,
                         details={k: counts[k] for k in partial})
    return SolverRun(BERTINI, "ok", seconds, counts.pop("paths"), counts.pop("points"),
                     counts)


# -- the report ---------------------------------------------------------------


def ratio(run: SolverRun, reference: SolverRun) -> float | None:
    """This run's wall time over dln-regen's (a lower bound when it timed out)."""
    if run.seconds is None or reference.status != "ok" or not reference.seconds:
        return None
    return run.seconds / reference.seconds


def ratio_text(run: SolverRun, reference: SolverRun) -> str:
    value = ratio(run, reference)
    if value is None or run.status == "failed":
        return "-"
    return f">{value:.2f}" if run.status == "timed out" else f"{value:.2f}"


def table(runs: list[SolverRun]) -> str:
    """The comparison table: one row per solver, ratios against dln-regen.

    A solver that finished every run shows its median wall time over ``runs``.
    """
    header = ("solver", "status", "runs", "wall s", "paths", "points",
              "time / dln-regen")
    rows = [header]
    for run in runs:
        seconds = "-" if run.seconds is None else f"{run.seconds:.2f}"
        times = len(run.details.get("wall_seconds_of_every_run", [None]))
        rows.append((run.solver, run.status, str(times) if run.seconds else "-",
                     seconds, dash(run.paths), dash(run.points),
                     ratio_text(run, runs[0])))
    widths = [max(len(row[k]) for row in rows) for k in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if k < 2 else cell.rjust(w)
                       for k, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    return "\n".join(lines)


def dash(value) -> str:
    return "-" if value is None else str(value)


def report(args, seed: int, workers: int, load: list[float],
           runs: list[SolverRun]) -> dict:
    """Everything the table shows, and the set-up, as one JSON object."""
    entries = [{**asdict(run), "ratio_to_dln_regen": ratio(run, runs[0])}
               for run in runs]
    return {"widths": list(args.widths), "seed": seed, "timeout": args.timeout,
            "repeat": args.repeat,
            "workers": workers, "load_average_at_start": load,
            "bertini_variable_groups": "one" if args.one_group else "per layer",
            "runs": entries}


# -- the command line ---------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("widths", nargs="+", help="layer widths D0 D1 ... DH+1")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the network's data [default: a fresh one]")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds after which a solver is killed [%(default)s]")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the results [bench-<widths>.json]")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each solver that finishes; the table shows the "
                             "median wall time [%(default)s]")
    parser.add_argument("--workers", type=int, default=None,
                        help="cores for every solver [the machine's cores]")
    parser.add_argument("--one-group", action="store_true",
                        help="give Bertini 2 one variable group, not one per layer")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep every solver's files in this new folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    args = parser.parse_args(argv)
    try:
        args.widths = parse_widths(args.widths)
    except InputError as err:
        parser.error(str(err))
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be a positive integer")
    if args.repeat < 1:
        parser.error("--repeat must be a positive integer")
    return args


def work_folder(keep: Path | None) -> Path:
    """The folder every solver writes in: ``keep``, or a fresh temporary one."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="dln-bench-"))
    keep.mkdir(parents=True)
    return keep.resolve()


def repeated(solve_once, times: int, folder: Path) -> SolverRun:
    """``solve_once(folder)`` up to ``times`` times, each in a folder of its own.

    Returns the run of median wall time, every wall time in its details: one
    run of a second or two varies by a tenth. A solver that does not finish is
    not run again; its time-out or failure stands.
    """
    runs = []
    for attempt in range(1, times + 1):
        work = folder / f"attempt-{attempt}"
        work.mkdir(parents=True)
        run = solve_once(work)
        if run.status != "ok":
            return run
        runs.append(run)
    walls = [round(run.seconds, 3) for run in runs]
    median = sorted(runs, key=lambda run: run.seconds)[(len(runs) - 1) // 2]
    median.details["wall_seconds_of_every_run"] = walls
    return median


def bench(args, seed: int, workers: int, folder: Path) -> list[SolverRun]:
    """Run the three solvers one after the other on the network of ``seed``."""
    runs = [repeated(
        lambda work: bench_dln_regen(args.widths, seed, workers, args.timeout, work),
        args.repeat, folder / "dln-regen")]
    log.info("building the affine system")
    system = affine_system(args.widths, seed)
    runs.append(repeated(
        lambda work: bench_phc(system, workers, args.timeout, work),
        args.repeat, folder / "phc"))
    runs.append(repeated(
        lambda work: bench_bertini(system, workers, args.timeout, work, args.one_group),
        args.repeat, folder / "bertini2"))
    return runs


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%H:%M:%S")
    seed = fresh_seed() if args.seed is None else args.seed
    workers = args.workers or default_workers()
    log.info("widths %s, seed %d, %d workers, timeout %.0f s",
             " ".join(map(str, args.widths)), seed, workers, args.timeout)
    load = list(os.getloadavg())  # the machine is shared: timings are noisy
    folder = work_folder(args.keep)
    try:
        runs = bench(args, seed, workers, folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(table(runs))
    out = args.json or Path(f"bench-{'_'.join(map(str, args.widths))}.json")
    out.write_text(json.dumps(report(args, seed, workers, load, runs), indent=2) + "\n")
    log.info("wrote %s", out)
    return 0 if runs[0].status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
