"""The reviewers' notebooks execute top to bottom (code cells run in order in one namespace)."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, monkeypatch, capsys):
    monkeypatch.chdir(path.parent.parent)
    nb = json.loads(path.read_text())
    namespace = {"__name__": "__notebook__"}
    ran = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            exec(compile(src, f"{path.name}[cell {ran}]", "exec"), namespace)
            ran += 1
    assert ran >= 3
    assert "erratum" in capsys.readouterr().out


def test_there_is_a_notebook():
    assert NOTEBOOKS
