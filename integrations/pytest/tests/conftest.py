"""Shared fixtures of the plugin's own tests.

The plugin under test is loaded from ../src unless an installed copy is already loaded through
its `pytest11` entry point. Inner test runs (pytester) get it with `-p` the same way
(`run_inner`). `sim` starts `wsreplay sim` on a free port; `recorded_cassette` records one chat
session from it with the Phoenix client in phoenix_client.py. The binary comes from
$WSREPLAY_BIN or PATH (CTest sets WSREPLAY_BIN).
"""

import os
import sys
from importlib import metadata

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")


def _installed_plugin() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.name == "wsreplay" for ep in metadata.entry_points(group="pytest11"))


if _installed_plugin():
    PLUGIN_ARGS = []
    pytest_plugins = ["pytester"]
else:
    sys.path.insert(0, SRC)
    PLUGIN_ARGS = ["-p", "wsreplay_pytest.plugin"]
    pytest_plugins = ["pytester", "wsreplay_pytest.plugin"]

sys.path.insert(0, HERE)  # phoenix_client, for the inner test runs too

from wsreplay_pytest.process import ServerProcess, find_binary  # noqa: E402

import phoenix_client  # noqa: E402


def run_inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Runs pytest on pytester's files with the plugin loaded, no cache, verbose, in process."""
    return pytester.runpytest("-p", "no:cacheprovider", *PLUGIN_ARGS, "-v", *args)


@pytest.fixture(scope="session")
def wsreplay_bin() -> str:
    return find_binary()


@pytest.fixture
def sim(wsreplay_bin):
    """A running `wsreplay sim` (a ServerProcess: .url, .stop()); stopped after the test."""
    server = ServerProcess([wsreplay_bin, "sim"], with_report=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def recorded_cassette(wsreplay_bin, tmp_path_factory) -> str:
    """A cassette with one session, 'chat': Alice's chat room session recorded from the sim."""
    path = str(tmp_path_factory.mktemp("recorded") / "chat.cassette")
    sim = ServerProcess([wsreplay_bin, "sim"], with_report=False)
    recorder = None
    try:
        upstream = sim.start()
        recorder = ServerProcess(
            [wsreplay_bin, "record", "--upstream", upstream, "--cassette", path,
             "--session", "chat"],
            with_report=False,
        )
        reply, pushes = phoenix_client.run_chat_session(recorder.start())
    finally:
        stopped = recorder.stop() if recorder is not None else None
        sim.stop()
    assert reply["status"] == "ok" and len(pushes) == len(phoenix_client.ROOM_EVENTS)
    assert stopped.returncode == 0, stopped.stderr
    return path
