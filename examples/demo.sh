#!/usr/bin/env bash
# The main job on the shipped example, offline: tag, review, filter and promote logs, and check
# that production holds a complete reviewed log for every task of the spec (examples/spec.py);
# then the user docs' review-and-promote workflow on a fresh `flow run` (examples/workflow).
# Works on a scratch copy (build/demo) so the checked-in example logs never change.
set -euo pipefail
cd "$(dirname "$0")"
FLOW=${FLOW:-../.venv/bin/flow}
rm -rf ../build/demo && mkdir -p ../build/demo && cp -r logs/dev ../build/demo/dev
DEV=../build/demo/dev
PROD=../build/demo/prod
set -x
"$FLOW" step --help
"$FLOW" step tag "$DEV" --add draft --dry-run
"$FLOW" step review_scores "$DEV" --min-score 0.5
"$FLOW" step tag "$DEV" --add reviewed --filter successful --author "Demo Bot" --reason "Passed QA"
# Is production complete (only reviewed logs count)? Not yet: exit 3.
"$FLOW" check spec.py --log-dir "$PROD" --filter reviewed || echo "flow check exited $?"
"$FLOW" step copy "$DEV" --dest "$PROD" --filter reviewed
"$FLOW" step copy "$DEV" --dest "$PROD" --filter reviewed
"$FLOW" check spec.py --log-dir "$PROD" --filter reviewed --json
"$FLOW" step audit "$PROD"

# The review-and-promote workflow of the user docs (examples/workflow), on a fresh run of the
# example tasks: check (nothing yet), run into a timestamped dev folder, mark reviewed, promote
# (tag, copy to prod, index in the store), check prod (complete); then the same from Python.
cd workflow
W=../../build/demo/workflow
"$FLOW" check spec.py --log-dir "$W/dev" || echo "flow check exited $? (nothing run yet)"
"$FLOW" run spec.py --log-dir "$W/dev" --store "$W/store" --handle-file "$W/run.txt" --dry-run
"$FLOW" run spec.py --log-dir "$W/dev" --store "$W/store" --handle-file "$W/run.txt"
RUN=$(cat "$W/run.txt")
"$FLOW" step mark_reviewed "$RUN"
"$FLOW" step promote "$RUN" --dest "$W/prod" --store "$W/store"
"$FLOW" check spec.py --log-dir "$W/prod"
"$FLOW" store list --store "$W/store"
"$(dirname "$FLOW")/python" workflow.py "$W/python"
