#!/usr/bin/env bash
# EMR bootstrap action of every aqi-pipeline cluster (runs as the hadoop user on each node before
# applications start; a non-zero exit fails the cluster with this script's stderr in the bootstrap log).
#   1. checks the interpreter the cluster configuration pins for PySpark exists and is Python >= 3.11;
#   2. installs the pinned Python packages the stages import on it (requirements-emr.txt: boto3, for
#      the OpenAQ API-key secret);
#   3. installs the step wrapper aqi-spark-submit into /usr/local/bin.
#
# Usage: bootstrap.sh [--dry-run] <files prefix> <python> <wrapper path>
#   <files prefix>  s3:// prefix ending in '/' holding requirements-emr.txt and aqi-spark-submit
#   <python>        the interpreter spark.pyspark.python names (lib/workflow/emr-node.ts)
#   <wrapper path>  where the step wrapper goes, as the step arguments call it
#   --dry-run prints each command instead of running it.
set -euo pipefail

dry_run=false
if [[ "${1:-}" == "--dry-run" ]]; then
  dry_run=true
  shift
fi
if [[ $# -ne 3 || "$1" != s3://*/ ]]; then
  echo "bootstrap.sh: expected <s3:// files prefix ending in '/'> <python> <wrapper path>; got: $*" >&2
  exit 2
fi
prefix="$1"
python="$2"
wrapper_target="$3"

run() {
  if [[ "${dry_run}" == true ]]; then
    echo "+ $*"
  else
    "$@"
  fi
}

if ! "${python}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "bootstrap.sh: ${python} is missing or older than Python 3.11; the stages need 3.11 (EMR 7.x ships it)." \
    "Use an EMR 7.x release label that ships Python 3.11 at ${python}, or change EMR_NODE.python in lib/workflow/emr-node.ts." >&2
  exit 1
fi

workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT
run aws s3 cp --only-show-errors "${prefix}requirements-emr.txt" "${workdir}/requirements-emr.txt"
run aws s3 cp --only-show-errors "${prefix}aqi-spark-submit" "${workdir}/aqi-spark-submit"

# Some Python builds ship pip as a separate OS package (Amazon Linux 2023: python3.11-pip).
if ! "${python}" -m pip --version >/dev/null 2>&1; then
  run sudo dnf install -y -q python3.11-pip
fi
run sudo "${python}" -m pip install --quiet --no-cache-dir --disable-pip-version-check \
  --no-deps -r "${workdir}/requirements-emr.txt"
run sudo install -m 0755 "${workdir}/aqi-spark-submit" "${wrapper_target}"
echo "bootstrap.sh: ${python} has the pinned packages of ${prefix}requirements-emr.txt; step wrapper at ${wrapper_target}"
