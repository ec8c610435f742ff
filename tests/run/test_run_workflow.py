"""The user docs' review-and-promote workflow on the shipped example, local and on S3.

``flow check`` (nothing yet) → ``flow run`` (into a timestamped dev folder) → ``flow step
mark_reviewed`` → ``flow step promote`` (tag, copy to prod, index in the store) → ``flow check
--log-dir prod`` (complete); and the same from Python (``examples/workflow/workflow.py``).
The commands are the ones ``examples/demo.sh`` runs.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from helpers.cli import flow_cli

from inspect_flow._logs import expand_paths
from inspect_flow._store import store_get

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@pytest.fixture
def workflow(proj: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """examples/tasks.py and examples/workflow/ copied into the work folder; CWD = workflow/."""
    shutil.copy(EXAMPLES / "tasks.py", proj / "tasks.py")
    shutil.copytree(EXAMPLES / "workflow", proj / "workflow")
    monkeypatch.chdir(proj / "workflow")
    return proj / "workflow"


def run_workflow(root: str, store: str) -> None:
    """Run the documented workflow with its logs under ``root`` (a folder or an S3 prefix)."""
    dev, prod = f"{root}/dev", f"{root}/prod"
    nothing = flow_cli("check", "spec.py", "--log-dir", dev)
    assert nothing.code == 3, nothing
    assert "Check: 0/2 tasks complete (2 tasks with no log)" in nothing.stdout

    ran = flow_cli("run", "spec.py", "--log-dir", dev, "--store", store, "--handle-file", "run.txt")
    assert ran.code == 0, ran
    assert ran.out_lines()[-1] == "Completed 2 tasks"
    run_dir = Path("run.txt").read_text().strip()
    assert run_dir.startswith(dev + "/") and len(run_dir) == len(dev) + 1 + 19

    reviewed = flow_cli("step", "mark_reviewed", run_dir)
    assert reviewed.code == 0, reviewed
    assert reviewed.out_lines() == ["mark_reviewed: 2 written"]

    promoted = flow_cli("step", "promote", run_dir, "--dest", prod, "--store", store)
    assert promoted.code == 0, promoted
    assert promoted.out_lines() == ["promote: 2 written, 2 copied, 2 indexed in store"]

    complete = flow_cli("check", "spec.py", "--log-dir", prod, "--json")
    assert complete.code == 0, complete
    tasks = json.loads(complete.stdout)["tasks"]
    assert [(t["name"], t["samples"], t["tags"]) for t in tasks] == [
        ("addition", 2, ["promoted", "review_done"]),
        ("greeting", 2, ["promoted", "review_done"]),
    ]
    indexed = store_get(store, create=False).get_logs()
    assert indexed == set(expand_paths([run_dir, prod]))


def test_workflow_on_local_folders(workflow: Path) -> None:
    run_workflow(str(workflow.parent / "out"), str(workflow.parent / "store"))


def test_workflow_on_s3(workflow: Path, s3_bucket: str) -> None:
    # the logs on S3, the store index local (see docs/workflow.md)
    run_workflow(s3_bucket, str(workflow.parent / "store"))


def test_workflow_from_python(workflow: Path) -> None:
    sys.path.insert(0, str(workflow))
    try:
        import workflow as module  # type: ignore[import-not-found]

        assert module.main(str(workflow.parent / "py")) == 0
    finally:
        sys.path.remove(str(workflow))
    prod = workflow.parent / "py" / "prod"
    assert len(list(prod.glob("*.eval"))) == 2
