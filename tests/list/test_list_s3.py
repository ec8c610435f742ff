"""``flow list log s3://…`` on the moto server: the local listing, reading only what it shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers.cli import flow_cli
from helpers.list_corpus import CORPUS
from helpers.logs import LogFactory
from helpers.s3 import RequestLog, upload_dir

NAMES = [Path(rel).name for rel, *_ in CORPUS]


def test_s3_listing_matches_local(
    corpus: list[Path], work: Path, s3_bucket: str, s3_client: Any
) -> None:
    upload_dir(work / "logs", f"{s3_bucket}/logs", s3_client, pattern="*.*")
    result = flow_cli("list", "log", f"{s3_bucket}/logs", "--oneline", env={"COLUMNS": "200"})
    assert result.code == 0, result
    local = flow_cli("list", "log", "logs", "--oneline", env={"COLUMNS": "200"}).stdout
    # same rows, S3 locations instead of local paths, and no viewer URL (local flow.yaml only)
    expected = [
        line.replace("logs/", f"{s3_bucket}/logs/", 1)
        for line in local.splitlines()
        if "https://" not in line
    ]
    assert result.stdout.splitlines() == expected
    data = json.loads(flow_cli("list", "log", f"{s3_bucket}/logs/", "--json").stdout)
    assert [e["log_file"] for e in data["logs"]][:2] == [
        f"{s3_bucket}/logs/a/{NAMES[2]}",
        f"{s3_bucket}/logs/a/{NAMES[1]}",
    ]
    assert data["logs"][2]["tags"] == ["foo"] and len(data["logs"][2]["log_updates"]) == 3
    tree = flow_cli("list", "log", f"{s3_bucket}/logs", "--format", "tree")
    assert tree.out_lines()[0] == f"{s3_bucket}/logs"


def test_s3_max_count_reads_only_the_headers_shown(
    work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    logs = make_logs(work / "src", n=12)
    upload_dir(work / "src", f"{s3_bucket}/logs", s3_client)
    s3_requests.clear()
    result = flow_cli("list", "log", f"{s3_bucket}/logs", "-n", "2", "--json")
    assert result.code == 0, result
    shown = [e["log_file"] for e in json.loads(result.stdout)["logs"]]
    assert shown == [f"{s3_bucket}/logs/{p.name}" for p in reversed(logs[-2:])]
    gets = {r.key for r in s3_requests.filter(method="GET") if r.key}
    assert gets == {f"logs/{p.name}" for p in logs[-2:]}


def test_store_of_s3_logs_lists_deleted_objects_as_missing(
    work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    logs = make_logs(work / "src", n=3)
    uris = upload_dir(work / "src", f"{s3_bucket}/logs", s3_client)
    assert flow_cli("store", "import", f"{s3_bucket}/logs", "--store", "st").code == 0
    bucket = s3_bucket.removeprefix("s3://")
    s3_client.delete_object(Bucket=bucket, Key=f"logs/{logs[-1].name}")
    result = flow_cli("list", "log", "--store", "st", "--json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["missing"] == [{"log_file": uris[-1]}]
    assert [e["log_file"] for e in data["logs"]] == [uris[1], uris[0]]
