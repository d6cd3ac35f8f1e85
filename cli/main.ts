import { runCli } from "./program.js";

// `steward ... | head`: the reader went away; stop quietly, as other command-line tools do.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

// `kubectl steward ...` runs bin/kubectl-steward.js: messages then name the command the user typed.
const name = process.argv[1]?.includes("kubectl-steward") ? "kubectl steward" : "steward";
const code = await runCli(process.argv.slice(2), { name });
// A command may have set its own exit code (the agent's, the switchover's): keep it unless this one says more.
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
