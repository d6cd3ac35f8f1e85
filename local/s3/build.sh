#!/usr/bin/env bash
# Builds the local S3 server, versitygw (Apache-2.0), from the Go module proxy into the cache
# outside the repository, once per version (about 40 s on 2 cores); prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")"
VERSION="$(cat VERSION)"
OUT_DIR="${STEWARD_CACHE:-$HOME/.cache/steward}/versitygw-${VERSION}"
BIN="$OUT_DIR/versitygw"
if [[ -x "$BIN" ]]; then
  echo "$BIN"; exit 0
fi
mkdir -p "$OUT_DIR"
echo "building versitygw ${VERSION} from the Go module proxy into ${OUT_DIR} (first run only)" >&2
GOBIN="$OUT_DIR" CGO_ENABLED=0 go install -trimpath "github.com/versity/versitygw/cmd/versitygw@${VERSION}" >&2
echo "$BIN"
