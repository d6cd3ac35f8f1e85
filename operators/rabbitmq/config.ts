/**
 * What the RabbitMQ pods run: rabbitmq.conf fragments, the plugins file, Erlang VM flags and
 * the small shell scripts of the setup init container and the preStop hook. Pure functions of
 * the spec, so the builders and their tests share them.
 *
 * Config files (RABBITMQ_CONFIG_FILES, read in name order):
 *   10-cluster-formation.conf  classic_config peer list of every desired node; NOT part of the
 *                              config hash: only a node's first boot reads it, so a scale-out
 *                              must not restart the running nodes
 *   20-steward.conf            what Steward manages (listeners, partition handling, logging, memory)
 *   30-user.conf               spec.config
 *   40-default-user.conf       default_user/default_pass, from the credentials Secret
 *   50-restore.conf            load_definitions, written by the setup script only on a new node
 *                              that a restore gave definitions to
 */
import { createHash } from "node:crypto";
import type { EffectiveSpec } from "../../shared/api/index.js";
import { cpuCores, quantityBytes } from "../common/quantity.js";
import { ADMIN_USER, PORTS, RABBITMQ_PATHS, RABBITMQ_TLS_FILES, type RabbitmqNames } from "./names.js";

export const CONFIG_FILES = {
  clusterFormation: "10-cluster-formation.conf",
  steward: "20-steward.conf",
  user: "30-user.conf",
  defaultUser: "40-default-user.conf",
  restore: "50-restore.conf",
  enabledPlugins: "enabled_plugins",
} as const;

export const PLUGINS = ["rabbitmq_management", "rabbitmq_prometheus"] as const;

/**
 * Keys Steward sets itself: spec.config may not override them (the operator, the Services and
 * the probes depend on them). A key matches when it equals an entry or starts with "entry.".
 */
export const MANAGED_KEYS = [
  "cluster_formation",
  "cluster_name",
  "listeners.tcp",
  "listeners.ssl",
  "management.tcp",
  "management.listener",
  "prometheus.tcp",
  "default_user",
  "default_pass",
  "loopback_users",
  "load_definitions",
  "definitions",
  "log.console",
  "log.file",
  // The server certificate's files and how clients are verified (spec.tls); other ssl_options
  // (versions, ciphers) stay the user's.
  "ssl_options.cacertfile",
  "ssl_options.certfile",
  "ssl_options.keyfile",
  "ssl_options.verify",
  "ssl_options.fail_if_no_peer_cert",
] as const;

export function isManagedKey(key: string): boolean {
  return MANAGED_KEYS.some((managed) => key === managed || key.startsWith(`${managed}.`));
}

/** What is wrong with spec.config, each a sentence naming the key; empty when it is fine. */
export function configProblems(config: Record<string, string> | undefined): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config ?? {})) {
    if (isManagedKey(key)) problems.push(`spec.config.${key} is set by Steward and cannot be overridden; remove it`);
    if (/[\r\n]/.test(value)) problems.push(`spec.config.${key} must be a single line`);
  }
  return problems;
}

/** The classic_config peer list: every node the cluster should have, so any new node finds the others without the Kubernetes API. */
export function buildClusterFormationConf(names: RabbitmqNames, replicas: number): string {
  const lines = ["cluster_formation.peer_discovery_backend = classic_config"];
  for (let ordinal = 0; ordinal < replicas; ordinal++) lines.push(`cluster_formation.classic_config.nodes.${ordinal + 1} = ${names.node(names.pod(ordinal))}`);
  return lines.join("\n") + "\n";
}

/**
 * What Steward manages. pause_minority: a node that cannot see a majority pauses itself (stops
 * serving and listening) and rejoins by itself when the network returns, so a partition never
 * leaves two sides accepting writes. With a memory limit, RabbitMQ's watermark is computed from
 * the limit rather than from the host's memory, which it would otherwise see.
 * With spec.tls: AMQPS and the management API over HTTPS with the cluster's certificate; with
 * spec.tls.required the plaintext AMQP and HTTP listeners are not opened at all.
 */
export function buildStewardConf(names: RabbitmqNames, spec: Pick<EffectiveSpec, "resources"> & Partial<Pick<EffectiveSpec, "tls">>): string {
  const tls = spec.tls?.enabled ? spec.tls : undefined;
  const lines = [
    `cluster_name = ${names.cluster}`,
    "cluster_partition_handling = pause_minority",
    tls?.required ? "listeners.tcp = none" : `listeners.tcp.default = ${PORTS.amqp}`,
    // Without management.tcp the management plugin opens no HTTP listener (only HTTPS below).
    ...(tls?.required ? [] : [`management.tcp.port = ${PORTS.management}`]),
    `prometheus.tcp.port = ${PORTS.prometheus}`,
    // Users log in from other pods and through the Service, never over loopback.
    "loopback_users = none",
    "log.console = true",
    "log.console.level = info",
    "log.file = false",
  ];
  if (tls) lines.push(...tlsConf());
  const memory = quantityBytes(spec.resources?.limits?.memory);
  if (memory !== undefined) lines.push(`total_memory_available_override_value = ${memory}`);
  return lines.join("\n") + "\n";
}

