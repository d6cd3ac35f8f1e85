/**
 * MongoDB backups for backup/ (EngineBackup):
 * - dump: a logical dump of every user database (collections with their options, indexes,
 *   documents, user-defined roles, users without credentials) through the driver, in the
 *   line-per-record Extended JSON format of dump-format.ts, consistent at the oplog position of
 *   its end (the oplog entries written while it ran are in it, as with mongodump --oplog).
 *   It reads the primary: with a replica set the driver would otherwise pick a member per
 *   operation, and the oplog positions must come from the member whose data was read.
 * - load online into a running server (the primary): collections, indexes, documents, roles,
 *   then the dump's oplog entries;
 * - checksums: `<count>:<sha256>` per collection over its documents in `_id` order.
 * - point in time: replay of archived oplog slices (oplog-replay.ts). The slices are archived
 *   by MongoDB's own sidecar command (`steward agent mongodb-oplog-archiver`, oplog-archiver.ts),
 *   not by the generic binlog archiver: a tail is pushed to, not a file rotated and read.
 */
import { Readable } from "node:stream";
import { MongoClient } from "mongodb";
import type { DumpHandle, DumpOptions, EngineBackup, EngineEndpoint, EngineIdentity, LoadOptions, PointInTimeRecovery, TableChecksum, VerifyOptions } from "../../../backup/engine-backup.js";
import type { BackupPosition } from "../../../backup/manifest.js";
import { MONGODB_PORT } from "../names.js";
import { DUMP_CONTENT_TYPE, DUMP_EXTENSION } from "./dump-format.js";
import { collectionChecksums, dumpLines, loadLines, type DumpStats } from "./logical-dump.js";

/**
 * A client for one endpoint. Given one member (or a Service in front of them) the driver
 * discovers the replica set and follows its primary; `options.directConnection` ("true") keeps
 * it on that one server (a standalone, FerretDB).
 */
export function clientFor(endpoint: EngineEndpoint): MongoClient {
  const options = endpoint.options ?? {};
  return new MongoClient(`mongodb://${endpoint.host}:${endpoint.port || MONGODB_PORT}/`, {
    ...(endpoint.username ? { auth: { username: endpoint.username, password: endpoint.password }, authSource: options.authSource ?? "admin" } : {}),
    ...(options.replicaSet ? { replicaSet: options.replicaSet } : {}),
    directConnection: options.directConnection === "true",
    readPreference: "primary",
    serverSelectionTimeoutMS: 30_000,
    maxPoolSize: 2,
  });
}

export function positionOf(stats: DumpStats): BackupPosition {
  const end = stats.oplogEnd;
  return {
    summary: end ? `oplog ${end.t}:${end.i}` : `logical dump at ${stats.startedAt.toISOString()} (the server has no oplog)`,
    ...(end ? { oplogEnd: `${end.t}:${end.i}` } : {}),
    ...(stats.oplogStart ? { oplogStart: `${stats.oplogStart.t}:${stats.oplogStart.i}` } : {}),
    collections: stats.collections,
    documents: stats.documents,
  };
}

export class MongodbBackup implements EngineBackup {
  readonly engine = "mongodb";

  readonly pointInTime: PointInTimeRecovery = {
    logSource: async () => {
      throw new Error("MongoDB archives its oplog with `steward agent mongodb-oplog-archiver` (the pod's oplog-archiver container), not archive-binlogs");
    },
    replay: async (segments, options) => {
      const client = clientFor(options.endpoint);
      try {
        await client.connect();
        return await (await import("./oplog-replay.js")).replayOplogSlices(client, segments, options);
      } finally {
        await client.close();
      }
    },
  };

  async identify(endpoint: EngineEndpoint): Promise<EngineIdentity> {
    const client = clientFor(endpoint);
    try {
      const build = await client.db("admin").command({ buildInfo: 1 });
      return { engine: "mongodb", version: String(build.version) };
    } finally {
      await client.close();
    }
  }

  async dump(options: DumpOptions): Promise<DumpHandle> {
    // One server for the whole dump: the oplog positions and the data must come from the same member.
    const client = clientFor(options.endpoint);
    await client.connect();
    const stats: DumpStats = { oplogStart: null, oplogEnd: null, startedAt: new Date(), collections: 0, documents: 0 };
    const stream = Readable.from(dumpLines(client, stats), { objectMode: false });
    const done = new Promise<void>((resolve, reject) => {
      stream.once("end", resolve);
      stream.once("error", reject);
      options.signal.addEventListener("abort", () => stream.destroy(new Error("the dump was cancelled")), { once: true });
    }).finally(() => client.close());
    done.catch(() => undefined);
    options.log.info({ host: options.endpoint.host }, "Starting the logical dump through the driver");
    return {
      stream,
      extension: DUMP_EXTENSION,
      contentType: DUMP_CONTENT_TYPE,
      producer: "steward-mongodb-dump v1 (mongodb driver)",
      done,
      // The data is as of the dump's end once its oplog entries are replayed.
      consistentAt: () => (stats.oplogEnd ? new Date(stats.oplogEnd.t * 1000) : stats.startedAt),
      position: () => positionOf(stats),
    };
  }

  async load(stream: Readable, options: LoadOptions): Promise<void> {
    if (!options.endpoint) throw new Error("a MongoDB dump loads into a running server (an endpoint), not a data directory");
    const client = clientFor(options.endpoint);
    try {
      await client.connect();
      const result = await loadLines(client, stream, { replaceExisting: options.replaceExisting === true, log: options.log });
      options.log.info({ collections: result.collections, documents: result.documents, oplogEntries: result.oplogEntries }, "Loaded the dump");
      const actual = new Map((await collectionChecksums(client)).map((row) => [row.collection, row.checksum]));
      const differ = result.checksums.filter((row) => actual.get(row.collection) !== row.checksum && result.oplogEntries === 0);
      if (differ.length > 0) throw new Error(`restored collections differ from the dump: ${differ.map((row) => `${row.collection} (dump ${row.checksum}, restored ${actual.get(row.collection) ?? "missing"})`).join(", ")}`);
    } finally {
      await client.close();
    }
  }

  async checksums(options: VerifyOptions): Promise<TableChecksum[]> {
    const client = clientFor(options.endpoint);
    try {
      return (await collectionChecksums(client)).map((row) => ({ table: row.collection, checksum: row.checksum }));
    } finally {
      await client.close();
    }
  }
}
