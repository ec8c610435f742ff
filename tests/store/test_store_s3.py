"""A store on S3 (the moto server), and S3 logs in a local store, through the real CLI.

Commands run in subprocesses: deltalake's queries hold the GIL while they fetch, and the test S3
server runs in the pytest process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.logs import LogFactory, read_header
from helpers.s3 import list_keys, upload_dir


def flow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspect_flow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def listed(root: str, cwd: Path) -> list[str]:
    proc = flow("store", "list", "--json", "--store", root, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout)["logs"])


def test_a_store_on_s3(work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any) -> None:
    make_logs(work / "src" / "a", n=2)
    make_logs(work / "src" / "a" / "sub", n=1, fmt="json")
    s3_logs = upload_dir(work / "src", f"{s3_bucket}/logs", s3_client)
    local = make_logs(work / "local", n=1)
    root = f"{s3_bucket}/team"

    imported = flow("store", "import", f"{s3_bucket}/logs", "local", "--store", root, cwd=work)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines()[-1] == "✓ Imported 4 new logs to store"
    assert f"Using store (read-write): {root}" in imported.stderr
    keys = list_keys(s3_client, root)
    assert any(
        k.endswith("flow_store/_table_logs/_delta_log/00000000000000000000.json") for k in keys
    )
    assert listed(root, work) == sorted(s3_logs + ["file://" + str(local[0])])

    info = flow("store", "info", "--json", "--store", root, cwd=work)
    assert json.loads(info.stdout) == {"path": root, "logs": 4, "log_dirs": 3, "version": "0.2.0"}

    tagged = flow("step", "tag", "--store", root, "--add", "team", "--exclude", "x.py@y", cwd=work)
    assert tagged.returncode == 2  # a bad filter file is a usage error, before anything runs
    tagged = flow("step", "tag", "--store", root, "--add", "team", cwd=work)
    assert tagged.returncode == 0, tagged.stderr
    assert [read_header(u).tags for u in s3_logs] == [["team"]] * 3
    assert read_header(local[0]).tags == ["team"]

    removed = flow("store", "remove", f"{s3_bucket}/logs/a", "-R", "--store", root, cwd=work)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines()[-1] == "✓ Removed 2 logs from store"

    bucket, key = s3_logs[-1][len("s3://") :].split("/", 1)
    s3_client.delete_object(Bucket=bucket, Key=key)  # the .json in a/sub
    missing = flow("store", "remove", "--missing", "--store", root, cwd=work)
    assert missing.returncode == 0, missing.stderr
    assert missing.stdout.splitlines() == [s3_logs[-1], "✓ Removed 1 log from store"]
    assert listed(root, work) == ["file://" + str(local[0])]

    deleted = flow("store", "delete", "-y", "--store", root, cwd=work)
    assert deleted.returncode == 0, deleted.stderr
    assert not [k for k in list_keys(s3_client, root) if "/flow_store/" in k]
    gone = flow("store", "info", "--store", root, cwd=work)
    assert gone.returncode == 1 and "Store not found" in gone.stderr


def test_copy_to_s3_indexes_the_copies(
    work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    logs = make_logs(work / "logs", n=2)
    assert flow("store", "import", "logs", "--store", "st", cwd=work).returncode == 0
    dest = f"{s3_bucket}/copies"
    copied = flow("step", "copy", "--store", "st", "--dest", dest, "--json", cwd=work)
    assert copied.returncode == 0, copied.stderr
    copies = sorted(f"{dest}/{p.name}" for p in logs)
    assert json.loads(copied.stdout)["store"]["indexed"] == copies
    assert listed("st", work) == sorted(copies + ["file://" + str(p) for p in logs])


def test_copy_from_s3_into_a_local_store(
    work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    # the store is local, so this runs in-process (only S3 *store* reads need a subprocess)
    from helpers.cli import flow_cli
    from helpers.store import read_table

    make_logs(work / "src", n=2)
    make_logs(work / "src" / "sub", n=1, fmt="json")
    uploaded = upload_dir(work / "src", f"{s3_bucket}/logs", s3_client)
    result = flow_cli(
        "store", "import", "dest", "--copy-from", f"{s3_bucket}/logs", "--store", "st"
    )
    assert result.code == 0, result
    copies = sorted("file://" + str(work / "dest" / u.split("/logs/", 1)[1]) for u in uploaded)
    assert [row["log_path"] for row in read_table(work / "st")] == copies
    assert (work / "dest" / "sub").is_dir()
