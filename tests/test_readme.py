"""The README's figures (verdict counts, errata with kinds, sample ledger) are generated from a real run
(``python -m verify readme REPORT.json``) and checked here against the expected ledger; the slow test makes a full
run and checks the README against it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from test_verdicts import EXPECTED_KINDS, expected_ledger
from verify import readme
from verify.ledger import CLAIMS
from verify.report import VERDICTS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _committed_source() -> dict:
    return json.loads((ROOT / readme.SOURCE).read_text())


def test_every_generated_block_is_regenerated_from_the_committed_run():
    """The README's generated blocks (sample included) are exactly what the committed run gives: an edit to any
    generated figure, or a README regenerated from another run than the committed one, fails here."""
    assert readme.update(README, _committed_source()) == README


def test_the_committed_run_is_the_expected_ledger():
    """The committed run is current: its verdicts are the expected ledger's, claim for claim, and it names every
    claim the ledger has (a stale file from before a claim was added or a verdict changed fails here)."""
    source = _committed_source()
    got = {c["id"]: c["verdict"] for c in source["claims"]}
    assert set(got) == set(CLAIMS)
    assert got == {cid: expected_ledger()[cid] for cid in got}
    assert source["coverage"]["equations"] == 43 and source["environment"].get("git_commit")


@pytest.mark.parametrize("block,pattern", [("verdicts", r"(\d+) confirmed"), ("verdicts", r"Run time (\d+) s"),
                                           ("errata", r"\| `[a-z0-9-]+` \| [a-z]+ \| line (\d+)"),
                                           ("sample", r"equations covered (\d+)/"), ("sample", r"(\d+)\.\d\d s")])
def test_an_edited_figure_is_caught(block, pattern):
    text = readme.blocks_of(README)[block]
    m = re.search(pattern, text)
    assert m, (block, pattern)
    edited_block = text[:m.start(1)] + str(int(m.group(1)) + 1) + text[m.end(1):]
    edited = README.replace(text, edited_block, 1)
    assert edited != README and readme.update(edited, _committed_source()) == README


def test_readme_has_every_generated_block():
    blocks = readme.blocks_of(README)
    assert set(blocks) == set(readme.BLOCKS) and all(blocks.values())


def test_readme_errata_are_the_expected_errata_with_their_kinds():
    table = readme.blocks_of(README)["errata"].splitlines()[2:]
    rows = {}
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.setdefault(cells[0].strip("`"), set()).add(cells[1])
    principal = {cid: min(kinds, key=("substantive", "typo", "extraction", "convention").index)
                 for cid, kinds in rows.items()}
    assert principal == EXPECTED_KINDS


def test_readme_counts_agree_with_the_expected_ledger():
    text = readme.blocks_of(README)["verdicts"]
    m = re.search(r"(\d+) proved, (\d+) confirmed, (\d+) errata, (\d+) inconclusive, (\d+) skipped and (\d+) failed",
                  text)
    assert m, text
    stated = dict(zip(VERDICTS, map(int, m.groups())))
    assert stated == {v: n for v, n in Counter(expected_ledger().values()).items()} | {
        v: 0 for v in VERDICTS if v not in expected_ledger().values()}
    assert sum(stated.values()) == len(CLAIMS)


def test_render_on_a_synthetic_report():
    report = {"summary": {"proved": 1, "confirmed": 0, "erratum": 1, "inconclusive": 0, "failed": 0, "skipped": 0,
                          "errata_by_kind": {"substantive": 0, "typo": 1, "extraction": 0, "convention": 0}},
              "coverage": {"covered": {"1": ["a"]}, "not_covered": [2], "equations": 2}, "seconds": 3.0,
              "environment": {"cpu_count": 2},
              "claims": [{"id": "a", "verdict": "proved", "seconds": 0.1},
                         {"id": "b", "verdict": "erratum", "seconds": 0.2, "erratum_kind": "typo",
                          "printed": {"k": {"sympy": "x"}},
                          "errata": [{"kind": "typo", "keys": ["k"], "reading": "y", "consequence": "none",
                                      "error": "line 100"}]}]}
    blocks = readme.render(report)
    assert "1 proved, 0 confirmed, 1 errata" in blocks["verdicts"] and "1 typo" in blocks["verdicts"]
    assert "| `b` | typo | line 100 | k: x | y | none |" in blocks["errata"]
    text = "a\n<!-- generated:verdicts x -->\nold\n<!-- end:verdicts -->\n" \
           "<!-- generated:errata x -->\n<!-- end:errata -->\n<!-- generated:sample x -->\n<!-- end:sample -->\n"
    new = readme.update(text, report)
    assert readme.blocks_of(new)["verdicts"] == blocks["verdicts"] and "old" not in new
    assert readme.update(new, report) == new


@pytest.mark.slow
def test_readme_agrees_with_a_full_run(tmp_path):
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "verify", "--quiet", "--json", str(report)], cwd=ROOT)
    assert run.returncode == (1 if "failed" in expected_ledger().values() else 0)   # failed: contradicted
    data = json.loads(report.read_text())
    for claim in data["claims"]:
        if claim["id"] in expected_ledger():
            assert claim["verdict"] == expected_ledger()[claim["id"]], claim["id"]
    new = readme.update(README, data)
    assert readme.blocks_of(new)["errata"] == readme.blocks_of(README)["errata"]
    committed = _committed_source()
    assert {c["id"]: c["verdict"] for c in committed["claims"]} == {c["id"]: c["verdict"] for c in data["claims"]}
    assert committed["summary"] == data["summary"] and committed["coverage"] == data["coverage"]
    assert re.sub(r"Run time \d+ s", "", readme.blocks_of(new)["verdicts"]) == \
        re.sub(r"Run time \d+ s", "", readme.blocks_of(README)["verdicts"])
