"""Ledger entries for Appendix A, "From the generator (10) to SDE and back": (31)-(37).

Printed forms are the paper's LaTeX (review-copy lines 597-632) read by :mod:`verify.reading`.  Statements for *any* schedules use
undefined functions rho(t), ring-rho(t); their values and derivatives at the instant t become positive
symbols (:func:`derivations.appendix_a.instant_values`) and s = t - dt enters through Taylor polynomials.
Numeric routes use the concrete rho = exp(t^2 + t) and ring-rho = t/(1 - t) (Logis).
The claims ``eq40`` and ``prop2`` belong to Section 4's module.
"""

from __future__ import annotations

import mpmath as mp
import sympy as sp

from derivations import appendix_a as da
from derivations.appendix_a import R0, RHO, RING, X_hat, Y_hat, eps_hat, instant_values, p0, p1
from derivations.symbols import dt, ring_rho_s, ring_rho_t, rho_s, rho_t, s, t

from ..ledger import Claim, Correction, Derivation, register
from ..paper_text import printed
from .namespace import step_ns

SEC = "A"
_p2, _R1, _R2 = da.p2, da.R1, da.R2


def _sampler(rng):
    """Positive instant values (rho, ring-rho and derivatives), a step with rho_s < rho_t, and s < t."""
    def r(lo, hi):
        return sp.Rational(rng.randint(int(lo * 1000), int(hi * 1000)), 1000)

    rt = r(0.5, 2)
    return {rho_t: rt, rho_s: rt * r(0.1, 0.95), ring_rho_t: r(0.5, 2), ring_rho_s: r(0.2, 0.5),
            dt: r(0.01, 0.5), da.Y_s: r(-2, 2), da.X_s: r(-2, 2), da.xi: r(-2, 2),
            p0: r(0.2, 2), p1: r(0.2, 2), _p2: r(-2, 2), da.p3: r(-2, 2),
            R0: r(0.2, 2), _R1: r(0.2, 2), _R2: r(-2, 2), da.R3: r(-2, 2),
            X_hat: r(-2, 2), Y_hat: r(-2, 2), eps_hat: r(-2, 2),
            s: r(0.1, 0.45), t: r(0.5, 0.9)}


def _lam_rate():
    """lambda'_t = (log rho_t)' at the instant."""
    return instant_values(sp.diff(sp.log(RHO), t))


def _ring_lam_rate():
    return instant_values(sp.diff(sp.log(RING), t))


# --- (31)-(33) -----------------------------------------------------------------------------------------

_DELTA1_KEY = "(32) left: (r_t - r_s)/(dt r_t) = (log r_t)'(1 + delta_1), main term"
_DELTA2_KEY = "(32) right: (rho_t - rho_s)(rho_t + rho_s)/(dt rho_t^2) = 2 (log rho_t)'(1 + delta_2), main term"


def _instant_ns(**extra) -> dict:
    """The symbols of (31)-(37) at the instant t: rho_t, ring-rho_t, the rates and the derivatives of logs."""
    ns = step_ns(**{"hat:Y_s": da.Y_s, "hat:X_s": da.X_s, "xi_s^*": da.xi, "hat:X_t": X_hat, "hat:Y_t": Y_hat,
                    "hat:epsilon_t": eps_hat})
    ns.update({"ring:rho_t": R0, "lambda'_t": _lam_rate(), "ring:lambda'_t": _ring_lam_rate(),
               "(log r_t)'": instant_values(sp.diff(sp.log(RHO * RING), t)),
               "(log rho_t)'": instant_values(sp.diff(sp.log(RHO), t)),
               "r'_t": instant_values(sp.diff(RHO * RING, t)), "rho_t": instant_values(RHO)})
    ns.update(extra)
    return ns


def _eq31_printed(corrected=False):
    # (31): the step (10) in difference form; the instant symbols of (32)-(33) where the step has rho_s, rho_t
    ns = step_ns(**{"hat:Y_s": da.Y_s, "hat:X_s": da.X_s, "xi_s^*": da.xi})
    step = sp.expand(printed("eq31", ns))
    r_t = rho_t * ring_rho_t
    scale = 1 / r_t if corrected else 1  # printed: (r_s - r_t)/dt Y_s + (r_t - r_s)/dt X_s, times dt
    inst = _instant_ns()
    return {
        "(31) coefficient of Y_s": step.coeff(da.Y_s) * scale,
        "(31) coefficient of X_s": step.coeff(da.X_s) * scale,
        "(31) coefficient of xi": step.coeff(da.xi),
        _DELTA1_KEY: printed("eq32.left", inst),
        _DELTA2_KEY: printed("eq32.right", inst),
        "(33) drift per dt, coefficient of (X_t - Y_t)": printed("eq33.drift", inst),
        "(33) noise per sqrt(dt)": printed("eq33.noise", inst),
    }


def _step_r():
    rs, rt, Rs, Rt = da.step_values()
    return rs * Rs, rt * Rt, rs, rt


