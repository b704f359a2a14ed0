"""Section 3: the autoregression (4)-(6), oracle (8)-(9), generator (10)-(12) and the UDS (13)-(15).

Core coefficients shared by the symbolic claims and the numerical back-ends (one source of truth):
for one step s -> t, with diffusion schedule rho and signal-to-noise ratio ring-rho,

    r = rho * ring-rho,   q_st = r_s / r_t,   beta_st = ring-rho_t^{-1} sqrt(1 - rho_s^2/rho_t^2),
    eta_st = sqrt(1 - rho_s^2/rho_t^2) = ring-rho_t beta_st.

Only the ratio rho_s/rho_t = exp(-(lambda_t - lambda_s)) enters, so the functions below take that
ratio (``kappa``) as well; the flow (lambda' -> 0) is kappa = 1.
"""

from __future__ import annotations

import sympy as sp

from .symbols import ring_rho_s, ring_rho_t, rho_s, rho_t

#: rho_s / rho_t in (0, 1]: the decay of the diffusion schedule over one step.
kappa = sp.Symbol("kappa", positive=True)


def uds_q(rho_ratio=None, ring_s=ring_rho_s, ring_t=ring_rho_t):
    """q_st = r_s/r_t = (rho_s/rho_t)(ring-rho_s/ring-rho_t)  ((13))."""
    rho_ratio = rho_s / rho_t if rho_ratio is None else rho_ratio
    return rho_ratio * ring_s / ring_t


def uds_eta(rho_ratio=None):
    """eta_st = sqrt(1 - rho_s^2/rho_t^2)  (Section 5, "Discrete time")."""
    rho_ratio = rho_s / rho_t if rho_ratio is None else rho_ratio
    return sp.sqrt(1 - rho_ratio**2)


def uds_beta(rho_ratio=None, ring_t=ring_rho_t):
    """beta_st = ring-rho_t^{-1} sqrt(1 - rho_s^2/rho_t^2), the diffusion size  ((13))."""
    return uds_eta(rho_ratio) / ring_t


def uds_coefficients(rho_ratio=None, ring_s=ring_rho_s, ring_t=ring_rho_t) -> tuple[sp.Expr, sp.Expr]:
    """(q_st, beta_st) of (13): Y_t = q Y_s + (1 - q) APPROX[mean of X_hat] + beta xi."""
    return uds_q(rho_ratio, ring_s, ring_t), uds_beta(rho_ratio, ring_t)


# ================================================================================================
# Independent derivations for the Section 3 claims (eq5-eq6 ... uds-ddim)
# ================================================================================================

from .symbols import alpha_s, alpha_t, sigma_s, sigma_t  # noqa: E402

#: Random variables of one step s -> t (one coordinate; the paper's vectors are coordinatewise i.i.d.).
eps_s, eps_t, xi_s = sp.symbols("epsilon_s epsilon_t xi_s", real=True)
X, X_hat, Y_s, Y_t, Z_s, Z_t = sp.symbols("X Xhat Y_s Y_t Z_s Z_t", real=True)
X_hat_s, X_hat_t = sp.symbols("Xhat_s Xhat_t", real=True)
#: Proportionality constant of the ML-diffusion schedule rho = C ring-rho (c = 0 in (26)).
C_ml = sp.Symbol("C_ML", positive=True)


def autoregression_step(ratio=None, e_s=eps_s, xi=xi_s) -> sp.Expr:
    """The definition (4): eps_t = (rho_s/rho_t) eps_s + sqrt(1 - rho_s^2/rho_t^2) xi_s."""
    k = rho_s / rho_t if ratio is None else ratio
    return k * e_s + sp.sqrt(1 - k**2) * xi


