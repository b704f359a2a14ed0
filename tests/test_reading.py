"""The reading of the paper's LaTeX (verify.reading) and the verbatim table (verify.paper_text).

Every rule of the normalisation has a test; every parsed entry of the table is read by SymPy's LaTeX parser; a
reading that is ambiguous, unsupported or uses an unknown symbol is an error, never a silent guess.
"""

from __future__ import annotations

import pytest
import sympy as sp

from verify import reading as rd
from verify.ledger import CLAIMS
from verify.paper_text import ENTRIES, PAPER, applications, printed

a, b, c, t = sp.symbols("a b c t", positive=True)


def names(latex):
    return sorted(set(rd.read(latex).names.values()))


@pytest.mark.parametrize("latex, expected", [
    (r"\dot{\rho}_t", ["ring:rho_t"]), (r"\hat{\rho}_t", ["ring:rho_t"]), (r"\mathring{\rho}_s", ["ring:rho_s"]),
    (r"\hat{\lambda}'_t", ["ring:lambda'_t"]), (r"\dot{\lambda}_t'", ["ring:lambda'_t"]),  # rule "primes"
    (r"\hat{X}_s", ["hat:X_s"]), (r"\hat{\varepsilon}_t", ["hat:epsilon_t"]), (r"\check{\lambda}'_t", ["check:lambda'_t"]),
    (r"\rho_s", ["rho_s"]), (r"t_{max}", ["t_max"]), (r"\gamma_{st}", ["gamma_st"]), (r"\lambda'_\tau", ["lambda'_tau"]),
    (r"\lambda'_{c,t}", ["lambda'_{c,t}"]), (r"w_s^N", ["w_s^N"]), (r"\xi_s^*", ["xi_s^*"]), (r"\Delta t", ["Delta t"]),
    (r"\Delta\tau", ["Delta tau"]), (r"(\log r_t)'", ["(log r_t)'"]), (r"\beta_-", ["beta_-"]),
    (r"\mathbf{1}(j = k)", ["1(j=k)"]),
])
def test_symbol_rules(latex, expected):
    assert names(latex) == expected


def test_superscripts_other_than_labels_are_powers():
    r = rd.read(r"\rho_t^2")
    assert r.expr == list(r.names)[0] ** 2


def test_juxtaposition_and_function_arguments():
    ns = {"a": a, "b": b, "c": c, "t": t}
    assert rd.parse_printed(r"2a b^2 c", ns) == 2 * a * b**2 * c
    assert rd.parse_printed(r"a(1 + b)", ns) == a * (1 + b)          # a product, not a call
    assert rd.parse_printed(r"\log(\tan(\pi t/2)) + (\log 16)(t - 1)", ns) == \
        sp.log(sp.tan(sp.pi * t / 2)) + sp.log(16) * (t - 1)
    assert rd.parse_printed(r"1/[t(1 - t)]", ns) == 1 / (t * (1 - t))  # brackets are parentheses
    assert rd.parse_printed(r"\left( \sqrt{a b} - c \right)^2 \Big/ 2", ns) == (sp.sqrt(a * b) - c) ** 2 / 2


def test_a_function_takes_its_argument_with_the_arguments_power():
    """TeX convention: \\log \\rho_t^2 is log(rho_t^2), not (log rho_t)^2; a power after a parenthesised
    argument applies to the value."""
    rho = sp.Symbol("rho", positive=True)
    assert rd.parse_printed(r"\log \rho_t^2", {"rho_t": rho}) == sp.log(rho**2)
    assert rd.parse_printed(r"\log \rho_t^2", {"rho_t": rho}) != sp.log(rho) ** 2
    assert rd.parse_printed(r"\log(\rho_t)^2", {"rho_t": rho}) == sp.log(rho) ** 2
    assert rd.parse_printed(r"\exp \rho_t^{-1} + \log 2^3", {"rho_t": rho}) == sp.exp(1 / rho) + sp.log(8)
    assert rd.parse_printed(r"\exp(-\frac{1}{4}(\log \frac{t}{1-t})^2)", {"t": t}) == \
        sp.exp(-sp.log(t / (1 - t)) ** 2 / 4)


