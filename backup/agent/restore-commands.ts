import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootLogger, type Logger } from "../../shared/log.js";
import type { DatabaseBackupStatus, DatabaseRestoreStatus } from "../../shared/api/index.js";
import type { EngineBackup, EngineEndpoint, TableChecksum, ThrowawayInstance } from "../engine-backup.js";
import { backupChain } from "../planning/chain.js";
import { listArchivedSegments, listArchiverStates, toArchivedSegments } from "../log-archive.js";
import { backupPrefix, clusterPrefix, parseManifest, s3Url, type BackupManifest, type ClusterRef, type StoredObject } from "../manifest.js";
import { StepError, describeFailure, readBackupManifest, runRestore, step, verifyStoredObject, type StorageContext } from "../pipeline.js";
import { baseBackupFor, planPointInTimeRestore, type RestorableBackup } from "../planning/restore-plan.js";
import { getText, listObjects } from "../s3/objects.js";
import type { RestoreOptions, VerifyOptions } from "./options.js";
import { endpointFromOptions, storageFromEnvironment } from "./environment.js";
import { StatusReporter, writeTerminationMessage } from "./reporter.js";

/** Every backup of a cluster that has a manifest (a Completed backup), read from S3. */
export async function listBackupManifests(storage: StorageContext, cluster: ClusterRef): Promise<RestorableBackup[]> {
  const prefix = `${clusterPrefix(storage.target.prefix, cluster)}backups/`;
  const objects = await listObjects(storage.client, storage.target.bucket, prefix);
  const backups: RestorableBackup[] = [];
  for (const object of objects.filter((candidate) => candidate.key.endsWith("/manifest.json"))) {
    const text = await getText(storage.client, storage.target.bucket, object.key);
    if (text === undefined) continue;
    const manifest = parseManifest(text, s3Url(storage.target.bucket, object.key));
    backups.push({ name: manifest.backup, manifest });
  }
  return backups;
}

/**
 * A target the restore starts itself (a new cluster's first instance, a verification's
 * throwaway): logical backups load into it once it runs on an empty data directory; physical
 * ones are unpacked and prepared in `dataDir` first, and it then starts on them.
 */
export interface OfflineTarget {
  dataDir: string;
  /** Scratch space on the same volume (incremental layers while they are applied). */
  workDir: string;
  start(options: { restoredData: boolean }): Promise<ThrowawayInstance>;
}

export interface RestoreJob {
  engine: EngineBackup;
  storage: StorageContext;
  /** A running target (logical restores: a restore Job, in place). */
  endpoint?: EngineEndpoint;
  /** Or a target this restore starts (required for physical backups). */
  offline?: OfflineTarget;
  source: ClusterRef;
  backup?: string;
  pointInTime?: Date;
  replaceExisting: boolean;
  /** Only plan and read every object once against its manifest's checksum; load nothing. */
  checkOnly?: boolean;
  signal: AbortSignal;
  log: Logger;
  onStatus?: (status: DatabaseRestoreStatus) => void;
}

export interface RestoreOutcome {
  backup: BackupManifest;
  tables: TableChecksum[];
  position?: string;
}

/** Fails naming every table whose checksum differs from (or is missing beside) the one recorded at backup time. */
export function compareWithRecorded(manifest: BackupManifest, tables: TableChecksum[]): void {
  const restored = new Map(tables.map((table) => [table.table, table.checksum]));
  const recorded = new Map((manifest.checksums ?? []).map((table) => [table.table, table.checksum]));
  const differences: string[] = [];
  for (const [table, checksum] of recorded) if (restored.get(table) !== checksum) differences.push(`${table} (at backup time ${checksum}, restored ${restored.get(table) ?? "missing"})`);
  for (const table of restored.keys()) if (!recorded.has(table)) differences.push(`${table} (not in the backup's recorded checksums)`);
  if (differences.length > 0) throw new Error(`CHECKSUM TABLE of the restored data differs from backup ${manifest.backup}'s, recorded at backup time: ${differences.slice(0, 10).join("; ")}${differences.length > 10 ? `; and ${differences.length - 10} more` : ""}`);
}

