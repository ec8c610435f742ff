"""The ONE shim over private inspect_ai names that log writes need.

Our header writes must put exactly the bytes inspect_ai would write, so they use inspect_ai's own
serialiser and member compression. Those are private in inspect_ai 0.3.285 and are wrapped here so a
change upstream touches one file:

* ``to_json_safe`` — ``inspect_ai/_util/json.py`` (the serialiser of every log document and member)
* ``_eval_log_header`` — ``inspect_ai/log/_recorders/eval.py`` (the fields ``header.json`` holds)
* ``zipfile_compress_kwargs`` — ``inspect_ai/_util/zipfile.py`` (member compression: zstd, method
  93; importing the module also installs the zstd support into ``zipfile`` on Python < 3.14)

Every function returns None when the private name is gone; callers then fall back to the public
``write_eval_log`` (slower, same result).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

# inspect_ai's zstd compressor uses this level when the archive names none
# (inspect_ai/_util/zipfile.py: ``level = 3 if compresslevel is None else compresslevel``).
_DEFAULT_ZSTD_LEVEL = 3


def eval_header_json(log: EvalLog) -> bytes | None:
    """Return the ``header.json`` member inspect_ai writes for ``log`` (None if unavailable)."""
    try:
        from inspect_ai._util.json import to_json_safe
        from inspect_ai.log._recorders.eval import _eval_log_header
    except ImportError:
        return None
    return bytes(to_json_safe(_eval_log_header(log), indent=None))


def header_fields_json(log: EvalLog) -> bytes | None:
    """Return inspect_ai's ``.json`` serialisation of ``log`` without samples and reductions.

    The keys are exactly the header keys inspect_ai writes into a ``.json`` log (None values are
    left out, as inspect_ai does). None if the serialiser is unavailable.
    """
    try:
        from inspect_ai._util.json import to_json_safe
    except ImportError:
        return None
    header = log.model_copy(update={"samples": None, "reductions": None}, deep=False)
    return bytes(to_json_safe(header, indent=None))


def member_compression() -> tuple[int, int] | None:
    """Return (zip method, zstd level) inspect_ai compresses ``.eval`` members with, or None."""
    try:
        from inspect_ai._util.zipfile import zipfile_compress_kwargs
    except ImportError:
        return None
    kwargs: dict[str, Any] = zipfile_compress_kwargs
    level = kwargs.get("compresslevel")
    return int(kwargs["compression"]), _DEFAULT_ZSTD_LEVEL if level is None else int(level)
