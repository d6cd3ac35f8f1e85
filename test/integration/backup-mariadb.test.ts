/**
 * The MariaDB backup engine end to end against real processes: mariadbd (two of them, on
 * their own loopback addresses) and versitygw. Given a server with data, a backup streamed to
 * S3 restores into another server with identical CHECKSUM TABLE results, encrypted or not;
 * binlogs archived while writing replay to a point in time; a damaged object fails the
 * restore naming the checksum; a failing dump writes no manifest.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { EngineEndpoint } from "../../backup/engine-backup.js";
import { LogArchiver, listArchivedSegments, toArchivedSegments } from "../../backup/log-archive.js";
import { backupManifestKey, type BackupManifest } from "../../backup/manifest.js";
import { executeRestore } from "../../backup/agent/restore-commands.js";
import { startSidecar } from "../../operators/mysql/agent/sidecar.js";
import { restoreMariaDbIntoDataDir } from "../../operators/mysql/backup/bootstrap-restore.js";
import { BOOTSTRAP_ENV } from "../../backup/cluster-secrets.js";
import { StepError, readBackupManifest, runBackup, runRestore, type StorageContext } from "../../backup/pipeline.js";
import { getStream, getText, listObjects } from "../../backup/s3/objects.js";
import { planPointInTimeRestore } from "../../backup/planning/restore-plan.js";
import { MysqlBackup } from "../../operators/mysql/backup/mysql-backup.js";
import { loadDumpInParallel } from "../../operators/mysql/backup/parallel-load.js";
import { ToolError } from "../../backup/tool-process.js";
import { startMariaDb, type MariaDbServer } from "../fixtures/mariadb-server.js";
import { startS3, type S3Fixture } from "../fixtures/s3.js";

const log = pino({ level: "silent" });
const cluster = { namespace: "shop", name: "orders" };

function endpointOf(server: MariaDbServer): EngineEndpoint {
  return { host: server.host, port: server.port, username: server.user, password: server.password };
}

async function seed(server: MariaDbServer, rows: number): Promise<void> {
  const connection = await server.connect();
  await connection.query("CREATE DATABASE IF NOT EXISTS shop; CREATE DATABASE IF NOT EXISTS `odd-name` CHARACTER SET utf8mb4");
  await connection.query("CREATE TABLE IF NOT EXISTS shop.items (id INT PRIMARY KEY, name VARCHAR(64), payload BLOB, price DECIMAL(10,2))");
  await connection.query("CREATE TABLE IF NOT EXISTS `odd-name`.`t``1` (id INT PRIMARY KEY AUTO_INCREMENT, note TEXT)");
  await connection.query("CREATE OR REPLACE VIEW shop.cheap AS SELECT id FROM shop.items WHERE price < 10");
  await connection.query("CREATE OR REPLACE TRIGGER shop.name_upper BEFORE INSERT ON shop.items FOR EACH ROW SET NEW.name = UPPER(NEW.name)");
  // A restore that created this trigger before loading the items would log every item twice
  // (its body's line also looks like a dump's INSERT to a careless reader).
  await connection.query("CREATE TABLE IF NOT EXISTS shop.items_log (item INT)");
  await connection.query("CREATE OR REPLACE TRIGGER shop.log_items AFTER INSERT ON shop.items FOR EACH ROW BEGIN\nINSERT INTO `items_log` VALUES (NEW.id);\nEND");
  await connection.query("CREATE OR REPLACE PROCEDURE shop.count_items() SELECT COUNT(*) FROM shop.items");
  for (let start = 0; start < rows; start += 500) {
    const values = Array.from({ length: Math.min(500, rows - start) }, (_, index) => [start + index, `item ${start + index} 'q' "dq" \\`, randomBytes(64), ((start + index) % 1000) / 7]);
    await connection.query("INSERT INTO shop.items VALUES ?", [values]);
  }
  await connection.query("INSERT INTO `odd-name`.`t``1` (note) VALUES ('é ü 中文 😀'), (NULL)");
  await connection.end();
}

describe("MariaDB backups through S3 (real mariadbd, real versitygw)", () => {
  let s3: S3Fixture;
  let client: S3Client;
  let source: MariaDbServer;
  let target: MariaDbServer;
  const engine = new MysqlBackup("mariadb");

  beforeAll(async () => {
    [s3, source, target] = await Promise.all([startS3(), startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    client = s3.client();
    // Enough rows for several INSERT statements, so a restore spreads them over its clients.
    await seed(source, 20_000);
  });
  afterAll(async () => {
    client?.destroy();
    await Promise.all([s3?.destroy(), source?.stop(), target?.stop()]);
  });

  const storage = (key?: Buffer, prefix = ""): StorageContext => ({ client, target: s3.target(prefix), key });

  it.each([
    ["zstd", "plain", undefined],
    ["gzip", "encrypted", randomBytes(32)],
    ["none", "plain", undefined],
  ] as const)("backs up with %s compression, %s, and restores identical checksums", async (compression, _label, key) => {
    const backup = `b-${compression}`;
    const progress: number[] = [];
    const manifest = await runBackup({
      engine,
      endpoint: endpointOf(source),
      storage: storage(key),
      cluster,
      backup,
      method: "logical",
      compression,
      signal: new AbortController().signal,
      log,
      onProgress: ({ storedBytes }) => progress.push(storedBytes),
    });
    expect(manifest).toMatchObject({ engine: "mysql", flavor: "mariadb", version: expect.stringMatching(/^10\.11\./), cluster, backup });
    expect(manifest.position.gtidSet).toMatch(/^0-1-\d+$/);
    expect(manifest.position.binlogFile).toMatch(/^mysql-bin\.\d+$/);
    expect(manifest.data.encryption?.keyId).toEqual(key ? expect.stringMatching(/^sha256:/) : undefined);
    expect(progress.at(-1)).toBe(manifest.data.size);
    const listed = await listObjects(client, s3.bucket, `shop/orders/backups/${backup}/`);
    expect(listed.map((object) => object.key).sort()).toEqual([manifest.data.key, backupManifestKey("", cluster, backup)].sort());
    expect(listed.find((object) => object.key === manifest.data.key)?.size).toBe(manifest.data.size);
    if (key) {
      const stored = await getText(client, s3.bucket, manifest.data.key);
      expect(stored).not.toContain("INSERT INTO");
      expect(stored).not.toContain("item 42");
    }

    const read = await readBackupManifest(storage(key), cluster, backup);
    expect(read).toEqual(manifest);
    await runRestore({ engine, endpoint: endpointOf(target), storage: storage(key), manifest: read!, signal: new AbortController().signal, log, replaceExisting: true });
    const expected = await engine.checksums({ endpoint: endpointOf(source), signal: new AbortController().signal });
    const actual = await engine.checksums({ endpoint: endpointOf(target), signal: new AbortController().signal });
    expect(expected.map((row) => row.table)).toEqual(["odd-name.t`1", "shop.items", "shop.items_log"]);
    expect(actual).toEqual(expected);
    const connection = await target.connect();
    const [[routine]] = (await connection.query("SELECT COUNT(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='shop'")) as unknown as [[{ n: number }]];
    const [[trigger]] = (await connection.query("SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='shop'")) as unknown as [[{ n: number }]];
    await connection.end();
    expect(routine.n).toBe(1);
    expect(trigger.n).toBe(2);
  });

  /** A completed backup whose data object then had one byte flipped in S3. */
  async function alteredBackup(name: string) {
    const manifest = await runBackup({ engine, endpoint: endpointOf(source), storage: storage(), cluster, backup: name, method: "logical", compression: "zstd", signal: new AbortController().signal, log });
    const chunks: Buffer[] = [];
    for await (const chunk of (await getStream(client, s3.bucket, manifest.data.key)).stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    bytes[bytes.length >> 1]! ^= 0x01;
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: manifest.data.key, Body: bytes }));
    return manifest;
  }

  it("fails an in-place restore of an altered object at the checksum step, before the target's data is touched", async () => {
    const manifest = await alteredBackup("to-corrupt");
    const signal = new AbortController().signal;
    const before = await engine.checksums({ endpoint: endpointOf(target), signal });
    expect(before.length).toBeGreaterThan(0);
    const error = await runRestore({ engine, endpoint: endpointOf(target), storage: storage(), manifest, signal, log, replaceExisting: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).step).toBe("checksum");
    expect((error as Error).message).toMatch(/checksum mismatch for s3:\/\/backups\/shop\/orders\/backups\/to-corrupt\/data\.sql\.zst/);
    expect(await engine.checksums({ endpoint: endpointOf(target), signal })).toEqual(before);
  });

  it("names the checksum mismatch, not the decompressor's error, when a restore into a new target reads an altered object", async () => {
    const manifest = await alteredBackup("to-corrupt-streamed");
    const error = await runRestore({ engine, endpoint: endpointOf(target), storage: storage(), manifest, signal: new AbortController().signal, log }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).step).toBe("checksum");
    expect((error as Error).message).toMatch(/checksum mismatch for s3:\/\/backups\/shop\/orders\/backups\/to-corrupt-streamed\/data\.sql\.zst/);
  });

  it("loads a table's rows over several clients and runs the next statement only after all of them; a failing row names the SQL error", async () => {
    const insert = (from: number, to: number) => `INSERT INTO \`t\` VALUES\n${Array.from({ length: to - from }, (_, index) => `(${from + index},'r${from + index}')`).join(",\n")};\n`;
    const head = "/*!40101 SET NAMES utf8mb4 */;\nCREATE DATABASE IF NOT EXISTS `split`;\nUSE `split`;\n";
    const statements = Array.from({ length: 30 }, (_, index) => insert(index * 200, (index + 1) * 200)).join("");
    // Chunks of 4 KiB, as a download delivers them: statements end anywhere in a chunk.
    const chunked = (text: string) => Readable.from(Array.from({ length: Math.ceil(text.length / 4096) }, (_, index) => Buffer.from(text.slice(index * 4096, (index + 1) * 4096))));
    const signal = new AbortController().signal;
    const connection = await target.connect();
    try {
      const loaded = await loadDumpInParallel(chunked(`${head}CREATE TABLE \`t\` (id INT PRIMARY KEY, v VARCHAR(16));\n${statements}CREATE TABLE \`counted\` AS SELECT COUNT(*) AS n FROM \`t\`;\n`), { endpoint: endpointOf(target), flavor: "mariadb", clients: 3, signal, log });
      const [[counted]] = (await connection.query("SELECT n FROM split.counted")) as unknown as [[{ n: number }]];
      expect(counted.n).toBe(6000);
      expect(loaded).toEqual({ clients: 3, tablesSpread: 1 });

      const duplicate = `${head}CREATE TABLE \`d\` (id INT PRIMARY KEY);\nINSERT INTO \`d\` VALUES\n(1);\nINSERT INTO \`d\` VALUES\n(2);\nINSERT INTO \`d\` VALUES\n(1);\nCREATE TABLE \`after\` (id INT);\n`;
      const error = await loadDumpInParallel(chunked(duplicate), { endpoint: endpointOf(target), flavor: "mariadb", clients: 3, signal, log }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ToolError);
      expect((error as Error).message).toMatch(/Duplicate entry '1' for key 'PRIMARY'/);
      const [tables] = (await connection.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'split' ORDER BY 1")) as unknown as [{ name: string }[]];
      expect(tables.map((table) => table.name)).toEqual(["counted", "d", "t"]);
    } finally {
      await connection.query("DROP DATABASE IF EXISTS split");
      await connection.end();
    }
  });

  it("fails a backup at the dump step with the tool's error and writes no manifest", async () => {
    const wrong = { ...endpointOf(source), password: "wrong-password" };
    const error = await runBackup({ engine, endpoint: wrong, storage: storage(), cluster, backup: "bad-credentials", method: "logical", compression: "zstd", signal: new AbortController().signal, log }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).step).toBe("connect");
    expect((error as Error).message).toMatch(/Access denied/);
    expect(await listObjects(client, s3.bucket, "shop/orders/backups/bad-credentials/")).toEqual([]);
  });

  it("fails a backup with the S3 error when S3 stops mid-upload: no manifest, and the next backup completes", async () => {
    const connection = await source.connect();
    await connection.query("CREATE TABLE IF NOT EXISTS shop.bulk (id INT PRIMARY KEY, data LONGBLOB)");
    for (let index = 0; index < 12; index++) await connection.query("INSERT INTO shop.bulk VALUES (?, ?)", [index, randomBytes(4 * 1024 * 1024)]);
    await connection.end();
    let stopped = false;
    const error = await runBackup({
      engine,
      endpoint: endpointOf(source),
      storage: { client: s3.client(), target: s3.target() },
      cluster,
      backup: "outage",
      method: "logical",
      compression: "none",
      signal: new AbortController().signal,
      log,
      onProgress: ({ storedBytes }) => {
        if (!stopped && storedBytes > 20 * 1024 * 1024) {
          stopped = true;
          void s3.stop();
        }
      },
    }).catch((caught: unknown) => caught);
    await s3.start();
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).step).toBe("upload");
    expect((error as Error).message).toMatch(/^upload: S3 (UploadPart|CompleteMultipartUpload|PutObject|CreateMultipartUpload) s3:\/\/backups\/shop\/orders\/backups\/outage\/data\.sql failed: no HTTP response/);
    expect(await getText(client, s3.bucket, backupManifestKey("", cluster, "outage"))).toBeUndefined();
    const next = await runBackup({ engine, endpoint: endpointOf(source), storage: storage(), cluster, backup: "after-outage", method: "logical", compression: "zstd", signal: new AbortController().signal, log });
    expect(next.data.size).toBeGreaterThan(0);
    const connection2 = await source.connect();
    await connection2.query("DROP TABLE shop.bulk");
    await connection2.end();
  });

  it("archives binlogs while writing and replays them to a point in time: exactly the rows up to T, and the dropped table", async () => {
    const prefix = "pitr/";
    const base = await runBackup({ engine, endpoint: endpointOf(source), storage: storage(undefined, prefix), cluster, backup: "base", method: "logical", compression: "zstd", signal: new AbortController().signal, log });
    const logSource = await engine.pointInTime.logSource(endpointOf(source), { log });
    const archiver = new LogArchiver(logSource, { engine: "mysql", storage: storage(undefined, prefix), cluster, compression: "zstd", maxSegmentAgeMs: 2000, log });
    await archiver.pass();
    const connection = await source.connect();
    await connection.query("CREATE TABLE shop.events (id INT PRIMARY KEY, at VARCHAR(40))");
    for (let index = 1; index <= 20; index++) {
      await connection.query("INSERT INTO shop.events VALUES (?, NOW(6))", [index]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (index % 5 === 0) await archiver.pass();
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const pointInTime = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let index = 21; index <= 30; index++) await connection.query("INSERT INTO shop.events VALUES (?, NOW(6))", [index]);
    await connection.query("DROP TABLE shop.events");
    await connection.end();
    // Keep archiving until the drop is in S3: at most maxSegmentAge plus a pass.
    const deadline = Date.now() + 15_000;
    for (;;) {
      await archiver.pass();
      const segments = await listArchivedSegments(storage(undefined, prefix), cluster);
      if (segments.some((segment) => segment.lastEventAt && new Date(segment.lastEventAt) > pointInTime)) break;
      if (Date.now() > deadline) throw new Error("the binlog with the drop was not archived within 15 s");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await logSource.close();

    // What a restore Job reads (the segments since the base backup, each stream's newest) plans the same as everything.
    const everything = await listArchivedSegments(storage(undefined, prefix), cluster);
    const segments = await listArchivedSegments(storage(undefined, prefix), cluster, { baseConsistentAt: new Date(base.consistentAt), pointInTime });
    const plan = planPointInTimeRestore({ backups: [{ name: "base", manifest: base }], segments, archivedUntil: [new Date()], pointInTime });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const planAll = planPointInTimeRestore({ backups: [{ name: "base", manifest: base }], segments: everything, archivedUntil: [new Date()], pointInTime });
    expect(planAll.ok && planAll.segments.map((segment) => segment.segment)).toEqual(plan.segments.map((segment) => segment.segment));
    expect(plan.segments.length).toBeGreaterThan(0);
    expect(plan.backup.name).toBe("base");
    await runRestore({ engine, endpoint: endpointOf(target), storage: storage(undefined, prefix), manifest: base, signal: new AbortController().signal, log, replaceExisting: true });
    const reached = await engine.pointInTime.replay(toArchivedSegments(storage(undefined, prefix), plan.segments), {
      endpoint: endpointOf(target),
      from: base.position,
      stopAt: pointInTime,
      signal: new AbortController().signal,
      log,
    });
    expect(reached.summary).toMatch(/replayed/);
    const check = await target.connect();
    const [rows] = (await check.query("SELECT id FROM shop.events ORDER BY id")) as unknown as [{ id: number }[]];
    await check.end();
    expect(rows.map((row) => row.id)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });
  it("backs up physically (a full copy, then an incremental one by LSN) through the instance's agent and restores the chain with identical checksums", async () => {
    const token = randomBytes(16).toString("hex");
    const work = mkdtempSync(join(tmpdir(), "physical-"));
    const sidecar = await startSidecar({ token, rootPassword: source.password, socket: source.socket, dataDir: join(source.dataDir, "data"), tmpDir: work, host: "127.0.0.1", port: 0, log: () => undefined });
    try {
      const physicalSource = `127.0.0.1:${(sidecar.address() as { port: number }).port}`;
      const endpoint = { ...endpointOf(source), options: { physicalSource, agentToken: token } };
      const backup = (name: string, parent?: BackupManifest) =>
        runBackup({ engine, endpoint, storage: storage(undefined, "physical/"), cluster, backup: name, method: "physical", parent, compression: "zstd", signal: new AbortController().signal, log });
      const full = await backup("p-full");
      expect(full).toMatchObject({ method: "physical", data: { contentType: "application/x-xbstream" }, position: { gtidSet: expect.stringMatching(/^0-1-\d+$/), physical: { backupType: "full-backuped", source: physicalSource } } });
      expect(full.chain).toBeUndefined();
      const connection = await source.connect();
      await connection.query("UPDATE shop.items SET name = CONCAT(name, ' changed') WHERE id % 5 = 0");
      await connection.query("CREATE TABLE shop.after_full (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO shop.after_full VALUES (1), (2), (3)");
      await connection.end();
      const incremental = await backup("p-inc", full);
      expect(incremental.chain).toEqual({ base: "p-full", parent: "p-full" });
      expect(incremental.position.physical).toMatchObject({ backupType: "incremental", fromLsn: (full.position.physical as { toLsn: string }).toLsn });
      expect(incremental.data.rawSize).toBeLessThan(full.data.rawSize);
      const expected = await engine.checksums({ endpoint: endpointOf(source), signal: new AbortController().signal });
      // Recorded at backup time by the agent (CHECKSUM TABLE in a snapshot at the copy's end);
      // the restore below compares the restored tables with them (restore-commands.ts).
      expect(incremental.checksums).toEqual(expected);
      expect(full.checksums?.find((table) => table.table === "shop.items")?.checksum).not.toBe(expected.find((table) => table.table === "shop.items")?.checksum);
      const restoreDir = join(work, "restore");
      mkdirSync(restoreDir);
      const outcome = await executeRestore({
        engine,
        storage: storage(undefined, "physical/"),
        offline: { dataDir: engine.throwawayDataDir(restoreDir), workDir: restoreDir, start: ({ restoredData }) => engine.throwaway(restoreDir, log, { restoredData }) },
        source: cluster,
        backup: "p-inc",
        replaceExisting: false,
        signal: new AbortController().signal,
        log,
      });
      expect(outcome.tables.map((table) => table.table)).toContain("shop.after_full");
      expect(outcome.tables).toEqual(expected);

      // The same chain as a new cluster's first instance restores it in its init step (its
      // Secret's variables set here as the pod gets them): then the source's accounts are gone.
      const target = s3.target("physical/");
      const saved = { ...process.env };
      Object.assign(process.env, {
        STEWARD_STORAGE: JSON.stringify({ endpoint: target.endpoint, region: target.region, bucket: target.bucket, prefix: target.prefix, forcePathStyle: true, caBundle: target.caBundle }),
        AWS_ACCESS_KEY_ID: target.accessKeyId,
        AWS_SECRET_ACCESS_KEY: target.secretAccessKey,
        [BOOTSTRAP_ENV.namespace]: cluster.namespace,
        [BOOTSTRAP_ENV.cluster]: cluster.name,
        [BOOTSTRAP_ENV.backup]: "p-inc",
      });
      const instance = join(work, "instance");
      const lines: string[] = [];
      try {
        mkdirSync(join(instance, "data"), { recursive: true });
        mkdirSync(join(instance, "steward"), { recursive: true });
        await restoreMariaDbIntoDataDir({ source: "{}", dataDir: join(instance, "data"), stateDir: join(instance, "steward"), flavor: "mariadb", log: (line) => lines.push(line) });
      } finally {
        process.env = saved;
      }
      expect(lines.join("\n")).toMatch(/from physical backup p-inc/);
      const restarted = await engine.throwaway(instance, log, { restoredData: true });
      try {
        expect(await engine.checksums({ endpoint: restarted.endpoint, signal: new AbortController().signal })).toEqual(expected);
      } finally {
        await restarted.stop();
      }
    } finally {
      await new Promise((resolve) => sidecar.close(resolve));
      rmSync(work, { recursive: true, force: true });
    }
  });
});
