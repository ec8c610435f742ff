"""Minimal baseline programs: the header I/O of ``flow`` with only ``zipfile``, ``json``, boto3.

These are the yardsticks of ``bench/run.py``. Each does the least a careful hand-written script
would do for the same job, *with the same safety* where the workload asks for it:

* ``tag_eval`` (mode ``rewrite``): read ``header.json`` with ``zipfile``, add a tag (and a
  ``log_updates`` entry, as inspect_ai's ``edit_eval_log`` does), then build the new archive in a
  hidden temp file in the same directory by copying every other member's bytes *raw* (no
  decompression) and appending the new ``header.json`` (deflate) and a fresh central directory;
  ``fsync`` the temp file, ``os.replace`` it over the log; one directory ``fsync`` at the end. This
  is the crash-safe "new file + rename" design, at its cheapest.
* ``tag_eval`` (mode ``append``): the same, but the temp file is ``shutil.copyfile`` of the log and
  the new header is appended with ``ZipFile(mode="a")`` (the old header stays as dead bytes, like
  inspect_ai's own in-place header write). Also crash-safe.
* ``tag_eval`` (mode ``inplace``): ``ZipFile(log, mode="a")`` directly on the log: O(header), but
  **not** crash-safe (a crash mid-write leaves a broken central directory). The lower bound.
* ``tag_json``: ``json.load`` the whole ``.json`` log, edit, ``json.dump`` to a temp file, fsync,
  ``os.replace``.
* ``copy_logs``: ``shutil.copyfile`` to a hidden temp name in the destination, fsync, ``os.replace``
  (skip existing destinations).
* ``read_headers``: ``zipfile`` + ``json.loads`` of every ``header.json`` (what ``flow check`` must
  at least do).
* ``s3_tag``: one boto3 client; list the prefix; per object ``GET`` + in-memory raw zip rewrite +
  ``PUT`` with ``If-Match`` on the ETag read. ``s3_copy``: ``CopyObject`` per object.
  ``s3_copy_get_put``: per object a ranged ``GET``, ``header.json`` parsed, ``PUT If-None-Match``.

Only ``.eval`` logs whose ``header.json`` exists are edited (the benchmark corpora hold finished
logs only). ``zipfile_zstd`` is imported so that ``zipfile`` reads inspect's zstd members (method
93); inspect_ai itself is never imported here.

CLI (used by the subprocess workloads of ``run.py``)::

    python bench/baseline.py tag DIR --add TAG [--mode rewrite|append|inplace] [--workers N]
    python bench/baseline.py headers DIR
"""

from __future__ import annotations

import argparse
import copy as _copy
import io
import json
import os
import shutil
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, BinaryIO

import zipfile_zstd  # noqa: F401  (registers zstd, method 93, with zipfile)

HEADER = "header.json"
AUTHOR = "bench"

Mutate = Callable[[dict[str, Any]], bool]
"""Edits a header dict in place; returns False when nothing changed (then nothing is written)."""


# ------------------------------------------------------------------------------------------ edits


def _update(edit: dict[str, Any]) -> dict[str, Any]:
    return {
        "edits": [edit],
        "provenance": {
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "author": AUTHOR,
            "reason": None,
            "metadata": {},
        },
    }


def add_tag(tag: str) -> Mutate:
    """A mutation adding ``tag`` (no-op when present)."""

    def mutate(header: dict[str, Any]) -> bool:
        tags = header.setdefault("tags", [])
        if tag in tags:
            return False
        tags.append(tag)
        updates = header.get("log_updates") or []
        updates.append(_update({"type": "tags", "tags_add": [tag], "tags_remove": []}))
        header["log_updates"] = updates
        return True

    return mutate


def set_metadata(key: str, value: Any) -> Mutate:
    """A mutation setting ``metadata[key] = value`` (no-op when equal)."""

    def mutate(header: dict[str, Any]) -> bool:
        meta = header.setdefault("metadata", {})
        if key in meta and meta[key] == value:
            return False
        meta[key] = value
        updates = header.get("log_updates") or []
        updates.append(
            _update({"type": "metadata", "metadata_set": {key: value}, "metadata_remove": []})
        )
        header["log_updates"] = updates
        return True

    return mutate


# ------------------------------------------------------------------------------------- local .eval


def list_logs(directory: str, suffix: str = ".eval") -> list[str]:
    """Log files directly in ``directory`` (non-hidden), sorted."""
    return sorted(
        e.path
        for e in os.scandir(directory)
        if e.is_file() and e.name.endswith(suffix) and not e.name.startswith(".")
    )


def _temp(path: str) -> str:
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")


def _fsync_file(f: BinaryIO) -> None:
    f.flush()
    os.fsync(f.fileno())


