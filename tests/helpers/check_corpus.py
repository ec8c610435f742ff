"""Make real logs of the tiny tasks in ``tasks.py`` (offline) once per test session.

The logs are written by ``inspect_ai.eval`` run from a project folder holding ``tasks.py``, so
their recorded task file is ``tasks.py`` (relative), exactly as ``inspect eval-set`` writes it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent.parent / "data" / "check"  # tasks.py, spec.py, spec.yaml
_BUILT: dict[str, Path] = {}


def build(root: Path) -> Path:
    """Return a pristine project folder ``proj/`` (``tasks.py`` and ``logs/``), built once."""
    if "proj" in _BUILT:
        return _BUILT["proj"]
    from inspect_ai import eval

    proj = root / "proj"
    proj.mkdir(parents=True)
    shutil.copy(HERE / "tasks.py", proj / "tasks.py")
    cwd = os.getcwd()
    os.chdir(proj)
    sys.path.insert(0, str(proj))
    try:
        import tasks  # the copy in proj/, so the logs record task_file "tasks.py"

        def run(task: object, log_dir: str, **kwargs: object) -> None:
            eval(task, model="mockllm/model", log_dir=log_dir, display="none", **kwargs)

        run(tasks.addition(), "logs")  # complete 3/3
        run(tasks.addition(n=2), "logs")  # args n=2: 2/2
        run(tasks.greeting(), "logs", limit=1)  # 1/2
        run(tasks.greeting(), "logs/nested")  # 2/2 in a subfolder
        run(tasks.addition(), "logs/epochs", epochs=2)  # 6 samples over 2 epochs
        run(tasks.flaky(), "logs")  # status error, 1 good sample
        run(tasks.addition(), "logs/hot", **{"temperature": 0.5})  # another identity
        del sys.modules["tasks"]
    finally:
        os.chdir(cwd)
        sys.path.remove(str(proj))
    _BUILT["proj"] = proj
    return proj


def fresh_copy(source: Path, dest: Path) -> Path:
    """Copy the project folder (logs keep their modification times)."""
    shutil.copytree(source, dest)
    return dest
