"""flow check with an S3 log dir, on a moto S3 server on loopback."""

from __future__ import annotations

import json
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "check"
sys.path.insert(0, str(DATA))
import corpus  # noqa: E402

from inspect_flow._cli.main import run  # noqa: E402

pytestmark = pytest.mark.s3


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bucket on a private moto server (the shared conftest fixture may replace this)."""
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="checks")
    try:
        yield "s3://checks"
    finally:
        server.stop()


def test_check_s3_log_dir(
    bucket: str,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3

    proj = corpus.build(tmp_path_factory.mktemp("corpus"))
    work = corpus.fresh_copy(proj, tmp_path / "proj")
    shutil.copy(DATA / "spec.py", work / "spec.py")
    client = boto3.client("s3")
    for path in sorted((work / "logs").rglob("*.eval")):
        key = "prod/" + str(path.relative_to(work / "logs"))
        client.upload_file(str(path), "checks", key)
    client.put_object(
        Bucket="checks",
        Key="prod/2026-01-01T00-00-00-00-00_x_AAAAAAAAAAAAAAAAAAAAAA.eval",
        Body=b"corrupt",
    )
    monkeypatch.chdir(work)
    code = run(["check", "spec.py", "--log-dir", f"{bucket}/prod/", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3
    assert data["log_dir"] == "s3://checks/prod"
    assert [(t["samples"], t["total_samples"]) for t in data["tasks"]] == [
        (3, 3),
        (2, 2),
        (2, 2),
        (1, 2),
        (0, 4),
    ]
    assert data["tasks"][3]["reason"] == "too few samples (1/2, log status error)"
    assert data["tasks"][0]["log_file"].startswith("s3://checks/prod/")
    assert [u["log"] for u in data["unreadable"]] == [
        "s3://checks/prod/2026-01-01T00-00-00-00-00_x_AAAAAAAAAAAAAAAAAAAAAA.eval"
    ]
    assert len(data["unrecognized"]) == 1
