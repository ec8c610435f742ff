"""Flow Store benchmarks: import, ``get_logs`` at scale, and a step over a store, vs baselines.

Usage::

    .venv/bin/python bench/store_bench.py            # all three workloads (about 2-3 minutes)
    .venv/bin/python bench/store_bench.py --quick    # smaller corpora, 3 repetitions

Workloads (method, timing and output as ``bench/run.py``: interleaved repetitions, medians,
``bench/results/store-<UTC timestamp>.{json,md}``):

* ``store_import``: index N local ``.eval`` logs into an empty store. Ours: the Python API
  ``FlowStore.import_log_path(DIR)`` (warm process) and the CLI ``flow store import DIR``.
  Baselines: the same work by hand (``inspect_ai.read_eval_log(header_only=True)`` and
  ``task_identifier`` per log, one ``deltalake`` append of the rows), and the table cost alone (one
  ``deltalake`` append of the same, precomputed rows).
* ``store_get_logs``: ``get_logs()`` on a store of 100,000 rows (ten commits of 10,000, as ten
  imports would leave it). Baseline: open the table with ``deltalake`` and ``SELECT log_path`` into
  a set.
* ``store_tag_filter``: ``flow step tag --store S --filter F --add x`` over a store indexing N
  logs (F passes a quarter of them). Baselines: the same command on the directory without a store
  (what the store adds), and ``bench/baseline.py tag`` (zip rewrite of every log, no filter: the
  floor for the writes).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402  (also puts tests/ on sys.path)
from run import FLOW, PY, Result, Variant, expect, fresh_copy, measure, run_proc, say  # noqa: E402

FILTER = """
from inspect_flow import log_filter


@log_filter
def first_task(log):
    return log.eval.task == "bench0"
