"""Denoisers that are really trained (issue 19): a time-conditioned MLP trained with the paper's objective on a Gaussian
mixture under two weightings, then sampled by the flow, the MSE-diffusion and the ML-diffusion.

Everything the paper defines comes from derivations/ through lambdify:

* the parameterization: the registry's target u_t = a_t X + b_t eps (EDM2's F-pred on EDM2's Normal schedule), with
  u = A_t Y + S_t eps, A = a, S = b - a/ring-rho (:func:`derivations.section2_denoiser.scale_from_target`); the network
  predicts u_hat from alpha_t Y and (3) gives eps_hat = (u_hat - A Y)/S, X_hat = Y - eps_hat/ring-rho;
* the weightings: the unweighted MSE (2), ||u_hat - u||^2 = S^2 ||eps_hat - eps||^2 with t ~ U(t0, t_max), and the ML
  weight: the weight of (23), (lambda' + ring-lambda')^2/(4 lambda') (:func:`derivations.section4_kl.limit_weight`) at
  the ML-diffusion's rate lambda' = ring-lambda' (the registry's "ML" rate);
* the continuous loss (23) of each process: the same limit weight at the process's rate (ML: the registry's rate;
  MSE: check-lambda' of Proposition 3 with M of (29), :func:`derivations.section5_coherence.mse_diffusion_rate`; the
  flow, lambda' = 0, has no finite (23)).

The ML objective is sampled by importance sampling in the log-SNR (ring-lambda uniform on the interval, weight
(23)/ring-lambda'), the MSE objective with t uniform, both from the same uniform draws, data and noise per seed (same
architecture, optimiser, steps and batch).  Losses (23) are integrated by Gauss-Legendre in ring-lambda with fixed
(X, eps) per node, the same for every denoiser (paired comparisons).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import sympy as sp
import torch

from derivations import numeric
from derivations import section4_kl as d4
from derivations import section5_coherence as d5
from derivations.section2_denoiser import scale_from_target

from .schedule_grid import times_for_ring_lam

#: The two weightings of the training objective.
WEIGHTINGS = ("MSE", "ML")
#: The three processes (the Table 1 setup's rate names).
PROCESSES = ("Flow", "MSE", "ML")
SAMPLERS = ("heun", "euler")


class TrainedError(ValueError):
    """A bad setting of the trained-denoiser experiment (one-line message)."""


@dataclass(frozen=True)
class Settings:
    dims: tuple = (2, 8)
    K: int = 8
    seeds: tuple = (0, 1, 2)
    width: int = 64
    depth: int = 2
    steps: int = 800
    batch: int = 256
    lr: float = 3e-3
    n_samples: int = 2000
    nfe: tuple = (15, 63)
    floor_replicates: int = 10
    eval_nodes: int = 24
    eval_per_node: int = 256

    def __post_init__(self):
        if self.steps < 0 or self.batch < 1 or self.width < 1 or self.depth < 1:
            raise TrainedError(f"bad training settings: steps {self.steps}, batch {self.batch}, width {self.width}, "
                               f"depth {self.depth}")
        if len(self.seeds) < 2:
            raise TrainedError(f"a paired comparison needs at least 2 training seeds, got {len(self.seeds)}")
        for n in self.nfe:
            if n < 3 or n % 2 == 0:
                raise TrainedError(f"NFE must be odd and >= 3 (Heun with a final Euler step), got {n}")

    def record(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


DEFAULT = Settings()
#: ``--full``: d = 64 besides, five seeds, a wider and deeper network trained longer, more samples, a higher high NFE.
FULL = Settings(dims=(2, 8, 64), seeds=(0, 1, 2, 3, 4), width=128, depth=3, steps=3000, batch=512, lr=2e-3,
                n_samples=4000, nfe=(15, 127), floor_replicates=20, eval_nodes=32, eval_per_node=512)


# ------------------------------------------------------------------------------------------------
# The paper's quantities, lambdified from derivations/
# ------------------------------------------------------------------------------------------------


class Quantities:
    """Torch functions of t for one (schedule, parameterization, interval): alpha, ring-rho, ring-lambda, A, S, the
    weight of (2) on ||eps_hat - eps||^2 (S^2), and the weight of (23) of the ML- and MSE-diffusions."""

    def __init__(self, schedule, param, interval, rates: dict):
        self.schedule, self.param, self.interval = schedule, param, interval
        target = param.target(schedule)
        S = scale_from_target(schedule, target)
        self.exprs = {"alpha": schedule.alpha, "ring_rho": schedule.ring_rho, "ring_lam": schedule.ring_lam,
                      "A": target.data_coefficient, "S": S, "sigma": schedule.sigma,
                      "w MSE (2)": S**2 * target.weight}
        rl = schedule.ring_lam_rate
        ml_rate = rates["ML"].lam_rate(schedule, param, interval)
        mse_rate = d5.mse_diffusion_rate(schedule, param, interval)
        self.exprs["w (23) ML"] = d4.limit_weight(ml_rate, rl)
        self.exprs["w (23) MSE"] = d4.limit_weight(mse_rate, rl)
        #: (23)'s weights per unit of ring-lambda (importance sampling / quadrature in the log-SNR)
        self.exprs["w (23) ML / ring-lambda'"] = sp.simplify(self.exprs["w (23) ML"] / rl)
        self.exprs["w (23) MSE / ring-lambda'"] = self.exprs["w (23) MSE"] / rl
        self.exprs["w MSE (2) / ring-lambda'"] = self.exprs["w MSE (2)"] / rl
        self.fn = {k: numeric(sp.sympify(v), "torch") for k, v in self.exprs.items()}

    def __call__(self, key: str, times: torch.Tensor) -> torch.Tensor:
        out = self.fn[key](times)
        return torch.as_tensor(out, dtype=torch.float64) * torch.ones_like(times)

    def lam_range(self) -> tuple[float, float]:
        f = numeric(self.schedule.ring_lam, "numpy")
        return float(f(self.interval.t0)), float(f(self.interval.t_max))


# ------------------------------------------------------------------------------------------------
# The network
# ------------------------------------------------------------------------------------------------


class TimeMLP(torch.nn.Module):
    """u_hat(alpha Y, t): an MLP on (c_in alpha Y, Fourier features of ring-lambda/4), SiLU, ``depth`` hidden layers
    of ``width``; c_in = 1/sqrt(alpha^2 v + sigma^2) with v the data's mean coordinate variance (input normalisation)."""

    N_FREQ = 8

    def __init__(self, d: int, width: int, depth: int):
        super().__init__()
        self.register_buffer("freqs", torch.arange(1, self.N_FREQ + 1, dtype=torch.float64) * 0.5)
        layers, n_in = [], d + 2 * self.N_FREQ + 1
        for _ in range(depth):
            layers += [torch.nn.Linear(n_in, width, dtype=torch.float64), torch.nn.SiLU()]
            n_in = width
        layers.append(torch.nn.Linear(n_in, d, dtype=torch.float64))
        self.net = torch.nn.Sequential(*layers)

    def forward(self, z_scaled: torch.Tensor, ring_lam: torch.Tensor) -> torch.Tensor:
        s = (ring_lam / 4).reshape(-1, 1)
        emb = torch.cat([s, torch.sin(s * self.freqs), torch.cos(s * self.freqs)], 1)
        if emb.shape[0] != z_scaled.shape[0]:
            emb = emb.expand(z_scaled.shape[0], -1)
        return self.net(torch.cat([z_scaled, emb], 1))


