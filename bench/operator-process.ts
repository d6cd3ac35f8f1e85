/**
 * The operator as the operator bench runs it: its own process, started as the chart starts it
 * (every namespace, leader election, /metrics), with a bench engine in place of the real ones:
 * `node dist/bench/operator-process.js <noop|objects> <kubeconfig> <lease-namespace> <metrics-port>`.
 */
import { createOperator } from "../operators/operator.js";
import { benchNoopEngine, benchObjectsEngine } from "./noop-engine.js";

const [mode, kubeconfig, leaseNamespace, metricsPort] = process.argv.slice(2);
if (!kubeconfig || !leaseNamespace || !metricsPort || (mode !== "noop" && mode !== "objects")) {
  console.error("usage: operator-process.js <noop|objects> <kubeconfig> <lease-namespace> <metrics-port>");
  process.exit(2);
}
const manager = createOperator({
  kubeconfig,
  leaderElection: true,
  leaseNamespace,
  leaseName: "steward-operator",
  metricsPort: Number(metricsPort),
  handleSignals: true,
  engines: { redis: mode === "objects" ? await benchObjectsEngine() : benchNoopEngine },
});
await manager.start();
