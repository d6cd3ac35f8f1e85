import { Counter, Gauge, type Registry } from "prom-client";
import { CLUSTER_PHASES, type DatabaseBackup, type DatabaseCluster, type DatabaseRestore } from "./api/index.js";
import { lastSuccessfulBackup, pointInTimeWindow, replicationLag, scheduleIntervalSeconds, type PointInTimeWindow } from "./cluster-figures.js";

/**
 * Per-database metrics: what a platform team asks of each DatabaseCluster (is it healthy, how far
 * behind are its replicas, when did its last backup succeed, how wide is its point-in-time
 * window, how often did it fail over). Read from the resources' status by the controllers that
 * already hold them, kept per cluster, and written out at scrape time, so a deleted cluster's
 * series go with it (forget) and every series of a cluster is consistent with one status.
 *
 * Labels: namespace, cluster, engine on every series (bounded by the clusters that exist);
 * `phase` only on steward_cluster_phase (the fixed list of phases) and `member` only on the lag
 * (a pod name, bounded by spec.replicas <= 15). The operator's ServiceMonitor sets honorLabels,
 * so `namespace` is the cluster's, not the operator pod's.
 */

type ClusterLabels = { namespace: string; cluster: string; engine: string };
const CLUSTER_LABELS = ["namespace", "cluster", "engine"] as const;

interface BackupFigures {
  lastSuccessAt?: number;
  lastDurationSeconds?: number;
  lastBytes?: number;
  /** Names of backups seen Failed by this process: the failures counter is its size, so it never goes down. */
  failed: Set<string>;
  scheduleIntervalSeconds?: number;
}

interface RestoreFigures {
  completedAt: number;
  durationSeconds?: number;
  succeeded: boolean;
}

interface ClusterRecord {
  labels: ClusterLabels;
  phase?: string;
  desired?: number;
  ready?: number;
  createdAt?: number;
  lag: { name: string; seconds: number }[];
  pointInTime: PointInTimeWindow;
  failovers: number;
  failoverSeen?: string;
  lastFailoverAt?: number;
  lastFailoverDurationSeconds?: number;
  switchovers: number;
  switchoverSeen?: string;
  lastSwitchoverAt?: number;
  lastSwitchoverDurationSeconds?: number;
  certificateNotAfter?: number;
}

type Sample = [extra: Record<string, string>, value: number];

interface Definition {
  name: string;
  help: string;
  kind: "gauge" | "counter";
  extraLabel?: string;
  samples(record: ClusterRecord, side: { backup?: BackupFigures; restore?: RestoreFigures }, nowSeconds: number): Sample[];
}

const seconds = (ms: number) => ms / 1000;
const one = (value: number | undefined): Sample[] => (value === undefined || !Number.isFinite(value) ? [] : [[{}, value]]);