def _eq31_implied(forms):
    out = {k: forms[k] for k in forms if k.startswith("(31)") or k.startswith("(33)")}
    r_s, r_t, rs, rt = _step_r()
    lhs1 = (r_t - r_s) / (dt * r_t)
    lhs2 = (rt - rs) / (dt * rt) * (rt + rs) / rt
    for key, lhs, name in ((_DELTA1_KEY, lhs1, "delta_1"), (_DELTA2_KEY, lhs2, "delta_2")):
        delta = lhs / forms[key] - 1
        c0, c1 = da.series_coefficients(delta, 2)
        out[f"{name}: dt^0 coefficient (delta = O(1/N))"] = c0
        out[f"{name}: dt^1 coefficient"] = c1
    return out


def _eq31_derive():
    coeffs = da.difference_form(rho_s, rho_t, ring_rho_s, ring_rho_t)
    drift, noise = da.sde_coefficients()
    r_vals = [instant_values(sp.diff(RHO * RING, t, k)) for k in range(3)]
    d1, d2 = da.delta_leading(r_vals), da.delta2_leading()
    expected = {
        "(31) coefficient of Y_s": coeffs["Y_s"], "(31) coefficient of X_s": coeffs["X_s"],
        "(31) coefficient of xi": coeffs["xi"],
        "delta_1: dt^0 coefficient (delta = O(1/N))": sp.Integer(0), "delta_1: dt^1 coefficient": d1,
        "delta_2: dt^0 coefficient (delta = O(1/N))": sp.Integer(0), "delta_2: dt^1 coefficient": d2,
        "(33) drift per dt, coefficient of (X_t - Y_t)": drift,
        "(33) noise per sqrt(dt)": noise,
    }
    # Numeric route for delta_1, delta_2: concrete rho = exp(t^2 + t), ring-rho = t/(1-t) at t = 1/2.
    t_val = sp.Rational(1, 2)
    ladder = [mp.mpf(2) ** -k for k in range(8, 16)]
    evidence, worst = {}, {}
    for name, fn, lead in (("delta_1", da.TEST_RHO * da.TEST_RING_RHO, d1), ("delta_2", da.TEST_RHO**2, d2)):
        with mp.workdps(80):
            pred = mp.mpf(str(sp.N(da.concrete(lead).subs(t, t_val), 60)))
            tiny = da.delta_ladder(fn, t_val, [mp.mpf(10) ** -30], dps=80)[0] / mp.mpf(10) ** -30
            vals = da.delta_ladder(fn, t_val, ladder, dps=50)
            order = mp.log(abs(vals[-2] / vals[-1])) / mp.log(2)
        worst[name] = abs(tiny - pred)
        evidence[name] = {"leading coefficient (derived)": str(lead), "at t=1/2 (concrete)": mp.nstr(pred, 15),
                          "delta(dt)/dt at dt=1e-30 (80 digits; truncation + rounding ~1e-20)": mp.nstr(tiny, 15),
                          "|difference|": mp.nstr(worst[name], 3),
                          "fitted order of delta on dt = 2^-8..2^-15": mp.nstr(order, 6)}
        if worst[name] > mp.mpf(10) ** -18 or abs(order - 1) > 0.01:
            raise AssertionError(f"{name}: numeric route disagrees ({worst[name]}, order {order})")
    evidence["delta_2 via rho"] = "delta_2 ~ -(rho^2)'' dt/(2 (rho^2)') = -(lambda'' + 2 lambda'^2) dt/(2 lambda')"
    evidence["(33) from (31)"] = ("(33) uses X_t - Y_t instead of X_s - Y_s: the difference times dt is "
                                  "O_P(dt^(3/2)), inside O_P(dt)")
    return Derivation(expected, evidence,
                      notes="(31) derived by solving (10) for Y_t - Y_s; (32) by Taylor series in dt "
                            "(delta_1 ~ -r'' dt/(2 r'), delta_2 ~ -(rho^2)'' dt/(2 (rho^2)')), both checked at "
                            "80 digits on rho = exp(t^2 + t), ring-rho = t/(1-t); (33) as dt -> 0 limits.",
                      sampler=_sampler)


register(Claim("eq31-eq33", SEC, title="(31)-(33): the difference form of (10), its Taylor expansion and O(1/N) terms",
               equations=(10, 31, 32, 33), method="symbolic", printed=_eq31_printed, derive=_eq31_derive, implied=_eq31_implied,
               corrected=lambda: _eq31_printed(corrected=True),
               corrections=(Correction(
                   "typo", ("(31) coefficient of Y_s", "(31) coefficient of X_s"),
                   "((r_s - r_t)/(dt r_t) Y_s + (r_t - r_s)/(dt r_t) X_s) dt: the drift divided by r_t",
                   "Solving (10) (line 194) for Y_t - Y_s divides by r_t; the paper's own next lines use the divided "
                   "form: (32) expands (r_t - r_s)/(dt r_t) (line 606) and (33) has the drift (log r_t)'(X_hat - "
                   "Y_hat) (line 610), which (31) as printed would multiply by r_t.", error="line 602"),),
               sources={"(31) coefficient of Y_s": "eq31", "(31) coefficient of X_s": "eq31",
                        "(31) coefficient of xi": "eq31", _DELTA1_KEY: "eq32.left", _DELTA2_KEY: "eq32.right",
                        "(33) drift per dt, coefficient of (X_t - Y_t)": "eq33.drift",
                        "(33) noise per sqrt(dt)": "eq33.noise"}))


