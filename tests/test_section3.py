"""Section 3 claims: (4)-(6), (7)-(9), (10)-(11), (12)-(13), (14)-(15) and remark 2 (DDPM, DDIM).

Each claim: the expected verdict; an erratum's printed form rejected and its corrected form accepted;
a targeted perturbation (drop a factor, swap symbols, wrong power) rejected.
"""

import mpmath as mp
import sympy as sp

from derivations import section3_diffusion as d3
from derivations.section3_diffusion import X, X_hat, X_hat_t, Y_s, Z_s, eps_s, kappa, xi_s
from derivations.symbols import alpha_s, ring_rho_s, ring_rho_t, rho_s, rho_t, sigma_s, sigma_t
from verify.claims.section3 import beta_sym, q_sym
from verify.ledger import CLAIMS, Verdict


def _rejected(cid, **changes):
    claim = CLAIMS[cid]
    forms = dict(claim.accepted_forms(), **changes)
    return claim.evaluate(forms, allow_erratum=False).verdict is Verdict.FAILED


# --- targeted perturbations: one per claim ------------------------------------------------------------


def test_eq56_perturbations_rejected():
    assert _rejected("eq5-eq6", **{"(6) V(eps_t,j | eps_s,k), j = k": 1 - rho_s / rho_t})  # square dropped
    assert _rejected("eq5-eq6", **{"(6) cor(eps_t,j, eps_s,k), j != k": rho_s / rho_t})  # the indicator ignored
    assert _rejected("eq5-eq6", **{"(5) rho_t eps_t": rho_s * eps_s + sp.sqrt(1 - rho_s**2 / rho_t**2) * xi_s})


def test_eq89_perturbation_rejected():
    r_s, r_t = rho_s * ring_rho_s, rho_t * ring_rho_t
    # (9) with rho_s/alpha_s in place of rho_s/sigma_s
    assert _rejected("eq8-eq9", **{"(9) (rho_t/sigma_t) Z_t": rho_s / alpha_s * Z_s + (r_t - r_s) * X
                                   + sp.sqrt(rho_t**2 - rho_s**2) * xi_s})


def test_eq11_perturbations_rejected():
    forms = CLAIMS["eq11"].accepted_forms()
    rho = sp.symbols("rho_0:4", positive=True)
    xi = sp.symbols("xi_0:3", real=True)
    # xi* normalised by rho_j - rho_i instead of sqrt(rho_j^2 - rho_i^2): not unit variance
    bad = sum(sp.sqrt(rho[k + 1] ** 2 - rho[k] ** 2) * xi[k] for k in range(3)) / (rho[3] - rho[0])
    assert _rejected("eq11", **{"xi* (printed), j-i=3": bad})
    key = "(11) r_j Y_j, j-i=2"
    Xh = sp.symbols("Xhat_0:2", real=True)
    assert _rejected("eq11", **{key: forms[key].subs({Xh[0]: Xh[1], Xh[1]: Xh[0]}, simultaneous=True)})


def test_eq11_telescoping_and_independence():
    assert d3.xi_star_variance_general() == 1
    for i in (1, 2, 4):
        noise = {s.name for s in d3.generator_noise_symbols(i)}
        assert noise == {"epsilon_0"} | {f"xi_{k}" for k in range(i)}


def test_eq13_perturbation_rejected_and_shared_coefficients():
    assert _rejected("eq13-uds", beta_st=sp.sqrt(1 - rho_s**2 / rho_t**2) / ring_rho_s)
    assert _rejected("eq13-uds", q_st=rho_s / rho_t)
    lhs, rhs = d3.integral_substitution_generic()
    assert sp.simplify(lhs - rhs) == 0
    assert d3.uds_beta(kappa) == sp.sqrt(1 - kappa**2) / ring_rho_t


def test_euler_heun_orders_and_perturbation():
    assert d3.local_truncation_error(d3.left_rectangle)[1] == 2
    assert d3.local_truncation_error(d3.trapezoid)[1] == 3
    e_slope, _ = d3.fitted_order("euler", (128, 256, 512))
    h_slope, _ = d3.fitted_order("heun", (128, 256, 512))
    assert abs(e_slope - 1) < 0.05 and abs(h_slope - 2) < 0.05, (e_slope, h_slope)
    # Heun with the right end point only (not the trapezoid) is rejected
    assert _rejected("uds-euler-heun", **{"(15) Heun": q_sym * Y_s + (1 - q_sym) * X_hat_t + beta_sym * xi_s})


def test_euler_heun_grades_only_what_is_printed():
    """The paper prints (14), (15) and the schemes' names (line 219-221), no order: the claim's printed forms are the
    two formulas only, and the orders 1 and 2 are recorded as the ledger's own result, not as the paper's."""
    claim = CLAIMS["uds-euler-heun"]
    assert set(claim.printed()) == {"(14) Euler", "(15) Heun"}
    out = claim.evaluate()
    assert out.verdict is Verdict.PROVED, out.notes
    assert "Euler (14) has global order 1 and Heun (15) order 2" in out.evidence[
        "the ledger's own result (inferred, not printed)"]
    assert "no order is printed" in out.evidence["printed"]


def test_ddpm_posterior_in_y_space():
    step = sp.expand(d3.ddpm_step_Y())
    g = ring_rho_s / ring_rho_t
    assert sp.simplify(step.coeff(Y_s) - d3.uds_q(g)) == 0
    assert d3.kappa_simplify(step.coeff(xi_s) - d3.uds_beta(g)) == 0
    # numeric: at ring-rho_s = 0.5, ring-rho_t = 2, sigma_s = 1.3, sigma_t = 0.4
    with mp.workdps(40):
        val = sp.N(step.coeff(xi_s).subs({ring_rho_s: sp.Rational(1, 2), ring_rho_t: 2, sigma_s: sp.Rational(13, 10),
                                          sigma_t: sp.Rational(2, 5)}), 40)
        assert abs(mp.mpf(str(val)) - mp.sqrt(1 - mp.mpf(1) / 16) / 2) < mp.mpf(10) ** -35


def test_ddim_perturbation_rejected():
    # DDIM with q = r_s/r_t kept at kappa < 1 (no flow limit) is not the DDIM step: beta != 0 there
    assert _rejected("uds-ddim", **{"beta_st (remark 2, flows)": sp.Integer(1)})
    bad = X_hat * ring_rho_s / ring_rho_t + Y_s * (1 - ring_rho_s / ring_rho_t)  # q and 1 - q swapped
    assert _rejected("uds-ddim", **{"(14) EulerUDS with (13)'s q_st, beta_st": bad})
    assert d3.ddim_step_Y().coeff(Y_s) == d3.uds_q(1)
