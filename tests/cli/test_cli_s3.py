"""The real CLI on S3 paths (the moto server on loopback): tag, metadata, filters and copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import LogFactory, read_header
from helpers.s3 import list_keys, upload_dir


@pytest.fixture
def s3_logs(work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any) -> list[str]:
    """Two .eval logs and one .json log under s3://bucket/logs/ (one in a subfolder)."""
    make_logs(work / "src", n=2)
    make_logs(work / "src" / "sub", n=1, fmt="json")
    return upload_dir(work / "src", f"{s3_bucket}/logs", s3_client)


def test_tag_and_metadata_on_s3(s3_logs: list[str], s3_bucket: str) -> None:
    result = flow_cli("step", "tag", f"{s3_bucket}/logs/", "--add", "x")
    assert result.code == 0, result
    assert result.err_lines() == ["  tag(logs=3, add=['x'])"]
    assert result.out_lines() == ["tag: 3 written"]
    assert [read_header(uri).tags for uri in s3_logs] == [["x"]] * 3

    meta = flow_cli("step", "metadata", s3_logs[0], "--set", "score=0.95", "--json")
    assert meta.code == 0, meta
    report = json.loads(meta.stdout)
    assert report["logs"] == [
        {
            "location": s3_logs[0],
            "path": s3_logs[0],  # S3 locations are shown as they are
            "status": "written",
            "detail": "",
            "changes": ["metadata +score=0.95"],
        }
    ]
    assert read_header(s3_logs[0]).metadata == {"score": 0.95}


def test_filters_and_dry_run_on_s3(work: Path, s3_logs: list[str], s3_bucket: str) -> None:
    write_file(
        work / "_flow.py",
        """
        from inspect_flow import log_filter

        @log_filter
        def is_json(log):
            return log.location.endswith(".json")
        """,
    )
    result = flow_cli(
        "step", "tag", f"{s3_bucket}/logs", "--add", "j", "--filter", "is_json", "--dry-run"
    )
    assert result.code == 0, result
    assert "Filter: is_json — 1/3 logs matched" in result.err_lines()
    assert result.out_lines() == [
        f"would write {s3_logs[2]}: tags +j",
        "[DRY RUN] tag: 1 would write",
    ]
    assert read_header(s3_logs[2]).tags == []
    missing = flow_cli("step", "tag", f"{s3_bucket}/nothing-here", "--add", "x")
    assert missing.code == 2
    assert missing.err_lines() == [f"✗ Error: Path not found: {s3_bucket}/nothing-here"]


def test_copy_local_to_s3_and_s3_to_s3(
    work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    local = make_logs(work / "logs", n=2)
    up = flow_cli("step", "copy", "logs", "--dest", f"{s3_bucket}/prod/")
    assert (up.code, up.out_lines()) == (0, ["copy: 2 copied"]), up
    bucket = s3_bucket.removeprefix("s3://")
    assert list_keys(s3_client, f"{s3_bucket}/prod") == [f"prod/{p.name}" for p in local]

    server_side = flow_cli(
        "step", "copy", f"{s3_bucket}/prod", "--dest", f"{s3_bucket}/archive", "--suffix", "+a"
    )
    assert server_side.code == 0, server_side
    assert list_keys(s3_client, f"{s3_bucket}/archive") == [
        f"archive/{p.stem}+a.eval" for p in local
    ]
    again = flow_cli("step", "copy", "logs", "--dest", f"{s3_bucket}/prod")
    assert (again.code, again.out_lines()) == (0, ["copy: 2 skipped"])
    assert f"⚠ Skipping (already exists): s3://{bucket}/prod/{local[0].name}" in again.err_lines()

    down = flow_cli("step", "copy", f"{s3_bucket}/archive", "--dest", "back")
    assert down.code == 0, down
    assert sorted(p.name for p in (work / "back").iterdir()) == [f"{p.stem}+a.eval" for p in local]