# --- (34)-(36) ------------------------------------------------------------------------------------------


def _eq34_printed(corrected=False):
    ns = _instant_ns()
    sign = -1 if corrected else 1
    return {
        "(34) drift": printed("eq34.drift", ns), "(34) noise": printed("eq34.noise", ns),
        "(35) drift": printed("eq35.drift", ns), "(35) noise": printed("eq35.noise", ns),
        "(36) drift": sign * printed("eq36.drift", ns), "(36) noise": printed("eq36.noise", ns),
    }


def _eq34_derive():
    drift, noise = da.sde_coefficients()          # (34) as the dt -> 0 limit of (10)
    x_minus_y = da.drift_with_eps_hat()           # X_hat - Y_hat = -eps_hat / ring-rho, from (3)
    return Derivation(
        {"(34) drift": drift * (X_hat - Y_hat), "(34) noise": noise,
         "(35) drift": drift * (X_hat - Y_hat), "(35) noise": noise,
         "(36) drift": sp.expand(drift * x_minus_y), "(36) noise": noise},
        evidence={"(34) drift rate (limit of (10))": str(drift), "(34) noise (limit of (10))": str(noise),
                  "X_hat - Y_hat from (3)": str(x_minus_y),
                  "r = rho ring-rho": "(log r)' = lambda' + ring-lambda'"},
        notes="Forward time: the drift pulls Y_hat toward X_hat, and X_hat - Y_hat = -eps_hat/ring-rho.",
        sampler=_sampler)


register(Claim("eq34-eq36", SEC, title="(34)-(36): the three SDE forms agree", equations=(3, 34, 35, 36), method="symbolic",
               printed=_eq34_printed, derive=_eq34_derive, corrected=lambda: _eq34_printed(corrected=True),
               corrections=(Correction(
                   "typo", ("(36) drift",), "-ring-rho_t^-1 (lambda'_t + ring-lambda'_t) eps_hat_t dt: a minus sign",
                   "(3) gives X_hat - Y_hat = -ring-rho^-1 eps_hat (line 100), so the drift of (35) (line 618) is "
                   "-ring-rho^-1 (lambda' + ring-lambda') eps_hat; (37) and (12) are derived from (34), not from (36).",
                   "nothing downstream uses (36); an implementation of (36) as printed would integrate a different SDE "
                   "(its drift pushes Y_hat away from X_hat)", error="line 620"),),
               sources={f"({n}) {part}": f"eq{n}.{part}" for n in (34, 35, 36) for part in ("drift", "noise")}))


# --- (37) ------------------------------------------------------------------------------------------------


def _eq37_printed():
    ns = _instant_ns()
    return {"(37) r_s dY~: dt coefficient": printed("eq37.drift", ns),
            "(37) r_s dY~: dW coefficient": printed("eq37.noise", ns)}


def _eq37_implied(forms):
    out = dict(forms)
    dw = forms["(37) r_s dY~: dW coefficient"]
    out["squared dW coefficient: integrand of the noise variance"] = sp.expand(dw**2)
    # integrate (37)'s noise variance from s to t for the concrete rho = exp(t^2 + t)
    tau = sp.Symbol("tau", positive=True)
    integrand = da.concrete(dw**2).subs(t, tau)
    out["int_s^t (dW coefficient)^2 [rho = exp(t^2 + t)]"] = sp.simplify(sp.integrate(integrand, (tau, s, t)))
    return out


def _eq37_derive():
    dt_coeff, dw_coeff = da.product_rule_37()
    rho_sq = da.TEST_RHO**2
    return Derivation(
        {"(37) r_s dY~: dt coefficient": dt_coeff, "(37) r_s dY~: dW coefficient": dw_coeff,
         "squared dW coefficient: integrand of the noise variance": instant_values(sp.diff(RHO**2, t)),
         "int_s^t (dW coefficient)^2 [rho = exp(t^2 + t)]": rho_sq - rho_sq.subs(t, s)},
        evidence={"Ito": "Y~ = f(t, Y) = (r_t/r_s) Y is linear in Y, so f_YY = 0 and the product rule is exact",
                  "dt coefficient": str(dt_coeff), "dW coefficient": str(dw_coeff),
                  "variance": "int_s^t rho^2 2 lambda' d tau = int_s^t (rho^2)' d tau = rho_t^2 - rho_s^2, the "
                              "variance of the noise term of (12); the drift integrates to int_{r_s}^{r_t} X_hat dr"},
        sampler=_sampler)


register(Claim("eq37", SEC, title="(37): variation of constants, and its noise variance rho_t^2 - rho_s^2 (12)",
               equations=(12, 34, 37), method="symbolic", printed=_eq37_printed, derive=_eq37_derive, implied=_eq37_implied,
               sources={"(37) r_s dY~: dt coefficient": "eq37.drift", "(37) r_s dY~: dW coefficient": "eq37.noise"}))
