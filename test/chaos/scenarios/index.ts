/**
 * Every scenario `npm run chaos` runs, in order. A new fault is one file in this folder (a
 * function returning a Scenario, see scenario.ts) and one line here.
 */
import { CHAOS_ENGINES } from "../engines.js";
import { fullCrash } from "./full-crash.js";
import { networkCut } from "./network-cut.js";
import { nodeLoss } from "./node-loss.js";
import { operatorKill } from "./operator-kill.js";
import { operatorKillOperations } from "./operator-kill-operations.js";
import { rabbitmqNodeLoss } from "./rabbitmq-node-loss.js";
import { s3Faults } from "./s3-faults.js";
import type { Scenario } from "./scenario.js";

export const SCENARIOS: Scenario[] = [
  networkCut(CHAOS_ENGINES.redis),
  networkCut(CHAOS_ENGINES.mariadb),
  operatorKill(CHAOS_ENGINES.redis),
  operatorKill(CHAOS_ENGINES.mariadb),
  operatorKillOperations(CHAOS_ENGINES.mariadb),
  fullCrash(CHAOS_ENGINES.redis),
  fullCrash(CHAOS_ENGINES.mariadb),
  nodeLoss(CHAOS_ENGINES.mariadb, "stop"),
  nodeLoss(CHAOS_ENGINES.redis, "stop"),
  nodeLoss(CHAOS_ENGINES.mariadb, "isolate"),
  nodeLoss(CHAOS_ENGINES.redis, "isolate"),
  nodeLoss(CHAOS_ENGINES.mariadb, "stop", "node-local"),
  nodeLoss(CHAOS_ENGINES.redis, "stop", "node-local"),
  rabbitmqNodeLoss("stop"),
  rabbitmqNodeLoss("isolate"),
  s3Faults(CHAOS_ENGINES.mariadb),
  s3Faults(CHAOS_ENGINES.redis),
];
