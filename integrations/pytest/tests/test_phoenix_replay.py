"""A real Phoenix client (phoenix_client.py) recorded against `wsreplay sim` through the plugin's
record/auto modes, then replayed through the `wsreplay_url` fixture: a clean replay passes, a
mismatching one fails (with --wsreplay-strict, or by its own assertion) with the report shown.
"""

import subprocess

from conftest import run_inner

from wsreplay_pytest.process import cassette_sessions

CHAT_TEST = """
from phoenix_client import ROOM_EVENTS, run_chat_session

def test_mentions(wsreplay_url):
    reply, pushes = run_chat_session(wsreplay_url)
    assert reply["status"] == "ok"
    assert [event for _topic, event, _payload in pushes] == ROOM_EVENTS
    assert "@weather-agent" in pushes[0][2]["content"]
"""

# Alice joins the wrong room: the cassette has no such join (a mismatch) and the recorded
# pushes of her room are never delivered. The first test does not look at the reply, so only
# --wsreplay-strict can fail it; the second opts out of strict mode; the third asserts.
WRONG_ROOM_TEST = """
import pytest
from phoenix_client import OTHER_ROOM, run_chat_session

replay_chat = pytest.mark.wsreplay(cassette="cassettes/test_chat/test_mentions.cassette",
                                   session="test_mentions", speed="max")

@replay_chat
def test_wrong_room(wsreplay_url):
    run_chat_session(wsreplay_url, OTHER_ROOM)

@replay_chat
@pytest.mark.wsreplay(strict=False)
def test_wrong_room_lenient(wsreplay_url):
    run_chat_session(wsreplay_url, OTHER_ROOM)
"""

ASSERTING_WRONG_ROOM_TEST = """
import pytest
from phoenix_client import OTHER_ROOM, run_chat_session

@pytest.mark.wsreplay(cassette="cassettes/test_chat/test_mentions.cassette", speed="max")
def test_wrong_room_asserts(wsreplay_url):
    reply, _ = run_chat_session(wsreplay_url, OTHER_ROOM)
    assert reply["status"] == "ok"
"""


def record_chat(pytester, upstream: str, mode: str = "record"):
    """Runs CHAT_TEST against the sim through the plugin; returns the cassette's path."""
    pytester.makeini("[pytest]\n")  # rootdir = pytester.path, for the markers' relative paths
    pytester.makepyfile(test_chat=CHAT_TEST)
    result = run_inner(pytester, f"--wsreplay-mode={mode}", f"--wsreplay-upstream={upstream}")
    result.assert_outcomes(passed=1)
    return pytester.path / "cassettes" / "test_chat" / "test_mentions.cassette"


def test_recorded_session_replays_clean_without_the_upstream(pytester, sim, wsreplay_bin):
    cassette = record_chat(pytester, sim.url)
    assert cassette_sessions(wsreplay_bin, str(cassette)) == ["test_mentions"]
    # Recording again replaces the session (no "session already exists").
    record_chat(pytester, sim.url)
    assert cassette_sessions(wsreplay_bin, str(cassette)) == ["test_mentions"]
    sim.stop()

    result = run_inner(pytester, "--wsreplay-strict", "--wsreplay-speed=max")
    result.assert_outcomes(passed=1)
    # At the recorded speed too (the pushes come over ~0.7 s).
    run_inner(pytester, "--wsreplay-strict").assert_outcomes(passed=1)
    shown = subprocess.run([wsreplay_bin, "show", str(cassette)], capture_output=True, text=True)
    assert "message_deleted" in shown.stdout


def test_auto_records_once_then_replays(pytester, sim, wsreplay_bin):
    upstream = sim.url
    cassette = record_chat(pytester, upstream, mode="auto")
    assert cassette_sessions(wsreplay_bin, str(cassette)) == ["test_mentions"]
    sim.stop()  # from now on only a replay can pass
    result = run_inner(pytester, "--wsreplay-mode=auto", f"--wsreplay-upstream={upstream}",
                       "--wsreplay-strict", "--wsreplay-speed=max")
    result.assert_outcomes(passed=1)


def test_mismatch_fails_a_strict_test_with_the_report(pytester, sim):
    record_chat(pytester, sim.url)
    sim.stop()
    pytester.makepyfile(test_wrong=WRONG_ROOM_TEST)

    result = run_inner(pytester, "test_wrong.py", "--wsreplay-strict")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_wrong_room FAILED*",
            "*test_wrong_room_lenient PASSED*",
            "wsreplay --strict: the replay of session 'test_mentions' is not clean "
            "(1 mismatches, 5 undelivered)",
            "replay report: session 'test_mentions' from *test_mentions.cassette",
            "*mismatch at *phx_join*",
            "*topic 'chat_room:a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d' is not in the cassette*",
            "*undelivered seq * message_created*",
            "*NOT clean*",
        ]
    )
    # Without --wsreplay-strict the same replay does not fail a test that asserts nothing.
    run_inner(pytester, "test_wrong.py").assert_outcomes(passed=2)


def test_a_failing_test_shows_the_report_and_the_server_stderr(pytester, sim):
    record_chat(pytester, sim.url)
    sim.stop()
    pytester.makepyfile(test_asserting=ASSERTING_WRONG_ROOM_TEST)

    result = run_inner(pytester, "test_asserting.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*assert 'error' == 'ok'*",
            "*- wsreplay report -*",
            "replay report: session 'test_mentions' *",
            "*topic 'chat_room:a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d' is not in the cassette*",
            "*NOT clean*",
            "*- wsreplay replay stderr -*",
            "*served by recorded #1*",
        ]
    )