const DEFINITIONS: Definition[] = [
  {
    name: "steward_cluster_phase",
    help: "1 for the cluster's current phase (status.phase), 0 for the others",
    kind: "gauge",
    extraLabel: "phase",
    samples: (record) => (record.phase ? CLUSTER_PHASES.map((phase): Sample => [{ phase }, phase === record.phase ? 1 : 0]) : []),
  },
  { name: "steward_cluster_desired_instances", help: "spec.replicas", kind: "gauge", samples: (record) => one(record.desired) },
  { name: "steward_cluster_ready_instances", help: "status.readyReplicas: instances serving", kind: "gauge", samples: (record) => one(record.ready) },
  { name: "steward_cluster_created_timestamp_seconds", help: "When the DatabaseCluster was created (Unix seconds)", kind: "gauge", samples: (record) => one(record.createdAt) },
  {
    name: "steward_cluster_replication_lag_seconds",
    help: "Replication lag per instance, where the engine reports it (status.instances[].lagSeconds)",
    kind: "gauge",
    extraLabel: "member",
    samples: (record) => record.lag.map((entry): Sample => [{ member: entry.name }, entry.seconds]),
  },
  { name: "steward_cluster_failovers_total", help: "Automatic failovers seen by this operator process (status.lastFailover changing)", kind: "counter", samples: (record) => [[{}, record.failovers]] },
  { name: "steward_cluster_last_failover_timestamp_seconds", help: "status.lastFailover.at (Unix seconds)", kind: "gauge", samples: (record) => one(record.lastFailoverAt) },
  {
    name: "steward_cluster_last_failover_duration_seconds",
    help: "status.lastFailover.durationSeconds: from the primary first seen unhealthy to the new primary recorded",
    kind: "gauge",
    samples: (record) => one(record.lastFailoverDurationSeconds),
  },
  { name: "steward_cluster_switchovers_total", help: "Switchovers seen by this operator process (status.lastSwitchover changing)", kind: "counter", samples: (record) => [[{}, record.switchovers]] },
  { name: "steward_cluster_last_switchover_timestamp_seconds", help: "status.lastSwitchover.at (Unix seconds)", kind: "gauge", samples: (record) => one(record.lastSwitchoverAt) },
  { name: "steward_cluster_last_switchover_duration_seconds", help: "status.lastSwitchover.durationSeconds", kind: "gauge", samples: (record) => one(record.lastSwitchoverDurationSeconds) },
  {
    name: "steward_cluster_last_backup_success_timestamp_seconds",
    help: "Completion time of the newest Completed DatabaseBackup (Unix seconds)",
    kind: "gauge",
    samples: (_record, side) => one(side.backup?.lastSuccessAt),
  },
  { name: "steward_cluster_last_backup_duration_seconds", help: "Duration of the newest Completed backup", kind: "gauge", samples: (_record, side) => one(side.backup?.lastDurationSeconds) },
  { name: "steward_cluster_last_backup_size_bytes", help: "Bytes stored by the newest Completed backup", kind: "gauge", samples: (_record, side) => one(side.backup?.lastBytes) },
  {
    name: "steward_cluster_backup_failures_total",
    help: "DatabaseBackups of the cluster seen Failed by this operator process",
    kind: "counter",
    samples: (_record, side) => (side.backup ? [[{}, side.backup.failed.size]] : []),
  },
  {
    name: "steward_cluster_backup_schedule_interval_seconds",
    help: "Seconds between two due times of spec.backup.schedule (absent without a schedule)",
    kind: "gauge",
    samples: (_record, side) => one(side.backup?.scheduleIntervalSeconds),
  },
  {
    name: "steward_cluster_pitr_window_start_timestamp_seconds",
    help: "Earliest time a point-in-time restore can reach (Unix seconds)",
    kind: "gauge",
    samples: (record) => one(record.pointInTime.start && seconds(record.pointInTime.start.getTime())),
  },
  {
    name: "steward_cluster_pitr_window_end_timestamp_seconds",
    help: "Latest time a point-in-time restore can reach: the archive's archived-until time (Unix seconds)",
    kind: "gauge",
    samples: (record) => one(record.pointInTime.end && seconds(record.pointInTime.end.getTime())),
  },
  {
    name: "steward_cluster_pitr_archive_lag_seconds",
    help: "How far log archiving is behind now (now - window end)",
    kind: "gauge",
    samples: (record, _side, now) => one(record.pointInTime.end && Math.max(0, now - seconds(record.pointInTime.end.getTime()))),
  },
  {
    name: "steward_cluster_pitr_gap",
    help: "1 when point-in-time recovery is enabled and a base backup exists but the archive does not reach forward from it",
    kind: "gauge",
    samples: (record) => (record.pointInTime.enabled ? [[{}, record.pointInTime.gap ? 1 : 0]] : []),
  },
  { name: "steward_cluster_last_restore_timestamp_seconds", help: "When the newest finished DatabaseRestore into this cluster ended (Unix seconds)", kind: "gauge", samples: (_record, side) => one(side.restore?.completedAt) },
  { name: "steward_cluster_last_restore_duration_seconds", help: "Duration of the newest finished restore into this cluster", kind: "gauge", samples: (_record, side) => one(side.restore?.durationSeconds) },
  { name: "steward_cluster_last_restore_success", help: "1 if the newest finished restore into this cluster Completed, 0 if it Failed", kind: "gauge", samples: (_record, side) => (side.restore ? [[{}, side.restore.succeeded ? 1 : 0]] : []) },
  {
    name: "steward_cluster_tls_certificate_expiry_timestamp_seconds",
    help: "notAfter of the cluster's serving certificate (Unix seconds), once TLS is configured",
    kind: "gauge",
    samples: (record) => one(record.certificateNotAfter),
  },
];

/** Every per-database metric name, with its labels: for dashboards' and alerts' tests. */
export const DATABASE_METRICS: readonly { name: string; labels: readonly string[] }[] = DEFINITIONS.map((definition) => ({
  name: definition.name,
  labels: [...CLUSTER_LABELS, ...(definition.extraLabel ? [definition.extraLabel] : [])],
}));

const key = (namespace: string, name: string) => `${namespace}/${name}`;
const unixSeconds = (text: string | undefined) => {
  const ms = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? undefined : seconds(ms);
};

export class DatabaseMetrics {
  private readonly records = new Map<string, ClusterRecord>();
  private readonly backups = new Map<string, BackupFigures>();
  private readonly restores = new Map<string, RestoreFigures>();

  constructor(registry: Registry, private readonly now: () => Date = () => new Date()) {
    for (const definition of DEFINITIONS) {
      const labelNames = [...CLUSTER_LABELS, ...(definition.extraLabel ? [definition.extraLabel] : [])];
      const fill = (metric: Gauge<string> | Counter<string>) => {
        metric.reset();
        const nowSeconds = seconds(this.now().getTime());
        for (const [clusterKey, record] of this.records) {
          const side = { backup: this.backups.get(clusterKey), restore: this.restores.get(clusterKey) };
          for (const [extra, value] of definition.samples(record, side, nowSeconds)) {
            const labels = { ...record.labels, ...extra };
            if (metric instanceof Gauge) metric.set(labels, value);
            else metric.inc(labels, value);
          }
        }
      };
      const options = { name: definition.name, help: definition.help, labelNames, registers: [registry] };
      if (definition.kind === "gauge") new Gauge({ ...options, collect() { fill(this); } });
      else new Counter({ ...options, collect() { fill(this); } });
    }
  }

