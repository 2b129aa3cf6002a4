"""dln_regen.table and ``dln-regen table``: rows solved, read back, written and drawn.

The published rows always include (2,2,2,2), which takes many minutes, so the
command is run with ``--no-published`` on small rows; the rows are real solves.
Every expected string here is built from the rows' own summaries (or from a
drawing written out again below), never copied from a previous run.
"""

import json
import os
import xml.etree.ElementTree as ET

import pytest

from dln_regen.errors import InputError

from dln_regen.table import (PUBLISHED_ROWS, finished_row, plot_table, render_markdown,
                             render_text, row_folder)

import helpers
from helpers import dln
from lifecycle import assert_refused, stored_paths, tree_digest

# The rows asked for, as typed; "2 2 2" twice is one row, "1,2" is the widths 1 2.
ROW_ARGS = ["2 2", "2 2 2", "1 2 1", "1,2", "2 2 2"]
ROWS = [(2, 2), (2, 2, 2), (1, 2, 1), (1, 2)]
# Counts known in closed form (see test_cli): (2,2) 1, (2,2,2) 1 + 2*8 + 16,
# (1,2,1) 1 + 2*4, (1,2) ridge regression: 1.
COUNTS = {(2, 2): 1, (2, 2, 2): 33, (1, 2, 1): 9, (1, 2): 1}
PNG = b"\x89PNG\r\n\x1a\n"


