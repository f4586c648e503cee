#!/usr/bin/env bash
# Writes Fashion-MNIST (Debian's dataset-fashion-mnist: apt-get install dataset-fashion-mnist) as
# Parquet tables OUT/train and OUT/test (image_id, image: a 28x28 PNG, label), the first
# TRAIN_LIMIT and TEST_LIMIT images of each split if given. Uses the Spark of the Maven build.
#   data-samples/fashion-mnist/prepare.sh OUT [TRAIN_LIMIT [TEST_LIMIT]] [IDX_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:?usage: prepare.sh OUT [TRAIN_LIMIT [TEST_LIMIT]] [IDX_DIR]}"
TRAIN_LIMIT="${2:-2147483647}"
TEST_LIMIT="${3:-2147483647}"
IDX="${4:-/usr/share/datasets/fashion-mnist}"
if [[ ! -f "$IDX/train-images-idx3-ubyte.gz" ]]; then
  echo "prepare.sh: no Fashion-MNIST in $IDX (apt-get install dataset-fashion-mnist)" >&2
  exit 2
fi
CLASSPATH_FILE="$ROOT/job/target/classpath.txt"
OPTIONS_FILE="$ROOT/job/target/java-options.txt"
if [[ ! -f "$CLASSPATH_FILE" || ! -f "$OPTIONS_FILE" ]]; then
  (cd "$ROOT" && mvn -B -q -DskipTests package) >&2
fi
# shellcheck disable=SC2046
exec java $(cat "$OPTIONS_FILE") -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$(cat "$CLASSPATH_FILE")" "$ROOT/data-samples/fashion-mnist/FashionMnist.java" "$IDX" "$OUT" "$TRAIN_LIMIT" "$TEST_LIMIT"
