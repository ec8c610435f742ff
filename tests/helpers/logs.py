"""Real Inspect AI eval logs, made offline, and a fast factory that copies them.

This module is the single place that produces logs for the test suite and for ``bench/corpus.py``.

How logs are made (``generate_log``): ``inspect_ai.eval`` runs a tiny task on ``mockllm/model``
whose solver never calls the model (it sets ``state.output`` and appends an assistant message
itself), scored with ``match()``. Offline, a real mockllm call would count tokens with tiktoken,
which downloads an encoding, so the solver stays away from the model. Each status is produced the
way a real run produces it:

* ``success``: every sample answered.
* ``error``: samples run one at a time; the last one raises ``RuntimeError`` (earlier samples
  succeed).
* ``cancelled``: the last sample blocks; the ``eval_async`` call is cancelled from outside (what
  Ctrl+C does to a running eval), so inspect_ai finalises the log with ``status="cancelled"`` and
  partial results.
* ``started``: the last sample raises ``KeyboardInterrupt``; inspect_ai stops without finalising the
  log, leaving what a killed run leaves: for ``.eval`` a zip with ``_journal/start.json`` and the
  flushed samples but no ``header.json``; for ``.json`` the start-of-run log. Both read back with
  ``status == "started"``.

Sample counts: the dataset has ``samples`` samples. Only ``success`` logs are guaranteed to hold
exactly that many; ``error`` logs hold all of them (the last with an error),
``cancelled``/``started`` logs hold what was flushed. Use ``sample_count`` to assert on the actual
number.

Big logs (``big=True``): each sample's transcript carries an info event with a long pseudo-random
(incompressible) text, sized so the file is about ``BIG_TARGET_BYTES`` (5 MiB) in either format.
(Not the message: inspect stores message text twice, and zstd folds the copies only when they are
less than its window apart, which makes the size jump.)

Copies (``LogFactory``): generating a log takes 0.1-1 s, so templates are generated once per
``(fmt, status, samples, big, task)`` and copied. Copies get inspect-shaped names
``<ISO timestamp>_<task>_<22-char id>.<fmt>`` (so ``list_eval_logs`` lists ``.json`` ones too) and
distinct, increasing mtimes in the past (set with ``os.utime``; the timestamp in the name matches
the mtime). The content of copies of one template is identical (as with a log copied by hand).

Note: ``.eval`` zip entries are zstd-compressed (method 93). Python < 3.14's ``zipfile`` reads them
only after ``import zipfile_zstd`` (which importing inspect_ai does).
"""

from __future__ import annotations

import asyncio
import base64
import gc
import itertools
import os
import random
import secrets
import shutil
import string
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog
    from inspect_ai.solver import Solver

LogFormat = Literal["eval", "json"]
LogStatus = Literal["success", "error", "cancelled", "started"]
LOG_FORMATS: tuple[LogFormat, ...] = ("eval", "json")
LOG_STATUSES: tuple[LogStatus, ...] = ("success", "error", "cancelled", "started")

MODEL = "mockllm/model"
DEFAULT_TASK = "tiny"
BIG_TARGET_BYTES = 5 * 1024 * 1024
ERROR_MESSAGE = "deliberate failure (inspect_flow test log)"

_ID_ALPHABET = string.ascii_letters + string.digits
# mtimes of copies start this far in the past and increase by one second per copy.
_MTIME_BACKDATE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class LogSpec:
    """What kind of log to generate.

    Attributes:
        fmt: ``"eval"`` or ``"json"``.
        status: ``"success"``, ``"error"``, ``"cancelled"`` or ``"started"``.
        samples: Number of samples in the dataset (>= 1).
        big: Make each sample's transcript large so the file is about ``BIG_TARGET_BYTES``.
        task: Task name (no ``_``: inspect parses file names as ``<timestamp>_<task>_<id>``).
    """

    fmt: LogFormat = "eval"
    status: LogStatus = "success"
    samples: int = 3
    big: bool = False
    task: str = DEFAULT_TASK

    def __post_init__(self) -> None:
        if self.fmt not in LOG_FORMATS:
            raise ValueError(f"fmt must be one of {LOG_FORMATS}, not {self.fmt!r}")
        if self.status not in LOG_STATUSES:
            raise ValueError(f"status must be one of {LOG_STATUSES}, not {self.status!r}")
        if self.samples < 1:
            raise ValueError("samples must be >= 1")
        if not self.task or "_" in self.task or "/" in self.task:
            raise ValueError(f"task name must be non-empty without '_' or '/': {self.task!r}")

    @property
    def key(self) -> str:
        """A file-name-safe identifier of this spec."""
        return f"{self.task}-{self.fmt}-{self.status}-{self.samples}{'-big' if self.big else ''}"

    def blob_bytes(self) -> int:
        """Random bytes per sample for big logs (0 when not big).

        Each sample's transcript gets one info event with the base64 text of that many random
        bytes, stored once (in the sample's attachments). ``.eval``: zstd compresses it back to
        about the raw size. ``.json``: base64 is 4/3 of raw. (``generate_log`` checks the result.)
        """
        if not self.big:
            return 0
        if self.fmt == "eval":
            return BIG_TARGET_BYTES // self.samples
        return (BIG_TARGET_BYTES * 3) // (4 * self.samples)


