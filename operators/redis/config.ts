/**
 * redis.conf, the ACL file and the container's shell commands. Pure: the same spec always
 * gives the same bytes, so their hash in the pod template changes exactly when a restart is
 * needed.
 */
import { createHash } from "node:crypto";
import type { EffectiveSpec } from "../../shared/api/index.js";
import { DATA_FILES, REDIS_PATHS, REDIS_PORT, REDIS_TLS_FILES, REDIS_TLS_PORT, USERS } from "./names.js";

/**
 * Settings users may not set in spec.config: they are what the pod layout, replication,
 * failover, authentication and restores rely on. Keys are compared lower-case.
 */
export const RESERVED_SETTINGS = new Set([
  "bind",
  "port",
  "dir",
  "daemonize",
  "supervised",
  "include",
  "logfile",
  "pidfile",
  "unixsocket",
  "unixsocketperm",
  "dbfilename",
  "appenddirname",
  "appendfilename",
  "replicaof",
  "slaveof",
  "masteruser",
  "masterauth",
  "requirepass",
  "user",
  "aclfile",
  "rename-command",
  "replica-announce-ip",
  "slave-announce-ip",
  "replica-announce-port",
  "slave-announce-port",
  "replica-read-only",
  "slave-read-only",
  "cluster-enabled",
  // TLS follows spec.tls (ports, the mounted certificate, how replicas and clients use it);
  // ciphers, protocols and sessions stay the user's.
  "tls-port",
  "tls-cert-file",
  "tls-key-file",
  "tls-key-file-pass",
  "tls-client-cert-file",
  "tls-client-key-file",
  "tls-client-key-file-pass",
  "tls-ca-cert-file",
  "tls-ca-cert-dir",
  "tls-auth-clients",
  "tls-replication",
  "tls-cluster",
]);

/** Reserved only with failover.dataLoss none: the write quorum is part of that promise. */
const RESERVED_WITH_NO_DATA_LOSS = new Set(["min-replicas-to-write", "min-slaves-to-write"]);

/** Steward's defaults; spec.config overrides any of them. */
export const DEFAULT_SETTINGS: readonly [string, string][] = [
  // Persistence: the append-only file, fsynced every second, with an RDB preamble (fast
  // restarts), plus periodic RDB snapshots.
  ["appendonly", "yes"],
  ["appendfsync", "everysec"],
  ["aof-use-rdb-preamble", "yes"],
  ["save", "3600 1 300 100 60 10000"],
  // A replica that lost its link briefly continues from the backlog instead of a full copy;
  // after a failover the others continue from the new primary the same way.
  ["repl-backlog-size", "64mb"],
  ["repl-diskless-sync", "yes"],
  ["repl-diskless-sync-delay", "1"],
  ["replica-serve-stale-data", "yes"],
  ["maxmemory-policy", "noeviction"],
  ["tcp-keepalive", "60"],
];

/** Why spec.config cannot be used, naming the key and what to do, or undefined. */
export function checkConfig(spec: Pick<EffectiveSpec, "config" | "failover">): string | undefined {
  for (const [rawKey, value] of Object.entries(spec.config ?? {})) {
    const key = rawKey.toLowerCase();
    if (RESERVED_SETTINGS.has(key)) return `spec.config.${rawKey} is managed by Steward for redis clusters; remove it`;
    if (spec.failover.dataLoss === "none" && RESERVED_WITH_NO_DATA_LOSS.has(key)) {
      return `spec.config.${rawKey} is set by Steward while failover.dataLoss is none; remove it or set failover.dataLoss: allowed`;
    }
    if (/[\r\n\0]/.test(value)) return `spec.config.${rawKey} contains a line break; a redis.conf value must be one line`;
  }
  return undefined;
}

/**
 * The write quorum with dataLoss none: the primary refuses writes (NOREPLICAS) unless at
 * least one replica acknowledged within `maxLag` seconds. It keeps a primary that lost every
 * replica (a partitioned old primary among them) from taking writes that nobody has; the
 * per-write guarantee comes from clients' WAIT (see README.md).
 */
export function writeQuorum(spec: Pick<EffectiveSpec, "failover" | "replicas">): { minReplicas: number; maxLag: number } | undefined {
  if (spec.failover.dataLoss !== "none" || spec.replicas < 2) return undefined;
  return { minReplicas: 1, maxLag: 10 };
}

function line(key: string, value: string): string {
  return `${key} ${value}`;
}

type TlsInput = Partial<Pick<EffectiveSpec, "tls">>;

/** Whether the instances serve TLS (spec.tls.enabled; absent means the builders' old callers: no). */
export function tlsEnabled(spec: TlsInput): boolean {
  return spec.tls?.enabled === true;
}

/** The port replicas, probes and the operator use: TLS when enabled, else plaintext. */
export function replicationPort(spec: TlsInput): number {
  return tlsEnabled(spec) ? REDIS_TLS_PORT : REDIS_PORT;
}

/**
 * TLS with the mounted `<cluster>-tls` Secret: server authentication only (clients verify the
 * server with ca.crt; tls-auth-clients no, so no client certificate is asked for), replicas
 * replicate over TLS and verify their primary against the same CA. Redis re-reads the files
 * on CONFIG SET of these paths (tls-reload.ts), so a renewed certificate needs no restart.
 * With spec.tls.required the plaintext port is closed (port 0).
 */
