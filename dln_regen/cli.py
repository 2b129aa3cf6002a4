"""The ``dln-regen`` command line."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import sys
from pathlib import Path

import click

from .bertini_io import read_problem, write_input_folder
from .errors import InputError
from .network import DeepLinearNetwork, parse_widths
from .parallel import check_workers
from .report import render_summary
from .runner import INPUT_FOLDER, copy_input, fresh_seed, solve_problem
from .trackers.bertini2 import degrees_of

log = logging.getLogger("dln_regen")


def fail(message: str) -> None:
    """Report bad input on one line and exit with status 2 (usage error)."""
    click.echo(f"dln-regen: error: {message}", err=True)
    sys.exit(2)


def clean_errors(command):
    """Turn :class:`InputError` into a one-line message instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as err:
            fail(str(err))
        except KeyboardInterrupt:
            fail("interrupted; the run folder keeps what was written")

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


seed_option = click.option(
    "--seed", type=int, default=None,
    help="Seed of every random draw (data and regeneration); recorded in the run.",
)
workers_option = click.option(
    "--workers", type=int, default=None,
    help="Worker processes tracking paths [default: the machine's cores].",
)
order_option = click.option(
    "--order", type=click.Choice(["breadthFirst", "depthFirst"]), default=None,
    help="Exploration order [solve: breadthFirst; run: the folder's explorationOrder].",
)
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the summary as one JSON object.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Log progress (-v) or details (-vv).")
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
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%H:%M:%S")


@main.command()
@click.argument("widths", nargs=-1, required=True)
@click.option("--samples", "-m", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of data points (columns of X and Y).")
@seed_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write (default: D_<widths>).")
@clean_errors
def generate(widths, samples, seed, out):
    """Write the input folder of the network with widths D0 D1 ... DH+1."""
    widths = parse_widths(widths)
    seed = fresh_seed() if seed is None else seed
    network = DeepLinearNetwork(widths, samples, seed)
    out = out or Path("D_" + "_".join(map(str, widths)))
    write_input_folder(network, out)
    click.echo(f"wrote {out} (seed {seed})")


@main.command()
@click.argument("widths", nargs=-1, required=True)
@click.option("--samples", "-m", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of data points.")
@seed_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder (default: dln-runs/D_<widths>-seed<seed>).")
@workers_option
@order_option
@json_option
@clean_errors
def solve(widths, samples, seed, out, workers, order, as_json):
    """Generate the network D0 D1 ... DH+1, find its critical points, report them."""
    widths = parse_widths(widths)
    workers = check_workers(workers)
    seed = fresh_seed() if seed is None else seed
    out = out or default_run_folder(widths, seed)
    network = DeepLinearNetwork(widths, samples, seed)
    input_folder = write_input_folder(network, out / INPUT_FOLDER, order or "breadthFirst")
    problem = read_problem(input_folder, degrees_of)
    result = solve_problem(problem, seed, out, workers=workers, extra={"samples": samples})
    emit(result.summary, as_json)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@seed_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder (default: dln-runs/<folder name>-seed<seed>).")
@workers_option
@order_option
@json_option
@clean_errors
def run(folder, seed, out, workers, order, as_json):
    """Solve an input folder in the multiregeneration format."""
    workers = check_workers(workers)
    problem = read_problem(folder, degrees_of)
    if order:
        problem = dataclasses.replace(problem, exploration_order=order)
    seed = fresh_seed() if seed is None else seed
    out = out or Path("dln-runs") / f"{Path(folder).resolve().name}-seed{seed}"
    copy_input(folder, out)
    result = solve_problem(problem, seed, out, workers=workers,
                           extra={"input_folder": str(folder)})
    emit(result.summary, as_json)