/**
 * The TLS listeners. Clients authenticate with a password, not a certificate (verify_none,
 * fail_if_no_peer_cert false): TLS here proves the server to the client and encrypts. The
 * files are re-read when the node's PEM cache is cleared (see tls-reload.ts), so a renewed
 * certificate needs no restart.
 */
function tlsConf(): string[] {
  const files = RABBITMQ_TLS_FILES;
  return [
    `listeners.ssl.default = ${PORTS.amqps}`,
    `ssl_options.cacertfile = ${files.ca}`,
    `ssl_options.certfile = ${files.cert}`,
    `ssl_options.keyfile = ${files.key}`,
    "ssl_options.verify = verify_none",
    "ssl_options.fail_if_no_peer_cert = false",
    `management.ssl.port = ${PORTS.managementTls}`,
    `management.ssl.cacertfile = ${files.ca}`,
    `management.ssl.certfile = ${files.cert}`,
    `management.ssl.keyfile = ${files.key}`,
  ];
}

/** Left by a copy of new certificate files until the running node has been told to re-read them. */
export const TLS_RELOAD_PENDING = `${RABBITMQ_PATHS.tlsDir}/.reload-pending`;

/**
 * Copies the mounted TLS Secret into the directory RabbitMQ reads, owned by the rabbitmq user
 * with the key at mode 0400: Debian's rabbitmq-server (the local runtime) drops from root to a
 * user outside the pod's fsGroup, which could not read the Secret's group-readable key. The
 * copy lands in a new directory and the `current` link is swapped in one rename, so a node
 * never reads a certificate with the other one's key. Nothing is copied when the files are the
 * same; a copy leaves TLS_RELOAD_PENDING until the node has cleared its PEM cache (the agent's
 * reload-tls), so a failed clear is retried. Run by the setup container at every start (before
 * the node reads anything) and by the agent sidecar for a reload.
 */
export function buildTlsInstallScript(paths: { source: string; dir: string } = { source: RABBITMQ_PATHS.tlsSource, dir: RABBITMQ_PATHS.tlsDir }): string {
  const { source, dir } = paths;
  const pending = `${dir}/${TLS_RELOAD_PENDING.slice(RABBITMQ_PATHS.tlsDir.length + 1)}`;
  const files = ["tls.crt", "tls.key", "ca.crt"];
  const same = files.map((file) => `cmp -s ${source}/${file} ${dir}/current/${file}`).join(" && ");
  return [
    `if ! { ${same}; }; then`,
    '  if [ "$(id -u)" = 0 ]; then tls_own="-o rabbitmq -g rabbitmq"; else tls_own=""; fi',
    `  tls_new="${dir}/v$(date +%s)-$$"`,
    '  install -d $tls_own -m 0750 "$tls_new"',
    `  for file in ${files.join(" ")}; do install $tls_own -m 0400 "${source}/$file" "$tls_new/$file"; done`,
    `  ln -sfn "$(basename "$tls_new")" ${dir}/current.next`,
    `  mv -Tf ${dir}/current.next ${dir}/current`,
    `  for old in ${dir}/v*; do [ "$old" = "$tls_new" ] || rm -rf "$old"; done`,
    `  touch ${pending}`,
    `  echo "installed the TLS certificate from ${source}"`,
    "fi",
  ].join("\n");
}

export function buildUserConf(spec: Pick<EffectiveSpec, "config">): string {
  const entries = Object.entries(spec.config ?? {}).filter(([key]) => !isManagedKey(key));
  entries.sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([key, value]) => `${key} = ${value}`).join("\n") + (entries.length > 0 ? "\n" : "");
}

/** The default user of a brand-new cluster: the operator's administrator. Lives in the credentials Secret. */
export function buildDefaultUserConf(adminPassword: string): string {
  return `default_user = ${ADMIN_USER}\ndefault_pass = ${adminPassword}\ndefault_user_tags.administrator = true\ndefault_permissions.configure = .*\ndefault_permissions.read = .*\ndefault_permissions.write = .*\n`;
}

export function buildEnabledPlugins(): string {
  return `[${PLUGINS.join(",")}].\n`;
}

