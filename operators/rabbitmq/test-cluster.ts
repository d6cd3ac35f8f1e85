/** A DatabaseCluster for the unit tests of the RabbitMQ builders and planners (not used at run time). */
import { effectiveSpec, type DatabaseCluster } from "../../shared/api/index.js";
import type { BuildInput } from "./resources/build-input.js";

export function testCluster(spec: Partial<DatabaseCluster["spec"]> = {}, name = "orders"): BuildInput {
  const cluster: DatabaseCluster = {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name, namespace: "shop", uid: "1234-uid", generation: 1 },
    spec: { engine: "rabbitmq", replicas: 3, ...spec } as DatabaseCluster["spec"],
  };
  return { cluster, spec: effectiveSpec(cluster) };
}
