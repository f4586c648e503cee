#!/usr/bin/env bash
# Writes Fashion-MNIST (Debian's dataset-fashion-mnist: apt-get install dataset-fashion-mnist) as
# Parquet tables OUT/train and OUT/test (image_id, image: a 28x28 PNG, label), the first
# TRAIN_LIMIT and TEST_LIMIT images of each split if given.
#   data-samples/fashion-mnist/prepare.sh OUT [TRAIN_LIMIT [TEST_LIMIT]] [IDX_DIR]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: prepare.sh OUT [TRAIN_LIMIT [TEST_LIMIT]] [IDX_DIR]}"
IDX="${4:-/usr/share/datasets/fashion-mnist}"
if [[ ! -f "$IDX/train-images-idx3-ubyte.gz" ]]; then
  echo "prepare.sh: no Fashion-MNIST in $IDX (apt-get install dataset-fashion-mnist)" >&2
  exit 2
fi
exec "$HERE/../run-java.sh" "$HERE/FashionMnist.java" "$IDX" "$OUT" "${2:-2147483647}" "${3:-2147483647}"
