"""``check``: match a spec's tasks to the logs of a directory and report completeness.

Every log under the log directory is listed (recursively) and its header read concurrently; a log
or folder that cannot be read is listed as unreadable and never aborts the check. Matching is in
``inspect_flow._check.match``; the result model and its JSON in ``inspect_flow._check.result``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import TYPE_CHECKING

from inspect_flow._check.result import CheckResult, Phase
from inspect_flow._errors import FlowUsageError
from inspect_flow._runtime import ensure_initialised
from inspect_flow._spec.models import FlowSpec

if TYPE_CHECKING:
    from inspect_flow._filters import FilterSpecs


def check(
    spec: FlowSpec,
    base_dir: str | None = None,
    *,
    log_dir: str | None = None,
    filter: FilterSpecs = None,
    exclude: FilterSpecs = None,
    status: Callable[[str], None] | None = None,
    phase: Phase | None = None,
) -> CheckResult:
    """Check a spec against the logs of its log directory.

    A spec with ``execution_type="venv"`` is checked in a temporary venv holding its
    dependencies (``inspect_flow._check.venv``; it must come from a file, and then also reports
    an ``env`` phase first).

    Args:
        spec: The spec (from ``load_spec`` or built in Python).
        base_dir: The folder relative paths of the spec are resolved against (default: the spec
            file's folder for a loaded spec, else the CWD).
        log_dir: Search this directory instead of the spec's (relative to the CWD).
        filter: Filter(s) a log must pass to count (callables, names or ``file.py@name``).
        exclude: Filter(s) a log must not match to count.
        status: Called with progress messages (``Instantiated 3 tasks``, ...).
        phase: Runs each phase (``instantiate``, then ``logs``) as a context manager yielding a
            ``done(message)`` callable, e.g. ``Actions.phase`` of ``inspect_flow._output``; an
            exception inside a phase escapes through it.

    Raises:
        FlowUsageError: No log directory, or an unknown filter.
        FlowError: A task cannot be instantiated, or two tasks have the same identity.

    """
    from inspect_flow._check.match import match_logs
    from inspect_flow._filters import resolve_filters
    from inspect_flow._logs import list_log_files, normalize, read_headers
    from inspect_flow._spec.instantiate import instantiate_tasks
    from inspect_flow._spec.load import expand_spec

    ensure_initialised()
    step = _phases(status, phase)
    if spec.execution_type == "venv":  # the tasks need packages that may not be here
        from inspect_flow._check.venv import check_in_venv

        return check_in_venv(
            spec, base_dir, log_dir=log_dir, filter=filter, exclude=exclude, step=step
        )
    base = os.path.abspath(base_dir or spec._base_dir or os.getcwd())
    with ExitStack() as scope:
        with step("instantiate") as done:
            expanded = expand_spec(spec, base)
            # the spec's env holds while tasks are created and logs read, then is restored
            scope.enter_context(spec_env(expanded.env))
            directory = log_dir if log_dir is not None else expanded.log_dir
            if directory is None:
                raise FlowUsageError("log_dir must be set before checking the flow spec")
            where = os.getcwd() if log_dir is not None else base
            location = normalize(directory, where)
            includes = resolve_filters(filter, base)
            excludes = resolve_filters(exclude, base)
            spec_tasks = instantiate_tasks(expanded, base)
            done(f"Instantiated {len(spec_tasks)} task{'s' if len(spec_tasks) != 1 else ''}")
        with step("logs") as done:
            unlistable: dict[str, str] = {}  # folders that cannot be listed
            read = read_headers(list_log_files(location, errors=unlistable))
            done(
                f"Found {len(read.logs)} existing logs in log directory"
                if read.logs
                else "No existing logs found in log directory"
            )
        unreadable = {**unlistable, **read.errors}
        return match_logs(spec_tasks, read.logs, unreadable, location, includes, excludes)


@contextmanager
def spec_env(env: dict[str, str] | None) -> Iterator[None]:
    """Set the spec's environment variables for the block; restore the previous values."""
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _phases(status: Callable[[str], None] | None, phase: Phase | None) -> Phase:
    """Combine the ``status`` and ``phase`` callbacks of ``check`` into one ``Phase``."""

    @contextmanager
    def run(name: str) -> Iterator[Callable[[str], None]]:
        with phase(name) if phase else nullcontext(None) as done:

            def finish(message: str) -> None:
                if status:
                    status(message)
                if done:
                    done(message)

            yield finish

    return run