/** A whole restore as the Job runs it: plan (for a point in time), load, replay, checksums. */
export async function executeRestore(job: RestoreJob): Promise<RestoreOutcome> {
  let manifest: BackupManifest;
  let replay: ((endpoint: EngineEndpoint) => Promise<string>) | undefined;
  let segmentsToCheck: StoredObject[] = [];
  if (job.pointInTime) {
    const pointInTime = job.pointInTime;
    const pitr = job.engine.pointInTime;
    if (!pitr) throw new StepError("plan", new Error(`engine ${job.engine.engine} cannot restore to a point in time`));
    const [backups, states] = await step("plan", () => Promise.all([listBackupManifests(job.storage, job.source), listArchiverStates(job.storage, job.source)]));
    const base = baseBackupFor(backups, pointInTime);
    const segments = base ? await step("plan", () => listArchivedSegments(job.storage, job.source, { baseConsistentAt: new Date(base.manifest.consistentAt), pointInTime })) : [];
    const plan = planPointInTimeRestore({ backups, segments, archivedUntil: states.map((state) => new Date(state.archivedUntil)), pointInTime });
    if (!plan.ok) throw new StepError("plan", new Error(plan.reason));
    manifest = plan.backup.manifest;
    segmentsToCheck = plan.segments.map((segment) => segment.data);
    job.log.info({ backup: plan.backup.name, segments: plan.segments.length }, "Planned the point-in-time restore");
    replay = async (endpoint) => {
      const reached = await pitr.replay(toArchivedSegments(job.storage, plan.segments, job.signal), { endpoint, from: manifest.position, stopAt: pointInTime, signal: job.signal, log: job.log });
      return reached.summary;
    };
  } else {
    if (!job.backup) throw new StepError("plan", new Error("name a backup or a point in time"));
    const found = await step("manifest", () => readBackupManifest(job.storage, job.source, job.backup!));
    if (!found) throw new StepError("manifest", new Error(`no manifest at ${s3Url(job.storage.target.bucket, `${backupPrefix(job.storage.target.prefix, job.source, job.backup)}manifest.json`)}: the backup never completed, or its objects were removed`));
    manifest = found;
  }
  const chain = manifest.chain ? await step("manifest", async () => backupChain(manifest, new Map((await listBackupManifests(job.storage, job.source)).map((backup) => [backup.name, backup.manifest])))) : [manifest];
  if (job.checkOnly) {
    for (const object of [...chain.map((link) => link.data), ...segmentsToCheck]) await step("checksum", () => verifyStoredObject(job.storage, object, job.signal));
    return { backup: manifest, tables: [], position: manifest.position.summary };
  }
  const physicalOffline = manifest.method === "physical" && job.engine.physicalRestoresOffline === true;
  const physicalInPlace = physicalOffline && job.replaceExisting ? job.engine.physicalInPlace : undefined;
  if (physicalOffline && (job.replaceExisting ? !physicalInPlace || !job.endpoint : !job.offline)) {
    throw new StepError("plan", new Error(`backup ${manifest.backup} is a physical copy: it restores into a new cluster (its first instance starts on it)${job.replaceExisting ? ", or in place by an engine that can" : ", not into a running server"}`));
  }
  const totalBytes = chain.reduce((sum, link) => sum + link.data.size, 0);
  job.onStatus?.({ phase: "Running", backup: manifest.backup, progress: { bytes: 0, totalBytes, updatedAt: new Date().toISOString() } });
  let instance: ThrowawayInstance | undefined;
  let loadedBytes = 0;
  const load = async (link: BackupManifest, index: number, endpoint?: EngineEndpoint) => {
    await runRestore({
      engine: job.engine,
      endpoint,
      dataDir: job.offline?.dataDir,
      workDir: job.offline?.workDir,
      layer: { index, count: chain.length },
      storage: job.storage,
      manifest: link,
      replaceExisting: job.replaceExisting,
      signal: job.signal,
      log: job.log,
      onProgress: ({ storedBytes }) => job.onStatus?.({ progress: { bytes: loadedBytes + storedBytes, totalBytes, updatedAt: new Date().toISOString() } }),
    });
    loadedBytes += link.data.size;
  };
  try {
    if (physicalInPlace) {
      // Every copy is checked against its manifest, then prepared beside the data, before
      // anything of the running instance is touched.
      for (const [index, link] of chain.entries()) await load(link, index, job.endpoint);
      await step("start", () => physicalInPlace.activate(job.endpoint!, { signal: job.signal, log: job.log }));
    } else if (physicalOffline) {
      for (const [index, link] of chain.entries()) await load(link, index);
      instance = await step("start", () => job.offline!.start({ restoredData: true }));
    } else {
      if (job.offline) instance = await step("start", () => job.offline!.start({ restoredData: false }));
      await load(manifest, 0, instance?.endpoint ?? job.endpoint);
    }
    const endpoint = instance?.endpoint ?? job.endpoint!;
    const position = replay ? await step("replay", () => replay(endpoint)) : manifest.position.summary;
    job.onStatus?.({ phase: "Verifying" });
    const tables = await step("verify", () => job.engine.checksums({ endpoint, signal: job.signal }));
    // Restored to the backup itself (no log replayed on top): the tables must be what they were when it was taken.
    if (!replay && manifest.checksums) await step("verify", async () => compareWithRecorded(manifest, tables));
    if (physicalInPlace) {
      const reseeded = await step("reseed", () => physicalInPlace.reseedOthers(endpoint, { signal: job.signal, log: job.log }));
      job.log.info({ instances: reseeded }, "The other instances copied the restored primary");
    }
    return { backup: manifest, tables, position };
  } finally {
    await instance?.stop();
  }
}

