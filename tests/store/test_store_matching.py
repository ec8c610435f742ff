"""Finding a task's stored logs by identity, and the best of them (for ``flow run``)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.logs import LogFactory
from helpers.store import identifier, make_014_table, uri

from inspect_flow._store import best_log, find_logs
from inspect_flow.api import store_get


def _edit(path: Path, completed_at: str, failed_samples: int = 0) -> None:
    """Give a .json log a later completion time and some failed samples."""
    data = json.loads(path.read_text())
    data["stats"]["completed_at"] = completed_at
    for sample in data["samples"][:failed_samples]:
        sample["error"] = {"message": "boom", "traceback": "", "traceback_ansi": ""}
    path.write_text(json.dumps(data))


def test_find_and_choose_the_best_log(work: Path, make_logs: LogFactory) -> None:
    good, worse, newer = make_logs(work / "logs", n=3, fmt="json", samples=3)
    other = make_logs(work / "other", n=1, samples=2)
    _edit(worse, "2099-01-01T00:00:00+00:00", failed_samples=1)
    _edit(newer, "2098-01-01T00:00:00+00:00")
    store = store_get("st")
    store.import_log_path(["logs", "other"])
    ident = identifier(good)
    assert identifier(worse) == identifier(newer) == ident != identifier(other[0])

    found = find_logs(store, [ident, "nosuch"])
    assert sorted(log.location for log in found[ident]) == sorted(map(uri, [good, worse, newer]))
    assert found["nosuch"] == []
    best = best_log(found[ident])  # most valid samples first, then the latest completion
    assert best is not None and best.location == uri(newer)
    best = best_log([log for log in found[ident] if log.location != uri(newer)])
    assert best is not None and best.location == uri(good)

    only = find_logs(store, [ident], filter=lambda log: log.location.endswith(worse.name))
    assert [log.location for log in only[ident]] == [uri(worse)]
    assert best_log([]) is None


def test_rows_without_identifiers_are_matched_after_migration(
    work: Path, make_logs: LogFactory
) -> None:
    logs = make_logs(work / "logs", n=2)
    make_014_table(work / "st", [(uri(p), None) for p in logs], old_schema=True)
    store = store_get("st", create=False)
    found = find_logs(store, [identifier(logs[0])])
    assert sorted(log.location for log in found[identifier(logs[0])]) == sorted(map(uri, logs))
