import { readFileSync } from "node:fs";
import { BSON, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { SliceQueue, majorityCommitPoint, majorityCommitted } from "./oplog-archiver.js";

/**
 * The `lastWrite` part of a recorded server document (../testdata/SOURCES.md says where each
 * comes from), with BSON types as the driver hands them over (other parts of the recording use
 * Extended JSON v1 forms that EJSON v2 refuses).
 */
function recorded(name: string): Document {
  const wrapper = JSON.parse(readFileSync(new URL(`../testdata/${name}`, import.meta.url), "utf8")) as { document: Record<string, unknown> };
  const { lastWrite, isWritablePrimary, ismaster, secondary } = wrapper.document;
  return BSON.EJSON.parse(JSON.stringify({ lastWrite, isWritablePrimary, ismaster, secondary }), { relaxed: false }) as Document;
}

describe("which slices the archiver may upload (majority-committed only)", () => {
  it("reads the majority commit point from a recorded primary's and secondary's isMaster", () => {
    expect(majorityCommitPoint(recorded("datadog-isMaster-replica-primary.json"))).toEqual({ t: 1600348939, i: 85 });
    expect(majorityCommitPoint(recorded("datadog-isMaster-replica-secondary.json"))).toEqual({ t: 1600348939, i: 85 });
    // A server that is no replica set (FerretDB, a standalone) reports none.
    expect(majorityCommitPoint({ isWritablePrimary: true, maxWireVersion: 21 })).toBeUndefined();
  });

  it.each([
    [{ t: 1600348939, i: 85 }, { t: 1600348939, i: 85 }, true],
    [{ t: 1600348939, i: 84 }, { t: 1600348939, i: 85 }, true],
    [{ t: 1600348939, i: 86 }, { t: 1600348939, i: 85 }, false],
    [{ t: 1600348940, i: 1 }, { t: 1600348939, i: 85 }, false],
    [{ t: 1600348940, i: 1 }, undefined, true],
  ])("a slice ending at %o with the majority at %o: %s", (end, majority, expected) => {
    expect(majorityCommitted(end, majority)).toBe(expected);
  });
});

/**
 * The archiver's queue (SliceQueue, the part of OplogArchiver.pass that decides what is
 * uploaded and what is dropped), driven with hello documents: the recorded DataDog isMaster of
 * a secondary (MongoDB 4.2) for a member that stepped down, the hand-written 5.0+ `hello`
 * variant of the recorded primary, and hand-written copies of it with the majority point moved
 * (said where used). Slices are hand-written bounds around the recorded point 1600348939:85.
 */
describe("the archiver's queue: committed slices uploaded in order, uncommitted ones dropped after a step-down", () => {
  const slice = (name: string, t: number, i: number) => ({ bounds: { name, end: { t, i } } });
  const withMajority = (hello: Document, t: number, i: number): Document => ({ ...hello, lastWrite: { ...(hello.lastWrite as Document), majorityOpTime: { ts: new BSON.Timestamp({ t, i }), t: 11 } } });

  /** What pass() does with the queue after a hello: on a step-down drop, then upload what may be uploaded. */
  function pass(queue: SliceQueue<ReturnType<typeof slice>>, hello: Document, tailing: boolean): { primary: boolean; uploaded: string[]; dropped: string[] } {
    const primary = queue.observe(hello);
    const dropped = !primary && tailing ? queue.dropUncommitted().map((s) => s.bounds.name) : [];
    const uploaded: string[] = [];
    for (let next = queue.next(); next; next = queue.next()) uploaded.push(queue.slices.shift()!.bounds.name);
    return { primary, uploaded, dropped };
  }

  it("as primary uploads the slices the majority point reaches and holds the rest, in order", () => {
    const queue = new SliceQueue<ReturnType<typeof slice>>();
    queue.slices.push(slice("a", 1600348939, 80), slice("b", 1600348939, 85), slice("c", 1600348939, 86), slice("d", 1600348945, 1));
    expect(pass(queue, recorded("handwritten-hello-primary-70.json"), true)).toEqual({ primary: true, uploaded: ["a", "b"], dropped: [] });
    expect(queue.slices.map((s) => s.bounds.name)).toEqual(["c", "d"]);
    // Hand-written: the same hello a moment later, the majority having reached c but not d.
    expect(pass(queue, withMajority(recorded("handwritten-hello-primary-70.json"), 1600348940, 0), true)).toEqual({ primary: true, uploaded: ["c"], dropped: [] });
    expect(queue.slices.map((s) => s.bounds.name)).toEqual(["d"]);
  });

  it("never uploads a committed slice before an uncommitted older one", () => {
    const queue = new SliceQueue<ReturnType<typeof slice>>();
    // Out of order on purpose: the queue keeps the tail's order and stops at the first slice that must wait.
    queue.slices.push(slice("late", 1600348950, 1), slice("early", 1600348939, 1));
    expect(pass(queue, recorded("handwritten-hello-primary-70.json"), true).uploaded).toEqual([]);
  });

  it("after a step-down (the recorded secondary's isMaster) drops the slices beyond the majority point and uploads the committed ones", () => {
    const queue = new SliceQueue<ReturnType<typeof slice>>();
    queue.slices.push(slice("a", 1600348939, 84), slice("b", 1600348939, 86), slice("c", 1600348941, 1));
    expect(pass(queue, recorded("datadog-isMaster-replica-secondary.json"), true)).toEqual({ primary: false, uploaded: ["a"], dropped: ["b", "c"] });
    expect(queue.slices).toEqual([]);
  });

  it("a member that was not tailing drops nothing (its queue is what an earlier stop left to upload)", () => {
    const queue = new SliceQueue<ReturnType<typeof slice>>();
    queue.slices.push(slice("b", 1600348939, 86));
    expect(pass(queue, recorded("datadog-isMaster-replica-secondary.json"), false)).toEqual({ primary: false, uploaded: [], dropped: [] });
    expect(queue.slices.map((s) => s.bounds.name)).toEqual(["b"]);
  });

  it("a server without a majority point (FerretDB, a standalone; hand-written hello) uploads everything, also after losing the primary role", () => {
    const queue = new SliceQueue<ReturnType<typeof slice>>();
    queue.slices.push(slice("a", 1764990000, 1), slice("b", 1764990010, 1));
    expect(pass(queue, { isWritablePrimary: false, maxWireVersion: 21 }, true)).toEqual({ primary: false, uploaded: ["a", "b"], dropped: [] });
  });
});
