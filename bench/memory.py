"""Memory per log of ``run_step(tag, …)``: tracemalloc peak and peak RSS at two corpus sizes.

    .venv/bin/python bench/memory.py --n 1000 --n 5000 --batch-size 500 --work /tmp/flow-mem

For each size N (and, with ``--batch-size``, also batched), a fresh subprocess imports Flow and
inspect_ai, starts ``tracemalloc``, runs ``run_step(tag, DIR, add=[…])`` over a fresh copy of N
small logs, and reports the traced peak (Python allocations made during the run, imports
excluded) and ``VmHWM`` (peak RSS of the process). The growth per log is the difference between
the two sizes divided by the difference in logs, so fixed costs cancel out. tracemalloc slows the
run several times: the times printed are not the speed of Flow.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402 - bench/run.py: corpora and resets

SCRIPT = """
import json, sys, time, tracemalloc
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) * 1024
    return 0
from inspect_flow.api import bulk_gc, run_step, tag
import inspect_ai.log
path, batch = sys.argv[1], (int(sys.argv[2]) or None)
with bulk_gc():  # as the CLI runs
    rss_before = hwm()
    tracemalloc.start()
    t0 = time.perf_counter()
    report = run_step(tag, path, add=['mem'], batch_size=batch)
    elapsed = time.perf_counter() - t0
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
assert report.ok, report.summary()
print(json.dumps({'peak': peak, 'current': current, 'rss_import': rss_before,
                  'rss_peak': hwm(), 'seconds': elapsed}))
"""


def measure(master: Path, work: Path, batch: int) -> dict[str, float]:
    run.fresh_copy(master, work)()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(work), str(batch)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append", help="corpus sizes (two)")
    parser.add_argument("--batch-size", type=int, default=0, help="also measure batched runs")
    parser.add_argument("--work", default="/tmp/flow-mem")
    opts = parser.parse_args(argv)
    sizes = sorted(opts.n or [1000, 5000])
    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    biggest = run.make_corpus(work / "corpus" / f"small-eval-{sizes[-1]}", sizes[-1])
    modes = [0] + ([opts.batch_size] if opts.batch_size else [])
    rows: dict[tuple[int, int], dict[str, float]] = {}
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    for n in sizes:
        master = run.subset(biggest, work / f"master-{n}", n)
        for batch in modes:
            t0 = time.perf_counter()
            rows[(n, batch)] = data = measure(master, work / "run", batch)
            print(
                f"  n={n} batch={batch or '-'}: traced peak {data['peak'] / 2**20:.1f} MiB, "
                f"RSS peak {data['rss_peak'] / 2**20:.0f} MiB "
                f"(after imports {data['rss_import'] / 2**20:.0f} MiB), "
                f"{time.perf_counter() - t0:.0f} s with tracemalloc",
                flush=True,
            )
    small, big = sizes[0], sizes[-1]
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print(f"| Run | traced peak, N={small} | traced peak, N={big} | growth per log |")
    print("|---|---:|---:|---:|")
    for batch in modes:
        a, b = rows[(small, batch)], rows[(big, batch)]
        per_log = (b["peak"] - a["peak"]) / (big - small) / 1024
        label = f"--batch-size {batch}" if batch else "one transaction"
        print(
            f"| {label} | {a['peak'] / 2**20:.1f} MiB | {b['peak'] / 2**20:.1f} MiB "
            f"| {per_log:.1f} KiB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
