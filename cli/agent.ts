import { Command } from "commander";

/**
 * `steward agent ...`: what runs inside database pods (the sidecar) and in backup/restore
 * Jobs. Each engine folder and backup/ contribute their subcommands here.
 */
export function agentCommand(): Command {
  const agent = new Command("agent").description("In-pod agent: sidecar of database pods, and backup/restore Jobs (not for interactive use)");
  return agent;
}
