"""Shared test helpers for the inspect_flow test suite (and the bench corpus generator).

Import as ``from helpers.logs import ...`` / ``from helpers.s3 import ...``: ``tests/conftest.py``
puts the ``tests/`` directory on ``sys.path`` so this works under every pytest import mode.

Modules:
    env: the process-wide test environment (AWS/INSPECT/XDG variables, network guard).
    logs: real Inspect AI logs made offline, a copying factory, corrupt/truncated logs, read-back.
    s3: the moto S3 server with a request log, buckets and upload helpers.
"""
