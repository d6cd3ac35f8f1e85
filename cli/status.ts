import { Command } from "commander";
import { z } from "zod";
import { condition as conditionSchema, databaseBackup, databaseCluster, LABELS, type Condition, type DatabaseBackup, type DatabaseCluster } from "../shared/api/index.js";
import { problemConditions } from "../shared/condition-health.js";
import { RESOURCES, type KubeClient } from "../shared/k8s/client.js";
import { backupsOf } from "./backup-list.js";
import { age, engineLabel, renderClusterStatus, type ClusterView } from "./cluster-status.js";
import { kubeconfigOption, namespaceOf, readCluster, withClient } from "./options.js";
import { cliIo, NotFoundError, outputOption, printOut, renderTable, type OutputFormat } from "./output.js";
import { renderObjects } from "./print-objects.js";

/** The conditions that say something is wrong (shared/condition-health.ts). */
export function unhealthyConditions(conditions: Condition[] | undefined): Condition[] {
  return problemConditions(conditions);
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
    const own = backups
      .filter((backup) => backup.spec.cluster === cluster.metadata.name && backup.metadata.namespace === cluster.metadata.namespace)
      .sort((a, b) => String(b.status?.completedAt ?? b.metadata.creationTimestamp ?? "").localeCompare(String(a.status?.completedAt ?? a.metadata.creationTimestamp ?? "")));
    const last = own[0];
    const lastBackup = last ? `${last.metadata.name} ${last.status?.phase ?? "Pending"}${last.status?.completedAt ? ` ${age(last.status.completedAt, now)} ago` : ""}` : "-";
    return {
      namespace: cluster.metadata.namespace ?? "",
      name: cluster.metadata.name,
      engine: engineLabel(cluster),
      version: cluster.status?.version ?? cluster.spec.version ?? "-",
      ready: `${cluster.status?.readyReplicas ?? 0}/${cluster.spec.replicas}`,
      primary: cluster.status?.currentPrimary ?? "-",
      phase: cluster.status?.phase ?? "Pending",
      lastBackup,
      problems: unhealthyConditions(cluster.status?.conditions).map((condition) => `${condition.type}: ${condition.message}`).join("; ") || "-",
    };
  });
}

export function renderStatus(rows: StatusRow[], allNamespaces: boolean): string {
  const headers = [...(allNamespaces ? ["NAMESPACE"] : []), "NAME", "ENGINE", "VERSION", "READY", "PRIMARY", "PHASE", "LAST BACKUP", "PROBLEMS"];
  const cells = rows.map((row) => [...(allNamespaces ? [row.namespace] : []), row.name, row.engine, row.version, row.ready, row.primary, row.phase, row.lastBackup, row.problems]);
  return renderTable(headers, cells);
}

// Only the fields shown; both the events.k8s.io and the core shape of an Event are read.
const eventSchema = z.looseObject({
  type: z.string().optional(),
  reason: z.string().optional(),
  note: z.string().optional(),
  eventTime: z.string().nullish(),
  deprecatedLastTimestamp: z.string().nullish(),
  series: z.looseObject({ lastObservedTime: z.string().optional() }).nullish(),
  regarding: z.looseObject({ kind: z.string().optional(), name: z.string().optional() }).optional(),
  metadata: z.looseObject({ creationTimestamp: z.string().optional() }),
});

const podSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string() }),
  spec: z.looseObject({ nodeName: z.string().optional() }).optional(),
  status: z
    .looseObject({
      phase: z.string().optional(),
      podIP: z.string().optional(),
      startTime: z.string().optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
      containerStatuses: z.array(z.looseObject({ ready: z.boolean(), restartCount: z.number() })).optional(),
    })
    .optional(),
});

const backupStorageSchema = z.looseObject({
  spec: z.looseObject({ s3: z.looseObject({ bucket: z.string(), prefix: z.string().optional() }).optional() }),
  status: z.looseObject({ conditions: z.array(conditionSchema).optional() }).optional(),
});

