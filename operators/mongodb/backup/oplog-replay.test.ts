import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { BSON, type Document } from "mongodb";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ArchivedSegment } from "../../../backup/engine-backup.js";
import { MANIFEST_FORMAT, type LogSegmentManifest } from "../../../backup/manifest.js";
import { applyOpsCommand } from "./logical-dump.js";
import { BATCH, replayEntries } from "./oplog-replay.js";

/**
 * The applyOps path of a point-in-time replay (mongod's, the only one for `$v: 2` diff updates
 * and commands), which FerretDB cannot run (no applyOps) and no mongod runs here to run it.
 * What is tested is what Steward builds: the applyOps commands a replay sends, in order. The
 * commands are recorded by the `apply` function instead of sent; the oplog entries are
 * HAND-WRITTEN in the shape MongoDB 5.0+ writes (../testdata/handwritten-oplog-entries.json and
 * the ones below): no public source with recorded `$v: 2` entries was found. Whether mongod
 * accepts these commands is not proven here.
 */

const log = pino({ level: "silent" });
const UUID = new BSON.Binary(Buffer.from("abcdef1234567890abcdef1234567890", "hex"), 4);

function handwrittenFixture(): Document[] {
  const wrapper = JSON.parse(readFileSync(new URL("../testdata/handwritten-oplog-entries.json", import.meta.url), "utf8")) as { document: unknown[] };
  return BSON.EJSON.parse(JSON.stringify(wrapper.document), { relaxed: false }) as Document[];
}

const ts = (t: number, i: number) => new BSON.Timestamp({ t, i });
const entry = (t: number, i: number, fields: Document): Document => ({ ts: ts(t, i), t: 1, v: 2, wall: new Date(t * 1000), ...fields });

/** An archived slice as backup/ hands it over: its manifest and its lines of canonical Extended JSON. */
function slice(stream: string, name: string, start: string, entries: Document[]): ArchivedSegment {
  const last = entries.at(-1)!.ts as BSON.Timestamp;
  const body = entries.map((document) => BSON.EJSON.stringify(document, { relaxed: false })).join("\n") + "\n";
  const manifest: LogSegmentManifest = {
    format: MANIFEST_FORMAT,
    kind: "LogSegment",
    engine: "mongodb",
    cluster: { namespace: "default", name: "shop" },
    stream,
    segment: name,
    startPosition: start,
    endPosition: `${last.t}:${last.i}`,
    firstEventAt: (entries[0]!.wall as Date).toISOString(),
    lastEventAt: (entries.at(-1)!.wall as Date).toISOString(),
    archivedAt: new Date().toISOString(),
    data: { key: name, size: body.length, rawSize: body.length, sha256: `sha256:${"0".repeat(64)}`, compression: "none", encryption: null, contentType: "text/plain" },
  };
  return { manifest, open: async () => Readable.from([body]) };
}

/** A command's entries as relaxed Extended JSON (numbers plain, as the driver would send Int32s). */
const opsOf = (command: Document): Document[] => (BSON.EJSON.serialize(command, { relaxed: true }) as { applyOps: Document[] }).applyOps;

/** Replays and returns the applyOps commands that would have been sent, in order. */
async function commandsFor(segments: ArchivedSegment[], base: string, stopAt: Date): Promise<{ commands: Document[]; reached: unknown }> {
  const commands: Document[] = [];
  const position = await replayEntries(segments, { from: { summary: "base backup", oplogEnd: base }, stopAt, log, signal: new AbortController().signal }, async (batch) => {
    commands.push(applyOpsCommand(batch));
  });
  return { commands, reached: position.oplogEnd };
}

