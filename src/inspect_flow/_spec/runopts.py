"""The run-time options of ``flow run`` (and ``flow config``) that change a loaded spec.

``flow config`` takes the same options as ``flow run`` so it can show the spec a run would use.
Options left at None leave the spec as it is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from inspect_flow._spec.models import FlowSpec, FlowStoreConfig, store_config
from inspect_flow._spec.options import FlowOptions


def apply_run_options(
    spec: FlowSpec,
    *,
    log_dir_allow_dirty: bool | None = None,
    log_dir_create_unique: bool | None = None,
    store: str | None = None,
    store_read: bool | None = None,
    store_write: bool | None = None,
    store_filter: Sequence[str] | None = None,
    venv: bool = False,
) -> None:
    """Apply ``flow run``'s spec-changing options to ``spec`` in place.

    Args:
        spec: The loaded spec.
        log_dir_allow_dirty: ``--log-dir-allow-dirty`` (``options.log_dir_allow_dirty``).
        log_dir_create_unique: ``--[no-]log-dir-create-unique``.
        store: ``--store``: ``auto``, ``none`` (no store) or a path (relative to the CWD).
        store_read: ``--[no-]store-read``.
        store_write: ``--[no-]store-write``.
        store_filter: ``--store-filter`` values; they replace the spec's store filter.
        venv: ``--venv`` (``execution_type: venv``).

    """
    if log_dir_allow_dirty:
        spec.options = (spec.options or FlowOptions()).model_copy(
            update={"log_dir_allow_dirty": True}
        )
        spec.options.model_fields_set.add("log_dir_allow_dirty")
    if log_dir_create_unique is not None:
        spec.log_dir_create_unique = log_dir_create_unique
    if venv:
        spec.execution_type = "venv"
    update: dict[str, object] = {}
    if store is not None:
        update["path"] = _store_path(store)
    if store_read is not None:
        update["read"] = store_read
    if store_write is not None:
        update["write"] = store_write
    if store_filter:
        update["filter"] = list(store_filter)
    if update:
        current = store_config(spec) or FlowStoreConfig()
        spec.store = current.model_copy(update=update)
        spec.store.model_fields_set.update(update)


def _store_path(store: str) -> str | None:
    """``none`` means no store; ``auto`` the default store; a path is resolved against the CWD."""
    from inspect_flow._logs import has_scheme

    if store.lower() == "none":
        return None
    if store == "auto" or has_scheme(store) or os.path.isabs(store):
        return store
    return os.path.abspath(os.path.expanduser(store))