/** `steward agent restore`: the restore Job (and the check and checksum Jobs of a restore into a new cluster). */
export async function runRestoreJob(options: RestoreOptions, engine: EngineBackup): Promise<void> {
  const log = rootLogger.child({ agent: "restore", namespace: options.namespace, restore: options.restore });
  const reporter = StatusReporter.forRestore(options.report ? options.namespace : undefined, options.restore, log);
  const controller = new AbortController();
  process.once("SIGTERM", () => controller.abort(new Error("the restore Job was stopped (SIGTERM)")));
  const storage = storageFromEnvironment();
  if (options.checksumsOnly) {
    try {
      const tables = await checksumsWithRetries(engine, endpointFromOptions(options), controller.signal, log);
      await reporter.finish({ verification: { tables, checkedAt: new Date().toISOString() } } satisfies DatabaseRestoreStatus);
    } catch (error) {
      const message = `the restored cluster could not be checksummed: ${(error as Error).message}`;
      writeTerminationMessage(`verify: ${message}`);
      await reporter.finish({ phase: "Failed", completedAt: new Date().toISOString(), error: { step: "verify", message } });
      log.error({ step: "verify", err: message }, "Restore failed");
      process.exitCode = 1;
    } finally {
      storage.client.destroy();
    }
    return;
  }
  try {
    const outcome = await executeRestore({
      engine,
      storage,
      endpoint: endpointFromOptions(options),
      source: { namespace: options.namespace, name: options.sourceCluster },
      backup: options.backup,
      pointInTime: options.pointInTime ? new Date(options.pointInTime) : undefined,
      replaceExisting: options.replaceExisting === true,
      checkOnly: options.checkOnly === true,
      signal: controller.signal,
      log,
      onStatus: (status) => (status.progress ? reporter.progress(status as Record<string, unknown>) : void reporter.write(status as Record<string, unknown>)),
    });
    const now = new Date().toISOString();
    if (options.checkOnly) {
      await reporter.finish({ backup: outcome.backup.backup });
      log.info({ backup: outcome.backup.backup }, "Every object matches its manifest");
      return;
    }
    await reporter.finish({
      phase: "Completed",
      completedAt: now,
      backup: outcome.backup.backup,
      verification: { tables: outcome.tables, checkedAt: now },
      progress: { bytes: outcome.backup.data.size, totalBytes: outcome.backup.data.size, updatedAt: now },
    } satisfies DatabaseRestoreStatus);
    log.info({ backup: outcome.backup.backup, tables: outcome.tables.length, position: outcome.position }, "Restore completed");
  } catch (error) {
    const { step: stepName, message } = describeFailure(error, "restore");
    writeTerminationMessage(`${stepName}: ${message}`);
    await reporter.finish({ phase: "Failed", completedAt: new Date().toISOString(), error: { step: stepName, message } });
    log.error({ step: stepName, err: message }, "Restore failed");
    process.exitCode = 1;
  } finally {
    storage.client.destroy();
  }
}

