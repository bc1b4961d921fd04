"""Installs the plugin offline into a throwaway venv and proves pytest loads it by entry point.

Usage: /usr/bin/python3 install_check.py PLUGIN_DIR   (run by CTest as pytest_plugin_install)

Steps: copy PLUGIN_DIR to a temporary directory (pip builds in place; the source tree stays
untouched), `python3 -m venv --system-site-packages` (Debian's pytest and setuptools),
`pip install --no-index --no-build-isolation`, then check that `pytest --help` lists the
plugin's options and that a test using `wsreplay_url` (mode off: no server) passes with the
plugin loaded from the venv, not from the source tree. Exits 1 with the failing step's output.
Not collected by pytest (no test_ prefix).
"""

import os
import shutil
import subprocess
import sys
import tempfile

SMOKE_TEST = """
import wsreplay_pytest

def test_smoke(wsreplay_url, wsreplay_http_url):
    assert wsreplay_url == "ws://127.0.0.1:9/api"
    assert wsreplay_http_url == "http://127.0.0.1:9/api"
    print("PLUGIN AT", wsreplay_pytest.__file__)
"""


def run(argv, **kwargs) -> str:
    """Runs argv; returns its output, or exits 1 showing it when the command failed."""
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        print(f"FAILED ({done.returncode}): {' '.join(argv)}\n{done.stdout}\n{done.stderr}")
        sys.exit(1)
    return done.stdout


def check(condition: bool, what: str, output: str) -> None:
    if not condition:
        print(f"FAILED: {what}\n{output}")
        sys.exit(1)


def main() -> None:
    plugin_dir = os.path.abspath(sys.argv[1])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory(prefix="wsreplay-pytest-install-") as tmp:
        source = os.path.join(tmp, "src-copy")
        shutil.copytree(plugin_dir, source, ignore=shutil.ignore_patterns(
            "tests", "build", "*.egg-info", "__pycache__"))
        venv = os.path.join(tmp, "venv")
        run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv], env=env)
        python = os.path.join(venv, "bin", "python")
        run([os.path.join(venv, "bin", "pip"), "install", "--no-index", "--no-build-isolation",
             "--no-cache-dir", source], env=env)

        helptext = run([python, "-m", "pytest", "-p", "no:cacheprovider", "--help"], env=env,
                       cwd=tmp)
        check("--wsreplay-mode" in helptext, "pytest --help lists --wsreplay-mode", helptext)

        with open(os.path.join(tmp, "test_smoke.py"), "w") as f:
            f.write(SMOKE_TEST)
        out = run([python, "-m", "pytest", "-p", "no:cacheprovider", "-s", "test_smoke.py",
                   "--wsreplay-mode=off", "--wsreplay-upstream=ws://127.0.0.1:9/api"],
                  env=env, cwd=tmp)
        check("1 passed" in out, "the smoke test passes", out)
        check(f"PLUGIN AT {venv}" in out, "the plugin is loaded from the venv", out)
    print("ok: installed offline, loaded through the pytest11 entry point")


if __name__ == "__main__":
    main()
