"""The ``dln-regen`` command line."""

from __future__ import annotations

import dataclasses
from concurrent.futures.process import BrokenProcessPool
import functools
import json
import logging
import os
import sys
from pathlib import Path

import click

from .bertini_io import read_problem, write_input_folder
from .errors import InputError, RunInterrupted
from .network import DeepLinearNetwork
from .parallel import check_workers, start_fork_server
from .report import render_summary
from .runner import (
    RUN_FILE,
    network_problem,
    resume_command,
    check_run_folder,
    copy_input,
    fresh_seed,
    read_run,
    solve_network,
    solve_problem,
)
from .table import (
    PUBLISHED_ROWS,
    finished_row,
    plot_table,
    render_markdown,
    render_text,
    row_folder,
)
from .trackers.bertini2 import degrees_of
from .widths import parse_widths

log = logging.getLogger("dln_regen")


def fail(message: str, status: int = 2) -> None:
    """Report on one line and exit; status 2 is bad input (a usage error)."""
    click.echo(f"dln-regen: error: {message}", err=True)
    sys.exit(status)


def clean_errors(command):
    """Turn :class:`InputError` into a one-line message instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as err:
            fail(str(err))
        except RunInterrupted as err:
            fail(
                "interrupted; the run folder keeps every path tracked so far: "
                f"finish it with '{err.command}'",
                130,
            )
        except KeyboardInterrupt:
            fail(
                "interrupted; the run folder keeps every path tracked so far "
                "(finish it with --resume)",
                130,
            )
        except RecursionError:
            fail(
                "the network is too large for the symbolic gradient (sympy ran out "
                "of recursion depth); try smaller widths"
            )
        except BrokenProcessPool:
            fail(
                "a worker process died; the run folder keeps every path tracked so "
                "far (finish it with --resume)",
                1,
            )

    return wrapper


def default_run_folder(widths, seed) -> Path:
    return Path("dln-runs") / ("D_" + "_".join(map(str, widths)) + f"-seed{seed}")


def emit(data: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data))
    else:
        click.echo(render_summary(data))
        if data.get("run_folder"):
            click.echo(f"\nevery point, the summary and the seed: {data['run_folder']}")


# Seeds go to numpy and to Bertini's generator (an unsigned long); fresh ones
# are drawn below 2**31.
SEED = click.IntRange(0, 2**32 - 1)


def seed_option(help_text: str):
    return click.option(
        "--seed", type=SEED, default=None, help=help_text + " [default: a fresh one]"
    )

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the summary as one JSON object."
)


class OneLineErrors(click.Group):
    """Usage errors as one line, like every other error of the tool."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            status = super().main(*args, **kwargs)
        except click.UsageError as err:
            command = err.ctx.command_path if err.ctx else "dln-regen"
            fail(f"{err.format_message()} (see '{command} --help')")
        except click.Abort:
            fail("aborted", 130)
        sys.exit(status if isinstance(status, int) else 0)


