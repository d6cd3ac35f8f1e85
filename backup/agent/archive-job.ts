import { rootLogger } from "../../shared/log.js";
import { parseDuration } from "../../shared/api/index.js";
import { LogArchiver } from "../log-archive.js";
import type { EngineBackup } from "../engine-backup.js";
import type { ArchiveOptions } from "./options.js";
import { endpointFromOptions, storageFromEnvironment } from "./environment.js";

/**
 * The PITR sidecar: archives the engine's closed log segments to S3, closing the current one
 * once a commit in it has waited --max-segment-age. S3 outages are retried; segments wait on
 * the volume meanwhile. On SIGTERM it closes and uploads what it can before it exits.
 */
export async function runArchiveSidecar(options: ArchiveOptions, engine: EngineBackup): Promise<void> {
  const log = rootLogger.child({ agent: "archiver", namespace: options.namespace, cluster: options.cluster });
  if (!engine.pointInTime) throw new Error(`engine ${options.engine} has no point-in-time recovery`);
  const storage = storageFromEnvironment();
  const endpoint = endpointFromOptions(options);
  const maxSegmentAgeMs = parseDuration(options.maxSegmentAge);
  const intervalMs = parseDuration(options.interval);
  let stopping = false;
  process.once("SIGTERM", () => (stopping = true));
  let archiver: LogArchiver | undefined;
  let failures = 0;
  for (;;) {
    try {
      archiver ??= new LogArchiver(await engine.pointInTime.logSource(endpoint, { dataDir: options.dataDir, log }), {
        engine: options.engine,
        storage,
        cluster: { namespace: options.namespace, name: options.cluster },
        compression: options.compression,
        maxSegmentAgeMs,
        log,
      });
      await archiver.pass(stopping ? { maxSegmentAgeMs: 0 } : {});
      if (failures > 0) log.info({ after: failures }, "Archiving works again");
      failures = 0;
    } catch (error) {
      failures++;
      // Logged on the first failure and then every minute, not every second.
      if (failures === 1 || failures % 60 === 0) log.warn({ err: (error as Error).message, failures }, "Archiving failed; retrying (binlogs wait on the volume)");
      archiver = undefined;
    }
    if (options.once || stopping) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  storage.client.destroy();
}
