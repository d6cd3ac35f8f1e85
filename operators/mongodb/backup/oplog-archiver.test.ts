import { readFileSync } from "node:fs";
import { BSON, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { majorityCommitPoint, majorityCommitted } from "./oplog-archiver.js";

/**
 * The `lastWrite` part of a recorded server document (../testdata/SOURCES.md says where each
 * comes from), with BSON types as the driver hands them over (other parts of the recording use
 * Extended JSON v1 forms that EJSON v2 refuses).
 */
function recorded(name: string): Document {
  const wrapper = JSON.parse(readFileSync(new URL(`../testdata/${name}`, import.meta.url), "utf8")) as { document: { lastWrite: unknown } };
  return BSON.EJSON.parse(JSON.stringify({ lastWrite: wrapper.document.lastWrite }), { relaxed: false }) as Document;
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
