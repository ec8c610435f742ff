"""Where a store lives: ``auto``/``none``/a path → the store root and its Delta table URI.

A store root is a directory (local or ``s3://``); the index is the Delta Lake table at
``<root>/flow_store/_table_logs``, as Flow 0.14 lays it out, so both tools can share one store.
"""

from __future__ import annotations

import os

from inspect_flow._logs import display_path, is_local, is_s3, local_path, normalize

STORE_DIR = "flow_store"
TABLE_NAME = "_table_logs"


def default_root() -> str:
    """Return the default store root: ``platformdirs.user_data_dir("inspect_flow")``.

    On Linux that is ``~/.local/share/inspect_flow`` (or ``$XDG_DATA_HOME/inspect_flow``).
    """
    import platformdirs

    return platformdirs.user_data_dir("inspect_flow")


def resolve_root(store: str, base_dir: str | None = None) -> str | None:
    """Resolve a store setting to the store root's normalised URI.

    Args:
        store: ``auto`` (any case) for the default store, ``none`` (any case) for no store, or a
            local path / ``file://`` URI / ``s3://`` URL of the store root.
        base_dir: Directory relative local paths are resolved against (default: the CWD).

    Returns:
        The root as a normalised URI (``file:///abs/dir`` or ``s3://bucket/prefix``), or None for
        ``none``.
    """
    text = store.strip()
    if text.lower() == "none":
        return None
    if text.lower() == "auto" or not text:
        text = default_root()
    return normalize(text, base_dir)


def table_uri(root: str) -> str:
    """Return the URI deltalake opens for a store root (a plain path for local stores)."""
    base = local_path(root) if is_local(root) else root
    return f"{base.rstrip('/')}/{STORE_DIR}/{TABLE_NAME}"


def store_dir(root: str) -> str:
    """Return the ``<root>/flow_store`` location (what ``delete`` removes)."""
    return f"{root.rstrip('/')}/{STORE_DIR}"


def shown(root: str) -> str:
    """Return a store root as shown to users (friendly path)."""
    return display_path(root)


def storage_options(root: str) -> dict[str, str] | None:
    """Return deltalake storage options for a store root (None for local stores).

    delta-rs reads the standard AWS environment itself (credentials, ``AWS_ENDPOINT_URL``,
    profiles, ``AWS_S3_LOCKING_PROVIDER``...). What it does not infer is added here: plain HTTP is
    allowed when the endpoint is an ``http://`` URL (a local S3 server), and the bucket's region
    is looked up when none is configured and the endpoint is AWS's own.
    """
    if not is_s3(root):
        return None
    options: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and endpoint.lower().startswith("http://"):
        options["allow_http"] = "true"
    if not endpoint and not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        region = _bucket_region(root[len("s3://") :].split("/", 1)[0])
        if region:
            options["region"] = region
    return options


def _bucket_region(bucket: str) -> str | None:
    try:
        import botocore.session

        client = botocore.session.get_session().create_client("s3")
        head = client.head_bucket(Bucket=bucket)
        region = head.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
        return str(region) if region else None
    except Exception:  # no credentials or no access: let delta-rs report the real problem
        return None
