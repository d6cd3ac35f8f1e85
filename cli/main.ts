import { Command } from "commander";
import { agentCommand } from "./agent.js";
import { backupCommand } from "./backup.js";
import { localCommand } from "./local.js";
import { restoreCommand } from "./restore.js";
import { operatorCommand } from "./operator.js";
import { statusCommand } from "./status.js";
import { switchoverCommand } from "./switchover.js";

const invokedAs = process.argv[1]?.includes("kubectl-steward") ? "kubectl steward" : "steward";

const program = new Command(invokedAs)
  .description("Steward: managed MySQL/MariaDB, MongoDB, Redis and RabbitMQ on Kubernetes")
  .showHelpAfterError()
  .addCommand(operatorCommand())
  .addCommand(statusCommand())
  .addCommand(switchoverCommand())
  .addCommand(backupCommand())
  .addCommand(restoreCommand())
  .addCommand(localCommand())
  .addCommand(agentCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`${invokedAs}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
