"""Ctrl+C while a batch is written: finish or undo it in order, never stop half-way.

While :func:`deferred` is active (the stage and commit phases of a batch, run from the main
thread), a first ``SIGINT`` does not raise ``KeyboardInterrupt`` wherever the main thread happens
to be. It only sets a flag: no write that has not started yet is started (local stagings and
swaps, S3 uploads and conditional completes all check :func:`requested` first), the writes in
flight finish, the batch then rolls back what it committed, and raises
:class:`~inspect_flow._errors.CommitInterrupted` with what happened to each log. A second
``SIGINT`` raises ``KeyboardInterrupt`` at once (Python's default handler is back): the rollback
may then be cut short, but a previous version it could not put back is kept (a ``.flowbak``
beside a local log), never deleted.

From a thread other than the main thread no handler can be installed; Ctrl+C then raises
``KeyboardInterrupt`` in the main thread as usual and the batch rolls back from there.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_REQUESTED = threading.Event()


class WriteInterrupted(Exception):
    """A write of the batch was not started (or was undone) because Ctrl+C was pressed."""

    def __init__(self) -> None:
        super().__init__("interrupted (Ctrl+C)")


def requested() -> bool:
    """Return True once Ctrl+C was pressed during the current batch."""
    return _REQUESTED.is_set()


def check() -> None:
    """Raise :class:`WriteInterrupted` if Ctrl+C was pressed during the current batch."""
    if _REQUESTED.is_set():
        raise WriteInterrupted()


@contextmanager
def deferred() -> Iterator[None]:
    """Turn a first Ctrl+C into a request to stop cleanly (see the module docstring)."""
    _REQUESTED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        _REQUESTED.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the second one interrupts

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


@contextmanager
def atomic() -> Iterator[None]:
    """Hold Ctrl+C back (blocked, delivered at the end) while one write is put back.

    A second Ctrl+C during the rollback then lands between two logs, never between putting a
    log's old version back and recording that it was (which would report it wrongly).
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
