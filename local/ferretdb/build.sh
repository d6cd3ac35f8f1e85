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
# The pure-Go SQLite driver FerretDB uses needs no cgo.
GOBIN="$OUT_DIR" CGO_ENABLED=0 go install -trimpath "github.com/FerretDB/FerretDB/cmd/ferretdb@${VERSION}" >&2
echo "$BIN"
