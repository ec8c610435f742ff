"""The review-and-promote workflow from Python: run, mark reviewed, promote, check production.

Usage: ``python workflow.py WORK_DIR`` (from this folder). Logs go to ``WORK_DIR/dev/<time>``,
reviewed logs are promoted to ``WORK_DIR/prod`` and indexed in the store ``WORK_DIR/store``.
Exits 0 when production holds a complete log of every task.
"""

from __future__ import annotations

import sys

from review_steps import mark_reviewed, promote

from inspect_flow.api import check, load_spec, run, run_step, store_get


def main(work: str) -> int:
    spec = load_spec("spec.py")
    store = f"{work}/store"
    result = run(spec, log_dir=f"{work}/dev", store=store)
    print(f"Ran {len(result.logs)} tasks into {result.log_dir}")
    run_step(mark_reviewed, result.log_dir)
    run_step(promote, result.log_dir, dest=f"{work}/prod", store=store_get(store))
    prod = check(spec, log_dir=f"{work}/prod")
    for task in prod.tasks:
        print(f"{task.name}: {task.samples}/{task.total_samples} {sorted(task.tags)}")
    return 0 if prod.is_complete else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../../build/demo/workflow-py"))
