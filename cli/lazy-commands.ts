import { Command, Help } from "commander";

/**
 * A command that help can list without loading its code. Loading every command's modules up
 * front made an idle `steward agent ...` process hold the operator, every engine, the AWS SDK
 * and the Kubernetes client (~140 MiB RSS before doing anything): the backup agent's memory
 * budget is 128 MiB. So a parent lists its commands from a table and loads only the one the
 * command line names; `lazy-commands.test.ts` checks the table against the loaded commands.
 */
export interface LazyCommand {
  name: string;
  aliases?: string[];
  /** What help prints after the name, as commander would for the loaded command: "[options] <cluster>". */
  usage?: string;
  description: string;
  /** Builds the command; `args` are the words after its name (for a parent of lazy commands itself). */
  load(args: readonly string[]): Promise<Command>;
}

/**
 * The command a parent's arguments select: its first operand, or the one after `help`.
 * Parents built this way take no options with values, so the first word that is not an
 * option is the command's name.
 */
export function selectedCommand(args: readonly string[]): { name: string; rest: readonly string[] } | undefined {
  let at = args.findIndex((arg) => !arg.startsWith("-"));
  if (args[at] === "help") at = args.findIndex((arg, index) => index > at && !arg.startsWith("-"));
  return at < 0 ? undefined : { name: args[at]!, rest: args.slice(at + 1) };
}

/** The term help lists for an entry: name, first alias, usage (commander's own format). */
export function listedTerm(entry: Pick<LazyCommand, "name" | "aliases" | "usage">): string {
  return `${entry.name}${entry.aliases?.[0] ? `|${entry.aliases[0]}` : ""}${entry.usage ? ` ${entry.usage}` : ""}`;
}

/**
 * Adds the table's commands to `parent`: the one `args` (the words after the parent's name)
 * select is loaded; the others are placeholders that only carry what help lists.
 */
export async function addLazyCommands(parent: Command, table: readonly LazyCommand[], args: readonly string[]): Promise<Command> {
  const wanted = selectedCommand(args);
  const placeholders = new Map<Command, string>();
  for (const entry of table) {
    if (wanted && (entry.name === wanted.name || entry.aliases?.includes(wanted.name))) {
      parent.addCommand(await entry.load(wanted.rest));
      continue;
    }
    const placeholder = new Command(entry.name)
      .description(entry.description)
      .aliases(entry.aliases ?? [])
      .action(() => {
        // Unreachable: the command line that names this command loads it instead.
        throw new Error(`${entry.name} was not loaded`);
      });
    placeholders.set(placeholder, listedTerm(entry));
    parent.addCommand(placeholder);
  }
  const help = new Help();
  return parent.configureHelp({ subcommandTerm: (command) => placeholders.get(command) ?? help.subcommandTerm(command) });
}
