#!/usr/bin/env bash
# Install everything benchgen needs into .venv and node_modules. Idempotent: re-running is cheap.
#   scripts/bootstrap.sh            runtime (measure, render, build the site)
#   scripts/bootstrap.sh --test     plus the test tools and Debian's chromium for the browser test,
#                                   and the ultralytics provider (so CI tests the real provider)
#   scripts/bootstrap.sh --ultralytics   runtime plus the ultralytics provider's own venv, .venv-ultralytics/
#                                   (AGPL-3.0 package; never installed into .venv, see benchgen/providers/ultralytics.py)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# The CPU build of torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install --quiet "torch==2.13.0"
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
.venv/bin/python -m pip install --quiet -e ".${extras}"

# The ultralytics provider: its own venv, so the AGPL package and its requirements never reach .venv.
# torchvision: a metadata-only stand-in (scripts/torchvision_stub.py says why), written before
# ultralytics so that pip takes it as the installed torchvision instead of fetching the CUDA wheel.
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--ultralytics" ]; then
  if [ ! -x .venv-ultralytics/bin/python ]; then
    "$python" -m venv .venv-ultralytics
  fi
  .venv-ultralytics/bin/python -m pip install --quiet --upgrade pip
  .venv-ultralytics/bin/python -m pip install --quiet "torch==2.13.0"
  .venv-ultralytics/bin/python scripts/torchvision_stub.py
  .venv-ultralytics/bin/python -m pip install --quiet "ultralytics==8.4.190" "onnx==1.23.2" "onnxslim==0.1.98" \
    "onnxruntime==1.32.0"
fi

# Chart.js and tablesort, pinned in package-lock.json, served by the site itself (no CDN).
npm ci --no-audit --no-fund --loglevel=error

if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null 2>&1; then
  sudo_cmd=""
  if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get install -y -qq chromium >/dev/null 2>&1 || {
    $sudo_cmd apt-get update -qq >/dev/null && $sudo_cmd apt-get install -y -qq chromium >/dev/null; }
fi
