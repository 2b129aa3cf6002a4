"""dln_regen.network: widths, data, the gradient system and its multidegrees."""

import re

import numpy as np
import pytest
import sympy

from dln_regen.errors import InputError
from dln_regen.network import (
    DeepLinearNetwork,
    NetworkData,
    entry_name,
    exact_decimal,
    parse_widths,
    weight_shapes,
)

import helpers


# -- widths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, widths",
    [(["2", "2", "2"], (2, 2, 2)), ((1, 2, 1), (1, 2, 1)), (["3", "1"], (3, 1))],
)
def test_parse_widths_accepts_positive_integers(values, widths):
    assert parse_widths(values) == widths


@pytest.mark.parametrize(
    "values, named",
    [(["2"], "at least two widths"), (["0", "2"], "'0'"), (["2", "x"], "'x'"),
     (["2", "-1"], "'-1'"), (["2", "2.5"], "'2.5'"), ([], "at least two widths")],
)
def test_parse_widths_refuses_bad_widths(values, named):
    with pytest.raises(InputError, match=re.escape(named)):
        parse_widths(values)


def test_weight_shapes_are_dk_by_dk_minus_1():
    assert weight_shapes((2, 3, 4, 1)) == [(3, 2), (4, 3), (1, 4)]


def test_entries_are_numbered_column_by_column():
    # W_1 is 2 x 3: w1_1 w1_3 w1_5 / w1_2 w1_4 w1_6, as in the published files.
    names = [[entry_name(1, r, c, 2) for c in range(3)] for r in range(2)]
    assert names == [["w1_1", "w1_3", "w1_5"], ["w1_2", "w1_4", "w1_6"]]


def test_samples_must_be_positive():
    with pytest.raises(InputError, match="samples"):
        DeepLinearNetwork((2, 2), samples=0)


# -- data --------------------------------------------------------------------------------


def test_data_shapes_and_reproducibility():
    a = NetworkData.draw((2, 3, 4), 5, seed=7)
    b = NetworkData.draw((2, 3, 4), 5, seed=7)
    c = NetworkData.draw((2, 3, 4), 5, seed=8)
    assert a.x.shape == (2, 5) and a.y.shape == (4, 5)
    assert [lam.shape for lam in a.lam] == [(3, 2), (4, 3)]
    for u, v in zip([a.x, a.y, *a.lam], [b.x, b.y, *b.lam]):
        assert np.array_equal(u, v)
    assert not np.allclose(a.x, c.x)
    # Uniform in the unit square of the complex plane.
    for m in [a.x, a.y, *a.lam]:
        assert np.all((0 <= m.real) & (m.real < 1) & (0 <= m.imag) & (m.imag < 1))


@pytest.mark.parametrize("z", [0.3772089598719719 + 0.7221986055410214j,
                               1.5e-7 - 2.25e-5j, -0.5 - 0j, 3.0 + 1e-17j])
def test_exact_decimal_is_plain_and_close(z):
    text = exact_decimal(z)
    assert "e" not in text.lower().replace("i", "")  # no scientific notation
    match = re.fullmatch(r"(-?[\d.]+)([+-])([\d.]+)\*I", text)
    assert match, text
    value = complex(float(match[1]), float(match[3]) * (1 if match[2] == "+" else -1))
    assert abs(value - z) <= 1e-16 * max(1.0, abs(z))


@pytest.mark.parametrize("widths, samples", [((2, 2, 2), 1), ((1, 2, 1), 1), ((2, 3, 2), 2)])
def test_equations_file_holds_the_data(widths, samples):
    """Every constant of bertiniInput_equations is the drawn value, under its name."""
    net = DeepLinearNetwork(widths, samples, seed=5)
    text = net.equations_text()
    written = {}
    for name, value in re.findall(r"^(\w+) = (\S+);$", text, flags=re.M):
        if name.startswith(("x_", "y_", "lam_")):
            m = re.fullmatch(r"([\d.]+)\+([\d.]+)\*I", value)
            written[name] = complex(float(m[1]), float(m[2]))
    d = net.data
    expected = {}
    for prefix, mat in (("x", d.x), ("y", d.y)):
        for r in range(mat.shape[0]):
            for c in range(mat.shape[1]):
                key = f"{prefix}_{r + 1}" if samples == 1 else f"{prefix}_{r + 1}_{c + 1}"
                expected[key] = mat[r, c]
    for k, lam in enumerate(d.lam, start=1):
        rows, cols = lam.shape
        for r in range(rows):
            for c in range(cols):
                expected[f"lam_w{k}_{c * rows + r + 1}"] = lam[r, c]
    assert written.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(written[key] - value) < 1e-15, key


# -- the gradient --------------------------------------------------------------------------


def random_weights(widths, rng):
    return [rng.normal(size=s) + 1j * rng.normal(size=s) for s in weight_shapes(widths)]


@pytest.mark.parametrize("widths, samples", [((2, 2), 1), ((2, 2, 2), 1), ((1, 2, 1), 1),
                                             ((2, 3, 2), 2), ((2, 1, 3, 2), 3)])
