"""``@step`` keeps the decorated function's signature for type checkers (mypy, strict)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SNIPPET = """
from inspect_ai.log import EvalLog

from inspect_flow import step
from inspect_flow.api import run_step


@step
def grade(logs: list[EvalLog], *, threshold: float = 0.5, label: str = "ok") -> list[EvalLog]:
    return logs


good: list[EvalLog] = grade(["logs/"], threshold=0.9)
also_good: list[EvalLog] = grade("logs/", label="x")
bad_option = grade(["logs/"], threshold="high")
unknown_option = grade(["logs/"], nope=1)
report = run_step(grade, "logs/", filter=["reviewed", lambda log: True], exclude="draft")
bad_filter = run_step(grade, "logs/", filter=3)
"""


@pytest.mark.slow  # runs mypy --strict on a snippet (~5 s)
def test_step_keeps_the_signature_for_mypy(tmp_path: Path) -> None:
    from mypy import api

    source = tmp_path / "typed_steps.py"
    source.write_text(SNIPPET)
    src = Path(__file__).resolve().parents[2] / "src"
    env_path = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(src)
    try:
        out, err, _ = api.run(
            ["--strict", "--no-incremental", "--follow-imports=silent", str(source)]
        )
    finally:
        if env_path is None:
            os.environ.pop("MYPYPATH", None)
        else:
            os.environ["MYPYPATH"] = env_path
    errors = [line for line in out.splitlines() if ": error:" in line]
    lines = sorted({int(line.split(":")[1]) for line in errors})
    text = SNIPPET.splitlines()
    flagged = [text[n - 1].split(" = ")[0] for n in lines]
    assert flagged == ["bad_option", "unknown_option", "bad_filter"], out + err
