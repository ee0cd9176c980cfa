#!/usr/bin/env bash
# Fetches the jars the local runtime's --aws-fidelity mode adds to every spark-submit, into the same cache
# as the Iceberg runtime jar (scripts/python-env.sh), and links them into .venv/aws-fidelity-jars/.
# Only that mode calls this, so an ordinary run or `npm test` without the fidelity test never downloads them.
# Every jar is checked against the SHA-1 Maven Central publishes for it (the .sha1 file), pinned below.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
# shellcheck source=../spark-jobs/versions.env
source "$root/spark-jobs/versions.env"

# pyspark 3.5.5 ships Hadoop 3.3.4 (hadoop-client-api-3.3.4.jar); hadoop-aws must be the same release,
# and 3.3.4's S3A is built against AWS SDK for Java v1 1.12.262 (hadoop-project pom, aws-java-sdk.version).
hadoop_version=3.3.4
aws_sdk_v1=1.12.262
if ! compgen -G "$venv/lib/python3.11/site-packages/pyspark/jars/hadoop-client-api-$hadoop_version.jar" >/dev/null; then
  echo "aws-fidelity-jars: hadoop-aws is pinned to $hadoop_version, but the venv's pyspark ships another Hadoop" \
    "($(ls "$venv"/lib/python3.11/site-packages/pyspark/jars/ | grep -o 'hadoop-client-api-[0-9.]*' || echo none));" \
    "update hadoop_version, aws_sdk_v1 and the checksums in $0 to match it." >&2
  exit 1
fi

# group path | artifact | version | sha1 (from Maven Central's .sha1 file)
# Iceberg's Glue catalog and S3FileIO (AWS SDK v2, bundled): the same release as the Iceberg runtime.
# S3A for s3:// (standing in for EMRFS): hadoop-aws and the SDK v1 modules it loads. hadoop-aws declares
# the 280 MB aws-java-sdk-bundle; the modules S3A actually links (core, s3, kms, dynamodb for its S3Guard
# classes) and their own dependencies are 5.6 MB, so those are fetched instead. jackson-dataformat-cbor
# follows Spark's Jackson (2.15.2), not the SDK's 2.12.6, so one Jackson version is on the classpath.
jars=(
  "org/apache/iceberg|iceberg-aws-bundle|$ICEBERG_VERSION|b7c2c63a1046479da456478800b3fed18346dc4c"
  "org/apache/hadoop|hadoop-aws|$hadoop_version|a65839fbf1869f81a1632e09f415e586922e4f80"
  "com/amazonaws|aws-java-sdk-core|$aws_sdk_v1|2734ba5566476d9154e5460dedbc83de95a9016d"
  "com/amazonaws|aws-java-sdk-s3|$aws_sdk_v1|71be2e0d2fa870424649e140c689abeda20e55ea"
  "com/amazonaws|aws-java-sdk-kms|$aws_sdk_v1|01cf105b9ea7747356a483270ba7e110fcf3324d"
  "com/amazonaws|aws-java-sdk-dynamodb|$aws_sdk_v1|215de3e7087ad7880eed1215c16734cca21662a7"
  "com/amazonaws|jmespath-java|$aws_sdk_v1|866bcdec4e926fa17a231df6dd76eecdcfa26292"
  "software/amazon/ion|ion-java|1.0.2|ee9dacea7726e495f8352b81c12c23834ffbc564"
  "com/fasterxml/jackson/dataformat|jackson-dataformat-cbor|2.15.2|baafc85c70765594add14bd93f3efd68e1945b76"
)

cache="${AQI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aqi-pipeline}/jars"
links="$venv/aws-fidelity-jars"
mkdir -p "$cache"
rm -rf "$links.new"
mkdir -p "$links.new"
for entry in "${jars[@]}"; do
  IFS='|' read -r group artifact version sha1 <<<"$entry"
  file="$artifact-$version.jar"
  if [[ ! -f "$cache/$file" ]]; then
    echo "aws-fidelity-jars: fetching $file into $cache ..." >&2
    tmp="$(mktemp "$cache/.download.XXXXXX")"
    curl --fail --silent --show-error --location --retry 3 -o "$tmp" \
      "https://repo1.maven.org/maven2/$group/$artifact/$version/$file" || { rm -f "$tmp"; exit 1; }
    got="$(sha1sum "$tmp" | cut -d' ' -f1)"
    if [[ "$got" != "$sha1" ]]; then
      rm -f "$tmp"
      echo "aws-fidelity-jars: $file checksum mismatch (got $got, want $sha1); not installed." >&2
      exit 1
    fi
    mv "$tmp" "$cache/$file"
  fi
  ln -sfn "$cache/$file" "$links.new/$file"
done
rm -rf "$links"
mv "$links.new" "$links"