def autoregression_moments(ratio=None) -> dict[str, sp.Expr]:
    """Moments of (eps_s, eps_t) by linear algebra: (eps_s, eps_t)^T = A (eps_s, xi_s)^T with eps_s, xi_s
    independent N(0, 1) (eps_s ~ N(0,1) by induction from eps_{t_0}), so Cov = A A^T; the conditional
    variance is the Schur complement Var(eps_t) - Cov(eps_t, eps_s)^2 / Var(eps_s)."""
    step = autoregression_step(ratio)
    A = sp.Matrix([[1, 0], [step.coeff(eps_s), step.coeff(xi_s)]])
    cov = A * A.T
    var_t = sp.simplify(cov[1, 1])
    cor = cov[1, 0] / sp.sqrt(cov[0, 0] * var_t)
    cond = var_t - cov[1, 0] ** 2 / cov[0, 0]
    return {"Var(eps_t)": var_t, "cor(eps_t, eps_s)": sp.simplify(cor), "V(eps_t | eps_s)": sp.expand(cond),
            "Cov(eps_s, xi_s)": sp.Integer(0)}


def ring_rho_of(alpha, sigma):
    """ring-rho = alpha/sigma (the signal-to-noise ratio)."""
    return alpha / sigma


def oracle_Y_step() -> sp.Expr:
    """Y_t of the oracle, from (4) (times rho_t: the rescaled (5)) and Y = X + eps/ring-rho of (7):
    eps_t = ring-rho_t (Y_t - X), eps_s = ring-rho_s (Y_s - X) substituted and solved for Y_t."""
    relation = rho_t * ring_rho_t * (Y_t - X) - rho_t * autoregression_step(e_s=ring_rho_s * (Y_s - X))
    (sol,) = sp.solve(relation, Y_t)
    return sp.expand(sol)


def oracle_Z_step() -> sp.Expr:
    """Z_t of the oracle from (4) and Z = alpha X + sigma eps of (7) (eps = (Z - alpha X)/sigma)."""
    relation = (Z_t - alpha_t * X) / sigma_t - autoregression_step(e_s=(Z_s - alpha_s * X) / sigma_s)
    (sol,) = sp.solve(relation, Z_t)
    return sp.expand(sol)


def unrolled_generator(m: int):
    """Unroll the generator (10) over m steps t_i -> t_{i+m} with symbolic values.

    Returns (r_m Y_m, symbols) where symbols holds lists rho, ring, X_hat, xi and Y0; the recursion is
    r_{k+1} Y_{k+1} = r_k Y_k + (r_{k+1} - r_k) X_hat_k + sqrt(rho_{k+1}^2 - rho_k^2) xi_k."""
    rho = sp.symbols(f"rho_0:{m + 1}", positive=True)
    ring = sp.symbols(f"ringrho_0:{m + 1}", positive=True)
    xh = sp.symbols(f"Xhat_0:{m}", real=True)
    xi = sp.symbols(f"xi_0:{m}", real=True)
    y0 = sp.Symbol("Yhat_0", real=True)
    r = [rho[k] * ring[k] for k in range(m + 1)]
    y = y0
    for k in range(m):
        y = (r[k] * y + (r[k + 1] - r[k]) * xh[k] + sp.sqrt(rho[k + 1] ** 2 - rho[k] ** 2) * xi[k]) / r[k + 1]
    return sp.expand(r[m] * y), {"rho": rho, "ring": ring, "X_hat": xh, "xi": xi, "Y0": y0}


def xi_star_variance_general() -> sp.Expr:
    """Var(xi*) for a general number m of steps: sum_k (rho_{k+1}^2 - rho_k^2)/(rho_m^2 - rho_0^2), the sum
    telescoped by SymPy (rho an undefined positive function of the grid index)."""
    k = sp.Symbol("k", integer=True, nonnegative=True)
    m = sp.Symbol("m", integer=True, positive=True)
    f = sp.Function("rho", positive=True)
    total = sp.Sum(f(k + 1) ** 2 - f(k) ** 2, (k, 0, m - 1)).doit()
    return sp.simplify(total / (f(m) ** 2 - f(0) ** 2))


