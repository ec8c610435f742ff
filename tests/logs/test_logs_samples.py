"""Sample counts beyond the header (``flow check``): many logs counted on one event loop, with the
same numbers inspect_ai's per-log readers give, errors per log, order kept, local and S3."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header, read_log
from helpers.s3 import upload_file
from inspect_ai.log import (
    ProvenanceData,
    invalidate_samples,
    read_eval_log_sample_summaries,
    write_eval_log,
)

from inspect_flow._check.counting import valid_samples, valid_samples_all
from inspect_flow._logs import count_samples


def _completed(path: str) -> int:
    """The reference count: inspect_ai's own sync reader, one log at a time."""
    return sum(1 for s in read_eval_log_sample_summaries(path) if s.completed and s.error is None)


def _invalidated(path: Path) -> Path:
    log = read_log(path)
    assert log.samples
    first = log.samples[0].uuid
    assert first is not None
    write_eval_log(invalidate_samples(log, [first], ProvenanceData(author="me")), str(path))
    return path


@pytest.fixture
def mixed(make_logs: LogFactory, tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "logs"
    return {
        "success": make_logs(root, n=1, samples=4)[0],
        "error-eval": make_logs(root, n=1, status="error", samples=3)[0],
        "error-json": make_logs(root, n=1, fmt="json", status="error", samples=4)[0],
        "started": make_logs(root, n=1, status="started", samples=3)[0],
        "invalidated": _invalidated(make_logs(root, n=1, samples=4)[0]),
    }


def test_counts_match_inspect_and_keep_order(
    mixed: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspect_ai.log

    expected = {
        name: _completed(str(path)) for name, path in mixed.items() if name != "invalidated"
    }
    expected["invalidated"] = 3  # 4 samples, one invalidated
    loops: list[object] = []
    real_run = asyncio.run

    def counting_run(coro: Any, **kwargs: Any) -> Any:
        loops.append(coro)
        return real_run(coro, **kwargs)

    def no_sync_reader(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a per-log event loop")

    monkeypatch.setattr(asyncio, "run", counting_run)
    monkeypatch.setattr(inspect_ai.log, "read_eval_log_sample_summaries", no_sync_reader)
    monkeypatch.setattr(inspect_ai.log, "read_eval_log", no_sync_reader)
    names = ["started", "invalidated", "error-json", "error-eval"] * 2
    requests: list[tuple[str, Any]] = [
        (str(mixed[n]), "valid" if n == "invalidated" else "completed") for n in names
    ]

    counts = count_samples(requests)

    assert counts == [expected[n] for n in names]
    assert len(loops) == 1  # all eight on one event loop
    assert expected["error-eval"] == 2 and expected["error-json"] == 3  # the last sample errored


def test_a_failed_read_counts_zero_for_that_log_only(
    mixed: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {name: read_header(path) for name, path in mixed.items()}
    for name, header in headers.items():
        header.location = "file://" + str(mixed[name])
    gone = mixed["error-json"]
    gone.unlink()  # vanished between the header read and the count

    with caplog.at_level(logging.WARNING):
        counts = valid_samples_all([(headers[n], 1, None) for n in headers])

    assert counts == [4, 2, 0, _completed(str(mixed["started"])), 3]
    warnings = [r.getMessage() for r in caplog.records if "Could not count" in r.getMessage()]
    assert len(warnings) == 1 and f"file://{gone}" in warnings[0]
    assert valid_samples(headers["error-eval"], 1, ["max"]) == 0  # the task names another reducer


def test_s3_and_local_logs_together(make_logs: LogFactory, tmp_path: Path, s3_bucket: str) -> None:
    (local,) = make_logs(tmp_path / "logs", n=1, status="error", samples=3)
    remote = [
        upload_file(p, f"{s3_bucket}/logs/")
        for p in make_logs(tmp_path / "up", n=3, fmt="json", status="error", samples=4)
    ]
    requests: list[tuple[str, Any]] = [(u, "completed") for u in remote]
    requests.insert(1, ("file://" + str(local), "completed"))
    requests.append((f"{s3_bucket}/logs/missing.eval", "completed"))

    counts = count_samples(requests)

    assert counts[:4] == [3, 2, 3, 3]
    assert isinstance(counts[4], Exception)
