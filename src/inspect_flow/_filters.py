"""``@log_filter``: named predicates over log headers, and their resolution from user input.

A filter spec is a callable, a registered name (``reviewed``, ``pkg/reviewed``) or ``file.py@name``.
Names are looked up in the registry, then in the ``_flow.py`` chain, then in installed packages'
entry points, then by unique ``/name`` suffix. inspect_ai is imported only for type checking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from inspect_flow._errors import FlowError, FlowUsageError
from inspect_flow._registry import FilterInfo, register_filter, registered_filters

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

LogFilter: TypeAlias = Callable[["EvalLog"], bool]
"""A log filter: receives a header-only ``EvalLog``, returns True to keep the log."""

FilterSpec: TypeAlias = "str | LogFilter"
"""What users may pass where a filter is expected: a callable, a name, or ``file.py@name``."""

FilterSpecs: TypeAlias = "FilterSpec | Sequence[FilterSpec] | None"
"""Zero, one or several filter specs (the ``filter=``/``exclude=`` arguments of the API)."""

_F = TypeVar("_F", bound=Callable[..., object])


class FilterFailedError(FlowError):
    """A log filter raised while being applied to a log.

    Not a usage error: the filter was found and the command was well formed; user code failed at run
    time, which is a failure (exit 1) like any other per-log failure.

    Attributes:
        filter_name: The display name of the filter.
        location: The location of the log it was applied to.

    """

    def __init__(self, filter_name: str, location: str, message: str) -> None:
        self.filter_name = filter_name
        self.location = location
        super().__init__(message)


def log_filter(func: _F) -> _F:
    """Register ``func`` (``(EvalLog) -> bool``) as a log filter and return it unchanged.

    Its name is ``func.__name__`` (``pkg/name`` when it lives in an installed package).
    """
    if not callable(func):
        raise TypeError(f"@log_filter expects a function, got {type(func).__name__}")
    register_filter(func)
    return func


def resolve_filter(
    spec: str | LogFilter, base_dir: str | Path | None = None
) -> tuple[str, LogFilter]:
    """Turn a filter spec into ``(display name, callable)``.

    Args:
        spec: A callable (used as is), ``file.py@name`` (split at the last ``@``; the file is
            relative to ``base_dir``), or a filter name.
        base_dir: Where relative files are resolved and where ``_flow.py`` discovery starts
            (default: CWD).

    Raises:
        FlowUsageError: The file or filter does not exist, or a bare name is ambiguous.
        UserFileError: A file that had to be executed is broken.

    """
    if not isinstance(spec, str):
        if not callable(spec):
            raise FlowUsageError(f"Invalid log filter: {spec!r}")
        return getattr(spec, "__name__", repr(spec)), spec
    if "@" in spec:
        return spec, _from_file(spec, base_dir)
    info = _from_registry(spec, base_dir)
    return info.qualified_name, info.func


def resolve_filters(
    specs: FilterSpecs,
    base_dir: str | Path | None = None,
) -> list[tuple[str, LogFilter]]:
    """Resolve zero, one or several filter specs (see ``resolve_filter``), keeping their order."""
    if specs is None:
        return []
    if isinstance(specs, str) or callable(specs):
        return [resolve_filter(specs, base_dir)]
    return [resolve_filter(spec, base_dir) for spec in specs]


def apply_filter(name: str, func: LogFilter, log: EvalLog) -> bool:
    """Apply one filter to one log header.

    Raises:
        FilterFailedError: The filter raised; the message names the filter, the log and the error.

    """
    from inspect_flow._userfiles import calling

    try:
        with calling(func, f"log filter '{name}'"):
            return bool(func(log))
    except FlowError:
        raise  # sys.exit in the filter: a UserFileError naming its file and line
    except Exception as exc:
        location = str(log.location or "<log>")
        where = _raise_site(exc, func)
        raise FilterFailedError(
            name,
            location,
            f"Log filter '{name}' failed on {location}{where}: {type(exc).__name__}: {exc}",
        ) from exc


def passes_filters(
    log: EvalLog,
    include: Sequence[tuple[str, LogFilter]] = (),
    exclude: Sequence[tuple[str, LogFilter]] = (),
) -> bool:
    """Return True when every include filter passes and no exclude filter matches."""
    if not all(apply_filter(name, func, log) for name, func in include):
        return False
    return not any(apply_filter(name, func, log) for name, func in exclude)


def _from_file(spec: str, base_dir: str | Path | None) -> LogFilter:
    from inspect_flow._discovery import filters_in_file

    file, _, name = spec.rpartition("@")
    for qualified, info in filters_in_file(file, base_dir).items():
        if name in (qualified, info.name):
            return info.func
    raise FlowUsageError(f"Log filter '{name}' not found in {file}.")


def _from_registry(name: str, base_dir: str | Path | None) -> FilterInfo:
    from inspect_flow._discovery import load_entry_points, load_flow_files

    filters = registered_filters()
    if name not in filters:
        load_flow_files(base_dir)
    if name not in filters:
        # Packages register filters when imported, as ``pkg/name``: found by the suffix match below.
        load_entry_points()
    if name in filters:
        return filters[name]
    matches = sorted(q for q in filters if q.endswith(f"/{name}"))
    if len(matches) > 1:
        raise FlowUsageError(
            f"Multiple log filters match '{name}': {matches}. Use a fully qualified name."
        )
    if matches:
        return filters[matches[0]]
    raise FlowUsageError(f"Log filter '{name}' not found in registry.")


def _raise_site(exc: BaseException, func: LogFilter) -> str:
    """Return `` (file:line)``: the innermost traceback frame in ``func``'s file, if any."""
    from inspect_flow._userfiles import failing_line

    code = getattr(func, "__code__", None)
    line = failing_line(exc, code.co_filename) if code is not None else None
    return f" ({code.co_filename}:{line})" if code is not None and line else ""
