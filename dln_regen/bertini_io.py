"""Input folders in the multiregeneration format: reading and writing.

A folder holds ``bertiniInput_variables``, ``bertiniInput_equations``,
``bertiniInput_trackingOptions`` and the options, as ``inputFile.yaml`` or as
the original driver's ``inputFile.py``. The Python file is read as data: its
literal assignments are taken, nothing in it is executed.
"""

from __future__ import annotations

import ast
import logging
import re
from decimal import Decimal
from pathlib import Path

import yaml

from .errors import InputError
from .problem import EXPLORATION_ORDERS, Problem, TrackingOptions, VariableGroup

log = logging.getLogger(__name__)

VARIABLES_FILE = "bertiniInput_variables"
EQUATIONS_FILE = "bertiniInput_equations"
TRACKING_FILE = "bertiniInput_trackingOptions"
OPTIONS_PY = "inputFile.py"
OPTIONS_YAML = "inputFile.yaml"

# ODEPredictor numbers as Bertini 2's own reader of Bertini 1 config files
# maps them (settings_parsers/tracking.hpp). 1 and 3 (Heun) and 4 (RK-Norsett
# 3(4)) are left out: Bertini 2's path tracker aborts the process on them.
PREDICTORS = {
    "-1": "Constant",
    "0": "Euler",
    "2": "RK4",
    "5": "RKF45",
    "6": "RKCashKarp45",
    "7": "RKDormandPrince56",
    "8": "RKVerner67",
}


def predictor_named(number: str) -> str:
    """Bertini 2's name of the predictor numbered ``number`` in Bertini 1."""
    try:
        return PREDICTORS[number]
    except KeyError:
        raise InputError(
            f"{TRACKING_FILE}: ODEPredictor {number} is not available with "
            f"Bertini 2; use one of {', '.join(PREDICTORS)}"
        ) from None


# Bertini 1 config keys we map onto Bertini 2 settings, with their converters.
TRACKING_KEYS = {
    "finaltol": ("final_tolerance", float),
    "tracktolbeforeeg": ("tracking_tolerance", float),
    "tracktolduringeg": ("tracking_tolerance_during_endgame", float),
    "securitylevel": ("security_level", int),
    "condnumthreshold": ("condition_number_threshold", float),
    "maxstepsize": ("max_step_size", float),
    "maxnewtonits": ("max_newton_iterations", int),
    "mptype": (
        "precision",
        lambda v: {"0": "double", "1": "multiple", "2": "adaptive"}[v],
    ),
    "endgamenum": ("endgame", lambda v: {"1": "powerseries", "2": "cauchy"}[v]),
    "endgamebndry": ("endgame_boundary", float),
    "odepredictor": ("predictor", predictor_named),
}

# Options of the original driver that change nothing here, with the reason.
IGNORED_OPTIONS = {
    "verbose": "progress is set on the command line",
    "maxProcesses": "workers are set with --workers",
    "workingDirectory": "the run folder is set with --out",
    "B": "Bertini 1 is chosen with --bertini",
}

IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
SCIENTIFIC = re.compile(r"(?<![\w.])(\d+\.?\d*|\.\d+)[eE]([+-]?\d+)")
DECLARATION = re.compile(
    r"\b(hom_variable_group|variable_group|function|constant)\b([^;]*);"
)


def renamed_for_bertini2(text: str) -> tuple[str, dict[str, str]]:
    """Rename identifiers Bertini 2's parser rejects.

    Those are names starting with ``i`` or ``I`` (``I`` itself is the imaginary
    unit and stays), and declared names that are a prefix of another declared
    name (``w1_1, w1_10``: the parser reads the second as the first). Returns the
    new text and the map from old to new names.
    """
    names = set(IDENTIFIER.findall(text))
    declared = {
        n.strip() for _, body in DECLARATION.findall(text) for n in body.split(",")
    }
    rejected = {n for n in names if n[0] in "iI" and n != "I"}
    rejected |= {n for n in declared if any(m != n and m.startswith(n) for m in declared)}
    renames = {}
    for name in sorted(rejected):
        in_use = names | set(renames.values())
        others = {renames.get(m, m) for m in declared if m != name}
        renames[name] = unclashing_name(name, in_use, others)
    if renames:
        pattern = re.compile(
            r"(?<![\w.])(" + "|".join(map(re.escape, renames)) + r")\b"
        )
        text = pattern.sub(lambda m: renames[m.group(1)], text)
    return text, renames


