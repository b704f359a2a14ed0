"""The reviewers' notebooks: paired .py/.ipynb agree, every notebook executes in quick mode with this
environment's python3 kernel (nbclient) and shows every claim of its sections, and ``python -m verify notebooks``
writes HTML, refreshes a paired notebook and rejects bad input with one line and exit status 2."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

import verify.notebook_display as nd
from verify import notebooks as vnb

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
SOURCES = sorted(NB_DIR.glob("*.py"))
SECTIONS = {"section2": ("2",), "section3": ("3",), "section4": ("4",), "section5_appendix_a": ("5", "A"),
            "section6": ("6",)}


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_one_notebook_per_part_of_the_paper_and_an_index():
    assert {p.stem for p in SOURCES} == set(SECTIONS) | {"reviewer_walkthrough"}
    assert vnb.available()[0] == "reviewer_walkthrough"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_paired_notebook_agrees_with_its_source(src):
    paired = src.with_suffix(".ipynb")
    assert paired.exists(), f"{paired.name} is missing: jupytext --sync {src.relative_to(ROOT)}"
    text_nb, ipynb = jupytext.read(src), nbformat.read(paired, as_version=4)
    assert _cells(text_nb) == _cells(ipynb), f"{paired.name} differs from {src.name}: jupytext --sync"
    assert "py:percent" in ipynb.metadata["jupytext"]["formats"]
    assert ipynb.metadata["kernelspec"]["name"] == "python3"


def test_every_ipynb_has_its_source():
    assert {p.stem for p in NB_DIR.glob("*.ipynb")} == {p.stem for p in SOURCES}


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_notebook_imports_the_installed_library(src):
    text = src.read_text()
    assert "sys.path" not in text and "import verify.notebook_display" in text


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """Quick mode, and a python3 kernel spec that runs this interpreter, first on JUPYTER_PATH."""
    work = tmp_path_factory.mktemp("kernel")
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", nd.QUICK_ENV)}
    os.environ["JUPYTER_PATH"] = str(vnb.kernel_path(work))
    os.environ[nd.QUICK_ENV] = "1"
    yield work
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _outputs(nb) -> tuple[str, int]:
    """(all text and Markdown output joined, number of PNG outputs)."""
    texts, pngs = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", out
            if out.output_type == "stream":
                texts.append(out.text)
            data = out.get("data", {})
            texts += [data.get("text/markdown", ""), data.get("text/plain", "")]
            pngs += "image/png" in data
    return "\n".join(texts), pngs


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_notebook_executes_in_quick_mode(src, kernel_env):
    nb = jupytext.read(src)
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(kernel_env)}}).execute()
    text, pngs = _outputs(nb)
    assert "Quick mode" in text
    assert "The report renderer" not in text, "a report renderer raised (shown in the notebook)"
    import verify.claims  # noqa: F401
    from verify.ledger import CLAIMS

    for sec in SECTIONS.get(src.stem, ()):
        ids = [c.id for c in CLAIMS.values() if c.section == sec]
        assert ids
        missing = [i for i in ids if f"`{i}`" not in text]
        assert not missing, f"{src.stem} does not show {missing}"
    if src.stem in ("section2", "section5_appendix_a", "reviewer_walkthrough"):
        assert "erratum" in text and "$$" in text and "paper, " in text and "evidence for the kind" in text
    if src.stem in ("section3", "section4"):
        assert pngs >= 1, f"{src.stem} drew no figure"
    if src.stem == "reviewer_walkthrough":
        assert "**failed**" in text  # the perturbed forms are rejected


def test_kernel_is_this_interpreter(kernel_env):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    assert nb.cells[0].outputs[0].text.strip() == sys.executable


def test_cli_executes_writes_html_and_updates_the_pair(tmp_path, monkeypatch, capsys):
    """One notebook (the index, the quickest) through ``python -m verify notebooks --quick --html DIR --update``,
    on a copy of its source."""
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    shutil.copy(NB_DIR / "reviewer_walkthrough.py", nbs / "reviewer_walkthrough.py")
    monkeypatch.setattr(vnb, "NOTEBOOK_DIR", nbs)
    monkeypatch.chdir(tmp_path)  # a relative --html DIR is relative to the caller's directory
    rc = vnb.main(["--quick", "--html", "html/sub", "--update", "reviewer_walkthrough"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "reviewer_walkthrough" in out and "cells" in out and "1 of 1 notebooks executed" in out
    html = (tmp_path / "html" / "sub" / "reviewer_walkthrough.html").read_text()
    assert "Reviewer walkthrough" in html and "Quick mode" in html and "param-vel" in html
    updated = nbformat.read(nbs / "reviewer_walkthrough.ipynb", as_version=4)
    assert _cells(updated) == _cells(jupytext.read(nbs / "reviewer_walkthrough.py"))
    assert any(c.get("outputs") for c in updated.cells if c.cell_type == "code")
    assert not any("execution" in c.metadata for c in updated.cells)


def test_a_notebook_that_raises_fails_the_command(tmp_path, monkeypatch, capsys):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    (nbs / "broken.py").write_text("# %%\nraise RuntimeError('boom from the notebook')\n")
    monkeypatch.setattr(vnb, "NOTEBOOK_DIR", nbs)
    assert vnb.main(["--quick", "--update"]) == 1
    captured = capsys.readouterr()
    assert "broken" in captured.out and "FAILED" in captured.out and "boom from the notebook" in captured.err
    assert not (nbs / "broken.ipynb").exists()  # --update writes only what executed


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("fbd-verify notebooks: error:"), err
    for f in fragments:
        assert f in err, err


def test_unknown_notebook_is_one_line_and_status_2(capsys):
    assert vnb.main(["--quick", "nosuchbook"]) == 2
    _one_line_error(capsys, "nosuchbook", "section2")


def test_html_path_that_is_a_file_is_rejected(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert vnb.main(["--html", str(f)]) == 2
    _one_line_error(capsys, "not a directory")
    assert vnb.main(["--html", str(f / "below")]) == 2
    _one_line_error(capsys, "cannot create the directory")


def test_bad_timeout_and_list(capsys):
    assert vnb.main(["--timeout", "0"]) == 2
    _one_line_error(capsys, "--timeout")
    assert vnb.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == vnb.available()


def test_quick_and_full_exclude_each_other():
    with pytest.raises(SystemExit) as exc:
        vnb.main(["--quick", "--full"])
    assert exc.value.code == 2


def test_cli_dispatches_to_the_notebooks_command(capsys):
    from verify.cli import run

    assert run(["notebooks", "nosuchbook"]) == 2
    _one_line_error(capsys, "nosuchbook")


# ------------------------------------------------------------------------------------------------
# The display module, without a kernel
# ------------------------------------------------------------------------------------------------


def test_claim_view_shows_the_verbatim_text_printed_derived_corrected_and_the_erratum():
    recs = nd.run(["discrete-w-eta"], jobs=1)
    r = recs["discrete-w-eta"]
    assert r.verdict == "erratum"
    md = nd.claim_markdown(r)
    key = next(iter(r.printed))
    src = r.sources[key][0]
    assert src["verbatim"] in md and f"line {src['line']:03d}" in md
    assert r.printed[key]["latex"] in md and r.corrected[key]["latex"] in md
    for e in r.errata:
        assert e["kind"] in md and e["evidence"] in md and e["reading"] in md
    parts = nd.show_claim(r)
    assert parts[0]._repr_markdown_() == md
    assert nd.errata_table(recs)._repr_markdown_().count("| `discrete-w-eta` |") == len(r.errata)


def test_figures_come_from_the_evidence():
    r = nd.record("uds-orders")
    figs = [p for p in nd.show_claim(r) if isinstance(p, nd.Figure)]
    assert figs and figs[0]._repr_png_().startswith(b"\x89PNG")


def test_plots_of_written_evidence():
    """K&G's w(lambda) from both evidence forms (an expression in lambda, a parametric pair in t), and the
    distance-against-NFE panels, from evidence alone."""
    from types import SimpleNamespace

    kg = SimpleNamespace(id="kg", evidence={"pairs (matched)": {"A/B": {}, "C/D": {}}, "w_of_lambda": {
        "A/B": "exp(-lambda/2)", "C/D": "parametric: omega(t) = t, lambda = 2*log(t/(1 - t))", "E/F": "x"}})
    parts = nd.kg_weight_plot(kg)
    assert [type(p) for p in parts] == [nd.Figure]  # E/F is not a matched pair; A/B and C/D are drawn
    bad = SimpleNamespace(id="kg", evidence={"w_of_lambda": {"A/B": "exp(-lambda/2)", "E/F": "no closed form"}})
    assert "E/F" in nd.kg_weight_plot(bad)[1].text
    fd = SimpleNamespace(id="peers", evidence={"fd": {"d2": {"flow/euler": {"10": 0.1, "20": 0.05},
                                                             "MSE/euler": {"10": 0.2, "20": 0.06}}}})
    assert len(nd.fd_nfe_plots(fd)) == 1


def test_evidence_lines_are_capped():
    lines = nd.evidence_lines({"a": list(range(100)), "b": {str(i): {"x": i} for i in range(40)}}, max_items=5)
    assert lines[0].startswith("a: 0, 1, 2") and "... 35 more" in "\n".join(lines)
    assert len(lines) < 20


def test_quick_flag(monkeypatch):
    monkeypatch.setenv(nd.QUICK_ENV, "0")
    assert not nd.quick()
    monkeypatch.setenv(nd.QUICK_ENV, "1")
    assert nd.quick()
