"""Section 6 figures, drawn from the JSON evidence of ``fig1-sizes`` alone (matplotlib, Agg backend; PNG and SVG)."""

from __future__ import annotations

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
            ax.semilogy(x, y, color=c, lw=1.3, marker=mark, ms=3, label=f"{model}: MSE")
            x, y = _xy(steps, "beta_ML_discrete")
            ax.semilogy(x, y, color=c, lw=0.9, ls="--", marker=mark, ms=2, label=f"{model}: ML")
        ax.set_xlabel("t (paper time: 0 noise, 1 data)")
        ax.set_title(titles[variant], fontsize=9)
        ax.grid(True, which="both", lw=0.3)
        ax.set_xlim(0, 1)
    axes[0][0].set_ylabel(r"diffusion size $\beta_{t-\Delta t,t}$ (latent units)")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, ncol=6, loc="lower center", bbox_to_anchor=(0.5, -0.02))

    fig.suptitle("Figure 1 (reproduced): ML- (dashed) and MSE-diffusion (solid) sizes, Section 5's discrete formulas; "
                 "EDM2's 32 steps marked", fontsize=10)
    path = _save(fig, path)
    plt.close(fig)
    return path


def figure1_discrete_vs_continuous(evidence: Mapping, path) -> Path:
    """The MSE-diffusion size on the models' real grids by four routes: Section 5's discrete formula as printed, the
    discrete formula with the step length kept, the continuous rate with 2 dt lambda' ~ eta^2, and the continuous rate
    integrated exactly over each step."""
    plt = _plt()
    per = evidence["variants"]["code"]
    models = list(per)
    cols = 3
    rows = (len(models) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    styles = (("beta_MSE_discrete", "discrete (as printed)", "-"), ("beta_MSE_discrete-dt", "discrete, dt kept", "-."),
              ("beta_MSE_approx", "continuous, 2 dt lambda'", ":"), ("beta_MSE_exact", "continuous, exact", "--"))
    for ax, model in zip(axes.ravel(), models):
        steps = per[model]["steps"]
        for key, label, ls in styles:
            x, y = _xy(steps, key)
            ax.semilogy(x, y, ls=ls, lw=1.1, label=label, marker="o" if model == "EDM2" else None, ms=2)
        ax.set_title(f"{model}", fontsize=9)
        ax.grid(True, which="both", lw=0.3)
        ax.set_xlim(0, 1)
    for ax in axes.ravel()[len(models):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("MSE-diffusion size on the real grids: discrete vs continuous", fontsize=10)
    path = _save(fig, path)
    plt.close(fig)
    return path
