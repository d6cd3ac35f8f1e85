import { hostname } from "node:os";
import { KubeClient } from "../shared/k8s/client.js";
import { EventRecorder } from "../shared/events.js";
import { rootLogger } from "../shared/log.js";
import { Manager } from "../shared/runtime/manager.js";
import { clusterController } from "./cluster/controller.js";
import { backupControllers } from "../backup/controllers/index.js";
import type { EngineRegistry } from "./engine.js";
import { defaultEngines } from "./engines.js";

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
  engines?: EngineRegistry;
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
  const engines = options.engines ?? defaultEngines();
  // One set of controllers per watched namespace: with Roles instead of ClusterRoles the
  // operator may not list across namespaces, so each namespace gets its own informers.
  const namespaces = options.namespaces?.length ? options.namespaces : [options.namespace];
  for (const namespace of namespaces) {
    const named = <T extends { name: string }>(spec: T): T => (namespaces.length > 1 ? { ...spec, name: `${spec.name}/${namespace}` } : spec);
    manager.add(named(clusterController({ client, events, engines, namespace })));
    for (const controller of backupControllers({ client, events, namespace })) manager.add(named(controller));
  }
  return manager;
}
