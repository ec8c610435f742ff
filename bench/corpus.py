"""Generate a benchmark corpus of real Inspect AI eval logs.

Usage::

    python bench/corpus.py OUT_DIR --n 1000 --size small|large --fmt eval|json \\
        [--s3 s3://bucket/prefix] [--tasks 4] [--samples 3] [--clean]

A few template logs (one per task name ``bench0``, ``bench1``, ...) are produced with inspect_ai
offline (``tests/helpers/logs.py``, shared with the test suite), then copied round-robin into
OUT_DIR under distinct inspect-shaped names (``<timestamp>_<task>_<id>.<fmt>``) with distinct,
increasing mtimes. ``--size large`` makes each log about 5 MiB, ``huge`` about 20 MiB; ``small``
logs are a few KB.

With ``--s3``, the files are also uploaded under that prefix to the S3 endpoint in
``AWS_ENDPOINT_URL`` (required, so a benchmark never talks to real AWS by accident); the bucket is
created if missing.

Exit status: 0 on success, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers import logs as logs_helper  # noqa: E402
from helpers.logs import LogFactory  # noqa: E402

HUGE_BYTES = 20 * 1024 * 1024


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="corpus.py", description="Generate N real Inspect AI logs for benchmarks."
    )
    parser.add_argument("out_dir", type=Path, help="directory to write the logs to")
    parser.add_argument("--n", type=int, default=100, help="number of logs (default 100)")
    parser.add_argument("--size", choices=["small", "large", "huge"], default="small")
    parser.add_argument("--fmt", choices=["eval", "json"], default="eval")
    parser.add_argument("--s3", metavar="S3_URI", help="also upload to s3://bucket/prefix")
    parser.add_argument("--tasks", type=int, default=4, help="distinct task names (default 4)")
    parser.add_argument("--samples", type=int, default=3, help="samples per log (default 3)")
    parser.add_argument("--clean", action="store_true", help="empty OUT_DIR first")
    args = parser.parse_args(argv)
    if args.n < 1 or args.tasks < 1 or args.samples < 1:
        parser.error("--n, --tasks and --samples must be >= 1")
    if args.s3 is not None:
        if not args.s3.startswith("s3://") or len(args.s3) <= len("s3://"):
            parser.error("--s3 must look like s3://bucket/prefix")
        if not os.environ.get("AWS_ENDPOINT_URL"):
            parser.error("--s3 needs AWS_ENDPOINT_URL (e.g. a local moto server)")
    if args.out_dir.exists() and any(args.out_dir.iterdir()):
        if not args.clean:
            parser.error(f"{args.out_dir} is not empty (use --clean)")
        shutil.rmtree(args.out_dir)
    return args


def _upload(out_dir: Path, s3_uri: str) -> int:
    from botocore.exceptions import ClientError
    from helpers.s3 import make_s3_client, split_s3_uri, upload_dir

    client = make_s3_client()
    bucket, _ = split_s3_uri(s3_uri)
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        client.create_bucket(Bucket=bucket)
    return len(upload_dir(out_dir, s3_uri, client=client, workers=16))


def main(argv: list[str] | None = None) -> int:
    """Run the generator.

    Args:
        argv: Command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        The exit status.
    """
    args = _parse(argv)
    big = args.size != "small"
    if args.size == "huge":  # the test factory's big logs, four times bigger
        logs_helper.BIG_TARGET_BYTES = HUGE_BYTES
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="corpus-templates-") as tmp:
        factory = LogFactory(tmp)
        templates = [
            factory.template(fmt=args.fmt, samples=args.samples, big=big, task=f"bench{i}")
            for i in range(args.tasks)
        ]
        generated = time.perf_counter()
        paths = [
            factory.copy(templates[i % args.tasks], args.out_dir, task=f"bench{i % args.tasks}")
            for i in range(args.n)
        ]
    copied = time.perf_counter()
    total = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {len(paths)} {args.size} .{args.fmt} logs ({total / 2**20:.1f} MiB) to "
        f"{args.out_dir} in {copied - started:.1f}s "
        f"({len(templates)} templates in {generated - started:.1f}s)",
        file=sys.stderr,
    )
    if args.s3:
        count = _upload(args.out_dir, args.s3)
        elapsed = time.perf_counter() - copied
        print(
            f"uploaded {count} files to {args.s3.rstrip('/')}/ in {elapsed:.1f}s", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
