/**
 * Point in time for MongoDB end to end against FerretDB (a STAND-IN for mongod, 1.24.2 with
 * its basic oplog in a capped `local.oplog.rs` made by hand) and the real S3 server: a base
 * backup through the pipeline, the archiver (operators/mongodb/backup/oplog-archiver.ts)
 * tailing the oplog and uploading slices with their manifests and ArchiverState, then the
 * generic restore (backup/agent/restore-commands.ts executeRestore: the planner of backup/,
 * the check of every object, load, oplog replay, checksums) into a new server to a second
 * between two batches of writes, and to the newest archived write.
 *
 * What FerretDB cannot prove: it has no applyOps, so replay goes through the CRUD fallback
 * (inserts, deletes, replacements, `$v: 1` `$set`/`$unset`); mongod 5.0+ writes `$v: 2` diff
 * updates that only applyOps replays (its batch path is not run here). FerretDB is no replica
 * set: the archiver's "only the primary tails" rule sees FerretDB's `isWritablePrimary: true`.
 */
import { pino } from "pino";
import type { S3Client } from "@aws-sdk/client-s3";
import type { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEndpoint } from "../../backup/engine-backup.js";
import { executeRestore } from "../../backup/agent/restore-commands.js";
import { listArchiverStates, listArchivedSegments, readArchiveReach } from "../../backup/log-archive.js";
import { runBackup, type StorageContext } from "../../backup/pipeline.js";
import { MongodbBackup } from "../../operators/mongodb/backup/mongodb-backup.js";
import { applyOplogEntries } from "../../operators/mongodb/backup/logical-dump.js";
import { OplogArchiver } from "../../operators/mongodb/backup/oplog-archiver.js";
import { findGaps, parseOpTime } from "../../operators/mongodb/oplog-slices.js";
import { startFerretDb, type FerretDbFixture } from "../fixtures/ferretdb.js";
import { startS3, type S3Fixture } from "../fixtures/s3.js";

