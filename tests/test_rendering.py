"""What a reviewer reads: every figure the ledger draws (the report's renderers and the notebooks' plots) has
labelled axes, a legend where there is more than one series, a title in words and no empty panel
(:func:`numerics.figures.figure_problems`, itself tested on bad figures); a claim with no data embeds no figure;
the Markdown report lists every printed key, hand-typed ones marked; corrected forms are shown in the paper's
notation."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402

import verify.notebook_display as nd  # noqa: E402
from numerics.figures import figure1, figure1_discrete_vs_continuous, figure_problems  # noqa: E402
from verify import report  # noqa: E402
from verify.ledger import CLAIMS  # noqa: E402
from verify.records import ClaimRecord  # noqa: E402

# ------------------------------------------------------------------------------------------------
# The rules can fail
# ------------------------------------------------------------------------------------------------


def _good_axes():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2], label="EulerUDS")
    ax.plot([1, 2], [2, 1], label="HeunUDS")
    ax.set_xlabel("N (number of steps)")
    ax.set_ylabel("error (data units)")
    ax.set_title("Orders of the flow solvers")
    ax.legend()
    return fig, ax


def test_a_figure_that_reads_well_has_no_problems():
    fig, _ = _good_axes()
    assert figure_problems(fig) == []
    plt.close(fig)


@pytest.mark.parametrize("spoil, expected", [
    (lambda fig, ax: ax.set_xlabel(""), "no x label"),
    (lambda fig, ax: ax.set_ylabel(""), "no y label"),
    (lambda fig, ax: ax.get_legend().remove(), "no legend"),
    (lambda fig, ax: ax.set_title(""), "no title"),
    (lambda fig, ax: ax.set_title("fd/d2-K8/uniform-t"), "internal text"),
    (lambda fig, ax: ax.set_ylabel("w_of_lambda (evidence)"), "internal text"),
    (lambda fig, ax: ax.set_title("Proposition 2 on : L^N - L = C/N"), "internal text"),
    (lambda fig, ax: fig.add_subplot(2, 1, 2), "no data"),
])
def test_every_rule_rejects_a_figure_that_breaks_it(spoil, expected):
    fig, ax = _good_axes()
    spoil(fig, ax)
    problems = figure_problems(fig)
    assert any(expected in p for p in problems), problems
    plt.close(fig)


def test_claim_ids_in_a_title_are_internal():
    fig, ax = _good_axes()
    ax.set_title("uds-vs-peers: orders")
    assert figure_problems(fig, internal=tuple(CLAIMS)) and not figure_problems(fig)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------
# Every figure drawn on small evidence of the real shape
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch):
    """Every matplotlib figure saved while the test runs (report renderers and notebook plots save them all)."""
    figures: list = []
    save = MplFigure.savefig

    def savefig(self, *args, **kwargs):
        if not any(f is self for f in figures):
            figures.append(self)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(MplFigure, "savefig", savefig)
    return figures


def _record(cid: str, evidence: dict, verdict: str = "confirmed") -> ClaimRecord:
    claim = CLAIMS[cid]
    return ClaimRecord(id=cid, section=claim.section, title=claim.title, verdict=verdict, method="torch",
                       printed=None, derived=None, corrected=None, evidence=evidence, equations=list(claim.equations),
                       seconds=1.0)


def _decay(n, c, p):
    return f"{c * n ** -p:.3e}"


def _peers_evidence() -> dict:
    nfe = [10, 20, 63, 255]
    solvers = ("euler", "heun", "rk4", "ms2", "ms3", "pc2", "pc3", "dpm++2m", "unipc")
    table = {d: {g: {f"flow/{m}": {str(n): _decay(n, 1 + k, 1 + k % 3) for n in nfe} for k, m in enumerate(solvers)}
                 for g in ("uniform-t", "uniform-logsnr")} for d in ("d2-K8", "d8-K4")}
    for d in table.values():
        for g in d.values():
            g["MSE/ms2"] = {str(n): _decay(n, 2, 1) for n in nfe}
    orders = {f"{s}/{m}": {"declared": 2, "order_last_pair": "2.0", "ls_order": "2.0",
                           "errors": [_decay(n, 1, 2) for n in (32, 64, 128, 256)], "accepted": True}
              for s in ("Logis", "Sech") for m in ("ms2", "pc3")}
    weak = {f"{r}/{m}": {"order_last_pair": "2.0", "ls_order": "2.0",
                         "errors": [_decay(n, 1, 2) for n in (32, 64, 128)], "accepted": True}
            for r in ("ML", "MSE") for m in ("ms2", "euler")}
    return {"setup": {"schedule": "Logis/Vel on (0.01, 0.99)", "batch": 1000, "nfe": nfe,
                      "final_step": {"ms2": "1"}},
            "fd": table, "sw": table, "pathwise": table,
            "noise_floor": {d: {"fd_two_exact_sets": "2e-3", "fd_exact_set_vs_moments": "7e-4",
                                "sw_two_exact_sets": "1e-1"} for d in table},
            "pathwise_reference": {}, "goals": {}, "flow_orders": orders, "weak_orders": weak}


def _fig1_evidence() -> dict:
    ts = [i / 20 for i in range(1, 20)]
    steps = {"t": ts, "dt": [0.05] * len(ts)}
    for k, key in enumerate(("beta_ML_discrete", "beta_MSE_discrete", "beta_MSE_discrete-dt", "beta_MSE_approx",
                             "beta_MSE_exact")):
        steps[key] = [10 ** -(1 + k) * (1 + t) for t in ts]
    return {"variants": {v: {m: {"steps": steps} for m in ("EDM2", "DiT", "RAE", "SiD2")} for v in ("paper", "code")}}


def _small_evidence() -> dict:
    """{claim id: evidence} of the real shape, small, for every claim the report or the notebooks draw."""
    ladder = {"case": "Logis/ML/exact", "N": [16, 32, 64, 128], "LN_minus_L": ["0.2", "0.1", "0.05", "0.025"],
              "predicted_C": "3.2", "fitted_order": 1.0}
    return {
        "prop2-Logis": {"ladders": [ladder, dict(ladder, case="Logis/ML/misspecified")]},
        "uds-vs-peers": _peers_evidence(),
        "uds-orders": {"ladder_N": [32, 64, 128],
                       "orders": {f"Logis/{m}": {"expected": p, "order": str(p), "errors": [_decay(n, 1, p)
                                                                                            for n in (32, 64, 128)]}
                                  for m, p in (("euler", 1), ("heun", 2))}},
        "eq12": {"ladders": [{"schedule": "Logis", "rate": "ML", "N": [16, 32, 64],
                              "mean_error": ["0.1", "0.05", "0.025"], "variance_error": ["0.2", "0.1", "0.05"],
                              "order_mean": "1.0", "order_variance": "1.0"}]},
        "kg-weights": {"w_of_lambda": {"Logis/Noise": "exp(lambda/2)/(2*exp(lambda/2) + exp(lambda) + 1)",
                                       "Sech/Noise": "exp(-lambda**2/8)", "Normal/Noise": "exp(-lambda**2/50)",
                                       "SechInter/Noise": "exp(-lambda**2/30)", "DDPM-linear/Noise": "exp(-lambda**2/20)",
                                       "Logis/Vel": "exp(-lambda/2)"}},
    }


def test_every_figure_the_ledger_draws_reads_well(drawn, tmp_path, monkeypatch):
    monkeypatch.setattr(nd, "_FIG_DIR", tmp_path)
    internal = tuple(CLAIMS)
    for cid, ev in _small_evidence().items():
        before = len(drawn)
        parts = nd.claim_figures(_record(cid, ev))  # the report's renderers, then the notebook's plots
        assert len(drawn) > before, f"{cid}: nothing drawn"
        assert any(isinstance(p, nd.Figure) for p in parts), cid
        for fig in drawn[before:]:
            assert figure_problems(fig, internal) == [], (cid, figure_problems(fig, internal))
    for fn in (figure1, figure1_discrete_vs_continuous):  # fig1-sizes' renderer draws these two
        before = len(drawn)
        fn(_fig1_evidence(), tmp_path / f"{fn.__name__}.png")
        (fig,) = drawn[before:]
        assert figure_problems(fig, internal) == [], (fn.__name__, figure_problems(fig, internal))
    # uds-vs-peers: the renderer's figure draws the noise floor the text refers to, and few series per panel
    rec = _record("uds-vs-peers", _peers_evidence())
    before = len(drawn)
    _, figs = report.RENDERERS[[p for p, _ in report.RENDERERS].index("uds-vs-peers")][1](rec, tmp_path)
    assert len(figs) == 1
    fig = drawn[before]
    fd_panels = [ax for ax in fig.axes if "Frechet" in ax.get_ylabel()]
    assert fd_panels and all(any("noise floor" in ln.get_label() for ln in ax.lines) for ax in fd_panels)
    assert max(len([ln for ln in ax.lines if not ln.get_label().startswith("_")]) for ax in fig.axes) <= 11


def test_kg_weights_schedules_are_told_apart(drawn, tmp_path, monkeypatch):
    monkeypatch.setattr(nd, "_FIG_DIR", tmp_path)
    nd.kg_weight_plot(_record("kg-weights", _small_evidence()["kg-weights"]))
    (fig,) = drawn
    styles = [(ln.get_color(), ln.get_linestyle(), ln.get_marker()) for ln in fig.axes[0].lines]
    assert len(styles) == 6 and len(set(styles)) == len(styles)


def test_a_claim_with_no_data_embeds_no_figure(drawn, tmp_path, monkeypatch):
    """A timed-out Proposition 2 claim: no blank plot in the report or the notebook."""
    monkeypatch.setattr(nd, "_FIG_DIR", tmp_path)
    rec = _record("prop2-Logis", {"exception": "TimeoutError: claim exceeded 240 s"}, verdict="failed")
    lines = report.rendered_sections([rec], tmp_path / "figs", tmp_path)
    assert not any(line.startswith("![") for line in lines)
    assert not any(isinstance(p, nd.Figure) for p in nd.claim_figures(rec))
    assert drawn == []


# ------------------------------------------------------------------------------------------------
# The Markdown report: every printed key, hand-typed ones marked; the paper's notation
# ------------------------------------------------------------------------------------------------


def test_the_report_lists_every_printed_key_and_marks_hand_typed_ones():
    keys = [f"key {k}" for k in range(9)]
    src = {"parsed": {"id": "p", "where": "(1)", "line": 88, "text_line": 1, "verbatim": "X", "route": "parsed",
                      "readings": [{"rule": "norms", "latex": r"\|v\|"}]},
           "hand": {"id": "h", "where": "(11)", "line": 200, "text_line": 2, "verbatim": "Y", "route": "hand"}}
    rec = _record("eq11", {})
    rec.printed = {k: {"sympy": "1", "latex": "1"} for k in keys}
    rec.sources = {k: [src["hand" if i % 2 else "parsed"]] for i, k in enumerate(keys)}
    lines = report._printed_lines(rec)
    shown = [line for line in lines if line.startswith("- `")]
    assert [line.split("`")[1] for line in shown] == keys
    assert [("typed by hand" in line) for line in shown] == [bool(i % 2) for i in range(len(keys))]
    assert any("readings: norms" in line for line in lines)


def test_dit_corrected_form_is_shown_in_the_papers_notation():
    from derivations.section6_sota import dit_schedule
    from verify.records import forms_record

    sch = dit_schedule()
    rec = forms_record({"ring-lambda": sch.ring_lam, "alpha": sch.alpha, "sigma": sch.sigma})
    for key, form in rec.items():
        assert r"\bar{\alpha}_{t}" in form["latex"], key
        assert not any(bad in form["latex"] for bad in ("dit", "expm", "operatorname")), form["latex"]
        assert "dit_log_alpha_bar" in form["sympy"]  # the machine form stays exact
    # the displayed form is the same function: log(alpha_bar/(1 - alpha_bar))/2 at one grid point
    import sympy as sp

    from derivations.section6_sota import dit_log_alpha_bar
    from derivations.symbols import t
    la = float(dit_log_alpha_bar(sp.Rational(1, 2)).evalf(30))
    value = float(sch.ring_lam.subs(t, sp.Rational(1, 2)).evalf(30))
    assert math.isclose(value, (la - math.log(-math.expm1(la))) / 2, rel_tol=1e-12)


#: The claims whose records the report or the notebooks draw (a figure each at least).
DRAWN = ("fig1-sizes", "uds-vs-peers", "kg-weights", "prop2-Logis", "uds-orders", "uds-weak-order", "eq12",
         "uds-euler-heun", "mechanism-trained")


@pytest.mark.slow
@pytest.mark.parametrize("cid", DRAWN)
def test_every_figure_of_a_real_run_reads_well(cid, drawn, tmp_path, monkeypatch):
    from verify.ledger import run_claim
    from verify.records import make_record

    monkeypatch.setattr(nd, "_FIG_DIR", tmp_path)
    rec = make_record(CLAIMS[cid], run_claim(CLAIMS[cid]))
    parts = nd.claim_figures(rec)
    assert any(isinstance(p, nd.Figure) for p in parts) and drawn, cid
    for fig in drawn:
        assert figure_problems(fig, tuple(CLAIMS)) == [], (cid, figure_problems(fig, tuple(CLAIMS)))
