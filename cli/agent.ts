import { Command } from "commander";
import { backupEnginesOf, commandNamed, type EnginePlugin } from "../operators/engine.js";
import { ENGINE_PLUGINS } from "../operators/engines.js";
import { addLazyCommands, type LazyCommand } from "./lazy-commands.js";

/** The agent's own commands (backup/agent), for the registry's engines; `plugins` decides which engines they serve. */
function backupAgentTable(plugins: readonly EnginePlugin[]): LazyCommand[] {
  const load = (name: string) => async () => commandNamed((await import("../backup/agent/commands.js")).backupAgentCommands(backupEnginesOf(plugins)), name);
  return [
    { name: "backup", usage: "[options]", description: "Stream one backup of a database to S3 and write its manifest (runs in the backup Job)", load: load("backup") },
    {
      name: "restore",
      usage: "[options]",
      description: "Restore a backup, or a cluster to a point in time, into a running engine (runs in the restore Job)",
      load: load("restore"),
    },
    {
      name: "archive-binlogs",
      aliases: ["archive-logs"],
      usage: "[options]",
      description: "Continuously archive binlogs (oplog) to S3 for point-in-time recovery (the PITR sidecar)",
      load: load("archive-binlogs"),
    },
    {
      name: "verify",
      usage: "[options]",
      description: "Restore a backup into a throwaway instance, check it, and record Verified or VerificationFailed",
      load: load("verify"),
    },
  ];
}

/**
 * What `steward agent` lists: each engine's subcommands (what runs inside its pods), then the
 * backup agent's (what runs in backup and restore Jobs). Only the one run is loaded, because
 * these processes live beside the database within a memory limit.
 */
export function agentCommands(plugins: readonly EnginePlugin[] = ENGINE_PLUGINS): LazyCommand[] {
  return [...plugins.flatMap((plugin) => plugin.agentCommands), ...backupAgentTable(plugins)];
}

/** The agent command; `args` (the words after `agent`) say which subcommand to load. */
export async function agentCommand(args: readonly string[] = [], plugins: readonly EnginePlugin[] = ENGINE_PLUGINS): Promise<Command> {
  const agent = new Command("agent").description("In-pod agent: sidecar of database pods, and backup/restore Jobs (not for interactive use)");
  return addLazyCommands(agent, agentCommands(plugins), args);
}

/** The table of this build's registry, as help lists it. */
export const AGENT_COMMANDS: readonly LazyCommand[] = agentCommands();
