import { Command } from "commander";
import { COMMANDS } from "./commands.js";
import { addLazyCommands } from "./lazy-commands.js";

const invokedAs = process.argv[1]?.includes("kubectl-steward") ? "kubectl steward" : "steward";

try {
  const program = new Command(invokedAs).description("Steward: managed MySQL/MariaDB, MongoDB, Redis and RabbitMQ on Kubernetes").showHelpAfterError();
  await addLazyCommands(program, COMMANDS, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`${invokedAs}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
