"""flow check with an S3 log dir, on the suite's moto S3 server on loopback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.check_corpus import fresh_copy

from inspect_flow._cli.main import run

DATA = Path(__file__).resolve().parents[1] / "data" / "check"


def test_check_s3_log_dir(
    s3_bucket: str,
    s3_client: Any,
    check_corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = s3_bucket.removeprefix("s3://")
    work = fresh_copy(check_corpus, tmp_path / "proj")
    shutil.copy(DATA / "spec.py", work / "spec.py")
    for path in sorted((work / "logs").rglob("*.eval")):
        key = "prod/" + str(path.relative_to(work / "logs"))
        s3_client.upload_file(str(path), bucket, key)
    corrupt = "prod/2026-01-01T00-00-00-00-00_x_AAAAAAAAAAAAAAAAAAAAAA.eval"
    s3_client.put_object(Bucket=bucket, Key=corrupt, Body=b"corrupt")
    monkeypatch.chdir(work)
    code = run(["check", "spec.py", "--log-dir", f"{s3_bucket}/prod/", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3
    assert data["log_dir"] == f"{s3_bucket}/prod"
    assert [(t["samples"], t["total_samples"]) for t in data["tasks"]] == [
        (3, 3),
        (2, 2),
        (2, 2),
        (1, 2),
        (0, 4),
    ]
    assert data["tasks"][3]["reason"] == "too few samples (1/2, log status error)"
    assert data["tasks"][0]["log_file"].startswith(f"{s3_bucket}/prod/")
    assert [u["log"] for u in data["unreadable"]] == [f"{s3_bucket}/{corrupt}"]
    assert len(data["unrecognized"]) == 1
