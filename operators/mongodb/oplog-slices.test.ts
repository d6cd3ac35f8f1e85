import { readFileSync } from "node:fs";
import { BSON, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { OplogSlicer, findGaps, formatOpTime, parseOpTime, planOplogReplay, replays, resumeGap, sliceName, type SliceBounds } from "./oplog-slices.js";
import type { OpTime } from "./status.js";

/** Hand-written oplog entries (see testdata/SOURCES.md: no mongod runs here to record real ones). */
function entries(): Document[] {
  const wrapper = JSON.parse(readFileSync(new URL("./testdata/handwritten-oplog-entries.json", import.meta.url), "utf8")) as { document: unknown };
  return BSON.EJSON.parse(JSON.stringify(wrapper.document)) as Document[];
}

const at = (t: number, i = 1): OpTime => ({ t, i });
const slice = (name: string, start: OpTime, end: OpTime): SliceBounds => ({ name, start, end, entries: 1, bytes: 1 });

describe("OplogSlicer", () => {
  it("closes a slice every 10 s of age, chaining each slice's start to the previous end", () => {
    const slicer = new OplogSlicer(at(1764989999, 0));
    const closed: SliceBounds[] = [];
    for (const entry of entries()) {
      const wall = entry.wall as Date;
      const ts = entry.ts as OpTime;
      const due = slicer.due(wall);
      if (due) closed.push(due);
      const full = slicer.add({ ts: { t: ts.t, i: ts.i }, wall, bytes: BSON.calculateObjectSize(entry) }, wall);
      if (full) closed.push(full);
    }
    const last = slicer.flush();
    if (last) closed.push(last);
    expect(closed.map((bounds) => [formatOpTime(bounds.start), formatOpTime(bounds.end), bounds.entries])).toEqual([
      ["1764989999:0", "1764990005:1", 4],
      ["1764990005:1", "1764990012:2", 2],
      ["1764990012:2", "1764990025:1", 1],
    ]);
    expect(findGaps(closed)).toEqual([]);
    expect(closed[0]?.name).toBe("oplog-1764990000-0000000001-ejson");
  });

  it("closes a slice as soon as it holds its byte limit", () => {
    const slicer = new OplogSlicer(at(1, 0), { maxAgeMs: 10_000, maxBytes: 300 });
    const now = new Date(0);
    expect(slicer.add({ ts: at(2), bytes: 200 }, now)).toBeUndefined();
    expect(slicer.add({ ts: at(3), bytes: 200 }, now)).toMatchObject({ start: at(1, 0), end: at(3), bytes: 400 });
    expect(slicer.due(new Date(60_000))).toBeUndefined();
  });

  it("refuses an entry that does not move forward", () => {
    const slicer = new OplogSlicer(at(5));
    expect(() => slicer.add({ ts: at(5), bytes: 1 }, new Date())).toThrow(/went backwards/);
  });

  it("names and positions round-trip and sort in oplog order", () => {
    expect(parseOpTime(formatOpTime(at(1764990001, 42)))).toEqual(at(1764990001, 42));
    expect(() => parseOpTime("17:x")).toThrow();
    expect([sliceName(at(99, 2)), sliceName(at(100, 1)), sliceName(at(99, 10))].sort()).toEqual([sliceName(at(99, 2)), sliceName(at(99, 10)), sliceName(at(100, 1))]);
  });
});

describe("gaps", () => {
  it.each([
    ["a chain", [slice("a", at(1), at(5)), slice("b", at(5), at(9))], 0],
    ["a missing middle slice", [slice("a", at(1), at(5)), slice("c", at(9), at(12))], 1],
    ["a tailer that restarted later", [slice("a", at(1), at(5)), slice("b", at(5), at(9)), slice("d", at(20), at(25)), slice("e", at(25), at(30))], 1],
    ["slices listed out of order", [slice("b", at(5), at(9)), slice("a", at(1), at(5))], 0],
  ] as const)("%s", (_name, slices, count) => {
    expect(findGaps(slices)).toHaveLength(count);
  });

  it("sees an oplog that rolled over past the last archived entry", () => {
    expect(resumeGap(at(100), at(90))).toBeUndefined();
    expect(resumeGap(at(100), at(100))).toBeUndefined();
    expect(resumeGap(undefined, at(100))).toBeUndefined();
    expect(resumeGap(at(100), at(101))?.message).toContain("rolled over");
  });
});

describe("planOplogReplay", () => {
  const chain = [slice("a", at(100, 0), at(110)), slice("b", at(110), at(120)), slice("c", at(120), at(130))];
  const second = (t: number) => new Date(t * 1000 + 500);

  it.each([
    ["base inside the first slice, stop inside the second", at(105), 115, ["a", "b"]],
    ["base at a slice's end skips that slice", at(110), 125, ["b", "c"]],
    ["stop in the base's own second still replays that second", at(105), 105, ["a"]],
    ["stop at the last entry's second", at(101), 130, ["a", "b", "c"]],
  ] as const)("%s", (_name, base, stop, names) => {
    const plan = planOplogReplay(base, chain, second(stop));
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.slices.map((bounds) => bounds.name)).toEqual(names);
    expect(plan.stop).toEqual({ t: stop, i: 0xffff_ffff });
  });

  it.each([
    ["a stop before the base", at(120), 110, /before the base/],
    ["a stop beyond what is archived", at(105), 140, /reaches/],
    ["a gap between base and stop", at(105), 125, /never archived/],
  ] as const)("refuses %s", (_name, base, stop, reason) => {
    const slices = reason.source === "never archived" ? [chain[0] as SliceBounds, chain[2] as SliceBounds] : chain;
    const plan = planOplogReplay(base, slices, second(stop));
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.reason).toMatch(reason);
  });

  it("replays user changes after the base up to the stop, and nothing of the server's own", () => {
    const from = at(1764990001, 1);
    const stop = { t: 1764990012, i: 0xffff_ffff };
    const replayed = entries().filter((entry) => replays({ ts: entry.ts as OpTime, op: entry.op as string, ns: entry.ns as string }, from, stop));
    expect(replayed.map((entry) => `${entry.op} ${entry.ns}`)).toEqual(["i shop.orders", "i shop.orders", "u shop.orders"]);
  });
});
