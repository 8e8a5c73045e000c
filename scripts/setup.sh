#!/usr/bin/env bash
# Set up everything the book needs on a fresh machine. Safe to run again.
#  - a virtual environment in .venv with torch 2.13.0 installed first (an unpinned torch
#    would pull a multi-gigabyte CUDA build), then every package pinned in requirements.lock;
#  - Debian's Fashion-MNIST and Chromium where apt-get exists (root or sudo);
#  - the JavaScript the site serves itself (MathJax 3, require.js, the widget manager).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -c requirements.lock -e ".[book,dev]"

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  missing=()
  [ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get update -q >/dev/null || true
    $sudo apt-get install -y -q "${missing[@]}" >/dev/null \
      || echo "note: could not apt-get install ${missing[*]}; see README (Fashion-MNIST, browser checks)"
  fi
fi

(cd scripts/site-assets && npm ci --no-audit --no-fund --loglevel=error)
rm -rf site-assets && mkdir -p site-assets/requirejs
modules=scripts/site-assets/node_modules
cp -r "$modules/mathjax/es5" site-assets/mathjax
cp -r "$modules/@jupyter-widgets/html-manager/dist" site-assets/html-manager
cp "$modules/requirejs/require.js" scripts/site-assets/widgets-config.js site-assets/requirejs/
echo "setup done: .venv, data, site assets"
