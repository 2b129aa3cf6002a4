"""Deep linear networks: widths, random data, and the gradient system of the loss.

The loss is ``1/2 sum_j |W_{H+1} ... W_1 X_j - Y_j|^2 + sum_k |Lambda_k * W_k|^2``
(Crowley, Rodriguez, Weiker, Zoromski). Its critical points are the zeros of the
gradient, one polynomial per weight entry. Each layer is a projective variable
group ``w{k}_0, w{k}_1, ...`` with ``w{k}_0`` homogenizing; entries are numbered
column by column, as in the published input files, so ``w{k}_{c*rows + r + 1}``
is row ``r``, column ``c`` of ``W_k``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy

from .errors import InputError
from .widths import parse_widths, weight_shapes

# Digits written for every random constant: exact decimals, as Bertini 2
# refuses Python floats and reads too few digits from scientific notation.
CONSTANT_DIGITS = 16


def entry_name(layer: int, row: int, col: int, rows: int, cols: int | None = None) -> str:
    """Variable name of ``W_layer[row, col]`` (column-major, 1-based).

    Given ``cols``, indices are zero-padded to one width within the layer:
    Bertini 2's parser refuses a declaration where one name extends an earlier
    one (``w1_1, w1_10``), so no name may be a prefix of another.
    """
    digits = len(str(rows * cols)) if cols else 1
    return f"w{layer}_{int(col) * rows + int(row) + 1:0{digits}d}"


def homogenizer_name(layer: int, rows: int, cols: int) -> str:
    return f"w{layer}_{0:0{len(str(rows * cols))}d}"


def index_name(prefix: str, indices, sizes) -> str:
    """``prefix_i_j`` with each index padded to the width of its largest value."""
    parts = [f"{int(i) + 1:0{len(str(n))}d}" for i, n in zip(indices, sizes)]
    return "_".join([prefix, *parts])


@dataclass(frozen=True)
class NetworkData:
    """The random complex data of one draw: ``X``, ``Y`` and the regularizer weights."""

    x: np.ndarray
    y: np.ndarray
    lam: tuple[np.ndarray, ...]

    @classmethod
    def draw(cls, widths: tuple[int, ...], samples: int, seed: int) -> "NetworkData":
        """Draw uniform complex data in the unit square, reproducibly from ``seed``."""
        rng = np.random.default_rng(seed)

        def unit_square(shape):
            return rng.uniform(size=shape) + 1j * rng.uniform(size=shape)

        x = unit_square((widths[0], samples))
        y = unit_square((widths[-1], samples))
        lam = tuple(unit_square(shape) for shape in weight_shapes(widths))
        return cls(x, y, lam)


def exact_decimal(z: complex) -> str:
    """A complex number as ``a+b*I`` with plain decimals Bertini reads exactly."""
    re_part = np.format_float_positional(z.real, precision=CONSTANT_DIGITS, trim="-")
    im_part = np.format_float_positional(
        abs(z.imag), precision=CONSTANT_DIGITS, trim="-"
    )
    sign = "-" if z.imag < 0 else "+"
    return f"{re_part}{sign}{im_part}*I"


class DeepLinearNetwork:
    """The gradient system of the regularized loss for one set of widths and data."""

    def __init__(self, widths, samples: int = 1, seed: int = 0):
        self.widths = parse_widths(widths)
        if samples < 1:
            raise InputError(f"samples must be a positive integer, got {samples}")
        self.samples = samples
        self.seed = seed
        self.data = NetworkData.draw(self.widths, samples, seed)

    @property
    def n_layers(self) -> int:
        return len(self.widths) - 1

    @cached_property
    def weights(self) -> list[sympy.Matrix]:
        """Symbolic weight matrices ``W_1, ..., W_{H+1}``."""
        mats = []
        for k, (rows, cols) in enumerate(weight_shapes(self.widths), start=1):
            mats.append(
                sympy.Matrix(
                    rows,
                    cols,
                    lambda r, c: sympy.Symbol(entry_name(k, r, c, rows, cols)),
                )
            )
        return mats

    @cached_property
    def homogenizers(self) -> list[sympy.Symbol]:
        return [
            sympy.Symbol(homogenizer_name(k, rows, cols))
            for k, (rows, cols) in enumerate(weight_shapes(self.widths), start=1)
        ]

    def group_names(self) -> list[list[str]]:
        """Names of each projective group, the homogenizing coordinate first."""
        groups = []
        for k, mat in enumerate(self.weights, start=1):
            entries = sorted(mat, key=lambda s: int(s.name.split("_")[1]))
            groups.append([self.homogenizers[k - 1].name] + [s.name for s in entries])
        return groups

    def _constant_matrix(self, prefix: str, rows: int, cols: int) -> sympy.Matrix:
        # One data point keeps the published names x_1, y_1, ...
        sizes = (rows,) if cols == 1 else (rows, cols)
        return sympy.Matrix(
            rows,
            cols,
            lambda r, c: sympy.Symbol(index_name(prefix, (r, c)[: len(sizes)], sizes)),
        )

    @cached_property
    def x_symbols(self) -> sympy.Matrix:
        return self._constant_matrix("x", self.widths[0], self.samples)

    @cached_property
    def y_symbols(self) -> sympy.Matrix:
        return self._constant_matrix("y", self.widths[-1], self.samples)

    def lam_symbol(self, layer: int, row: int, col: int, rows: int) -> sympy.Symbol:
        cols = self.widths[layer - 1]
        return sympy.Symbol("lam_" + entry_name(layer, row, col, rows, cols))

    def _product(self, first: int, last: int, size: int) -> sympy.Matrix:
        """``W_last ... W_first`` (1-based, inclusive); identity when empty."""
        out = sympy.eye(size)
        for k in range(first, last + 1):
            out = self.weights[k - 1] * out
        return out

    def gradient(self) -> list[tuple[str, sympy.Expr]]:
        """The homogenized gradient: ``(name, polynomial)`` per weight entry, layer H+1 first.

        Built once per network (a fraction of a second for (2,2,2)): the input
        folder writes both the rows and their degrees.

        Within a layer the rows go row by row, as in the hand-written seed folders:
        regeneration tracks fewer paths in that order (664 against 756 for
        (2,2,2), 21584 against 23982 for (2,2,2,2)).

        ``dL/dW_k = B^T (W X - Y) (A X)^T + c_k * W_k`` with ``A = W_{k-1}...W_1`` and
        ``B = W_{H+1}...W_{k+1}``. Every term is padded with the other groups'
        homogenizing coordinates so that each row has degree 1 in its own group and
        2 in the others.
        """
        return list(self._gradient_rows)

    @cached_property
    def _gradient_rows(self) -> tuple[tuple[str, sympy.Expr], ...]:
        n = self.n_layers
        h_all = sympy.Mul(*self.homogenizers)
        residual = (
            self._product(1, n, self.widths[0]) * self.x_symbols
            - h_all * self.y_symbols
        )
        rows = []
        for k in range(n, 0, -1):
            a_x = self._product(1, k - 1, self.widths[0]) * self.x_symbols
            b = self._product(k + 1, n, self.widths[k])
            loss_part = b.T * residual * a_x.T
            pad = sympy.Mul(
                *[h**2 for j, h in enumerate(self.homogenizers) if j != k - 1]
            )
            mat = self.weights[k - 1]
            nrows, ncols = mat.shape
            for r in range(nrows):
                for c in range(ncols):
                    lam = self.lam_symbol(k, r, c, nrows)
                    expr = lam * mat[r, c] * pad + loss_part[r, c]
                    name = "F" + entry_name(k, r, c, nrows, ncols)
                    rows.append((name, expr))
        return tuple(rows)

    def constants(self) -> list[tuple[str, complex]]:
        """Every random constant of the system with its value."""
        out = []
        for sym, value in zip(self.x_symbols, np.asarray(self.data.x).ravel()):
            out.append((sym.name, value))
        for sym, value in zip(self.y_symbols, np.asarray(self.data.y).ravel()):
            out.append((sym.name, value))
        for k, lam in enumerate(self.data.lam, start=1):
            rows, cols = lam.shape
            for c in range(cols):
                for r in range(rows):
                    out.append((self.lam_symbol(k, r, c, rows).name, lam[r, c]))
        return out

    def multidegrees(self) -> list[list[int]]:
        """Degree of each gradient row in each group, computed from the polynomials."""
        groups = [[sympy.Symbol(v) for v in names] for names in self.group_names()]
        ends = np.cumsum([len(group) for group in groups])
        degrees = []
        for _, expr in self.gradient():
            # One expansion in every variable; a group's degree is the largest
            # sum of its exponents over the monomials.
            monomials = np.array(sympy.Poly(expr, *sum(groups, [])).monoms())
            degrees.append(
                [
                    int(part.sum(axis=1).max())
                    for part in np.split(monomials, ends[:-1], axis=1)
                ]
            )
        return degrees

    def equations_text(self) -> str:
        """The ``bertiniInput_equations`` file: constants with values, then functions."""
        lines = []
        for name, value in self.constants():
            lines.append(f"constant {name};")
            lines.append(f"{name} = {exact_decimal(complex(value))};")
        rows = self.gradient()
        lines.append("function " + ", ".join(name for name, _ in rows) + ";")
        for name, expr in rows:
            lines.append(f"{name} = {bertini_expression(expr)};")
        return "\n".join(lines) + "\n"

    def variables_text(self) -> str:
        """The ``bertiniInput_variables`` file: one projective group per layer."""
        return "".join(
            "hom_variable_group " + ", ".join(names) + ";\n"
            for names in self.group_names()
        )

    def dehomogenized_weights(self, groups: list[np.ndarray]) -> list[np.ndarray]:
        """Weight matrices of a point given by its projective coordinates per layer."""
        mats = []
        for coords, (rows, cols) in zip(groups, weight_shapes(self.widths)):
            affine = np.asarray(coords[1:]) / coords[0]
            mats.append(affine.reshape((cols, rows)).T)
        return mats


def bertini_expression(expr: sympy.Expr) -> str:
    """Write a sympy expression in Bertini's classic syntax (``^`` for powers)."""
    return sympy.sstr(expr, order="none").replace("**", "^")
