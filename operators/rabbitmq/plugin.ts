/**
 * RabbitMQ as one plugin of the registry (operators/engines.ts): the cluster facet (engine.ts),
 * definitions backups (backup/), and the agent commands its pods run (agent/). No primary, so
 * no switchover; no log to replay, so no point in time. Loaded by the agent and the CLI too, so
 * everything heavy is imported on demand.
 */
import { commandNamed, type EnginePlugin } from "../engine.js";
import { rabbitmqJobTarget } from "./backup/job-target.js";

const agentCommand = (name: string) => async () => commandNamed((await import("./agent/commands.js")).rabbitmqAgentCommands(), name);

export const rabbitmqPlugin: EnginePlugin = {
  name: "rabbitmq",
  title: "RabbitMQ",
  capabilities: { switchover: false, pointInTime: false },
  loadCluster: async () => (await import("./engine.js")).rabbitmqEngine(),
  backup: {
    jobTarget: rabbitmqJobTarget,
    load: async () => new (await import("./backup/rabbitmq-backup.js")).RabbitmqBackup(),
  },
  agentCommands: [
    {
      name: "rabbitmq-sidecar",
      description: "Sidecar of a RabbitMQ pod: runs rabbitmq-queues grow/shrink and forget_cluster_node against the local node for the operator",
      load: agentCommand("rabbitmq-sidecar"),
    },
    {
      name: "rabbitmq-bootstrap",
      description: "Init step of a RabbitMQ pod of a cluster restored from a backup: writes the backup's definitions for the node's first boot",
      load: agentCommand("rabbitmq-bootstrap"),
    },
  ],
};
