"""Opening, creating and deleting stores: ``store_get``, ``delete_store``, ``as_store``."""

from __future__ import annotations

from typing import Any

from inspect_flow._errors import FlowUsageError, StoreNotFoundError
from inspect_flow._store import location
from inspect_flow._store.base import FlowStore
from inspect_flow._store.delta import DeltaFlowStore


def store_get(
    store: str = "auto",
    create: bool = True,
    *,
    base_dir: str | None = None,
    filter: Any = None,
) -> FlowStore:
    """Open the store at ``store`` (``auto``: the default store; a local path or ``s3://`` URL).

    Args:
        store: ``auto`` or the store root.
        create: Create the store when it does not exist (otherwise that is an error).
        base_dir: Directory a relative path is resolved against (default: the CWD).
        filter: A store-level log filter (as ``FlowStoreConfig.filter``).

    Returns:
        The store.

    Raises:
        StoreNotFoundError: The store does not exist and ``create`` is False.
        StoreVersionError: The store was written by a newer, incompatible Flow.
    """
    found = open_store(store, base_dir=base_dir, filter=filter)
    if create:
        found.create()
    elif not found.exists():
        raise StoreNotFoundError(not_found_message(store, found.root))
    return found


def open_store(store: str, *, base_dir: str | None = None, filter: Any = None) -> DeltaFlowStore:
    """Return the store at ``store`` without creating or checking it (it may not exist yet).

    Raises:
        FlowUsageError: ``store`` is ``none``.
    """
    root = location.resolve_root(store, base_dir)
    if root is None:
        raise FlowUsageError("No store: the store is 'none'.")
    return DeltaFlowStore(root, filter=filter)


def as_store(store: FlowStore | str | None, create: bool = True) -> FlowStore | None:
    """Turn a ``store=`` argument (a FlowStore, ``auto``, a path, ``none`` or None) into a store.

    A string is opened with ``store_get(create=create)``; ``none`` and None mean no store.
    """
    if store is None or isinstance(store, FlowStore):
        return store
    if str(store).strip().lower() == "none":
        return None
    return store_get(str(store), create=create)


def store_for_config(
    config: Any, base_dir: str | None = None, *, create: bool | None = None
) -> tuple[FlowStore | None, str]:
    """Open the store a ``FlowStoreConfig`` (``path``, ``filter``, ``read``, ``write``) names.

    Args:
        config: A ``FlowStoreConfig`` (or anything with those attributes); None means the
            defaults (``auto``, write only).
        base_dir: Directory a relative ``path`` is resolved against (a spec's folder).
        create: Create a missing store; by default only a store that will be written is created.

    Returns:
        The store (None for ``path="none"``, or when it neither reads nor writes) and its mode
        label for the ``Using store (MODE): PATH`` line: ``read-write``, ``read only`` or
        ``write only``.

    Raises:
        StoreNotFoundError: The store does not exist and is not to be created.
    """
    path = str(getattr(config, "path", "auto") or "auto")
    read = bool(getattr(config, "read", False))
    write = bool(getattr(config, "write", True))
    mode = "read-write" if read and write else "read only" if read else "write only"
    if path.strip().lower() == "none" or not (read or write):
        return None, mode
    store = store_get(
        path,
        create=write if create is None else create,
        base_dir=base_dir,
        filter=getattr(config, "filter", None) or None,
    )
    return store, mode


def delete_store(store_path: str) -> bool:
    """Delete the store at ``store_path``: ``<store_path>/flow_store`` and everything in it.

    The root directory itself is kept (it may hold other things).

    Returns:
        True when there was a store to delete.
    """
    root = location.resolve_root(store_path)
    if root is None:
        raise FlowUsageError("No store: the store is 'none'.")
    from inspect_flow._logs import remove_tree

    return bool(remove_tree(location.store_dir(root)))


def not_found_message(store: str, root: str) -> str:
    """Return the one-line 'store not found' message (the location as typed, and resolved)."""
    shown = location.shown(root)
    where = store if store == shown else f"{store} ({shown})"
    return (
        f"Store not found at {where}. Run 'flow store import' to create the store and import logs."
    )
