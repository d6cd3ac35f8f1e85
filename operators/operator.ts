import { hostname } from "node:os";
import { KubeClient } from "../shared/k8s/client.js";
import { EventRecorder } from "../shared/events.js";
import { rootLogger } from "../shared/log.js";
import { Manager } from "../shared/runtime/manager.js";
import { clusterController } from "./cluster/controller.js";
import { backupControllers } from "../backup/controllers/index.js";
import { templateController } from "../catalog/controller.js";
import type { EngineRegistry } from "./engine.js";
import { defaultEngines } from "./engines.js";

export interface OperatorOptions {
  kubeconfig?: string;
  /** Watch only this namespace; default all namespaces. */
  namespace?: string;
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
  manager.add(clusterController({ client, events, engines, namespace: options.namespace }));
  for (const controller of backupControllers({ client, events, namespace: options.namespace })) manager.add(controller);
  manager.add(templateController({ client }));
  return manager;
}
