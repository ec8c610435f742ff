"""What one S3 request costs on the benchmark's moto server: server CPU and client CPU per type.

Usage::

    .venv/bin/python bench/s3_cost.py [--n 500] [--work DIR]

Uploads N small ``.eval`` logs to the moto server of ``bench/run.py`` (its own process), then sends
N requests of each type with boto3 (8 threads, one client, as the baselines do) and N of the types
ours makes through our client (``inspect_flow._logs.s3.client``, 10 at a time on the s3fs loop).
For each it prints, per request: the wall time, the CPU time of this process (the client) and of
the server process (``/proc/PID/stat``). moto serves every request under one GIL, so its CPU per
request bounds what any client can reach: a workload's floor is the sum over its requests.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))
sys.path.insert(0, str(BENCH))

import baseline  # noqa: E402
import run  # noqa: E402

RANGE = "bytes=-1048576"


def _server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="s3_cost.py", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="requests of each type (default 500)")
    parser.add_argument("--work", type=Path, help="work dir (corpora reused; default a temp dir)")
    args = parser.parse_args(argv)
    from helpers.env import setup_test_env

    work = args.work or Path(tempfile.mkdtemp(prefix="flow-s3cost-"))
    env = setup_test_env(work / "env")
    cfg = run.Config(False, work, 1, 0, 0, 0, args.n, 0, (), 0, 0, (0, 0))
    bench = run.Bench(cfg)
    try:
        s3 = bench.s3()
        local = run.subset(bench.small_eval(args.n), work / f"master-s3-{args.n}", args.n)
        s3.upload(local, "src/")
        client, bucket = s3.client, s3.bucket
        keys = baseline.s3_keys(client, bucket, "src/")[: args.n]
        body = min(local.glob("*.eval")).read_bytes()
        pool = ThreadPoolExecutor(8)

        def boto3(call: Callable[[str], Any]) -> Callable[[], None]:
            return lambda: list(pool.map(call, keys))

        from inspect_flow._logs.s3 import client as ours

        locations = [f"s3://{bucket}/{k}" for k in keys]

        def on_loop(call: Callable[[str], Any]) -> Callable[[], None]:
            return lambda: list(ours.run_all(call, locations))

        cases: Iterable[tuple[str, Callable[[], None]]] = [
            ("boto3 GET", boto3(lambda k: client.get_object(Bucket=bucket, Key=k)["Body"].read())),
            (
                "boto3 GET (range, last MiB)",
                boto3(
                    lambda k: client.get_object(Bucket=bucket, Key=k, Range=RANGE)["Body"].read()
                ),
            ),
            ("boto3 HEAD", boto3(lambda k: client.head_object(Bucket=bucket, Key=k))),
            (
                "boto3 PUT If-None-Match: *",
                boto3(
                    lambda k: client.put_object(
                        Bucket=bucket, Key="a/" + k, Body=body, IfNoneMatch="*"
                    )
                ),
            ),
            (
                "boto3 CopyObject",
                boto3(
                    lambda k: client.copy_object(
                        Bucket=bucket, Key="b/" + k, CopySource={"Bucket": bucket, "Key": k}
                    )
                ),
            ),
            ("ours GET (range, last MiB)", on_loop(lambda loc: ours.get_object(loc, RANGE))),
            (
                "ours PUT If-None-Match: *",
                on_loop(
                    lambda loc: ours.put_object(
                        loc.replace("/src/", "/c/"), body, if_none_match=True
                    )
                ),
            ),
        ]
        ours.run_all(lambda loc: ours.get_object(loc, RANGE), locations[:10])  # client set up
        print(
            f"{'request':32s} {'n':>5s} {'wall ms':>8s} {'client CPU ms':>14s} "
            f"{'server CPU ms':>14s}"
        )
        for label, call in cases:
            gc.collect()
            s3.clear()
            c0, s0, t0 = time.process_time(), _server_cpu(s3.proc.pid), time.perf_counter()
            call()
            wall = time.perf_counter() - t0
            cpu, server = time.process_time() - c0, _server_cpu(s3.proc.pid) - s0
            n = len(s3.requests())
            print(
                f"{label:32s} {n:5d} {wall / n * 1e3:8.2f} {cpu / n * 1e3:14.2f} "
                f"{server / n * 1e3:14.2f}",
                flush=True,
            )
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        bench.close()
        env.restore(remove_root=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
