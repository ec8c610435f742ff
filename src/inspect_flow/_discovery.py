"""Find and load ``_flow.py`` files, arbitrary step files and entry points, once per process.

Every user file is executed at most once per process (cached by resolved path), as a fresh
module with a unique name. ``_flow.py`` files are executed farthest first (``/`` … parent … CWD)
and, since a later registration replaces an earlier one, the nearest file's step or filter of a
name wins. To keep that true whatever order files happened to be executed in (a process may look
from several directories), each file's registrations are recorded and the winners of the current
chain are re-registered whenever the chain is loaded.

Nothing here imports inspect_ai: discovery runs on every CLI start and must stay cheap.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from inspect_flow._errors import FlowUsageError, UserFileError
from inspect_flow._registry import (
    FilterInfo,
    StepInfo,
    register_filter,
    register_step,
    registered_filters,
    registered_steps,
)

FLOW_FILE = "_flow.py"
ENTRY_POINT_GROUPS = ("inspect_ai", "inspect_flow")

logger = logging.getLogger(__name__)


@dataclass
class _Loaded:
    """A user file executed by this process and what it registered while executing."""

    module: ModuleType
    steps: dict[str, StepInfo]
    filters: dict[str, FilterInfo]
    value: Any = None  # what its last statement produces (a _flow.py may give a FlowSpec)


_loaded: dict[Path, _Loaded] = {}
# A file that failed is not executed again: its side effects already ran once, and the same error is
# the honest answer to every later lookup.
_failed: dict[Path, UserFileError] = {}
_warned: set[Path] = set()  # untrusted _flow.py files already warned about
_lock = threading.RLock()
_entry_points_loaded = False


def flow_files(start: str | Path | None = None) -> list[Path]:
    """Return the trusted ``_flow.py`` files in ``start`` (default: CWD) and its parents.

    A file that another user owns, that every user may write, or that sits in a world-writable
    folder without the sticky bit is left out with a warning, unless trusted explicitly
    (``inspect_flow._userfiles.TRUSTED_PATHS_ENV``).

    Args:
        start: The directory to start from (a file means its directory).

    Returns:
        Resolved paths, nearest first (the order of precedence).

    """
    from inspect_flow._userfiles import untrusted_reason

    directory = Path(start).resolve() if start is not None else Path.cwd().resolve()
    if directory.is_file():
        directory = directory.parent
    candidates = (d / FLOW_FILE for d in (directory, *directory.parents))
    found = []
    for candidate in candidates:
        if not candidate.is_file():
            continue
        reason = untrusted_reason(candidate)
        if reason is None:
            found.append(candidate)
        elif candidate not in _warned:
            _warned.add(candidate)
            _warn_untrusted(candidate, reason)
    return found


def _warn_untrusted(path: Path, reason: str) -> None:
    from inspect_flow import _output
    from inspect_flow._userfiles import TRUSTED_PATHS_ENV

    _output.warn(
        f"Not executing {path}: {reason}. To trust it, set {TRUSTED_PATHS_ENV}={path.parent}"
    )


def load_flow_files(start: str | Path | None = None) -> list[Path]:
    """Execute each ``_flow.py`` of the chain once per process; the nearest file's names win.

    Args:
        start: The directory to start from (default: CWD).

    Returns:
        The chain, nearest first (as ``flow_files``); execution order is farthest first.

    Raises:
        UserFileError: A file failed to execute (its path and line are in the error).

    """
    files = flow_files(start)
    chain = [_load(path) for path in reversed(files)]
    _reinstate(chain)
    return files


def flow_file_value(path: str | Path) -> Any:
    """Return what a ``_flow.py``'s last statement produces (executing it once per process).

    An expression or a single assignment gives its value; anything else (a trailing function
    definition, say) gives None: such a file breaks nothing.

    Raises:
        UserFileError: The file failed to execute.

    """
    return _load(Path(path).resolve()).value


def load_python_file(path: str | Path, base_dir: str | Path | None = None) -> ModuleType:
    """Execute an arbitrary Python file once per process and return its module.

    Args:
        path: The file, absolute or relative to ``base_dir``.
        base_dir: The directory relative paths are resolved against (default: CWD).

    Raises:
        FlowUsageError: The file does not exist (``File not found: <path as typed>``).
        UserFileError: The file failed to execute.

    """
    return _load(_resolve_file(path, base_dir)).module


def steps_in_file(path: str | Path, base_dir: str | Path | None = None) -> dict[str, StepInfo]:
    """Load a file (once per process) and return the steps it defines, by name.

    Steps the file merely imports are excluded: only steps whose function's source file is this
    file. The answer comes from what the file registered, so a later same-named step registered from
    elsewhere does not hide it.
    """
    resolved = _resolve_file(path, base_dir)
    record = _load(resolved)
    return {n: s for n, s in record.steps.items() if s.source_file == str(resolved)}


def filters_in_file(path: str | Path, base_dir: str | Path | None = None) -> dict[str, FilterInfo]:
    """Load a file (once per process) and return the log filters it defines, by qualified name."""
    resolved = _resolve_file(path, base_dir)
    record = _load(resolved)
    return {n: f for n, f in record.filters.items() if f.source_file == str(resolved)}


def load_entry_points() -> None:
    """Load installed packages' entry points (``inspect_ai``, ``inspect_flow``) once per process.

    Packages register their steps and filters by being imported. A broken third-party entry point is
    logged as a warning and skipped: it must never break the CLI. This can import large packages, so
    callers use it as a fallback when a name is not found, not on every start.
    """
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points  # lazy: only needed on this fallback path

    for group in ENTRY_POINT_GROUPS:
        for entry_point in entry_points(group=group):
            try:
                entry_point.load()
            except Exception as exc:  # third-party code: anything can happen
                logger.warning(
                    "Could not load entry point '%s' (%s) of group '%s': %s: %s",
                    entry_point.name,
                    entry_point.value,
                    group,
                    type(exc).__name__,
                    exc,
                )


# -------------------------------------------------------------------------------------------------
# @NAME constants


# Only identifier-shaped names are constants; other tokens starting with "@" (a lone "@",
# "@a@b.com", "@some-handle") pass through unchanged instead of failing as in the reference.
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def expand_constants(argv: list[str], cwd: str | Path | None = None) -> list[str]:
    """Replace ``@NAME`` and ``@file.py@NAME`` tokens of ``argv`` by the constants they name.

    ``@NAME`` is a module-level UPPERCASE ``str`` (no leading underscore) of a ``_flow.py`` in the
    chain of ``cwd``; ``@file.py@NAME`` reads it from that file (relative to ``cwd``). Other tokens
    are returned unchanged, so a literal value starting with ``@`` can be passed as ``--opt=@x``.

    Raises:
        FlowUsageError: The file or constant is missing, or ``_flow.py`` files disagree on it.
        UserFileError: A file failed to execute.

    """
    return [_expand(token, cwd) if token.startswith("@") else token for token in argv]


def _expand(token: str, cwd: str | Path | None) -> str:
    file_part, at, name = token[1:].rpartition("@")
    if at and file_part.endswith(".py") and _NAME_RE.match(name):
        value = _constants(load_python_file(file_part, cwd)).get(name)
        if value is None:
            raise FlowUsageError(f"Constant '{name}' not found in {file_part}.")
        return value
    if not at and _NAME_RE.match(name):
        return _constant_from_chain(name, cwd)
    return token


def _constant_from_chain(name: str, cwd: str | Path | None) -> str:
    files = load_flow_files(cwd)
    found = [(f, v) for f in files if (v := _constants(_loaded[f].module).get(name)) is not None]
    if not found:
        raise FlowUsageError(
            f"Constant '{name}' not found in any _flow.py. "
            "Define it as an UPPERCASE module-level string."
        )
    # Unlike steps, a constant defined differently at two levels stays an error (as in the
    # reference): a silently different value would change what a command does, invisibly.
    if len({value for _, value in found}) > 1:
        where = ", ".join(str(f) for f, _ in found)
        raise FlowUsageError(
            f"Constant '{name}' is defined in multiple files with different values: {where}. "
            "Use file.py@NAME to disambiguate."
        )
    return found[0][1]


def _constants(module: ModuleType) -> dict[str, str]:
    return {
        key: value
        for key, value in vars(module).items()
        if key.isupper() and not key.startswith("_") and isinstance(value, str)
    }


# -------------------------------------------------------------------------------------------------
# Loading


def _resolve_file(path: str | Path, base_dir: str | Path | None) -> Path:
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = (Path(base_dir) if base_dir is not None else Path.cwd()) / candidate
    if not candidate.is_file():
        raise FlowUsageError(f"File not found: {path}")
    return candidate.resolve()


def _module_name(path: Path) -> str:
    # Unique per path so two files with the same name never share (or clobber) a module.
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.stem)
    return f"_inspect_flow_user_{stem}_{digest}"


def _load(path: Path) -> _Loaded:
    """Execute ``path`` (resolved) unless already done, recording what it registered."""
    # Reentrant: a file may load another while executing. The lock keeps "once per process" true
    # when several threads resolve names at the same time.
    with _lock:
        if path in _loaded:
            return _loaded[path]
        if path in _failed:
            raise _failed[path]
        _loaded[path] = _execute(path)
        return _loaded[path]


def _execute(path: Path) -> _Loaded:
    from inspect_flow._userfiles import execute, last_value

    steps_before = dict(registered_steps())
    filters_before = dict(registered_filters())
    try:
        executed = execute(path, _module_name(path))
        value = last_value(executed, str(path), strict=False)
    except UserFileError as error:
        _failed[path] = error
        raise
    return _Loaded(
        module=executed.module,
        steps={k: v for k, v in registered_steps().items() if steps_before.get(k) is not v},
        filters={k: v for k, v in registered_filters().items() if filters_before.get(k) is not v},
        value=value,
    )


def _reinstate(chain: list[_Loaded]) -> None:
    """Make the registry hold the nearest definition of each name the chain (farthest first) has."""
    steps: dict[str, StepInfo] = {}
    filters: dict[str, FilterInfo] = {}
    for record in chain:
        steps.update(record.steps)
        filters.update(record.filters)
    current_steps, current_filters = registered_steps(), registered_filters()
    for name, info in steps.items():
        now = current_steps.get(name)
        if now is None or now.func is not info.func or now.wrapper is not info.wrapper:
            register_step(info.func, info.wrapper)
    for qualified, finfo in filters.items():
        fnow = current_filters.get(qualified)
        if fnow is None or fnow.func is not finfo.func:
            register_filter(finfo.func)


def _reset_for_tests() -> None:
    """Forget every loaded file and entry point (tests share one process)."""
    global _entry_points_loaded
    for path, record in _loaded.items():
        sys.modules.pop(record.module.__name__, None)
        if str(path.parent) in sys.path:
            sys.path.remove(str(path.parent))
    _loaded.clear()
    _failed.clear()
    _warned.clear()
    _entry_points_loaded = False
