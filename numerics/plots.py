"""Plots of the convergence evidence (drawn from the JSON evidence alone; matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping


def _ladders(evidence_list: Iterable[Mapping]):
    """Every ladder record (dict with "N" and "LN_minus_L") found in the evidence, at any nesting level."""
    for ev in evidence_list:
        if isinstance(ev, Mapping):
            if "N" in ev and "LN_minus_L" in ev:
                yield ev
            for v in ev.values():
                if isinstance(v, (list, tuple)):
                    yield from _ladders(v)
                elif isinstance(v, Mapping):
                    yield from _ladders([v])


def convergence_plot(evidence_list: Iterable[Mapping], path) -> Path | None:
    """Log-log plot of |L^N - L| against N, one line per ladder (label schedule/rate/denoiser), with the
    predicted C/N as dotted lines; returns the path of the PNG written, or None (and draws nothing) when the
    evidence has no ladder (a claim that timed out or raised)."""
    ladders = list(_ladders(list(evidence_list)))
    if not ladders:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    markers = ("o", "s", "^", "v", "D", "x", "P", "*")
    schedules = sorted({str(lad.get("case", "?")).split("/")[0] for lad in ladders})
    for k, lad in enumerate(ladders):
        ns = [int(n) for n in lad["N"]]
        diffs = [abs(float(d)) for d in lad["LN_minus_L"]]
        label = lad.get("case") or lad.get("schedule", "?")
        if lad.get("mse_parameterization"):
            label += f" [{lad['mse_parameterization']}]"
        if "fitted_order" in lad:
            label += f" (order {float(lad['fitted_order']):.3f})"
        style = "--" if "misspecified" in str(label) else "-"  # overlapping curves: marker and line style differ
        line, = ax.loglog(ns, diffs, marker=markers[k % len(markers)], ms=4, lw=1, ls=style, label=label)
        if "predicted_C" in lad:
            c = abs(float(lad["predicted_C"]))
            ax.loglog(ns, [c / n for n in ns], ls=":", lw=0.8, color=line.get_color())
    ax.set_xlabel("N (number of grid steps)")
    ax.set_ylabel(r"$|\hat{\mathcal{L}}^N - \hat{\mathcal{L}}|$ (loss gap, nats)")
    ax.set_title(f"Proposition 2 on the {', '.join(schedules)} schedule{'s' if len(schedules) > 1 else ''}: "
                 r"$\hat{\mathcal{L}}^N - \hat{\mathcal{L}} = C/N + O(1/N^2)$" "\n"
                 "(solid: exact denoiser, dashed: mis-specified; dotted: the predicted C/N)", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.grid(True, which="both", lw=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
