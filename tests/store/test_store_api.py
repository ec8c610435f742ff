"""The store's Python API on a local store: store_get, import, get_logs, remove, delete."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.logs import LogFactory
from helpers.store import identifier, make_014_table, read_table, uri

from inspect_flow._errors import FlowUsageError, StoreNotFoundError, StoreVersionError
from inspect_flow.api import FlowStore, delete_store, store_get


def test_store_get_creates_the_default_store(work: Path) -> None:
    store = store_get()
    root = work.parent / "data" / "inspect_flow"
    assert isinstance(store, FlowStore)
    assert store.store_path == str(root)
    assert store.version == "0.2.0"
    assert (root / "flow_store" / "_table_logs" / "_delta_log").is_dir()
    assert store.get_logs() == set()


def test_store_get_without_create_refuses_a_missing_store(work: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="Store not found at nowhere") as caught:
        store_get("nowhere", create=False)
    assert isinstance(caught.value, ValueError)  # what Flow 0.14 raises
    assert not (work / "nowhere").exists()
    with pytest.raises(FlowUsageError):
        store_get("none")


def test_import_dedupes_and_records_identifiers(work: Path, project: dict[str, list[Path]]) -> None:
    store = store_get("st")
    result = store.import_log_path("logs", recursive=True)
    assert result.ok and len(result.imported) == 6 and result.already == 0
    assert store.get_logs() == {uri(p) for k in ("a", "b", "sub") for p in project[k]}
    rows = read_table(work / "st")
    assert {row["task_identifier_3"] for row in rows} == {identifier(project["a"][0])}
    assert all(row["ts"] is not None for row in rows)

    again = store.import_log_path(["logs", "logs_1"], recursive=True)
    assert again.imported == [uri(project["logs_1"][0])] and again.already == 6
    assert len(read_table(work / "st")) == 7


def test_import_is_not_recursive_by_default_in_python(project: dict[str, list[Path]]) -> None:
    store = store_get("st")
    store.import_log_path("logs/b")
    assert store.get_logs() == {uri(p) for p in project["b"]}


def test_import_skips_bad_paths_and_imports_the_rest(
    work: Path, project: dict[str, list[Path]], make_logs: LogFactory
) -> None:
    (work / "empty").mkdir()
    (work / "notes.txt").write_text("not a log")
    corrupt = make_logs.corrupt(work / "bad")
    store = store_get("st")
    result = store.import_log_path(["nope", "empty", "notes.txt", "bad", "logs/a"])
    assert not result.ok
    assert set(result.skipped) == {"nope", "empty", "notes.txt", uri(corrupt)}
    assert result.skipped["nope"] == "Path nope does not exist"
    assert result.skipped["empty"] == "No logs found in directory: empty"
    assert store.get_logs() == {uri(p) for p in project["a"]}


def test_dry_run_imports_nothing(work: Path, project: dict[str, list[Path]]) -> None:
    store = store_get("st")
    result = store.import_log_path("logs/a", dry_run=True)
    assert result.dry_run and len(result.imported) == 3
    assert store.get_logs() == set()


def test_paths_are_normalised_uris(work: Path, project: dict[str, list[Path]]) -> None:
    (work / "proj").mkdir()
    os.chdir(work / "proj")
    store = store_get("../st")
    store.import_log_path("../logs/a")
    assert store.get_logs() == {uri(p) for p in project["a"]}
    assert all("/../" not in row["log_path"] for row in read_table(work / "st"))


def test_non_normalised_rows_are_found_listed_once_and_removable(
    work: Path, project: dict[str, list[Path]]
) -> None:
    log = project["a"][0]
    raw = f"file://{work}/proj/../logs/a/{log.name}"
    ident = identifier(log)
    make_014_table(work / "st", [(raw, ident), (uri(log), ident)])
    store = store_get("st", create=False)
    assert store.get_logs() == {uri(log)}
    # a re-import of the same log adds nothing: the old row is recognised
    assert store.import_log_path(str(log)).imported == []
    removed = store.remove_log_prefix("logs/a")
    assert removed.removed == [uri(log)]
    assert read_table(work / "st") == []


def test_prefix_removal_respects_path_boundaries(
    work: Path, project: dict[str, list[Path]]
) -> None:
    store = store_get("st")
    store.import_log_path(["logs", "logs_1"], recursive=True)
    result = store.remove_log_prefix("logs", recursive=False)
    assert result.removed == []  # logs/ holds no log directly; logs_1 is another directory
    result = store.remove_log_prefix("logs/b", recursive=False)
    assert result.removed == sorted(uri(p) for p in project["b"])  # not logs/b/sub
    result = store.remove_log_prefix("logs", recursive=True)
    assert result.removed == sorted(uri(p) for p in project["a"] + project["sub"])
    assert store.get_logs() == {uri(project["logs_1"][0])}


def test_remove_exact_location_and_dry_run(work: Path, project: dict[str, list[Path]]) -> None:
    store = store_get("st")
    store.import_log_path("logs", recursive=True)
    target = project["a"][1]
    preview = store.remove_log_prefix(str(target), dry_run=True)
    assert preview.dry_run and preview.removed == [uri(target)]
    assert uri(target) in store.get_logs()
    store.remove_log_prefix(uri(target))
    assert uri(target) not in store.get_logs() and len(store.get_logs()) == 5


def test_remove_missing(work: Path, project: dict[str, list[Path]]) -> None:
    store = store_get("st")
    store.import_log_path("logs", recursive=True)
    project["a"][0].unlink()
    project["b"][1].unlink()
    result = store.remove_log_prefix([], missing=True)
    assert result.removed == sorted([uri(project["a"][0]), uri(project["b"][1])])
    assert len(store.get_logs()) == 4


def test_filters_on_get_logs_and_remove(work: Path, project: dict[str, list[Path]]) -> None:
    store = store_get("st")
    store.import_log_path("logs", recursive=True)
    assert store.get_logs(filter=lambda log: log.location.endswith(".json")) == {
        uri(p) for p in project["b"]
    }

    def is_eval(log: object) -> bool:
        return str(getattr(log, "location", "")).endswith(".eval")

    result = store.remove_log_prefix("logs", recursive=True, filter=is_eval)
    assert result.removed == sorted(uri(p) for p in project["a"] + project["sub"])
    assert store.get_logs() == {uri(p) for p in project["b"]}


def test_store_level_filter_cannot_be_combined(work: Path, project: dict[str, list[Path]]) -> None:
    store_get("st").import_log_path("logs", recursive=True)
    store = store_get("st", filter=lambda log: log.location.endswith(".json"))
    assert store.get_logs() == {uri(p) for p in project["b"]}
    with pytest.raises(ValueError, match="per-call filter and a store-level filter"):
        store.get_logs(filter=lambda log: True)


def test_newer_table_version_is_refused(work: Path) -> None:
    make_014_table(work / "st", [], version="0.3.0")
    with pytest.raises(StoreVersionError) as caught:
        store_get("st")
    assert str(caught.value) == (
        "Table _table_logs version mismatch: supported 0.2.0, got 0.3.0. "
        "inspect_flow upgrade required."
    )
    make_014_table(work / "st2", [], version="0.2.7")  # a patch release is compatible
    assert store_get("st2").version == "0.2.7"


def test_delete_store_keeps_the_root(work: Path, project: dict[str, list[Path]]) -> None:
    store_get("st").import_log_path("logs/a")
    (work / "st" / "other.txt").write_text("kept")
    assert delete_store("st") is True
    assert not (work / "st" / "flow_store").exists()
    assert (work / "st" / "other.txt").read_text() == "kept"
    assert all(p.exists() for p in project["a"])  # the logs are never touched
    assert delete_store("st") is False


def test_odd_stored_paths_are_normalised(work: Path, project: dict[str, list[Path]]) -> None:
    log = project["a"][0]
    make_014_table(
        work / "st",
        [
            (f"file://{work}/logs/./a/{log.name}", None),
            (f"file://{work}//logs/a/{log.name}", None),
            ("s3://bucket//prefix/x.eval", None),
            ("s3://bucket/prefix/dir/", None),
            (f"{work}/logs/a/{log.name}", None),  # no scheme at all
        ],
    )
    assert store_get("st", create=False).get_logs() == {
        uri(log),
        "s3://bucket/prefix/x.eval",
        "s3://bucket/prefix/dir",
    }


def test_store_for_a_spec_store_config(work: Path, project: dict[str, list[Path]]) -> None:
    from inspect_flow import FlowStoreConfig
    from inspect_flow._store import store_for_config

    (work / "spec").mkdir()
    store, mode = store_for_config(FlowStoreConfig(path="st"), base_dir=str(work / "spec"))
    assert mode == "write only" and store is not None
    assert store.store_path == str(work / "spec" / "st")  # relative to the spec's folder
    store.import_log_path("logs/b")

    config = FlowStoreConfig(path="spec/st", read=True, write=False, filter="x.py@y")
    store, mode = store_for_config(config)
    assert mode == "read only" and store is not None
    assert getattr(store, "filter", None) == "x.py@y"
    store, mode = store_for_config(FlowStoreConfig(path="other", read=True, write=True))
    assert mode == "read-write" and (work / "other" / "flow_store").is_dir()
    with pytest.raises(StoreNotFoundError):
        store_for_config(FlowStoreConfig(path="missing", read=True, write=False))
    assert store_for_config(FlowStoreConfig(path="none")) == (None, "write only")
    assert store_for_config(None)[1] == "write only"


def test_copy_all_logs(work: Path, project: dict[str, list[Path]]) -> None:
    from inspect_flow.api import copy_all_logs

    preview = copy_all_logs("logs/b", "dest", dry_run=True, recursive=True)
    assert len(preview) == 3 and not (work / "dest").exists()
    flat = copy_all_logs("logs/b", "dest", dry_run=False, recursive=False)
    assert sorted(flat) == sorted(uri(work / "dest" / p.name) for p in project["b"])
    copied = copy_all_logs("logs/b", "dest", dry_run=False, recursive=True)
    assert sorted(copied) == sorted(
        [uri(work / "dest" / p.name) for p in project["b"]]
        + [uri(work / "dest" / "sub" / p.name) for p in project["sub"]]
    )
    assert all((work / "dest" / p.name).read_bytes() == p.read_bytes() for p in project["b"])
    assert copy_all_logs("empty-or-missing", "dest2", dry_run=False, recursive=True) == []