# --------------------------------------------------------------------------------------- generation

# Set while a "cancelled" log is generated: the blocking sample signals it once it is running.
_cancel_gate: asyncio.Event | None = None


def _blob(seed: int, nbytes: int) -> str:
    return base64.b64encode(random.Random(seed).randbytes(nbytes)).decode("ascii")


def _answer_solver(status: LogStatus, last_sample: int, blob_bytes: int) -> Solver:
    from inspect_ai.log import transcript
    from inspect_ai.model import ChatMessageAssistant, ModelOutput
    from inspect_ai.solver import Generate, TaskState, solver

    @solver(name="canned_answer")
    def canned_answer(status: str, last_sample: int, blob_bytes: int) -> Solver:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            sample_id = int(state.sample_id)
            if sample_id == last_sample and status != "success":
                if status == "error":
                    raise RuntimeError(ERROR_MESSAGE)
                if status == "started":
                    raise KeyboardInterrupt()
                if status == "cancelled":
                    assert _cancel_gate is not None
                    _cancel_gate.set()
                    await asyncio.Event().wait()  # until the eval is cancelled from outside
            answer = str(sample_id * 2)
            if blob_bytes:
                # the bulk of a real log is its transcript; an info event's text is stored once
                # (inspect moves it to the sample's attachments)
                transcript().info(_blob(sample_id, blob_bytes), source="canned_answer")
            state.output = ModelOutput.from_content(model=MODEL, content=answer)
            state.messages.append(ChatMessageAssistant(content=answer, model=MODEL))
            return state

        return solve

    return canned_answer(status=status, last_sample=last_sample, blob_bytes=blob_bytes)


def _ensure_display_none() -> None:
    # eval_async() (used for "cancelled") forces the "plain" console display unless a display type
    # was initialised before; eval(display="none") initialises it, eval_async has no such parameter.
    from inspect_ai.util._display import display_type_initialized, init_display_type

    if not display_type_initialized():
        init_display_type("none")


async def _run_cancelled(task: Any, kwargs: dict[str, Any]) -> None:
    global _cancel_gate
    from inspect_ai import eval_async

    _cancel_gate = asyncio.Event()
    try:
        run = asyncio.ensure_future(eval_async(task, **kwargs))
        gate = asyncio.ensure_future(_cancel_gate.wait())
        done, _ = await asyncio.wait({run, gate}, return_when=asyncio.FIRST_COMPLETED)
        if run in done:  # finished without reaching the blocking sample: something is wrong
            gate.cancel()
            run.result()
            raise RuntimeError("eval finished before it could be cancelled")
        run.cancel()
        try:
            await run
        except asyncio.CancelledError:
            pass
    finally:
        _cancel_gate = None


def generate_log(log_dir: str | Path, spec: LogSpec | None = None, **fields: Any) -> Path:
    """Run a tiny offline eval with inspect_ai and return the log file it wrote.

    Args:
        log_dir: Directory for the log; must not contain other logs (the new file is found by
            listing).
        spec: What to generate; or pass ``LogSpec`` fields as keyword arguments.
        **fields: ``LogSpec`` fields when ``spec`` is None.

    Returns:
        Path of the log file (inspect's own name).

    Raises:
        RuntimeError: If inspect_ai did not produce exactly one log with the expected status.
    """
    spec = spec if spec is not None else LogSpec(**fields)
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    blob_bytes = spec.blob_bytes()
    path = _generate_once(log_dir, spec, blob_bytes)
    if spec.big:
        # measured, not assumed: how much inspect_ai's serialisation and zstd keep varies
        size = path.stat().st_size
        if not 0.8 < size / BIG_TARGET_BYTES < 1.25:
            path.unlink()
            path = _generate_once(log_dir, spec, int(blob_bytes * BIG_TARGET_BYTES / size))
    return path


