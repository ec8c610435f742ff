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


@pytest.mark.parametrize("case", sorted(CASES))
def test_colours_change_nothing_but_colours(corpus: list[Path], case: str) -> None:
    import re

    from inspect_flow._cli.render import list as render
    from inspect_flow._list import list_entries

    listing = list_entries("logs")
    args = CASES[case]
    provenance = "--provenance" in args
    if "tree" in args:
        lines = render.tree(listing, 80, provenance, colour=True)
    elif "--oneline" in args:
        lines = render.oneline(listing, 80, provenance, colour=True)
    else:
        lines = render.multiline(listing, provenance, colour=True)
    text = "\n".join(lines) + "\n"
    assert "\x1b[32msuccess\x1b[0m" in text and "\x1b[33mcancelled\x1b[0m" in text
    assert "\x1b[1m[1]\x1b[0m" in text and "\x1b[36mgreeting\x1b[0m" in text
    assert re.sub(r"\x1b\[[0-9;]*m", "", text) == (GOLDEN / f"{case}_80.txt").read_text()