def generator_noise_symbols(i: int):
    """Noise symbols on which Y_hat_{t_i} of the generator (10) depends: Y_hat_{t_0} = eps_{t_0}/ring-rho, and
    X_hat_k = X_hat(Y_hat_k) is a function of Y_hat_k, so by induction Y_hat_{t_i} is a function of
    eps_{t_0}, xi_{t_0}, ..., xi_{t_{i-1}} (denoiser outputs as opaque functions)."""
    e0 = sp.Symbol("epsilon_0", real=True)
    xi = sp.symbols(f"xi_0:{max(i, 1)}", real=True)[:i]
    rho = sp.symbols(f"rho_0:{i + 1}", positive=True)
    ring = sp.symbols(f"ringrho_0:{i + 1}", positive=True)
    den = sp.Function("Xhat")
    y = e0 / ring[0]
    for k in range(i):
        r0, r1 = rho[k] * ring[k], rho[k + 1] * ring[k + 1]
        y = (r0 * y + (r1 - r0) * den(y) + sp.sqrt(rho[k + 1] ** 2 - rho[k] ** 2) * xi[k]) / r1
    return {sym for sym in y.free_symbols if sym.name.startswith(("xi", "epsilon"))}


# --- (12) -> (13) ---------------------------------------------------------------------------------

r_s_sym, r_t_sym = sp.symbols("r_s r_t", positive=True)
_u = sp.Symbol("u", positive=True)
_r = sp.Symbol("r", positive=True)


def integral_substitution_generic() -> tuple[sp.Expr, sp.Expr]:
    """(1/r_t) int_{r_s}^{r_t} X(r) dr under r = u r_t, for an undefined function X: returns the transformed
    integral and the target int_{q}^{1} X(u r_t) du with q = r_s/r_t."""
    Xf = sp.Function("X")
    lhs = sp.Integral(Xf(_r), (_r, r_s_sym, r_t_sym)).transform(_r, (_u * r_t_sym, _u)) / r_t_sym
    rhs = sp.Integral(Xf(_u * r_t_sym), (_u, r_s_sym / r_t_sym, 1))
    return lhs, rhs


#: A generic smooth integrand X(r) (as a function of the transformed variable r) for the exact comparison.
integrand_coeffs = sp.symbols("c_0:4", real=True)
integrand_rate = sp.Symbol("c_exp", positive=True)


def generic_integrand(r):
    """X(r) = c0 + c1 r + c2 r^2 + c3 r^3 + exp(c_exp r): generic smooth, integrable in closed form."""
    c0, c1, c2, c3 = integrand_coeffs
    return c0 + c1 * r + c2 * r**2 + c3 * r**3 + sp.exp(integrand_rate * r)


def uds_step_from_12(integrand=generic_integrand) -> sp.Expr:
    """Y_t from (12) divided by r_t, with r = rho ring-rho and the generic integrand (xi_s for xi*)."""
    rs, rt = rho_s * ring_rho_s, rho_t * ring_rho_t
    integral = sp.integrate(integrand(_r), (_r, rs, rt))
    return (rs * Y_s + integral + sp.sqrt(rho_t**2 - rho_s**2) * xi_s) / rt


def mean_over_uniform(integrand, q_lo, r_t):
    """E_{u ~ U(q_lo, 1)} X(u r_t) = (1/(1 - q_lo)) int_{q_lo}^1 X(u r_t) du."""
    return sp.integrate(integrand(_u * r_t), (_u, q_lo, 1)) / (1 - q_lo)


# --- (14), (15): quadrature rules and their truncation errors -----------------------------------

h = sp.Symbol("h", positive=True)


def left_rectangle(f, a, b):
    """Left rectangle rule on [a, b]."""
    return (b - a) * f(a)


def trapezoid(f, a, b):
    """Trapezoid rule on [a, b]."""
    return (b - a) * (f(a) + f(b)) / 2


def local_truncation_error(rule, order: int = 6):
    """Series in the step h of int_0^h f - rule(f, 0, h) for a generic smooth f (symbolic Taylor
    coefficients f_k = f^{(k)}(0)); returns (series, leading power of h)."""
    fk = sp.symbols(f"f_0:{order + 1}", real=True)
    x = sp.Symbol("x", real=True)
    f = sum(fk[k] * x**k / sp.factorial(k) for k in range(order + 1))
    exact = sp.integrate(f, (x, 0, h))
    err = sp.expand(exact - rule(sp.Lambda(x, f), 0, h))
    poly = sp.Poly(err, h)
    lead = min(m[0] for m in poly.monoms())
    return err, lead


