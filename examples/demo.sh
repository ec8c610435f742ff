#!/usr/bin/env bash
# The main job on the shipped example, offline: tag, review, filter and promote logs, and check
# that production holds a complete reviewed log for every task of the spec (examples/spec.py).
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
