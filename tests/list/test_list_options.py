"""``flow list log`` options on real logs: selection, counts, dates, JSON, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers.cli import flow_cli, write_file
from helpers.list_corpus import CORPUS
from helpers.logs import LogFactory

NAMES = [Path(rel).name for rel, *_ in CORPUS]


def listed(result_stdout: str) -> list[str]:
    """The file names of a --oneline listing at 200 columns, in order."""
    names = []
    for line in result_stdout.splitlines():
        for word in line.split():
            if re.fullmatch(r"[\w./-]*\w\.(eval|json)", word):
                names.append(Path(word).name)
    return names


def run(*args: str) -> list[str]:
    result = flow_cli("list", "log", "logs", "--oneline", *args, env={"COLUMNS": "200"})
    assert result.code == 0, result
    return listed(result.stdout)


def test_default_order_and_numbering(corpus: list[Path]) -> None:
    # logs/a (newest first file) before logs/b before logs/b/sub; inside a folder, timestamped
    # names newest first, then the others
    assert run() == [NAMES[2], NAMES[1], NAMES[0], NAMES[3], NAMES[5], NAMES[4]]


def test_task_model_tag_status_globs(corpus: list[Path]) -> None:
    assert run("--task", "add*") == [NAMES[2], NAMES[1]]
    assert run("--task", "add*", "--task", "tin?") == [NAMES[2], NAMES[1], NAMES[5], NAMES[4]]
    assert run("--task", "greeting", "--tag", "b*") == [NAMES[3]]  # kinds are AND'ed
    assert run("--tag", "foo", "--tag", "bar") == [NAMES[0], NAMES[3]]
    assert run("--tag", "reviewed") == []  # removed by a later edit: not a current tag
    assert run("--model", "mockllm/*") == run()
    assert run("--status", "error", "--status", "started") == [NAMES[1], NAMES[4]]
    assert run("--status", "cancelled") == [NAMES[3]]


def test_nothing_matching_is_no_logs_found(corpus: list[Path]) -> None:
    result = flow_cli("list", "log", "logs", "--model", "openai/*")
    assert (result.code, result.stdout, result.err_lines()) == (0, "", ["No logs found"])
    as_json = flow_cli("list", "log", "logs", "--model", "openai/*", "--json")
    assert json.loads(as_json.stdout)["logs"] == []


def test_bad_status_is_a_usage_error(corpus: list[Path]) -> None:
    result = flow_cli("list", "log", "logs", "--status", "done")
    assert result.code == 2
    assert len(result.err_lines()) == 1 and "--status" in result.stderr


def test_max_count_and_short_form(corpus: list[Path]) -> None:
    assert run("-n", "2") == [NAMES[2], NAMES[1]]
    assert run("-2") == [NAMES[2], NAMES[1]]
    assert run("--max-count", "1", "--status", "cancelled") == [NAMES[3]]
    assert run("-n", "0") == []
    result = flow_cli("list", "log", "logs", "-n", "-3")  # "-3" is a value here, not -N
    assert result.code == 2


def test_since_until_use_the_file_name(corpus: list[Path]) -> None:
    assert run("--since", "2026-11-26") == [NAMES[2], NAMES[1], NAMES[0]]
    assert run("--after", "2026-11-26 07:09") == [NAMES[2], NAMES[1]]
    assert run("--until", "2026-11-25 12:00") == [NAMES[3], NAMES[4]]  # handmade.eval: no time
    assert run("--before", "2026-11-25T09:00:00+00:00", "--since", "2026-11-20") == [
        NAMES[3],
        NAMES[4],
    ]
    assert run("--since", "2 days ago") == []  # the corpus is from 2026-11


def test_bad_date_is_a_one_line_usage_error(corpus: list[Path]) -> None:
    result = flow_cli("list", "log", "logs", "--since", "notadate")
    assert result.code == 2
    assert result.err_lines() == [
        "✗ Error: Invalid value for '--since' / '--after': Cannot parse date: 'notadate' "
        "(see 'flow list log --help')"
    ]


def test_filters_repeatable_and_combinable(corpus: list[Path], work: Path) -> None:
    write_file(
        work / "_flow.py",
        """
        from inspect_flow import log_filter

        @log_filter
        def finished(log):
            return log.status in ("success", "error")

        @log_filter
        def tagged(log):
            return bool(log.tags)

        @log_filter
        def in_b(log):
            return "/logs/b/" in log.location
        """,
    )
    assert run("--filter", "finished") == [NAMES[2], NAMES[1], NAMES[0], NAMES[5]]
    assert run("--filter", "finished", "--filter", "tagged") == [NAMES[0]]
    assert run("--filter", "finished", "--exclude", "tagged") == [NAMES[2], NAMES[1], NAMES[5]]
    assert run("--exclude", "tagged", "--exclude", "in_b") == [NAMES[2], NAMES[1]]


def test_unknown_or_failing_filter(corpus: list[Path], work: Path) -> None:
    result = flow_cli("list", "log", "logs", "--filter", "nope")
    assert (result.code, len(result.err_lines())) == (2, 1)
    assert "Log filter 'nope' not found" in result.stderr
    write_file(
        work / "_flow.py",
        """
        from inspect_flow import log_filter

        @log_filter
        def boom(log):
            raise RuntimeError("kaput")
        """,
    )
    failed = flow_cli("list", "log", "logs", "--filter", "boom")
    assert failed.code == 1 and failed.stdout == ""
    assert len(failed.err_lines()) == 1 and "kaput" in failed.stderr


def test_json_fields(corpus: list[Path]) -> None:
    result = flow_cli("list", "log", "logs", "--json", "--oneline", "--format", "tree")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["summary"] == {"listed": 6, "unreadable": 0, "missing": 0}
    first = data["logs"][2]
    assert first == {
        "task": "greeting",
        "log_file": "logs/a/" + NAMES[0],
        "status": "success",
        "model": "mockllm/model",
        "samples": 3,
        "total_samples": 3,
        "started_at": "2026-11-26T07:08:52+00:00",
        "completed_at": "2026-11-26T07:08:57+00:00",
        "tags": ["foo"],
        "viewer_url": f"https://viewer.example.org/runs/a/#/logs/{NAMES[0]}",
        "log_updates": first["log_updates"],
    }
    assert [u["edits"][0]["type"] for u in first["log_updates"]] == ["tags", "metadata", "tags"]
    assert first["log_updates"][0]["provenance"]["reason"] == "r1"
    assert [e["log_updates"] for e in data["logs"]][0] == []  # always present
    started = data["logs"][5]
    assert (started["status"], started["samples"], started["completed_at"]) == ("started", 2, None)


def test_unreadable_logs_are_listed_and_fail_the_command(work: Path, make_logs: LogFactory) -> None:
    good = make_logs(work / "logs", n=2)
    bad = make_logs.corrupt(work / "logs")
    truncated = make_logs.truncated(work / "logs", fmt="json")
    result = flow_cli("list", "log", "logs", "--oneline", env={"COLUMNS": "200"})
    assert result.code == 1
    assert result.err_lines() == ["✗ Error: 2 logs could not be read (listed above)"]
    assert listed(result.stdout) == [truncated.name, bad.name, good[1].name, good[0].name]
    assert "unreadable" in result.out_lines()[0] and "truncated" in result.out_lines()[0]
    data = json.loads(flow_cli("list", "log", "logs", "--json").stdout)
    assert data["summary"] == {"listed": 2, "unreadable": 2, "missing": 0}
    assert [u["log_file"] for u in data["unreadable"]] == [
        f"logs/{truncated.name}",
        f"logs/{bad.name}",
    ]
    multiline = flow_cli("list", "log", "logs")
    assert f"[2] logs/{bad.name}\nStatus    unreadable: BadZipFile" in multiline.stdout


def test_max_count_reads_only_what_it_shows(work: Path, make_logs: LogFactory) -> None:
    # The 30 oldest logs are garbage: listing the newest 3 never opens them.
    for _ in range(30):
        make_logs.corrupt(work / "logs")
    newest = make_logs(work / "logs", n=10)
    result = flow_cli("list", "log", "logs", "-n", "3", "--oneline", env={"COLUMNS": "200"})
    assert result.code == 0, result
    assert listed(result.stdout) == [p.name for p in reversed(newest[-3:])]
    # a selection that keeps nothing reads further, and lists the garbage it meets (which can
    # neither be selected nor ruled out)
    searching = flow_cli("list", "log", "logs", "-n", "3", "--task", "nothing")
    assert searching.code == 1
    assert searching.err_lines() == ["✗ Error: 3 logs could not be read (listed above)"]


def test_missing_path_and_empty_folder(work: Path) -> None:
    result = flow_cli("list", "log", "nowhere")
    assert (result.code, result.err_lines()) == (2, ["✗ Error: Path not found: nowhere"])
    (work / "empty").mkdir()
    empty = flow_cli("list", "log", "empty")
    assert (empty.code, empty.stdout, empty.err_lines()) == (0, "", ["No logs found"])


def test_display_none_and_log_level(corpus: list[Path]) -> None:
    quiet = flow_cli("list", "log", "logs", "--display", "none")
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")
    plain = flow_cli("list", "log", "logs", "--display", "plain", "--log-level", "ERROR")
    assert plain.code == 0 and plain.stdout == flow_cli("list", "log", "logs").stdout


def test_list_group_and_help() -> None:
    group = flow_cli("list")
    assert group.code == 2 and "log" in group.stdout
    helped = flow_cli("list", "log", "--help")
    assert helped.code == 0
    options = [line.split()[0] for line in helped.stdout.splitlines() if line.startswith("  -")]
    assert options == [
        "--json",
        "--store",
        "--display",
        "--log-level",
        "--exclude",
        "--filter",
        "--format",
        "--oneline",
        "--provenance",
        "--no-page",
        "-n,",
        "--task",
        "--model",
        "--tag",
        "--status",
        "--live",
        "--since,",
        "--until,",
        "--help",
    ]


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_samples_of_logs_without_results(work: Path, make_logs: LogFactory, fmt: str) -> None:
    from helpers.logs import sample_count

    statuses = ("error", "started")
    logs = {s: make_logs(work / "logs" / s, n=1, fmt=fmt, status=s)[0] for s in statuses}
    data = json.loads(flow_cli("list", "log", "logs", "--json").stdout)
    by_status = {e["status"]: e for e in data["logs"]}
    for status, path in logs.items():
        full = sample_count(path)
        # samples completed without error: all stored samples but the failing one (if stored)
        assert by_status[status]["samples"] in (full - 1, full)
        assert by_status[status]["total_samples"] == 3


def test_invalidated_samples_do_not_count(work: Path, make_logs: LogFactory) -> None:
    from inspect_ai.log import ProvenanceData, invalidate_samples, read_eval_log, write_eval_log

    path = make_logs(work / "logs", n=1)[0]
    log = read_eval_log(str(path))
    assert log.samples is not None
    first = log.samples[0].uuid
    assert first is not None
    log = invalidate_samples(log, [first], ProvenanceData(author="me", reason="bad grader"))
    write_eval_log(log, str(path))
    result = flow_cli("list", "log", "logs")
    assert result.code == 0, result
    assert "Status    success, 2/3 samples" in result.out_lines()
