#!/usr/bin/env bash
# Every test of the book, in the order a failure is cheapest to find:
#  1. hclib's unit tests and doctests, offline;
#  2. every chapter notebook executed by nbval under the ci profile, offline;
#  3. the committed notebooks' check (real cpu/gpu outputs, run card first, small, no errors);
#  4. the site built from the committed outputs with warnings as errors, then opened page by
#     page in Chromium (no request leaves the site, maths typeset, images and widgets shown).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" HCLIB_PROFILE=ci PYTHONHASHSEED=0 TOKENIZERS_PARALLELISM=false
mkdir -p artifacts

# Run a command with no network but loopback, where this machine allows a network namespace;
# elsewhere the socket guard in tests/conftest.py still refuses connections during the tests.
offline() {
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    unshare -n bash -c 'ip link set lo up && exec "$@"' _ "$@"
  else
    echo "(no network namespace here; relying on the socket guard)"; "$@"
  fi
}

step() { echo; echo "== $1"; }
SECONDS=0
step "unit tests and doctests (offline)"
offline python -m pytest -q tests --doctest-modules hclib -m "not site"
step "chapters under nbval, profile ci (offline)"
offline python -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider chapters
step "site build"
jupyter-book build . --all --builder html -W -n --keep-going --quiet
step "site in a browser (offline)"
offline python -m pytest -q tests -m site
echo "all tests passed in ${SECONDS} s"
