/**
 * The Redis backup engine (operators/redis/backup) end to end against real processes:
 * redis-server (a primary and a replica configured as the pods are) and versitygw. Given a
 * replica with data of every type, an RDB snapshot streamed to S3 (plain and encrypted)
 * restores into a new server's empty data directory, and into a running server in place,
 * with the same keys and values (a full-scan digest per database); the encrypted object is
 * not plaintext; a failing snapshot writes no manifest.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import type { EngineEndpoint } from "../../backup/engine-backup.js";
import { StepError, readBackupManifest, runBackup, runRestore, type StorageContext } from "../../backup/pipeline.js";
import { getStream, listObjects } from "../../backup/s3/objects.js";
import { executeRestore } from "../../backup/agent/restore-commands.js";
import { RedisBackup } from "../../operators/redis/backup/redis-backup.js";
import { REDIS_PORT, USERS } from "../../operators/redis/names.js";
import { promote, replicate } from "../../operators/redis/roles.js";
import { newPasswords, startRedis, waitForLink, withOperatorSession, type RedisServer } from "../fixtures/redis.js";
import { startS3, type S3Fixture } from "../fixtures/s3.js";

const log = pino({ level: "silent" });
const cluster = { namespace: "shop", name: "cache" };
const engine = new RedisBackup();
const never = () => new AbortController().signal;

/** What backups use: the replication user, against a replica. */
const replicationEndpoint = (server: RedisServer): EngineEndpoint => ({ host: server.host, port: server.port, username: USERS.replication, password: server.passwords.replication });
const operatorEndpoint = (server: RedisServer): EngineEndpoint => ({ host: server.host, port: server.port, username: USERS.operator, password: server.passwords.operator });

async function seed(server: RedisServer, keys: number): Promise<void> {
  const app = server.appClient();
  await app.connect();
  try {
    for (let start = 0; start < keys; start += 1000) {
      const batch = app.pipeline();
      for (let index = start; index < Math.min(keys, start + 1000); index++) batch.set(`string:${index}`, `value ${index} ${randomBytes(8).toString("hex")}`);
      await batch.exec();
    }
    await app.rpush("list", "a", "b", "c", "a");
    await app.sadd("set", "x", "y", "z");
    await app.zadd("zset", 1, "one", 2.5, "two and a half", -3, "minus three");
    await app.hset("hash", { field: "value", "é ü 中文 😀": "unicode" });
    await app.xadd("stream", "1-1", "temperature", "21");
    await app.set(Buffer.from([0, 1, 2, 255]), Buffer.from([255, 0, 10, 13]));
    await app.set("expiring", "soon", "EX", 3600);
    await app.select(3);
    await app.set("in-db-3", "yes");
    await app.select(0);
    expect(await app.wait(1, 5000)).toBe(1);
  } finally {
    app.disconnect();
  }
}

