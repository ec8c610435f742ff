"""A killed import leaves the store as it was (readable, every earlier row there); a re-run
completes it. Delta commits are all or nothing: rows appear only with their commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from helpers.logs import LogFactory
from helpers.store import read_table, uri

from inspect_flow.api import store_get


def test_an_import_killed_midway_loses_nothing(work: Path, make_logs: LogFactory) -> None:
    first = make_logs(work / "first", n=3)
    store_get("st").import_log_path("first")
    make_logs(work / "many", n=3000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspect_flow", "store", "import", "many", "--store", "st"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # the import has started reading the 3000 headers
        if "Importing logs to store" in line:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    assert [row["log_path"] for row in read_table(work / "st")] == sorted(map(uri, first))
    result = store_get("st", create=False).import_log_path("many")
    assert result.ok and len(result.imported) == 3000
    assert len(read_table(work / "st")) == 3003
