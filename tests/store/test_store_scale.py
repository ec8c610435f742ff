"""A 10,000-log import: one commit, every row, re-import and removal without re-reading logs."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import flow_cli
from helpers.logs import LogFactory
from helpers.store import delta_log

COUNT = 10_000


def test_ten_thousand_logs(work: Path, make_logs: LogFactory) -> None:
    make_logs(work / "logs", n=COUNT)
    result = flow_cli("store", "import", "logs", "--store", "st", "--display", "none")
    assert result.code == 0, result
    assert len(delta_log(work / "st")) == 2  # create + one import commit

    info = flow_cli("store", "info", "--store", "st")
    assert f"Logs:     {COUNT} logs" in info.out_lines()

    again = flow_cli("store", "import", "logs", "--store", "st")
    assert again.code == 0 and "⚠ Imported 0 new logs to store" in again.err_lines()
    assert len(delta_log(work / "st")) == 2  # nothing new: no commit

    removed = flow_cli("store", "remove", "logs", "--store", "st")
    assert removed.code == 0, removed
    assert removed.out_lines()[-1] == f"✓ Removed {COUNT} logs from store"
    assert len(delta_log(work / "st")) == 3
    empty = flow_cli("store", "list", "--store", "st", "--json")
    assert empty.stdout.split() == ["{", '"logs":', "[]", "}"]
