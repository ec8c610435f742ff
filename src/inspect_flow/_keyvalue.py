"""The one ``key=value`` parser: ``metadata --set``, dict-typed step options, ``check -A/-s``.

Values are *maybe-JSON*, as in Flow 0.14: the Python spellings ``True``/``False`` become booleans;
anything else goes through ``json.loads`` (``42``, ``1.5``, ``null``, ``"quoted"``, ``[1, "x"]``,
``NaN``); text that is not JSON stays the string it is. Each item is split at its first ``=``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from inspect_flow._errors import FlowUsageError


def parse_value(text: str) -> Any:
    """Parse one command-line value (maybe-JSON).

    Args:
        text: The text after the ``=``.

    Returns:
        ``True``/``False`` for the Python spellings, the JSON value when ``text`` is JSON, else
        ``text`` unchanged.

    """
    if text in ("True", "False"):
        return text == "True"
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_pairs(
    items: Iterable[str], option: str | None = None, *, require_key: bool = False
) -> list[tuple[str, Any]]:
    """Parse ``key=value`` items into ``(key, value)`` pairs, in order (values maybe-JSON).

    Args:
        items: The items as typed.
        option: The option they came from (``--arg``), named in errors; None for none.
        require_key: Reject an empty key (``=1``).

    Raises:
        FlowUsageError: An item has no ``=`` (``Expected key=value format, got: <item>``), or an
            empty key when ``require_key``.

    """
    where = f"Invalid value for '{option}'" if option else "Invalid value"
    pairs: list[tuple[str, Any]] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise FlowUsageError(f"{where}: Expected key=value format, got: {item}")
        if require_key and not key.strip():
            raise FlowUsageError(f"{where}: Expected a non-empty key, got: {item}")
        pairs.append((key, parse_value(value)))
    return pairs


def parse_key_values(items: Iterable[str], option: str | None = None) -> dict[str, Any]:
    """Parse ``key=value`` items into a dict; a repeated key keeps its last value.

    Raises:
        FlowUsageError: As ``parse_pairs``.

    """
    return dict(parse_pairs(items, option))