def console() -> None:
    """The ``dln-regen`` console script: the command, then a prompt exit.

    The interpreter's teardown of sympy's caches and Bertini's systems takes
    0.06 s, 4% of ``solve 2 2 2``. By the time a command returns, its run
    folder and store are closed; so the output is flushed and the process
    ends without that teardown.
    """
    status = 0
    try:
        main()
    except SystemExit as done:
        if isinstance(done.code, str):
            click.echo(done.code, err=True)
            status = 1
        else:
            status = done.code or 0
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@click.group(
    cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log progress (-v) or details (-vv); give it before the command.",
)
@click.version_option(package_name="dln-regen")
def main(verbose):
    """Every complex critical point of a regularized deep linear network, by
    multiregeneration tracked with Bertini 2.

    \b
    Examples:
      dln-regen solve 2 2 2          33 critical points, by sparsity pattern
      dln-regen generate 2 2 2 --out D_2_2_2
      dln-regen run D_2_2_2          solve an input folder
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    terminal = logging.StreamHandler()
    terminal.setLevel(level)  # the run log may ask the package for more than this
    terminal.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    )
    logging.basicConfig(level=level, handlers=[terminal])


@main.command(short_help="Write the input folder of a network D0 D1 ... DH+1.")
@click.argument("widths", nargs=-1, required=True)
@click.option(
    "--samples",
    "-m",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Number of data points (columns of X and Y).",
)
@seed_option("Seed of the network's data (X, Y, regularization); recorded in it.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write (default: D_<widths>).",
)
@clean_errors
def generate(widths, samples, seed, out):
    """Write the input folder of the network with widths D0 D1 ... DH+1."""
    widths = parse_widths(widths)
    seed = fresh_seed() if seed is None else seed
    network = DeepLinearNetwork(widths, samples, seed)
    out = out or Path("D_" + "_".join(map(str, widths)))
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} already exists and is not empty; choose another --out")
    write_input_folder(network, out)
    click.echo(f"wrote {out} (seed {seed})")


run_options = [
    click.option(
        "--workers",
        type=int,
        default=None,
        help="Worker processes tracking paths [default: the machine's cores].",
    ),
    click.option(
        "--order",
        type=click.Choice(["breadthFirst", "depthFirst"]),
        default=None,
        help="Exploration order [default: breadthFirst, or the input folder's].",
    ),
    click.option(
        "--resume",
        is_flag=True,
        help=(
            "Finish an interrupted run in its run folder, or read a finished one back."
        ),
    ),
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Track on a dask.distributed cluster (e.g. tcp://host:8786).",
    ),
    click.option("--quiet", "-q", is_flag=True, help="No progress display."),
    json_option,
]


def with_run_options(command):
    for option in reversed(run_options):
        command = option(command)
    return command


def check_cluster(scheduler) -> None:
    if scheduler:
        from .cluster import check_scheduler

        check_scheduler(scheduler)


def refuse_run_folder(folder: Path) -> None:
    """A run folder given as an input folder: say how to finish it instead."""
    if (Path(folder) / RUN_FILE).is_file():
        raise InputError(
            f"{folder} is a run folder, not an input folder; finish it or read it "
            f"back with '{resume_command(folder)}'"
        )


def prepare_workers(workers, scheduler=None) -> int:
    """Check --workers and --scheduler; start the local workers' fork server now."""
    workers = check_workers(workers)
    check_cluster(scheduler)
    if workers > 1 and not scheduler:
        start_fork_server()
    return workers


def execute(problem, seed, out, workers, resume, scheduler, quiet, as_json, extra):
    """Solve with a live progress display on a terminal, then report."""
    display = None
    if not quiet and sys.stderr.isatty():
        from .progress import ProgressDisplay

        display = ProgressDisplay(problem.n_equations)
    try:
        result = solve_problem(
            problem,
            seed,
            out,
            observer=display,
            workers=workers,
            resume=resume,
            scheduler=scheduler,
            extra=extra,
        )
    finally:
        if display is not None:
            display.close()
    emit(result.summary, as_json)


@main.command(short_help="Find the critical points of the network D0 D1 ... DH+1.")
@click.argument("widths", nargs=-1, required=True)
@click.option(
    "--samples",
    "-m",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Number of data points.",
)
@seed_option("Seed of every random draw (data and regeneration); recorded in the run.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder (default: dln-runs/D_<widths>-seed<seed>).",
)
@with_run_options
@clean_errors
def solve(
    widths, samples, seed, out, workers, order, resume, scheduler, quiet, as_json
):
    """Find the critical points of the network D0 D1 ... DH+1 and report them.

    The network's data are drawn from --seed, its input folder is written into
    the run folder, and the regeneration is drawn from the same seed.
    """
    widths = parse_widths(widths)
    workers = prepare_workers(workers, scheduler)
    if resume:
        if out is None and seed is None:
            raise InputError("--resume needs the run folder: --out DIR, or the --seed")
        out = out or default_run_folder(widths, seed)
        problem, seed = resumed_problem(out, seed, order)
        if problem.widths is None:
            raise InputError(
                f"{out} is a run of an input folder, not of a network: resume it "
                f"with 'dln-regen run {out} --resume'"
            )
        if problem.widths != widths:
            raise InputError(
                f"{out} is a run of widths {list(problem.widths)}, not {list(widths)}"
            )
    else:
        seed = fresh_seed() if seed is None else seed
        out = out or default_run_folder(widths, seed)
        problem = network_problem(widths, samples, seed, out, order or "breadthFirst")
    execute(
        problem,
        seed,
        out,
        workers,
        resume,
        scheduler,
        quiet,
        as_json,
        {"samples": samples},
    )