"""


def _rows(paths: list[str], ident: str) -> Any:
    from arro3.core import Array, DataType, Table

    now = int(time.time() * 1000)
    return Table.from_pydict(
        {
            "log_path": Array(paths, DataType.string()),
            "task_identifier_3": Array([ident] * len(paths), DataType.string()),
            "ts": Array([now] * len(paths), DataType.int64()).cast(DataType.timestamp("ms")),
        }
    )


def _empty_store(root: Path) -> None:
    from inspect_flow._store import store_get

    shutil.rmtree(root, ignore_errors=True)
    store_get(str(root))


def store_import(work: Path, n: int, runs: int) -> Result:
    from deltalake import write_deltalake
    from inspect_ai import task_identifier
    from inspect_ai.log import read_eval_log

    from inspect_flow._store import store_get

    corpus = run.subset(
        run.make_corpus(work / "corpus" / "small-eval-1000", 1000), work / f"logs-{n}", n
    )
    root = work / "import-store"
    table = f"{root}/flow_store/_table_logs"
    files = sorted(str(p) for p in corpus.iterdir() if p.suffix == ".eval")
    ident = str(task_identifier(read_eval_log(files[0], header_only=True), None))
    uris = ["file://" + p for p in files]

    def ours() -> int:
        return len(store_get(str(root)).import_log_path(str(corpus)).imported)

    def by_hand() -> int:
        rows = []
        for path in files:
            log = read_eval_log(path, header_only=True)
            rows.append(("file://" + path, str(task_identifier(log, None))))
        data = _rows([p for p, _ in rows], rows[0][1])
        write_deltalake(table, data, mode="append")
        return len(rows)

    def append_only() -> int:
        write_deltalake(table, _rows(uris, ident), mode="append")
        return len(uris)

    reset = lambda: _empty_store(root)  # noqa: E731
    variants = [
        Variant("ours", ours, reset, expect(n), "FlowStore.import_log_path(DIR), warm process"),
        Variant(
            "flow store import",
            lambda: run_proc([FLOW, "store", "import", str(corpus), "--store", str(root)]),
            reset,
            expect(0),
            "CLI, a fresh process",
        ),
        Variant(
            "by hand",
            by_hand,
            reset,
            expect(n),
            "read_eval_log(header_only) + task_identifier per log, one deltalake append",
        ),
        Variant("append only", append_only, reset, expect(n), "one deltalake append of the rows"),
    ]
    for variant in variants[:1] + variants[2:]:  # warm imports and code paths (not the CLI)
        variant.reset()
        with run.silenced():
            variant.run()
    return measure("store_import", f"Store import, {n} small .eval", n, variants, runs)


def store_get_logs(work: Path, rows: int, runs: int) -> Result:
    from deltalake import DeltaTable, QueryBuilder, write_deltalake

    from inspect_flow._store import store_get

    root = work / f"store-{rows}"
    table = f"{root}/flow_store/_table_logs"
    if not (root / ".complete").exists():
        _empty_store(root)
        chunk = rows // 10
        for c in range(10):
            paths = [f"file:///bench/logs/d{c:02d}/log-{i:06d}.eval" for i in range(chunk)]
            write_deltalake(table, _rows(paths, "bench0#x/mockllm/model/y"), mode="append")
        (root / ".complete").touch()

    def ours() -> int:
        return len(store_get(str(root), create=False).get_logs())

    def bare() -> int:
        dt = DeltaTable(table)
        result = QueryBuilder().register("t", dt).execute("SELECT log_path FROM t").read_all()
        return len(set(result["log_path"].to_pylist()))

    variants = [
        Variant("ours", ours, check=expect(rows), note="store_get(root).get_logs()"),
        Variant("deltalake", bare, check=expect(rows), note="DeltaTable + SELECT log_path -> set"),
    ]
    for variant in variants:
        variant.run()
    return measure("store_get_logs", f"Store get_logs, {rows} rows", rows, variants, runs)


def store_tag_filter(work: Path, n: int, runs: int) -> Result:
    from inspect_flow._store import store_get

    master = run.subset(
        run.make_corpus(work / "corpus" / "small-eval-1000", 1000), work / f"logs-{n}", n
    )
    proj = work / "tag-proj"
    logs = proj / "logs"
    root = proj / "st"
    reset = fresh_copy(master, logs)
    if not (root / ".complete").exists():
        shutil.rmtree(proj, ignore_errors=True)
        proj.mkdir(parents=True)
        (proj / "_flow.py").write_text(FILTER)
        reset()
        with run.silenced(), contextlib.redirect_stdout(io.StringIO()):
            store_get(str(root)).import_log_path(str(logs))
        (root / ".complete").touch()
    tag = ["step", "tag", "--filter", "first_task", "--add", "bench"]
    variants = [
        Variant(
            "ours",
            lambda: run_proc([FLOW, *tag, "--store", "st"], cwd=str(proj)),
            reset,
            expect(0),
            "flow step tag --store S --filter F --add x",
        ),
        Variant(
            "no store",
            lambda: run_proc([FLOW, *tag, "logs"], cwd=str(proj)),
            reset,
            expect(0),
            "flow step tag DIR --filter F --add x",
        ),
        Variant(
            "baseline.py",
            lambda: run_proc([PY, str(BENCH / "baseline.py"), "tag", str(logs), "--add", "bench"]),
            reset,
            expect(0),
            "zip rewrite of every log, no filter",
        ),
    ]
    return measure(
        "store_tag_filter", f"`flow step tag --store --filter`, {n} small .eval", n, variants, runs
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/store_bench.py")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args(argv)
    from helpers.env import setup_test_env

    work = args.work or Path(tempfile.mkdtemp(prefix="flow-store-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = setup_test_env(work / "env")
    runs = args.runs or (3 if args.quick else 5)
    n = 200 if args.quick else 1000
    meta = run.machine()
    started = time.perf_counter()
    results: list[Result] = []
    try:
        say("[store_import]")
        results.append(store_import(work, n, runs))
        say("[store_get_logs]")
        results.append(store_get_logs(work, 10_000 if args.quick else 100_000, runs))
        say("[store_tag_filter]")
        results.append(store_tag_filter(work, n, max(3, runs - 2)))
    finally:
        env.restore(remove_root=False)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    meta["elapsed_s"] = time.perf_counter() - started
    meta["loadavg_end"] = run.os.getloadavg()
    command = "python bench/store_bench.py " + " ".join(sys.argv[1:] if argv is None else argv)
    table = run.markdown(results, meta, command.strip())
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload = {"command": command.strip(), "machine": meta, "results": [r.rows() for r in results]}
    (out / f"store-{stamp}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (out / f"store-{stamp}.md").write_text(table)
    say("")
    say(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
