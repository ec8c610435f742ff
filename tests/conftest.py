"""Session-wide test setup: isolated offline environment, moto S3 server, real Inspect AI logs.

Fixtures (see each docstring):
    test_env       (session)  the TestEnv: temp root, XDG_DATA_HOME, INSPECT_LOG_DIR, S3 port.
    s3_server      (session)  the moto S3 server, started on first use, stopped at session end.
    s3_client      (session)  a boto3 S3 client on that server.
    s3_bucket      (function) a fresh empty bucket, as "s3://test-xxxxxxxxxxxx" (no trailing slash).
    s3_requests    (function) the server's RequestLog, cleared at the start of the test.
    log_templates  (session)  the LogFactory (templates generated lazily, once per kind).
    make_logs      (function) the same LogFactory: make_logs(dir, n=3, fmt=..., status=..., ...).
    check_corpus   (session)  a project with tiny tasks and their real logs for ``flow check``
                              (``helpers/check_corpus.py``); copy it before changing it.

Tests using any S3 fixture are marked ``s3`` automatically (``-m s3`` / ``-m "not s3"``).
Helpers live in ``tests/helpers`` (``from helpers.logs import read_header, sample_count``,
``from helpers.s3 import upload_dir, upload_file``).

Environment (set in ``pytest_configure``, before any test module or S3 client exists; see
``helpers/env.py`` for the reasons): AWS_ENDPOINT_URL=http://127.0.0.1:PORT (PORT reserved now,
server started lazily), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY=testing,
AWS_DEFAULT_REGION/AWS_REGION=us-east-1, AWS_EC2_METADATA_DISABLED,
AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE -> nonexistent files, all other AWS_*/INSPECT_* removed,
INSPECT_LOG_DIR -> temp, INSPECT_DISPLAY=none, XDG_{DATA,CONFIG,CACHE,STATE}_HOME -> temp,
HTTP(S)_PROXY -> dead loopback port with NO_PROXY for loopback; and in-process sockets may only
reach loopback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

_TESTS_DIR = Path(__file__).resolve().parent
if str(_TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(_TESTS_DIR))

# helpers.env imports neither inspect_ai nor s3fs: no S3 client may exist before configure
from helpers.env import TestEnv, clear_s3fs_cache, setup_test_env  # noqa: E402

if TYPE_CHECKING:
    from helpers.logs import LogFactory
    from helpers.s3 import RequestLog, S3Server

S3_FIXTURES = frozenset({"s3_server", "s3_client", "s3_bucket", "s3_requests"})

_test_env: TestEnv | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    global _test_env
    if _test_env is None:
        _test_env = setup_test_env()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _test_env
    if _test_env is not None:
        _test_env.restore()
        _test_env = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if S3_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.s3)


@pytest.fixture(scope="session")
def test_env() -> TestEnv:
    """The session's TestEnv: ``root``, ``data_home`` (XDG_DATA_HOME), ``inspect_log_dir``, port."""
    assert _test_env is not None, "pytest_configure did not run"
    return _test_env


@pytest.fixture(autouse=True)
def _fresh_s3fs_instances() -> Iterator[None]:
    """Clear s3fs's instance cache around every test.

    A cached ``S3FileSystem`` keeps the endpoint it was first used with. Tests that point
    ``AWS_ENDPOINT_URL`` somewhere else for a while (e.g. a private moto server) would otherwise
    leak instances bound to a dead endpoint into later tests, or pick up ours. Cheap: a dict clear.
    """
    clear_s3fs_cache()
    yield
    clear_s3fs_cache()


@pytest.fixture(scope="session")
def s3_server(test_env: TestEnv) -> Iterator[S3Server]:
    """The moto S3 server at ``AWS_ENDPOINT_URL``, started on first use of any S3 fixture."""
    from helpers.s3 import S3Server

    def moved(port: int) -> None:  # the reserved port was taken meanwhile: follow the server
        test_env.set_s3_port(port)
        clear_s3fs_cache()

    server = S3Server(port=test_env.s3_port, on_port_change=moved)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_client(s3_server: S3Server) -> Any:
    """A boto3 S3 client on the test server."""
    from helpers.s3 import make_s3_client

    return make_s3_client(s3_server.endpoint_url)


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A fresh bucket: yields ``"s3://test-<12 hex>"``; emptied and deleted afterwards."""
    from helpers.s3 import create_bucket, delete_bucket

    uri = create_bucket(s3_client)
    try:
        yield uri
    finally:
        delete_bucket(s3_client, uri)


@pytest.fixture
def s3_requests(s3_server: S3Server) -> RequestLog:
    """The requests the S3 server serves during this test (cleared now; request it before acting).

    Requests made by fixtures set up after this one (e.g. bucket creation) are recorded too;
    call ``s3_requests.clear()`` right before the code under test for exact counts.
    """
    s3_server.requests.clear()
    return s3_server.requests


@pytest.fixture(scope="session")
def log_templates(tmp_path_factory: pytest.TempPathFactory) -> LogFactory:
    """The session's ``LogFactory``; each kind of template is generated on first use."""
    from helpers.logs import LogFactory

    return LogFactory(tmp_path_factory.mktemp("log-templates"))


@pytest.fixture
def make_logs(log_templates: LogFactory) -> LogFactory:
    """Copy real logs into a directory: ``make_logs(dir, n=3, fmt="eval", status="success",
    samples=3, big=False, task="tiny") -> list[Path]``; also ``.corrupt(dir)``, ``.truncated(dir)``,
    ``.template()``, ``.copy(src, dir)``.
    """
    return log_templates


@pytest.fixture(scope="session")
def check_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers.check_corpus import build

    return build(tmp_path_factory.mktemp("corpus"))
