import { Command, Help } from "commander";
import { describe, expect, it } from "vitest";
import { AGENT_COMMANDS, agentCommand } from "./agent.js";
import { COMMANDS } from "./commands.js";
import { addLazyCommands, listedTerm, selectedCommand, type LazyCommand } from "./lazy-commands.js";

describe("lazily loaded commands", () => {
  it.each([
    [["agent", "backup", "--namespace", "x"], { name: "agent", rest: ["backup", "--namespace", "x"] }],
    [["--help"], undefined],
    [["help", "agent"], { name: "agent", rest: [] }],
    [["-h", "status", "orders"], { name: "status", rest: ["orders"] }],
    [["help"], undefined],
  ])("reads the command %j names", (args, expected) => {
    expect(selectedCommand(args)).toEqual(expected);
  });

  // The tables repeat what help lists so that nothing is loaded to list it: they must say what the commands say.
  it.each([
    ["steward", COMMANDS],
    ["steward agent", AGENT_COMMANDS],
  ] as const)("%s: every entry lists the loaded command's name, aliases, usage and description", async (_parent, table: readonly LazyCommand[]) => {
    const help = new Help();
    for (const entry of table) {
      const command = await entry.load([]);
      expect({ name: command.name(), aliases: command.aliases(), description: command.description(), term: help.subcommandTerm(command) }).toEqual({
        name: entry.name,
        aliases: entry.aliases ?? [],
        description: entry.description,
        term: listedTerm(entry),
      });
    }
  });

  it("loads only the command named, and help lists every command the same way", async () => {
    let loaded = 0;
    const table: LazyCommand[] = ["one", "two"].map((name) => ({
      name,
      usage: "[options] <thing>",
      description: `the ${name} command`,
      load: async () => {
        loaded++;
        return new Command(name).description(`the ${name} command`).option("--flag").argument("<thing>");
      },
    }));
    const lazy = await addLazyCommands(new Command("tool"), table, ["two", "x"]);
    expect(loaded).toBe(1);
    const eager = new Command("tool");
    for (const entry of table) eager.addCommand(await entry.load([]));
    expect(lazy.helpInformation()).toBe(eager.helpInformation());
  });

  it("passes the words after `agent` on, so the agent loads only its subcommand", async () => {
    const agent = await agentCommand(["verify", "--help"]);
    expect(agent.commands.map((command) => command.name())).toEqual(AGENT_COMMANDS.map((entry) => entry.name));
    expect(agent.commands.find((command) => command.name() === "verify")!.options.length).toBeGreaterThan(0);
    expect(agent.commands.find((command) => command.name() === "backup")!.options).toEqual([]);
  });
});