const log = pino({ level: "silent" });
const cluster = { namespace: "shop", name: "orders" };
const engine = new MongodbBackup();
const never = () => new AbortController().signal;
const endpointOf = (server: FerretDbFixture): EngineEndpoint => ({ host: server.host, port: server.port, options: { directConnection: "true" } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Sleeps into the next whole second: oplog times count seconds, and a point in time is exact to the second. */
const nextSecond = () => sleep(1050 - (Date.now() % 1000));

describe("MongoDB point in time through S3 (ferretdb stand-in, real versitygw)", () => {
  let s3: S3Fixture;
  let s3Client: S3Client;
  let source: FerretDbFixture;
  let client: MongoClient;
  const targets: FerretDbFixture[] = [];

  beforeAll(async () => {
    [s3, source] = await Promise.all([startS3(), startFerretDb()]);
    s3Client = s3.client();
    client = source.client();
    await client.db("local").createCollection("oplog.rs", { capped: true, size: 8 * 1024 * 1024 });
  });
  afterAll(async () => {
    await client?.close();
    s3Client?.destroy();
    await Promise.all([s3?.destroy(), source?.destroy(), ...targets.map((server) => server.destroy())]);
  });

  const storage = (): StorageContext => ({ client: s3Client, target: s3.target(""), key: Buffer.alloc(32, 7) });

  it("archives the oplog in chained slices and restores a new server to a second, and to the newest write", async () => {
    const orders = client.db("shop").collection<{ _id: number; qty: number; note?: string }>("orders");
    await orders.insertMany(Array.from({ length: 50 }, (_, index) => ({ _id: index, qty: index })));
    const base = await runBackup({ engine, endpoint: endpointOf(source), storage: storage(), cluster, backup: "base", method: "logical", compression: "zstd", signal: never(), log });
    expect(base.position.oplogEnd).toMatch(/^\d+:\d+$/);

    const archiver = new OplogArchiver(client, { engine: "mongodb", storage: storage(), cluster, compression: "zstd", stream: "orders-0", limits: { maxAgeMs: 300, maxBytes: 4096 }, idleWaitMs: 100, log });
    let passing = true;
    const passes = (async () => {
      while (passing) {
        await archiver.pass();
        await sleep(100);
      }
    })();

    await nextSecond();
    // Batch 1, after the base backup: inserts, a $set update, a replacement, deletes.
    for (let index = 50; index < 120; index += 1) await orders.insertOne({ _id: index, qty: index });
    await orders.updateOne({ _id: 3 }, { $set: { qty: 300, note: "changed" } });
    await orders.replaceOne({ _id: 4 }, { qty: 4000 }); // the same fields: see $unset below
    await orders.deleteMany({ _id: { $in: [5, 6] } });
    const pointInTime = new Date();
    const atPoint = await engine.checksums({ endpoint: endpointOf(source), signal: never() });
    await nextSecond();
    // Batch 2, after the point: must not be in the first restore.
    for (let index = 120; index < 150; index += 1) await orders.insertOne({ _id: index, qty: index });
    // Not $unset: FerretDB logs every update as {$v: 1, $set: <the whole new document>}, which
    // cannot remove a field (mongod logs the $unset itself); see the hand-written case below.
    await orders.updateOne({ _id: 7 }, { $inc: { qty: 1000 } });
    await orders.deleteOne({ _id: 8 });
    const atEnd = await engine.checksums({ endpoint: endpointOf(source), signal: never() });
    const lastWrite = new Date();

    // Until the archive reaches the last write (slices close after 300 ms).
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const states = await listArchiverStates(storage(), cluster);
      if (states.some((state) => new Date(state.archivedUntil) >= lastWrite)) break;
      await sleep(100);
    }
    passing = false;
    await passes;
    await archiver.stop();

    const manifests = await listArchivedSegments(storage(), cluster);
    expect(manifests.length).toBeGreaterThan(2);
    expect(manifests.every((manifest) => manifest.engine === "mongodb" && manifest.stream === "orders-0" && manifest.data.encryption)).toBe(true);
    const bounds = manifests.map((manifest) => ({ name: manifest.segment, start: parseOpTime(manifest.startPosition!), end: parseOpTime(manifest.endPosition!) }));
    expect(findGaps(bounds)).toEqual([]);
    const [state] = await listArchiverStates(storage(), cluster);
    expect(state).toMatchObject({ stream: "orders-0", lastSegment: manifests.at(-1)!.segment });
    expect(state!.gaps).toBeUndefined();

    for (const [time, expected] of [
      [pointInTime, atPoint],
      [lastWrite, atEnd],
    ] as const) {
      const target = await startFerretDb();
      targets.push(target);
      const outcome = await executeRestore({ engine, storage: storage(), endpoint: endpointOf(target), source: cluster, pointInTime: time, replaceExisting: false, signal: never(), log });
      expect(outcome.backup.backup).toBe("base");
      expect(outcome.position).toMatch(/entries replayed/);
      expect(outcome.tables).toEqual(expected);
    }
    expect(atPoint).not.toEqual(atEnd);
  });

  it("records a gap in the ArchiverState when the oplog rolled over past the archive, and a restore across it is refused", async () => {
    // A small oplog that FerretDB trims every second: the archive above ends far behind it.
    await client.db("local").collection("oplog.rs").drop();
    await client.db("local").createCollection("oplog.rs", { capped: true, size: 32 * 1024 });
    const filler = client.db("shop").collection<{ _id: number; pad: string }>("filler");
    for (let index = 0; index < 100; index += 1) await filler.insertOne({ _id: index, pad: "x".repeat(1000) });
    await sleep(1500);
    const archiver = new OplogArchiver(client, { engine: "mongodb", storage: storage(), cluster, compression: "none", stream: "orders-1", limits: { maxAgeMs: 200, maxBytes: 1 << 20 }, idleWaitMs: 100, log });
    let state;
    for (let attempt = 0; attempt < 50 && !state?.gaps; attempt += 1) {
      await archiver.pass();
      await sleep(200);
      state = (await listArchiverStates(storage(), cluster)).find((candidate) => candidate.stream === "orders-1");
    }
    await archiver.stop();
    expect(state?.gaps).toHaveLength(1);
    expect(state!.gaps![0]!.message).toContain("rolled over");
    // The window's computation (backup/) sees this recorded hole, and no false one in the slices' names.
    const reach = await readArchiveReach(storage(), cluster);
    expect(reach.holes).toEqual([expect.objectContaining({ stream: "orders-1", description: expect.stringContaining("rolled over") })]);
    const target = await startFerretDb();
    targets.push(target);
    const refused = await executeRestore({ engine, storage: storage(), endpoint: endpointOf(target), source: cluster, pointInTime: new Date(state!.archivedUntil), replaceExisting: false, signal: never(), log }).catch((error: unknown) => error as Error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/never archived/);
  });

  it("replays hand-written mongod-style $v: 1 updates ($set, $unset) without applyOps, and refuses $v: 2 diffs there", async () => {
    const target = await startFerretDb();
    targets.push(target);
    const restored = target.client();
    try {
      const items = restored.db("shop").collection<{ _id: number; a?: number; b?: number }>("items");
      await items.insertOne({ _id: 1, a: 1, b: 2 });
      // Hand-written in mongod 4.x's oplog form (not read from a server).
      await applyOplogEntries(restored, [
        { op: "u", ns: "shop.items", o2: { _id: 1 }, o: { $v: 1, $set: { a: 5 } } },
        { op: "u", ns: "shop.items", o2: { _id: 1 }, o: { $unset: { b: true } } },
        { op: "i", ns: "shop.items", o: { _id: 2, a: 2 } },
        { op: "d", ns: "shop.items", o: { _id: 2 } },
      ]);
      expect(await items.find().toArray()).toEqual([{ _id: 1, a: 5 }]);
      await expect(applyOplogEntries(restored, [{ op: "u", ns: "shop.items", o2: { _id: 1 }, o: { $v: 2, diff: { u: { a: 6 } } } }])).rejects.toThrow(/without applyOps/);
    } finally {
      await restored.close();
    }
  });
});
