#!/usr/bin/env bash
# Obtains the full Fashion-MNIST IDX files and converts them to Distillery's canonical Parquet form:
#   OUT_DIR/train  (60,000 rows, 8 files)   OUT_DIR/test  (10,000 rows, 2 files)
#
# usage: data-samples/fetch-fashion-mnist.sh [IDX_DIR] [OUT_DIR]
#   IDX_DIR (or env FASHION_MNIST_DIR): a directory already holding the four .gz IDX files; used as is, no download.
#   OUT_DIR: where the Parquet goes, default data/fashion-mnist (relative to the repository root).
# Without IDX_DIR it tries Debian's dataset-fashion-mnist package (apt-get download, no root needed), then the
# official download. Run from anywhere; needs Java 17 and Maven. Fashion-MNIST: MIT, Copyright 2017 Zalando SE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${1:-${FASHION_MNIST_DIR:-}}"
OUT="${2:-$ROOT/data/fashion-mnist}"
FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
OFFICIAL_URL="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"

has_all() { for f in "${FILES[@]}"; do [[ -s "$1/$f" ]] || return 1; done; }

if [[ -n "$SRC" ]]; then
  has_all "$SRC" || { echo "error: '$SRC' does not hold all of: ${FILES[*]}" >&2; exit 2; }
  echo "using the IDX files in $SRC"
else
  SRC="$ROOT/data/fashion-mnist-idx"
  mkdir -p "$SRC"
  if ! has_all "$SRC"; then
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
    # Debian/Ubuntu ship the files in dataset-fashion-mnist under usr/share/datasets/fashion-mnist/.
    if command -v apt-get >/dev/null && (cd "$WORK" && apt-get download dataset-fashion-mnist) 2>/dev/null; then
      dpkg -x "$WORK"/dataset-fashion-mnist_*.deb "$WORK/deb"
      FOUND="$(dirname "$(find "$WORK/deb" -name train-images-idx3-ubyte.gz | head -n1)")"
      for f in "${FILES[@]}"; do cp "$FOUND/$f" "$SRC/"; done
      echo "took the IDX files from the Debian package dataset-fashion-mnist"
    else
      echo "Debian package not available; downloading from $OFFICIAL_URL"
      for f in "${FILES[@]}"; do curl -fsSL --retry 3 -o "$SRC/$f" "$OFFICIAL_URL/$f"; done
    fi
  fi
  has_all "$SRC" || { echo "error: could not obtain ${FILES[*]}" >&2; exit 1; }
fi

# Spark on Java 17 needs the module openings declared once in the parent POM.
OPENS="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$ROOT/pom.xml")"
SRC="$(cd "$SRC" && pwd)"
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
# CONVERT_CMD: a plain JVM (exec:exec) so that heap and --add-opens apply; Spark is a provided dependency, which
# the compile classpath includes. Replace with the distill CLI once it exists.
CONVERT_CMD=(mvn -q -B -f "$ROOT/pom.xml" -pl pipeline compile exec:exec -Dexec.executable=java -Dexec.classpathScope=compile "-Dexec.args=-Xmx4g $OPENS -classpath %classpath io.distillery.data.SampleGenerator full $SRC $OUT 8 2")
"${CONVERT_CMD[@]}"
echo "Fashion-MNIST Parquet: $OUT/train, $OUT/test"
