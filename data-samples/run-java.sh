#!/usr/bin/env bash
# Runs a single-file Java program of data-samples/ with the Spark of the Maven build on its
# classpath (building the project first if it has not been built):
#   data-samples/run-java.sh data-samples/SampleParquet.java ARGS...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLASSPATH_FILE="$ROOT/job/target/classpath.txt"
OPTIONS_FILE="$ROOT/job/target/java-options.txt"
if [[ ! -f "$CLASSPATH_FILE" || ! -f "$OPTIONS_FILE" ]]; then
  (cd "$ROOT" && mvn -B -q -DskipTests package) >&2
fi
# shellcheck disable=SC2046
exec java $(cat "$OPTIONS_FILE") -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$(cat "$CLASSPATH_FILE")" "$@"
