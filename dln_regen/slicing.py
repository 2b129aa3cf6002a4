"""The random linear data of one regeneration: slices, degree linears, start point.

Plain numpy arrays drawn from one seed, so that every worker process builds the
same homotopies from the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem

# Names the random stream of the regeneration's data, apart from the network's.
REGENERATION_STREAM = 1


@dataclass(frozen=True)
class LinearForm:
    """``sum_k coefficients[k] * x_k + constant`` over the variables of one group."""

    coefficients: np.ndarray
    constant: complex = 0j

    def __call__(self, coords: np.ndarray) -> complex:
        return complex(self.coefficients @ coords + self.constant)


@dataclass(frozen=True)
class Slicing:
    """Slices ``l[i][j]`` through the start point and degree linears ``r[i][j]``.

    A node at multidimension ``e`` holds the slices ``l[i][j]`` with ``j < e[i]``.
    """

    seed: int
    start_point: tuple[np.ndarray, ...]  # one coordinate vector per group
    slices: tuple[tuple[LinearForm, ...], ...]
    degree_linears: tuple[tuple[LinearForm, ...], ...]

    @classmethod
    def draw(cls, problem: Problem, seed: int) -> "Slicing":
        """Draw the regeneration's random data for ``problem`` from ``seed``."""
        # A stream of its own: the network's data are drawn from the same seed,
        # and slices made from the same random bits would not be generic.
        rng = np.random.default_rng([seed, REGENERATION_STREAM])
        start, slices, linears = [], [], []
        for group, n_linears in zip(problem.groups, problem.max_degrees):
            size = len(group.names)
            point = _gaussian(rng, size)
            start.append(point)
            slices.append(
                tuple(
                    _form_through(rng, point, group.projective)
                    for _ in range(group.dimension)
                )
            )
            linears.append(
                tuple(
                    _random_form(rng, size, group.projective) for _ in range(n_linears)
                )
            )
        return cls(seed, tuple(start), tuple(slices), tuple(linears))

    def start_coordinates(self) -> np.ndarray:
        """The start point as one vector in the system's variable order."""
        return np.concatenate(self.start_point)


def _gaussian(rng, size) -> np.ndarray:
    return (rng.normal(size=size) + 1j * rng.normal(size=size)) / np.sqrt(2)


def _random_form(rng, size, projective) -> LinearForm:
    constant = 0j if projective else complex(_gaussian(rng, 1)[0])
    return LinearForm(_gaussian(rng, size), constant)


def _form_through(rng, point, projective) -> LinearForm:
    """A random linear form vanishing at ``point`` (homogeneous when projective)."""
    coefficients = _gaussian(rng, len(point))
    if projective:
        # Adjust the coordinate of largest modulus so that the form vanishes there.
        k = int(np.argmax(abs(point)))
        rest = coefficients @ point - coefficients[k] * point[k]
        coefficients[k] = -rest / point[k]
        return LinearForm(coefficients)
    return LinearForm(coefficients, complex(-(coefficients @ point)))
