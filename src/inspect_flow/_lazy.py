"""Lazy public names: a module ``__getattr__`` importing a name's module on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    module_name: str, exports: dict[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` serving ``exports`` (name → defining module) lazily.

    Each name is imported once, then cached in ``namespace`` (the module's globals), so heavy
    dependencies such as inspect_ai load only when a command needs them.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
