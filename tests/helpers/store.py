"""Flow Store test helpers: store tables written the way Flow 0.14 describes them, and readers.

``make_014_table`` writes a store table with ``deltalake`` directly (not through our code), from
the documented format: columns ``log_path``/``task_identifier_3``/``ts`` (``timestamp_ntz``), table
name ``_table_logs``, description ``{"name": "_table_logs", "version": "0.2.0"}``, protocol reader 3
/ writer 7 with ``timestampNtz``. ``old_schema=True`` leaves out ``task_identifier_3`` (a store
from before that column, to be migrated). ``delta_log`` reads the commit files as JSON.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

TABLE_DIR = ("flow_store", "_table_logs")


def table_path(root: Path | str) -> str:
    """The Delta table location of a store root (a local path or ``s3://`` URL)."""
    return f"{str(root).rstrip('/')}/{'/'.join(TABLE_DIR)}"


def uri(path: Path | str) -> str:
    """The location the store records for a local file."""
    return "file://" + str(path)


def make_014_table(
    root: Path | str,
    rows: list[tuple[str, str | None]],
    *,
    version: str = "0.2.0",
    old_schema: bool = False,
    storage_options: dict[str, str] | None = None,
) -> str:
    """Write a store table as Flow 0.14 lays it out; returns the table location.

    Args:
        root: The store root.
        rows: ``(log_path, task identifier)`` rows (the identifier is ignored with ``old_schema``).
        version: The version in the table description.
        old_schema: Leave out ``task_identifier_3``.
        storage_options: deltalake storage options (for S3).
    """
    from arro3.core import Array, DataType, Table
    from deltalake import DeltaTable, Field, Schema, write_deltalake
    from deltalake.schema import PrimitiveType

    fields = [Field("log_path", PrimitiveType("string"), nullable=True)]
    if not old_schema:
        fields.append(Field("task_identifier_3", PrimitiveType("string"), nullable=True))
    fields.append(Field("ts", PrimitiveType("timestamp_ntz"), nullable=True))
    location = table_path(root)
    DeltaTable.create(
        location,
        Schema(fields),
        mode="error",
        name="_table_logs",
        description=json.dumps({"name": "_table_logs", "version": version}),
        storage_options=storage_options,
    )
    if rows:
        now = int(datetime.now(timezone.utc).timestamp() * 1000)
        data: dict[str, Any] = {"log_path": Array([p for p, _ in rows], DataType.string())}
        if not old_schema:
            data["task_identifier_3"] = Array([i for _, i in rows], DataType.string())
        data["ts"] = Array([now] * len(rows), DataType.int64()).cast(DataType.timestamp("ms"))
        write_deltalake(
            location, Table.from_pydict(data), mode="append", storage_options=storage_options
        )
    return location


def read_table(
    root: Path | str, storage_options: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every row of a store table (deltalake directly), as dicts, sorted by ``log_path``."""
    from deltalake import DeltaTable, QueryBuilder

    table = DeltaTable(table_path(root), storage_options=storage_options)
    result = QueryBuilder().register("t", table).execute("SELECT * FROM t").read_all()
    names = [field.name for field in result.schema]
    columns = {name: result[name].to_pylist() for name in names}
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    return sorted(rows, key=lambda row: str(row["log_path"]))


def delta_log(root: Path) -> list[list[dict[str, Any]]]:
    """The actions of each commit of a local store table, in version order."""
    log_dir = Path(table_path(root)) / "_delta_log"
    commits = sorted(log_dir.glob("*.json"))
    return [[json.loads(line) for line in f.read_text().splitlines() if line] for f in commits]


def identifier(path: Path | str) -> str:
    """inspect_ai's task identifier of a log (what ``task_identifier_3`` holds)."""
    from inspect_ai import task_identifier
    from inspect_ai.log import read_eval_log

    return str(task_identifier(read_eval_log(str(path), header_only=True), None))
