#!/usr/bin/env bash
# Regenerates go.mod for the control-plane wrapper from the go.mod of the pinned
# k8s.io/kubernetes release. That go.mod lists its staging modules at v0.0.0 with
# replace directives into its own tree; a module outside the tree must point each
# of them at the published tag (v1.X.Y -> v0.X.Y) instead.
set -euo pipefail
cd "$(dirname "$0")"
K8S_VERSION="${1:-$(cat VERSION)}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
upstream_mod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
go_directive="$(sed -n 's/^go \(.*\)$/\1/p' "$upstream_mod")"
staging="$(sed -n 's/^\t\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0$/\1/p' "$upstream_mod" | sort -u)"
{
  echo "module steward.dev/local/k8s"
  echo
  echo "go ${go_directive}"
  echo
  echo "require k8s.io/kubernetes ${K8S_VERSION}"
  echo
  echo "replace ("
  for m in $staging; do echo "	$m => $m ${STAGING_VERSION}"; done
  echo ")"
} > go.mod
echo "$K8S_VERSION" > VERSION
go mod tidy
