"""Memory (and time) per log of ``flow step tag``: peak RSS, and the traced Python allocations.

    .venv/bin/python bench/memory.py --n 1000 --n 5000 --n 20000 --batch-size 1000
    .venv/bin/python bench/memory.py --n 100000 --batch-size 1000 --no-single --rss-only \\
        --corpus /tmp/corpus-100k --in-place --baseline

Two kinds of run, each in a fresh process, never mixed (``tracemalloc`` slows a run several times
and its own bookkeeping inflates the RSS):

* **RSS**: the real CLI, ``python -m inspect_flow step tag DIR --add TAG [--batch-size B]``, as a
  child process; its peak RSS (``ru_maxrss`` from ``wait4``), wall time and CPU time. The fixed
  part (interpreter, imports) is a run over one log; "per log" is ``(peak_N - peak_1) / (N - 1)``.
  The same for the headers alone (``read_headers`` of the N logs, held: what a step receives, in
  a process without tracemalloc); "beyond the headers" is the difference of the two per log.
* **traced** (skipped by ``--rss-only``): ``run_step(tag, DIR, add=[TAG])`` under ``bulk_gc`` with
  ``tracemalloc`` started after the imports; its traced peak; and the headers alone, traced. Per
  log and beyond the headers as for RSS.

``--batch-size B`` adds the batched runs (``--no-single``: only those). Every run gets a fresh copy
of the first N logs of the corpus, unless ``--in-place``: then the corpus itself is tagged, with a
tag no earlier run added (so every log is written again); meant for one very large corpus that is
too slow to copy. ``--baseline`` also times ``bench/baseline.py tag DIR --workers 4`` (the bare
crash-safe zip rewrite) on the same logs. ``--corpus DIR`` uses an existing corpus (made with
``bench/corpus.py``) instead of generating one under ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402 - bench/run.py: corpora and resets

BASELINE = str(Path(__file__).resolve().parent / "baseline.py")

IN_PROCESS = """
import gc, json, sys, tracemalloc
from inspect_flow.api import bulk_gc, run_step, tag
from inspect_flow._logs import expand_paths, read_headers
import inspect_ai.log
path, batch, label, mode, trace = sys.argv[1], int(sys.argv[2]) or None, *sys.argv[3:6]
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
with bulk_gc():  # as the CLI runs
    if trace == "1":
        tracemalloc.start()
    if mode == "headers":  # what a step receives: the headers, held
        held = read_headers(sorted(expand_paths([path]))).logs
        gc.collect()
        count = len(held)
    else:
        report = run_step(tag, path, add=[label], batch_size=batch)
        assert report.ok, report.summary()
        count = len(report.logs)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
