"""Deep linear networks: widths, random data, and the gradient system of the loss.

The loss is ``1/2 sum_j |W_{H+1} ... W_1 X_j - Y_j|^2 + sum_k |Lambda_k * W_k|^2``
(Crowley, Rodriguez, Weiker, Zoromski). Its critical points are the zeros of the
gradient, one polynomial per weight entry. Each layer is a projective variable
group ``w{k}_0, w{k}_1, ...`` with ``w{k}_0`` homogenizing; entries are numbered
column by column, as in the published input files, so ``w{k}_{c*rows + r + 1}``
is row ``r``, column ``c`` of ``W_k``.

The gradient is built as Bertini text straight from the formula's products
(:meth:`DeepLinearNetwork.gradient_text`), without sympy, whose import alone
takes a seventh of ``solve 2 2 2``; sympy reads that text back where
polynomials are needed: the multidegrees of ``generate``, and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    def weight_names(self, layer: int) -> list[list[str]]:
        """Names of the entries of ``W_layer``, as a matrix."""
        rows, cols = weight_shapes(self.widths)[layer - 1]
        return [
            [entry_name(layer, r, c, rows, cols) for c in range(cols)]
            for r in range(rows)
        ]

    def homogenizer_names(self) -> list[str]:
        return [
            homogenizer_name(k, rows, cols)
            for k, (rows, cols) in enumerate(weight_shapes(self.widths), start=1)
        ]

    def group_names(self) -> list[list[str]]:
        """Names of each projective group, the homogenizing coordinate first."""
        groups = []
        for k, h in enumerate(self.homogenizer_names(), start=1):
            names = self.weight_names(k)
            column_major = [row[c] for c in range(len(names[0])) for row in names]
            groups.append([h] + column_major)
        return groups

    def data_names(self, prefix: str, rows: int) -> list[list[str]]:
        """Names of ``X`` or ``Y`` (``rows`` by samples); one sample keeps ``x_1, ...``."""
        cols = self.samples
        sizes = (rows,) if cols == 1 else (rows, cols)
        return [
            [index_name(prefix, (r, c)[: len(sizes)], sizes) for c in range(cols)]
            for r in range(rows)
        ]

    def lam_name(self, layer: int, row: int, col: int, rows: int) -> str:
        cols = self.widths[layer - 1]
        return "lam_" + entry_name(layer, row, col, rows, cols)

    def gradient(self) -> list[tuple]:
        """The gradient as sympy expressions: :meth:`gradient_text`, read by sympy."""
        import sympy  # here, not at the top: solve never needs it

        names = {n: sympy.Symbol(n) for group in self.group_names() for n in group}
        names.update((n, sympy.Symbol(n)) for n, _ in self.constants())
        return [
            (name, sympy.sympify(text.replace("^", "**"), locals=names))
            for name, text in self.gradient_text()
        ]

    def constants(self) -> list[tuple[str, complex]]:
        """Every random constant of the system with its value."""
        out = []
        for prefix, values in (("x", self.data.x), ("y", self.data.y)):
            names = self.data_names(prefix, values.shape[0])
            out += zip(sum(names, []), np.asarray(values).ravel())
        for k, lam in enumerate(self.data.lam, start=1):
            rows, cols = lam.shape
            for c in range(cols):
                for r in range(rows):
                    out.append((self.lam_name(k, r, c, rows), lam[r, c]))
        return out

    def multidegrees(self) -> list[list[int]]:
        """Degree of each gradient row in each group, computed from the polynomials."""
        import sympy

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
        rows = self.gradient_text()
        lines.append("function " + ", ".join(name for name, _ in rows) + ";")
        for name, text in rows:
            lines.append(f"{name} = {text};")
        return "\n".join(lines) + "\n"

    def gradient_text(self) -> list[tuple[str, str]]:
        """The homogenized gradient as Bertini text: ``(name, row)`` per weight
        entry, layer H+1 first, built from the names alone.

        ``dL/dW_k = B^T (W X - Y) (A X)^T + c_k * W_k`` with ``A = W_{k-1}...W_1``
        and ``B = W_{H+1}...W_{k+1}``, unexpanded: ``W X`` is formed as
        ``W_{H+1} (... (W_1 X))``, ``B^T R`` by multiplying the residual ``R`` by
        ``W_{H+1}^T, ..., W_{k+1}^T``, and row ``(r, c)`` is
        ``sum_j [B^T R]_{rj} [A X]_{cj}``. ``Y`` carries every group's
        homogenizing coordinate and the regularizer term the squares of the
        other groups', so that each row has degree 1 in its own group and 2 in
        the others.

        Within a layer the rows go row by row, as in the hand-written seed
        folders: regeneration tracks fewer paths in that order (664 against 756
        for (2,2,2), 21584 against 23982 for (2,2,2,2)).
        """
        n = self.n_layers
        weights = [self.weight_names(k) for k in range(1, n + 1)]
        homogenizers = self.homogenizer_names()
        x = self.data_names("x", self.widths[0])
        y = self.data_names("y", self.widths[-1])
        w_x = chained(weights, x)
        h_all = "*".join(homogenizers)
        residual = [
            [f"{wx} - {h_all}*{target}" for wx, target in zip(wx_row, y_row)]
            for wx_row, y_row in zip(w_x, y)
        ]
        rows = []
        for k in range(n, 0, -1):
            a_x = chained(weights[: k - 1], x)
            b_residual = residual
            for w in reversed(weights[k:]):
                b_residual = text_product(transposed(w), b_residual)
            pad = "".join(
                f"*{h}^2" for j, h in enumerate(homogenizers) if j != k - 1
            )
            for r, names in enumerate(weights[k - 1]):
                for c, w in enumerate(names):
                    loss = " + ".join(
                        f"{factor(b)}*{factor(a)}"
                        for b, a in zip(b_residual[r], a_x[c])
                    )
                    lam = self.lam_name(k, r, c, len(weights[k - 1]))
                    name = "F" + entry_name(k, r, c, len(weights[k - 1]), len(names))
                    rows.append((name, f"{lam}*{w}{pad} + {loss}"))
        return rows

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


def factor(text: str) -> str:
    """``text`` as a factor of a product: a sum goes in parentheses."""
    return f"({text})" if " " in text else text


def transposed(matrix: list[list[str]]) -> list[list[str]]:
    return [list(column) for column in zip(*matrix)]


def text_product(a: list[list[str]], b: list[list[str]]) -> list[list[str]]:
    """The matrix product of two matrices of Bertini expressions, unexpanded."""
    return [
        [" + ".join(f"{factor(p)}*{factor(q)}" for p, q in zip(row, column))
         for column in zip(*b)]
        for row in a
    ]


def chained(weights: list[list[list[str]]], m: list[list[str]]) -> list[list[str]]:
    """``W_k ... W_1 m`` for the weight matrices ``[W_1, ..., W_k]`` (``m`` if none)."""
    for w in weights:
        m = text_product(w, m)
    return m