/**
 * Erlang VM flags. With a CPU limit, one scheduler per whole core (at least one): the VM
 * otherwise starts one per host core and the CFS quota throttles them. Schedulers that spin
 * while idle burn CPU a limited container pays for, so busy waiting is off then.
 */
export function erlangVmArgs(spec: Pick<EffectiveSpec, "resources">): string | undefined {
  const cores = cpuCores(spec.resources?.limits?.cpu);
  if (cores === undefined) return undefined;
  const schedulers = Math.max(1, Math.floor(cores));
  return `+S ${schedulers}:${schedulers} +sbwt none +sbwtdcpu none +sbwtdio none`;
}

/**
 * The setup init container's script (in the engine image):
 * - the Erlang cookie copied from the Secret into HOME, owned by rabbitmq, mode 0400 (Erlang
 *   refuses a cookie others can read);
 * - the data, log and home directories owned by the rabbitmq user (Debian's rabbitmq-server
 *   drops to it; the official image runs as it);
 * - the config fragments copied into the writable conf.d, plus load_definitions when a restore
 *   left definitions on a node that has no database yet (a brand-new node of a restored cluster);
 * - with spec.tls, the certificate copied where RabbitMQ reads it (buildTlsInstallScript).
 */
export function buildSetupScript(spec: Partial<Pick<EffectiveSpec, "tls">> = {}): string {
  const p = RABBITMQ_PATHS;
  return [
    "set -eu",
    // As root (the local runtime, where Debian's rabbitmq-server drops to the rabbitmq user) the
    // files are given to that user; as the image's rabbitmq user (production) they are its own.
    'if [ "$(id -u)" = 0 ]; then own="-o rabbitmq -g rabbitmq"; else own=""; fi',
    `install -d $own -m 0750 ${p.home} ${p.data} ${p.logs}`,
    `rm -f ${p.cookie}`,
    `install $own -m 0400 ${p.cookieSource}/.erlang.cookie ${p.cookie}`,
    `rm -f ${p.configDir}/*.conf`,
    `for file in ${p.configSource}/*.conf; do install $own -m 0640 "$file" ${p.configDir}/; done`,
    `if [ -f ${p.restoreDefinitions} ] && [ ! -d "${p.data}/$RABBITMQ_NODENAME" ]; then`,
    `  echo "load_definitions = ${p.restoreDefinitions}" > ${p.configDir}/${CONFIG_FILES.restore}`,
    `  echo "definitions from a restore are loaded at this node's first boot"`,
    "fi",
    `if [ "$(id -u)" = 0 ]; then chown -R rabbitmq:rabbitmq ${p.data} ${p.logs}; fi`,
    // The node has not started: it reads the files it finds, nothing to reload.
    ...(spec.tls?.enabled ? [buildTlsInstallScript(), `rm -f ${TLS_RELOAD_PENDING}`] : []),
  ].join("\n");
}

/**
 * The agent's reload-tls: the install script, then, when it copied new files (or a clear
 * failed before), the node's PEM cache is cleared: Erlang's ssl application caches the PEM
 * files it read, and once cleared the next handshake of every TLS listener (AMQPS, HTTPS)
 * reads them again. Verified with RabbitMQ 3.10.8 on Erlang 25. `$1` is the local node.
 * Prints "reloaded" or "unchanged".
 */
export function buildTlsReloadScript(): string {
  return [
    "set -eu",
    buildTlsInstallScript(),
    `if [ -f ${TLS_RELOAD_PENDING} ]; then`,
    `  rabbitmqctl -q -l -n "$1" eval 'ssl:clear_pem_cache().'`,
    `  rm -f ${TLS_RELOAD_PENDING}`,
    "  echo reloaded",
    "else",
    "  echo unchanged",
    "fi",
  ].join("\n");
}

/**
 * The preStop hook of the RabbitMQ container: wait (briefly) until no quorum queue depends on
 * this node for its quorum, then drain it (maintenance mode: quorum queue leaders move away,
 * client listeners close, so clients reconnect elsewhere before the node stops). The operator
 * checks quorum-criticality itself before it deletes a pod; the wait covers evictions it does
 * not control. Both steps are best effort: the pod is going away whatever they say.
 */
export function buildPreStopScript(): string {
  return [
    "if rabbitmq-upgrade help await_online_quorum_plus_one >/dev/null 2>&1; then rabbitmq-upgrade -q await_online_quorum_plus_one -t 20 || true; fi",
    "if rabbitmq-upgrade help drain >/dev/null 2>&1; then rabbitmq-upgrade -q drain -t 20 || true; fi",
  ].join("\n");
}

/** The hash of everything a running node reads only at start: a change rolls the pods. */
export function configHash(parts: string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 16);
}
