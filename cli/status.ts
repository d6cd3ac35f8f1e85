import { Command } from "commander";
import { databaseBackup, databaseCluster, effectiveSpec, type Condition, type DatabaseBackup, type DatabaseCluster } from "../shared/api/index.js";
import { KubeClient, RESOURCES } from "../shared/k8s/client.js";
import { kubeconfigOption, namespaceOf } from "./options.js";

/** Conditions whose "good" status is False: these are reported when True. */
const NEGATIVE_CONDITIONS = new Set(["Degraded", "Paused", "VerificationFailed", "Fenced"]);

export function unhealthyConditions(conditions: Condition[] | undefined): Condition[] {
  return (conditions ?? []).filter((condition) => (NEGATIVE_CONDITIONS.has(condition.type) ? condition.status === "True" : condition.status !== "True"));
}

export interface StatusRow {
  namespace: string;
  name: string;
  engine: string;
  version: string;
  ready: string;
  primary: string;
  phase: string;
  lastBackup: string;
  problems: string;
}

export function statusRows(clusters: DatabaseCluster[], backups: DatabaseBackup[], now = new Date()): StatusRow[] {
  return clusters.map((cluster) => {
    const spec = effectiveSpec(cluster);
    const engine = spec.flavor ? `${spec.engine}/${spec.flavor}` : spec.engine;
    const own = backups
      .filter((backup) => backup.spec.cluster === cluster.metadata.name && backup.metadata.namespace === cluster.metadata.namespace)
      .sort((a, b) => String(b.status?.completedAt ?? b.metadata.creationTimestamp ?? "").localeCompare(String(a.status?.completedAt ?? a.metadata.creationTimestamp ?? "")));
    const last = own[0];
    const lastBackup = last ? `${last.metadata.name} ${last.status?.phase ?? "Pending"}${last.status?.completedAt ? ` ${ago(new Date(last.status.completedAt), now)}` : ""}` : "-";
    return {
      namespace: cluster.metadata.namespace ?? "",
      name: cluster.metadata.name,
      engine,
      version: cluster.status?.version ?? cluster.spec.version ?? "-",
      ready: `${cluster.status?.readyReplicas ?? 0}/${cluster.spec.replicas}`,
      primary: cluster.status?.currentPrimary ?? "-",
      phase: cluster.status?.phase ?? "Pending",
      lastBackup,
      problems: unhealthyConditions(cluster.status?.conditions).map((condition) => `${condition.type}: ${condition.message}`).join("; ") || "-",
    };
  });
}

function ago(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join("   ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function renderStatus(rows: StatusRow[], allNamespaces: boolean): string {
  const headers = [...(allNamespaces ? ["NAMESPACE"] : []), "NAME", "ENGINE", "VERSION", "READY", "PRIMARY", "PHASE", "LAST BACKUP", "PROBLEMS"];
  const cells = rows.map((row) => [...(allNamespaces ? [row.namespace] : []), row.name, row.engine, row.version, row.ready, row.primary, row.phase, row.lastBackup, row.problems]);
  return renderTable(headers, cells);
}

export function statusCommand(): Command {
  return kubeconfigOption(new Command("status"))
    .description("Show database clusters: engine, version, ready/desired, primary, last backup, problems")
    .argument("[cluster]", "one cluster; default all in the namespace")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("-A, --all-namespaces", "every namespace")
    .action(async (name: string | undefined, options: { kubeconfig?: string; namespace?: string; allNamespaces?: boolean }) => {
      const client = KubeClient.fromKubeconfig(options.kubeconfig);
      const namespace = options.allNamespaces ? undefined : namespaceOf(client, options.namespace);
      const clusterList = await client.list(RESOURCES.DatabaseCluster, namespace);
      const backupList = await client.list(RESOURCES.DatabaseBackup, namespace);
      const clusters = clusterList.items.map((item) => databaseCluster.parse(item)).filter((cluster) => !name || cluster.metadata.name === name);
      if (name && clusters.length === 0) {
        console.error(`DatabaseCluster ${name} not found in namespace ${namespace}`);
        process.exitCode = 1;
        return;
      }
      const backups = backupList.items.map((item) => databaseBackup.parse(item));
      console.log(clusters.length === 0 ? `No DatabaseClusters in ${namespace ? `namespace ${namespace}` : "any namespace"}.` : renderStatus(statusRows(clusters, backups), !namespace));
    });
}
