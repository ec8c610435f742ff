"""Tests of @log_filter, filter resolution (every spec form) and applying filters to headers."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import (
    EvalConfig,
    EvalDataset,
    EvalLog,
    EvalSpec,
    read_eval_log,
    write_eval_log,
)

from inspect_flow import _discovery
from inspect_flow._errors import FlowError, FlowUsageError
from inspect_flow._filters import (
    FilterFailedError,
    apply_filter,
    log_filter,
    passes_filters,
    resolve_filter,
    resolve_filters,
)
from inspect_flow._registry import FilterInfo, registered_filters

FILTERS = """\
from inspect_flow import log_filter

@log_filter
def reviewed(log):
    return "review_done" in log.tags and "review_needed" not in log.tags

@log_filter
def promoted(log):
    return "golden" in log.tags
"""


@pytest.fixture(autouse=True)
def isolated_registry(tmp_path: Path) -> Iterator[None]:
    """Registries and discovery caches are process-global: snapshot and restore around each test."""
    filters = dict(registered_filters())
    _discovery._reset_for_tests()
    yield
    _discovery._reset_for_tests()
    registered_filters().clear()
    registered_filters().update(filters)
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def header(tmp_path: Path, name: str, tags: list[str]) -> EvalLog:
    """Write a real .eval log with these tags and read its header back, as steps see it."""
    spec = EvalSpec(
        created="2024-01-01T00:00:00+00:00",
        task=name,
        dataset=EvalDataset(),
        model="mockllm/model",
        config=EvalConfig(),
        tags=tags,
    )
    location = str(tmp_path / f"{name}.eval")
    write_eval_log(EvalLog(eval=spec, status="success"), location)
    return read_eval_log(location, header_only=True)


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, *eps: EntryPoint) -> None:
    monkeypatch.setattr(
        "importlib.metadata.entry_points",
        lambda group: [ep for ep in eps if ep.group == group],
    )


# -------------------------------------------------------------------------------------------------
# @log_filter


def test_log_filter_registers_and_returns_the_function_unchanged() -> None:
    def fresh_filter(log: EvalLog) -> bool:
        return True

    assert log_filter(fresh_filter) is fresh_filter
    info = registered_filters()["fresh_filter"]
    assert (info.name, info.qualified_name) == ("fresh_filter", "fresh_filter")
    assert info.func is fresh_filter
    assert info.source_file == str(Path(__file__).resolve())


def test_log_filter_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match="expects a function"):
        log_filter("reviewed")  # type: ignore[type-var]


# -------------------------------------------------------------------------------------------------
# resolve_filter: every form


def test_callable_is_used_as_is() -> None:
    def mine(log: EvalLog) -> bool:
        return False

    assert resolve_filter(mine) == ("mine", mine)
    name, func = resolve_filter(lambda log: True)
    assert name == "<lambda>" and func(None) is True  # type: ignore[arg-type]


def test_registered_name() -> None:
    @log_filter
    def registered_here(log: EvalLog) -> bool:
        return True

    assert resolve_filter("registered_here") == ("registered_here", registered_here)


def test_file_at_name_relative_to_base_dir_or_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "sub" / "filters.py", FILTERS)
    name, func = resolve_filter("sub/filters.py@reviewed", base_dir=tmp_path)
    assert name == "sub/filters.py@reviewed"
    assert func.__code__.co_filename == str(tmp_path / "sub" / "filters.py")
    monkeypatch.chdir(tmp_path / "sub")
    assert resolve_filter("filters.py@promoted")[1].__name__ == "promoted"


def test_file_at_name_splits_at_the_last_at(tmp_path: Path) -> None:
    write(tmp_path / "team@lab" / "filters.py", FILTERS)
    _, func = resolve_filter("team@lab/filters.py@reviewed", base_dir=tmp_path)
    assert func.__name__ == "reviewed"


def test_file_at_name_errors(tmp_path: Path) -> None:
    write(tmp_path / "lib_filters_d.py", FILTERS)
    write(tmp_path / "uses.py", "from lib_filters_d import reviewed  # noqa: F401\n")
    with pytest.raises(FlowUsageError) as info:
        resolve_filter("nope.py@reviewed", base_dir=tmp_path)
    assert str(info.value) == "File not found: nope.py"
    with pytest.raises(FlowUsageError) as info:
        resolve_filter("lib_filters_d.py@nosuch", base_dir=tmp_path)
    assert str(info.value) == "Log filter 'nosuch' not found in lib_filters_d.py."
    # A filter the file only imports is not "in" the file (as for steps).
    with pytest.raises(FlowUsageError, match="^Log filter 'reviewed' not found in uses.py.$"):
        resolve_filter("uses.py@reviewed", base_dir=tmp_path)


def test_name_from_the_flow_file_chain_nearest_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "_flow.py", FILTERS.replace('"golden"', '"parent-golden"'))
    write(tmp_path / "child" / "_flow.py", FILTERS)
    monkeypatch.chdir(tmp_path / "child")
    assert "promoted" not in registered_filters()
    name, func = resolve_filter("promoted")
    assert name == "promoted"
    assert func.__code__.co_filename == str(tmp_path / "child" / "_flow.py")
    # base_dir also selects the chain: from the parent, the parent's filter is the nearest
    # (no file is executed again; the parent chain's definition is re-registered).
    registered_filters().pop("promoted")
    _, parent_func = resolve_filter("promoted", base_dir=tmp_path)
    assert parent_func.__code__.co_filename == str(tmp_path / "_flow.py")


def test_registered_name_does_not_load_flow_files(tmp_path: Path) -> None:
    write(tmp_path / "_flow.py", "raise RuntimeError('must not be executed')\n")

    @log_filter
    def already_here(log: EvalLog) -> bool:
        return True

    assert resolve_filter("already_here", base_dir=tmp_path)[1] is already_here


def test_broken_flow_file_surfaces_when_a_name_is_looked_up(tmp_path: Path) -> None:
    write(tmp_path / "_flow.py", "x = 1\nraise RuntimeError('broken')\n")
    with pytest.raises(FlowError, match=r"_flow.py:2: RuntimeError: broken"):
        resolve_filter("anything", base_dir=tmp_path)


def _registered_as(qualified: str) -> Any:
    def func(log: EvalLog) -> bool:
        return True

    name = qualified.rsplit("/", 1)[-1]
    registered_filters()[qualified] = FilterInfo(name, qualified, func)
    return func


def test_unique_suffix_match(tmp_path: Path) -> None:
    func = _registered_as("pkg_a/only_in_pkg")
    assert resolve_filter("only_in_pkg", base_dir=tmp_path) == ("pkg_a/only_in_pkg", func)
    assert resolve_filter("pkg_a/only_in_pkg", base_dir=tmp_path) == ("pkg_a/only_in_pkg", func)


def test_ambiguous_suffix_match(tmp_path: Path) -> None:
    _registered_as("pkg_b/dup")
    func = _registered_as("pkg_a/dup")
    with pytest.raises(FlowUsageError) as info:
        resolve_filter("dup", base_dir=tmp_path)
    assert str(info.value) == (
        "Multiple log filters match 'dup': ['pkg_a/dup', 'pkg_b/dup']. Use a fully qualified name."
    )
    assert resolve_filter("pkg_a/dup", base_dir=tmp_path)[1] is func


def test_unknown_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch)
    write(tmp_path / "elsewhere.py", FILTERS)  # not a _flow.py: its names are not discovered
    with pytest.raises(FlowUsageError) as info:
        resolve_filter("reviewed", base_dir=tmp_path)
    assert str(info.value) == "Log filter 'reviewed' not found in registry."
    assert not isinstance(info.value, FilterFailedError)


def test_name_from_an_installed_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "ep_filters_e.py", FILTERS.replace("def promoted", "def ep_promoted"))
    monkeypatch.syspath_prepend(str(tmp_path))
    fake_entry_points(monkeypatch, EntryPoint("ep", "ep_filters_e", "inspect_ai"))
    assert resolve_filter("ep_promoted", base_dir=tmp_path)[1].__name__ == "ep_promoted"


def test_resolve_filters_accepts_none_one_or_many(tmp_path: Path) -> None:
    write(tmp_path / "f.py", FILTERS)

    def mine(log: EvalLog) -> bool:
        return True

    assert resolve_filters(None) == []
    assert resolve_filters(mine) == [("mine", mine)]
    assert [n for n, _ in resolve_filters("f.py@reviewed", base_dir=tmp_path)] == ["f.py@reviewed"]
    many = resolve_filters(["f.py@promoted", mine, "f.py@reviewed"], base_dir=tmp_path)
    assert [n for n, _ in many] == ["f.py@promoted", "mine", "f.py@reviewed"]


# -------------------------------------------------------------------------------------------------
# Applying filters to real headers


def test_filters_see_real_headers(tmp_path: Path) -> None:
    write(tmp_path / "f.py", FILTERS)
    done = header(tmp_path, "done", ["review_done"])
    gold = header(tmp_path, "gold", ["review_done", "golden"])
    pending = header(tmp_path, "pending", ["review_done", "review_needed"])
    include = resolve_filters(["f.py@reviewed"], base_dir=tmp_path)
    exclude = resolve_filters(["f.py@promoted"], base_dir=tmp_path)
    assert [apply_filter(*include[0], log) for log in (done, gold, pending)] == [True, True, False]
    kept = [log.eval.task for log in (done, gold, pending) if passes_filters(log, include, exclude)]
    assert kept == ["done"]
    assert passes_filters(pending)  # no filters: everything passes


def test_filter_result_is_made_a_bool(tmp_path: Path) -> None:
    log = header(tmp_path, "t", ["a"])
    assert apply_filter("tags", lambda log: log.tags, log) is True  # type: ignore[arg-type,return-value]


def test_a_filter_that_raises_names_the_filter_and_the_log(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.py",
        """\
        from inspect_flow import log_filter

        @log_filter
        def needs_metadata(log):
            return log.eval.metadata["owner"] == "me"
        """,
    )
    log = header(tmp_path, "t", [])
    name, func = resolve_filter("bad.py@needs_metadata", base_dir=tmp_path)
    with pytest.raises(FilterFailedError) as info:
        passes_filters(log, [(name, func)])
    error = info.value
    assert isinstance(error, FlowError) and not isinstance(error, FlowUsageError)
    assert (error.filter_name, error.location) == ("bad.py@needs_metadata", log.location)
    assert str(error) == (
        f"Log filter 'bad.py@needs_metadata' failed on {log.location} ({path}:5): "
        "TypeError: 'NoneType' object is not subscriptable"
    )
    assert isinstance(error.__cause__, TypeError)
