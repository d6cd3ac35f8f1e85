import { nextDue } from "../backup/planning/schedule.js";
import { describeWindow, windowFromStatus } from "../backup/planning/restore-preview.js";
import { effectiveSpec, type Condition, type DatabaseBackup, type DatabaseCluster } from "../shared/api/index.js";
import { lastSuccessfulBackup, pointInTimeWindow } from "../shared/cluster-figures.js";
import { backupFacts } from "./backup-list.js";
import { paintPhase, renderTable } from "./output.js";
import { formatBytes } from "./progress.js";

/** What `steward status CLUSTER` shows, as read from the API (pure from here on, so it renders the same in tests). */
export interface ClusterView {
  cluster: DatabaseCluster;
  backups: DatabaseBackup[];
  storage?: { name: string; location?: string; available?: Condition };
  /** Events about the cluster and its backups and restores, oldest first. */
  events: { time?: string; type: string; reason: string; object: string; message: string }[];
  pods?: { name: string; phase: string; ready: string; restarts: number; ip?: string; node?: string; startTime?: string }[];
}

/** How long ago (or, for a future time, how soon): 45s, 12m, 3h, 2d. */
export function age(then: string | Date | undefined, now: Date): string {
  if (!then) return "-";
  const ms = now.getTime() - new Date(then).getTime();
  const seconds = Math.round(Math.abs(ms) / 1000);
  const text = seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.round(seconds / 60)}m` : seconds < 172800 ? `${Math.round(seconds / 3600)}h` : `${Math.round(seconds / 86400)}d`;
  return ms >= 0 ? text : `in ${text}`;
}

export function isoSeconds(time: string | Date | undefined): string {
  if (!time) return "-";
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function fields(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([key]) => key.length)) + 2;
  // An empty key continues the line above.
  return pairs.map(([key, value]) => `${(key ? `${key}:` : "").padEnd(width)}${value}`).join("\n");
}

/** engine, or engine/flavour where the engine has flavours (the defaults come from shared/api, not from here). */
export function engineLabel(cluster: DatabaseCluster): string {
  const spec = effectiveSpec(cluster);
  return spec.flavor ? `${spec.engine}/${spec.flavor}` : spec.engine;
}

function phaseWithReason(cluster: DatabaseCluster): string {
  const phase = cluster.status?.phase ?? "Pending";
  const ready = cluster.status?.conditions?.find((condition) => condition.type === "Ready");
  if (!ready) return paintPhase(phase);
  return `${paintPhase(phase)} (${ready.reason}${ready.status !== "True" && ready.message ? `: ${ready.message}` : ""})`;
}

/** What `TLS` says: off, or who issued the certificate and when it expires (the TLS condition when it is not well). */
function tlsLine(cluster: DatabaseCluster, now: Date): string {
  const tls = cluster.status?.tls;
  const condition = cluster.status?.conditions?.find((each) => each.type === "TLS");
  if (!tls) return condition?.status === "False" ? `off (${condition.reason})` : "-";
  const expiry = tls.notAfter ? `, expires ${isoSeconds(tls.notAfter)} (${age(tls.notAfter, now)})` : "";
  const required = effectiveSpec(cluster).tls.required ? "required" : "offered";
  const trouble = condition && condition.status !== "True" ? `; ${condition.reason}: ${condition.message}` : "";
  return `${required}, certificate from ${tls.issuer} in Secret ${tls.secretName}${expiry}${trouble}`;
}

function summary(view: ClusterView, now: Date): string {
  const { cluster } = view;
  const status = cluster.status;
  const endpoints = [status?.endpoints?.primary ? `primary ${status.endpoints.primary}` : "", status?.endpoints?.readOnly ? `read-only ${status.endpoints.readOnly}` : ""].filter(Boolean).join(", ");
  return fields([
    ["Cluster", `${cluster.metadata.namespace}/${cluster.metadata.name}`],
    ["Engine", `${engineLabel(cluster)} ${status?.version ?? cluster.spec.version ?? "(default)"}`],
    ["Phase", phaseWithReason(cluster)],
    ["Instances", `${status?.readyReplicas ?? 0}/${cluster.spec.replicas} ready${status?.currentPrimary ? `, primary ${status.currentPrimary}` : ""}`],
    ["Endpoints", endpoints || "-"],
    ["Connection", status?.connectionSecret ? `Secret ${status.connectionSecret} (keys host, port, username, password, uri${status.tls ? ", ca.crt" : ""})` : "-"],
    ["TLS", tlsLine(cluster, now)],
  ]);
}

function instances(view: ClusterView): string {
  const rows = (view.cluster.status?.instances ?? []).map((instance) => [
    instance.name,
    instance.role,
    instance.ready ? "yes" : "no",
    instance.lagSeconds === undefined ? "-" : `${instance.lagSeconds}s`,
    instance.replication ?? "-",
    instance.message ?? "",
  ]);
  if (rows.length === 0) return "Instances\n  none reported yet";
  return `Instances\n${indent(renderTable(["NAME", "ROLE", "READY", "LAG", "REPLICATION", "MESSAGE"], rows))}`;
}

function backups(view: ClusterView, now: Date): string {
  const policy = view.cluster.spec.backup;
  const own = view.backups.map(backupFacts);
  // The same figure as the operator's steward_backup_last_success_timestamp_seconds (shared/cluster-figures.ts).
  const lastSuccess = lastSuccessfulBackup(view.backups);
  const newest = [...own].sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""))[0];
  const counts = ["Completed", "Failed", "Running", "Pending"].map((phase) => [phase, own.filter((backup) => (backup.phase ?? "Pending") === phase).length] as const).filter(([, count]) => count > 0);
  const pairs: [string, string][] = [];
  if (!policy) pairs.push(["Policy", "none (spec.backup is not set): only manual backups with a --storage"]);
  else {
    const storage = view.storage;
    const available = storage?.available ? (storage.available.status === "True" ? "Available" : `not available: ${storage.available.message}`) : "";
    const about = storage ? [storage.location, available].filter(Boolean).join(", ") : "BackupStorage not found";
    pairs.push(["Storage", `${policy.storage}${about ? ` (${about})` : ""}`]);
    if (policy.schedule) {
      const next = nextDue(policy.schedule, policy.timeZone, now);
      pairs.push(["Schedule", `${policy.schedule} (${policy.timeZone ?? "UTC"}), next run ${isoSeconds(next)} (${age(next, now)})`]);
    } else pairs.push(["Schedule", "none (manual backups only)"]);
    const retention = [policy.retention?.keepLast !== undefined ? `keep last ${policy.retention.keepLast}` : "", policy.retention?.maxAge ? `max age ${policy.retention.maxAge}` : ""].filter(Boolean).join(", ");
    pairs.push(["Retention", retention || "keep all"]);
    pairs.push(["Verification", policy.verify ? "each backup is restored into a throwaway instance" : "off"]);
  }
  pairs.push(["Last success", lastSuccess ? `${lastSuccess.name} at ${isoSeconds(lastSuccess.completedAt)} (${age(lastSuccess.completedAt, now)} ago), ${lastSuccess.bytes !== undefined ? formatBytes(lastSuccess.bytes) : "size unknown"}` : "none"]);
  if (newest && newest.name !== lastSuccess?.name) pairs.push(["Newest", `${newest.name} ${paintPhase(newest.phase ?? "Pending")}${newest.error ? ` at ${newest.error}` : ""}`]);
  pairs.push(["Backups", counts.length ? `${counts.map(([phase, count]) => `${count} ${phase}`).join(", ")} (steward backups ${view.cluster.metadata.name})` : "none"]);
  return `Backups\n${indent(fields(pairs))}`;
}

function pointInTime(view: ClusterView, now: Date): string {
  const enabled = view.cluster.spec.backup?.pointInTime?.enabled ?? false;
  if (!enabled) return `Point in time\n${indent(fields([["Enabled", "no (spec.backup.pointInTime.enabled; restores go to a backup's own time)"]]))}`;
  const window = windowFromStatus(view.cluster.status?.pointInTime, view.backups.map(backupFacts));
  // Archiving lag and the gap flag are the operator's metrics' figures (shared/cluster-figures.ts).
  const figures = pointInTimeWindow(view.cluster, now);
  const latest = figures.end;
  const gaps = view.cluster.status?.pointInTime?.gaps ?? [];
  return `Point in time\n${indent(
    fields([
      ["Enabled", "yes"],
      ["Window", describeWindow(window)],
      ["Archiving lag", latest ? `${age(latest, now)} (everything committed before ${isoSeconds(latest)} is archived)` : "unknown"],
      ["Gaps", gaps.length > 0 ? `${gaps.length} span${gaps.length === 1 ? "" : "s"} cannot be recovered to` : figures.gap ? "the archive does not reach forward from the base backup yet: no point-in-time restore until archiving catches up" : "none"],
      // status.pointInTime.gaps: log segments that never reached the archive (backup/README.md).
      ...gaps.map((gap): [string, string] => ["", `${isoSeconds(gap.from)} .. ${isoSeconds(gap.to)}: ${gap.reason}`]),
    ]),
  )}`;
}

function events(view: ClusterView, now: Date): string {
  const recent = view.events.slice(-10);
  if (recent.length === 0) return "Recent events\n  none";
  return `Recent events\n${indent(renderTable(["AGE", "TYPE", "REASON", "OBJECT", "MESSAGE"], recent.map((event) => [age(event.time, now), event.type, event.reason, event.object, event.message])))}`;
}

function conditions(view: ClusterView, now: Date): string {
  const rows = (view.cluster.status?.conditions ?? []).map((condition) => [condition.type, condition.status, condition.reason, age(condition.lastTransitionTime, now), condition.message]);
  return rows.length === 0 ? "Conditions\n  none" : `Conditions\n${indent(renderTable(["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"], rows))}`;
}

function pods(view: ClusterView, now: Date): string {
  const rows = (view.pods ?? []).map((pod) => [pod.name, pod.phase, pod.ready, String(pod.restarts), pod.ip ?? "-", pod.node ?? "-", age(pod.startTime, now)]);
  return rows.length === 0 ? "Pods\n  none" : `Pods\n${indent(renderTable(["NAME", "PHASE", "READY", "RESTARTS", "IP", "NODE", "AGE"], rows))}`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

/** The sections of `steward status CLUSTER`, like `kubectl cnpg status`: summary, instances, backups, point in time, events; -v adds conditions and pods. */
export function renderClusterStatus(view: ClusterView, now: Date, verbose = false): string {
  const sections = [summary(view, now), instances(view), backups(view, now), pointInTime(view, now), events(view, now)];
  if (verbose) sections.push(conditions(view, now), pods(view, now));
  return sections.join("\n\n");
}
