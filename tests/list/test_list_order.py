"""Listing order, file-name times and dates (pure functions), and the ``list_logs`` API."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers.list_corpus import CORPUS

from inspect_flow._errors import FlowUsageError
from inspect_flow._list.order import name_timestamp, parse_date, sort_locations, within

UTC = timezone.utc


def test_name_timestamp_forms() -> None:
    assert name_timestamp("s3://b/2026-11-26T07-08-52-00-00_t_x.eval") == datetime(
        2026, 11, 26, 7, 8, 52, tzinfo=UTC
    )
    assert name_timestamp("file:///l/2026-11-26T07-08-52+01-00_t_x.eval") == datetime(
        2026, 11, 26, 6, 8, 52, tzinfo=UTC
    )
    assert name_timestamp("/l/2026-11-26T07:08:52Z_t.json") == datetime(
        2026, 11, 26, 7, 8, 52, tzinfo=UTC
    )
    assert name_timestamp("/l/2026-11-26T07-08-52_t.eval") == datetime(
        2026, 11, 26, 7, 8, 52, tzinfo=UTC
    )
    assert name_timestamp("/l/handmade.eval") is None
    assert name_timestamp("/l/2026-13-45T07-08-52-00-00_t.eval") is None


def test_sort_locations_groups_and_orders() -> None:
    locations = [
        "/x/plain/b.eval",
        "/x/plain/a.eval",
        "/x/old/2026-01-01T00-00-00-00-00_t_1.eval",
        "/x/new/2026-05-01T00-00-00-00-00_t_1.eval",
        "/x/new/zzz.eval",
        "/x/new/2026-06-01T00-00-00-00-00_t_2.eval",
        "/x/new/aaa.eval",
        "/x/another/c.eval",
        "/x/new/aaa.eval",  # duplicates are dropped
    ]
    assert sort_locations(locations) == [
        "/x/new/2026-06-01T00-00-00-00-00_t_2.eval",
        "/x/new/2026-05-01T00-00-00-00-00_t_1.eval",
        "/x/new/aaa.eval",
        "/x/new/zzz.eval",
        "/x/old/2026-01-01T00-00-00-00-00_t_1.eval",
        "/x/another/c.eval",
        "/x/plain/a.eval",
        "/x/plain/b.eval",
    ]


def test_within_bounds_are_inclusive_and_drop_untimed() -> None:
    names = [
        "/d/2026-01-01T00-00-00-00-00_t.eval",
        "/d/2026-01-02T00-00-00-00-00_t.eval",
        "/d/x.eval",
    ]
    day1 = datetime(2026, 1, 1, tzinfo=UTC)
    assert within(names, None, None) == names
    assert within(names, day1, None) == names[:2]
    assert within(names, None, day1) == names[:1]
    assert within(names, day1 + timedelta(seconds=1), day1 + timedelta(days=1)) == names[1:2]


def test_parse_date() -> None:
    naive = datetime(2026, 1, 1, 12)
    assert parse_date(naive) == naive.replace(tzinfo=UTC)
    assert parse_date("2026-01-01 12:00 +0100") == datetime(2026, 1, 1, 11, tzinfo=UTC)
    ago = parse_date("3 days ago")
    assert ago is not None and ago.tzinfo is not None
    assert abs((datetime.now(UTC) - ago) - timedelta(days=3)) < timedelta(minutes=5)
    assert parse_date(None) is None
    with pytest.raises(FlowUsageError, match="Cannot parse date: 'notadate'"):
        parse_date("notadate")


def test_list_logs_api(corpus: list[Path], work: Path) -> None:
    from inspect_flow.api import list_logs

    names = [Path(rel).name for rel, *_ in CORPUS]
    found = list_logs("logs")
    assert [Path(p).name for p in found] == [
        names[2],
        names[1],
        names[0],
        names[3],
        names[5],
        names[4],
    ]
    assert found[0] == f"file://{work}/logs/a/{names[2]}"
    since = list_logs(str(work / "logs"), since=datetime(2026, 11, 26), until="2026-11-26 07:11")
    assert [Path(p).name for p in since] == [names[1], names[0]]
    with pytest.raises(FlowUsageError):
        list_logs("logs", since="notadate")