def uds_composite_error(rule_name: str, n_steps: int, dps: int = 40):
    """Global error of the deterministic UDS recursion (14)/(15) with a time-only denoiser X(t) = cos(3t) + t^2
    on the ML-diffusion schedule of Logis (ring-rho = t/(1-t), rho = ring-rho, r = ring-rho^2) on [0.2, 0.8]:
    r_N Y_N = r_0 Y_0 + sum_i (r_{i+1} - r_i) APPROX_i versus the exact r_0 Y_0 + int X dr (mp.quad)."""
    import mpmath as mp

    with mp.workdps(dps):
        t0, t1 = mp.mpf("0.2"), mp.mpf("0.8")
        r = lambda tt: (tt / (1 - tt)) ** 2  # noqa: E731
        dr = lambda tt: 2 * tt / (1 - tt) ** 3  # noqa: E731
        Xf = lambda tt: mp.cos(3 * tt) + tt**2  # noqa: E731
        exact = mp.quad(lambda tt: Xf(tt) * dr(tt), [t0, t1])
        hstep = (t1 - t0) / n_steps
        total = mp.mpf(0)
        for i in range(n_steps):
            a, b = t0 + i * hstep, t0 + (i + 1) * hstep
            w = r(b) - r(a)
            total += w * (Xf(a) if rule_name == "euler" else (Xf(a) + Xf(b)) / 2)
        return abs(total - exact)


def fitted_order(rule_name: str, ladder=(16, 32, 64, 128, 256), dps: int = 40):
    """Least-squares slope of log(error) against log(1/N) on the step ladder (the global order)."""
    import mpmath as mp

    with mp.workdps(dps):
        return _ls_slope(ladder, [uds_composite_error(rule_name, n, dps) for n in ladder])


def _ls_slope(ladder, errors):
    """(least-squares slope of log error against log 1/N, errors as strings)."""
    import mpmath as mp

    xs = [mp.log(mp.mpf(1) / n) for n in ladder]
    ys = [mp.log(e) for e in errors]
    xm, ym = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((a - xm) * (b - ym) for a, b in zip(xs, ys)) / sum((a - xm) ** 2 for a in xs)
    return slope, [mp.nstr(e, 6) for e in errors]


#: 1-D data X ~ 0.5 N(-1, 0.3^2) + 0.5 N(1.2, 0.5^2): its posterior mean is a nonlinear function of the state.
MIXTURE_1D = ((0.5, -1.0, 0.09), (0.5, 1.2, 0.25))


def mixture_posterior_mean(y, ring_rho_value, mixture=MIXTURE_1D):
    """E[X | X + eps/ring-rho = y] for 1-D Gaussian-mixture data (mpmath), the exact denoiser X_hat(y)."""
    import mpmath as mp

    tau2 = 1 / ring_rho_value**2
    lik = [mp.mpf(w) * mp.exp(-(y - m) ** 2 / (2 * (v + tau2))) / mp.sqrt(v + tau2) for w, m, v in mixture]
    total = mp.fsum(lik)
    return mp.fsum(li * (m + v / (v + tau2) * (y - m)) for li, (w, m, v) in zip(lik, mixture)) / total


def state_dependent_flow_errors(steps: dict, ladder=(32, 64, 128, 256, 512), dps: int = 20, y0="0.7"):
    """Global errors of deterministic UDS steps with a *state-dependent* denoiser (so that Heun's predictor
    matters): the flow (beta = 0, r = ring-rho) on the Logis schedule over [0.2, 0.8], data MIXTURE_1D, start
    Y_0.2 = 0.7; reference: mpmath's Taylor ODE solver on dY/dt = (X_hat(Y, t) - Y) (log r)'.

    ``steps[name](q, y, den_s, den_t)`` returns Y_t for one step, where den_s(y) and den_t(y) evaluate the
    denoiser at the step's two ends.  Returns {name: (fitted order, [errors])}."""
    import mpmath as mp

    with mp.workdps(dps):
        t0, t1, y_start = mp.mpf("0.2"), mp.mpf("0.8"), mp.mpf(y0)
        rr = lambda tt: tt / (1 - tt)  # noqa: E731  (ring-rho of Logis; r = ring-rho for the flow)
        ode = mp.odefun(lambda tt, y: (mixture_posterior_mean(y, rr(tt)) - y) / (tt * (1 - tt)), t0, y_start)
        reference = ode(t1)
        out = {}
        for name, step in steps.items():
            errors = []
            for n in ladder:
                h, y = (t1 - t0) / n, y_start
                for i in range(n):
                    a, b = t0 + i * h, t0 + (i + 1) * h
                    y = step(rr(a) / rr(b), y, lambda v, a=a: mixture_posterior_mean(v, rr(a)),
                             lambda v, b=b: mixture_posterior_mean(v, rr(b)))
                errors.append(abs(y - reference))
            out[name] = _ls_slope(ladder, errors)
        return out


