"""The end of a ``.json`` log: one cut short still yields a header, so its last byte is checked."""

from __future__ import annotations

# How many bytes from the end a local read looks at (whitespace after the closing brace included).
TAIL_BYTES = 64


class TruncatedLogError(Exception):
    """A ``.json`` log whose header reads (it comes first) but whose end is missing."""


def check_json_tail(tail: bytes) -> None:
    """Raise :class:`TruncatedLogError` unless ``tail`` (the log's last bytes) ends the document.

    inspect_ai streams a ``.json`` header from the start of the file, so a log cut short (a partial
    upload or write) still yields a header; rewriting it would then fail. Its last byte tells.
    """
    if not tail.rstrip().endswith(b"}"):
        raise TruncatedLogError("truncated .json log (the file does not end with '}')")