/** Everything `steward status CLUSTER` shows, read from the API. */
export async function readClusterView(client: KubeClient, namespace: string, name: string, verbose: boolean): Promise<ClusterView> {
  const cluster = await readCluster(client, namespace, name);
  const backups = backupsOf(cluster, (await client.list(RESOURCES.DatabaseBackup, namespace)).items.map((item) => databaseBackup.parse(item)));
  const storageName = cluster.spec.backup?.storage;
  const rawStorage = storageName ? await client.get(RESOURCES.BackupStorage, namespace, storageName) : undefined;
  const storage = rawStorage && storageName ? backupStorageSchema.parse(rawStorage) : undefined;
  const restores = (await client.list(RESOURCES.DatabaseRestore, namespace)).items.filter((item) => (item.spec as { source?: { cluster?: string } } | undefined)?.source?.cluster === name || (item.status as { targetCluster?: string } | undefined)?.targetCluster === name);
  const about = new Map<string, string>([[`DatabaseCluster/${name}`, name], ...backups.map((backup) => [`DatabaseBackup/${backup.metadata.name}`, `backup/${backup.metadata.name}`] as const), ...restores.map((restore) => [`DatabaseRestore/${restore.metadata.name}`, `restore/${restore.metadata.name}`] as const)]);
  const events = (await client.list(RESOURCES.Event, namespace)).items
    .map((item) => eventSchema.parse(item))
    .flatMap((event) => {
      const object = about.get(`${event.regarding?.kind}/${event.regarding?.name}`);
      const time = event.series?.lastObservedTime ?? event.eventTime ?? event.deprecatedLastTimestamp ?? event.metadata.creationTimestamp;
      return object ? [{ time: time ?? undefined, type: event.type ?? "Normal", reason: event.reason ?? "", object, message: event.note ?? "" }] : [];
    })
    .sort((a, b) => (a.time ?? "").localeCompare(b.time ?? ""));
  const view: ClusterView = {
    cluster,
    backups,
    events,
    storage: storageName && storage ? { name: storageName, location: storage.spec.s3 ? `s3://${storage.spec.s3.bucket}/${storage.spec.s3.prefix ?? ""}` : undefined, available: storage.status?.conditions?.find((condition) => condition.type === "Available") } : undefined,
  };
  if (verbose) {
    const pods = await client.list(RESOURCES.Pod, namespace, { labelSelector: `${LABELS.cluster}=${name}` });
    view.pods = pods.items
      .map((item) => podSchema.parse(item))
      .map((pod) => {
        const containers = pod.status?.containerStatuses ?? [];
        return {
          name: pod.metadata.name,
          phase: pod.status?.phase ?? "Pending",
          ready: `${containers.filter((container) => container.ready).length}/${containers.length}`,
          restarts: containers.reduce((sum, container) => sum + container.restartCount, 0),
          ip: pod.status?.podIP,
          node: pod.spec?.nodeName,
          startTime: pod.status?.startTime,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  return view;
}

export function statusCommand(): Command {
  return outputOption(kubeconfigOption(new Command("status")))
    .description("Show database clusters: one line each, or one cluster's summary, instances, backups, point in time and events")
    .argument("[cluster]", "one cluster, in sections; default every cluster, one line each")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig's)")
    .option("-A, --all-namespaces", "every namespace")
    .option("-v, --verbose", "with one cluster: also its conditions and pods")
    .action(async (name: string | undefined, options: { kubeconfig?: string; namespace?: string; allNamespaces?: boolean; verbose?: boolean; output: OutputFormat }) => {
      await withClient(options.kubeconfig, async (client) => {
        const now = cliIo().now();
        if (name) {
          const namespace = namespaceOf(client, options.namespace);
          if (options.output !== "table") {
            const raw = await client.get(RESOURCES.DatabaseCluster, namespace, name);
            if (!raw) throw new NotFoundError(`DatabaseCluster ${name} not found in namespace ${namespace}`);
            printOut(renderObjects(options.output, raw));
            return;
          }
          printOut(renderClusterStatus(await readClusterView(client, namespace, name, Boolean(options.verbose)), now, options.verbose));
          return;
        }
        const namespace = options.allNamespaces ? undefined : namespaceOf(client, options.namespace);
        const rawClusters = (await client.list(RESOURCES.DatabaseCluster, namespace)).items;
        // json and yaml print the objects as the API server holds them (no defaults added, no fields dropped).
        if (options.output !== "table") {
          printOut(renderObjects(options.output, rawClusters));
          return;
        }
        const clusters = rawClusters.map((item) => databaseCluster.parse(item));
        const backups = (await client.list(RESOURCES.DatabaseBackup, namespace)).items.map((item) => databaseBackup.parse(item));
        printOut(clusters.length === 0 ? `No DatabaseClusters in ${namespace ? `namespace ${namespace}` : "any namespace"}.` : renderStatus(statusRows(clusters, backups, now), !namespace));
      });
    });
}
