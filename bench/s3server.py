"""The test suite's moto S3 server (``tests/helpers/s3.py``) in its own process, for benchmarks.

Running the server in a separate process keeps its request handling off the GIL of the process
being timed. It prints one JSON line ``{"port": N}`` when it serves, then answers commands read
from stdin, one per line, each with one JSON line on stdout:

* ``clear`` → ``{"ok": true}``: forget the recorded requests;
* ``dump`` → ``{"requests": [[method, bucket, key, query, headers, status, response_bytes], ...]}``
  (``response_bytes``: the response's Content-Length);
* ``quit`` (or end of input) → stop.

Usage: ``python bench/s3server.py [PORT]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.s3 import S3Server  # noqa: E402


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else None
    server = S3Server(port=port)
    server.start()
    print(json.dumps({"port": server.port}), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "clear":
                server.requests.clear()
                reply: dict[str, object] = {"ok": True}
            elif command == "dump":
                reply = {
                    "requests": [
                        [r.method, r.bucket, r.key, r.query, r.headers, r.status, r.response_bytes]
                        for r in server.requests
                    ]
                }
            elif command == "quit":
                break
            else:
                reply = {"error": f"unknown command {command!r}"}
            print(json.dumps(reply), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