/**
 * The checksums of a restored cluster, which has only just become Ready: a connection refused
 * or reset on the way (the Service between endpoints, a busy node) is tried again, three
 * times over ~10 s, before the restore is failed for it.
 */
async function checksumsWithRetries(engine: EngineBackup, endpoint: EngineEndpoint, signal: AbortSignal, log: Logger): Promise<TableChecksum[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await engine.checksums({ endpoint, signal });
    } catch (error) {
      const transient = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|PROTOCOL_CONNECTION_LOST|socket hang up|closed/i.test(`${(error as NodeJS.ErrnoException).code ?? ""} ${(error as Error).message}`);
      if (!transient || attempt >= 4 || signal.aborted) throw error;
      log.warn({ attempt, err: (error as Error).message }, "Could not checksum the restored cluster yet; trying again");
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
    }
  }
}

/** `steward agent verify`: restore one backup into a throwaway instance and record the result. */
export async function runVerifyJob(options: VerifyOptions, engine: EngineBackup): Promise<void> {
  const log = rootLogger.child({ agent: "verify", namespace: options.namespace, backup: options.backup });
  const reporter = StatusReporter.forBackup(options.report ? options.namespace : undefined, options.backup, log);
  const storage = storageFromEnvironment();
  const controller = new AbortController();
  const started = Date.now();
  let verification: NonNullable<DatabaseBackupStatus["verification"]>;
  try {
    if (!engine.throwaway) throw new StepError("start", new Error(`engine ${options.engine} cannot start a throwaway instance`));
    const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "steward-verify-"));
    {
      const outcome = await executeRestore({
        engine,
        storage,
        // The data directory matters only to physical copies, which are unpacked there first.
        offline: { dataDir: engine.throwawayDataDir?.(workDir) ?? join(workDir, "data"), workDir, start: ({ restoredData }) => engine.throwaway!(workDir, log, { restoredData }) },
        source: { namespace: options.namespace, name: options.cluster },
        backup: options.backup,
        replaceExisting: false,
        signal: controller.signal,
        log,
      });
      const seconds = Math.round((Date.now() - started) / 1000);
      verification = {
        result: "Verified",
        message: `Restored into a throwaway ${outcome.backup.flavor ?? outcome.backup.engine} in ${seconds}s: ${outcome.tables.length} tables checksummed${outcome.backup.checksums ? ", equal to the checksums recorded at backup time" : ""}, sha256 of the stored bytes matched`,
        checkedAt: new Date().toISOString(),
        tables: outcome.tables,
      };
    }
  } catch (error) {
    const { step: stepName, message } = describeFailure(error, "verify");
    verification = { result: "Failed", message: `${stepName}: ${message}`, checkedAt: new Date().toISOString() };
    process.exitCode = 1;
  } finally {
    storage.client.destroy();
  }
  writeTerminationMessage(verification.message);
  await reporter.finish({ verification });
  log.info({ result: verification.result, message: verification.message }, "Verification finished");
}
