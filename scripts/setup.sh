#!/usr/bin/env bash
# Set up everything the book needs on a fresh machine. Safe to run again.
#  - a virtual environment in .venv with torch 2.13.0 installed first (an unpinned torch
#    would pull a multi-gigabyte CUDA build), then every package pinned in requirements.lock;
#  - Debian's Fashion-MNIST, Chromium and a Chinese font for the figures (WenQuanYi Micro Hei)
#    where apt-get exists (root or sudo);
#  - the JavaScript and fonts the site serves itself (MathJax 3, require.js, the widget manager,
#    Noto Sans SC in unicode-range subsets for Chinese text).
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
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
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
# Chinese text: Noto Sans SC at weight 400 in ~100 unicode-range subsets (woff2 only; bold is synthesised),
# and the theme's font stacks that use it (html_css_files in _config.yml)
noto="$modules/@fontsource/noto-sans-sc"
mkdir -p site-assets/fonts/noto-sans-sc
cp "$noto"/files/noto-sans-sc-*-400-normal.woff2 "$noto/LICENSE" site-assets/fonts/noto-sans-sc/
sed -e "s#url(./files/\([^)]*\.woff2\)) format('woff2'), url([^)]*\.woff) format('woff')#url(noto-sans-sc/\1) format('woff2')#" \
  "$noto/400.css" > site-assets/fonts/noto-sans-sc.css
if grep -q "\.woff)\|/files/" site-assets/fonts/noto-sans-sc.css; then
  echo "setup: unexpected @font-face rules in $noto/400.css" >&2; exit 1
fi
cp scripts/site-assets/fonts.css site-assets/fonts/
# Figures: let matplotlib see fonts installed since its font cache was written (hclib.plots.use_style
# adds the Chinese families it finds as fallbacks)
.venv/bin/python -c "from matplotlib import font_manager as fm; fm._load_fontmanager(try_read_cache=False)" \
  || echo "note: could not rebuild matplotlib's font cache; figures may not find a newly installed Chinese font"
echo "setup done: .venv, data, site assets and fonts"