@main.command(short_help="Solve an input folder in the multiregeneration format.")
@click.argument("folder", type=click.Path(path_type=Path))
@seed_option(
    "Seed of the regeneration's random slices and gammas (the data come from "
    "FOLDER); recorded in the run."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder (default: dln-runs/run-<folder name>-seed<seed>).",
)
@with_run_options
@clean_errors
def run(folder, seed, out, workers, order, resume, scheduler, quiet, as_json):
    """Solve an input folder in the multiregeneration format.

    The equations, and so the data, come from FOLDER; --seed draws the
    regeneration's slices and gammas. With --resume, FOLDER is the run folder of
    an interrupted run.
    """
    workers = prepare_workers(workers, scheduler)
    if resume:
        out = out or folder
        problem, seed = resumed_problem(out, seed, order)
    else:
        refuse_run_folder(folder)
        problem = read_problem(folder, degrees_of)
        if order:
            problem = dataclasses.replace(problem, exploration_order=order)
        seed = fresh_seed() if seed is None else seed
        name = Path(folder).resolve().name
        out = out or Path("dln-runs") / f"run-{name}-seed{seed}"
        check_run_folder(out, resume=False)
        copy_input(folder, out)
    execute(
        problem,
        seed,
        out,
        workers,
        resume,
        scheduler,
        quiet,
        as_json,
        {"input_folder": str(folder)},
    )


def resumed_problem(folder, seed, order):
    """The problem and seed of the run in ``folder``; a different seed is refused."""
    problem, recorded = read_run(folder)
    if seed is not None and seed != recorded:
        raise InputError(f"{folder} was run with seed {recorded}, not {seed}")
    if order and order != problem.exploration_order:
        raise InputError(
            f"{folder} explores {problem.exploration_order}; "
            "a resumed run keeps its order"
        )
    return problem, recorded


@main.command(short_help="The published table of counts by pattern, and more rows.")
@click.option(
    "--widths",
    "extra_rows",
    multiple=True,
    metavar='"D0 D1 ..."',
    help="Add a row for these widths (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dln-table"),
    show_default=True,
    help="Folder of the rows' run folders and of table.md.",
)
@click.option(
    "--seed",
    type=SEED,
    default=1,
    show_default=True,
    help="Seed of rows computed now; finished rows keep theirs.",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Worker processes tracking paths [default: the machine's cores].",
)
@click.option(
    "--published/--no-published",
    default=True,
    show_default=True,
    help="Include the published rows (2,2), (2,2,2), (2,2,2,2).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list with one row's summary per row.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Draw the table to this PNG or SVG file.",
)
@clean_errors
def table(extra_rows, out, seed, workers, published, as_json, plot):
    """Regenerate the published table (2,2), (2,2,2), (2,2,2,2), and more rows.

    The (2,2,2,2) row takes about 2 minutes on two cores. Rows already
    finished in --out are read back, not computed again.
    """
    workers = prepare_workers(workers)
    rows = list(PUBLISHED_ROWS) if published else []
    for text in extra_rows:
        widths = parse_widths(text.replace(",", " ").split())
        if widths not in rows:
            rows.append(widths)
    if not rows:
        raise InputError("no rows: give --widths, or drop --no-published")
    check_plot_path(plot)
    summaries = [table_row(widths, out, seed, workers) for widths in rows]
    (Path(out) / "table.md").write_text(render_markdown(summaries))
    if plot:
        plot_table(summaries, plot)
    if as_json:
        click.echo(json.dumps(summaries))
    else:
        click.echo(render_text(summaries), nl=False)
        click.echo(
            f"\nrun folders and table.md in {out}"
            + (f"; figure {plot}" if plot else "")
        )


def check_plot_path(plot) -> None:
    """Refuse a figure that cannot be written before any row is computed."""
    if plot is None:
        return
    if plot.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"--plot must name a .png or .svg file, got {plot}")
    if not plot.resolve().parent.is_dir():
        raise InputError(
            f"--plot {plot}: folder {plot.resolve().parent} does not exist"
        )


def table_row(widths, out, seed, workers) -> dict:
    """A row's summary: read back when finished, else solved now."""
    folder = row_folder(out, widths)
    done = finished_row(folder)
    if done is not None:
        log.info("row %s read back from %s", widths, folder)
        return done
    return solve_network(widths, 1, seed, folder, workers).summary
