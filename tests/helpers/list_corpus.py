"""A fixed corpus of real logs for ``flow list log`` tests: every status, tags, edits, a flow.yaml.

The logs are real inspect_ai logs (the session's templates) rewritten with fixed names, times,
task names, task args and edits, so their listings can be compared with golden files.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from helpers.logs import LogFactory

START = datetime(2026, 11, 26, 7, 8, 52, tzinfo=timezone.utc)
AUTHOR = "Ada Lovelace <ada@example.org>"

# (relative path, template status, format, task, task args, seconds taken (None: unfinished))
CORPUS: list[tuple[str, str, str, str, dict[str, Any], int | None]] = [
    (
        "logs/a/2026-11-26T07-08-52-00-00_greeting_joouBsqLyFHXWTTCMgmxVi.eval",
        "success",
        "eval",
        "greeting",
        {},
        5,
    ),
    (
        "logs/a/2026-11-26T07-10-00-00-00_addition_K2aBcDeFgHiJkLmNoPqRsT.eval",
        "error",
        "eval",
        "addition",
        {"n": 1},
        65,
    ),
    (
        "logs/a/2026-11-26T07-12-00-00-00_addition_Z9yXwVuTsRqPoNmLkJiHgF.eval",
        "success",
        "eval",
        "addition",
        {"n": 2},
        3,
    ),
    (
        "logs/b/2026-11-25T09-00-00-00-00_greeting_kpWGY8oyjPR7bCzrwL6Qtk.json",
        "cancelled",
        "json",
        "greeting",
        {},
        3723,
    ),
    (
        "logs/b/sub/2026-11-24T10-00-00-00-00_tiny_SoCYadthp7uKsLfVBm42Hm.eval",
        "started",
        "eval",
        "tiny",
        {},
        None,
    ),
    ("logs/b/handmade.eval", "success", "eval", "tiny", {}, 0),
]


def write_log(
    make_logs: LogFactory,
    dest: Path,
    status: str = "success",
    fmt: str = "eval",
    task: str = "tiny",
    args: dict[str, Any] | None = None,
    took: int | None = 1,
    started: datetime = START,
    edits: list[tuple[Any, str | None, datetime]] | None = None,
) -> Path:
    """Write a real log (a template, rewritten) at ``dest`` with the given fields."""
    from inspect_ai.log import ProvenanceData, edit_eval_log, read_eval_log, write_eval_log

    template = make_logs.template(fmt=fmt, status=status)  # type: ignore[arg-type]
    log = read_eval_log(str(template))
    log.eval.task = task
    log.eval.task_args = dict(args or {})
    log.eval.task_args_passed = dict(args or {})
    log.stats.started_at = "" if status == "started" else started.isoformat()
    log.stats.completed_at = "" if took is None else (started + timedelta(seconds=took)).isoformat()
    for edit, reason, when in edits or []:
        log = edit_eval_log(
            log, [edit], ProvenanceData(timestamp=when, author=AUTHOR, reason=reason)
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, str(dest))
    return dest


def build_corpus(work: Path, make_logs: LogFactory) -> list[Path]:
    """The fixed corpus under ``work/logs`` (see ``CORPUS``), with tags, edits and a flow.yaml."""
    from inspect_ai.log import MetadataEdit, TagsEdit

    written = []
    for index, (rel, status, fmt, task, args, took) in enumerate(CORPUS):
        edits: list[tuple[Any, str | None, datetime]] = []
        if index == 0:
            edits = [
                (TagsEdit(tags_add=["foo", "reviewed"]), "r1", START + timedelta(minutes=1)),
                (MetadataEdit(metadata_set={"k": "v"}), None, START + timedelta(minutes=2)),
                (TagsEdit(tags_remove=["reviewed"]), None, START + timedelta(minutes=3)),
            ]
        elif index == 3:
            edits = [(TagsEdit(tags_add=["bar"]), None, START + timedelta(hours=1))]
        written.append(
            write_log(
                make_logs,
                work / rel,
                status,
                fmt,
                task,
                args,
                took,
                START - timedelta(minutes=index),
                edits,
            )
        )
    (work / "logs" / "a" / "flow.yaml").write_text(
        "log_dir: .\n"
        "options:\n"
        "  embed_viewer: true\n"
        f"  bundle_url_mappings:\n    {work / 'logs'}: https://viewer.example.org/runs\n"
    )
    return written
