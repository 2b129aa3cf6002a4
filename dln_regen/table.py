"""The table of critical-point counts by widths, as published and past it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .errors import InputError
from .report import draw_pattern
from .runner import SUMMARY_FILE

log = logging.getLogger(__name__)

# The rows of the published table (widths d0 ... dH+1).
PUBLISHED_ROWS = ((2, 2), (2, 2, 2), (2, 2, 2, 2))


def row_folder(out: Path, widths) -> Path:
    return Path(out) / ("D_" + "_".join(map(str, widths)))


def finished_row(folder: Path) -> dict | None:
    """The summary of a finished row, or None when the row still has to be run."""
    path = folder / SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        # Not recomputed: the folder holds a run, and a run is never overwritten.
        raise InputError(
            f"{path} is unreadable ({err}); move the row's folder aside to recompute it"
        ) from None


def widths_label(widths) -> str:
    """Widths in the published order ``(d_{H+1}, ..., d_0)``."""
    return "(" + ",".join(map(str, reversed(widths))) + ")"


def pattern_cells(row: dict) -> list[tuple[str, list[str]]]:
    return [(str(p["count"]), draw_pattern(p["weights"])) for p in row["patterns"]]


def render_text(rows: list[dict]) -> str:
    """The table as terminal text, matrices drawn ``W_{H+1} ... W_1``."""
    lines = [f"{'(d_H+1,...,d_0)':<16}{'# points':>9}  {'partition':>9}  (W_H+1, ..., W_1)"]
    for row in rows:
        first = True
        for count, drawing in pattern_cells(row):
            for k, line in enumerate(drawing):
                label = widths_label(row["widths"]) if first and k == 0 else ""
                total = str(row["critical_points"]) if first and k == 0 else ""
                shown = count if k == 0 else ""
                lines.append(f"{label:<16}{total:>9}  {shown:>9}  {line}")
            first = False
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def markdown_matrix(matrix) -> str:
    return "[" + "; ".join(" ".join("*" if v else "0" for v in r) for r in matrix) + "]"


def render_markdown(rows: list[dict]) -> str:
    """The table in Markdown, one line per pattern, as on the project page."""
    lines = [
        "| widths (d_H+1,...,d_0) | points | partition | (W_H+1, ..., W_1) | seed |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        for k, pattern in enumerate(row["patterns"]):
            mats = ", ".join(markdown_matrix(m) for m in reversed(pattern["weights"]))
            label = widths_label(row["widths"]) if k == 0 else ""
            total = str(row["critical_points"]) if k == 0 else ""
            seed = str(row["seed"]) if k == 0 else ""
            lines.append(f"| {label} | {total} | {pattern['count']} | ({mats}) | {seed} |")
    return "\n".join(lines) + "\n"


def plot_table(rows: list[dict], path: Path) -> None:
    """Draw the table like the published figure: each pattern as small matrices."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_lines = sum(len(r["patterns"]) for r in rows) + len(rows)
    fig, ax = plt.subplots(figsize=(8, 0.45 * n_lines + 0.8))
    ax.axis("off")
    y = n_lines
    headers = ["$(d_{H+1},\\ldots,d_0)$", "# points", "partition", "$(W_{H+1},\\ldots,W_1)$"]
    for x, text in zip((0.0, 0.25, 0.42, 0.6), headers):
        ax.text(x, y, text, fontsize=11, va="center")
    for row in rows:
        y -= 1
        ax.axhline(y + 0.5, color="black", linewidth=0.6)
        ax.text(0.0, y, widths_label(row["widths"]), fontsize=11, va="center")
        ax.text(0.25, y, str(row["critical_points"]), fontsize=11, va="center")
        for k, pattern in enumerate(row["patterns"]):
            ax.text(0.42, y - k, str(pattern["count"]), fontsize=11, va="center")
            _draw_matrices(ax, 0.6, y - k, list(reversed(pattern["weights"])))
        y -= len(row["patterns"]) - 1
    ax.set_xlim(0, 1.2)
    ax.set_ylim(y - 1, n_lines + 0.5)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def _draw_matrices(ax, x, y, matrices) -> None:
    """Matrices of ``*`` and ``0`` in brackets, side by side, centred on line ``y``."""
    for matrix in matrices:
        rows = len(matrix)
        text = "\n".join(" ".join("*" if v else "0" for v in r) for r in matrix)
        ax.text(x, y, f"{text}", fontsize=max(6, 12 - rows), va="center",
                family="monospace", linespacing=0.9,
                bbox={"boxstyle": "square,pad=0.15", "fill": False, "linewidth": 0.5})
        x += 0.05 * len(matrix[0]) + 0.04
