"""``bulk_gc``: the garbage-collection policy of ``flow step`` and ``flow check`` (same results)."""

from __future__ import annotations

import gc
import json
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import LogFactory, read_header

from inspect_flow._runtime import BULK_GC_THRESHOLD
from inspect_flow.api import bulk_gc, run_step, tag


def test_policy_inside_and_restored_after() -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    with bulk_gc():
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_freeze_count() > 0
        assert "inspect_ai.log" in sys.modules
        with bulk_gc(threshold=10):  # nested: the outer block's policy
            assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
        assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_restored_when_the_block_raises() -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    with pytest.raises(KeyboardInterrupt), bulk_gc(threshold=1234):
        assert gc.get_threshold()[0] == 1234
        raise KeyboardInterrupt
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_cyclic_garbage_is_still_collected_inside() -> None:
    import weakref

    class Node:
        other: Any = None

    with bulk_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        gc.collect()
        assert ref() is None


def test_the_cli_runs_steps_under_the_policy(work: Path, make_logs: LogFactory) -> None:
    write_file(
        work / "_flow.py",
        """
        import gc
        from inspect_flow import step
        from inspect_flow.api import metadata

        @step
        def gc_probe(logs):
            frozen = gc.get_freeze_count() > 0
            return metadata(logs, set={"gc0": gc.get_threshold()[0], "frozen": frozen})
        """,
    )
    [log] = make_logs(work / "logs", n=1)
    outside = gc.get_threshold()
    result = flow_cli("step", "gc_probe", "logs")
    assert result.code == 0, result
    meta = read_header(log).metadata
    assert meta["gc0"] == BULK_GC_THRESHOLD and meta["frozen"] is True
    assert gc.get_threshold() == outside


def _members(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        out: dict[str, Any] = {}
        for name in archive.namelist():
            data = archive.read(name)
            if name == "header.json":
                header = json.loads(data)
                for update in header.get("log_updates") or []:
                    update["provenance"].pop("timestamp")  # the one difference: when it ran
                out[name] = header
            else:
                out[name] = data
        return out


def test_same_results_with_and_without_the_policy(make_logs: LogFactory, tmp_path: Path) -> None:
    made = make_logs(tmp_path / "a", n=6)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    with bulk_gc():
        preview_a = run_step(tag, str(tmp_path / "a"), dry_run=True, add=["x"]).to_json()
        report_a = run_step(tag, str(tmp_path / "a"), add=["x"], author="me").to_json()
    preview_b = run_step(tag, str(tmp_path / "b"), dry_run=True, add=["x"]).to_json()
    report_b = run_step(tag, str(tmp_path / "b"), add=["x"], author="me").to_json()

    def relative(data: dict[str, Any], root: Path) -> str:
        return json.dumps(data, sort_keys=True).replace(str(root), "ROOT")

    assert relative(preview_a, tmp_path / "a") == relative(preview_b, tmp_path / "b")
    assert relative(report_a, tmp_path / "a") == relative(report_b, tmp_path / "b")
    for path in made:
        assert _members(path) == _members(tmp_path / "b" / path.name)