describe("replay through applyOps (hand-written 5.0+ oplog entries, commands recorded, not sent)", () => {
  it("sends the fixture's user-data entries, the $v: 2 diff update and the create command as they are, without ui, and skips the no-op and config.system.sessions", async () => {
    const entries = handwrittenFixture();
    const { commands, reached } = await commandsFor([slice("shop-0", "s1-ejson", "1764989999:0", entries)], "1764989999:0", new Date("2025-12-06T03:00:25Z"));
    expect(commands).toHaveLength(1);
    const ops = opsOf(commands[0]!);
    expect(ops.map((op) => [op.op, op.ns])).toEqual([
      ["c", "shop.$cmd"],
      ["i", "shop.orders"],
      ["i", "shop.orders"],
      ["u", "shop.orders"],
      ["d", "shop.orders"],
    ]);
    expect(ops.every((op) => !("ui" in op))).toBe(true);
    expect(ops[3]).toMatchObject({ o: { $v: 2, diff: { u: { qty: 3 } } }, o2: { _id: 1 } });
    expect(ops[0]!.o).toMatchObject({ create: "orders" });
    expect(reached).toBe("1764990025:1");
  });

  it("stops at the requested second (every entry of that second included) and starts after the base backup's position", async () => {
    const entries = handwrittenFixture();
    // Base after the second insert; stop in the update's second (1764990012 = 2025-12-06T03:00:12Z).
    const { commands, reached } = await commandsFor([slice("shop-0", "s1-ejson", "1764989999:0", entries)], "1764990001:2", new Date("2025-12-06T03:00:12.900Z"));
    const ops = commands.flatMap(opsOf);
    expect(ops.map((op) => (op.ts as { $timestamp: { t: number } }).$timestamp.t)).toEqual([1764990005, 1764990012]);
    expect(reached).toBe("1764990012:2");
  });

  it("cuts the entries into applyOps commands of 500, in oplog order", async () => {
    const many = Array.from({ length: 2 * BATCH + 1 }, (_, n) => entry(1764990100 + Math.floor(n / 100), (n % 100) + 1, { op: "u", ns: "shop.orders", ui: UUID, o: { $v: 2, diff: { u: { qty: n } } }, o2: { _id: n } }));
    const { commands } = await commandsFor([slice("shop-0", "s1-ejson", "1764990000:0", many)], "1764990000:0", new Date("2025-12-06T03:01:50Z"));
    expect(commands.map((command) => (command.applyOps as Document[]).length)).toEqual([BATCH, BATCH, 1]);
    const quantities = commands.flatMap((command) => opsOf(command).map((op) => ((op.o as Document).diff as Document).u as Document)).map((u) => u.qty);
    expect(quantities).toEqual(many.map((_, n) => n));
  });

  it("applies an entry archived by two members once, and strips session and transaction fields inside a transaction's applyOps", async () => {
    const insert = entry(1764990200, 1, { op: "i", ns: "shop.orders", ui: UUID, o: { _id: 7 }, o2: { _id: 7 } });
    const transaction = entry(1764990201, 1, {
      op: "c",
      ns: "admin.$cmd",
      lsid: { id: UUID },
      txnNumber: BSON.Long.fromNumber(3),
      prevOpTime: { ts: ts(0, 0), t: BSON.Long.fromNumber(-1) },
      o: { applyOps: [{ op: "u", ns: "shop.orders", ui: UUID, o: { $v: 2, diff: { i: { paid: true } } }, o2: { _id: 7 } }] },
    });
    const systemKeys = entry(1764990202, 1, { op: "i", ns: "admin.system.keys", o: { _id: BSON.Long.fromNumber(1) } });
    const localWrite = entry(1764990202, 2, { op: "i", ns: "local.replset.election", o: { _id: 1 } });
    // Member 0 archived up to the transaction; member 1, primary after a failover, archived the insert again and went on.
    const segments = [slice("shop-0", "a-ejson", "1764990199:0", [insert, transaction]), slice("shop-1", "b-ejson", "1764990199:0", [insert, transaction, systemKeys, localWrite])];
    const { commands, reached } = await commandsFor(segments, "1764990199:0", new Date("2025-12-06T03:03:22Z"));
    const ops = commands.flatMap(opsOf);
    expect(ops).toHaveLength(2);
    expect(ops[0]).toMatchObject({ op: "i", o: { _id: 7 } });
    expect(ops[1]).not.toHaveProperty("lsid");
    expect(ops[1]).not.toHaveProperty("txnNumber");
    expect(ops[1]).not.toHaveProperty("prevOpTime");
    const inner = (ops[1]!.o as Document).applyOps as Document[];
    expect(inner).toEqual([{ op: "u", ns: "shop.orders", o: { $v: 2, diff: { i: { paid: true } } }, o2: { _id: 7 } }]);
    expect(reached).toBe("1764990202:2");
  });

  it("sends nothing and refuses when the archive has a hole after the base", async () => {
    const later = entry(1764990300, 1, { op: "i", ns: "shop.orders", o: { _id: 1 } });
    const commands: Document[] = [];
    await expect(
      replayEntries([slice("shop-0", "c-ejson", "1764990299:0", [later])], { from: { summary: "base backup", oplogEnd: "1764990200:0" }, stopAt: new Date("2025-12-06T03:05:00Z"), log, signal: new AbortController().signal }, async (batch) => {
        commands.push(applyOpsCommand(batch));
      }),
    ).rejects.toThrow(/never archived/);
    expect(commands).toEqual([]);
  });
});
