"""The Bertini 2 back end: every homotopy built and tracked in this process.

Precision strategy (measured on (2,2,2,2), see the README and
:meth:`Bertini2Tracker._passes`): all paths of a homotopy are tracked together
in double precision first; the paths whose verdict that leaves open are tracked
again in adaptive precision with a wall-clock cap, since double precision alone
silently loses a few points and singular endpoints cost a hundred times a
regular one in adaptive precision.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
import time
from collections import Counter

import numpy as np

from ..errors import InputError
from ..parallel import track_here
from ..paths import HomotopyKey, Outcome, PathResult, Step
from ..problem import Problem
from ..slicing import LinearForm, Slicing

log = logging.getLogger(__name__)

# Endpoints farther than this (in patch coordinates) count as at infinity.
FINITE_THRESHOLD = 1e5
# The tightest endgame tolerance used. Double precision cannot meet tolerances
# near its epsilon (the seed files ask 1e-16), and in adaptive precision such a
# tolerance makes every path ten times slower; endpoints are kept at 1e-11.
TIGHTEST_FINAL_TOLERANCE = 1e-11
# A condition number this large means a Jacobian singular to double precision.
SINGULAR_TO_WORKING_PRECISION = 1e15
# Endpoints that only start more paths are singular above this condition number.
INTERMEDIATE_CONDITION_THRESHOLD = 1e14
# Endgame failures after a clean track to the endgame boundary: the endpoint
# is singular (measured on 1,500 equation-step paths of (2,2,2,2) at the loose
# tolerance: every one of the 679 regular endpoints converged, 237 of the 821
# singular ones stalled so).
STALLED_ENDGAME = ("MinStepSizeReached", "FailedToConverge")
# A Jacobian that adaptive precision cannot solve: a longer cap does not help
# (on (2,2,2,2) a second pass with a 40 s cap spent 55 s on 15 such paths, in vain).
HOPELESS_FAILURE = "MatrixSolveFailure"
# Endgame tolerances of the loose double-precision passes and of the adaptive
# one: loose enough to settle paths quickly, as their endpoints are sharpened by
# Newton's method afterwards.
LOOSE_FINAL_TOLERANCE = "1e-6"
ADAPTIVE_FINAL_TOLERANCE = "1e-8"


def _bertini():
    import bertini

    bertini.recording(False)  # otherwise every solve writes into ./bertini_output
    return bertini


@contextlib.contextmanager
def captured_stderr():
    """Collect what the native library writes on file descriptor 2."""
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield sink
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def parse_system(text: str):
    """Parse classic Bertini input, turning a parse failure into an :class:`InputError`."""
    bertini = _bertini()
    with captured_stderr():
        try:
            return bertini.parse.system(text)
        except Exception as err:  # the parser raises RuntimeError and others
            detail = " ".join(str(err).split())
            raise InputError(f"Bertini cannot parse the equations: {detail}") from None


def degrees_of(text: str, groups) -> list[list[int]]:
    """Degree of every function in every variable group, computed by Bertini."""
    system = parse_system(text)
    per_group = list(system.hom_variable_groups()) + list(system.variable_groups())
    if len(per_group) != len(groups):
        raise InputError(
            f"the variables file declares {len(groups)} groups, Bertini read "
            f"{len(per_group)}"
        )
    by_first_name = {str(g[0]): g for g in per_group}
    columns = []
    for group in groups:
        try:
            columns.append(list(system.degrees(by_first_name[group.names[0]])))
        except KeyError:
            raise InputError(
                f"variable group starting {group.names[0]} not found"
            ) from None
    if any(d < 0 for col in columns for d in col):
        raise InputError("every equation must be a polynomial in the variables")
    return [list(row) for row in zip(*columns)]


@dataclasses.dataclass(frozen=True)
class Pass:
    """One tracking pass: precision, endgame, Bertini settings and a cap per path."""

    mptype: str
    endgame: str
    settings: dict
    cap: float  # wall-clock seconds per path
    confirms: bool  # are its nonsingular endpoints accurate enough to keep?
    settles_stalls: bool = False  # does a stalled endgame mean a singular endpoint?
    takes: tuple[str, ...] = ()  # the failures it re-tracks (every one when empty)
    sharpens: bool = False  # are its nonsingular endpoints refined by Newton's method?
    precise: bool = False  # its verdicts stand, but for failures it can still resolve
    last: bool = False  # its verdicts stand, whatever they are
    condition_threshold: float = 1e8  # an endpoint above it is singular


def settled(result: PathResult, step: Pass, sharpened: bool = False) -> bool:
    """Is the verdict of ``step`` on this path final?

    A nonsingular endpoint is final when the pass is accurate enough, or when
    Newton's method sharpened it to the tightest tolerance. A singular one is
    final when more precision cannot change it: a winding number above one, a
    condition number beyond the reach of double precision, or an endgame that
    stalled (:data:`STALLED_ENDGAME`). A failure is final only in the last pass,
    or in a precise one when the Jacobian is singular to any precision.
    """
    if result.outcome is Outcome.FAILED:
        return step.precise and result.endgame_code == HOPELESS_FAILURE
    if step.precise:
        return True
    if result.outcome is Outcome.SUCCESS:
        return step.confirms or sharpened
    if result.outcome is Outcome.AT_INFINITY:
        return True
    if result.outcome is Outcome.SINGULAR:
        return (
            result.cycle_number > 1
            or result.condition_number >= SINGULAR_TO_WORKING_PRECISION
            or result.endgame_code in STALLED_ENDGAME
        )
    return False


def log_pass(number: int, key: HomotopyKey, found, seconds: float, tracked) -> None:
    """One debug line per pass of a batch: what `-vv` shows of where time goes."""
    outcomes = Counter((r.outcome.value, r.endgame_code) for r, _ in found)
    log.debug(
        "pass %d of %s: %d paths in %.2f s, %d settled, %d passed on untracked, "
        "outcomes %s",
        number,
        key,
        len(found),
        seconds,
        sum(done for _, done in found),
        len(found) - tracked,
        dict(outcomes),
    )


def make_tracker(problem: Problem, seed: int) -> Bertini2Tracker:
    """The tracker of a run: the problem with the regeneration drawn from ``seed``."""
    return Bertini2Tracker(problem, Slicing.draw(problem, seed))


class Bertini2Tracker:
    """Builds the homotopies of a regeneration and tracks points through them."""

    def __init__(self, problem: Problem, slicing: Slicing):
        self.problem = problem
        self.slicing = slicing
        self.bertini = _bertini()
        self.bertini.random.set_random_seed(slicing.seed)  # the gamma draws
        self.system = parse_system(problem.system_text)
        self.groups = self._variable_groups()
        self.patched = False
        self.master = self._new_system([])
        self._patch_master()
        self._slice_rows = [
            [self._linear(i, f) for f in forms]
            for i, forms in enumerate(slicing.slices)
        ]
        self._degree_rows = [
            [self._linear(i, f) for f in forms]
            for i, forms in enumerate(slicing.degree_linears)
        ]
        self._homotopies = {}

    # -- building rows and systems -------------------------------------------------

    def _patch_master(self):
        """One patch per projective group, shared by every system of the run."""
        if not any(g.projective for g in self.problem.groups):
            return
        try:
            self.master.auto_patch()
        except RuntimeError:
            raise InputError(
                "the Bertini 2 back end cannot patch a system that mixes projective and "
                "affine variable groups; declare every group as hom_variable_group"
            ) from None
        self.patched = True

    def _variable_groups(self):
        """Bertini's variable groups, in the problem's group order."""
        found = list(self.system.hom_variable_groups()) + list(
            self.system.variable_groups()
        )
        by_first = {str(g[0]): g for g in found}
        return [by_first[g.names[0]] for g in self.problem.groups]

    def _coefficient(self, z: complex):
        mp = self.bertini.multiprec
        return self.bertini.coefficient(
            mp.complex_mp(repr(float(z.real)), repr(float(z.imag)))
        )

    def _linear(self, group: int, form: LinearForm):
        row = None
        for var, c in zip(self.groups[group], form.coefficients):
            term = self._coefficient(c) * var
            row = term if row is None else row + term
        if form.constant:
            row = row + self._coefficient(form.constant)
        return row

    def _new_system(self, rows):
        system = self.bertini.System()
        for spec, group in zip(self.problem.groups, self.groups):
            if spec.projective:
                system.add_hom_variable_group(group)
            else:
                system.add_variable_group(group)
        if rows:
            system.add_functions(rows)
        if getattr(self, "patched", False):
            system.copy_patches(self.master)
        return system

    def _held_rows(self, generators, dims, skip_group=-1):
        rows = [self.system.function(k) for k in generators]
        for i, e in enumerate(dims):
            count = e - 1 if i == skip_group else e
            rows.extend(self._slice_rows[i][:count])
        return rows

    def _degree_product(self, depth: int):
        product = None
        for i, degree in enumerate(self.problem.degrees[depth]):
            for row in self._degree_rows[i][:degree]:
                product = row if product is None else product * row
        return product

    def homotopy(self, key: HomotopyKey):
        """The homotopy named by ``key``, built once and cached."""
        if key not in self._homotopies:
            self._homotopies[key] = self._build(key)
        return self._homotopies[key]

    def _build(self, key: HomotopyKey):
        if key.step is Step.SLICE:
            held = self._held_rows(key.generators, key.dims, skip_group=key.group)
            start = self._slice_rows[key.group][key.dims[key.group] - 1]
            target = self._degree_rows[key.group][key.linear]
        else:
            held = self._held_rows(key.generators, key.dims)
            start = self._degree_product(key.depth)
            target = self.system.function(key.depth)
        return self.bertini.nag_algorithm.straight_line_homotopy(
            self._new_system([target]),
            self._new_system([start]),
            fixed=self._new_system(held),
            gamma=self._coefficient(self._gamma(key)),
            projectivize=False,
        )

    def _gamma(self, key: HomotopyKey) -> complex:
        """The gamma of a homotopy, drawn from the run's seed and the homotopy's name.

        Drawn here rather than by Bertini so that every worker process builds the
        same homotopy, whatever order it meets them in.
        """
        words = [
            self.slicing.seed,
            list(Step).index(key.step),
            key.depth,
            key.group + 1,
            key.linear + 1,
            *key.generators,
            len(key.generators),
            *key.dims,
        ]
        angle = np.random.default_rng(words).uniform(0, 2 * np.pi)
        return complex(np.cos(angle), np.sin(angle))

    # -- points ------------------------------------------------------------------

    def on_patch(self, point: np.ndarray) -> np.ndarray:
        """Rescale each projective group of ``point`` onto the run's patch."""
        if not self.patched:
            return np.asarray(point)
        return np.asarray(self.master.rescale_point_to_fit_patch(np.asarray(point)))

    def start_point(self) -> np.ndarray:
        return self.on_patch(self.slicing.start_coordinates())

    def evaluate(self, depth: int, point: np.ndarray) -> complex:
        """Value of equation ``depth`` at ``point``."""
        return complex(self.system.eval(np.asarray(point, dtype=complex))[depth])

    # -- tracking ----------------------------------------------------------------

    def track(self, key: HomotopyKey, points: list[np.ndarray]) -> list[PathResult]:
        """Track ``points`` through the homotopy ``key``, re-tracking unsettled paths.

        Each pass of :meth:`_passes` takes only the paths whose verdict the
        previous pass left open (:func:`settled`).
        """
        return track_here(self, [(key, points)])[0]

    def track_pass(self, key: HomotopyKey, points, number: int, previous=None):
        """Track ``points`` in pass ``number`` of ``key``: ``(result, settled)`` pairs.

        ``previous`` holds the results of the pass before; a path whose failure
        the pass does not take (:attr:`Pass.takes`) goes on to the next pass
        untracked. The last pass settles every path.
        """
        step = self._passes(key)[number]
        t0 = time.perf_counter()
        if step.takes and previous is not None:
            chosen = [i for i, r in enumerate(previous) if r.endgame_code in step.takes]
            found = [(result, False) for result in previous]
        else:
            chosen, found = range(len(points)), [None] * len(points)
        tracked = self._solve(
            self.homotopy(key), [points[i] for i in chosen], step, number > 0
        )
        for i, pair in zip(chosen, tracked):
            found[i] = pair
        if log.isEnabledFor(logging.DEBUG):
            log_pass(number + 1, key, found, time.perf_counter() - t0, len(tracked))
        return found

    def _passes(self, key: HomotopyKey) -> list[Pass]:
        """The passes of a homotopy, cheapest first (measured on (2,2,2,2), see README).

        Every pass is capped per path: a regular path takes milliseconds, while a
        path creeping towards a singular endpoint would take seconds.

        1. Double precision. For equation steps the endgame tolerance is loose:
           about half of their paths end singular, and at a loose tolerance
           those settle at once (converged with a winding number above one or a
           Jacobian singular to working precision, or an endgame that stalls
           after a clean track to the endgame boundary), while every regular
           endpoint is sharpened by Newton's method and kept if that converges.
           Slice steps end at regular points: their endgame is tight.
        2. Slice steps only, for the paths whose endgame failed: double
           precision at the loose tolerance, endpoints sharpened by Newton's
           method. It settles most of them: their endpoints are too
           ill-conditioned for double precision to meet 1e-11 in the endgame.
        3. Adaptive precision, a tracking tolerance of 1e-8 before the endgame,
           endpoints sharpened by Newton's method: whatever is left. Paths that
           fail before the endgame are close encounters of two paths; at Bertini's
           default of 1e-5 they fail or jump, and on (2,2,2,2) two of them carry
           critical points. (The same tolerance in double precision settled a
           tenth of these paths for a fifth of the run's time.) Its cap is long:
           on (2,2,2,2) such paths take 3 to 35 s here, and most paths it gets
           end in under a second.

        With ``MPTYPE : 0`` only the tight double-precision pass runs.
        """
        options = self.problem.tracking
        fast = options.retrack_seconds
        tight = Pass("double", options.endgame, {}, fast, confirms=True)
        loose = Pass(
            "double",
            options.endgame,
            {"final_tolerance": LOOSE_FINAL_TOLERANCE},
            fast,
            confirms=False,
            settles_stalls=key.step is Step.EQUATION,
            sharpens=True,
        )
        if options.precision == "double":
            passes = [tight]
        elif key.step is Step.EQUATION:
            passes = [loose]
        else:
            # A loose endgame cannot help a path that failed before the endgame.
            passes = [tight, dataclasses.replace(loose, takes=STALLED_ENDGAME)]
        adaptive = Pass(
            "adaptive",
            "powerseries",
            {
                "newton_before_endgame": repr(min(options.tracking_tolerance, 1e-8)),
                "newton_during_endgame": repr(
                    min(options.tracking_tolerance_during_endgame, 1e-9)
                ),
                "final_tolerance": ADAPTIVE_FINAL_TOLERANCE,
            },
            options.adaptive_seconds,
            confirms=True,
            sharpens=True,
            precise=True,
        )
        if options.precision != "double":
            passes.append(adaptive)
        passes[-1] = dataclasses.replace(passes[-1], last=True)
        threshold = self.condition_threshold(key)
        return [dataclasses.replace(p, condition_threshold=threshold) for p in passes]

    def condition_threshold(self, key: HomotopyKey) -> float:
        """Above what condition number the endpoints of ``key`` count as singular.

        The input's CONDNUMTHRESHOLD judges the critical points, the endpoints of
        the last equation. Every other endpoint only starts more paths: keeping
        a singular one costs a few failed paths, dropping a regular one loses
        the critical points below it. So they are judged with
        :data:`INTERMEDIATE_CONDITION_THRESHOLD` when that is the larger. (On
        (2,2,2,2) with seed 7 a witness point of condition number 6e12 at depth 6
        carries a critical point of condition number 120.)
        """
        threshold = self.problem.tracking.condition_number_threshold
        last = key.step is Step.EQUATION and key.depth == self.problem.n_equations - 1
        return threshold if last else max(threshold, INTERMEDIATE_CONDITION_THRESHOLD)

    def _solve(self, homotopy, points, step: Pass, retracked: bool):
        """Track ``points`` in one pass; each result comes with whether it is settled."""
        solver = self.bertini.nag_algorithm.HomotopySolver(
            homotopy, points, mptype=step.mptype, endgame=step.endgame
        )
        self._configure(
            solver,
            {
                **step.settings,
                "max_path_wall_clock_duration": repr(float(step.cap)),
                "condition_number_threshold": repr(float(step.condition_threshold)),
            },
        )
        with captured_stderr():
            solver.solve(show_progress=False)
        found = []
        for sol, meta in zip(solver.all_solutions(), solver.solution_metadata()):
            result = self._result(sol, meta, retracked, step)
            sharpened = False
            if step.sharpens and result.is_success:
                result, sharpened = self._sharpened(homotopy.target, result)
            found.append((result, step.last or settled(result, step, sharpened)))
        return found

    def _sharpened(self, target, result: PathResult) -> tuple[PathResult, bool]:
        """Refine a loosely converged endpoint with Bertini's Newton; did it converge?"""
        point, code, _, _ = self.bertini.newton_refine(
            target, result.point, tolerance=TIGHTEST_FINAL_TOLERANCE, max_iterations=8
        )
        if not str(code).endswith("Success"):
            return result, False
        point = self.on_patch(np.array([complex(z) for z in point]))
        return dataclasses.replace(result, point=point), True

    def _configure(self, solver, extra):
        options = self.problem.tracking
        # Bertini stores exact values: floats go in as their decimal spelling.
        # Before the endgame Bertini 2 tracks to `newton_before_endgame`, not to
        # `tracking_tolerance`; TrackTolBeforeEG sets both.
        settings = {
            "final_tolerance": repr(
                max(options.final_tolerance, TIGHTEST_FINAL_TOLERANCE)
            ),
            "condition_number_threshold": repr(options.condition_number_threshold),
            "tracking_tolerance": repr(options.tracking_tolerance),
            "newton_before_endgame": repr(options.tracking_tolerance),
            "newton_during_endgame": repr(options.tracking_tolerance_during_endgame),
            "max_step_size": repr(options.max_step_size),
            "endgame_boundary": repr(options.endgame_boundary),
            "predictor": getattr(self.bertini.tracking.Predictor, options.predictor),
            "max_num_newton_iterations": options.max_newton_iterations,
            "level": options.security_level,
            "num_threads": 1,
        }
        solver.set(**{**settings, **extra})

    def _result(self, solution, meta, retracked, step: Pass) -> PathResult:
        point = np.array([complex(z) for z in solution])
        code = str(meta.endgame_success_code).rsplit(".", 1)[-1]
        cond = float(meta.condition_number)
        if code != "Success":
            log.debug("path failed: %s", code)
            stalled = step.settles_stalls and code in STALLED_ENDGAME
            outcome = Outcome.SINGULAR if stalled else Outcome.FAILED
        elif not np.all(np.isfinite(point)) or np.max(abs(point)) > FINITE_THRESHOLD:
            outcome = Outcome.AT_INFINITY
        elif meta.is_singular or meta.cycle_num > 1 or cond > step.condition_threshold:
            # A winding number above one is a multiple root. Bertini's own flag
            # says so only when another path of the same solve ends there too,
            # which depends on how the paths were split among the workers.
            outcome = Outcome.SINGULAR
        else:
            code = ""
            outcome = Outcome.SUCCESS
        point = self.on_patch(point) if outcome is Outcome.SUCCESS else None
        return PathResult(
            outcome,
            point,
            cond,
            retracked,
            float(meta.path_time_seconds),
            int(meta.cycle_num),
            code,
        )
