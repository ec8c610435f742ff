"""Evaluate Python spec files: the value of the last top-level statement.

* The spec file given to ``flow check``/``load_spec`` is executed fresh on every load, as the
  module ``__flow__``, with its folder first on ``sys.path``. Its last statement decides the value:
  an expression → its value; a single assignment → the assigned value; a function definition →
  the function called with the ``-A`` arguments.
* A ``_flow.py`` auto-include is executed once per process by ``inspect_flow._discovery`` (the same
  execution that registers its steps and filters). Its value is that of a last expression or
  assignment; a trailing function definition (or anything else) gives ``None``: such a file breaks
  nothing.
"""

from __future__ import annotations

import ast
import functools
import os
import sys
import traceback
import types
from typing import Any

from inspect_flow._errors import FlowError, UserFileError, one_line


def evaluate_spec_file(path: str, args: dict[str, Any] | None = None) -> Any:
    """Execute a Python spec file and return the value its last statement produces.

    Args:
        path: Absolute path of the file.
        args: Keyword arguments for a spec file that ends in a function definition.

    Returns:
        The value (checked by the caller), or None when the last statement produces nothing.

    Raises:
        UserFileError: The file does not parse, raises, or ends in a multi-target assignment.

    """
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise UserFileError(path, exc.lineno, f"SyntaxError: {exc.msg}") from exc
    module = types.ModuleType("__flow__")
    module.__file__ = path
    namespace = module.__dict__
    directory = path.rsplit("/", 1)[0] or "/"
    # Stays registered after loading: @task functions defined in the spec look their module up
    # when the task is instantiated later.
    sys.modules["__flow__"] = module
    sys.path.insert(0, directory)
    _forget_shadowed_siblings(directory)
    try:
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            _exec(ast.Module(body=tree.body[:-1], type_ignores=[]), path, namespace)
            return eval(compile(ast.Expression(last.value), path, "eval"), namespace)
        _exec(tree, path, namespace)
        if isinstance(last, (ast.Assign, ast.AnnAssign)):
            return _assigned(last, path, namespace)
        if isinstance(last, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return namespace[last.name](**(args or {}))
        return None
    except FlowError:
        raise
    except Exception as exc:
        raise _file_error(exc, path) from exc
    finally:
        if directory in sys.path:
            sys.path.remove(directory)


def _forget_shadowed_siblings(directory: str) -> None:
    """Drop imported modules that a module in the spec's own folder should shadow.

    A spec's ``from tasks import addition`` must import the ``tasks.py`` beside it. If this
    process already imported another ``tasks`` (an earlier spec from another folder, through the
    API or a test run), Python would hand that one back from ``sys.modules``. Forgetting it makes
    the import find the sibling; objects made from the old module keep working.
    """
    for name, module in list(sys.modules.items()):
        if "." in name or name == "__flow__":
            continue
        file = getattr(module, "__file__", None)
        if not file or os.path.dirname(os.path.abspath(file)) in (directory, ""):
            continue
        if _installed(file):
            continue  # the standard library and installed packages stay (a stray json.py too)
        if os.path.dirname(os.path.dirname(os.path.abspath(file))) == directory:
            continue  # a package inside the spec's folder
        sibling = os.path.join(directory, name)
        if os.path.isfile(sibling + ".py") or os.path.isfile(os.path.join(sibling, "__init__.py")):
            for loaded in [n for n in sys.modules if n == name or n.startswith(name + ".")]:
                del sys.modules[loaded]


@functools.cache
def _installed_roots() -> tuple[str, ...]:
    """Return the folders of the standard library, site-packages and inspect_flow itself."""
    import site
    import sysconfig

    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(site.getsitepackages())
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # inspect_flow
    return tuple(os.path.realpath(r) + os.sep for r in roots)


def _installed(file: str) -> bool:
    return os.path.realpath(file).startswith(_installed_roots())


def flow_file_value(path: str) -> Any:
    """Return the spec value of a ``_flow.py`` (executed once per process by discovery).

    Raises:
        UserFileError: The file fails to execute or its last expression raises.

    """
    from inspect_flow._discovery import load_python_file

    module = load_python_file(path)
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    last = tree.body[-1] if tree.body else None
    try:
        if isinstance(last, ast.Expr):
            return eval(compile(ast.Expression(last.value), path, "eval"), module.__dict__)
        if isinstance(last, ast.Assign) and len(last.targets) == 1:
            return _assigned(last, path, module.__dict__)
        if isinstance(last, ast.AnnAssign) and last.value is not None:
            return _assigned(last, path, module.__dict__)
    except FlowError:
        raise
    except Exception as exc:
        raise _file_error(exc, path) from exc
    return None


def _exec(tree: ast.Module, path: str, namespace: dict[str, Any]) -> None:
    exec(compile(tree, path, "exec"), namespace)


def _assigned(node: ast.Assign | ast.AnnAssign, path: str, namespace: dict[str, Any]) -> Any:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if len(targets) != 1 or isinstance(targets[0], (ast.Tuple, ast.List, ast.Starred)):
        raise UserFileError(
            path, node.lineno, "Only single target assignments are supported in config files"
        )
    target = ast.Expression(_as_load(targets[0]))
    return eval(compile(ast.fix_missing_locations(target), path, "eval"), namespace)


def _as_load(node: ast.expr) -> ast.expr:
    """Return a copy of an assignment target usable as an expression (``Store`` → ``Load``)."""
    copied = ast.parse(ast.unparse(node), mode="eval").body
    return ast.copy_location(copied, node)


def _file_error(exc: BaseException, path: str) -> UserFileError:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == path:
            line = lineno  # the innermost frame in the spec file
    return UserFileError(path, line, describe(exc))


def describe(exc: BaseException) -> str:
    """Return a one-line description of an error (pydantic errors as ``field: problem``)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or exc.title}: {e['msg']}" for e in exc.errors()
        )
        return f"invalid {exc.title}: {problems}"
    return f"{type(exc).__name__}: {one_line(exc)}"
