"""The affine gradient system of a deep linear network, written for other solvers.

Every homogenizing coordinate ``w{k}_0`` is set to 1 and every random constant to
its value, so the system is square in the weight entries ``w{k}_{n}``; it is
written in PHCpack's input syntax and in classic Bertini input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from dln_regen.network import DeepLinearNetwork, exact_decimal

# Weight entries are the only variables; a name like this cannot clash with
# PHCpack's imaginary unit ``i`` or exponent ``E``, nor with Bertini's ``I``.
VARIABLE_NAME = re.compile(r"w\d+_\d+")
# Digits kept when a coefficient, a polynomial in the constants, is evaluated.
EVAL_DIGITS = 30

Monomial = tuple[int, ...]


@dataclass(frozen=True)
class AffineSystem:
    """A square polynomial system: variables by layer and one term map per equation."""

    groups: list[list[str]]
    polynomials: list[dict[Monomial, complex]]

    @property
    def variables(self) -> list[str]:
        return [name for group in self.groups for name in group]


def affine_system(widths, seed: int) -> AffineSystem:
    """The gradient system of ``DeepLinearNetwork(widths, 1, seed)``, ``w{k}_0 = 1``."""
    network = DeepLinearNetwork(widths, samples=1, seed=seed)
    groups = [names[1:] for names in network.group_names()]
    for name in (n for group in groups for n in group):
        if not VARIABLE_NAME.fullmatch(name):
            raise ValueError(f"unexpected variable name {name!r}")
    variables = [sympy.Symbol(n) for group in groups for n in group]
    ones = {sympy.Symbol(h): sympy.Integer(1) for h in network.homogenizer_names()}
    values = {sympy.Symbol(name): complex_number(z) for name, z in network.constants()}
    polys = [term_map(expr.xreplace(ones), variables, values)
             for _, expr in network.gradient()]
    return AffineSystem(groups, polys)


def complex_number(z) -> sympy.Expr:
    """A Python or numpy complex as an exact sympy number."""
    z = complex(z)
    return sympy.Float(z.real, EVAL_DIGITS) + sympy.I * sympy.Float(z.imag, EVAL_DIGITS)


def term_map(expr, variables, values) -> dict[Monomial, complex]:
    """Expand ``expr`` in ``variables``; evaluate each coefficient at ``values``."""
    poly = sympy.Poly(sympy.expand(expr), *variables)
    terms = {}
    for monomial, coeff in poly.terms():
        value = complex(sympy.N(coeff.xreplace(values), EVAL_DIGITS))
        if value != 0:
            terms[monomial] = value
    return terms


def monomial_text(names, monomial: Monomial) -> str:
    """``w1_1^2*w2_3`` for exponents ``monomial`` of ``names``; ``1`` when constant."""
    factors = [n if e == 1 else f"{n}^{e}" for n, e in zip(names, monomial) if e]
    return "*".join(factors) or "1"


def phc_number(z: complex) -> str:
    """A complex coefficient in PHCpack syntax, in parentheses."""
    sign = "-" if z.imag < 0 else "+"
    return f"({z.real!r} {sign} {abs(z.imag)!r}*i)"


def phc_text(system: AffineSystem) -> str:
    """The system in PHCpack's format: its size, then each polynomial and ``;``."""
    names = system.variables
    lines = [str(len(system.polynomials))]
    for poly in system.polynomials:
        terms = [f"{phc_number(c)}*{monomial_text(names, m)}" for m, c in poly.items()]
        lines.append(" " + "\n + ".join(terms) + ";")
    return "\n".join(lines) + "\n"


def bertini_text(system: AffineSystem, one_group: bool = False) -> str:
    """The system in classic Bertini input: an affine group per layer, or one."""
    names = system.variables
    groups = [names] if one_group else system.groups
    lines = [f"variable_group {', '.join(group)};" for group in groups]
    functions = [f"f{k + 1}" for k in range(len(system.polynomials))]
    lines.append(f"function {', '.join(functions)};")
    for name, poly in zip(functions, system.polynomials):
        terms = [f"({exact_decimal(c)})*{monomial_text(names, m)}"
                 for m, c in poly.items()]
        lines.append(f"{name} = " + " + ".join(terms) + ";")
    return "\n".join(lines) + "\n"
