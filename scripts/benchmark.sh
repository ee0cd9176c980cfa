#!/usr/bin/env bash
# Prints the figures docs/BENCHMARKS.md records: offline synth time, the Spark suite and the jest suite.
# Run it on an otherwise idle machine; it changes nothing but cdk.out/.
#   bash scripts/benchmark.sh [--synth-only]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Wall seconds of a command, to 0.1 s, or FAILED when the command fails (its output is discarded).
seconds() {
  local start end
  start=$(date +%s%N)
  if ! "$@" >/dev/null 2>&1; then echo FAILED; return 0; fi
  end=$(date +%s%N)
  local tenths=$(( (end - start) / 100000000 ))
  echo "$(( tenths / 10 )).$(( tenths % 10 ))"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), node $(node --version)"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"

runs=()
for i in 1 2 3; do
  rm -rf cdk.out
  runs+=("$(seconds npx cdk synth --quiet)")
done
echo "cdk synth (offline, cold cdk.out), 3 runs: ${runs[*]} s"

[[ "${1:-}" == "--synth-only" ]] && exit 0

bash scripts/python-env.sh
echo "spark suite (pytest spark-jobs/tests): $(seconds .venv/bin/python -m pytest spark-jobs/tests -q) s"
echo "jest suite (all of test/): $(seconds npx jest) s"
