"""A mutation catalogue (issue 23, item 3): named one-line bugs a contributor could write, each with the tests
that must catch it.

A mutant is (module, exact source text, replacement, test ids).  It is applied in memory: the source of the
top-level function or method that contains the text is edited and re-executed in the module's namespace (a
method is re-bound on its class), so the rest of the module, its classes and exceptions stay the same objects.
Then pytest runs the mutant's tests in that process (``python tests/mutants.py run NAME``, one subprocess per
mutant).  A mutant is *killed* when its tests fail.  A mutant whose text no longer occurs exactly once in its
module (the code moved) raises :class:`MutantDoesNotApply` (exit 3): it is never counted as killed.

Names bound elsewhere with ``from module import name`` before the mutation keep the original; such a mutant
shows as surviving (never as falsely killed), and the catalogue then needs a different mutation point.

    python tests/mutants.py list
    python tests/mutants.py run NAME          # exit 0: survived, 1: killed, 3: does not apply
    python tests/mutants.py all               # the kill rate (also the slow test in tests/test_mutants_catalogue.py)
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class MutantDoesNotApply(RuntimeError):
    """The mutant's target text is not in its module exactly once."""


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    old: str
    new: str
    tests: tuple[str, ...]
    note: str = ""


_VC = "tests/test_value_checks.py"
_SV = "tests/test_step_values.py"
_V = "tests/test_verdicts.py::test_expected_verdict"

