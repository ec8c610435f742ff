"""inspect_flow.api.run: the Python face of flow run (RunResult as in Flow 0.14)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inspect_flow import FlowSpec, FlowStoreConfig, FlowTask
from inspect_flow.api import RunResult, load_spec, run


def eval_logs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.eval"))


def test_run_a_loaded_spec(proj: Path) -> None:
    result = run(load_spec("spec.py"), store="none")
    assert isinstance(result, RunResult)
    assert result.success is True
    assert result.log_dir == str(proj / "logs")
    assert sorted(log.eval.task for log in result.logs) == ["addition", "greeting"]
    assert all(log.status == "success" for log in result.logs)
    assert result.after is not None and result.after.is_complete
    assert len(eval_logs(proj / "logs")) == 2


def test_dry_run_writes_nothing(proj: Path) -> None:
    result = run(load_spec("spec.py"), dry_run=True, store="none")
    assert result.success is False
    assert result.logs == []
    assert result.plan is not None
    assert [t.total_samples for t in result.plan.table.tasks] == [2, 2]
    assert not (proj / "logs").exists()


def test_python_spec_with_a_store_config_and_a_handle_file(proj: Path) -> None:
    sys.path.insert(0, str(proj))
    try:
        from tasks import addition  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(proj))
    spec = FlowSpec(
        log_dir="out",
        log_dir_create_unique=True,
        store=FlowStoreConfig(path="store", read=True),
        tasks=[FlowTask(factory=addition, model="mockllm/model", args={"n": 1})],
    )
    first = run(spec, base_dir=str(proj), handle_file="handle.txt")
    assert first.success
    folder = Path(first.log_dir)
    assert folder.parent == proj / "out"
    assert (proj / "handle.txt").read_text() == f"{folder}\n"
    assert first.indexed is not None and len(first.indexed.imported) == 1
    resumed = run(spec, base_dir=str(proj), resume=True, handle_file="handle.txt")
    assert resumed.log_dir == first.log_dir
    assert resumed.copied == [], "the store's log is already in the run folder"
    fresh = run(spec, base_dir=str(proj))
    assert fresh.log_dir != first.log_dir
    assert [Path(c).name for c in fresh.copied] == [p.name for p in eval_logs(folder)]


def test_run_interrupted_is_a_keyboard_interrupt(
    proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspect_flow._run import RunInterrupted

    monkeypatch.setenv("FLOW_TEST_STOP", "1")
    with pytest.raises(KeyboardInterrupt) as caught:
        run(load_spec("spec.py"), store="none")
    assert isinstance(caught.value, RunInterrupted)
    assert caught.value.log_dir == str(proj / "logs")
    assert eval_logs(proj / "logs")


def test_a_store_log_that_vanished_before_the_copy_fails_the_run_cleanly(proj: Path) -> None:
    from inspect_flow._errors import FlowError
    from inspect_flow._run import execute_run, plan_run

    store = str(proj.parent / "store")
    assert run(load_spec("spec.py"), log_dir="first", store=store).success
    plan = plan_run(load_spec("spec.py"), log_dir="second", store=store, store_read=True)
    assert len(plan.copies) == 2
    Path(plan.copies[1][0].removeprefix("file://")).unlink()
    with pytest.raises(FlowError, match="Could not read the store's log"):
        execute_run(plan)
    assert eval_logs(proj / "second") == [], "no copy is left half-made, nothing ran"
    assert len(eval_logs(proj / "first")) == 1


def test_two_runs_never_share_a_new_unique_folder(proj: Path) -> None:
    from inspect_flow._errors import FlowError
    from inspect_flow._run import execute_run, plan_run

    spec = load_spec("spec.py")
    plan = plan_run(spec, store="none", log_dir_create_unique=True)
    folder = Path(plan.log_dir.removeprefix("file://"))
    folder.mkdir(parents=True)  # another run took the name between plan and start
    (folder / "theirs.txt").write_text("another run's file")
    with pytest.raises(FlowError, match="was created by another run meanwhile"):
        execute_run(plan)
    assert sorted(p.name for p in folder.iterdir()) == ["theirs.txt"], "nothing written there"
