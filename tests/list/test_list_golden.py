"""``flow list log`` output compared with golden files, at 80 and 200 columns.

Set ``UPDATE_GOLDEN=1`` to rewrite the files (then read the diff before committing it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import flow_cli

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "list"

CASES = {
    "multiline": [],
    "multiline_provenance": ["--provenance"],
    "oneline": ["--oneline"],
    "oneline_provenance": ["--oneline", "--provenance"],
    "tree": ["--format", "tree"],
    "tree_provenance": ["--format", "tree", "--provenance"],
}


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_output(corpus: list[Path], case: str, columns: int) -> None:
    result = flow_cli("list", "log", "logs", *CASES[case], env={"COLUMNS": str(columns)})
    assert result.code == 0, result
    assert result.stderr == ""
    golden = GOLDEN / f"{case}_{columns}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()
