/**
 * MongoDB as one plugin of the registry (operators/engines.ts): the cluster facet (engine.ts,
 * replica sets whose elections are MongoDB's own), logical backups through the driver (backup/),
 * and the sidecar its pods run (agent/). Point in time is not offered yet: the oplog tailer and
 * slicing exist, the archiving sidecar does not. Loaded by the agent and the CLI too, so
 * everything heavy is imported on demand.
 */
import { onLocalCluster } from "../../shared/local-cluster.js";
import { commandNamed, type EnginePlugin } from "../engine.js";
import { mongodbJobTarget, mongodbPrimaryHost } from "./backup/job-target.js";

export const mongodbPlugin: EnginePlugin = {
  name: "mongodb",
  title: "MongoDB",
  capabilities: { switchover: true, pointInTime: false },
  loadCluster: async () => {
    const { mongodbEngine, LOCAL_CLUSTER_UNAVAILABLE } = await import("./engine.js");
    return mongodbEngine({ unavailable: onLocalCluster() ? LOCAL_CLUSTER_UNAVAILABLE : undefined });
  },
  backup: {
    jobTarget: mongodbJobTarget,
    primaryHost: mongodbPrimaryHost,
    load: async () => new (await import("./backup/mongodb-backup.js")).MongodbBackup(),
  },
  agentCommands: [
    {
      name: "mongodb-sidecar",
      usage: "[options]",
      description: "Sidecar of a MongoDB pod: bootstraps the replica set through the localhost exception for the operator",
      load: async () => commandNamed((await import("./agent/sidecar.js")).mongodbAgentCommands(), "mongodb-sidecar"),
    },
  ],
};