def fsync_dir(directory: str) -> None:
    """Make renames in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, separators=(",", ":")).encode()


def rewrite_zip(src: BinaryIO, out: BinaryIO, header: dict[str, Any]) -> None:
    """Write to ``out`` the archive ``src`` with ``header.json`` replaced.

    Every other member is copied raw (local header, compressed data and any data descriptor, as
    one byte range); the new ``header.json`` is deflated; ``zipfile`` writes the central directory.
    """
    with zipfile.ZipFile(src) as zin:
        infos = sorted(zin.infolist(), key=lambda i: i.header_offset)
        cd_start = zin.start_dir
        zout = zipfile.ZipFile(out, "w")
        for index, info in enumerate(infos):
            if info.filename == HEADER:
                continue
            end = infos[index + 1].header_offset if index + 1 < len(infos) else cd_start
            src.seek(info.header_offset)
            raw = src.read(end - info.header_offset)
            clone = _copy.copy(info)
            clone.header_offset = out.tell()
            out.write(raw)
            zout.filelist.append(clone)
            zout.NameToInfo[clone.filename] = clone
        zout.start_dir = out.tell()
        zout.writestr(HEADER, _header_bytes(header), compress_type=zipfile.ZIP_DEFLATED)
        zout.close()


def read_header(path: str) -> dict[str, Any]:
    """``json.loads`` of a log's ``header.json``."""
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read(HEADER))  # type: ignore[no-any-return]


def edit_eval(path: str, mutate: Mutate, mode: str = "rewrite") -> bool:
    """Edit one ``.eval`` log's header; returns whether it was written."""
    if mode == "inplace":
        with zipfile.ZipFile(path, "a") as z:
            header = json.loads(z.read(HEADER))
            if not mutate(header):
                return False
            z.filelist = [i for i in z.filelist if i.filename != HEADER]
            z.NameToInfo.pop(HEADER, None)
            z.writestr(HEADER, _header_bytes(header), compress_type=zipfile.ZIP_DEFLATED)
        return True
    temp = _temp(path)
    try:
        if mode == "rewrite":
            with open(path, "rb") as src:
                with zipfile.ZipFile(src) as z:
                    header = json.loads(z.read(HEADER))
                if not mutate(header):
                    return False
                with open(temp, "wb") as out:
                    rewrite_zip(src, out, header)
                    _fsync_file(out)
        elif mode == "append":
            header = read_header(path)
            if not mutate(header):
                return False
            shutil.copyfile(path, temp)
            with zipfile.ZipFile(temp, "a") as z:
                z.filelist = [i for i in z.filelist if i.filename != HEADER]
                z.NameToInfo.pop(HEADER, None)
                z.writestr(HEADER, _header_bytes(header), compress_type=zipfile.ZIP_DEFLATED)
            with open(temp, "rb") as f:
                os.fsync(f.fileno())
        else:
            raise ValueError(f"unknown mode {mode!r}")
        os.replace(temp, path)
        temp = ""
        return True
    finally:
        if temp and os.path.exists(temp):
            os.unlink(temp)


def _map(func: Callable[[str], Any], items: Iterable[str], workers: int) -> list[Any]:
    if workers <= 1:
        return [func(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))


def tag_eval(
    directory: str, tag: str, mode: str = "rewrite", workers: int = 1, mutate: Mutate | None = None
) -> int:
    """Tag every ``.eval`` log in ``directory``; returns the number written."""
    change = mutate or add_tag(tag)
    written = sum(_map(lambda p: edit_eval(p, change, mode), list_logs(directory), workers))
    if mode != "inplace":
        fsync_dir(directory)
    return written


# -------------------------------------------------------------------------------------- local .json


def edit_json(path: str, mutate: Mutate) -> bool:
    """Edit one ``.json`` log: whole-file load, edit, dump to a temp file, fsync, replace."""
    with open(path, "rb") as f:
        log = json.load(f)
    if not mutate(log):
        return False
    temp = _temp(path)
    try:
        with open(temp, "w", encoding="utf-8") as out:
            json.dump(log, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        temp = ""
        return True
    finally:
        if temp and os.path.exists(temp):
            os.unlink(temp)


def tag_json(directory: str, tag: str) -> int:
    """Tag every ``.json`` log in ``directory``; returns the number written."""
    change = add_tag(tag)
    written = sum(edit_json(p, change) for p in list_logs(directory, ".json"))
    fsync_dir(directory)
    return written


# ------------------------------------------------------------------------------------------- copy


def copy_logs(source_dir: str, dest_dir: str) -> int:
    """Copy every ``.eval`` log: temp name in the destination, fsync, ``os.replace``."""
    os.makedirs(dest_dir, exist_ok=True)
    copied = 0
    for path in list_logs(source_dir):
        dest = os.path.join(dest_dir, os.path.basename(path))
        if os.path.exists(dest):
            continue
        temp = _temp(dest)
        shutil.copyfile(path, temp)
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, dest)
        copied += 1
    fsync_dir(dest_dir)
    return copied


