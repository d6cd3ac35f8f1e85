/**
 * The server configuration (my.cnf) and the engine container's start script, both shipped in
 * the cluster's ConfigMap. Pure: the same spec always gives the same bytes, so their hash in
 * the pod template changes exactly when a restart is needed.
 */
import { createHash } from "node:crypto";
import type { EffectiveSpec } from "../../shared/api/index.js";
import { quantityBytes } from "../common/quantity.js";
import { flavorSql } from "./flavor.js";
import { MYSQL_PATHS, MYSQL_PORT, MYSQL_TLS_FILES, STATE_FILES } from "./names.js";

/**
 * How long a commit on the primary waits for a replica's acknowledgement.
 * - dataLoss none: practically forever (2^32-1 ms, ~49 days). When no replica can ack, commits
 *   block rather than silently turn asynchronous (which is what the server does when the
 *   timeout passes), so an acknowledged write is always on a replica. Measured here: with the
 *   only replica stopped an INSERT blocked; it completed the moment the replica reconnected.
 * - dataLoss allowed: 2 s, then the primary goes on asynchronously until a replica catches up.
 */
export function semiSyncTimeoutMs(spec: Pick<EffectiveSpec, "failover">): number {
  return spec.failover.dataLoss === "none" ? 4_294_967_295 : 2_000;
}

/** Whether the primary waits for replica acknowledgements at all (a single instance has nobody to ask). */
export function semiSyncWanted(spec: Pick<EffectiveSpec, "replicas">): boolean {
  return spec.replicas > 1;
}

/** Settings users may not override: they are what replication, failover and the pod layout rely on. */
export const RESERVED_SETTINGS = new Set(
  [
    "datadir",
    "socket",
    "pid-file",
    "port",
    "bind-address",
    "server-id",
    "log-bin",
    "log-slave-updates",
    "log-replica-updates",
    "gtid-strict-mode",
    "gtid-mode",
    "enforce-gtid-consistency",
    "read-only",
    "super-read-only",
    "skip-name-resolve",
    "rpl-semi-sync-master-enabled",
    "rpl-semi-sync-source-enabled",
    "user",
    "tmpdir",
    "ssl-ca",
    "ssl-cert",
    "ssl-key",
    "require-secure-transport",
  ].map((key) => key.replace(/_/g, "-")),
);

function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/_/g, "-");
}

/** Memory for the InnoDB buffer pool: half the container's memory limit (or request), at least 128 MiB. */
export function bufferPoolBytes(spec: Pick<EffectiveSpec, "resources">): number | undefined {
  const quantity = spec.resources?.limits?.memory ?? spec.resources?.requests?.memory;
  if (quantity === undefined) return undefined;
  const bytes = quantityBytes(quantity);
  if (bytes === undefined) return undefined;
  return Math.max(128 * 1024 * 1024, Math.floor(bytes / 2 / (1024 * 1024)) * 1024 * 1024);
}

/**
 * my.cnf for every instance of the cluster. Per-instance values (server-id, bind-address)
 * come from the start script's arguments, so one file serves all pods.
 *
 * Every instance starts read-only: only the operator makes the one primary writable, after
 * it made sure no other instance is (a restarted old primary never takes writes by itself).
 */
