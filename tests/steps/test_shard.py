"""``run_step(..., shard=(i, n))``: parts partition the selection, stably, however spelled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.logs import LogFactory, read_header
from inspect_ai.log import EvalLog

from inspect_flow._logs import normalize, read_headers
from inspect_flow._steps.shard import check_shard, parse_shard, shard_index
from inspect_flow.api import FlowUsageError, NoLogsError, run_step, tag

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def corpus(make_logs: LogFactory, tmp_path: Path) -> list[Path]:
    root = tmp_path / "logs"
    return make_logs(root, n=9) + make_logs(root / "sub", n=4, fmt="json")


def part(root: str | Path, shard: tuple[int, int] | str, **options: object) -> set[str]:
    report = run_step(tag, str(root), dry_run=True, add=["x"], shard=shard, **options)
    assert report.ok
    return {entry.location for entry in report.logs}


def uris(paths: list[Path]) -> set[str]:
    return {"file://" + str(p) for p in paths}


@pytest.mark.parametrize("n", [1, 2, 3, 5, 20])
def test_parts_partition_the_selection(corpus: list[Path], n: int) -> None:
    root = corpus[0].parent
    parts = [part(root, (i, n)) for i in range(n)]
    union = set().union(*parts)
    assert union == uris(corpus)
    assert sum(len(p) for p in parts) == len(corpus)  # no log in two parts
    if n in (2, 3):
        assert all(parts), "13 logs over 2 or 3 parts: every part has some"


def test_written_parts_tag_every_log_exactly_once(corpus: list[Path]) -> None:
    root = corpus[0].parent
    for i in range(3):
        report = run_step(tag, str(root), add=[f"part{i}"], shard=(i, 3))
        assert report.ok
        assert {e.status for e in report.logs} <= {"written"}
    for path in corpus:
        tags = [t for t in read_header(path).tags if t.startswith("part")]
        assert len(tags) == 1, (path, tags)


def test_same_part_for_every_spelling_of_a_path(
    corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = corpus[0].parent
    spellings = [
        str(root),
        "logs",
        "./logs/",
        f"file://{root}",
        f"{tmp_path}/logs/sub/../",
    ]
    for i in range(3):
        found = [part(spelling, (i, 3)) for spelling in spellings]
        assert all(f == found[0] for f in found), (i, found)
    # one log named directly, in its different spellings, is in the same part each time
    log = corpus[2]
    relative = os.path.relpath(log, tmp_path)
    home = part(str(log), (shard_index("file://" + str(log), 3), 3), expand_paths=False)
    assert home == {"file://" + str(log)}
    for spelling in (relative, f"file://{log}", f"{log.parent}/../logs/{log.name}"):
        want = shard_index("file://" + str(log), 3)
        assert part(spelling, (want, 3), expand_paths=False) == home


def test_stable_across_processes(corpus: list[Path]) -> None:
    root = corpus[0].parent
    here = {i: part(root, (i, 4)) for i in range(4)}
    code = (
        "import sys\n"
        "from inspect_flow.api import run_step, tag\n"
        "for i in range(4):\n"
        "    r = run_step(tag, sys.argv[1], dry_run=True, add=['x'], shard=(i, 4))\n"
        "    for e in r.logs:\n"
        "        print(i, e.location)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(root)], env=env, capture_output=True, text=True, check=True
    )
    there: dict[int, set[str]] = {i: set() for i in range(4)}
    for line in done.stdout.splitlines():
        index, location = line.split(" ", 1)
        there[int(index)].add(location)
    assert there == here


def test_the_hash_is_pinned() -> None:
    # sha1 of the normalised URI, first 8 bytes big-endian, mod N: other tools can compute it.
    assert shard_index("s3://bucket/logs/a.eval", 1) == 0
    import hashlib

    for uri in ("s3://bucket/logs/a.eval", "file:///data/logs/b.eval"):
        digest = hashlib.sha1(uri.encode()).digest()
        assert shard_index(uri, 7) == int.from_bytes(digest[:8], "big") % 7


def test_filters_then_shard_is_the_filtered_selection(corpus: list[Path]) -> None:
    root = corpus[0].parent

    def is_eval(log: EvalLog) -> bool:
        return log.location.endswith(".eval")

    everything = run_step(tag, str(root), dry_run=True, add=["x"], filter=is_eval)
    wanted = {e.location for e in everything.logs}
    parts = [part(root, (i, 3), filter=is_eval) for i in range(3)]
    assert set().union(*parts) == wanted
    assert sum(len(p) for p in parts) == len(wanted) == 9


def test_given_eval_logs_are_sharded_by_location(corpus: list[Path]) -> None:
    headers = read_headers([str(p) for p in corpus]).logs
    parts = []
    for i in range(2):
        report = run_step(tag, headers, dry_run=True, add=["x"], shard=f"{i}/2")
        parts.append({normalize(e.location) for e in report.logs})
    assert parts[0] | parts[1] == uris(corpus)
    assert not parts[0] & parts[1]
    assert parts == [part(corpus[0].parent, (i, 2)) for i in range(2)]  # as when given paths


def test_an_empty_part_is_a_run_over_no_logs(make_logs: LogFactory, tmp_path: Path) -> None:
    [log] = make_logs(tmp_path / "one", n=1)
    home = shard_index("file://" + str(log), 4)
    other = (home + 1) % 4
    before = log.read_bytes()
    report = run_step(tag, str(log.parent), add=["x"], shard=(other, 4))
    assert report.ok and report.logs == []
    assert [n.message for n in report.notices if n.kind == "shard"] == [
        f"Shard {other}/4: 0 of 1 logs"
    ]
    assert log.read_bytes() == before
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoLogsError):  # nothing found at all is still an error
        run_step(tag, str(tmp_path / "empty"), add=["x"], shard=(0, 4))


@pytest.mark.parametrize(
    "bad", [(3, 3), (0, 0), (-1, 2), (1, -2), (True, 2), (0.0, 2), (1,), "x", "1/", "2/2", "-1/3"]
)
def test_bad_shards_are_usage_errors_before_anything_runs(bad: object, corpus: list[Path]) -> None:
    before = corpus[0].read_bytes()
    with pytest.raises(FlowUsageError, match="Invalid shard"):
        run_step(tag, str(corpus[0].parent), add=["x"], shard=bad)  # type: ignore[arg-type]
    assert corpus[0].read_bytes() == before


def test_parse_forms() -> None:
    assert parse_shard("0/1") == (0, 1)
    assert parse_shard(" 3 / 8 ") == (3, 8)
    assert check_shard([1, 2]) == (1, 2)
