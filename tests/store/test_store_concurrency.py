"""Concurrent writers never lose a row: two processes importing into one store (local and S3).

Each process imports its logs one small batch at a time (one commit per batch), and both start
together (each waits for a line on stdin), so their commits race for the same table versions.
Delta's put-if-absent commit plus our retries must leave every row in the table.

S3 reads happen in subprocesses only: deltalake's queries hold the GIL while they fetch, and the
test S3 server runs in the pytest process (a read from here would wait for a server that cannot
run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory
from helpers.s3 import upload_dir
from helpers.store import read_table, uri

from inspect_flow.api import store_get

WRITER = """
import sys
from inspect_flow.api import store_get

store = store_get(sys.argv[1], create=False)
store.get_logs()  # warm up (imports, the table) before the race starts
store.import_log_path([])
import inspect_ai.log  # noqa: E402, F401
sys.stdin.readline()
for path in sys.argv[2:]:
    if path.startswith("remove:"):
        result = store.remove_log_prefix(path[len("remove:"):])
        assert len(result.removed) == 2, result
    else:
        result = store.import_log_path(path)
        assert result.ok and len(result.imported) == 2, result
print("done", flush=True)
"""

BATCHES = 8  # commits per writer


def _race(root: str, batches: list[list[str]], cwd: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, root, *paths],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for paths in batches
    ]
    for proc in procs:  # both are ready and blocked on stdin: release them together
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.splitlines()[-1] == "done"


def _dirs(work: Path, make_logs: LogFactory, writer: str) -> list[Path]:
    dirs = []
    for batch in range(BATCHES):
        directory = work / writer / f"b{batch}"
        make_logs(directory, n=2)
        dirs.append(directory)
    return dirs


def test_two_local_writers_keep_every_row(work: Path, make_logs: LogFactory) -> None:
    store_get("st")
    one, two = _dirs(work, make_logs, "one"), _dirs(work, make_logs, "two")
    _race("st", [[str(d) for d in one], [str(d) for d in two]], work)
    expected = sorted(uri(p) for d in one + two for p in d.iterdir())
    assert [row["log_path"] for row in read_table(work / "st")] == expected
    assert store_get("st").get_logs() == set(expected)


def test_removals_racing_imports_remove_exactly_their_rows(
    work: Path, make_logs: LogFactory
) -> None:
    old = _dirs(work, make_logs, "old")
    store = store_get("st")
    for directory in old:
        store.import_log_path(str(directory))
    new = _dirs(work, make_logs, "new")
    _race("st", [[str(d) for d in new], [f"remove:{d}" for d in old]], work)
    expected = sorted(uri(p) for d in new for p in d.iterdir())
    assert [row["log_path"] for row in read_table(work / "st")] == expected


def test_two_s3_writers_keep_every_row(
    work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    root = f"{s3_bucket}/team"
    store_get(root)
    batches = []
    expected: list[str] = []
    for writer in ("one", "two"):
        uploaded = [
            upload_dir(d, f"{s3_bucket}/{writer}/{d.name}", s3_client)
            for d in _dirs(work, make_logs, writer)
        ]
        expected += [u for batch in uploaded for u in batch]
        batches.append([f"{s3_bucket}/{writer}/b{i}" for i in range(BATCHES)])
    _race(root, batches, work)
    # read back in another process: deltalake's queries hold the GIL, and the test S3 server
    # runs in this one
    listed = subprocess.run(
        [sys.executable, "-m", "inspect_flow", "store", "list", "--json", "--store", root],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(listed.stdout)["logs"] == sorted(expected)


def test_a_conflicting_commit_is_retried_on_a_fresh_snapshot(
    work: Path, make_logs: LogFactory
) -> None:
    from deltalake import DeltaTable
    from deltalake.exceptions import CommitFailedError
    from helpers.store import table_path

    from inspect_flow._store.table import with_retries

    logs = make_logs(work / "logs", n=2)
    store_get("st").import_log_path("logs")
    stale = DeltaTable(table_path(work / "st"))  # a snapshot taken before another writer's delete
    DeltaTable(table_path(work / "st")).delete(f"log_path = '{uri(logs[0])}'")
    attempts: list[str] = []

    def delete_second() -> None:
        table = stale if not attempts else DeltaTable(table_path(work / "st"))
        attempts.append("stale" if table is stale else "fresh")
        table.delete(f"log_path = '{uri(logs[1])}'")

    with_retries(delete_second)
    assert attempts == ["stale", "fresh"]  # the stale commit conflicted and was re-planned
    assert read_table(work / "st") == []

    def always_stale() -> None:
        stale.delete(f"log_path = '{uri(logs[1])}'")

    with pytest.raises(CommitFailedError):
        with_retries(always_stale, attempts=2)
