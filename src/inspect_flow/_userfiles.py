"""The one executor of user Python files, and the one answer to "which line failed".

Every user file Flow runs goes through ``execute``: ``_flow.py`` files and step/filter files
(``inspect_flow._discovery``, once per process, under a unique module name) and Python spec files
(``inspect_flow._spec.load``, fresh on every load, as the module ``__flow__``). The file's folder
is first on ``sys.path`` while it runs (so ``from my_steps import x`` finds the sibling), then moves
to the end (lazy imports in a step body still find siblings; the folder never shadows the standard
library or installed packages for the rest of the process).

Whatever user code raises while a file runs, or while Flow calls a user function (a step, a log
filter, a spec function, a hook), ``sys.exit(...)`` included, becomes a ``UserFileError`` naming the
file and line (exit 4): user code never ends ``flow`` silently.

``_flow.py`` files found by walking up from the CWD are executed only when ``untrusted_reason``
has nothing against them (git's ``safe.directory`` idea): see ``TRUSTED_PATHS_ENV``.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import stat
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType
from typing import Any

from inspect_flow._errors import FlowError, UserFileError, one_line

TRUSTED_PATHS_ENV = "INSPECT_FLOW_TRUSTED_PATHS"
"""Files or folders (``os.pathsep``-separated; ``*`` for all) whose ``_flow.py`` files are trusted
even when another user owns them or their folder is world-writable."""


@dataclass
class Executed:
    """A user file that ran.

    Attributes:
        module: Its module (registered in ``sys.modules`` under its name).
        last: Its last top-level statement (None for an empty file).
        value: The value of that statement when it is an expression, else None.

    """

    module: ModuleType
    last: ast.stmt | None
    value: Any


def execute(path: str | Path, module_name: str, *, fresh_siblings: bool = False) -> Executed:
    """Execute a user Python file as the module ``module_name``.

    Args:
        path: The file (absolute).
        module_name: The name it runs under (left in ``sys.modules`` when it succeeds, since
            dataclasses, pickle and task registries look modules up by name).
        fresh_siblings: Forget already-imported modules that a module beside the file should
            shadow (a spec's ``from tasks import x`` must get *its* ``tasks.py``).

    Raises:
        UserFileError: The file does not parse, raises or calls ``sys.exit`` (file and line).

    """
    path = str(path)
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise UserFileError(path, exc.lineno, f"SyntaxError: {exc.msg}") from exc
    loader = SourceFileLoader(module_name, path)
    spec = importlib.util.spec_from_loader(module_name, loader)
    assert spec is not None  # a SourceFileLoader always yields a spec
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    directory = os.path.dirname(path) or "/"
    sys.path.insert(0, directory)
    if fresh_siblings:
        _forget_shadowed_siblings(directory)
    last = tree.body[-1] if tree.body else None
    value = None
    try:
        with user_code(path):
            body = tree.body[:-1] if isinstance(last, ast.Expr) else tree.body
            exec(compile(ast.Module(body=body, type_ignores=[]), path, "exec"), module.__dict__)
            if isinstance(last, ast.Expr):
                value = eval(compile(ast.Expression(last.value), path, "eval"), module.__dict__)
    except BaseException:
        if sys.modules.get(module_name) is module:
            del sys.modules[module_name]  # a half-executed module must not be found by name
        raise
    finally:
        _demote_path(directory)
    return Executed(module=module, last=last, value=value)


def last_value(
    executed: Executed, path: str, *, call_with: dict[str, Any] | None = None, strict: bool
) -> Any:
    """Return what a file's last statement produces (the spec a spec file or ``_flow.py`` gives).

    An expression gives its value; a single-target assignment the assigned value; a function
    definition, when ``call_with`` is given, the function called with those keyword arguments.
    Anything else gives None.

    Args:
        executed: The file, executed.
        path: Its path (for errors).
        call_with: Arguments for a file ending in a function definition (None: not called).
        strict: Several assignment targets are an error (spec files) instead of None.

    Raises:
        UserFileError: A multi-target assignment (``strict``), or the function raised.

    """
    last, namespace = executed.last, executed.module.__dict__
    if isinstance(last, ast.Expr):
        return executed.value
    if isinstance(last, (ast.Assign, ast.AnnAssign)):
        targets = last.targets if isinstance(last, ast.Assign) else [last.target]
        if isinstance(last, ast.AnnAssign) and last.value is None:
            return None
        if len(targets) != 1 or isinstance(targets[0], (ast.Tuple, ast.List, ast.Starred)):
            if not strict:
                return None
            raise UserFileError(
                path, last.lineno, "Only single target assignments are supported in config files"
            )
        target = ast.parse(ast.unparse(targets[0]), mode="eval")  # Store → Load
        with user_code(path):
            return eval(compile(target, path, "eval"), namespace)
    if isinstance(last, (ast.FunctionDef, ast.AsyncFunctionDef)) and call_with is not None:
        with user_code(path):
            return namespace[last.name](**call_with)
    return None


@contextmanager
def user_code(path: str | None = None, what: str | None = None) -> Iterator[None]:
    """Run a block of user code: what it raises becomes a ``UserFileError`` naming file:line.

    ``FlowError`` passes unchanged, and so does ``KeyboardInterrupt``.

    Args:
        path: The user file the code belongs to; None: the innermost user frame decides.
        what: Who called it (``step 'x'``); with it, only ``SystemExit`` is converted (a step or
            filter raising an exception fails as that exception, its own one-line message).

    """
    try:
        yield
    except FlowError:
        raise
    except SystemExit as exc:
        raise exit_error(exc, path, what) from None
    except Exception as exc:
        if what is not None:
            raise
        raise user_file_error(exc, path or "<unknown>") from exc


def calling(func: Callable[..., Any], what: str) -> Any:
    """Return ``user_code`` for a call of the user function ``func`` (``what`` names it)."""
    code = getattr(func, "__code__", None)
    return user_code(code.co_filename if code is not None else None, what)


def exit_error(exc: SystemExit, path: str | None = None, what: str | None = None) -> UserFileError:
    """Return the ``UserFileError`` for code calling ``sys.exit`` while Flow runs.

    Args:
        exc: The ``SystemExit``.
        path: The user file it came from, when known; else the innermost user frame (else the
            innermost frame) is named.
        what: Who Flow was calling (``step 'x'``); None: a file being loaded.

    """
    site = (failing_site(exc, path) if path else None) or failing_site(exc)
    if site is None:
        frames = list(traceback.walk_tb(exc.__traceback__))
        if frames:
            site = (frames[-1][0].f_code.co_filename, frames[-1][1])
    where, line = site if site else (path or "<unknown>", None)
    caller = f" in {what}" if what else ""
    return UserFileError(
        where, line, f"sys.exit({exc.code!r}) called{caller}", None if what else "loading"
    )


def user_file_error(exc: BaseException, path: str) -> UserFileError:
    """Return the ``UserFileError`` for ``exc`` raised while ``path`` ran (its line found)."""
    site = failing_site(exc, path)
    return UserFileError(path, site[1] if site else None, describe(exc))


def failing_site(exc: BaseException, path: str | None = None) -> tuple[str, int] | None:
    """Return ``(file, line)`` where ``exc`` was raised in user code ("which line failed").

    Args:
        exc: The exception (its traceback is walked).
        path: Look for the innermost frame in this file; None: in any user file (one that is
            neither Flow itself, nor the standard library, nor an installed package).

    """
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        if path is None or exc.filename == path:
            return exc.filename, exc.lineno
    site = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename == path or (path is None and _is_user_file(filename)):
            site = (filename, lineno)  # keep the innermost
    return site


def failing_line(exc: BaseException, path: str) -> int | None:
    """Return the line of ``path`` where ``exc`` was raised (innermost frame), if any."""
    site = failing_site(exc, path)
    return site[1] if site else None


def describe(exc: BaseException) -> str:
    """Return a one-line description of an error (pydantic errors as ``field: problem``)."""
    if type(exc).__name__ == "ValidationError" and hasattr(exc, "errors"):
        title = getattr(exc, "title", "")
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or title}: {e['msg']}" for e in exc.errors()
        )
        return f"invalid {title}: {problems}"
    return f"{type(exc).__name__}: {one_line(exc)}"


# -------------------------------------------------------------------------------------------------
# Trust: _flow.py files found up the tree


def untrusted_reason(path: Path) -> str | None:
    """Return why a ``_flow.py`` found up the tree must not run, or None when it may.

    It may run when it is owned by the current user or root, is not writable by every user and
    does not sit in a world-writable folder without the sticky bit, or when ``TRUSTED_PATHS_ENV``
    names it or a folder above it.
    """
    if _trusted_explicitly(path):
        return None
    try:
        st, folder = path.stat(), path.parent.stat()
    except OSError as exc:
        return f"cannot be checked ({exc.strerror})"
    if st.st_uid not in (os.geteuid(), 0):
        return f"owned by another user (uid {st.st_uid})"
    if st.st_mode & stat.S_IWOTH:
        return "writable by every user"
    if folder.st_mode & stat.S_IWOTH and not folder.st_mode & stat.S_ISVTX:
        return "in a world-writable folder without the sticky bit"
    return None


def _trusted_explicitly(path: Path) -> bool:
    entries = [e for e in os.environ.get(TRUSTED_PATHS_ENV, "").split(os.pathsep) if e]
    if "*" in entries:
        return True
    resolved = path.resolve()
    for entry in entries:
        trusted = Path(entry).expanduser().resolve()
        if resolved == trusted or trusted in resolved.parents:
            return True
    return False


# -------------------------------------------------------------------------------------------------
# sys.path and sibling modules


def _demote_path(directory: str) -> None:
    """Move ``directory`` from the front of ``sys.path`` to the end (see the module docstring)."""
    if directory in sys.path:
        sys.path.remove(directory)  # removes the first occurrence: the one we inserted
    if directory not in sys.path:
        sys.path.append(directory)


def _forget_shadowed_siblings(directory: str) -> None:
    """Drop imported modules that a module in ``directory`` should shadow.

    If this process already imported another ``tasks`` (an earlier spec from another folder), Python
    would hand that one back from ``sys.modules``. Forgetting it makes the import find the sibling;
    objects made from the old module keep working.
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
            continue  # a package inside the folder
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
    roots.add(os.path.dirname(os.path.abspath(__file__)))  # inspect_flow
    return tuple(os.path.realpath(r) + os.sep for r in roots)


def _installed(file: str) -> bool:
    return os.path.realpath(file).startswith(_installed_roots())


def _is_user_file(filename: str) -> bool:
    return not filename.startswith("<") and not _installed(filename)
