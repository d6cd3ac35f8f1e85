import { Command } from "commander";
import { AGENT_TOKEN_ENV, requiredEnv, serveUntilStopped } from "../../common/agent-sidecar.js";
import { initEnvironmentFromProcess, runMysqlInit } from "./init.js";
import { startSidecar } from "./sidecar.js";

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
      const server = await startSidecar({ token: requiredEnv(AGENT_TOKEN_ENV), rootPassword: requiredEnv("STEWARD_ROOT_PASSWORD"), flavor: process.env.STEWARD_FLAVOR === "mysql" ? "mysql" : "mariadb" });
      console.log(`steward agent listening on ${JSON.stringify(server.address())}`);
      await serveUntilStopped(server);
    });
  return [init, sidecar];
}