def unclashing_name(name: str, in_use: set[str], declared: set[str]) -> str:
    """A new name for ``name``: unused, and neither the start of a declared name nor
    starting with one."""
    for prefix in ["c_", "q_", "z_"] + [f"n{k}_" for k in range(100)]:
        new = prefix + name
        while new in in_use:
            new = "c_" + new
        if not any(m.startswith(new) or new.startswith(m) for m in declared):
            return new
    raise InputError(f"cannot find a name for {name!r} that Bertini 2 accepts")


def plain_decimals(text: str) -> str:
    """Write numbers in scientific notation as plain decimals (``1e-3`` -> ``0.001``).

    Bertini 2's parser refuses ``1e-3`` and ``1.5E+2``.
    """

    def plain(match):
        return format(Decimal(match.group(0)), "f")

    return SCIENTIFIC.sub(plain, text)


def read_variable_groups(text: str) -> tuple[VariableGroup, ...]:
    """The variable groups declared in a variables file, in order."""
    groups = []
    for kind, body in DECLARATION.findall(text):
        if kind not in ("hom_variable_group", "variable_group"):
            continue
        names = tuple(n.strip() for n in body.split(",") if n.strip())
        groups.append(VariableGroup(names, projective=kind == "hom_variable_group"))
    if not groups:
        raise InputError(
            f"{VARIABLES_FILE} declares no variable group; expected lines such as "
            "'hom_variable_group w1_0, w1_1;'"
        )
    return tuple(groups)


def read_function_names(text: str) -> tuple[str, ...]:
    """The functions declared in an equations file, in order."""
    names = []
    for kind, body in DECLARATION.findall(text):
        if kind == "function":
            names.extend(n.strip() for n in body.split(",") if n.strip())
    if not names:
        raise InputError(f"{EQUATIONS_FILE} declares no function ('function f1, f2;')")
    return tuple(names)


def read_tracking_options(text: str) -> TrackingOptions:
    """Map the Bertini 1 ``KEY : value;`` lines onto our tracking options."""
    values = {}
    # A comment runs from % to the end of its line, and may hold a ';'.
    text = "\n".join(line.split("%")[0] for line in text.splitlines())
    for raw in text.split(";"):
        line = raw.strip()
        if not line:
            continue
        if ":" not in line:
            raise InputError(
                f"{TRACKING_FILE}: cannot read {line!r}; expected 'KEY : value;'"
            )
        key, value = (part.strip() for part in line.split(":", 1))
        if key.lower() not in TRACKING_KEYS:
            known = ", ".join(sorted(k.upper() for k in TRACKING_KEYS))
            raise InputError(
                f"{TRACKING_FILE}: unknown option {key!r}; supported: {known}"
            )
        field_name, convert = TRACKING_KEYS[key.lower()]
        try:
            values[field_name] = convert(value)
        except InputError:
            raise
        except (ValueError, KeyError):
            raise InputError(
                f"{TRACKING_FILE}: bad value {value!r} for {key}"
            ) from None
    return TrackingOptions(**values)


def read_python_options(path: Path) -> dict:
    """The literal assignments of an ``inputFile.py``; nothing is executed."""
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as err:
        raise InputError(
            f"{path}: not valid Python (line {err.lineno}): {err.msg}"
        ) from None
    options = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            log.warning(
                "%s: prune hook %s() is not run (files are read as data)",
                path.name,
                node.name,
            )
            continue
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        try:
            options[target.id] = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            log.warning(
                "%s: %s is not a literal value and is ignored", path.name, target.id
            )
    return options


def read_options(folder: Path) -> dict:
    """Options from ``inputFile.yaml`` if present, else from ``inputFile.py``."""
    yaml_path = folder / OPTIONS_YAML
    if yaml_path.exists():
        try:
            options = yaml.safe_load(yaml_path.read_text()) or {}
        except yaml.YAMLError as err:
            raise InputError(f"{yaml_path}: not valid YAML: {err}") from None
        if not isinstance(options, dict):
            raise InputError(
                f"{yaml_path}: expected a mapping of option names to values"
            )
        return options
    py_path = folder / OPTIONS_PY
    return read_python_options(py_path) if py_path.exists() else {}


def read_text(folder: Path, name: str) -> str:
    path = folder / name
    if not path.is_file():
        raise InputError(f"{folder}: no {name} in this folder")
    return path.read_text()


