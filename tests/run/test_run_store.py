"""flow run with the Flow Store: reuse across log dirs, filters, dry runs, indexing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers.cli import flow_cli, flow_subprocess, write_file

from inspect_flow._logs import expand_paths, normalize
from inspect_flow._store import store_get


def eval_logs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.eval"))


def stored(proj: Path) -> set[str]:
    return store_get(str(proj.parent / "store"), create=False).get_logs()


def test_a_run_indexes_its_completed_logs(proj: Path) -> None:
    result = flow_cli("run", "spec.py")
    assert result.code == 0, result
    assert "Using store (write only): " in result.stderr
    assert "✓ Imported 2 new logs to store" in result.stderr
    assert stored(proj) == {normalize(str(p)) for p in eval_logs(proj / "logs")}


def test_store_logs_are_reused_in_another_log_dir(proj: Path) -> None:
    assert flow_cli("run", "spec.py", "--log-dir", "first").code == 0
    originals = eval_logs(proj / "first")
    result = flow_cli("run", "spec.py", "--log-dir", "second", "--store-read", "--display", "plain")
    assert result.code == 0, result
    assert "Using store (read-write): " in result.stderr
    assert "Found 2 existing logs in store. Copying to log directory" in result.stderr
    assert "Running 2 tasks (2 tasks complete)" in result.stdout
    copies = eval_logs(proj / "second")
    assert [p.name for p in copies] == [p.name for p in originals], "nothing new was run"
    assert [p.read_bytes() for p in copies] == [p.read_bytes() for p in originals]
    assert result.out_lines()[-1] == "Completed 2 tasks"
    assert stored(proj) == {normalize(str(p)) for p in originals + copies}


def test_a_dry_run_copies_nothing(proj: Path) -> None:
    assert flow_cli("run", "spec.py", "--log-dir", "first").code == 0
    result = flow_cli(
        "run", "spec.py", "--log-dir", "second", "--store-read", "--dry-run", "--display", "plain"
    )
    assert result.code == 0, result
    assert "Found 2 existing logs in store (dry run: nothing copied)" in result.stderr
    assert "ℹ Would copy from store:" in result.stdout
    assert "Running 2 tasks (2 tasks complete)" in result.stdout
    assert not (proj / "second").exists()


def test_store_filter_restricts_what_is_reused(proj: Path) -> None:
    write_file(
        proj / "filters.py",
        """
        from inspect_flow import log_filter

        @log_filter
        def is_greeting(log):
            return log.eval.task == "greeting"
        """,
    )
    assert flow_cli("run", "spec.py", "--log-dir", "first").code == 0
    result = flow_cli(
        "run",
        "spec.py",
        "--log-dir",
        "second",
        "--store-read",
        "--store-filter",
        "filters.py@is_greeting",
        "--display",
        "plain",
    )
    assert result.code == 0, result
    assert "Found 1 existing log in store" in result.stderr
    first = {p.name for p in eval_logs(proj / "first")}
    second = {p.name for p in eval_logs(proj / "second")}
    assert len(first & second) == 1
    assert "greeting" in (first & second).pop()


def test_no_store_write_and_store_none(proj: Path) -> None:
    result = flow_cli("run", "spec.py", "--no-store-write")
    assert result.code == 0, result
    assert "Importing logs to store" not in result.stderr
    assert not (proj.parent / "store").exists()
    again = flow_cli("run", "spec.py", "--store", "none", "--store-read")
    assert again.code == 0, again
    assert "Using store" not in again.stderr
    assert not (proj.parent / "store").exists()


def test_store_read_of_a_missing_store_runs_everything(proj: Path) -> None:
    result = flow_cli("run", "spec.py", "--store-read", "--display", "plain")
    assert result.code == 0, result
    assert "Store not found: no logs to reuse" in result.stderr
    assert len(eval_logs(proj / "logs")) == 2
    assert len(stored(proj)) == 2


def test_store_and_logs_on_s3(proj: Path, s3_bucket: str) -> None:
    # Subprocesses: deltalake's queries hold the GIL while they fetch, and the test S3 server
    # runs in this process.
    def flow(*args: str) -> subprocess.CompletedProcess[str]:
        return flow_subprocess(*args, cwd=proj)

    store = f"{s3_bucket}/store"
    first = flow("run", "spec.py", "--log-dir", f"{s3_bucket}/first", "--store", store)
    assert first.returncode == 0, first.stderr
    assert "✓ Imported 2 new logs to store" in first.stderr
    second = flow(
        "run", "spec.py", "--log-dir", f"{s3_bucket}/second", "--store", store, "--store-read"
    )
    assert second.returncode == 0, second.stderr
    assert "Running 2 tasks (2 tasks complete)" in second.stdout
    assert second.stdout.splitlines()[-1] == "Completed 2 tasks"
    names = {
        side: sorted(loc.rsplit("/", 1)[1] for loc in expand_paths([f"{s3_bucket}/{side}"]))
        for side in ("first", "second")
    }
    assert names["first"] == names["second"], "the second run reused the first run's logs"
