"""``run``: run a spec's tasks with ``inspect_ai.eval_set``, reusing logs, recording what it did.

A run has two halves, so the command line can show the pre-run table before the eval starts:

* ``plan_run`` resolves the run folder (the log dir, a unique timestamped folder in it, or the
  folder of an earlier run with ``resume``), instantiates the tasks and matches the logs already in
  that folder exactly as ``flow check`` does, and with store reading finds the best matching log
  of each task in the Flow Store. It writes nothing.
* ``execute_run`` copies the store's logs into the run folder (so ``eval_set`` reuses them),
  writes ``flow.yaml`` (the resolved spec) and ``flow-requirements.txt`` there, runs the eval set,
  matches the folder's logs again, and indexes the completed ones in the store.

``run`` does both. Ctrl-C stops the eval set; its partial logs stay in the run folder and a later
run with ``resume`` continues them (``RunInterrupted``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inspect_flow._errors import FlowUsageError
from inspect_flow._run.logdir import user_path
from inspect_flow._run.store import StoreUse

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._check import CheckResult, Phase
    from inspect_flow._spec.models import FlowSpec


class RunInterrupted(KeyboardInterrupt):
    """The run was interrupted; its partial logs are kept in ``log_dir`` (resume continues them).

    Attributes:
        log_dir: The run folder (an absolute path, or a URL).

    """

    def __init__(self, log_dir: str) -> None:
        super().__init__(log_dir)
        self.log_dir = log_dir


@dataclass
class RunPlan:
    """What a run will do (``plan_run``); ``execute_run`` does it.

    Attributes:
        spec: The expanded spec.
        base_dir: The spec's folder.
        log_dir: The run folder (URI).
        table: The tasks and their best existing logs (those from the store included).
        copies: Store logs to copy into the run folder: (store log, destination) URIs.
        store: The store settings.
        store_logs: Stored logs read (0 when the store is not read).
        options: The ``eval_set`` options.
        dry_run: Only report; write nothing.
        handle_file: Where to record the run folder.
        problems: Why the run cannot start (a dirty log dir).
        new_folder: The run folder is a new unique folder (created when the run starts).

    """

    spec: FlowSpec
    base_dir: str
    log_dir: str
    table: CheckResult
    copies: list[tuple[str, str]]
    store: StoreUse
    store_logs: int
    options: dict[str, Any]
    dry_run: bool = False
    handle_file: str | None = None
    problems: list[str] = field(default_factory=list)
    new_folder: bool = False

    @property
    def complete(self) -> int:
        """How many tasks already have a complete log."""
        return sum(1 for t in self.table.tasks if t.complete)


@dataclass
class RunResult:
    """The outcome of a run (the first three fields are Flow 0.14's).

    Attributes:
        success: Every task of the eval set completed successfully.
        logs: The eval set's logs (headers), one per task.
        log_dir: The run folder (an absolute path, or a URL).
        plan: What the run set out to do (the pre-run table).
        after: The run folder's logs matched to the tasks after the run (None for a dry run).
        copied: Store logs copied into the run folder (destination URIs).
        indexed: The store's ``ImportResult`` for the completed logs (None when not indexed).
        store_error: Why indexing failed (the logs are written all the same).

    """

    success: bool
    logs: list[EvalLog]
    log_dir: str
    plan: RunPlan | None = None
    after: CheckResult | None = None
    copied: list[str] = field(default_factory=list)
    indexed: Any = None
    store_error: str | None = None


def run(
    spec: FlowSpec,
    base_dir: str | None = None,
    *,
    dry_run: bool = False,
    resume: bool = False,
    handle_file: str | None = None,
    **options: Any,
) -> RunResult:
    """Run a spec's tasks with Inspect AI's ``eval_set``.

    Args:
        spec: The spec (from ``load_spec`` or built in Python).
        base_dir: The folder relative paths of the spec are resolved against (default: the spec
            file's folder for a loaded spec, else the CWD).
        dry_run: Report what would run (and what is complete); write nothing.
        resume: Continue an earlier run's folder instead of starting a new unique one.
        handle_file: Record the run folder in this file (read back with ``resume``).
        **options: More ``plan_run`` options (``log_dir``, ``store``, ``store_read``, ...).

    Returns:
        What ran, the logs and the run folder.

    Raises:
        RunInterrupted: Ctrl-C; the partial logs are kept.
        FlowUsageError: No log dir, a dirty log dir, nothing to resume, a venv spec.
        FlowError: A task cannot be instantiated, or ``eval_set`` refused to start.

    """
    plan = plan_run(
        spec, base_dir, dry_run=dry_run, resume=resume, handle_file=handle_file, **options
    )
    return execute_run(plan)


def plan_run(
    spec: FlowSpec,
    base_dir: str | None = None,
    *,
    dry_run: bool = False,
    resume: bool = False,
    handle_file: str | None = None,
    log_dir: str | None = None,
    log_dir_create_unique: bool | None = None,
    log_dir_allow_dirty: bool | None = None,
    store: str | None = None,
    store_read: bool | None = None,
    store_write: bool | None = None,
    store_filter: list[Any] | None = None,
    display: str | None = None,
    log_level: str | None = None,
    phase: Phase | None = None,
) -> RunPlan:
    """Plan a run: its folder, its tasks and their existing logs (and store logs); write nothing.

    Args:
        spec: The spec.
        base_dir: See ``run``.
        dry_run: Mark the plan as a dry run (``execute_run`` then writes nothing).
        resume: See ``run``.
        handle_file: See ``run``.
        log_dir: Run in this log dir instead of the spec's (relative to the CWD).
        log_dir_create_unique: Override the spec's ``log_dir_create_unique``.
        log_dir_allow_dirty: Allow logs of other tasks in the run folder.
        store: The store (``auto``, ``none`` or a path relative to the CWD).
        store_read: Reuse matching logs from the store (default: the spec's, else off).
        store_write: Index completed logs in the store (default: the spec's, else on).
        store_filter: Filters a stored log must pass to be reused.
        display: inspect's display for the eval set (default: Flow's display when it is not
            ``full``, e.g. after ``init(display="none")``; otherwise inspect's default).
        log_level: inspect's log level for the eval set.
        phase: Runs each phase (``instantiate``, ``logs``, ``store``), as for ``check``.

    """
    from inspect_flow import _output
    from inspect_flow._check import check, spec_env
    from inspect_flow._logs import normalize
    from inspect_flow._run.evalset import eval_set_options
    from inspect_flow._run.logdir import resolve_run_dir
    from inspect_flow._run.store import merge_store_logs, store_message, store_use
    from inspect_flow._runtime import ensure_initialised
    from inspect_flow._spec.load import expand_spec
    from inspect_flow._spec.runopts import apply_run_options

    ensure_initialised()
    if resume and log_dir is not None:
        raise FlowUsageError("--resume and --log-dir are mutually exclusive.")
    base = os.path.abspath(base_dir or spec._base_dir or os.getcwd())
    # the run's options change a copy of the spec, which flow.yaml then records
    expanded = expand_spec(spec, base).model_copy()
    apply_run_options(
        expanded,
        log_dir_allow_dirty=log_dir_allow_dirty,
        log_dir_create_unique=log_dir_create_unique,
        store=store,
        store_read=store_read,
        store_write=store_write,
        store_filter=store_filter,
    )
    if expanded.execution_type == "venv":
        raise FlowUsageError(
            "flow run does not support venv execution (run where the tasks' dependencies are "
            "installed)"
        )
    if log_dir is not None:
        expanded.log_dir = normalize(log_dir)
    if expanded.log_dir is None:
        raise FlowUsageError("log_dir must be set before running the flow spec")
    location = normalize(expanded.log_dir, base)
    unique = bool(expanded.log_dir_create_unique)
    run_dir = resolve_run_dir(location, unique=unique, resume=resume, handle_file=handle_file)
    with spec_env(expanded.env):
        table = check(expanded, base, log_dir=run_dir, phase=phase)
    use = store_use(expanded, base)
    copies: list[tuple[str, str]] = []
    store_logs = 0
    if use.read and use.location is not None:
        with _phase(phase, "store") as done:
            found = merge_store_logs(table, use, run_dir, base, dry_run)
            if found is None:
                done("Store not found: no logs to reuse")
            else:
                table, copies, store_logs = found
                done(store_message(len(copies), dry_run))
    allow_dirty = expanded.options.log_dir_allow_dirty if expanded.options else None
    problems = []
    if table.unrecognized and not allow_dirty:
        count = len(table.unrecognized)
        problems.append(
            f"The log dir holds {count} log{'s' if count != 1 else ''} of other tasks: run in a "
            "fresh log dir, or allow them with --log-dir-allow-dirty"
        )
    if display is None and _output.display() != "full":
        display = _output.display()  # init(display="none") quiets the eval set too
    options = eval_set_options(expanded, table.spec_tasks, display=display, log_level=log_level)
    return RunPlan(
        spec=expanded,
        base_dir=base,
        log_dir=run_dir,
        table=table,
        copies=copies,
        store=use,
        store_logs=store_logs,
        options=options,
        dry_run=dry_run,
        handle_file=handle_file,
        problems=problems,
        new_folder=unique and not resume,
    )


def _phase(phase: Phase | None, name: str) -> Any:
    from contextlib import nullcontext

    if phase is not None:
        return phase(name)
    return nullcontext(lambda _message: None)


def execute_run(plan: RunPlan) -> RunResult:
    """Carry out a plan (nothing is written for a dry run); see the module docstring.

    Raises:
        RunInterrupted: Ctrl-C; the partial logs are kept.
        FlowUsageError: The plan has problems (a dirty log dir).

    """
    if plan.dry_run:
        return RunResult(
            success=plan.table.is_complete, logs=[], log_dir=user_path(plan.log_dir), plan=plan
        )
    if plan.problems:
        raise FlowUsageError(plan.problems[0])
    from inspect_flow._check import spec_env
    from inspect_flow._errors import FlowError
    from inspect_flow._logs import create_folder, display_path
    from inspect_flow._run.evalset import run_eval_set
    from inspect_flow._run.logdir import write_handle
    from inspect_flow._run.records import write_records
    from inspect_flow._run.store import copy_from_store

    if plan.new_folder and not create_folder(plan.log_dir):
        raise FlowError(
            f"The run folder {display_path(plan.log_dir)} was created by another run meanwhile: "
            "run again for a folder of its own"
        )
    if plan.handle_file:
        write_handle(plan.handle_file, plan.log_dir)
    copied = copy_from_store(plan.copies)
    write_records(plan)
    with spec_env(plan.spec.env):
        try:
            if plan.table.spec_tasks:
                success, logs = run_eval_set(plan.table.spec_tasks, plan.log_dir, plan.options)
            else:  # nothing to run (eval_set would call an empty set a failure)
                success, logs = True, []
        except KeyboardInterrupt as exc:
            raise RunInterrupted(user_path(plan.log_dir)) from exc
    after = _match_folder(plan)
    result = RunResult(
        success=success,
        logs=logs,
        log_dir=user_path(plan.log_dir),
        plan=plan,
        after=after,
        copied=copied,
    )
    if plan.store.write and plan.store.location is not None:
        from inspect_flow._errors import one_line
        from inspect_flow._run.store import index_logs

        completed = [t.log_file for t in after.tasks if t.complete and t.log_file]
        try:
            result.indexed = index_logs(plan.store, completed)
        except Exception as exc:  # the logs are written; the failure is the store's alone
            result.store_error = f"Could not index the logs in the store: {one_line(exc)}"
    return result


def _match_folder(plan: RunPlan) -> CheckResult:
    """Match the run folder's logs (as they are now) to the plan's tasks."""
    from inspect_flow._check import match_logs
    from inspect_flow._logs import list_log_files, read_headers

    read = read_headers(list_log_files(plan.log_dir))
    return match_logs(plan.table.spec_tasks, read.logs, dict(read.errors), plan.log_dir, [], [])
