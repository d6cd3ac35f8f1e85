/**
 * Pure readings of Steward objects for the pages: a phase in words, ages, the point-in-time
 * window, what a cluster can do. No engine names: what a cluster can do is read from its status.
 */
import { problemConditions } from "../../../shared/condition-health.js";
import type { Condition, DatabaseBackup, DatabaseCluster, DatabaseRestore } from "../../../shared/api/index.js";

/** The conditions that say something is wrong (the same reading as `steward status`). */
export function unhealthy(conditions: Condition[] | undefined): Condition[] {
  return problemConditions(conditions);
}

/** The phase and, in words, why: the first unhealthy condition's message, or what Ready means. */
export function phaseInWords(cluster: DatabaseCluster): { phase: string; reason: string; tone: "ok" | "warn" | "bad" | "busy" } {
  const phase = cluster.status?.phase ?? "Pending";
  const problems = unhealthy(cluster.status?.conditions);
  const ready = cluster.status?.readyReplicas ?? 0;
  const tone = phase === "Ready" ? "ok" : phase === "Failed" ? "bad" : phase === "Degraded" ? "warn" : "busy";
  if (phase === "Ready" && problems.length === 0) return { phase, reason: `All ${ready} of ${cluster.spec.replicas} instances ready`, tone };
  const first = problems[0];
  if (first) return { phase, reason: first.message || `${first.type}: ${first.reason}`, tone: phase === "Ready" ? "warn" : tone };
  if (phase === "Pending") return { phase, reason: "Waiting for the operator to pick the cluster up", tone };
  return { phase, reason: `${ready} of ${cluster.spec.replicas} instances ready`, tone };
}

export function engineText(cluster: DatabaseCluster): string {
  const engine = cluster.spec.flavor ? `${cluster.spec.engine} (${cluster.spec.flavor})` : cluster.spec.engine;
  const version = cluster.status?.version ?? cluster.spec.version;
  return version ? `${engine} ${version}` : engine;
}

