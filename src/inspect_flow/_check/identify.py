"""A log's task identity, computed once per distinct input in a run.

``inspect_ai.task_identifier(log, None)`` costs ~0.4 ms per call (it defines a dataclass and
re-serialises the plan each time), and many logs of one task (retries, epochs split over runs,
copies) give it equal inputs. :class:`IdentityCache` keys each log by exactly the header fields
``task_identifier`` reads for an ``EvalLog`` — the eval's task file, task name, args passed, model,
generate config, model roles, model args, task version and config (limits), and the plan — and calls
it once per distinct key. The key is a superset of those inputs serialised, so equal keys can only
mean equal identifiers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._spec.identity import TaskIdentity, split_identifier

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

# The EvalSpec fields task_identifier reads from a log (inspect_ai's evalset.task_identifier).
_EVAL_FIELDS = {
    "task_file",
    "task",
    "task_args_passed",
    "model",
    "model_generate_config",
    "model_roles",
    "model_args",
    "task_version",
    "config",
}


class IdentityCache:
    """Task identities of logs, each distinct input computed once (one cache per check run)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], TaskIdentity | None] = {}

    def identity(self, log: EvalLog) -> TaskIdentity | None:
        """Return the log's task identity, or None when it has none (not an eval log's header)."""
        try:
            key = (
                log.eval.model_dump_json(include=_EVAL_FIELDS, warnings=False),
                log.plan.model_dump_json(warnings=False),
            )
        except Exception:
            return _compute(log)
        if key not in self._known:
            self._known[key] = _compute(log)
        return self._known[key]

    def __len__(self) -> int:
        return len(self._known)


def _compute(log: EvalLog) -> TaskIdentity | None:
    from inspect_ai import task_identifier

    try:
        identifier = task_identifier(log, None)
        file = log.eval.task_file
        return split_identifier(identifier, file, log.eval.task, file)
    except Exception:
        return None
