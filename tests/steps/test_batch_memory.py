"""``--batch-size``: a batch's headers are released before the next batch is read.

Bounded memory over 100k logs rests on this: nothing of the run (session, report, planned
writes, staged items) may keep a reference to the headers of an earlier batch, nor to the headers
the step returned for it. The step below holds weak references to every header it was given and
returned, and at each call says how many of the earlier ones are still alive. No ``gc.collect()``:
under the CLI's GC policy cyclic garbage can outlive many batches, so they must be freed as soon as
the run drops them.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from helpers.cli import flow_cli, isolated_cli
from helpers.logs import LogFactory, read_header

PROBE = textwrap.dedent(
    """
    import sys
    import weakref

    from inspect_ai.log import EvalLog

    from inspect_flow import step
    from inspect_flow.api import copy, tag

    REFS = []


    @step
    def probe(logs: list[EvalLog], dest: str = "copies") -> list[EvalLog]:
        alive = sum(1 for ref in REFS if ref() is not None)
        print(f"probe: {len(logs)} logs, {alive} of {len(REFS)} earlier alive", file=sys.stderr)
        REFS.extend(weakref.ref(log) for log in logs)
        out = copy(tag(logs, add=["seen"]), dest=dest)
        REFS.extend(weakref.ref(log) for log in out)
        return out
    """
)


@pytest.mark.parametrize("dry_run", [False, True])
def test_batch_headers_are_released_before_the_next_batch(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dry_run: bool
) -> None:
    for work in isolated_cli(tmp_path, monkeypatch):
        logs = sorted(make_logs(work / "logs", n=7))
        (work / "probe.py").write_text(PROBE)
        args = ["step", "probe.py@probe", "logs", "--batch-size", "2", "--json"]
        result = flow_cli(*args, *(["--dry-run"] if dry_run else []))
        assert result.code == 0, result
        lines = [line for line in result.err_lines() if line.startswith("probe:")]
        calls = [tuple(map(int, re.findall(r"\d+", line))) for line in lines]
        # (logs given, earlier alive, earlier referenced): given and returned headers per batch
        assert calls == [(2, 0, 0), (2, 0, 4), (2, 0, 8), (1, 0, 12)], lines
        summary = json.loads(result.stdout)["summary"]
        if dry_run:
            assert summary == {"would write": 14}  # the 7 edits, and the 7 tagged copies
            assert not (work / "copies").exists()
        else:
            assert summary == {"copied": 7, "written": 7}
            for log in logs:
                assert "seen" in read_header(log).tags
                assert "seen" in read_header(work / "copies" / log.name).tags
