#!/usr/bin/env bash
# Creates the project's Python environment (.venv) from a hash-locked requirement set and fetches the
# Iceberg Spark runtime jar into a cache once. Safe to run repeatedly: it does nothing when both are
# current, so every entry point calls it first.
#
#   bash scripts/python-env.sh           the dev set (npm test, lint, bench): runtime + test and lint tools
#   bash scripts/python-env.sh runtime   the runtime set only (npm run demo, npm run local): PySpark
#
# The sets are spark-jobs/requirements-{runtime,dev}.lock (pip-compile --generate-hashes, see
# scripts/lock-python.sh); pip installs them in hash-checking mode, so a changed or substituted
# download fails the install. The dev lock repeats the runtime pins, so installing it satisfies both.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
set_name="${1:-dev}"
case "$set_name" in
  runtime | dev) ;;
  *)
    echo "python-env: unknown requirement set '$set_name'; use 'runtime' (what the local runtime runs) or 'dev' (the default: runtime + tests and tools)." >&2
    exit 2
    ;;
esac
lock_of() { echo "$root/spark-jobs/requirements-$1.lock"; }
stamp_of() { echo "$venv/.requirements-$1.sha256"; }

# One source for these pins: spark-jobs/versions.env (read by the CDK app's tests too).
# shellcheck source=../spark-jobs/versions.env
source "$root/spark-jobs/versions.env"

python_bin="${AQI_PYTHON:-python3}"
if ! "$python_bin" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  echo "aqi-pipeline needs Python 3.11 (EMR 7 runs 3.11); '$python_bin' is $("$python_bin" --version 2>&1)." >&2
  echo "Install Python 3.11 or point AQI_PYTHON at one." >&2
  exit 1
fi
if ! command -v java >/dev/null 2>&1; then
  echo "aqi-pipeline needs a Java 17 runtime for Spark; 'java' is not on PATH (Debian: apt-get install openjdk-17-jre-headless)." >&2
  exit 1
fi

# Checksums through Python's hashlib rather than GNU sha256sum/sha1sum, which macOS does not ship.
file_digest() { "$python_bin" -c 'import hashlib, sys; print(hashlib.new(sys.argv[1], open(sys.argv[2], "rb").read()).hexdigest())' "$1" "$2"; }

lock="$(lock_of "$set_name")"
want="$(file_digest sha256 "$lock")"
if [[ ! -f "$(stamp_of "$set_name")" || "$(cat "$(stamp_of "$set_name")")" != "$want" ]]; then
  echo "python-env: installing the $set_name set into $venv from $(basename "$lock") (a first install downloads pyspark, ~320 MB)..." >&2
  [[ -x "$venv/bin/python" ]] || "$python_bin" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$root/spark-jobs"
  echo "$want" > "$(stamp_of "$set_name")"
  if [[ "$set_name" == dev ]]; then file_digest sha256 "$(lock_of runtime)" > "$(stamp_of runtime)"; fi
fi

cache="${AQI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aqi-pipeline}/jars"
jar="$cache/$ICEBERG_JAR"
if [[ ! -f "$jar" ]]; then
  mkdir -p "$cache"
  url="https://repo1.maven.org/maven2/org/apache/iceberg/${ICEBERG_ARTIFACT}/${ICEBERG_VERSION}/${ICEBERG_JAR}"
  echo "python-env: fetching $ICEBERG_JAR into $cache ..." >&2
  tmp="$(mktemp "$cache/.download.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  curl --fail --silent --show-error --location --retry 3 -o "$tmp" "$url"
  got="$(file_digest sha1 "$tmp")"
  if [[ "$got" != "$ICEBERG_JAR_SHA1" ]]; then
    echo "python-env: $ICEBERG_JAR checksum mismatch (got $got, want $ICEBERG_JAR_SHA1); not installed." >&2
    exit 1
  fi
  mv "$tmp" "$jar"
fi
ln -sfn "$jar" "$venv/iceberg-spark-runtime.jar"
bash "$root/scripts/spark-class-archive.sh"