CATALOGUE: tuple[Mutant, ...] = (
    # --- issue 23's four mutants that passed the whole relevant test files ---------------------------------
    Mutant("rk-stage-noise-zero", "numerics.uds",
           "noise = beta_sk**2 / grid.beta * (grid.q / q_sk)", "noise = torch.zeros_like(q_sk)",
           (f"{_VC}::test_weak_order_by_exact_moments",),
           "Runge-Kutta stage noise dropped for the diffusions"),
    Mutant("dpm2m-ratio-inverted", "numerics.uds", "rh = h_prev / h", "rh = h / h_prev",
           (f"{_VC}::test_dpm_solver_pp_2m_matches_hand_written_on_uneven_grid",),
           "DPM-Solver++(2M) step ratio inverted"),
    Mutant("schedule-mismatch-tolerance-1e-3", "derivations.registry",
           "abs(v) < mp.mpf(10) ** -20", "abs(v) < mp.mpf(10) ** -3",
           (f"{_VC}::test_alpha_off_by_small_factor_rejected_in_python",
            f"{_VC}::test_alpha_off_by_small_factor_rejected_in_schedule_file"),
           "log(alpha/sigma) = ring-lambda tolerance loosened"),
    Mutant("marginal-variance-exp-lambda", "numerics.gaussian_mixture",
           "tau2 = torch.exp(-2 * torch.as_tensor(ring_lam", "tau2 = torch.exp(-1 * torch.as_tensor(ring_lam",
           (f"{_VC}::test_marginal_moments_closed_form", f"{_VC}::test_marginal_moments_monte_carlo"),
           "Var(Y_t) with ring-rho^-1 for ring-rho^-2"),
    # --- more one-line bugs in the solvers and the data model -------------------------------------------
    Mutant("dpm2m-extrapolation-sign", "numerics.uds",
           "_add_scaled_(D, _c(1 / (2 * rh), y), history[0][1], subtract=True)",
           "_add_scaled_(D, _c(1 / (2 * rh), y), history[0][1], subtract=False)",
           (f"{_VC}::test_dpm_solver_pp_2m_matches_hand_written_on_uneven_grid",)),
    Mutant("dpm2m-no-lower-order-final", "numerics.uds",
           "final_low = final_order is not None and final_order < 2 and i == n - 1",
           "final_low = False",
           (f"{_VC}::test_dpm_solver_pp_2m_matches_hand_written_on_uneven_grid",)),
    Mutant("rk-final-noise-dropped", "numerics.uds",
           "        out = out + _c(grid.beta[i], y) * xi\n    return out, tableau.stages",
           "        out = out\n    return out, tableau.stages",
           (f"{_VC}::test_weak_order_by_exact_moments",)),
    Mutant("euler-noise-dropped", "numerics.uds",
           "    _add_scaled_(out, 1 - q, x_hat)\n    if xi is not None:\n        _add_scaled_(out, _c(grid.beta[i], y), xi)",
           "    _add_scaled_(out, 1 - q, x_hat)\n    if xi is not None:\n        pass",
           (f"{_VC}::test_weak_order_by_exact_moments",)),
    Mutant("heun-average-weights", "numerics.uds",
           "mean = (x_hat_s + x_hat_t).div_(2)",
           "mean = (x_hat_s + 3 * x_hat_t).div_(4)",
           (f"{_VC}::test_weak_order_by_exact_moments",)),
    Mutant("rk-stage-weight-not-divided", "numerics.uds",
           "mean = sum(((a / ck) * xs[j]", "mean = sum(((a) * xs[j]",
           (f"{_VC}::test_weak_order_by_exact_moments",)),
    Mutant("stage-noise-bridge-factor", "numerics.uds",
           "noise = beta_sk**2 / grid.beta * (grid.q / q_sk)", "noise = beta_sk**2 / grid.beta",
           (f"{_VC}::test_weak_order_by_exact_moments",)),
    Mutant("marginal-mean-shifted", "numerics.gaussian_mixture",
           "return self.weights @ self.means", "return self.weights @ self.means * (1 + 1e-3)",
           (f"{_VC}::test_marginal_moments_closed_form",)),
    Mutant("covariance-drops-outer-mean", "numerics.gaussian_mixture",
           "return second - torch.outer(m, m)", "return second",
           (f"{_VC}::test_marginal_moments_closed_form", f"{_VC}::test_marginal_moments_monte_carlo")),
    Mutant("schedule-mismatch-one-sided", "derivations.registry",
           "abs(v) < mp.mpf(10) ** -20", "v < mp.mpf(10) ** -20",
           (f"{_VC}::test_alpha_off_by_small_factor_rejected_in_python",
            f"{_VC}::test_alpha_off_by_small_factor_rejected_in_schedule_file")),
    Mutant("dpm2m-weight-h", "numerics.uds", "y_new = D.mul_(_c(-torch.expm1(-h), y))", "y_new = D.mul_(_c(h, y))",
           (f"{_VC}::test_dpm_solver_pp_2m_matches_hand_written_on_uneven_grid",)),
    Mutant("ddim-eps-sign", "numerics.uds", "eps_hat = (z_s - alpha_s * x_hat) / sigma_s",
           "eps_hat = (z_s + alpha_s * x_hat) / sigma_s", ("tests/test_uds.py::test_dpm_solver_first_step_is_ddim",)),
    Mutant("ddpm-noise-scale", "numerics.uds", "torch.sqrt(var_st * sigma_t**2 / sigma_s**2) * noise",
           "torch.sqrt(var_st) * noise", ("tests/test_uds.py::test_sampler_ddpm_equals_euler_ml_with_same_noise",)),
    Mutant("adams-moments", "numerics.uds", "return np.linalg.solve(V, 1.0 / (k + 1))",
           "return np.linalg.solve(V, 1.0 / (k + 2))", ("tests/test_uds.py::test_adams_weights_exact_for_polynomials",)),
    Mutant("grid-rho-ratio-halved", "numerics.schedule_grid", "rho_ratio = torch.exp(-(lam[1:] - lam[:-1]))",
           "rho_ratio = torch.exp(-(lam[1:] - lam[:-1]) / 2)",
           (f"{_VC}::test_weak_order_by_exact_moments",)),
    Mutant("stage-node-placement", "numerics.uds", "log_r_k = log_r_t + torch.log(q_true + c * (1 - q_true))",
           "log_r_k = log_r_t + torch.log(q_true + c * c * (1 - q_true))",
           (f"{_VC}::test_weak_order_by_exact_moments",)),
    Mutant("kernel-moments-series-threshold", "numerics.uds",
           "vals = series(H) if H < below else closed(H, -math.expm1(-H))",
           "vals = closed(H, -math.expm1(-H))",
           ("tests/test_uds_multistep.py::test_kernel_moments_match_quadrature",),
           "the closed form below H = 1 cancels digits"),
    Mutant("schedule-alpha-sign-unchecked", "derivations.registry",
           '_require(entry, "alpha", schedule.alpha, lambda v: v > 0, "positive")',
           '_require(entry, "alpha", schedule.alpha, lambda v: True, "positive")',
           ("tests/test_registry.py::test_invalid_schedules_rejected",)),
    # --- the derivations: each formula a claim's verdict rests on (a wrong derivation must flip a verdict) -----
    Mutant("kl-weight-factor-two-dropped", "derivations.section4_kl",
           "return (ring_t / ring_s - k) ** 2 / (2 * (1 - k**2))", "return (ring_t / ring_s - k) ** 2 / (1 - k**2)",
           (f"{_V}[eq17]", f"{_V}[eq24]", f"{_V}[discrete-w-eta]")),
    Mutant("limit-weight-four-to-two", "derivations.section4_kl",
           "return (lam_rate + ring_lam_rate) ** 2 / (4 * lam_rate)",
           "return (lam_rate + ring_lam_rate) ** 2 / (2 * lam_rate)", (f"{_V}[eq24]", f"{_V}[eq17]", f"{_V}[eq26]")),
    Mutant("eq40-first-line-sign", "derivations.section4_kl",
           "return ((ring_t - ring_s) / ring_s + (rho_t - rho_s) / rho_t) ** 2 / (",
           "return ((ring_t - ring_s) / ring_s - (rho_t - rho_s) / rho_t) ** 2 / (",
           (f"{_V}[eq17]",), "the derivation of (17) cross-checks its w against (40)'s first line"),
    Mutant("penalized-weight-penalty-sign", "derivations.section4_kl",
           "return ring_rate + ((rate - ring_rate) ** 2 / rate + cc * rate) / 4",
           "return ring_rate + ((rate - ring_rate) ** 2 / rate - cc * rate) / 4", (f"{_V}[eq26]",)),
    Mutant("uds-q-ring-ratio-inverted", "derivations.section3_diffusion",
           "return rho_ratio * ring_s / ring_t", "return rho_ratio * ring_t / ring_s",
           (f"{_V}[eq13-uds]", f"{_V}[uds-euler-heun]", f"{_V}[uds-ddim]")),
    Mutant("uds-eta-not-squared", "derivations.section3_diffusion",
           "return sp.sqrt(1 - rho_ratio**2)", "return sp.sqrt(1 - rho_ratio)",
           (f"{_V}[eq13-uds]", f"{_V}[uds-ddpm]", f"{_V}[uds-euler-heun]")),
    Mutant("uds-beta-times-ring-rho", "derivations.section3_diffusion",
           "return uds_eta(rho_ratio) / ring_t", "return uds_eta(rho_ratio) * ring_t",
           (f"{_V}[eq13-uds]", f"{_V}[uds-ddpm]", f"{_V}[uds-euler-heun]")),
    Mutant("coherence-quadratic-two-for-four", "derivations.section5_coherence",
           "return sp.expand((unknown + rb) ** 2 - 4 * unknown * s_squared)",
           "return sp.expand((unknown + rb) ** 2 - 2 * unknown * s_squared)",
           (f"{_V}[eq29-m]", f"{_V}[prop3]", f"{_V}[eq27-mse]")),
    Mutant("coherence-roots-order-swapped", "derivations.section5_coherence",
           "lo, hi = sorted(roots, key=lambda r: float(r.subs(probe)))\n    return lo.subs({s_sq",
           "hi, lo = sorted(roots, key=lambda r: float(r.subs(probe)))\n    return lo.subs({s_sq",
           (f"{_V}[eq29-m]", f"{_V}[prop3]", f"{_V}[eq27-mse]")),
    Mutant("ml-rate-penalty-one", "derivations.section5_coherence",
           "return (rb / sp.sqrt(1 + c0)).subs(c0, 0)", "return (rb / sp.sqrt(1 + c0)).subs(c0, 1)",
           (f"{_V}[eq29-m]", f"{_V}[prop3]", f"{_V}[eq27-mse]", f"{_V}[eq26]")),
    Mutant("discrete-weight-gamma-not-rooted", "derivations.section5_coherence",
           "ring_t=sp.sqrt(gamma_))", "ring_t=gamma_)",
           (f"{_V}[discrete-w-eta]", f"{_V}[discrete-argmin]", f"{_V}[discrete-check-eta]")),
    Mutant("delta-leading-sign", "derivations.appendix_a", "return -f2 / (2 * f1)", "return f2 / (2 * f1)",
           (f"{_V}[eq31-eq33]", f"{_V}[eq34-eq36]", f"{_V}[eq37]")),
    Mutant("delta2-product-rule-term-dropped", "derivations.appendix_a",
           "return delta_leading((p0**2, 2 * p0 * p1, 2 * p1**2 + 2 * p0 * p2))",
           "return delta_leading((p0**2, 2 * p0 * p1, 2 * p0 * p2))",
           (f"{_V}[eq31-eq33]", f"{_V}[eq34-eq36]", f"{_V}[eq37]")),
    Mutant("scale-from-target-ring-rho-times", "derivations.section2_denoiser",
           "raw = target.noise_coefficient - target.data_coefficient / schedule.ring_rho",
           "raw = target.noise_coefficient - target.data_coefficient * schedule.ring_rho",
           (f"{_V}[param-noise]", f"{_V}[param-data]", f"{_V}[param-vel]", f"{_V}[param-fpred]")),
    Mutant("logistic-quantile-wrong-cdf", "derivations.section2_denoiser",
           "return quantile_from_cdf(1 / (1 + sp.exp(-x)))", "return quantile_from_cdf(1 / (1 + sp.exp(-2 * x)))",
           (f"{_V}[schedule-logis]",)),
    # --- the measuring instruments ------------------------------------------------------------------------
    Mutant("fitted-order-sign", "numerics.convergence",
           "return -sum((x - mx) * (y - my) for x, y in zip(xs, ys))",
           "return sum((x - mx) * (y - my) for x, y in zip(xs, ys))",
           ("tests/test_convergence.py::test_ladder_confirms_prop2_on_a_fast_case",)),
    Mutant("ladder-constant-unchecked", "numerics.convergence",
           "and float(ev[\"C_rel_error_richardson\"]) < C_TOL)", "and True)",
           ("tests/test_convergence.py::test_a_wrong_constant_alone_fails_the_ladder",)),
    Mutant("ledger-numeric-tolerance-loose", "verify.ledger", "            if res > NUMERIC_TOL:\n",
           "            if res > 1e-3:\n",
           ("tests/test_ledger.py::test_the_numeric_route_rejects_a_near_miss_and_a_form_defined_nowhere",),
           "50-digit agreement loosened to 1e-3: perturbed printed forms would pass"),
    Mutant("ledger-no-numeric-points", "verify.ledger",
           "        if points == 0:\n            ok, note = False", "        if False:\n            ok, note = False",
           ("tests/test_ledger.py::test_the_numeric_route_rejects_a_near_miss_and_a_form_defined_nowhere",)),
    # --- the UDS method registry (issue 22): a tableau's own checks and the one NFE rule ------------------------
    Mutant("tableau-row-sums-unchecked", "numerics.uds_methods",
           "if abs(math.fsum(row) - c[i]) > TABLEAU_TOL:", "if False:",
           ("tests/test_uds_methods.py::test_bad_tableau_is_refused_in_one_line",)),
    Mutant("tableau-consistency-unchecked", "numerics.uds_methods",
           "if abs(math.fsum(b) - 1) > TABLEAU_TOL:", "if False:",
           ("tests/test_uds_methods.py::test_bad_tableau_is_refused_in_one_line",)),
    Mutant("steps-for-ignores-startup", "numerics.uds_methods",
           "return max(1, (nfe - self.startup_evals) // self.evals_per_step)",
           "return max(1, nfe // self.evals_per_step)",
           ("tests/test_uds_methods.py::test_steps_for_matches_the_nfe_a_run_uses",)),
    Mutant("steps-for-ignores-stages", "numerics.uds_methods",
           "return max(1, (nfe - self.startup_evals) // self.evals_per_step)",
           "return max(1, nfe - self.startup_evals)",
           ("tests/test_uds_methods.py::test_steps_for_matches_the_nfe_a_run_uses",)),
    # --- the schedule-file expression parser (safety: CI runs contributors' files) -------------------------
    # (skipping the whitelist walk alone is an equivalent mutant by design: the builder refuses every node the walk
    # refuses, a second line of defence; the mutants below break the one line that stands alone)
    Mutant("expression-unknown-name-becomes-symbol", "derivations.safe_expression",
           "        raise ExpressionError(f\"unknown name {name!r}; allowed:",
           "        return sp.Symbol(name)\n        raise ExpressionError(f\"unknown name {name!r}; allowed:",
           ("tests/test_safe_expression.py::test_errors_name_the_problem",)),
    Mutant("expression-numeric-exponent-unbounded", "derivations.safe_expression",
           "if q.is_real and q > MAX_NUMERIC_EXPONENT:", "if False:",
           ("tests/test_safe_expression.py::test_escape_payloads_are_rejected_and_run_nothing",)),
    Mutant("expression-arity-unchecked", "derivations.safe_expression",
           "        if len(node.args) != arity:", "        if False:",
           ("tests/test_safe_expression.py::test_errors_name_the_problem",)),
    Mutant("mixture-gain-complement", "numerics.gaussian_mixture", "        gain = torch.sigmoid(z)\n        keep",
           "        gain = torch.sigmoid(-z)\n        keep",
           ("tests/test_gaussian_mixture.py::test_one_component_closed_form_diagonal",
            "tests/test_gaussian_mixture.py::test_fast_path_matches_reference_float64")),
    Mutant("mixture-softmax-wrong-axis", "numerics.gaussian_mixture",
           "resp = torch.softmax(logits, dim=0).T", "resp = torch.softmax(logits, dim=1).T",
           ("tests/test_gaussian_mixture.py::test_fast_path_matches_reference_float64",
            "tests/test_gaussian_mixture.py::test_two_component_1d_posterior_mean_by_quadrature")),
    Mutant("mixture-log-weights-dropped", "numerics.gaussian_mixture",
           "const = self.log_weights - 0.5 * ((cm * self._mu_centred)", "const = - 0.5 * ((cm * self._mu_centred)",
           ("tests/test_gaussian_mixture.py::test_fast_path_matches_reference_float64",
            "tests/test_gaussian_mixture.py::test_two_component_1d_posterior_mean_by_quadrature")),
    # --- the samplers against hand-written ones (tests/test_step_values.py) ----------------------------------
    Mutant("multistep-gap-inverted", "numerics.uds",
           "gaps = [(past[j] - past[j + 1]) / H for j", "gaps = [H / (past[j] - past[j + 1]) for j",
           (f"{_SV}::test_multistep_sampler_matches_hand_written",),
           "the multistep weights' step ratio inverted (equal steps cannot see it)"),
    Mutant("corrector-same-order", "numerics.uds",
           "kc = min(k + 1, len(hist) + 1)", "kc = min(k, len(hist) + 1)",
           (f"{_SV}::test_multistep_sampler_matches_hand_written",),
           "the corrector of pc<k> without its extra order"),
    Mutant("adams-nodes-off-by-sign", "numerics.uds",
           "x = (np.asarray(nodes_over_rt, dtype=float) - q) / (1 - q)",
           "x = (np.asarray(nodes_over_rt, dtype=float) - q) / (1 + q)",
           (f"{_SV}::test_adams_in_r_matches_hand_written",),
           "Adams-Bashforth nodes mapped to [0, 1] with the wrong scale"),
    Mutant("ddpm-posterior-std-not-squared", "numerics.uds",
           "torch.sqrt(var_st * sigma_t**2 / sigma_s**2) * noise", "torch.sqrt(var_st * sigma_t / sigma_s) * noise",
           (f"{_SV}::test_ddpm_and_ddim_match_gaussian_conditioning",),
           "DDPM's posterior standard deviation with sigma_t/sigma_s for its square"),
    Mutant("stage-lambda-ring-swapped", "numerics.schedule_grid",
           "        return lam, log_r - lam\n", "        return log_r - lam, lam\n",
           (f"{_SV}::test_stage_lambda_keeps_small_increments",),
           "the stage's (lambda, ring-lambda) returned swapped"),
    Mutant("stage-hermite-slope-unscaled", "numerics.schedule_grid",
           "h10 * h * slopes[idx - 1]", "h10 * slopes[idx - 1]",
           (f"{_SV}::test_runge_kutta_tableaus_match_hand_written_under_the_diffusions",),
           "the stage lambda's Hermite interpolation without the interval length on one slope"),
    Mutant("rk-stage-node-in-log-r", "numerics.uds",
           "log_r_k = log_r_t + torch.log(q_true + c * (1 - q_true))", "log_r_k = log_r_s + c * (log_r_t - log_r_s)",
           (f"{_SV}::test_runge_kutta_tableaus_match_hand_written_under_the_diffusions",),
           "Runge-Kutta stage nodes uniform in log r instead of r"),
)

