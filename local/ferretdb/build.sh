#!/usr/bin/env bash
# Builds FerretDB (Apache-2.0), a MongoDB wire-protocol server on SQLite, from the Go module
# proxy into the cache outside the repository, once per version; prints the binary's path.
# The MongoDB engine's data-path tests (backup, restore, checksums) run against it, because no
# mongod can be installed here (see operators/mongodb/README.md for where it differs).
set -euo pipefail
cd "$(dirname "$0")"
VERSION="$(cat VERSION)"
OUT_DIR="${STEWARD_CACHE:-$HOME/.cache/steward}/ferretdb-${VERSION}"
BIN="$OUT_DIR/ferretdb"
if [[ -x "$BIN" ]]; then
  echo "$BIN"; exit 0
fi
mkdir -p "$OUT_DIR"
echo "building FerretDB ${VERSION} from the Go module proxy into ${OUT_DIR} (first run only)" >&2
# `go install module@version` builds a binary that panics at start: the module's zip lacks
# build/version/version.txt (generated from git in FerretDB's own builds). So the module's
# source is copied out of the module cache, the file written, and the copy built.
SRC="$(go mod download -json "github.com/FerretDB/FerretDB@${VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
WORK="$(mktemp -d)"
trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
# The pure-Go SQLite driver FerretDB uses needs no cgo.
(cd "$WORK" && CGO_ENABLED=0 go build -trimpath -o "$BIN.partial" ./cmd/ferretdb) >&2
mv "$BIN.partial" "$BIN"
echo "$BIN"
