import { Command } from "commander";
import { initEnvironmentFromProcess, runMysqlInit } from "./init.js";
import { startSidecar } from "./sidecar.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the pod template provides it`);
  return value;
}

/** The MySQL/MariaDB subcommands of `steward agent` (cli/agent.ts adds them). */
export function mysqlAgentCommands(): Command[] {
  const init = new Command("mysql-init")
    .description("Init step of a MySQL/MariaDB pod: keep, initialize, restore or copy the instance's data")
    .action(async () => {
      await runMysqlInit(initEnvironmentFromProcess());
    });
  const sidecar = new Command("mysql-sidecar")
    .description("Sidecar of a MySQL/MariaDB pod: health, streaming copies to new replicas, re-seed marks")
    .action(async () => {
      const server = await startSidecar({ token: env("STEWARD_AGENT_TOKEN"), rootPassword: env("STEWARD_ROOT_PASSWORD") });
      console.log(`steward agent listening on ${JSON.stringify(server.address())}`);
      await new Promise<void>((resolve) => {
        const stop = () => server.close(() => resolve());
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    });
  return [init, sidecar];
}
