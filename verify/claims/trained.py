r"""``mechanism-trained`` (issue 19): the paper's thesis measured with denoisers that are really trained.

The paper's conclusion (Introduction, line 048; Section 6, Conclusion) credits the success of flows to training:
SOTA training with the unweighted MSE (2) is KL minimization for the MSE-diffusion (whose (23) weight is M S_t^2), and
the MSE-diffusion is nearly a flow, so the flow (and the MSE-diffusion) beat the ML-diffusion, whose KL (23) weighs the
denoiser's error by ring-lambda' -- a weighting the MSE-trained denoiser was not trained for.  ``table1-analog`` uses
the exact mixture denoiser, so only discretization error shows there; here a small network is trained under each
weighting (:mod:`numerics.trained`) and the three processes are sampled with it.

Statements (each a paired comparison over the training seeds, per d x sampler x NFE; the wanted direction is the
printed form's value: 0 ~, +1 worse, -1 better):

* S1 with the MSE-trained denoiser, FD(MSE-diffusion) ~ FD(Flow) (within 2 sd_floor/sqrt(seeds));
* S2 with the MSE-trained denoiser, FD(ML-diffusion) > FD(MSE-diffusion);
* S3 (the paper's logic predicts it, the paper does not test it) the gap FD(ML) - FD(MSE) is smaller with the
  ML-weighted denoiser than with the MSE-trained one;
* S4 (training worked) each weighting's denoiser has the lower excess of its own objective (MSE (2); (23) of the
  ML-diffusion) over the exact denoiser's, on the same evaluation points.

By (24) the ML weight is pointwise the smallest (23) weight, so comparing (23) across processes for one denoiser says
nothing about the thesis; the comparisons are across trainings.  The verdict rests on FD (the declared reading); SW is
reported as a sensitivity, not used.  Settings: :data:`numerics.trained.DEFAULT` (d = 2, 8), or
:data:`numerics.trained.FULL` (d = 2, 8, 64) in the full tier (``--full``); the quick tier skips it (:data:`TIERS`).
"""

from __future__ import annotations

import time
from pathlib import Path

import sympy as sp

from ..ledger import SENSITIVITY, VERDICT_BASIS, Claim, Outcome, Verdict, register, step
from ..report import register_renderer

CLAIM_ID = "mechanism-trained"
#: printed key -> the paper-text entries it rests on
SOURCES = ("s1.thesis", "s6.conclusion")
WANTED_CODE = {0: "equivalent", 1: "worse", -1: "better"}
DECLARED_READING = {"metric": "FD to the exact moments (S1-S3); the excess of each objective over the exact "
                              "denoiser's (S4)",
                    "cells": "every d x {HeunUDS, EulerUDS} x {low, high NFE}, paired over the training seeds",
                    "margin": "2 sd_floor/sqrt(seeds) for ~ (S1); directional cells need the paired 95% interval"}


#: What the ledger's tiers change (verify.tiers): the quick tier does not train (three networks per weighting take
#: about a minute at the smallest size whose statements decide); default d = 2, 8; full d = 2, 8, 64.
TIERS = {"quick": {"run": False, "why": "it trains 2 x 3 networks (about a minute on 2 cores at its smallest "
                                        "deciding size)"},
         "default": {"size": "default"}, "full": {"size": "full"}}


def tier() -> str:
    """'default' or 'full': the size this run trains at (the ledger's tier; the quick tier skips the claim)."""
    from ..tiers import settings as tier_settings

    return tier_settings(TIERS).get("size", "default")


def settings():
    from numerics import trained as tr

    return tr.FULL if tier() == "full" else tr.DEFAULT


def _printed() -> dict:
    """The statements (hand transcriptions of the thesis, lines 047-049 and the Conclusion), each the sign of the
    comparison it makes: 0 for ~, +1 for worse, -1 for better (lower)."""
    from numerics import trained as tr

    code = {v: k for k, v in WANTED_CODE.items()}
    return {st: sp.Integer(code[w]) for st, w in tr.STATEMENTS.items()}


def _sw(ref):
    """samples -> SW_2 to the exact reference set ``ref`` (4 n points) at the sample's quantile levels
    (uds_torch.SlicedReference: 64 fixed directions)."""
    from .uds_torch import SlicedReference

    return SlicedReference(ref).distance


def run_experiment(s=None) -> dict:
    from numerics import trained as tr
    from .uds_torch import fd_to_moments, single_thread

    s = s or settings()
    with single_thread():
        return tr.run(s, fd=fd_to_moments, sw=_sw, log=step)


