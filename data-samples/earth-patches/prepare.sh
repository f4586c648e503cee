#!/usr/bin/env bash
# Writes the geolocation stand-in: OUT/train and OUT/test (image_id, image: a SIZE x SIZE JPEG
# patch of NASA's Blue Marble, lat, lng: the patch's centre), TRAIN and TEST patches centred on
# points drawn where NASA's Earth at night is bright. The two images come with Debian's
# marble-qt-data (apt-get install marble-qt-data).
#   data-samples/earth-patches/prepare.sh OUT [TRAIN [TEST [SIZE]]]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: prepare.sh OUT [TRAIN [TEST [SIZE]]]}"
MAPS=/usr/share/marble/data/maps/earth
if [[ ! -f "$MAPS/bluemarble/bluemarble.jpg" ]]; then
  echo "prepare.sh: no $MAPS/bluemarble/bluemarble.jpg (apt-get install marble-qt-data)" >&2
  exit 2
fi
exec "$HERE/../run-java.sh" "$HERE/EarthPatches.java" "$MAPS/bluemarble/bluemarble.jpg" \
  "$MAPS/citylights/citylights.jpg" "$OUT" "${2:-600}" "${3:-200}" "${4:-48}"