#: Equivalent rewrites, one per mutation path (function, method, registry): each must SURVIVE its tests, which
#: shows that a kill comes from the mutation and not from the re-execution machinery.
CONTROLS: tuple[Mutant, ...] = (
    Mutant("control-dpm2m-parenthesised", "numerics.uds", "rh = h_prev / h", "rh = (h_prev / h)",
           (f"{_VC}::test_dpm_solver_pp_2m_matches_hand_written_on_uneven_grid",)),
    Mutant("control-marginal-float", "numerics.gaussian_mixture",
           "tau2 = torch.exp(-2 * torch.as_tensor(ring_lam", "tau2 = torch.exp(-2.0 * torch.as_tensor(ring_lam",
           (f"{_VC}::test_marginal_moments_closed_form", f"{_VC}::test_marginal_moments_monte_carlo")),
    Mutant("control-tolerance-parenthesised", "derivations.registry",
           "abs(v) < mp.mpf(10) ** -20", "abs(v) < mp.mpf(10) ** (-20)",
           (f"{_VC}::test_alpha_off_by_small_factor_rejected_in_python",
            f"{_VC}::test_alpha_off_by_small_factor_rejected_in_schedule_file")),
)

BY_NAME = {m.name: m for m in CATALOGUE + CONTROLS}