def _generate_once(log_dir: Path, spec: LogSpec, blob_bytes: int) -> Path:
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import match

    before = set(log_dir.iterdir())
    task = Task(
        dataset=[
            Sample(input=f"What is {i} + {i}?", target=str(2 * i), id=i)
            for i in range(1, spec.samples + 1)
        ],
        solver=_answer_solver(spec.status, spec.samples, blob_bytes),
        scorer=match(),
        name=spec.task,
    )
    kwargs: dict[str, Any] = dict(
        model=MODEL,
        log_dir=str(log_dir),
        log_format=spec.fmt,
        # one at a time: the failing/blocking sample is always the last; earlier ones complete
        max_samples=1 if spec.status != "success" else None,
    )
    if spec.status in ("success", "error"):
        eval(task, display="none", **kwargs)
    elif spec.status == "started":
        # the abandoned run leaves never-awaited coroutines behind (RuntimeWarnings expected)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                eval(task, display="none", **kwargs)
            except KeyboardInterrupt:
                pass
            else:
                raise RuntimeError("expected the eval to be interrupted")
            gc.collect()
    else:
        _ensure_display_none()
        asyncio.run(_run_cancelled(task, kwargs))

    new = sorted(set(log_dir.iterdir()) - before)
    if len(new) != 1:
        raise RuntimeError(f"expected one new log in {log_dir}, found {[p.name for p in new]}")
    path = new[0]
    status = read_header(path).status
    if status != spec.status:
        raise RuntimeError(f"generated {path.name} has status {status!r}, wanted {spec.status!r}")
    return path


# ------------------------------------------------------------------------------------------ names


def random_id(length: int = 22) -> str:
    """A random alphanumeric id shaped like inspect_ai's task ids.

    Args:
        length: Number of characters.

    Returns:
        The id (letters and digits only, so it never contains the ``_``/``-`` separators of log
        names).
    """
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def log_timestamp(epoch_seconds: float) -> str:
    """The timestamp prefix inspect_ai puts in log file names, for a given UTC time.

    Args:
        epoch_seconds: Seconds since the epoch.

    Returns:
        E.g. ``2026-01-02T03-04-05-00-00``.
    """
    dt = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H-%M-%S") + "-00-00"


def log_file_name(task: str, fmt: str, epoch_seconds: float, log_id: str | None = None) -> str:
    """An inspect-shaped log file name ``<timestamp>_<task>_<id>.<fmt>``.

    Args:
        task: Task name.
        fmt: ``eval`` or ``json``.
        epoch_seconds: Time encoded in the name.
        log_id: The id part; random when None.

    Returns:
        The file name.
    """
    return f"{log_timestamp(epoch_seconds)}_{task}_{log_id or random_id()}.{fmt}"


class _Clock:
    """Hands out distinct, increasing whole-second times in the past (thread-safe)."""

    def __init__(self, start: float | None = None) -> None:
        base = time.time() - _MTIME_BACKDATE_SECONDS if start is None else start
        self._counter = itertools.count(int(base))
        self._lock = threading.Lock()

    def next(self) -> float:
        with self._lock:
            return float(next(self._counter))


# ---------------------------------------------------------------------------------------- factory