def test_rules_say_whether_they_decide_meaning_and_what_readings_discard():
    kinds = {r.name: r.kind for r in rd.RULES}
    assert set(kinds.values()) == {"lexical", "reading"}
    for name in ("ring accent", "norms", "chi-square", "applications", "normal quantile"):
        assert kinds[name] == "reading", name
    for name in ("juxtaposition", "decimals", "primes", "labels"):
        assert kinds[name] == "lexical", name
    for rule in rd.RULES:
        assert (rule.kind == "reading") == bool(rule.discards), rule.name
        assert rule.name in rule.line() and rule.kind in rule.line()


def test_every_reading_used_is_recorded_with_the_parse():
    r = rd.read(r"\frac{\|\hat{u}_t(\alpha_t \bar{Y}_t) - u_t\|^2}{\dot{\rho}_t} + \Phi^{-1}(t) + \chi^2(a, b)")
    assert [rule for rule, _ in r.readings] == ["norms", "applications", "ring accent", "normal quantile", "chi-square"]
    assert (r"norms", r"\|\hat{u}_t(\alpha_t \bar{Y}_t) - u_t\|") in r.readings
    assert ("applications", r"\hat{u}_t(\alpha_t \bar{Y}_t)") in r.readings
    assert rd.read(r"2 a b^2 (1 + c)").readings == ()   # lexical rules only: nothing recorded
    assert rd.read(r"\mathring{\rho}_t").readings == ()  # the ring itself is no reading


def test_chi_square_is_its_definition_applied_to_its_arguments():
    chi = sp.Lambda((a, b), (a - b) ** 2 / a)
    ns = {"lambda'_t": a, "ring:lambda'_t": b, "chi^2": chi}
    assert rd.parse_printed(r"\frac{1}{4}\chi^2(\lambda'_t, \hat{\lambda}'_t)", ns) == (a - b) ** 2 / (4 * a)
    # the arguments are not dropped: swapped arguments read differently
    assert rd.parse_printed(r"\chi^2(\hat{\lambda}'_t, \lambda'_t)", ns) == (b - a) ** 2 / b
    assert rd.symbols_of(r"\chi^2(\lambda'_t, \hat{\lambda}'_t)") == ["chi^2", "lambda'_t", "ring:lambda'_t"]
    with pytest.raises(rd.ReadingError, match="function of its 2 arguments"):
        rd.parse_printed(r"\chi^2(\lambda'_t, \hat{\lambda}'_t)", {**ns, "chi^2": a})
    with pytest.raises(rd.ReadingError, match="chi\\^2"):
        rd.parse_printed(r"\chi^2(\lambda'_t, \hat{\lambda}'_t)", {"lambda'_t": a, "ring:lambda'_t": b})
    for bad in (r"\chi^2 + a", r"\chi^2(a)", r"\chi^2(a, b, c)"):
        with pytest.raises(rd.ReadingError, match="chi"):
            rd.read(bad)


def test_the_records_of_parsed_entries_name_their_readings():
    from verify.paper_text import entry

    rec = entry("eq27.rhs").record()
    assert {u["rule"] for u in rec["readings"]} >= {"norms", "applications"}
    assert "readings" not in entry("eq21").record()  # a hand transcription has no parse


def test_decimals_are_exact_and_quantile_reads():
    assert rd.parse_printed(r"\Phi^{-1}(t) + 0.4", {"t": t}) == sp.sqrt(2) * sp.erfinv(2 * t - 1) + sp.Rational(2, 5)


def test_norms_and_applications():
    ns = {"mu_s": a, "hat:mu_s": b, "sigma_t": c}
    r = rd.read(r"\frac{\|\mu_s(z_s, x) - \hat{\mu}_s(z_s)\|^2}{2\sigma_t^2}")
    assert rd.substitute(r, ns) == (a - b) ** 2 / (2 * c**2)
    assert r.applications == (("mu_s", "z_s, x"), ("hat:mu_s", "z_s"))


