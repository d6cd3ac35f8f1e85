/**
 * The MongoDB backup engine's data path (operators/mongodb/backup) end to end against
 * FerretDB, a wire-compatible STAND-IN for mongod (test/fixtures/ferretdb.ts), and the real
 * S3 server: a logical dump of every database through the real pipeline (compression,
 * encryption, multipart upload, manifest), restored into a new server and in place, compared
 * per collection by checksums; a dump cut short is refused. What this does not prove: anything
 * about mongod's own behaviour (replica sets, the oplog, applyOps), see operators/mongodb/README.md.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pino } from "pino";
import type { S3Client } from "@aws-sdk/client-s3";
import { BSON, type MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEndpoint } from "../../backup/engine-backup.js";
import { StepError, readBackupManifest, runBackup, runRestore, type StorageContext } from "../../backup/pipeline.js";
import { getStream } from "../../backup/s3/objects.js";
import { encodeRecord } from "../../operators/mongodb/backup/dump-format.js";
import { BOOTSTRAP_MARKER, restoreBootstrapSource } from "../../operators/mongodb/backup/bootstrap-restore.js";
import { MongodbBackup } from "../../operators/mongodb/backup/mongodb-backup.js";
import { startFerretDb, type FerretDbFixture } from "../fixtures/ferretdb.js";
import { startS3, type S3Fixture } from "../fixtures/s3.js";

const log = pino({ level: "silent" });
const cluster = { namespace: "shop", name: "orders" };
const engine = new MongodbBackup();
const never = () => new AbortController().signal;
const endpointOf = (server: FerretDbFixture): EngineEndpoint => ({ host: server.host, port: server.port, options: { directConnection: "true" } });

async function seed(client: MongoClient): Promise<void> {
  const shop = client.db("shop");
  const orders = shop.collection("orders");
  const documents = Array.from({ length: 3000 }, (_, index) => ({
    _id: new BSON.ObjectId(),
    number: index,
    int32: new BSON.Int32(index),
    long: BSON.Long.fromNumber(2 ** 40 + index),
    double: new BSON.Double(index + 0.5),
    // No Decimal128: FerretDB 1.24 drops the connection on one (a mongod-only type here).
    placedAt: new Date(1764990000000 + index * 1000),
    customer: { name: `Cliente ${index} é ü 中文 😀`, tags: ["a", "b", index % 2 === 0 ? "even" : "odd"] },
    blob: new BSON.Binary(randomBytes(16), 0),
    nothing: null,
  }));
  await orders.insertMany(documents);
  await orders.createIndex({ number: 1 }, { unique: true, name: "number_unique" });
  await orders.createIndex({ "customer.name": 1, placedAt: -1 }, { name: "customer_recent" });
  await shop.collection<{ _id: string }>("empty").insertOne({ _id: "x" });
  await shop.collection<{ _id: string }>("empty").deleteOne({ _id: "x" });
  await client.db("inventory").collection<{ _id: number | string; sku: string; nested?: unknown }>("items").insertMany([{ _id: 1, sku: "A-1" }, { _id: "two", sku: "B-7", nested: { deep: { deeper: [1, 2, { three: 3 }] } } }]);
}

describe("MongoDB logical backups through S3 (ferretdb stand-in, real versitygw)", () => {
  let s3: S3Fixture;
  let client: S3Client;
  let source: FerretDbFixture;
  const extra: FerretDbFixture[] = [];

  beforeAll(async () => {
    [s3, source] = await Promise.all([startS3(), startFerretDb()]);
    client = s3.client();
    const sourceClient = source.client();
    try {
      await seed(sourceClient);
    } finally {
      await sourceClient.close();
    }
  });
  afterAll(async () => {
    client?.destroy();
    await Promise.all([s3?.destroy(), source?.destroy(), ...extra.map((server) => server.destroy())]);
  });

  const storage = (key?: Buffer): StorageContext => ({ client, target: s3.target(""), key });

  it.each([
    ["zstd", false],
    ["gzip", true],
  ] as const)("dumps every database with %s (encrypted: %s) and restores the same collections into a new server", async (compression, encrypted) => {
    const key = encrypted ? randomBytes(32) : undefined;
    const backup = `dump-${compression}`;
    const manifest = await runBackup({ engine, endpoint: endpointOf(source), storage: storage(key), cluster, backup, method: "logical", compression, signal: never(), log });
    expect(manifest).toMatchObject({ engine: "mongodb", producer: "steward-mongodb-dump v1 (mongodb driver)", cluster, backup });
    // FerretDB has no oplog: the dump says so instead of naming a position.
    expect(manifest.position).toMatchObject({ collections: 3, documents: 3002 });
    expect(manifest.position.summary).toMatch(/no oplog/);
    if (key) {
      const chunks: Buffer[] = [];
      for await (const chunk of (await getStream(client, s3.bucket, manifest.data.key)).stream) chunks.push(chunk as Buffer);
      const stored = Buffer.concat(chunks);
      expect(stored.includes(Buffer.from("steward-mongodb-dump"))).toBe(false);
      expect(stored.includes(Buffer.from("Cliente"))).toBe(false);
    }

    const target = await startFerretDb();
    extra.push(target);
    const read = await readBackupManifest(storage(key), cluster, backup);
    await runRestore({ engine, endpoint: endpointOf(target), storage: storage(key), manifest: read!, signal: never(), log });
    const expected = await engine.checksums({ endpoint: endpointOf(source), signal: never() });
    expect(expected.map((row) => row.table)).toEqual(["inventory.items", "shop.empty", "shop.orders"]);
    expect(expected.find((row) => row.table === "shop.orders")?.checksum).toMatch(/^3000:[0-9a-f]{64}$/);
    expect(await engine.checksums({ endpoint: endpointOf(target), signal: never() })).toEqual(expected);
    const restored = target.client();
    try {
      const indexes = await restored.db("shop").collection("orders").listIndexes().toArray();
      expect(indexes.map((index) => [index.name, index.key, index.unique ?? false])).toEqual(
        expect.arrayContaining([
          ["number_unique", { number: 1 }, true],
          ["customer_recent", { "customer.name": 1, placedAt: -1 }, false],
        ]),
      );
      // Read without the driver's promotion: the BSON types themselves came back.
      const one = await restored.db("shop").collection("orders").findOne({ number: 7 }, { promoteValues: false, promoteLongs: false });
      expect(one?.long).toBeInstanceOf(BSON.Long);
      expect(one?.int32).toBeInstanceOf(BSON.Int32);
      expect(one?.double).toBeInstanceOf(BSON.Double);
      expect(one?.customer).toMatchObject({ name: "Cliente 7 é ü 中文 😀" });
    } finally {
      await restored.close();
    }
  });

  it("restores in place, replacing what the target held in the dumped databases", async () => {
    const manifest = await readBackupManifest(storage(), cluster, "dump-zstd");
    const target = await startFerretDb();
    extra.push(target);
    const writer = target.client();
    try {
      await writer.db("shop").collection<{ _id: string }>("orders").insertOne({ _id: "only-on-target" });
    } finally {
      await writer.close();
    }
    await runRestore({ engine, endpoint: endpointOf(target), storage: storage(), manifest: manifest!, replaceExisting: true, signal: never(), log });
    expect(await engine.checksums({ endpoint: endpointOf(target), signal: never() })).toEqual(await engine.checksums({ endpoint: endpointOf(source), signal: never() }));
  });

  it("refuses a dump without its trailer (cut off) and a load into collections that exist", async () => {
    const target = await startFerretDb();
    extra.push(target);
    const cut = Readable.from([encodeRecord({ kind: "header", format: "steward-mongodb-dump", version: 1, server: "7.0.0", startedAt: new Date(), oplogStart: null }), encodeRecord({ kind: "collection", db: "cut", name: "c", type: "collection", options: {}, indexes: [] })]);
    await expect(engine.load(cut, { endpoint: endpointOf(target), signal: never(), log })).rejects.toThrow(/cut off/);
    const manifest = await readBackupManifest(storage(), cluster, "dump-zstd");
    const error = await runRestore({ engine, endpoint: endpointOf(source), storage: storage(), manifest: manifest!, signal: never(), log }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StepError);
    expect((error as Error).message).toMatch(/exist/i);
  });

  it("loads a new cluster's first member from S3 once (spec.bootstrap), replacing what a crashed attempt left", async () => {
    const target = await startFerretDb();
    extra.push(target);
    const writer = target.client();
    try {
      // A crashed earlier attempt: the marker says started, and part of a database was loaded.
      await writer.db(BOOTSTRAP_MARKER.database).collection<{ _id: string; state: string; attempt: number }>(BOOTSTRAP_MARKER.collection).insertOne({ _id: BOOTSTRAP_MARKER.id, state: "started", attempt: 1 });
      await writer.db("shop").collection<{ _id: string }>("orders").insertOne({ _id: "half-loaded" });
      const restore = () => restoreBootstrapSource({ endpoint: endpointOf(target), source: { namespace: cluster.namespace, cluster: cluster.name, backup: "dump-zstd" }, storage: storage(), log, signal: never() });
      expect(await restore()).toMatch(/^restored backup dump-zstd of orders, 3 collections checksummed/);
      const expected = await engine.checksums({ endpoint: endpointOf(source), signal: never() });
      expect(await engine.checksums({ endpoint: endpointOf(target), signal: never() })).toEqual(expected);
      // Done once: a later request (the sidecar restarted) loads nothing again.
      await writer.db("shop").collection<{ _id: string }>("after").insertOne({ _id: "written-after-the-restore" });
      expect(await restore()).toMatch(/^restored earlier: backup dump-zstd/);
      expect(await writer.db("shop").collection("after").countDocuments()).toBe(1);
      expect(await writer.db(BOOTSTRAP_MARKER.database).collection(BOOTSTRAP_MARKER.collection).findOne({})).toMatchObject({ state: "done", attempt: 2 });
    } finally {
      await writer.close();
    }
  });
});
