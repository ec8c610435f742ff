"""The public surface: the exceptions users catch are in ``inspect_flow.api``; one version."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import inspect_flow
import inspect_flow.api as api
from inspect_flow._errors import FlowError

ROOT = Path(__file__).resolve().parents[2]


def test_api_exports_every_exception_users_catch() -> None:
    import inspect_flow._errors as errors
    import inspect_flow._filters as filters

    defined = {
        name
        for module in (errors, filters)
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, FlowError)
    }
    assert defined <= set(api.__all__)
    for name in defined:
        assert issubclass(getattr(api, name), FlowError)
    assert {"UserFileError", "FilterFailedError"} <= defined


def test_version_is_defined_once() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text
    assert not re.search(r'^version\s*=\s*"', text, re.M)  # no second, literal version
    assert version("inspect_flow") == inspect_flow.__version__