function tlsLines(spec: TlsInput): string[] {
  if (!tlsEnabled(spec)) return [line("port", String(REDIS_PORT))];
  return [
    line("port", spec.tls!.required ? "0" : String(REDIS_PORT)),
    line("tls-port", String(REDIS_TLS_PORT)),
    line("tls-cert-file", REDIS_TLS_FILES.cert),
    line("tls-key-file", REDIS_TLS_FILES.key),
    line("tls-ca-cert-file", REDIS_TLS_FILES.ca),
    line("tls-auth-clients", "no"),
    line("tls-replication", "yes"),
  ];
}

/**
 * redis.conf for every instance of the cluster. Per-instance values (bind address, announced
 * name) and the starting role come from the start command, so one file serves all pods.
 * Every instance starts as a replica: only the operator makes the one primary (a restarted
 * old primary must never take writes, or hand its possibly older data to replicas, by itself).
 */
export function buildRedisConf(spec: Pick<EffectiveSpec, "config" | "failover" | "replicas"> & TlsInput): string {
  const lines = [
    "# Generated by Steward; change spec.config of the DatabaseCluster instead of this file.",
    ...tlsLines(spec),
    line("daemonize", "no"),
    line("supervised", "no"),
    line("dir", REDIS_PATHS.data),
    line("dbfilename", DATA_FILES.rdb),
    line("appenddirname", DATA_FILES.aofDir),
    line("appendfilename", DATA_FILES.aofBase),
    line("logfile", '""'),
    line("replica-read-only", "yes"),
  ];
  const user = new Map(Object.entries(spec.config ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
  for (const [key, value] of DEFAULT_SETTINGS) if (!user.has(key)) lines.push(line(key, value));
  const quorum = writeQuorum(spec);
  if (quorum) {
    lines.push(line("min-replicas-to-write", String(quorum.minReplicas)));
    if (!user.has("min-replicas-max-lag")) lines.push(line("min-replicas-max-lag", String(quorum.maxLag)));
  }
  for (const [key, value] of [...user.entries()].sort(([a], [b]) => a.localeCompare(b))) lines.push(line(key, value));
  // Last, so nothing above can change who may log in.
  lines.push(line("include", REDIS_PATHS.authFile));
  return lines.join("\n") + "\n";
}

export interface RedisPasswords {
  operator: string;
  replication: string;
  app: string;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The ACL file (included last by redis.conf), shipped in a Secret. Passwords are stored as
 * SHA-256 hashes; only `masterauth` must be plain (a replica sends it to its primary).
 * - default: off, so every client names itself.
 * - steward (the operator): everything, including REPLICAOF, FAILOVER, CLIENT KILL.
 * - replication: what a replica and a backup (`redis-cli --rdb`, INFO for the version) need.
 * - probe: PING only and no password (nothing to leak), for the kubelet's probes.
 * - the application user: all data commands, no administration (it cannot break failover
 *   with REPLICAOF, or the persistence settings with CONFIG).
 */
export function buildUsersConf(username: string, passwords: RedisPasswords): string {
  return [
    `masteruser ${USERS.replication}`,
    `masterauth ${passwords.replication}`,
    "user default off resetkeys resetchannels -@all",
    `user ${USERS.operator} on #${sha256Hex(passwords.operator)} ~* &* +@all`,
    `user ${USERS.replication} on #${sha256Hex(passwords.replication)} resetkeys resetchannels -@all +psync +sync +replconf +ping +info`,
    `user ${USERS.probe} on nopass resetkeys resetchannels -@all +ping`,
    `user ${username} on #${sha256Hex(passwords.app)} ~* &* +@all -@admin`,
  ].join("\n") + "\n";
}

/**
 * The engine container's command. redis-server binds the pod IP (downward API), announces its
 * StatefulSet DNS name to its primary (so INFO on the primary names pods, and FAILOVER TO
 * can address them), and starts as a replica of the primary Service: a restarted replica
 * finds the primary by itself, and a restarted primary, still behind the Service, reaches
 * only itself and waits (a replica without a primary link refuses to feed others).
 */
export function buildStartCommand(primaryServiceFqdn: string, primaryPort = REDIS_PORT): string[] {
  const script = [
    "set -eu",
    ': "${POD_IP:?POD_IP is not set (downward API)}"',
    'announce="${POD_NAME}.${STEWARD_HEADLESS_SERVICE}.${POD_NAMESPACE}.svc.cluster.local"',
    `exec redis-server ${REDIS_PATHS.configFile} --bind "$POD_IP" --replica-announce-ip "$announce" --replicaof ${primaryServiceFqdn} ${primaryPort}`,
  ].join("\n");
  return ["sh", "-c", script];
}

/**
 * The probes' command: PING as the password-less probe user. Readiness wants PONG; liveness
 * also accepts LOADING (a large dataset loading is not a hang). redis-cli exits 0 on error
 * replies, so the reply is what decides. With TLS the probe goes to the TLS port, verifying
 * the server against the cluster's CA: ready means what clients of the connection Secret use
 * answers (and it keeps working when the plaintext port is closed).
 */
export function buildProbeCommand(kind: "readiness" | "liveness", tls = false): string[] {
  const accept = kind === "liveness" ? "PONG|LOADING*" : "PONG";
  const target = tls ? `--tls --cacert ${REDIS_TLS_FILES.ca} -h "$POD_IP" -p ${REDIS_TLS_PORT}` : `-h "$POD_IP" -p ${REDIS_PORT}`;
  const script = [
    `reply=$(REDISCLI_AUTH=none redis-cli --no-auth-warning --user ${USERS.probe} ${target} ping 2>&1) || exit 1`,
    `case "$reply" in ${accept}) exit 0 ;; esac`,
    'echo "$reply"',
    "exit 1",
  ].join("\n");
  return ["sh", "-c", script];
}

/** The hash of everything a restart must pick up, for the pod template annotation. */
export function configHash(...parts: string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 16);
}
