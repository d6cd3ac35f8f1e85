import { describe, expect, it } from "vitest";
import { TEMPLATE_ANNOTATIONS } from "../shared/api/index.js";
import { builtinTemplates } from "../catalog/builtin.js";
import { buildClusterFromTemplate, flagValue, parseSet } from "./create.js";

const mysql = builtinTemplates().find((template) => template.metadata.name === "mysql-ha")!;

describe("steward create", () => {
  it("finds --template and --kubeconfig in both spellings before the command is built", () => {
    expect(flagValue(["x", "--template", "mysql-ha"], "--template")).toBe("mysql-ha");
    expect(flagValue(["x", "--template=redis-ha"], "--template")).toBe("redis-ha");
    expect(flagValue(["x"], "--template")).toBeUndefined();
  });

  it("reads --set values as YAML and refuses a malformed one", () => {
    expect(parseSet("replicas=5")).toEqual({ path: "replicas", value: 5 });
    expect(parseSet("spec.backup.schedule=0 4 * * *")).toEqual({ path: "backup.schedule", value: "0 4 * * *" });
    expect(parseSet("version=10.11")).toEqual({ path: "version", value: "10.11" });
    expect(parseSet("paused=true")).toEqual({ path: "paused", value: true });
    expect(() => parseSet("replicas")).toThrow(/^--set: expected path=value/);
  });

  it("builds the resolved cluster with the annotations the operator would write", () => {
    const object = buildClusterFromTemplate(mysql, "shop-db", "shop", "medium", { storage: "80Gi" }, ["config.max_connections=500"]);
    expect(object.metadata.annotations?.[TEMPLATE_ANNOTATIONS.generation]).toBe(String(mysql.metadata.generation));
    expect(object.spec).toMatchObject({ engine: "mysql", flavor: "mariadb", storage: { size: "80Gi" }, config: { max_connections: "500" }, template: { name: "mysql-ha", size: "medium" } });
  });

  it.each([
    ["an unknown size", "huge", {}, [], /^--size: template mysql-ha has no size "huge"/],
    ["a parameter below its minimum", undefined, { storage: "1Gi" }, [], /^--storage: must be at least 5Gi/],
    ["a locked path set with --set", undefined, {}, ["backup.storage=other"], /^--set backup\.storage: locked by template mysql-ha/],
  ] as const)("names the flag for %s", (_what, size, parameters, sets, message) => {
    expect(() => buildClusterFromTemplate(mysql, "x", "shop", size, parameters, [...sets])).toThrow(message);
  });
});
