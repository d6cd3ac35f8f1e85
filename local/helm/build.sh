#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy into the cache outside the repository, once per
# version (a few minutes cold on 2 cores); prints the binary's path. The local cluster installs
# the operator with it, and the chart tests lint and render deploy/helm/steward with it.
set -euo pipefail
cd "$(dirname "$0")"
VERSION="$(cat VERSION)"
OUT_DIR="${STEWARD_CACHE:-$HOME/.cache/steward}/helm-${VERSION}"
BIN="$OUT_DIR/helm"
if [[ -x "$BIN" ]]; then
  echo "$BIN"; exit 0
fi
mkdir -p "$OUT_DIR"
major="${VERSION%%.*}"
echo "building helm ${VERSION} from the Go module proxy into ${OUT_DIR} (first run only)" >&2
# The version flag makes `helm version` tell the truth (a plain go install reports a dev build).
GOBIN="$OUT_DIR" CGO_ENABLED=0 go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/${major}/internal/version.version=${VERSION}" \
  "helm.sh/helm/${major}/cmd/helm@${VERSION}" >&2
echo "$BIN"