def n_parameters(d: int, width: int, depth: int) -> int:
    return sum(p.numel() for p in TimeMLP(d, width, depth).parameters())


class NetDenoiser:
    """The trained network as the paper's estimators (3): eps_hat = (u_hat - A Y)/S and X_hat = Y - eps_hat/ring-rho;
    ``den(y, ring_lam)`` is the sampler's interface (X_hat), ``eps(y, t)`` gives eps_hat at times t."""

    def __init__(self, net: TimeMLP, q: Quantities, data_var: float):
        self.net, self.q, self.v = net, q, data_var
        self.calls = 0

    COEFFICIENTS = ("alpha", "sigma", "A", "S", "ring_lam", "ring_rho")

    def coefficients(self, times: torch.Tensor) -> dict:
        """The schedule's and parameterization's values at ``times`` (a column), computed once per batch of times."""
        times = times.reshape(-1, 1)
        return {k: self.q(k, times) for k in self.COEFFICIENTS}

    def eps(self, y: torch.Tensor, times: torch.Tensor | None = None, c: dict | None = None) -> torch.Tensor:
        c = self.coefficients(times) if c is None else c
        c_in = 1 / torch.sqrt(c["alpha"] ** 2 * self.v + c["sigma"] ** 2)
        u_hat = self.net(c_in * c["alpha"] * y, c["ring_lam"])
        return (u_hat - c["A"] * y) / c["S"]

    def __call__(self, y: torch.Tensor, ring_lam) -> torch.Tensor:
        self.calls += 1
        t = _time_of(self.q, float(ring_lam))
        with torch.no_grad():
            c = self.coefficients(torch.full((1,), t, dtype=torch.float64))
            e = self.eps(y.to(torch.float64), c=c)
            return (y - e / c["ring_rho"]).to(y.dtype)