export function buildMyCnf(spec: Pick<EffectiveSpec, "flavor" | "config" | "failover" | "resources" | "replicas"> & Partial<Pick<EffectiveSpec, "tls">>): string {
  const flavor = flavorSql(spec.flavor);
  const mariadb = flavor.flavor === "mariadb";
  const settings: [string, string][] = [
    ["datadir", MYSQL_PATHS.dataDir],
    ["socket", MYSQL_PATHS.socket],
    ["pid-file", `${MYSQL_PATHS.runDir}/mysqld.pid`],
    ["tmpdir", MYSQL_PATHS.tmpDir],
    ["port", String(MYSQL_PORT)],
    ["skip-name-resolve", "ON"],
    ["read-only", "ON"],
    ["log-bin", "mysql-bin"],
    ["relay-log", "relay-bin"],
    ["binlog-format", "ROW"],
    ["sync-binlog", "1"],
    ["innodb-flush-log-at-trx-commit", "1"],
    // A replica that crashed throws its relay log away and fetches again from its GTID position.
    ["relay-log-recovery", "ON"],
    // Notice a silent source within a few seconds (heartbeats come every second, see changeSource).
    [mariadb ? "slave-net-timeout" : "replica-net-timeout", "4"],
    ["character-set-server", "utf8mb4"],
  ];
  if (mariadb) {
    settings.push(
      ["log-slave-updates", "ON"],
      ["gtid-strict-mode", "ON"],
      ["gtid-domain-id", "0"],
      // The replica side is on everywhere (it only acts while replicating); the source side is
      // switched on at runtime on the primary alone: on a replica with log-slave-updates it
      // would make the SQL thread wait for acknowledgements nobody sends.
      ["rpl-semi-sync-slave-enabled", "ON"],
      ["rpl-semi-sync-master-enabled", "OFF"],
      ["rpl-semi-sync-master-wait-point", "AFTER_SYNC"],
      ["rpl-semi-sync-master-timeout", String(semiSyncTimeoutMs(spec))],
    );
  } else {
    settings.push(
      ["gtid-mode", "ON"],
      ["enforce-gtid-consistency", "ON"],
      ["log-replica-updates", "ON"],
      ["super-read-only", "ON"],
      ["plugin-load-add", "semisync_source.so"],
      ["plugin-load-add", "semisync_replica.so"],
      ["plugin-load-add", "mysql_clone.so"],
      ["rpl-semi-sync-replica-enabled", "ON"],
      ["rpl-semi-sync-source-enabled", "OFF"],
      ["rpl-semi-sync-source-wait-point", "AFTER_SYNC"],
      ["rpl-semi-sync-source-timeout", String(semiSyncTimeoutMs(spec))],
      ["skip-replica-start", "OFF"],
    );
  }
  if (spec.tls?.enabled) {
    // The mounted `<cluster>-tls` Secret; a renewed certificate is loaded by FLUSH SSL /
    // ALTER INSTANCE RELOAD TLS (see tls-reload.ts), without a restart.
    settings.push(["ssl-ca", MYSQL_TLS_FILES.ca], ["ssl-cert", MYSQL_TLS_FILES.cert], ["ssl-key", MYSQL_TLS_FILES.key]);
    // Plaintext TCP clients are refused; the local socket (agent, probes) counts as secure.
    if (spec.tls.required) settings.push(["require-secure-transport", "ON"]);
  }
  const pool = bufferPoolBytes(spec);
  if (pool) settings.push(["innodb-buffer-pool-size", String(pool)]);
  const user = Object.entries(spec.config ?? {})
    .filter(([key]) => !RESERVED_SETTINGS.has(normalizeKey(key)))
    .sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    "# Written by Steward from the DatabaseCluster; edits are overwritten.",
    `[${flavor.configSection}]`,
    ...settings.map(([key, value]) => `${key}=${value}`),
  ];
  if (user.length > 0) lines.push("# spec.config", ...user.map(([key, value]) => `${key}=${value}`));
  lines.push("", "[client]", `socket=${MYSQL_PATHS.socket}`, "");
  return lines.join("\n");
}

/** Keys of spec.config that Steward ignores because it manages them (reported in a condition). */
export function ignoredSettings(spec: Pick<EffectiveSpec, "config">): string[] {
  return Object.keys(spec.config ?? {}).filter((key) => RESERVED_SETTINGS.has(normalizeKey(key)));
}

