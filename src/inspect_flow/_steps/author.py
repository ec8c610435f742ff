"""The default provenance author: the git user of the CWD, else the OS user."""

from __future__ import annotations

import functools
import getpass
import os
import subprocess


def resolve_author(author: str | None) -> str:
    """Return ``author`` when given (non-empty), else the default author.

    The default is ``Name <email>`` from ``git config`` (repo-local config counts) when both are
    set; the one that is non-empty when the other is empty; the OS user when either key is unset or
    git is missing.
    """
    if author and author.strip():
        return author
    return _default_author(os.getcwd())


@functools.lru_cache(maxsize=8)
def _default_author(cwd: str) -> str:
    name, email = _git_config("user.name", cwd), _git_config("user.email", cwd)
    if name is None or email is None:
        return _os_user()
    if name and email:
        return f"{name} <{email}>"
    return name or email or _os_user()


def _git_config(key: str, cwd: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "config", key], cwd=cwd, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (some containers)
        return "unknown"