def _enclosing(tree: ast.Module, line: int):
    """(class node or None, function node) of the top-level function or method that contains ``line``."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= node.end_lineno:
            return None, node
        if isinstance(node, ast.ClassDef) and node.lineno <= line <= node.end_lineno:
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.lineno <= line <= sub.end_lineno:
                    return node, sub
    return None, None


def apply(mutant: Mutant) -> None:
    """Apply ``mutant`` in memory (see the module docstring); raises MutantDoesNotApply if it cannot."""
    module = importlib.import_module(mutant.module)
    source = Path(module.__file__).read_text()
    count = source.count(mutant.old)
    if count != 1:
        raise MutantDoesNotApply(f"mutant {mutant.name!r}: its text occurs {count} times in {mutant.module} "
                                 f"(needs exactly 1): {mutant.old!r}")
    line = source[: source.index(mutant.old)].count("\n") + 1
    tree = ast.parse(source)
    cls, fn = _enclosing(tree, line)
    if fn is None:
        raise MutantDoesNotApply(f"mutant {mutant.name!r}: its text is not inside a function or method of "
                                 f"{mutant.module} (line {line})")
    first = min([fn.lineno] + [d.lineno for d in fn.decorator_list])
    lines = source.splitlines(keepends=True)
    segment = "".join(lines[first - 1: fn.end_lineno])
    if segment.count(mutant.old) != 1:  # the text spans the function's boundary
        raise MutantDoesNotApply(f"mutant {mutant.name!r}: its text is not within one function of {mutant.module}")
    code = textwrap.dedent(segment.replace(mutant.old, mutant.new))
    code = "\n" * (first - 1) + code  # keep the line numbers of tracebacks
    namespace: dict = {}
    exec(compile(code, module.__file__, "exec"), module.__dict__, namespace)
    if cls is None:
        setattr(module, fn.name, namespace[fn.name])
    else:
        setattr(getattr(module, cls.name), fn.name, namespace[fn.name])


#: Per-test time limit while a mutant is applied (pytest-timeout).
MUTANT_TEST_TIMEOUT_S = 120


def run(name: str, extra: list[str] | None = None) -> int:
    """Apply mutant ``name`` in this process and run its tests; pytest's exit code (0: survived)."""
    import pytest

    mutant = BY_NAME[name]
    apply(mutant)
    # a mutant that makes a test hang (an unbounded exponent: 10**10**10) is killed by the time limit, sooner than the
    # default command's 600 s
    return int(pytest.main(["-q", "-x", "-p", "no:cacheprovider", "--no-header", f"--timeout={MUTANT_TEST_TIMEOUT_S}",
                            *(extra or []), *mutant.tests]))


