import { describe, expect, it } from "vitest";
import { cpuCores, quantityBytes } from "./quantity.js";

describe("Kubernetes quantities", () => {
  it.each([
    ["1Gi", 1024 ** 3],
    ["512Mi", 512 * 1024 ** 2],
    ["1.5Gi", 1.5 * 1024 ** 3],
    ["1G", 1e9],
    ["1000", 1000],
    [1000, 1000],
    [" 2Ki ", 2048],
    ["lots", undefined],
    ["1 GB", undefined],
    [undefined, undefined],
  ])("memory %s is %s bytes", (quantity, bytes) => {
    expect(quantityBytes(quantity)).toBe(bytes);
  });

  it.each([
    ["2", 2],
    ["500m", 0.5],
    ["1.5", 1.5],
    [4, 4],
    ["x", undefined],
    [undefined, undefined],
  ])("cpu %s is %s cores", (quantity, cores) => {
    expect(cpuCores(quantity)).toBe(cores);
  });
});
