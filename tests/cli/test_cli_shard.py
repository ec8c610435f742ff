"""``flow step … --shard I/N`` through the real CLI: parts partition the logs; bad values exit 2."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.cli import flow_cli
from helpers.logs import LogFactory, read_header


@pytest.fixture
def many(work: Path, make_logs: LogFactory) -> list[Path]:
    return make_logs(work / "logs", n=10)


def test_parts_tag_every_log_once_and_json_reports_merge(many: list[Path]) -> None:
    reports = []
    for i in range(3):
        result = flow_cli("step", "tag", "logs", "--add", f"p{i}", "--shard", f"{i}/3", "--json")
        assert result.code == 0, result
        reports.append(json.loads(result.stdout))
    for path in many:
        assert len([t for t in read_header(path).tags if t.startswith("p")]) == 1
    # the merge that docs/scale.md shows with jq: logs concatenated, summaries added up
    logs = [entry["path"] for report in reports for entry in report["logs"]]
    assert sorted(logs) == sorted(f"logs/{p.name}" for p in many)
    written = sum(report["summary"].get("written", 0) for report in reports)
    assert written == len(many) and all(report["ok"] for report in reports)
    shard_notes = [n["message"] for r in reports for n in r["notices"] if n["kind"] == "shard"]
    assert [m.split(":")[0] for m in shard_notes] == ["Shard 0/3", "Shard 1/3", "Shard 2/3"]
    assert all(m.endswith("of 10 logs") for m in shard_notes)


def test_shard_notice_and_dry_run(many: list[Path]) -> None:
    result = flow_cli("step", "metadata", "logs", "--set", "k=v", "--shard", "1/2", "--dry-run")
    assert result.code == 0, result
    assert any(line.startswith("Shard 1/2: ") for line in result.err_lines())
    previews = [line for line in result.out_lines() if line.startswith("would write")]
    assert 0 < len(previews) < len(many)


def test_copy_is_sharded_by_source(many: list[Path], work: Path) -> None:
    for i in range(2):
        result = flow_cli("step", "copy", "logs", "--dest", "out", "--shard", f"{i}/2")
        assert result.code == 0, result
    assert sorted(p.name for p in (work / "out").rglob("*.eval")) == sorted(p.name for p in many)


@pytest.mark.parametrize("bad", ["3/3", "0/0", "x", "1", "-1/2", "1/2/3", ""])
def test_bad_shard_is_a_one_line_usage_error(many: list[Path], bad: str) -> None:
    before = {p: p.read_bytes() for p in many}
    result = flow_cli("step", "tag", "logs", "--add", "x", "--shard", bad)
    assert result.code == 2, result
    assert len(result.err_lines()) == 1
    assert "--shard" in result.stderr and "Invalid shard" in result.stderr
    assert {p: p.read_bytes() for p in many} == before


def test_empty_part_exits_zero(work: Path, make_logs: LogFactory) -> None:
    make_logs(work / "one", n=1)
    codes = []
    for i in range(6):
        result = flow_cli("step", "tag", "one", "--add", "x", "--shard", f"{i}/6")
        codes.append(result.code)
        assert result.code == 0, result
    assert sum("x" in read_header(p).tags for p in (work / "one").glob("*.eval")) == 1


JQ_MERGE = (
    "{ok: (map(.ok) | all), logs: map(.logs[]), notices: map(.notices[]),"
    " summary: (map(.summary | to_entries[]) | group_by(.key)"
    " | map({key: .[0].key, value: (map(.value) | add)}) | from_entries)}"
)
"""The merge of the parts' ``--json`` reports shown in docs/scale.md (``jq -s "$JQ_MERGE"``)."""


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_documented_jq_merge(many: list[Path], work: Path) -> None:
    files = []
    for i in range(3):
        result = flow_cli("step", "tag", "logs", "--add", "m", "--shard", f"{i}/3", "--json")
        assert result.code == 0, result
        files.append(work / f"part-{i}.json")
        files[-1].write_text(result.stdout)
    assert JQ_MERGE in (Path(__file__).parents[2] / "docs" / "scale.md").read_text()
    merged = json.loads(
        subprocess.run(
            ["jq", "-s", JQ_MERGE, *map(str, files)], capture_output=True, text=True, check=True
        ).stdout
    )
    assert merged["ok"] is True
    assert merged["summary"] == {"written": len(many)}
    assert sorted(e["path"] for e in merged["logs"]) == sorted(f"logs/{p.name}" for p in many)
