"""``{placeholder}`` substitution in the string values of a spec.

``{DATETIME}`` becomes the load time, in the form inspect_ai gives the timestamp at the start of a
log file name (``2026-11-26T11-30-05-00-00``: ISO 8601 UTC to the second, with ``:`` and ``+``
replaced by ``-``; see ``inspect_ai/_util/log_layout.py`` ``eval_log_name`` and
``inspect_ai/_util/file.py`` ``clean_filename_component``). ``{a.b.c}`` becomes the value of the
spec field at that dot path (model fields, dict keys, list indexes) when it is a ``str``, ``int``,
``float`` or ``bool``; a field that itself holds placeholders is substituted first. Anything else
in braces (``{n}`` in a prompt template, JSON text) is left as it is, and ``{{name}}`` around a
known name gives ``{name}``.

Nothing is changed in place: models, lists, dicts and tuples on the way to a changed string are
shallow-copied (a model keeps its private attributes and its set of explicitly set fields), so
objects shared with a ``_flow.py`` or with the caller's own spec stay as they were. ``detach``
copies all of them, so that overrides and ``@after_load`` hooks may change a loaded spec in place.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from inspect_flow._errors import FlowUsageError
from inspect_flow._spec.models import FlowSpec

DATETIME = "DATETIME"
_NAME = r"[A-Za-z_]\w*(?:\.\w+)*"
_PATTERN = re.compile(r"\{\{(" + _NAME + r")\}\}|\{(" + _NAME + r")\}")
_MISSING = object()

Path = tuple[str, ...]


def substitute_placeholders(spec: FlowSpec, now: datetime | None = None) -> FlowSpec:
    """Return ``spec`` with its placeholders substituted (``spec`` itself when there are none).

    Args:
        spec: The spec (after includes and overrides).
        now: The load time (default: now); one value for the whole spec.

    Raises:
        FlowUsageError: Fields refer to each other in a cycle.

    """
    result = _Walk(spec, now or datetime.now(timezone.utc)).value((), spec)
    assert isinstance(result, FlowSpec)
    return result


def detach(spec: FlowSpec) -> FlowSpec:
    """Return a copy of ``spec`` sharing no model, list, dict or tuple with it.

    Functions, inspect objects and other values are shared. Models keep their private attributes
    and their set of explicitly set fields.
    """
    result = _Walk(spec, None).value((), spec)
    assert isinstance(result, FlowSpec)
    return result


def log_file_timestamp(now: datetime) -> str:
    """Return ``now`` as inspect_ai writes it at the start of a log file name."""
    text = now.astimezone(timezone.utc).isoformat(timespec="seconds")
    return text.replace(":", "-").replace("+", "-")


class _Walk:
    """One pass over a spec (results are memoised by path and by object).

    With a time, placeholders are substituted and only what changes is copied; without one,
    nothing is substituted and every container is copied (``detach``).
    """

    def __init__(self, root: FlowSpec, now: datetime | None) -> None:
        self.root = root
        self.copy_all = now is None
        self.datetime = log_file_timestamp(now) if now is not None else ""
        self.texts: dict[Path, str] = {}
        self.active: list[Path] = []
        self.objects: dict[int, Any] = {}  # id(original) -> substituted (shared objects once)

    def value(self, path: Path, value: Any) -> Any:
        """Return ``value`` substituted (the same object when nothing changed)."""
        if isinstance(value, str):
            return value if self.copy_all else self.text(path, value)
        if not isinstance(value, (BaseModel, list, dict, tuple)):
            return value  # callables, inspect objects, numbers: left alone
        key = id(value)
        if key not in self.objects:
            self.objects[key] = self._container(path, value)
        return self.objects[key]

    def _container(self, path: Path, value: Any) -> Any:
        if isinstance(value, BaseModel):
            changed = {}
            for name in type(value).model_fields:
                old = getattr(value, name)
                new = self.value((*path, name), old)
                if new is not old:
                    changed[name] = new
            if not changed and not self.copy_all:
                return value
            copied = value.model_copy()  # keeps private attributes and model_fields_set
            copied.__dict__.update(changed)  # no validation, fields set stay as they were
            return copied
        if type(value) is dict:
            items = {k: self.value((*path, str(k)), v) for k, v in value.items()}
            same = not self.copy_all and all(items[k] is v for k, v in value.items())
            return value if same else items
        if type(value) in (list, tuple):
            entries = [self.value((*path, str(i)), v) for i, v in enumerate(value)]
            same = not self.copy_all and all(n is o for n, o in zip(entries, value, strict=True))
            return value if same else type(value)(entries)
        return value  # a dict/list subclass of some library: left alone

    def text(self, path: Path, value: str) -> str:
        """Return the string at ``path`` substituted (fields it names are resolved first)."""
        if path in self.texts:
            return self.texts[path]
        if "{" not in value:
            return value
        if path in self.active:
            cycle = [".".join(p) for p in self.active[self.active.index(path) :]]
            raise FlowUsageError(
                f"Placeholder cycle in the spec: {' -> '.join([*cycle, '.'.join(path)])}"
            )
        self.active.append(path)
        try:
            result = _PATTERN.sub(self._replacement, value)
        finally:
            self.active.pop()
        self.texts[path] = value if result == value else result  # unchanged: the same object
        return self.texts[path]

    def _replacement(self, match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped is not None:
            return "{" + escaped + "}" if self._known(escaped) else match.group(0)
        if name == DATETIME:
            return self.datetime
        path = tuple(name.split("."))
        found = _lookup(self.root, path)
        if isinstance(found, str):
            return self.text(path, found)
        if isinstance(found, (bool, int, float)):
            return str(found)
        return match.group(0)

    def _known(self, name: str) -> bool:
        found = _lookup(self.root, tuple(name.split(".")))
        return name == DATETIME or isinstance(found, (str, bool, int, float))


def _lookup(root: Any, path: Path) -> Any:
    """Return the value at a dot path of the original spec, or ``_MISSING``."""
    current = root
    for part in path:
        if isinstance(current, BaseModel):
            if part not in type(current).model_fields:
                return _MISSING
            current = getattr(current, part)
        elif isinstance(current, dict):
            if part in current:
                current = current[part]
            elif part.isdigit() and int(part) in current:
                current = current[int(part)]
            else:
                return _MISSING
        elif isinstance(current, (list, tuple)) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current
