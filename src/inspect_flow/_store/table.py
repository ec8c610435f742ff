"""The store's Delta Lake table: open/create, version check, read, append, delete, migrate.

Layout and format are Flow 0.14's, so stores are interchangeable:

* columns ``log_path`` (string URI), ``task_identifier_3`` (string: inspect's task identifier,
  version 3) and ``ts`` (``timestamp_ntz``, the UTC time the row was added, in ms), all nullable;
* table name ``_table_logs`` and description ``{"name": "_table_logs", "version": "0.2.0"}``;
  a table whose version is newer (major or minor) than ours is refused;
* protocol reader 3 / writer 7 with the ``timestampNtz`` feature (what delta-rs writes for this
  schema); one commit per import (one parquet file), ``DELETE ... WHERE log_path IN (...)`` for
  removals.

Concurrency is Delta's own: every commit is a put-if-absent of the next log entry (a local
no-replace rename; on S3 a conditional ``PUT`` with ``If-None-Match: *``), so two writers never
both win a version. delta-rs re-bases appends on a lost race itself; a delete or merge that
conflicts raises ``CommitFailedError`` and is retried here on a fresh snapshot.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from inspect_flow._errors import StoreVersionError

if TYPE_CHECKING:
    from deltalake import DeltaTable

logger = logging.getLogger("inspect_flow.store")

TABLE_NAME = "_table_logs"
TABLE_VERSION = "0.2.0"
IDENTIFIER_COLUMN = "task_identifier_3"
COMMIT_ATTEMPTS = 20

T = TypeVar("T")


def description() -> str:
    """Return the table description JSON Flow 0.14 writes (and checks)."""
    return json.dumps({"name": TABLE_NAME, "version": TABLE_VERSION})


def schema() -> Any:
    """Return the table's Delta schema."""
    from deltalake import Field, Schema
    from deltalake.schema import PrimitiveType

    return Schema(
        [
            Field("log_path", PrimitiveType("string"), nullable=True),
            Field(IDENTIFIER_COLUMN, PrimitiveType("string"), nullable=True),
            Field("ts", PrimitiveType("timestamp_ntz"), nullable=True),
        ]
    )


def open_table(uri: str, options: dict[str, str] | None) -> DeltaTable | None:
    """Open the table at ``uri``; None when there is none. Checks its version."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        table = DeltaTable(uri, storage_options=options)
    except TableNotFoundError:
        return None
    check_version(table)
    return table


def create_table(uri: str, options: dict[str, str] | None) -> DeltaTable:
    """Create the empty table (commit 0); if another writer created it first, open theirs."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    logger.info("[flow-store] creating the store table at %s", uri)
    try:
        return DeltaTable.create(
            uri,
            schema(),
            mode="error",
            name=TABLE_NAME,
            description=description(),
            storage_options=options,
        )
    except DeltaError:
        table = open_table(uri, options)
        if table is None:
            raise
        return table


def table_version(table: DeltaTable) -> str:
    """Return the version recorded in the table description (``0.0.0`` when there is none)."""
    try:
        data = json.loads(table.metadata().description or "{}")
        return str(data.get("version") or "0.0.0")
    except (ValueError, AttributeError):
        return "0.0.0"


def check_version(table: DeltaTable) -> None:
    """Refuse a table whose major or minor version is greater than ours."""
    found = table_version(table)
    if _major_minor(found) > _major_minor(TABLE_VERSION):
        raise StoreVersionError(
            f"Table {TABLE_NAME} version mismatch: supported {TABLE_VERSION}, got {found}. "
            "inspect_flow upgrade required."
        )


def _major_minor(version: str) -> tuple[int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:2]]
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def column_names(table: DeltaTable) -> list[str]:
    """Return the names of the table's columns."""
    return [field.name for field in table.schema().fields]


def read_rows(table: DeltaTable) -> list[tuple[str, str | None]]:
    """Return every ``(log_path, task identifier)`` row with a non-null path, in table order."""
    from deltalake import QueryBuilder

    has_id = IDENTIFIER_COLUMN in column_names(table)
    ident = IDENTIFIER_COLUMN if has_id else "CAST(NULL AS STRING)"
    sql = f"SELECT log_path, {ident} AS ident FROM logs WHERE log_path IS NOT NULL"
    result = QueryBuilder().register("logs", table).execute(sql).read_all()
    if result.num_rows == 0:
        return []
    return list(zip(result["log_path"].to_pylist(), result["ident"].to_pylist(), strict=True))


# True for a log_path already in normal form (what this code writes); see delta.stored_location.
_NORMAL = (
    "(((log_path LIKE 'file:///%' AND substr(log_path, 9) NOT LIKE '%//%')"
    " OR (log_path LIKE 's3://%' AND substr(log_path, 6) NOT LIKE '%//%'))"
    " AND log_path NOT LIKE '%/.%' AND log_path NOT LIKE '%/')"
)


