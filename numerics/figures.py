"""The report's figures, drawn from JSON evidence alone (matplotlib, Agg backend; PNG and SVG): Section 6's Figure 1
(``fig1-sizes``) and the UDS-vs-peers distances (``uds-vs-peers``); and :func:`figure_problems`, the rules every
figure of the ledger keeps (labelled axes, a legend where there is more than one series, a title in words, no empty
panel), which the tests apply to every figure the report and the notebooks draw."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Mapping

#: One colour per model, the same in every panel.
COLOURS = {"EDM2": "#d62728", "DiT": "#7f7f7f", "SiT": "#9467bd", "RAE": "#1f77b4", "LightningDiT": "#2ca02c",
           "SiD2": "#ff7f0e", "SD3": "#8c564b"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, tight: bool = True) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=130)
    fig.savefig(path.with_suffix(".svg"))
    return path


#: Titles and labels must be words: no evidence keys ("fd/d2-K8/uniform-t"), no identifiers ("w_of_lambda"), no
#: empty interpolation ("Proposition 2 on : ...").
_INTERNAL = (re.compile(r"(?<![\w/])[a-z][\w.+-]*/[\w.+-]+/[\w.+-]+"), re.compile(r"\b[a-z]+_[a-z]+(?:_[a-z]+)*\b"),
             re.compile(r"\s:\s|\s:$|^\s*:"))


def _words(text: str) -> str:
    """The text outside $...$ math (math may use subscripts)."""
    return re.sub(r"\$[^$]*\$", " ", text)


def figure_problems(fig, internal: tuple[str, ...] = ()) -> list[str]:
    """What keeps a matplotlib figure from reading well, per the ledger's rules (empty when none): every panel
    with data has an x and a y label (its own, or the figure's supxlabel/supylabel) and data; a figure with more
    than one labelled series has a legend; the figure has a title; no title or label looks internal (an evidence
    key, an identifier, an empty interpolation, or one of the ``internal`` names such as claim ids)."""
    out = []
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    sup_x = getattr(fig, "_supxlabel", None)
    sup_y = getattr(fig, "_supylabel", None)
    series = set()
    texts = [t for t in ([fig._suptitle.get_text()] if fig._suptitle else []) if t.strip()]
    for k, ax in enumerate(panels):
        has_data = bool(ax.lines or ax.collections or ax.images or ax.patches)
        if not has_data:
            out.append(f"panel {k} ({ax.get_title()!r}) has no data")
        if not (ax.get_xlabel().strip() or (sup_x and sup_x.get_text().strip())):
            out.append(f"panel {k} ({ax.get_title()!r}) has no x label")
        if not (ax.get_ylabel().strip() or (sup_y and sup_y.get_text().strip())):
            out.append(f"panel {k} ({ax.get_title()!r}) has no y label")
        series |= {ln.get_label() for ln in ax.lines + ax.collections if not ln.get_label().startswith("_")}
        texts += [t for t in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) if t.strip()]
    for t in (sup_x, sup_y):
        if t is not None and t.get_text().strip():
            texts.append(t.get_text())
    if len(series) > 1 and not (fig.legends or any(ax.get_legend() for ax in panels)):
        out.append(f"{len(series)} series and no legend")
    if not ((fig._suptitle and fig._suptitle.get_text().strip()) or any(ax.get_title().strip() for ax in panels)):
        out.append("no title")
    for text in texts:
        words = _words(text)
        bad = [p.pattern for p in _INTERNAL if p.search(words)] + [n for n in internal if n in words]
        if bad:
            out.append(f"internal text in {text!r} ({', '.join(bad)})")
    return out


def _xy(steps: Mapping, key: str):
    pts = [(t, b) for t, b in zip(steps["t"], steps[key]) if t is not None and b is not None and b > 0]
    return [p[0] for p in pts], [p[1] for p in pts]


def figure1(evidence: Mapping, path) -> Path:
    """Figure 1: the diffusion size beta_{t-dt,t} of the ML-diffusion (dashed) and the MSE-diffusion (solid; Section 5's
    discrete forms) per model against paper time t; left, the grids as Section 6 describes them; right, the models'
    real grids.  EDM2's 32 steps are marked with dots, as in the paper."""
    plt = _plt()
    variants = [v for v in ("paper", "code") if v in evidence["variants"]]
    fig, axes = plt.subplots(1, len(variants), figsize=(6.5 * len(variants), 4.8), sharey=True, squeeze=False)
    titles = {"paper": "grids as Section 6 describes them", "code": "the models' real grids (public configurations)"}
    for ax, variant in zip(axes[0], variants):
        for model, per in evidence["variants"][variant].items():
            steps = per["steps"]
            c = COLOURS.get(model)
            mark = "o" if model == "EDM2" else None
            x, y = _xy(steps, "beta_MSE_discrete")
            ax.semilogy(x, y, color=c, lw=1.3, marker=mark, ms=3, label=f"{model}: MSE-diffusion")
            x, y = _xy(steps, "beta_ML_discrete")
            ax.semilogy(x, y, color=c, lw=0.9, ls="--", marker=mark, ms=2, label=f"{model}: ML-diffusion")
        ax.set_xlabel("t (paper time: 0 noise, 1 data; dimensionless)")
        ax.set_ylabel(r"diffusion size $\beta_{t-\Delta t,t}$ (latent units)")
        ax.set_title(titles[variant], fontsize=9)
        ax.grid(True, which="both", lw=0.3)
        ax.set_xlim(0, 1)
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, ncol=6, loc="lower center", bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Figure 1: diffusion sizes of current SOTA models (reproduced with Section 5's discrete formulas)\n"
                 "ML-diffusion dashed, MSE-diffusion solid; EDM2's 32 steps marked with dots", fontsize=10)
    path = _save(fig, path)
    plt.close(fig)
    return path


def figure1_discrete_vs_continuous(evidence: Mapping, path) -> Path:
    """The MSE-diffusion size on the models' real grids by four routes: Section 5's discrete formula as printed, the
    discrete formula with the step length kept, the continuous rate with 2 dt lambda' ~ eta^2, and the continuous rate
    integrated exactly over each step.  One panel per model, every panel with its axes labelled, one legend for all."""
    plt = _plt()
    per = evidence["variants"]["code"]
    models = list(per)
    cols = 3
    rows = (len(models) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.4 * rows + 0.8), squeeze=False)
    styles = (("beta_MSE_discrete", "Section 5's discrete formula, as printed", "-", "C0"),
              ("beta_MSE_discrete-dt", "discrete formula, step length kept", "-.", "C1"),
              ("beta_MSE_approx", r"continuous rate, $\eta^2 \approx 2\,\Delta t\,\lambda'_t$ (line 390)", ":", "C2"),
              ("beta_MSE_exact", r"continuous rate integrated exactly over the step", "--", "C3"))
    for ax, model in zip(axes.ravel(), models):
        steps = per[model]["steps"]
        for key, label, ls, colour in styles:
            x, y = _xy(steps, key)
            ax.semilogy(x, y, ls=ls, lw=1.1, color=colour, label=label, marker="o" if model == "EDM2" else None,
                        ms=2)
        ax.set_title(f"{model}" + (" (32 steps, dots)" if model == "EDM2" else ""), fontsize=9)
        ax.set_xlabel("t (paper time; dimensionless)", fontsize=8)
        ax.set_ylabel(r"MSE-diffusion size $\beta_{t-\Delta t,t}$" "\n(latent units)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="both", lw=0.3)
        ax.set_xlim(0, 1)
    for ax in axes.ravel()[len(models):]:
        ax.axis("off")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls=ls, lw=1.1, color=colour) for _, _, ls, colour in styles]
    fig.legend(handles, [label for _, label, _, _ in styles], fontsize=8, ncol=2, loc="lower center",
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle("MSE-diffusion size on the models' real grids: Section 5's discrete formula against the continuous "
                 "rate", fontsize=10)
    fig.tight_layout(rect=(0, 0.6 / (3.4 * rows + 0.8), 1, 1))
    path = _save(fig, path, tight=False)
    plt.close(fig)
    return path


def _num(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


#: The solvers of the UDS-vs-peers figure: (evidence label, legend label, colour, line style, marker).
PEER_STYLES = (
    ("flow/euler", "EulerUDS (14)", "#9e9e9e", "-", "x"), ("flow/heun", "HeunUDS (15)", "#424242", "-", "+"),
    ("flow/rk4", "UDS with RK4", "#17becf", "-", "*"),
    ("flow/ms2", "multistep UDS in log r, 2 steps (order 2)", "#1f77b4", "-", "o"), ("flow/ms3", "multistep UDS in log r, 3 steps (order 3)", "#2ca02c", "-", "s"),
    ("flow/pc2", "predictor-corrector UDS, 2 steps (order 3)", "#9467bd", "-", "^"),
    ("flow/pc3", "predictor-corrector UDS, 3 steps (order 3)", "#8c564b", "-", "v"),
    ("flow/dpm++2m", "DPM-Solver++(2M) (peer)", "#d62728", "--", "D"), ("flow/unipc", "UniPC (peer)", "#ff7f0e", "--", "P"),
)


def _data_words(key: str, setup: Mapping) -> str:
    m = re.fullmatch(r"d(\d+)-K(\d+)", key)
    return f"mixture d = {m.group(1)}, K = {m.group(2)}" if m else f"data set {key}"


def _grid_words(key: str) -> str:
    return {"uniform-t": "grid uniform in t", "uniform-logsnr": "grid uniform in log-SNR"}.get(key, f"grid {key}")


def peers_figure(evidence: Mapping, path) -> Path | None:
    """uds-vs-peers: the flow solvers' Frechet distance to the exact moments (top row, with the sampling-noise floor
    the text compares with) and pathwise rms error to the flow map (bottom row) against NFE, one column per data set
    and grid; the UDS solvers (EulerUDS, HeunUDS, RK4, multistep, predictor-corrector) against the peers
    DPM-Solver++(2M) and UniPC.  None when the evidence has no distances."""
    fd, paths = evidence.get("fd") or {}, evidence.get("pathwise") or {}
    cells = [(d, g) for d, per in fd.items() for g in per]
    if not cells:
        return None
    plt = _plt()
    rows = [("fd", fd, "Frechet distance to the exact moments\n(squared data units)")]
    if paths:
        rows.append(("pathwise", paths, "pathwise rms error to the flow map\n(data units)"))
    fig, axes = plt.subplots(len(rows), len(cells), figsize=(3.6 * len(cells), 3.2 * len(rows) + 1.1), squeeze=False,
                             sharex=True)
    floors = evidence.get("noise_floor") or {}
    setup = evidence.get("setup") or {}
    for j, (d, g) in enumerate(cells):
        for i, (kind, table, ylabel) in enumerate(rows):
            ax = axes[i][j]
            data = (table.get(d) or {}).get(g) or {}
            for key, label, colour, ls, marker in PEER_STYLES:
                row = data.get(key) or {}
                pts = sorted((int(n), _num(v)) for n, v in row.items() if _num(v) is not None)
                if pts:
                    ax.loglog(*zip(*pts), color=colour, ls=ls, marker=marker, ms=3.5, lw=1.2, label=label)
            if kind == "fd":
                fl = floors.get(d) or {}
                for fkey, flabel, fls in (("fd_exact_set_vs_moments",
                                           "noise floor: FD of an exact sample set of the same size", ":"),
                                          ("fd_two_exact_sets", "noise floor: FD between two exact sample sets", "-.")):
                    if _num(fl.get(fkey)) is not None:
                        ax.axhline(_num(fl[fkey]), color="black", lw=0.9, ls=fls, label=flabel)
                ax.set_title(f"{_data_words(d, setup)}; {_grid_words(g)}", fontsize=8)
            ax.set_xlabel("NFE (denoiser evaluations)", fontsize=8)
            ax.set_ylabel(ylabel, fontsize=8)
            nfes = [int(n) for n in setup.get("nfe", [])]
            if nfes:
                ax.set_xticks(nfes, [str(n) for n in nfes])
                ax.xaxis.set_minor_formatter(plt.NullFormatter())
            ax.tick_params(which="both", labelsize=7)
            ax.grid(True, which="both", lw=0.3)
    handles = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=4, fontsize=7)
    fig.suptitle("Flow solvers against NFE: the UDS (Section 3) against DPM-Solver++(2M) and UniPC "
                 f"({setup.get('schedule', 'Logis/Vel')}, {setup.get('batch', '?')} samples, exact mixture denoiser)",
                 fontsize=9)
    height = 3.2 * len(rows) + 1.1
    fig.tight_layout(rect=(0, 0.75 / height, 1, 1))
    path = _save(fig, path, tight=False)
    plt.close(fig)
    return path


#: One colour per denoiser in the trained-denoiser figure.
DENOISER_COLOURS = {"exact": "#7f7f7f", "MSE": "#1f77b4", "ML": "#d62728"}
DENOISER_WORDS = {"exact": "exact denoiser", "MSE": "trained with the MSE (2)", "ML": "trained with the ML weight (23)"}


def mechanism_figure(evidence: Mapping, path) -> Path:
    """Per d (a row): FD per process and denoiser (HeunUDS and EulerUDS at the highest NFE, mean and sd over the
    training seeds, the sampling floor dashed); the loss (23) of the ML- and MSE-diffusion per denoiser (its excess over
    the exact denoiser's; the flow's (23) is infinite); the denoiser's error E||eps_hat - eps*||^2 against the log-SNR."""
    import numpy as np

    plt = _plt()
    runs = evidence["runs"]
    dims = list(runs["per d"])
    fig, axes = plt.subplots(len(dims), 3, figsize=(15, 3.8 * len(dims)), squeeze=False)
    procs = ("Flow", "MSE", "ML")
    whos = ("exact", "MSE", "ML")
    for row, dkey in zip(axes, dims):
        rec = runs["per d"][dkey]
        nfe = max(int(k.split(" | ")[3]) for k in rec["fd"])
        ax = row[0]
        width = 0.13
        for j, who in enumerate(whos):
            for k, smp in enumerate(("heun", "euler")):
                vals = [np.asarray(rec["fd"][f"{who} | {p} | {smp} | {nfe}"], dtype=float) for p in procs]
                x = np.arange(len(procs)) + (j * 2 + k - 2.5) * width
                ax.bar(x, [v.mean() for v in vals], width, yerr=[v.std(ddof=1) if v.size > 1 else 0 for v in vals],
                       color=DENOISER_COLOURS[who], alpha=1.0 if smp == "heun" else 0.5,
                       label=f"{DENOISER_WORDS[who]}, {'HeunUDS' if smp == 'heun' else 'EulerUDS'}")
        ax.axhline(float(np.mean(rec["floor fd"])), color="k", ls="--", lw=1, label="sampling floor")
        ax.set_xticks(range(len(procs)), ["Flow", "MSE-diffusion", "ML-diffusion"])
        ax.set_yscale("log")
        ax.set_xlabel("process")
        ax.set_ylabel("FD to the exact moments")
        ax.set_title(f"d = {dkey}: FD at {nfe} NFE")
        ax.legend(fontsize=6, loc="upper left", framealpha=0.6)
        ax = row[1]
        seeds = runs["settings"]["seeds"]
        objs = (("(23) ML-diffusion", "ML-diffusion"), ("(23) MSE-diffusion", "MSE-diffusion"))
        for j, who in enumerate(("MSE", "ML")):
            vals = [np.asarray([rec["losses"][f"{who} seed {s}"][o + ", excess over the exact denoiser"] for s in seeds])
                    for o, _ in objs]
            ax.bar(np.arange(len(objs)) + (j - 0.5) * 0.35, [v.mean() for v in vals], 0.35,
                   yerr=[v.std(ddof=1) if v.size > 1 else 0 for v in vals], color=DENOISER_COLOURS[who],
                   label=DENOISER_WORDS[who])
        ax.set_xticks(range(len(objs)), [w for _, w in objs])
        ax.set_yscale("log")
        ax.set_xlabel("process whose loss (23) is evaluated (the flow's is infinite)")
        ax.set_ylabel("loss (23) minus the exact denoiser's")
        ax.set_title(f"d = {dkey}: the KL (23) each training leaves")
        ax.legend(fontsize=7)
        ax = row[2]
        lam = np.asarray(rec["eval ring-lambda nodes"], dtype=float)
        for who in ("MSE", "ML"):
            err = np.asarray([rec["losses"][f"{who} seed {s}"]["denoiser error E||eps_hat - eps*||^2 per node"]
                              for s in seeds], dtype=float)
            ax.plot(lam, err.mean(0), "o-", ms=3, color=DENOISER_COLOURS[who], label=DENOISER_WORDS[who])
            ax.fill_between(lam, err.min(0), err.max(0), color=DENOISER_COLOURS[who], alpha=0.2)
        ax.set_yscale("log")
        ax.set_xlabel("log-SNR $\\mathring{\\lambda}_t$ (noise at the left, data at the right)")
        ax.set_ylabel("$E\\|\\hat\\varepsilon - \\varepsilon^*\\|^2$ (exact posterior)")
        ax.set_title(f"d = {dkey}: denoiser error over t (band: seeds)")
        ax.legend(fontsize=7)
    fig.suptitle("Denoisers really trained: sample quality and the KL each weighting minimises")
    return _save(fig, path)
