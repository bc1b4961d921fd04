"""Running the `wsreplay` binary: finding it, starting a server, stopping it, reading its report.

Nothing here knows about pytest. A `ServerProcess` owns one child process (a `wsreplay replay`,
`record` or `auto`) and a private temporary directory (its stderr and the JSON report); both
are gone once `stop()` returned. Not thread-safe: one test drives one `ServerProcess`.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import List, Optional

READY_PREFIX = "listening on "
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0


class WsreplayError(Exception):
    """A problem the user must fix (no binary, no cassette, a server that would not start).

    Its message is complete on its own: the plugin shows it without a traceback.
    """


def find_binary(environ=None) -> str:
    """The wsreplay executable: `$WSREPLAY_BIN` if set, else `wsreplay` on `PATH`."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("WSREPLAY_BIN")
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise WsreplayError(f"WSREPLAY_BIN={explicit} is not an executable file")
    found = shutil.which("wsreplay", path=environ.get("PATH"))
    if not found:
        raise WsreplayError(
            "the wsreplay binary was not found: put `wsreplay` on PATH or set "
            "WSREPLAY_BIN=/path/to/wsreplay"
        )
    return found


def cassette_sessions(binary: str, cassette: str) -> List[str]:
    """The session names in `cassette` (via `wsreplay ls`); [] when the file does not exist."""
    if not os.path.exists(cassette):
        return []
    done = subprocess.run(
        [binary, "ls", cassette], capture_output=True, text=True, errors="replace", check=False
    )
    if done.returncode != 0:
        raise WsreplayError(f"cannot read the cassette {cassette}: {done.stderr.strip()}")
    return re.findall(r"^session (.+?)  \(", done.stdout, re.M)


def run_tool(binary: str, *args: str) -> None:
    """Runs a short wsreplay command (e.g. `sessions F rm S`); raises WsreplayError on failure."""
    done = subprocess.run(
        [binary, *args], capture_output=True, text=True, errors="replace", check=False
    )
    if done.returncode != 0:
        raise WsreplayError(f"`wsreplay {' '.join(args)}` failed: {done.stderr.strip()}")


@dataclass
class StopResult:
    """What a stopped server left: its exit status, its stderr and (replay only) its report."""

    returncode: int
    stderr: str
    exited_early: bool  # it had already exited before stop() asked it to
    killed: bool  # it ignored SIGTERM for STOP_TIMEOUT_S and was killed
    report: Optional[dict] = None  # the --report-json document, when the server replayed
    report_text: str = ""  # the text report from stderr ("replay report: ..."), when any
    log: str = field(default="")  # stderr without the text report

    @property
    def clean(self) -> bool:
        return bool(self.report and self.report.get("clean"))


def split_report(stderr: str):
    """Splits wsreplay's stderr into (log lines, text report starting at 'replay report:')."""
    index = stderr.find("replay report:")
    if index < 0:
        return stderr, ""
    return stderr[:index], stderr[index:]


class ServerProcess:
    """One wsreplay server process: start() waits for its readiness line, stop() ends it."""

    def __init__(self, argv: List[str], with_report: bool):
        """`argv` without `--listen`/`--report-json` (added here). `with_report`: replay/auto."""
        self._dir = tempfile.mkdtemp(prefix="wsreplay-pytest-")
        self._report_path = os.path.join(self._dir, "report.json")
        self._stderr_path = os.path.join(self._dir, "stderr.txt")
        self.argv = list(argv) + ["--listen", "127.0.0.1:0"]
        if with_report:
            self.argv += ["--report-json", self._report_path]
        self.url: Optional[str] = None
        self._proc: Optional[subprocess.Popen] = None
        self._result: Optional[StopResult] = None

    def start(self, timeout: float = START_TIMEOUT_S) -> str:
        """Starts the process and returns its `ws://127.0.0.1:PORT` once it listens."""
        with open(self._stderr_path, "wb") as err:
            try:
                self._proc = subprocess.Popen(
                    self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err
                )
            except OSError as e:
                self._cleanup()
                raise WsreplayError(f"cannot run {self.argv[0]}: {e}") from None
        line = self._read_ready_line(timeout)
        if line is not None and not line.startswith(READY_PREFIX):
            # stdout ended (or said something else): the process is exiting; reap it so that
            # stop() reports its exit status rather than signalling it.
            try:
                self._proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        if line is None or not line.startswith(READY_PREFIX):
            result = self.stop()
            what = (
                f"exited with status {result.returncode}"
                if result.exited_early
                else f"printed no readiness line within {timeout:.0f} s"
            )
            raise WsreplayError(
                f"`{' '.join(self.argv)}` {what} before it was ready:\n{result.stderr.strip()}"
            )
        self.url = line[len(READY_PREFIX) :].strip()
        return self.url

    def _read_ready_line(self, timeout: float) -> Optional[str]:
        """The first stdout line; '' at EOF (the process ended); None when `timeout` passed."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        data = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in data:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 4096)
                if not chunk:
                    return ""
                data += chunk
        return data.split(b"\n", 1)[0].decode("utf-8", "replace")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def result(self) -> Optional[StopResult]:
        return self._result

    def stop(self) -> StopResult:
        """SIGTERMs the server (if still running), waits, collects. Idempotent."""
        if self._result is not None:
            return self._result
        assert self._proc is not None
        exited_early = self._proc.poll() is not None
        killed = False
        if not exited_early:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
                killed = True
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        with open(self._stderr_path, "rb") as f:
            stderr = f.read().decode("utf-8", "replace")
        report = None
        if os.path.exists(self._report_path):
            try:
                with open(self._report_path, encoding="utf-8") as f:
                    report = json.load(f)
            except ValueError:
                report = None
        log, report_text = split_report(stderr)
        self._result = StopResult(
            returncode=self._proc.returncode,
            stderr=stderr,
            exited_early=exited_early,
            killed=killed,
            report=report,
            report_text=report_text,
            log=log,
        )
        self._cleanup()
        return self._result

    def _cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
