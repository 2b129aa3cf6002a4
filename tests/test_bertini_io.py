"""dln_regen.bertini_io: reading and writing input folders of the original driver."""

import logging
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from dln_regen.bertini_io import (
    EQUATIONS_FILE,
    OPTIONS_PY,
    OPTIONS_YAML,
    TRACKING_FILE,
    VARIABLES_FILE,
    check_declared_degrees,
    plain_decimals,
    read_function_names,
    read_options,
    read_problem,
    read_python_options,
    read_tracking_options,
    read_variable_groups,
    renamed_for_bertini2,
    write_input_folder,
)
from dln_regen.errors import InputError
from dln_regen.network import DeepLinearNetwork
from dln_regen.problem import TrackingOptions
from dln_regen.trackers.bertini2 import degrees_of, parse_system

from helpers import EXAMPLES, SEED_FOLDERS, needs_seed

SEED_222 = SEED_FOLDERS / "D_2_2_2"


# -- identifiers Bertini 2 rejects ---------------------------------------------------------


def test_ii_is_renamed_and_the_imaginary_unit_stays():
    text, renames = renamed_for_bertini2("constant ii; ii=I;\nx_1 = .93+.66*ii;\nf = I*ii*x;")
    assert renames == {"ii": "c_ii"}
    assert text == "constant c_ii; c_ii=I;\nx_1 = .93+.66*c_ii;\nf = I*c_ii*x;"


def test_renaming_touches_whole_identifiers_only():
    text, renames = renamed_for_bertini2("f = Lam_ii*xi + ii2*index - pi*ii;")
    assert renames == {"ii2": "c_ii2", "index": "c_index", "ii": "c_ii"}
    assert text == "f = Lam_ii*xi + c_ii2*c_index - pi*c_ii;"


def test_renaming_avoids_names_already_in_use():
    text, renames = renamed_for_bertini2("f = ii + c_ii;")
    assert renames == {"ii": "c_c_ii"}
    assert text == "f = c_c_ii + c_ii;"


@needs_seed
def test_nothing_to_rename_leaves_the_text_alone():
    source = (SEED_FOLDERS / "D_2_2_2" / VARIABLES_FILE).read_text()
    assert renamed_for_bertini2(source) == (source, {})


@needs_seed
def test_bertini2_rejects_ii_and_accepts_the_renamed_seed_file():
    """Why the renaming exists, on the seed's own equations."""
    text = (SEED_222 / VARIABLES_FILE).read_text() + (SEED_222 / EQUATIONS_FILE).read_text()
    with pytest.raises(InputError, match="cannot parse"):
        parse_system(text)
    renamed, renames = renamed_for_bertini2(text)
    assert renames == {"ii": "c_ii"}
    system = parse_system(renamed)
    assert system.num_functions() == 8


# -- plain decimals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, plain",
    [("1e-3", "0.001"), ("1.5E+2", "150"), (".5e1", "5"), ("2.5e-20", "0.000000000000000000025"),
     ("1e12", "1000000000000"), ("3.25", "3.25"), ("x = 1.0;", "x = 1.0;"),
     ("f = 2e-2*x1e5 + w1_2e3;", "f = 0.02*x1e5 + w1_2e3;"),
     ("a = -4E-1+1e0*I;", "a = -0.4+1*I;")],
)
def test_plain_decimals(source, plain):
    assert plain_decimals(source) == plain


def test_plain_decimals_keep_the_value_exactly():
    for number in ["1.2345678901234567e-9", "9.87654321e+15", "6.02214076E23"]:
        assert Decimal(plain_decimals(number)) == Decimal(number)
        assert "e" not in plain_decimals(number).lower()


def test_bertini2_refuses_scientific_notation_but_reads_plain_decimals():
    text = "variable_group x;\nfunction f;\nf = 1e-3*x - 2.5E+1;\n"
    with pytest.raises(InputError):
        parse_system(text)
    system = parse_system(plain_decimals(text))
    value = complex(system.eval([complex(2.0)])[0])
    assert abs(value - (0.002 - 25)) < 1e-14


