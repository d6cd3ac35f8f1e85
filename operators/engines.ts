import type { EngineRegistry } from "./engine.js";
import { mysqlEngine } from "./mysql/engine.js";
import { rabbitmqEngine } from "./rabbitmq/engine.js";
import { redisEngine } from "./redis/engine.js";

/**
 * The engines this build of the operator runs. An engine missing here makes clusters of it
 * Failed with a message that says so, instead of silently doing nothing.
 */
export function defaultEngines(): EngineRegistry {
  return { mysql: mysqlEngine(), redis: redisEngine(), rabbitmq: rabbitmqEngine() };
}
