#!/usr/bin/env bash
# Device check of the torch-cuda backend, for a machine with PyTorch + CUDA and no network.
#
#   scripts/devcheck-gpu.sh --prepare   # here, with the package index: fetch the small wheels it may need
#   scripts/devcheck-gpu.sh             # there, from the checkout root: measure all 9 PyTorch variants
#   scripts/devcheck-gpu.sh --results "$OUT/results"   # options after the first go to scripts/devcheck_gpu.py
#
# On the GPU machine it installs benchgen into the Python that has PyTorch with
# `pip install --no-deps -e .` (or runs it from the checkout where that cannot be done), puts
# whatever of pydantic / PyYAML / nvidia-ml-py is missing into .devcheck-site/ from the wheels
# carried in .devcheck-wheels/ (pip --no-index: nothing is downloaded), then times every
# DAMO-YOLO and RT-DETRv2 variant with the torch-cuda backend (scripts/devcheck_gpu.py), writes
# the results under results/<gpu machine id>/ and prints a summary. About 8 minutes at most:
# each variant has at most DEVCHECK_BUDGET seconds of timed runs (default 15) and none starts
# after DEVCHECK_DEADLINE seconds (default 400).
#
# Environment: PYTHON (default python3), DEVCHECK_WHEELS (default .devcheck-wheels),
# DEVCHECK_SITE (default .devcheck-site), DEVCHECK_PYTHONS (for --prepare, default "3.10 3.11 3.12 3.13 3.14").
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
WHEELS=${DEVCHECK_WHEELS:-.devcheck-wheels}
SITE=${DEVCHECK_SITE:-.devcheck-site}
# what the torch-cuda path imports besides torch and numpy (which every PyTorch install has)
PACKAGES=(pydantic pyyaml nvidia-ml-py "setuptools>=77")

if [[ "${1:-}" == "--prepare" ]]; then
    mkdir -p "$WHEELS"
    for version in ${DEVCHECK_PYTHONS:-3.10 3.11 3.12 3.13 3.14}; do
        "$PYTHON" -m pip download --quiet --only-binary=:all: --dest "$WHEELS" --python-version "$version" \
            --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
            --platform any "${PACKAGES[@]}" || echo "devcheck: warning: no complete set of wheels for Python $version"
    done
    du -sh "$WHEELS"
    ls "$WHEELS"
    exit 0
fi

started=$(date +%s)
"$PYTHON" -c '
import sys
try:
    import torch
except ImportError:
    sys.exit("devcheck: error: PyTorch is not installed in this Python; the torch-cuda backend needs it")
if not torch.cuda.is_available():
    sys.exit(f"devcheck: error: torch {torch.__version__} (CUDA {torch.version.cuda}) sees no CUDA device")
print(f"python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"{torch.cuda.get_device_name(0)}")
'

# Missing dependencies go into a folder of their own on PYTHONPATH, so the machine's PyTorch
# environment is not changed; nothing is downloaded (--no-index).
export PYTHONPATH="$PWD/$SITE${PYTHONPATH:+:$PYTHONPATH}"
find_links=()
if [[ -d "$WHEELS" ]]; then find_links=(--find-links "$WHEELS"); fi
missing=$("$PYTHON" -c '
import importlib.util
wanted = {"pydantic": "pydantic", "yaml": "pyyaml", "pynvml": "nvidia-ml-py"}
print(" ".join(dist for module, dist in wanted.items() if importlib.util.find_spec(module) is None))
')
if [[ -n "$missing" ]]; then
    echo "installing into $SITE from $WHEELS (no index): $missing"
    # shellcheck disable=SC2086  # one word per package
    "$PYTHON" -m pip install --quiet --no-index "${find_links[@]}" --target "$SITE" $missing \
        || echo "devcheck: warning: could not install $missing from $WHEELS (run --prepare where an index is reachable)"
fi
# The editable install builds with setuptools>=77 (PEP 639 licence field): from $SITE if the machine's is older.
if ! "$PYTHON" -c 'import sys, setuptools; sys.exit(int(setuptools.__version__.split(".")[0]) < 77)' 2>/dev/null; then
    "$PYTHON" -m pip install --quiet --no-index "${find_links[@]}" --target "$SITE" "setuptools>=77" || true
fi
if "$PYTHON" -m pip install --quiet --no-deps --no-build-isolation -e . 2>"$SITE.pip.log"; then
    echo "benchgen installed with pip install --no-deps -e ."
else
    echo "devcheck: note: pip install --no-deps -e . failed ($(tail -1 "$SITE.pip.log")); running from the checkout"
    export PYTHONPATH="$PWD:$PYTHONPATH"
fi

set +e
"$PYTHON" scripts/devcheck_gpu.py --budget "${DEVCHECK_BUDGET:-15}" --deadline "${DEVCHECK_DEADLINE:-400}" "$@"
code=$?
set -e
echo "devcheck finished in $(( $(date +%s) - started )) s (exit $code)"
exit $code
