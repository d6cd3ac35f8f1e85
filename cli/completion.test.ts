import { describe, expect, it } from "vitest";
import { COMMANDS } from "./commands.js";
import { completionCandidates, completionScript, type NameSource } from "./completion.js";

// Hand-written names in place of the API's (test/integration/cli-commands.test.ts asks the real API server).
const names: NameSource = async (kind, where) => ({ cluster: ["cache", "orders"], backup: [`orders-1-in-${where.namespace ?? "default"}`, "orders-2"], namespace: ["default", "shop"], template: ["mysql-ha", "redis-ha"] })[kind];
const load = async (name: string, rest: readonly string[]) => COMMANDS.find((entry) => entry.name === name)?.load(rest);

describe("completion candidates", () => {
  it.each([
    [["st"], ["status"]],
    [["b"], ["backups", "backup"]],
    [["status", ""], ["cache", "orders"]],
    [["status", "-n", "shop", "o"], ["orders"]],
    [["status", "-o", ""], ["table", "json", "yaml"]],
    [["status", "orders", ""], []],
    [["restore", "--backup", ""], ["orders-1-in-default", "orders-2"]],
    [["restore", "-n", "shop", "--backup", "orders-1"], ["orders-1-in-shop"]],
    [["restore", "--cluster", "c"], ["cache"]],
    [["backup", "--dry"], []],
    [["restore", "--dry"], ["--dry-run"]],
    [["backups", "-n", ""], ["default", "shop"]],
    [["completion", ""], ["bash", "zsh", "fish"]],
    [["local", "k"], ["kubeconfig"]],
    [["create", "shop-db", "--template", ""], ["mysql-ha", "redis-ha"]],
    [["create", "shop-db", "--template", "m"], ["mysql-ha"]],
  ])("%j -> %j", async (words, expected) => {
    expect(await completionCandidates(words, names, load)).toEqual(expected);
  });

  it("each shell's script asks the CLI for the words", () => {
    for (const shell of ["bash", "zsh", "fish"] as const) expect(completionScript(shell)).toContain("steward completion __complete --");
  });
});