def test_numpy_gradient_matches_finite_differences_of_the_loss(widths, samples):
    """The reference gradient of the tests (helpers.gradient) is dL/dW of the loss."""
    data = NetworkData.draw(widths, samples, seed=11)
    weights = random_weights(widths, np.random.default_rng(3))
    grads = helpers.gradient(weights, data.x, data.y, data.lam)
    h = 1e-5
    for k, w in enumerate(weights):
        for idx in np.ndindex(w.shape):
            step = [m.copy() for m in weights]
            step[k][idx] += h
            up = helpers.loss(step, data.x, data.y, data.lam)
            step[k][idx] -= 2 * h
            down = helpers.loss(step, data.x, data.y, data.lam)
            assert abs((up - down) / (2 * h) - grads[k][idx]) < 1e-6 * max(1, abs(grads[k][idx]))


@pytest.mark.parametrize("widths, samples", [((2, 2), 1), ((2, 2, 2), 1), ((1, 2, 1), 1),
                                             ((2, 3, 2), 2), ((2, 1, 3, 2), 3)])
def test_symbolic_gradient_is_the_gradient_when_dehomogenized(widths, samples):
    """network.gradient() with w{k}_0 = 1 and the data substituted is dL/dW."""
    net = DeepLinearNetwork(widths, samples, seed=4)
    weights = random_weights(widths, np.random.default_rng(9))
    values = {sympy.Symbol(name): complex(v) for name, v in net.constants()}
    values.update({sympy.Symbol(h): 1 for h in net.homogenizer_names()})
    for k, w in enumerate(weights, start=1):
        names = net.weight_names(k)
        for r, c in np.ndindex(w.shape):
            values[sympy.Symbol(names[r][c])] = complex(w[r, c])
    reference = helpers.gradient(weights, net.data.x, net.data.y, net.data.lam)
    rows = net.gradient()
    assert len(rows) == sum(r * c for r, c in weight_shapes(widths))
    for name, expr in rows:
        k, j = map(int, re.fullmatch(r"Fw(\d+)_(\d+)", name).groups())
        rows_k = widths[k]
        r, c = (j - 1) % rows_k, (j - 1) // rows_k
        got = complex(expr.xreplace(values))
        assert abs(got - reference[k - 1][r, c]) < 1e-12 * max(1, abs(got)), name


def test_gradient_rows_are_listed_last_layer_first_row_by_row():
    """The order of the seed folders (names are column-major: w_3 is row 1, column 2)."""
    names = [name for name, _ in DeepLinearNetwork((2, 2, 2)).gradient()]
    assert names == ["Fw2_1", "Fw2_3", "Fw2_2", "Fw2_4", "Fw1_1", "Fw1_3", "Fw1_2", "Fw1_4"]


# -- multidegrees ------------------------------------------------------------------------


def test_multidegrees_222():
    assert DeepLinearNetwork((2, 2, 2)).multidegrees() == [[2, 1]] * 4 + [[1, 2]] * 4


def test_multidegrees_2222():
    assert (DeepLinearNetwork((2, 2, 2, 2)).multidegrees()
            == [[2, 2, 1]] * 4 + [[2, 1, 2]] * 4 + [[1, 2, 2]] * 4)


@pytest.mark.parametrize("widths", [(2, 2), (1, 2, 1), (2, 3, 2), (3, 1, 2, 2)])
def test_every_row_is_homogeneous_of_degree_one_in_its_layer_and_two_elsewhere(widths):
    net = DeepLinearNetwork(widths)
    degrees = net.multidegrees()
    layers = [int(re.match(r"Fw(\d+)_", name)[1]) for name, _ in net.gradient()]
    groups = [[sympy.Symbol(v) for v in names] for names in net.group_names()]
    for (name, expr), degree, layer in zip(net.gradient(), degrees, layers):
        assert degree == [1 if g == layer else 2 for g in range(1, net.n_layers + 1)], name
        for group, d in zip(groups, degree):
            poly = sympy.Poly(sympy.expand(expr), *group)
            assert poly.is_homogeneous and poly.total_degree() == d, name


# -- files and points ------------------------------------------------------------------------


def test_variables_file_has_one_projective_group_per_layer():
    text = DeepLinearNetwork((2, 3, 1)).variables_text()
    assert text == (
        "hom_variable_group w1_0, w1_1, w1_2, w1_3, w1_4, w1_5, w1_6;\n"
        "hom_variable_group w2_0, w2_1, w2_2, w2_3;\n"
    )


def test_dehomogenized_weights_read_entries_column_by_column():
    net = DeepLinearNetwork((2, 3, 1))
    g1 = np.array([2, 1, 2, 3, 4, 5, 6], dtype=complex)  # w1_0 = 2
    g2 = np.array([-1, 7, 8, 9], dtype=complex)
    w1, w2 = net.dehomogenized_weights([g1, g2])
    assert w1.shape == (3, 2) and w2.shape == (1, 3)
    assert np.array_equal(w1, np.array([[1, 4], [2, 5], [3, 6]]) / 2)
    assert np.array_equal(w2, -np.array([[7, 8, 9]]))
