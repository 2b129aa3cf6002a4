"""Layer widths of a network: checked once, shared by the command line and the network."""

from __future__ import annotations

from .errors import InputError


def parse_widths(values) -> tuple[int, ...]:
    """Check layer widths ``d0 ... dH+1`` given as strings or integers."""
    widths = []
    for value in values:
        try:
            width = int(str(value))
        except ValueError:
            raise InputError(
                f"widths must be positive integers, got {value!r}"
            ) from None
        if width <= 0:
            raise InputError(f"widths must be positive integers, got {value!r}")
        widths.append(width)
    if len(widths) < 2:
        raise InputError(
            f"a network needs at least two widths (d0 and d1), got {len(widths)}; "
            "for example: 2 2 2"
        )
    return tuple(widths)


def weight_shapes(widths: tuple[int, ...]) -> list[tuple[int, int]]:
    """Shapes ``(d_k, d_{k-1})`` of ``W_1, ..., W_{H+1}``."""
    return [(widths[k], widths[k - 1]) for k in range(1, len(widths))]
