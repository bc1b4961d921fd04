"""The pytest plugin (registered through the `pytest11` entry point as `wsreplay`).

Options `--wsreplay-mode/-upstream/-strict/-speed`, the `wsreplay` marker, and the fixtures
`wsreplay` (the `WsreplayServer` of the test), `wsreplay_url` and `wsreplay_http_url`.

Life of a server: the `wsreplay` fixture starts it during setup; it is stopped as soon as the
test function returns (so that its report, and a --strict verdict, belong to the test's own
result), or at the fixture's teardown when the test never ran. Its report and stderr are
attached to the test's report as sections (pytest prints them for failures).
"""

from __future__ import annotations

import os
import re
from typing import Optional

import pytest

from .process import WsreplayError, find_binary
from .session import MODES, Settings, WsreplayServer

_SERVER_KEY = pytest.StashKey[WsreplayServer]()
_REPORTED_KEY = pytest.StashKey[bool]()  # the server's sections went into a report already
_MARKER_KEYS = ("cassette", "session", "mode", "upstream", "strict", "speed", "args")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wsreplay", "record and replay WebSocket sessions with wsreplay")
    group.addoption(
        "--wsreplay-mode",
        choices=MODES,
        default="replay",
        help="replay (default): serve the cassette; record: record through wsreplay to "
        "--wsreplay-upstream; auto: replay when the cassette has the session, else record; "
        "off: hand the upstream URL to the test unchanged",
    )
    group.addoption(
        "--wsreplay-upstream",
        default=None,
        metavar="URL",
        help="the real server for record/auto/off, e.g. wss://app.thenvoi.com",
    )
    group.addoption(
        "--wsreplay-strict",
        action="store_true",
        default=False,
        help="fail a test whose replay has a mismatch or an undelivered frame",
    )
    group.addoption(
        "--wsreplay-speed",
        default=None,
        metavar="X",
        help="replay speed: 1 (recorded gaps, wsreplay's default), 10, 0.5 or max",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "wsreplay(cassette=None, session=None, mode=None, upstream=None, strict=None, "
        "speed=None, args=()): the cassette and session the wsreplay fixtures serve, and "
        "per-test overrides of the --wsreplay-* options",
    )


def _marker_values(item: pytest.Item) -> dict:
    """The wsreplay marker arguments, the closest marker winning key by key."""
    values: dict = {}
    for marker in item.iter_markers("wsreplay"):
        kwargs = dict(marker.kwargs)
        if marker.args:
            if len(marker.args) > 1:
                raise WsreplayError("the wsreplay marker takes at most one positional argument "
                                    "(the cassette)")
            kwargs.setdefault("cassette", marker.args[0])
        unknown = sorted(set(kwargs) - set(_MARKER_KEYS))
        if unknown:
            raise WsreplayError(f"unknown wsreplay marker argument(s) {', '.join(unknown)}: "
                                f"use {', '.join(_MARKER_KEYS)}")
        for key, value in kwargs.items():
            values.setdefault(key, value)
    return values


def _test_name(item: pytest.Item) -> str:
    """`test_x`, `TestClass.test_x` or `test_x[param]`, safe as a file name."""
    name = item.name
    cls = getattr(item, "cls", None)
    if cls is not None:
        name = f"{cls.__name__}.{name}"
    return re.sub(r"[^\w.\-\[\]=,+]", "_", name)


def default_cassette(item: pytest.Item) -> str:
    """`cassettes/<module>/<test>.cassette` beside the test file (the pytest-recording layout)."""
    path = str(item.path)
    module = os.path.splitext(os.path.basename(path))[0]
    return os.path.join(os.path.dirname(path), "cassettes", module, _test_name(item) + ".cassette")


def resolve_settings(item: pytest.Item) -> Settings:
    """Options merged with the test's markers. A relative `cassette=` is relative to rootdir."""
    opt = item.config.getoption
    marker = _marker_values(item)
    cassette = marker.get("cassette")
    if cassette is None:
        cassette = default_cassette(item)
    else:
        cassette = os.path.join(str(item.config.rootpath), os.fspath(cassette))
    strict = marker.get("strict")
    args = marker.get("args", ())
    if isinstance(args, str):
        args = args.split()
    return Settings(
        mode=marker.get("mode") or opt("wsreplay_mode"),
        cassette=os.path.abspath(cassette),
        session=marker.get("session"),
        default_session=_test_name(item),
        upstream=marker.get("upstream") or opt("wsreplay_upstream"),
        strict=bool(opt("wsreplay_strict") if strict is None else strict),
        speed=marker.get("speed") if marker.get("speed") is not None else opt("wsreplay_speed"),
        args=[str(a) for a in args],
    )


@pytest.fixture
def wsreplay(request: pytest.FixtureRequest):
    """The `WsreplayServer` started for this test (url, http_url, cassette, session, report())."""
    item = request.node
    problem = None
    try:
        settings = resolve_settings(item)
        settings.validate()
        binary = find_binary() if settings.mode != "off" else None
        server = WsreplayServer(binary, settings)
        server.start()
    except WsreplayError as e:
        problem = f"wsreplay: {e}"
    if problem:  # outside the except block: one message, no chained exception
        pytest.fail(problem, pytrace=False)
    item.stash[_SERVER_KEY] = server
    yield server
    server.stop()


@pytest.fixture
def wsreplay_url(wsreplay: WsreplayServer) -> str:
    """`ws://127.0.0.1:PORT` of this test's wsreplay server (the upstream in `off` mode)."""
    return wsreplay.url


@pytest.fixture
def wsreplay_http_url(wsreplay: WsreplayServer) -> str:
    """The same server as `http://127.0.0.1:PORT` (the REST half; `https://` for a wss upstream)."""
    return wsreplay.http_url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    yield
    server: Optional[WsreplayServer] = item.stash.get(_SERVER_KEY, None)
    if server is not None:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    server: Optional[WsreplayServer] = item.stash.get(_SERVER_KEY, None)
    if server is None or server.result is None or item.stash.get(_REPORTED_KEY, False):
        return  # no server, still running, or already reported
    item.stash[_REPORTED_KEY] = True
    failure = server.failure()
    failing_now = bool(failure) and report.when == "call" and report.passed
    if failing_now:
        report.outcome = "failed"
        report.longrepr = failure
    for title, text in server.sections():
        if not (failing_now and text.strip() in failure):  # the failure text shows it already
            report.sections.append((title, text))
