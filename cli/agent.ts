import { Command } from "commander";
import { mysqlAgentCommands } from "../operators/mysql/agent/commands.js";
import { rabbitmqAgentCommands } from "../operators/rabbitmq/agent/commands.js";
import { redisAgentCommands } from "../operators/redis/agent/restore.js";
import { backupAgentCommands } from "../backup/agent/commands.js";

/**
 * `steward agent ...`: what runs inside database pods (the sidecar) and in backup/restore
 * Jobs. Each engine folder and backup/ contribute their subcommands here.
 */
export function agentCommand(): Command {
  const agent = new Command("agent").description("In-pod agent: sidecar of database pods, and backup/restore Jobs (not for interactive use)");
  for (const command of mysqlAgentCommands()) agent.addCommand(command);
  for (const command of redisAgentCommands()) agent.addCommand(command);
  for (const command of rabbitmqAgentCommands()) agent.addCommand(command);
  for (const command of backupAgentCommands()) agent.addCommand(command);
  return agent;
}
