/**
 * `steward agent mongodb-oplog-archiver`: the point-in-time sidecar of a MongoDB pod (present
 * when spec.backup.pointInTime.enabled). Every second it runs one pass of the OplogArchiver
 * (backup/oplog-archiver.ts): on the primary it tails the local oplog and uploads closed slices
 * (every 10 s or 16 MiB) with their manifests; elsewhere it idles. S3 outages are retried with
 * the slices held in memory and the tail waiting (the oplog is the buffer). On SIGTERM it
 * closes the open slice and uploads what it can.
 */
import { Command } from "commander";
import { MongoClient } from "mongodb";
import { parseDuration } from "../../../shared/api/index.js";
import { rootLogger } from "../../../shared/log.js";
import { storageFromEnvironment } from "../../../backup/agent/environment.js";
import { ENV } from "../../../backup/agent/variables.js";
import type { Compression } from "../../../backup/format/compression.js";
import { requiredEnv } from "../../common/agent-sidecar.js";
import { OplogArchiver } from "../backup/oplog-archiver.js";
import { MONGODB_PORT } from "../names.js";
import { SLICE_MAX_BYTES } from "../oplog-slices.js";

interface ArchiverFlags {
  namespace: string;
  cluster: string;
  compression: Compression;
  maxSliceAge: string;
  interval: string;
}

export function mongodbOplogArchiverCommand(): Command {
  return new Command("mongodb-oplog-archiver")
    .description("Point-in-time sidecar of a MongoDB pod: on the primary, tails the oplog and archives slices to S3")
    .requiredOption("--namespace <namespace>", "the cluster's namespace")
    .requiredOption("--cluster <name>", "the cluster whose oplog this is")
    .option("--compression <zstd|gzip|none>", "compression of the slices", "zstd")
    .option("--max-slice-age <duration>", "an entry waits at most this long before its slice is uploaded", "10s")
    .option("--interval <duration>", "time between passes", "1s")
    .action(async (flags: ArchiverFlags) => {
      const stream = requiredEnv("POD_NAME");
      const log = rootLogger.child({ agent: "oplog-archiver", namespace: flags.namespace, cluster: flags.cluster, stream });
      const storage = storageFromEnvironment();
      // The member's own mongod, directly: the tail must read this member's oplog.
      const client = new MongoClient(`mongodb://127.0.0.1:${MONGODB_PORT}/`, {
        auth: { username: requiredEnv(ENV.dbUser), password: requiredEnv(ENV.dbPassword) },
        authSource: "admin",
        directConnection: true,
        maxPoolSize: 3,
      });
      const archiver = new OplogArchiver(client, {
        engine: "mongodb",
        storage,
        cluster: { namespace: flags.namespace, name: flags.cluster },
        compression: flags.compression,
        stream,
        limits: { maxAgeMs: parseDuration(flags.maxSliceAge), maxBytes: SLICE_MAX_BYTES },
        log,
      });
      let stopping = false;
      process.once("SIGTERM", () => (stopping = true));
      let failures = 0;
      while (!stopping) {
        try {
          await archiver.pass();
          if (failures > 0) log.info({ after: failures }, "Archiving works again");
          failures = 0;
        } catch (error) {
          failures += 1;
          // Logged on the first failure and then every minute, not every second.
          if (failures === 1 || failures % 60 === 0) log.warn({ err: (error as Error).message, failures }, "Archiving the oplog failed; retrying");
        }
        await new Promise((resolve) => setTimeout(resolve, parseDuration(flags.interval)));
      }
      await archiver.stop().catch((error: unknown) => log.warn({ err: (error as Error).message }, "The last upload before stopping failed"));
      await client.close();
      storage.client.destroy();
    });
}
