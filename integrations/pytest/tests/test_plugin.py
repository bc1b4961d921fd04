"""The plugin's options, marker, fixtures and error messages, through pytester inner runs."""

import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import run_inner


def assert_no_traceback(result: pytest.RunResult) -> None:
    text = result.stdout.str()
    assert "Traceback" not in text
    assert "During handling" not in text
    assert "wsreplay_pytest" not in text  # no frame of the plugin's own code


def test_help_lists_the_options_and_the_marker(pytester):
    result = run_inner(pytester, "--help")
    result.stdout.fnmatch_lines(
        [
            "*--wsreplay-mode={replay,record,auto,off}*",
            "*--wsreplay-upstream=URL*",
            "*--wsreplay-strict*",
            "*--wsreplay-speed=X*",
        ]
    )
    run_inner(pytester, "--markers").stdout.fnmatch_lines(["@pytest.mark.wsreplay(cassette=*"])


def test_missing_binary_is_one_clear_error(pytester, monkeypatch, tmp_path):
    monkeypatch.delenv("WSREPLAY_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no wsreplay anywhere
    pytester.makepyfile(test_nobin="def test_x(wsreplay_url):\n    pass\n")
    result = run_inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*wsreplay: the wsreplay binary was not found: put `wsreplay` on PATH or set "
         "WSREPLAY_BIN=/path/to/wsreplay*"]
    )
    assert_no_traceback(result)


def test_wsreplay_bin_must_be_an_executable(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("WSREPLAY_BIN", str(tmp_path / "nothing-here"))
    pytester.makepyfile(test_badbin="def test_x(wsreplay_url):\n    pass\n")
    result = run_inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*WSREPLAY_BIN={tmp_path}/nothing-here is not an executable*"])
    assert_no_traceback(result)


def test_default_cassette_is_beside_the_test_file(pytester, wsreplay_bin):
    pytester.makepyfile(
        test_names="""
        import pytest

        class TestChat:
            @pytest.mark.parametrize("who", ["alice"])
            def test_join(self, wsreplay_url, who):
                pass
        """
    )
    result = run_inner(pytester)
    result.assert_outcomes(errors=1)
    expected = os.path.join(pytester.path, "cassettes", "test_names", "TestChat.test_join[alice]")
    result.stdout.re_match_lines(
        [re.escape(f"wsreplay: cassette {expected}.cassette does not exist: record it with "
                   "--wsreplay-mode=record (or auto) --wsreplay-upstream URL")]
    )
    assert_no_traceback(result)


def test_off_mode_hands_the_upstream_through_without_a_binary(pytester, monkeypatch, tmp_path):
    monkeypatch.delenv("WSREPLAY_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    pytester.makepyfile(
        test_off="""
        def test_urls(wsreplay_url, wsreplay_http_url, wsreplay):
            assert wsreplay_url == "wss://app.example.com/prefix"
            assert wsreplay_http_url == "https://app.example.com/prefix"
            assert wsreplay.mode == "off"
        """
    )
    result = run_inner(pytester, "--wsreplay-mode=off",
                       "--wsreplay-upstream=wss://app.example.com/prefix")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("mode", ["record", "auto", "off"])
def test_modes_that_talk_upstream_need_one(pytester, mode):
    pytester.makepyfile(test_noup="def test_x(wsreplay_url):\n    pass\n")
    result = run_inner(pytester, f"--wsreplay-mode={mode}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*wsreplay: wsreplay mode '{mode}' needs an upstream: pass --wsreplay-upstream URL*"]
    )
    assert_no_traceback(result)


def test_marker_overrides_the_options(pytester):
    pytester.makepyfile(
        test_override="""
        import pytest

        @pytest.mark.wsreplay(mode="off", upstream="ws://127.0.0.1:9/api")
        def test_marked(wsreplay_url):
            assert wsreplay_url == "ws://127.0.0.1:9/api"

        def test_unmarked(wsreplay_url):
            assert wsreplay_url == "ws://127.0.0.1:7"
        """
    )
    result = run_inner(pytester, "--wsreplay-mode=off", "--wsreplay-upstream=ws://127.0.0.1:7")
    result.assert_outcomes(passed=2)


def test_a_misspelt_marker_argument_is_an_error(pytester):
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.wsreplay(casette="x.cassette")
        def test_x(wsreplay_url):
            pass
        """
    )
    result = run_inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown wsreplay marker argument(s) casette: use cassette,*"])


def test_a_file_that_is_not_a_cassette_gives_wsreplays_message(pytester, wsreplay_bin):
    pytester.path.joinpath("broken.cassette").write_text("not a cassette\n")
    pytester.makepyfile(
        test_broken="""
        import pytest

        @pytest.mark.wsreplay(cassette="broken.cassette")
        def test_x(wsreplay_url):
            pass
        """
    )
    result = run_inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*wsreplay: cannot read the cassette {pytester.path}/broken.cassette: *"]
    )
    assert_no_traceback(result)


def test_a_bad_replay_flag_shows_why_the_server_did_not_start(pytester, recorded_cassette):
    pytester.makepyfile(test_speed=f"""
        import pytest

        @pytest.mark.wsreplay(cassette={recorded_cassette!r}, speed="fast")
        def test_x(wsreplay_url):
            pass
        """)
    result = run_inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*`*wsreplay replay*--speed fast*` exited with status 1 before it was ready:",
         "wsreplay: error: bad --speed 'fast'*"]
    )
    assert_no_traceback(result)


def test_replay_server_answers_http_on_the_same_port(pytester, recorded_cassette):
    """wsreplay_http_url reaches the replay listener (its control endpoint); speed is passed."""
    pytester.makepyfile(test_http=f"""
        import json
        import urllib.request

        import pytest

        @pytest.mark.wsreplay(cassette={recorded_cassette!r}, session="chat")
        def test_status(wsreplay, wsreplay_url, wsreplay_http_url):
            assert wsreplay_url.startswith("ws://127.0.0.1:")
            assert wsreplay_http_url == "http://" + wsreplay_url[len("ws://"):]
            with urllib.request.urlopen(wsreplay_http_url + "/__wsreplay/status") as r:
                status = json.load(r)
            print("STATUS", json.dumps(status))
            assert wsreplay.report()["session"] == "chat"
        """)
    result = run_inner(pytester, "--wsreplay-speed=10", "-s")
    result.assert_outcomes(passed=1)
    line = next(l for l in result.outlines if "STATUS " in l)
    status = json.loads(line[line.index("STATUS ") + 7:])
    assert status["clock"]["speed"] == "10x"


def test_replay_picks_the_session_named_after_the_test(pytester, recorded_cassette, wsreplay_bin):
    """Without session=, of a cassette's sessions the one named like the test is replayed."""
    named = pytester.path / "named.cassette"
    shutil.copy(recorded_cassette, named)
    tool = [wsreplay_bin, "sessions", str(named), "rename", "chat", "test_chat"]
    subprocess.run(tool, check=True, capture_output=True)
    both = pytester.path / "both.cassette"
    tool = [wsreplay_bin, "merge", str(both), recorded_cassette, str(named)]
    subprocess.run(tool, check=True, capture_output=True)
    pytester.makepyfile(test_pick="""
        import pytest

        @pytest.mark.wsreplay(cassette="both.cassette")
        def test_chat(wsreplay):
            assert wsreplay.session == "test_chat"
            assert wsreplay.report()["session"] == "test_chat"
        """)
    run_inner(pytester).assert_outcomes(passed=1)