/**
 * The engine container's entrypoint (POSIX sh, runs in the official image). It acts on the
 * markers the agent's init step left in the state folder, then execs the server:
 * - initialize.sql: a brand-new instance (ordinal 0 of a new cluster, or any mysql-flavour
 *   instance with no data): create the system tables, run the file once, remove it.
 * - seed.sql: a replica just copied from the primary: set its GTID position, once.
 * Per-instance settings come from the downward API: POD_NAME (server-id from the ordinal)
 * and POD_IP (the only address it listens on).
 */
export function buildStartScript(spec: Pick<EffectiveSpec, "flavor">): string {
  const mariadb = spec.flavor === "mariadb";
  const cnf = MYSQL_PATHS.configFile;
  const state = MYSQL_PATHS.stateDir;
  const data = MYSQL_PATHS.dataDir;
  const server = mariadb ? "mariadbd" : "mysqld";
  const install = mariadb
    ? `mariadb-install-db --defaults-file=${cnf} --user=mysql --auth-root-authentication-method=socket --skip-test-db >"${MYSQL_PATHS.tmpDir}/install.log" 2>&1 || { cat "${MYSQL_PATHS.tmpDir}/install.log" >&2; exit 1; }`
    : `${server} --defaults-file=${cnf} --user=mysql --initialize-insecure`;
  const runOnce = mariadb
    ? (file: string) => `${server} --defaults-file=${cnf} --user=mysql --bootstrap --log-warnings=0 < "${file}"`
    : // MySQL has no --bootstrap: a private server without networking runs the file.
      (file: string) => `${server} --defaults-file=${cnf} --user=mysql --skip-networking --init-file="${file}" & pid=$!; sleep 5; kill $pid; wait $pid || true`;
  return `#!/bin/sh
# Written by Steward. Entrypoint of the ${server} container; see operators/mysql/config.ts.
set -eu
ordinal="\${POD_NAME##*-}"
server_id=$((ordinal + 1))
mkdir -p "${data}" "${state}"
# The agent sidecar replaces the data while the server is stopped (in-place physical restore).
while [ -f "${state}/${STATE_FILES.hold}" ]; do sleep 1; done
if [ "$(id -u)" = 0 ]; then
  # Volumes come owned by root where no fsGroup applies; the server runs as mysql.
  find "${MYSQL_PATHS.base}" "${MYSQL_PATHS.runDir}" \\! -user mysql -exec chown mysql:mysql {} + 2>/dev/null || true
  chmod 1777 "${MYSQL_PATHS.tmpDir}" || true
fi
if [ -f "${state}/${STATE_FILES.initializeSql}" ]; then
  if [ ! -d "${data}/mysql" ] || [ -f "${state}/${STATE_FILES.initializing}" ]; then
    touch "${state}/${STATE_FILES.initializing}"
    find "${data}" -mindepth 1 -delete
    ${install}
  fi
  ${runOnce(`${state}/${STATE_FILES.initializeSql}`)}
  rm -f "${state}/${STATE_FILES.initializeSql}" "${state}/${STATE_FILES.initializing}"
fi
if [ -f "${state}/${STATE_FILES.seedSql}" ]; then
  ${runOnce(`${state}/${STATE_FILES.seedSql}`)}
  rm -f "${state}/${STATE_FILES.seedSql}"
fi
drop=""
if [ "$(id -u)" = 0 ] && [ -f "${MYSQL_TLS_FILES.key}" ]; then
  # Started as root (a runtime without the image's uid): --user=mysql alone would lose the
  # pod's fsGroup, the only group that may read the private key; keep it while dropping to mysql.
  drop="setpriv --reuid=mysql --regid=mysql --groups=$(stat -L -c %g "${MYSQL_TLS_FILES.key}")"
fi
exec $drop ${server} --defaults-file=${cnf} --user=mysql --server-id="$server_id" --bind-address="\${POD_IP}" --report-host="\${POD_NAME}"
`;
}

export function configHash(myCnf: string, startScript: string): string {
  return createHash("sha256").update(myCnf).update("\0").update(startScript).digest("hex").slice(0, 16);
}