print(json.dumps({"traced": current if mode == "headers" else peak, "rss": hwm(), "count": count}))
"""


def cli_run(directory: Path, label: str, batch: int) -> dict[str, float]:
    """Run the CLI on ``directory``; return its peak RSS (bytes), wall and CPU seconds."""
    cmd = [sys.executable, "-m", "inspect_flow", "step", "tag", str(directory), "--add", label]
    if batch:
        cmd += ["--batch-size", str(batch)]
    return _child(cmd)


def baseline_run(directory: Path, label: str) -> dict[str, float]:
    """Run the bare crash-safe rewrite on ``directory`` (4 threads)."""
    cmd = [sys.executable, BASELINE, "tag", str(directory), "--add", label, "--workers", "4"]
    return _child(cmd)


def _child(cmd: list[str]) -> dict[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()  # drained while it runs (progress bars)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.decode()[-2000:]}")
    return {
        "rss": usage.ru_maxrss * 1024,  # KiB on Linux
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def traced_run(
    directory: Path, label: str, batch: int, mode: str = "run", trace: bool = True
) -> dict[str, float]:
    """Run ``run_step`` (or only the header reads) in a fresh process, under tracemalloc."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            IN_PROCESS,
            str(directory),
            str(batch),
            label,
            mode,
            str(int(trace)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def prepare(master: Path, work: Path, in_place: bool) -> Path:
    """Return the directory a run tags: ``master`` itself, or a fresh copy of it."""
    if in_place:
        return master
    run.fresh_copy(master, work)()
    return work


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append", help="corpus sizes (repeatable)")
    parser.add_argument("--batch-size", type=int, default=0, help="also measure batched runs")
    parser.add_argument("--no-single", action="store_true", help="only the batched runs")
    parser.add_argument("--rss-only", action="store_true", help="no tracemalloc runs")
    parser.add_argument("--baseline", action="store_true", help="also time baseline.py tag")
    parser.add_argument("--corpus", type=Path, help="an existing corpus of at least max(N) logs")
    parser.add_argument("--in-place", action="store_true", help="tag the corpus itself")
    parser.add_argument("--work", default="/tmp/flow-mem")
    opts = parser.parse_args(argv)
    sizes = sorted(opts.n or [1000, 5000])
    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    if opts.corpus is not None:
        biggest = opts.corpus
    else:
        biggest = run.make_corpus(work / "corpus" / f"small-eval-{sizes[-1]}", sizes[-1])
    modes = ([] if opts.no_single else [0]) + ([opts.batch_size] if opts.batch_size else [])
    one = run.subset(biggest, work / "master-1", 1)
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    fresh_one = lambda: prepare(one, work / "run", False)  # noqa: E731
    fixed = {batch: cli_run(fresh_one(), "mem", batch) for batch in modes}
    fixed_headers = traced_run(fresh_one(), "mem", 0, "headers", False) if 0 in modes else {}
    for batch, data in fixed.items():
        if not opts.rss_only:
            data["traced"] = traced_run(fresh_one(), "mem", batch)["traced"]
    if not opts.rss_only and 0 in modes:
        fixed_headers["traced"] = traced_run(fresh_one(), "mem", 0, "headers")["traced"]
    print(f"one log: peak RSS {fixed[modes[0]]['rss'] / 2**20:.0f} MiB (the fixed part)")
    print(
        "| N | run | peak RSS | RSS per log | RSS beyond the headers | traced per log "
        "| traced beyond the headers | wall | wall per log | CPU |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def per_log(value: float, base: float, n: int) -> float:
        return (value - base) / (n - 1) / 1024

    for n in sizes:
        last = opts.in_place and n == sizes[-1]
        master = biggest if last else run.subset(biggest, work / f"master-{n}", n)
        held_rss = held_traced = 0.0
        if 0 in modes:  # what one transaction keeps beyond the headers: read them alone
            held = traced_run(prepare(master, work / "run", False), "mem", 0, "headers", False)
            held_rss = per_log(held["rss"], fixed_headers["rss"], n)
            if not opts.rss_only:
                traced = traced_run(prepare(master, work / "run", False), "mem", 0, "headers")
                held_traced = per_log(traced["traced"], fixed_headers["traced"], n)
            shown_traced = "" if opts.rss_only else f"{held_traced:.1f} KiB"
            print(
                f"| {n} | the headers alone (read, held) | {held['rss'] / 2**20:.0f} MiB "
                f"| {held_rss:.1f} KiB | | {shown_traced} | | | | |",
                flush=True,
            )
        for batch in modes:
            label = f"mem{uuid.uuid4().hex[:8]}"
            data = cli_run(prepare(master, work / "run", opts.in_place), label, batch)
            rss = per_log(data["rss"], fixed[batch]["rss"], n)
            # A batched run holds one batch of headers: all it keeps per log is "beyond".
            beyond_rss = "—" if batch else f"{rss - held_rss:.1f} KiB"
            traced = " | "
            if not opts.rss_only:
                got = traced_run(prepare(master, work / "run", False), "mem", batch)
                grown = per_log(got["traced"], fixed[batch]["traced"], n)
                traced = f"{grown:.1f} KiB | " + (
                    "—" if batch else f"{grown - held_traced:.1f} KiB"
                )
            shown = f"`--batch-size {batch}`" if batch else "one transaction"
            print(
                f"| {n} | {shown} | {data['rss'] / 2**20:.0f} MiB | {rss:.1f} KiB | {beyond_rss} "
                f"| {traced} | {data['wall']:.1f} s | {data['wall'] / n * 1000:.2f} ms "
                f"| {data['cpu']:.1f} s |",
                flush=True,
            )
        if opts.baseline:
            label = f"mem{uuid.uuid4().hex[:8]}"
            data = baseline_run(prepare(master, work / "run", opts.in_place), label)
            print(
                f"| {n} | `baseline.py tag` | {data['rss'] / 2**20:.0f} MiB | | | | "
                f"| {data['wall']:.1f} s | {data['wall'] / n * 1000:.2f} ms "
                f"| {data['cpu']:.1f} s |",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if (work / "run").exists():
        shutil.rmtree(work / "run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
