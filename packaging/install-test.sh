#!/usr/bin/env bash
# install-test.sh [DEB]: the Debian package as a user meets it, as root (CI). Installs DEB
# (default: build-pkg/wsreplay_*.deb) with `apt-get install ./DEB`, which pulls its Depends;
# checks the Depends name the runtime libraries (not -dev packages) and that every file is in
# place; runs `wsreplay --version` and `wsreplay demo` in a scratch directory; removes the
# package and checks /usr/bin/wsreplay is gone. The package is removed on failure too.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=${1:-$(ls build-pkg/wsreplay_*.deb 2>/dev/null | head -n 1)}
[ -n "$deb" ] && [ -f "$deb" ] || { echo "install-test: no package (run ./dev package)" >&2; exit 1; }
deb=$(realpath "$deb")  # apt-get install takes a path to a file, not a package name
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "install-test: $*" >&2; exit 1; }

version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
echo "install-test: $deb: Depends: $depends"
for lib in libwebsockets17 libsqlite3-0 libssl3 zlib1g libstdc++6 libc6; do
  [[ ", $depends," == *", $lib "* || ", $depends," == *", $lib,"* ]] ||
    fail "Depends lacks $lib"
done
[[ $depends != *-dev* ]] || fail "Depends names a -dev package"

if dpkg-query -W -f='${Status}' wsreplay 2>/dev/null | grep -q "install ok installed"; then
  fail "wsreplay is already installed; remove it first (apt-get remove wsreplay)"
fi

scratch=$(mktemp -d)
installed=false
cleanup() {
  rm -rf "$scratch"
  if $installed; then
    DEBIAN_FRONTEND=noninteractive as_root apt-get remove -y -qq wsreplay >/dev/null || true
  fi
}
trap cleanup EXIT

DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$deb" \
  >/dev/null
installed=true
[ "$(command -v wsreplay)" = /usr/bin/wsreplay ] || fail "wsreplay is not /usr/bin/wsreplay"
for f in /usr/share/man/man1/wsreplay.1.gz /usr/share/bash-completion/completions/wsreplay \
         /usr/share/doc/wsreplay/README.md; do
  [ -s "$f" ] || fail "$f missing"
done
zcat /usr/share/man/man1/wsreplay.1.gz | grep -q '^\.SS "wsreplay demo"' ||
  fail "the man page does not document the demo command"
bash -n /usr/share/bash-completion/completions/wsreplay || fail "the completion is not bash"

out=$(wsreplay --version)
echo "install-test: wsreplay --version: $out"
[[ $out == "wsreplay ${version%%-*} (cassette schema "*")" ]] || fail "unexpected --version"
(cd "$scratch" && wsreplay demo) || fail "wsreplay demo failed"

DEBIAN_FRONTEND=noninteractive as_root apt-get remove -y -qq wsreplay >/dev/null
installed=false
[ ! -e /usr/bin/wsreplay ] || fail "/usr/bin/wsreplay is still there after apt-get remove"
! dpkg-query -W -f='${Status}' wsreplay 2>/dev/null | grep -q "install ok installed" ||
  fail "dpkg still lists wsreplay as installed"
echo "install-test: installed, ran --version and demo, removed: ok"
