"""A few runs of the installed `flow` script in a subprocess (real streams, real exit codes)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from helpers.logs import LogFactory, read_header
from helpers.s3 import upload_dir

FLOW = str(Path(sys.executable).parent / "flow")


def flow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOW, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_tag_run_separates_data_and_status(tmp_path: Path, make_logs: LogFactory) -> None:
    logs = make_logs(tmp_path / "logs", n=2)
    proc = flow("step", "tag", "logs", "--add", "reviewed", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "  tag(logs=2, add=['reviewed'])\n"
    report = json.loads(proc.stdout)
    assert report["summary"] == {"written": 2}
    assert [read_header(p).tags for p in logs] == [["reviewed"], ["reviewed"]]


def test_errors_are_one_line_without_traceback(tmp_path: Path, make_logs: LogFactory) -> None:
    make_logs(tmp_path / "logs", n=1)
    (tmp_path / "_flow.py").write_text(
        textwrap.dedent(
            """
            from inspect_flow import step

            @step
            def crash(logs):
                return {}["missing"]
            """
        )
    )
    crashed = flow("step", "crash", "logs", cwd=tmp_path)
    assert crashed.returncode == 1
    assert crashed.stdout == ""
    line = (tmp_path / "_flow.py").read_text().splitlines().index('    return {}["missing"]') + 1
    assert crashed.stderr.splitlines() == [
        "  crash(logs=1)",
        f"✗ Error: Step 'crash' failed ({tmp_path / '_flow.py'}:{line}): KeyError: 'missing'",
    ]

    (tmp_path / "_flow.py").write_text("import os\nos.environ['X'] = 1\n")
    broken = flow("step", "tag", "logs", "--add", "x", cwd=tmp_path)
    assert (broken.returncode, broken.stdout) == (4, "")
    assert broken.stderr == (
        f"✗ Error: Error loading {tmp_path / '_flow.py'}:2: TypeError: str expected, not int\n"
    )


def test_s3_through_the_installed_script(
    tmp_path: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    make_logs(tmp_path / "src", n=1)
    [uri] = upload_dir(tmp_path / "src", f"{s3_bucket}/logs", s3_client)
    proc = flow("step", "tag", f"{s3_bucket}/logs/", "--add", "x", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "tag: 1 written\n"
    assert read_header(uri).tags == ["x"]
