import { describe, expect, it } from "vitest";
import { jsonEqual, mergePatchBetween, rebaseStatus, statusEquals } from "./status.js";

describe("statusEquals", () => {
  it("ignores key order at every depth", () => {
    expect(statusEquals({ phase: "Ready", endpoints: { primary: "a", readOnly: "b" } }, { endpoints: { readOnly: "b", primary: "a" }, phase: "Ready" })).toBe(true);
  });

  it("ignores keys whose value is undefined", () => {
    expect(statusEquals({ phase: "Ready", currentPrimary: undefined }, { phase: "Ready" })).toBe(true);
    expect(statusEquals(undefined, {})).toBe(true);
  });

  it("sees changed values, added or removed keys, and array order", () => {
    expect(statusEquals({ phase: "Ready" }, { phase: "Degraded" })).toBe(false);
    expect(statusEquals({ phase: "Ready" }, { phase: "Ready", currentPrimary: "x-0" })).toBe(false);
    expect(statusEquals({ instances: [{ name: "a" }, { name: "b" }] }, { instances: [{ name: "b" }, { name: "a" }] })).toBe(false);
    expect(statusEquals({ readyReplicas: 0 }, { readyReplicas: null })).toBe(false);
  });

  it("compares dates as the strings the API server stores", () => {
    expect(statusEquals({ at: new Date("2026-01-01T00:00:00.000Z") }, { at: "2026-01-01T00:00:00.000Z" })).toBe(true);
  });
});

describe("mergePatchBetween", () => {
  it("sets removed keys to null, recurses into objects and replaces arrays whole", () => {
    const current = { phase: "Ready", currentPrimary: "x-0", endpoints: { primary: "p", readOnly: "r" }, instances: [{ name: "x-0" }] };
    const desired = { phase: "Degraded", endpoints: { primary: "p" }, instances: [{ name: "x-0" }, { name: "x-1" }] };
    expect(mergePatchBetween(current, desired)).toEqual({ phase: "Degraded", currentPrimary: null, endpoints: { readOnly: null }, instances: [{ name: "x-0" }, { name: "x-1" }] });
  });

  it("is empty when nothing changed", () => {
    expect(mergePatchBetween({ a: { b: 1 } }, { a: { b: 1 } })).toEqual({});
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
  });
});

describe("rebaseStatus: this writer's change carried onto a status someone else wrote meanwhile", () => {
  const ready = { type: "Ready", status: "True", reason: "AllInstancesReady", message: "3/3" };
  const notReady = { type: "Ready", status: "False", reason: "Provisioning", message: "1/3" };
  const scheduled = { type: "BackupScheduled", status: "True", reason: "Due", message: "next at 03:00" };
  it.each([
    ["keeps a field the other writer added", { phase: "Provisioning" }, { phase: "Ready" }, { phase: "Provisioning", nextBackup: "t1" }, { phase: "Ready", nextBackup: "t1" }],
    ["keeps the other writer's value of a field this one left alone", { phase: "Ready", nextBackup: "t0" }, { phase: "Degraded", nextBackup: "t0" }, { phase: "Ready", nextBackup: "t1" }, { phase: "Degraded", nextBackup: "t1" }],
    ["removes what this writer removed", { phase: "Ready", currentPrimary: "a-0" }, { phase: "Ready" }, { phase: "Ready", currentPrimary: "a-0", nextBackup: "t1" }, { phase: "Ready", nextBackup: "t1" }],
    ["merges nested objects by key", { pointInTime: { earliest: "e0" }, endpoints: { primary: "p" } }, { pointInTime: { earliest: "e0" }, endpoints: { primary: "q" } }, { pointInTime: { earliest: "e0", latest: "l1" }, endpoints: { primary: "p" } }, { pointInTime: { earliest: "e0", latest: "l1" }, endpoints: { primary: "q" } }],
    ["merges conditions by type", { conditions: [notReady] }, { conditions: [ready] }, { conditions: [notReady, scheduled] }, { conditions: [ready, scheduled] }],
    ["adds a condition type this writer added", { conditions: [scheduled] }, { conditions: [scheduled, ready] }, { conditions: [] }, { conditions: [ready] }],
    ["changes nothing when this writer changed nothing", { phase: "Ready" }, { phase: "Ready" }, { phase: "Failed" }, { phase: "Failed" }],
  ])("%s", (_name, base, desired, fresh, expected) => {
    expect(rebaseStatus(base, desired, fresh)).toEqual(expected);
  });
});