@pytest.mark.parametrize("bad", [r"\int_0^1 x dx", r"\mathbb{E} X", r"a \leq b \leq c", r"\frac{a}{"])
def test_unreadable_latex_is_an_error(bad):
    with pytest.raises(rd.ReadingError):
        rd.read(bad)


def test_unknown_symbol_is_named():
    with pytest.raises(rd.ReadingError, match="ring:rho_t"):
        rd.parse_printed(r"\dot{\rho}_t + a", {"a": a})


def test_every_parsed_entry_is_read_by_sympys_parser():
    parsed = [e for e in ENTRIES if e.latex is not None]
    assert len(parsed) >= 100
    for e in parsed:
        r = rd.read(e.latex)
        assert isinstance(r.expr, sp.Basic), e.id


def test_entries_are_consistent():
    for e in ENTRIES:
        assert e.latex is None or e.latex in e.verbatim, e.id
        assert e.latex is not None or e.hand, e.id
        assert e.text_line > 0 and e.where


def test_every_claim_source_exists_and_every_printed_key_has_a_source():
    for claim in CLAIMS.values():
        if claim.section == "6" and not claim.sources:
            continue
        for key, ids in claim.sources.items():
            for pid in (ids,) if isinstance(ids, str) else ids:
                assert pid in PAPER, (claim.id, key, pid)
        if claim.custom is None:
            missing = set(claim.printed()) - set(claim.sources)
            assert not missing, (claim.id, missing)


def test_vel_network_input_is_read_from_the_application():
    (name, arg), = applications("s2.param.vel.prediction")
    assert name == "hat:v_t" and "alpha'_t" in arg


def test_printed_refuses_a_hand_entry():
    with pytest.raises(rd.ReadingError, match="by hand"):
        printed("eq13", {})


def test_registry_entries_are_the_printed_formulas():
    """The registry's built-in schedules and parameterizations (used downstream) equal the paper's printed forms."""
    import mpmath as mp

    from derivations import REGISTRY, numeric
    from derivations.symbols import t as tt
    from verify.claims.section2 import PARAM_TEXT, printed_scale

    texts = {"Normal": ("s2.normal.lambda", "s2.normal.alpha", "s2.normal.sigma"),
             "Logis": ("s2.logis.lambda", "s2.logis.alpha", "s2.logis.sigma"),
             "Sech": ("s2.sech.lambda", "s2.sech.alpha", "s2.sech.sigma")}
    pairs = []
    for name, (pl, pa, ps) in texts.items():
        sch = REGISTRY.schedule(name)
        lam = printed(pl, {"t": tt})
        pairs += [(lam, sch.ring_lam), (printed(pa, {"t": tt}), sch.alpha),
                  (printed(ps, {"t": tt, "ring:lambda_t": lam}), sch.sigma)]
    inter = REGISTRY.schedule("SechInter")
    lam = printed("s2.sechinter.lambda", {"t": tt})
    pairs += [(lam, inter.ring_lam), (printed("s2.sechinter.alpha", {"ring:lambda_t": lam}), inter.alpha)]
    for pname in PARAM_TEXT:
        for sch in REGISTRY.schedules.values():
            pairs.append((printed_scale(pname, sch), REGISTRY.parameterization(pname).S(sch)))
    with mp.workdps(30):
        for a_expr, b_expr in pairs:
            fa, fb = numeric(a_expr, "mpmath"), numeric(b_expr, "mpmath")
            for x in (mp.mpf("0.03"), mp.mpf("0.5"), mp.mpf("0.97")):
                assert abs(fa(x) - fb(x)) <= mp.mpf(10) ** -25 * (1 + abs(fb(x))), (a_expr, b_expr)


def test_readme_lists_every_reading():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = text[text.index("| reading | what it decides"):].split("\n\n")[0].splitlines()[2:]
    table = {line.split("|")[1].strip() for line in block}
    assert {r.name for r in rd.RULES if r.kind == "reading"} <= table
    assert not {r.name for r in rd.RULES if r.kind == "lexical"} & table
