#!/usr/bin/env bash
# Writes seven versions of each sample photo to OUT (PHOTO__VERSION.EXT): original, half size,
# JPEG quality 25, centre 85% crop, 30% brighter, black border, corner watermark. The near-
# duplicate figures of the README were measured on them.
#   data-samples/near-duplicates/prepare.sh OUT [PHOTOS_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:?usage: prepare.sh OUT [PHOTOS_DIR]}"
exec java -Djava.awt.headless=true "$ROOT/data-samples/near-duplicates/Versions.java" "${2:-$ROOT/data-samples/photos}" "$OUT"
