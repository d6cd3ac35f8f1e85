import { Command } from "commander";
import { addLazyCommands, type LazyCommand } from "./lazy-commands.js";

function named(commands: Command[], name: string): Command {
  const found = commands.find((command) => command.name() === name);
  if (!found) throw new Error(`no agent command ${name} in its module`);
  return found;
}

const mysqlAgent = async (name: string) => {
  const [{ mysqlAgentCommands }, { registerMysqlBackup }] = await Promise.all([import("../operators/mysql/agent/commands.js"), import("../operators/mysql/backup/hooks.js")]);
  registerMysqlBackup(); // mysql-init restores spec.bootstrap through this hook
  return named(mysqlAgentCommands(), name);
};
const rabbitmqAgent = async (name: string) => named((await import("../operators/rabbitmq/agent/commands.js")).rabbitmqAgentCommands(), name);
const backupAgent = async (name: string) => named((await import("../backup/agent/commands.js")).backupAgentCommands(), name);

/**
 * `steward agent ...`: what runs inside database pods (the sidecar) and in backup/restore
 * Jobs. Each engine folder and backup/ contribute subcommands; only the one run is loaded,
 * because these processes live beside the database within a memory limit.
 */
export const AGENT_COMMANDS: readonly LazyCommand[] = [
  { name: "mysql-init", description: "Init step of a MySQL/MariaDB pod: keep, initialize, restore or copy the instance's data", load: () => mysqlAgent("mysql-init") },
  { name: "mysql-sidecar", description: "Sidecar of a MySQL/MariaDB pod: health, streaming copies to new replicas, re-seed marks", load: () => mysqlAgent("mysql-sidecar") },
  {
    name: "redis-restore",
    usage: "[options]",
    description: "Init step of a Redis cluster created from a backup: seed ordinal 0's empty data directory (not for interactive use)",
    load: async () => named((await import("../operators/redis/agent/restore.js")).redisAgentCommands(), "redis-restore"),
  },
  {
    name: "rabbitmq-sidecar",
    description: "Sidecar of a RabbitMQ pod: runs rabbitmq-queues grow/shrink and forget_cluster_node against the local node for the operator",
    load: () => rabbitmqAgent("rabbitmq-sidecar"),
  },
  {
    name: "rabbitmq-bootstrap",
    description: "Init step of a RabbitMQ pod of a cluster restored from a backup: writes the backup's definitions for the node's first boot",
    load: () => rabbitmqAgent("rabbitmq-bootstrap"),
  },
  { name: "backup", usage: "[options]", description: "Stream one backup of a database to S3 and write its manifest (runs in the backup Job)", load: () => backupAgent("backup") },
  {
    name: "restore",
    usage: "[options]",
    description: "Restore a backup, or a cluster to a point in time, into a running engine (runs in the restore Job)",
    load: () => backupAgent("restore"),
  },
  {
    name: "archive-binlogs",
    aliases: ["archive-logs"],
    usage: "[options]",
    description: "Continuously archive binlogs (oplog) to S3 for point-in-time recovery (the PITR sidecar)",
    load: () => backupAgent("archive-binlogs"),
  },
  {
    name: "verify",
    usage: "[options]",
    description: "Restore a backup into a throwaway instance, check it, and record Verified or VerificationFailed",
    load: () => backupAgent("verify"),
  },
];

/** The agent command; `args` (the words after `agent`) say which subcommand to load. */
export async function agentCommand(args: readonly string[] = []): Promise<Command> {
  const agent = new Command("agent").description("In-pod agent: sidecar of database pods, and backup/restore Jobs (not for interactive use)");
  return addLazyCommands(agent, AGENT_COMMANDS, args);
}
