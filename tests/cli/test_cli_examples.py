"""The shipped example (examples/_flow.py and examples/logs/dev) run through the real CLI.

The example's `_flow.py` is copied next to a copy of the example logs, so the checked-in logs never
change; the commands are the ones of examples/demo.sh.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers.cli import flow_cli
from helpers.logs import read_header

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def dev(work: Path) -> dict[str, Path]:
    for name in ("_flow.py", "spec.py", "tasks.py"):
        shutil.copy(EXAMPLES / name, work / name)
    shutil.copytree(EXAMPLES / "logs" / "dev", work / "dev")
    files = sorted((work / "dev").iterdir())
    assert len(files) == 3, "the example holds two addition logs (.eval, .json) and one greeting"
    return {
        "addition_eval": next(p for p in files if "_addition_" in p.name and p.suffix == ".eval"),
        "addition_json": next(p for p in files if "_addition_" in p.name and p.suffix == ".json"),
        "greeting": next(p for p in files if "_greeting_" in p.name),
    }


def test_the_example_workflow(work: Path, dev: dict[str, Path]) -> None:
    listing = flow_cli("step", "--help")
    assert listing.code == 0, listing
    commands = listing.stdout.split("Commands:\n")[1]
    assert "audit          Print a summary of log statuses (writes nothing)." in commands
    assert "review_scores  Tag logs that meet a score threshold and record it in..." in commands

    # Dry runs first: a preview per log, nothing changes.
    before = {name: path.read_bytes() for name, path in dev.items()}
    dry = flow_cli("step", "tag", "dev", "--add", "draft", "--dry-run")
    assert dry.code == 0, dry
    assert dry.out_lines()[-1] == "[DRY RUN] tag: 3 would write"
    dry = flow_cli("step", "review_scores", "dev", "--min-score", "0.9", "--dry-run")
    assert dry.code == 0, dry
    assert dry.out_lines() == [
        *(
            f"would write dev/{dev[name].name}: tags +passing; metadata +min_score=0.9"
            for name in ("addition_eval", "addition_json")
        ),
        "[DRY RUN] review_scores: 2 would write, 1 unchanged",
    ]
    assert {name: path.read_bytes() for name, path in dev.items()} == before

    # The custom step: accuracy 1.0 (addition) passes 0.9, 0.5 (greeting) does not.
    review = flow_cli("step", "review_scores", "dev", "--min-score", "0.9")
    assert review.code == 0, review
    assert review.err_lines() == [
        "  review_scores(logs=3, min_score=0.9)",
        "    tag(logs=2, add=['passing'])",
        "    metadata(logs=2, set={'min_score': 0.9})",
    ]
    assert review.out_lines() == ["review_scores: 2 written, 1 unchanged"]
    for name in ("addition_eval", "addition_json"):
        header = read_header(dev[name])
        assert (header.tags, header.metadata) == (["passing"], {"min_score": 0.9})
        # Both nested edits are recorded, with one provenance per step call.
        assert header.log_updates is not None and len(header.log_updates) == 2
    assert dev["greeting"].read_bytes() == before["greeting"]

    # A reviewer marks one log, through the REVIEW_TAG constant and the `successful` filter.
    marked = flow_cli(
        "step", "tag", "dev/" + dev["addition_eval"].name, "--add", "@REVIEW_TAG",
        "--filter", "successful", "--author", "Demo Bot", "--reason", "Passed QA",
    )  # fmt: skip
    assert marked.code == 0, marked
    assert marked.err_lines() == [
        "Filter: successful — 1/1 logs matched",
        "  tag(logs=1, add=['reviewed'], author='Demo Bot', reason='Passed QA')",
    ]
    updates = read_header(dev["addition_eval"]).log_updates or []
    assert (updates[-1].provenance.author, updates[-1].provenance.reason) == (
        "Demo Bot",
        "Passed QA",
    )

    # Promote what is reviewed; a second run skips it.
    promote = flow_cli("step", "copy", "dev", "--dest", "prod", "--filter", "reviewed")
    assert promote.code == 0, promote
    assert promote.err_lines()[0] == "Filter: reviewed — 1/3 logs matched"
    assert sorted(p.name for p in (work / "prod").iterdir()) == [dev["addition_eval"].name]
    again = flow_cli("step", "copy", "dev", "--dest", "prod", "--filter", "reviewed")
    assert (again.code, again.out_lines()) == (0, ["copy: 1 skipped"])

    # Completeness of the spec's tasks: dev has both; prod has a reviewed addition log only.
    full = flow_cli("check", "spec.py", "--log-dir", "dev", "--json")
    assert full.code == 0, full
    assert [t["complete"] for t in json.loads(full.stdout)["tasks"]] == [True, True]
    prod = flow_cli("check", "spec.py", "--log-dir", "prod", "--filter", "reviewed", "--json")
    assert prod.code == 3, prod
    tasks = json.loads(prod.stdout)["tasks"]
    assert [(t["name"], t["samples"], t["total_samples"], t["reason"]) for t in tasks] == [
        ("addition", 2, 2, None),
        ("greeting", 0, 2, "no log"),
    ]

    # The audit step prints (stdout) and writes nothing.
    audit = flow_cli("step", "audit", "prod")
    assert audit.code == 0, audit
    assert audit.out_lines() == [
        "addition: success ['passing', 'reviewed']",
        "audit: 1 unchanged",
    ]
    # What is still to review, as JSON: the step's own prints go to stderr, stdout stays JSON.
    remaining = flow_cli(
        "step", "audit", "dev", "--filter", "successful", "--exclude", "reviewed", "--json"
    )
    assert remaining.code == 0, remaining
    assert "Exclude: reviewed — 2/3 logs remaining" in remaining.err_lines()
    assert "greeting: success []" in remaining.err_lines()
    report = json.loads(remaining.stdout)
    assert sorted(entry["path"] for entry in report["logs"]) == sorted(
        f"dev/{dev[name].name}" for name in ("addition_json", "greeting")
    )
