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


def lazy_dir(exports: dict[str, str], namespace: dict[str, Any]) -> Callable[[], list[str]]:
    """Return a module ``__dir__`` listing the lazy names too (REPL tab completion, ``dir()``).

    It lists the public names (``__all__`` and the lazy ones) and the module's dunder names, not
    the helpers the module imports for itself.
    """

    def __dir__() -> list[str]:
        public = namespace.get("__all__", [])
        dunder = (name for name in namespace if name.startswith("__"))
        return sorted({*exports, *public, *dunder})

    return __dir__
