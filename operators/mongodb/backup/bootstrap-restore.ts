/**
 * spec.bootstrap for MongoDB: a new cluster made from a backup (or a point in time). The first
 * member's sidecar runs it as the last bootstrap step (agent/sidecar.ts): after the set was
 * initiated with that member alone and the admin user exists, and before the operator creates
 * the application user or adds any other member (heal.ts waits for "restored"). The other
 * members then copy the restored data by MongoDB's initial sync when they are added, as for any
 * new member. A mongod started with --replSet accepts no writes before it is initiated, which
 * is why the load follows the initiation rather than preceding it (MySQL's init step loads a
 * private server instead).
 *
 * Crash safety: a marker in the member's `local` database (never replicated, never dumped)
 * says "started" before the load and "done" after it. A run that finds "done" does nothing;
 * any other run loads with replaceExisting, so what a crashed attempt left in the dumped
 * databases is dropped first instead of being merged into.
 */
import type { Document } from "mongodb";
import { executeRestore } from "../../../backup/agent/restore-commands.js";
import { BOOTSTRAP_ENV } from "../../../backup/cluster-secrets.js";
import type { EngineEndpoint } from "../../../backup/engine-backup.js";
import type { StorageContext } from "../../../backup/pipeline.js";
import type { Logger } from "../../../shared/log.js";
import { MongodbBackup, clientFor } from "./mongodb-backup.js";

export const BOOTSTRAP_MARKER = { database: "local", collection: "steward_bootstrap", id: "restore" } as const;

export interface BootstrapSource {
  namespace: string;
  cluster: string;
  backup?: string;
  pointInTime?: Date;
}

/** What the `<cluster>-bootstrap` Secret gives the sidecar (envFrom), or undefined for a cluster not made from a backup. */
export function bootstrapSourceFromEnvironment(env: NodeJS.ProcessEnv = process.env): BootstrapSource | undefined {
  const namespace = env[BOOTSTRAP_ENV.namespace];
  const cluster = env[BOOTSTRAP_ENV.cluster];
  if (!namespace || !cluster) return undefined;
  const pointInTime = env[BOOTSTRAP_ENV.pointInTime];
  return { namespace, cluster, backup: env[BOOTSTRAP_ENV.backup] || undefined, pointInTime: pointInTime ? new Date(pointInTime) : undefined };
}

/** Loads the source into the member at `endpoint` unless the marker says it was done; returns a line for the Event. */
export async function restoreBootstrapSource(options: { endpoint: EngineEndpoint; source: BootstrapSource; storage: StorageContext; log: Logger; signal: AbortSignal }): Promise<string> {
  const client = clientFor(options.endpoint);
  try {
    const marker = client.db(BOOTSTRAP_MARKER.database).collection<Document & { _id: string }>(BOOTSTRAP_MARKER.collection);
    const earlier = await marker.findOne({ _id: BOOTSTRAP_MARKER.id });
    if (earlier?.state === "done") return `restored earlier: ${String(earlier.summary)}`;
    await marker.updateOne({ _id: BOOTSTRAP_MARKER.id }, { $set: { state: "started", startedAt: new Date(), attempt: Number(earlier?.attempt ?? 0) + 1 } }, { upsert: true });
    const outcome = await executeRestore({
      engine: new MongodbBackup(),
      storage: options.storage,
      endpoint: options.endpoint,
      source: { namespace: options.source.namespace, name: options.source.cluster },
      backup: options.source.backup,
      pointInTime: options.source.pointInTime,
      replaceExisting: true,
      signal: options.signal,
      log: options.log,
    });
    const summary = `backup ${outcome.backup.backup} of ${options.source.cluster}, ${outcome.tables.length} collections checksummed, ${outcome.position ?? ""}`.trim();
    await marker.updateOne({ _id: BOOTSTRAP_MARKER.id }, { $set: { state: "done", summary, completedAt: new Date() } });
    return `restored ${summary}`;
  } finally {
    await client.close();
  }
}
