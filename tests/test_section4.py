"""Section 4 claims: the means and std above (16), the Gaussian KL (16)-(17) and w^N, the chi-square identity
(24), the penalized ML optimum (25)-(26)."""

import sympy as sp

from derivations import section3_diffusion as d3
from derivations import section4_kl as d4
from derivations.section3_diffusion import X, Z_s, kappa_simplify
from derivations.symbols import (alpha_s, alpha_t, c, lam_rate, ring_lam_rate, ring_rho_s, ring_rho_t, rho_s,
                                 rho_t, sigma_s, sigma_t)
from verify.ledger import CLAIMS, Verdict


def _rejected(cid, **changes):
    claim = CLAIMS[cid]
    forms = dict(claim.accepted_forms(), **changes)
    return claim.evaluate(forms, allow_erratum=False).verdict is Verdict.FAILED


def test_eq16_perturbations_rejected():
    # alpha_t/alpha_s replaced by sigma_t/sigma_s in the second form; std without the square
    eps = d3.eps_s
    bad = sigma_t / sigma_s * Z_s - sigma_t * (ring_rho_t / ring_rho_s - rho_s / rho_t) * eps
    assert _rejected("eq16-mu", **{"mu_s (second form)": bad})
    assert _rejected("eq16-mu", **{"std of p_t and p_hat_t": sigma_t * sp.sqrt(1 - rho_s / rho_t)})


def test_eq16_second_form_from_first():
    """Both printed forms of mu_s agree after X = (z_s - sigma_s eps_s)/alpha_s, alpha = ring-rho sigma."""
    forms = CLAIMS["eq16-mu"].printed()
    diff = (forms["mu_s (first form)"] - forms["mu_s (second form)"]).subs(X, d4.x_from_eps(d3.eps_s))
    diff = diff.subs({ring_rho_s: alpha_s / sigma_s, ring_rho_t: alpha_t / sigma_t})
    assert sp.simplify(diff) == 0


def test_eq17_weight_invariance_and_kl_weight():
    C = sp.Symbol("C", positive=True)
    scale = {rho_s: C * rho_s, rho_t: C * rho_t}
    w = d4.kl_weight_from_means()
    assert sp.simplify(w.subs(scale, simultaneous=True) - w) == 0
    literal = CLAIMS["eq17"].printed()["w^N_s (17)"]
    assert sp.simplify(literal.subs(scale, simultaneous=True) - literal) != 0
    assert kappa_simplify(d4.kl_weight() - w) == 0
    assert kappa_simplify(d4.weight_40_first_line() - w) == 0
    # perturbation: the factor 2 of the KL denominator dropped
    m, mh = sp.symbols("mu mu_hat", real=True)
    assert _rejected("eq17", **{"KL per coordinate": (m - mh) ** 2 / (sigma_t**2 * (1 - rho_s**2 / rho_t**2))})
    assert _rejected("eq17", **{"w^N_s (17)": (ring_rho_t / ring_rho_s - rho_s / rho_t) ** 2
                                / (2 * (1 - rho_s / rho_t))})


def test_eq24_identity_and_perturbation():
    forms = CLAIMS["eq24"].printed()
    assert sp.simplify(forms["(24) left side"] - forms["(24) right side"]) == 0
    assert _rejected("eq24", **{"(24) right side": ring_lam_rate + (lam_rate - ring_lam_rate) ** 2 / lam_rate})


def test_eq26_optimum_and_perturbation():
    roots, second = d4.penalized_optimum()
    assert roots == [ring_lam_rate / sp.sqrt(1 + c)] and second[0].is_positive
    assert _rejected("eq26", **{"(26) lambda'_c": ring_lam_rate / (1 + c)})
    assert _rejected("eq26", **{"c = 0 (ML, reversible)": ring_lam_rate / 2})
