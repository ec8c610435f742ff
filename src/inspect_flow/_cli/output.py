"""Rendering of command results: step reports (text and ``--json``).

Data goes to stdout: the dry-run preview (one line per log) and the one-line summary, or, with
``--json``, the JSON report and nothing else. Per-log failures (conflicts, failed or held-back
writes) are errors and go to stderr, like every other error.
"""

from __future__ import annotations

import json
from typing import Any

from inspect_flow import _output
from inspect_flow._logs import display_path
from inspect_flow._steps.report import LogReport, Notice, StepReport

_FAILURES = ("conflict", "failed", "not written")


def print_json(data: Any) -> None:
    """Print JSON data on stdout (indented by 2; values JSON can't represent are stringified)."""
    import click

    click.echo(json.dumps(data, indent=2, default=str))


def render_notice(notice: Notice) -> None:
    """Print one notice of a step run on stderr as it happens (filter counts, skips, leftovers)."""
    _output.notice(notice.level, notice.message)


def render_step_report(report: StepReport, as_json: bool) -> None:
    """Print a step run's report: the dry-run preview per log, failures, then the summary."""
    if as_json:
        print_json(report.to_json())
        return
    for entry in report.logs:
        shown = display_path(entry.location)
        if entry.status == "would write":
            _output.out(f"would write {shown}: {'; '.join(entry.changes)}")
        elif entry.status == "would copy":
            _output.out(f"would copy {entry.detail.removeprefix('from ')} → {shown}")
        elif entry.status in _FAILURES:
            _output.error(f"{entry.status}: {shown}: {_detail(entry, shown)}")
    _output.out(report.summary())


def _detail(entry: LogReport, shown: str) -> str:
    """Return the entry's reason without a trailing copy of the path shown in front of it."""
    detail = entry.detail
    for path in (shown, entry.location):
        for separator in (": ", " "):
            if detail.endswith(separator + path):
                detail = detail[: -len(separator + path)]
    return detail.rstrip(": ") or entry.status
