"""Propositions 1-2, (40), (18)-(19), (12) and the endpoints: the mpmath back-end and its claims."""

import mpmath as mp
import pytest
import sympy as sp

from derivations import prop2_weight as p2
from derivations.symbols import lam_rate, ring_lam_rate, ring_rho_s, ring_rho_t, rho_s, rho_t
from numerics import convergence as cv
from verify.claims import convergence as cc
from verify.ledger import CLAIMS, Verdict


def test_chebyshev_interpolant_and_antiderivative():
    with mp.workdps(30):
        c = cv.Chebyshev(mp.exp, -1, 2, 40)
        assert abs(c(mp.mpf("0.3")) - mp.exp(mp.mpf("0.3"))) < mp.mpf(10) ** -27
        assert abs(c.antiderivative()(2) - (mp.e**2 - mp.exp(-1))) < mp.mpf(10) ** -27
        val, est = cv.chebyshev_integral(mp.cos, 0, 3, 41)
        assert abs(val - mp.sin(3)) < mp.mpf(10) ** -25 and est < mp.mpf(10) ** -10


def _clenshaw_in_mpf(interp, x):
    u = (2 * mp.mpf(x) - interp.a - interp.b) / (interp.b - interp.a)
    b1 = b2 = mp.mpf(0)
    for ck in reversed(interp.c[1:]):
        b1, b2 = 2 * u * b1 - b2 + ck, b1
    return u * b1 - b2 + interp.c[0]


@pytest.mark.parametrize("dps", [15, 20, 30])
def test_fixed_point_clenshaw_equals_the_recurrence_at_twice_the_precision(dps):
    # the interpolant the Prop. 2 ladders evaluate 10^4 times per run (values from 6e-6 to 1 over [-6, 4]):
    # the fixed-point recurrence against the mpf recurrence run at dps + 20 digits, at points whose u = k/64 is exact
    # at any precision (else rounding u itself, amplified where the value is 1e-6 of the coefficients, would differ)
    interp, _ = cv.error_of_logsnr("misspecified", -6.0, 4.0, 100)
    points = [mp.mpf(-1) + mp.mpf(5 * k) / 64 for k in range(-64, 65, 3)] + [mp.mpf(4)]
    with mp.workdps(dps):
        got = [interp(x) for x in points]
    with mp.workdps(dps + 20):
        worst = max(abs(g - _clenshaw_in_mpf(interp, x)) / abs(_clenshaw_in_mpf(interp, x)) for g, x in zip(got, points))
    assert worst < mp.mpf(10) ** (1 - dps)
    # and the check can fail: a coefficient changed by 1e-12 (relative to the largest) is seen
    bumped = cv.Chebyshev(None, interp.a, interp.b, interp.n, coeffs=[interp.c[0], interp.c[1] * (1 + mp.mpf(10) ** -12),
                                                                     *interp.c[2:]])
    with mp.workdps(dps):
        assert max(abs(bumped(x) - g) for x, g in zip(points, got)) > mp.mpf(10) ** -14


def test_weight_expansion_matches_hand_form_and_finite_differences():
    w0, w1 = p2.weight_expansion()
    assert sp.simplify(w0 - (p2.lam1 + p2.ring1) ** 2 / (4 * p2.lam1)) == 0
    assert sp.simplify(w1 - p2.b_closed_form()) == 0
    res = p2.check_b_numerically()
    assert float(res["b_rel_residual"]) < 1e-20 and float(res["w_bar_rel_residual"]) < 1e-20


def test_weight_series_equals_sympys_series_of_the_exact_weight():
    """The exact power-series arithmetic of weight_series against SymPy's series of w^N_s/h itself, through h^2 (one
    order beyond what the ladders use), at rational values of the derivatives (SymPy's series is then fast)."""
    vals = {p2.lam1: sp.Rational(7, 10), p2.lam2: sp.Rational(-3, 10), p2.lam3: sp.Rational(13, 10),
            p2.ring1: sp.Rational(2, 5), p2.ring2: sp.Rational(1, 5), p2.ring3: sp.Rational(-1, 2)}
    dlam, dring = p2._increments()
    ratio = (p2.step_weight_exact(dlam, dring) / p2.h).xreplace(vals)
    ser = sp.series(ratio, p2.h, 0, 3).removeO()
    coeffs = p2.weight_series(3)
    assert [sp.nsimplify(c.xreplace(vals)) for c in coeffs] == [sp.nsimplify(ser.coeff(p2.h, k)) for k in range(3)]
    assert coeffs[2].xreplace(vals) != 0   # the h^2 term is there to compare (not trivially zero)


FAST = dict(ns=[64, 128, 256, 512, 1024])


def test_ladder_confirms_prop2_on_a_fast_case():
    ev = cc.ladder_from_forms(cc.printed_40(), "Logis", "penalized(c=1)", "exact", **FAST)
    assert ev["ok"], ev
    assert 0.95 <= ev["fitted_order"] <= 1.05
    assert float(ev["C_rel_error_richardson"]) < cv.C_TOL


def _perturbed_weights():
    forms = cc.printed_40()
    w = forms[cc.KEY_W]
    wbar = forms[cc.KEY_WBAR]
    # drop the factor 1/2 of (40) (the 2 in its denominator)
    drop_half = {cc.KEY_W: 2 * w, cc.KEY_WBAR: wbar}
    # swap lambda' and ring-lambda' in w_bar of (23)
    swap_rates = {cc.KEY_W: w, cc.KEY_WBAR: wbar.xreplace({lam_rate: ring_lam_rate, ring_lam_rate: lam_rate})}
    # swap rho and ring-rho in (40)
    swap_rho = {cc.KEY_W: w.xreplace({rho_s: ring_rho_s, ring_rho_s: rho_s, rho_t: ring_rho_t, ring_rho_t: rho_t}),
                cc.KEY_WBAR: wbar}
    return {"drop 1/2": drop_half, "swap lam' ringlam'": swap_rates, "swap rho ring-rho": swap_rho}


