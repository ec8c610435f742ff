"""The process-wide environment of a test session.

``setup_test_env()`` runs from ``pytest_configure`` in ``tests/conftest.py``, i.e. before any test
module is imported and before any S3 client exists. It:

* picks the loopback port of the moto S3 server up front and points ``AWS_ENDPOINT_URL`` at it, so
  every S3 client created at any time in the session (boto3, s3fs, aiobotocore inside inspect_ai,
  and subprocesses such as the installed ``flow`` script, which inherit ``os.environ``) talks to the
  test server. The server itself is started lazily by the ``s3_server`` fixture. Why up front: s3fs
  caches ``S3FileSystem`` instances by their constructor arguments (not by environment), and an
  instance reads the endpoint from the environment once, when its client is first created; a client
  created before the variable was set would keep talking to the wrong place for the rest of the
  session.
* removes every ``AWS_*`` and ``INSPECT_*`` variable inherited from the user (profiles, session
  tokens, ``AWS_ENDPOINT_URL_S3`` which would override ours, ``INSPECT_EVAL_LOG_FORMAT``, ...) and
  sets known ones;
* redirects ``XDG_*`` (and ``HOME`` on macOS, where platformdirs ignores XDG) into a session temp
  dir so the Flow Store default (``platformdirs.user_data_dir("inspect_flow")``) and inspect_ai's
  own data (trace files) never touch the user's real directories;
* blocks the network: in this process, ``socket`` connections and name lookups to anything but
  loopback raise ``NetworkBlockedError``; for subprocesses, ``HTTP(S)_PROXY`` point at a dead
  loopback port (with ``NO_PROXY`` exempting loopback) so HTTP clients that honour proxies fail fast
  instead of reaching the internet.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Nothing listens here: proxies pointed at it make outbound HTTP fail fast (ECONNREFUSED).
DEAD_PROXY = "http://127.0.0.1:9"

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


class NetworkBlockedError(OSError):
    """Raised when test code tries to reach anything other than loopback."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that is free right now.

    Args:
        host: The address to bind.

    Returns:
        The port number (the OS may hand it out again later; callers must handle a lost race).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_loopback_host(host: Any) -> bool:
    """Whether ``host`` (a name or address, str/bytes/None) denotes this machine.

    Args:
        host: Host as passed to ``getaddrinfo`` or found in a socket address.

    Returns:
        True for None, empty, ``localhost``, 127.0.0.0/8, ``::1`` and the wildcard addresses.
    """
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    if host in _LOOPBACK_NAMES or host in ("0.0.0.0", "::", "::1"):
        return True
    if host.startswith("127."):
        return True
    return bool(host.startswith("::ffff:127."))


def block_network() -> Callable[[], None]:
    """Make non-loopback connections and DNS lookups in this process raise NetworkBlockedError.

    Patches ``socket.socket.connect``/``connect_ex`` (used by blocking code and by asyncio) and
    ``socket.getaddrinfo`` (used by asyncio/aiohttp/urllib3 before connecting). Unix sockets are
    allowed.

    Returns:
        A function that undoes the patch.
    """
    orig_connect = socket.socket.connect
    orig_connect_ex = socket.socket.connect_ex
    orig_getaddrinfo = socket.getaddrinfo

    def _check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            if not is_loopback_host(address[0]):
                raise NetworkBlockedError(
                    f"network access blocked in tests: connect to {address!r}"
                )

    def connect(self: socket.socket, address: Any) -> None:
        _check(self, address)
        return orig_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, address)
        return orig_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback_host(host):
            raise NetworkBlockedError(f"network access blocked in tests: lookup of {host!r}")
        return orig_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo

    def undo() -> None:
        socket.socket.connect = orig_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = orig_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = orig_getaddrinfo

    return undo


def clear_s3fs_cache() -> None:
    """Drop s3fs's cached ``S3FileSystem`` instances (each pins the endpoint it first used).

    A no-op when s3fs was never imported (this module must not import it: it is used before any
    client may exist).
    """
    s3fs = sys.modules.get("s3fs")
    if s3fs is not None:
        s3fs.S3FileSystem.clear_instance_cache()


