/**
 * Redis backups for backup/ (EngineBackup):
 * - dump: an RDB snapshot streamed by `redis-cli --rdb -` (the replication protocol's full
 *   copy: the server forks and streams, nothing is written on its disk with diskless sync).
 *   Point it at a replica (the replicas Service) to keep the fork off the primary. The
 *   password goes in REDISCLI_AUTH, never in the arguments. The RDB header gives the position
 *   (replication id and offset) and the snapshot time.
 * - load offline (dataDir): the RDB becomes the data of a server that has not started yet
 *   (a new cluster's first instance), see data-dir.ts;
 * - load online (endpoint): the agent acts as a primary for one full copy into the running
 *   server, which replaces its whole dataset (see replication-feed.ts).
 * - checksums: a digest per database by a full scan (keyspace-digest.ts);
 * - throwaway: a private redis-server for verification Jobs (throwaway.ts).
 * With `endpoint.caFile` (the cluster serves TLS) every connection is TLS, the server verified
 * against that CA (ioredis: chain and host name; redis-cli: the chain, it checks no name).
 */
import type { Readable } from "node:stream";
import { Redis } from "ioredis";
import type { DumpHandle, DumpOptions, EngineBackup, EngineEndpoint, EngineIdentity, LoadOptions, TableChecksum, ThrowawayInstance, VerifyOptions } from "../../../backup/engine-backup.js";
import type { Logger } from "../../../shared/log.js";
import type { BackupPosition } from "../../../backup/manifest.js";
import { runTool } from "../../../backup/tool-process.js";
import { parseInfoFields } from "../info.js";
import { REDIS_PORT, USERS } from "../names.js";
import { connectWithReason, tlsOptions } from "./connection.js";
import { seedDataDir } from "./data-dir.js";
import { keyspaceDigests } from "./keyspace-digest.js";
import { RdbStream, type RdbHeader } from "./rdb-stream.js";
import { loadThroughReplication } from "./replication-feed.js";
import { startThrowawayRedis } from "./throwaway.js";

async function withRedis<T>(endpoint: EngineEndpoint, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    ...(endpoint.socket ? { path: endpoint.socket } : { host: endpoint.host, port: endpoint.port || REDIS_PORT }),
    ...tlsOptions(endpoint),
    username: endpoint.username,
    password: endpoint.password,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 10_000,
  });
  redis.on("error", () => undefined);
  await connectWithReason(redis, endpoint.socket ?? `${endpoint.host}:${endpoint.port || REDIS_PORT}`);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** The position a snapshot is consistent at, from its header's auxiliary fields. */
export function positionFromHeader(header: RdbHeader): BackupPosition {
  const replid = header.aux["repl-id"];
  const offset = header.aux["repl-offset"];
  const summary = replid && offset !== undefined ? `replication offset ${offset} of ${replid}` : `RDB v${header.rdbVersion} snapshot`;
  return { summary, replicationId: replid, replicationOffset: offset === undefined ? undefined : Number(offset), rdbVersion: header.rdbVersion, redisVersion: header.aux["redis-ver"] };
}

export function consistentAtFromHeader(header: RdbHeader | undefined): Date | undefined {
  const ctime = Number(header?.aux.ctime);
  return Number.isFinite(ctime) && ctime > 0 ? new Date(ctime * 1000) : undefined;
}

export class RedisBackup implements EngineBackup {
  readonly engine = "redis";

  async identify(endpoint: EngineEndpoint): Promise<EngineIdentity> {
    const info = await withRedis(endpoint, (redis) => redis.info("server"));
    return { engine: "redis", version: parseInfoFields(info).get("redis_version") ?? "unknown" };
  }

  async dump(options: DumpOptions): Promise<DumpHandle> {
    // An RDB is the one format; "logical" and "physical" both mean it.
    const { endpoint } = options;
    const tls = endpoint.caFile ? ["--tls", "--cacert", endpoint.caFile, "--sni", endpoint.host] : [];
    const args = ["--no-auth-warning", ...tls, "-h", endpoint.host, "-p", String(endpoint.port || REDIS_PORT), "--user", endpoint.username ?? USERS.replication, "--rdb", "-"];
    options.log.info({ command: "redis-cli", args }, "Starting the RDB snapshot");
    const tool = runTool("redis-cli", args, {
      env: { ...process.env, REDISCLI_AUTH: endpoint.password ?? "" },
      signal: options.signal,
      redact: [endpoint.password ?? ""],
    });
    const rdb = new RdbStream();
    const stream: Readable = tool.output!.pipe(rdb);
    tool.output!.once("error", (error) => rdb.destroy(error));
    const startedAt = new Date();
    const done = Promise.all([tool.exited, new Promise<void>((resolve, reject) => {
      rdb.once("end", resolve);
      rdb.once("error", reject);
    })]).then(() => undefined);
    done.catch(() => undefined);
    return {
      stream,
      extension: ".rdb",
      contentType: "application/octet-stream",
      producer: "redis-cli --rdb",
      done,
      consistentAt: () => consistentAtFromHeader(rdb.header) ?? startedAt,
      position: () => {
        if (!rdb.header) throw new Error("the snapshot has not started: no RDB header yet");
        return positionFromHeader(rdb.header);
      },
    };
  }

  async load(stream: Readable, options: LoadOptions): Promise<void> {
    if (options.dataDir) {
      const result = await seedDataDir(stream, options.dataDir, options.replaceExisting);
      options.log.info({ bytes: result.bytes, dataDir: options.dataDir }, "Placed the RDB in the data directory");
      return;
    }
    if (!options.endpoint) throw new Error("a Redis load needs a data directory (before the server starts) or an endpoint (a running server)");
    await loadThroughReplication(stream, options.endpoint, { signal: options.signal, log: (line) => options.log.info(line) });
  }

  async checksums(options: VerifyOptions): Promise<TableChecksum[]> {
    const digests = await withRedis(options.endpoint, (redis) => keyspaceDigests(redis));
    return digests.map((digest) => ({ table: `db${digest.db}`, checksum: `${digest.keys}:${digest.digest}` }));
  }

  throwaway(workDir: string, log: Logger): Promise<ThrowawayInstance> {
    return startThrowawayRedis(workDir, log);
  }
}
