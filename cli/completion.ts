import { Command, type Option } from "commander";
import { RESOURCES, type KubeClient } from "../shared/k8s/client.js";
import { COMMANDS } from "./commands.js";
import { namespaceOf, withClient } from "./options.js";
import { printOut } from "./output.js";

/** Lists the names a value can take: the cluster's DatabaseClusters, DatabaseBackups, namespaces. */
export type NameKind = "cluster" | "backup" | "namespace" | "template";
export type NameSource = (kind: NameKind, where: { namespace?: string; kubeconfig?: string }) => Promise<string[]>;

/** What a value's placeholder (`<cluster>`, `--backup <backup>`) is completed with. */
const VALUE_KINDS: Record<string, NameKind> = { cluster: "cluster", backup: "backup", namespace: "namespace", template: "template" };

function valueName(option: Option): string | undefined {
  return /[<[]([a-z-]+)(\.\.\.)?[>\]]/.exec(option.flags)?.[1];
}

function findOption(command: Command, word: string): Option | undefined {
  const flag = word.split("=")[0];
  return command.options.find((option) => option.long === flag || option.short === flag);
}

/**
 * The candidates for the last of `words` (the words after the program's name; the last is the
 * one being typed, maybe empty). Commands, subcommands, options and choices come from the
 * commands themselves, so a new command completes without a line here; names come from the API.
 */
export async function completionCandidates(words: readonly string[], names: NameSource, load: (name: string, rest: readonly string[]) => Promise<Command | undefined>): Promise<string[]> {
  const partial = words.at(-1) ?? "";
  const typed = words.slice(0, -1);
  const match = (candidates: string[]) => candidates.filter((candidate) => candidate.startsWith(partial));
  if (typed.length === 0) return match(COMMANDS.filter((entry) => entry.name !== "agent").map((entry) => entry.name));
  let command = await load(typed[0]!, typed.slice(1));
  if (!command) return [];
  let at = 1;
  // Descend into subcommands (local up, completion bash) while the words name them.
  while (command.commands.length > 0 && at < typed.length) {
    const sub: Command | undefined = command.commands.find((candidate) => candidate.name() === typed[at] || candidate.aliases().includes(typed[at]!));
    if (!sub) break;
    command = sub;
    at++;
  }
  const rest = typed.slice(at);
  // Names come from the namespace and kubeconfig the command line already names.
  const flagValue = (long: string, short?: string) => {
    const at = rest.findIndex((word) => word === long || word === short);
    return at >= 0 ? rest[at + 1] : rest.find((word) => word.startsWith(`${long}=`))?.slice(long.length + 1);
  };
  const where = { namespace: flagValue("--namespace", "-n"), kubeconfig: flagValue("--kubeconfig") };
  const valuesFor = async (name: string | undefined, choices: readonly string[] | undefined) => {
    if (choices) return match([...choices]);
    const kind = name ? VALUE_KINDS[name] : undefined;
    return kind ? match(await names(kind, where)) : [];
  };
  const previous = findOption(command, rest.at(-1) ?? "");
  if (previous && (previous.required || previous.optional) && !rest.at(-1)!.includes("=")) return valuesFor(valueName(previous), previous.argChoices);
  if (partial.startsWith("-")) return match(command.options.filter((option) => !option.hidden).flatMap((option) => [option.long ?? option.short ?? ""]).filter(Boolean));
  if (command.commands.length > 0) return match(command.commands.filter((sub) => !(sub as unknown as { _hidden?: boolean })._hidden).map((sub) => sub.name()));
  // The positional being typed: words that are neither options nor option values before it.
  let positional = 0;
  for (let index = 0; index < rest.length; index++) {
    const option = rest[index]!.startsWith("-") ? findOption(command, rest[index]!) : undefined;
    if (option) {
      if ((option.required || option.optional) && !rest[index]!.includes("=")) index++;
      continue;
    }
    positional++;
  }
  const argument = command.registeredArguments[Math.min(positional, command.registeredArguments.length - 1)];
  if (!argument || (positional >= command.registeredArguments.length && !argument.variadic)) return [];
  return valuesFor(argument.name(), argument.argChoices);
}

