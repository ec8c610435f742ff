"""``check``: how complete a spec's tasks are, judged from the logs of its log directory.

* ``checker`` runs a check (``check``): load, instantiate, list and read logs, match.
* ``match`` matches logs to tasks and picks each task's best log.
* ``counting`` counts a log's valid samples for a task.
* ``result`` holds ``CheckTask``/``CheckResult`` and their one JSON format.
* ``venv`` runs the check of a ``--venv`` spec in a temporary virtual environment.

The library reports phases to a ``Phase`` callback and returns a ``CheckResult``; it draws
nothing. ``flow check`` (``inspect_flow._cli.check``) renders the panel, table and JSON.
"""

from inspect_flow._check.checker import check, spec_env
from inspect_flow._check.match import match_logs
from inspect_flow._check.result import CheckResult, CheckTask, Phase, qualifier_header

__all__ = [
    "CheckResult",
    "CheckTask",
    "Phase",
    "check",
    "match_logs",
    "qualifier_header",
    "spec_env",
]
