"""Listing: PATHs → log locations (local, S3), normalisation, hidden temp files, missing PATHs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory
from helpers.s3 import split_s3_uri, upload_dir, upload_file

from inspect_flow._errors import FlowUsageError, PathNotFoundError
from inspect_flow._logs import expand_paths, list_log_files
from inspect_flow._logs import locations as paths


def _uri(path: Path) -> str:
    return "file://" + str(path)


@pytest.fixture
def tree(make_logs: LogFactory, tmp_path: Path) -> dict[str, list[Path]]:
    """logs/ with .eval and timestamped .json at the top, a sub/ and a hidden .cache/ directory,
    plus files that are not logs (non-timestamped .json, a text file, our own temp files)."""
    root = tmp_path / "logs"
    top = make_logs(root, n=2, fmt="eval") + make_logs(root, n=1, fmt="json")
    sub = make_logs(root / "sub", n=1, fmt="eval") + make_logs(root / "sub" / "deep", n=1)
    hidden_dir = make_logs(root / ".cache", n=1)
    (root / "notes.json").write_text("{}")
    (root / "readme.txt").write_text("hi")
    # leftovers of a killed run: hidden and not log-suffixed
    (root / f".{top[0].name}.0123456789ab.flowtmp").write_bytes(top[0].read_bytes())
    (root / f".{top[0].name}.0123456789ab.flowbak").write_bytes(top[0].read_bytes())
    (root / ".hidden.eval").write_bytes(top[0].read_bytes())
    return {"top": top, "sub": sub, "hidden_dir": hidden_dir}


def test_directory_recursive_lists_eval_and_timestamped_json_newest_first(
    tree: dict[str, list[Path]], tmp_path: Path
) -> None:
    listed = expand_paths([str(tmp_path / "logs")])

    expected = tree["top"] + tree["sub"]
    assert sorted(listed) == sorted(_uri(p) for p in expected)
    # newest modification time first (make_logs hands out increasing mtimes)
    by_mtime = sorted(expected, key=lambda p: p.stat().st_mtime, reverse=True)
    assert listed == [_uri(p) for p in by_mtime]
    assert not any(".flowtmp" in loc or ".flowbak" in loc or "/." in loc for loc in listed)


def test_directory_non_recursive(tree: dict[str, list[Path]], tmp_path: Path) -> None:
    listed = expand_paths([str(tmp_path / "logs")], recursive=False)

    assert sorted(listed) == sorted(_uri(p) for p in tree["top"])
    assert list_log_files(str(tmp_path / "logs"), recursive=False) == listed


def test_explicit_files_and_duplicates(tree: dict[str, list[Path]], tmp_path: Path) -> None:
    eval_log, _, json_log = tree["top"]
    listed = expand_paths([str(json_log), str(eval_log), str(json_log), str(tmp_path / "logs")])

    # explicit files first, in the order given, then the directory's other logs; no duplicates
    assert listed[:2] == [_uri(json_log), _uri(eval_log)]
    assert len(listed) == len(set(listed)) == len(tree["top"] + tree["sub"])


def test_explicit_json_without_timestamp_is_accepted(make_logs: LogFactory, tmp_path: Path) -> None:
    (log,) = make_logs(tmp_path, n=1, fmt="json")
    named = tmp_path / "mylog.json"
    log.rename(named)

    assert expand_paths([str(named)]) == [_uri(named)]
    assert expand_paths([str(tmp_path)]) == []  # but a listing skips it, as inspect_ai does


def test_nonexistent_path_is_an_error(tmp_path: Path, make_logs: LogFactory) -> None:
    good = make_logs(tmp_path / "logs", n=1)
    with pytest.raises(PathNotFoundError, match="Path not found: .*nope"):
        expand_paths([str(good[0]), str(tmp_path / "nope")])
    with pytest.raises(PathNotFoundError):
        expand_paths([str(tmp_path / "missing.eval")])


def test_explicit_non_log_file_is_a_usage_error(tmp_path: Path) -> None:
    text = tmp_path / "readme.txt"
    text.write_text("hi")
    with pytest.raises(FlowUsageError, match="Not an eval log file"):
        expand_paths([str(text)])


def test_empty_directory_lists_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert expand_paths([str(tmp_path / "empty")]) == []
    assert list_log_files(str(tmp_path / "missing")) == []


def test_relative_dotdot_and_file_uri_are_normalised(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (log,) = make_logs(tmp_path / "logs" / "a", n=1)
    (tmp_path / "proj").mkdir()
    monkeypatch.chdir(tmp_path / "proj")
    expected = [_uri(log)]

    assert expand_paths(["../logs/a"]) == expected
    assert expand_paths(["../logs/b/../a/"]) == expected
    assert expand_paths([f"file://{tmp_path}/proj/../logs/a"]) == expected
    assert expand_paths([f"file://{log}"]) == expected
    assert expand_paths([f"../logs/a/{log.name}"]) == expected
    assert paths.normalize("x/../y/") == f"file://{tmp_path}/proj/y"
    assert paths.display_path(expected[0]) == str(log)  # outside the CWD: absolute
    monkeypatch.chdir(tmp_path)
    assert paths.display_path(expected[0]) == f"logs/a/{log.name}"


def test_s3_uri_normalisation() -> None:
    assert paths.normalize("s3://bucket/a//b/") == "s3://bucket/a/b"
    assert paths.normalize("s3://bucket/") == "s3://bucket"
    assert paths.is_s3("s3://b/k") and not paths.is_local("s3://b/k")


# --------------------------------------------------------------------------------------- S3


@pytest.fixture
def s3_tree(make_logs: LogFactory, tmp_path: Path, s3_bucket: str) -> dict[str, Any]:
    root = tmp_path / "src"
    top = make_logs(root, n=2) + make_logs(root, n=1, fmt="json")
    sub = make_logs(root / "sub", n=1)
    (root / "notes.json").write_text("{}")
    (root / "readme.txt").write_text("hi")
    (root / f".{top[0].name}.0123456789ab.flowtmp").write_bytes(b"partial")
    upload_dir(root, f"{s3_bucket}/logs")
    # a sibling prefix that merely starts with the same characters
    upload_file(make_logs(tmp_path / "other", n=1)[0], f"{s3_bucket}/logs2/")
    prefix = f"{s3_bucket}/logs"
    return {
        "prefix": prefix,
        "top": [f"{prefix}/{p.name}" for p in top],
        "sub": [f"{prefix}/sub/{p.name}" for p in sub],
    }


def test_s3_prefix_with_and_without_trailing_slash(s3_tree: dict[str, Any]) -> None:
    prefix = s3_tree["prefix"]
    everything = sorted(s3_tree["top"] + s3_tree["sub"])

    assert sorted(expand_paths([prefix])) == everything
    assert sorted(expand_paths([prefix + "/"])) == everything
    assert sorted(expand_paths([prefix + "/"], recursive=False)) == sorted(s3_tree["top"])
    assert sorted(expand_paths([prefix], recursive=False)) == sorted(s3_tree["top"])
    one = s3_tree["top"][0]
    assert expand_paths([one]) == [one]


def test_s3_listing_keeps_no_per_object_cache(s3_tree: dict[str, Any], s3_bucket: str) -> None:
    """s3fs caches every listing for the life of the process: 100k logs, 100k dicts, all run."""
    from inspect_flow._logs.s3.client import s3_filesystem

    bucket = s3_bucket.removeprefix("s3://")
    for recursive in (True, False):
        found = expand_paths([s3_tree["prefix"]], recursive=recursive)
        assert found and set(found) <= set(s3_tree["top"] + s3_tree["sub"])
        cached = [key for key in s3_filesystem().dircache if str(key).startswith(bucket)]
        assert cached == [], recursive


def test_s3_missing_paths_and_non_logs(s3_tree: dict[str, Any], s3_bucket: str) -> None:
    with pytest.raises(PathNotFoundError):
        expand_paths([f"{s3_bucket}/nope"])
    with pytest.raises(PathNotFoundError):
        expand_paths([f"{s3_bucket}/logs/missing.eval"])
    with pytest.raises(PathNotFoundError):
        expand_paths(["s3://no-such-bucket-flow-test/x"])
    with pytest.raises(FlowUsageError, match="Not an eval log file"):
        expand_paths([f"{s3_bucket}/logs/readme.txt"])


def test_s3_listing_sees_objects_added_later(
    s3_tree: dict[str, Any], make_logs: LogFactory, tmp_path: Path, s3_client: Any
) -> None:
    prefix = s3_tree["prefix"]
    before_flat = expand_paths([prefix], recursive=False)
    before_all = expand_paths([prefix])
    (new,) = make_logs(tmp_path / "late", n=1)
    added = upload_file(new, f"{prefix}/")
    bucket, key = split_s3_uri(s3_tree["top"][0])
    s3_client.delete_object(Bucket=bucket, Key=key)

    after_flat = expand_paths([prefix], recursive=False)
    after_all = expand_paths([prefix])
    assert sorted(after_flat) == sorted(set(before_flat) - {s3_tree["top"][0]} | {added})
    assert sorted(after_all) == sorted(set(before_all) - {s3_tree["top"][0]} | {added})


def test_directory_named_like_a_log_is_a_directory(tmp_path: Path) -> None:
    odd = tmp_path / "dir.eval"
    odd.mkdir()
    assert expand_paths([str(odd)]) == []


def test_symlink_loops_and_dangling_links(make_logs: LogFactory, tmp_path: Path) -> None:
    (log,) = make_logs(tmp_path / "logs" / "sub", n=1)
    (tmp_path / "logs" / "sub" / "loop").symlink_to("..")  # a cycle
    (tmp_path / "logs" / "2026-01-01T00-00-00_tiny_gone.eval").symlink_to(tmp_path / "missing")
    (tmp_path / "elsewhere").mkdir()
    (other,) = make_logs(tmp_path / "elsewhere", n=1)
    (tmp_path / "logs" / "linked").symlink_to(tmp_path / "elsewhere")  # followed once

    listed = expand_paths([str(tmp_path / "logs")])

    assert sorted(listed) == sorted([_uri(log), _uri(tmp_path / "logs" / "linked" / other.name)])
