import type { EnginePlugin } from "./engine.js";
import { mongodbPlugin } from "./mongodb/plugin.js";
import { mysqlPlugin } from "./mysql/plugin.js";
import { rabbitmqPlugin } from "./rabbitmq/plugin.js";
import { redisPlugin } from "./redis/plugin.js";

/**
 * The engines this build of Steward runs: the only place that lists them. The operator, the
 * agent and the CLI receive this list; an engine missing here makes clusters of it Failed with
 * a message that says so. Adding an engine: its folder with a plugin.ts, one line here, and its
 * name in the API's engine list (shared/api/database-cluster.ts) if it is new to the API.
 */
export const ENGINE_PLUGINS: readonly EnginePlugin[] = [mysqlPlugin, mongodbPlugin, redisPlugin, rabbitmqPlugin];
