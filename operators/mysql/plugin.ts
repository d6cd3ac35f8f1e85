/**
 * MySQL/MariaDB as one plugin of the registry (operators/engines.ts): the cluster facet
 * (engine.ts), backups (backup/), and the agent commands its pods run (agent/). Loaded by the
 * agent and the CLI too, so everything heavy is imported on demand.
 */
import { commandNamed, type EnginePlugin } from "../engine.js";
import { mysqlPrimaryHost, mysqlJobTarget } from "./backup/job-target.js";

const agentCommand = (name: string) => async () => commandNamed((await import("./agent/commands.js")).mysqlAgentCommands(), name);

export const mysqlPlugin: EnginePlugin = {
  name: "mysql",
  title: "MySQL/MariaDB",
  capabilities: { switchover: true, pointInTime: true },
  loadCluster: async () => (await import("./engine.js")).mysqlEngine(),
  backup: {
    jobTarget: mysqlJobTarget,
    primaryHost: mysqlPrimaryHost,
    load: async (flavor) => new (await import("./backup/mysql-backup.js")).MysqlBackup(flavor === "mysql" ? "mysql" : "mariadb"),
  },
  agentCommands: [
    { name: "mysql-init", description: "Init step of a MySQL/MariaDB pod: keep, initialize, restore or copy the instance's data", load: agentCommand("mysql-init") },
    { name: "mysql-sidecar", description: "Sidecar of a MySQL/MariaDB pod: health, streaming copies to new replicas, re-seed marks", load: agentCommand("mysql-sidecar") },
  ],
};