@pytest.mark.parametrize("name", ["drop 1/2", "swap lam' ringlam'", "swap rho ring-rho"])
def test_perturbed_weight_fails_the_ladder(name):
    forms = _perturbed_weights()[name]
    ev = cc.ladder_from_forms(forms, "Logis", "penalized(c=1)", "exact", ns=[128, 256, 512, 1024])
    assert not ev["ok"], ev
    out = CLAIMS["prop2-Logis"].evaluate(forms)  # rejected (by the symbolic pre-check, before any ladder)
    assert out.verdict == Verdict.FAILED


def test_prop1_agrees_on_a_tiny_case_and_rejects_a_perturbed_weight():
    forms = cc._prop1_printed(corrected=True)
    with mp.workdps(40):
        r = cc.prop1_pair(forms, "Sech", "penalized(c=1)", 2)
        assert cc._digits(r["sum21"], r["direct"]) > 30
        bad = {cc.KEY_W17: forms[cc.KEY_W17] / 2}
        r = cc.prop1_pair(bad, "Sech", "penalized(c=1)", 2)
        assert cc._digits(r["sum21"], r["direct"]) < 2
        # the literal (17) of the text extraction (ring-rho_t/rho_s) does not give the path KL either
        r = cc.prop1_pair(cc._prop1_printed(), "Sech", "penalized(c=1)", 2)
        assert cc._digits(r["sum21"], r["direct"]) < 2
    assert CLAIMS["prop1"].evaluate({cc.KEY_W17: 2 * forms[cc.KEY_W17]}, allow_erratum=False).verdict == Verdict.FAILED


def test_eq18_eq19_confirmed_and_perturbation_rejected():
    claim = CLAIMS["eq18-eq19"]
    assert claim.evaluate().verdict == Verdict.CONFIRMED
    forms = claim.printed()
    bad = {k: v for k, v in forms.items()}
    bad["(19) right side"] = cc.L_N - cc.B_BAR
    assert claim.evaluate(bad).verdict == Verdict.FAILED


def test_eq12_first_order_and_wrong_noise_variance_rejected():
    forms = cc._eq12_printed()
    ns = [128, 256, 512, 1024, 2048]
    good = cc.eq12_ladder(forms, "DDPM-linear", "ML", ns=ns)
    assert good["ok"], good
    bad = dict(forms)
    bad[cc.KEY_NOISE] = 2 * forms[cc.KEY_NOISE]
    assert not cc.eq12_ladder(bad, "DDPM-linear", "ML", ns=ns)["ok"]


def test_endpoints_study_and_perturbation():
    forms = cc._endpoint_printed()
    ev = cc.endpoint_study(forms, "Logis")
    assert ev["ok"] and ev["float64_all_finite"]
    assert abs(ev["divergence_exponent_p (L ~ ell^p)"] - 1) < 0.01
    bad = {cc.KEY_WBAR: forms[cc.KEY_WBAR] / 2}
    assert not cc.endpoint_study(bad, "Logis")["ok"]


@pytest.mark.slow
def test_eq40_proved_and_perturbed_forms_rejected():
    claim = CLAIMS["eq40"]
    assert claim.evaluate().verdict == Verdict.PROVED
    forms = claim.printed()
    bad = dict(forms)
    bad[cc.KEY_W] = 2 * forms[cc.KEY_W]
    assert claim.evaluate(bad, allow_erratum=False).verdict == Verdict.FAILED


def test_eq40_derives_its_weight_from_16_and_rejects_a_kl_weight_that_differs(monkeypatch):
    """eq40 does not rely on eq17's check: it derives w^N from the means of (16) and checks the closed form
    kl_weight() that the expansion of (40) and the ladders use against it."""
    from derivations.section3_diffusion import kappa_simplify
    from derivations.section4_kl import kl_weight

    w, same = cc.kl_weight_from_the_means_of_16()
    assert same and kappa_simplify(w - kl_weight()) == 0
    monkeypatch.setattr(cc, "kl_weight", lambda *a, **k: kl_weight(*a, **k) * (1 + rho_s / rho_t))
    assert cc.kl_weight_from_the_means_of_16()[1] is False
    with pytest.raises(AssertionError, match="differs from w\\^N derived from the means"):
        cc._eq40_derive()


def test_convergence_plot_from_json_evidence(tmp_path):
    from numerics.plots import convergence_plot

    ev = {"ladders": [{"case": "X/ML/exact", "N": [16, 32, 64], "LN_minus_L": ["0.1", "0.05", "0.025"],
                       "predicted_C": "1.6", "fitted_order": 1.0}]}
    path = convergence_plot([ev], tmp_path / "conv.png")
    assert path.exists() and path.stat().st_size > 1000


def test_a_wrong_constant_alone_fails_the_ladder(monkeypatch):
    """The order stays 1 and only the predicted constant C is off by 3 C_TOL: the ladder must still fail (Proposition
    2 predicts the constant, not only the order)."""
    import derivations.prop2_weight as pw
    from numerics.convergence import C_TOL

    real = pw.predicted_constant

    def off(*args, **kw):
        C, err = real(*args, **kw)
        return C * (1 + 3 * C_TOL), err

    monkeypatch.setattr(pw, "predicted_constant", off)
    ev = cc.ladder_from_forms(cc.printed_40(), "Logis", "penalized(c=1)", "exact", **FAST)
    assert 0.95 <= ev["fitted_order"] <= 1.05 and not ev["ok"], ev
    assert float(ev["C_rel_error_richardson"]) > 2 * C_TOL
