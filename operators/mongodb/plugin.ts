/**
 * MongoDB as one plugin of the registry (operators/engines.ts): the cluster facet (engine.ts,
 * replica sets whose elections are MongoDB's own), logical backups through the driver (backup/),
 * the sidecar its pods run (agent/), and point in time (the oplog archiver sidecar and the
 * replay of its slices). Loaded by the agent and the CLI too, so everything heavy is imported
 * on demand.
 */
import { onLocalCluster } from "../../shared/local-cluster.js";
import { commandNamed, type EnginePlugin } from "../engine.js";
import { mongodbJobTarget, mongodbPrimaryHost } from "./backup/job-target.js";

export const mongodbPlugin: EnginePlugin = {
  name: "mongodb",
  title: "MongoDB",
  capabilities: { switchover: true, pointInTime: true },
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
      load: async () => commandNamed(await (await import("./agent/sidecar.js")).mongodbAgentCommands(), "mongodb-sidecar"),
    },
    {
      name: "mongodb-oplog-archiver",
      usage: "[options]",
      description: "Point-in-time sidecar of a MongoDB pod: on the primary, tails the oplog and archives slices to S3",
      load: async () => commandNamed(await (await import("./agent/sidecar.js")).mongodbAgentCommands(), "mongodb-oplog-archiver"),
    },
  ],
};
