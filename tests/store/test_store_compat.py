"""Stores are interchangeable with Flow 0.14: tables it writes are read and written, and the
tables we write have its layout (schema, description, protocol, one commit per import, DELETE
for removals), including the migration of a table without ``task_identifier_3``."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.cli import flow_cli
from helpers.store import delta_log, identifier, make_014_table, read_table, uri

from inspect_flow.api import store_get


def _metadata(root: Path) -> dict[str, object]:
    for commit in delta_log(root):
        for action in commit:
            if "metaData" in action:
                return dict(action["metaData"])
    raise AssertionError("no metaData action")


def test_a_new_store_has_the_documented_layout(work: Path) -> None:
    store_get("st")
    commits = delta_log(work / "st")
    assert len(commits) == 1  # commit 0: the empty table
    protocol = next(a["protocol"] for a in commits[0] if "protocol" in a)
    assert protocol == {
        "minReaderVersion": 3,
        "minWriterVersion": 7,
        "readerFeatures": ["timestampNtz"],
        "writerFeatures": ["timestampNtz"],
    }
    meta = _metadata(work / "st")
    assert meta["name"] == "_table_logs"
    assert json.loads(str(meta["description"])) == {"name": "_table_logs", "version": "0.2.0"}
    schema = json.loads(str(meta["schemaString"]))
    assert [(f["name"], f["type"], f["nullable"]) for f in schema["fields"]] == [
        ("log_path", "string", True),
        ("task_identifier_3", "string", True),
        ("ts", "timestamp_ntz", True),
    ]
    commit_info = next(a["commitInfo"] for a in commits[0] if "commitInfo" in a)
    assert commit_info["operation"] == "CREATE TABLE"
    assert commit_info["operationParameters"]["mode"] == "ErrorIfExists"


def test_one_commit_per_import_and_delete_for_removal(
    work: Path, project: dict[str, list[Path]]
) -> None:
    store = store_get("st")
    store.import_log_path("logs", recursive=True)
    store.import_log_path("logs_1")
    store.remove_log_prefix("logs/a")
    commits = delta_log(work / "st")
    assert len(commits) == 4
    adds = [[a for a in c if "add" in a] for c in commits[1:3]]
    assert [len(a) for a in adds] == [1, 1]  # one parquet file per import
    info = next(a["commitInfo"] for a in commits[3] if "commitInfo" in a)
    assert info["operation"] == "DELETE"
    predicate = info["operationParameters"]["predicate"]
    assert all(uri(p) in predicate for p in project["a"])


def test_reads_and_extends_a_014_store(work: Path, project: dict[str, list[Path]]) -> None:
    a0, a1 = project["a"][:2]
    make_014_table(work / "st", [(uri(a0), identifier(a0)), (uri(a1), identifier(a1))])
    store = store_get("st", create=False)
    assert store.get_logs() == {uri(a0), uri(a1)}
    assert store.import_log_path("logs/a").imported == [uri(project["a"][2])]
    rows = read_table(work / "st")  # read back by deltalake alone
    assert [r["log_path"] for r in rows] == sorted(uri(p) for p in project["a"])
    assert len({r["task_identifier_3"] for r in rows}) == 1
    result = flow_cli("store", "info", "--store", "st", "--json")
    assert result.code == 0, result
    assert json.loads(result.stdout)["logs"] == 3


def test_a_table_without_identifiers_is_migrated(
    work: Path, project: dict[str, list[Path]]
) -> None:
    a0, a1 = project["a"][:2]
    make_014_table(work / "st", [(uri(a0), None), (uri(a1), None)], old_schema=True)
    store = store_get("st", create=False)
    assert store.get_logs() == {uri(a0), uri(a1)}  # readable before any migration
    assert store.identifiers() == {uri(a0): None, uri(a1): None}

    # an import adds the column first, then its rows
    store.import_log_path(str(project["a"][2]))
    assert "task_identifier_3" in read_table(work / "st")[0]

    assert store.update_identifiers() == 2
    expected = identifier(a0)
    assert store.identifiers() == {uri(p): expected for p in project["a"]}
    assert {r["task_identifier_3"] for r in read_table(work / "st")} == {expected}
    assert store.update_identifiers() == 0


def test_empty_identifiers_are_recomputed(work: Path, project: dict[str, list[Path]]) -> None:
    a0 = project["a"][0]
    raw = f"file://{work}/x/../logs/a/{a0.name}"  # the same log, as Flow 0.14 may have stored it
    make_014_table(work / "st", [(uri(a0), ""), (raw, None)])
    store = store_get("st", create=False)
    assert store.update_identifiers() == 2
    assert store.identifiers() == {uri(a0): identifier(a0)}
    assert {r["task_identifier_3"] for r in read_table(work / "st")} == {identifier(a0)}