# -- tracking options ----------------------------------------------------------------------


@needs_seed
def test_tracking_options_of_the_seed_folder():
    options = read_tracking_options((SEED_222 / TRACKING_FILE).read_text())
    assert options == TrackingOptions(
        final_tolerance=1e-16, security_level=1, precision="adaptive",
        condition_number_threshold=1e12,
    )


def test_every_supported_key_case_insensitively():
    text = (
        "FINALTOL: 1e-12;\nsecuritylevel : 1;\nMPTYPE : 0;\nCondNumThreshold : 1e10;\n"
        "TrackTolBeforeEG : 1e-6;\nTrackTolDuringEG : 1e-7;\nMaxStepSize : 0.05;\n"
        "MaxNewtonIts : 3;\nEndgameNum : 1;\nEndgameBNDRY : 0.05;\nODEPredictor : 7;\n"
    )
    assert read_tracking_options(text) == TrackingOptions(
        final_tolerance=1e-12, security_level=1, precision="double",
        condition_number_threshold=1e10, tracking_tolerance=1e-6,
        tracking_tolerance_during_endgame=1e-7, max_step_size=0.05,
        max_newton_iterations=3, endgame="powerseries", endgame_boundary=0.05,
        predictor="RKDormandPrince56",
    )


def test_empty_file_gives_the_defaults():
    assert read_tracking_options("\n  \n") == TrackingOptions()


def test_comments_are_skipped_even_after_a_semicolon():
    text = (
        "% Bertini 1 options\n"
        "finalTol : 1e-14; % tight; tighter than the default\n"
        "MPTYPE : 0; % double\n"
        "MaxNewtonIts : 4;\n"
    )
    options = read_tracking_options(text)
    assert options.final_tolerance == 1e-14
    assert options.precision == "double"
    assert options.max_newton_iterations == 4


@pytest.mark.parametrize(
    "text, named",
    [("Frobnicate : 1;", "'Frobnicate'"), ("MPTYPE : 7;", "'7'"),
     ("SecurityLevel : high;", "'high'"), ("finalTol 1e-16;", "finalTol 1e-16"),
     ("EndgameNum : 3;", "'3'"), ("ODEPredictor : 9;", "ODEPredictor 9"),
     # Bertini 2's tracker aborts the process on Heun and RK-Norsett 3(4).
     ("ODEPredictor : 1;", "ODEPredictor 1"), ("ODEPredictor : 3;", "ODEPredictor 3"),
     ("ODEPredictor : 4;", "ODEPredictor 4")],
)
def test_bad_tracking_options_are_refused_by_name(text, named):
    with pytest.raises(InputError, match=re.escape(named)):
        read_tracking_options(text)


# -- inputFile.py is data ------------------------------------------------------------------


def test_python_options_are_read_as_literals(tmp_path):
    path = tmp_path / OPTIONS_PY
    path.write_text(
        "degrees  = [[2, 1], [1, 2]]\n"
        "targetDimensions = [[0, 0]]\n"
        'explorationOrder = "depthFirst"\n'
        "logTolerance = -12\n"
        "depth = None\n"
        "nonzeroCoordinates = ('w1_1',)\n"
    )
    assert read_python_options(path) == {
        "degrees": [[2, 1], [1, 2]], "targetDimensions": [[0, 0]],
        "explorationOrder": "depthFirst", "logTolerance": -12, "depth": None,
        "nonzeroCoordinates": ("w1_1",),
    }


def test_python_options_file_is_never_executed(tmp_path, caplog):
    marker = tmp_path / "executed"
    path = tmp_path / OPTIONS_PY
    path.write_text(
        "import os; os.system('touch {m}')\n"
        "open('{m}', 'w').write('top level')\n"
        "def prune(point):\n"
        "    open('{m}', 'w').write('hook')\n"
        "    return False\n"
        "prune(None)\n"
        "degrees = [[2, 1]]\n"
        "cwd = os.getcwd()\n"
        "weird = {{[1]: 2}}\n"
        "for k in range(3): degrees = k\n".format(m=marker)
    )
    with caplog.at_level(logging.WARNING, logger="dln_regen"):
        options = read_python_options(path)
    assert not marker.exists()
    assert options == {"degrees": [[2, 1]]}
    assert "prune" in caplog.text  # the hook is reported as not run
    assert "cwd" in caplog.text  # a non-literal value is reported as ignored


