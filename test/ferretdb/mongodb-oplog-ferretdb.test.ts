/**
 * The oplog tailer (operators/mongodb/backup/oplog-tailer.ts) against FerretDB's basic oplog
 * (a STAND-IN for mongod's): FerretDB 1.24 writes an entry for each insert, update and delete
 * into `local.oplog.rs` once that capped collection exists (mongod writes far more kinds and
 * manages the collection itself). Proves the tail, the slicing, the chain of slices, and the
 * gap when the capped oplog rolled over past the last archived entry.
 */
import { BSON, type MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tailOplog, type OplogSlice } from "../../operators/mongodb/backup/oplog-tailer.js";
import { findGaps, planOplogReplay, type OplogGap } from "../../operators/mongodb/oplog-slices.js";
import { startFerretDb, type FerretDbFixture } from "../fixtures/ferretdb.js";

async function tailFor(client: MongoClient, resumeAfter: { t: number; i: number }, write: () => Promise<void>, limits: { maxAgeMs: number; maxBytes: number }) {
  const slices: OplogSlice[] = [];
  const gaps: OplogGap[] = [];
  const controller = new AbortController();
  const tail = tailOplog(client, {
    resumeAfter,
    signal: controller.signal,
    now: () => new Date(),
    limits,
    idleWaitMs: 200,
    onSlice: async (slice) => {
      slices.push(slice);
    },
    onGap: async (gap) => {
      gaps.push(gap);
    },
  });
  await write();
  // Let the tail catch up with what was written, then stop it (it flushes what is open).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  controller.abort();
  const last = await tail;
  return { slices, gaps, last };
}

describe("oplog tailing and slicing (ferretdb stand-in)", () => {
  let server: FerretDbFixture;
  let client: MongoClient;

  beforeAll(async () => {
    server = await startFerretDb({ cappedCleanupSeconds: 1 });
    client = server.client();
    await client.db("local").createCollection("oplog.rs", { capped: true, size: 64 * 1024 });
  });
  afterAll(async () => {
    await client?.close();
    await server?.destroy();
  });

  it("slices every write into a chain without gaps, and plans a replay over it", async () => {
    const orders = client.db("shop").collection<{ _id: number; qty: number }>("orders");
    const { slices, gaps, last } = await tailFor(
      client,
      { t: 0, i: 0 },
      async () => {
        for (let index = 0; index < 40; index += 1) await orders.insertOne({ _id: index, qty: index });
        await orders.updateOne({ _id: 3 }, { $set: { qty: 300 } });
        await orders.deleteOne({ _id: 4 });
      },
      { maxAgeMs: 60_000, maxBytes: 1500 },
    );
    expect(gaps).toEqual([]);
    expect(slices.length).toBeGreaterThan(1);
    expect(findGaps(slices.map((slice) => slice.bounds))).toEqual([]);
    const entries = slices.flatMap((slice) => slice.body.toString("utf8").trim().split("\n")).map((line) => BSON.EJSON.parse(line, { relaxed: false }));
    const ours = entries.filter((entry) => entry.ns === "shop.orders");
    expect(ours.map((entry) => entry.op as string).join("")).toBe(`${"i".repeat(40)}ud`);
    expect(slices.reduce((sum, slice) => sum + slice.bounds.entries, 0)).toBe(entries.length);
    const end = slices.at(-1)!.bounds.end;
    expect(end).toEqual(last);
    const plan = planOplogReplay(slices[0]!.bounds.start, slices.map((slice) => slice.bounds), new Date(end.t * 1000));
    expect(plan).toMatchObject({ ok: true });
    if (plan.ok) expect(plan.slices).toHaveLength(slices.length);
  });

  it("reports a gap when the capped oplog rolled over past the last archived entry", async () => {
    const first = await client.db("local").collection("oplog.rs").find({}, { sort: { $natural: 1 }, limit: 1 }).next();
    const lastArchived = { t: (first!.ts as BSON.Timestamp).t, i: (first!.ts as BSON.Timestamp).i };
    // Write well past the 64 KiB cap while nothing archives: the entries after lastArchived roll off.
    const filler = client.db("shop").collection<{ _id: number; pad: string }>("filler");
    for (let index = 0; index < 200; index += 1) await filler.insertOne({ _id: index, pad: "x".repeat(1000) });
    // FerretDB trims its capped oplog on a timer (fixture: every second), not on insert as mongod does.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const oldest = await client.db("local").collection("oplog.rs").find({}, { sort: { $natural: 1 }, limit: 1 }).next();
      if (oldest && !(oldest.ts as BSON.Timestamp).equals(first!.ts as BSON.Timestamp)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { slices, gaps } = await tailFor(client, lastArchived, async () => undefined, { maxAgeMs: 60_000, maxBytes: 16 * 1024 * 1024 });
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.message).toContain("rolled over");
    // The new chain does not link to the last archived entry: a restore from before it is refused.
    expect(slices[0]!.bounds.start).not.toEqual(lastArchived);
    const plan = planOplogReplay(lastArchived, slices.map((slice) => slice.bounds), new Date(slices.at(-1)!.bounds.end.t * 1000));
    expect(plan).toMatchObject({ ok: false, reason: expect.stringContaining("never archived") });
  });
});