def table_args(out, *extra):
    args = ["table", "--no-published", "--out", out, "--seed", 1]
    for text in ROW_ARGS:
        args += ["--widths", text]
    return [*args, *extra]


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    """``dln-regen table --no-published --widths ... --json --plot`` on a new folder."""
    out = tmp_path_factory.mktemp("table") / "table"
    proc = dln(*table_args(out, "--json", "--plot", out.parent / "table.png"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout  # --json: one JSON list, nothing else
    rows = json.loads(lines[0])
    assert isinstance(rows, list)
    return out, rows


def test_the_published_rows():
    assert PUBLISHED_ROWS == ((2, 2), (2, 2, 2), (2, 2, 2, 2))


def test_json_lists_one_summary_per_row(table_run, solved):
    out, rows = table_run
    assert [tuple(row["widths"]) for row in rows] == ROWS
    keys = set(solved((2, 2), 1).summary)  # the keys of `solve --json`
    for row in rows:
        widths = tuple(row["widths"])
        assert set(row) == keys, widths
        assert row["critical_points"] == COUNTS[widths]
        assert sum(p["count"] for p in row["patterns"]) == row["critical_points"]
        assert row["seed"] == 1
        folder = row_folder(out, widths)
        assert folder.name == "D_" + "_".join(map(str, widths))
        assert json.loads((folder / "summary.json").read_text()) == row
        assert len(helpers.read_points(folder)) == row["critical_points"]
    assert [p["count"] for p in rows[1]["patterns"]] == [1, 8, 8, 16]


def test_a_row_is_the_run_solve_makes(table_run, solved):
    """Row (2,2) with seed 1 is `dln-regen solve 2 2 --seed 1`, point for point."""
    out, _ = table_run
    assert helpers.same_point_sets(helpers.read_points(row_folder(out, (2, 2))),
                                   helpers.read_points(solved((2, 2), 1).folder),
                                   tol=1e-12)


def test_table_md_and_the_figure_are_written(table_run):
    out, rows = table_run
    assert (out / "table.md").read_text() == render_markdown(rows)
    png = out.parent / "table.png"
    assert png.stat().st_size > 1000 and png.read_bytes()[:8] == PNG


def test_a_second_table_reads_finished_rows_back(table_run):
    """Finished rows are read back (other --seed or not): no file of theirs changes,
    no path is tracked; only the new row (2,1) is solved."""
    out, rows = table_run
    folders = [row_folder(out, w) for w in ROWS]
    digests = {f: tree_digest(f) for f in folders}
    mtimes = {f: os.stat(f / "summary.json").st_mtime_ns for f in folders}
    paths = {f: stored_paths(f) for f in folders}
    svg = out.parent / "table.svg"
    proc = dln(*table_args(out, "--widths", "2 1", "--json", "--plot", svg, "--seed", 7))
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)
    assert again[:-1] == rows  # the same summaries, their seconds and seeds included
    assert again[-1]["widths"] == [2, 1] and again[-1]["seed"] == 7
    assert again[-1]["critical_points"] == 1
    for folder in folders:
        assert tree_digest(folder) == digests[folder]
        assert os.stat(folder / "summary.json").st_mtime_ns == mtimes[folder]
        assert stored_paths(folder) == paths[folder]
    assert (out / "table.md").read_text() == render_markdown(again)
    assert svg.stat().st_size > 1000
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    # Without --json: the table as text, and where it is.
    proc = dln(*table_args(out, "--widths", "2 1", "--plot", svg))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (render_text(again) + f"\nrun folders and table.md in {out}"
                           f"; figure {svg}\n")


# -- bad input -------------------------------------------------------------------------

BAD_TABLES = [
    (["--widths", "2 x"], "positive integers, got 'x'"),
    (["--widths", "2"], "at least two widths"),
    (["--widths", "2 2", "--plot", "/no/such/folder/t.png"], "does not exist"),
    (["--widths", "2 2", "--plot", "{}/t.pdf"], "must name a .png or .svg file"),
    (["--widths", "2 2", "--workers", "0"], "--workers must be a positive integer, got 0"),
    ([], "no rows"),
]


@pytest.mark.parametrize("args, message", BAD_TABLES,
                         ids=["widths-2-x", "widths-2", "plot-no-folder", "plot-pdf",
                              "workers-0", "no-rows"])
def test_bad_table_input_is_refused_untouched(tmp_path, args, message):
    (tmp_path / "cwd").mkdir()
    before = tree_digest(tmp_path)
    args = [a.replace("{}", str(tmp_path)) for a in args]
    proc = dln("table", "--no-published", "--out", tmp_path / "table", *args,
               cwd=tmp_path / "cwd")
    assert_refused(proc, message)
    assert tree_digest(tmp_path) == before


def test_bad_widths_refused_with_the_published_rows(tmp_path):
    """Without --no-published too, bad input is refused before any row is solved."""
    proc = dln("table", "--out", tmp_path / "table", "--widths", "2 x", cwd=tmp_path)
    assert_refused(proc, "positive integers, got 'x'")
    assert list(tmp_path.iterdir()) == []


# -- the Python API --------------------------------------------------------------------


def test_finished_row(table_run, tmp_path):
    out, rows = table_run
    assert finished_row(row_folder(out, (2, 2, 2))) == rows[1]
    assert finished_row(tmp_path) is None  # nothing run there
    # A broken summary is refused by name: the folder holds a run, never overwritten.
    (tmp_path / "summary.json").write_text('{"widths": [2, 2], "critical')
    with pytest.raises(InputError, match="unreadable"):
        finished_row(tmp_path)


def drawing(pattern):
    """Text lines of matrices W_{H+1} ... W_1 side by side, written out again here."""
    mats = list(reversed(pattern))
    lines = []
    for r in range(max(len(m) for m in mats)):
        cells = []
        for m in mats:
            width = 2 * len(m[0]) - 1
            if r < len(m):
                cells.append("[" + " ".join("*" if v else "0" for v in m[r]).ljust(width)
                             + "]")
            else:
                cells.append(" " * (width + 2))
        lines.append("  ".join(cells))
    return lines


def label(widths):
    return "(" + ",".join(str(d) for d in reversed(widths)) + ")"


def test_render_text(table_run):
    _, rows = table_run
    text = render_text(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["(d_H+1,...,d_0)", "#", "points", "partition",
                                "(W_H+1,", "...,", "W_1)"]
    blocks = text.rstrip("\n").split("\n\n")
    assert len(blocks) == len(rows)
    for block, row in zip(blocks, rows):
        body = block.splitlines()[1:] if block is blocks[0] else block.splitlines()
        want = []
        for k, pattern in enumerate(row["patterns"]):
            for r, line in enumerate(drawing(pattern["weights"])):
                head = [label(row["widths"]), str(row["critical_points"])] if (
                    k == 0 and r == 0) else []
                want.append(head + ([str(pattern["count"])] if r == 0 else []) + [line])
        assert len(body) == len(want)
        for got, parts in zip(body, want):
            *words, matrices = parts
            assert got.endswith(matrices), (got, matrices)
            assert got[: -len(matrices)].split() == words, got
    # (1,2,1): W2 is 1 x 2 and W1 is 2 x 1, drawn W2 first: W1 below on the right.
    assert "[* 0]  [*]\n" + " " * 45 + "[0]\n" in text
    assert "(2,1)" in text  # widths (1, 2) are shown d_1 first


def test_render_markdown(table_run):
    _, rows = table_run
    lines = render_markdown(rows).splitlines()
    assert lines[0] == ("| widths (d_H+1,...,d_0) | points | partition "
                        "| (W_H+1, ..., W_1) | seed |")
    assert lines[1] == "|---|---|---|---|---|"
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    want = []
    for row in rows:
        for k, pattern in enumerate(row["patterns"]):
            mats = ", ".join(
                "[" + "; ".join(" ".join("*" if v else "0" for v in r) for r in m) + "]"
                for m in reversed(pattern["weights"]))
            first = k == 0
            want.append([label(row["widths"]) if first else "",
                         str(row["critical_points"]) if first else "",
                         str(pattern["count"]), f"({mats})",
                         str(row["seed"]) if first else ""])
    assert cells == want


def test_plot_table_png_and_svg(table_run, tmp_path):
    import matplotlib.image
    import matplotlib.pyplot as plt

    _, rows = table_run
    plot_table(rows, tmp_path / "all.png")
    plot_table(rows[:1], tmp_path / "one.png")
    plot_table(rows, tmp_path / "all.svg")
    assert plt.get_fignums() == []  # every figure closed
    full = matplotlib.image.imread(tmp_path / "all.png")
    one = matplotlib.image.imread(tmp_path / "one.png")
    assert (tmp_path / "all.png").read_bytes()[:8] == PNG
    assert full.shape[0] > one.shape[0]  # four rows draw taller than one
    gray = full[..., :3].mean(axis=2)
    assert gray.max() > 0.9 and gray.min() < 0.3  # ink on a light background
    assert (gray < 0.5).mean() > 0.002  # not a blank page
    root = ET.parse(tmp_path / "all.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(list(root.iter())) > 100  # the text drawn as paths
