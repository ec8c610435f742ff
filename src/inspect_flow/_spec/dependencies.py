"""What a ``venv`` spec installs: its dependency file, additional dependencies, registry packages.

Relative paths are relative to the spec file's folder. ``dependency_file="auto"`` looks for the
nearest ``pyproject.toml`` (the project is installed) or ``requirements.txt`` (``-r``), from the
spec's folder up to the repository root (the first folder holding ``.git``) or ``/``.
``auto_detect_dependencies`` adds the package of each task named ``package/task`` (a registry
name) when that package cannot be imported here, as ``package`` with ``_`` turned into ``-``.
"""

from __future__ import annotations

import importlib.util
import os

from inspect_flow._errors import FlowError
from inspect_flow._spec.models import FlowFactory, FlowSpec, FlowTask


def dependencies(spec: FlowSpec, spec_dir: str) -> list[list[str]]:
    """Return the installer arguments of each dependency of a spec (one list per dependency).

    Args:
        spec: The (expanded) spec.
        spec_dir: The spec file's folder: relative paths are resolved against it.

    Raises:
        FlowError: The ``dependency_file`` does not exist.

    """
    deps = spec.dependencies
    found: list[list[str]] = []
    file = deps.dependency_file if deps else None
    if file in ("auto", None):  # not given means auto
        file = find_dependency_file(spec_dir)
    elif file == "no_file":
        file = None
    else:
        file = _local(file, spec_dir)
        if not os.path.exists(file):
            raise FlowError(f"dependency_file not found: {file}")
    if file is not None:
        found.append(_file_target(file))
    extra = deps.additional_dependencies if deps else None
    for entry in [extra] if isinstance(extra, str) else extra or []:
        looks_local = entry.startswith((".", "/", "~")) or os.path.exists(
            os.path.join(spec_dir, entry)
        )
        found.append([_local(entry, spec_dir) if looks_local else entry])
    if deps is None or deps.auto_detect_dependencies is not False:  # not given means true
        found.extend([package] for package in _missing_registry_packages(spec, spec_dir))
    return found


def find_dependency_file(start: str) -> str | None:
    """Return the nearest ``pyproject.toml`` or ``requirements.txt`` at or above ``start``.

    The search stops at the first folder holding ``.git`` (the repository root) or at the
    filesystem root. In one folder, ``pyproject.toml`` wins: it installs the project itself.
    """
    directory = os.path.abspath(start)
    while True:
        for name in ("pyproject.toml", "requirements.txt"):
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(directory)
        if os.path.exists(os.path.join(directory, ".git")) or parent == directory:
            return None
        directory = parent


def _file_target(path: str) -> list[str]:
    if os.path.basename(path) == "pyproject.toml":
        return [os.path.dirname(path)]  # the project folder: install the project
    if os.path.isdir(path):
        return [path]
    return ["-r", path]


def _local(path: str, spec_dir: str) -> str:
    return os.path.normpath(os.path.join(spec_dir, os.path.expanduser(path)))


def _missing_registry_packages(spec: FlowSpec, spec_dir: str) -> list[str]:
    """Return the distributions of ``package/task`` registry tasks not importable here."""
    packages: list[str] = []
    for task in spec.tasks or []:
        if not isinstance(task, FlowTask):
            continue
        factory = task.factory.factory if isinstance(task.factory, FlowFactory) else task.factory
        for ref in (task.name, factory):
            package = _registry_package(ref, spec_dir)
            if package and importlib.util.find_spec(package) is None:
                name = package.replace("_", "-")
                if name not in packages:
                    packages.append(name)
    return packages


def _registry_package(ref: object, spec_dir: str) -> str | None:
    if not isinstance(ref, str) or "/" not in ref or ".py" in ref or ".ipynb" in ref:
        return None
    package = ref.split("/", 1)[0]
    if not package.isidentifier() or os.path.exists(os.path.join(spec_dir, package)):
        return None  # a folder of task files, not a package
    return package
