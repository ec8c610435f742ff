"""Rendering of command results: step reports (text and ``--json``)."""

from __future__ import annotations

import json
from typing import Any

from inspect_flow import _output
from inspect_flow._logs import paths
from inspect_flow._steps.report import StepReport


def print_json(data: Any) -> None:
    """Print JSON data on stdout (indented by 2; values JSON can't represent are stringified)."""
    import click

    click.echo(json.dumps(data, indent=2, default=str))


def render_step_report(report: StepReport, as_json: bool) -> None:
    """Print a step run's report: the dry-run preview per log, then the one-line summary."""
    if as_json:
        print_json(report.to_json())
        return
    for entry in report.logs:
        shown = paths.display_path(entry.location)
        if entry.status == "would write":
            _output.out(f"would write {shown}: {'; '.join(entry.changes)}")
        elif entry.status == "would copy":
            _output.out(f"would copy {entry.detail[len('from ') :]} → {shown}")
        elif entry.status in ("conflict", "failed", "not written"):
            _output.out(f"{entry.status}: {shown}: {entry.detail}")
    _output.out(report.summary())
