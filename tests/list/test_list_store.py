"""``flow list log`` without PATH: the logs of the Flow Store, missing ones listed as such."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.cli import flow_cli
from helpers.logs import LogFactory


def test_lists_the_store_and_its_missing_logs(work: Path, make_logs: LogFactory) -> None:
    kept = make_logs(work / "logs" / "a", n=2)
    gone = make_logs(work / "logs" / "b", n=1, status="error")[0]
    imported = flow_cli("store", "import", "logs", "--store", "st")
    assert imported.code == 0, imported
    gone.unlink()
    result = flow_cli("list", "log", "--store", "st", "--oneline", env={"COLUMNS": "200"})
    assert result.code == 0, result
    rows = result.out_lines()
    assert rows[0].startswith("[1]  ") and "missing" in rows[0]
    assert rows[0].endswith(f"logs/b/{gone.name}  no longer exists")
    assert [r.split()[-1] for r in rows[1:]] == [f"logs/a/{p.name}" for p in reversed(kept)]
    assert result.err_lines() == [
        "⚠ 1 store log no longer exists (listed above); "
        "`flow store remove --missing` drops it from the store"
    ]
    data = json.loads(flow_cli("list", "log", "--store", "st", "--json").stdout)
    assert data["summary"] == {"listed": 2, "unreadable": 0, "missing": 1}
    assert data["missing"] == [{"log_file": f"logs/b/{gone.name}"}]
    multiline = flow_cli("list", "log", "--store", "st", "-1")
    assert multiline.stdout == f"[1] logs/b/{gone.name}\nStatus    missing (no longer exists)\n\n"


def test_path_wins_over_store(work: Path, make_logs: LogFactory) -> None:
    logs = make_logs(work / "logs", n=1)
    result = flow_cli("list", "log", "logs", "--store", "nowhere", "--json")
    assert result.code == 0, result
    assert [e["log_file"] for e in json.loads(result.stdout)["logs"]] == [f"logs/{logs[0].name}"]


def test_missing_store_is_an_error(work: Path) -> None:
    result = flow_cli("list", "log", "--store", "nostore")
    assert result.code == 1 and result.stdout == ""
    assert len(result.err_lines()) == 1
    assert result.stderr.startswith("✗ Error: Store not found at nostore")
    assert not (work / "nostore").exists()  # listing never creates a store


def test_list_logs_api_on_a_store(work: Path, make_logs: LogFactory) -> None:
    from inspect_flow.api import list_logs, store_get

    logs = make_logs(work / "logs", n=3)
    assert flow_cli("store", "import", "logs", "--store", "st").code == 0
    expected = [f"file://{p}" for p in reversed(logs)]
    assert list_logs(store=str(work / "st")) == expected
    assert list_logs(store=store_get(str(work / "st"), create=False)) == expected


def test_store_from_the_environment_and_none(work: Path, make_logs: LogFactory) -> None:
    logs = make_logs(work / "logs", n=1)
    assert flow_cli("store", "import", "logs", "--store", "envstore").code == 0
    result = flow_cli("list", "log", "--json", env={"INSPECT_FLOW_STORE": "envstore"})
    assert result.code == 0, result
    assert [e["log_file"] for e in json.loads(result.stdout)["logs"]] == [f"logs/{logs[0].name}"]
    none = flow_cli("list", "log", "--store", "none")
    assert none.code == 2 and len(none.err_lines()) == 1