# ------------------------------------------------------------------------------------------ check


def read_headers(directory: str) -> int:
    """Read every ``header.json`` under ``directory`` (recursive); returns how many were read."""
    count = 0
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(".eval") and not name.startswith("."):
                header = read_header(os.path.join(root, name))
                count += bool(header.get("eval"))
    return count


# --------------------------------------------------------------------------------------------- S3


def s3_keys(client: Any, bucket: str, prefix: str) -> list[str]:
    """Keys under a prefix (ListObjectsV2, 1000 per request)."""
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".eval"))
    return keys


def s3_edit(client: Any, bucket: str, key: str, mutate: Mutate) -> bool:
    """GET the object, rewrite its zip in memory, PUT it back with If-Match on the ETag read."""
    response = client.get_object(Bucket=bucket, Key=key)
    body = response["Body"].read()
    etag = response["ETag"]
    src = io.BytesIO(body)
    with zipfile.ZipFile(src) as z:
        header = json.loads(z.read(HEADER))
    if not mutate(header):
        return False
    out = io.BytesIO()
    rewrite_zip(src, out, header)
    client.put_object(Bucket=bucket, Key=key, Body=out.getvalue(), IfMatch=etag)
    return True


def s3_tag(client: Any, bucket: str, prefix: str, tag: str, workers: int = 1) -> int:
    """Tag every ``.eval`` object under ``s3://bucket/prefix``; returns the number written."""
    change = add_tag(tag)
    return sum(
        _map(lambda k: s3_edit(client, bucket, k, change), s3_keys(client, bucket, prefix), workers)
    )


def s3_copy(client: Any, bucket: str, prefix: str, dest_prefix: str, workers: int = 1) -> int:
    """Server-side copy every ``.eval`` object under ``prefix`` to ``dest_prefix``."""

    def one(key: str) -> int:
        dest = dest_prefix + key[len(prefix) :]
        client.copy_object(Bucket=bucket, Key=dest, CopySource={"Bucket": bucket, "Key": key})
        return 1

    return sum(_map(one, s3_keys(client, bucket, prefix), workers))


def s3_copy_get_put(
    client: Any, bucket: str, prefix: str, dest_prefix: str, workers: int = 1
) -> int:
    """Copy every ``.eval`` object under ``prefix`` reading its header on the way, as ours must.

    Per object: a ranged ``GET`` of the last MiB (the whole of a small log), ``header.json``
    parsed with ``json``, and a ``PUT If-None-Match: *`` of those bytes to the destination (a
    destination that exists is not overwritten).
    """

    def one(key: str) -> int:
        response = client.get_object(Bucket=bucket, Key=key, Range="bytes=-1048576")
        body = response["Body"].read()
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            json.loads(z.read(HEADER))
        dest = dest_prefix + key[len(prefix) :]
        client.put_object(Bucket=bucket, Key=dest, Body=body, IfNoneMatch="*")
        return 1

    return sum(_map(one, s3_keys(client, bucket, prefix), workers))


# -------------------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="baseline.py")
    sub = parser.add_subparsers(dest="cmd", required=True)
    tag = sub.add_parser("tag")
    tag.add_argument("directory")
    tag.add_argument("--add", required=True)
    tag.add_argument("--mode", choices=["rewrite", "append", "inplace"], default="rewrite")
    tag.add_argument("--workers", type=int, default=1)
    headers = sub.add_parser("headers")
    headers.add_argument("directory")
    copy = sub.add_parser("copy")
    copy.add_argument("directory")
    copy.add_argument("dest")
    for command in (tag, headers, copy):
        # The floor of any tool that hands inspect_ai objects to its users: the same bare work,
        # after the import every such tool pays, and no interpreter teardown (as `flow` ends).
        command.add_argument("--import-inspect", action="store_true", help="import inspect_ai")
    args = parser.parse_args(argv)
    if args.import_inspect:
        import inspect_ai  # noqa: F401
    if args.cmd == "tag":
        n = tag_eval(args.directory, args.add, args.mode, args.workers)
        print(f"tag: {n} written", file=sys.stderr)
    elif args.cmd == "copy":
        n = copy_logs(args.directory, args.dest)
        print(f"copy: {n} copied", file=sys.stderr)
    else:
        n = read_headers(args.directory)
        print(f"read {n} headers", file=sys.stderr)
    if args.import_inspect:
        sys.stderr.flush()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
