#!/usr/bin/env bash
# Rewrites data-samples/photos.parquet from data-samples/photos/: one row per photo, in file-name
# order, with id (bigint, 1..N), image (the file's bytes) and source (photos/NAME).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$HERE/run-java.sh" "$HERE/SampleParquet.java" "$HERE"
