"""Temporary virtual environments for ``execution_type="venv"`` (``flow check --venv``).

The environment is built in a temp folder, with ``uv venv`` when ``uv`` is on PATH, else with the
stdlib ``venv`` module from the running interpreter. It is *layered* over the current environment:
a ``.pth`` file in its site-packages runs ``site.addsitedir`` on every site-packages folder of the
current interpreter, so inspect_ai and inspect_flow (editable installs included, since their own
``.pth`` files are processed) come from the current environment at the same versions, with no
download, while anything installed into the venv comes first on ``sys.path`` and shadows them.
The spec's dependencies are then installed, and the caller runs ``python -m inspect_flow ...``
with the venv's Python. The folder is removed afterwards, also on an error or Ctrl-C.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from inspect_flow._errors import FlowError
from inspect_flow._spec.dependencies import dependencies
from inspect_flow._spec.models import FlowSpec

Status = Callable[[str], None]
_PIP_FLAGS = ("--disable-pip-version-check", "--no-input")
# pip runs as the venv's Python with `--python` from this version on (no pip in the venv needed)
_PIP_PYTHON_OPTION = (22, 3)


@dataclass(frozen=True)
class SpecSource:
    """Where a loaded spec came from, so a child process can load it again.

    Attributes:
        file: The spec file (absolute).
        args: ``-A`` arguments for a spec that ends in a function.
        sets: ``--set`` overrides, in order.
        limit: ``--limit``.
        log_dir: ``--log-dir`` (absolute, or a URL).

    """

    file: str
    args: dict[str, Any] = field(default_factory=dict)
    sets: list[tuple[str, Any]] = field(default_factory=list)
    limit: int | None = None
    log_dir: str | None = None


def record_source(spec: FlowSpec, source: SpecSource) -> None:
    """Remember that ``spec`` was loaded from ``source`` (called by the spec loader)."""
    spec._source = source


def spec_source(spec: FlowSpec) -> SpecSource | None:
    """Return where ``spec`` was loaded from, or None for a spec built in Python."""
    source = spec._source
    return source if isinstance(source, SpecSource) else None


# Prints the venv's site-packages folder and its Python's major.minor.
_PROBE = (
    "import sys, sysconfig; print(sysconfig.get_paths()['purelib']); "
    "print('%d.%d' % sys.version_info[:2])"
)


@contextmanager
def temporary_venv(spec: FlowSpec, spec_dir: str, status: Status | None = None) -> Iterator[str]:
    """Build a temporary venv holding the spec's dependencies; yield its Python; remove it.

    Args:
        spec: The (expanded) spec: its ``python_version`` and ``dependencies`` are used.
        spec_dir: The spec file's folder.
        status: Called once the venv is ready, with ``venv (N dependencies)``.

    Raises:
        FlowError: The venv cannot be created or a dependency cannot be installed (the
            installer's last error line is in the message).

    """
    targets = dependencies(spec, spec_dir)
    uv = shutil.which("uv")
    wanted = spec.python_version
    if wanted and not uv and not _same_minor(wanted):
        raise FlowError(
            f"python_version {wanted} needs uv (https://docs.astral.sh/uv/) on PATH: "
            f"this Python is {_current_minor()}"
        )
    root = tempfile.mkdtemp(prefix="inspect-flow-venv-")
    try:
        python = _create(root, uv, wanted, with_pip=bool(targets) and not uv and not _pip_ok())
        purelib, minor = _run([python, "-c", _PROBE], "Could not create the venv").splitlines()[:2]
        if minor == _current_minor():
            _layer(purelib)
        else:  # another Python cannot import this environment's packages: install ours
            targets = [*_self_requirements(minor), *targets]
        if targets:
            install = [
                *_installer(uv, python),
                *_uv_args(spec, uv),
                *(a for t in targets for a in t),
            ]
            _run(install, "Could not install the dependencies")
        if status:
            count = len(targets)
            status(f"venv ({count} dependenc{'ies' if count != 1 else 'y'})")
        yield python
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _uv_args(spec: FlowSpec, uv: str | None) -> list[str]:
    """Return ``dependencies.uv_sync_args`` as arguments of the ``uv`` install command.

    Raises:
        FlowError: They are given but ``uv`` is not on PATH (they would be ignored).

    """
    given = spec.dependencies.uv_sync_args if spec.dependencies else None
    if not given:
        return []
    if not uv:
        raise FlowError("dependencies.uv_sync_args needs uv (https://docs.astral.sh/uv/) on PATH")
    return shlex.split(given) if isinstance(given, str) else list(given)


def _current_minor() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _same_minor(version: str) -> bool:
    return version == _current_minor() or version.startswith(_current_minor() + ".")


def _create(root: str, uv: str | None, version: str | None, *, with_pip: bool) -> str:
    if uv:
        # Without python_version, this very interpreter: the layered packages must fit it.
        command = [uv, "venv", "--quiet", "--python", version or sys.executable, root]
        _run(command, "Could not create the venv")
    else:
        import venv

        try:
            venv.EnvBuilder(with_pip=with_pip, symlinks=os.name != "nt").create(root)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise FlowError(f"Could not create the venv: {exc}") from exc
    scripts = "Scripts" if os.name == "nt" else "bin"
    return os.path.join(root, scripts, "python.exe" if os.name == "nt" else "python")


def _layer(purelib: str) -> None:
    """Make the current environment's packages visible in the venv, after its own."""
    import site

    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        folders.append(site.getusersitepackages())
    lines = [f"import site; site.addsitedir({folder!r})" for folder in folders]
    with open(os.path.join(purelib, "_inspect_flow_layer.pth"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _pip_ok() -> bool:
    """Whether this environment's pip can install into another interpreter (``--python``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        parts = tuple(int(p) for p in version("pip").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return parts >= _PIP_PYTHON_OPTION


def _installer(uv: str | None, python: str) -> list[str]:
    if uv:
        return [uv, "pip", "install", "--quiet", "--python", python]
    if _pip_ok():
        return [sys.executable, "-m", "pip", "--python", python, "install", *_PIP_FLAGS]
    return [python, "-m", "pip", "install", *_PIP_FLAGS]


def _self_requirements(minor: str) -> list[list[str]]:
    """Return inspect_ai (same version) and inspect_flow (from its local source) to install."""
    import json
    from importlib.metadata import PackageNotFoundError, distribution, version
    from urllib.parse import unquote, urlparse

    try:
        direct = json.loads(distribution("inspect_flow").read_text("direct_url.json") or "{}")
    except (PackageNotFoundError, ValueError):
        direct = {}
    url = urlparse(str(direct.get("url", "")))
    if url.scheme != "file":
        raise FlowError(
            f"Cannot install inspect_flow into a Python {minor} venv (it is not installed from "
            "a local folder here): leave python_version unset"
        )
    return [[f"inspect_ai=={version('inspect_ai')}"], [unquote(url.path)]]


def _run(command: Sequence[str], failure: str) -> str:
    """Run a setup command quietly; return its stdout, or raise ``failure: <last error line>``."""
    env = {**os.environ, "COLUMNS": "10000"}  # uv wraps its messages at COLUMNS: keep lines whole
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, check=False, env=env)
    except OSError as exc:
        raise FlowError(f"{failure}: {exc}") from exc
    if done.returncode != 0:
        raise FlowError(f"{failure}: {last_error_line(done.stderr)}")
    return done.stdout


def last_error_line(stderr: str) -> str:
    """Return the most telling line of an installer's stderr.

    That is its last ``error`` line (else its last line), followed by the cause uv prints on
    the next line (``cause: ...``), if any.
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [i for i, line in enumerate(lines) if line.lower().startswith(("error", "✗", "×"))]
    if not errors:
        return lines[-1] if lines else "(no message)"
    index = errors[-1]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    for prefix in ("cause:", "caused by:", "╰─▶"):
        if following.lower().startswith(prefix):
            return f"{lines[index]}: {following[len(prefix) :].strip()}"
    return lines[index]


def child_env(spec: FlowSpec, python: str) -> dict[str, str]:
    """Return the child's environment: ours, the spec's ``env``, the venv activated.

    ``INSPECT_FLOW_VENV`` is dropped so the child resolves tasks in-process.
    """
    env = {**os.environ, **(spec.env or {})}
    env.pop("INSPECT_FLOW_VENV", None)
    scripts = os.path.dirname(python)
    env["VIRTUAL_ENV"] = os.path.dirname(scripts)
    env["PATH"] = os.pathsep.join([scripts, env.get("PATH", "")])
    return env


def run_flow(python: str, spec: FlowSpec, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``flow ARGV`` with a venv's Python (``python -m inspect_flow``); capture its output.

    Args:
        python: The venv's Python (from ``temporary_venv``).
        spec: The spec: its ``env`` is added to the child's environment.
        argv: The command line after ``flow``.

    """
    command = [python, "-m", "inspect_flow", *argv]
    env = child_env(spec, python)
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