def test_python_options_syntax_error_is_an_input_error(tmp_path):
    path = tmp_path / OPTIONS_PY
    path.write_text("degrees = [[2, 1]\n")
    with pytest.raises(InputError, match="not valid Python"):
        read_python_options(path)


def test_yaml_options_are_preferred(tmp_path):
    (tmp_path / OPTIONS_PY).write_text("depth = 3\n")
    (tmp_path / OPTIONS_YAML).write_text("depth: 2\nexplorationOrder: depthFirst\n")
    assert read_options(tmp_path) == {"depth": 2, "explorationOrder": "depthFirst"}
    (tmp_path / OPTIONS_YAML).write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="mapping"):
        read_options(tmp_path)


def test_no_options_file_means_no_options(tmp_path):
    assert read_options(tmp_path) == {}


# -- declarations and degrees --------------------------------------------------------------


def test_variable_groups_in_order():
    groups = read_variable_groups(
        "hom_variable_group w1_0, w1_1 ;\nvariable_group x, y;\nhom_variable_group z0,z1,z2;"
    )
    assert [(g.names, g.projective, g.dimension) for g in groups] == [
        (("w1_0", "w1_1"), True, 1), (("x", "y"), False, 2), (("z0", "z1", "z2"), True, 2),
    ]
    with pytest.raises(InputError, match="no variable group"):
        read_variable_groups("function f;")


@needs_seed
def test_function_names_in_order():
    text = (SEED_222 / EQUATIONS_FILE).read_text()
    assert read_function_names(text) == (
        "Fw2_1", "Fw2_3", "Fw2_2", "Fw2_4", "Fw1_1", "Fw1_3", "Fw1_2", "Fw1_4",
    )
    with pytest.raises(InputError, match="no function"):
        read_function_names("constant a; a = 1;")


def test_declared_degrees_must_match():
    computed, names = [[2, 1], [1, 2]], ("f", "g")
    check_declared_degrees(None, computed, names)
    check_declared_degrees([[2, 1], [1, 2]], computed, names)
    check_declared_degrees([3, 1], [[3], [1]], names)  # one group: plain integers
    with pytest.raises(InputError, match=r"g has degrees \[1, 2\], degrees says \[2, 1\]"):
        check_declared_degrees([[2, 1], [2, 1]], computed, names)
    with pytest.raises(InputError, match="lists 1 equations"):
        check_declared_degrees([[2, 1]], computed, names)
    with pytest.raises(InputError, match="degrees must be a list"):
        check_declared_degrees(5, computed, names)


# -- whole folders -------------------------------------------------------------------------


@needs_seed
def test_read_the_seed_folder():
    problem = read_problem(SEED_222, degrees_of)
    assert problem.renamed == (("ii", "c_ii"),)
    assert not re.search(r"(?<![\w.])ii\b", problem.system_text)
    assert problem.exploration_order == "depthFirst"
    assert problem.degrees == ((2, 1),) * 4 + ((1, 2),) * 4
    assert problem.target_dimensions == ((0, 0),)
    assert [g.names[0] for g in problem.groups] == ["w1_0", "w2_0"]
    assert all(g.projective and g.dimension == 4 for g in problem.groups)
    assert problem.tracking.final_tolerance == 1e-16
    assert problem.function_names[:2] == ("Fw2_1", "Fw2_3")


@needs_seed
def test_read_the_second_seed_folder():
    problem = read_problem(SEED_FOLDERS / "D_2_2_2_2", degrees_of)
    assert problem.degrees == ((2, 2, 1),) * 4 + ((2, 1, 2),) * 4 + ((1, 2, 2),) * 4
    assert problem.exploration_order == "breadthFirst"
    assert problem.renamed == (("ii", "c_ii"),)


