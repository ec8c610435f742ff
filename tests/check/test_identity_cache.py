"""The per-run task-identity cache of ``check``: same identities as inspect_ai, once per input."""

from __future__ import annotations

from pathlib import Path

from inspect_ai import task_identifier
from inspect_ai.log import EvalLog, read_eval_log

from inspect_flow._check.identify import IdentityCache
from inspect_flow._spec.identity import TaskIdentity, split_identifier


def _direct(log: EvalLog) -> TaskIdentity:
    file = log.eval.task_file
    return split_identifier(task_identifier(log, None), file, log.eval.task, file)


def _logs(check_corpus: Path) -> list[EvalLog]:
    paths = sorted((check_corpus / "logs").rglob("*.eval"))
    assert len(paths) == 7
    return [read_eval_log(str(p), header_only=True) for p in paths]


def test_same_identities_as_inspect_ai_each_input_once(check_corpus: Path) -> None:
    cache = IdentityCache()
    logs = _logs(check_corpus)
    for log in logs:
        assert cache.identity(log) == _direct(log)
    distinct = len(cache)
    assert len({_direct(log) for log in logs}) <= distinct <= len(logs)
    for log in logs * 3:  # the same inputs again (other copies of the logs): nothing new computed
        assert cache.identity(log.model_copy(deep=True)) == _direct(log)
    assert len(cache) == distinct


def test_an_input_of_the_identity_changes_the_key(check_corpus: Path) -> None:
    cache = IdentityCache()
    log = _logs(check_corpus)[0]
    base = cache.identity(log)
    other = log.model_copy(deep=True)
    other.eval.model_args = {"seed": 42}
    assert cache.identity(other) == _direct(other) != base
    other = log.model_copy(deep=True)
    other.eval.config.message_limit = 7
    assert cache.identity(other) == _direct(other) != base
    other = log.model_copy(deep=True)
    other.plan.steps[0].solver = "something_else"
    assert cache.identity(other) == _direct(other) != base
    assert len(cache) == 4


def test_a_header_without_identity_is_none(check_corpus: Path) -> None:
    log = _logs(check_corpus)[0]
    broken = log.model_copy(update={"eval": None})
    assert IdentityCache().identity(broken) is None
