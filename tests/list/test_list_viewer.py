"""Viewer URLs from the ``flow.yaml`` next to logs (``bundle_url_mappings``)."""

from __future__ import annotations

from pathlib import Path

from inspect_flow._list.entries import ViewerUrls

LOG = "2026-11-26T07-08-52-00-00_t_x.eval"


def url(folder: Path, yaml_text: str | None) -> str | None:
    folder.mkdir(parents=True, exist_ok=True)
    if yaml_text is not None:
        (folder / "flow.yaml").write_text(yaml_text)
    return ViewerUrls().url(f"file://{folder}/{LOG}")


def test_embedded_viewer_is_the_log_folder(tmp_path: Path) -> None:
    text = f"options:\n  embed_viewer: true\n  bundle_url_mappings:\n    {tmp_path}: https://v.org/x/\n"
    assert url(tmp_path / "run", text) == f"https://v.org/x/run/#/logs/{LOG}"


def test_bundle_dir_relative_to_the_log_folder_longest_prefix_wins(tmp_path: Path) -> None:
    text = (
        "options:\n  bundle_dir: ../site\n  bundle_url_mappings:\n"
        f"    {tmp_path}: https://short.org\n    {tmp_path}/site: https://long.org/s\n"
    )
    assert url(tmp_path / "run", text) == f"https://long.org/s/#/logs/{LOG}"


def test_no_viewer_url_without_a_mapping_or_a_viewer(tmp_path: Path) -> None:
    assert url(tmp_path / "none", None) is None
    assert url(tmp_path / "nomap", "options:\n  embed_viewer: true\n") is None
    other = "options:\n  embed_viewer: true\n  bundle_url_mappings:\n    /elsewhere: https://v\n"
    assert url(tmp_path / "other", other) is None
    mapped = f"options:\n  bundle_url_mappings:\n    {tmp_path}: https://v\n"
    assert url(tmp_path / "noviewer", mapped) is None  # neither embed_viewer nor bundle_dir
    assert url(tmp_path / "broken", "options: [unclosed\n") is None
    assert ViewerUrls().url(f"s3://bucket/logs/{LOG}") is None  # only local folders are read
