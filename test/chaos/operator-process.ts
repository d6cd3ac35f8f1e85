/**
 * The operator as a host process of its own, so a chaos scenario can SIGKILL it at any instant
 * (an operator in the scenario's process could only be stopped politely):
 * `node dist/test/chaos/operator-process.js <kubeconfig> <namespace> <engine>`.
 * No leader election: the scenario starts the successor only after the SIGKILL took effect, as
 * a Deployment would once the old pod is gone (the chart's Lease adds up to its 15 s on top).
 */
import { loadClusterEngines } from "../../operators/engine.js";
import { rabbitmqPlugin } from "../../operators/rabbitmq/plugin.js";
import { startInProcessOperator } from "../e2e/cluster-fixtures.js";
import { CHAOS_ENGINES, type ChaosEngine } from "./engines.js";

const [kubeconfig, namespace, engineName] = process.argv.slice(2);
// RabbitMQ has no primary, so it is no ChaosEngine; its node-loss scenario runs its operator here too.
const engines = engineName === "rabbitmq" ? await loadClusterEngines([rabbitmqPlugin]) : CHAOS_ENGINES[engineName as ChaosEngine["name"]]?.engines();
if (!kubeconfig || !namespace || !engines) {
  console.error("usage: operator-process.js <kubeconfig> <namespace> <redis|mariadb|rabbitmq>");
  process.exit(2);
}
await startInProcessOperator(kubeconfig, namespace, engines);
console.log(`chaos operator ${process.pid} reconciling ${namespace}`);