export function age(then: string | undefined, now: number): string {
  if (!then) return "never";
  const seconds = Math.max(0, Math.round((now - Date.parse(then)) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

export function bytes(count: number | undefined): string {
  if (count === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function keyOf(object: { metadata: { namespace?: string; name: string } }): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

export function backupsOf(cluster: DatabaseCluster, backups: DatabaseBackup[]): DatabaseBackup[] {
  return backups
    .filter((backup) => backup.metadata.namespace === cluster.metadata.namespace && backup.spec.cluster === cluster.metadata.name)
    .sort((a, b) => String(b.metadata.creationTimestamp ?? "").localeCompare(String(a.metadata.creationTimestamp ?? "")));
}

/** The newest Completed backup: from the cluster's status, else from the backups seen. */
export function lastBackup(cluster: DatabaseCluster, backups: DatabaseBackup[]): { name: string; completedAt?: string } | undefined {
  const completed = backupsOf(cluster, backups).filter((backup) => backup.status?.phase === "Completed");
  const newest = completed.sort((a, b) => String(b.status?.completedAt ?? "").localeCompare(String(a.status?.completedAt ?? "")))[0];
  if (newest) return { name: newest.metadata.name, completedAt: newest.status?.completedAt };
  const recorded = cluster.status?.lastBackup;
  return recorded?.phase === "Completed" ? { name: recorded.name, completedAt: recorded.completedAt } : undefined;
}

/** Restores whose source or target is this cluster, newest first. */
export function restoresOf(cluster: DatabaseCluster, restores: DatabaseRestore[], backups: DatabaseBackup[]): DatabaseRestore[] {
  const name = cluster.metadata.name;
  const ownBackups = new Set(backupsOf(cluster, backups).map((backup) => backup.metadata.name));
  return restores
    .filter((restore) => restore.metadata.namespace === cluster.metadata.namespace)
    .filter((restore) => restore.spec.source.cluster === name || (restore.spec.source.backup && ownBackups.has(restore.spec.source.backup)) || restore.status?.targetCluster === name || restore.spec.target.newCluster === name)
    .sort((a, b) => String(b.metadata.creationTimestamp ?? "").localeCompare(String(a.metadata.creationTimestamp ?? "")));
}

export function failureReason(object: { status?: { error?: { step: string; message: string }; conditions?: Condition[] } }): string | undefined {
  if (object.status?.error) return `${object.status.error.step}: ${object.status.error.message}`;
  const failed = object.status?.conditions?.find((condition) => condition.status !== "True" && condition.message);
  return failed?.message;
}

export interface PointInTimeWindow {
  earliest: string;
  latest: string;
  /** Spans inside the window that cannot be recovered to (logs that never reached the archive). */
  gaps: { from: string; to: string; reason: string }[];
}

export function pointInTimeWindow(cluster: DatabaseCluster): PointInTimeWindow | undefined {
  const window = cluster.status?.pointInTime;
  // Right after a new base backup the archive can still end before it: nothing is recoverable by time yet.
  if (!window?.earliest || !window.latest || Date.parse(window.latest) < Date.parse(window.earliest)) return undefined;
  return { earliest: window.earliest, latest: window.latest, gaps: window.gaps ?? [] };
}

/** A time shown twice: UTC and the browser's own zone. */
export function bothZones(iso: string, zone = Intl.DateTimeFormat().resolvedOptions().timeZone): string {
  const date = new Date(iso);
  const utc = date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  if (zone === "UTC" || zone === "Etc/UTC") return utc;
  const local = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(date);
  return `${utc} (${local} ${zone})`;
}

/** Whether a time lies in the window, and if not, why. */
export function checkPointInTime(value: string, window: PointInTimeWindow | undefined): string | undefined {
  const at = Date.parse(value);
  if (Number.isNaN(at)) return "enter a time like 2026-12-06T10:00:00Z";
  if (!window) return "this cluster has no point-in-time window (pointInTime is not enabled or nothing is archived yet)";
  if (at < Date.parse(window.earliest)) return `before the earliest recoverable time ${window.earliest}`;
  if (at > Date.parse(window.latest)) return `after the latest archived time ${window.latest}`;
  // gapAt's rule (backup/planning/archive-gaps.ts, which the browser bundle cannot import: its
  // module graph reaches node:stream): a gap's ends are recoverable, unless it runs to the
  // window's end (no backup since).
  const latest = Date.parse(window.latest);
  const gap = window.gaps.find((span) => at > Date.parse(span.from) && (at < Date.parse(span.to) || (Date.parse(span.to) >= latest && at <= latest)));
  if (gap) return `inside a gap of the window (${gap.from} to ${gap.to}): ${gap.reason}`;
  return undefined;
}

/**
 * A switchover needs a primary the operator chose and a replica to move it to: read from the
 * status (an instance with role primary, another that is a replica), never from the engine name.
 */
export function switchoverCapability(cluster: DatabaseCluster): { possible: boolean; reason: string } {
  const instances = cluster.status?.instances ?? [];
  if (!instances.some((instance) => instance.role === "primary")) return { possible: false, reason: "this cluster has no operator-managed primary to move" };
  if (!instances.some((instance) => instance.role === "replica" && instance.ready)) return { possible: false, reason: "no ready replica to move the primary to" };
  return { possible: true, reason: "" };
}

/** The shell command that connects with the connection URI, by the URI's protocol. */
export function clientCommand(uri: string | undefined, details: { host?: string; port?: string; username?: string; database?: string }): string | undefined {
  const scheme = uri ? /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase() : undefined;
  if (scheme === "mysql" || scheme === "mariadb") return `mysql -h ${details.host} -P ${details.port} -u ${details.username} -p ${details.database ?? ""}`.trim();
  if (scheme === "redis" || scheme === "rediss") return `redis-cli -u "${uri}" --askpass`.replace(/:\*{8}@/, "@");
  if (scheme === "mongodb") return `mongosh "${uri}"`;
  if (scheme === "postgresql" || scheme === "postgres") return `psql "${uri}"`;
  return undefined;
}

/** Storage sizes compare as numbers of bytes; a smaller size is refused (volumes never shrink). */
export function quantityBytes(quantity: string | number): number | undefined {
  if (typeof quantity === "number") return quantity;
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(quantity.trim());
  if (!match) return undefined;
  const factor: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1);
}

/**
 * The form field a refusal names. Admission policies say "spec.template.parameters.NAME ..." in
 * their message; schema errors carry the field in details.causes.
 */
export function refusedField(message: string, causes: { field: string }[], parameters: string[]): string {
  const named = /spec\.template\.(parameters\.([a-z][a-z0-9-]*)|size|name)\b/.exec(message);
  if (named) return named[2] && parameters.includes(named[2]) ? named[2] : named[1] === "size" ? "size" : named[1] === "name" ? "template" : "";
  for (const cause of causes) {
    const parameter = parameters.find((name) => cause.field.endsWith(`.${name}`));
    if (parameter) return parameter;
    if (cause.field === "metadata.name" || cause.field === "name") return "name";
  }
  return /metadata\.name|"[^"]*" is invalid: metadata\.name/.test(message) ? "name" : "";
}

/**
 * The Connect card's TLS line: required or offered, who issued the certificate and when it
 * expires; the TLS condition's words when renewal is in trouble (tone warn), or why it is off.
 */
export function tlsInWords(cluster: DatabaseCluster, now: number): { text: string; tone: "ok" | "warn" | "off" } {
  const tls = cluster.status?.tls;
  const condition = cluster.status?.conditions?.find((each) => each.type === "TLS");
  if (!tls) return { text: condition?.status === "False" ? `off: ${condition.message}` : "-", tone: "off" };
  const required = cluster.spec.tls?.required ? "required" : "offered (plaintext accepted)";
  const expires = tls.notAfter ? `; certificate from ${tls.issuer} expires ${tls.notAfter.slice(0, 10)} (in ${Math.max(0, Math.round((Date.parse(tls.notAfter) - now) / 86_400_000))} days)` : `; certificate from ${tls.issuer}`;
  const trouble = condition && condition.status !== "True" ? `; ${condition.reason}: ${condition.message}` : "";
  return { text: `${required}${expires}${trouble}`, tone: trouble ? "warn" : "ok" };
}