  /** The cluster as the API holds it (or as the controller is about to write it). */
  observeCluster(cluster: DatabaseCluster): void {
    const namespace = cluster.metadata.namespace ?? "default";
    const clusterKey = key(namespace, cluster.metadata.name);
    const status = cluster.status;
    let record = this.records.get(clusterKey);
    const failover = status?.lastFailover?.at;
    const switchover = status?.lastSwitchover?.at;
    if (!record) {
      // First sight in this process: what happened before is not counted again (counters start at 0).
      record = { labels: { namespace, cluster: cluster.metadata.name, engine: cluster.spec.engine }, lag: [], pointInTime: { enabled: false, gap: false }, failovers: 0, failoverSeen: failover, switchovers: 0, switchoverSeen: switchover };
      this.records.set(clusterKey, record);
    }
    if (failover && failover !== record.failoverSeen) record.failovers += 1;
    if (switchover && switchover !== record.switchoverSeen) record.switchovers += 1;
    record.failoverSeen = failover;
    record.switchoverSeen = switchover;
    record.phase = status?.phase;
    record.desired = cluster.spec.replicas;
    record.ready = status?.readyReplicas;
    record.createdAt = unixSeconds(cluster.metadata.creationTimestamp === undefined ? undefined : String(cluster.metadata.creationTimestamp));
    record.lag = replicationLag(cluster).byInstance;
    record.pointInTime = pointInTimeWindow(cluster, this.now());
    record.lastFailoverAt = unixSeconds(failover);
    record.lastFailoverDurationSeconds = status?.lastFailover?.durationSeconds;
    record.lastSwitchoverAt = unixSeconds(switchover);
    record.lastSwitchoverDurationSeconds = status?.lastSwitchover?.durationSeconds;
    // From status.tls, which the cluster controller writes on every reconcile.
    if (status?.tls?.notAfter) record.certificateNotAfter = unixSeconds(status.tls.notAfter);
  }

  /** The cluster's DatabaseBackups (any phase), with the cluster whose policy they follow. */
  observeBackups(cluster: DatabaseCluster, backups: readonly DatabaseBackup[]): void {
    const clusterKey = key(cluster.metadata.namespace ?? "default", cluster.metadata.name);
    const figures = this.backups.get(clusterKey) ?? { failed: new Set<string>() };
    const last = lastSuccessfulBackup(backups);
    figures.lastSuccessAt = last && seconds(last.completedAt.getTime());
    figures.lastDurationSeconds = last?.durationSeconds;
    figures.lastBytes = last?.bytes;
    for (const backup of backups) if (backup.status?.phase === "Failed") figures.failed.add(backup.metadata.name);
    const policy = cluster.spec.backup;
    figures.scheduleIntervalSeconds = policy?.schedule ? scheduleIntervalSeconds(policy.schedule, policy.timeZone, this.now()) : undefined;
    this.backups.set(clusterKey, figures);
    // The policy controller has just computed the window: take it without waiting for the cluster controller.
    const record = this.records.get(clusterKey);
    if (record) record.pointInTime = pointInTimeWindow(cluster, this.now());
  }

  /** A finished DatabaseRestore: the newest one per target cluster is kept. */
  observeRestore(restore: DatabaseRestore): void {
    const status = restore.status;
    if (!status?.targetCluster || (status.phase !== "Completed" && status.phase !== "Failed")) return;
    const completedAt = unixSeconds(status.completedAt);
    if (completedAt === undefined) return;
    const clusterKey = key(restore.metadata.namespace ?? "default", status.targetCluster);
    const previous = this.restores.get(clusterKey);
    if (previous && previous.completedAt > completedAt) return;
    const startedAt = unixSeconds(status.startedAt);
    this.restores.set(clusterKey, { completedAt, durationSeconds: startedAt === undefined ? undefined : Math.max(0, completedAt - startedAt), succeeded: status.phase === "Completed" });
  }

  /** For the TLS code: the serving certificate's notAfter. */
  observeCertificate(namespace: string, name: string, notAfter: Date): void {
    const record = this.records.get(key(namespace, name));
    if (record) record.certificateNotAfter = seconds(notAfter.getTime());
  }

  /** The cluster is gone (or going): every series of it disappears at the next scrape. */
  forget(namespace: string, name: string): void {
    const clusterKey = key(namespace, name);
    this.records.delete(clusterKey);
    this.backups.delete(clusterKey);
    this.restores.delete(clusterKey);
  }
}