def read_problem(folder: Path, degrees_of) -> Problem:
    """Read an input folder into a :class:`Problem`.

    ``degrees_of(system_text, groups)`` computes the degree of every function in
    every group from the polynomials; declared ``degrees`` must agree with it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such input folder")
    variables = read_text(folder, VARIABLES_FILE)
    equations = read_text(folder, EQUATIONS_FILE)
    tracking_path = folder / TRACKING_FILE
    tracking = (
        read_tracking_options(tracking_path.read_text())
        if tracking_path.exists()
        else TrackingOptions()
    )
    text, renames = renamed_for_bertini2(plain_decimals(variables + "\n" + equations))
    for old, new in renames.items():
        log.info(
            "renamed %s to %s: Bertini 2 rejects names starting with 'i'", old, new
        )
    groups = read_variable_groups(text)
    options = read_options(folder)
    degrees = degrees_of(text, groups)
    check_declared_degrees(options.get("degrees"), degrees, read_function_names(text))
    return build_problem(text, groups, degrees, tracking, options, renames)


def check_declared_degrees(declared, computed, names):
    """Refuse ``degrees`` that do not match the polynomials."""
    if declared is None:
        return
    if not isinstance(declared, (list, tuple)):
        raise InputError(
            f"degrees must be a list with one entry per equation, got {declared!r}"
        )
    declared = [list(d) if isinstance(d, (list, tuple)) else [d] for d in declared]
    if len(declared) != len(computed):
        raise InputError(
            f"degrees lists {len(declared)} equations, but the equations file has "
            f"{len(computed)}"
        )
    for name, want, got in zip(names, declared, computed):
        if list(want) != list(got):
            raise InputError(
                f"degrees do not match the equations: {name} has degrees {list(got)}, "
                f"degrees says {list(want)}"
            )


def build_problem(text, groups, degrees, tracking, options, renames) -> Problem:
    """Assemble a :class:`Problem` from read files and driver options."""
    for key, reason in IGNORED_OPTIONS.items():
        if key in options:
            log.info("option %s is not used: %s", key, reason)
    order = options.get("explorationOrder", "breadthFirst")
    if order not in EXPLORATION_ORDERS:
        raise InputError(
            f"explorationOrder must be one of {', '.join(EXPLORATION_ORDERS)}, got {order!r}"
        )
    targets = options.get("targetDimensions") or [[0] * len(groups)]
    return Problem(
        groups=groups,
        system_text=text,
        function_names=read_function_names(text),
        degrees=tuple(tuple(d) for d in degrees),
        target_dimensions=tuple(tuple(int(x) for x in t) for t in targets),
        tracking=tracking,
        exploration_order=order,
        log_tolerance=float(options.get("logTolerance", -10)),
        depth=options.get("depth"),
        nonzero_coordinates=tuple(options.get("nonzeroCoordinates", ())),
        torus_groups=tuple(options.get("algebraicTorusVariableGroups", ())),
        widths=tuple(options["widths"]) if options.get("widths") else None,
        renamed=tuple(sorted(renames.items())),
    )


def write_input_folder(
    network, folder: Path, order: str = "breadthFirst", degrees_of=None
) -> Path:
    """Write a network's gradient system as an input folder of the original driver.

    Its ``degrees`` are computed from the polynomials: by sympy
    (:meth:`DeepLinearNetwork.multidegrees`), or by ``degrees_of(text, groups)``
    when given, which spares a run the import of sympy.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    variables, equations = network.variables_text(), network.equations_text()
    (folder / VARIABLES_FILE).write_text(variables)
    (folder / EQUATIONS_FILE).write_text(equations)
    if degrees_of is None:
        degrees = network.multidegrees()
    else:
        degrees = degrees_of(variables + equations, read_variable_groups(variables))
    (folder / TRACKING_FILE).write_text(
        "finalTol : 1e-16;\nSecurityLevel : 1;\nMPTYPE : 2;\nCONDNUMTHRESHOLD : 1e12;\n"
    )
    n_groups = network.n_layers
    lines = [
        f"# Critical points of the regularized loss of a deep linear network, "
        f"widths {list(network.widths)}.",
        f"# Written by dln-regen: seed {network.seed}, samples {network.samples}.",
        f"degrees = {degrees}",
        f"targetDimensions = {[[0] * n_groups]}",
        f'explorationOrder = "{order}"',
        f"widths = {list(network.widths)}",
        f"seed = {network.seed}",
        f"samples = {network.samples}",
        "verbose = 1",
    ]
    (folder / OPTIONS_PY).write_text("\n".join(lines) + "\n")
    return folder
