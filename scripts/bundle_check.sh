#!/usr/bin/env bash
# Install a bundle the way docs/operations.md does, with no network, and check it works:
# unpack into a temp dir, verify SHA256SUMS, run install.sh (pip --no-index only), then
# `minzheng --help`, `minzheng init` on SQLite in a temp data dir and `minzheng doctor`.
#
#   scripts/bundle_check.sh [dist/minzheng-….tar.gz]     PYTHON=/usr/bin/python3 by default
#
# As root with util-linux `unshare`, every step after unpacking runs in a new network
# namespace (no interface but a downed loopback): a download attempt fails instead of
# quietly succeeding. Otherwise PIP_NO_INDEX=1 and a pip config of /dev/null stand in.
# Not part of `make test` (the bundle is ~130 MB); run it after `make bundle`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=${1:-$(ls -t "$ROOT"/dist/minzheng-*.tar.gz 2>/dev/null | head -n1 || true)}
[ -n "$BUNDLE" ] && [ -f "$BUNDLE" ] || { echo "no bundle: run make bundle" >&2; exit 2; }
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    [ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3   # the distribution's, as on a server
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/minzheng-bundle-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

OFFLINE=()
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
    OFFLINE=(unshare -n)
    network="none (unshare -n)"
else
    network="not isolated (not root or no unshare): PIP_NO_INDEX=1 only"
fi

step() { printf '\n== %s\n' "$*"; }
offline() {
    "${OFFLINE[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 \
        PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null PYTHON="$PYTHON" \
        MINZHENG_DATA_DIR="$WORK/data" "$@"
}

step "bundle $(basename "$BUNDLE") ($(du -h "$BUNDLE" | cut -f1)); python $("$PYTHON" --version 2>&1); network: $network"
tar -xzf "$BUNDLE" -C "$WORK"
DIR=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'minzheng-*')
mkdir -p "$WORK/home" "$WORK/data"

if [ ${#OFFLINE[@]} -gt 0 ]; then
    step "network really is off"
    if offline "$PYTHON" -c 'import socket; socket.create_connection(("pypi.org", 443), 3)' 2>/dev/null; then
        echo "FAIL: the namespace reaches the network" >&2
        exit 1
    fi
    echo "ok: pypi.org unreachable"
fi

step "install.sh (sha256sum -c, venv, pip --no-index --require-hashes)"
(cd "$WORK" && offline "$DIR/install.sh" "$WORK/opt/minzheng")
MZ="$WORK/opt/minzheng/.venv/bin/minzheng"
cp -R "$WORK/opt/minzheng/static" "$WORK/data/static"   # as the doc's step: into the data dir

step "the package comes from the venv, not from a checkout"
(cd "$WORK" && offline "$WORK/opt/minzheng/.venv/bin/python" -c \
    'import minzheng, sys; p = minzheng.__file__; print(p); sys.exit("/.venv/lib/" not in p)')

step "minzheng --help"
(cd "$WORK" && offline "$MZ" --help >/dev/null && echo ok)

step "minzheng init (SQLite in $WORK/data)"
(cd "$WORK" && offline "$MZ" init)

step "minzheng doctor"
(cd "$WORK" && offline "$MZ" doctor)

step "minzheng doctor under the production settings (SQLite, a throwaway SECRET_KEY)"
(cd "$WORK" && offline env DJANGO_SETTINGS_MODULE=minzheng.settings_production \
    SECRET_KEY=bundle-check-not-a-secret-0123456789abcdefghijklmnop "$MZ" doctor)

step "gunicorn is installed (the web unit's server)"
(cd "$WORK" && offline "$WORK/opt/minzheng/.venv/bin/gunicorn" --version)

printf '\nbundle check passed: %s\n' "$(basename "$BUNDLE")"