export async function namesFromApi(client: KubeClient, kind: NameKind, namespace: string | undefined): Promise<string[]> {
  if (kind === "namespace") return (await client.list(RESOURCES.Namespace)).items.map((item) => item.metadata.name);
  // Templates are cluster-scoped (the catalog).
  if (kind === "template") return (await client.list(RESOURCES.DatabaseTemplate)).items.map((item) => item.metadata.name).sort();
  const type = kind === "cluster" ? RESOURCES.DatabaseCluster : RESOURCES.DatabaseBackup;
  return (await client.list(type, namespaceOf(client, namespace))).items.map((item) => item.metadata.name).sort();
}

async function loadCommand(name: string, rest: readonly string[]): Promise<Command | undefined> {
  return COMMANDS.find((entry) => entry.name === name || entry.aliases?.includes(name))?.load(rest);
}

/** The shell side asks `steward completion __complete -- WORDS...` for candidates, one per line. */
export function completionScript(shell: "bash" | "zsh" | "fish", program = "steward"): string {
  const fn = `_${program.replace(/[^A-Za-z0-9]/g, "_")}_complete`;
  switch (shell) {
    case "bash":
      return [
        `# bash completion for ${program}: source <(${program} completion bash)`,
        `${fn}() {`,
        `  local IFS=$'\\n'`,
        `  COMPREPLY=($(${program} completion __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))`,
        `}`,
        `complete -o default -F ${fn} ${program}`,
      ].join("\n");
    case "zsh":
      return [
        `#compdef ${program}`,
        `# zsh completion for ${program}: source <(${program} completion zsh) after compinit`,
        `${fn}() {`,
        `  local -a candidates`,
        `  candidates=("\${(@f)$(${program} completion __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")`,
        `  compadd -a candidates`,
        `}`,
        `compdef ${fn} ${program}`,
      ].join("\n");
    case "fish":
      return [
        `# fish completion for ${program}: ${program} completion fish | source`,
        `function ${fn}`,
        `    set -l words (commandline -opc) (commandline -ct)`,
        `    ${program} completion __complete -- $words[2..-1] 2>/dev/null`,
        `end`,
        `complete -c ${program} -f -a '(${fn})'`,
      ].join("\n");
  }
}

export function completionCommand(): Command {
  const command = new Command("completion").description("Shell completion for bash, zsh and fish, with cluster, backup and template names");
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const how = { bash: "source <(steward completion bash)  # in ~/.bashrc", zsh: "source <(steward completion zsh)  # in ~/.zshrc, after compinit", fish: "steward completion fish > ~/.config/fish/completions/steward.fish" }[shell];
    command
      .command(shell)
      .description(`print the ${shell} completion script: ${how}`)
      .action(() => printOut(completionScript(shell)));
  }
  command
    .command("__complete", { hidden: true })
    .description("print the candidates for the last word (what the scripts call)")
    .option("--kubeconfig <file>", "kubeconfig file")
    .option("--cobra", "end with cobra's directive line (what kubectl reads from a plugin's completion)")
    .argument("[words...]", "the words after the program's name")
    .action(async (words: string[], options: { kubeconfig?: string; cobra?: boolean }) => {
      const names: NameSource = async (kind, where) => {
        try {
          return await withClient(where.kubeconfig ?? options.kubeconfig, (client) => namesFromApi(client, kind, where.namespace));
        } catch {
          // No cluster at hand: complete what needs none.
          return [];
        }
      };
      const candidates = await completionCandidates(words.length ? words : [""], names, loadCommand);
      // ":4" is cobra's ShellCompDirectiveNoFileComp: no file names when nothing matches.
      const lines = options.cobra ? [...candidates, ":4"] : candidates;
      if (lines.length) printOut(lines.join("\n"));
    });
  return command;
}
