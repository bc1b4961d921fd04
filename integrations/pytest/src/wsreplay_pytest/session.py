"""What one test gets from the plugin: resolved settings and the server started for it.

`Settings` is the merge of the command-line options and the test's `wsreplay` marker.
`WsreplayServer` is the object behind the `wsreplay` fixture: it starts the right wsreplay
command for the mode (replay, record, auto; nothing for off), exposes the URLs, stops the
server and turns what it left into report sections and, when due, a failure text. One per
test, used from the test's thread only.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .process import ServerProcess, StopResult, WsreplayError, cassette_sessions, run_tool

MODES = ("replay", "record", "auto", "off")
# While `record` re-records a session that already exists, the new one is written under this
# suffix and renamed over the old one only when the recording ended cleanly.
NEW_SESSION_SUFFIX = ".wsreplay-new"


@dataclass
class Settings:
    """Everything needed to serve one test. Paths are absolute."""

    mode: str = "replay"
    cassette: str = ""
    session: Optional[str] = None  # None: the test's default session (see WsreplayServer)
    default_session: str = "default"  # the test's name, used when `session` is None
    upstream: Optional[str] = None
    strict: bool = False
    speed: Optional[str] = None
    args: List[str] = field(default_factory=list)  # extra flags for replay/record/auto

    def validate(self) -> None:
        if self.mode not in MODES:
            raise WsreplayError(f"bad wsreplay mode '{self.mode}': use one of {', '.join(MODES)}")
        if self.mode in ("record", "auto", "off") and not self.upstream:
            raise WsreplayError(
                f"wsreplay mode '{self.mode}' needs an upstream: pass --wsreplay-upstream URL "
                "(e.g. wss://app.thenvoi.com) or upstream= in the wsreplay marker"
            )


def to_http(url: str) -> str:
    """ws://H:P/x -> http://H:P/x, wss:// -> https:// (other URLs unchanged)."""
    for ws, http in (("ws://", "http://"), ("wss://", "https://")):
        if url.startswith(ws):
            return http + url[len(ws) :]
    return url


class WsreplayServer:
    """The server of one test (the `wsreplay` fixture's value).

    Attributes: `mode`, `cassette`, `session`, `url` (`ws://127.0.0.1:PORT`, or the upstream
    in `off` mode), `http_url`, `replaying` (a replay report is expected), `result` (a
    `StopResult` once stopped).
    """

    def __init__(self, binary: Optional[str], settings: Settings):
        self.settings = settings
        self.mode = settings.mode
        self.cassette = settings.cassette
        self.session: Optional[str] = settings.session
        self.url: Optional[str] = None
        self.http_url: Optional[str] = None
        self.replaying = False
        self._binary = binary
        self._process: Optional[ServerProcess] = None
        self._record_as: Optional[str] = None  # a temporary session name while re-recording
        self._finish_error: Optional[str] = None
        self.result: Optional[StopResult] = None

    # --- start -------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the server for the mode; raises WsreplayError with a user-facing message."""
        s = self.settings
        s.validate()
        if s.mode == "off":
            self.url = s.upstream
            self.http_url = to_http(s.upstream)
            return
        assert self._binary is not None
        argv = self._argv()
        self._process = ServerProcess(argv, with_report=self.replaying)
        self.url = self._process.start()
        self.http_url = to_http(self.url)

    def _argv(self) -> List[str]:
        s, b = self.settings, self._binary
        existing = cassette_sessions(b, s.cassette)
        if s.mode == "replay":
            if not os.path.exists(s.cassette):
                raise WsreplayError(
                    f"cassette {s.cassette} does not exist: record it with "
                    "--wsreplay-mode=record (or auto) --wsreplay-upstream URL"
                )
            if self.session is None and s.default_session in existing:
                self.session = s.default_session
            self.replaying = True
            argv = [b, "replay", "--cassette", s.cassette]
            if self.session is not None:
                argv += ["--session", self.session]
            return argv + self._speed() + s.args
        if self.session is None:
            self.session = s.default_session
        os.makedirs(os.path.dirname(s.cassette) or ".", exist_ok=True)
        if s.mode == "auto":
            self.replaying = self.session in existing
            argv = [b, "auto", "--cassette", s.cassette, "--session", self.session]
            return argv + ["--upstream", s.upstream] + self._speed() + s.args
        # record: always a fresh recording; an existing session is replaced when it succeeds.
        name = self.session
        if name in existing:
            self._record_as = name + NEW_SESSION_SUFFIX
            if self._record_as in existing:  # left over by an interrupted run
                run_tool(b, "sessions", s.cassette, "rm", self._record_as)
            name = self._record_as
        argv = [b, "record", "--cassette", s.cassette, "--session", name]
        return argv + ["--upstream", s.upstream] + s.args

    def _speed(self) -> List[str]:
        return ["--speed", str(self.settings.speed)] if self.settings.speed is not None else []

    # --- while running -----------------------------------------------------------------------

    def report(self) -> dict:
        """The replay report so far (`GET /__wsreplay/report`); replay (and auto replaying) only."""
        if not self.replaying or self._process is None or not self._process.running:
            raise WsreplayError("no replay server is running for this test")
        with urllib.request.urlopen(self.http_url + "/__wsreplay/report", timeout=10) as r:
            return json.load(r)

    # --- stop --------------------------------------------------------------------------------

    def stop(self) -> Optional[StopResult]:
        """Stops the server (idempotent) and, after a re-recording, swaps the new session in."""
        if self._process is None or self.result is not None:
            return self.result
        self.result = self._process.stop()
        if self._record_as and self.result.returncode == 0 and not self.result.exited_early:
            try:
                run_tool(self._binary, "sessions", self.cassette, "rm", self.session)
                run_tool(self._binary, "sessions", self.cassette, "rename", self._record_as,
                         self.session)
            except WsreplayError as e:
                self._finish_error = str(e)
        return self.result

    def sections(self) -> List[Tuple[str, str]]:
        """(title, text) sections for the test report: the replay report and the server log."""
        r = self.result
        if r is None:
            return []
        out = []
        if r.report_text.strip():
            out.append(("wsreplay report", r.report_text.rstrip() + "\n"))
        if r.log.strip():
            out.append((f"wsreplay {self.mode} stderr", r.log.rstrip() + "\n"))
        return out

    def failure(self) -> Optional[str]:
        """Why a test that passed must fail anyway, or None."""
        r = self.result
        if r is None:
            return None
        cmd = f"wsreplay {self.mode}"
        if r.exited_early:
            return (f"{cmd} exited with status {r.returncode} while the test ran:\n"
                    f"{r.stderr.rstrip()}")
        if r.killed:
            return f"{cmd} did not stop on SIGTERM and was killed:\n{r.stderr.rstrip()}"
        if r.returncode != 0:
            return f"{cmd} exited with status {r.returncode}:\n{r.stderr.rstrip()}"
        if self._finish_error:
            return self._finish_error
        if self.replaying and self.settings.strict:
            if r.report is None:
                return f"{cmd} wrote no report:\n{r.stderr.rstrip()}"
            if not r.clean:
                return (
                    f"wsreplay --strict: the replay of session '{r.report.get('session')}' is not "
                    f"clean ({r.report.get('mismatches')} mismatches, "
                    f"{r.report.get('undelivered')} undelivered)\n\n{r.report_text.rstrip()}"
                )
        return None