# --- Remark 2: DDPM and DDIM in forward time -------------------------------------------------------

n_fwd = sp.Symbol("n", real=True)


def ddpm_posterior(x=X_hat):
    """DDPM posterior q(z_t | z_s, x) in forward time (s noisier, t cleaner), by Gaussian conditioning.

    Joint given x: z_t = alpha_t x + sigma_t e, z_s = (alpha_s/alpha_t) z_t + sigma_{s|t} n with
    sigma_{s|t}^2 = sigma_s^2 - (alpha_s/alpha_t)^2 sigma_t^2 (forward noising from t to s; e, n independent
    N(0,1)).  Returns (mean, variance, sigma_{s|t}^2)."""
    a_ts = alpha_s / alpha_t
    var_ts = sigma_s**2 - a_ts**2 * sigma_t**2
    # coefficient vectors over (e, n): z_t - E z_t and z_s - E z_s
    zt_c = sp.Matrix([sigma_t, 0])
    zs_c = sp.Matrix([a_ts * sigma_t, sp.sqrt(var_ts)])
    cov_ts = (zt_c.T * zs_c)[0]
    var_s = sp.simplify((zs_c.T * zs_c)[0])
    mean = alpha_t * x + cov_ts / var_s * (Z_s - alpha_s * x)
    var = sigma_t**2 - cov_ts**2 / var_s
    return sp.simplify(mean), sp.simplify(var), var_ts


def ddpm_step_Y(x=X_hat, xi=xi_s) -> sp.Expr:
    """The DDPM step in Y-space: (posterior mean + posterior std xi)/alpha_t, with z_s = alpha_s Y_s and
    alpha = ring-rho sigma; the result holds for ring-rho_s < ring-rho_t (sigma_{s|t}^2 > 0)."""
    mean, var, _ = ddpm_posterior(x)
    std = sp.sqrt(var)
    y = ((mean + std * xi) / alpha_t).subs(Z_s, alpha_s * Y_s)
    y = y.subs({alpha_s: ring_rho_s * sigma_s, alpha_t: ring_rho_t * sigma_t})
    return sp.expand(y)


def ddim_step_Y(x=X_hat) -> sp.Expr:
    """The DDIM (eta = 0) step in Y-space: z_t = alpha_t x_hat + sigma_t eps_hat,
    eps_hat = (z_s - alpha_s x_hat)/sigma_s,
    divided by alpha_t with z_s = alpha_s Y_s and alpha = ring-rho sigma."""
    eps_hat = (Z_s - alpha_s * x) / sigma_s
    y = ((alpha_t * x + sigma_t * eps_hat) / alpha_t).subs(Z_s, alpha_s * Y_s)
    return sp.expand(y.subs({alpha_s: ring_rho_s * sigma_s, alpha_t: ring_rho_t * sigma_t}))


# --- simplification helper -------------------------------------------------------------------------


def kappa_simplify(expr: sp.Expr) -> sp.Expr:
    """Simplifier for step expressions: rho_s = kappa rho_t (only the ratio matters), every square root's
    argument factored (so sqrt(rho_t^2 (1 - kappa^2)) = rho_t sqrt(1 - kappa^2) for positive rho_t), then
    cancel/simplify.  Exact: rho_t > 0."""
    expr = sp.sympify(expr).subs(rho_s, kappa * rho_t)
    expr = expr.replace(lambda e: e.is_Pow and e.exp.is_Rational and e.exp.q == 2,
                        lambda e: sp.Pow(sp.factor(e.base), e.exp))
    expr = sp.cancel(sp.expand(expr))
    if expr != 0:
        expr = sp.simplify(expr)
    return expr
