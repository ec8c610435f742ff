"""Task identity that does not depend on the directory a run or a check happens in.

``inspect_ai.task_identifier`` has the form ``[{task_file}@]{task_name}#{args}/{model}/{rest}``,
where ``task_file`` is the task's source file *relative to the CWD of the run* (absolute when the
file was outside it). We split it into three parts:

* ``file`` — for a spec task, the absolute path of its source file; for a log, the path recorded.
* ``name`` — the task name, with a leading ``file.py@`` removed (Flow 0.14 names a task
  ``tasks.py@addition`` when the spec says ``name="tasks.py@addition"``; inspect names it
  ``addition``): both are the same task.
* ``rest`` — ``#{args}/{model}/{rest}``, compared exactly (args passed, model, solver plan,
  generate config, model args and roles, version and limits).

A log matches a spec task when ``name`` and ``rest`` are equal and the log's file is the spec
task's file seen from *some* directory: equal when the log's path is absolute, otherwise a
trailing run of path components of it (``tasks.py``, ``work/tasks.py``; leading ``..`` ignored).
The same spec therefore gives the same answer from any CWD, and still matches the logs
``flow run`` and ``inspect eval-set`` wrote from wherever they ran.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

_FILE_PREFIX = re.compile(r"^.+\.(py|ipynb)@(?=[^@]+$)")


@dataclass(frozen=True)
class TaskIdentity:
    """The parts of a task identifier (see the module docstring)."""

    file: str | None
    name: str
    rest: str


def split_identifier(
    identifier: str, recorded_file: str | None, task_name: str, file: str | None
) -> TaskIdentity:
    """Split an ``inspect_ai.task_identifier`` value into a ``TaskIdentity``.

    Args:
        identifier: The identifier.
        recorded_file: The ``task_file`` the identifier starts with (``file@``), if any.
        task_name: The task name that follows it.
        file: The file to keep as the identity's file (absolute for spec tasks).

    """
    text = identifier
    if recorded_file:
        text = text[len(recorded_file) + 1 :]
    if not text.startswith(task_name):
        raise ValueError(f"unexpected task identifier {identifier!r} for task {task_name!r}")
    rest = text[len(task_name) :]
    return TaskIdentity(file=file or None, name=_FILE_PREFIX.sub("", task_name), rest=rest)


def file_match(log_file: str | None, spec_file: str | None) -> int:
    """Return how well a log's recorded task file matches a spec task's file (0: no match).

    An absolute recorded path must be equal and scores highest; a relative one scores the number
    of trailing components it shares with the spec file. No file on either side matches only no
    file on the other.
    """
    if not log_file or not spec_file:
        return 1 if not log_file and not spec_file else 0
    if posixpath.isabs(log_file):
        return 10_000 if posixpath.normpath(log_file) == posixpath.normpath(spec_file) else 0
    parts = [p for p in posixpath.normpath(log_file).split("/") if p not in ("", ".", "..")]
    spec_parts = posixpath.normpath(spec_file).split("/")
    if parts and spec_parts[-len(parts) :] == parts:
        return len(parts)
    return 0