@dataclass
class TestEnv:
    """What ``setup_test_env`` did, so fixtures can use it and ``restore`` can undo it.

    Attributes:
        root: Session temp dir holding the XDG dirs, INSPECT_LOG_DIR and the fake AWS config paths.
        s3_port: Loopback port reserved for the moto server (``AWS_ENDPOINT_URL`` points here).
        data_home: ``XDG_DATA_HOME`` (the default Flow Store lives under
            ``data_home/inspect_flow``).
        inspect_log_dir: ``INSPECT_LOG_DIR``.
        saved_env: The environment before the session, restored by ``restore``.
    """

    __test__ = False  # not a test class, despite the name

    root: Path
    s3_port: int
    data_home: Path
    inspect_log_dir: Path
    saved_env: dict[str, str] = field(default_factory=dict)
    _unblock: Callable[[], None] | None = None

    @property
    def s3_endpoint(self) -> str:
        """The ``AWS_ENDPOINT_URL`` value."""
        return f"http://127.0.0.1:{self.s3_port}"

    def set_s3_port(self, port: int) -> None:
        """Point ``AWS_ENDPOINT_URL`` at another port (if the reserved one was taken meanwhile).

        Args:
            port: The new port.
        """
        self.s3_port = port
        os.environ["AWS_ENDPOINT_URL"] = self.s3_endpoint

    def restore(self, remove_root: bool = True) -> None:
        """Undo ``setup_test_env``: restore the environment and network, remove the temp dir.

        Args:
            remove_root: Also delete ``root``.
        """
        os.environ.clear()
        os.environ.update(self.saved_env)
        if self._unblock is not None:
            self._unblock()
            self._unblock = None
        if remove_root:
            shutil.rmtree(self.root, ignore_errors=True)


def setup_test_env(root: Path | None = None, *, network: bool = False) -> TestEnv:
    """Prepare ``os.environ`` (and the socket module) for an offline, isolated test session.

    Args:
        root: Directory for the session's private dirs; a fresh temp dir when None.
        network: Leave the network reachable (only for debugging; tests must pass without it).

    Returns:
        The ``TestEnv`` describing what was set.
    """
    saved = dict(os.environ)
    root = Path(tempfile.mkdtemp(prefix="inspect_flow_tests_")) if root is None else root
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()

    for name in list(os.environ):
        if name.startswith(("AWS_", "INSPECT_")):
            del os.environ[name]

    xdg = root / "xdg"
    env = TestEnv(
        root=root,
        s3_port=port,
        data_home=xdg / "data",
        inspect_log_dir=root / "inspect-logs",
        saved_env=saved,
    )
    for path in (env.data_home, xdg / "config", xdg / "cache", xdg / "state", env.inspect_log_dir):
        path.mkdir(parents=True, exist_ok=True)

    no_proxy = ",".join(
        item for item in [os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost", "::1"] if item
    )
    os.environ.update(
        {
            # S3: the lazily started moto server, fake credentials, nothing from ~/.aws.
            "AWS_ENDPOINT_URL": env.s3_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(root / "aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(root / "aws" / "credentials"),
            # inspect_ai: no default log dir in the cwd, no console UI.
            "INSPECT_LOG_DIR": str(env.inspect_log_dir),
            "INSPECT_DISPLAY": "none",
            # platformdirs (Flow Store default, inspect_ai traces) -> session temp dir.
            "XDG_DATA_HOME": str(env.data_home),
            "XDG_CONFIG_HOME": str(xdg / "config"),
            "XDG_CACHE_HOME": str(xdg / "cache"),
            "XDG_STATE_HOME": str(xdg / "state"),
            # Subprocesses: outbound HTTP through a dead proxy; loopback direct.
            "HTTP_PROXY": DEAD_PROXY,
            "HTTPS_PROXY": DEAD_PROXY,
            "http_proxy": DEAD_PROXY,
            "https_proxy": DEAD_PROXY,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }
    )
    for name in ("ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    if sys.platform == "darwin":  # platformdirs ignores XDG_* on macOS; it derives from HOME.
        home = root / "home"
        home.mkdir(exist_ok=True)
        os.environ["HOME"] = str(home)

    if not network:
        env._unblock = block_network()
    return env
