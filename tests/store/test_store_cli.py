"""``flow store import/remove/list/info/delete``: every option, output line and error path."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.cli import flow_cli, write_file
from helpers.logs import LogFactory
from helpers.store import read_table, uri

from inspect_flow.api import store_get


def _rel(paths: list[Path], work: Path) -> list[str]:
    return [str(p.relative_to(work)) for p in paths]


def _stored(work: Path, root: str = "st") -> list[str]:
    return [row["log_path"] for row in read_table(work / root)]


FILTERS = """
from inspect_flow import log_filter

@log_filter
def is_json(log):
    return log.location.endswith(".json")

@log_filter
def in_sub(log):
    return "/sub/" in log.location
"""


def test_import_lists_and_counts(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli("store", "import", "logs/a", "logs/b", "--store", "st")
    assert result.code == 0, result
    # newest first within each directory; recursive by default
    expected = [*_rel(project["a"][::-1], work), *_rel((project["b"] + project["sub"])[::-1], work)]
    assert result.out_lines() == [*expected, "✓ Imported 6 new logs to store"]
    assert result.err_lines() == ["Using store (read-write): st", "Importing logs to store"]
    assert len(_stored(work)) == 6

    again = flow_cli("store", "import", "logs", "--store", "st")
    assert again.code == 0 and "⚠ Imported 0 new logs to store" in again.err_lines()


def test_import_no_recursive(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli("store", "import", "logs/b", "-R", "--store", "st")
    assert result.code == 0, result
    assert sorted(_stored(work)) == sorted(uri(p) for p in project["b"])


def test_import_dry_run_creates_nothing(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli("store", "import", "logs", "--dry-run", "--store", "st")
    assert result.code == 0, result
    assert "[DRY RUN] Preview mode - logs will not be imported" in result.err_lines()
    assert result.out_lines()[-1] == "[DRY RUN] Would import 6 new logs to store"
    assert not (work / "st").exists()


def test_import_reports_bad_paths_and_imports_the_rest(
    work: Path, project: dict[str, list[Path]], make_logs: LogFactory
) -> None:
    (work / "empty").mkdir()
    make_logs.corrupt(work / "bad")
    result = flow_cli("store", "import", "nope", "empty", "bad", "logs/a", "--store", "st")
    assert result.code == 1, result
    errors = result.err_lines()
    assert "✗ Path nope does not exist" in errors
    assert "✗ No logs found in directory: empty" in errors
    assert any(line.startswith("✗ Could not read log bad/") for line in errors)
    assert result.out_lines()[-1] == "✓ Imported 3 new logs to store"
    assert sorted(_stored(work)) == sorted(uri(p) for p in project["a"])


def test_import_copy_from(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli("store", "import", "dest", "--copy-from", "logs/b", "--store", "st")
    assert result.code == 0, result
    copies = sorted(str(p.relative_to(work / "dest")) for p in (work / "dest").rglob("*.*"))
    assert copies == sorted(
        [p.name for p in project["b"]] + [f"sub/{p.name}" for p in project["sub"]]
    )
    assert "Copying logs from logs/b to dest" in result.err_lines()
    assert sorted(_stored(work)) == sorted(uri(p) for p in (work / "dest").rglob("*.*"))

    dry = flow_cli("store", "import", "d2", "--copy-from", "logs/a", "--dry-run", "--store", "s2")
    assert dry.code == 0, dry
    assert not (work / "d2").exists() and not (work / "s2").exists()
    assert dry.out_lines()[-1] == "[DRY RUN] Would copy 3 logs to d2 and import them"


def test_import_copy_from_needs_one_path(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli("store", "import", "a", "b", "--copy-from", "logs", "--store", "st")
    assert result.code == 2
    assert "When using --copy-from, exactly one PATH must be specified" in result.stderr
    assert not (work / "st").exists()


def test_import_requires_a_path(work: Path) -> None:
    result = flow_cli("store", "import", "--store", "st")
    assert result.code == 2 and "Missing argument" in result.stderr


def test_store_from_environment_and_default(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli("store", "import", "logs/a", env={"INSPECT_FLOW_STORE": "envstore"})
    assert result.code == 0, result
    assert len(_stored(work, "envstore")) == 3
    result = flow_cli("store", "import", "logs_1", "--store")  # a bare --store is auto
    assert result.code == 0, result
    default = work.parent / "data" / "inspect_flow"
    assert f"Using store (read-write): {default}" in result.err_lines()
    assert store_get().get_logs() == {uri(project["logs_1"][0])}


def test_list_flat_tree_and_json(work: Path, project: dict[str, list[Path]]) -> None:
    flow_cli("store", "import", "logs", "logs_1", "--store", "st")
    every = sorted(uri(p) for paths in project.values() for p in paths)
    flat = flow_cli("store", "list", "--store", "st")
    assert flat.code == 0, flat
    assert flat.err_lines() == ["Using store (read only): st"]
    assert flat.out_lines() == [u.removeprefix(f"file://{work}/") for u in every]

    tree = flow_cli("store", "list", "--format", "tree", "--store", "st")
    assert tree.code == 0, tree
    lines = tree.out_lines()
    assert lines[0] == "logs" and any(line.endswith("sub") for line in lines)
    assert lines[-2].endswith("logs_1") and project["logs_1"][0].name in lines[-1]

    as_json = flow_cli("store", "list", "--json", "--format", "tree", "--store", "st")
    assert json.loads(as_json.stdout) == {"logs": every}


def test_list_filters_are_repeatable_and_combinable(
    work: Path, project: dict[str, list[Path]]
) -> None:
    write_file(work / "_flow.py", FILTERS)
    flow_cli("store", "import", "logs", "--store", "st")
    result = flow_cli("store", "list", "--store", "st", "--json", "--exclude", "is_json")
    assert json.loads(result.stdout)["logs"] == sorted(
        uri(p) for p in project["a"] + project["sub"]
    )
    result = flow_cli(
        "store", "list", "--store", "st", "--json", "--exclude", "is_json", "--exclude", "in_sub"
    )
    assert json.loads(result.stdout)["logs"] == sorted(uri(p) for p in project["a"])
    result = flow_cli(
        "store", "list", "--store", "st", "--json", "--filter", "is_json", "--exclude", "in_sub"
    )
    assert json.loads(result.stdout)["logs"] == sorted(uri(p) for p in project["b"])
    unknown = flow_cli("store", "list", "--store", "st", "--filter", "nosuch")
    assert unknown.code == 2 and "nosuch" in unknown.stderr


def test_list_empty_store(work: Path) -> None:
    store_get("st")
    result = flow_cli("store", "list", "--store", "st")
    assert result.code == 0 and result.stdout == ""
    assert "No logs in store" in result.err_lines()


def test_missing_store_is_an_error(work: Path) -> None:
    for args in (["list"], ["list", "--json"], ["info"], ["info", "--json"], ["remove", "x"]):
        result = flow_cli("store", *args, "--store", "st")
        assert result.code == 1, (args, result)
        assert result.stdout == ""
        assert result.err_lines() == [
            "✗ Error: Store not found at st. "
            "Run 'flow store import' to create the store and import logs."
        ]
    assert not (work / "st").exists()
    auto = flow_cli("store", "info")
    assert auto.code == 1
    assert f"Store not found at auto ({work.parent / 'data' / 'inspect_flow'})" in auto.stderr


def test_info_text_and_json(work: Path, project: dict[str, list[Path]]) -> None:
    flow_cli("store", "import", "logs", "logs_1", "--store", "st")
    result = flow_cli("store", "info", "--store", "st")
    assert result.code == 0, result
    assert result.out_lines() == [
        "Path:     st",
        "Logs:     7 logs",
        "Log dirs: 4 log dirs",
        "Version:  0.2.0",
    ]
    assert result.err_lines() == ["Using store (read only): st"]
    as_json = flow_cli("store", "info", "--json", "--store", "st")
    assert json.loads(as_json.stdout) == {
        "path": str(work / "st"),
        "logs": 7,
        "log_dirs": 4,
        "version": "0.2.0",
    }


def test_remove_prefix_boundaries_and_recursion(work: Path, project: dict[str, list[Path]]) -> None:
    flow_cli("store", "import", "logs", "logs_1", "--store", "st")
    result = flow_cli("store", "remove", "logs/b", "-R", "--store", "st")
    assert result.code == 0, result
    assert result.out_lines() == [*sorted(_rel(project["b"], work)), "✓ Removed 2 logs from store"]
    result = flow_cli("store", "remove", "logs", "--store", "st")  # recursive by default
    assert result.out_lines()[-1] == "✓ Removed 4 logs from store"
    assert _stored(work) == [uri(project["logs_1"][0])]  # logs never matches logs_1
    none = flow_cli("store", "remove", "logs", "--store", "st")
    assert none.code == 0 and "⚠ No logs found to remove from store" in none.err_lines()


def test_remove_dry_run_changes_nothing(work: Path, project: dict[str, list[Path]]) -> None:
    flow_cli("store", "import", "logs", "--store", "st")
    before = _stored(work)
    result = flow_cli("store", "remove", "logs/a", "--dry-run", "--store", "st")
    assert result.code == 0, result
    assert "[DRY RUN] Preview mode - logs will not be removed" in result.err_lines()
    assert result.out_lines()[-1] == "[DRY RUN] Would remove 3 logs from store"
    assert _stored(work) == before


def test_remove_missing(work: Path, project: dict[str, list[Path]]) -> None:
    flow_cli("store", "import", "logs", "--store", "st")
    project["sub"][0].unlink()
    result = flow_cli("store", "remove", "--missing", "--store", "st")
    assert result.code == 0, result
    assert result.out_lines() == [*_rel(project["sub"], work), "✓ Removed 1 log from store"]
    assert len(_stored(work)) == 5


def test_remove_with_filters(work: Path, project: dict[str, list[Path]]) -> None:
    write_file(work / "_flow.py", FILTERS)
    flow_cli("store", "import", "logs", "--store", "st")
    result = flow_cli(
        "store", "remove", "logs", "--filter", "is_json", "--exclude", "in_sub", "--store", "st"
    )
    assert result.code == 0, result
    assert sorted(_stored(work)) == sorted(uri(p) for p in project["a"] + project["sub"])


def test_remove_usage_errors(work: Path) -> None:
    store_get("st")
    neither = flow_cli("store", "remove", "--store", "st")
    assert neither.code == 2 and "Either prefix or --missing must be specified." in neither.stderr
    both = flow_cli("store", "remove", "x", "--missing", "--store", "st")
    assert both.code == 2 and "Cannot specify both prefix and --missing." in both.stderr


def test_delete(work: Path, project: dict[str, list[Path]]) -> None:
    flow_cli("store", "import", "logs/a", "--store", "st")
    refused = flow_cli("store", "delete", "--store", "st")
    assert refused.code == 2
    assert (
        "Refusing to delete the store at st without confirmation on a non-interactive "
        "terminal. Re-run with --yes to confirm." in " ".join(refused.stderr.split())
    )
    assert (work / "st" / "flow_store").is_dir()
    result = flow_cli("store", "delete", "-y", "--store", "st")
    assert result.code == 0, result
    assert result.out_lines() == ["✓ Deleted store at st"]
    assert not (work / "st" / "flow_store").exists() and (work / "st").is_dir()
    assert all(p.exists() for p in project["a"])
    again = flow_cli("store", "delete", "--yes", "--store", "st")
    assert again.code == 1 and "Store not found at st" in again.stderr


def test_group_without_command_shows_help(work: Path) -> None:
    result = flow_cli("store")
    assert result.code == 2
    assert "Manage the flow store" in result.stdout


def test_import_paths_from_environment(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli(
        "store", "import", "--store", "st", env={"INSPECT_FLOW_STORE_PATH": "logs/a logs_1"}
    )
    assert result.code == 0, result
    assert sorted(_stored(work)) == sorted(uri(p) for p in project["a"] + project["logs_1"])


def test_newer_store_version_is_a_one_line_error(work: Path) -> None:
    from helpers.store import make_014_table

    make_014_table(work / "st", [], version="1.0.0")
    result = flow_cli("store", "list", "--store", "st")
    assert result.code == 1
    assert result.err_lines()[-1] == (
        "✗ Error: Table _table_logs version mismatch: supported 0.2.0, got 1.0.0. "
        "inspect_flow upgrade required."
    )


def test_display_none_prints_nothing_but_data(work: Path, project: dict[str, list[Path]]) -> None:
    result = flow_cli("store", "import", "logs/a", "--store", "st", "--display", "none")
    assert result.code == 0 and result.output == ""
    result = flow_cli("store", "list", "--store", "st", "--json", "--display", "none")
    assert result.code == 0


def test_tree_of_s3_locations(work: Path) -> None:
    from helpers.store import make_014_table

    make_014_table(work / "st", [("s3://bucket/a/x.eval", "t"), ("s3://bucket/a/b/y.eval", "t")])
    result = flow_cli("store", "list", "--format", "tree", "--store", "st")
    assert result.code == 0, result
    assert [line.strip("│├└─ ") for line in result.out_lines()] == [
        "s3://bucket",
        "a",
        "b",
        "y.eval",
        "x.eval",
    ]