describe("Redis backups through S3 (real redis-server, real versitygw)", () => {
  let s3: S3Fixture;
  let client: S3Client;
  let primary: RedisServer;
  let replica: RedisServer;
  const extra: RedisServer[] = [];
  const passwords = newPasswords();

  beforeAll(async () => {
    [s3, primary, replica] = await Promise.all([startS3(), startRedis({ name: "src-0", passwords }), startRedis({ name: "src-1", passwords })]);
    client = s3.client();
    await withOperatorSession(primary, (session) => promote(session));
    await withOperatorSession(replica, (session) => replicate(session, { host: primary.host, port: REDIS_PORT }, false));
    await waitForLink(replica);
    await seed(primary, 20_000);
  });
  afterAll(async () => {
    client?.destroy();
    await Promise.all([s3?.destroy(), primary?.destroy(), replica?.destroy(), ...extra.map((server) => server.destroy())]);
  });

  const storage = (key?: Buffer): StorageContext => ({ client, target: s3.target(""), key });

  it.each([
    ["zstd", false],
    ["gzip", true],
  ] as const)("snapshots a replica with %s (encrypted: %s) and restores the same data into a new server's data directory", async (compression, encrypted) => {
    const key = encrypted ? randomBytes(32) : undefined;
    const backup = `rdb-${compression}`;
    const manifest = await runBackup({ engine, endpoint: replicationEndpoint(replica), storage: storage(key), cluster, backup, method: "physical", compression, signal: never(), log });
    expect(manifest).toMatchObject({ engine: "redis", version: "7.0.15", producer: "redis-cli --rdb", cluster, backup });
    expect(manifest.position.summary).toMatch(/^replication offset \d+ of [0-9a-f]{40}$/);
    expect(manifest.data.key).toMatch(/data\.rdb\./);
    if (key) {
      const chunks: Buffer[] = [];
      for await (const chunk of (await getStream(client, s3.bucket, manifest.data.key)).stream) chunks.push(chunk as Buffer);
      const stored = Buffer.concat(chunks);
      expect(stored.includes(Buffer.from("REDIS0010"))).toBe(false);
      expect(stored.includes(Buffer.from("string:42"))).toBe(false);
      expect(manifest.data.encryption?.keyId).toMatch(/^sha256:/);
    }

    const dataDir = mkdtempSync(join(tmpdir(), "steward-redis-restore-"));
    const read = await readBackupManifest(storage(key), cluster, backup);
    await runRestore({ engine, dataDir, storage: storage(key), manifest: read!, signal: never(), log });
    expect(readdirSync(dataDir).sort()).toEqual([".steward-seeded", "appendonlydir", "dump.rdb"]);
    const restored = await startRedis({ name: `restored-${compression}`, passwords, dataDir });
    extra.push(restored);
    const expected = await engine.checksums({ endpoint: operatorEndpoint(primary), signal: never() });
    const actual = await engine.checksums({ endpoint: operatorEndpoint(restored), signal: never() });
    expect(expected.map((row) => row.table)).toEqual(["db0", "db3"]);
    expect(expected[0]!.checksum).toMatch(/^20007:/);
    expect(actual).toEqual(expected);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("restores in place into a running server through one full resynchronisation, replacing what it held", async () => {
    const manifest = await runBackup({ engine, endpoint: replicationEndpoint(replica), storage: storage(), cluster, backup: "in-place", method: "physical", compression: "zstd", signal: never(), log });
    const target = await startRedis({ name: "in-place", passwords });
    extra.push(target);
    await withOperatorSession(target, (session) => promote(session));
    const app = target.appClient();
    await app.connect();
    await app.set("only-on-target", "goes away");
    app.disconnect();
    await runRestore({ engine, endpoint: operatorEndpoint(target), storage: storage(), manifest, replaceExisting: true, signal: never(), log });
    const facts = await withOperatorSession(target, (session) => session.info());
    expect(facts.role).toBe("master");
    const expected = await engine.checksums({ endpoint: operatorEndpoint(primary), signal: never() });
    expect(await engine.checksums({ endpoint: operatorEndpoint(target), signal: never() })).toEqual(expected);
    const check = target.appClient();
    await check.connect();
    expect(await check.set("writable", "again")).toBe("OK");
    check.disconnect();
  });

  it("verifies a backup by restoring it into a throwaway redis-server (as verification Jobs do)", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "steward-redis-verify-"));
    const instance = await engine.throwaway(workDir, log);
    try {
      const outcome = await executeRestore({ engine, storage: storage(), endpoint: instance.endpoint, source: cluster, backup: "rdb-zstd", replaceExisting: false, signal: never(), log });
      expect(outcome.tables).toEqual(await engine.checksums({ endpoint: operatorEndpoint(primary), signal: never() }));
    } finally {
      await instance.stop();
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it("refuses to seed a data directory that already holds data", async () => {
    const manifest = await readBackupManifest(storage(), cluster, "rdb-zstd");
    const error = await runRestore({ engine, dataDir: replica.dataDir, storage: storage(), manifest: manifest!, signal: never(), log }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepError);
    expect((error as Error).message).toMatch(/already holds Redis data/);
  });

  it("fails a snapshot with redis-cli's error and writes no manifest", async () => {
    const wrong = { ...replicationEndpoint(replica), password: "wrong-password" };
    const error = await runBackup({ engine, endpoint: wrong, storage: storage(), cluster, backup: "bad-credentials", method: "physical", compression: "zstd", signal: never(), log }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepError);
    expect((error as Error).message).not.toContain("wrong-password");
    expect(await listObjects(client, s3.bucket, "shop/cache/backups/bad-credentials/")).toEqual([]);
  });
});
