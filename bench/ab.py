"""A/B of two source trees on the CLI workloads, interleaved (``before`` vs ``after``).

Each variant is ``python -m inspect_flow …`` in a subprocess with ``PYTHONPATH`` set to one tree's
``src``, so interpreter start, imports and teardown are included, as a user sees them. Repetition
*r* runs every variant once in an order rotated by *r* (as ``bench/run.py`` does), so the load of
other processes on a shared machine hits both trees alike; the table shows medians, ratios and the
load average.

    git archive main src | tar -x -C /tmp/before          # the tree to compare against
    .venv/bin/python bench/ab.py --before /tmp/before/src --after src --n 1000 --runs 5

Workloads: ``tag`` (``flow step tag DIR --add x``), ``metadata`` (``flow step metadata DIR --set
k=v``), ``copy`` (``flow step copy DIR --dest D``) and ``check`` (``flow check spec.py`` on the
project ``bench/run.py --only check`` builds in the same ``--work`` dir; skipped if it is not
there).
Alongside ``tag`` and ``metadata`` run ``baseline.py`` (the bare crash-safe zip rewrite, 4 threads)
and ``floor`` (the same after ``import inspect_ai``, ending without the interpreter's teardown as
``flow`` does: what any tool that hands inspect_ai objects to steps pays at least); alongside
``copy``, the bare crash-safe copy (``copyfile`` to a temp name, ``fsync``, ``os.replace``; no
header read) and its ``floor``; alongside ``check``, ``floor`` reads every header with ``zipfile``
after ``import inspect_ai``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402 - bench/run.py: corpora, resets, interleaved timing

PY = sys.executable


CPU: dict[str, list[float]] = {}
"""CPU seconds (user + system) of each run's child process, per ``workload/label``."""


def _proc(
    key: str, src: str, args: list[str], cwd: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": src}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [PY, "-m", "inspect_flow", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.setdefault(key, []).append(cpu)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, help="the src/ of the reference tree")
    parser.add_argument("--after", required=True, help="the src/ of the tree under test")
    parser.add_argument("--n", type=int, default=1000, help="logs per workload")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/tmp/flow-ab", help="work dir (corpora are reused)")
    parser.add_argument("--only", action="append", choices=["tag", "metadata", "copy", "check"])
    opts = parser.parse_args(argv)
    trees = {"before": str(Path(opts.before).resolve()), "after": str(Path(opts.after).resolve())}
    work = Path(opts.work)
    work.mkdir(parents=True, exist_ok=True)
    wanted = opts.only or ["tag", "metadata", "copy", "check"]
    load_start = os.getloadavg()
    results: list[run.Result] = []
    master = run.subset(
        run.make_corpus(work / "corpus" / f"small-eval-{opts.n}", opts.n),
        work / f"master-{opts.n}",
        opts.n,
    )
    for edit, args in (("tag", ["--add", "x"]), ("metadata", ["--set", "k=v"])):
        if edit not in wanted:
            continue
        target = work / f"ab-{edit}"
        reset = run.fresh_copy(master, target)
        variants = [
            run.Variant(
                label,
                lambda s=src, k=f"{edit}/{label}", c=["step", edit, str(target), *args]: _proc(
                    k, s, c
                ),
            )
            for label, src in trees.items()
        ]
        bare = [PY, str(run.BENCH / "baseline.py"), "tag", str(target), "--add", "x"]
        bare += ["--workers", "4"]
        variants.append(run.Variant("baseline.py", lambda b=bare: run.run_proc(b)))
        floor = [*bare, "--import-inspect"]
        variants.append(run.Variant("floor", lambda f=floor: run.run_proc(f)))
        for v in variants:
            v.reset, v.check = reset, run.expect(0)
        title = f"flow step {edit}, {opts.n}"
        results.append(run.measure(edit, title, opts.n, variants, opts.runs))
    if "copy" in wanted:
        dest = work / "ab-copy-dest"
        reset = run.remove_dir(dest)
        variants = [
            run.Variant(
                label,
                lambda s=src, k=f"copy/{label}": _proc(
                    k, s, ["step", "copy", str(master), "--dest", str(dest)]
                ),
                reset,
                run.expect(0),
            )
            for label, src in trees.items()
        ]
        bare = [PY, str(run.BENCH / "baseline.py"), "copy", str(master), str(dest)]
        for label, command in (("baseline.py", bare), ("floor", [*bare, "--import-inspect"])):
            variants.append(
                run.Variant(label, lambda c=command: run.run_proc(c), reset, run.expect(0))
            )
        results.append(
            run.measure("copy", f"flow step copy, {opts.n}", opts.n, variants, opts.runs)
        )
    proj = work / "check-proj"
    if "check" in wanted and (proj / ".complete").exists():
        variants = [
            run.Variant(
                label,
                lambda s=src, k=f"check/{label}": _proc(
                    k, s, ["check", "spec.py", "--log-dir", "many"], cwd=str(proj)
                ),
                check=run.expect(0),
            )
            for label, src in trees.items()
        ]
        floor = [PY, str(run.BENCH / "baseline.py"), "headers", str(proj / "many")]
        floor.append("--import-inspect")
        variants.append(run.Variant("floor", lambda: run.run_proc(floor), check=run.expect(0)))
        n = len(list((proj / "many").glob("*.eval")))
        results.append(run.measure("check", f"flow check, {n}", n, variants, opts.runs))
    elif "check" in wanted:
        run.say(f"  check: skipped (no {proj}; build it with bench/run.py --only check --work)")
    load_end = os.getloadavg()
    print(f"\nload average: start {load_start[0]:.2f}, end {load_end[0]:.2f}; runs {opts.runs}")
    print(
        "| Workload | before (s) | after (s) | after ÷ before | min–max before | min–max after "
        "| CPU before (s) | CPU after (s) | baseline.py (s) | floor (s) | after ÷ floor |"
    )
    print("|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|")
    for res in results:
        b, a = res.times["before"], res.times["after"]
        mb, ma = statistics.median(b), statistics.median(a)
        other = {k: statistics.median(v) for k, v in res.times.items() if k not in trees}
        bare = f"{other['baseline.py']:.2f}" if "baseline.py" in other else ""
        floor = f"{other['floor']:.2f}" if "floor" in other else ""
        ratio = f"{ma / other['floor']:.2f}" if "floor" in other else ""
        cb = statistics.median(CPU[f"{res.name}/before"])
        ca = statistics.median(CPU[f"{res.name}/after"])
        print(
            f"| {res.title} | {mb:.2f} | {ma:.2f} | {ma / mb:.2f} | "
            f"{min(b):.2f}–{max(b):.2f} | {min(a):.2f}–{max(a):.2f} "
            f"| {cb:.2f} | {ca:.2f} | {bare} | {floor} | {ratio} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
