"""Load spec files (``.py``, ``.yaml``, ``.yml``) and expand them.

Expansion order (as in Flow 0.14): ``includes`` are merged underneath the spec (the including spec
wins; later includes win over earlier ones), then the ``_flow.py`` files from the spec's folder up
to ``/`` are merged underneath that (the nearest file wins), then the command-line overrides
(``--set``, ``--limit``, ``--log-dir``) are applied, then ``{placeholders}`` are substituted
(``placeholders``), then ``defaults`` are applied to the tasks (``defaults``), and last the
``@after_load`` hooks run (``hooks``). Relative paths inside an
included file (its ``log_dir``, its task files) are relative to that file's folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from inspect_flow._errors import FlowUsageError, PathNotFoundError, UserFileError
from inspect_flow._spec.models import FlowSpec, FlowTask
from inspect_flow._spec.overrides import apply_set, merge
from inspect_flow._spec.placeholders import detach, substitute_placeholders
from inspect_flow._spec.venv import SpecSource, record_source
from inspect_flow._userfiles import describe

SPEC_EXTENSIONS = (".py", ".yaml", ".yml")


def load_spec(file: str, *, args: dict[str, Any] | None = None) -> FlowSpec:
    """Load and expand a spec file.

    Args:
        file: A ``.py``, ``.yaml`` or ``.yml`` spec (relative to the CWD).
        args: Keyword arguments for a Python spec that ends in a function definition.

    Returns:
        The expanded spec. Its ``log_dir`` stays as written; ``check`` resolves a relative
        ``log_dir`` against the spec file's folder.

    Raises:
        UserFileError: The file is broken (path and line in the message).
        FlowUsageError: The file has an unsupported extension.
        FileNotFoundError: The file (or a file it includes) does not exist.

    """
    from inspect_flow._runtime import ensure_initialised

    ensure_initialised(dotenv_base_dir=os.path.dirname(os.path.abspath(file)))
    return load_spec_file(file, args=args)


def load_spec_file(
    file: str,
    *,
    args: dict[str, Any] | None = None,
    sets: Sequence[tuple[str, Any]] = (),
    limit: int | None = None,
    log_dir: str | None = None,
) -> FlowSpec:
    """Load a spec file, expand it and apply command-line overrides.

    Args:
        file: The spec file (relative to the CWD).
        args: ``-A`` arguments for a function spec.
        sets: ``--set`` dot-path overrides, applied in order.
        limit: ``--limit`` (same as ``--set options.limit=N``).
        log_dir: ``--log-dir``; a relative path is resolved against the CWD.

    """
    path = os.path.abspath(file)
    spec = _read_spec(path, args, set())
    spec = _expand(spec, os.path.dirname(path), spec_file=path)
    for key, value in sets:
        apply_set(spec, key, value)
    if limit is not None:
        apply_set(spec, "options.limit", limit)
    if log_dir is not None:
        spec.log_dir = _absolute(log_dir, os.getcwd())
    loaded = _finish(spec)
    # Recorded so a venv check can load the same spec again in its child process.
    source = SpecSource(path, dict(args or {}), list(sets), limit, log_dir and spec.log_dir)
    record_source(loaded, source)
    return loaded


def expand_spec(spec: FlowSpec, base_dir: str) -> FlowSpec:
    """Expand a Python-built spec once: includes, ``_flow.py`` files, placeholders, hooks."""
    if spec._expanded:
        return spec
    return _finish(_expand(spec, base_dir, spec_file=None))


def _finish(spec: FlowSpec) -> FlowSpec:
    """Substitute placeholders, apply defaults, run the ``@after_load`` hooks (as 0.14 does)."""
    from inspect_flow._spec.defaults import apply_defaults
    from inspect_flow._spec.hooks import run_after_load

    substituted = substitute_placeholders(spec)
    apply_defaults(substituted)
    return run_after_load(substituted)


def _expand(spec: FlowSpec, base_dir: str, spec_file: str | None) -> FlowSpec:
    from inspect_flow._discovery import flow_file_value

    _adopt_tasks(spec, base_dir)
    included: list[str] = []
    merged = _with_includes(spec, base_dir, {spec_file} if spec_file else set(), included)
    chain = _flow_chain(base_dir)
    for flow_file in chain:  # nearest first
        if flow_file != spec_file:
            value = flow_file_value(flow_file)
            included_spec = _from_value(value, flow_file, allow_none=True)
            if included_spec is not None:
                merged = merge(_relocated(included_spec, os.path.dirname(flow_file)), merged)
    # The loaded spec owns its models: overrides and hooks change it in place, and a _flow.py
    # (executed once per process) or the caller's spec may share parts of what was merged.
    merged = detach(merged)
    merged._base_dir = base_dir
    merged._expanded = True
    # The order hooks of these files run in: _flow.py farthest first, includes, the spec file.
    merged._sources = [*reversed(chain), *reversed(included), *([spec_file] if spec_file else [])]
    return merged


def _with_includes(spec: FlowSpec, base_dir: str, seen: set[str], files: list[str]) -> FlowSpec:
    """Merge ``spec``'s includes under it; ``files`` gets the included files (see ``_expand``)."""
    result = spec.model_copy(update={"includes": None})
    result.model_fields_set.discard("includes")
    for include in reversed(spec.includes or []):  # later includes win over earlier ones
        if isinstance(include, FlowSpec):
            included = _with_includes(_relocated(include, base_dir), base_dir, seen, files)
        else:
            path = _absolute(include, base_dir)
            if path in seen:
                raise FlowUsageError(f"Spec includes itself: {include}")
            included_dir = os.path.dirname(path)
            files.append(path)  # before its own includes: reversed, they come first
            raw = _relocated(_read_spec(path, None, seen), included_dir)
            included = _with_includes(raw, included_dir, seen | {path}, files)
        result = merge(included, result)
    return result


