"""Benchmark runner: ``flow``/``inspect_flow.api`` against minimal baselines doing the same I/O.

Usage::

    .venv/bin/python bench/run.py                 # the default run (about 5-6 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick         # smaller corpora, fewer repetitions (~2 minutes)
    .venv/bin/python bench/run.py --only api_tag --only s3_tag   # selected workloads
    .venv/bin/python bench/run.py --list          # workload names

For every workload it prints the median wall time of *ours* and of each baseline, the per-log cost
and the ratio ours ÷ baseline, and writes ``bench/results/<UTC timestamp>.json`` plus
``bench/results/<UTC timestamp>.md`` (the markdown table pasted into ``docs/performance.md``; also
``bench/results/latest.{json,md}``).

Method:

* Corpora are real inspect_ai logs made by ``bench/corpus.py`` (once per run, outside any timing)
  into a work directory (``--work``, default a fresh temp dir on the same disk as ``/tmp``).
* Write workloads reset their input before **every** timed run (fresh copy of the pristine corpus,
  re-upload to S3, or removal of the copy destination), outside the timed region.
* Runs are interleaved: repetition *r* runs every variant once, in an order rotated by *r*, so load
  from other processes on the machine hits ours and the baselines alike. Reported: the median
  (and min/max in the JSON).
* Python API workloads run in this process after a warm-up run of each variant on a few logs
  (imports, event loops and connection pools are warm for both). CLI workloads run subprocesses.
* S3 workloads use the test suite's moto server (``tests/helpers/s3.py``) in a separate process on
  loopback, whose request log gives the number of requests per log.
* The environment is the test suite's isolated, offline one (``tests/helpers/env.py``): fake AWS
  credentials, temp XDG dirs, network limited to loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

import baseline  # noqa: E402

PY = sys.executable
FLOW = str(Path(sys.executable).with_name("flow"))
TAG = "bench"


# ------------------------------------------------------------------------------------------ model


@dataclass
class Variant:
    """One contender of a workload: ``run`` is timed; ``reset`` runs before it, untimed."""

    label: str
    run: Callable[[], Any]
    reset: Callable[[], None] = lambda: None
    check: Callable[[Any], None] = lambda result: None
    note: str = ""


@dataclass
class Result:
    """Timings of one workload."""

    name: str
    title: str
    n: int
    runs: int
    times: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    ours: str = "ours"

    def median(self, label: str) -> float:
        return statistics.median(self.times[label])

    def rows(self) -> list[dict[str, Any]]:
        ours = self.median(self.ours) if self.ours in self.times else None
        rows = []
        for label, times in self.times.items():
            med = statistics.median(times)
            rows.append(
                {
                    "label": label,
                    "median_s": med,
                    "min_s": min(times),
                    "max_s": max(times),
                    "per_log_ms": med / self.n * 1e3 if self.n else None,
                    "ours_over_this": (ours / med) if ours is not None and med > 0 else None,
                    "note": self.notes.get(label, ""),
                }
            )
        return rows


# ---------------------------------------------------------------------------------------- helpers


def say(text: str) -> None:
    print(text, flush=True)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Send stderr (fd 2 and ``sys.stderr``) to /dev/null: our steps print progress lines there."""
    sys.stderr.flush()
    saved_fd = os.dup(2)
    saved = sys.stderr
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        sys.stderr = null
        try:
            yield
        finally:
            sys.stderr = saved
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


def measure(name: str, title: str, n: int, variants: list[Variant], runs: int) -> Result:
    """Time every variant ``runs`` times, interleaved, with a rotated order per repetition."""
    result = Result(name=name, title=title, n=n, runs=runs)
    for v in variants:
        result.times[v.label] = []
        if v.note:
            result.notes[v.label] = v.note
    for r in range(runs):
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        for v in order:
            v.reset()
            gc.collect()  # garbage of the previous variant is not charged to this one
            with silenced():
                t0 = time.perf_counter()
                out = v.run()
                elapsed = time.perf_counter() - t0
            v.check(out)
            result.times[v.label].append(elapsed)
    line = ", ".join(f"{label} {result.median(label):.3f}s" for label in result.times)
    say(f"  {name}: {line}")
    return result


def fresh_copy(master: Path, work: Path) -> Callable[[], None]:
    """A reset that replaces ``work`` with a copy of ``master`` (mtimes kept)."""

    def reset() -> None:
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(master, work)
        os.sync()  # flush the copy's dirty pages so they are not charged to the timed run

    return reset


def remove_dir(path: Path) -> Callable[[], None]:
    def reset() -> None:
        if path.exists():
            shutil.rmtree(path)
        os.sync()

    return reset


def expect(count: int, key: str | None = None) -> Callable[[Any], None]:
    """A check that a run handled ``count`` logs (baseline ints, or a StepReport status count)."""

    def check(result: Any) -> None:
        if isinstance(result, int):
            got = result
        elif hasattr(result, "counts"):
            got = result.counts().get(key or "written", 0)
            if not result.ok:
                raise RuntimeError(f"step run not ok: {result.summary()}")
        elif isinstance(result, subprocess.CompletedProcess):
            if result.returncode not in (0, 3):
                raise RuntimeError(f"{result.args} exited {result.returncode}")
            return
        else:
            return
        if got != count:
            raise RuntimeError(f"expected {count} logs handled, got {got}")

    return check