def _check(forms, *, runner=None) -> Outcome:
    from numerics import trained as tr

    wanted = {}
    for st in tr.STATEMENTS:
        val = int(forms[st])
        if val not in WANTED_CODE:
            raise ValueError(f"statement {st!r}: the printed sign must be -1, 0 or 1, got {val}")
        wanted[st] = WANTED_CODE[val]
    t0 = time.perf_counter()
    res = runner() if runner is not None else run_experiment()
    seconds = time.perf_counter() - t0
    judged = tr.judge(res, wanted, "fd")
    sens = tr.judge(res, wanted, "sw") if all(r.get("sw") for r in res["per d"].values()) else None
    decision = judged["decision"]
    groups = {k: [st for st, v in decision.items() if v == k] for k in ("reproduced", "contradicted", "unresolved")}
    verdict = (Verdict.FAILED if groups["contradicted"] else Verdict.INCONCLUSIVE if groups["unresolved"]
               else Verdict.CONFIRMED)
    ev = {"tier": tier(), "seconds (training, sampling, losses)": seconds,
          "torch threads": 1, "seeds (training; starts 1000+seed, sampler noise 2000+seed, data 10000+seed)":
              res["settings"]["seeds"],
          "judgement": judged, "decision": decision, "runs": res,
          "summary": summary(res),
          "training contribution to S2's gap (trained minus exact, mean over seeds)": training_contribution(res),
          VERDICT_BASIS: {"reading": dict(DECLARED_READING), "holds": verdict is Verdict.CONFIRMED},
          "criterion": "per cell a paired comparison over the training seeds (numerics.section6.compare_pair): "
                       "~ (S1) when the 95% interval lies within +-2 sd_floor/sqrt(seeds); worse/better when the "
                       "interval excludes 0 with that sign. A statement is reproduced when every cell is as stated, "
                       "contradicted when a cell resolves the opposite (or differs beyond the margin where ~ is "
                       "stated), unresolved otherwise; the claim is confirmed when all four are reproduced, failed "
                       "when one is contradicted, inconclusive otherwise"}
    if sens is not None:
        ev[SENSITIVITY] = {"the same statements on sliced W2 (SW) with its own floor": sens["decision"]}
    needed = {f"{st}: {cell}": c["precision needed"] for st, v in judged["statements"].items()
              for cell, c in v["cells"].items() if "precision needed" in c}
    if needed:
        ev["precision that would decide"] = needed

    def which(st):
        cells = judged["statements"][st]["cells"]
        bad = [f"{k} {c['outcome']}" for k, c in cells.items() if c["outcome"] != "as printed"]
        return f"{st} ({'; '.join(bad)})" if bad else st
    note = ("reproduced: " + (", ".join(groups["reproduced"]) or "none") + "; contradicted: "
            + ("; ".join(which(s) for s in groups["contradicted"]) or "none") + "; unresolved at this precision: "
            + ("; ".join(which(s) for s in groups["unresolved"]) or "none")
            + f". {len(res['settings']['seeds'])} training seeds, d = {', '.join(res['per d'])}, "
              f"tier {tier()}, {seconds:.0f} s.")
    return Outcome(verdict, "torch", printed=dict(forms), evidence=ev, notes=note)


def summary(res: dict) -> dict:
    """Per d: FD mean +- sd per (denoiser, process, sampler, NFE), the losses per denoiser (mean over seeds), the
    final training losses and the floor."""
    import numpy as np

    out = {}
    for dkey, rec in res["per d"].items():
        fd = {k: f"{np.mean(v):.3e} +- {np.std(v, ddof=1):.1e}" for k, v in rec["fd"].items()}
        losses = {}
        for who in ("exact", "MSE", "ML"):
            keys = [k for k in rec["losses"] if k == who or k.startswith(f"{who} seed")]
            losses[who] = {name: float(np.mean([rec["losses"][k][name] for k in keys]))
                           for name in rec["losses"][keys[0]] if not isinstance(rec["losses"][keys[0]][name], list)}
        train = {k: v["final training loss (mean of the last 10% of steps)"] for k, v in rec["training"].items()}
        out[f"d={dkey}"] = {"network": rec["network"], "FD (mean +- sd over seeds)": fd,
                            "floor FD (mean, sd)": [float(np.mean(rec["floor fd"])), float(np.std(rec["floor fd"], ddof=1))],
                            "losses (mean over seeds)": losses, "final training loss": train,
                            "(23) of the flow": "infinite: lambda' = 0 (no finite KL for a deterministic flow)",
                            "seconds": rec["seconds"]}
    return out