def read_paths(table: DeltaTable) -> tuple[list[str], list[str]]:
    """Return the non-null ``log_path`` values: those in normal form, and the others.

    The test runs in the query engine, so a large store of normal rows costs no Python per row.
    """
    from deltalake import QueryBuilder

    sql = f"SELECT log_path, {_NORMAL} AS normal FROM logs WHERE log_path IS NOT NULL"
    result = QueryBuilder().register("logs", table).execute(sql).read_all()
    if result.num_rows == 0:
        return [], []
    paths: list[str] = list(result["log_path"].to_pylist())
    flags = result["normal"].to_pylist()
    if all(flags):
        return paths, []
    normal = [p for p, flag in zip(paths, flags, strict=True) if flag]
    return normal, [p for p, flag in zip(paths, flags, strict=True) if not flag]


def append_rows(
    uri: str, options: dict[str, str] | None, rows: Sequence[tuple[str, str | None]]
) -> None:
    """Append rows (one commit, one parquet file), stamped with the current UTC time."""
    from arro3.core import Array, DataType, Table
    from deltalake import write_deltalake

    if not rows:
        return

    def append() -> None:
        table = open_table(uri, options)
        if table is None:
            table = create_table(uri, options)
        migrate_schema(table)
        now = int(datetime.now(timezone.utc).timestamp() * 1000)
        data = Table.from_pydict(
            {
                "log_path": Array([path for path, _ in rows], DataType.string()),
                IDENTIFIER_COLUMN: Array([ident for _, ident in rows], DataType.string()),
                "ts": Array([now] * len(rows), DataType.int64()).cast(DataType.timestamp("ms")),
            }
        )
        write_deltalake(table, data, mode="append", schema_mode="merge")

    with_retries(append)
    logger.info("[flow-store] appended %d rows to %s", len(rows), uri)


def delete_paths(uri: str, options: dict[str, str] | None, stored: Sequence[str]) -> None:
    """Delete every row whose ``log_path`` is one of ``stored`` (exact strings), in one commit."""
    if not stored:
        return
    predicate = "log_path IN (" + ", ".join(sql_string(p) for p in stored) + ")"

    def delete() -> None:
        table = open_table(uri, options)
        if table is not None:
            table.delete(predicate)

    with_retries(delete)
    logger.info("[flow-store] deleted the rows of %d paths from %s", len(stored), uri)


def set_identifiers(uri: str, options: dict[str, str] | None, identifiers: dict[str, str]) -> None:
    """Set ``task_identifier_3`` of the rows with these exact ``log_path`` values (a merge)."""
    from arro3.core import Array, DataType, Table

    if not identifiers:
        return
    source = Table.from_pydict(
        {
            "log_path": Array(list(identifiers), DataType.string()),
            IDENTIFIER_COLUMN: Array(list(identifiers.values()), DataType.string()),
        }
    )

    def merge() -> None:
        table = open_table(uri, options)
        if table is None:
            return
        migrate_schema(table)
        (
            table.merge(source, "t.log_path = s.log_path", source_alias="s", target_alias="t")
            .when_matched_update({IDENTIFIER_COLUMN: f"s.{IDENTIFIER_COLUMN}"})
            .execute()
        )

    with_retries(merge)


def migrate_schema(table: DeltaTable) -> bool:
    """Add the ``task_identifier_3`` column to a table written before it existed.

    Returns:
        True when the column was added.
    """
    from deltalake import Field
    from deltalake.schema import PrimitiveType

    if IDENTIFIER_COLUMN in column_names(table):
        return False
    logger.info("[flow-store] adding the %s column to an older store table", IDENTIFIER_COLUMN)
    try:
        table.alter.add_columns([Field(IDENTIFIER_COLUMN, PrimitiveType("string"), nullable=True)])
    except Exception:
        table.update_incremental()
        if IDENTIFIER_COLUMN not in column_names(table):  # not added by a concurrent writer
            raise
    return True


def sql_string(value: str) -> str:
    """Quote a string for a SQL predicate (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def with_retries(operation: Callable[[], T], attempts: int = COMMIT_ATTEMPTS) -> T:
    """Run a table operation, retrying on a commit conflict with a concurrent writer.

    Each retry re-opens the table, so the operation is re-planned on the newest snapshot. The
    wait between attempts is short, random and growing (writers that collided do not collide
    again in lockstep).
    """
    from deltalake.exceptions import CommitFailedError

    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except CommitFailedError as exc:
            if attempt == attempts:
                raise
            logger.info("[flow-store] commit conflict (attempt %d): %s", attempt, exc)
            time.sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))
    raise AssertionError("unreachable")
