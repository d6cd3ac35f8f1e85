import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands.js";
import { addLazyCommands } from "./lazy-commands.js";
import { EXIT_CODES, EXIT_CODES_HELP, exitCodeOf, processIo, withIo, type CliIo, type ExitCode } from "./output.js";

/** Every command in the tree, so settings reach lazily added ones (addCommand copies no settings). */
function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}

/** The names from the program's first command down to this one ("backups", "local up"). */
function ancestry(command: Command): string[] {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names;
}

/**
 * Runs one command line (the words after the program's name) and returns its exit code.
 * Commander's own refusals (unknown option, missing argument) are usage errors: exit code 2.
 */
export async function runCli(args: readonly string[], options: { name?: string; io?: CliIo } = {}): Promise<ExitCode> {
  const io = options.io ?? processIo();
  const name = options.name ?? "steward";
  return withIo(io, async () => {
    try {
      const program = new Command(name).description("Steward: managed MySQL/MariaDB, MongoDB, Redis and RabbitMQ on Kubernetes");
      await addLazyCommands(program, COMMANDS, args);
      for (const command of everyCommand(program)) {
        command
          .addHelpText("after", EXIT_CODES_HELP)
          .exitOverride()
          .showHelpAfterError(`(${[name, ...ancestry(command)].join(" ")} --help shows its usage)`)
          .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) });
      }
      await program.parseAsync([...args], { from: "user" });
      return EXIT_CODES.ok;
    } catch (error) {
      // Commander printed its message already; its non-zero exits are all about the command line.
      if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`${name}: ${message.endsWith("\n") ? message : `${message}\n`}`);
      return exitCodeOf(error);
    }
  });
}
