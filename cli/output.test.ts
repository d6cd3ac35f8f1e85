import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KubeApiError } from "../shared/k8s/errors.js";
import { CliError, exitCodeOf, isInteractive, NotFoundError, paintPhase, TimedOutError, UsageError, withIo, type CliIo } from "./output.js";
import { renderObjects } from "./print-objects.js";
import { formatDuration, progressLine } from "./progress.js";

const io = (isTTY: boolean, env: Record<string, string> = {}): CliIo => ({ stdout: { write: () => true, isTTY }, stderr: { write: () => true, isTTY }, env, now: () => new Date(0), pollMs: 1 });

describe("CLI output", () => {
  it("maps errors to the documented exit codes", () => {
    expect([new CliError("x"), new UsageError("x"), new NotFoundError("x"), new TimedOutError("x"), new KubeApiError("gone", 404), new KubeApiError("no", 403), new Error("x")].map(exitCodeOf)).toEqual([1, 2, 3, 4, 3, 1, 1]);
  });

  it("colours only a terminal without NO_COLOR or TERM=dumb", async () => {
    expect(isInteractive({ write: () => true, isTTY: true }, {})).toBe(true);
    expect(isInteractive({ write: () => true, isTTY: false }, {})).toBe(false);
    expect(isInteractive({ write: () => true, isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(isInteractive({ write: () => true, isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(await withIo(io(true), async () => paintPhase("Failed"))).toBe("\x1b[31mFailed\x1b[0m");
    expect(await withIo(io(false), async () => paintPhase("Failed"))).toBe("Failed");
    expect(await withIo(io(true, { NO_COLOR: "" }), async () => paintPhase("Ready"))).toBe("\x1b[32mReady\x1b[0m");
  });

  it("prints objects as kubectl does: without managedFields, several as a List", () => {
    const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", managedFields: [{ manager: "steward" }] }, data: { k: "v" } };
    expect(JSON.parse(renderObjects("json", object))).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { k: "v" } });
    expect(parse(renderObjects("yaml", [object]))).toEqual({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { k: "v" } }] });
  });

  it("estimates the time left from the rate: exact against a known total, ~ against the previous backup's size", () => {
    const MiB = 1024 * 1024;
    expect(progressLine({ phase: "Running", bytes: 256 * MiB, totalBytes: 1024 * MiB, bytesPerSecond: 64 * MiB, width: 4 })).toBe("Running    [#...]  25%  256.0 MiB / 1.0 GiB  64.0 MiB/s  12s left");
    expect(progressLine({ phase: "Running", bytes: 10 * MiB, expectedBytes: 130 * MiB, bytesPerSecond: 1 * MiB })).toBe("Running    10.0 MiB / ~130.0 MiB  1.0 MiB/s  ~2m00s left");
    expect(progressLine({ phase: "Running", bytes: 140 * MiB, expectedBytes: 130 * MiB, bytesPerSecond: 1 * MiB })).toBe("Running    140.0 MiB / ~130.0 MiB  1.0 MiB/s");
    expect([45_000, 725_000, 12_000_000, 200_000_000].map(formatDuration)).toEqual(["45s", "12m05s", "3h20m", "2d07h"]);
  });
});
