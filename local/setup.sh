#!/usr/bin/env bash
# Installs what Steward's local cluster and its tests need on a fresh Debian machine, as root:
# the engines from Debian's packages, the npm dependencies (Node 24 comes with them), the
# Kubernetes control plane, the S3 server and helm built from the Go module proxy (cached outside
# the repository, so a second run takes seconds), and the compiled CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "the local cluster needs root (network and mount namespaces); run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
packages=(mariadb-server mariadb-client mariadb-backup redis-server redis-tools rabbitmq-server
  zstd iproute2 util-linux procps openssl ca-certificates sysbench
  prometheus-mysqld-exporter prometheus-redis-exporter prometheus
  chromium)  # chromium: the console's browser tests (playwright-core drives it; no browser download)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if (( ${#missing[@]} > 0 )); then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x node_modules/.bin/node || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

bash local/k8s/build.sh >/dev/null
if [[ -f local/s3/build.sh ]]; then bash local/s3/build.sh >/dev/null; fi
# FerretDB: the wire-compatible stand-in for mongod in the MongoDB engine's data-path tests.
bash local/ferretdb/build.sh >/dev/null
# helm: the local cluster installs the operator's chart with it; the chart tests lint and render it.
bash local/helm/build.sh >/dev/null
npm run --silent build