@pytest.mark.parametrize("name, widths", [("D_2_2_2", (2, 2, 2)), ("D_2_2_2_2", (2, 2, 2, 2))])
def test_read_the_examples(name, widths):
    problem = read_problem(EXAMPLES / name, degrees_of)
    assert problem.widths == widths
    assert problem.renamed == ()
    assert problem.degrees == tuple(map(tuple, DeepLinearNetwork(widths).multidegrees()))


@pytest.mark.parametrize("widths, samples", [((2, 2), 1), ((1, 2, 1), 1), ((2, 3, 2), 2)])
def test_written_folders_read_back(tmp_path, widths, samples):
    net = DeepLinearNetwork(widths, samples, seed=17)
    folder = write_input_folder(net, tmp_path / "in", order="depthFirst")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [VARIABLES_FILE, EQUATIONS_FILE, TRACKING_FILE, OPTIONS_PY])
    problem = read_problem(folder, degrees_of)
    assert problem.widths == widths
    assert problem.exploration_order == "depthFirst"
    assert problem.degrees == tuple(map(tuple, net.multidegrees()))
    assert problem.function_names == tuple(name for name, _ in net.gradient())
    assert problem.tracking.precision == "adaptive"
    assert problem.tracking.condition_number_threshold == 1e12
    assert "e-" not in problem.system_text and "e+" not in problem.system_text
    options = read_python_options(folder / OPTIONS_PY)
    assert options["seed"] == 17 and options["samples"] == samples


def copy_of_seed(tmp_path) -> Path:
    folder = tmp_path / "D_2_2_2"
    shutil.copytree(SEED_222, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


@needs_seed
def test_missing_tracking_options_mean_defaults(tmp_path):
    folder = copy_of_seed(tmp_path)
    (folder / TRACKING_FILE).unlink()
    assert read_problem(folder, degrees_of).tracking == TrackingOptions()


@pytest.mark.parametrize(
    "edit, named",
    [(lambda f: shutil.rmtree(f), "no such input folder"),
     (lambda f: (f / EQUATIONS_FILE).unlink(), EQUATIONS_FILE),
     (lambda f: (f / VARIABLES_FILE).unlink(), VARIABLES_FILE),
     (lambda f: (f / EQUATIONS_FILE).write_text("function f;\nf = w1_1*(;\n"), "parse"),
     (lambda f: (f / OPTIONS_PY).write_text(f"degrees = {[[1, 2]] * 8}\n"),
      "Fw2_1 has degrees [2, 1], degrees says [1, 2]"),
     (lambda f: (f / OPTIONS_PY).write_text("explorationOrder = 'sideways'\n"), "sideways"),
     (lambda f: (f / OPTIONS_PY).write_text("targetDimensions = [[0]]\n"), "targetDimensions"),
     (lambda f: (f / TRACKING_FILE).write_text("SpeedUp : 1;\n"), "SpeedUp")],
    ids=["missing-folder", "no-equations", "no-variables", "unparsable", "wrong-degrees",
         "bad-order", "bad-targets", "unknown-tracking-option"],
)
def test_broken_folders_are_input_errors(tmp_path, edit, named):
    folder = write_input_folder(DeepLinearNetwork((2, 2, 2), seed=3), tmp_path / "D_2_2_2")
    edit(folder)
    with pytest.raises(InputError, match=re.escape(named)):
        read_problem(folder, degrees_of)


def test_a_declared_name_that_starts_another_is_renamed():
    # Bertini 2 reads "a1, a10" as a1 followed by garbage; a short name such as
    # "c" must not send the renaming into a loop either.
    text, renames = renamed_for_bertini2("variable_group c, a1, a10; function f; f=c*a1*a10;")
    assert set(renames) == {"a1"}
    new = renames["a1"]
    assert not new.startswith("c") and not "a10".startswith(new)
    assert f"variable_group c, {new}, a10;" in text
