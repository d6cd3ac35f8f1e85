import { Command } from "commander";
import { rootLogger } from "../../../shared/log.js";
import { AGENT_TOKEN_ENV, requiredEnv, serveUntilStopped } from "../../common/agent-sidecar.js";
import { startSidecar } from "./sidecar.js";

/** Starts the sidecar from the pod's environment and serves until SIGTERM. */
export async function runRabbitmqSidecar(): Promise<void> {
  const server = await startSidecar({ token: requiredEnv(AGENT_TOKEN_ENV), localNode: requiredEnv("RABBITMQ_NODENAME") });
  console.log(`steward rabbitmq agent listening on ${JSON.stringify(server.address())}`);
  await serveUntilStopped(server);
}

/** The RabbitMQ subcommands of `steward agent` (cli/agent.ts adds them). */
export function rabbitmqAgentCommands(): Command[] {
  return [
    new Command("rabbitmq-sidecar")
      .description("Sidecar of a RabbitMQ pod: runs rabbitmq-queues grow/shrink and forget_cluster_node against the local node for the operator")
      .action(runRabbitmqSidecar),
    new Command("rabbitmq-bootstrap")
      .description("Init step of a RabbitMQ pod of a cluster restored from a backup: writes the backup's definitions for the node's first boot")
      .action(async () => {
        // Loaded here: the sidecar, which shares this module, needs none of the S3 code.
        const { restoreDefinitionsAtBoot } = await import("../backup/bootstrap-restore.js");
        await restoreDefinitionsAtBoot({ log: rootLogger.child({ step: "rabbitmq-bootstrap" }) });
      }),
  ];
}
