#!/usr/bin/env bash
# Rewrites data-samples/photos.parquet from data-samples/photos/: one row per photo, in file-name
# order, with id (bigint, 1..N), image (the file's bytes) and source (photos/NAME). Uses the Spark
# of the Maven build; builds the project first if it has not been built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLASSPATH_FILE="$ROOT/job/target/classpath.txt"
OPTIONS_FILE="$ROOT/job/target/java-options.txt"
if [[ ! -f "$CLASSPATH_FILE" || ! -f "$OPTIONS_FILE" ]]; then
  (cd "$ROOT" && mvn -B -q -DskipTests package) >&2
fi
# shellcheck disable=SC2046
exec java $(cat "$OPTIONS_FILE") -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$(cat "$CLASSPATH_FILE")" "$ROOT/data-samples/SampleParquet.java" "$ROOT/data-samples"
