"""``check`` for a spec whose tasks are resolved in a temporary venv (``execution_type="venv"``).

The tasks of such a spec may need packages this environment lacks, so they cannot be created
here. Instead a temporary venv holding the spec's dependencies is built (``_spec.venv``) and
```python -m inspect_flow check SPEC --json`` runs in it: the spec file is loaded again with the
same ``-A``/``--set``/``--limit``/``--log-dir`` as here, plus ``--set execution_type=inproc`` so
the child does not build a venv of its own. Its JSON (``CheckResult.to_json``) is read back with
``CheckResult.from_json``, holding this spec's ``FlowTask`` objects, so the CLI renders (and the API
returns) the same thing as for an in-process check, with one status display.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from inspect_flow import _output
from inspect_flow._check.result import CheckResult, Phase
from inspect_flow._errors import ExitCode, FlowError, FlowUsageError, UserFileError
from inspect_flow._runtime import log_level_name
from inspect_flow._spec.models import FlowSpec, FlowTask
from inspect_flow._spec.venv import SpecSource, last_error_line, run_flow, spec_source

if TYPE_CHECKING:
    from inspect_flow._filters import FilterSpecs

# Exit codes of a child `flow check --json` whose stdout holds a result (1: unreadable logs).
_RESULT_CODES = (ExitCode.OK, ExitCode.FAILURE, ExitCode.INCOMPLETE)


def check_in_venv(
    spec: FlowSpec,
    base_dir: str | None,
    *,
    log_dir: str | None,
    filter: FilterSpecs,
    exclude: FilterSpecs,
    step: Phase,
) -> CheckResult:
    """Check a loaded spec by resolving its tasks in a temporary venv.

    Args:
        spec: A spec loaded from a file (``load_spec``, or the CLI's loader).
        base_dir: Must be None or the spec file's folder (the child loads the file again).
        log_dir: Search this directory instead of the spec's (relative to the CWD).
        filter: Filter names or ``file.py@name`` (functions cannot cross into the venv).
        exclude: As ``filter``.
        step: Runs the ``env``, ``instantiate`` and ``logs`` phases.

    Raises:
        FlowUsageError: The spec was not loaded from a file, ``base_dir`` differs from its
            folder, or a filter is a function.
        FlowError: The venv cannot be set up, or the check in it fails (its message).

    """
    from inspect_flow._spec.venv import temporary_venv

    source = spec_source(spec)
    if source is None:
        raise FlowUsageError(
            "execution_type='venv' (--venv) needs a spec loaded from a file (load_spec): "
            "the file is loaded again inside the venv"
        )
    spec_dir = os.path.dirname(source.file)
    if base_dir is not None and os.path.abspath(base_dir) != spec_dir:
        raise FlowUsageError(f"base_dir of a venv check must be the spec file's folder: {spec_dir}")
    if log_dir is not None:  # relative to our CWD, which the child shares
        source = replace(source, log_dir=log_dir)
    argv = _argv(source, _names(filter, "filter"), _names(exclude, "exclude"))
    with ExitStack() as scope:
        with step("env") as done:
            python = scope.enter_context(temporary_venv(spec, spec_dir, done))
        with step("instantiate") as done:
            result = _run(python, spec, argv)
            count = len(result.tasks)
            done(f"Instantiated {count} task{'s' if count != 1 else ''}")
    with step("logs") as done:
        found = result.logs_found
        done(
            f"Found {found} existing logs in log directory"
            if found
            else "No existing logs found in log directory"
        )
    return result


def _names(filters: FilterSpecs, option: str) -> list[str]:
    if filters is None:
        return []
    items = [filters] if isinstance(filters, str) or callable(filters) else list(filters)
    names = [item for item in items if isinstance(item, str)]
    if len(names) != len(items):
        raise FlowUsageError(
            f"A venv check takes {option}s by name (registered, `_flow.py`, or file.py@name), "
            "not functions: they cannot be passed to the venv"
        )
    return names


def _argv(source: SpecSource, filters: Sequence[str], excludes: Sequence[str]) -> list[str]:
    """Return the child's command line: load the same spec, in-process, JSON on stdout only."""
    argv = ["check", source.file, "--json", "--display", "none", "--log-level", _log_level()]
    for key, value in source.args.items():
        argv += ["--arg", f"{key}={_json(value, f'-A {key}')}"]
    for key, value in [*source.sets, ("execution_type", "inproc")]:
        argv += ["--set", f"{key}={_json(value, f'--set {key}')}"]
    if source.limit is not None:
        argv += ["--limit", str(source.limit)]
    if source.log_dir is not None:
        argv += ["--log-dir", source.log_dir]
    for name in filters:
        argv += ["--filter", name]
    for name in excludes:
        argv += ["--exclude", name]
    return argv


def _json(value: Any, what: str) -> str:
    """Encode a value so the child's ``key=value`` parser (maybe-JSON) gives it back unchanged."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise FlowUsageError(f"{what}: a venv check needs JSON values ({exc})") from exc


def _log_level() -> str:
    return log_level_name(logging.getLogger().getEffectiveLevel())


def _run(python: str, spec: FlowSpec, argv: list[str]) -> CheckResult:
    """Run the child check; return its result, or raise its error (same kind, same message)."""
    done = run_flow(python, spec, argv)
    result = _parse(spec, done.stdout) if done.returncode in _RESULT_CODES else None
    lines = done.stderr.splitlines()
    if result is None:
        error = last_error_line(done.stderr).removeprefix("✗ ").removeprefix("Error: ")
        _echo([line for line in lines if line.strip() and error not in line])
        raise _error(done.returncode, error)
    _echo(lines)
    return result


def _parse(spec: FlowSpec, stdout: str) -> CheckResult | None:
    """Read the child's JSON as a result holding this spec's tasks (None: not a result)."""
    tasks = [t if isinstance(t, FlowTask) else None for t in spec.tasks or []]
    try:
        return CheckResult.from_json(json.loads(stdout), tasks)
    except (ValueError, KeyError, TypeError):
        return None


def _echo(lines: list[str]) -> None:
    """Pass on what the child printed on stderr (warnings, tracebacks when asked)."""
    for line in lines:
        _output.err(line)


def _error(code: int, message: str) -> FlowError:
    """Rebuild the child's error so it maps to the same exit code here."""
    if code == ExitCode.USAGE:
        return FlowUsageError(message)
    broken = re.fullmatch(r"Error (?:loading|in) (.+?)(?::(\d+))?: (.*)", message)
    if code == ExitCode.USER_FILE and broken:
        path, line, detail = broken.groups()
        return UserFileError(path, int(line) if line else None, detail)
    return FlowError(message)
