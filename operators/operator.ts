import { hostname } from "node:os";
import { KubeClient } from "../shared/k8s/client.js";
import { EventRecorder } from "../shared/events.js";
import { rootLogger } from "../shared/log.js";
import { Manager } from "../shared/runtime/manager.js";
import { DatabaseMetrics } from "../shared/database-metrics.js";
import { clusterController } from "./cluster/controller.js";
import { backupControllers } from "../backup/controllers/index.js";
import { backupEnginesOf, type EnginePlugin, type EngineRegistry } from "./engine.js";
import { ENGINE_PLUGINS } from "./engines.js";
import { templateController } from "../catalog/controller.js";

export interface OperatorOptions {
  kubeconfig?: string;
  /** Watch only this namespace; default all namespaces. */
  namespace?: string;
  /** Watch only these namespaces (each with its own informers; the chart's Roles-only mode). */
  namespaces?: string[];
  leaderElection: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  metricsPort?: number;
  healthPort?: number;
  handleSignals?: boolean;
  /** The cluster facets to run (loadClusterEngines(plugins) for the registry's defaults). */
  engines: EngineRegistry;
  /** The registry, for the backup facets; default this build's (operators/engines.ts). */
  plugins?: readonly EnginePlugin[];
  client?: KubeClient;
}

export const OPERATOR_COMPONENT = "steward.dev/operator";

/** Builds the operator's manager with every controller; `start()` it to run. */
export function createOperator(options: OperatorOptions): Manager {
  const client = options.client ?? KubeClient.fromKubeconfig(options.kubeconfig);
  const identity = options.identity ?? `${hostname()}-${process.pid}`;
  const log = rootLogger.child({ identity });
  const events = new EventRecorder(client, OPERATOR_COMPONENT, identity);
  const manager = new Manager({
    client,
    log,
    leaderElection: options.leaderElection ? { namespace: options.leaseNamespace, name: options.leaseName, identity } : false,
    metricsPort: options.metricsPort,
    healthPort: options.healthPort,
    handleSignals: options.handleSignals,
  });
  // Per-database metrics beside the controller runtime's, on the same /metrics.
  const metrics = new DatabaseMetrics(manager.metrics);
  const backupEngines = backupEnginesOf(options.plugins ?? ENGINE_PLUGINS);
  // One set of controllers per watched namespace: with Roles instead of ClusterRoles the
  // operator may not list across namespaces, so each namespace gets its own informers.
  const namespaces = options.namespaces?.length ? options.namespaces : [options.namespace];
  for (const namespace of namespaces) {
    const named = <T extends { name: string }>(spec: T): T => (namespaces.length > 1 ? { ...spec, name: `${spec.name}/${namespace}` } : spec);
    manager.add(named(clusterController({ client, events, engines: options.engines, namespace, metrics })));
    for (const controller of backupControllers({ client, events, namespace, engines: backupEngines, metrics })) manager.add(named(controller));
  }
  // Templates are cluster-scoped: one controller whatever the namespaces.
  manager.add(templateController({ client }));
  return manager;
}