def training_contribution(res: dict) -> dict:
    """gap(trained) - gap(exact), gap = FD(ML-diffusion) - FD(MSE-diffusion), per d x sampler x NFE and weighting: the
    part of S2's gap that the trained denoiser adds beyond the discretization."""
    import numpy as np

    out = {}
    for dkey, rec in res["per d"].items():
        for key in rec["fd"]:
            who, proc, smp, nfe = key.split(" | ")
            if who == "exact" or proc != "ML":
                continue
            gap = np.asarray(rec["fd"][key]) - np.asarray(rec["fd"][f"{who} | MSE | {smp} | {nfe}"])
            ex = np.asarray(rec["fd"][f"exact | ML | {smp} | {nfe}"]) - np.asarray(rec["fd"][f"exact | MSE | {smp} | {nfe}"])
            out[f"d={dkey}, {who}-weighted, {smp} @ {nfe}"] = float(np.mean(gap - ex))
    return out


register(Claim(CLAIM_ID, "6", title="The thesis with denoisers that are really trained: MSE- vs ML-weighted training, "
                                    "sampled by Flow, MSE- and ML-diffusion (Gaussian mixture, EDM2's setting)",
               equations=(2, 14, 15, 23), method="torch", printed=_printed, custom=_check, empirical=True,
               declared_reading=DECLARED_READING, sources={k: SOURCES for k in _printed()},
               timeout=3600.0 if tier() == "full" else 600.0, tiers=TIERS))


# ------------------------------------------------------------------------------------------------
# Renderer (Markdown and the figure, from the JSON evidence alone)
# ------------------------------------------------------------------------------------------------


def _render(record, folder: Path):
    from numerics.figures import mechanism_figure

    ev = record.evidence if isinstance(record.evidence, dict) else {}
    j = ev.get("judgement")
    if not j:
        return [f"**{record.verdict}**: {record.notes}"], {}
    runs = ev["runs"]
    lines = [f"**{record.verdict}**: {record.notes}", "",
             f"EDM2's schedule ({runs['schedule']}) and parameterization ({runs['parameterization']}), M (29) = "
             f"{runs['M (29)']:.4g}; tier {ev['tier']}; seeds {ev['seeds (training; starts 1000+seed, sampler noise 2000+seed, data 10000+seed)']}.", ""]
    for dkey, s in ev["summary"].items():
        lines += [f"*{dkey}*: {s['network']}; floor FD {s['floor FD (mean, sd)'][0]:.2e} +- "
                  f"{s['floor FD (mean, sd)'][1]:.1e}; {s['seconds']:.1f} s.", "",
                  "| denoiser | MSE (2), mean over t | (23) ML-diffusion | (23) MSE-diffusion | excess MSE (2) | "
                  "excess (23) ML | final training loss (per seed) |", "|---|---|---|---|---|---|---|"]
        for who, L in s["losses (mean over seeds)"].items():
            tl = ", ".join(f"{v:.4g}" for k, v in s["final training loss"].items() if k.startswith(f"{who} "))
            lines.append(f"| {who} | {L['MSE (2), mean over t']:.4g} | {L['(23) ML-diffusion']:.4g} | "
                         f"{L['(23) MSE-diffusion']:.4g} | {L['MSE (2), mean over t, excess over the exact denoiser']:.3g} | "
                         f"{L['(23) ML-diffusion, excess over the exact denoiser']:.3g} | {tl or '-'} |")
        lines.append("")
    lines += ["| statement | cell | a - b (mean +- 95%) | outcome |", "|---|---|---|---|"]
    for st, v in j["statements"].items():
        for cell, c in v["cells"].items():
            lines.append(f"| {st} (**{v['decision']}**) | {cell} | {c['mean_diff']:+.2e} +- {c.get('ci95_half', 0):.1e} "
                         f"| {c['outcome']} |")
    lines += ["", "Control, the exact denoiser (discretization only):", "", "| comparison | a - b (mean +- 95%) | verdict |",
              "|---|---|---|"]
    for k, c in j["exact-denoiser control (discretization only)"].items():
        lines.append(f"| {k} | {c['mean_diff']:+.2e} +- {c.get('ci95_half', 0):.1e} | {c['verdict']} |")
    folder.mkdir(parents=True, exist_ok=True)
    figs = {"FD per process and weighting, loss (23) per process and weighting, and the denoiser's error against the "
            "exact posterior": mechanism_figure(ev, folder / "mechanism-trained.png")}
    return lines + [""], figs


register_renderer(CLAIM_ID, _render)