class LogFactory:
    """Makes real logs fast by copying lazily generated templates.

    Call it like a function (it is the ``make_logs`` fixture)::

        paths = make_logs(tmp_path / "logs", n=3, fmt="eval", status="success", samples=3)

    Args:
        template_root: Directory where templates are generated (one subdirectory per spec).
        mtime_start: First mtime (epoch seconds) handed to a copy; default 30 days ago.
    """

    def __init__(self, template_root: str | Path, mtime_start: float | None = None) -> None:
        self.template_root = Path(template_root)
        self._templates: dict[LogSpec, Path] = {}
        self._lock = threading.Lock()
        self._clock = _Clock(mtime_start)

    def template(
        self,
        fmt: LogFormat = "eval",
        status: LogStatus = "success",
        samples: int = 3,
        big: bool = False,
        task: str = DEFAULT_TASK,
    ) -> Path:
        """The template log for a spec, generated on first use. Do not modify it; copy it.

        Args:
            fmt: Log format.
            status: Log status.
            samples: Dataset size.
            big: About 5 MiB instead of a few KB.
            task: Task name.

        Returns:
            Path of the template.
        """
        spec = LogSpec(fmt=fmt, status=status, samples=samples, big=big, task=task)
        with self._lock:
            path = self._templates.get(spec)
            if path is None:
                target = self.template_root / spec.key
                if target.exists():
                    shutil.rmtree(target)
                path = generate_log(target, spec)
                self._templates[spec] = path
            return path

    def next_mtime(self) -> float:
        """A fresh distinct mtime (also used for the timestamp in copy names)."""
        return self._clock.next()

    def copy(self, source: str | Path, dest_dir: str | Path, task: str | None = None) -> Path:
        """Copy one log into ``dest_dir`` under a fresh inspect-shaped name and a fresh mtime.

        Args:
            source: A log file.
            dest_dir: Target directory (created if missing).
            task: Task name for the new file name; parsed from ``source``'s name when None.

        Returns:
            Path of the copy.
        """
        source = Path(source)
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        fmt = source.suffix.lstrip(".")
        if task is None:
            parts = source.stem.split("_")
            task = parts[1] if len(parts) >= 3 else DEFAULT_TASK
        mtime = self.next_mtime()
        dest = dest_dir / log_file_name(task, fmt, mtime)
        shutil.copyfile(source, dest)
        os.utime(dest, (mtime, mtime))
        return dest

    def __call__(
        self,
        dest_dir: str | Path,
        n: int = 3,
        fmt: LogFormat = "eval",
        status: LogStatus = "success",
        samples: int = 3,
        big: bool = False,
        task: str = DEFAULT_TASK,
    ) -> list[Path]:
        """Put ``n`` real logs of one kind into ``dest_dir``.

        Args:
            dest_dir: Target directory (created if missing).
            n: Number of logs.
            fmt: ``eval`` or ``json``.
            status: ``success``, ``error``, ``cancelled`` or ``started``.
            samples: Dataset size of the eval (see the module docstring for per-status sample
                counts).
            big: About 5 MiB per log.
            task: Task name (no ``_``).

        Returns:
            The new files in creation order: names and mtimes strictly increase along the list.
        """
        template = self.template(fmt=fmt, status=status, samples=samples, big=big, task=task)
        return [self.copy(template, dest_dir, task=task) for _ in range(n)]

    def corrupt(
        self, dest_dir: str | Path, fmt: LogFormat = "eval", task: str = DEFAULT_TASK
    ) -> Path:
        """A file with a log-shaped name whose content is garbage (not a zip / not JSON).

        Args:
            dest_dir: Target directory (created if missing).
            fmt: Extension to use.
            task: Task name in the file name.

        Returns:
            Path of the file.
        """
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        mtime = self.next_mtime()
        dest = dest_dir / log_file_name(task, fmt, mtime)
        write_corrupt_log(dest)
        os.utime(dest, (mtime, mtime))
        return dest

    def truncated(
        self,
        dest_dir: str | Path,
        fmt: LogFormat = "eval",
        fraction: float = 0.5,
        status: LogStatus = "success",
        samples: int = 3,
        big: bool = False,
        task: str = DEFAULT_TASK,
    ) -> Path:
        """A copy of a real log cut to ``fraction`` of its size (a partial upload/write).

        Args:
            dest_dir: Target directory (created if missing).
            fmt: Log format.
            fraction: Part of the file kept (0 < fraction < 1).
            status: Status of the source log.
            samples: Dataset size of the source log.
            big: Use the big template.
            task: Task name.

        Returns:
            Path of the truncated file.
        """
        dest = self(dest_dir, n=1, fmt=fmt, status=status, samples=samples, big=big, task=task)[0]
        mtime = dest.stat().st_mtime
        truncate_file(dest, fraction)
        os.utime(dest, (mtime, mtime))
        return dest


def write_corrupt_log(path: str | Path, size: int = 4096) -> Path:
    """Write deterministic garbage bytes to ``path``.

    Args:
        path: File to (over)write.
        size: Number of bytes.

    Returns:
        The path.
    """
    path = Path(path)
    data = (b"this is not an inspect log \x00\xff\xfe" * (size // 32 + 1))[:size]
    path.write_bytes(data)
    return path


def truncate_file(path: str | Path, fraction: float = 0.5) -> Path:
    """Cut a file to ``fraction`` of its size, in place.

    Args:
        path: The file.
        fraction: Part kept (0 < fraction < 1).

    Returns:
        The path.
    """
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1")
    path = Path(path)
    with open(path, "r+b") as f:
        f.truncate(int(path.stat().st_size * fraction))
    return path


# ------------------------------------------------------------------------------------------ reading


def read_header(path: str | Path) -> EvalLog:
    """Read a log's header with inspect_ai (local path or ``s3://`` URI).

    Args:
        path: The log.

    Returns:
        The ``EvalLog`` without samples.
    """
    from inspect_ai.log import read_eval_log

    return read_eval_log(str(path), header_only=True)


def read_log(path: str | Path) -> EvalLog:
    """Read a whole log, samples included, with inspect_ai.

    Args:
        path: The log (local path or ``s3://`` URI).

    Returns:
        The ``EvalLog``.
    """
    from inspect_ai.log import read_eval_log

    return read_eval_log(str(path))


def sample_count(path: str | Path) -> int:
    """Number of samples stored in a log (reads the whole log).

    Args:
        path: The log (local path or ``s3://`` URI).

    Returns:
        ``len(log.samples)``.
    """
    return len(read_log(path).samples or [])