def outcome(name: str, timeout: float = 900) -> str:
    """Run mutant ``name`` in a fresh interpreter: 'killed', 'survived' or 'does not apply'."""
    proc = subprocess.run([sys.executable, str(Path(__file__)), "run", name], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode == 3:
        return "does not apply"
    if proc.returncode == 0:
        return "survived"
    if proc.returncode == 1:
        return "killed"
    raise RuntimeError(f"mutant {name!r}: pytest exit {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    if not argv or argv[0] == "list":
        for m in CATALOGUE + CONTROLS:
            print(f"{m.name}: {m.module}: {m.old!r} -> {m.new!r}")
        return 0
    if argv[0] == "run" and len(argv) >= 2:
        if argv[1] not in BY_NAME:
            print(f"unknown mutant {argv[1]!r}", file=sys.stderr)
            return 2
        try:
            return run(argv[1], argv[2:])
        except MutantDoesNotApply as exc:
            print(exc, file=sys.stderr)
            return 3
    if argv[0] == "all":
        results = {m.name: outcome(m.name) for m in CATALOGUE}
        for name, res in results.items():
            print(f"{res:15s} {name}")
        controls = {m.name: outcome(m.name) for m in CONTROLS}
        for name, res in controls.items():
            print(f"{res:15s} {name} (equivalent: must survive)")
        killed = sum(r == "killed" for r in results.values())
        print(f"killed {killed} of {len(results)}; controls surviving "
              f"{sum(r == 'survived' for r in controls.values())} of {len(controls)}")
        return 0 if killed == len(results) and all(r == "survived" for r in controls.values()) else 1
    print("usage: python tests/mutants.py list | run NAME | all", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
