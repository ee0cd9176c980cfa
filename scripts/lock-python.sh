#!/usr/bin/env bash
# Re-locks the Python requirements with hashes: spark-jobs/requirements-runtime.in → requirements-runtime.lock
# and spark-jobs/requirements-dev.in → requirements-dev.lock, with pip-tools in a throwaway venv (the
# project's .venv never holds pip-tools). Run it after editing a .in file; commit the .in and .lock files.
# Pins already in a lock are kept unless the .in file asks otherwise (pip-compile's default).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python_bin="${AQI_PYTHON:-python3}"
if ! "$python_bin" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  echo "lock-python: the locks are for Python 3.11 (EMR 7 runs 3.11); '$python_bin' is $("$python_bin" --version 2>&1). Point AQI_PYTHON at a 3.11." >&2
  exit 1
fi

tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
"$python_bin" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check pip==25.3 pip-tools==7.6.2

cd "$root/spark-jobs"
for set in runtime dev; do
  CUSTOM_COMPILE_COMMAND='bash scripts/lock-python.sh' \
    "$tools/venv/bin/pip-compile" --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-find-links --output-file "requirements-${set}.lock" "requirements-${set}.in"
done
echo "lock-python: wrote spark-jobs/requirements-runtime.lock and spark-jobs/requirements-dev.lock" >&2
