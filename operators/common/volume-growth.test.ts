import { describe, expect, it } from "vitest";
import { claimsToGrow } from "./volume-growth.js";

describe("claimsToGrow", () => {
  it("grows only claims smaller than the spec", () => {
    expect(claimsToGrow([{ name: "a", requested: "1Gi" }, { name: "b", requested: "2Gi" }, { name: "c" }], "2Gi")).toEqual(["a"]);
    expect(claimsToGrow([{ name: "a", requested: "1024Mi" }], "1Gi")).toEqual([]);
  });
  it("leaves everything alone when the size is not a quantity", () => {
    expect(claimsToGrow([{ name: "a", requested: "1Gi" }], "big")).toEqual([]);
    expect(claimsToGrow([{ name: "a", requested: "big" }], "2Gi")).toEqual([]);
  });
});
