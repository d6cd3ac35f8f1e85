import { describe, expect, it } from "vitest";
import { RESTORED_ANNOTATION, RESTORE_FAILURES_ANNOTATION, decideRestore, holdsForRestore, restoreFailures, type LoadAnswer } from "./restore-hold.js";

const FIRST = "shop-0";

describe("holding a cluster made from a backup back until the load is done", () => {
  it.each([
    ["a new cluster, not from a backup", false, undefined, false],
    ["from a backup, nothing loaded yet", true, undefined, true],
    ["from a backup, one failed load", true, { [RESTORE_FAILURES_ANNOTATION]: "1" }, true],
    ["from a backup, loaded", true, { [RESTORED_ANNOTATION]: "ok" }, false],
    ["from a backup, the annotation not ok", true, { [RESTORED_ANNOTATION]: "yes" }, true],
    ["not from a backup, a stray annotation", false, { [RESTORED_ANNOTATION]: "no" }, false],
  ])("%s", (_, fromBackup, annotations, holds) => {
    expect(holdsForRestore(fromBackup, annotations)).toBe(holds);
  });

  it.each([
    [undefined, 0],
    [{ [RESTORE_FAILURES_ANNOTATION]: "3" }, 3],
    [{ [RESTORE_FAILURES_ANNOTATION]: "x" }, 0],
    [{ [RESTORE_FAILURES_ANNOTATION]: "-2" }, 0],
    [{ [RESTORE_FAILURES_ANNOTATION]: "1.5" }, 0],
  ])("failures counted from %o: %i", (annotations, count) => {
    expect(restoreFailures(annotations)).toBe(count);
  });
});

describe("one pass's decision from the sidecar's answer and the failures so far", () => {
  it.each<[string, string | undefined, LoadAnswer, { failures?: string | null; restored?: string; event?: string; failed: boolean }]>([
    ["member down, no failure yet", undefined, { kind: "memberDown" }, { failed: false }],
    ["loading, no failure yet", undefined, { kind: "loading" }, { failed: false }],
    ["first failure: counted, warned, not Failed yet", undefined, { kind: "failed", why: "S3 said 403" }, { failures: "1", event: "RestoreFailed", failed: false }],
    ["loading again after one failure", "1", { kind: "loading" }, { failed: false }],
    ["second failure: Failed", "1", { kind: "failed", why: "S3 said 403" }, { failures: "2", event: "RestoreFailed", failed: true }],
    ["loading again after two failures: still Failed", "2", { kind: "loading" }, { failed: true }],
    ["member down after two failures: still Failed", "2", { kind: "memberDown" }, { failed: true }],
    ["a third failure counts on", "2", { kind: "failed", why: "checksum mismatch" }, { failures: "3", event: "RestoreFailed", failed: true }],
    ["loaded after failures: restored, count removed, not Failed", "2", { kind: "loaded", outcome: "3 collections" }, { failures: null, restored: "ok", event: "Restored", failed: false }],
  ])("%s", (_, failuresSoFar, answer, expected) => {
    const decision = decideRestore(FIRST, failuresSoFar === undefined ? undefined : { [RESTORE_FAILURES_ANNOTATION]: failuresSoFar }, answer);
    expect(decision.annotations?.[RESTORE_FAILURES_ANNOTATION]).toBe(expected.failures);
    expect(decision.annotations?.[RESTORED_ANNOTATION]).toBe(expected.restored);
    expect(decision.event?.reason).toBe(expected.event);
    expect(decision.failed !== undefined).toBe(expected.failed);
  });

  it("the Failed message names the member, the count and the last error", () => {
    expect(decideRestore(FIRST, { [RESTORE_FAILURES_ANNOTATION]: "1" }, { kind: "failed", why: "checksum mismatch in shop.orders" }).failed).toBe(
      "Loading the backup into shop-0 failed 2 times, last: checksum mismatch in shop.orders; the sidecar's log says more (kubectl logs shop-0 -c agent); it keeps retrying, delete the cluster to give up",
    );
  });

  it("passes in a row, each reading the annotations the last one wrote: held throughout, Failed from the second failure, released by a load that succeeds", () => {
    const answers: LoadAnswer[] = [{ kind: "memberDown" }, { kind: "loading" }, { kind: "failed", why: "a" }, { kind: "loading" }, { kind: "failed", why: "b" }, { kind: "memberDown" }, { kind: "loading" }, { kind: "loaded", outcome: "done" }];
    let annotations: Record<string, string> = {};
    const seen: string[] = [];
    for (const answer of answers) {
      expect(holdsForRestore(true, annotations)).toBe(true);
      const decision = decideRestore(FIRST, annotations, answer);
      const next: Record<string, string> = { ...annotations };
      for (const [key, value] of Object.entries(decision.annotations ?? {})) {
        if (value === null) delete next[key];
        else next[key] = value;
      }
      annotations = next;
      seen.push(decision.failed ? "Failed" : "ok");
    }
    expect(seen).toEqual(["ok", "ok", "ok", "ok", "Failed", "Failed", "Failed", "ok"]);
    expect(annotations).toEqual({ [RESTORED_ANNOTATION]: "ok" });
    expect(holdsForRestore(true, annotations)).toBe(false);
  });
});