_TIME_CACHE: dict = {}


def _time_of(q: Quantities, ring_lam: float) -> float:
    key = (q.schedule.name, ring_lam)
    if key not in _TIME_CACHE:
        _TIME_CACHE[key] = float(times_for_ring_lam(q.schedule, np.array([ring_lam]))[0])
    return _TIME_CACHE[key]


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------


def training_times(q: Quantities, weighting: str, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(times, weight on ||eps_hat - eps||^2) for uniform draws ``u``: MSE (2): t = t0 + u (t_max - t0), weight S^2
    (the loss is then ||u_hat - u||^2, t ~ U); ML: ring-lambda = L0 + u (L1 - L0), t its time, weight
    (L1 - L0) w23_ML/ring-lambda' (importance sampling of int w23_ML E||.||^2 dt)."""
    if weighting == "MSE":
        t = q.interval.t0 + u * (q.interval.t_max - q.interval.t0)
        return t, q("w MSE (2)", t)
    if weighting == "ML":
        l0, l1 = q.lam_range()
        t = torch.as_tensor(times_for_ring_lam(q.schedule, (l0 + u * (l1 - l0)).numpy()), dtype=torch.float64)
        return t, (l1 - l0) * q("w (23) ML / ring-lambda'", t)
    raise TrainedError(f"unknown weighting {weighting!r}; choose one of {', '.join(WEIGHTINGS)}")


def train(mix, q: Quantities, weighting: str, seed: int, s: Settings, *, data_var: float) -> tuple[NetDenoiser, dict]:
    """Train a TimeMLP with Adam for ``s.steps`` steps (cosine learning rate), fresh mixture samples each step; the
    seed fixes the initialisation and every draw (data, noise, times), identical across weightings.  Returns the
    denoiser and its record (training curve: the mean loss per 5% of the steps, and the seed)."""
    torch.manual_seed(seed)
    d = mix.d
    net = TimeMLP(d, s.width, s.depth)
    g = torch.Generator().manual_seed(10_000 + seed)
    opt = torch.optim.Adam(net.parameters(), lr=s.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(s.steps, 1))
    den = NetDenoiser(net, q, data_var)
    u_all = torch.rand(s.steps * s.batch, generator=g, dtype=torch.float64)
    t_all, w_all = training_times(q, weighting, u_all) if s.steps else (u_all, u_all)
    c_all = den.coefficients(t_all) if s.steps else {}
    losses = []
    t0 = time.perf_counter()
    for k in range(s.steps):
        sl = slice(k * s.batch, (k + 1) * s.batch)
        x = mix.sample(s.batch, g)
        eps = torch.randn(s.batch, d, generator=g, dtype=torch.float64)
        c = {k: v[sl] for k, v in c_all.items()}
        w = w_all[sl].reshape(-1, 1)
        y = x + eps / c["ring_rho"]
        e_hat = den.eps(y, c=c)
        loss = (w * ((e_hat - eps) ** 2).sum(1, keepdim=True)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    curve = [float(np.mean(c)) for c in np.array_split(np.asarray(losses), min(20, len(losses)))] if losses else []
    tail = losses[-max(1, s.steps // 10):] if losses else [float("nan")]
    return den, {"seed": seed, "weighting": weighting, "steps": s.steps, "training curve (mean loss per 5% of steps)":
                 curve, "final training loss (mean of the last 10% of steps)": float(np.mean(tail)),
                 "seconds": time.perf_counter() - t0}


# ------------------------------------------------------------------------------------------------
# Evaluation: loss (23) per process and the denoiser's error against the exact posterior
# ------------------------------------------------------------------------------------------------


class EvalPoints:
    """Gauss-Legendre nodes in ring-lambda on the interval with fixed (X, eps) per node (the same for every denoiser):
    the exact eps* there, and the quadrature weights of (2) and of (23) per process."""

    def __init__(self, mix, q: Quantities, n_nodes: int, per_node: int, seed: int = 77):
        l0, l1 = q.lam_range()
        x, w = np.polynomial.legendre.leggauss(n_nodes)
        self.lam = (l0 + l1) / 2 + (l1 - l0) / 2 * x
        self.gl = torch.as_tensor(w * (l1 - l0) / 2, dtype=torch.float64)
        self.t = torch.as_tensor(times_for_ring_lam(q.schedule, self.lam), dtype=torch.float64)
        g = torch.Generator().manual_seed(seed)
        self.x = mix.sample(n_nodes * per_node, g).reshape(n_nodes, per_node, -1)
        self.eps = torch.randn(self.x.shape, generator=g, dtype=torch.float64)
        rr = q("ring_rho", self.t).reshape(-1, 1, 1)
        self.y = self.x + self.eps / rr
        self.eps_star = torch.stack([rr[i, 0, 0] * (self.y[i] - mix.denoise(self.y[i], torch.as_tensor(
            float(self.lam[i]), dtype=torch.float64))) for i in range(n_nodes)])
        span = q.interval.t_max - q.interval.t0
        self.per_lam = {"MSE (2), mean over t": q("w MSE (2) / ring-lambda'", self.t) / span,
                        "(23) ML-diffusion": q("w (23) ML / ring-lambda'", self.t),
                        "(23) MSE-diffusion": q("w (23) MSE / ring-lambda'", self.t)}

    def errors(self, den) -> dict:
        """Per node: E||eps_hat - eps||^2 and E||eps_hat - eps*||^2 (den None: the exact denoiser)."""
        full, excess = [], []
        for i in range(len(self.lam)):
            if den is None:
                e = self.eps_star[i]
            else:
                with torch.no_grad():
                    e = den.eps(self.y[i], self.t[i:i + 1])
            full.append(float(((e - self.eps[i]) ** 2).sum(1).mean()))
            excess.append(float(((e - self.eps_star[i]) ** 2).sum(1).mean()))
        return {"full": torch.tensor(full, dtype=torch.float64), "excess": torch.tensor(excess, dtype=torch.float64)}

    def losses(self, den) -> dict:
        err = self.errors(den)
        out = {}
        for name, w in self.per_lam.items():
            out[name] = float((self.gl * w * err["full"]).sum())
            out[name + ", excess over the exact denoiser"] = float((self.gl * w * err["excess"]).sum())
        out["denoiser error E||eps_hat - eps*||^2 per node"] = [float(v) for v in err["excess"]]
        return out


# ------------------------------------------------------------------------------------------------
# The experiment
# ------------------------------------------------------------------------------------------------


def run(s: Settings, *, fd, sw=None, log=None, mixture_seed: int = 11) -> dict:
    """Train per (d, weighting, seed), sample every (process, sampler, NFE) from the same starts with each trained
    denoiser and the exact one, and measure FD (``fd(samples, mean, cov)``), SW (``sw(reference)`` gives the function
    samples -> SW_2 to the exact reference set of 4 n points) and the
    losses.  Returns plain data (JSON-ready)."""
    from . import section6 as n6

    setup = n6.Table1Setup()
    q = Quantities(setup.schedule, setup.param, setup.interval, setup.rates)
    sig_max = float(n6.s6.EDM2.value("sigma_max"))
    out: dict = {"settings": s.record(), "per d": {}, "M (29)": setup.M,
                 "interval": [setup.interval.t0, setup.interval.t_max], "ring-lambda range": list(q.lam_range()),
                 "schedule": setup.schedule.name, "parameterization": setup.param.name,
                 "weights (from derivations/)": {k: str(v) for k, v in q.exprs.items() if "/" not in k}}
    for d in s.dims:
        t_d = time.perf_counter()
        mix, sep = n6.table1_mixture(d, s.K, seed=mixture_seed)
        mix = mix.to(dtype=torch.float64)
        mu, C = mix.mean(), mix.covariance()
        data_var = float(torch.diag(C).mean())
        pts = EvalPoints(mix, q, s.eval_nodes, s.eval_per_node)
        sw_of = sw(mix.sample(4 * s.n_samples, torch.Generator().manual_seed(98))) if sw is not None else None
        rec: dict = {"mixture": sep, "network": f"TimeMLP, {s.depth} hidden layers of {s.width} (SiLU), "
                     f"{n_parameters(d, s.width, s.depth)} parameters, float64; Adam lr {s.lr}, cosine decay, "
                     f"{s.steps} steps of batch {s.batch}", "eval ring-lambda nodes": [float(v) for v in pts.lam],
                     "training": {}, "losses": {}, "fd": {}, "sw": {}}
        rec["losses"]["exact"] = pts.losses(None)
        dens = {}
        for w in WEIGHTINGS:
            for seed in s.seeds:
                if log:
                    log(f"d = {d}: training with the {w} weighting, seed {seed}")
                den, tr = train(mix, q, w, seed, s, data_var=data_var)
                dens[(w, seed)] = den
                rec["training"][f"{w} seed {seed}"] = tr
                rec["losses"][f"{w} seed {seed}"] = pts.losses(den)
        exact = n6.edm2_denoiser(mix)
        for seed in s.seeds:
            if log:
                log(f"d = {d}: sampling from the starts of seed {seed}")
            y0 = sig_max * torch.randn(s.n_samples, d, generator=torch.Generator().manual_seed(1000 + seed),
                                       dtype=torch.float64)
            for proc in PROCESSES:
                for smp in SAMPLERS:
                    for nfe in s.nfe:
                        grid = setup.grid(proc, "edm2", n6.positive_nodes(smp, nfe))
                        for who in ("exact", *WEIGHTINGS):
                            den = exact if who == "exact" else dens[(who, seed)]
                            gen = torch.Generator().manual_seed(2000 + seed)
                            y, _ = n6.uds_with_final_step(den, grid, y0, smp, gen)
                            ok = bool(torch.isfinite(y).all())
                            key = f"{who} | {proc} | {smp} | {nfe}"
                            rec["fd"].setdefault(key, []).append(fd(y, mu, C) if ok else float("nan"))
                            if sw is not None:
                                rec["sw"].setdefault(key, []).append(sw_of(y) if ok else float("nan"))
        g = torch.Generator().manual_seed(99)
        floors = [mix.sample(s.n_samples, g) for _ in range(s.floor_replicates)]
        rec["floor fd"] = [fd(x, mu, C) for x in floors]
        if sw is not None:
            rec["floor sw"] = [sw_of(x) for x in floors]
        rec["seconds"] = time.perf_counter() - t_d
        out["per d"][str(d)] = rec
    return out


# ------------------------------------------------------------------------------------------------
# The statements
# ------------------------------------------------------------------------------------------------

#: Statement -> wanted comparison (a - b): "equivalent", "worse" or "better".
STATEMENTS = {
    "S1 MSE-trained: MSE-diffusion ~ Flow": "equivalent",
    "S2 MSE-trained: ML-diffusion worse than MSE-diffusion": "worse",
    "S3 ML-weighted: the ML-minus-MSE gap narrows or reverses": "better",
    "S4 each weighting's denoiser is lower on its own objective": "better",
}


def judge(res: dict, wanted: dict, metric: str = "fd") -> dict:
    """Each statement's cells as paired comparisons over the training seeds (:func:`numerics.section6.compare_pair`,
    :func:`~numerics.section6.as_printed`, :func:`~numerics.section6.decide`).  S1-S3 compare ``metric`` (FD or SW)
    per d x sampler x NFE with the margin 2 sd_floor/sqrt(seeds); S4 compares the excess loss over the exact
    denoiser of each objective (MSE (2) and (23) of the ML-diffusion), own weighting vs the other, per d, margin 0.
    Also reported: the same S1-S2 cells with the exact denoiser (discretization only)."""
    from . import section6 as n6

    statements = {st: {"wanted": wanted[st], "cells": {}} for st in STATEMENTS}
    control: dict = {}
    for dkey, rec in res["per d"].items():
        vals = rec[metric]
        floor = np.asarray(rec[f"floor {metric}"], dtype=float)
        n = len(next(iter(vals.values())))
        margin = 2 * float(floor.std(ddof=1)) / math.sqrt(n)
        nfes = sorted({int(k.split(" | ")[3]) for k in vals})

        def v(who, proc, smp, nfe):
            return np.asarray(vals[f"{who} | {proc} | {smp} | {nfe}"], dtype=float)

        for smp in SAMPLERS:
            for nfe in nfes:
                where = f"d={dkey}, {'HeunUDS' if smp == 'heun' else 'EulerUDS'} @ {nfe}"
                pairs = {"S1 MSE-trained: MSE-diffusion ~ Flow": (v("MSE", "MSE", smp, nfe), v("MSE", "Flow", smp, nfe)),
                         "S2 MSE-trained: ML-diffusion worse than MSE-diffusion":
                             (v("MSE", "ML", smp, nfe), v("MSE", "MSE", smp, nfe)),
                         "S3 ML-weighted: the ML-minus-MSE gap narrows or reverses":
                             (v("ML", "ML", smp, nfe) - v("ML", "MSE", smp, nfe),
                              v("MSE", "ML", smp, nfe) - v("MSE", "MSE", smp, nfe))}
                for st, (a, b) in pairs.items():
                    cmp = n6.compare_pair(a, b, margin)
                    cmp["outcome"] = n6.as_printed(cmp, wanted[st])
                    statements[st]["cells"][where] = cmp
                for st, (p1, p2) in (("S1 exact: MSE-diffusion ~ Flow", ("MSE", "Flow")),
                                     ("S2 exact: ML-diffusion worse than MSE-diffusion", ("ML", "MSE"))):
                    cmp = n6.compare_pair(v("exact", p1, smp, nfe), v("exact", p2, smp, nfe), margin)
                    control[f"{st}: {where}"] = cmp
        seeds = res["settings"]["seeds"]
        L = rec["losses"]
        st = "S4 each weighting's denoiser is lower on its own objective"
        for own, other, obj in (("MSE", "ML", "MSE (2), mean over t"), ("ML", "MSE", "(23) ML-diffusion")):
            key = obj + ", excess over the exact denoiser"
            a = [L[f"{own} seed {s}"][key] for s in seeds]
            b = [L[f"{other} seed {s}"][key] for s in seeds]
            cmp = n6.compare_pair(a, b, 0.0)
            cmp["outcome"] = n6.as_printed(cmp, wanted[st])
            statements[st]["cells"][f"d={dkey}, {obj}: {own}-weighted vs {other}-weighted"] = cmp
    for v in statements.values():
        v["decision"] = n6.decide(c["outcome"] for c in v["cells"].values())
        for c in v["cells"].values():
            if c["outcome"] in n6.UNRESOLVED_OUTCOMES:
                c["precision needed"] = n6.precision_needed(c, len(res["settings"]["seeds"]))
    return {"statements": statements, "decision": {k: v["decision"] for k, v in statements.items()},
            "exact-denoiser control (discretization only)": control}