def run_proc(args: list[str], cwd: str | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )


def make_corpus(out: Path, n: int, size: str = "small", fmt: str = "eval", tasks: int = 4) -> Path:
    """Generate a pristine corpus with ``bench/corpus.py`` (reused when already there)."""
    stamp = out / ".complete"
    if stamp.exists():
        return out
    say(f"  corpus: {n} {size} .{fmt} logs -> {out}")
    subprocess.run(
        [
            PY,
            str(BENCH / "corpus.py"),
            str(out),
            "--n",
            str(n),
            "--size",
            size,
            "--fmt",
            fmt,
            "--tasks",
            str(tasks),
            "--clean",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stamp.touch()
    return out


def subset(master: Path, out: Path, n: int) -> Path:
    """The first ``n`` logs of ``master`` in a directory of their own."""
    if (out / ".complete").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in master.iterdir() if not p.name.startswith("."))[:n]:
        shutil.copy2(path, out / path.name)
    (out / ".complete").touch()
    return out


def dir_size(path: Path) -> int:
    return sum(
        p.stat().st_size for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
    )


# ----------------------------------------------------------------------------------- S3 plumbing


class S3Bench:
    """The moto server subprocess, a boto3 client, and request counting."""

    def __init__(self) -> None:
        port = int(os.environ["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])
        self.proc = subprocess.Popen(
            [PY, str(BENCH / "s3server.py"), str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        if ready["port"] != port:
            os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{ready['port']}"
        from helpers.s3 import make_s3_client

        self.client = make_s3_client()
        self.bucket = "bench"
        self.client.create_bucket(Bucket=self.bucket)

    def _command(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())  # type: ignore[no-any-return]

    def clear(self) -> None:
        self._command("clear")

    def requests(self) -> list[list[Any]]:
        return self._command("dump")["requests"]  # type: ignore[no-any-return]

    def upload(self, local: Path, prefix: str) -> None:
        from helpers.s3 import upload_dir

        upload_dir(
            local, f"s3://{self.bucket}/{prefix}", client=self.client, pattern="*.eval", workers=8
        )

    def delete_prefix(self, prefix: str) -> None:
        keys = baseline.s3_keys(self.client, self.bucket, prefix)
        for i in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True},
            )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._command("quit")
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=10)
        if self.proc.poll() is None:
            self.proc.kill()


def invalidate_s3fs() -> None:
    """Forget s3fs listings between runs, as a fresh process would (our fs object is cached)."""
    from inspect_flow._logs.s3.client import s3_filesystem

    s3_filesystem().invalidate_cache()


def request_kind(method: str, query: str, headers: dict[str, str]) -> str:
    """A short name for an S3 request (multipart steps named apart: they are what item 19 is)."""
    multipart = "uploadId=" in query
    if method == "PUT" and "X-Amz-Copy-Source" in headers:
        return "UploadPartCopy" if multipart else "PUT(copy)"
    if method == "PUT" and multipart:
        return "UploadPart"
    if method == "POST" and "uploads" in query.split("&"):
        return "CreateMultipartUpload"
    if method == "POST" and multipart:
        return "CompleteMultipartUpload"
    if method == "DELETE" and multipart:
        return "AbortMultipartUpload"
    if method == "GET" and "uploads" in query.split("&"):
        return "ListMultipartUploads"  # bucket-level: the leftover-upload check before an edit
    if method == "GET" and "list-type" in query:
        return "LIST"
    if method == "GET" and "Range" in headers:
        return "GET(range)"
    return method


def summarize_requests(requests: list[list[Any]], n: int) -> dict[str, Any]:
    kinds: Counter[str] = Counter()
    up = down = 0
    for method, _bucket, _key, query, headers, _status, *sent in requests:
        kinds[request_kind(method, query, headers)] += 1
        if method in ("PUT", "POST"):
            up += int(headers.get("Content-Length", 0) or 0)
        if method == "GET" and sent:  # HEAD's Content-Length is the object's, not bytes sent
            down += int(sent[0] or 0)
    return {
        "total": len(requests),
        "per_log": round(len(requests) / n, 2),
        "by_kind": dict(sorted(kinds.items())),
        "bytes_uploaded": up,
        "bytes_downloaded": down,
    }


# -------------------------------------------------------------------------------------- workloads


@dataclass
class Config:
    quick: bool
    work: Path
    runs: int
    n_api: int
    n_large: int
    n_json: int
    n_s3: int
    n_s3_large: int
    n_cli: tuple[int, ...]
    n_check: int
    startup_runs: int
    mem_sizes: tuple[int, int]


class Bench:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.work = cfg.work
        self._s3: S3Bench | None = None
        self.results: list[Result] = []
        self.corpus = self.work / "corpus"

    # ---- shared corpora
    def small_eval(self, n: int = 1000) -> Path:
        """The small ``.eval`` corpus: 1000 logs, or ``n`` when more are wanted (``--n-s3``)."""
        size = max(n, 1000)
        return make_corpus(self.corpus / f"small-eval-{size}", size)

    def s3(self) -> S3Bench:
        if self._s3 is None:
            self._s3 = S3Bench()
        return self._s3

    def close(self) -> None:
        if self._s3 is not None:
            self._s3.close()

    def warm(self, variants: list[Variant], reset: Callable[[], None] | None = None) -> None:
        """Run every variant once, untimed (imports, event loops, connection pools, page cache)."""
        for v in variants:
            (reset or v.reset)()
            with silenced():
                v.run()

    def record_s3(
        self,
        key: str,
        label: str,
        n: int,
        variants: list[Variant],
        counts: dict[str, Any],
        runs: int | None = None,
        warm: bool = True,
    ) -> Result:
        """Measure an S3 workload, attach its request counts and record it."""
        if warm:
            self.warm(variants)
        res = measure(key, label, n, variants, runs or max(3, self.cfg.runs - 2))
        res.extra["requests"] = counts
        self.results.append(res)
        return res

    # ---- 1. Python API on small .eval logs
    def api_tag(self) -> None:
        from inspect_ai.log import (
            ProvenanceData,
            TagsEdit,
            edit_eval_log,
            read_eval_log,
            write_eval_log,
        )

        from inspect_flow.api import run_step, tag

        n = self.cfg.n_api
        master = subset(self.small_eval(), self.work / f"master-api-{n}", n)
        work = self.work / "api-tag"

        def inspect_loop() -> int:
            # what a user script does with inspect_ai alone: in-place header append, not crash-safe
            count = 0
            for path in baseline.list_logs(str(work)):
                log = read_eval_log(path, header_only=True)
                log = edit_eval_log(
                    log, [TagsEdit(tags_add=[TAG])], ProvenanceData(author=baseline.AUTHOR)
                )
                write_eval_log(log, path, header_only=True)
                count += 1
            return count

        reset = fresh_copy(master, work)
        variants = [
            Variant(
                "ours",
                lambda: run_step(tag, str(work), add=[TAG]),
                reset,
                expect(n),
                "run_step(tag, DIR, add=[...])",
            ),
            Variant(
                "zip-rewrite",
                lambda: baseline.tag_eval(str(work), TAG, "rewrite"),
                reset,
                expect(n),
                "bare zipfile: raw member copy to temp + fsync + os.replace",
            ),
            Variant(
                "zip-copy+append",
                lambda: baseline.tag_eval(str(work), TAG, "append"),
                reset,
                expect(n),
                "bare zipfile: copyfile to temp, append header, fsync, os.replace",
            ),
            Variant(
                "zip-inplace",
                lambda: baseline.tag_eval(str(work), TAG, "inplace"),
                reset,
                expect(n),
                "bare zipfile append in place (NOT crash-safe)",
            ),
            Variant(
                "inspect-inplace",
                inspect_loop,
                reset,
                expect(n),
                "inspect_ai read/edit/write_eval_log(header_only) loop (NOT crash-safe)",
            ),
        ]
        self.warm(variants, fresh_copy(subset(master, self.work / "master-warm", 10), work))
        self.results.append(
            measure("api_tag", f"API tag, {n} small .eval", n, variants, self.cfg.runs)
        )

    def api_read(self) -> None:
        """Header reads alone: a dry run reads every header and writes nothing."""
        from inspect_ai.log import EvalLog

        from inspect_flow.api import run_step, tag

        n = self.cfg.n_api
        master = subset(self.small_eval(), self.work / f"master-api-{n}", n)

        def read_models(directory: str) -> int:
            count = 0
            for path in baseline.list_logs(directory):
                with baseline.zipfile.ZipFile(path) as z:
                    EvalLog.model_validate_json(z.read(baseline.HEADER))
                count += 1
            return count

        variants = [
            Variant(
                "ours",
                lambda: run_step(tag, str(master), add=[TAG], dry_run=True),
                check=expect(n, "would write"),
                note="run_step(tag, DIR, add=[...], dry_run=True)",
            ),
            Variant(
                "zip-read",
                lambda: baseline.read_headers(str(master)),
                check=expect(n),
                note="zipfile + json.loads of every header.json",
            ),
            Variant(
                "zip+EvalLog",
                lambda: read_models(str(master)),
                check=expect(n),
                note="zipfile + EvalLog.model_validate_json (floor for typed headers)",
            ),
        ]
        self.warm(variants)
        self.results.append(
            measure(
                "api_read",
                f"API dry-run tag (reads only), {n} small .eval",
                n,
                variants,
                self.cfg.runs,
            )
        )

    def api_metadata(self) -> None:
        from inspect_flow.api import metadata, run_step

        n = self.cfg.n_api
        master = subset(self.small_eval(), self.work / f"master-api-{n}", n)
        work = self.work / "api-meta"
        reset = fresh_copy(master, work)

        def base() -> int:
            return baseline.tag_eval(
                str(work), "", "rewrite", mutate=baseline.set_metadata("score", 0.95)
            )

        variants = [
            Variant(
                "ours",
                lambda: run_step(metadata, str(work), set={"score": 0.95}),
                reset,
                expect(n),
                "run_step(metadata, DIR, set={...})",
            ),
            Variant("zip-rewrite", base, reset, expect(n), "bare zipfile, crash-safe"),
        ]
        self.warm(variants, fresh_copy(subset(master, self.work / "master-warm", 10), work))
        self.results.append(
            measure(
                "api_metadata",
                f"API metadata, {n} small .eval",
                n,
                variants,
                max(3, self.cfg.runs - 2),
            )
        )

    def api_copy(self) -> None:
        from inspect_flow.api import copy, run_step

        n = self.cfg.n_api
        master = subset(self.small_eval(), self.work / f"master-api-{n}", n)
        dest = self.work / "api-copy-dest"
        reset = remove_dir(dest)
        variants = [
            Variant(
                "ours",
                lambda: run_step(copy, str(master), dest=str(dest)),
                reset,
                expect(n, "copied"),
                "run_step(copy, DIR, dest=DEST)",
            ),
            Variant(
                "copyfile",
                lambda: baseline.copy_logs(str(master), str(dest)),
                reset,
                expect(n),
                "shutil.copyfile to temp + fsync + os.replace",
            ),
        ]
        warm_src = str(subset(master, self.work / "master-warm", 10))
        self.warm(
            [
                Variant("ours", lambda: run_step(copy, warm_src, dest=str(dest))),
                Variant("copyfile", lambda: baseline.copy_logs(warm_src, str(dest))),
            ],
            reset,
        )
        self.results.append(
            measure(
                "api_copy", f"API copy, {n} small .eval", n, variants, max(3, self.cfg.runs - 2)
            )
        )

    # ---- 2. large .eval logs
    def large_tag(self) -> None:
        from inspect_ai.log import (
            ProvenanceData,
            TagsEdit,
            edit_eval_log,
            read_eval_log,
            write_eval_log,
        )

        from inspect_flow.api import run_step, tag

        n = self.cfg.n_large
        master = make_corpus(self.corpus / f"large-eval-{n}", n, "large", tasks=2)
        work = self.work / "large-tag"
        reset = fresh_copy(master, work)

        def inspect_loop() -> int:
            for path in baseline.list_logs(str(work)):
                log = read_eval_log(path, header_only=True)
                write_eval_log(
                    edit_eval_log(
                        log, [TagsEdit(tags_add=[TAG])], ProvenanceData(author=baseline.AUTHOR)
                    ),
                    path,
                    header_only=True,
                )
            return n

        variants = [
            Variant(
                "ours",
                lambda: run_step(tag, str(work), add=[TAG]),
                reset,
                expect(n),
                "copy + header append + fsync + os.replace",
            ),
            Variant(
                "zip-rewrite",
                lambda: baseline.tag_eval(str(work), TAG, "rewrite"),
                reset,
                expect(n),
                "raw member copy to temp + fsync + os.replace",
            ),
            Variant(
                "zip-copy+append",
                lambda: baseline.tag_eval(str(work), TAG, "append"),
                reset,
                expect(n),
                "copyfile + append + fsync + os.replace",
            ),
            Variant(
                "zip-inplace",
                lambda: baseline.tag_eval(str(work), TAG, "inplace"),
                reset,
                expect(n),
                "append in place, O(header) (NOT crash-safe)",
            ),
            Variant(
                "inspect-inplace",
                inspect_loop,
                reset,
                expect(n),
                "inspect_ai header_only write (NOT crash-safe)",
            ),
        ]
        res = measure("large_tag", f"API tag, {n} large (~5 MiB) .eval", n, variants, self.cfg.runs)
        res.extra["mean_log_bytes"] = dir_size(master) // n
        self.results.append(res)

    # ---- 3. .json logs
    def json_tag(self) -> None:
        from inspect_flow.api import run_step, tag

        n = self.cfg.n_json
        master = make_corpus(self.corpus / f"small-json-{n}", n, "small", "json")
        work = self.work / "json-tag"
        reset = fresh_copy(master, work)
        variants = [
            Variant(
                "ours",
                lambda: run_step(tag, str(work), add=[TAG]),
                reset,
                expect(n),
                "run_step(tag, DIR, add=[...])",
            ),
            Variant(
                "json-rewrite",
                lambda: baseline.tag_json(str(work), TAG),
                reset,
                expect(n),
                "json.load, edit, json.dump to temp, fsync, os.replace",
            ),
        ]
        warm = make_corpus(self.corpus / "small-json-10", 10, "small", "json")
        self.warm(variants, fresh_copy(warm, work))
        res = measure("json_tag", f"API tag, {n} small .json", n, variants, self.cfg.runs)
        res.extra["mean_log_bytes"] = dir_size(master) // n
        self.results.append(res)

    # ---- 4. S3
    @staticmethod
    def _s3_upload_hooks(
        s3: Any, local: Path, prefix: str, n: int, counts: dict[str, Any]
    ) -> tuple[Callable[[], None], Callable[[str], Callable[[Any], None]]]:
        """Reset (re-upload ``local`` under ``prefix``) and a request-counting result check."""

        def reset() -> None:
            s3.upload(local, prefix)
            invalidate_s3fs()
            s3.clear()

        def counted(label: str) -> Callable[[Any], None]:
            def check(result: Any) -> None:
                expect(n)(result)
                counts[label] = summarize_requests(s3.requests(), n)

            return check

        return reset, counted

    def s3_tag(self) -> None:
        from inspect_flow.api import run_step, tag

        s3 = self.s3()
        n = self.cfg.n_s3
        local = subset(self.small_eval(n), self.work / f"master-s3-{n}", n)
        prefix = "tag/"
        uri = f"s3://{s3.bucket}/{prefix}"
        counts: dict[str, Any] = {}

        reset, counted = self._s3_upload_hooks(s3, local, prefix, n, counts)

        variants = [
            Variant(
                "ours",
                lambda: run_step(tag, uri, add=[TAG]),
                reset,
                counted("ours"),
                "run_step(tag, s3://..., add=[...])",
            ),
            Variant(
                "boto3",
                lambda: baseline.s3_tag(s3.client, s3.bucket, prefix, TAG),
                reset,
                counted("boto3"),
                "one client, sequential GET + PUT If-Match",
            ),
            Variant(
                "boto3-8threads",
                lambda: baseline.s3_tag(s3.client, s3.bucket, prefix, TAG, workers=8),
                reset,
                counted("boto3-8threads"),
                "one client, 8 threads",
            ),
        ]
        self.record_s3("s3_tag", f"API tag, {n} small .eval on S3 (moto)", n, variants, counts)

    def s3_large_tag(self) -> None:
        corpus = make_corpus(
            self.corpus / f"large-eval-{self.cfg.n_large}", self.cfg.n_large, "large", tasks=2
        )
        self._s3_large("s3_large_tag", corpus, "large (~5 MiB)")

    def s3_huge_tag(self) -> None:
        n = self.cfg.n_s3_large
        corpus = make_corpus(self.corpus / f"huge-eval-{n}", n, "huge", tasks=1)
        self._s3_large("s3_huge_tag", corpus, "huge (~20 MiB)")

    def _s3_large(self, name: str, corpus: Path, size: str) -> None:
        """Tag large logs on S3: ours moves the tail only, boto3 all of it."""
        from inspect_flow.api import run_step, tag

        s3 = self.s3()
        n = self.cfg.n_s3_large
        local = subset(corpus, self.work / f"master-{name}-{n}", n)
        prefix = f"{name}/"
        uri = f"s3://{s3.bucket}/{prefix}"
        counts: dict[str, Any] = {}

        reset, counted = self._s3_upload_hooks(s3, local, prefix, n, counts)

        variants = [
            Variant(
                "ours",
                lambda: run_step(tag, uri, add=[TAG]),
                reset,
                counted("ours"),
                "tail GET; multipart: samples copied server-side, new header + directory uploaded",
            ),
            Variant(
                "boto3",
                lambda: baseline.s3_tag(s3.client, s3.bucket, prefix, TAG),
                reset,
                counted("boto3"),
                "sequential GET + PUT If-Match of the whole object",
            ),
            Variant(
                "boto3-8threads",
                lambda: baseline.s3_tag(s3.client, s3.bucket, prefix, TAG, workers=8),
                reset,
                counted("boto3-8threads"),
                "the same, 8 threads",
            ),
        ]
        label = f"API tag, {n} {size} .eval on S3 (moto)"
        res = self.record_s3(name, label, n, variants, counts, runs=3, warm=False)
        res.extra["mean_log_bytes"] = dir_size(local) // n

    def s3_copy(self) -> None:
        from inspect_flow.api import copy, run_step

        s3 = self.s3()
        n = self.cfg.n_s3
        local = subset(self.small_eval(n), self.work / f"master-s3-{n}", n)
        src, dst = "copysrc/", "copydst/"
        s3.upload(local, src)
        counts: dict[str, Any] = {}

        def reset() -> None:
            s3.delete_prefix(dst)
            invalidate_s3fs()
            s3.clear()

        def counted(label: str, key: str) -> Callable[[Any], None]:
            def check(result: Any) -> None:
                expect(n, key)(result)
                counts[label] = summarize_requests(s3.requests(), n)

            return check

        src_uri, dst_uri = f"s3://{s3.bucket}/{src}", f"s3://{s3.bucket}/{dst}"
        variants = [
            Variant(
                "ours",
                lambda: run_step(copy, src_uri, dest=dst_uri),
                reset,
                counted("ours", "copied"),
                "run_step(copy, s3://src/, dest=s3://dst/)",
            ),
            Variant(
                "boto3",
                lambda: baseline.s3_copy(s3.client, s3.bucket, src, dst),
                reset,
                counted("boto3", "copied"),
                "one client, sequential CopyObject",
            ),
            Variant(
                "boto3-8threads",
                lambda: baseline.s3_copy(s3.client, s3.bucket, src, dst, workers=8),
                reset,
                counted("boto3-8threads", "copied"),
                "one client, 8 threads",
            ),
            Variant(
                "boto3-8threads-get+put",
                lambda: baseline.s3_copy_get_put(s3.client, s3.bucket, src, dst, workers=8),
                reset,
                counted("boto3-8threads-get+put", "copied"),
                "8 threads: ranged GET + header parsed + PUT If-None-Match (ours' requests)",
            ),
        ]
        self.record_s3("s3_copy", f"API copy S3→S3, {n} small .eval (moto)", n, variants, counts)

    # ---- 5. CLI
    def cli_startup(self) -> None:
        runs = self.cfg.startup_runs
        variants = [
            Variant("flow --version", lambda: run_proc([FLOW, "--version"])),
            Variant("flow --help", lambda: run_proc([FLOW, "--help"])),
            Variant("flow step --help", lambda: run_proc([FLOW, "step", "--help"])),
            Variant(
                "python -c pass", lambda: run_proc([PY, "-c", "pass"]), note="interpreter floor"
            ),
            Variant(
                "python -c 'import click'",
                lambda: run_proc([PY, "-c", "import click"]),
                note="interpreter + click",
            ),
        ]
        for v in variants:
            v.check = expect(0)
        res = measure("cli_startup", "CLI start-up (subprocess)", 0, variants, runs)
        res.ours = ""  # absolute times only: the target is "well under half a second"
        self.results.append(res)

    def cli_tag(self) -> None:
        for n in self.cfg.n_cli:
            master = subset(self.small_eval(), self.work / f"master-api-{n}", n)
            work = self.work / f"cli-tag-{n}"
            reset = fresh_copy(master, work)
            variants = [
                Variant(
                    "ours",
                    lambda w=work: run_proc([FLOW, "step", "tag", str(w), "--add", TAG]),
                    reset,
                    expect(0),
                    "flow step tag DIR --add x",
                ),
                Variant(
                    "baseline.py",
                    lambda w=work: run_proc(
                        [PY, str(BENCH / "baseline.py"), "tag", str(w), "--add", TAG]
                    ),
                    reset,
                    expect(0),
                    "python bench/baseline.py tag DIR (zip-rewrite)",
                ),
            ]
            runs = self.cfg.runs if n <= 100 else max(3, self.cfg.runs - 2)
            res = measure(
                f"cli_tag_{n}", f"CLI `flow step tag`, {n} small .eval", n, variants, runs
            )
            self.results.append(res)

    # ---- 6. flow check
    def check(self) -> None:
        n = self.cfg.n_check
        proj = self.work / "check-proj"
        if not (proj / ".complete").exists():
            say("  corpus: flow check project (tests/helpers/check_corpus.py)")
            build = self.work / "check-build"
            shutil.rmtree(build, ignore_errors=True)
            code = (
                "import sys; from pathlib import Path; "
                f"sys.path.insert(0, {str(ROOT / 'tests' / 'helpers')!r}); "
                "import check_corpus as corpus; "
                f"print(corpus.build(Path({str(build)!r})))"
            )
            subprocess.run(
                [PY, "-c", code], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            shutil.rmtree(proj, ignore_errors=True)
            shutil.copytree(build / "proj", proj)
            shutil.copy(ROOT / "tests" / "data" / "check" / "spec.py", proj / "spec.py")
            originals = sorted((proj / "logs").rglob("*.eval"))
            big = proj / "many"
            big.mkdir()
            for i in range(n):
                source = originals[i % len(originals)]
                target = big / f"{source.stem}-{i:05d}.eval"
                shutil.copy2(source, target)
            (proj / ".complete").touch()
        variants = [
            Variant(
                "ours",
                lambda: run_proc([FLOW, "check", "spec.py", "--log-dir", "many"], cwd=str(proj)),
                check=expect(0),
                note="flow check spec.py --log-dir DIR",
            ),
            Variant(
                "baseline.py",
                lambda: run_proc(
                    [PY, str(BENCH / "baseline.py"), "headers", "many"], cwd=str(proj)
                ),
                check=expect(0),
                note="python bench/baseline.py headers DIR",
            ),
        ]
        res = measure(
            "check",
            f"CLI `flow check`, {n} .eval (7 distinct logs, copied)",
            n,
            variants,
            max(3, self.cfg.runs - 2),
        )
        self.results.append(res)

    # ---- 6b. flow list log
    def list_log(self) -> None:
        n = self.cfg.n_check
        master = subset(self.small_eval(), self.work / f"master-api-{n}", n)
        headers = (
            "import sys; from inspect_ai.log import list_eval_logs, read_eval_log; "
            "[read_eval_log(i.name, header_only=True) for i in list_eval_logs(sys.argv[1])]"
        )

        def first_line(args: list[str]) -> subprocess.Popen[bytes]:
            # timed until the first line of output arrives; the rest is drained untimed
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert proc.stdout is not None
            proc.stdout.readline()
            return proc

        def drain(proc: Any) -> None:
            proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"{proc.args} exited {proc.returncode}")

        listing = [FLOW, "list", "log", str(master), "--oneline", "--no-page"]
        variants = [
            Variant(
                "ours",
                lambda: run_proc(listing),
                check=expect(0),
                note=" ".join(listing[1:3]) + " DIR --oneline",
            ),
            Variant(
                "ours, first line",
                lambda: first_line(listing),
                check=drain,
                note="time until the first line is printed",
            ),
            Variant(
                "ours -n 10",
                lambda: run_proc([FLOW, "list", "log", str(master), "-n", "10"]),
                check=expect(0),
                note="flow list log DIR -n 10",
            ),
            Variant(
                "inspect_ai headers",
                lambda: run_proc([PY, "-c", headers, str(master)]),
                check=expect(0),
                note="list_eval_logs + read_eval_log(header_only=True) each",
            ),
            Variant(
                "baseline.py",
                lambda: run_proc([PY, str(BENCH / "baseline.py"), "headers", str(master)]),
                check=expect(0),
                note="python bench/baseline.py headers DIR (zipfile)",
            ),
        ]
        res = measure(
            "list_log",
            f"CLI `flow list log`, {n} small .eval",
            n,
            variants,
            max(3, self.cfg.runs - 2),
        )
        self.results.append(res)

    # ---- 7. memory
    def memory(self) -> None:
        small, big = self.cfg.mem_sizes
        # Peak RSS is VmHWM of /proc/self/status: the high-water mark of this process's own
        # address space. (ru_maxrss is no good here: Linux carries it over fork+exec, so a child
        # of this large runner process would report the runner's size.)
        script = (
            "import json, resource, sys\n"
            "def hwm():\n"
            "    try:\n"
            "        for line in open('/proc/self/status'):\n"
            "            if line.startswith('VmHWM:'):\n"
            "                return int(line.split()[1])\n"
            "    except OSError:\n"
            "        pass\n"
            "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "mode, path = sys.argv[1], sys.argv[2]\n"
            "if mode == 'ours':\n"
            "    from inspect_flow.api import run_step, tag\n"
            "    import inspect_ai.log\n"
            "else:\n"
            f"    sys.path.insert(0, {str(BENCH)!r}); import baseline\n"
            "before = hwm()\n"
            "if mode == 'ours':\n"
            "    report = run_step(tag, path, add=['mem'])\n"
            "    assert report.ok, report.summary()\n"
            "else:\n"
            "    baseline.tag_eval(path, 'mem')\n"
            "after = hwm()\n"
            "print(json.dumps({'import_kb': before, 'peak_kb': after}))\n"
        )
        result = Result(
            name="memory", title="Peak RSS (VmHWM) of a tag run (subprocess)", n=0, runs=1
        )
        data: dict[str, Any] = {}
        for n in (small, big):
            master = subset(self.small_eval(), self.work / f"master-api-{n}", n)
            work = self.work / f"mem-{n}"
            for mode in ("ours", "baseline"):
                fresh_copy(master, work)()
                done = subprocess.run(
                    [PY, "-c", script, mode, str(work)], capture_output=True, text=True, check=True
                )
                data[f"{mode}_{n}"] = json.loads(done.stdout.strip().splitlines()[-1])
        for mode in ("ours", "baseline"):
            a, b = data[f"{mode}_{small}"], data[f"{mode}_{big}"]
            grow = (b["peak_kb"] - b["import_kb"]) - (a["peak_kb"] - a["import_kb"])
            data[f"{mode}_kb_per_log"] = round(grow / (big - small), 2)
        result.extra = data
        say(
            "  memory: "
            + ", ".join(
                f"{mode} {n}: peak {data[f'{mode}_{n}']['peak_kb'] / 1024:.0f} MiB"
                for mode in ("ours", "baseline")
                for n in (small, big)
            )
            + f"; growth ours {data['ours_kb_per_log']} KiB/log,"
            f" baseline {data['baseline_kb_per_log']} KiB/log"
        )
        self.results.append(result)


WORKLOADS = [
    "api_tag",
    "api_read",
    "api_metadata",
    "api_copy",
    "large_tag",
    "json_tag",
    "s3_tag",
    "s3_copy",
    "s3_large_tag",
    "s3_huge_tag",
    "cli_startup",
    "cli_tag",
    "check",
    "list_log",
    "memory",
]


# ---------------------------------------------------------------------------------------- reports


def machine() -> dict[str, Any]:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except Exception:
            return ""

    root = sh("df --output=source /tmp | tail -1")
    name, _, rota = sh(f"lsblk -ndo NAME,ROTA {root} 2>/dev/null").partition(" ")
    disk = f"/dev/{name} (lsblk ROTA={rota.strip()})" if name else root
    return {
        "date": sh("date"),
        "nproc": sh("nproc"),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip(),
        "memory": sh("grep MemTotal /proc/meminfo | awk '{printf \"%.1f GiB\", $2/1024/1024}'"),
        "filesystem": sh("df -T /tmp | tail -1 | awk '{print $2}'"),
        "disk": disk,
        "loadavg_start": os.getloadavg(),
        "inspect_ai": _version("inspect_ai"),
        "moto": _version("moto"),
        "git": _git(),
    }


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"
    return f"{head}{' + uncommitted changes in src/' if dirty else ''}"


def _version(name: str) -> str:
    from importlib.metadata import version

    try:
        return version(name.replace("_", "-"))
    except Exception:
        return "?"


def markdown(results: list[Result], meta: dict[str, Any], command: str) -> str:
    lines = [
        f"Run: `{command}`  ",
        f"Date: {meta['date']}  ",
        f"Machine: {meta['nproc']} cores ({meta['cpu']}), {meta['machine']}, {meta['memory']} RAM, "
        f"Linux {meta['kernel']}, Python {meta['python']}, {meta['filesystem']} on "
        f"{meta['disk']}; inspect_ai {meta['inspect_ai']}, moto {meta['moto']}; "
        f"load average at start {', '.join(f'{x:.2f}' for x in meta['loadavg_start'])}, "
        f"at end {', '.join(f'{x:.2f}' for x in meta['loadavg_end'])}  ",
        f"Code: {meta['git']}  ",
        f"Total wall time: {meta['elapsed_s']:.0f} s",
        "",
        "| Workload | N | Variant | Median (s) | Per log (ms) | Ours ÷ this | What |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for res in results:
        if res.name == "memory":
            continue
        for i, row in enumerate(res.rows()):
            ratio = row["ours_over_this"]
            per_log = "" if row["per_log_ms"] is None else f"{row['per_log_ms']:.2f}"
            shown_ratio = "" if ratio is None or row["label"] == res.ours else f"{ratio:.2f}×"
            lines.append(
                f"| {res.title if i == 0 else ''} | {res.n if i == 0 and res.n else ''} "
                f"| {row['label']} | {row['median_s']:.3f} "
                f"| {per_log} | {shown_ratio} "
                f"| {row['note']} |"
            )
    extras = []
    for res in results:
        if "requests" in res.extra:
            for label, c in res.extra["requests"].items():
                kinds = ", ".join(f"{k} {v}" for k, v in c["by_kind"].items())
                down, per = c.get("bytes_downloaded", 0), max(res.n, 1)
                extras.append(
                    f"- {res.title}, **{label}**: {c['total']} requests = **{c['per_log']}/log** "
                    f"({kinds}); {c['bytes_uploaded'] / 2**20:.1f} MiB uploaded, "
                    f"{down / 2**20:.1f} MiB downloaded = "
                    f"**{c['bytes_uploaded'] / per / 1024:.0f} KiB up, "
                    f"{down / per / 1024:.0f} KiB down per log**"
                )
        if "mean_log_bytes" in res.extra:
            extras.append(
                f"- {res.title}: mean log size {res.extra['mean_log_bytes'] / 2**20:.2f} MiB"
            )
        if res.name == "memory":
            d = res.extra
            sizes = sorted(
                int(k.split("_")[1])
                for k in d
                if k.startswith("ours_") and k.split("_")[1].isdigit()
            )
            for mode in ("ours", "baseline"):
                parts = [
                    f"{n} logs: peak {d[f'{mode}_{n}']['peak_kb'] / 1024:.0f} MiB "
                    f"(after imports {d[f'{mode}_{n}']['import_kb'] / 1024:.0f} MiB)"
                    for n in sizes
                ]
                extras.append(
                    f"- Peak RSS, tag, **{mode}**: "
                    + "; ".join(parts)
                    + f"; growth {d[f'{mode}_kb_per_log']} KiB per extra log"
                )
    if extras:
        lines += ["", *extras]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small corpora, 3 repetitions")
    parser.add_argument("--only", action="append", choices=WORKLOADS, help="run these workloads")
    parser.add_argument("--runs", type=int, help="repetitions per workload (default 5; quick 3)")
    parser.add_argument("--work", type=Path, help="work dir (kept; corpora reused when present)")
    parser.add_argument("--n-s3", type=int, help="logs in the small S3 workloads (default 200)")
    parser.add_argument("--list", action="store_true", help="list workloads and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        print("\n".join(WORKLOADS))
        return 0
    from helpers.env import setup_test_env

    keep = args.work is not None
    work = args.work or Path(tempfile.mkdtemp(prefix="flow-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = setup_test_env(work / "env")
    quick = args.quick
    cfg = Config(
        quick=quick,
        work=work,
        runs=args.runs or (3 if quick else 5),
        n_api=200 if quick else 1000,
        n_large=5 if quick else 20,
        n_json=50 if quick else 200,
        n_s3=args.n_s3 or (50 if quick else 200),
        n_s3_large=3 if quick else 5,
        n_cli=(100,) if quick else (100, 1000),
        n_check=200 if quick else 1000,
        startup_runs=5 if quick else 10,
        mem_sizes=(50, 200) if quick else (100, 1000),
    )
    bench = Bench(cfg)
    failed: dict[str, str] = {}
    meta = machine()
    started = time.perf_counter()
    say(f"bench: work dir {work} ({'quick' if quick else 'default'}, {cfg.runs} runs)")
    try:
        for name in args.only or WORKLOADS:
            say(f"[{name}]")
            try:
                getattr(bench, name)()
            except Exception as exc:  # keep going: one broken workload must not lose the others
                failed[name] = f"{type(exc).__name__}: {exc}"
                say(f"  {name}: FAILED: {failed[name]}")
    finally:
        bench.close()
        env.restore(remove_root=False)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    meta["elapsed_s"] = time.perf_counter() - started
    meta["loadavg_end"] = os.getloadavg()
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "command": command.strip(),
        "machine": meta,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
        "results": [
            {
                **{k: v for k, v in asdict(r).items() if k != "times"},
                "times": r.times,
                "rows": r.rows() if r.times else [],
            }
            for r in bench.results
        ],
    }
    payload["failed"] = failed
    table = markdown(bench.results, meta, command.strip())
    if failed:
        table += "\n" + "\n".join(f"- **{k} FAILED**: {v}" for k, v in failed.items()) + "\n"
    for name in (stamp, "latest"):
        (out_dir / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
        (out_dir / f"{name}.md").write_text(table)
    say("")
    say(table)
    say(f"results: {out_dir / (stamp + '.json')}, {out_dir / (stamp + '.md')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
