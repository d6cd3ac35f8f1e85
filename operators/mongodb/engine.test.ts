import { describe, expect, it } from "vitest";
import { LOCAL_CLUSTER_UNAVAILABLE, mongodbEngine } from "./engine.js";
import { testInput } from "./resources/test-input.js";

describe("MongodbEngine.unsupported", () => {
  it("refuses every cluster where mongod cannot run (the local cluster), saying why", () => {
    const message = mongodbEngine({ unavailable: LOCAL_CLUSTER_UNAVAILABLE }).unsupported(testInput().spec);
    expect(message).toMatch(/cannot run on the local cluster/);
  });

  it.each([
    [{ version: "7.0" }, undefined],
    [{ version: "8.0.3" }, undefined],
    [{ version: "6.0" }, /MongoDB 6.0 is not supported/],
    [{ username: "steward" }, /reserved/],
  ])("%j", (spec, expected) => {
    const message = mongodbEngine().unsupported(testInput(spec).spec);
    if (expected) expect(message).toMatch(expected);
    else expect(message).toBeUndefined();
  });
});
