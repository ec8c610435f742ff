"""The Flow Store: a Delta Lake index of eval log locations, compatible with Flow 0.14's stores.

The store lives at ``<root>/flow_store/_table_logs`` (``auto``: the default root,
``platformdirs.user_data_dir("inspect_flow")``), local or on S3. It indexes log *locations* and
their task identifiers; it does not hold the logs. Log headers are read only through the storage
seam (``inspect_flow._logs``).

Names load lazily: importing this package costs nothing until a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._lazy import lazy_exports
from inspect_flow._store.base import FlowStore, ImportResult, RemoveResult

_EXPORTS: dict[str, str] = {
    "DeltaFlowStore": "inspect_flow._store.delta",
    "store_get": "inspect_flow._store.opening",
    "open_store": "inspect_flow._store.opening",
    "as_store": "inspect_flow._store.opening",
    "delete_store": "inspect_flow._store.opening",
    "not_found_message": "inspect_flow._store.opening",
    "store_for_config": "inspect_flow._store.opening",
    "copy_all_logs": "inspect_flow._store.copying",
    "store_inputs": "inspect_flow._store.steps",
    "index_written": "inspect_flow._store.steps",
    "written_locations": "inspect_flow._store.steps",
    "default_root": "inspect_flow._store.location",
    "resolve_root": "inspect_flow._store.location",
    "TABLE_VERSION": "inspect_flow._store.table",
    "find_logs": "inspect_flow._store.matching",
    "best_log": "inspect_flow._store.matching",
}

if TYPE_CHECKING:
    from inspect_flow._store.copying import copy_all_logs
    from inspect_flow._store.delta import DeltaFlowStore
    from inspect_flow._store.location import default_root, resolve_root
    from inspect_flow._store.matching import best_log, find_logs
    from inspect_flow._store.opening import (
        as_store,
        delete_store,
        not_found_message,
        open_store,
        store_for_config,
        store_get,
    )
    from inspect_flow._store.steps import index_written, store_inputs, written_locations
    from inspect_flow._store.table import TABLE_VERSION

__all__ = [
    "TABLE_VERSION",
    "DeltaFlowStore",
    "FlowStore",
    "ImportResult",
    "RemoveResult",
    "as_store",
    "best_log",
    "copy_all_logs",
    "default_root",
    "delete_store",
    "find_logs",
    "index_written",
    "not_found_message",
    "open_store",
    "resolve_root",
    "store_for_config",
    "store_get",
    "store_inputs",
    "written_locations",
]

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
