/**
 * Redis as one plugin of the registry (operators/engines.ts): the cluster facet (engine.ts),
 * backups (backup/), and the agent command its restored clusters run (agent/). Loaded by the
 * agent and the CLI too, so everything heavy is imported on demand.
 */
import { commandNamed, type EnginePlugin } from "../engine.js";
import { redisJobTarget, redisPrimaryHost } from "./backup/job-target.js";

export const redisPlugin: EnginePlugin = {
  name: "redis",
  title: "Redis",
  capabilities: { switchover: true, pointInTime: false },
  loadCluster: async () => (await import("./engine.js")).redisEngine(),
  backup: {
    jobTarget: redisJobTarget,
    primaryHost: redisPrimaryHost,
    load: async () => new (await import("./backup/redis-backup.js")).RedisBackup(),
  },
  agentCommands: [
    {
      name: "redis-restore",
      usage: "[options]",
      description: "Init step of a Redis cluster created from a backup: seed ordinal 0's empty data directory (not for interactive use)",
      load: async () => commandNamed((await import("./agent/restore.js")).redisAgentCommands(), "redis-restore"),
    },
  ],
};