def _relocated(spec: FlowSpec, directory: str) -> FlowSpec:
    """Make an included spec's relative paths relative to its own folder."""
    _adopt_tasks(spec, directory)
    if spec.log_dir is not None and "log_dir" in spec.model_fields_set:
        spec.log_dir = _absolute(spec.log_dir, directory)
    return spec


def _adopt_tasks(spec: FlowSpec, directory: str) -> None:
    for task in spec.tasks or []:
        if isinstance(task, FlowTask) and task._base_dir is None:
            task._base_dir = directory


def _read_spec(path: str, args: dict[str, Any] | None, seen: set[str]) -> FlowSpec:
    extension = os.path.splitext(path)[1].lower()
    if extension not in SPEC_EXTENSIONS:
        raise FlowUsageError(
            f"Unsupported config file extension: {extension or '(none)'}. "
            "Supported extensions: .py, .yaml, .yml"
        )
    if not os.path.isfile(path):
        # A FileNotFoundError, as 0.14 raises (the CLI shows one line, exit 2).
        raise PathNotFoundError(f"File not found: {path}")
    if extension == ".py":
        from inspect_flow._spec.hooks import note_spec_file

        note_spec_file(path)  # its hooks apply only to the specs it is part of
        value = _from_value(_evaluate(path, args), path, allow_none=False)
        assert value is not None
        return value
    return _read_yaml(path)


def _evaluate(path: str, args: dict[str, Any] | None) -> Any:
    """Run a Python spec file (fresh, as ``__flow__``); return what its last statement gives.

    An expression → its value; a single assignment → the value; a function definition → the
    function called with the ``-A`` arguments.
    """
    from inspect_flow._userfiles import execute, last_value

    # ``__flow__`` stays registered: @task functions defined in the spec look their module up
    # when the task is instantiated later.
    executed = execute(path, "__flow__", fresh_siblings=True)
    return last_value(executed, path, call_with=dict(args or {}), strict=True)


def _from_value(value: Any, path: str, *, allow_none: bool) -> FlowSpec | None:
    if isinstance(value, FlowSpec):
        return value
    if value is None and allow_none:
        return None
    if allow_none:  # a _flow.py whose last statement is something else: not a spec, no harm
        return None
    raise UserFileError(path, None, f"No FlowSpec returned from Python config file: {path}")


def _read_yaml(path: str) -> FlowSpec:
    import yaml

    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise UserFileError(path, line, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserFileError(path, 1, "a YAML spec must be a mapping of FlowSpec fields")
    tasks = data.get("tasks")
    if isinstance(tasks, list):  # validated one by one so an error knows its task's index
        data = {
            **data,
            "tasks": [_yaml_task(item, i, path, source) for i, item in enumerate(tasks)],
        }
    try:
        return FlowSpec.model_validate(data)
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"] if exc.errors() else ()
        raise UserFileError(path, _yaml_line(source, loc), describe(exc)) from exc


def _yaml_task(item: Any, index: int, path: str, source: str) -> Any:
    if not isinstance(item, dict):
        return item
    try:
        return FlowTask.model_validate(item)
    except ValidationError as exc:
        loc = ("tasks", index, *(exc.errors()[0]["loc"] if exc.errors() else ()))
        message = describe(exc).replace("invalid FlowTask: ", f"invalid FlowTask tasks.{index}.")
        raise UserFileError(path, _yaml_line(source, loc), message) from exc


def _yaml_line(source: str, loc: Sequence[Any]) -> int | None:
    """Return the line of the YAML node at ``loc`` (the deepest node found)."""
    import yaml

    try:
        node: Any = yaml.compose(source)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _flow_chain(directory: str) -> list[str]:
    """Return the ``_flow.py`` files from ``directory`` up to ``/``, nearest first."""
    from inspect_flow._discovery import flow_files

    files = [str(p) for p in flow_files(directory)]
    nearest_first = sorted(files, key=lambda p: -p.count(os.sep))
    return nearest_first


def _absolute(path: str, base_dir: str) -> str:
    """Return ``path`` resolved against ``base_dir`` (URLs are left alone)."""
    from inspect_flow._logs import has_scheme

    if has_scheme(path) or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))
